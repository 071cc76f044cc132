import AWSSigV4
import Foundation
import ProviderKit
import Synchronization

/// PushSecret for Secrets Manager, with ESO's behaviour and its `PushSecretMetadata` (see
/// `SecretsManagerPushMetadata`): the value is stored as `SecretBinary` unless
/// `secretPushFormat: string`; a whole Secret as a JSON object of strings; a created secret gets
/// the tag `managed-by: external-secrets`, the description and KMS key of the metadata, its tags
/// and replica regions.
///
/// Calls per push, counted:
/// - new secret: DescribeSecret, CreateSecret (2);
/// - unchanged value: DescribeSecret only, when this client wrote or read the secret's current
///   version before (the version id and the value's digest are remembered), else DescribeSecret
///   and GetSecretValue (ESO: DescribeSecret, GetSecretValue and DeleteResourcePolicy every time);
/// - changed value: those and PutSecretValue, with a fresh `ClientRequestToken` so a retried call
///   makes no second version (DescribeSecret and PutSecretValue only, when the current version is
///   one this client knows, so the value is known to differ without reading it);
/// - tags and replica regions are changed only when they differ from the metadata's.
///
/// Guarantees: a secret without the managed-by tag is never written to or deleted
/// (`ProviderError.notManaged`), and its value is not even read. Caveats: Secrets Manager has no
/// conditional write, so two writers merging different properties into one secret at the same
/// moment can lose one update; the next reconcile restores it.
extension SecretsManagerClient {
    // MARK: - Wire types

    struct DescribedSecret: Decodable {
        var arn: String?
        var tags: [Tag]?
        var deletedDate: Double?
        var kmsKeyId: String?
        var versionIdsToStages: [String: [String]]?
        var replicationStatus: [ReplicaStatus]?

        // The JSON coders turn `ARN` into `aRN`.
        enum CodingKeys: String, CodingKey {
            case arn = "aRN"
            case tags, deletedDate, kmsKeyId, versionIdsToStages, replicationStatus
        }

