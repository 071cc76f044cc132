import ExternalSecretsAPI
import Foundation
import GoCompat
import HTTPSupport
import KubeModel
import ProviderKit

/// `spec.data[].metadata` of a PushSecret entry to an Azure Key Vault store (ESO's
/// `PushSecretMetadataSpec`, kind `PushSecretMetadata`): the secret's expiry, content type and
/// extra tags.
struct AzurePushMetadata: Sendable, Equatable {
    /// Unix seconds (`expirationDate`, RFC 3339).
    var expires: Int64?
    var contentType: String?
    var tags: [String: String] = [:]

    static func parse(_ metadata: JSONValue?) throws(ProviderError) -> AzurePushMetadata {
        guard let metadata, metadata != .null else { return AzurePushMetadata() }
        struct Envelope: Decodable {
            var apiVersion: String?
            var kind: String?
            var spec: Spec?
        }
        struct Spec: Decodable {
            var expirationDate: String?
            var contentType: String?
            var tags: [String: String]?
        }
        let envelope: Envelope
        do {
            envelope = try JSONDecoder().decode(Envelope.self, from: try JSONEncoder().encode(metadata))
        } catch {
            throw .invalidConfiguration("failed to parse push secret metadata: \(error)")
        }
        if let kind = envelope.kind, kind != "PushSecretMetadata" {
            throw .invalidConfiguration("failed to parse push secret metadata: unexpected kind \(GoQuote.quote(kind))")
        }
        var out = AzurePushMetadata()
        if let date = envelope.spec?.expirationDate, !date.isEmpty {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime]
            var parsed = formatter.date(from: date)
            if parsed == nil {
                formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
                parsed = formatter.date(from: date)
            }
            guard let parsed else {
                throw .invalidConfiguration(
                    "error parsing expiration date in metadata: \(GoQuote.quote(date)). Expected format: YYYY-MM-DDTHH:MM:SSZ (RFC3339). Example: 2024-12-31T20:00:00Z"
                )
            }
            out.expires = Int64(parsed.timeIntervalSince1970.rounded(.down))
        }
        if let contentType = envelope.spec?.contentType, !contentType.isEmpty { out.contentType = contentType }
        if let tags = envelope.spec?.tags {
            if tags[PushManagedMarker.key] != nil {
                throw .invalidConfiguration(
                    "error parsing tags in metadata: Cannot specify a '\(PushManagedMarker.key)' tag")
            }
            out.tags = tags
        }
        return out
    }
}

extension AzureKeyVaultClient {
    /// ESO's `setKeyVaultSecret`: a secret that exists without the `managed-by: external-secrets`
    /// tag is refused (`.notManaged`); an unchanged value, expiry and content type write nothing;
    /// otherwise a new version with the managed-by tag, the metadata's tags, `enabled`, the expiry
    /// and the content type (the metadata's, else the existing one). With `target.property`, only
    /// that field of the JSON value is set and the secret's tags are kept. `key/NAME` imports a PEM
    /// private key (RSA or EC) as a JSON Web Key unless Key Vault holds the same public key;
    /// `cert/NAME` imports a PEM certificate with its key unless Key Vault holds the same one.
    func pushSecret(_ value: PushValue, to target: PushTarget) async throws {
        let object = try ObjectRef.parse(target.remoteKey)
        let payload: Data
        switch value {
        case .value(let data): payload = data
        case .allKeys(let all): payload = PushedJSON.textObject(all)
        }
        let meta = try AzurePushMetadata.parse(target.metadata)
        if object.kind != .secret, target.field != nil {
            throw ProviderError.invalidConfiguration(
                "remoteRef.property applies to secrets only, not to \(object.kind.noun) \(GoQuote.quote(object.name))")
        }
        let existing = try await bundleIfPresent(object, version: "")
        if let existing {
            let tags = existing["tags"] as? [String: String] ?? [:]
            guard tags[PushManagedMarker.key] == PushManagedMarker.value else {
                throw ProviderError(
                    .notManaged,
                    "\(object.kind.noun) \(GoQuote.quote(object.name)) in vault \(settings.vaultURL) is not managed by external-secrets"
                )
            }
        }
        var importTags = meta.tags
        importTags[PushManagedMarker.key] = PushManagedMarker.value
        switch object.kind {
        case .secret: break
        case .key:
            let key = try AzureKeyMaterial.jsonWebKey(fromPEM: payload, name: object.name)
            if let held = existing?["key"] as? [String: Any], AzureKeyMaterial.sameKey(key, held) { return }
            let response = try await connection.send(
                requests.importKey(object.name, key: key, tags: importTags), call: .importKey)
            guard (200..<300).contains(response.status.code) else {
                throw AzureErrors.error(
                    response, doing: "could not import key \(GoQuote.quote(object.name)) in vault \(settings.vaultURL)")
            }
            return
        case .certificate:
            let der = try AzureKeyMaterial.certificateDER(fromPEM: payload, name: object.name)
            if let cer = existing?["cer"] as? String, Data(base64Encoded: Self.padded(cer)) == der { return }
            let response = try await connection.send(
                requests.importCertificate(object.name, pem: payload, tags: importTags), call: .importCertificate)
            guard (200..<300).contains(response.status.code) else {
                throw AzureErrors.error(
                    response,
                    doing: "could not import certificate \(GoQuote.quote(object.name)) in vault \(settings.vaultURL)")
            }
            return
        }
        let original = (existing?["value"] as? String).map { Data($0.utf8) }
        let data: Data
        if let property = target.field {
            switch try PushedJSON.setting(property, to: payload, in: original, remoteKey: object.name) {
            case .unchanged: data = original ?? payload
            case .write(let merged): data = merged
            }
        } else {
            data = payload
        }
        let existingContentType = existing?["contentType"] as? String
        let existingExpires = AzureJSON.int64((existing?["attributes"] as? [String: Any])?["exp"])
        let existingTags = existing?["tags"] as? [String: String] ?? [:]
        // A push of one property keeps the secret's other tags; a whole push sets the metadata's.
        var wantedTags = target.field == nil ? meta.tags : existingTags.merging(meta.tags) { _, given in given }
        wantedTags[PushManagedMarker.key] = PushManagedMarker.value
        if existing != nil, original == data, existingExpires == meta.expires,
            meta.contentType == nil || meta.contentType == existingContentType,
            wantedTags.allSatisfy({ existingTags[$0.key] == $0.value })
        {
            return
        }
        let response = try await connection.send(
            requests.setSecret(
                object.name, value: data, contentType: meta.contentType ?? existingContentType, expires: meta.expires,
                tags: wantedTags),
            call: .setSecret)
        guard (200..<300).contains(response.status.code) else {
            throw AzureErrors.error(
                response, doing: "could not set secret \(GoQuote.quote(object.name)) in vault \(settings.vaultURL)")
        }
    }

