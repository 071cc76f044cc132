import ExternalSecretsAPI
import Foundation
import GoCompat
import HTTPSupport
import KubeModel
import ProviderKit

/// `spec.data[].metadata` of a PushSecret entry to a GCP store (ESO's `PushSecretMetadataSpec`,
/// kind `PushSecretMetadata`): labels, annotations and topics of the remote secret, how labels
/// merge, and the replication a new global secret gets.
struct GCPPushMetadata: Sendable, Equatable {
    var labels: [String: String] = [:]
    var annotations: [String: String] = [:]
    var topics: [String] = []
    /// `Replace` (default) or `Merge` (existing labels kept).
    var mergeLabels = false
    var cmekKeyName = ""
    var replicationLocations: [String] = []

    static func parse(_ metadata: JSONValue?) throws(ProviderError) -> GCPPushMetadata {
        guard let metadata, metadata != .null else { return GCPPushMetadata() }
        struct Envelope: Decodable {
            var apiVersion: String?
            var kind: String?
            var spec: Spec?
        }
        struct Spec: Decodable {
            var annotations: [String: String]?
            var labels: [String: String]?
            var topics: [String]?
            var mergePolicy: String?
            var cmekKeyName: String?
            var replicationLocation: String?
            var replicationLocations: [String]?
        }
        let envelope: Envelope
        do {
            envelope = try JSONDecoder().decode(Envelope.self, from: try JSONEncoder().encode(metadata))
        } catch {
            throw .invalidConfiguration("failed to parse PushSecret metadata: \(error)")
        }
        if let kind = envelope.kind, kind != "PushSecretMetadata" {
            throw .invalidConfiguration("failed to parse PushSecret metadata: unexpected kind \(GoQuote.quote(kind))")
        }
        let spec = envelope.spec
        if let policy = spec?.mergePolicy, !policy.isEmpty, policy != "Replace", policy != "Merge" {
            throw .invalidConfiguration("failed to parse PushSecret metadata: mergePolicy must be Replace or Merge")
        }
        var locations = spec?.replicationLocations ?? []
        if locations.isEmpty, let one = spec?.replicationLocation, !one.isEmpty { locations = [one] }
        return GCPPushMetadata(
            labels: spec?.labels ?? [:], annotations: spec?.annotations ?? [:], topics: spec?.topics ?? [],
            mergeLabels: spec?.mergePolicy == "Merge", cmekKeyName: spec?.cmekKeyName ?? "",
            replicationLocations: locations)
    }

    /// ESO's `buildReplication`: user-managed replicas where locations are given, else automatic;
    /// a customer-managed key on either.
    var replication: GoJSONValue {
        let cmek: GoJSONValue? = cmekKeyName.isEmpty ? nil : .object(["kmsKeyName": .string(cmekKeyName)])
        if replicationLocations.isEmpty {
            return .object(["automatic": .object(cmek.map { ["customerManagedEncryption": $0] } ?? [:])])
        }
        let replicas = replicationLocations.map { location -> GoJSONValue in
            var replica: [String: GoJSONValue] = ["location": .string(location)]
            if let cmek { replica["customerManagedEncryption"] = cmek }
            return .object(replica)
        }
        return .object(["userManaged": .object(["replicas": .array(replicas)])])
    }
}

