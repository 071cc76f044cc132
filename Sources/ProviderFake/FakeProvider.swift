import ExternalSecretsAPI
import Foundation
public import ProviderKit
import GoCompat
import Synchronization

/// `spec.provider.fake`: serves the static `data` of the store, as ESO's fake provider does. For
/// demos and tests; every store generation gets a client over that generation's data.
///
/// Semantics (ESO's): an entry matches a reference when key and version are both equal (an entry
/// without version matches only a reference without version); `property` is a JSON path into the
/// value; `getSecretMap` explodes a JSON object value; `find` matches entry keys (entries without
/// version) by `name.regexp` and `path` prefix; tags are not supported.
///
/// PushSecret (as ESO's fake provider): pushed values are kept in memory per store (by uid, for
/// the life of the process) and are read back by ExternalSecrets using the store, before the
/// store's static `data`. A key of the static `data` stands for a remote secret this operator did
/// not create: pushing onto it or deleting it fails with `.notManaged`.
public struct FakeSecretsProvider: SecretsProvider {
    private let pushed = FakePushedSecrets()

    public init() {}

    public var name: String { "fake" }
    public var capabilities: StoreCapabilities { .readWrite }

    /// The fake store serves its spec's data whoever asks: reads are shared across namespaces.
    public func readsDependOnCallerNamespace(_ store: StoreContext) -> Bool { false }

    public func validateStore(_ store: StoreContext) throws {
        guard let fake = store.spec.provider.fake else {
            throw ProviderError.invalidConfiguration("spec.provider.fake is missing")
        }
        for (index, entry) in fake.data.enumerated() where entry.key.isEmpty {
            throw ProviderError.invalidConfiguration("spec.provider.fake.data[\(index)].key must not be empty")
        }
        if let result = fake.validationResult, !(0...2).contains(result) {
            throw ProviderError.invalidConfiguration("spec.provider.fake.validationResult must be 0, 1 or 2")
        }
    }

    public func makeClient(for store: StoreContext, references: any ReferenceReader) async throws -> any SecretsClient {
        try validateStore(store)
        return FakeSecretsClient(
            provider: store.spec.provider.fake ?? FakeProvider(data: []), pushed: pushed, storeUID: store.uid)
    }
}

/// Values pushed to fake stores, by store uid and remote key.
final class FakePushedSecrets: Sendable {
    private let values = Mutex<[String: [String: Data]]>([:])

    func value(store: String, key: String) -> Data? { values.withLock { $0[store]?[key] } }
    func set(_ value: Data?, store: String, key: String) { values.withLock { $0[store, default: [:]][key] = value } }
    func keys(store: String) -> [String] { values.withLock { Array(($0[store] ?? [:]).keys) } }
}

struct FakeSecretsClient: SecretsClient {
    let provider: FakeProvider
    let pushed: FakePushedSecrets
    let storeUID: String

    private func entry(_ ref: ExternalSecretDataRemoteRef) throws -> FakeProviderData {
        let version = ref.version ?? ""
        if version.isEmpty, let value = pushed.value(store: storeUID, key: ref.key) {
            return FakeProviderData(key: ref.key, value: String(decoding: value, as: UTF8.self))
        }
        guard let entry = provider.data.last(where: { $0.key == ref.key && ($0.version ?? "") == version }) else {
            throw ProviderError.notFound("secret \"\(ref.key)\"\(version.isEmpty ? "" : " version \"\(version)\"") not found")
        }
        return entry
    }

    func getSecret(_ ref: ExternalSecretDataRemoteRef) async throws -> Data {
        let value = Data(try entry(ref).value.utf8)
        guard let property = ref.property, !property.isEmpty else { return value }
        return try SecretValues.property(property, of: value)
    }

    func getSecretMap(_ ref: ExternalSecretDataRemoteRef) async throws -> SecretData {
        var value = Data(try entry(ref).value.utf8)
        if let property = ref.property, !property.isEmpty {
            value = try SecretValues.property(property, of: value)
        }
        return try SecretValues.explodeJSONObject(value)
    }

