public import ControllerRuntime
public import ExternalSecretsAPI
public import Foundation
public import KubeClient
public import KubeModel
public import Logging
import Metrics
public import ProviderKit
import Synchronization

/// Reconciles one ExternalSecret: decide whether a refresh is due, fetch through the providers,
/// plan the Secret write (pure), apply it, report status and Events.
///
/// Guarantees (DESIGN.md invariants): level-triggered — it reads the cached ExternalSecret and
/// the current Secret, never the event that woke it; a provider or store error leaves the Secret
/// as it is; nothing is written when nothing changed; no secret value reaches a log, Event,
/// condition or metric.
public final class ExternalSecretReconciler<C: Clock>: Sendable where C.Duration == Duration {
    public struct Dependencies: Sendable {
        public var client: KubeClient
        public var resolver: StoreResolver
        public var registry: ProviderRegistry
        public var clients: ClientManager
        /// The cache of Secrets carrying the managed label.
        public var managedSecrets: Store<Secret>
        public var events: EventRecorder<C>
        public var now: @Sendable () -> Date
        /// A template renderer for one reconcile (its time budget starts when it is made).
        public var renderer: @Sendable () -> SecretTemplateRenderer
        /// Shares provider reads across ExternalSecrets; nil calls the provider every time.
        public var callCache: ProviderCallCache?
        /// Deadlines and circuit breakers of provider calls; nil: neither.
        public var callGuard: StoreCallGuard?
        /// Where the versions of this controller's own status patches and Secret writes are
        /// recorded, so that their watch events wake nothing (``OwnWrites``); nil: not recorded.
        public var ownStatusWrites: OwnWrites?
        public var ownSecretWrites: OwnWrites?
        /// The tenant guards of a namespace (`--enforce-namespace-key-guard`,
        /// `--enforce-namespace-role-guard`): its store clients read only the keys the
        /// namespace's permitted-key-name annotation admits, and a store whose role the
        /// namespace's permitted-role annotation does not admit is refused; nil: off.
        public var namespaceGuard: (@Sendable (String) async throws -> KESNamespaceGuard)?
        /// Where generators' states are recorded (`--enable-generator-state`); nil: not recorded
        /// (a generator's remote credentials are then never cleaned up, as in ESO with the flag off).
        public var generatorStates: GeneratorStateSettings?

        public init(
            client: KubeClient, resolver: StoreResolver, registry: ProviderRegistry, clients: ClientManager,
            managedSecrets: Store<Secret>, events: EventRecorder<C>, now: @escaping @Sendable () -> Date,
            renderer: @escaping @Sendable () -> SecretTemplateRenderer = { SecretTemplateRenderer() },
            callCache: ProviderCallCache? = nil, callGuard: StoreCallGuard? = nil,
            ownStatusWrites: OwnWrites? = nil, ownSecretWrites: OwnWrites? = nil
        ) {
            self.ownStatusWrites = ownStatusWrites
            self.ownSecretWrites = ownSecretWrites
            self.renderer = renderer
            self.callCache = callCache
            self.callGuard = callGuard
            self.client = client
            self.resolver = resolver
            self.registry = registry
            self.clients = clients
            self.managedSecrets = managedSecrets
            self.events = events
            self.now = now
        }
    }

    /// The managed-Secret cache index of controller owner UIDs.
    public static var controllerIndex: String { "controller-uid" }

    let dependencies: Dependencies
    private let logger: Logger
    public init(dependencies: Dependencies, logger: Logger) {
        self.dependencies = dependencies
        self.logger = logger
    }

    public func reconcile(_ es: ExternalSecret) async throws -> ReconcileAction {
        let started = dependencies.now()
        let namespace = es.metadata.namespace ?? ""
        let name = es.metadata.name ?? ""
        let dimensions = [("name", name), ("namespace", namespace)]
        defer {
            Gauge(label: "externalsecret_reconcile_duration", dimensions: dimensions)
                .record(dependencies.now().timeIntervalSince(started) * 1e9)
        }
        await dependencies.resolver.waitUntilSynced()
        try Task.checkCancellation()
        // Another operator's object (one of its stores has another controller class) is not
        // touched at all: no finalizer, no clean-up, no status. This comes first, because ESO's
        // finalizer has the same name as ours.
        if dependencies.resolver.storeOfOtherClass(es.storeRefs, from: namespace) != nil { return .awaitChange }
        // ESO puts its finalizer on every ExternalSecret; this operator needs it only for
        // deletionPolicy Delete and adds it only then (an uninstalled operator leaves fewer objects
        // stuck). One that is no longer needed stays until deletion, so objects ESO finalized cost
        // no write at take-over; on deletion it is removed from them too.
        let finalizer = Finalizer(name: ESONames.externalSecretFinalizer, client: dependencies.client)
        return try await finalizer.run(
            es, needed: es.spec.target?.deletionPolicy == .delete, removeWhenUnneeded: false, deleted: .awaitChange,
            cleanUp: { try await deleteTarget(of: es) }
        ) {
            try await syncReportingFailure(es, dimensions: dimensions)
        }
    }

