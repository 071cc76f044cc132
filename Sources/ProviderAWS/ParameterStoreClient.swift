import ExternalSecretsAPI
import Foundation
import GoCompat
import Logging
import ProviderKit

/// Reads AWS Systems Manager Parameter Store with ESO's semantics.
///
/// - `remoteRef.version`: a version number or a label, sent as `name:version` (AWS's selector).
/// - values are always decrypted (`WithDecryption`), so SecureString parameters read as text.
/// - `metadataPolicy: Fetch`: the parameter's tags as a JSON object (ListTagsForResource).
/// - `find.name` / `find.path`: GetParametersByPath (recursive, from `path` or `/`), names
///   matched here; when that call is denied, DescribeParameters and GetParameters (10 names a call).
/// - `find.tags`: DescribeParameters with `tag:` filters (and `path`), then GetParameters in
///   batches of 10 instead of one GetParameter per parameter (one by one when the credentials may
///   not call GetParameters). With `name` as well, both must
///   match (ESO ignores the tags then).
final class ParameterStoreClient: SecretsClient {
    let service: AWSJSONService
    let prefix: String
    private let validation: @Sendable () async throws -> Void
    let logger: Logger

    static let targetPrefix = "AmazonSSM"
    static let notFoundCodes: Set<String> = [
        "ParameterNotFound", "ParameterVersionNotFound", "ParameterVersionLabelNotFound", "InvalidResourceId",
    ]
    static let batchSize = 10

    init(http: AWSHTTPClient, prefix: String, validation: @escaping @Sendable () async throws -> Void, logger: Logger) {
        self.service = AWSJSONService(
            http: http, targetPrefix: Self.targetPrefix,
            errors: AWSErrorMapper(serviceName: "Parameter Store", region: http.region, iamPrefix: "ssm"))
        self.prefix = prefix
        self.validation = validation
        self.logger = logger
    }

    // MARK: - Wire types

    struct GetParameterInput: Encodable {
        var name: String
        var withDecryption = true
    }

    struct Parameter: Decodable {
        var name: String?
        var value: String?
        var type: String?
    }

    struct GetParameterOutput: Decodable { var parameter: Parameter? }

    struct GetParametersInput: Encodable {
        var names: [String]
        var withDecryption = true
    }

    struct GetParametersOutput: Decodable {
        var parameters: [Parameter]?
        var invalidParameters: [String]?
    }

    struct GetParametersByPathInput: Encodable {
        var path: String
        var recursive = true
        var withDecryption = true
        var nextToken: String?
    }

    struct GetParametersByPathOutput: Decodable {
        var parameters: [Parameter]?
        var nextToken: String?
    }

    struct ParameterStringFilter: Encodable {
        var key: String
        var option: String?
        var values: [String]
    }

    struct DescribeParametersInput: Encodable {
        var parameterFilters: [ParameterStringFilter]?
        var nextToken: String?
        var maxResults: Int?
    }

    struct ParameterMetadata: Decodable { var name: String? }

    struct DescribeParametersOutput: Decodable {
        var parameters: [ParameterMetadata]?
        var nextToken: String?
    }

    struct ListTagsInput: Encodable {
        var resourceType = "Parameter"
        var resourceId: String
    }

    struct Tag: Codable {
        var key: String
        var value: String?
    }

    struct ListTagsOutput: Decodable { var tagList: [Tag]? }

    // MARK: - SecretsClient