        var tagMap: [String: String] {
            Dictionary((tags ?? []).map { ($0.key, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
        }

        var isManaged: Bool { tagMap[PushManagedMarker.key] == PushManagedMarker.value }

        var isScheduledForDeletion: Bool { deletedDate != nil }

        /// The version labelled `AWSCURRENT`, if the secret has a value.
        var currentVersion: String? {
            versionIdsToStages?.first { $0.value.contains("AWSCURRENT") }?.key
        }

        var replicaRegions: [String] { (replicationStatus ?? []).compactMap(\.region) }
    }

    struct ReplicaStatus: Decodable { var region: String? }

    struct ReplicaRegion: Encodable {
        var region: String
        var kmsKeyId: String?
    }

    struct CreateSecretInput: Encodable {
        var name: String
        var secretString: String?
        var secretBinary: Data?
        var description: String
        var kmsKeyId: String
        var tags: [Tag]
        var clientRequestToken: String
        var addReplicaRegions: [ReplicaRegion]?
    }

    struct CreatedSecret: Decodable {
        var arn: String?
        var versionId: String?

        enum CodingKeys: String, CodingKey {
            case arn = "aRN"
            case versionId
        }
    }

    struct PutSecretValueInput: Encodable {
        var secretId: String
        var secretString: String?
        var secretBinary: Data?
        var clientRequestToken: String
    }

    struct WrittenVersion: Decodable { var versionId: String? }

    struct SecretIDInput: Encodable { var secretId: String }

    struct DeleteSecretInput: Encodable {
        var secretId: String
        var forceDeleteWithoutRecovery: Bool?
        var recoveryWindowInDays: Int64?
    }

    struct TagResourceInput: Encodable {
        var secretId: String
        var tags: [Tag]
    }

    struct UntagResourceInput: Encodable {
        var secretId: String
        var tagKeys: [String]
    }

    struct ReplicateInput: Encodable {
        var secretId: String
        var addReplicaRegions: [ReplicaRegion]
    }

    struct RemoveReplicationInput: Encodable {
        var secretId: String
        var removeReplicaRegions: [String]
    }

    /// A value as stored: its bytes and whether it is `SecretString` or `SecretBinary`.
    struct StoredValue {
        var bytes: Data
        var format: SecretsManagerPushMetadata.Format
        var versionID: String?
    }

    // MARK: - SecretsClient

    func pushSecret(_ value: PushValue, to target: PushTarget) async throws {
        let name = try remoteName(target)
        let metadata = try SecretsManagerPushMetadata(target.metadataJSON)
        let payload = Self.payload(value)
        if metadata.format == .string, target.field == nil, String(validating: payload, as: UTF8.self) == nil {
            throw ProviderError(
                .invalidData,
                "Secrets Manager: the value pushed to \"\(name)\" is not UTF-8 text; use secretPushFormat binary")
        }
        guard let described = try await describe(name) else {
            try await create(name, payload: payload, field: target.field, metadata: metadata)
            return
        }
        try requireManaged(described, name, "overwritten")
        if described.isScheduledForDeletion {
            try await service.send("RestoreSecret", SecretIDInput(secretId: name), key: name)
            logger.info("restored a secret scheduled for deletion to push to it", metadata: ["key": "\(name)"])
        }
        try await syncTags(name, described: described, metadata: metadata)
        try await syncReplication(name, described: described, metadata: metadata)

        let digest = Self.digest(payload, field: target.field, format: metadata.format)
        let known = described.arn.flatMap { arn in
            described.currentVersion.flatMap { pushed.digest(name, target.field, arn: arn, version: $0) }
        }
        if known == digest {
            logger.debug("secret unchanged", metadata: ["key": "\(name)"])
            return
        }
        // A whole value known to differ is written without reading the old one; a property is
        // merged into what is there.
        let mustRead = described.currentVersion != nil && (target.field != nil || known == nil)
        let existing = mustRead ? try await currentValue(name) : nil
        let content: Data
        if let field = target.field {
            switch try PushedJSON.setting(field, to: payload, in: existing?.bytes, remoteKey: name) {
            case .unchanged:
                remember(name, target.field, described, existing?.versionID, digest)
                return
            case .write(let merged):
                content = merged
            }
        } else {
            if let existing, existing.bytes == payload, existing.format == metadata.format {
                remember(name, target.field, described, existing.versionID, digest)
                return
            }
            content = payload
        }
        let token = Self.newToken()
        var input = PutSecretValueInput(secretId: name, clientRequestToken: token)
        Self.store(content, as: metadata.format, string: &input.secretString, binary: &input.secretBinary)
        let written: WrittenVersion = try await service.call("PutSecretValue", input, key: name)
        remember(name, target.field, described, written.versionId ?? token, digest)
        logger.info("pushed a new secret version", metadata: ["key": "\(name)"])
    }

    func deleteSecret(_ target: PushTarget) async throws {
        let name = try remoteName(target)
        guard let described = try await describe(name) else { return }
        try requireManaged(described, name, "deleted")
        defer { pushed.forget(name) }
        if let field = target.field {
            guard !described.isScheduledForDeletion, described.currentVersion != nil,
                let existing = try await currentValue(name),
                let remaining = try PushedJSON.removing(field, from: existing.bytes, remoteKey: name)
            else { return }
            if !PushedJSON.isEmptyObject(remaining) {
                var input = PutSecretValueInput(secretId: name, clientRequestToken: Self.newToken())
                Self.store(remaining, as: existing.format, string: &input.secretString, binary: &input.secretBinary)
                let _: WrittenVersion = try await service.call("PutSecretValue", input, key: name)
                logger.info("removed a pushed property", metadata: ["key": "\(name)", "property": "\(field)"])
                return
            }
        }
        if described.isScheduledForDeletion, !deletion.forceWithoutRecovery { return }
        if !described.replicaRegions.isEmpty {
            // AWS refuses to delete a secret that still has replicas.
            try await service.send(
                "RemoveRegionsFromReplication",
                RemoveReplicationInput(secretId: name, removeReplicaRegions: described.replicaRegions), key: name)
        }
        let input = DeleteSecretInput(
            secretId: name, forceDeleteWithoutRecovery: deletion.forceWithoutRecovery ? true : nil,
            recoveryWindowInDays: deletion.forceWithoutRecovery ? nil : deletion.recoveryWindowInDays)
        do {
            try await service.send("DeleteSecret", input, key: name, notFound: Self.notFoundCodes)
        } catch let error as ProviderError where error.isNotFound {
            return
        }
        logger.info("deleted a pushed secret", metadata: ["key": "\(name)"])
    }

    /// One call: DescribeSecret (the value is not read) or, for a property, GetSecretValue. A
    /// secret scheduled for deletion or without a value does not exist.
    func secretExists(_ target: PushTarget) async throws -> Bool {
        let name = try remoteName(target)
        guard let field = target.field else {
            guard let described = try await describe(name) else { return false }
            return !described.isScheduledForDeletion && described.currentVersion != nil
        }
        guard let value = try await currentValue(name) else { return false }
        return PushedJSON.contains(field, in: value.bytes)
    }

    // MARK: - Steps

    func remoteName(_ target: PushTarget) throws(ProviderError) -> String {
        guard !target.remoteKey.isEmpty else {
            throw ProviderError.invalidConfiguration("remoteRef.remoteKey must name a secret")
        }
        return prefix + target.remoteKey
    }

    /// What ESO pushes for a value: the bytes, or a whole Secret as a JSON object of strings.
    static func payload(_ value: PushValue) -> Data {
        switch value {
        case .value(let data): data
        case .allKeys(let data): PushedJSON.textObject(data)
        }
    }

    private func describe(_ name: String) async throws -> DescribedSecret? {
        try await service.callIfExists(
            "DescribeSecret", DescribeSecretInput(secretId: name), key: name, notFound: Self.notFoundCodes)
    }

    /// The `AWSCURRENT` value; nil when the secret does not exist, is scheduled for deletion or has
    /// no value.
    private func currentValue(_ name: String) async throws -> StoredValue? {
        let input = Self.getSecretValueInput(key: name, version: nil)
        guard
            let value: SecretValue = try await service.callIfExists(
                "GetSecretValue", input, key: name, notFound: Self.notFoundCodes)
        else { return nil }
        if let string = value.secretString {
            return StoredValue(bytes: Data(string.utf8), format: .string, versionID: value.versionId)
        }
        if let binary = value.secretBinary {
            return StoredValue(bytes: binary, format: .binary, versionID: value.versionId)
        }
        return nil
    }

    private func requireManaged(_ described: DescribedSecret, _ name: String, _ action: String) throws(ProviderError) {
        guard described.isManaged else {
            throw ProviderError(
                .notManaged,
                "Secrets Manager: the secret \"\(name)\" exists but was not created by a PushSecret (it has no tag \(PushManagedMarker.key): \(PushManagedMarker.value)), so it is not \(action)"
            )
        }
    }

    private func create(_ name: String, payload: Data, field: String?, metadata: SecretsManagerPushMetadata)
        async throws
    {
        var content = payload
        if let field, case .write(let object) = try PushedJSON.setting(field, to: payload, in: nil, remoteKey: name) {
            content = object
        }
        let token = Self.newToken()
        var input = CreateSecretInput(
            name: name, description: metadata.description, kmsKeyId: metadata.kmsKeyID,
            tags: Self.tags(metadata.creationTags), clientRequestToken: token,
            addReplicaRegions: metadata.replicationLocations.flatMap { regions in
                regions.isEmpty ? nil : regions.map { ReplicaRegion(region: $0, kmsKeyId: metadata.kmsKeyID) }
            })
        Self.store(content, as: metadata.format, string: &input.secretString, binary: &input.secretBinary)
        let created: CreatedSecret = try await service.call("CreateSecret", input, key: name)
        if let arn = created.arn {
            pushed.record(
                name, field, arn: arn, version: created.versionId ?? token,
                digest: Self.digest(payload, field: field, format: metadata.format))
        }
        logger.info("created a pushed secret", metadata: ["key": "\(name)"])
    }

    /// With `tags` in the metadata, the secret's tags become exactly those and the managed-by tag
    /// (ESO's rule); one call to remove and one to set, each only when needed.
    private func syncTags(_ name: String, described: DescribedSecret, metadata: SecretsManagerPushMetadata) async throws
    {
        guard metadata.tags != nil else { return }
        let plan = TagPlan(current: described.tagMap, desired: metadata.creationTags)
        if !plan.remove.isEmpty {
            try await service.send("UntagResource", UntagResourceInput(secretId: name, tagKeys: plan.remove), key: name)
        }
        if !plan.set.isEmpty {
            try await service.send(
                "TagResource", TagResourceInput(secretId: name, tags: Self.tags(plan.set)), key: name)
        }
    }

    /// With `replicationLocations` in the metadata, the secret is replicated to exactly those
    /// regions (from the replication status DescribeSecret already returned).
    private func syncReplication(_ name: String, described: DescribedSecret, metadata: SecretsManagerPushMetadata)
        async throws
    {
        guard let desired = metadata.replicationLocations else { return }
        let current = described.replicaRegions
        let remove = current.filter { !desired.contains($0) }
        let add = desired.filter { !current.contains($0) }
        if !remove.isEmpty {
            try await service.send(
                "RemoveRegionsFromReplication", RemoveReplicationInput(secretId: name, removeReplicaRegions: remove),
                key: name)
        }
        if !add.isEmpty {
            try await service.send(
                "ReplicateSecretToRegions",
                ReplicateInput(
                    secretId: name,
                    addReplicaRegions: add.map { ReplicaRegion(region: $0, kmsKeyId: described.kmsKeyId) }),
                key: name)
        }
    }

    private func remember(
        _ name: String, _ field: String?, _ described: DescribedSecret, _ version: String?, _ digest: String
    ) {
        guard let arn = described.arn, let version else { return }
        pushed.record(name, field, arn: arn, version: version, digest: digest)
    }

    // MARK: - Pure helpers

    static func store(
        _ content: Data, as format: SecretsManagerPushMetadata.Format, string: inout String?, binary: inout Data?
    ) {
        switch format {
        case .binary: binary = content
        case .string: string = String(decoding: content, as: UTF8.self)
        }
    }

    static func tags(_ map: [String: String]) -> [Tag] {
        map.keys.sorted().map { Tag(key: $0, value: map[$0]) }
    }

    /// A lowercase UUID: the version id of a written value, and the call's idempotency token.
    static func newToken() -> String { UUID().uuidString.lowercased() }

    /// Identifies what a push wrote (or would write) without keeping the value.
    static func digest(_ payload: Data, field: String?, format: SecretsManagerPushMetadata.Format) -> String {
        let head = field.map { "property\u{0}\($0)\u{0}" } ?? "value\u{0}\(format.rawValue)\u{0}"
        return SigV4Signer.hexSHA256(Array(head.utf8) + Array(payload))
    }
}

/// The versions pushes wrote or found, per remote secret and property, with a digest of the value:
/// when DescribeSecret shows the same secret (ARN) still at that version, the value there is known
/// without reading it again. Version ids name immutable values, and a secret deleted and created
/// again has a new ARN. Bounded; cleared when full.
final class PushedVersions: Sendable {
    struct Entry: Sendable, Equatable {
        var arn: String
        var version: String
        var digest: String
    }

    static let capacity = 10_000
    private let entries = Mutex<[String: Entry]>([:])

    private static func slot(_ name: String, _ field: String?) -> String { "\(name)\u{0}\(field ?? "")" }

    /// The digest of what `version` of the secret `arn` holds (at `field`), when known.
    func digest(_ name: String, _ field: String?, arn: String, version: String) -> String? {
        guard let entry = entries.withLock({ $0[Self.slot(name, field)] }) else { return nil }
        // Version ids are compared ignoring case: the JSON decoder lowercases the first letter of
        // every member name, dictionary keys included.
        guard entry.arn == arn, entry.version.lowercased() == version.lowercased() else { return nil }
        return entry.digest
    }

    func record(_ name: String, _ field: String?, arn: String, version: String, digest: String) {
        entries.withLock {
            if $0.count >= Self.capacity { $0.removeAll() }
            $0[Self.slot(name, field)] = Entry(arn: arn, version: version, digest: digest)
        }
    }

    func forget(_ name: String) {
        entries.withLock { entries in
            entries = entries.filter { !$0.key.hasPrefix("\(name)\u{0}") }
        }
    }
}
