public import ExternalSecretsAPI
import Foundation
public import KubeModel
public import ProviderKit

/// What to do with the target Secret after a successful fetch, and what to report.
public struct SecretWritePlan: Sendable, Equatable {
    public enum Write: Sendable, Equatable {
        /// Nothing to write: the Secret already is as desired, or the policy forbids writing.
        case none
        case create(Secret)
        case update(Secret)
        /// Delete the target Secret (deletionPolicy Delete with nothing left to sync).
        case delete(name: String)
    }

    public var write: Write
    /// The Ready condition's reason and message after the write succeeds.
    public var reason: String
    public var message: String
    /// A Normal Event to record after the write succeeds.
    public var event: (reason: String, message: String)?

    public static func == (lhs: SecretWritePlan, rhs: SecretWritePlan) -> Bool {
        lhs.write == rhs.write && lhs.reason == rhs.reason && lhs.message == rhs.message
            && lhs.event?.reason == rhs.event?.reason && lhs.event?.message == rhs.event?.message
    }
}

/// Why a write is refused. The message is shown in the Ready condition and a Warning Event.
public struct SyncRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// The fields of a Secret one field manager owns, read from `metadata.managedFields` (any
/// operation, main resource). This is how ESO finds the keys it wrote and removes those it no
/// longer produces, and how a Secret last written by ESO is taken over without leftover keys.
public struct OwnedSecretFields: Sendable, Hashable {
    public var dataKeys: Set<String> = []
    public var labels: Set<String> = []
    public var annotations: Set<String> = []

    /// Nothing owned (a Secret that does not exist yet).
    public init() {}

    public init(of secret: Secret, manager: String) {
        for entry in secret.metadata.managedFields ?? [] where entry.manager == manager {
            if let subresource = entry.subresource, !subresource.isEmpty { continue }
            guard let fields = entry.fieldsV1 else { continue }
            dataKeys.formUnion(Self.names(in: fields["f:data"]))
            labels.formUnion(Self.names(in: fields["f:metadata"]?["f:labels"]))
            annotations.formUnion(Self.names(in: fields["f:metadata"]?["f:annotations"]))
        }
    }

    /// The `f:<name>` members of a fieldsV1 object, without the prefix.
    private static func names(in value: JSONValue?) -> [String] {
        guard case .object(let members)? = value else { return [] }
        return members.keys.compactMap { $0.hasPrefix("f:") ? String($0.dropFirst(2)) : nil }
    }
}

/// The object that owns (controls) a target Secret: written into the Secret's controller owner
/// reference and checked against an existing one. An ESO ExternalSecret owns its own target;
/// a KES `kubernetes-client.io/v1` ExternalSecret owns the Secret its mapping plans.
public struct SecretOwner: Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String?

    public init(apiVersion: String, kind: String, name: String, uid: String?) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
    }

    /// An ESO ExternalSecret as the owner of its target.
    public init(_ es: ExternalSecret) {
        self.init(
            apiVersion: ExternalSecretsAPIGroup.apiVersion, kind: "ExternalSecret", name: es.metadata.name ?? "",
            uid: es.metadata.uid)
    }

    /// The controller owner reference naming this owner (nil without a uid).
    var controllerReference: OwnerReference? {
        uid.map {
            OwnerReference(
                apiVersion: apiVersion, kind: kind, name: name, uid: $0, controller: true, blockOwnerDeletion: true)
        }
    }
}

/// Computes the Secret an ExternalSecret wants from fetched data and the current target.
/// Pure: no client, no clock. ESO's semantics (ESO-BEHAVIOUR.md "Writing"), with one deliberate
/// difference: under creationPolicy Owner an existing Secret that no ExternalSecret manages is
/// not taken over unless the ExternalSecret carries `ESONames.allowTakeoverAnnotation: "true"`.
public enum SecretWritePlanner {
    /// The Secret name the ExternalSecret writes.
    public static func targetName(of es: ExternalSecret) -> String {
        if let name = es.spec.target?.name, !name.isEmpty { return name }
        return es.metadata.name ?? ""
    }

