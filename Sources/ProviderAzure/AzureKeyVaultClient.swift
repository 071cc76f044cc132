import ExternalSecretsAPI
import Foundation
import GoCompat
import HTTPSupport
import Logging
import ProviderKit

/// A client of one Azure Key Vault store (ESO's `keyvault.Azure`): one token session, one HTTP
/// pool, ESO's read, find and push semantics for secrets, certificates and keys.
struct AzureKeyVaultClient: SecretsClient {
    let settings: AzureStoreSettings
    let requests: AzureRequests
    let connection: AzureConnection
    let shutdown: @Sendable () async throws -> Void
    let logger: Logger

    /// A remote key split as ESO's `getObjType` splits it: `secret/NAME`, `cert/NAME`, `key/NAME`
    /// or `NAME` (a secret).
    struct ObjectRef: Sendable, Hashable {
        var kind: AzureRequests.ObjectKind
        var name: String

        static func parse(_ key: String) throws(ProviderError) -> ObjectRef {
            let parts = key.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard parts.count > 1 else { return ObjectRef(kind: .secret, name: key) }
            guard let kind = AzureRequests.ObjectKind(rawValue: parts[0]) else {
                throw .invalidConfiguration("unknown Azure Keyvault object Type for \(parts[1])")
            }
            return ObjectRef(kind: kind, name: parts[1])
        }
    }

    // MARK: - Reads

    func getSecret(_ ref: ExternalSecretDataRemoteRef) async throws -> Data {
        let object = try ObjectRef.parse(ref.key)
        let bundle = try await self.bundle(object, version: ref.version ?? "")
        if ref.metadataPolicy == .fetch {
            return try Self.tag(ref.property ?? "", in: Self.allMetadata(bundle))
        }
        let property = ref.property ?? ""
        switch object.kind {
        case .secret:
            let value = Data(((bundle["value"] as? String) ?? "").utf8)
            return try property.isEmpty ? value : SecretValues.property(property, of: value, remoteKey: ref.key)
        case .certificate:
            guard let cer = bundle["cer"] as? String, let der = Data(base64Encoded: Self.padded(cer)) else {
                throw ProviderError(
                    .invalidData, "Key Vault answered certificate \(GoQuote.quote(object.name)) without its DER")
            }
            return der
        case .key:
            let key = Self.jsonWebKey(bundle["key"] as? [String: Any] ?? [:])
            return try property.isEmpty ? key : SecretValues.property(property, of: key, remoteKey: ref.key)
        }
    }

    func getSecretMap(_ ref: ExternalSecretDataRemoteRef) async throws -> SecretData {
        let object = try ObjectRef.parse(ref.key)
        switch object.kind {
        case .certificate: throw ProviderError.unsupported("cannot get use dataFrom to get certificate secret")
        case .key: throw ProviderError.unsupported("cannot get use dataFrom to get key secret")
        case .secret: break
        }
        let data = try await getSecret(ref)
        guard ref.metadataPolicy == .fetch else { return try SecretValues.explodeJSONObject(data, remoteKey: ref.key) }
        // ESO's getSecretTags + getSecretMapProperties: tags as NAME_TAG (JSON tags exploded as
        // NAME_TAG_KEY) and the attributes as NAME_attribute.X.
        let bundle = (try? await self.bundle(object, version: ref.version ?? "")) ?? [:]
        let tags = Self.exploded(Self.allMetadata(bundle, attributePrefix: "\(object.name)_"), name: object.name)
        if let property = ref.property, !property.isEmpty {
            let key = "\(ref.key)_\(property)"
            return [key: (try? Self.tag(key, in: tags)) ?? Data()]
        }
        return tags.mapValues { Data($0.utf8) }
    }

