public import ExternalSecretsAPI
public import Foundation

/// Reads the Kubernetes objects a store or ExternalSecret references, through a
/// `ReferenceAccessPolicy`. `field` names the manifest field for error messages.
public protocol ReferenceReader: Sendable {
    /// The bytes at `selector.key` of the Secret `selector.name`.
    func secretValue(_ selector: SecretKeySelector, field: String) async throws -> Data

    /// The whole Secret `selector.name` (`selector.key` is ignored): its labels and every key.
    /// Only for providers that hand a Secret's keys to templates (webhook).
    func secret(_ selector: SecretKeySelector, field: String) async throws -> ReferencedSecret

    /// A CA bundle from a Secret or ConfigMap key.
    func caBundle(_ provider: CAProvider, field: String) async throws -> Data

    /// A token for a ServiceAccount, from the TokenRequest API.
    func serviceAccountToken(_ selector: ServiceAccountSelector, audiences: [String], field: String) async throws -> String

    /// The annotations of a ServiceAccount (AWS IRSA reads `eks.amazonaws.com/role-arn`).
    func serviceAccountAnnotations(_ selector: ServiceAccountSelector, field: String) async throws -> [String: String]
}

/// A Secret read whole through a `ReferenceReader`. Its description shows key names only.
public struct ReferencedSecret: Sendable, Hashable, CustomStringConvertible {
    public var labels: [String: String]
    public var data: [String: Data]

    public init(labels: [String: String] = [:], data: [String: Data] = [:]) {
        self.labels = labels
        self.data = data
    }

    public var description: String { "Secret(labels: \(labels), keys: \(data.keys.sorted()))" }
}

extension ReferenceReader {
    /// Readers that cannot read whole Secrets refuse.
    public func secret(_ selector: SecretKeySelector, field: String) async throws -> ReferencedSecret {
        throw ProviderError.unsupported("\(field): reading whole Secrets is not supported here")
    }

    /// Readers that cannot read ServiceAccounts refuse.
    public func serviceAccountAnnotations(_ selector: ServiceAccountSelector, field: String) async throws -> [String: String] {
        throw ProviderError.unsupported("\(field): reading ServiceAccounts is not supported here")
    }
}
