import ExternalSecretsAPI
public import ExternalSecretsCore
import Foundation

/// `spec.provider.fake`: serves the static `data` of the store, as ESO's fake provider does. For
/// demos and tests; every store generation gets a client over that generation's data.
///
/// Semantics (ESO's): an entry matches a reference when key and version are both equal (an entry
/// without version matches only a reference without version); `property` is a JSON path into the
/// value; `getSecretMap` explodes a JSON object value; `find` matches entry keys (entries without
/// version) by `name.regexp` and `path` prefix; tags are not supported.
public struct FakeSecretsProvider: SecretsProvider {
    public init() {}

    public var name: String { "fake" }
    public var capabilities: StoreCapabilities { .readWrite }

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
        return FakeSecretsClient(provider: store.spec.provider.fake ?? FakeProvider(data: []))
    }
}

struct FakeSecretsClient: SecretsClient {
    let provider: FakeProvider

    private func entry(_ ref: ExternalSecretDataRemoteRef) throws -> FakeProviderData {
        let version = ref.version ?? ""
        guard let entry = provider.data.last(where: { $0.key == ref.key && ($0.version ?? "") == version }) else {
            throw ProviderError.notFound("secret \"\(ref.key)\"\(version.isEmpty ? "" : " version \"\(version)\"") not found")
        }
        return entry
    }

    func getSecret(_ ref: ExternalSecretDataRemoteRef) async throws -> Data {
        let value = Data(try entry(ref).value.utf8)
        guard let property = ref.property, !property.isEmpty else { return value }
        return try SecretDataPipeline.property(property, of: value)
    }

    func getSecretMap(_ ref: ExternalSecretDataRemoteRef) async throws -> SecretData {
        var value = Data(try entry(ref).value.utf8)
        if let property = ref.property, !property.isEmpty {
            value = try SecretDataPipeline.property(property, of: value)
        }
        return try SecretDataPipeline.explodeJSONObject(value)
    }

    func getAllSecrets(_ find: ExternalSecretFind) async throws -> SecretData {
        if let tags = find.tags, !tags.isEmpty {
            throw ProviderError.unsupported("the fake provider does not support find by tags")
        }
        let regex: Regex<AnyRegexOutput>?
        do {
            regex = try find.name?.regexp.map { try Regex($0) }
        } catch {
            throw ProviderError.invalidConfiguration("find.name.regexp is not a valid regular expression")
        }
        var result: SecretData = [:]
        for entry in provider.data where (entry.version ?? "").isEmpty {
            if let path = find.path, !entry.key.hasPrefix(path) { continue }
            if let regex, (try? regex.firstMatch(in: entry.key)) == nil { continue }
            result[entry.key] = Data(entry.value.utf8)
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
}
