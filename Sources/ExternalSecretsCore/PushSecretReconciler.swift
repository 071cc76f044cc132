public import ControllerRuntime
public import ExternalSecretsAPI
public import Foundation
import GoCompat
public import KubeClient
import KubeModel
public import Logging
import Metrics
public import ProviderKit
import Synchronization

/// Names of ESO's PushSecret API that users and tools see: condition reasons, Event reasons,
/// messages and the finalizer. Byte-identical to ESO.
public enum PushSecretNames {
    public static let finalizer = "pushsecret.externalsecrets.io/finalizer"
    public static let reasonSynced = "Synced"
    public static let reasonErrored = "Errored"
    public static let messageSynced = "PushSecret synced successfully"
    public static let messageSyncedIfNotExists = "PushSecret synced successfully. Existing secrets in providers unchanged."
    public static let messageSourceMissing = "could not get source secret"
}

/// Reconciles one PushSecret: read the source Secret (after the template), write its keys to every
/// listed store through the providers, delete what the spec no longer writes (deletionPolicy
/// Delete), report status and Events.
///
/// Guarantees (USERS.md, where ESO hurts its users):
/// - status records references only (`syncedPushSecrets` holds spec entries), never a value
///   (ESO#5884); Events and logs name keys and stores, never values;
/// - removing a store from `secretStoreRefs` never deletes its remote secrets (ESO#5062): they
///   are left in place, no longer tracked, and an Event says so;
/// - a remote secret this operator did not create is neither overwritten nor deleted: the
///   providers check ESO's `managed-by: external-secrets` marker (`ProviderError.notManaged`);
/// - a store that no longer exists does not hold a deleted PushSecret forever: its remote
///   secrets are reported as left in place and the finalizer is released.
public final class PushSecretReconciler<C: Clock>: Sendable where C.Duration == Duration {
    public struct Dependencies: Sendable {
        public var client: KubeClient
        public var resolver: StoreResolver
        public var registry: ProviderRegistry
        public var clients: ClientManager
        public var events: EventRecorder<C>
        public var now: @Sendable () -> Date
        public var renderer: @Sendable () -> SecretTemplateRenderer
        /// The ExternalSecrets' call cache: a push drops the store's cached reads.
        public var callCache: ProviderCallCache?
        /// Deadlines and circuit breakers of provider calls; nil: neither.
        public var callGuard: StoreCallGuard?
        /// The resourceVersion of a Secret as the operator's watch last saw it (nil: unknown or
        /// absent). A source Secret whose version moved since the last push is pushed at once.
        public var sourceVersion: @Sendable (ObjectKey) -> String?

        public init(
            client: KubeClient, resolver: StoreResolver, registry: ProviderRegistry, clients: ClientManager,
            events: EventRecorder<C>, now: @escaping @Sendable () -> Date,
            renderer: @escaping @Sendable () -> SecretTemplateRenderer = { SecretTemplateRenderer() },
            callCache: ProviderCallCache? = nil, sourceVersion: @escaping @Sendable (ObjectKey) -> String? = { _ in nil },
            callGuard: StoreCallGuard? = nil
        ) {
            self.callGuard = callGuard
            self.sourceVersion = sourceVersion
            self.client = client
            self.resolver = resolver
            self.registry = registry
            self.clients = clients
            self.events = events
            self.now = now
            self.renderer = renderer
            self.callCache = callCache
        }
    }

    private let dependencies: Dependencies
    private let logger: Logger

    public init(dependencies: Dependencies, logger: Logger) {
        self.dependencies = dependencies
        self.logger = logger
    }

    /// The cache index of PushSecrets by source Secret (`namespace/name`).
    public static var sourceIndex: String { "source" }

    /// The index value of the Secret a PushSecret reads.
    public static func sourceKey(of ps: PushSecret) -> [String] {
        guard let name = ps.spec.selector.secret?.name else { return [] }
        return ["\(ps.metadata.namespace ?? "")/\(name)"]
    }

    /// Forgets a deleted PushSecret: its metric series.
    public func forget(_ key: ObjectKey) {
        removeObjectMetrics(
            key, conditionLabel: "pushsecret_status_condition", conditionTypes: [ESONames.conditionReady],
            gauges: ["pushsecret_reconcile_duration"])
    }

