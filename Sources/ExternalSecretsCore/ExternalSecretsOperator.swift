public import ControllerRuntime
public import ExternalSecretsAPI
public import Foundation
public import KubeClient
import KubeModel
public import Logging
public import ServiceLifecycle
import Synchronization
import Templating

/// Options of the operator, named after ESO's controller flags.
public struct OperatorOptions: Sendable {
    /// Watch only this namespace (`--namespace`); nil watches all.
    public var namespace: String?
    public var controllerClass = "default"
    /// Reconcile workers per controller (`--concurrent`).
    public var concurrent = 1
    public var storeRequeueInterval: Duration = .seconds(300)
    public var enableFloodGate = true
    public var enableSecretStoreReconciler = true
    public var enableClusterStoreReconciler = true
    /// Run the PushSecret controller (`--enable-push-secret-reconciler`).
    public var enablePushSecretReconciler = true
    /// Custom template delimiters (`--template-left-delimiter` / `--template-right-delimiter`).
    public var templateLeftDelimiter = ""
    public var templateRightDelimiter = ""
    /// Bounds on one template render: output bytes and wall time.
    public var templateMaxOutputBytes = 1 << 20
    public var templateTimeBudget: Duration = .seconds(2)
    /// How long identical provider reads of one store generation are shared across
    /// ExternalSecrets (`--provider-cache-window`); zero shares only reads in flight.
    public var providerCacheWindow: Duration = .seconds(10)
    /// The ExternalSecret work queue's overall rate (reconciles handed out per second, burst).
    public var reconcileQPS: Double = 50
    public var reconcileBurst = 500

    public init(namespace: String? = nil) { self.namespace = namespace }
}

/// Everything that runs while this replica leads: the ExternalSecret, SecretStore and
/// ClusterSecretStore controllers and the cache of managed Secrets, wired together.
///
/// Wiring: a change of a store (spec or Ready status) wakes every ExternalSecret that uses it; a
/// change or deletion of a managed Secret wakes the ExternalSecret that writes it. Only Secrets
/// carrying the managed label are cached (DESIGN.md invariant 1).
public final class ExternalSecretsOperator<C: Clock>: Service where C.Duration == Duration {
    public let externalSecrets: Controller<ExternalSecret, C>
    private let services: [any Service]
    private let clients: ClientManager
    private let synced: @Sendable () -> Bool

    static var storeIndex: String { "store" }
    static var targetIndex: String { "target" }

