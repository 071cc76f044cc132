import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import KubeModel
import ProviderKit
import Testing

/// PushSecret's pure decisions: when to push (the shared refresh decision), the per-store push
/// plan, the status after an outcome and the clean-up rule.
struct PushSecretDecisionsTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let stores = ["SecretStore/fake": "3"]

    static func pushSecret(
        interval: String? = "1h", refreshedSecondsAgo: Double? = 600, sameVersion: Bool = true,
        remembered: (stores: [String: String], source: String?)? = (stores, "41"), failed: Bool = false
    ) -> PushSecret {
        var ps = PushSecret(
            metadata: ObjectMeta(name: "push", namespace: "team"),
            spec: PushSecretSpec(
                refreshInterval: interval, secretStoreRefs: [PushSecretStoreRef(name: "fake")],
                selector: PushSecretSelector(secret: PushSecretSecretSelector(name: "source"))))
        ps.metadata.generation = 2
        let version = sameVersion ? RefreshSchedule.currentVersion(of: ps.metadata) : "1-old"
        let inputs = remembered.map {
            SyncedVersion.inputsHash(PushSecretDecisions.inputs(storeGenerations: $0.stores, sourceVersion: $0.source))
        }
        ps.status = PushSecretStatus(
            refreshTime: refreshedSecondsAgo.map { KubeTime(now.addingTimeInterval(-$0)) },
            syncedResourceVersion: refreshedSecondsAgo == nil ? nil : SyncedVersion(metadata: version, inputs: inputs).text,
            conditions: failed ? [StatusCondition(type: ESONames.conditionReady, status: "False")] : nil)
        return ps
    }

    @Test(arguments: [
        (pushSecret(), "41", RefreshDecision.wait(.seconds(3000))),
        (pushSecret(refreshedSecondsAgo: nil), "41", .sync(.neverSynced)),
        (pushSecret(refreshedSecondsAgo: 7200), "41", .sync(.intervalElapsed)),
        (pushSecret(sameVersion: false), "41", .sync(.objectChanged)),
        // The source Secret or a named store moved since the last push: push at once.
        (pushSecret(), "42", .sync(.inputsChanged)),
        (pushSecret(remembered: (["SecretStore/fake": "2"], "41")), "41", .sync(.inputsChanged)),
        // A version written by ESO (inputs unknown) does not push for them.
        (pushSecret(remembered: nil), "42", .wait(.seconds(3000))),
        (pushSecret(failed: true), "41", .sync(.lastAttemptFailed)),
        // Without an interval a PushSecret pushes only on a change, of itself (unlike an
        // ExternalSecret's interval 0) or of its inputs.
        (pushSecret(interval: "0s"), "41", .wait(nil)),
        (pushSecret(interval: "0s", sameVersion: false), "41", .sync(.objectChanged)),
        (pushSecret(interval: "0s"), "42", .sync(.inputsChanged)),
    ])
    func refreshDecision(ps: PushSecret, watchedSource: String, expected: RefreshDecision) throws {
        let facts = try PushSecretDecisions.refreshFacts(of: ps, storeGenerations: Self.stores, sourceVersion: watchedSource)
        #expect(facts.decide(now: Self.now) == expected)
    }

    @Test func theVersionAfterAPushHashesTheSourceAsRead() throws {
        let ps = Self.pushSecret(refreshedSecondsAgo: nil)
        let facts = try PushSecretDecisions.refreshFacts(of: ps, storeGenerations: Self.stores, sourceVersion: nil)
        let version = PushSecretDecisions.versionAfterPush(facts, storeGenerations: Self.stores, sourceVersion: "43")
        #expect(version.metadata == RefreshSchedule.currentVersion(of: ps.metadata))
        #expect(!version.inputsChanged(current: PushSecretDecisions.inputs(storeGenerations: Self.stores, sourceVersion: "43")))
        #expect(version.inputsChanged(current: PushSecretDecisions.inputs(storeGenerations: Self.stores, sourceVersion: "41")))
        #expect(facts.nextRefresh(after: Self.now, now: Self.now) == .seconds(3600))
    }

    // MARK: - Push plan

    static let fake = PushStore(kind: .secretStore, name: "fake")
    static let other = PushStore(kind: .secretStore, name: "other")
    static let source: SecretData = ["password": Data("pw".utf8), "user": Data("app".utf8)]

    static func record(_ key: String, _ remote: String) -> PushSecretData {
        PushSecretData(match: PushSecretMatch(secretKey: key, remoteRef: PushSecretRemoteRef(remoteKey: remote)))
    }

    static func spec(data: [PushSecretData], update: PushSecretUpdatePolicy? = nil, deletion: PushSecretDeletionPolicy? = nil) -> PushSecretSpec {
        PushSecretSpec(
            secretStoreRefs: [PushSecretStoreRef(name: "fake")], updatePolicy: update, deletionPolicy: deletion,
            selector: PushSecretSelector(secret: PushSecretSecretSelector(name: "source")), data: data)
    }

    static let previous: SyncedPushSecrets = [
        "SecretStore/fake": ["db/password": record("password", "db/password"), "db/old": record("old", "db/old")],
        "SecretStore/gone": ["db/user": record("user", "db/user")],
    ]

    @Test(arguments: [
        (PushSecretDeletionPolicy?.none, [String]()),
        (.delete, ["SecretStore/fake db/old"]),
    ])
    func thePlanWritesEveryEntryAndDeletesOnlyUnderDelete(deletion: PushSecretDeletionPolicy?, stale: [String]) throws {
        let spec = Self.spec(data: [Self.record("password", "db/password"), Self.record("user", "db/user")], deletion: deletion)
        let plan = try PushPlan(spec: spec, source: Self.source, stores: [Self.fake, Self.other], previous: Self.previous)
        #expect(plan.entries.map { "\($0.store.statusKey) \($0.statusKey)" } == [
            "SecretStore/fake db/password", "SecretStore/fake db/user", "SecretStore/other db/password", "SecretStore/other db/user",
        ])
        #expect(plan.stale.map { "\($0.store) \($0.key)" } == stale)
        // A store no longer listed keeps its remote secrets, whatever the deletion policy.
        #expect(plan.abandonedStores == ["SecretStore/gone"])
        #expect(plan.syncedAfterPush.keys.sorted() == ["SecretStore/fake", "SecretStore/other"])
        #expect(plan.syncedAfterPush["SecretStore/fake"]?.keys.sorted() == ["db/password", "db/user"])
        #expect(!plan.skipsExisting)
        #expect(plan.message == PushSecretNames.messageSynced)
    }

    @Test func aListedStoreWithoutEntriesIsRecordedEmpty() throws {
        let plan = try PushPlan(spec: Self.spec(data: []), source: Self.source, stores: [Self.fake], previous: [:])
        #expect(plan.entries.isEmpty)
        #expect(plan.syncedAfterPush == ["SecretStore/fake": [:]])
    }

    @Test func ifNotExistsSkipsExistingSecretsAndSaysSo() throws {
        let plan = try PushPlan(
            spec: Self.spec(data: [Self.record("password", "db/password")], update: .ifNotExists), source: Self.source,
            stores: [Self.fake], previous: [:])
        #expect(plan.skipsExisting)
        #expect(plan.message == PushSecretNames.messageSyncedIfNotExists)
    }

    @Test func aFailedWriteOrDeletionForgetsNothingRecorded() throws {
        let spec = Self.spec(data: [Self.record("password", "db/password"), Self.record("user", "db/user")], deletion: .delete)
        let plan = try PushPlan(spec: spec, source: Self.source, stores: [Self.fake], previous: Self.previous)
        // A write failed after the first entry: the previous records plus that write.
        let afterWrite = plan.synced(afterWriting: Array(plan.entries.prefix(1)))
        #expect(afterWrite["SecretStore/fake"]?.keys.sorted() == ["db/old", "db/password"])
        #expect(afterWrite["SecretStore/gone"] != nil)
        // A deletion failed: what was not deleted yet stays recorded for the next attempt.
        let afterDelete = plan.synced(notDeleted: plan.stale[0...])
        #expect(afterDelete["SecretStore/fake"]?.keys.sorted() == ["db/old", "db/password", "db/user"])
        #expect(plan.synced(notDeleted: plan.stale[1...]) == plan.syncedAfterPush)
    }

    @Test func aMissingSourceKeyIsNamed() {
        #expect(throws: InvalidSpec("secret key absent does not exist")) {
            try PushPlan(spec: Self.spec(data: [Self.record("absent", "db")]), source: Self.source, stores: [Self.fake], previous: [:])
        }
    }

    // MARK: - Status and clean-up

    @Test func statusAfterAnOutcome() {
        let earlier = Date(timeIntervalSince1970: 1_700_000_000)
        let old = PushSecretStatus(
            refreshTime: KubeTime(earlier), syncedResourceVersion: "1-old", syncedPushSecrets: Self.previous,
            conditions: [StatusCondition(type: ESONames.conditionReady, status: "True", reason: PushSecretNames.reasonSynced, lastTransitionTime: KubeTime(earlier))])
        let version = SyncedVersion(metadata: "2-new", inputs: "0123456789abcdef")
        let pushed = PushSecretDecisions.status(
            after: .pushed(message: PushSecretNames.messageSynced, synced: ["SecretStore/fake": [:]], version: version), from: old, now: Self.now)
        #expect(pushed.conditions == [
            StatusCondition(type: ESONames.conditionReady, status: "True", reason: PushSecretNames.reasonSynced, message: PushSecretNames.messageSynced, lastTransitionTime: KubeTime(earlier)),
        ])
        #expect(pushed.refreshTime == KubeTime(Self.now))
        #expect(pushed.syncedResourceVersion == version.text)
        #expect(pushed.syncedPushSecrets == ["SecretStore/fake": [:]])

        let failed = PushSecretDecisions.status(after: .failed(message: "boom", synced: nil), from: old, now: Self.now)
        #expect(failed.conditions == [
            StatusCondition(type: ESONames.conditionReady, status: "False", reason: PushSecretNames.reasonErrored, message: "boom", lastTransitionTime: KubeTime(Self.now)),
        ])
        #expect(failed.refreshTime == KubeTime(earlier))
        #expect(failed.syncedResourceVersion == "1-old")
        #expect(failed.syncedPushSecrets == Self.previous)
        let partial = PushSecretDecisions.status(after: .failed(message: "boom", synced: [:]), from: old, now: Self.now)
        #expect(partial.syncedPushSecrets == [:])
    }

    @Test(arguments: [
        (StoreProblem.notFound(store: "SecretStore \"a\""), true),
        (.denied(message: "denied"), true),
        (.otherControllerClass(store: "SecretStore \"a\""), true),
        (.notReady(store: "SecretStore \"a\"", message: ""), false),
        (.pendingValidation(store: "SecretStore \"a\""), false),
        (.invalid(message: "no provider"), false),
    ])
    func cleanUpGoesOnPastStoresThatCannotBeUsed(problem: StoreProblem, leavesInPlace: Bool) {
        #expect(PushSecretDecisions.cleanUpLeavesInPlace(problem) == leavesInPlace)
    }
}
