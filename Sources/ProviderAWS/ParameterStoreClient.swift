import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import Logging

/// Reads AWS Systems Manager Parameter Store with ESO's semantics.
///
/// - `remoteRef.version`: a version number or a label, sent as `name:version` (AWS's selector).
/// - values are always decrypted (`WithDecryption`), so SecureString parameters read as text.
/// - `metadataPolicy: Fetch`: the parameter's tags as a JSON object (ListTagsForResource).
/// - `find.name` / `find.path`: GetParametersByPath (recursive, from `path` or `/`), names
///   matched here; when that call is denied, DescribeParameters and GetParameters (10 names a call).
/// - `find.tags`: DescribeParameters with `tag:` filters (and `path`), then GetParameters in
///   batches of 10 instead of one GetParameter per parameter. With `name` as well, both must
///   match (ESO ignores the tags then).
final class ParameterStoreClient: SecretsClient {
    private let http: AWSHTTPClient
    private let prefix: String
    private let errors: AWSErrorMapper
    private let validation: @Sendable () async throws -> Void
    private let logger: Logger

    static let targetPrefix = "AmazonSSM"
    static let notFoundCodes: Set<String> = [
        "ParameterNotFound", "ParameterVersionNotFound", "ParameterVersionLabelNotFound", "InvalidResourceId",
    ]
    static let batchSize = 10

    init(http: AWSHTTPClient, prefix: String, validation: @escaping @Sendable () async throws -> Void, logger: Logger) {
        self.http = http
        self.prefix = prefix
        self.errors = AWSErrorMapper(serviceName: "Parameter Store", region: http.region)
        self.validation = validation
        self.logger = logger
    }

    // MARK: - Wire types

    struct GetParameterInput: Encodable {
        var Name: String
        var WithDecryption = true
    }

    struct Parameter: Decodable {
        var Name: String?
        var Value: String?
    }

    struct GetParameterOutput: Decodable { var Parameter: Parameter? }

    struct GetParametersInput: Encodable {
        var Names: [String]
        var WithDecryption = true
    }

    struct GetParametersOutput: Decodable {
        var Parameters: [Parameter]?
        var InvalidParameters: [String]?
    }

    struct GetParametersByPathInput: Encodable {
        var Path: String
        var Recursive = true
        var WithDecryption = true
        var NextToken: String?
    }

    struct GetParametersByPathOutput: Decodable {
        var Parameters: [Parameter]?
        var NextToken: String?
    }

    struct ParameterStringFilter: Encodable {
        var Key: String
        var Option: String?
        var Values: [String]
    }

    struct DescribeParametersInput: Encodable {
        var ParameterFilters: [ParameterStringFilter]?
        var NextToken: String?
        var MaxResults: Int?
    }

    struct ParameterMetadata: Decodable { var Name: String? }

    struct DescribeParametersOutput: Decodable {
        var Parameters: [ParameterMetadata]?
        var NextToken: String?
    }

    struct ListTagsInput: Encodable {
        var ResourceType = "Parameter"
        var ResourceId: String
    }

    struct Tag: Decodable {
        var Key: String
        var Value: String?
    }

    struct ListTagsOutput: Decodable { var TagList: [Tag]? }

    // MARK: - SecretsClient

    func getSecret(_ ref: ExternalSecretDataRemoteRef) async throws -> Data {
        guard !ref.key.isEmpty else { throw ProviderError.invalidConfiguration("remoteRef.key must name a parameter") }
        let name = prefix + ref.key
        let payload: Data
        if ref.metadataPolicy == .fetch {
            let output: ListTagsOutput = try await call(
                "ListTagsForResource", ListTagsInput(ResourceId: name), key: name, notFound: Self.notFoundCodes)
            let tags = Dictionary(
                (output.TagList ?? []).map { ($0.Key, $0.Value ?? "") }, uniquingKeysWith: { _, last in last })
            payload = GoStringMapJSON.encode(tags)
        } else {
            let selector = Self.selector(name: name, version: ref.version)
            let output: GetParameterOutput = try await call(
                "GetParameter", GetParameterInput(Name: selector), key: selector, notFound: Self.notFoundCodes)
            guard let value = output.Parameter?.Value else {
                throw ProviderError(.invalidData, "Parameter Store: \"\(selector)\" has no value")
            }
            payload = Data(value.utf8)
        }
        guard let property = ref.property, !property.isEmpty else { return payload }
        return try SecretDataPipeline.property(property, of: payload, remoteKey: name)
    }

    func getSecretMap(_ ref: ExternalSecretDataRemoteRef) async throws -> SecretData {
        let value = try await getSecret(ref)
        return try SecretDataPipeline.explodeJSONObject(value, remoteKey: prefix + ref.key)
    }

    func getAllSecrets(_ find: ExternalSecretFind) async throws -> SecretData {
        let matcher = try NameMatcher(find)
        let tags = find.tags ?? [:]
        let path = find.path.flatMap { $0.isEmpty ? nil : $0 }
        guard matcher.isSet || !tags.isEmpty || path != nil else {
            throw ProviderError.invalidConfiguration("find needs name.regexp, tags or path")
        }
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
            ParameterStringFilter(Key: "tag:\($0)", Option: "Equals", Values: [tags[$0]!])
        }
        if let path { filters.append(ParameterStringFilter(Key: "Path", Option: "Recursive", Values: [path])) }
        var names: [String] = []
        var token: String?
        repeat {
            let page: DescribeParametersOutput = try await call(
                "DescribeParameters",
                DescribeParametersInput(ParameterFilters: filters.isEmpty ? nil : filters, NextToken: token, MaxResults: 50),
                key: nil)
            names += (page.Parameters ?? []).compactMap(\.Name).filter(matcher.matches)
            token = page.NextToken.flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
        return try await values(of: names)
    }

    func validate() async throws -> StoreValidationResult {
        do {
            try await validation()
        } catch {
            throw errors.map(error, operation: "credentials", key: nil)
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
            let page: GetParametersByPathOutput = try await call(
                "GetParametersByPath", GetParametersByPathInput(Path: path, NextToken: token), key: path)
            for parameter in page.Parameters ?? [] {
                guard let name = parameter.Name, let value = parameter.Value, matcher.matches(name) else { continue }
                found[name] = Data(value.utf8)
            }
            token = page.NextToken.flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
        return found
    }

    private func values(of names: [String]) async throws -> SecretData {
        var found: SecretData = [:]
        var start = 0
        while start < names.count {
            let chunk = Array(names[start..<min(start + Self.batchSize, names.count)])
            start += Self.batchSize
            let output: GetParametersOutput = try await call("GetParameters", GetParametersInput(Names: chunk), key: nil)
            for parameter in output.Parameters ?? [] {
                guard let name = parameter.Name, let value = parameter.Value else { continue }
                found[name] = Data(value.utf8)
            }
        }
        return found
    }

    private func call<Input: Encodable, Output: Decodable>(
        _ operation: String, _ input: Input, key: String?, notFound: Set<String> = []
    ) async throws -> Output {
        do {
            let data = try await http.callJSON(targetPrefix: Self.targetPrefix, operation: operation, input: input)
            return try JSONDecoder().decode(Output.self, from: data)
        } catch {
            throw errors.map(error, operation: operation, key: key, notFoundCodes: notFound)
        }
    }
}
