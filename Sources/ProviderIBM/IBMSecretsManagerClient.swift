import ExternalSecretsAPI
import Foundation
import GoCompat
import HTTPSupport
import Logging
import ProviderKit

/// A client of one IBM Cloud Secrets Manager store (ESO's `providerIBM`): one IAM token session,
/// one HTTP pool, ESO's key formats and per-type mappings.
struct IBMSecretsManagerClient: SecretsClient {
    let settings: IBMStoreSettings
    let requests: IBMRequests
    let connection: IBMConnection
    let shutdown: @Sendable () async throws -> Void
    let logger: Logger

    /// The secret types ESO reads (`sm.Secret_SecretType_*`).
    static let secretTypes = [
        "arbitrary", "username_password", "iam_credentials", "service_credentials", "imported_cert", "public_cert",
        "private_cert", "kv", "custom_credentials",
    ]

    /// A remote key split as ESO's `parseSecretReference` splits it: `NAME_OR_ID` (arbitrary),
    /// `TYPE/NAME_OR_ID` or `GROUP/TYPE/NAME`; any other number of `/` keeps the whole key as the
    /// name of an arbitrary secret.
    struct SecretRef: Sendable, Hashable {
        var group: String
        var type: String
        var name: String

        static func parse(_ key: String) -> SecretRef {
            let parts = key.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            switch parts.count {
            case 2: return SecretRef(group: "", type: parts[0], name: parts[1])
            case 3: return SecretRef(group: parts[0], type: parts[1], name: parts[2])
            default: return SecretRef(group: "", type: "arbitrary", name: key)
            }
        }

        /// Whether `name` is a secret ID: a UUID as Go's `uuid.Parse` reads one (36 characters
        /// with dashes, 32 hex digits, `{...}` or `urn:uuid:...`).
        var isID: Bool { Self.isUUID(name) }

        static func isUUID(_ text: String) -> Bool {
            var body = Substring(text)
            switch text.count {
            case 36: break
            case 38:
                guard text.hasPrefix("{"), text.hasSuffix("}") else { return false }
                body = body.dropFirst().dropLast()
            case 45:
                guard text.lowercased().hasPrefix("urn:uuid:") else { return false }
                body = body.dropFirst(9)
            case 32:
                return text.allSatisfy(\.isHexDigit)
            default: return false
            }
            let characters = Array(body)
            for (index, character) in characters.enumerated() {
                if [8, 13, 18, 23].contains(index) {
                    guard character == "-" else { return false }
                } else if !character.isHexDigit {
                    return false
                }
            }
            return true
        }
    }

    // MARK: - Reads

    func getSecret(_ ref: ExternalSecretDataRemoteRef) async throws -> Data {
        if settings.readMode != .eso { return try await kesValue(ref) }
        let secretRef = SecretRef.parse(ref.key)
        let property = ref.property ?? ""
        try Self.checkTypeAndProperty(secretRef.type, property: property)
        let secret = try await fetch(secretRef, remoteKey: ref.key, version: ref.version)
        return try Self.value(
            of: secret, type: secretRef.type, name: secretRef.name, remoteKey: ref.key, property: property)
    }

    func getSecretMap(_ ref: ExternalSecretDataRemoteRef) async throws -> SecretData {
        try refuseInKESMode("extract")
        let secretRef = SecretRef.parse(ref.key)
        guard Self.secretTypes.contains(secretRef.type) else {
            throw ProviderError.invalidConfiguration("unknown secret type \(secretRef.type)")
        }
        let secret = try await fetch(secretRef, remoteKey: ref.key, version: ref.version)
        return try Self.map(
            of: secret, type: secretRef.type, name: secretRef.name, remoteKey: ref.key, property: ref.property ?? "",
            fetchMetadata: ref.metadataPolicy == .fetch)
    }

