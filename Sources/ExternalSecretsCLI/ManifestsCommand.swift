import ArgumentParser
import ExternalSecretsAPI
import Foundation

/// `external-secrets manifests`: prints the manifests that install the operator.
struct Manifests: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the operator's CRDs or its complete install manifests as YAML.",
        subcommands: [CRDs.self, Install.self, ChartFiles.self]
    )

    /// `external-secrets manifests crds`.
    struct CRDs: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "crds",
            abstract: "Print the CustomResourceDefinitions (every kind this operator serves)."
        )

        @Flag(help: "Print KES's kubernetes-client.io/v1 ExternalSecret CRD instead (for --enable-kes).")
        var kes = false

        func run() throws {
            print(try kes ? ExternalSecretsManifests.kesCRDYAML() : ExternalSecretsManifests.crdsYAML(), terminator: "")
        }
    }

    /// `external-secrets manifests install`.
    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the CRDs, namespace, RBAC and Deployment that run the operator."
        )

        @Option(help: "The namespace the operator runs in.")
        var namespace = ExternalSecretsManifests.defaultNamespace

        @Option(help: "The operator's container image.")
        var image = ExternalSecretsManifests.defaultImage

        @Flag(help: "Also serve KES's kubernetes-client.io/v1 ExternalSecret: its CRD, RBAC and --enable-kes.")
        var kes = false

        func run() throws {
            print(try ExternalSecretsManifests.installYAML(namespace: namespace, image: image, kes: kes), terminator: "")
        }
    }

    /// `external-secrets manifests chart-files`.
    struct ChartFiles: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "chart-files",
            abstract: "Write the Helm chart's generated files (its CRDs and RBAC rules) into the chart directory."
        )

        @Option(help: "The chart directory.")
        var chart = ExternalSecretsManifests.chartDirectory

        func run() throws {
            for file in try ExternalSecretsManifests.chartFiles() {
                let url = URL(fileURLWithPath: chart).appendingPathComponent(file.path)
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(file.content.utf8).write(to: url)
                print(url.path)
            }
        }
    }
}
