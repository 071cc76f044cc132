public import ExternalSecretsAPI
public import Foundation
public import KubeModel

/// Secret values by key. `Data` prints as "N bytes", so a map of values never shows a value when
/// logged by accident; still, log only keys.
public typealias SecretData = [String: Data]

/// What a store can do, reported in `status.capabilities` with ESO's words.
public enum StoreCapabilities: String, Sendable, Hashable {
    case readOnly = "ReadOnly"
    case writeOnly = "WriteOnly"
    case readWrite = "ReadWrite"
}

/// The store an ExternalSecret resolved to, with everything a provider needs to build a client.
public struct StoreContext: Sendable, Hashable {
    public var kind: StoreKind
    public var name: String
    /// The store's own namespace; nil for a ClusterSecretStore.
    public var storeNamespace: String?
    /// The namespace of the object using the store (ExternalSecret or PushSecret). For a
    /// SecretStore it equals `storeNamespace`.
    public var callerNamespace: String
    public var uid: String
    public var generation: Int64
    public var spec: SecretStoreSpec

    public init(
        kind: StoreKind, name: String, storeNamespace: String?, callerNamespace: String, uid: String,
        generation: Int64, spec: SecretStoreSpec
    ) {
        self.kind = kind
        self.name = name
        self.storeNamespace = storeNamespace
        self.callerNamespace = callerNamespace
        self.uid = uid
        self.generation = generation
        self.spec = spec
    }

    /// `SecretStore/ns/name` or `ClusterSecretStore/name`, for logs and messages.
    public var displayName: String {
        if let storeNamespace { return "\(kind.rawValue)/\(storeNamespace)/\(name)" }
        return "\(kind.rawValue)/\(name)"
    }
}

/// A provider family (ESO's `Provider` interface): validates a store's provider block and makes
/// clients. Providers are values registered explicitly in a `ProviderRegistry` built by `main`.
public protocol SecretsProvider: Sendable {
    /// The field name of the provider block under `spec.provider` (`fake`, `kubernetes`, ...).
    var name: String { get }

    /// What stores of this provider can do.
    var capabilities: StoreCapabilities { get }

    /// Checks the provider block without any I/O. Throws `ProviderError.invalidConfiguration`.
    func validateStore(_ store: StoreContext) throws

    /// Makes a client for `store`. Kubernetes objects the store references (credentials, CA
    /// bundles, ServiceAccount tokens) must be read through `references`, which enforces the
    /// namespace boundary; a provider never reads the cluster on its own.
    func makeClient(for store: StoreContext, references: any ReferenceReader) async throws -> any SecretsClient

    /// Whether what a client of `store` reads may depend on the namespace of the object using it
    /// (credentials, tokens or identities resolved in that namespace, as ESO resolves a
    /// ClusterSecretStore's references that name no namespace). When false, identical reads of
    /// one store generation are shared across namespaces (after each namespace passed the store's
    /// access conditions); when true, only within a namespace. Default: true.
    func readsDependOnCallerNamespace(_ store: StoreContext) -> Bool
}

extension SecretsProvider {
    public func readsDependOnCallerNamespace(_ store: StoreContext) -> Bool { true }
}

/// A provider client (ESO's `SecretsClient` interface). Calls throw `ProviderError`; a missing
/// remote secret is `ProviderError.notFound` and nothing else is.
public protocol SecretsClient: Sendable {
    /// One remote value: the whole secret, or `ref.property` of it.
    func getSecret(_ ref: ExternalSecretDataRemoteRef) async throws -> Data

    /// One remote secret exploded into keys (`dataFrom.extract`).
    func getSecretMap(_ ref: ExternalSecretDataRemoteRef) async throws -> SecretData

    /// Every remote secret matching `find`, by remote name (`dataFrom.find`).
    func getAllSecrets(_ find: ExternalSecretFind) async throws -> SecretData

    /// Checks that the store is usable (ESO's `Validate`): `.ready`, `.unknown` or throws.
    func validate() async throws -> StoreValidationResult

