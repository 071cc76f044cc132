import ArgumentParser
import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation

/// `external-secrets migrate`: converts manifests of other operators' APIs to ESO's.
struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert manifests of another operator's API to ESO manifests.",
        subcommands: [KES.self])

    /// `external-secrets migrate kes -f FILE|-`.
    struct KES: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "kes",
            abstract: "Print the ESO manifests (ClusterSecretStore + ExternalSecret) that produce the Secrets of KES kubernetes-client.io/v1 ExternalSecrets.",
            discussion: """
                The backends are configured as KES configured them: from KES's environment variables (AWS_REGION, \
                VAULT_ADDR, DEFAULT_VAULT_MOUNT_POINT, DEFAULT_VAULT_ROLE, POLLER_INTERVAL_MILLISECONDS) of this \
                process, or the flags below. Anything that cannot be carried over is said in a comment. Documents \
                that are not KES ExternalSecrets are left out.
                """)

        @Option(name: .customShort("f"), help: "A file, a directory (its .yaml, .yml and .json files) or - for standard input; repeatable.")
        var filenames: [String] = []

        @Option(name: .customLong("aws-region"), help: "The AWS region of objects that name none (default: AWS_REGION).")
        var awsRegion: String?

        @Option(name: .customLong("vault-addr"), help: "The Vault server (default: VAULT_ADDR).")
        var vaultAddress: String?

        func validate() throws {
            guard !filenames.isEmpty else { throw ValidationError("give the KES manifests with -f FILE|DIR|-") }
        }

        func run() throws {
            var configuration = try KESConfiguration(environment: ProcessInfo.processInfo.environment)
            if let awsRegion { configuration.awsRegion = awsRegion }
            if let vaultAddress { configuration.vaultAddress = vaultAddress }
            let documents = try ManifestFiles.read(filenames).map(\.object)
            print(try KESMigration.render(KESMigration.migrate(documents, configuration: configuration)), terminator: "")
        }
    }
}
