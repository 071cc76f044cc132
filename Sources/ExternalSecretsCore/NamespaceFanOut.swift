public import ControllerRuntime
public import ExternalSecretsAPI
public import KubeModel

/// A cluster-scoped kind that keeps one namespaced object (its child) in every namespace it
/// chooses: ClusterExternalSecret → ExternalSecret, ClusterPushSecret → PushSecret. What differs
/// between the two kinds is stated here; what they share (the plan, the reconciler) is written
/// once (`FanOutPlanner`, `NamespaceFanOutReconciler`).
public protocol FanOutParent: KubeResource, Hashable {
    associatedtype Child: KubeResource, Hashable
    associatedtype Status: Codable, Sendable, Hashable

    /// The child kind, as messages name it (`ExternalSecret`).
    static var childKind: String { get }
    /// The name of the child in every namespace (the spec's name, else the object's own).
    var childName: String { get }
    /// The namespaces chosen, and the spec paths of the selectors (for messages).
    var selection: NamespaceSelection { get }
    var selectorFields: [String] { get }
    /// Go duration text of the periodic re-check, if set.
    var refreshTime: String? { get }
    var status: Status? { get }

    /// Checks of the child spec the CRD schema cannot make (thrown with the parent's field path).
    func validateChildSpec() throws(InvalidSpec)
    /// `child` (an existing one, or a bare one with only name and namespace set) with what this
    /// parent decides: labels, annotations, spec. Owner references are set by the planner.
    func shape(_ child: Child) -> Child
    /// A new, empty child named `name` in `namespace` (shaped afterwards).
    static func emptyChild(name: String, namespace: String, like parent: Self) -> Child
    /// The status after a reconcile.
    func status(after outcome: FanOutOutcome) -> Status
    /// The conditions of a status, for ESO's `<kind>_status_condition` gauges.
    static func conditions(of status: Status) -> [StatusCondition]
}

extension FanOutParent {
    /// The controller owner reference every child carries (ESO's `SetControllerReference`:
    /// `blockOwnerDeletion`, so foreground deletion of the parent waits for its children).
    public var controllerReference: OwnerReference {
        OwnerReference(
            apiVersion: Self.resource.apiVersion, kind: Self.resource.kind, name: metadata.name ?? "",
            uid: metadata.uid ?? "", controller: true, blockOwnerDeletion: true)
    }

    /// The index value under which children controlled by a parent of this kind and `name` are
    /// filed (`FanOutIndex.controller`).
    public static func controllerIndexValue(name: String) -> String {
        "\(resource.group)/\(resource.kind)/\(name)"
    }

    /// Whether `child` is controlled by a parent of this kind named `name`. As in ESO, by group,
    /// kind and name (not uid), so children ESO created are taken over after a migration.
    public static func controls(_ child: Child, name: String) -> Bool {
        FanOutIndex.controllerValues(of: child.metadata).contains(controllerIndexValue(name: name))
    }
}

/// The cache indexes the fan-out uses.
public enum FanOutIndex {
    /// Children by their controller owner (`group/Kind/name`).
    public static let controller = "fan-out-controller"
    /// Parents by the name of their children.
    public static let childName = "fan-out-child-name"

    /// The `group/Kind/name` of an object's controller owner reference, if any.
    public static func controllerValues(of metadata: ObjectMeta) -> [String] {
        guard let owner = metadata.ownerReferences?.first(where: { $0.controller == true }) else { return [] }
        let group = owner.apiVersion.split(separator: "/").dropLast().joined(separator: "/")
        return ["\(group)/\(owner.kind)/\(owner.name)"]
    }
}

/// One namespace as the fan-out sees it (from a metadata-only cache).
public struct FanOutNamespace: Sendable, Hashable {
    public var name: String
    public var labels: [String: String]
    /// Being deleted: nothing is created or updated in it; kube-controller-manager removes what
    /// it holds.
    public var terminating: Bool

    public init(name: String, labels: [String: String] = [:], terminating: Bool = false) {
        self.name = name
        self.labels = labels
        self.terminating = terminating
    }
}

/// What one reconcile of a parent does: children to create, to update (whole objects with the
/// resourceVersion read, for a replace) and to delete, and namespaces that cannot get one.
public struct FanOutPlan<Child: KubeResource & Hashable>: Sendable, Hashable {
    public var creates: [Child] = []
    public var updates: [Child] = []
    public var deletions: [ObjectKey] = []
    /// Namespace → why its child cannot be written (an object of the same name this parent does
    /// not own). Not retried until something changes.
    public var refused: [String: String] = [:]
    /// Namespaces whose child is already as wanted.
    public var unchanged: [String] = []
}

/// What a reconcile achieved, for the status.
public struct FanOutOutcome: Sendable, Hashable {
    public var childName: String
    /// Namespaces that hold the child as wanted, sorted.
    public var provisioned: [String]
    /// Namespace → reason, for those that could not be provisioned (or cleaned up).
    public var failed: [String: String]
    /// Set when the spec is refused before anything was planned: the reason.
    public var invalid: String?
    /// The namespaces provisioned before (kept when the spec is refused: nothing was touched).
    public init(childName: String, provisioned: [String], failed: [String: String], invalid: String? = nil) {
        self.childName = childName
        self.provisioned = provisioned
        self.failed = failed
        self.invalid = invalid
    }

