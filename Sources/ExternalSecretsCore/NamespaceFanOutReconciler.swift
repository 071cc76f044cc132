public import ControllerRuntime
import ExternalSecretsAPI
import GoCompat
public import KubeClient
public import KubeModel
public import Logging

/// Reconciles one ClusterExternalSecret or ClusterPushSecret: reads the namespaces and the
/// children from caches, plans (`FanOutPlanner`), writes the children that differ, deletes the
/// ones no longer wanted, and writes ESO's status.
///
/// Guarantees:
/// - **no finalizer on any Namespace, ever**, and none of its own on the parent: children carry a
///   controller owner reference, so deleting the parent lets kube-controller-manager's garbage
///   collector delete them, and deleting a namespace is never held up by this operator (ESO puts
///   a finalizer on each target namespace: ESO#6677, #5426). A parent carrying ESO's finalizer
///   (migration) has its children deleted explicitly and the finalizer released;
/// - a child this parent does not control is never overwritten or deleted: its namespace is
///   listed in `failedNamespaces` with the reason;
/// - a refused spec (bad selector, child spec ESO's rules refuse, invalid name) creates, changes
///   and deletes nothing: Ready False with the reason, and no retry until the parent changes;
/// - level-triggered: children wanted and not wanted are found from the caches every time, not
///   from the previous status, so a lost status write or a restart leaves nothing behind.
public final class NamespaceFanOutReconciler<Parent: FanOutParent, C: Clock>: Sendable where C.Duration == Duration {
    public struct Dependencies: Sendable {
        public var client: KubeClient
        /// Every namespace, metadata only.
        public var namespaces: Store<PartialObjectMetadata>
        /// Every child of this kind, indexed by `FanOutIndex.controller`.
        public var children: Store<Parent.Child>
        public var ownStatusWrites: OwnWrites
        /// ESO's finalizer on the parent kind, released on sight (nil: ESO has none).
        public var esoFinalizer: String?
        /// `<kind>_status_condition`, ESO's gauge of the parent's conditions.
        public var conditionMetric: String

        public init(
            client: KubeClient, namespaces: Store<PartialObjectMetadata>, children: Store<Parent.Child>,
            ownStatusWrites: OwnWrites, esoFinalizer: String?, conditionMetric: String
        ) {
            self.client = client
            self.namespaces = namespaces
            self.children = children
            self.ownStatusWrites = ownStatusWrites
            self.esoFinalizer = esoFinalizer
            self.conditionMetric = conditionMetric
        }
    }

    private let dependencies: Dependencies
    private let logger: Logger
    /// The periodic re-check when `refreshTime` is unset (ESO: one hour).
    public static var defaultRefresh: Duration { .seconds(3600) }

    public init(dependencies: Dependencies, logger: Logger) {
        self.dependencies = dependencies
        self.logger = logger
    }

    /// Forgets a deleted parent: its metric series.
    public func forget(_ key: ObjectKey) {
        removeObjectMetrics(
            key, conditionLabel: dependencies.conditionMetric, conditionTypes: [ESONames.conditionReady])
    }

    public func reconcile(_ parent: Parent) async throws -> ReconcileAction {
        guard let esoFinalizer = dependencies.esoFinalizer else {
            if parent.metadata.deletionTimestamp != nil { return .awaitChange }  // the garbage collector's turn
            return try await sync(parent)
        }
        // This operator needs no finalizer (owner references suffice); ESO's is removed from live
        // objects and honoured on deleted ones, so a migrated parent never hangs in deletion.
        return try await Finalizer(name: esoFinalizer, client: dependencies.client).run(
            parent, needed: false, deleted: .awaitChange, cleanUp: { try await deleteChildren(of: parent) }
        ) {
            if parent.metadata.deletionTimestamp != nil { return .awaitChange }
            return try await sync(parent)
        }
    }

    // MARK: - Sync

