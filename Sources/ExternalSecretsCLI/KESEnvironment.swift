import ArgumentParser
import ExternalSecretsCore
import Foundation

extension KESConfiguration {
    /// KES's configuration as a KES Deployment's `env` gave it (``KESConfiguration/init(environment:)``),
    /// plus Vault's own `VAULT_CACERT`: a PEM file the vault backend trusts, read here. The
    /// controller and `render` start from it.
    static func fromProcessEnvironment(_ environment: [String: String]) throws -> KESConfiguration {
        var configuration = try KESConfiguration(environment: environment)
        if let path = environment["VAULT_CACERT"], !path.isEmpty {
            guard let pem = FileManager.default.contents(atPath: path) else {
                throw ValidationError("VAULT_CACERT names \(path), which cannot be read")
            }
            configuration.vaultCABundle = pem.base64EncodedString()
        }
        return configuration
    }
}
