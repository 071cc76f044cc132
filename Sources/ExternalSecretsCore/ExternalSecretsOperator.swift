public import ControllerRuntime
public import ExternalSecretsAPI
public import Foundation
public import KubeClient
import KubeModel
public import Logging
public import ProviderKit
public import ServiceLifecycle
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
    /// Run the ClusterExternalSecret controller (`--enable-cluster-external-secret-reconciler`);
    /// it runs only without `namespace` (it lists namespaces cluster-wide).
    public var enableClusterExternalSecretReconciler = true
    /// Run the ClusterPushSecret controller (`--enable-cluster-push-secret-reconciler`); it runs
    /// only without `namespace`.
    public var enableClusterPushSecretReconciler = true
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
    /// Zero (the default) sets no rate: reconciles are paced by the Kubernetes client's QPS and
    /// by what the API server answers (429 and Retry-After).
    public var reconcileQPS: Double = 0
    public var reconcileBurst = 500
    /// The overall deadline of one provider call, its retries and login included
    /// (`--provider-timeout`).
    public var providerTimeout: Duration = .seconds(20)
    /// The longest one reconcile may run before it is cancelled (`--reconcile-timeout`).
    public var reconcileTimeout: Duration = .seconds(60)
    /// The bulkhead: reconciles of objects of one store in flight at once, per controller
    /// (`--max-concurrent-per-store`); nil: half the workers, at least one.
    public var maxConcurrentPerStore: Int?
    /// When a store's circuit breaker opens and how it probes (`--store-failure-threshold`,
    /// `--store-retry-interval`).
    public var circuitBreaker = CircuitBreakerSettings()
    /// How long reconciles in flight may finish after SIGTERM before they are cancelled.
    public var shutdownGracePeriod: Duration = .seconds(10)
    /// Apply KES's `externalsecrets.kubernetes-client.io/permitted-key-name` namespace annotation
    /// to ESO ExternalSecrets too (`--enforce-namespace-key-guard`; one namespace GET per store
    /// client a reconcile uses).
    public var enforceNamespaceKeyGuard = false
    /// `--enforce-namespace-role-guard`: the namespace's `iam.amazonaws.com/permitted` annotation
    /// limits the role (AWS `role`, Vault Kubernetes auth `role`) of the stores ESO ExternalSecrets
    /// of that namespace use, as it limits KES objects' roles.
    public var enforceNamespaceRoleGuard = false
    /// The audience of ServiceAccount tokens requested for stores that name none
    /// (`--service-account-token-audience`), so that a captured token does not work against the
    /// API server; not applied to Kubernetes-provider stores, whose tokens are for the API server.
    /// nil: the API server's audience, as ESO.
    public var serviceAccountTokenAudience: String?
    /// Where stores may send credentials (`--allowed-provider-endpoints`); nil: anywhere.
    public var allowedProviderEndpoints: ProviderEndpointAllowList?
    /// Record the states generators return in GeneratorStates and clean them up after
    /// `generatorGCGracePeriod` (`--enable-generator-state`, ESO's default on).
    public var enableGeneratorState = true
    /// How long an earlier generator state lives after newer values were written
    /// (`--generator-gc-grace-period`).
    public var generatorGCGracePeriod: Duration = .seconds(120)
    /// How long after a GeneratorState's deletion began a failing clean-up is retried before it
    /// is given up with a Warning Event (`--generator-cleanup-timeout`).
    public var generatorCleanUpTimeout: Duration = .seconds(600)
    /// Serve KES's `kubernetes-client.io/v1` ExternalSecret with this configuration
    /// (`--enable-kes`); nil: not served.
    public var kes: KESConfiguration?

    /// The bulkhead limit in effect: `maxConcurrentPerStore`, or half of `concurrent`, at least 1.
    public var storePartitionLimit: Int { max(1, maxConcurrentPerStore ?? concurrent / 2) }

    public init(namespace: String? = nil) { self.namespace = namespace }
}

