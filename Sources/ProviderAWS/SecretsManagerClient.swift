import ExternalSecretsAPI
import Foundation
import GoCompat
import Logging
import ProviderKit

/// Reads AWS Secrets Manager with ESO's semantics.
///
/// - `remoteRef.version`: empty → stage `AWSCURRENT`; `uuid/<id>` → that version id; anything
///   else → that stage (`AWSPREVIOUS`, a custom label).
/// - `property`: a gjson path into the JSON value (a literal key with dots is tried first).
/// - binary secrets (`SecretBinary`) are returned as their bytes.
/// - `metadataPolicy: Fetch`: the secret's tags as a JSON object (DescribeSecret).
/// - `find`: ListSecrets (server-side name-prefix filter for `path`, tag filters for `tags`; exact
///   tag pairs and `name.regexp` checked here), then the values in batches of 20 with
///   BatchGetSecretValue instead of one GetSecretValue per secret (one by one when the
///   credentials may not call BatchGetSecretValue, as ESO's policies need not allow it).
final class SecretsManagerClient: SecretsClient {
    let service: AWSJSONService
    let prefix: String
    let deletion: SecretsManagerDeletion
    private let validation: @Sendable () async throws -> Void
    let logger: Logger
    /// What pushes wrote or found, so an unchanged value costs one call (see `+Push`).
    let pushed = PushedVersions()

    static let targetPrefix = "secretsmanager"
    static let notFoundCodes: Set<String> = ["ResourceNotFoundException"]
    /// BatchGetSecretValue takes at most 20 secret ids.
    static let batchSize = 20

    init(
        http: AWSHTTPClient, prefix: String, deletion: SecretsManagerDeletion = SecretsManagerDeletion(),
        validation: @escaping @Sendable () async throws -> Void, logger: Logger
    ) {
        self.service = AWSJSONService(
            http: http, targetPrefix: Self.targetPrefix,
            errors: AWSErrorMapper(serviceName: "Secrets Manager", region: http.region, iamPrefix: "secretsmanager"))
        self.prefix = prefix
        self.deletion = deletion
        self.validation = validation
        self.logger = logger
    }

    // MARK: - Wire types

    struct GetSecretValueInput: Encodable {
        var secretId: String
        var versionId: String?
        var versionStage: String?
    }

    struct SecretValue: Decodable {
        var name: String?
        var versionId: String?
        var secretString: String?
        var secretBinary: Data?
    }

    struct DescribeSecretInput: Encodable { var secretId: String }

    struct Tag: Codable {
        var key: String
        var value: String?
    }

    struct DescribeSecretOutput: Decodable { var tags: [Tag]? }

    struct Filter: Encodable {
        var key: String
        var values: [String]
    }

    struct ListSecretsInput: Encodable {
        var filters: [Filter]?
        var nextToken: String?
        var maxResults: Int?
    }

    struct ListedSecret: Decodable {
        var name: String?
        var tags: [Tag]?
    }

    struct ListSecretsOutput: Decodable {
        var secretList: [ListedSecret]?
        var nextToken: String?
    }

    struct BatchGetSecretValueInput: Encodable {
        var secretIdList: [String]
        var nextToken: String?
    }

    struct BatchError: Decodable {
        var secretId: String?
        var errorCode: String?
    }

    struct BatchGetSecretValueOutput: Decodable {
        var secretValues: [SecretValue]?
        var errors: [BatchError]?
        var nextToken: String?
    }

    // MARK: - SecretsClient

    func getSecret(_ ref: ExternalSecretDataRemoteRef) async throws -> Data {
        let (key, payload) = try await payload(for: ref)
        guard let property = ref.property, !property.isEmpty else { return payload }
        return try SecretValues.property(property, of: payload, remoteKey: key)
    }

    func getSecretMap(_ ref: ExternalSecretDataRemoteRef) async throws -> SecretData {
        let value = try await getSecret(ref)
        return try SecretValues.explodeJSONObject(value, remoteKey: prefix + ref.key)
    }

