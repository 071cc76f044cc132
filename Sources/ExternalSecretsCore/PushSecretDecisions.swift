public import ExternalSecretsAPI
public import Foundation
import KubeModel
public import ProviderKit

/// `status.syncedPushSecrets`: by store key (`Kind/name`), by entry key (`remoteKey[/property]`).
public typealias SyncedPushSecrets = [String: [String: PushSecretData]]

/// How a PushSecret's reconcile ended, as far as its status is concerned.
public enum PushSecretOutcome: Sendable, Hashable {
    /// Every write (and deletion) succeeded.
    case pushed(message: String, synced: SyncedPushSecrets, version: SyncedVersion)
    /// A push failed; `synced` is what is recorded now (nil: unchanged), `message` sanitized.
    case failed(message: String, synced: SyncedPushSecrets?)
}

/// The decisions of `PushSecretReconciler` that need no I/O: when to push (the refresh decision
/// shared with ExternalSecrets), what the status becomes after an outcome, and which store
/// problems let a deletion go on.
public enum PushSecretDecisions {
    /// What the refresh decision reads of `ps`. A PushSecret has no refresh policy: it pushes
    /// periodically with an interval, only on a change of itself without one (as ESO), and at
    /// once when a named store or its source Secret changed since the last push.
    /// - Parameters:
    ///   - storeGenerations: the named stores' generations by `Kind/name` (`StoreResolver.pushStoreGenerations`).
    ///   - sourceVersion: the source Secret's resourceVersion as the watch saw it (nil: unknown).
    public static func refreshFacts(
        of ps: PushSecret, storeGenerations: [String: String], sourceVersion: String?
    ) throws(InvalidSpec) -> RefreshFacts {
        let interval = try RefreshSchedule.interval(ps.spec.refreshInterval)
        return RefreshFacts(
            policy: interval > .zero ? .periodic : .onChange, interval: interval,
            currentVersion: RefreshSchedule.currentVersion(of: ps.metadata),
            synced: SyncedVersion(parsing: ps.status?.syncedResourceVersion ?? ""), refreshTime: ps.status?.refreshTime?.date,
            lastAttemptFailed: ps.status?.conditions?.condition(ofType: ESONames.conditionReady)?.status == "False",
            inputs: inputs(storeGenerations: storeGenerations, sourceVersion: sourceVersion))
    }

    /// The inputs a push is made from, for `SyncedVersion`: the named stores' generations (by
    /// `Kind/name`) and the source Secret's resourceVersion (under the key `Secret`).
    public static func inputs(storeGenerations: [String: String], sourceVersion: String?) -> [String: String] {
        storeGenerations.merging(["Secret": sourceVersion ?? ""]) { store, _ in store }
    }

    /// What a push remembers: the PushSecret's version when the push was decided and the hash of
    /// the stores' generations then and of the source Secret's version as read.
    public static func versionAfterPush(
        _ facts: RefreshFacts, storeGenerations: [String: String], sourceVersion: String?
    ) -> SyncedVersion {
        SyncedVersion(
            metadata: facts.currentVersion,
            inputs: SyncedVersion.inputsHash(inputs(storeGenerations: storeGenerations, sourceVersion: sourceVersion)))
    }

    /// The status after `outcome` at `now`, from the status the PushSecret had. The Ready
    /// condition keeps its transition time while its status does not flip.
    public static func status(after outcome: PushSecretOutcome, from old: PushSecretStatus?, now: Date) -> PushSecretStatus {
        var status = old ?? PushSecretStatus()
        var conditions = status.conditions ?? []
        switch outcome {
        case .pushed(let message, let synced, let version):
            conditions.set(
                StatusCondition(
                    type: ESONames.conditionReady, status: "True", reason: PushSecretNames.reasonSynced, message: message,
                    lastTransitionTime: KubeTime(now)))
            status.refreshTime = KubeTime(now)
            status.syncedResourceVersion = version.text
            status.syncedPushSecrets = synced
        case .failed(let message, let synced):
            conditions.set(
                StatusCondition(
                    type: ESONames.conditionReady, status: "False", reason: PushSecretNames.reasonErrored, message: message,
                    lastTransitionTime: KubeTime(now)))
            if let synced { status.syncedPushSecrets = synced }
        }
        status.conditions = conditions
        return status
    }

