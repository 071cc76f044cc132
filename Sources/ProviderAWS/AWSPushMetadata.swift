import Foundation
import GoCompat
import ProviderKit

/// ESO's `PushSecretMetadata` document, the `spec.data[].metadata` of a PushSecret entry:
///
///     apiVersion: kubernetes.external-secrets.io/v1alpha1
///     kind: PushSecretMetadata
///     spec: { ... }   # the service's fields
///
/// ESO decodes it with unknown fields refused and, being Go's `encoding/json`, with field names
/// matched case-insensitively (`kmsKeyID` and `kmsKeyId` both work); the same here. A document of
/// another shape is refused with a message naming the field, before any call is made.
struct PushMetadataFields {
    static let apiVersion = "kubernetes.external-secrets.io/v1alpha1"
    static let kind = "PushSecretMetadata"

    /// `Secrets Manager` or `Parameter Store`, for messages.
    let service: String
    private let members: [String: GoJSONValue]
    private let path: String

    /// The `spec` of `metadata` (nil when the entry has no metadata), checked against `known`.
    static func spec(_ metadata: Data?, service: String, known: [String]) throws(ProviderError) -> PushMetadataFields? {
        guard let metadata else { return nil }
        let parsed = try? GoJSONValue.parse(metadata)
        if parsed == .null { return nil }
        guard case .object(let document)? = parsed else {
            throw invalid(service, "metadata must be a \(kind) object")
        }
        let top = PushMetadataFields(service: service, members: document, path: "metadata")
        try top.checkKnown(["apiVersion", "kind", "spec"])
        guard let apiVersion = try top.string("apiVersion"), apiVersion == Self.apiVersion else {
            throw invalid(service, "metadata.apiVersion must be \"\(Self.apiVersion)\"")
        }
        guard let kind = try top.string("kind"), kind == Self.kind else {
            throw invalid(service, "metadata.kind must be \"\(Self.kind)\"")
        }
        let spec = try top.object("spec") ?? PushMetadataFields(service: service, members: [:], path: "metadata.spec")
        try spec.checkKnown(known)
        return spec
    }

    private init(service: String, members: [String: GoJSONValue], path: String) {
        self.service = service
        self.members = members
        self.path = path
    }

    static func invalid(_ service: String, _ message: String) -> ProviderError {
        ProviderError.invalidConfiguration("PushSecret \(service) \(message)")
    }

    func invalid(_ field: String, _ message: String) -> ProviderError {
        Self.invalid(service, "\(path).\(field) \(message)")
    }

