import ExternalSecretsAPI
import Foundation
import GoCompat
import HTTPSupport
import Logging
import ProviderKit

/// A client of one Alibaba KMS Secrets Manager store: one credential session, one HTTP pool; ESO
/// 1.x's read semantics, plus find and push (which ESO's provider did not have).
struct AlibabaKMSClient: SecretsClient {
    let settings: AlibabaStoreSettings
    let connection: AlibabaConnection
    let shutdown: @Sendable () async throws -> Void
    let logger: Logger
    /// Version IDs of pushed versions (a fresh one per write; tests pass a fixed sequence).
    let newVersionID: @Sendable () -> String

    /// The stages KMS itself names; a `remoteRef.version` equal to one is read as a stage, any
    /// other as a version ID (ESO reads every version as an ID).
    static let versionStages: Set<String> = ["ACSCurrent", "ACSPrevious", "ACSPending"]

    /// A find reads at most this many ListSecrets pages (100 000 secrets).
    static let maximumPages = 1000

    // MARK: - Reads

    /// ESO's `GetSecret`: `SecretData` of the current version (or `remoteRef.version`), or
    /// `remoteRef.property` of it through gjson. A binary secret arrives as KMS stores it, base64
    /// text, as ESO delivered it (`decodingStrategy: Base64` decodes it).
    func getSecret(_ ref: ExternalSecretDataRemoteRef) async throws -> Data {
        let value = try await secretValue(ref.key, version: ref.version ?? "")
        guard let property = ref.property, !property.isEmpty else {
            guard !value.isEmpty else {
                throw ProviderError(
                    .invalidData, "invalid secret received. no secret string nor binary for key: \(ref.key)")
            }
            return value
        }
        return try SecretValues.property(property, of: value, remoteKey: ref.key)
    }

    /// ESO's `GetSecretMap`: the secret's JSON object exploded into keys.
    func getSecretMap(_ ref: ExternalSecretDataRemoteRef) async throws -> SecretData {
        try SecretValues.explodeJSONObject(try await getSecret(ref), remoteKey: ref.key)
    }

    /// Every secret whose tags include `find.tags` and whose name matches `find.name.regexp` (Go
    /// regexp, unanchored), at its current version. `ListSecrets` pages of 100 with tags; secrets
    /// scheduled for deletion are skipped. KMS has no paths: `find.path` is refused.
    func getAllSecrets(_ find: ExternalSecretFind) async throws -> SecretData {
        if let path = find.path, !path.isEmpty {
            throw ProviderError.unsupported("find.path is not supported by Alibaba KMS: secret names have no paths")
        }
        let matcher = try find.nameMatcher()
        let wanted = find.tags ?? [:]
        var names: [String] = []
        var page = 1
        var seen = 0
        while true {
            let response = try await connection.send(AlibabaRequests.listSecrets(page: page))
            guard (200..<300).contains(response.status.code) else {
                throw AlibabaErrors.error(
                    response, action: "ListSecrets", doing: "unable to list secrets of \(location)")
            }
            let listing = try Self.secretList(response.body)
            for entry in listing.secrets {
                guard entry.plannedDeleteTime.isEmpty else { continue }
                guard wanted.allSatisfy({ entry.tags[$0.key] == $0.value }) else { continue }
                if let matcher, !matcher.matchString(entry.name) { continue }
                names.append(entry.name)
            }
            seen += listing.secrets.count
            // The last page: a short one, or every secret TotalCount announced seen.
            if listing.secrets.count < AlibabaRequests.pageSize || seen >= listing.totalCount { break }
            guard page < Self.maximumPages else {
                throw ProviderError(
                    .invalidData,
                    "KMS of region \(settings.regionID) kept answering ListSecrets pages past page \(page)")
            }
            page += 1
        }
        var out: SecretData = [:]
        for name in names {
            out[name] = try await secretValue(name, version: "")
        }
        return out
    }

    /// Ready once the store's credentials were obtained (made at client creation), as ESO checks.
    func validate() async throws -> StoreValidationResult { .ready }

    func close() async {
        try? await shutdown()
    }

    // MARK: - Calls

    var location: String { "KMS of region \(settings.regionID)" }

    /// `SecretData` of `name` at `version` (empty: current).
    func secretValue(_ name: String, version: String) async throws -> Data {
        guard let value = try await secretValueIfPresent(name, version: version) else {
            throw ProviderError.notFound(
                "secret \(GoQuote.quote(name))\(version.isEmpty ? "" : " version \(version)") not found in \(location)")
        }
        return value
    }

    func secretValueIfPresent(_ name: String, version: String) async throws -> Data? {
        let stage = Self.versionStages.contains(version) ? version : nil
        let response = try await connection.send(
            AlibabaRequests.getSecretValue(name, versionID: stage == nil ? version : nil, versionStage: stage))
        guard (200..<300).contains(response.status.code) else {
            let error = AlibabaErrors.error(
                response, action: "GetSecretValue",
                doing: "error getting secret \(GoQuote.quote(name)) from \(location)")
            if error.isNotFound { return nil }
            throw error
        }
        struct Body: Decodable { var secretData: String? }
        guard let body = try? AlibabaJSON.decode(Body.self, from: response.body) else {
            throw ProviderError(.invalidData, "KMS answered secret \(GoQuote.quote(name)) with no JSON")
        }
        return Data((body.secretData ?? "").utf8)
    }

    /// The secret's tags (`DescribeSecret`), or nil when it does not exist.
    func tagsIfPresent(_ name: String) async throws -> [String: String]? {
        let response = try await connection.send(AlibabaRequests.describeSecret(name))
        guard (200..<300).contains(response.status.code) else {
            let error = AlibabaErrors.error(
                response, action: "DescribeSecret",
                doing: "error describing secret \(GoQuote.quote(name)) in \(location)")
            if error.isNotFound { return nil }
            throw error
        }
        return try Self.tags(response.body)
    }

