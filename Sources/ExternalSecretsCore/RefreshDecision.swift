public import ExternalSecretsAPI
public import Foundation
import HTTPSupport

/// Why a reconcile calls the providers. Every reason leads to the same sync; the reason is for
/// logs and tests. When several hold, the first in declaration order is given.
public enum SyncReason: String, Sendable, Hashable, CustomStringConvertible {
    /// No sync is recorded yet (no synced version or no refresh time).
    case neverSynced
    /// The object's generation, labels or annotations (e.g. `external-secrets.io/force-sync`)
    /// changed since the last sync.
    case objectChanged
    /// The refresh interval elapsed since the last sync.
    case intervalElapsed
    /// What the last sync was made from (store generations; a PushSecret's source Secret) changed.
    case inputsChanged
    /// The last attempt failed (Ready=False): try again whatever the schedule says.
    case lastAttemptFailed
    /// The target Secret is missing or no longer as the last sync left it.
    case targetDrifted

    public var description: String { rawValue }
}

/// What a reconcile does about the providers now.
public enum RefreshDecision: Sendable, Hashable {
    /// Nothing is due: reconcile again after the duration, or only when something changes (nil).
    case wait(Duration?)
    /// Call the providers now.
    case sync(SyncReason)
}

/// Everything the refresh decision reads: the object's refresh settings, what its status
/// remembers of the last sync, the state of its target and inputs. Built from an ExternalSecret
/// (`RefreshSchedule.facts(of:...)`) or a PushSecret (`PushSecretDecisions.refreshFacts`), so
/// both kinds share one decision. Pure: the clock is an argument of `decide`.
public struct RefreshFacts: Sendable, Hashable {
    public var policy: RefreshPolicy
    public var interval: Duration
    /// `<generation>-<hash of labels and annotations>` of the object now.
    public var currentVersion: String
    /// What the last sync wrote to `status.syncedResourceVersion`.
    public var synced: SyncedVersion
    /// `status.refreshTime`: when the last sync happened.
    public var refreshTime: Date?
    /// Whether the Ready condition is False (the last attempt failed).
    public var lastAttemptFailed: Bool
    /// The inputs now (store generations, ...), compared with `synced.inputs`; nil when the
    /// object does not follow its inputs.
    public var inputs: [String: String]?
    /// Whether the target is as the last sync left it (always true for kinds without a target).
    public var targetValid: Bool

    public init(
        policy: RefreshPolicy, interval: Duration, currentVersion: String, synced: SyncedVersion, refreshTime: Date?,
        lastAttemptFailed: Bool = false, inputs: [String: String]? = nil, targetValid: Bool = true
    ) {
        self.policy = policy
        self.interval = interval
        self.currentVersion = currentVersion
        self.synced = synced
        self.refreshTime = refreshTime
        self.lastAttemptFailed = lastAttemptFailed
        self.inputs = inputs
        self.targetValid = targetValid
    }

    /// Sync now, or how long to wait: ESO's `shouldRefresh` and `isSecretValid`, then (this
    /// operator's additions) changed inputs and a failed last attempt.
    public func decide(now: Date) -> RefreshDecision {
        if let reason = scheduleReason(now: now) { return .sync(reason) }
        if let inputs, synced.inputsChanged(current: inputs) { return .sync(.inputsChanged) }
        if lastAttemptFailed { return .sync(.lastAttemptFailed) }
        if !targetValid { return .sync(.targetDrifted) }
        return .wait(nextRefresh(after: refreshTime ?? now, now: now))
    }

    /// Why the schedule alone makes a sync due (ESO's `shouldRefresh`), or nil.
    public func scheduleReason(now: Date) -> SyncReason? {
        let neverSynced = synced.metadata.isEmpty || refreshTime == nil
        switch policy {
        case .createdOnce:
            return neverSynced ? .neverSynced : nil
        case .onChange:
            if neverSynced { return .neverSynced }
            return synced.metadata != currentVersion ? .objectChanged : nil
        case .periodic:
            // ESO's order: with interval 0, a synced object waits even for a changed version.
            if interval <= .zero && !synced.metadata.isEmpty { return nil }
            if synced.metadata != currentVersion { return synced.metadata.isEmpty ? .neverSynced : .objectChanged }
            guard let refreshTime else { return .neverSynced }
            return refreshTime.addingTimeInterval(interval.seconds) < now ? .intervalElapsed : nil
        }
    }

    /// When to reconcile again after a sync at `refreshTime`: the rest of the interval, or nil
    /// when no periodic refresh applies (interval 0, CreatedOnce, OnChange).
    public func nextRefresh(after refreshTime: Date, now: Date) -> Duration? {
        guard policy == .periodic, interval > .zero else { return nil }
        let remaining = refreshTime.addingTimeInterval(interval.seconds).timeIntervalSince(now)
        return .milliseconds(Int64(max(remaining, 0) * 1000))
    }

    /// Whether a sync should read fresh values instead of sharing reads with other objects: the
    /// user asked for it on a synced object (spec or metadata change, force-sync).
    public var readsFresh: Bool { !synced.metadata.isEmpty && synced.metadata != currentVersion }
}

extension RefreshFacts {
    /// What a sync made from these facts remembers in `status.syncedResourceVersion`: the
    /// object's version and, when it follows its inputs, their hash.
    public var versionAfterSync: SyncedVersion {
        SyncedVersion(metadata: currentVersion, inputs: inputs.map { SyncedVersion.inputsHash($0) })
    }
}