    /// Refuses members that are none of `known` (compared case-insensitively, as Go does).
    func checkKnown(_ known: [String]) throws(ProviderError) {
        let lowered = Set(known.map { $0.lowercased() })
        let unknown = members.keys.filter { !lowered.contains($0.lowercased()) }.sorted()
        guard unknown.isEmpty else {
            throw Self.invalid(
                service,
                "\(path) has unknown field\(unknown.count == 1 ? "" : "s") \(unknown.map { "\"\($0)\"" }.joined(separator: ", ")); known: \(known.joined(separator: ", "))"
            )
        }
    }

    /// The member `name`: an exact match first, else one that differs only in case.
    private func value(_ name: String) -> GoJSONValue? {
        if let exact = members[name] { return exact == .null ? nil : exact }
        let lowered = name.lowercased()
        guard let key = members.keys.sorted().first(where: { $0.lowercased() == lowered }) else { return nil }
        return members[key] == .null ? nil : members[key]
    }

    func string(_ name: String) throws(ProviderError) -> String? {
        guard let value = value(name) else { return nil }
        guard case .string(let text) = value else { throw invalid(name, "must be a string") }
        return text
    }

    func bool(_ name: String) throws(ProviderError) -> Bool? {
        guard let value = value(name) else { return nil }
        guard case .bool(let flag) = value else { throw invalid(name, "must be true or false") }
        return flag
    }

    func strings(_ name: String) throws(ProviderError) -> [String]? {
        guard let value = value(name) else { return nil }
        guard case .array(let list) = value else { throw invalid(name, "must be a list of strings") }
        var strings: [String] = []
        for element in list {
            guard case .string(let text) = element else { throw invalid(name, "must be a list of strings") }
            strings.append(text)
        }
        return strings
    }

    func stringMap(_ name: String) throws(ProviderError) -> [String: String]? {
        guard let value = value(name) else { return nil }
        guard case .object(let map) = value else { throw invalid(name, "must be a map of strings") }
        var strings: [String: String] = [:]
        for (key, member) in map {
            guard case .string(let text) = member else { throw invalid("\(name).\(key)", "must be a string") }
            strings[key] = text
        }
        return strings
    }

    func object(_ name: String) throws(ProviderError) -> PushMetadataFields? {
        guard let value = value(name) else { return nil }
        guard case .object(let map) = value else { throw invalid(name, "must be an object") }
        return PushMetadataFields(service: service, members: map, path: "\(path).\(name)")
    }

    /// The member as compact JSON text with sorted keys, numbers as written, no HTML escaping
    /// (for values AWS takes as a JSON string).
    func jsonText(_ name: String) -> String? {
        guard let value = value(name) else { return nil }
        return String(decoding: value.marshal(numbers: .literal, escapeHTML: false), as: UTF8.self)
    }

    /// User tags: `managed-by` is the operator's own and cannot be set (ESO's rule).
    func tags() throws(ProviderError) -> [String: String]? {
        guard let tags = try stringMap("tags") else { return nil }
        if tags[PushManagedMarker.key] != nil {
            throw invalid("tags", "cannot set the \"\(PushManagedMarker.key)\" tag: the operator sets it")
        }
        return tags
    }
}

/// ESO's Secrets Manager metadata (`PushSecretMetadataSpec` of its `secretsmanager` package), with
/// its defaults.
struct SecretsManagerPushMetadata: Sendable, Equatable {
    /// How the value is stored: `SecretBinary` (ESO's default) or `SecretString`.
    enum Format: String, Sendable {
        case binary
        case string
    }

    static let knownFields = [
        "secretPushFormat", "kmsKeyId", "description", "tags", "resourcePolicy", "replicationLocations",
    ]

    var format: Format = .binary
    /// Used when the secret is created (ESO does not change the key of an existing secret).
    var kmsKeyID = "alias/aws/secretsmanager"
    /// Used when the secret is created.
    var description = "secret '\(PushManagedMarker.key):\(PushManagedMarker.value)'"
    /// The user's tags; nil leaves the tags of an existing secret as they are, a map makes them
    /// exactly these plus the managed-by tag.
    var tags: [String: String]?
    /// Regions the secret is replicated to; nil leaves replication as it is.
    var replicationLocations: [String]?

    init() {}

    init(_ metadata: Data?) throws(ProviderError) {
        let service = "Secrets Manager"
        guard let spec = try PushMetadataFields.spec(metadata, service: service, known: Self.knownFields) else {
            return
        }
        if let format = try spec.string("secretPushFormat"), !format.isEmpty {
            guard let parsed = Format(rawValue: format) else {
                throw spec.invalid("secretPushFormat", "must be \"binary\" or \"string\", not \"\(format)\"")
            }
            self.format = parsed
        }
        if let key = try spec.string("kmsKeyId"), !key.isEmpty { kmsKeyID = key }
        if let text = try spec.string("description"), !text.isEmpty { description = text }
        if let tags = try spec.tags(), !tags.isEmpty { self.tags = tags }
        if try spec.object("resourcePolicy") != nil {
            throw spec.invalid(
                "resourcePolicy",
                "is not supported by this operator: set the secret's resource policy outside the PushSecret")
        }
        if let regions = try spec.strings("replicationLocations") {
            for region in regions where !AWSEndpoints.isValidRegion(region) {
                throw spec.invalid("replicationLocations", "has \"\(region)\", which is not an AWS region")
            }
            replicationLocations = regions
        }
    }