    /// `sync`, with a failure reported in the Ready condition and an Event.
    private func syncReportingFailure(_ es: ExternalSecret, dimensions: [(String, String)]) async throws -> ReconcileAction {
        if let unavailable = await openBreaker(of: es) {
            // One of its stores is short-circuited: say so now, without a provider call, and come
            // back when a probe may be made (a closing breaker wakes this object sooner).
            try await reportFailure(es, message: unavailable.message)
            return .requeue(after: unavailable.retryAfter)
        }
        do {
            return try await sync(es)
        } catch StoreProblem.otherControllerClass {
            return .awaitChange  // another operator's object: touch nothing
        } catch StoreProblem.pendingValidation {
            // A store seen before its first validation (typical right after a start): its
            // validation wakes this object; the requeue is only a safety net. No failure is
            // reported for a store nobody has judged yet.
            return .requeue(after: .seconds(5))
        } catch let error as InvalidSpec {
            try await reportFailure(es, message: error.message)
            throw TerminalReconcileError(error)
        } catch let error where Task.isCancelled {
            throw error  // cut short by shutdown or its deadline: not a sync failure, nothing to report
        } catch let error as StoreUnavailable {
            // The store's circuit breaker is open: report it without a provider call and come
            // back when a probe may be made (a closing breaker wakes this object sooner).
            Counter(label: "externalsecret_sync_calls_error", dimensions: dimensions).increment()
            try await reportFailure(es, message: error.message)
            return .requeue(after: error.retryAfter)
        } catch {
            Counter(label: "externalsecret_sync_calls_error", dimensions: dimensions).increment()
            try await reportFailure(es, message: Self.describe(error))
            throw error
        }
    }

    // MARK: - Sync

    private func sync(_ es: ExternalSecret) async throws -> ReconcileAction {
        let namespace = es.metadata.namespace ?? ""
        try ExternalSecretValidation.validate(es.spec)
        let targetName = SecretWritePlanner.targetName(of: es)
        let refresh = RefreshSchedule.facts(
            of: es, interval: try RefreshSchedule.interval(of: es.spec),
            target: dependencies.managedSecrets.get(ObjectKey(namespace: namespace, name: targetName)),
            storeGenerations: currentStoreGenerations(of: es))
        if case .wait(let after) = refresh.decide(now: dependencies.now()) {
            return after.map { .requeue(after: $0) } ?? .awaitChange
        }

        Counter(label: "externalsecret_sync_calls_total", dimensions: [("name", es.metadata.name ?? ""), ("namespace", namespace)])
            .increment()
        // A refresh the user asked for on a synced object (spec or metadata change, force-sync)
        // reads fresh values; first syncs and periodic refreshes may share reads with other
        // ExternalSecrets.
        let fresh = refresh.readsFresh
        let generators = GeneratorResolver(
            client: dependencies.client, generators: dependencies.registry.generators, now: dependencies.now,
            controllerClass: dependencies.resolver.controllerClass)
        let ledger = dependencies.generatorStates.map { settings in
            GeneratorStateLedger(
                client: dependencies.client, owner: GeneratorStateOwner(es), gracePeriod: settings.gracePeriod,
                now: dependencies.now)
        }
        let fetcher = ExternalSecretFetcher(
            templateEnvironment: .eso(now: dependencies.now),
            generate: { ref, index in
                try await generators.generate(ref, namespace: namespace, recordingIn: ledger, key: String(index)).data
            }
        ) { ref in
            try await self.client(for: ref, namespace: namespace, fresh: fresh)
        }
        let policy = try GeneratedValuePolicy(annotations: es.metadata.annotations)
        let fetched: FetchResult
        let plan: SecretWritePlan
        var unusedGenerations: Set<Int> = []
        do {
            fetched = try await fetcher.fetch(es)
            var data = fetched.data
            if policy.isActive, !fetched.generatedKeys.isEmpty {
                let outcome = policy.apply(to: fetched, current: try await currentData(of: es, named: targetName))
                data = outcome.data
                unusedGenerations = outcome.unusedGenerations
            }
            var rendered: RenderedTarget?
            if let template = es.spec.target?.template {
                let sources = try await readTemplateSources(
                    of: template, client: dependencies.client, namespace: namespace, field: "spec.target.template.templateFrom")
                rendered = try dependencies.renderer().render(template, data: data, sources: sources)
            }
            plan = try await writeTarget(of: es, named: targetName, data: data, rendered: rendered)
        } catch {
            // Nothing was written: what this reconcile generated is cleaned up now.
            if let ledger, !ledger.isEmpty {
                do { try await ledger.rollback() } catch {
                    logger.warning(
                        "could not roll back generator states",
                        metadata: ["externalsecret": "\(ObjectKey(es))", "error": "\(Self.describe(error))"])
                }
            }
            throw error
        }
        if let ledger, let settings = dependencies.generatorStates,
            !ledger.isEmpty || settings.hasLiveStates(es.metadata.uid ?? "")
        {
            // The new values are in the Secret: the states of earlier values go after the grace
            // period. A failure leaves them live until the next commit or the owner's deletion.
            do { try await ledger.commit(discarding: unusedGenerations) } catch {
                logger.warning(
                    "could not flag earlier generator states for clean-up",
                    metadata: ["externalsecret": "\(ObjectKey(es))", "error": "\(Self.describe(error))"])
            }
        }
        if (es.spec.target?.creationPolicy ?? .owner) == .owner, let uid = es.metadata.uid {
            try await deleteRenamedTargets(of: es, uid: uid, current: targetName)
        }
        for missing in fetched.missing {
            await dependencies.events.record(
                .normal, reason: ESOEventReason.missingProviderSecret,
                message: ESOMessage.remoteSecretMissing(missing), about: es)
        }
        if let event = plan.event {
            await dependencies.events.record(.normal, reason: event.reason, message: event.message, about: es)
            logger.info(
                "\(event.message)",
                metadata: ["externalsecret": "\(namespace)/\(es.metadata.name ?? "")", "secret": "\(targetName)"])
        }

        let refreshTime = dependencies.now()
        let outcome = ExternalSecretOutcome.synced(
            reason: plan.reason, message: plan.message, target: targetName, version: refresh.versionAfterSync)
        let status = ExternalSecretDecisions.status(after: outcome, from: es.status, now: refreshTime)
        if plan.event == nil, readyConditionChanged(from: es.status?.conditions, to: status.conditions) {
            // Ready again (or for the first time) without a write: the transition is worth a line.
            logger.info(
                "\(plan.message)",
                metadata: ["externalsecret": "\(namespace)/\(es.metadata.name ?? "")", "reason": "\(plan.reason)"])
        }
        try await writeStatus(status, of: es)
        return refresh.nextRefresh(after: refreshTime, now: refreshTime).map { .requeue(after: $0) } ?? .awaitChange
    }

