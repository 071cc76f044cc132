import ExternalSecretsAPI
import Foundation
import GoCompat
public import ProviderKit

/// KES's tenant guards, read from the annotations of the object's namespace (pure):
/// - `iam.amazonaws.com/permitted`: a regular expression the `roleArn` an object assumes must
///   match (an object that assumes no role passes);
/// - `externalsecrets.kubernetes-client.io/permitted-key-name`: a regular expression every remote
///   key an object reads must match.
/// A namespace without an annotation is not limited by it. The expressions are Go/RE2 regular
/// expressions, matched unanchored as KES's JavaScript `RegExp.test` did (anchor them with
/// `^...$` to match whole names). An expression that does not compile refuses everything.
public struct KESNamespaceGuard: Sendable, Hashable {
    public static let permittedRoleAnnotation = "iam.amazonaws.com/permitted"
    public static let permittedKeyAnnotation = "externalsecrets.kubernetes-client.io/permitted-key-name"

    public var permittedRoles: String?
    public var permittedKeys: String?

    public init(namespaceAnnotations annotations: [String: String]) {
        permittedRoles = annotations[Self.permittedRoleAnnotation]
        permittedKeys = annotations[Self.permittedKeyAnnotation]
    }

    /// Why the namespace refuses an object that assumes `roleArn` and reads `remoteKeys`; nil
    /// when it admits it. The message names the role or key and the annotation.
    public func refusal(roleArn: String?, remoteKeys: [String], namespace: String) -> String? {
        if let pattern = permittedRoles, let roleArn {
            guard let regexp = try? GoRegexp(pattern) else {
                return "namespace \(namespace): annotation \(Self.permittedRoleAnnotation) is not a valid regular expression"
            }
            if !regexp.matchString(roleArn) {
                return "namespace \(namespace) does not allow to assume role \(roleArn) (annotation \(Self.permittedRoleAnnotation))"
            }
        }
        if let pattern = permittedKeys {
            guard let regexp = try? GoRegexp(pattern) else {
                return "namespace \(namespace): annotation \(Self.permittedKeyAnnotation) is not a valid regular expression"
            }
            if let key = remoteKeys.first(where: { !regexp.matchString($0) }) {
                return "namespace \(namespace) does not allow to read key \(key) (annotation \(Self.permittedKeyAnnotation))"
            }
        }
        return nil
    }
}

// MARK: - The key guard for ESO objects (opt-in)

extension KESNamespaceGuard {
    /// `client` with its reads limited to the remote keys the namespace's permitted-key-name
    /// annotation admits (`--enforce-namespace-key-guard`, for ESO ExternalSecrets); `client`
    /// itself when the namespace has no such annotation. A refused `get` fails with access denied
    /// naming the key and the annotation; a `find` keeps only the admitted keys.
    public func limiting(_ client: any SecretsClient, namespace: String) -> any SecretsClient {
        guard let permittedKeys else { return client }
        return NamespaceKeyGuardedClient(
            underlying: client, permitted: try? GoRegexp(permittedKeys), namespace: namespace)
    }
}

/// A store client whose reads are limited by a namespace's permitted-key-name annotation. An
/// annotation that does not compile admits nothing (fail closed).
struct NamespaceKeyGuardedClient: SecretsClient {
    var underlying: any SecretsClient
    var permitted: GoRegexp?
    var namespace: String

    private func check(_ key: String) throws {
        guard permitted?.matchString(key) == true else {
            throw ProviderError.accessDenied(
                "namespace \(namespace) does not allow to read key \(key) (annotation \(KESNamespaceGuard.permittedKeyAnnotation))")
        }
    }

    func getSecret(_ ref: ExternalSecretDataRemoteRef) async throws -> Data {
        try check(ref.key)
        return try await underlying.getSecret(ref)
    }

    func getSecretMap(_ ref: ExternalSecretDataRemoteRef) async throws -> SecretData {
        try check(ref.key)
        return try await underlying.getSecretMap(ref)
    }

    func getAllSecrets(_ find: ExternalSecretFind) async throws -> SecretData {
        try await underlying.getAllSecrets(find).filter { permitted?.matchString($0.key) == true }
    }

    func validate() async throws -> StoreValidationResult { try await underlying.validate() }

    func pushSecret(_ value: PushValue, to target: PushTarget) async throws {
        try await underlying.pushSecret(value, to: target)
    }

    func deleteSecret(_ target: PushTarget) async throws { try await underlying.deleteSecret(target) }

    func secretExists(_ target: PushTarget) async throws -> Bool { try await underlying.secretExists(target) }

    func close() async { await underlying.close() }
}