    /// - Parameters:
    ///   - data: the fetched data (after decoding, conversion and rewrite). An empty result feeds
    ///     deletionPolicy, as in ESO, before any template runs.
    ///   - rendered: what `spec.target.template` produced from `data`, if the ExternalSecret has one;
    ///     its data, labels, annotations and type then replace the fetched data and the
    ///     ExternalSecret's own labels and annotations.
    ///   - existing: the current target Secret read directly (with managedFields), or nil.
    ///   - owner: the object named in the Secret's controller owner reference; nil: `es` itself.
    public static func plan(
        for es: ExternalSecret, data: SecretData, rendered: RenderedTarget? = nil, existing: Secret?,
        owner: SecretOwner? = nil
    ) throws(SyncRefusal) -> SecretWritePlan {
        let owner = owner ?? SecretOwner(es)
        let creation = es.spec.target?.creationPolicy ?? .owner
        let deletion = es.spec.target?.deletionPolicy ?? .retain
        let name = targetName(of: es)

        if creation == .none {
            return SecretWritePlan(write: .none, reason: ESOReason.secretSynced, message: ESOMessage.creationPolicyNone)
        }
        if let existing { try checkOwnership(of: existing, by: es, owner: owner, creation: creation) }

        if data.isEmpty {
            switch deletion {
            case .delete:
                guard existing != nil else {
                    return SecretWritePlan(write: .none, reason: ESOReason.secretDeleted, message: ESOMessage.secretDeleted)
                }
                return SecretWritePlan(
                    write: .delete(name: name), reason: ESOReason.secretDeleted, message: ESOMessage.secretDeleted,
                    event: (ESOEventReason.deleted, ESOMessage.secretDeleted))
            case .retain:
                return SecretWritePlan(write: .none, reason: ESOReason.secretSynced, message: ESOMessage.secretRetained)
            case .merge:
                break  // remove the keys this ExternalSecret manages, keep the rest
            }
        }

        if creation == .merge && existing == nil {
            return SecretWritePlan(write: .none, reason: ESOReason.secretMissing, message: ESOMessage.secretMissingMerge)
        }

        let desired = desiredSecret(
            for: es, data: rendered?.data ?? data, rendered: rendered, existing: existing, name: name, creation: creation,
            owner: owner)
        guard let existing else {
            return SecretWritePlan(
                write: .create(desired), reason: ESOReason.secretSynced, message: ESOMessage.secretSynced,
                event: (ESOEventReason.created, ESOMessage.secretCreated))
        }
        if existing.immutable == true && (existing.data ?? [:]) != (desired.data ?? [:]) {
            throw SyncRefusal(
                "Secret \"\(name)\" is immutable and its data would change; delete it to let it be recreated")
        }
        if isSameContent(existing, desired) {
            return SecretWritePlan(write: .none, reason: ESOReason.secretSynced, message: ESOMessage.secretSynced)
        }
        return SecretWritePlan(
            write: .update(desired), reason: ESOReason.secretSynced, message: ESOMessage.secretSynced,
            event: (ESOEventReason.updated, ESOMessage.secretUpdated))
    }

