public import ControllerRuntime
public import ExternalSecretsAPI
import Foundation
import KubeClient
import KubeModel
public import Logging
import Metrics
import ProviderKit
import Synchronization

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
        var synced: SyncedPushSecrets
        var underlying: any Error
    }

    // MARK: - Sync

    private func sync(_ ps: PushSecret) async throws -> ReconcileAction {
        try PushSecretPlanner.validate(ps.spec)
        let namespace = ps.metadata.namespace ?? ""
        // What the last push was made from (source Secret version, named store generations) is
        // kept in status (`SyncedVersion`), so a change of either pushes at once, also after a
        // restart or a leader change.
        let generations = dependencies.resolver.pushStoreGenerations(ps.spec.secretStoreRefs, from: namespace)
        let refresh = try PushSecretDecisions.refreshFacts(
            of: ps, storeGenerations: generations,
            sourceVersion: dependencies.sourceVersion(ObjectKey(namespace: namespace, name: ps.spec.selector.secret?.name ?? "")))
        if case .wait(let after) = refresh.decide(now: dependencies.now()) {
            return after.map { .requeue(after: $0) } ?? .awaitChange
        }

        let ledger = dependencies.generatorStates.map { settings in
            GeneratorStateLedger(
                client: dependencies.client, owner: GeneratorStateOwner(ps), gracePeriod: settings.gracePeriod,
                now: dependencies.now)
        }
        var written: [PushEntry] = []
        let plan: PushPlan
        let sourceVersion: String?
        do {
            let source: SecretData
            (source, sourceVersion) = try await sourceData(of: ps, namespace: namespace, ledger: ledger)
            let stores = try await resolveStores(ps.spec.secretStoreRefs, namespace: namespace)
            plan = try PushPlan(
                spec: ps.spec, source: source, stores: stores.map(\.push), previous: ps.status?.syncedPushSecrets ?? [:])
            var clients: [String: any SecretsClient] = [:]
            for store in stores {
                clients[store.push.statusKey] = try await client(for: store.context)
            }
            for entry in plan.entries {
                guard let client = clients[entry.store.statusKey] else { continue }
                do {
                    let leftAsItIs = plan.skipsExisting ? try await client.secretExists(entry.target) : false
                    if !leftAsItIs { try await client.pushSecret(entry.value, to: entry.target) }
                    written.append(entry)
                } catch {
                    let message = PushSecretNames.writeFailed(
                        remoteRef: entry.record.match.secretKey ?? entry.target.remoteKey, store: entry.store.name,
                        error: ExternalSecretReconciler<C>.describe(error))
                    throw PushFailure(message: message, synced: plan.synced(afterWriting: written), underlying: error)
                }
            }
            for (index, stale) in plan.stale.enumerated() {
                guard let client = clients[stale.store] else { continue }
                do {
                    try await deleteRemote(stale.record, with: client)
                } catch {
                    throw PushFailure(
                        message: PushSecretNames.deleteFailed(ExternalSecretReconciler<C>.describe(error)),
                        synced: plan.synced(notDeleted: plan.stale[index...]), underlying: error)
                }
            }
        } catch {
            // A generated value pushed nowhere is cleaned up now; one pushed to some store is
            // in use there and becomes the live one (ESO rolls back either way).
            await settleGeneratorStates(ledger, of: ps, committing: !written.isEmpty)
            throw error
        }
        await settleGeneratorStates(ledger, of: ps, committing: true)
        for store in plan.abandonedStores {
            await dependencies.events.record(.normal, reason: PushSecretNames.reasonSynced, message: PushSecretNames.storeAbandoned(store), about: ps)
        }

        let version = PushSecretDecisions.versionAfterPush(refresh, storeGenerations: generations, sourceVersion: sourceVersion)
        let refreshTime = dependencies.now()
        let status = PushSecretDecisions.status(
            after: .pushed(message: plan.message, synced: plan.syncedAfterPush, version: version), from: ps.status, now: refreshTime)
        await dependencies.events.record(.normal, reason: PushSecretNames.reasonSynced, message: plan.message, about: ps)
        logger.log(
            // A push of something new (source, stores or spec changed: another synced version) or a
            // change of Ready is a transition; a periodic re-push of the same is not.
            level: readyConditionChanged(from: ps.status?.conditions, to: status.conditions)
                || status.syncedResourceVersion != ps.status?.syncedResourceVersion ? .info : .debug,
            "pushed", metadata: ["pushsecret": "\(ObjectKey(ps))", "entries": "\(written.count)"])
        try await writeStatus(status, of: ps)
        return refresh.nextRefresh(after: refreshTime, now: refreshTime).map { .requeue(after: $0) } ?? .awaitChange
    }

    /// The source's data after the template: the Secret read by a direct GET in the PushSecret's
    /// own namespace, or what `selector.generatorRef` generates now (as ESO, a new value at every
    /// push; no source version then).
    private func sourceData(
        of ps: PushSecret, namespace: String, ledger: GeneratorStateLedger?
    ) async throws -> (SecretData, String?) {
        let data: SecretData
        let version: String?
        if let generatorRef = ps.spec.selector.generatorRef {
            let generators = GeneratorResolver(
                client: dependencies.client, generators: dependencies.registry.generators, now: dependencies.now)
            do {
                data = try await generators.generate(generatorRef, namespace: namespace, recordingIn: ledger, key: "0").data
            } catch let error as ProviderError {
                throw ProviderError(error.code, "spec.selector.generatorRef: \(error.message)")
            }
            version = nil
        } else {
            let policy = ReferenceAccessPolicy(ownNamespace: namespace)
            let allowed = try policy.namespace(for: nil, field: "spec.selector.secret")
            let name = ps.spec.selector.secret?.name ?? ""
            guard let secret = try await dependencies.client.api(Secret.self, namespace: allowed).getIfExists(name) else {
                throw SourceMissing(name: name)
            }
            data = secret.data ?? [:]
            version = secret.metadata.resourceVersion
        }
        guard let template = ps.spec.template else { return (data, version) }
        let sources = try await readTemplateSources(
            of: template, client: dependencies.client, namespace: namespace, field: "spec.template.templateFrom")
        return (try dependencies.renderer().render(template, data: data, sources: sources).data, version)
    }

    /// Commits (earlier states retired after the grace period) or rolls back (this push's
    /// states cleaned up now) the generator states of one push; a failure is logged, not thrown.
    private func settleGeneratorStates(_ ledger: GeneratorStateLedger?, of ps: PushSecret, committing: Bool) async {
        guard let ledger, let settings = dependencies.generatorStates,
            !ledger.isEmpty || settings.hasLiveStates(ps.metadata.uid ?? "")
        else { return }
        do {
            if committing { try await ledger.commit() } else { try await ledger.rollback() }
        } catch {
            logger.warning(
                committing ? "could not flag earlier generator states for clean-up" : "could not roll back generator states",
                metadata: ["pushsecret": "\(ObjectKey(ps))", "error": "\(ExternalSecretReconciler<C>.describe(error))"])
        }
    }

    private struct ResolvedStore {
        var push: PushStore
        var context: StoreContext
    }

    /// The stores `refs` name or select, as usable from `namespace`. Stores of another controller
    /// class are skipped (another operator pushes to them).
    private func resolveStores(_ refs: [PushSecretStoreRef], namespace: String) async throws -> [ResolvedStore] {
        var resolved: [ResolvedStore] = []
        for push in dependencies.resolver.pushStores(refs, from: namespace) {
            do {
                let context = try await dependencies.resolver.resolve(SecretStoreRef(name: push.name, kind: push.kind), from: namespace)
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

    // MARK: - Status and Events

    private func reportFailure(_ ps: PushSecret, message: String, synced: SyncedPushSecrets?) async throws {
        let status = PushSecretDecisions.status(after: .failed(message: message, synced: synced), from: ps.status, now: dependencies.now())
        await dependencies.events.record(.warning, reason: PushSecretNames.reasonErrored, message: message, about: ps)
        logger.log(
            level: readyConditionChanged(from: ps.status?.conditions, to: status.conditions) ? .warning : .debug,
            "push failed", metadata: ["pushsecret": "\(ObjectKey(ps))", "error": "\(message)"])
        try await writeStatus(status, of: ps)
    }

    private func writeStatus(_ status: PushSecretStatus, of ps: PushSecret) async throws {
        guard try await StatusWriter<PushSecret>(client: dependencies.client, ownWrites: dependencies.ownStatusWrites).write(status, old: ps.status, of: ps) else { return }
        recordConditionGauges(
            "pushsecret_status_condition", name: ps.metadata.name ?? "", namespace: ps.metadata.namespace ?? "",
            conditions: status.conditions ?? [])
    }

    // MARK: - Finalizer

    /// On deletion under deletionPolicy Delete: deletes every recorded remote secret (the
    /// finalizer is released after). A store that is gone (or no longer usable from this
    /// namespace) cannot be cleaned: an Event says its remote secrets are left, and deletion goes on.
    private func deleteRemoteSecrets(of ps: PushSecret) async throws {
        guard ps.spec.deletionPolicy == .delete else { return }
        let recorded = ps.status?.syncedPushSecrets
        for (storeKey, records) in (recorded ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let store = PushStore(statusKey: storeKey) else { continue }
            let client: any SecretsClient
            do {
                let context = try await dependencies.resolver.resolve(
                    SecretStoreRef(name: store.name, kind: store.kind), from: ps.metadata.namespace ?? "")
                client = try await self.client(for: context)
            } catch let problem as StoreProblem where PushSecretDecisions.cleanUpLeavesInPlace(problem) {
                await dependencies.events.record(
                    .warning, reason: PushSecretNames.reasonErrored,
                    message: PushSecretNames.remoteSecretsLeft(store: storeKey, problem: "\(problem)"), about: ps)
                continue
            } catch let problem as StoreProblem {
                try await reportFailure(ps, message: PushSecretNames.deleteFailed("\(problem)"), synced: recorded)
                throw problem
            }
            for (_, record) in records.sorted(by: { $0.key < $1.key }) {
                do {
                    try await deleteRemote(record, with: client)
                } catch {
                    try await reportFailure(
                        ps, message: PushSecretNames.deleteFailed(ExternalSecretReconciler<C>.describe(error)), synced: recorded)
                    throw error
                }
            }
        }
    }
}