/// Everything that runs while this replica leads: the ExternalSecret, SecretStore,
/// ClusterSecretStore, PushSecret, ClusterExternalSecret and ClusterPushSecret controllers and the
/// caches they read, declared in three steps: the caches, the controllers, then what each
/// controller watches.
///
/// Relations: a change of a store (spec, labels, Ready condition, capabilities) wakes every ExternalSecret and PushSecret
/// that names it; a deleted store's provider clients are closed at once; a change or deletion of
/// a managed Secret wakes the ExternalSecret that writes it; the appearance or change of a Secret
/// a store refers to (credentials, CA) revalidates the store, and of a PushSecret's source pushes
/// it; a store's circuit breaker opening or closing wakes the store, its ExternalSecrets and
/// PushSecrets; a namespace created, relabelled or deleted wakes the ClusterExternalSecrets and
/// ClusterPushSecrets that choose it, and a change of one of their children wakes its parent.
/// Only Secrets carrying the managed label are cached in full; all others are watched by
/// identity only, one watch for both uses (DESIGN.md invariant 1).
public final class ExternalSecretsOperator<C: Clock>: Service where C.Duration == Duration {
    public let externalSecrets: Controller<ExternalSecret, C>
    private let services: [any Service]
    private let clients: ClientManager
    private let synced: @Sendable () -> Bool

    static var storeIndex: String { "store" }
    static var targetIndex: String { "target" }
    /// Stores by the Secrets their provider block refers to (`namespace/name`).
    static var referencedSecretIndex: String { "referenced-secret" }
    /// GeneratorStates without a deadline by their owners' uids.
    static var ownerIndex: String { "owner-uid" }

