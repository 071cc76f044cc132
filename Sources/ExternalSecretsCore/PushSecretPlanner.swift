public import ExternalSecretsAPI
import Foundation
import GoCompat
import KubeModel
public import ProviderKit

/// A store a PushSecret pushes to, as resolved from `spec.secretStoreRefs`.
public struct PushStore: Sendable, Hashable {
    public var kind: StoreKind
    public var name: String
    /// The store's labels (for `dataTo[].storeRef.labelSelector`).
    public var labels: [String: String]

    public init(kind: StoreKind, name: String, labels: [String: String] = [:]) {
        self.kind = kind
        self.name = name
        self.labels = labels
    }

    /// `Kind/name`: ESO's key of the store in `status.syncedPushSecrets`.
    public var statusKey: String { "\(kind.rawValue)/\(name)" }

    /// The store a `syncedPushSecrets` key names, or nil for a key this operator cannot read.
    public init?(statusKey: String) {
        let parts = statusKey.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2, let kind = StoreKind(rawValue: parts[0]), !parts[1].isEmpty else { return nil }
        self.init(kind: kind, name: parts[1])
    }

    func matches(_ ref: PushSecretStoreRef) -> Bool {
        guard (ref.kind ?? .secretStore) == kind else { return false }
        if let name = ref.name { return name == self.name }
        return ref.labelSelector?.matches(labels) ?? false
    }
}

/// One write of a PushSecret: a value to a remote secret (or property) of one store.
public struct PushEntry: Sendable, Hashable {
    public var store: PushStore
    public var target: PushTarget
    public var value: PushValue
    /// What `status.syncedPushSecrets` records for this write (references, never the value).
    public var record: PushSecretData

    /// ESO's key of the entry in `status.syncedPushSecrets[store]`: `remoteKey[/property]`.
    public var statusKey: String { target.description }
}

/// What a PushSecret writes and deletes, decided without I/O (DESIGN.md: pure plan, I/O apart).
public enum PushSecretPlanner {
    /// Checks what the schema cannot (Kubernetes 1.20 has no CEL) and what this operator does not
    /// support yet; the message names the field.
    public static func validate(_ spec: PushSecretSpec) throws(InvalidSpec) {
        if spec.selector.generatorRef != nil {
            guard spec.selector.secret == nil else {
                throw InvalidSpec("spec.selector must set exactly one of secret and generatorRef")
            }
        } else {
            guard let secret = spec.selector.secret else {
                throw InvalidSpec(
                    "spec.selector must name a source: set spec.selector.secret.name or spec.selector.generatorRef")
            }
            guard secret.name?.isEmpty == false else {
                throw InvalidSpec(
                    "spec.selector.secret.selector: selecting source Secrets by labels is not supported by this operator yet; set spec.selector.secret.name"
                )
            }
        }
        guard !spec.secretStoreRefs.isEmpty else { throw InvalidSpec("spec.secretStoreRefs must list at least one store") }
        for (index, ref) in spec.secretStoreRefs.enumerated() where ref.name == nil && ref.labelSelector == nil {
            throw InvalidSpec("spec.secretStoreRefs[\(index)] must have a name or a labelSelector")
        }
        for (index, entry) in (spec.data ?? []).enumerated() where entry.match.remoteRef.remoteKey.isEmpty {
            throw InvalidSpec("spec.data[\(index)].match.remoteRef.remoteKey must not be empty")
        }
        for (index, entry) in (spec.dataTo ?? []).enumerated() {
            guard let ref = entry.storeRef, ref.name != nil || ref.labelSelector != nil else {
                throw InvalidSpec("spec.dataTo[\(index)]: storeRef must specify either name or labelSelector")
            }
            if entry.remoteKey != nil && !(entry.rewrite ?? []).isEmpty {
                throw InvalidSpec(
                    "spec.dataTo[\(index)]: remoteKey and rewrite are mutually exclusive: rewrite is only supported in per-key mode (without remoteKey)"
                )
            }
            for (step, rewrite) in (entry.rewrite ?? []).enumerated() where (rewrite.regexp == nil) == (rewrite.transform == nil) {
                throw InvalidSpec("spec.dataTo[\(index)].rewrite[\(step)]: exactly one of regexp or transform must be set")
            }
            if let pattern = entry.match?.regexp {
                do {
                    _ = try GoRegexp(pattern)
                } catch {
                    throw InvalidSpec("spec.dataTo[\(index)].match.regexp is not a valid regular expression: \(error.message)")
                }
            }
        }
    }

    /// Every write of `spec` to `stores`, from the source Secret's `data` (after the template).
    /// Fails, naming the key, when `data` lacks a key an entry asks for.
    public static func entries(
        for spec: PushSecretSpec, source data: SecretData, stores: [PushStore]
    ) throws(InvalidSpec) -> [PushEntry] {
        var entries: [PushEntry] = []
        for store in stores {
            for entry in spec.data ?? [] {
                let converted = try convertKeys(data, entry.conversionStrategy)
                let value: PushValue
                if let key = entry.match.secretKey, !key.isEmpty {
                    guard let found = converted[key] else { throw InvalidSpec("secret key \(key) does not exist") }
                    value = .value(found)
                } else {
                    value = .allKeys(converted)
                }
                entries.append(
                    PushEntry(
                        store: store,
                        target: PushTarget(
                            remoteKey: entry.match.remoteRef.remoteKey, property: entry.match.remoteRef.property,
                            metadata: entry.metadata, secretKey: entry.match.secretKey),
                        value: value, record: entry))
            }
            for entry in spec.dataTo ?? [] where entry.storeRef.map(store.matches) ?? false {
                entries += try dataToEntries(entry, data: data, store: store)
            }
        }
        return entries
    }