    /// The tags a created secret gets: the user's and the managed-by marker.
    var creationTags: [String: String] {
        (tags ?? [:]).merging([PushManagedMarker.key: PushManagedMarker.value]) { _, marker in marker }
    }
}

/// ESO's Parameter Store metadata (`PushSecretMetadataSpec` of its `parameterstore` package), with
/// its defaults.
struct ParameterStorePushMetadata: Sendable, Equatable {
    enum ParameterType: String, Sendable {
        case string = "String"
        case stringList = "StringList"
        case secureString = "SecureString"
    }

    enum Tier: String, Sendable {
        case standard = "Standard"
        case advanced = "Advanced"
        case intelligentTiering = "Intelligent-Tiering"
    }

    static let knownFields = ["secretType", "kmsKeyID", "tier", "encodeAsDecoded", "tags", "description"]

    var type: ParameterType = .string
    /// For SecureString parameters only.
    var kmsKeyID = "alias/aws/ssm"
    var tier: Tier = .standard
    /// Parameter policies (JSON text), for the Advanced tier.
    var policies: String?
    /// A whole Secret is pushed as JSON of its values as text, not base64 (ESO's default).
    var encodeAsDecoded = false
    var description = "secret '\(PushManagedMarker.key):\(PushManagedMarker.value)'"
    /// The user's tags; nil leaves the tags of an existing parameter as they are, a map makes them
    /// exactly these plus the managed-by tag.
    var tags: [String: String]?

    init() {}

    init(_ metadata: Data?) throws(ProviderError) {
        let service = "Parameter Store"
        guard let spec = try PushMetadataFields.spec(metadata, service: service, known: Self.knownFields) else {
            return
        }
        if let type = try spec.string("secretType"), !type.isEmpty {
            guard let parsed = ParameterType(rawValue: type) else {
                throw spec.invalid("secretType", "must be String, StringList or SecureString, not \"\(type)\"")
            }
            self.type = parsed
        }
        if let key = try spec.string("kmsKeyID"), !key.isEmpty { kmsKeyID = key }
        if let tier = try spec.object("tier") {
            try tier.checkKnown(["type", "policies"])
            if let type = try tier.string("type"), !type.isEmpty {
                guard let parsed = Tier(rawValue: type) else {
                    throw tier.invalid("type", "must be Standard, Advanced or Intelligent-Tiering, not \"\(type)\"")
                }
                self.tier = parsed
            }
            policies = tier.jsonText("policies")
            if policies != nil, self.tier != .advanced {
                throw tier.invalid("policies", "need the Advanced tier")
            }
        }
        encodeAsDecoded = try spec.bool("encodeAsDecoded") ?? false
        if let text = try spec.string("description"), !text.isEmpty { description = text }
        if let tags = try spec.tags(), !tags.isEmpty { self.tags = tags }
    }

    var creationTags: [String: String] {
        (tags ?? [:]).merging([PushManagedMarker.key: PushManagedMarker.value]) { _, marker in marker }
    }
}

/// How a remote secret's tags change to match the metadata: `set` the missing or different ones,
/// `remove` the others (pure, tested).
struct TagPlan: Equatable {
    var set: [String: String]
    var remove: [String]

    init(current: [String: String], desired: [String: String]) {
        set = desired.filter { current[$0.key] != $0.value }
        remove = current.keys.filter { desired[$0] == nil }.sorted()
    }
}

extension PushTarget {
    /// `metadata` as JSON text, for the metadata parsers.
    var metadataJSON: Data? {
        get throws(ProviderError) {
            guard let metadata else { return nil }
            do {
                return try JSONEncoder().encode(metadata)
            } catch {
                throw ProviderError.invalidConfiguration("PushSecret metadata cannot be read as JSON")
            }
        }
    }
}