    public func reconcile(_ ps: PushSecret) async throws -> ReconcileAction {
        let started = dependencies.now()
        let dimensions = [("name", ps.metadata.name ?? ""), ("namespace", ps.metadata.namespace ?? "")]
        defer {
            Gauge(label: "pushsecret_reconcile_duration", dimensions: dimensions)
                .record(dependencies.now().timeIntervalSince(started) * 1e9)
        }
        await dependencies.resolver.waitUntilSynced()
        try Task.checkCancellation()
        // The finalizer is on a PushSecret exactly while its deletionPolicy is Delete.
        let finalizer = Finalizer(name: PushSecretNames.finalizer, client: dependencies.client)
        return try await finalizer.run(
            ps, needed: ps.spec.deletionPolicy == .delete, deleted: .awaitChange, cleanUp: { try await deleteRemoteSecrets(of: ps) }
        ) {
            try await syncReportingFailure(ps)
        }
    }

    /// `sync`, with a failure reported in the Ready condition and an Event.
    private func syncReportingFailure(_ ps: PushSecret) async throws -> ReconcileAction {
        do {
            return try await sync(ps)
        } catch let error where Task.isCancelled {
            throw error  // cut short by shutdown: not a push failure, nothing to report
        } catch StoreProblem.pendingValidation {
            return .requeue(after: .seconds(5))  // the store's first validation is still to come
        } catch let failure as PushFailure {
            if let error = failure.underlying as? ProviderError, error.code == .conflict {
                // A lost check-and-set race (ESO: a lock conflict): retried with backoff, without
                // flipping Ready to False for what is normally a moment's contention.
                logger.info(
                    "push lost a write race; retrying",
                    metadata: ["pushsecret": "\(ObjectKey(ps))", "error": "\(error.message)"])
                throw error
            }
            try await reportFailure(ps, message: failure.message, synced: failure.synced)
            throw failure.underlying
        } catch let error as InvalidSpec {
            try await reportFailure(ps, message: error.message, synced: nil)
            throw TerminalReconcileError(error)
        } catch {
            try await reportFailure(ps, message: ExternalSecretReconciler<C>.describe(error), synced: nil)
            throw error
        }
    }

    /// A push that failed part-way: what was written before the failure is still recorded.
    struct PushFailure: Error {
        var message: String
        var synced: [String: [String: PushSecretData]]
        var underlying: any Error
    }

    // MARK: - Sync