    func getAllSecrets(_ find: ExternalSecretFind) async throws -> SecretData {
        let query = try FindQuery(find)
        let (matcher, tags, path) = (query.matcher, query.tags, query.path)
        var filters: [Filter] = []
        for key in tags.keys.sorted() {
            filters.append(Filter(key: "tag-key", values: [key]))
            filters.append(Filter(key: "tag-value", values: [tags[key]!]))
        }
        if let path { filters.append(Filter(key: "name", values: [path])) }

        var names: [String] = []
        var token: String?
        repeat {
            let page: ListSecretsOutput = try await service.call(
                "ListSecrets",
                ListSecretsInput(filters: filters.isEmpty ? nil : filters, nextToken: token, maxResults: 100),
                key: nil)
            for secret in page.secretList ?? [] {
                guard let name = secret.name, matcher.matches(name) else { continue }
                // AWS's name filter is a case-insensitive prefix match; enforce that here too.
                if let path, !name.lowercased().hasPrefix(path.lowercased()) { continue }
                let secretTags = Dictionary(
                    (secret.tags ?? []).map { ($0.key, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
                guard tags.allSatisfy({ secretTags[$0.key] == $0.value }) else { continue }
                names.append(name)
            }
            token = page.nextToken.flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
        logger.debug("secrets manager find matched", metadata: ["count": "\(names.count)"])
        do {
            return try await batchValues(of: names)
        } catch let error as ProviderError where error.code == .accessDenied {
            // ESO reads a name-only find with GetSecretValue per secret, so existing IAM policies
            // may lack secretsmanager:BatchGetSecretValue: read one by one then.
            logger.info(
                "BatchGetSecretValue denied; reading secrets one by one (grant secretsmanager:BatchGetSecretValue to save calls)"
            )
            var found: SecretData = [:]
            for name in names {
                do {
                    found[name] = try await payload(for: ExternalSecretDataRemoteRef(key: name), prefixed: false).1
                } catch let error as ProviderError where error.isNotFound {
                    continue
                }
            }
            return found
        }
    }

    /// The values of `names`, 20 per BatchGetSecretValue call.
    private func batchValues(of names: [String]) async throws -> SecretData {
        var found: SecretData = [:]
        var start = 0
        while start < names.count {
            let chunk = Array(names[start..<min(start + Self.batchSize, names.count)])
            start += Self.batchSize
            var batchToken: String?
            repeat {
                let page: BatchGetSecretValueOutput = try await service.call(
                    "BatchGetSecretValue", BatchGetSecretValueInput(secretIdList: chunk, nextToken: batchToken),
                    key: nil)
                for value in page.secretValues ?? [] {
                    guard let name = value.name,
                        let bytes = value.secretString.map({ Data($0.utf8) }) ?? value.secretBinary
                    else { continue }
                    found[name] = bytes
                }
                for error in page.errors ?? [] where error.errorCode != "ResourceNotFoundException" {
                    // A secret deleted between the listing and the read is skipped; any other
                    // per-secret failure fails the find rather than silently dropping a key.
                    throw service.errors.map(
                        AWSServiceError(code: error.errorCode ?? "BatchError", status: 200, message: nil),
                        operation: "BatchGetSecretValue", key: error.secretId)
                }
                batchToken = page.nextToken.flatMap { $0.isEmpty ? nil : $0 }
            } while batchToken != nil
        }
        return found
    }

    func validate() async throws -> StoreValidationResult {
        do {
            try await validation()
        } catch {
            throw service.errors.map(error, operation: "credentials", key: nil)
        }
        return .ready
    }

    func close() async {}

    // MARK: - Requests

    /// The remote key (prefixed) and the value or tags JSON the reference reads.
    private func payload(for ref: ExternalSecretDataRemoteRef, prefixed: Bool = true) async throws -> (String, Data) {
        guard !ref.key.isEmpty else { throw ProviderError.invalidConfiguration("remoteRef.key must name a secret") }
        let key = prefixed ? prefix + ref.key : ref.key
        if ref.metadataPolicy == .fetch {
            let described: DescribeSecretOutput = try await service.call(
                "DescribeSecret", DescribeSecretInput(secretId: key), key: key, notFound: Self.notFoundCodes)
            let tags = Dictionary(
                (described.tags ?? []).map { ($0.key, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
            return (key, Data(GoJSONString.encodeStringMap(tags.mapValues { Array($0.utf8) }, escapeHTML: true)))
        }
        let input = Self.getSecretValueInput(key: key, version: ref.version)
        let value: SecretValue
        do {
            value = try await service.call("GetSecretValue", input, key: key, notFound: Self.notFoundCodes)
        } catch let error as ProviderError where error.code == .notFound && input.versionStage != "AWSCURRENT" {
            let version = input.versionId ?? input.versionStage ?? ""
            throw ProviderError.notFound("\(error.message) (version \"\(version)\")")
        }
        if let string = value.secretString { return (key, Data(string.utf8)) }
        if let binary = value.secretBinary { return (key, binary) }
        throw ProviderError(.invalidData, "Secrets Manager: \"\(key)\" has neither a string nor a binary value")
    }

    /// ESO's version rule (pure, tested).
    static func getSecretValueInput(key: String, version: String?) -> GetSecretValueInput {
        let version = (version ?? "").isEmpty ? "AWSCURRENT" : version!
        if version.hasPrefix("uuid/") {
            return GetSecretValueInput(secretId: key, versionId: String(version.dropFirst(5)))
        }
        return GetSecretValueInput(secretId: key, versionStage: version)
    }
}
