import ExternalSecretsAPI
import Foundation
import GoCompat
import HTTPSupport
import ProviderKit

/// PushSecret to IBM Cloud Secrets Manager (not in ESO, whose IBM provider answers "not
/// implemented"): `arbitrary` secrets only, marked with the label `managed-by:external-secrets`
/// (Secrets Manager labels are plain strings); a secret without it is never changed or deleted.
extension IBMSecretsManagerClient {
    /// The label PushSecret puts on the secrets it creates.
    static let managedLabel = "\(PushManagedMarker.key):\(PushManagedMarker.value)"

    /// Where a push goes: an existing secret by ID, or a name in a group (`NAME` and
    /// `arbitrary/NAME`: the `default` group; `GROUP/arbitrary/NAME`).
    enum PushPlace: Sendable, Hashable {
        case id(String)
        case name(group: String, name: String)

        static func parse(_ remoteKey: String) throws(ProviderError) -> PushPlace {
            let ref = SecretRef.parse(remoteKey)
            guard ref.type == "arbitrary" else {
                throw .unsupported(
                    "PushSecret writes secrets of type arbitrary only; remote key \(GoQuote.quote(remoteKey)) names type \(ref.type)"
                )
            }
            guard !ref.name.isEmpty, !ref.name.contains("/") else {
                throw .invalidConfiguration(
                    "remote key \(GoQuote.quote(remoteKey)) is not NAME, arbitrary/NAME or GROUP/arbitrary/NAME")
            }
            if ref.isID { return .id(ref.name) }
            return .name(group: ref.group.isEmpty ? "default" : ref.group, name: ref.name)
        }
    }

    func pushSecret(_ value: PushValue, to target: PushTarget) async throws {
        let place = try PushPlace.parse(target.remoteKey)
        let payload: Data =
            switch value {
            case .value(let data): data
            case .allKeys(let all): PushedJSON.textObject(all)
            }
        let existing = try await pushed(place, remoteKey: target.remoteKey)
        if let existing { try Self.requireManaged(existing, remoteKey: target.remoteKey) }
        let original = existing.flatMap { Self.string($0["payload"]) }.map { Data($0.utf8) }
        var data = payload
        if let property = target.field {
            switch try PushedJSON.setting(property, to: payload, in: original, remoteKey: target.remoteKey) {
            case .unchanged: return
            case .write(let merged): data = merged
            }
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ProviderError(
                .invalidData,
                "arbitrary secrets hold text: the value pushed to \(GoQuote.quote(target.remoteKey)) is not UTF-8")
        }
        if let existing {
            if original == data { return }
            try await newVersion(of: existing, payload: text, remoteKey: target.remoteKey)
            return
        }
        guard case .name(let group, let name) = place else {
            throw ProviderError.notFound(
                "secret \(GoQuote.quote(target.remoteKey)) does not exist in \(settings.serviceURL); PushSecret creates secrets by name (NAME or GROUP/arbitrary/NAME)"
            )
        }
        let groupID = try await self.groupID(named: group)
        let response = try await connection.send(
            requests.createArbitrarySecret(name: name, groupID: groupID, payload: text, labels: [Self.managedLabel]),
            call: .createSecret)
        guard (200..<300).contains(response.status.code) else {
            throw IBMErrors.error(
                response, doing: "unable to create secret \(GoQuote.quote(target.remoteKey)) in \(settings.serviceURL)",
                permission: IBMErrors.createPermission)
        }
    }