    /// Whether a deleted PushSecret's clean-up goes on past a store it cannot use: a store that
    /// is gone, no longer usable from the namespace or another operator's keeps its remote
    /// secrets (an Event says so) instead of holding the PushSecret forever; any other problem
    /// (not ready yet, invalid) is retried.
    public static func cleanUpLeavesInPlace(_ problem: StoreProblem) -> Bool {
        switch problem {
        case .notFound, .denied, .otherControllerClass: true
        case .notReady, .pendingValidation, .invalid: false
        }
    }
}

/// What one push writes and deletes, decided before any provider call.
public struct PushPlan: Sendable, Hashable {
    /// One recorded remote secret to delete after the writes.
    public struct StaleRecord: Sendable, Hashable {
        public var store: String
        public var key: String
        public var record: PushSecretData
    }

    /// The writes, in order.
    public var entries: [PushEntry]
    /// updatePolicy IfNotExists: a remote secret that exists is left as it is.
    public var skipsExisting: Bool
    /// The Ready message after the push.
    public var message: String
    /// `status.syncedPushSecrets` before the push.
    public var previous: SyncedPushSecrets
    /// `status.syncedPushSecrets` once every write succeeded: each listed store has a key.
    public var syncedAfterPush: SyncedPushSecrets
    /// Recorded entries the spec no longer writes, in stores still listed, to delete after the
    /// writes (deletionPolicy Delete only), ordered by store and key.
    public var stale: [StaleRecord]
    /// Stores recorded before and no longer listed: their remote secrets are left in place.
    public var abandonedStores: [String]

    /// The plan of `spec` pushing `source` (the source Secret's data after the template) to
    /// `stores`, with `previous` recorded. Fails, naming the key, when `source` lacks a key an
    /// entry asks for.
    public init(spec: PushSecretSpec, source: SecretData, stores: [PushStore], previous: SyncedPushSecrets) throws(InvalidSpec) {
        entries = try PushSecretPlanner.entries(for: spec, source: source, stores: stores)
        skipsExisting = spec.updatePolicy == .ifNotExists
        message = skipsExisting ? PushSecretNames.messageSyncedIfNotExists : PushSecretNames.messageSynced
        self.previous = previous
        var synced = PushSecretPlanner.synced(entries)
        for store in stores where synced[store.statusKey] == nil { synced[store.statusKey] = [:] }
        syncedAfterPush = synced
        let listed = Set(stores.map(\.statusKey))
        stale = []
        if spec.deletionPolicy == .delete {
            let staleByStore = PushSecretPlanner.staleEntries(previous: previous, current: synced, listedStores: listed)
            for (store, records) in staleByStore.sorted(by: { $0.key < $1.key }) {
                for (key, record) in records.sorted(by: { $0.key < $1.key }) {
                    stale.append(StaleRecord(store: store, key: key, record: record))
                }
            }
        }
        abandonedStores = PushSecretPlanner.abandonedStores(previous: previous, listedStores: listed)
    }

    /// What is recorded when a write fails after `written` succeeded: the previous records with
    /// those writes added (nothing recorded is forgotten).
    public func synced(afterWriting written: [PushEntry]) -> SyncedPushSecrets {
        Self.merge(PushSecretPlanner.synced(written), into: previous)
    }

    /// What is recorded when a deletion fails: the writes, and the stale records from
    /// `notDeleted` on, so the next attempt deletes them.
    public func synced(notDeleted: ArraySlice<StaleRecord>) -> SyncedPushSecrets {
        var remaining: SyncedPushSecrets = [:]
        for record in notDeleted { remaining[record.store, default: [:]][record.key] = record.record }
        return Self.merge(remaining, into: syncedAfterPush)
    }

    static func merge(_ newer: SyncedPushSecrets, into older: SyncedPushSecrets) -> SyncedPushSecrets {
        var merged = older
        for (store, entries) in newer {
            merged[store, default: [:]].merge(entries) { _, new in new }
        }
        return merged
    }
}