    /// `failed` as ESO lists it: sorted by namespace.
    public var failures: [NamespaceFailure]? {
        failed.isEmpty
            ? nil : failed.sorted { $0.key < $1.key }.map { NamespaceFailure(namespace: $0.key, reason: $0.value) }
    }

    /// ESO's Ready condition: True without failures, else False with ESO's message (or, for a
    /// refused spec, the reason).
    public var ready: (status: String, message: String?) {
        if let invalid { return ("False", invalid) }
        return failed.isEmpty ? ("True", nil) : ("False", FanOutMessage.namespacesFailed)
    }
}

/// Messages of the fan-out controllers (ESO's where ESO has one).
public enum FanOutMessage {
    /// ESO's Ready=False message when any namespace failed.
    public static let namespacesFailed = "one or more namespaces failed"

    /// Why a namespace's child was not written: one of that name exists and is not ours. Starts
    /// with ESO's text (`external secret already exists in namespace`).
    public static func notOwned(kind: String, name: String, parentKind: String) -> String {
        let esoText = kind == "PushSecret" ? "push secret" : "external secret"
        return "\(esoText) already exists in namespace: \(kind) \"\(name)\" is not owned by this \(parentKind); "
            + "it is left as it is"
    }

    public static func invalidChildName(_ name: String, kind: String) -> String {
        "the \(kind) name \"\(name)\" is not a valid object name (lower-case letters, digits, '-' and '.', at most 253 characters)"
    }
}

/// The pure decision of a fan-out reconcile: from the parent, the namespaces and the children
/// that exist, what to create, update and delete. No client, no clock.
///
/// Guarantees: a child this parent does not control is never in `updates` or `deletions`; a
/// namespace that is terminating gets no write (its children go with it); every child this parent
/// controls that is not its current name in a chosen, live namespace is deleted (a namespace that
/// stopped matching, a renamed child, a namespace removed from `namespaces`).
public enum FanOutPlanner {
    /// - Parameters:
    ///   - existing: the child of `key` if any (any owner).
    ///   - controlled: every child this parent controls, wherever it is.
    public static func plan<Parent: FanOutParent>(
        _ parent: Parent, namespaces: [FanOutNamespace], existing: (ObjectKey) -> Parent.Child?,
        controlled: [Parent.Child]
    ) -> FanOutPlan<Parent.Child> {
        let name = parent.childName
        let parentName = parent.metadata.name ?? ""
        let reference = parent.controllerReference
        var plan = FanOutPlan<Parent.Child>()
        var wanted: Set<ObjectKey> = []
        for namespace in namespaces.sorted(by: { $0.name < $1.name })
        where !namespace.terminating && parent.selection.matches(name: namespace.name, labels: namespace.labels) {
            let key = ObjectKey(namespace: namespace.name, name: name)
            wanted.insert(key)
            guard let current = existing(key) else {
                plan.creates.append(
                    owned(
                        parent.shape(Parent.emptyChild(name: name, namespace: namespace.name, like: parent)),
                        by: reference))
                continue
            }
            guard Parent.controls(current, name: parentName) else {
                plan.refused[namespace.name] = FanOutMessage.notOwned(
                    kind: Parent.childKind, name: name, parentKind: Parent.resource.kind)
                continue
            }
            let desired = owned(parent.shape(current), by: reference)
            if desired == current { plan.unchanged.append(namespace.name) } else { plan.updates.append(desired) }
        }
        let terminating = Set(namespaces.filter(\.terminating).map(\.name))
        plan.deletions = controlled.map { ObjectKey($0) }
            .filter { !wanted.contains($0) && !terminating.contains($0.namespace ?? "") }
            .sorted()
        return plan
    }

    /// `child` with `reference` as its controller owner reference; its other owners are kept.
    static func owned<Child: KubeResource>(_ child: Child, by reference: OwnerReference) -> Child {
        var child = child
        var references = child.metadata.ownerReferences ?? []
        if let index = references.firstIndex(where: { $0.controller == true }) {
            references[index] = reference  // in place: the order is part of what is compared
        } else {
            references.append(reference)
        }
        child.metadata.ownerReferences = references
        return child
    }

    /// The labels and annotations a child gets: the parent's child metadata, plus the parent's
    /// `force-sync` annotation when it has one (so forcing the parent forces every child).
    public static func childMetadata(
        _ metadata: ChildMetadata?, parentAnnotations: [String: String]?
    ) -> (labels: [String: String]?, annotations: [String: String]?) {
        var annotations = metadata?.annotations
        if let force = parentAnnotations?[ESONames.forceSyncAnnotation] {
            annotations = (annotations ?? [:]).merging([ESONames.forceSyncAnnotation: force]) { _, new in new }
        } else {
            annotations?[ESONames.forceSyncAnnotation] = nil
        }
        return (metadata?.labels.flatMap { $0.isEmpty ? nil : $0 }, annotations.flatMap { $0.isEmpty ? nil : $0 })
    }
}

