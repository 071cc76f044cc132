public import ExternalSecretsAPI
import Foundation
import GoCompat
public import ProviderKit

/// KES's tenant guards, read from the annotations of the object's namespace (pure):
/// - `iam.amazonaws.com/permitted`: a regular expression the role an object assumes must match
///   (its `roleArn`, else its `vaultRole`, as KES checked; an object that names no role passes);
/// - `externalsecrets.kubernetes-client.io/permitted-key-name`: a regular expression every remote
///   key an object reads must match.
/// A namespace without an annotation is not limited by it, unless `enforce`
/// (`ENFORCE_NAMESPACE_ANNOTATIONS`): then, as in KES, a namespace without annotations refuses
/// every object, one without the key annotation refuses every object, and one without the role
/// annotation refuses objects that name a role. The expressions are Go/RE2 regular
/// expressions, matched unanchored as KES's JavaScript `RegExp.test` did (anchor them with
/// `^...$` to match whole names); an empty one admits everything. An expression that does not
/// compile refuses everything.
public struct KESNamespaceGuard: Sendable, Hashable {
    public static let permittedRoleAnnotation = "iam.amazonaws.com/permitted"
    public static let permittedKeyAnnotation = "externalsecrets.kubernetes-client.io/permitted-key-name"

    public var permittedRoles: String?
    public var permittedKeys: String?
    /// Whether the namespace has any annotation at all.
    public var hasAnnotations: Bool
    /// Missing annotations refuse instead of admitting (see above).
    public var enforce: Bool

    public init(namespaceAnnotations annotations: [String: String], enforce: Bool = false) {
        permittedRoles = annotations[Self.permittedRoleAnnotation]
        permittedKeys = annotations[Self.permittedKeyAnnotation]
        hasAnnotations = !annotations.isEmpty
        self.enforce = enforce
    }

    /// Why the namespace refuses an object that assumes `roleArn` (a role ARN or Vault role) and
    /// reads `remoteKeys`; nil when it admits it. The message names the role or key and the
    /// annotation.
    public func refusal(roleArn: String?, remoteKeys: [String], namespace: String) -> String? {
        if enforce {
            // KES's messages.
            guard hasAnnotations else { return "Namespace annotation is required" }
            guard permittedKeys != nil else {
                return "Missing required annotation \(Self.permittedKeyAnnotation) on namespace \(namespace)"
            }
            if roleArn != nil, permittedRoles == nil {
                return "Missing required annotation \(Self.permittedRoleAnnotation) on namespace \(namespace)"
            }
        }
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

extension KESNamespaceGuard {
    /// Why the namespace refuses the KES object `name` mapped as `mapped`, in the words the KES
    /// controller puts in `status.status` (and `render --live` prints); nil when it admits it.
    public func refusal(of mapped: KESMappedObject, name: String, namespace: String) -> String? {
        refusal(roleArn: mapped.roleArn, remoteKeys: mapped.remoteKeys, namespace: namespace)
            .map { "not allowed to fetch secret: \(name): \($0)" }
    }
}

// MARK: - The guards for ESO objects (opt-in)

extension KESNamespaceGuard {
    /// The role a store assumes for an ESO object, for the permitted-role guard
    /// (`--enforce-namespace-role-guard`): the AWS provider's `role`, else the Vault provider's
    /// Kubernetes auth `role` (KES checked `roleArn`, else `vaultRole`, against the same annotation).
    public static func role(of spec: SecretStoreSpec) -> String? {
        if let role = spec.provider.aws?.role, !role.isEmpty { return role }
        if let role = spec.provider.vault?.auth?.kubernetes?.role, !role.isEmpty { return role }
        return nil
    }

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
