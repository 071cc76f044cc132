import ExternalSecretsAPI
import Foundation
import GoCompat
import HTTPSupport
import Logging
import ProviderKit

/// A client of one GCP Secret Manager store (ESO's `secretmanager.Client`): one token session, one
/// HTTP pool, ESO's read, find and push semantics.
struct GCPSecretsClient: SecretsClient {
    let settings: GCPStoreSettings
    let requests: GCPRequests
    let connection: GCPConnection
    let shutdown: @Sendable () async throws -> Void
    let logger: Logger

    // MARK: - Reads

    func getSecret(_ ref: ExternalSecretDataRemoteRef) async throws -> Data {
        guard !settings.projectID.isEmpty else {
            throw ProviderError.invalidConfiguration("provider GCP is not initialized")
        }
        if ref.metadataPolicy == .fetch { return try await metadata(ref) }
        let payload = try await accessPayload(ref.key, version: ref.version ?? "")
        guard let property = ref.property, !property.isEmpty else { return payload }
        guard (try? GoJSONValue.parse(Array(payload))) != nil else {
            throw ProviderError(.invalidData, "unable to unmarshal secret from JSON: secret \(GoQuote.quote(ref.key))")
        }
        return try SecretValues.property(property, of: payload, remoteKey: ref.key)
    }

    func getSecretMap(_ ref: ExternalSecretDataRemoteRef) async throws -> SecretData {
        let data = try await getSecret(ref)
        return try SecretValues.explodeJSONObject(data, remoteKey: ref.key)
    }

    /// ESO's `findByName` (a regexp over secret IDs, `path` as a name filter and prefix) or
    /// `findByTags` (label equality, `path` likewise); each match read at its latest version.
    func getAllSecrets(_ find: ExternalSecretFind) async throws -> SecretData {
        var terms: [String] = []
        let matcher: GoRegexp?
        if let name = find.name {
            do {
                matcher = try GoRegexp(name.regexp ?? "")
            } catch {
                throw ProviderError.invalidConfiguration("find.name.regexp: \(error)")
            }
        } else if let tags = find.tags, !tags.isEmpty {
            matcher = nil
            terms = tags.sorted { $0.key < $1.key }.map { "labels.\($0.key)=\($0.value)" }
        } else {
            throw ProviderError.invalidConfiguration("unexpected find operator")
        }
        let path = find.path.flatMap { $0.isEmpty ? nil : $0 }
        if let path { terms.append("name:\(path)") }
        var out: SecretData = [:]
        var pageToken: String?
        repeat {
            let page = try await listSecrets(filter: terms.joined(separator: " "), pageToken: pageToken)
            for name in page.names {
                let key = Self.secretID(of: name)
                if let matcher, !matcher.matchString(key) { continue }
                if let path, !key.hasPrefix(path) { continue }
                out[key] = try await getSecret(ExternalSecretDataRemoteRef(key: key))
            }
            pageToken = page.next
        } while pageToken != nil
        return out
    }

    /// Ready once the store's credentials gave a token (made at client creation), as ESO answers.
    func validate() async throws -> StoreValidationResult { .ready }

    func close() async {
        try? await shutdown()
    }

    // MARK: - Versions

    /// The payload of `key` at `version` (empty: `latest`), with ESO's `LatestOrFetch` fallback to
    /// the newest enabled version when `latest` is disabled or destroyed.
    func accessPayload(_ key: String, version: String) async throws -> Data {
        let response = try await connection.send(
            requests.access(key, version: version.isEmpty ? "latest" : version), call: .accessSecretVersion)
        var answer = response
        if response.status.code == 400, version.isEmpty, settings.versionSelection == .latestOrFetch,
            GCPErrors.isDisabledOrDestroyed(response)
        {
            answer = try await latestEnabledVersion(key)
        }
        guard (200..<300).contains(answer.status.code) else {
            throw GCPErrors.error(answer, doing: "unable to access Secret \(GoQuote.quote(key)) from SecretManager")
        }
        return try Self.payload(of: answer, key: key)
    }

    static func payload(of response: HTTPResponse, key: String) throws -> Data {
        struct Access: Decodable {
            struct Payload: Decodable { var data: String? }
            var payload: Payload?
        }
        guard let access = try? JSONDecoder().decode(Access.self, from: Data(response.body)) else {
            throw ProviderError(.invalidData, "Secret Manager answered an access of \(GoQuote.quote(key)) with no JSON")
        }
        guard let text = access.payload?.data, !text.isEmpty, let data = Data(base64Encoded: text) else {
            throw ProviderError(.invalidData, "invalid secret received. no secret string for key: \(key)")
        }
        return data
    }