    /// ESO's find: every enabled secret whose tags include `find.tags` and whose name matches
    /// `find.name.regexp` (Go regexp, unanchored), read at its latest version. Pages follow
    /// `nextLink` (only within the vault).
    func getAllSecrets(_ find: ExternalSecretFind) async throws -> SecretData {
        let matcher = try find.nameMatcher()
        let tags = find.tags ?? [:]
        var out: SecretData = [:]
        var nextLink: String?
        repeat {
            let response = try await connection.send(requests.listSecrets(nextLink: nextLink), call: .getSecrets)
            guard (200..<300).contains(response.status.code) else {
                throw AzureErrors.error(response, doing: "unable to list secrets of vault \(settings.vaultURL)")
            }
            let page = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
            for item in page["value"] as? [[String: Any]] ?? [] {
                guard let id = item["id"] as? String,
                    AzureJSON.bool((item["attributes"] as? [String: Any])?["enabled"]) ?? false
                else { continue }
                let itemTags = item["tags"] as? [String: String] ?? [:]
                guard tags.allSatisfy({ itemTags[$0.key] == $0.value }) else { continue }
                let name = String(id.split(separator: "/").last ?? "")
                if let matcher, !matcher.matchString(name) { continue }
                let bundle = try await self.bundle(ObjectRef(kind: .secret, name: name), version: "")
                out[name] = Data(((bundle["value"] as? String) ?? "").utf8)
            }
            nextLink = (page["nextLink"] as? String).flatMap { $0.isEmpty ? nil : $0 }
            if let link = nextLink, !Self.isSameOrigin(link, as: settings.vaultURL) {
                throw ProviderError(
                    .invalidData, "Key Vault \(settings.vaultURL) answered a nextLink outside the vault")
            }
        } while nextLink != nil
        return out
    }

    /// Ready once the store's credentials gave a token (made at client creation), as ESO answers.
    func validate() async throws -> StoreValidationResult { .ready }

    func close() async {
        try? await shutdown()
    }

    // MARK: - Objects

    /// The secret, certificate or key bundle; a 404 is `ProviderError.notFound`.
    func bundle(_ object: ObjectRef, version: String) async throws -> [String: Any] {
        guard let bundle = try await bundleIfPresent(object, version: version) else {
            throw ProviderError.notFound(
                "\(object.kind.noun) \(GoQuote.quote(object.name))\(version.isEmpty ? "" : " version \(version)") not found in vault \(settings.vaultURL)"
            )
        }
        return bundle
    }