    /// ESO's `DeleteSecret` for secrets, certificates and keys: a missing object is done; one
    /// without the managed-by tag is left alone (`.notManaged`). With `target.property`, only that
    /// field of a secret's JSON value is removed (a new version), and the secret once none is left.
    func deleteSecret(_ target: PushTarget) async throws {
        let object = try ObjectRef.parse(target.remoteKey)
        guard let existing = try await bundleIfPresent(object, version: "") else { return }
        let tags = existing["tags"] as? [String: String] ?? [:]
        guard tags[PushManagedMarker.key] == PushManagedMarker.value else {
            throw ProviderError(
                .notManaged,
                "\(object.kind.noun) \(GoQuote.quote(object.name)) in vault \(settings.vaultURL) is not managed by external-secrets: not deleted"
            )
        }
        if object.kind == .secret, let property = target.field {
            let original = Data(((existing["value"] as? String) ?? "").utf8)
            guard let remaining = try PushedJSON.removing(property, from: original, remoteKey: object.name) else {
                return
            }
            if !PushedJSON.isEmptyObject(remaining) {
                let attributes = existing["attributes"] as? [String: Any]
                let response = try await connection.send(
                    requests.setSecret(
                        object.name, value: remaining, contentType: existing["contentType"] as? String,
                        expires: AzureJSON.int64(attributes?["exp"]), tags: tags),
                    call: .setSecret)
                guard (200..<300).contains(response.status.code) else {
                    throw AzureErrors.error(
                        response,
                        doing: "could not set secret \(GoQuote.quote(object.name)) in vault \(settings.vaultURL)")
                }
                return
            }
        }
        let call: AzureMetrics.Call =
            switch object.kind {
            case .secret: .deleteSecret
            case .certificate: .deleteCertificate
            case .key: .deleteKey
            }
        let response = try await connection.send(requests.delete(object.kind, object.name), call: call)
        guard (200..<300).contains(response.status.code) || response.status.code == 404 else {
            throw AzureErrors.error(
                response,
                doing: "error deleting \(object.kind.noun) \(GoQuote.quote(object.name)) in vault \(settings.vaultURL)")
        }
    }

    /// ESO's `SecretExists`: whether the secret, certificate or key exists (and, for a secret with
    /// `target.property`, that field of its JSON value).
    func secretExists(_ target: PushTarget) async throws -> Bool {
        let object = try ObjectRef.parse(target.remoteKey)
        guard let existing = try await bundleIfPresent(object, version: "") else { return false }
        guard object.kind == .secret, let property = target.field else { return true }
        return PushedJSON.contains(property, in: Data(((existing["value"] as? String) ?? "").utf8))
    }
}