    private func sync(_ ps: PushSecret) async throws -> ReconcileAction {
        try PushSecretPlanner.validate(ps.spec)
        let interval = try Self.interval(of: ps.spec)
        let now = dependencies.now()
        let version = Self.currentVersion(of: ps)
        let lastFailed = ps.status?.conditions?.condition(ofType: ESONames.conditionReady)?.status == "False"
        let namespace = ps.metadata.namespace ?? ""
        // What the last push was made from (source Secret version, named store generations) is
        // kept in status (`SyncedVersion`), so a change of either pushes at once, also after a
        // restart or a leader change.
        let lastSync = SyncedVersion(parsing: ps.status?.syncedResourceVersion ?? "")
        if !lastFailed, let next = Self.remainingWait(ps, interval: interval, version: version, now: now) {
            let source = dependencies.sourceVersion(
                ObjectKey(namespace: namespace, name: ps.spec.selector.secret?.name ?? ""))
            guard lastSync.inputsChanged(current: pushInputs(of: ps, sourceVersion: source)) else { return next }
        }
        let generationsBefore = namedStoreGenerations(of: ps)

        let (source, sourceVersion) = try await sourceData(of: ps, namespace: namespace)
        let stores = try await resolveStores(ps.spec.secretStoreRefs, namespace: namespace)
        let entries = try PushSecretPlanner.entries(for: ps.spec, source: source, stores: stores.map(\.push))
        let previous = ps.status?.syncedPushSecrets ?? [:]

        var written: [PushEntry] = []
        var existingLeftAlone = false
        var clients: [String: any SecretsClient] = [:]
        for store in stores {
            clients[store.push.statusKey] = try await client(for: store.context)
        }
        for entry in entries {
            guard let client = clients[entry.store.statusKey] else { continue }
            do {
                if ps.spec.updatePolicy == .ifNotExists, try await client.secretExists(entry.target) {
                    existingLeftAlone = true
                } else {
                    try await client.pushSecret(entry.value, to: entry.target)
                }
                written.append(entry)
            } catch {
                let synced = Self.merge(PushSecretPlanner.synced(written), into: previous)
                let message =
                    "set secret failed: could not write remote ref \(entry.record.match.secretKey ?? entry.target.remoteKey) to target secretstore \(entry.store.name): \(ExternalSecretReconciler<C>.describe(error))"
                throw PushFailure(message: message, synced: synced, underlying: error)
            }
        }
        var synced = PushSecretPlanner.synced(written)
        for store in stores where synced[store.push.statusKey] == nil {
            synced[store.push.statusKey] = [:]
        }
        let listed = Set(stores.map(\.push.statusKey))
        if ps.spec.deletionPolicy == .delete {
            var stale = PushSecretPlanner.staleEntries(previous: previous, current: synced, listedStores: listed)
            for (storeKey, records) in stale.sorted(by: { $0.key < $1.key }) {
                guard let client = clients[storeKey] else { continue }
                for (key, record) in records.sorted(by: { $0.key < $1.key }) {
                    do {
                        try await deleteRemote(record, with: client)
                        stale[storeKey]?[key] = nil
                    } catch {
                        // What is not deleted yet stays recorded, so the next attempt deletes it.
                        throw PushFailure(
                            message: "Failed to Delete Secrets from Provider: \(ExternalSecretReconciler<C>.describe(error))",
                            synced: Self.merge(stale, into: synced), underlying: error)
                    }
                }
            }
        }
        for store in PushSecretPlanner.abandonedStores(previous: previous, listedStores: listed) {
            await dependencies.events.record(
                .normal, reason: PushSecretNames.reasonSynced,
                message: "\(store) is no longer listed in spec.secretStoreRefs; the remote secrets written there are left in place",
                about: ps)
        }

        let message = existingLeftAlone || ps.spec.updatePolicy == .ifNotExists
            ? PushSecretNames.messageSyncedIfNotExists : PushSecretNames.messageSynced
        let refreshTime = dependencies.now()
        var status = ps.status ?? PushSecretStatus()
        var conditions = status.conditions ?? []
        conditions.set(
            StatusCondition(
                type: ESONames.conditionReady, status: "True", reason: PushSecretNames.reasonSynced, message: message,
                lastTransitionTime: KubeTime(refreshTime)))
        status.conditions = conditions
        status.refreshTime = KubeTime(refreshTime)
        let inputs = Self.pushInputs(generationsBefore, sourceVersion: sourceVersion)
        status.syncedResourceVersion = SyncedVersion(metadata: version, inputs: SyncedVersion.inputsHash(inputs)).text
        status.syncedPushSecrets = synced
        await dependencies.events.record(.normal, reason: PushSecretNames.reasonSynced, message: message, about: ps)
        logger.info(
            "pushed",
            metadata: ["pushsecret": "\(namespace)/\(ps.metadata.name ?? "")", "entries": "\(written.count)"])
        try await writeStatus(status, of: ps)
        return interval > .zero ? .requeue(after: interval) : .awaitChange
    }

    /// The source Secret's data after the template, read by a direct GET in the PushSecret's own
    /// namespace.
    private func sourceData(of ps: PushSecret, namespace: String) async throws -> (SecretData, String?) {
        let policy = ReferenceAccessPolicy(ownNamespace: namespace)
        let allowed = try policy.namespace(for: nil, field: "spec.selector.secret")
        let name = ps.spec.selector.secret?.name ?? ""
        guard let secret = try await dependencies.client.api(Secret.self, namespace: allowed).getIfExists(name) else {
            throw SourceMissing(name: name)
        }
        let data = secret.data ?? [:]
        guard let template = ps.spec.template else { return (data, secret.metadata.resourceVersion) }
        let sources = try await readTemplateSources(
            of: template, client: dependencies.client, namespace: namespace, field: "spec.template.templateFrom")
        return (try dependencies.renderer().render(template, data: data, sources: sources).data, secret.metadata.resourceVersion)
    }

    struct SourceMissing: Error, CustomStringConvertible {
        var name: String
        var description: String { "\(PushSecretNames.messageSourceMissing): Secret \"\(name)\" not found" }
    }

    private struct ResolvedStore {
        var push: PushStore
        var context: StoreContext
    }