    /// Not in ESO (its IBM provider answers "not implemented"); here: every secret whose name
    /// matches `find.name.regexp` (Go regexp, unanchored) and whose labels include `KEY:VALUE` for
    /// each of `find.tags`, in the secret group whose ID is `find.path` when set. Each value is
    /// what `getSecret` of `TYPE/ID` without a property answers; the types that need a property
    /// (`username_password` and certificates) give the JSON object of their `dataFrom.extract`
    /// keys. Keys are the secrets' names; two matched secrets of one name are an error.
    func getAllSecrets(_ find: ExternalSecretFind) async throws -> SecretData {
        try refuseInKESMode("find")
        let matcher = try find.nameMatcher()
        let labels = Self.findLabels(find.tags ?? [:])
        let groups = (find.path).flatMap { $0.isEmpty ? nil : [$0] } ?? []
        var out: SecretData = [:]
        var sources: [String: String] = [:]
        var offset = 0
        while true {
            let response = try await connection.send(
                requests.listSecrets(offset: offset, groups: groups, labels: labels), call: .listSecrets)
            guard (200..<300).contains(response.status.code) else {
                throw IBMErrors.error(
                    response, doing: "unable to list secrets of \(settings.serviceURL)",
                    permission: IBMErrors.listPermission)
            }
            guard case .object(let page)? = try? GoJSONValue.parse(response.body),
                case .array(let items)? = page["secrets"]
            else {
                throw ProviderError(.invalidData, "Secrets Manager answered a secret list that is not JSON")
            }
            for case .object(let item) in items {
                guard case .string(let id)? = item["id"], case .string(let type)? = item["secret_type"],
                    Self.secretTypes.contains(type)
                else { continue }
                let name = Self.string(item["name"]) ?? id
                let itemLabels = Self.strings(item["labels"])
                guard labels.allSatisfy({ itemLabels.contains($0) }) else { continue }
                if let group = groups.first, Self.string(item["secret_group_id"]) != group { continue }
                if let matcher, !matcher.matchString(name) { continue }
                if let other = sources[name] {
                    throw ProviderError(
                        .invalidData, "find matched two secrets named \(GoQuote.quote(name)): \(other) and \(id)")
                }
                sources[name] = id
                let secret = try await fetch(SecretRef(group: "", type: type, name: id), remoteKey: id, version: nil)
                out[name] = try Self.findValue(of: secret, type: type, name: id)
            }
            let total = Self.int(page["total_count"]) ?? 0
            offset += items.count
            if items.isEmpty || offset >= total || page["next"] == nil { break }
        }
        return out
    }

    /// Ready once the store's credentials gave an IAM token (made at client creation), as ESO answers.
    func validate() async throws -> StoreValidationResult { .ready }

    func close() async {
        try? await shutdown()
    }

    // MARK: - Fetching

    /// The secret (with its data) by ID (`GET /api/v2/secrets/ID`) or by group, type and name;
    /// with `version` (a version ID, `current` or `previous`), that version's data over the
    /// secret's fields.
    func fetch(_ ref: SecretRef, remoteKey: String, version: String?) async throws -> [String: GoJSONValue] {
        let request: HTTPRequest
        let call: IBMMetrics.Call
        if ref.isID {
            request = requests.getSecret(id: ref.name)
            call = .getSecret
        } else {
            guard !ref.group.isEmpty else {
                throw ProviderError.invalidConfiguration(
                    "failed to fetch the secret, secret group name is missing (remote key \(GoQuote.quote(remoteKey)): use GROUP/TYPE/NAME or an ID)"
                )
            }
            request = requests.getSecretByName(group: ref.group, type: ref.type, name: ref.name)
            call = .getSecretByNameType
        }
        var secret = try await object(request, call: call, remoteKey: remoteKey)
        if let version, !version.isEmpty, version != "latest" {
            guard case .string(let id)? = secret["id"] else {
                throw ProviderError(
                    .invalidData, "Secrets Manager answered secret \(GoQuote.quote(remoteKey)) without its id")
            }
            let versioned = try await object(
                requests.getVersion(secretID: id, version: version), call: .getSecretVersion,
                remoteKey: "\(remoteKey) version \(version)")
            for (field, value) in versioned where field != "id" && field != "created_at" && field != "created_by" {
                secret[field] = value
            }
        }
        return secret
    }

