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

    /// Whether the provider should be called now (ESO's `shouldRefresh`; the stores part of
    /// `SyncedVersion` is judged by the caller).
    public static func isRefreshDue(_ es: ExternalSecret, interval: Duration, now: Date) -> Bool {
        let synced = SyncedVersion(parsing: es.status?.syncedResourceVersion ?? "").metadata
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

/// `status.syncedResourceVersion` as this operator writes it (ExternalSecret and PushSecret):
/// ESO's version, then a short hash of what the last sync was made from (the generations of the
/// stores; for a PushSecret also its source Secret's resourceVersion), so that a change of those
/// syncs at once, also after a restart or a leader change (DESIGN.md invariant 9).
///
/// Why this field: a status field of our own would be pruned by ESO's CRDs, which users may keep
/// installed; an annotation would be a second write (on the main resource, waking every
/// watcher), would change ESO's own metadata hash and would be copied to the target Secret. A
/// suffix of an existing status field is written with the status a sync writes anyway, so it
/// costs no extra write, and nothing at all while nothing changes.
///
/// Format: `<ESO's version>` or `<ESO's version>;from=<16 hex>`; ESO's version
/// (`<generation>-<hash>`) never contains `;`.
///
/// Caveats: a version without the suffix (written by ESO or by an older build) means "inputs
/// unknown": nothing is synced for it (so a migration from ESO causes no provider calls) and the
/// next sync adds it. Should ESO take over again, it sees a different version on objects that
/// carry the suffix and refreshes each of them once.
public struct SyncedVersion: Sendable, Hashable {
    /// ESO's `<generation>-<hash of labels and annotations>`.
    public var metadata: String
    /// The hash of the inputs of the last sync (`inputsHash`), when known.
    public var inputs: String?

    static let inputsMarker = ";from="

    public init(metadata: String, inputs: String? = nil) {
        self.metadata = metadata
        self.inputs = inputs
    }

    /// Splits a written version; a text without the marker is all ESO's part.
    public init(parsing text: String) {
        if let marker = text.range(of: Self.inputsMarker) {
            self.init(metadata: String(text[..<marker.lowerBound]), inputs: String(text[marker.upperBound...]))
        } else {
            self.init(metadata: text)
        }
    }

    /// The text to write.
    public var text: String { inputs.map { metadata + Self.inputsMarker + $0 } ?? metadata }

    /// A short, order-independent hash of named inputs (store index key → generation, ...): 16
    /// hex digits of SHA3-224, enough to notice that one of them changed.
    public static func inputsHash(_ inputs: [String: String]) -> String {
        let text = inputs.keys.sorted().map { "\($0)=\(inputs[$0] ?? "")" }.joined(separator: "\n")
        return String(SHA3_224.hex(Array(text.utf8)).prefix(16))
    }

    /// Whether the inputs changed since the version was written; false when unknown.
    public func inputsChanged(current inputs: [String: String]) -> Bool {
        self.inputs.map { $0 != Self.inputsHash(inputs) } ?? false
    }
}
