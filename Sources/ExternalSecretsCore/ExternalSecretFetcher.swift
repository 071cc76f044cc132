public import ExternalSecretsAPI
public import Templating
import Foundation
public import ProviderKit

/// What the providers returned for one ExternalSecret, after decoding, key conversion and rewrite.
public struct FetchResult: Sendable {
    public var data: SecretData
    /// Entries skipped because the remote secret does not exist (deletionPolicy Delete or Merge),
    /// described by field path and remote key (never a value).
    public var missing: [String]
    /// The keys whose value a generator made, by the `dataFrom` index of that generator entry
    /// (keys a later entry overwrote are not listed).
    public var generatedKeys: [String: Int]

    public init(data: SecretData = [:], missing: [String] = [], generatedKeys: [String: Int] = [:]) {
        self.data = data
        self.missing = missing
        self.generatedKeys = generatedKeys
    }
}

/// Fetches every `dataFrom` entry in order (later keys win), then every `data` entry (which win
/// over `dataFrom`), through the store each entry names, as ESO does (ESO-BEHAVIOUR.md "Fetch
/// pipeline"). A remote "not found" is an error under deletionPolicy Retain and a skipped entry
/// otherwise; any other provider error aborts the fetch, so the caller leaves the Secret alone.
public struct ExternalSecretFetcher: Sendable {
    /// Returns the client for a store reference, resolved from the ExternalSecret's namespace.
    public var client: @Sendable (SecretStoreRef) async throws -> any SecretsClient
    /// What `rewrite.transform` templates may consult (the operator's clock and random source).
    public var templateEnvironment: RenderEnvironment
    /// Runs the generator a `dataFrom[].sourceRef.generatorRef` names, for the ExternalSecret's
    /// namespace, with the entry's index; nil refuses generator entries.
    public var generate: (@Sendable (GeneratorRef, Int) async throws -> SecretData)?

    public init(
        templateEnvironment: RenderEnvironment,
        generate: (@Sendable (GeneratorRef, Int) async throws -> SecretData)? = nil,
        client: @escaping @Sendable (SecretStoreRef) async throws -> any SecretsClient
    ) {
        self.templateEnvironment = templateEnvironment
        self.generate = generate
        self.client = client
    }

    public func fetch(_ es: ExternalSecret) async throws -> FetchResult {
        let skipMissing = (es.spec.target?.deletionPolicy ?? .retain) != .retain
        let defaultStore = es.spec.secretStoreRef ?? SecretStoreRef()
        var result = FetchResult()

        for (index, entry) in (es.spec.dataFrom ?? []).enumerated() {
            let field = "spec.dataFrom[\(index)]"
            if let generatorRef = entry.sourceRef?.generatorRef {
                // A generator makes new values each time it runs: no store, no shared reads, and
                // no "not found" (ESO: a generator is expected to always generate).
                guard let generate else {
                    throw InvalidSpec("\(field).sourceRef.generatorRef: generators are not available here")
                }
                let generated: SecretData
                do {
                    generated = try await generate(generatorRef, index)
                } catch let error as ProviderError {
                    throw ProviderError(error.code, "\(field).sourceRef.generatorRef: \(error.message)")
                }
                let map = try SecretDataPipeline.processGenerated(
                    generated, rewrite: entry.rewrite, index: index, environment: templateEnvironment)
                result.data.merge(map) { _, later in later }
                for key in map.keys { result.generatedKeys[key] = index }
                continue
            }
            let client = try await client(entry.sourceRef?.storeRef ?? defaultStore)
            do {
                let map: SecretData
                if let extract = entry.extract {
                    map = try SecretDataPipeline.processExtract(
                        try await client.getSecretMap(extract), extract: extract, rewrite: entry.rewrite, index: index,
                        environment: templateEnvironment)
                } else if let find = entry.find {
                    map = try SecretDataPipeline.processFind(
                        try await client.getAllSecrets(find), find: find, rewrite: entry.rewrite, index: index,
                        environment: templateEnvironment)
                } else {
                    throw InvalidSpec("\(field) must set extract or find")
                }
                result.data.merge(map) { _, later in later }
                for key in map.keys { result.generatedKeys[key] = nil }
            } catch let error as ProviderError where error.isNotFound && skipMissing {
                result.missing.append("\(field) (\(entry.extract?.key ?? "find"))")
            }
        }

        for (index, entry) in (es.spec.data ?? []).enumerated() {
            let client = try await client(entry.sourceRef?.storeRef ?? defaultStore)
            do {
                let value = try await client.getSecret(entry.remoteRef)
                result.data[entry.secretKey] = try SecretDataPipeline.processData(value, data: entry, index: index)
                result.generatedKeys[entry.secretKey] = nil
            } catch let error as ProviderError where error.isNotFound && skipMissing {
                result.missing.append("spec.data[\(index)] (\(entry.remoteRef.key))")
            }
        }
        return result
    }

}