    func object(_ request: HTTPRequest, call: IBMMetrics.Call, remoteKey: String) async throws
        -> [String: GoJSONValue]
    {
        try parse(try await connection.send(request, call: call), remoteKey: remoteKey)
    }

    /// The secret the service answers, or nil when it answers 404.
    func objectIfPresent(_ request: HTTPRequest, call: IBMMetrics.Call, remoteKey: String) async throws
        -> [String: GoJSONValue]?
    {
        let response = try await connection.send(request, call: call)
        if response.status.code == 404 { return nil }
        return try parse(response, remoteKey: remoteKey)
    }

    /// A secret answer as a JSON object; an error answer as `IBMErrors.error` (404: not found).
    private func parse(_ response: HTTPResponse, remoteKey: String) throws -> [String: GoJSONValue] {
        guard (200..<300).contains(response.status.code) else {
            throw IBMErrors.error(
                response, doing: "unable to get secret \(GoQuote.quote(remoteKey)) from \(settings.serviceURL)",
                permission: IBMErrors.readPermission)
        }
        guard case .object(let object)? = try? GoJSONValue.parse(response.body) else {
            throw ProviderError(
                .invalidData, "Secrets Manager answered secret \(GoQuote.quote(remoteKey)) with no JSON object")
        }
        return object
    }

    // MARK: - Pure mappings (ESO's)

    /// ESO's checks before any request: a known type, and a property for the types that need one.
    static func checkTypeAndProperty(_ type: String, property: String) throws(ProviderError) {
        guard secretTypes.contains(type) else { throw .invalidConfiguration("unknown secret type \(type)") }
        if ["username_password", "imported_cert", "public_cert", "private_cert"].contains(type), property.isEmpty {
            throw .invalidConfiguration("remoteRef.property required for secret type \(type)")
        }
    }

    /// ESO's `getSecretByType` on a fetched secret: `payload` (arbitrary), `api_key`
    /// (iam_credentials), `credentials` as JSON (service_credentials), the field `property`
    /// (username_password, certificates; an imported certificate without intermediate or private
    /// key gives an empty value), `data` or `credentials_content` as JSON, or `property` of it
    /// (kv, custom_credentials).
    static func value(
        of secret: [String: GoJSONValue], type: String, name: String, remoteKey: String, property: String
    ) throws(ProviderError) -> Data {
        switch type {
        case "arbitrary": return try text("payload", of: secret, secret: name)
        case "iam_credentials": return try text("api_key", of: secret, secret: name)
        case "service_credentials":
            guard let credentials = secret["credentials"] else { throw missing("credentials", name) }
            return Data(credentials.marshal(numbers: .float64))
        case "username_password", "public_cert", "private_cert":
            return try text(property, of: secret, secret: remoteKey)
        case "imported_cert":
            if secret[property] == nil, property == "intermediate" || property == "private_key" { return Data() }
            return try text(property, of: secret, secret: remoteKey)
        case "kv", "custom_credentials":
            let json = try structured(secret, type: type, name: name, doing: "GetSecret")
            if property.isEmpty { return json }
            return try SecretValues.property(property, of: json, remoteKey: remoteKey)
        default: throw .invalidConfiguration("unknown secret type \(type)")
        }
    }