    private static func dataToEntries(_ entry: PushSecretDataTo, data: SecretData, store: PushStore) throws(InvalidSpec)
        -> [PushEntry]
    {
        var matched = try convertKeys(data, entry.conversionStrategy)
        if let pattern = entry.match?.regexp, let regex = try? GoRegexp(pattern) {
            matched = matched.filter { key, _ in regex.matchString(key) }
        }
        if let remoteKey = entry.remoteKey {
            let record = PushSecretData(
                match: PushSecretMatch(remoteRef: PushSecretRemoteRef(remoteKey: remoteKey)), metadata: entry.metadata,
                conversionStrategy: entry.conversionStrategy)
            return [
                PushEntry(
                    store: store, target: PushTarget(remoteKey: remoteKey, metadata: entry.metadata),
                    value: .allKeys(matched), record: record)
            ]
        }
        var entries: [PushEntry] = []
        for key in matched.keys.sorted() {
            let remoteKey = try rewrittenName(key, entry.rewrite ?? [])
            let record = PushSecretData(
                match: PushSecretMatch(secretKey: key, remoteRef: PushSecretRemoteRef(remoteKey: remoteKey)),
                metadata: entry.metadata, conversionStrategy: entry.conversionStrategy)
            entries.append(
                PushEntry(
                    store: store, target: PushTarget(remoteKey: remoteKey, metadata: entry.metadata, secretKey: key),
                    value: .value(matched[key] ?? Data()), record: record))
        }
        return entries
    }

    /// A key renamed by `dataTo[].rewrite`, with the ExternalSecret pipeline's regexp and
    /// template semantics.
    static func rewrittenName(_ key: String, _ rewrites: [PushSecretRewrite]) throws(InvalidSpec) -> String {
        guard !rewrites.isEmpty else { return key }
        let steps = rewrites.map { ExternalSecretRewrite(regexp: $0.regexp, transform: $0.transform) }
        do {
            let renamed = try SecretDataPipeline.rewrite([key: Data()], steps)
            guard renamed.count == 1, let name = renamed.keys.first, !name.isEmpty else {
                throw InvalidSpec("spec.dataTo rewrite of key \(key) gives no remote name")
            }
            return name
        } catch let error as InvalidSpec {
            throw error
        } catch {
            throw InvalidSpec("spec.dataTo rewrite of key \(key): \(error)")
        }
    }

    /// The keys of `data` after `strategy`: `ReverseUnicode` turns `_U<4 hex digits>_` back into
    /// the character (undoing an ExternalSecret's `Unicode` key conversion).
    static func convertKeys(_ data: SecretData, _ strategy: PushSecretConversionStrategy?) throws(InvalidSpec) -> SecretData {
        guard strategy == .reverseUnicode else { return data }
        var converted: SecretData = [:]
        for (key, value) in data {
            let newKey = reverseUnicode(key)
            guard converted[newKey] == nil else {
                throw InvalidSpec("ReverseUnicode conversion maps two keys of the source Secret to \(newKey)")
            }
            converted[newKey] = value
        }
        return converted
    }

    static func reverseUnicode(_ key: String) -> String {
        var result = ""
        var rest = Substring(key)
        while let start = rest.range(of: "_U") {
            let afterMarker = rest[start.upperBound...]
            let hex = afterMarker.prefix(4)
            if hex.count == 4, hex.allSatisfy(\.isHexDigit), afterMarker.dropFirst(4).first == "_",
                let scalar = UInt32(hex, radix: 16).flatMap(Unicode.Scalar.init)
            {
                result += rest[..<start.lowerBound]
                result.unicodeScalars.append(scalar)
                rest = afterMarker.dropFirst(5)
            } else {
                result += rest[..<start.upperBound]
                rest = afterMarker
            }
        }
        return result + rest
    }

    /// `status.syncedPushSecrets` for the entries written.
    public static func synced(_ entries: [PushEntry]) -> [String: [String: PushSecretData]] {
        var synced: [String: [String: PushSecretData]] = [:]
        for entry in entries {
            synced[entry.store.statusKey, default: [:]][entry.statusKey] = entry.record
        }
        return synced
    }

    /// What to delete after a push under `deletionPolicy: Delete`: entries recorded before in a
    /// store that is still listed, which the spec no longer writes. A store no longer listed is
    /// left alone entirely — changing `secretStoreRefs` never deletes remote secrets (ESO#5062).
    public static func staleEntries(
        previous: [String: [String: PushSecretData]], current: [String: [String: PushSecretData]],
        listedStores: Set<String>
    ) -> [String: [String: PushSecretData]] {
        var stale: [String: [String: PushSecretData]] = [:]
        for (store, entries) in previous where listedStores.contains(store) {
            for (key, record) in entries where current[store]?[key] == nil {
                stale[store, default: [:]][key] = record
            }
        }
        return stale
    }

    /// The stores recorded before that are no longer listed (their remote secrets are kept and
    /// no longer tracked).
    public static func abandonedStores(previous: [String: [String: PushSecretData]], listedStores: Set<String>) -> [String] {
        previous.keys.filter { !listedStores.contains($0) }.sorted()
    }

    /// The remote reference a recorded entry names.
    public static func target(of record: PushSecretData) -> PushTarget {
        PushTarget(
            remoteKey: record.match.remoteRef.remoteKey, property: record.match.remoteRef.property,
            metadata: record.metadata, secretKey: record.match.secretKey)
    }
}