    /// The target Secret's data now, for the generated-value policy: from the managed-Secret
    /// cache, else (a target this operator does not manage yet) by a direct GET.
    private func currentData(of es: ExternalSecret, named targetName: String) async throws -> SecretData? {
        if let cached = dependencies.managedSecrets.get(ObjectKey(namespace: es.metadata.namespace, name: targetName)) {
            return cached.data ?? [:]
        }
        return try await dependencies.client.api(Secret.self, namespace: es.metadata.namespace).getIfExists(targetName)?.data
    }

    /// Deletes Secrets this ExternalSecret controls under another name than its current target
    /// (the target was renamed), as ESO does under creationPolicy Owner.
    private func deleteRenamedTargets(of es: ExternalSecret, uid: String, current: String) async throws {
        let stale = dependencies.managedSecrets.objects(index: Self.controllerIndex, value: uid)
            .filter { $0.metadata.namespace == es.metadata.namespace && $0.metadata.name != current }
        let secrets = dependencies.client.api(Secret.self, namespace: es.metadata.namespace)
        for secret in stale {
            do {
                try await secrets.delete(
                    secret.metadata.name ?? "", options: DeleteOptions(preconditions: .init(uid: secret.metadata.uid)))
                logger.info(
                    "deleted the Secret of a previous target name",
                    metadata: ["externalsecret": "\(ObjectKey(es))", "secret": "\(secret.metadata.name ?? "")"])
            } catch let error as KubeAPIError where error.isNotFound || error.isConflict {}
        }
    }

    /// Why `es` cannot sync now, when a store it reads has an open circuit breaker and it would
    /// read it again (periodic refresh); nil otherwise. An object not yet reporting a failure
    /// reports the open breaker first; one that does may make the probe call once it is due.
    private func openBreaker(of es: ExternalSecret) async -> StoreUnavailable? {
        guard let breakers = dependencies.callGuard?.breakers, (es.spec.refreshPolicy ?? .periodic) == .periodic,
            let interval = try? RefreshSchedule.interval(of: es.spec), interval > .zero
        else { return nil }
        let namespace = es.metadata.namespace ?? ""
        let stores = es.storeRefs.map {
            StoreResolver.indexKey(kind: $0.kind ?? .secretStore, name: $0.name ?? "", namespace: namespace)
        }
        let failing = es.status?.conditions?.condition(ofType: ESONames.conditionReady)?.status == "False"
        return await breakers.refusal(forStores: stores, untilClosed: !failing)
    }