extension GCPSecretsClient {
    /// ESO's `PushSecret`: creates the secret (with the managed-by label, the metadata's topics and,
    /// for a global secret, its replication) when it does not exist; refuses one without the label;
    /// brings labels and annotations to what the metadata says; adds a version only when the value
    /// (or the property) differs from the latest one.
    func pushSecret(_ value: PushValue, to target: PushTarget) async throws {
        let key = target.remoteKey
        let payload: Data
        switch value {
        case .value(let data): payload = data
        case .allKeys(let all): payload = PushedJSON.textObject(all)
        }
        let meta = try GCPPushMetadata.parse(target.metadata)
        if target.field != nil, target.metadata != nil, target.metadata != .null {
            throw ProviderError.invalidConfiguration("cannot specify metadata and property at the same time")
        }
        var secret = try await secretResource(key)
        if secret == nil {
            let request = requests.createSecret(
                key, labels: [PushManagedMarker.key: PushManagedMarker.value], topics: meta.topics,
                replication: settings.location.isEmpty ? meta.replication : nil)
            let response = try await connection.send(request, call: .createSecret)
            guard (200..<300).contains(response.status.code) else {
                throw GCPErrors.error(response, doing: "unable to create Secret \(GoQuote.quote(key))")
            }
            secret = try? JSONDecoder().decode(SecretResource.self, from: Data(response.body))
        }
        guard let secret else {
            throw ProviderError(.invalidData, "Secret Manager created \(GoQuote.quote(key)) without answering it")
        }
        let labels = secret.labels ?? [:]
        guard labels[PushManagedMarker.key] == PushManagedMarker.value else {
            throw ProviderError(.notManaged, "secret \(key) is not managed by external secrets")
        }

        // Labels and annotations (ESO: the metadata's, or the existing ones when pushing a property).
        var wantedLabels: [String: String]
        var wantedAnnotations: [String: String]
        if target.field != nil {
            wantedLabels = labels
            wantedAnnotations = secret.annotations ?? [:]
        } else {
            wantedLabels = meta.labels
            if meta.mergeLabels { wantedLabels.merge(labels) { _, existing in existing } }
            wantedAnnotations = meta.annotations
        }
        wantedLabels[PushManagedMarker.key] = PushManagedMarker.value
        if wantedLabels != labels || wantedAnnotations != (secret.annotations ?? [:]) {
            let response = try await connection.send(
                requests.updateMetadata(
                    key, etag: secret.etag ?? "", labels: wantedLabels, annotations: wantedAnnotations),
                call: .updateSecret)
            guard (200..<300).contains(response.status.code) else {
                throw GCPErrors.error(response, doing: "unable to update Secret \(GoQuote.quote(key))")
            }
        }

        // The value: a new version only when it changes.
        let latest = try await connection.send(requests.access(key, version: "latest"), call: .accessSecretVersion)
        var original: Data?
        if (200..<300).contains(latest.status.code) {
            original = try? Self.payload(of: latest, key: key)
        } else if latest.status.code != 404 {
            throw GCPErrors.error(latest, doing: "unable to access Secret \(GoQuote.quote(key)) from SecretManager")
        }
        let data: Data
        if let property = target.field {
            switch try PushedJSON.setting(property, to: payload, in: original, remoteKey: key) {
            case .unchanged: return
            case .write(let merged): data = merged
            }
        } else {
            if original == payload { return }
            data = payload
        }
        let response = try await connection.send(requests.addVersion(key, data: data), call: .addSecretVersion)
        guard (200..<300).contains(response.status.code) else {
            throw GCPErrors.error(response, doing: "unable to add a version to Secret \(GoQuote.quote(key))")
        }
    }

    /// ESO's `DeleteSecret`, guarded by the etag read: a missing secret is done; one without the
    /// managed-by label is refused (`.notManaged`; ESO skips it silently). With a property, only
    /// that property is removed (a new version), and the secret once no property is left.
    func deleteSecret(_ target: PushTarget) async throws {
        let key = target.remoteKey
        guard let secret = try await secretResource(key) else { return }
        guard secret.labels?[PushManagedMarker.key] == PushManagedMarker.value else {
            throw ProviderError(.notManaged, "secret \(key) is not managed by external secrets: not deleted")
        }
        if let property = target.field {
            let latest = try await connection.send(requests.access(key, version: "latest"), call: .accessSecretVersion)
            guard (200..<300).contains(latest.status.code) else {
                if latest.status.code == 404 { return }
                throw GCPErrors.error(latest, doing: "unable to access Secret \(GoQuote.quote(key)) from SecretManager")
            }
            let original = try Self.payload(of: latest, key: key)
            guard let remaining = try PushedJSON.removing(property, from: original, remoteKey: key) else { return }
            if !PushedJSON.isEmptyObject(remaining) {
                let response = try await connection.send(
                    requests.addVersion(key, data: remaining), call: .addSecretVersion)
                guard (200..<300).contains(response.status.code) else {
                    throw GCPErrors.error(response, doing: "unable to add a version to Secret \(GoQuote.quote(key))")
                }
                return
            }
        }
        let response = try await connection.send(
            requests.deleteSecret(key, etag: secret.etag ?? ""), call: .deleteSecret)
        guard (200..<300).contains(response.status.code) || response.status.code == 404 else {
            throw GCPErrors.error(response, doing: "unable to delete Secret \(GoQuote.quote(key))")
        }
    }

    /// ESO's `SecretExists`: whether the secret has an enabled version (and the property, when set).
    func secretExists(_ target: PushTarget) async throws -> Bool {
        let response = try await latestEnabledVersion(target.remoteKey)
        if response.status.code == 404 { return false }
        guard (200..<300).contains(response.status.code) else {
            throw GCPErrors.error(response, doing: "unable to access Secret \(GoQuote.quote(target.remoteKey))")
        }
        guard let property = target.field else { return true }
        return PushedJSON.contains(property, in: try Self.payload(of: response, key: target.remoteKey))
    }
}
