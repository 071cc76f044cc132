public import ExternalSecretsAPI
public import Foundation
import KubeModel

/// How an ExternalSecret's reconcile ended, as far as its status is concerned.
public enum ExternalSecretOutcome: Sendable, Hashable {
    /// A sync finished: the write plan's condition reason and message (`SecretWritePlan`), the
    /// target Secret's name and the version the sync remembers.
    case synced(reason: String, message: String, target: String, version: SyncedVersion)
    /// A sync failed or could not start; `message` is sanitized error text (no secret value).
    case failed(message: String)
}

/// The decisions of `ExternalSecretReconciler` that need no I/O (DESIGN.md: fetch, pure
/// decision, apply). The refresh decision is `RefreshSchedule.decide`.
public enum ExternalSecretDecisions {
    /// The status after `outcome` at `now`, from the status the object had. The Ready condition
    /// is set through `[StatusCondition].set`, which keeps its transition time while its status
    /// does not flip; a failure leaves every other field as it was (the last sync's refresh
    /// time, version and binding still describe the Secret, which a failure leaves alone).
    public static func status(
        after outcome: ExternalSecretOutcome, from old: ExternalSecretStatus?, now: Date
    ) -> ExternalSecretStatus {
        var status = old ?? ExternalSecretStatus()
        var conditions = status.conditions ?? []
        switch outcome {
        case .synced(let reason, let message, let target, let version):
            conditions.set(
                StatusCondition(
                    type: ESONames.conditionReady, status: "True", reason: reason, message: message,
                    lastTransitionTime: KubeTime(now)))
            status.refreshTime = KubeTime(now)
            status.syncedResourceVersion = version.text
            status.binding = SecretBinding(name: target)
        case .failed(let message):
            conditions.set(
                StatusCondition(
                    type: ESONames.conditionReady, status: "False", reason: ESOReason.secretSyncedError, message: message,
                    lastTransitionTime: KubeTime(now)))
        }
        status.conditions = conditions
        return status
    }
}