    /// The generations of the stores `es` uses, by store index key, from the store caches.
    private func currentStoreGenerations(of es: ExternalSecret) -> [String: String] {
        let namespace = es.metadata.namespace ?? ""
        var generations: [String: String] = [:]
        for ref in es.storeRefs {
            let (kind, name) = (ref.kind ?? .secretStore, ref.name ?? "")
            generations[StoreResolver.indexKey(kind: kind, name: name, namespace: namespace)] =
                String(dependencies.resolver.generation(kind: kind, name: name, namespace: namespace))
        }
        return generations
    }

    /// Forgets a deleted ExternalSecret: its metric series.
    public func forget(_ key: ObjectKey) {
        removeObjectMetrics(
            key, conditionLabel: "externalsecret_status_condition",
            conditionTypes: [ESONames.conditionReady, ESONames.conditionDeleted],
            gauges: ["externalsecret_reconcile_duration"],
            counters: ["externalsecret_sync_calls_total", "externalsecret_sync_calls_error"])
    }

    /// The provider client for a store reference used from `namespace`.
    private func client(for ref: SecretStoreRef, namespace: String, fresh: Bool) async throws -> any SecretsClient {
        let store = try await dependencies.resolver.resolve(ref, from: namespace)
        // The namespace's guards first: a refused role is refused before the client (and its
        // login or role assumption) is made.
        let guardrail = try await dependencies.namespaceGuard?(namespace)
        if let refusal = guardrail?.refusal(roleArn: KESNamespaceGuard.role(of: store.spec), remoteKeys: [], namespace: namespace) {
            throw ProviderError.accessDenied(refusal)
        }
        let client = try await ProviderClientSource(
            registry: dependencies.registry, clients: dependencies.clients, callCache: dependencies.callCache,
            callGuard: dependencies.callGuard
        ).client(for: store, fresh: fresh)
        return guardrail?.limiting(client, namespace: namespace) ?? client
    }

    // MARK: - Status and Events

    private func reportFailure(_ es: ExternalSecret, message: String) async throws {
        let status = ExternalSecretDecisions.status(after: .failed(message: message), from: es.status, now: dependencies.now())
        await dependencies.events.record(.warning, reason: ESOEventReason.updateFailed, message: message, about: es)
        logger.log(
            level: readyConditionChanged(from: es.status?.conditions, to: status.conditions) ? .warning : .debug,
            "sync failed",
            metadata: ["externalsecret": "\(es.metadata.namespace ?? "")/\(es.metadata.name ?? "")", "error": "\(message)"])
        try await writeStatus(status, of: es)
    }

    /// Writes `status` when it differs from what the object has (a steady state costs no write).
    /// Conditions are set through `[StatusCondition].set`, which keeps a condition's transition
    /// time while its status does not flip.
    private func writeStatus(_ status: ExternalSecretStatus, of es: ExternalSecret) async throws {
        guard try await StatusWriter<ExternalSecret>(client: dependencies.client, ownWrites: dependencies.ownStatusWrites).write(status, old: es.status, of: es)
        else { return }
        recordConditionGauges(
            "externalsecret_status_condition", name: es.metadata.name ?? "", namespace: es.metadata.namespace ?? "",
            conditions: status.conditions ?? [])
    }

    // MARK: - Deletion

    /// On deletion under deletionPolicy Delete: deletes the target Secret if this ExternalSecret
    /// controls it (idempotent: a Secret already gone is fine).
    private func deleteTarget(of es: ExternalSecret) async throws {
        guard es.spec.target?.deletionPolicy == .delete else { return }
        let secrets = dependencies.client.api(Secret.self, namespace: es.metadata.namespace)
        let targetName = SecretWritePlanner.targetName(of: es)
        guard let target = try await secrets.getIfExists(targetName),
            target.metadata.ownerReferences?.contains(where: { $0.uid == es.metadata.uid && $0.controller == true }) == true
        else { return }
        do {
            try await secrets.delete(targetName, options: DeleteOptions(preconditions: .init(uid: target.metadata.uid)))
            await dependencies.events.record(.normal, reason: ESOEventReason.deleted, message: ESOMessage.secretDeleted, about: es)
        } catch let error as KubeAPIError where error.isNotFound {}
    }

    /// An error's text for a condition or Event: provider and store errors carry their own
    /// sanitized message; Kubernetes errors their status message.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as ProviderError: return error.message
        case let error as StoreProblem: return error.description
        case let error as SyncRefusal: return error.message
        case let error as TemplateRenderError: return error.message
        case let error as StoreUnavailable: return error.message
        case let error as KubeAPIError: return "\(error)"
        default: return "\(error)"
        }
    }
}