    func getSecret(_ ref: ExternalSecretDataRemoteRef) async throws -> Data {
        guard !ref.key.isEmpty else { throw ProviderError.invalidConfiguration("remoteRef.key must name a parameter") }
        let name = prefix + ref.key
        let payload: Data
        if ref.metadataPolicy == .fetch {
            let output: ListTagsOutput = try await service.call(
                "ListTagsForResource", ListTagsInput(resourceId: name), key: name, notFound: Self.notFoundCodes)
            let tags = Dictionary(
                (output.tagList ?? []).map { ($0.key, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
            payload = Data(GoJSONString.encodeStringMap(tags.mapValues { Array($0.utf8) }, escapeHTML: true))
        } else {
            let selector = Self.selector(name: name, version: ref.version)
            let output: GetParameterOutput = try await service.call(
                "GetParameter", GetParameterInput(name: selector), key: selector, notFound: Self.notFoundCodes)
            guard let value = output.parameter?.value else {
                throw ProviderError(.invalidData, "Parameter Store: \"\(selector)\" has no value")
            }
            payload = Data(value.utf8)
        }
        guard let property = ref.property, !property.isEmpty else { return payload }
        return try SecretValues.property(property, of: payload, remoteKey: name)
    }

    func getSecretMap(_ ref: ExternalSecretDataRemoteRef) async throws -> SecretData {
        let value = try await getSecret(ref)
        return try SecretValues.explodeJSONObject(value, remoteKey: prefix + ref.key)
    }

    func getAllSecrets(_ find: ExternalSecretFind) async throws -> SecretData {
        let query = try FindQuery(find)
        let (matcher, tags, path) = (query.matcher, query.tags, query.path)
        if tags.isEmpty {
            do {
                return try await byPath(path ?? "/", matcher: matcher)
            } catch let error as ProviderError where error.code == .accessDenied {
                logger.info(
                    "GetParametersByPath denied; falling back to DescribeParameters (grant ssm:GetParametersByPath to save calls)",
                    metadata: ["path": "\(path ?? "/")"])
            }
        }
        var filters: [ParameterStringFilter] = tags.keys.sorted().map {
            ParameterStringFilter(key: "tag:\($0)", option: "Equals", values: [tags[$0]!])
        }
        if let path { filters.append(ParameterStringFilter(key: "Path", option: "Recursive", values: [path])) }
        var names: [String] = []
        var token: String?
        repeat {
            let page: DescribeParametersOutput = try await service.call(
                "DescribeParameters",
                DescribeParametersInput(
                    parameterFilters: filters.isEmpty ? nil : filters, nextToken: token, maxResults: 50),
                key: nil)
            names += (page.parameters ?? []).compactMap(\.name).filter(matcher.matches)
            token = page.nextToken.flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
        return try await values(of: names)
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

    /// `name:version` (a version number or a label), or the name alone (pure, tested).
    static func selector(name: String, version: String?) -> String {
        guard let version, !version.isEmpty else { return name }
        return "\(name):\(version)"
    }

    private func byPath(_ path: String, matcher: NameMatcher) async throws -> SecretData {
        var found: SecretData = [:]
        var token: String?
        repeat {
            let page: GetParametersByPathOutput = try await service.call(
                "GetParametersByPath", GetParametersByPathInput(path: path, nextToken: token), key: path)
            for parameter in page.parameters ?? [] {
                guard let name = parameter.name, let value = parameter.value, matcher.matches(name) else { continue }
                found[name] = Data(value.utf8)
            }
            token = page.nextToken.flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
        return found
    }

    private func values(of names: [String]) async throws -> SecretData {
        do {
            return try await batchValues(of: names)
        } catch let error as ProviderError where error.code == .accessDenied {
            // ESO reads these with GetParameter one by one, so existing IAM policies may lack
            // ssm:GetParameters: do the same then.
            logger.info("GetParameters denied; reading parameters one by one (grant ssm:GetParameters to save calls)")
            var found: SecretData = [:]
            for name in names {
                do {
                    let output: GetParameterOutput = try await service.call(
                        "GetParameter", GetParameterInput(name: name), key: name, notFound: Self.notFoundCodes)
                    if let value = output.parameter?.value { found[name] = Data(value.utf8) }
                } catch let error as ProviderError where error.isNotFound {
                    continue
                }
            }
            return found
        }
    }

    /// The values of `names`, 10 per GetParameters call.
    private func batchValues(of names: [String]) async throws -> SecretData {
        var found: SecretData = [:]
        var start = 0
        while start < names.count {
            let chunk = Array(names[start..<min(start + Self.batchSize, names.count)])
            start += Self.batchSize
            let output: GetParametersOutput = try await service.call(
                "GetParameters", GetParametersInput(names: chunk), key: nil)
            for parameter in output.parameters ?? [] {
                guard let name = parameter.name, let value = parameter.value else { continue }
                found[name] = Data(value.utf8)
            }
        }
        return found
    }
}
