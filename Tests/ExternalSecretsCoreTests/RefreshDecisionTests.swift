import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import KubeModel
import Testing

/// The refresh decision shared by ExternalSecrets and PushSecrets, and the ExternalSecret status
/// after an outcome: argument tables over the facts each reads.
struct RefreshDecisionTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let version = "1-abc"
    static let stores = ["SecretStore/ns/a": "2"]

    /// What the last sync left, relative to `now`.
    enum History: String, CustomStringConvertible, CaseIterable {
        case never, tenMinutesAgo, twoHoursAgo, objectChanged, noRefreshTime
        var description: String { rawValue }
    }

    static func facts(
        _ policy: RefreshPolicy = .periodic, interval: Duration = .seconds(3600), history: History = .tenMinutesAgo,
        failed: Bool = false, storesNow: [String: String]? = stores, rememberedStores: [String: String]? = stores,
        targetValid: Bool = true
    ) -> RefreshFacts {
        let remembered = rememberedStores.map { SyncedVersion.inputsHash($0) }
        let synced: SyncedVersion
        var refreshTime: Date? = now.addingTimeInterval(-600)
        switch history {
        case .never: (synced, refreshTime) = (SyncedVersion(metadata: ""), nil)
        case .tenMinutesAgo: synced = SyncedVersion(metadata: version, inputs: remembered)
        case .twoHoursAgo:
            synced = SyncedVersion(metadata: version, inputs: remembered)
            refreshTime = now.addingTimeInterval(-7200)
        case .objectChanged: synced = SyncedVersion(metadata: "0-old", inputs: remembered)
        case .noRefreshTime: (synced, refreshTime) = (SyncedVersion(metadata: version, inputs: remembered), nil)
        }
        return RefreshFacts(
            policy: policy, interval: interval, currentVersion: version, synced: synced, refreshTime: refreshTime,
            lastAttemptFailed: failed, inputs: storesNow, targetValid: targetValid)
    }

    static let changedStores = ["SecretStore/ns/a": "3"]

    @Test(arguments: [
        // Periodic: the rest of the interval, or a sync when it elapsed or the object changed.
        (facts(), RefreshDecision.wait(.seconds(3000))),
        (facts(history: .never), .sync(.neverSynced)),
        (facts(history: .noRefreshTime), .sync(.neverSynced)),
        (facts(history: .twoHoursAgo), .sync(.intervalElapsed)),
        (facts(history: .objectChanged), .sync(.objectChanged)),
        // Interval 0: a synced object waits for a change, even of its own version (ESO's order).
        (facts(interval: .zero), .wait(nil)),
        (facts(interval: .zero, history: .objectChanged), .wait(nil)),
        (facts(interval: .zero, history: .never), .sync(.neverSynced)),
        // CreatedOnce syncs once; OnChange only when the object changes.
        (facts(.createdOnce, history: .twoHoursAgo), .wait(nil)),
        (facts(.createdOnce, history: .objectChanged), .wait(nil)),
        (facts(.createdOnce, history: .never), .sync(.neverSynced)),
        (facts(.onChange, history: .twoHoursAgo), .wait(nil)),
        (facts(.onChange, history: .objectChanged), .sync(.objectChanged)),
        (facts(.onChange, history: .noRefreshTime), .sync(.neverSynced)),
        // A changed store syncs at once; unknown remembered inputs (ESO's version) do not.
        (facts(storesNow: changedStores), .sync(.inputsChanged)),
        (facts(storesNow: changedStores, rememberedStores: nil), .wait(.seconds(3000))),
        (facts(.onChange, storesNow: nil, rememberedStores: nil), .wait(nil)),
        // A failed last attempt and a drifted target sync whatever the schedule says.
        (facts(failed: true), .sync(.lastAttemptFailed)),
        (facts(.createdOnce, failed: true), .sync(.lastAttemptFailed)),
        (facts(targetValid: false), .sync(.targetDrifted)),
        (facts(.onChange, targetValid: false), .sync(.targetDrifted)),
        // The schedule's reason comes first when several hold.
        (facts(history: .twoHoursAgo, failed: true, targetValid: false), .sync(.intervalElapsed)),
    ])
    func decision(facts: RefreshFacts, expected: RefreshDecision) {
        #expect(facts.decide(now: Self.now) == expected)
    }

    @Test(arguments: [
        (facts(), Duration.seconds(3600)),
        (facts(interval: .seconds(90)), .seconds(90)),
    ] as [(RefreshFacts, Duration)])
    func afterASyncTheWholeIntervalIsWaited(facts: RefreshFacts, expected: Duration) {
        #expect(facts.nextRefresh(after: Self.now, now: Self.now) == expected)
        // An overdue refresh is due at once, not after a negative wait.
        #expect(facts.nextRefresh(after: Self.now.addingTimeInterval(-7200), now: Self.now) == .zero)
    }

    @Test(arguments: [
        (History.tenMinutesAgo, false), (.never, false), (.objectChanged, true), (.twoHoursAgo, false),
    ])
    func onlyAChangeOfTheObjectReadsFresh(history: History, fresh: Bool) {
        #expect(Self.facts(history: history).readsFresh == fresh)
    }

    @Test func theVersionAfterASyncRemembersTheInputsOnlyWhenFollowed() {
        #expect(Self.facts().versionAfterSync == SyncedVersion(metadata: Self.version, inputs: SyncedVersion.inputsHash(Self.stores)))
        #expect(Self.facts(.onChange, storesNow: nil).versionAfterSync == SyncedVersion(metadata: Self.version))
    }

    // MARK: - ExternalSecret facts

    /// The ExternalSecret's own fields reach the facts: policy, interval, versions, failure,
    /// followed stores (periodic only) and the target's validity.
    @Test(arguments: [RefreshPolicy?.none, .periodic, .createdOnce, .onChange])
    func externalSecretFacts(policy: RefreshPolicy?) throws {
        let es = Fixture.externalSecret(
            refreshPolicy: policy, interval: "15m",
            status: ExternalSecretStatus(
                refreshTime: KubeTime(Self.now), syncedResourceVersion: "1-x;from=0123456789abcdef",
                conditions: [StatusCondition(type: ESONames.conditionReady, status: "False")]))
        let target = Fixture.target(.handEdited, for: es)
        let facts = RefreshSchedule.facts(
            of: es, interval: try RefreshSchedule.interval(of: es.spec), target: target, storeGenerations: Self.stores)
        #expect(facts.policy == policy ?? .periodic)
        #expect(facts.interval == .seconds(900))
        #expect(facts.currentVersion == RefreshSchedule.currentVersion(of: es))
        #expect(facts.synced == SyncedVersion(metadata: "1-x", inputs: "0123456789abcdef"))
        #expect(facts.refreshTime == KubeTime(Self.now).date)
        #expect(facts.lastAttemptFailed)
        #expect(facts.inputs == ((policy ?? .periodic) == .periodic ? Self.stores : nil))
        #expect(!facts.targetValid)
    }

    @Test func anInvalidIntervalIsNamed() {
        let es = Fixture.externalSecret(interval: "soon")
        #expect(throws: InvalidSpec("spec.refreshInterval \"soon\" is not a valid duration (examples: 1h, 15m, 30s)")) {
            try RefreshSchedule.decide(es, target: nil, storeGenerations: [:], now: Self.now)
        }
    }

    // MARK: - Status after an outcome

    static let earlier = Date(timeIntervalSince1970: 1_700_000_000)
    static let readySince = StatusCondition(
        type: ESONames.conditionReady, status: "True", reason: ESOReason.secretSynced, message: ESOMessage.secretSynced,
        lastTransitionTime: KubeTime(earlier))
    static let synced = ExternalSecretStatus(
        refreshTime: KubeTime(earlier), syncedResourceVersion: "1-old", conditions: [readySince],
        binding: SecretBinding(name: "old"))
    static let newVersion = SyncedVersion(metadata: "2-new", inputs: "0123456789abcdef")

    enum Expected: Sendable {
        case ready(reason: String, message: String, since: Date, refreshed: Date, version: String, binding: String)
        case failing(message: String, since: Date, refreshed: Date?, version: String?, binding: String?)
    }

    @Test(arguments: [
        // A first sync records everything.
        (ExternalSecretStatus?.none, ExternalSecretOutcome.synced(reason: ESOReason.secretSynced, message: ESOMessage.secretSynced, target: "db", version: newVersion),
         Expected.ready(reason: ESOReason.secretSynced, message: ESOMessage.secretSynced, since: now, refreshed: now, version: newVersion.text, binding: "db")),
        // Ready stays True: its transition time stays; refresh time, version and binding move.
        (synced, .synced(reason: ESOReason.secretSynced, message: ESOMessage.secretUpdated, target: "db", version: newVersion),
         .ready(reason: ESOReason.secretSynced, message: ESOMessage.secretUpdated, since: earlier, refreshed: now, version: newVersion.text, binding: "db")),
        (synced, .synced(reason: ESOReason.secretMissing, message: ESOMessage.secretMissingMerge, target: "db", version: newVersion),
         .ready(reason: ESOReason.secretMissing, message: ESOMessage.secretMissingMerge, since: earlier, refreshed: now, version: newVersion.text, binding: "db")),
        // A failure flips Ready and leaves what the last sync recorded.
        (synced, .failed(message: "could not get SecretStore \"a\": not found"),
         .failing(message: "could not get SecretStore \"a\": not found", since: now, refreshed: earlier, version: "1-old", binding: "old")),
        (nil, .failed(message: "boom"), .failing(message: "boom", since: now, refreshed: nil, version: nil, binding: nil)),
    ] as [(ExternalSecretStatus?, ExternalSecretOutcome, Expected)])
    func statusAfterAnOutcome(old: ExternalSecretStatus?, outcome: ExternalSecretOutcome, expected: Expected) {
        let status = ExternalSecretDecisions.status(after: outcome, from: old, now: Self.now)
        let ready = status.conditions?.condition(ofType: ESONames.conditionReady)
        #expect(status.conditions?.count == 1)
        switch expected {
        case .ready(let reason, let message, let since, let refreshed, let version, let binding):
            #expect(ready?.status == "True")
            #expect(ready?.reason == reason)
            #expect(ready?.message == message)
            #expect(ready?.lastTransitionTime == KubeTime(since))
            #expect(status.refreshTime == KubeTime(refreshed))
            #expect(status.syncedResourceVersion == version)
            #expect(status.binding == SecretBinding(name: binding))
        case .failing(let message, let since, let refreshed, let version, let binding):
            #expect(ready?.status == "False")
            #expect(ready?.reason == ESOReason.secretSyncedError)
            #expect(ready?.message == message)
            #expect(ready?.lastTransitionTime == KubeTime(since))
            #expect(status.refreshTime == refreshed.map { KubeTime($0) })
            #expect(status.syncedResourceVersion == version)
            #expect(status.binding == binding.map { SecretBinding(name: $0) })
        }
    }
}