    /// Refuses to write a Secret that belongs to someone else.
    static func checkOwnership(
        of secret: Secret, by es: ExternalSecret, owner: SecretOwner, creation: CreationPolicy
    ) throws(SyncRefusal) {
        let name = secret.metadata.name ?? ""
        let controller = secret.metadata.ownerReferences?.first { $0.controller == true }
        if let controller, controller.uid != owner.uid {
            if controller.kind == "ExternalSecret" {
                throw SyncRefusal("Secret \"\(name)\" is controlled by another ExternalSecret \"\(controller.name)\"")
            }
            if creation == .owner {
                throw SyncRefusal("Secret \"\(name)\" is controlled by \(controller.kind) \"\(controller.name)\"; creationPolicy Owner cannot take it over")
            }
        }
        guard creation == .owner, controller == nil else { return }
        let createdBy = secret.metadata.labels?[ESONames.createdByLabel]
        let ours = createdBy == ESOHashes.createdBy(namespace: es.metadata.namespace ?? "", name: es.metadata.name ?? "")
        if ours { return }
        if es.metadata.annotations?[ESONames.allowTakeoverAnnotation] == "true" { return }
        throw SyncRefusal(
            "Secret \"\(name)\" already exists and is not managed by this ExternalSecret; refusing to take it over "
                + "(set annotation \(ESONames.allowTakeoverAnnotation)=\"true\" on the ExternalSecret to allow it, "
                + "or use creationPolicy Merge)")
    }

    /// The Secret to write: the existing one minus what this ExternalSecret's field manager wrote
    /// before, plus the fetched data, the ExternalSecret's labels and annotations and ESO's marks.
    static func desiredSecret(
        for es: ExternalSecret, data: SecretData, rendered: RenderedTarget?, existing: Secret?, name: String,
        creation: CreationPolicy, owner: SecretOwner
    ) -> Secret {
        let manager = ESONames.fieldManager(externalSecretName: es.metadata.name ?? "")
        var secret = existing ?? Secret(metadata: ObjectMeta(name: name, namespace: es.metadata.namespace))
        let owned = existing.map { OwnedSecretFields(of: $0, manager: manager) } ?? OwnedSecretFields()

        var newData = secret.data ?? [:]
        for key in owned.dataKeys { newData[key] = nil }
        newData.merge(data) { _, fetched in fetched }

        var labels = secret.metadata.labels ?? [:]
        for key in owned.labels { labels[key] = nil }
        labels.merge(rendered?.labels ?? es.metadata.labels ?? [:]) { _, new in new }
        labels[ESONames.managedLabel] = ESONames.managedLabelValue
        if creation == .owner {
            labels[ESONames.createdByLabel] = ESOHashes.createdBy(
                namespace: es.metadata.namespace ?? "", name: es.metadata.name ?? "")
        }

        var annotations = secret.metadata.annotations ?? [:]
        for key in owned.annotations { annotations[key] = nil }
        annotations.merge(rendered?.annotations ?? es.metadata.annotations ?? [:]) { _, new in new }
        annotations[ESONames.dataHashAnnotation] = ESOHashes.dataHash(newData)

        if creation == .owner, let reference = owner.controllerReference {
            let uid = reference.uid
            var references = secret.metadata.ownerReferences ?? []
            if let index = references.firstIndex(where: { $0.uid == uid }) {
                references[index] = reference
            } else {
                references.append(reference)
            }
            secret.metadata.ownerReferences = references
        }

        secret.data = newData
        secret.stringData = nil
        secret.metadata.labels = labels
        secret.metadata.annotations = annotations
        if let type = rendered?.type ?? es.spec.target?.template?.type, !type.isEmpty {
            secret.type = type
        } else if secret.type == nil {
            secret.type = "Opaque"
        }
        if es.spec.target?.immutable == true { secret.immutable = true }
        return secret
    }

    /// Whether writing `desired` over `existing` would change anything a reader can see.
    static func isSameContent(_ existing: Secret, _ desired: Secret) -> Bool {
        (existing.data ?? [:]) == (desired.data ?? [:])
            && (existing.metadata.labels ?? [:]) == (desired.metadata.labels ?? [:])
            && (existing.metadata.annotations ?? [:]) == (desired.metadata.annotations ?? [:])
            && (existing.metadata.ownerReferences ?? []) == (desired.metadata.ownerReferences ?? [])
            && (existing.type ?? "Opaque") == (desired.type ?? "Opaque")
            && (existing.immutable ?? false) == (desired.immutable ?? false)
    }
}