    /// Writes `value` to the remote secret `target` names (PushSecret). Contract every provider
    /// keeps:
    /// - a remote secret it creates carries the provider's managed-by marker (ESO's
    ///   `managed-by: external-secrets`, as a tag, label or custom metadata);
    /// - a remote secret that exists without the marker is never changed: the call throws
    ///   `ProviderError` with code `.notManaged`;
    /// - with `target.property`, the remote secret is a JSON object and only that field is set,
    ///   the others are kept;
    /// - an unchanged value is not written again (no new remote version, no extra cost).
    func pushSecret(_ value: PushValue, to target: PushTarget) async throws

    /// Deletes what `pushSecret` wrote to `target`: only `target.property` when set (the whole
    /// remote secret once no field is left), else the remote secret. A remote secret that does
    /// not exist is not an error; one without the managed-by marker is left alone and the call
    /// throws `.notManaged`.
    func deleteSecret(_ target: PushTarget) async throws

    /// Whether the remote secret (and `target.property` of it, when set) exists
    /// (`updatePolicy: IfNotExists`).
    func secretExists(_ target: PushTarget) async throws -> Bool

    /// Releases sessions and connections. The client is not used afterwards.
    func close() async
}

extension SecretsClient {
    public func pushSecret(_ value: PushValue, to target: PushTarget) async throws {
        throw ProviderError.unsupported("this provider does not support PushSecret")
    }

    public func deleteSecret(_ target: PushTarget) async throws {
        throw ProviderError.unsupported("this provider does not support PushSecret")
    }

    public func secretExists(_ target: PushTarget) async throws -> Bool {
        throw ProviderError.unsupported("this provider does not support PushSecret")
    }
}

/// The marker ESO puts on remote secrets it pushed, and this operator too (so a migration keeps
/// ownership): a tag, label or custom-metadata entry `managed-by: external-secrets`.
public enum PushManagedMarker {
    public static let key = "managed-by"
    public static let value = "external-secrets"
}

/// What a PushSecret entry sends: one key of the source Secret, or every key of it (an entry
/// without `secretKey`). How a provider encodes all keys is its own (ESO: a JSON object of
/// strings for AWS, the KV data map for Vault).
public enum PushValue: Sendable, Hashable {
    case value(Data)
    case allKeys(SecretData)
}

/// Where a PushSecret entry writes: `spec.data[].match.remoteRef` plus the entry's
/// provider-specific `metadata`.
public struct PushTarget: Sendable, Hashable, CustomStringConvertible {
    public var remoteKey: String
    /// A field of the remote JSON secret; nil or empty means the whole remote secret.
    public var property: String?
    /// `spec.data[].metadata`, kept as JSON; each provider documents what it reads from it.
    public var metadata: JSONValue?
    /// The key of the source Secret the value came from (`match.secretKey`); nil when the entry
    /// pushes every key. Only templates read it (webhook's `.remoteRef.secretKey`).
    public var secretKey: String?

    public init(remoteKey: String, property: String? = nil, metadata: JSONValue? = nil, secretKey: String? = nil) {
        self.remoteKey = remoteKey
        self.property = property
        self.metadata = metadata
        self.secretKey = secretKey
    }

    /// The property when one is set and not empty.
    public var field: String? { property.flatMap { $0.isEmpty ? nil : $0 } }

    /// `remoteKey` or `remoteKey/property`, as ESO names entries in `status.syncedPushSecrets`.
    public var description: String { field.map { "\(remoteKey)/\($0)" } ?? remoteKey }
}

/// The client of a ClusterSecretStore whose credentials are read from the namespace of each
/// ExternalSecret or PushSecret ("referent" authentication), made without such a namespace (store
/// validation): validation answers `.unknown`, as ESO does, and every read and write is refused
/// with `message`.
public struct ReferentStoreClient: SecretsClient {
    public let message: String

