import ExternalSecretsAPI
import Foundation
import ProviderKit

/// `spec.data[].metadata` of a PushSecret entry for a Vault store: ESO's `PushSecretMetadata`
/// envelope with the Vault spec proposed for ESO (external-secrets#6589):
///
/// ```yaml
/// metadata:
///   apiVersion: kubernetes.external-secrets.io/v1alpha1
///   kind: PushSecretMetadata
///   spec:
///     customMetadata: {team: payments}   # KV v2 custom metadata, besides managed-by
///     mergePolicy: Merge                 # or Replace; Merge by default
/// ```
///
/// Released ESO versions ignore `metadata` for Vault. Here any other shape is refused (ESO parses
/// the envelope with unknown fields disallowed), so a typo never goes unnoticed.
struct VaultPushMetadata: Sendable, Equatable {
    enum MergePolicy: String, Sendable, Equatable {
        /// The remote secret's other custom metadata is kept; these keys are set.
        case merge = "Merge"
        /// The remote secret's custom metadata becomes these keys (and the marker).
        case replace = "Replace"
    }

    var customMetadata: [String: String] = [:]
    var mergePolicy: MergePolicy = .merge

    static let apiVersion = "kubernetes.external-secrets.io/v1alpha1"
    static let kind = "PushSecretMetadata"

    /// Reads `target.metadata` (nil: none given). Errors say what is wrong without echoing values.
    static func parse(_ target: PushTarget) throws(ProviderError) -> VaultPushMetadata {
        guard let metadata = target.metadata, metadata != .null else { return VaultPushMetadata() }
        let field = "spec.data[].metadata"
        guard case .object(let envelope) = metadata else {
            throw .invalidConfiguration(
                "\(field) must be a \(kind) object (apiVersion \(apiVersion)) for a Vault store")
        }
        if let unknown = envelope.keys.sorted().first(where: { !["apiVersion", "kind", "spec"].contains($0) }) {
            throw .invalidConfiguration("\(field): unknown field \"\(unknown)\" (expected apiVersion, kind and spec)")
        }
        guard envelope["apiVersion"] == .string(apiVersion) else {
            throw .invalidConfiguration("\(field).apiVersion must be \"\(apiVersion)\"")
        }
        guard envelope["kind"] == .string(kind) else {
            throw .invalidConfiguration("\(field).kind must be \"\(kind)\"")
        }
        var parsed = VaultPushMetadata()
        switch envelope["spec"] {
        case nil, .null?:
            return parsed
        case .object(let spec)?:
            if let unknown = spec.keys.sorted().first(where: { !["customMetadata", "mergePolicy"].contains($0) }) {
                throw .invalidConfiguration(
                    "\(field).spec: unknown field \"\(unknown)\"; a Vault store reads customMetadata and mergePolicy")
            }
            switch spec["customMetadata"] {
            case nil, .null?:
                break
            case .object(let members)?:
                for (key, value) in members {
                    guard case .string(let text) = value else {
                        throw .invalidConfiguration("\(field).spec.customMetadata[\(key)] must be a string")
                    }
                    guard key != PushManagedMarker.key else {
                        throw .invalidConfiguration(
                            "\(field).spec.customMetadata: \"\(PushManagedMarker.key)\" is set by the operator")
                    }
                    parsed.customMetadata[key] = text
                }
            default:
                throw .invalidConfiguration("\(field).spec.customMetadata must be a map of strings")
            }
            switch spec["mergePolicy"] {
            case nil, .null?:
                break
            case .string(let text)?:
                guard let policy = MergePolicy(rawValue: text) else {
                    throw .invalidConfiguration("\(field).spec.mergePolicy must be Merge or Replace")
                }
                parsed.mergePolicy = policy
            default:
                throw .invalidConfiguration("\(field).spec.mergePolicy must be Merge or Replace")
            }
            return parsed
        default:
            throw .invalidConfiguration("\(field).spec must be an object")
        }
    }