    // MARK: - Pure mappings

    struct ListedSecret: Sendable, Hashable {
        var name: String
        var tags: [String: String]
        var plannedDeleteTime: String
    }

    /// `ListSecrets`' answer: `SecretList.Secret[]` with `Tags.Tag[]`, and `TotalCount`.
    static func secretList(_ body: [UInt8]) throws(ProviderError) -> (secrets: [ListedSecret], totalCount: Int) {
        struct Secret: Decodable {
            var secretName: String
            var tags: AlibabaJSON.TagList?
            var plannedDeleteTime: String?
        }
        struct List: Decodable { var secret: [Secret]? }
        struct Page: Decodable {
            var secretList: List?
            var totalCount: Int?
        }
        guard let page = try? AlibabaJSON.decode(Page.self, from: body) else {
            throw ProviderError(.invalidData, "KMS answered ListSecrets with no secret list")
        }
        let secrets = (page.secretList?.secret ?? []).map { secret in
            ListedSecret(
                name: secret.secretName, tags: secret.tags?.dictionary ?? [:],
                plannedDeleteTime: secret.plannedDeleteTime ?? "")
        }
        return (secrets, page.totalCount ?? 0)
    }

    /// `DescribeSecret`'s `Tags.Tag[]`.
    static func tags(_ body: [UInt8]) throws(ProviderError) -> [String: String] {
        struct Described: Decodable { var tags: AlibabaJSON.TagList? }
        guard let described = try? AlibabaJSON.decode(Described.self, from: body) else {
            throw ProviderError(.invalidData, "KMS answered DescribeSecret with no JSON")
        }
        return described.tags?.dictionary ?? [:]
    }
}

// MARK: - PushSecret

extension AlibabaKMSClient {
    /// Writes a generic text secret tagged `managed-by: external-secrets`: `CreateSecret` when the
    /// name is free, else `PutSecretValue` (a new version, `ACSCurrent`) when the secret carries the
    /// tag and its current value differs. A secret without the tag is refused (`.notManaged`).
    /// With `target.property`, only that field of the JSON value is set. No metadata is read.
    func pushSecret(_ value: PushValue, to target: PushTarget) async throws {
        let payload: Data
        switch value {
        case .value(let data): payload = data
        case .allKeys(let all): payload = PushedJSON.textObject(all)
        }
        let name = target.remoteKey
        guard let tags = try await tagsIfPresent(name) else {
            let data: Data
            if let property = target.field {
                guard case .write(let merged) = try PushedJSON.setting(property, to: payload, in: nil, remoteKey: name)
                else { return }
                data = merged
            } else {
                data = payload
            }
            let response = try await connection.send(
                AlibabaRequests.createSecret(
                    name, value: data, versionID: newVersionID(),
                    tags: [PushManagedMarker.key: PushManagedMarker.value]))
            guard (200..<300).contains(response.status.code) else {
                throw AlibabaErrors.error(
                    response, action: "CreateSecret",
                    doing: "could not create secret \(GoQuote.quote(name)) in \(location)")
            }
            return
        }
        try requireManaged(tags, name: name, doing: "not changed")
        let current = try await secretValueIfPresent(name, version: "")
        let data: Data
        if let property = target.field {
            switch try PushedJSON.setting(property, to: payload, in: current, remoteKey: name) {
            case .unchanged: return
            case .write(let merged): data = merged
            }
        } else {
            data = payload
        }
        if current == data { return }
        try await put(name, data)
    }

    /// Deletes what `pushSecret` wrote: the field `target.property` (a new version; the secret once
    /// no field is left), or the secret (`DeleteSecret` without recovery window). A missing secret
    /// is done; one without the managed-by tag is left alone (`.notManaged`).
    func deleteSecret(_ target: PushTarget) async throws {
        let name = target.remoteKey
        guard let tags = try await tagsIfPresent(name) else { return }
        try requireManaged(tags, name: name, doing: "not deleted")
        if let property = target.field {
            let current = try await secretValueIfPresent(name, version: "")
            guard let remaining = try PushedJSON.removing(property, from: current, remoteKey: name) else { return }
            if !PushedJSON.isEmptyObject(remaining) {
                try await put(name, remaining)
                return
            }
        }
        let response = try await connection.send(AlibabaRequests.deleteSecret(name))
        guard (200..<300).contains(response.status.code) else {
            let error = AlibabaErrors.error(
                response, action: "DeleteSecret", doing: "error deleting secret \(GoQuote.quote(name)) in \(location)")
            if error.isNotFound { return }
            throw error
        }
    }

    /// Whether the secret (and `target.property` of its JSON value, when set) exists.
    func secretExists(_ target: PushTarget) async throws -> Bool {
        guard let value = try await secretValueIfPresent(target.remoteKey, version: "") else { return false }
        guard let property = target.field else { return true }
        return PushedJSON.contains(property, in: value)
    }

    private func put(_ name: String, _ data: Data) async throws {
        let response = try await connection.send(
            AlibabaRequests.putSecretValue(name, value: data, versionID: newVersionID()))
        guard (200..<300).contains(response.status.code) else {
            throw AlibabaErrors.error(
                response, action: "PutSecretValue", doing: "could not put secret \(GoQuote.quote(name)) in \(location)")
        }
    }

    private func requireManaged(_ tags: [String: String], name: String, doing what: String) throws {
        guard tags[PushManagedMarker.key] == PushManagedMarker.value else {
            throw ProviderError(
                .notManaged, "secret \(GoQuote.quote(name)) in \(location) is not managed by external-secrets: \(what)")
        }
    }
}
