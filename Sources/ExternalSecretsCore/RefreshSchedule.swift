public import ExternalSecretsAPI
public import Foundation
import GoCompat
import HTTPSupport
public import KubeModel

/// When an ExternalSecret calls its provider, exactly as ESO decides it (ESO-BEHAVIOUR.md "When
/// ESO refreshes"), so a Secret ESO synced is not re-fetched when this operator takes over.
/// Pure: the clock is an argument.
public enum RefreshSchedule {
    /// ESO's default `refreshInterval`.
    public static let defaultInterval: Duration = .seconds(3600)

    /// The refresh interval, or an error message for text Go cannot parse.
    public static func interval(of spec: ExternalSecretSpec) throws(InvalidSpec) -> Duration {
        guard let text = spec.refreshInterval else { return defaultInterval }
        guard let duration = GoDuration.parse(text) else {
            throw InvalidSpec("spec.refreshInterval \"\(text)\" is not a valid duration (examples: 1h, 15m, 30s)")
        }
        return duration
    }

    /// `<generation>-<hash of labels and annotations>`: the version status.syncedResourceVersion
    /// is compared with.
    public static func currentVersion(of es: ExternalSecret) -> String {
        ESOHashes.syncedResourceVersion(
            generation: es.metadata.generation ?? 0, annotations: es.metadata.annotations, labels: es.metadata.labels)
    }

    /// Whether the provider should be called now (ESO's `shouldRefresh`).
    public static func isRefreshDue(_ es: ExternalSecret, interval: Duration, now: Date) -> Bool {
        let synced = es.status?.syncedResourceVersion ?? ""
        let refreshTime = es.status?.refreshTime?.date
        let neverSynced = synced.isEmpty || refreshTime == nil
        switch es.spec.refreshPolicy ?? .periodic {
        case .createdOnce:
            return neverSynced
        case .onChange:
            return neverSynced || synced != currentVersion(of: es)
        case .periodic:
            if interval <= .zero && !synced.isEmpty { return false }
            if synced != currentVersion(of: es) { return true }
            guard let refreshTime else { return true }
            return refreshTime.addingTimeInterval(interval.seconds) < now
        }
    }

    /// Whether the target Secret is as this ExternalSecret last left it (ESO's `isSecretValid`):
    /// it exists, carries the managed label, and its data-hash annotation matches its data. With
    /// creationPolicy Orphan the target is always considered valid.
    public static func isTargetValid(_ es: ExternalSecret, target: Secret?) -> Bool {
        if es.spec.target?.creationPolicy == .orphan { return true }
        guard let target else { return false }
        guard target.metadata.labels?[ESONames.managedLabel] == ESONames.managedLabelValue else { return false }
        return target.metadata.annotations?[ESONames.dataHashAnnotation] == ESOHashes.dataHash(target.data ?? [:])
    }

    /// When to reconcile again after a successful sync: the rest of the interval since
    /// `refreshTime`, or nil when no periodic refresh applies (interval 0, CreatedOnce, OnChange).
    public static func nextRefresh(_ es: ExternalSecret, interval: Duration, refreshTime: Date, now: Date) -> Duration? {
        switch es.spec.refreshPolicy ?? .periodic {
        case .createdOnce, .onChange: return nil
        case .periodic:
            guard interval > .zero else { return nil }
            let remaining = refreshTime.addingTimeInterval(interval.seconds).timeIntervalSince(now)
            return .milliseconds(Int64(max(remaining, 0) * 1000))
        }
    }
}

/// A spec the operator cannot act on; the message names the field and is shown in the Ready
/// condition.
public struct InvalidSpec: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