    /// ESO's `GetSecretMap` on a fetched secret: the type's keys (`arbitrary`; `username`,
    /// `password`; `apikey`; `credentials`; `certificate`, `intermediate`, `private_key`; the
    /// top-level keys of kv data or custom credentials, or of `property` of them), and with
    /// `metadataPolicy: Fetch` every field of the secret too, as Go's `%v` writes it.
    static func map(
        of secret: [String: GoJSONValue], type: String, name: String, remoteKey: String, property: String,
        fetchMetadata: Bool
    ) throws(ProviderError) -> SecretData {
        let formatted = secret.mapValues { Data($0.formatted().utf8) }
        var out: SecretData = fetchMetadata ? formatted : [:]
        func require(_ fields: [String]) throws(ProviderError) {
            for field in fields where secret[field] == nil { throw missing(field, name) }
        }
        switch type {
        case "arbitrary":
            try require(["payload"])
            out["arbitrary"] = formatted["payload"]
        case "username_password":
            try require(["username", "password"])
            out["username"] = formatted["username"]
            out["password"] = formatted["password"]
        case "iam_credentials":
            try require(["api_key"])
            out["apikey"] = formatted["api_key"]
        case "service_credentials":
            try require(["credentials"])
            out["credentials"] = formatted["credentials"]
        case "imported_cert":
            try require(["certificate"])
            out["certificate"] = formatted["certificate"]
            out["intermediate"] = formatted["intermediate"] ?? Data()
            out["private_key"] = formatted["private_key"] ?? Data()
        case "public_cert":
            try require(["certificate", "intermediate", "private_key"])
            for field in ["certificate", "intermediate", "private_key"] { out[field] = formatted[field] }
        case "private_cert":
            try require(["certificate", "private_key"])
            for field in ["certificate", "private_key"] { out[field] = formatted[field] }
        case "kv", "custom_credentials":
            var json = try structured(secret, type: type, name: name, doing: "GetSecretMap")
            if !property.isEmpty { json = try SecretValues.property(property, of: json, remoteKey: remoteKey) }
            for (key, value) in try SecretValues.explodeJSONObject(json, remoteKey: remoteKey) { out[key] = value }
        default: throw .invalidConfiguration("unknown secret type \(type)")
        }
        return out
    }

    /// A value of `find`: `getSecret` without a property, or for the types that need one the
    /// JSON object of their `dataFrom.extract` keys.
    static func findValue(of secret: [String: GoJSONValue], type: String, name: String) throws(ProviderError) -> Data {
        switch type {
        case "username_password", "imported_cert", "public_cert", "private_cert":
            let fields = try map(
                of: secret, type: type, name: name, remoteKey: name, property: "", fetchMetadata: false)
            let object = GoJSONValue.object(fields.mapValues { .string(String(decoding: $0, as: UTF8.self)) })
            return Data(object.marshal(numbers: .literal))
        default:
            return try value(of: secret, type: type, name: name, remoteKey: name, property: "")
        }
    }

    /// `find.tags` as Secrets Manager labels: `KEY:VALUE` (a tag with an empty value: `KEY`), sorted.
    static func findLabels(_ tags: [String: String]) -> [String] {
        tags.map { $0.value.isEmpty ? $0.key : "\($0.key):\($0.value)" }.sorted()
    }

    /// The JSON text of kv `data` or custom credentials' `credentials_content` (ESO marshals the
    /// SDK's map: keys sorted); the secret must be of that type.
    private static func structured(_ secret: [String: GoJSONValue], type: String, name: String, doing: String)
        throws(ProviderError) -> Data
    {
        let field = type == "kv" ? "data" : "credentials_content"
        guard string(secret["secret_type"]) == type, let content = secret[field] else {
            throw ProviderError(
                .invalidData, "unable to extract the fetched secret \(name) of type \(type) while performing \(doing)")
        }
        return Data(content.marshal(numbers: .float64))
    }

    private static func text(_ field: String, of secret: [String: GoJSONValue], secret name: String)
        throws(ProviderError) -> Data
    {
        switch secret[field] {
        case .string(let text)?: return Data(text.utf8)
        case nil: throw missing(field, name)
        case .some: throw ProviderError(.invalidData, "field \(field) of secret \(name) is not a string")
        }
    }

    private static func missing(_ field: String, _ name: String) -> ProviderError {
        .notFound("key \(field) does not exist in secret \(name)")
    }

    static func string(_ value: GoJSONValue?) -> String? {
        if case .string(let text)? = value { return text }
        return nil
    }

    static func strings(_ value: GoJSONValue?) -> [String] {
        guard case .array(let items)? = value else { return [] }
        return items.compactMap { string($0) }
    }

    static func int(_ value: GoJSONValue?) -> Int? {
        if case .number(let text)? = value { return Int(text) ?? Double(text).map { Int($0) } }
        return nil
    }
}