// MARK: - The two kinds

extension ClusterExternalSecret: FanOutParent {
    public typealias Child = ExternalSecret
    public static var childKind: String { "ExternalSecret" }

    public var childName: String { spec.externalSecretName ?? metadata.name ?? "" }

    public var selection: NamespaceSelection {
        NamespaceSelection(
            selectors: (spec.namespaceSelector.map { [$0] } ?? []) + (spec.namespaceSelectors ?? []),
            names: spec.namespaces ?? [])
    }

    public var selectorFields: [String] {
        (spec.namespaceSelector.map { _ in ["spec.namespaceSelector"] } ?? [])
            + (spec.namespaceSelectors ?? []).indices.map { "spec.namespaceSelectors[\($0)]" }
    }

    public var refreshTime: String? { spec.refreshTime }

    public func validateChildSpec() throws(InvalidSpec) {
        do {
            try ExternalSecretValidation.validate(spec.externalSecretSpec)
        } catch {
            throw InvalidSpec(error.message.replacing("spec.", with: "spec.externalSecretSpec."))
        }
    }

    public func shape(_ child: ExternalSecret) -> ExternalSecret {
        var child = child
        let metadata = FanOutPlanner.childMetadata(
            spec.externalSecretMetadata, parentAnnotations: self.metadata.annotations)
        child.metadata.labels = metadata.labels
        child.metadata.annotations = metadata.annotations
        child.spec = spec.externalSecretSpec
        return child
    }

    public static func emptyChild(name: String, namespace: String, like parent: Self) -> ExternalSecret {
        ExternalSecret(metadata: ObjectMeta(name: name, namespace: namespace), spec: parent.spec.externalSecretSpec)
    }

    public func status(after outcome: FanOutOutcome) -> ClusterExternalSecretStatus {
        let ready = outcome.ready
        return ClusterExternalSecretStatus(
            externalSecretName: outcome.childName, failedNamespaces: outcome.failures,
            provisionedNamespaces: outcome.provisioned.isEmpty ? nil : outcome.provisioned,
            conditions: [
                ClusterExternalSecretCondition(
                    type: ESONames.conditionReady, status: ready.status, message: ready.message)
            ])
    }

    public static func conditions(of status: ClusterExternalSecretStatus) -> [StatusCondition] {
        (status.conditions ?? []).map { StatusCondition(type: $0.type, status: $0.status, message: $0.message) }
    }
}

extension ClusterPushSecret: FanOutParent {
    public typealias Child = PushSecret
    public static var childKind: String { "PushSecret" }

    public var childName: String { spec.pushSecretName ?? metadata.name ?? "" }

    public var selection: NamespaceSelection { NamespaceSelection(selectors: spec.namespaceSelectors ?? []) }

    public var selectorFields: [String] {
        (spec.namespaceSelectors ?? []).indices.map { "spec.namespaceSelectors[\($0)]" }
    }

    public var refreshTime: String? { spec.refreshTime }

    public func validateChildSpec() throws(InvalidSpec) {
        do {
            try PushSecretPlanner.validate(spec.pushSecretSpec)
        } catch {
            throw InvalidSpec(error.message.replacing("spec.", with: "spec.pushSecretSpec."))
        }
    }

    public func shape(_ child: PushSecret) -> PushSecret {
        // As in ESO: the metadata as given (ESO propagates no force-sync to PushSecrets).
        var child = child
        child.metadata.labels = spec.pushSecretMetadata?.labels.flatMap { $0.isEmpty ? nil : $0 }
        child.metadata.annotations = spec.pushSecretMetadata?.annotations.flatMap { $0.isEmpty ? nil : $0 }
        child.spec = spec.pushSecretSpec
        return child
    }

    public static func emptyChild(name: String, namespace: String, like parent: Self) -> PushSecret {
        PushSecret(metadata: ObjectMeta(name: name, namespace: namespace), spec: parent.spec.pushSecretSpec)
    }

    /// ESO's ClusterPushSecret writes the PushSecret `Ready` condition: True without a reason, or
    /// False with the message; a transition time is kept while the status stays.
    public func status(after outcome: FanOutOutcome) -> ClusterPushSecretStatus {
        let ready = outcome.ready
        var conditions = status?.conditions ?? []
        conditions.set(StatusCondition(type: ESONames.conditionReady, status: ready.status, message: ready.message))
        return ClusterPushSecretStatus(
            pushSecretName: outcome.childName, failedNamespaces: outcome.failures,
            provisionedNamespaces: outcome.provisioned.isEmpty ? nil : outcome.provisioned, conditions: conditions)
    }

    public static func conditions(of status: ClusterPushSecretStatus) -> [StatusCondition] { status.conditions ?? [] }
}