    /// The custom metadata a pushed KV v2 secret should carry, given what it carries now.
    func customMetadata(updating current: [String: String]?) -> [String: String] {
        var result = mergePolicy == .merge ? current ?? [:] : [:]
        result.merge(customMetadata) { _, new in new }
        result[PushManagedMarker.key] = PushManagedMarker.value
        return result
    }
}

/// What a push target holds in Vault, read before a write.
struct VaultRemoteSecret: Sendable, Equatable {
    /// KV v2: the secret's custom metadata (empty when none). KV v1: unused.
    var customMetadata: [String: String] = [:]
    /// KV v2: the current version (0 when no version was ever written). KV v1: 0.
    var currentVersion: Int = 0
    /// The data of the current version; nil when it is deleted or destroyed (KV v2) or when no
    /// version exists.
    var data: VaultSecretValues.Object?
}

/// The writes one push or delete needs, decided without I/O from what Vault holds.
///
/// Guarantees (the contract of `SecretsClient.pushSecret`):
/// - a remote secret without the managed-by marker is never written or deleted: `.notManaged`;
/// - KV v2 writes carry check-and-set: the version read (0 for a new secret);
/// - an unchanged secret gives no write; numbers compare as Vault keeps them (KV v2 stores
///   JSON numbers as `float64`, so `1.0` and `1` are the same value).
///
/// The marker: KV v2 custom metadata `managed-by: external-secrets`. KV v1 has no metadata, so,
/// as ESO does, the marker is a field of the secret itself: `custom_metadata` holding
/// `{"managed-by": "external-secrets"}`; readers of such a secret see that field.
enum VaultPushPlan {
    typealias Object = VaultSecretValues.Object

    /// The field that holds the marker inside a KV v1 secret (ESO's name).
    static let v1MarkerField = "custom_metadata"

    /// One push's writes. Every part nil means nothing to do.
    struct Write: Sendable, Equatable {
        /// New data for the secret, or nil to leave it.
        var data: Object?
        /// KV v2: the check-and-set version of the data write.
        var checkAndSet: Int?
        /// KV v2: new custom metadata, or nil to leave it.
        var customMetadata: [String: String]?
        /// KV v2: the secret does not exist yet (its metadata is written after its data).
        var creates = false

        var isEmpty: Bool { data == nil && customMetadata == nil }
    }

    /// What deleting a push target does.
    enum Deletion: Sendable, Equatable {
        /// Nothing is there (or the property is not): done.
        case nothing
        /// The whole secret goes (KV v2: every version and the metadata).
        case deleteSecret
        /// The secret keeps its other fields: this data is written (with check-and-set on v2).
        case writeData(Object, checkAndSet: Int?)
    }

    /// Whether the remote secret carries the marker.
    static func isManaged(_ remote: VaultRemoteSecret, version: VaultKVStoreVersion) -> Bool {
        switch version {
        case .v2:
            return remote.customMetadata[PushManagedMarker.key] == PushManagedMarker.value
        case .v1:
            guard case .object(let marker)? = remote.data?[v1MarkerField] else { return false }
            return marker[PushManagedMarker.key] == .string(PushManagedMarker.value)
        }
    }

    /// The writes that make `remote` (nil: nothing at the key) hold `value` at `target`.
    static func push(
        _ value: PushValue, to target: PushTarget, metadata: VaultPushMetadata, version: VaultKVStoreVersion,
        remote: VaultRemoteSecret?
    ) throws(ProviderError) -> Write {
        let key = target.remoteKey
        if version == .v1, !metadata.customMetadata.isEmpty {
            throw .unsupported(
                "customMetadata in spec.data[].metadata needs KV version v2: a KV v1 secret has no metadata")
        }
        if let remote, !isManaged(remote, version: version) {
            throw notManaged(key)
        }
        var current = remote?.data ?? [:]
        let markerField = version == .v1 ? current.removeValue(forKey: v1MarkerField) : nil

        var desired: Object
        if let field = target.field {
            if version == .v1, field == v1MarkerField { throw reservedField(key) }
            desired = current
            desired[field] = .string(try text(of: value, key: key))
        } else {
            desired = try object(of: value, key: key)
            if version == .v1, desired[v1MarkerField] != nil { throw reservedField(key) }
        }

        var write = Write()
        let dataChanged = remote?.data == nil || !sameData(desired, current)
        switch version {
        case .v1:
            if dataChanged {
                desired[v1MarkerField] =
                    markerField ?? .object([PushManagedMarker.key: .string(PushManagedMarker.value)])
                write.data = desired
            }
        case .v2:
            if dataChanged {
                write.data = desired
                write.checkAndSet = remote?.currentVersion ?? 0
            }
            let custom = metadata.customMetadata(updating: remote?.customMetadata)
            if remote == nil || custom != remote?.customMetadata { write.customMetadata = custom }
            write.creates = remote == nil
        }
        return write
    }