    /// ESO's `getLatestEnabledVersion`: the enabled version created last, else `latest`.
    func latestEnabledVersion(_ key: String) async throws -> HTTPResponse {
        struct Versions: Decodable {
            struct Version: Decodable {
                var name: String
                var createTime: String?
            }
            var versions: [Version]?
            var nextPageToken: String?
        }
        var newest: (name: String, created: String)?
        var pageToken: String?
        repeat {
            let response = try await connection.send(
                requests.listEnabledVersions(key, pageToken: pageToken), call: .listSecretVersions)
            guard (200..<300).contains(response.status.code) else { return response }
            let page = try? JSONDecoder().decode(Versions.self, from: Data(response.body))
            for version in page?.versions ?? [] {
                // RFC 3339 timestamps in UTC with the same precision compare as text.
                let created = version.createTime ?? ""
                if newest == nil || created > newest!.created { newest = (version.name, created) }
            }
            pageToken = page?.nextPageToken.flatMap { $0.isEmpty ? nil : $0 }
        } while pageToken != nil
        if let newest {
            return try await connection.send(requests.access(versionName: newest.name), call: .accessSecretVersion)
        }
        return try await connection.send(requests.access(key, version: "latest"), call: .accessSecretVersion)
    }

    // MARK: - Secrets

    struct SecretResource: Decodable, Sendable {
        var name: String
        var etag: String?
        var labels: [String: String]?
        var annotations: [String: String]?
        var topics: [Topic]?

        struct Topic: Decodable, Sendable { var name: String }
    }

    /// The secret resource, or nil when it does not exist.
    func secretResource(_ key: String) async throws -> SecretResource? {
        let response = try await connection.send(requests.getSecret(key), call: .getSecret)
        if response.status.code == 404 { return nil }
        guard (200..<300).contains(response.status.code) else {
            throw GCPErrors.error(response, doing: "unable to get Secret \(GoQuote.quote(key))")
        }
        guard let secret = try? JSONDecoder().decode(SecretResource.self, from: Data(response.body)) else {
            throw ProviderError(.invalidData, "Secret Manager answered for \(GoQuote.quote(key)) with no secret")
        }
        return secret
    }

    private func listSecrets(filter: String, pageToken: String?) async throws -> (names: [String], next: String?) {
        struct Page: Decodable {
            struct Secret: Decodable { var name: String }
            var secrets: [Secret]?
            var nextPageToken: String?
        }
        let response = try await connection.send(
            requests.listSecrets(filter: filter, pageToken: pageToken), call: .listSecrets)
        guard (200..<300).contains(response.status.code) else {
            throw GCPErrors.error(response, doing: "failed to list secrets")
        }
        let page = try? JSONDecoder().decode(Page.self, from: Data(response.body))
        return ((page?.secrets ?? []).map(\.name), page?.nextPageToken.flatMap { $0.isEmpty ? nil : $0 })
    }

    /// The secret ID of a resource name (`projects/N[/locations/L]/secrets/ID`; ESO's `trimName`).
    static func secretID(of name: String) -> String {
        guard let range = name.range(of: "/secrets/") else { return name }
        return String(name[range.upperBound...])
    }

    /// `metadataPolicy: Fetch`: the secret's labels and annotations, as ESO's `getSecretMetadata`.
    private func metadata(_ ref: ExternalSecretDataRemoteRef) async throws -> Data {
        guard let secret = try await secretResource(ref.key) else {
            throw ProviderError.notFound(
                "unable to access Secret \(GoQuote.quote(ref.key)) from SecretManager: not found")
        }
        let annotations = secret.annotations ?? [:]
        let labels = secret.labels ?? [:]
        let property = ref.property ?? ""
        func json(_ map: [String: String]) -> Data {
            Data(GoJSONValue.object(map.mapValues { .string($0) }).marshal(numbers: .literal))
        }
        if property.hasPrefix("annotations."), property.count > "annotations.".count {
            let name = String(property.dropFirst("annotations.".count))
            guard let value = annotations[name] else {
                throw ProviderError.notFound("annotation with key \(name) does not exist in secret \(ref.key)")
            }
            return Data(value.utf8)
        }
        if property.hasPrefix("labels."), property.count > "labels.".count {
            let name = String(property.dropFirst("labels.".count))
            guard let value = labels[name] else {
                throw ProviderError.notFound("label with key \(name) does not exist in secret \(ref.key)")
            }
            return Data(value.utf8)
        }
        switch property {
        case "annotations": return json(annotations)
        case "labels": return json(labels)
        case "":
            let both = GoJSONValue.object([
                "annotations": .object(annotations.mapValues { .string($0) }),
                "labels": .object(labels.mapValues { .string($0) }),
            ])
            return Data(both.marshal(numbers: .literal))
        default:
            throw ProviderError.invalidConfiguration(
                "invalid property \(property): metadata property should start with either annotations or labels")
        }
    }
}