    public init(
        client: KubeClient, registry: ProviderRegistry, options: OperatorOptions, clock: C,
        now: @escaping @Sendable () -> Date = { Date() }, logger: Logger
    ) {
        let namespace = options.namespace
        let events = EventRecorder(client: client, component: "external-secrets", clock: clock, now: now, logger: logger)
        let clients = ClientManager(
            makeReader: { store in KubeReferenceReader(client: client, policy: ReferenceAccessPolicy(store: store)) },
            logger: logger)
        self.clients = clients
        let late = LateBound<Controller<ExternalSecret, C>>()
        let latePush = LateBound<Controller<PushSecret, C>>()
        let wake: @Sendable (String) async -> Void = { storeKey in
            if let controller = late.value {
                for key in controller.store.keys(index: Self.storeIndex, value: storeKey) {
                    await controller.queue.add(key, lane: .priority)
                }
            }
            if let controller = latePush.value {
                for key in controller.store.keys(index: Self.storeIndex, value: storeKey) {
                    await controller.queue.add(key, lane: .priority)
                }
            }
        }

        var services: [any Service] = []
        let storeReconciler = SecretStoreReconciler<SecretStore, C>(
            client: client, registry: registry, clients: clients, events: events, controllerClass: options.controllerClass,
            requeueInterval: options.storeRequeueInterval, now: now, logger: logger)
        let clusterStoreReconciler = SecretStoreReconciler<ClusterSecretStore, C>(
            client: client, registry: registry, clients: clients, events: events, controllerClass: options.controllerClass,
            requeueInterval: options.storeRequeueInterval, now: now, logger: logger)
        let secretStoreCache: ControllerRuntime.Store<SecretStore>
        let secretStoresAPI = client.api(SecretStore.self, namespace: namespace)
        let onSecretStoreChange: @Sendable (StoreChange<SecretStore>) async -> Void = { change in
            await wake("SecretStore/\(change.key.namespace ?? "")/\(change.key.name)")
        }
        if options.enableSecretStoreReconciler {
            let controller = Controller(
                name: "secretstore", api: secretStoresAPI, workers: options.concurrent, clock: clock, logger: logger,
                onChange: onSecretStoreChange, reconcile: storeReconciler.reconcile)
            secretStoreCache = controller.store
            services.append(controller)
        } else {
            let reflector = Reflector(api: secretStoresAPI, clock: clock, logger: logger, onChange: onSecretStoreChange)
            secretStoreCache = reflector.store
            services.append(reflector)
        }
        let clusterStoreCache: ControllerRuntime.Store<ClusterSecretStore>
        let clusterStoresAPI = client.api(ClusterSecretStore.self)
        let onClusterStoreChange: @Sendable (StoreChange<ClusterSecretStore>) async -> Void = { change in
            await wake("ClusterSecretStore/\(change.key.name)")
        }
        if options.enableClusterStoreReconciler {
            let controller = Controller(
                name: "clustersecretstore", api: clusterStoresAPI, workers: options.concurrent, clock: clock,
                logger: logger, onChange: onClusterStoreChange, reconcile: clusterStoreReconciler.reconcile)
            clusterStoreCache = controller.store
            services.append(controller)
        } else {
            // As in ESO, ClusterSecretStores are then not used at all; not watching them is what
            // lets the operator run with a namespaced Role only (the chart's scoped mode).
            let (store, writer) = ControllerRuntime.Store<ClusterSecretStore>.make()
            _ = writer.apply(.restarted([]))
            clusterStoreCache = store
        }

        let managedSecrets = Reflector(
            api: client.api(Secret.self, namespace: namespace),
            options: WatcherOptions(labelSelector: "\(ESONames.managedLabel)=\(ESONames.managedLabelValue)"),
            indexes: [
                StoreIndex(name: ExternalSecretReconciler<C>.controllerIndex) { secret in
                    secret.metadata.ownerReferences?.filter { $0.controller == true }.map(\.uid) ?? []
                }
            ],
            clock: clock, logger: logger
        ) { change in
            guard let controller = late.value, let secret = change.new ?? change.old else { return }
            let owner = secret.metadata.ownerReferences?.first { $0.controller == true && $0.kind == "ExternalSecret" }
            var keys = owner.map { [ObjectKey(namespace: secret.metadata.namespace, name: $0.name)] } ?? []
            keys += controller.store.keys(
                index: Self.targetIndex, value: "\(secret.metadata.namespace ?? "")/\(secret.metadata.name ?? "")")
            for key in Set(keys) { await controller.queue.add(key, lane: .priority) }
        }
        services.append(managedSecrets)

        var resolver = StoreResolver(
            secretStores: secretStoreCache, clusterStores: clusterStoreCache, controllerClass: options.controllerClass,
            floodGate: options.enableFloodGate,
            namespaceLabels: { name in try await client.api(Namespace.self).get(name).metadata.labels ?? [:] })
        resolver.clusterStoresEnabled = options.enableClusterStoreReconciler
        let callCache = ProviderCallCache(window: options.providerCacheWindow)
        let renderer: @Sendable () -> SecretTemplateRenderer = {
            let deadline = ContinuousClock.now + options.templateTimeBudget
            return SecretTemplateRenderer(
                limits: RenderLimits(
                    maxOutputBytes: options.templateMaxOutputBytes, shouldAbort: { ContinuousClock.now > deadline }),
                leftDelimiter: options.templateLeftDelimiter, rightDelimiter: options.templateRightDelimiter)
        }
        let reconciler = ExternalSecretReconciler(
            dependencies: .init(
                client: client, resolver: resolver, registry: registry, clients: clients,
                managedSecrets: managedSecrets.store, events: events, now: now,
                renderer: renderer,
                callCache: callCache),
            logger: logger)
        let externalSecrets = Controller(
            name: "externalsecret", api: client.api(ExternalSecret.self, namespace: namespace),
            indexes: [
                StoreIndex(name: Self.storeIndex) { es in Self.storeKeys(of: es) },
                StoreIndex(name: Self.targetIndex) { es in
                    ["\(es.metadata.namespace ?? "")/\(SecretWritePlanner.targetName(of: es))"]
                },
            ],
            workers: options.concurrent,
            queueConfiguration: WorkQueueConfiguration(qps: options.reconcileQPS, burst: options.reconcileBurst),
            clock: clock, logger: logger,
            onChange: { change in if change.new == nil { reconciler.forget(change.key) } }
        ) { es in
            await managedSecrets.store.waitUntilSynced()
            return try await reconciler.reconcile(es)
        }
        late.value = externalSecrets
        services.append(externalSecrets)
        self.externalSecrets = externalSecrets
        var caches: [@Sendable () -> Bool] = [
            { externalSecrets.store.isSynced }, { managedSecrets.store.isSynced },
            { secretStoreCache.isSynced }, { clusterStoreCache.isSynced },
        ]
        if options.enablePushSecretReconciler {
            // Source Secrets are watched by identity only (no data, labels or annotations), so
            // a PushSecret pushes as soon as its source changes, at a few hundred bytes per Secret.
            let sourceSecrets = Reflector(
                api: client.metadataAPI(Secret.resource, namespace: namespace),
                options: WatcherOptions(identityOnly: true), clock: clock, logger: logger
            ) { change in
                guard let controller = latePush.value else { return }
                let source = "\(change.key.namespace ?? "")/\(change.key.name)"
                for key in controller.store.keys(index: PushSecretReconciler<C>.sourceIndex, value: source) {
                    await controller.queue.add(key, lane: .priority)
                }
            }
            let pushReconciler = PushSecretReconciler(
                dependencies: .init(
                    client: client, resolver: resolver, registry: registry, clients: clients, events: events, now: now,
                    renderer: renderer, callCache: callCache,
                    sourceVersion: { key in sourceSecrets.store.get(key)?.metadata.resourceVersion }),
                logger: logger)
            let pushSecrets = Controller(
                name: "pushsecret", api: client.api(PushSecret.self, namespace: namespace),
                indexes: [
                    StoreIndex(name: PushSecretReconciler<C>.sourceIndex, values: PushSecretReconciler<C>.sourceKey),
                    StoreIndex(name: Self.storeIndex) { ps in Self.storeKeys(of: ps) },
                ],
                workers: options.concurrent, clock: clock, logger: logger,
                onChange: { change in if change.new == nil { pushReconciler.forget(change.key) } },
                reconcile: pushReconciler.reconcile)
            latePush.value = pushSecrets
            services += [sourceSecrets, pushSecrets]
            caches += [{ pushSecrets.store.isSynced }, { sourceSecrets.store.isSynced }]
        }
        self.services = services
        let allCaches = caches
        self.synced = { allCaches.allSatisfy { $0() } }
    }