    /// Deletes what PushSecret wrote: a missing secret is done; one without the marker is left
    /// alone (`.notManaged`); with `target.property`, only that field of the JSON payload (a new
    /// version), and the secret once none is left.
    func deleteSecret(_ target: PushTarget) async throws {
        let place = try PushPlace.parse(target.remoteKey)
        guard let existing = try await pushed(place, remoteKey: target.remoteKey) else { return }
        try Self.requireManaged(existing, remoteKey: target.remoteKey)
        guard case .string(let id)? = existing["id"] else {
            throw ProviderError(
                .invalidData, "Secrets Manager answered \(GoQuote.quote(target.remoteKey)) without its id")
        }
        if let property = target.field {
            let original = Data((Self.string(existing["payload"]) ?? "").utf8)
            guard let remaining = try PushedJSON.removing(property, from: original, remoteKey: target.remoteKey)
            else { return }
            if !PushedJSON.isEmptyObject(remaining) {
                try await newVersion(
                    of: existing, payload: String(decoding: remaining, as: UTF8.self), remoteKey: target.remoteKey)
                return
            }
        }
        let response = try await connection.send(requests.deleteSecret(id: id), call: .deleteSecret)
        guard (200..<300).contains(response.status.code) || response.status.code == 404 else {
            throw IBMErrors.error(
                response, doing: "unable to delete secret \(GoQuote.quote(target.remoteKey)) in \(settings.serviceURL)",
                permission: IBMErrors.deletePermission)
        }
    }

    /// Whether the secret exists (and, with `target.property`, that field of its JSON payload).
    func secretExists(_ target: PushTarget) async throws -> Bool {
        let place = try PushPlace.parse(target.remoteKey)
        guard let existing = try await pushed(place, remoteKey: target.remoteKey) else { return false }
        guard let property = target.field else { return true }
        return PushedJSON.contains(property, in: Data((Self.string(existing["payload"]) ?? "").utf8))
    }

    // MARK: - Helpers

    /// The secret at `place` with its payload, or nil when there is none.
    private func pushed(_ place: PushPlace, remoteKey: String) async throws -> [String: GoJSONValue]? {
        switch place {
        case .id(let id):
            return try await objectIfPresent(requests.getSecret(id: id), call: .getSecret, remoteKey: remoteKey)
        case .name(let group, let name):
            return try await objectIfPresent(
                requests.getSecretByName(group: group, type: "arbitrary", name: name), call: .getSecretByNameType,
                remoteKey: remoteKey)
        }
    }

    private func newVersion(of secret: [String: GoJSONValue], payload: String, remoteKey: String) async throws {
        guard case .string(let id)? = secret["id"] else {
            throw ProviderError(.invalidData, "Secrets Manager answered \(GoQuote.quote(remoteKey)) without its id")
        }
        let response = try await connection.send(
            requests.createVersion(secretID: id, payload: payload), call: .createSecretVersion)
        guard (200..<300).contains(response.status.code) else {
            throw IBMErrors.error(
                response,
                doing: "unable to write a new version of secret \(GoQuote.quote(remoteKey)) in \(settings.serviceURL)",
                permission: IBMErrors.rotatePermission)
        }
    }

    /// The ID of the secret group `name` (`default` is its own ID).
    private func groupID(named name: String) async throws -> String {
        if name == "default" { return "default" }
        let response = try await connection.send(requests.listSecretGroups(), call: .listSecretGroups)
        guard (200..<300).contains(response.status.code) else {
            throw IBMErrors.error(
                response, doing: "unable to list the secret groups of \(settings.serviceURL)",
                permission: IBMErrors.groupsPermission)
        }
        guard case .object(let page)? = try? GoJSONValue.parse(response.body),
            case .array(let groups)? = page["secret_groups"]
        else {
            throw ProviderError(.invalidData, "Secrets Manager answered a secret group list that is not JSON")
        }
        for case .object(let group) in groups where Self.string(group["name"]) == name {
            if let id = Self.string(group["id"]) { return id }
        }
        throw ProviderError.notFound("secret group \(GoQuote.quote(name)) does not exist in \(settings.serviceURL)")
    }

    static func isManaged(_ secret: [String: GoJSONValue]) -> Bool {
        strings(secret["labels"]).contains(managedLabel)
    }

    private static func requireManaged(_ secret: [String: GoJSONValue], remoteKey: String) throws(ProviderError) {
        guard isManaged(secret) else {
            throw ProviderError(
                .notManaged,
                "secret \(GoQuote.quote(remoteKey)) is not managed by external-secrets (no label \(managedLabel)): not changed"
            )
        }
    }
}
