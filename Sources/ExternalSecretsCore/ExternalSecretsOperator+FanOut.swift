import ControllerRuntime
import ExternalSecretsAPI
import KubeClient
import KubeModel
import Logging

/// ESO's finalizer on ClusterExternalSecrets; this operator never adds it and releases it on sight.
let esoClusterExternalSecretFinalizer = "externalsecrets.external-secrets.io/clusterexternalsecret-cleanup"

extension ExternalSecretsOperator {
    /// The controller of a fan-out kind (ClusterExternalSecret, ClusterPushSecret), declared with
    /// what it watches:
    /// - its own objects (new and changed first);
    /// - namespaces (metadata only): a namespace created, deleted or relabelled wakes every parent
    ///   that chooses it before or after the change, so label changes apply at once;
    /// - its children: a child changed or deleted by someone else (spec, labels, annotations,
    ///   owner) wakes its controlling parent, and any child appearing or going under a parent's
    ///   child name wakes that parent (a conflicting object removed → the namespace is provisioned).
    ///   Status-only changes of children wake nothing.
    static func fanOutController<Parent: FanOutParent, Children: ChangeSource<Parent.Child>>(
        name: String, client: KubeClient, namespaces: Reflector<PartialObjectMetadata, C>, children: Children,
        esoFinalizer: String?, conditionMetric: String, options: OperatorOptions, clock: C, logger: Logger
    ) -> Controller<Parent, C> {
        let ownStatusWrites = OwnWrites()
        let reconciler = NamespaceFanOutReconciler<Parent, C>(
            dependencies: .init(
                client: client, namespaces: namespaces.store, children: children.store,
                ownStatusWrites: ownStatusWrites,
                esoFinalizer: esoFinalizer, conditionMetric: conditionMetric),
            logger: logger)
        let controller = Controller<Parent, C>(
            name: name, api: client.api(Parent.self),
            indexes: [StoreIndex(name: FanOutIndex.childName) { parent in [parent.childName] }],
            workers: options.concurrent, clock: clock, logger: logger,
            reconcileTimeout: options.reconcileTimeout, shutdownGracePeriod: options.shutdownGracePeriod,
            ownWrites: ownStatusWrites
        ) { parent in
            // The plan compares against both caches: they must hold full listings.
            await namespaces.store.waitUntilSynced()
            await children.store.waitUntilSynced()
            try Task.checkCancellation()
            return try await reconciler.reconcile(parent)
        }
        controller.watches(namespaces) { [parents = controller.store] change in
            let states = [change.old, change.new].compactMap { $0 }.map { namespace in
                (name: namespace.metadata.name ?? "", labels: namespace.metadata.labels ?? [:])
            }
            if let old = change.old, let new = change.new, old.metadata.labels == new.metadata.labels,
                old.metadata.deletionTimestamp == new.metadata.deletionTimestamp
            {
                return []  // nothing a selection reads has changed
            }
            return parents.list().filter { parent in
                states.contains { parent.selection.matches(name: $0.name, labels: $0.labels) }
            }.map { ObjectKey($0) }
        }
        let ownerPrefix = Parent.controllerIndexValue(name: "")
        controller.watches(children) { [parents = controller.store] change in
            guard let child = change.new ?? change.old else { return [] }
            if let old = change.old, let new = change.new, old.metadata.generation == new.metadata.generation,
                old.metadata.labels == new.metadata.labels, old.metadata.annotations == new.metadata.annotations,
                old.metadata.ownerReferences == new.metadata.ownerReferences,
                old.metadata.deletionTimestamp == new.metadata.deletionTimestamp
            {
                return []  // a status write
            }
            let owners =
                ([change.old, change.new].compactMap { $0 }.flatMap { FanOutIndex.controllerValues(of: $0.metadata) })
                .filter { $0.hasPrefix(ownerPrefix) }
                .map { ObjectKey(namespace: nil, name: String($0.dropFirst(ownerPrefix.count))) }
            let sameName = parents.keys(index: FanOutIndex.childName, value: child.metadata.name ?? "")
            return Array(Set(owners + sameName))
        }
        controller.onDeletion { key, _ in reconciler.forget(key) }
        return controller
    }

    /// The index of children by controlling parent (`FanOutIndex.controller`), added to the
    /// ExternalSecret and PushSecret caches when a fan-out kind is reconciled.
    static func fanOutControllerIndex<Child: KubeObject>(_: Child.Type) -> StoreIndex<Child> {
        StoreIndex(name: FanOutIndex.controller) { child in FanOutIndex.controllerValues(of: child.metadata) }
    }
}