    func getAllSecrets(_ find: ExternalSecretFind) async throws -> SecretData {
        if let tags = find.tags, !tags.isEmpty {
            throw ProviderError.unsupported("the fake provider does not support find by tags")
        }
        let regex: GoRegexp?
        do {
            regex = try find.name?.regexp.map { pattern throws(GoRegexpError) in try GoRegexp(pattern) }
        } catch {
            throw ProviderError.invalidConfiguration("find.name.regexp is not a valid regular expression: \(error.message)")
        }
        var result: SecretData = [:]
        var candidates: [(String, Data)] = provider.data.filter { ($0.version ?? "").isEmpty }.map { ($0.key, Data($0.value.utf8)) }
        candidates += pushed.keys(store: storeUID).compactMap { key in pushed.value(store: storeUID, key: key).map { (key, $0) } }
        for (key, value) in candidates {
            if let path = find.path, !key.hasPrefix(path) { continue }
            if let regex, !regex.matchString(key) { continue }
            result[key] = value
        }
        return result
    }

    func validate() async throws -> StoreValidationResult {
        switch provider.validationResult ?? 0 {
        case 1: return .unknown
        case 2: throw ProviderError(.other, "fake provider configured to fail validation")
        default: return .ready
        }
    }

    func close() async {}

    // MARK: - PushSecret

    /// Whether `key` is one of the store's static entries (a remote secret nobody pushed).
    private func isStatic(_ key: String) -> Bool {
        pushed.value(store: storeUID, key: key) == nil && provider.data.contains { $0.key == key }
    }

    func pushSecret(_ value: PushValue, to target: PushTarget) async throws {
        guard !isStatic(target.remoteKey) else {
            throw ProviderError(.notManaged, "secret \"\(target.remoteKey)\" exists and is not managed by external-secrets")
        }
        let encoded: Data
        switch value {
        case .value(let data): encoded = data
        case .allKeys(let data):
            encoded = Data(GoJSONString.encodeStringMap(data.mapValues { Array($0) }, escapeHTML: false))
        }
        guard let field = target.field else {
            pushed.set(encoded, store: storeUID, key: target.remoteKey)
            return
        }
        var object: [String: GoJSONValue] = [:]
        if let current = pushed.value(store: storeUID, key: target.remoteKey) {
            guard let existing = Self.object(current) else {
                throw ProviderError(.invalidData, "secret \"\(target.remoteKey)\" is not a JSON object; cannot set property \"\(field)\"")
            }
            object = existing
        }
        object[field] = .string(String(decoding: encoded, as: UTF8.self))
        pushed.set(Self.text(object), store: storeUID, key: target.remoteKey)
    }

    /// A pushed value read as a JSON object; nil when it is not one.
    private static func object(_ value: Data) -> [String: GoJSONValue]? {
        guard case .object(let members)? = try? GoJSONValue.parse(value) else { return nil }
        return members
    }

    /// A JSON object as the fake stores it: Go's `json.Marshal` with sorted keys, no HTML escaping.
    private static func text(_ object: [String: GoJSONValue]) -> Data {
        Data(GoJSONValue.object(object).marshal(numbers: .literal, escapeHTML: false))
    }

    func deleteSecret(_ target: PushTarget) async throws {
        guard !isStatic(target.remoteKey) else {
            throw ProviderError(.notManaged, "secret \"\(target.remoteKey)\" is not managed by external-secrets")
        }
        guard let field = target.field else {
            pushed.set(nil, store: storeUID, key: target.remoteKey)
            return
        }
        guard let current = pushed.value(store: storeUID, key: target.remoteKey), var object = Self.object(current)
        else { return }
        object[field] = nil
        pushed.set(object.isEmpty ? nil : Self.text(object), store: storeUID, key: target.remoteKey)
    }

    func secretExists(_ target: PushTarget) async throws -> Bool {
        guard let value = pushed.value(store: storeUID, key: target.remoteKey)
            ?? provider.data.last(where: { $0.key == target.remoteKey && ($0.version ?? "").isEmpty }).map({ Data($0.value.utf8) })
        else { return false }
        guard let field = target.field else { return true }
        return Self.object(value)?[field] != nil
    }
}
