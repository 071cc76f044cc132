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
        try interval(spec.refreshInterval)
    }

    /// A `spec.refreshInterval` text as a duration (nil: the default), or an error message for
    /// text Go cannot parse.
    public static func interval(_ text: String?) throws(InvalidSpec) -> Duration {
        guard let text else { return defaultInterval }
        guard let duration = GoDuration.parse(text) else {
            throw InvalidSpec("spec.refreshInterval \"\(text)\" is not a valid duration (examples: 1h, 15m, 30s)")
        }
        return duration
    }

    /// `<generation>-<hash of labels and annotations>`: the version status.syncedResourceVersion
    /// is compared with.
    public static func currentVersion(of es: ExternalSecret) -> String { currentVersion(of: es.metadata) }

    /// `<generation>-<hash of labels and annotations>` of any object's metadata (ExternalSecret,
    /// PushSecret): changing an annotation such as `external-secrets.io/force-sync` changes it.
    public static func currentVersion(of metadata: ObjectMeta) -> String {
        ESOHashes.syncedResourceVersion(
            generation: metadata.generation ?? 0, annotations: metadata.annotations, labels: metadata.labels)
    }

    /// The refresh decision for `es`, whose target Secret is `target` (from the managed-Secret
    /// cache) and whose stores are now at `storeGenerations` (store index key → generation).
    public static func decide(
        _ es: ExternalSecret, target: Secret?, storeGenerations: [String: String], now: Date
    ) throws(InvalidSpec) -> RefreshDecision {
        try facts(of: es, interval: interval(of: es.spec), target: target, storeGenerations: storeGenerations)
            .decide(now: now)
    }

    /// What the refresh decision reads of `es`. Only a periodically refreshed ExternalSecret
    /// follows store edits at once (a new store generation refreshes it instead of waiting for
    /// its interval; ESO waits); CreatedOnce and OnChange keep ESO's meaning. The generations
    /// synced with are kept in status (`SyncedVersion`), so this holds after a restart or a
    /// leader change. Ready=False (after a sync or an open circuit breaker) means the last
    /// attempt failed.
    public static func facts(
        of es: ExternalSecret, interval: Duration, target: Secret?, storeGenerations: [String: String]
    ) -> RefreshFacts {
        let policy = es.spec.refreshPolicy ?? .periodic
        return RefreshFacts(
            policy: policy, interval: interval, currentVersion: currentVersion(of: es),
            synced: SyncedVersion(parsing: es.status?.syncedResourceVersion ?? ""),
            refreshTime: es.status?.refreshTime?.date,
            lastAttemptFailed: es.status?.conditions?.condition(ofType: ESONames.conditionReady)?.status == "False",
            inputs: policy == .periodic ? storeGenerations : nil,
            targetValid: isTargetValid(es, target: target))
    }

    /// Whether the provider should be called now (ESO's `shouldRefresh`; the stores part of
    /// `SyncedVersion` is judged by `RefreshFacts.decide`).
    public static func isRefreshDue(_ es: ExternalSecret, interval: Duration, now: Date) -> Bool {
        facts(of: es, interval: interval, target: nil, storeGenerations: [:]).scheduleReason(now: now) != nil
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
        facts(of: es, interval: interval, target: nil, storeGenerations: [:]).nextRefresh(after: refreshTime, now: now)
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
