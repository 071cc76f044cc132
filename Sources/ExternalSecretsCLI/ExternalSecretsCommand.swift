import ArgumentParser

/// The `external-secrets` command.
@main
struct ExternalSecretsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "external-secrets",
        abstract: "Syncs secrets from external secret managers into Kubernetes Secrets.",
        subcommands: [
            Version.self, CheckConnection.self, ControllerCommand.self, Manifests.self, Validate.self, Explain.self, Render.self,
            Migrate.self,
        ]
    )
}

/// `external-secrets version`.
struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version.")

    /// Set at release time; `dev` for local builds.
    static let current = "0.1.0-dev"

    func run() {
        print("external-secrets \(Self.current)")
    }
}
