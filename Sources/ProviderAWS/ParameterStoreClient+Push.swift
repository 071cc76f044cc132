import Foundation
import ProviderKit

/// PushSecret for Parameter Store, with ESO's behaviour and its `PushSecretMetadata` (see
/// `ParameterStorePushMetadata`): PutParameter with the metadata's type (`String` by default,
/// `StringList`, `SecureString` with its KMS key), tier and policies, and description; a whole
/// Secret as a JSON object of base64 values (ESO's default) or of text (`encodeAsDecoded`); a
/// created parameter gets the tag `managed-by: external-secrets` in the same call.
///
/// Calls per push, counted: ListTagsForResource (the ownership check, before the value is read),
/// then PutParameter for a new parameter (2 calls), or GetParameter for an existing one (2 calls
/// when unchanged, as ESO) and PutParameter with `Overwrite` when the value or type changed.
/// Tags are changed only when the metadata names tags that differ.
///
/// Guarantees: a parameter without the managed-by tag is never overwritten or deleted
/// (`ProviderError.notManaged`) and its value is not read. Caveats: the tier of an existing
/// parameter is not compared (GetParameter does not return it); a new tier applies with the next
/// value change. AWS cannot move a parameter back from Advanced to Standard.
extension ParameterStoreClient {
    // MARK: - Wire types

    struct PutParameterInput: Encodable {
        var name: String
        var value: String
        var type: String
        var overwrite: Bool
        var description: String?
        var keyId: String?
        var tier: String?
        var policies: String?
        var tags: [Tag]?
    }

    struct PutParameterOutput: Decodable { var version: Int64? }

    struct AddTagsInput: Encodable {
        var resourceType = "Parameter"
        var resourceId: String
        var tags: [Tag]
    }

    struct RemoveTagsInput: Encodable {
        var resourceType = "Parameter"
        var resourceId: String
        var tagKeys: [String]
    }

    struct DeleteParameterInput: Encodable { var name: String }

    // MARK: - SecretsClient

    func pushSecret(_ value: PushValue, to target: PushTarget) async throws {
        let name = try remoteName(target)
        let metadata = try ParameterStorePushMetadata(target.metadataJSON)
        let payload = Self.payload(value, metadata: metadata)
        if target.field == nil {
            // A value a parameter cannot hold is refused before any call.
            _ = try Self.putInput(name, payload, metadata: metadata, overwrite: false)
        }
        guard let tags = try await tags(of: name) else {
            var content = payload
            if let field = target.field,
                case .write(let object) = try PushedJSON.setting(field, to: payload, in: nil, remoteKey: name)
            {
                content = object
            }
            var input = try Self.putInput(name, content, metadata: metadata, overwrite: false)
            input.tags = Self.tags(metadata.creationTags)
            let _: PutParameterOutput = try await service.call("PutParameter", input, key: name)
            logger.info("created a pushed parameter", metadata: ["key": "\(name)"])
            return
        }
        try requireManaged(tags, name, "overwritten")
        let existing = try await parameter(name)
        var content = payload
        var changed = existing?.value.map { Data($0.utf8) } != payload
        if let field = target.field {
            switch try PushedJSON.setting(
                field, to: payload, in: existing?.value.map { Data($0.utf8) }, remoteKey: name)
            {
            case .unchanged: changed = false
            case .write(let merged):
                content = merged
                changed = true
            }
        }
        if changed || existing?.type != metadata.type.rawValue {
            var input = try Self.putInput(name, content, metadata: metadata, overwrite: existing != nil)
            if existing == nil {
                // Deleted since its tags were read: created again, with the marker.
                input.tags = Self.tags(metadata.creationTags)
            }
            let _: PutParameterOutput = try await service.call("PutParameter", input, key: name)
            logger.info("pushed a new parameter version", metadata: ["key": "\(name)"])
        } else {
            logger.debug("parameter unchanged", metadata: ["key": "\(name)"])
        }
        if metadata.tags != nil {
            let plan = TagPlan(current: tags, desired: metadata.creationTags)
            if !plan.remove.isEmpty {
                try await service.send(
                    "RemoveTagsFromResource", RemoveTagsInput(resourceId: name, tagKeys: plan.remove), key: name)
            }
            if !plan.set.isEmpty {
                try await service.send(
                    "AddTagsToResource", AddTagsInput(resourceId: name, tags: Self.tags(plan.set)), key: name)
            }
        }
    }