    /// The stores `refs` name or select, as usable from `namespace`. Stores of another controller
    /// class are skipped (another operator pushes to them).
    private func resolveStores(_ refs: [PushSecretStoreRef], namespace: String) async throws -> [ResolvedStore] {
        var named: [(StoreKind, String, [String: String])] = []
        for ref in refs {
            let kind = ref.kind ?? .secretStore
            if let name = ref.name {
                let labels = dependencies.resolver.cachedMetadata(kind: kind, name: name, namespace: namespace)?.labels
                named.append((kind, name, labels ?? [:]))
            } else if let selector = ref.labelSelector {
                switch kind {
                case .secretStore:
                    for store in dependencies.resolver.secretStores.list()
                    where store.metadata.namespace == namespace && selector.matches(store.metadata.labels ?? [:]) {
                        named.append((kind, store.metadata.name ?? "", store.metadata.labels ?? [:]))
                    }
                case .clusterSecretStore:
                    for store in dependencies.resolver.clusterStores.list() where selector.matches(store.metadata.labels ?? [:]) {
                        named.append((kind, store.metadata.name ?? "", store.metadata.labels ?? [:]))
                    }
                }
            }
        }
        var seen = Set<String>()
        var resolved: [ResolvedStore] = []
        for (kind, name, labels) in named.sorted(by: { ($0.0.rawValue, $0.1) < ($1.0.rawValue, $1.1) }) {
            let push = PushStore(kind: kind, name: name, labels: labels)
            guard seen.insert(push.statusKey).inserted else { continue }
            do {
                let context = try await dependencies.resolver.resolve(SecretStoreRef(name: name, kind: kind), from: namespace)
                resolved.append(ResolvedStore(push: push, context: context))
            } catch StoreProblem.otherControllerClass {
                continue
            }
        }
        return resolved
    }

    /// Pushes read fresh: a write must compare against the remote secret as it is now.
    private func client(for store: StoreContext) async throws -> any SecretsClient {
        try await ProviderClientSource(
            registry: dependencies.registry, clients: dependencies.clients, callCache: dependencies.callCache,
            callGuard: dependencies.callGuard
        ).client(for: store, fresh: true)
    }

    /// Deletes one recorded remote secret. A remote secret without the managed-by marker is left
    /// alone (logged, not an error: it was never this operator's to delete).
    private func deleteRemote(_ record: PushSecretData, with client: any SecretsClient) async throws {
        do {
            try await client.deleteSecret(PushSecretPlanner.target(of: record))
        } catch let error as ProviderError where error.code == .notManaged {
            logger.warning(
                "remote secret not deleted: it is not managed by external-secrets",
                metadata: ["remoteKey": "\(record.match.remoteRef.remoteKey)"])
        }
    }

    /// The generations of the stores `ps` names (not those it selects by labels), by `Kind/name`,
    /// from the store caches.
    /// The inputs a push is made from, for `SyncedVersion`: the named stores' generations (by
    /// `Kind/name`) and the source Secret's resourceVersion.
    private func pushInputs(of ps: PushSecret, sourceVersion: String?) -> [String: String] {
        Self.pushInputs(namedStoreGenerations(of: ps), sourceVersion: sourceVersion)
    }

    private static func pushInputs(_ generations: [String: String], sourceVersion: String?) -> [String: String] {
        generations.merging(["Secret": sourceVersion ?? ""]) { store, _ in store }
    }

    private func namedStoreGenerations(of ps: PushSecret) -> [String: String] {
        let namespace = ps.metadata.namespace ?? ""
        var generations: [String: String] = [:]
        for ref in ps.spec.secretStoreRefs {
            guard let name = ref.name else { continue }
            let kind = ref.kind ?? .secretStore
            generations[PushStore(kind: kind, name: name).statusKey] =
                String(dependencies.resolver.generation(kind: kind, name: name, namespace: namespace))
        }
        return generations
    }

    static func merge(
        _ newer: [String: [String: PushSecretData]], into older: [String: [String: PushSecretData]]
    ) -> [String: [String: PushSecretData]] {
        var merged = older
        for (store, entries) in newer {
            merged[store, default: [:]].merge(entries) { _, new in new }
        }
        return merged
    }

    // MARK: - Refresh schedule

    static func interval(of spec: PushSecretSpec) throws(InvalidSpec) -> Duration {
        guard let text = spec.refreshInterval else { return RefreshSchedule.defaultInterval }
        guard let duration = GoDuration.parse(text) else {
            throw InvalidSpec("spec.refreshInterval \"\(text)\" is not a valid duration (examples: 1h, 15m, 30s)")
        }
        return duration
    }