    /// - Parameters:
    ///   - clock: the process's one monotonic clock: work queues, reconcile deadlines, provider
    ///     deadlines, circuit breakers, the provider-call cache and template time budgets.
    ///   - now: the process's one wall clock: status times, Events, refresh schedules, templates.
    public init(
        client: KubeClient, registry: ProviderRegistry, options: OperatorOptions, clock: C,
        now: @escaping @Sendable () -> Date, logger: Logger
    ) {
        let namespace = options.namespace
        // Events have a client-side rate limit of their own, as controller-runtime's recorder has.
        let events = EventRecorder(
            client: client.withOwnRateLimit(clock: clock), component: "external-secrets", clock: clock, now: now,
            logger: logger)
        let admission = options.allowedProviderEndpoints.map { StoreCredentialPolicy.endpointAdmission($0, client: client) }
        let clients = ClientManager(
            makeReader: { store in
                StoreCredentialPolicy.referenceReader(
                    for: store, client: client, serviceAccountTokenAudience: options.serviceAccountTokenAudience)
            },
            admission: admission, logger: logger)
        self.clients = clients
        var services: [any Service] = []

        // Isolation (DESIGN.md invariant 8): every provider call, store validations included, has a
        // deadline and every store a circuit breaker; opening wakes the store and its objects so
        // they report it at once, closing wakes them so they sync again at once (declared with each
        // controller below).
        let providerClock = ProviderClock(clock)
        let callGuard = StoreCallGuard(
            timeout: options.providerTimeout,
            breakers: StoreCircuitBreakers(settings: options.circuitBreaker, clock: providerClock),
            clock: providerClock)

        // MARK: Caches (and the store controllers, whose caches the others read)

        let validationClients = ProviderClientSource(
            registry: registry, clients: clients, callCache: nil, callGuard: callGuard)
        // Each store controller's own status patches wake only the ExternalSecrets that watch
        // stores, not the store controller itself.
        let ownStoreStatusWrites = OwnWrites()
        let ownClusterStoreStatusWrites = OwnWrites()
        let storeReconciler = SecretStoreReconciler<SecretStore, C>(
            client: client, providers: validationClients, events: events, controllerClass: options.controllerClass,
            requeueInterval: options.storeRequeueInterval, now: now, logger: logger,
            ownStatusWrites: ownStoreStatusWrites)
        let clusterStoreReconciler = SecretStoreReconciler<ClusterSecretStore, C>(
            client: client, providers: validationClients, events: events, controllerClass: options.controllerClass,
            requeueInterval: options.storeRequeueInterval, now: now, logger: logger,
            ownStatusWrites: ownClusterStoreStatusWrites)
        let secretStoreController: Controller<SecretStore, C>? =
            options.enableSecretStoreReconciler
            ? Controller(
                name: "secretstore", api: client.api(SecretStore.self, namespace: namespace),
                indexes: [
                    StoreIndex(name: Self.referencedSecretIndex) { store in
                        StoreReferences.secrets(of: store.spec, storeNamespace: store.metadata.namespace ?? "")
                    },
                    StoreIndex(name: Self.storeIndex) { store in
                        [
                            StoreResolver.indexKey(
                                kind: .secretStore, name: store.metadata.name ?? "", namespace: store.metadata.namespace ?? "")
                        ]
                    },
                ], workers: options.concurrent, clock: clock, logger: logger,
                shutdownGracePeriod: options.shutdownGracePeriod, ownWrites: ownStoreStatusWrites,
                reconcile: storeReconciler.reconcile) : nil
        let clusterStoreController: Controller<ClusterSecretStore, C>? =
            options.enableClusterStoreReconciler
            ? Controller(
                name: "clustersecretstore", api: client.api(ClusterSecretStore.self),
                indexes: [
                    StoreIndex(name: Self.referencedSecretIndex) { store in
                        StoreReferences.secrets(of: store.spec, storeNamespace: nil)
                    },
                    StoreIndex(name: Self.storeIndex) { store in
                        [StoreResolver.indexKey(kind: .clusterSecretStore, name: store.metadata.name ?? "", namespace: "")]
                    },
                ], workers: options.concurrent, clock: clock, logger: logger,
                shutdownGracePeriod: options.shutdownGracePeriod, ownWrites: ownClusterStoreStatusWrites,
                reconcile: clusterStoreReconciler.reconcile) : nil
        let secretStores: any ChangeSource<SecretStore> & Service =
            secretStoreController
            ?? Reflector(api: client.api(SecretStore.self, namespace: namespace), clock: clock, logger: logger)
        // Without the ClusterSecretStore controller, ClusterSecretStores are not used at all (as in
        // ESO); not watching them is what lets the operator run with a namespaced Role only (the
        // chart's scoped mode).
        let clusterStores: any ChangeSource<ClusterSecretStore> & Service =
            clusterStoreController ?? EmptySource<ClusterSecretStore>()
        let managedSecrets = Reflector(
            api: client.api(Secret.self, namespace: namespace),
            options: WatcherOptions(labelSelector: "\(ESONames.managedLabel)=\(ESONames.managedLabelValue)"),
            indexes: [
                StoreIndex(name: ExternalSecretReconciler<C>.controllerIndex) { secret in
                    secret.metadata.ownerReferences?.filter { $0.controller == true }.map(\.uid) ?? []
                },
                // Secrets with the same values (one per namespace of a ClusterExternalSecret) hold them once.
                .sharing(name: "data", part: \Secret.data),
            ],
            clock: clock, logger: logger)
        // Other Secrets are watched by identity only (no data, labels or annotations: a few hundred
        // bytes each), one watch for two uses: a Secret a store refers to revalidates the store as
        // soon as it appears or changes, and a PushSecret pushes as soon as its source changes.
        let secretIdentities: Reflector<PartialObjectMetadata, C>? =
            options.enablePushSecretReconciler || secretStoreController != nil || clusterStoreController != nil
            ? Reflector(
                api: client.metadataAPI(Secret.resource, namespace: namespace),
                options: WatcherOptions(identityOnly: true), clock: clock, logger: logger) : nil
        services += [secretStores, clusterStores, managedSecrets]
        var caches: [@Sendable () -> Bool] = [
            { managedSecrets.store.isSynced }, { secretStores.store.isSynced }, { clusterStores.store.isSynced },
        ]
        if let secretIdentities {
            services.append(secretIdentities)
            caches.append { secretIdentities.store.isSynced }
            let secretKey: @Sendable (ObjectKey) -> String = { key in "\(key.namespace ?? "")/\(key.name)" }
            secretStoreController?.watches(secretIdentities, through: Self.referencedSecretIndex, value: secretKey)
            clusterStoreController?.watches(secretIdentities, through: Self.referencedSecretIndex, value: secretKey)
        }
        secretStores.onDeletion { _, store in await clients.forget(storeUID: store.metadata.uid ?? "") }
        clusterStores.onDeletion { _, store in await clients.forget(storeUID: store.metadata.uid ?? "") }

        var resolver = StoreResolver(
            secretStores: secretStores.store, clusterStores: clusterStores.store, controllerClass: options.controllerClass,
            floodGate: options.enableFloodGate,
            namespaceLabels: { name in try await client.api(Namespace.self).get(name).metadata.labels ?? [:] })
        resolver.clusterStoresEnabled = options.enableClusterStoreReconciler
        // Reads are reused while the ExternalSecret queue works off a backlog (a start, a store
        // edit): every object queued when a key was read shares that read.
        let externalSecretDrains = WorkQueueDrains()
        let callCache = ProviderCallCache(
            window: options.providerCacheWindow, clock: providerClock, drainCount: { externalSecretDrains.count })
        callGuard.breakers.onTransition { storeKey, _ in
            await secretStoreController?.wake(index: Self.storeIndex, value: storeKey)
            await clusterStoreController?.wake(index: Self.storeIndex, value: storeKey)
        }
        let renderer: @Sendable () -> SecretTemplateRenderer = {
            SecretTemplateRenderer(
                limits: .budgeted(
                    maxOutputBytes: options.templateMaxOutputBytes, timeBudget: options.templateTimeBudget, clock: clock),
                leftDelimiter: options.templateLeftDelimiter, rightDelimiter: options.templateRightDelimiter,
                environment: .eso(now: now))
        }

        // ClusterExternalSecrets and ClusterPushSecrets choose namespaces by label: every
        // namespace is cached, metadata only (a few hundred bytes each), and never changed.
        let fanOutClusterExternalSecrets = options.enableClusterExternalSecretReconciler && namespace == nil
        let fanOutClusterPushSecrets =
            options.enableClusterPushSecretReconciler && options.enablePushSecretReconciler && namespace == nil
        let namespaces: Reflector<PartialObjectMetadata, C>? =
            fanOutClusterExternalSecrets || fanOutClusterPushSecrets
            ? Reflector(api: client.metadataAPI(Namespace.resource), clock: clock, logger: logger) : nil
        if let namespaces {
            services.append(namespaces)
            caches.append { namespaces.store.isSynced }
        }

        // MARK: GeneratorStates

        // States are cached (they are few: one per live generated credential) so that an object
        // that stopped generating can tell, without a request, that it still has states to retire.
        let generatorStates: Controller<GeneratorState, C>? =
            options.enableGeneratorState
            ? Controller(
                name: "generatorstate", api: client.api(GeneratorState.self, namespace: namespace),
                indexes: [
                    StoreIndex(name: Self.ownerIndex) { state in
                        state.spec.garbageCollectionDeadline == nil && state.metadata.deletionTimestamp == nil
                            ? state.metadata.ownerReferences?.map(\.uid) ?? [] : []
                    }
                ],
                workers: options.concurrent, clock: clock, logger: logger,
                reconcileTimeout: options.reconcileTimeout, shutdownGracePeriod: options.shutdownGracePeriod,
                reconcile: GeneratorStateReconciler(
                    client: client, generators: registry.generators, events: events, now: now,
                    cleanUpTimeout: options.generatorCleanUpTimeout, logger: logger
                ).reconcile) : nil
        let generatorStateSettings = generatorStates.map { controller in
            GeneratorStateSettings(gracePeriod: options.generatorGCGracePeriod) { [store = controller.store] uid in
                !store.keys(index: Self.ownerIndex, value: uid).isEmpty
            }
        }
        if let generatorStates {
            services.append(generatorStates)
            caches.append { generatorStates.store.isSynced }
        }

        // MARK: ExternalSecrets

        // The versions of the operator's own status patches and Secret writes: their watch events
        // wake nothing, so a first sync is one reconcile, not three.
        let ownStatusWrites = OwnWrites()
        let ownSecretWrites = OwnWrites()
        var reconcilerDependencies = ExternalSecretReconciler<C>.Dependencies(
            client: client, resolver: resolver, registry: registry, clients: clients,
            managedSecrets: managedSecrets.store, events: events, now: now,
            renderer: renderer,
            callCache: callCache, callGuard: callGuard,
            ownStatusWrites: ownStatusWrites, ownSecretWrites: ownSecretWrites)
        reconcilerDependencies.generatorStates = generatorStateSettings
        if options.enforceNamespaceKeyGuard || options.enforceNamespaceRoleGuard {
            // Only the annotations of the guards turned on count.
            var guarded: Set<String> = []
            if options.enforceNamespaceKeyGuard { guarded.insert(KESNamespaceGuard.permittedKeyAnnotation) }
            if options.enforceNamespaceRoleGuard { guarded.insert(KESNamespaceGuard.permittedRoleAnnotation) }
            reconcilerDependencies.namespaceGuard = { [guarded] name in
                let annotations = try await client.api(Namespace.self).get(name).metadata.annotations ?? [:]
                return KESNamespaceGuard(namespaceAnnotations: annotations.filter { guarded.contains($0.key) })
            }
        }
        let reconciler = ExternalSecretReconciler(dependencies: reconcilerDependencies, logger: logger)
        let externalSecrets = Controller(
            name: "externalsecret", api: client.api(ExternalSecret.self, namespace: namespace),
            indexes: [
                StoreIndex(name: Self.storeIndex) { es in Self.storeKeys(of: es) },
                StoreIndex(name: Self.targetIndex) { es in
                    ["\(es.metadata.namespace ?? "")/\(SecretWritePlanner.targetName(of: es))"]
                },
                // A ClusterExternalSecret's ExternalSecrets (and any with the same spec) hold one spec.
                .sharing(name: "spec", part: \ExternalSecret.spec),
            ] + (fanOutClusterExternalSecrets ? [Self.fanOutControllerIndex(ExternalSecret.self)] : []),
            workers: options.concurrent,
            queueConfiguration: WorkQueueConfiguration(
                qps: options.reconcileQPS, burst: options.reconcileBurst, partitionLimit: options.storePartitionLimit),
            clock: clock, logger: logger,
            partitions: { es in Self.storeKeys(of: es) },
            reconcileTimeout: options.reconcileTimeout, shutdownGracePeriod: options.shutdownGracePeriod,
            ownWrites: ownStatusWrites, queueDrains: externalSecretDrains
        ) { es in
            await managedSecrets.store.waitUntilSynced()
            try Task.checkCancellation()
            return try await reconciler.reconcile(es)
        }
        externalSecrets.watches(secretStores, through: Self.storeIndex, value: { key in
            StoreResolver.indexKey(kind: .secretStore, name: key.name, namespace: key.namespace ?? "")
        }, when: Self.storeChangeMatters)
        externalSecrets.watches(clusterStores, through: Self.storeIndex, value: { key in
            StoreResolver.indexKey(kind: .clusterSecretStore, name: key.name, namespace: "")
        }, when: Self.storeChangeMatters)
        // A Secret exactly as its owner's own reconcile wrote it wakes only the others that target it.
        externalSecrets.watches(managedSecrets, ownWrites: ownSecretWrites, writer: Self.owningExternalSecret) {
            [store = externalSecrets.store] change in
            guard let secret = change.new ?? change.old else { return [] }
            let targeting = store.keys(
                index: Self.targetIndex, value: "\(secret.metadata.namespace ?? "")/\(secret.metadata.name ?? "")")
            return Array(Set((Self.owningExternalSecret(secret).map { [$0] } ?? []) + targeting))
        }
        externalSecrets.onDeletion { key, _ in reconciler.forget(key) }
        callGuard.breakers.onTransition { storeKey, opened in
            logger.warning(
                opened ? "store circuit breaker opened" : "store circuit breaker closed", metadata: ["store": "\(storeKey)"])
            await externalSecrets.wake(index: Self.storeIndex, value: storeKey)
        }
        services.append(externalSecrets)
        self.externalSecrets = externalSecrets
        caches.append { externalSecrets.store.isSynced }

        // MARK: KES ExternalSecrets

        if let kes = options.kes {
            // Its own read cache: reads are shared by the KES objects of one backlog (a poll
            // round), reusing nothing once its queue has drained, so every poll reads anew.
            let kesDrains = WorkQueueDrains()
            let kesCallCache = ProviderCallCache(
                window: options.providerCacheWindow, clock: providerClock, drainCount: { kesDrains.count })
            let kesExternalSecrets = Self.kesController(
                client: client, configuration: kes,
                providers: ProviderClientSource(
                    registry: registry, clients: clients, callCache: kesCallCache, callGuard: callGuard),
                managedSecrets: managedSecrets, events: events, options: options, clock: clock, now: now,
                queueDrains: kesDrains, logger: logger)
            services.append(kesExternalSecrets)
            caches.append { kesExternalSecrets.store.isSynced }
        }

        // MARK: ClusterExternalSecrets

        if fanOutClusterExternalSecrets, let namespaces {
            let clusterExternalSecrets: Controller<ClusterExternalSecret, C> = Self.fanOutController(
                name: "clusterexternalsecret", client: client, namespaces: namespaces, children: externalSecrets,
                esoFinalizer: esoClusterExternalSecretFinalizer, conditionMetric: "clusterexternalsecret_status_condition",
                options: options, clock: clock, logger: logger)
            services.append(clusterExternalSecrets)
            caches.append { clusterExternalSecrets.store.isSynced }
        }

        // MARK: PushSecrets

        if options.enablePushSecretReconciler, let sourceSecrets = secretIdentities {
            let ownPushStatusWrites = OwnWrites()
            var pushDependencies = PushSecretReconciler<C>.Dependencies(
                client: client, resolver: resolver, registry: registry, clients: clients, events: events, now: now,
                renderer: renderer, callCache: callCache,
                sourceVersion: { key in sourceSecrets.store.get(key)?.metadata.resourceVersion },
                callGuard: callGuard, ownStatusWrites: ownPushStatusWrites)
            pushDependencies.generatorStates = generatorStateSettings
            let pushReconciler = PushSecretReconciler(dependencies: pushDependencies, logger: logger)
            let pushSecrets = Controller(
                name: "pushsecret", api: client.api(PushSecret.self, namespace: namespace),
                indexes: [
                    StoreIndex(name: PushSecretReconciler<C>.sourceIndex, values: PushSecretReconciler<C>.sourceKey),
                    StoreIndex(name: Self.storeIndex) { ps in Self.storeKeys(of: ps) },
                ] + (fanOutClusterPushSecrets ? [Self.fanOutControllerIndex(PushSecret.self)] : []),
                workers: options.concurrent,
                queueConfiguration: WorkQueueConfiguration(partitionLimit: options.storePartitionLimit),
                clock: clock, logger: logger,
                partitions: { ps in Self.storeKeys(of: ps) },
                reconcileTimeout: options.reconcileTimeout, shutdownGracePeriod: options.shutdownGracePeriod,
                ownWrites: ownPushStatusWrites
            ) { ps in
                // The source's version is compared with the one the last push recorded: read it
                // only from a complete cache (an unsynced one would push again after a restart).
                await sourceSecrets.store.waitUntilSynced()
                try Task.checkCancellation()
                return try await pushReconciler.reconcile(ps)
            }
            pushSecrets.watches(sourceSecrets, through: PushSecretReconciler<C>.sourceIndex) { key in
                "\(key.namespace ?? "")/\(key.name)"
            }
            pushSecrets.watches(secretStores, through: Self.storeIndex, value: { key in
                StoreResolver.indexKey(kind: .secretStore, name: key.name, namespace: key.namespace ?? "")
            }, when: Self.storeChangeMatters)
            pushSecrets.watches(clusterStores, through: Self.storeIndex, value: { key in
                StoreResolver.indexKey(kind: .clusterSecretStore, name: key.name, namespace: "")
            }, when: Self.storeChangeMatters)
            pushSecrets.onDeletion { key, _ in pushReconciler.forget(key) }
            callGuard.breakers.onTransition { storeKey, _ in
                await pushSecrets.wake(index: Self.storeIndex, value: storeKey)
            }
            services.append(pushSecrets)
            caches.append { pushSecrets.store.isSynced }

            // MARK: ClusterPushSecrets

            if fanOutClusterPushSecrets, let namespaces {
                let clusterPushSecrets: Controller<ClusterPushSecret, C> = Self.fanOutController(
                    name: "clusterpushsecret", client: client, namespaces: namespaces, children: pushSecrets,
                    esoFinalizer: nil, conditionMetric: "clusterpushsecret_status_condition", options: options, clock: clock,
                    logger: logger)
                services.append(clusterPushSecrets)
                caches.append { clusterPushSecrets.store.isSynced }
            }
        }
        self.services = services
        let allCaches = caches
        self.synced = { allCaches.allSatisfy { $0() } }
    }