    /// Whether every cache holds a full listing.
    public var isSynced: Bool { synced() }

    /// The index values of the stores an ExternalSecret uses.
    static func storeKeys(of es: ExternalSecret) -> [String] {
        let namespace = es.metadata.namespace ?? ""
        return Array(
            Set(
                es.storeRefs.map {
                    StoreResolver.indexKey(kind: $0.kind ?? .secretStore, name: $0.name ?? "", namespace: namespace)
                }))
    }

    /// The index values of the stores a PushSecret names (stores selected by labels are found
    /// at each push, not indexed).
    static func storeKeys(of ps: PushSecret) -> [String] {
        let namespace = ps.metadata.namespace ?? ""
        let refs = ps.spec.secretStoreRefs + (ps.spec.dataTo ?? []).compactMap(\.storeRef)
        return Array(
            Set(
                refs.compactMap { ref in
                    ref.name.map { StoreResolver.indexKey(kind: ref.kind ?? .secretStore, name: $0, namespace: namespace) }
                }))
    }

    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for service in services {
                group.addTask { try await service.run() }
            }
            try await group.waitForAll()
        }
        await clients.closeAll()
    }
}

/// A reference filled in after construction (the controllers refer to each other).
final class LateBound<Value: Sendable>: Sendable {
    private let storage = Mutex<Value?>(nil)

    var value: Value? {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}