    /// - Parameter credentials: what the store reads per namespace, for the message ("AWS
    ///   credentials", "credentials").
    public init(credentials: String = "credentials") {
        message =
            "this ClusterSecretStore reads its \(credentials) from the namespace of each ExternalSecret or PushSecret; none was given"
    }

    public func getSecret(_ ref: ExternalSecretDataRemoteRef) async throws -> Data {
        throw ProviderError.invalidConfiguration(message)
    }

    public func getSecretMap(_ ref: ExternalSecretDataRemoteRef) async throws -> SecretData {
        throw ProviderError.invalidConfiguration(message)
    }

    public func getAllSecrets(_ find: ExternalSecretFind) async throws -> SecretData {
        throw ProviderError.invalidConfiguration(message)
    }

    public func pushSecret(_ value: PushValue, to target: PushTarget) async throws {
        throw ProviderError.invalidConfiguration(message)
    }

    public func deleteSecret(_ target: PushTarget) async throws {
        throw ProviderError.invalidConfiguration(message)
    }

    public func secretExists(_ target: PushTarget) async throws -> Bool {
        throw ProviderError.invalidConfiguration(message)
    }

    public func validate() async throws -> StoreValidationResult { .unknown }

    public func close() async {}
}

/// The outcome of `SecretsClient.validate()`.
public enum StoreValidationResult: Sendable, Hashable {
    case ready
    /// The provider cannot tell without a real read (ESO's `ValidationResultUnknown`).
    case unknown
}

/// Errors of providers. The message is shown in conditions and logs, so it must never contain a
/// secret value or a credential; providers sanitize remote error text before building one.
public struct ProviderError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The remote secret (or property, or version) does not exist. Only this drives
        /// `deletionPolicy`.
        case notFound
        case accessDenied
        case invalidConfiguration
        case unsupported
        case throttled
        case unavailable
        case invalidData
        /// The remote secret exists but was not created by a PushSecret (no managed-by marker):
        /// it is neither overwritten nor deleted.
        case notManaged
        /// A write lost a race: the remote secret changed between the read and the write
        /// (check-and-set). Nothing was overwritten; trying again is the remedy.
        case conflict
        case other
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public static func notFound(_ message: String) -> ProviderError { ProviderError(.notFound, message) }
    public static func accessDenied(_ message: String) -> ProviderError { ProviderError(.accessDenied, message) }
    public static func invalidConfiguration(_ message: String) -> ProviderError {
        ProviderError(.invalidConfiguration, message)
    }
    public static func unsupported(_ message: String) -> ProviderError { ProviderError(.unsupported, message) }

    public var description: String { message }

    /// Whether this error means "the remote secret does not exist".
    public var isNotFound: Bool { code == .notFound }
}

/// The providers this binary offers, by provider block name, and the generator kinds it runs.
/// Built explicitly in `main`.
public struct ProviderRegistry: Sendable {
    private var providers: [String: any SecretsProvider]
    /// The generator kinds (`generators.external-secrets.io`) this binary runs.
    public var generators: GeneratorRegistry

    public init(_ providers: [any SecretsProvider], generators: [any SecretGenerator] = []) {
        self.providers = Dictionary(providers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.generators = GeneratorRegistry(generators)
    }

    /// The provider for a store's `spec.provider`, or an error naming what is wrong: no block, more
    /// than one block, or a provider this operator does not implement.
    public func provider(for spec: SecretStoreSpec) throws(ProviderError) -> any SecretsProvider {
        let names = spec.provider.configuredProviderNames
        guard let name = names.first else {
            throw .invalidConfiguration("spec.provider has no provider configured")
        }
        guard names.count == 1 else {
            throw .invalidConfiguration("spec.provider must configure exactly one provider, found: \(names.joined(separator: ", "))")
        }
        guard let provider = providers[name] else {
            throw .unsupported("provider \"\(name)\" is not supported by this operator")
        }
        return provider
    }

    public var names: [String] { providers.keys.sorted() }
}