    /// Whether every cache holds a full listing.
    public var isSynced: Bool { synced() }

    /// Whether a store's change can change what its ExternalSecrets and PushSecrets do: it
    /// appeared or went, its spec or labels changed, or its Ready condition or capabilities did.
    /// A revalidation that only moves timestamps wakes nobody (at 10,000 objects per store, each
    /// needless wake is 10,000 reconciles).
    static func storeChangeMatters<Store: SecretStoreObject>(_ change: StoreChange<Store>) -> Bool {
        guard let old = change.old, let new = change.new else { return true }
        let oldReady = old.status?.conditions?.condition(ofType: ESONames.conditionReady)
        let newReady = new.status?.conditions?.condition(ofType: ESONames.conditionReady)
        return old.spec != new.spec || old.metadata.labels != new.metadata.labels
            || oldReady?.status != newReady?.status || oldReady?.reason != newReady?.reason
            || oldReady?.message != newReady?.message || old.status?.capabilities != new.status?.capabilities
    }

    /// The ExternalSecret a managed Secret's controller owner reference names, if any.
    static func owningExternalSecret(_ secret: Secret) -> ObjectKey? {
        secret.metadata.ownerReferences?.first {
            $0.controller == true && $0.kind == "ExternalSecret"
                && $0.apiVersion.hasPrefix("\(ExternalSecretsAPIGroup.group)/")
        }
            .map { ObjectKey(namespace: secret.metadata.namespace, name: $0.name) }
    }

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