    /// What deleting `target` does to `remote` (nil: nothing at the key).
    static func delete(_ target: PushTarget, version: VaultKVStoreVersion, remote: VaultRemoteSecret?)
        throws(ProviderError) -> Deletion
    {
        guard let remote else { return .nothing }
        guard isManaged(remote, version: version) else { throw notManaged(target.remoteKey) }
        guard let field = target.field else { return .deleteSecret }
        guard var data = remote.data, data[field] != nil else { return .nothing }
        if version == .v1, field == v1MarkerField { throw reservedField(target.remoteKey) }
        data.removeValue(forKey: field)
        let remaining = data.keys.filter { version == .v2 || $0 != v1MarkerField }
        if remaining.isEmpty { return .deleteSecret }
        return .writeData(data, checkAndSet: version == .v2 ? remote.currentVersion : nil)
    }

    /// Whether two secrets hold the same data as Vault compares it (numbers as `float64`).
    static func sameData(_ lhs: Object, _ rhs: Object) -> Bool {
        VaultJSON.marshal(.object(lhs), numbers: .float64) == VaultJSON.marshal(.object(rhs), numbers: .float64)
    }

    // MARK: - Values

    /// One field's text: the value itself, or ESO's JSON object of every key as strings.
    static func text(of value: PushValue, key: String) throws(ProviderError) -> String {
        switch value {
        case .value(let data):
            guard let text = String(validating: data, as: UTF8.self) else {
                throw ProviderError(
                    .invalidData, "the value pushed to secret \"\(key)\" is not UTF-8 text; Vault KV stores text")
            }
            return text
        case .allKeys:
            return String(
                decoding: VaultJSON.marshal(.object(try object(of: value, key: key)), numbers: .literal), as: UTF8.self)
        }
    }

    /// The whole secret: every key of the Kubernetes Secret as a string (ESO), or one key's value
    /// that is a JSON object.
    static func object(of value: PushValue, key: String) throws(ProviderError) -> Object {
        switch value {
        case .allKeys(let secret):
            var object: Object = [:]
            for (name, bytes) in secret {
                guard let text = String(validating: bytes, as: UTF8.self) else {
                    throw ProviderError(
                        .invalidData,
                        "key \"\(name)\" of the Secret pushed to secret \"\(key)\" is not UTF-8 text; Vault KV stores text"
                    )
                }
                object[name] = .string(text)
            }
            return object
        case .value(let data):
            guard case .object(let members)? = try? VaultJSON.parse(data) else {
                throw ProviderError(
                    .invalidData,
                    "the value pushed to secret \"\(key)\" must be a JSON object (a Vault KV secret is a map); set remoteRef.property to push it as one field"
                )
            }
            return members
        }
    }

    static func notManaged(_ key: String) -> ProviderError {
        ProviderError(
            .notManaged,
            "secret \"\(key)\" exists in Vault and is not managed by external-secrets (no \(PushManagedMarker.key): \(PushManagedMarker.value) marker); it is left unchanged"
        )
    }

    static func reservedField(_ key: String) -> ProviderError {
        .invalidConfiguration(
            "secret \"\(key)\": the field \"\(v1MarkerField)\" holds the managed-by marker in a KV v1 secret and cannot be pushed"
        )
    }
}
