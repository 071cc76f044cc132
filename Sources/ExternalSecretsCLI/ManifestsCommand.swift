import ArgumentParser
import ExternalSecretsAPI

/// `external-secrets manifests`: prints the manifests that install the operator.
struct Manifests: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the operator's CRDs or its complete install manifests as YAML.",
        subcommands: [CRDs.self, Install.self]
    )

    /// `external-secrets manifests crds`.
    struct CRDs: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "crds",
            abstract: "Print the CustomResourceDefinitions (ExternalSecret, SecretStore, ClusterSecretStore)."
        )

        func run() throws {
            print(try ExternalSecretsManifests.crdsYAML(), terminator: "")
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

        func run() throws {
            print(try ExternalSecretsManifests.installYAML(namespace: namespace, image: image), terminator: "")
        }
    }
}