    private func sync(_ parent: Parent) async throws -> ReconcileAction {
        let refresh =
            parent.refreshTime.flatMap { GoDuration.parse($0) }.flatMap { $0 > .zero ? $0 : nil } ?? Self.defaultRefresh
        do {
            try validate(parent)
        } catch {
            let outcome = FanOutOutcome(
                childName: parent.childName, provisioned: provisioned(before: parent), failed: [:],
                invalid: error.message)
            logger.warning(
                "spec refused",
                metadata: ["\(Parent.resource.kind)": "\(ObjectKey(parent))", "error": "\(error.message)"])
            try await writeStatus(parent.status(after: outcome), of: parent)
            throw TerminalReconcileError(error)
        }

        let plan = FanOutPlanner.plan(
            parent, namespaces: namespaces(), existing: { dependencies.children.get($0) },
            controlled: dependencies.children.objects(
                index: FanOutIndex.controller, value: Parent.controllerIndexValue(name: parent.metadata.name ?? "")))
        var failed = plan.refused
        var retry: (any Error)?
        var provisioned = Set(plan.unchanged)
        for child in plan.creates {
            let namespace = child.metadata.namespace ?? ""
            do {
                _ = try await dependencies.client.api(Parent.Child.self, namespace: namespace).create(child)
                provisioned.insert(namespace)
            } catch {
                // Already there (the cache trails the server), conflicts, throttling: retried.
                failed[namespace] = describe(error)
                retry = error
            }
        }
        for child in plan.updates {
            let namespace = child.metadata.namespace ?? ""
            do {
                _ = try await dependencies.client.api(Parent.Child.self, namespace: namespace).replace(child)
                provisioned.insert(namespace)
            } catch {
                failed[namespace] = describe(error)
                retry = error
            }
        }
        for key in plan.deletions {
            do {
                try await delete(key)
            } catch {
                failed[key.namespace ?? ""] = describe(error)
                retry = error
            }
        }
        let outcome = FanOutOutcome(childName: parent.childName, provisioned: provisioned.sorted(), failed: failed)
        if !plan.creates.isEmpty || !plan.updates.isEmpty || !plan.deletions.isEmpty {
            logger.info(
                "namespaces reconciled",
                metadata: [
                    "\(Parent.resource.kind)": "\(ObjectKey(parent))", "created": "\(plan.creates.count)",
                    "updated": "\(plan.updates.count)", "deleted": "\(plan.deletions.count)",
                    "failed": "\(failed.count)",
                ])
        }
        try await writeStatus(parent.status(after: outcome), of: parent)
        if let retry { throw retry }
        return .requeue(after: refresh)
    }

    private func validate(_ parent: Parent) throws(InvalidSpec) {
        let name = parent.childName
        guard LabelSyntax.isDNSSubdomain(name) else {
            throw InvalidSpec(FanOutMessage.invalidChildName(name, kind: Parent.childKind))
        }
        try parent.selection.validate(fields: parent.selectorFields)
        try parent.validateChildSpec()
    }

    /// The namespaces provisioned before, as the cache shows them now (kept when the spec is
    /// refused, since nothing is touched then).
    private func provisioned(before parent: Parent) -> [String] {
        dependencies.children.objects(
            index: FanOutIndex.controller, value: Parent.controllerIndexValue(name: parent.metadata.name ?? "")
        ).filter { $0.metadata.name == parent.childName }.compactMap(\.metadata.namespace).sorted()
    }

    private func namespaces() -> [FanOutNamespace] {
        dependencies.namespaces.list().map { namespace in
            FanOutNamespace(
                name: namespace.metadata.name ?? "", labels: namespace.metadata.labels ?? [:],
                terminating: namespace.metadata.deletionTimestamp != nil)
        }
    }

    /// Deletes one child this parent controls (a 404 is success). Background propagation: the
    /// child's own finalizer (an ExternalSecret with deletionPolicy Delete, a PushSecret with
    /// deletionPolicy Delete) then does its clean-up.
    private func delete(_ key: ObjectKey) async throws {
        do {
            try await dependencies.client.api(Parent.Child.self, namespace: key.namespace).delete(key.name)
        } catch let error as KubeAPIError where error.isNotFound {}
    }

    /// On deletion of a parent with ESO's finalizer: every child it controls.
    private func deleteChildren(of parent: Parent) async throws {
        let children = dependencies.children.objects(
            index: FanOutIndex.controller, value: Parent.controllerIndexValue(name: parent.metadata.name ?? ""))
        for child in children { try await delete(ObjectKey(child)) }
    }

    /// The API server's own message (names and reasons, never a value).
    private func describe(_ error: any Error) -> String {
        if let error = error as? KubeAPIError, let message = error.status?.message { return message }
        return "\(error)"
    }

    private func writeStatus(_ status: Parent.Status, of parent: Parent) async throws {
        guard
            try await StatusWriter<Parent>(client: dependencies.client, ownWrites: dependencies.ownStatusWrites)
                .write(status, old: parent.status, of: parent)
        else { return }
        recordConditionGauges(
            dependencies.conditionMetric, name: parent.metadata.name ?? "", namespace: "",
            conditions: Parent.conditions(of: status))
    }
}
