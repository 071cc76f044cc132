public import ExternalSecretsAPI
public import Foundation

/// Reads the Kubernetes objects a store or ExternalSecret references, through a
/// `ReferenceAccessPolicy`. `field` names the manifest field for error messages.
public protocol ReferenceReader: Sendable {
    /// The bytes at `selector.key` of the Secret `selector.name`.
    func secretValue(_ selector: SecretKeySelector, field: String) async throws -> Data

    /// A CA bundle from a Secret or ConfigMap key.
    func caBundle(_ provider: CAProvider, field: String) async throws -> Data

    /// A token for a ServiceAccount, from the TokenRequest API.
    func serviceAccountToken(_ selector: ServiceAccountSelector, audiences: [String], field: String) async throws -> String

    /// The annotations of a ServiceAccount (AWS IRSA reads `eks.amazonaws.com/role-arn`).
    func serviceAccountAnnotations(_ selector: ServiceAccountSelector, field: String) async throws -> [String: String]
}

extension ReferenceReader {
    /// Readers that cannot read ServiceAccounts refuse.
    public func serviceAccountAnnotations(_ selector: ServiceAccountSelector, field: String) async throws -> [String: String] {
        throw ProviderError.unsupported("\(field): reading ServiceAccounts is not supported here")
    }
}