    /// `<generation>-<hash of labels and annotations>`, as for ExternalSecrets: changing an
    /// annotation (e.g. `external-secrets.io/force-sync`) pushes again at once.
    static func currentVersion(of ps: PushSecret) -> String {
        ESOHashes.syncedResourceVersion(
            generation: ps.metadata.generation ?? 0, annotations: ps.metadata.annotations, labels: ps.metadata.labels)
    }

    /// When the last push is still current: how long to wait (nil when a push is due now).
    static func remainingWait(_ ps: PushSecret, interval: Duration, version: String, now: Date) -> ReconcileAction? {
        guard let synced = ps.status?.syncedResourceVersion, SyncedVersion(parsing: synced).metadata == version,
            let refreshTime = ps.status?.refreshTime?.date
        else { return nil }
        guard interval > .zero else { return .awaitChange }
        let remaining = refreshTime.addingTimeInterval(interval.seconds).timeIntervalSince(now)
        guard remaining > 0 else { return nil }
        return .requeue(after: .milliseconds(Int64(remaining * 1000)))
    }

    // MARK: - Status and Events

    private func reportFailure(_ ps: PushSecret, message: String, synced: [String: [String: PushSecretData]]?) async throws {
        var status = ps.status ?? PushSecretStatus()
        var conditions = status.conditions ?? []
        conditions.set(
            StatusCondition(
                type: ESONames.conditionReady, status: "False", reason: PushSecretNames.reasonErrored, message: message,
                lastTransitionTime: KubeTime(dependencies.now())))
        status.conditions = conditions
        if let synced { status.syncedPushSecrets = synced }
        await dependencies.events.record(.warning, reason: PushSecretNames.reasonErrored, message: message, about: ps)
        logger.warning(
            "push failed",
            metadata: ["pushsecret": "\(ps.metadata.namespace ?? "")/\(ps.metadata.name ?? "")", "error": "\(message)"])
        try await writeStatus(status, of: ps)
    }

    private func writeStatus(_ status: PushSecretStatus, of ps: PushSecret) async throws {
        guard try await StatusWriter<PushSecret>(client: dependencies.client).write(status, old: ps.status, of: ps) else { return }
        recordConditionGauges(
            "pushsecret_status_condition", name: ps.metadata.name ?? "", namespace: ps.metadata.namespace ?? "",
            conditions: status.conditions ?? [])
    }

    // MARK: - Finalizer

    /// On deletion under deletionPolicy Delete: deletes every recorded remote secret (the
    /// finalizer is released after). A store that is gone (or no longer usable from this
    /// namespace) cannot be cleaned: an Event says its remote secrets are left, and deletion goes on.
    private func deleteRemoteSecrets(of ps: PushSecret) async throws {
        if ps.spec.deletionPolicy == .delete {
            let namespace = ps.metadata.namespace ?? ""
            for (storeKey, records) in (ps.status?.syncedPushSecrets ?? [:]).sorted(by: { $0.key < $1.key }) {
                guard let store = PushStore(statusKey: storeKey) else { continue }
                let client: any SecretsClient
                do {
                    let context = try await dependencies.resolver.resolve(
                        SecretStoreRef(name: store.name, kind: store.kind), from: namespace)
                    client = try await self.client(for: context)
                } catch let problem as StoreProblem {
                    switch problem {
                    case .notFound, .denied, .otherControllerClass:
                        await dependencies.events.record(
                            .warning, reason: PushSecretNames.reasonErrored,
                            message: "remote secrets in \(storeKey) left in place: \(problem)", about: ps)
                        continue
                    default:
                        try await reportFailure(
                            ps, message: "Failed to Delete Secrets from Provider: \(problem)", synced: ps.status?.syncedPushSecrets)
                        throw problem
                    }
                }
                for (_, record) in records.sorted(by: { $0.key < $1.key }) {
                    do {
                        try await deleteRemote(record, with: client)
                    } catch {
                        try await reportFailure(
                            ps, message: "Failed to Delete Secrets from Provider: \(ExternalSecretReconciler<C>.describe(error))",
                            synced: ps.status?.syncedPushSecrets)
                        throw error
                    }
                }
            }
        }
    }
}