    func deleteSecret(_ target: PushTarget) async throws {
        let name = try remoteName(target)
        guard let tags = try await tags(of: name) else { return }
        try requireManaged(tags, name, "deleted")
        if let field = target.field {
            guard let existing = try await parameter(name), let value = existing.value,
                let remaining = try PushedJSON.removing(field, from: Data(value.utf8), remoteKey: name)
            else { return }
            if !PushedJSON.isEmptyObject(remaining) {
                var metadata = try ParameterStorePushMetadata(target.metadataJSON)
                if let type = existing.type.flatMap(ParameterStorePushMetadata.ParameterType.init(rawValue:)) {
                    metadata.type = type
                }
                let input = try Self.putInput(name, remaining, metadata: metadata, overwrite: true)
                let _: PutParameterOutput = try await service.call("PutParameter", input, key: name)
                logger.info("removed a pushed property", metadata: ["key": "\(name)", "property": "\(field)"])
                return
            }
        }
        do {
            try await service.send(
                "DeleteParameter", DeleteParameterInput(name: name), key: name, notFound: Self.notFoundCodes)
        } catch let error as ProviderError where error.isNotFound {
            return
        }
        logger.info("deleted a pushed parameter", metadata: ["key": "\(name)"])
    }

    /// One call: ListTagsForResource (the value is not read) or, for a property, GetParameter.
    func secretExists(_ target: PushTarget) async throws -> Bool {
        let name = try remoteName(target)
        guard target.field != nil else { return try await tags(of: name) != nil }
        guard let value = try await parameter(name)?.value else { return false }
        guard let field = target.field else { return true }
        return PushedJSON.contains(field, in: Data(value.utf8))
    }

    // MARK: - Steps

    func remoteName(_ target: PushTarget) throws(ProviderError) -> String {
        guard !target.remoteKey.isEmpty else {
            throw ProviderError.invalidConfiguration("remoteRef.remoteKey must name a parameter")
        }
        return prefix + target.remoteKey
    }

    /// What ESO pushes for a value: the bytes, or a whole Secret as a JSON object of base64 strings
    /// (of text with `encodeAsDecoded`).
    static func payload(_ value: PushValue, metadata: ParameterStorePushMetadata) -> Data {
        switch value {
        case .value(let data): data
        case .allKeys(let data):
            metadata.encodeAsDecoded ? PushedJSON.textObject(data) : PushedJSON.base64Object(data)
        }
    }

    /// The parameter's tags; nil when it does not exist.
    private func tags(of name: String) async throws -> [String: String]? {
        guard
            let output: ListTagsOutput = try await service.callIfExists(
                "ListTagsForResource", ListTagsInput(resourceId: name), key: name, notFound: Self.notFoundCodes)
        else { return nil }
        return Dictionary(
            (output.tagList ?? []).map { ($0.key, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
    }

    /// The parameter, decrypted; nil when it does not exist.
    private func parameter(_ name: String) async throws -> Parameter? {
        let output: GetParameterOutput? = try await service.callIfExists(
            "GetParameter", GetParameterInput(name: name), key: name, notFound: Self.notFoundCodes)
        return output?.parameter
    }

    private func requireManaged(_ tags: [String: String], _ name: String, _ action: String) throws(ProviderError) {
        guard tags[PushManagedMarker.key] == PushManagedMarker.value else {
            throw ProviderError(
                .notManaged,
                "Parameter Store: the parameter \"\(name)\" exists but was not created by a PushSecret (it has no tag \(PushManagedMarker.key): \(PushManagedMarker.value)), so it is not \(action)"
            )
        }
    }

    static func tags(_ map: [String: String]) -> [Tag] {
        map.keys.sorted().map { Tag(key: $0, value: map[$0]) }
    }

    /// The PutParameter request for `content` (pure, tested). Parameter values are non-empty text.
    static func putInput(_ name: String, _ content: Data, metadata: ParameterStorePushMetadata, overwrite: Bool)
        throws(ProviderError) -> PutParameterInput
    {
        guard let text = String(validating: content, as: UTF8.self) else {
            throw ProviderError(
                .invalidData,
                "Parameter Store: the value pushed to \"\(name)\" is not UTF-8 text, which a parameter cannot hold")
        }
        guard !text.isEmpty else {
            throw ProviderError(
                .invalidData, "Parameter Store: the value pushed to \"\(name)\" is empty, which a parameter cannot hold"
            )
        }
        return PutParameterInput(
            name: name, value: text, type: metadata.type.rawValue, overwrite: overwrite,
            description: metadata.description,
            keyId: metadata.type == .secureString ? metadata.kmsKeyID : nil,
            tier: metadata.tier == .standard ? nil : metadata.tier.rawValue,
            policies: metadata.tier == .advanced ? metadata.policies : nil)
    }
}