    /// The bundle, or nil when Key Vault answers 404.
    func bundleIfPresent(_ object: ObjectRef, version: String) async throws -> [String: Any]? {
        let call: AzureMetrics.Call =
            switch object.kind {
            case .secret: .getSecret
            case .certificate: .getCertificate
            case .key: .getKey
            }
        let response = try await connection.send(requests.get(object.kind, object.name, version: version), call: call)
        if response.status.code == 404 { return nil }
        guard (200..<300).contains(response.status.code) else {
            throw AzureErrors.error(
                response,
                doing: "unable to get \(object.kind.noun) \(GoQuote.quote(object.name)) from vault \(settings.vaultURL)"
            )
        }
        guard let bundle = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] else {
            throw ProviderError(
                .invalidData, "Key Vault answered \(object.kind.noun) \(GoQuote.quote(object.name)) with no JSON")
        }
        return bundle
    }

    // MARK: - Pure mappings (ESO's)

    /// ESO's `getSecretAllMetadata`: the tags, plus `attribute.expires`, `attribute.created`,
    /// `attribute.updated` and `attribute.notBefore` as RFC 3339 UTC times.
    static func allMetadata(_ bundle: [String: Any], attributePrefix: String = "") -> [String: String] {
        var out = bundle["tags"] as? [String: String] ?? [:]
        let attributes = bundle["attributes"] as? [String: Any] ?? [:]
        for (field, name) in [("exp", "expires"), ("created", "created"), ("updated", "updated"), ("nbf", "notBefore")]
        {
            guard let seconds = AzureJSON.int64(attributes[field]) else { continue }
            out["\(attributePrefix)attribute.\(name)"] = rfc3339(seconds)
        }
        return out
    }

    /// ESO's `getSecretTags` naming: tags become `NAME_TAG`; a tag holding a JSON object of
    /// strings becomes `NAME_TAG_KEY` per key. Attributes arrive already prefixed.
    static func exploded(_ metadata: [String: String], name: String) -> [String: String] {
        var out: [String: String] = [:]
        for (tag, value) in metadata {
            if tag.hasPrefix("\(name)_attribute.") {
                out[tag] = value
                continue
            }
            let prefixed = "\(name)_\(tag)"
            if case .object(let fields)? = try? GoJSONValue.parse(Array(value.utf8)),
                fields.values.allSatisfy({ if case .string = $0 { true } else { false } })
            {
                for (key, field) in fields { if case .string(let text) = field { out["\(prefixed)_\(key)"] = text } }
            } else {
                out[prefixed] = value
            }
        }
        return out
    }

    /// ESO's `getSecretTag`: every tag as a JSON object (property empty), one tag, or a gjson
    /// path into a tag holding JSON (`TAG.path`).
    static func tag(_ property: String, in tags: [String: String]) throws(ProviderError) -> Data {
        if property.isEmpty {
            return Data(GoJSONValue.object(tags.mapValues { .string($0) }).marshal(numbers: .literal))
        }
        if let value = tags[property] { return Data(value.utf8) }
        if let dot = property.firstIndex(of: "."), dot != property.startIndex {
            let name = String(property[..<dot])
            if let value = tags[name] {
                let path = String(property[property.index(after: dot)...])
                return try SecretValues.property(path, of: Data(value.utf8), remoteKey: property)
            }
        }
        throw .notFound("tag \(property) does not exist")
    }

    /// A key bundle's `key` as Go's `json.Marshal` of `keyvault.JSONWebKey` writes it: fields in
    /// the struct's order, absent ones left out.
    static func jsonWebKey(_ key: [String: Any]) -> Data {
        var parts: [String] = []
        for field in [
            "kid", "kty", "key_ops", "n", "e", "d", "dp", "dq", "qi", "p", "q", "k", "key_hsm", "crv", "x", "y",
        ] {
            guard let value = key[field] else { continue }
            let json: GoJSONValue
            switch value {
            case let text as String: json = .string(text)
            case let list as [String]: json = .array(list.map { .string($0) })
            default: continue
            }
            parts.append("\"\(field)\":" + String(decoding: json.marshal(numbers: .literal), as: UTF8.self))
        }
        return Data(("{" + parts.joined(separator: ",") + "}").utf8)
    }

    /// Whether `link` is on the vault's scheme, host and port. Key Vault writes the default port
    /// out (`https://NAME.vault.azure.net:443/secrets?...`), so ports are compared as numbers.
    static func isSameOrigin(_ link: String, as vault: String) -> Bool {
        guard let target = URLComponents(string: link), let origin = URLComponents(string: vault),
            let scheme = target.scheme?.lowercased(), scheme == origin.scheme?.lowercased(),
            let host = target.host?.lowercased(), host == origin.host?.lowercased()
        else { return false }
        let defaultPort = scheme == "https" ? 443 : 80
        return (target.port ?? defaultPort) == (origin.port ?? defaultPort)
    }

    static func rfc3339(_ seconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    static func padded(_ base64: String) -> String {
        let standard = base64.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        return standard + String(repeating: "=", count: (4 - standard.count % 4) % 4)
    }
}

/// Reading numbers and booleans out of `JSONSerialization` answers, whichever Foundation type
/// carries them on this platform.
enum AzureJSON {
    static func int64(_ value: Any?) -> Int64? {
        switch value {
        case let number as Int: Int64(number)
        case let number as Int64: number
        case let number as Double: Int64(number)
        case let number as NSNumber: number.int64Value
        default: nil
        }
    }

    static func bool(_ value: Any?) -> Bool? {
        switch value {
        case let flag as Bool: flag
        case let number as NSNumber: number.boolValue
        default: nil
        }
    }
}
