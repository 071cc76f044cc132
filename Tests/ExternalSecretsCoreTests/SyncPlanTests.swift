import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import GoCompat
import KubeModel
import ProviderKit
import Testing

/// Builders for the plan tables: one ExternalSecret and target Secrets in each state the planner
/// distinguishes.
enum Fixture {
    static let namespace = "team-a"
    static let esName = "db"
    static let esUID = "uid-es-1"
    static let manager = ESONames.fieldManager(externalSecretName: esName)

    static func externalSecret(
        creation: CreationPolicy = .owner, deletion: DeletionPolicy = .retain, refreshPolicy: RefreshPolicy? = nil,
        interval: String? = nil, status: ExternalSecretStatus? = nil, annotations: [String: String]? = nil,
        immutable: Bool? = nil
    ) -> ExternalSecret {
        var es = ExternalSecret(
            metadata: ObjectMeta(name: esName, namespace: namespace, annotations: annotations),
            spec: ExternalSecretSpec(
                secretStoreRef: SecretStoreRef(name: "store"),
                target: ExternalSecretTarget(creationPolicy: creation, deletionPolicy: deletion, immutable: immutable),
                refreshInterval: interval, refreshPolicy: refreshPolicy,
                data: [ExternalSecretData(secretKey: "password", remoteRef: ExternalSecretDataRemoteRef(key: "db"))]),
            status: status)
        es.metadata.uid = esUID
        es.metadata.generation = 1
        return es
    }

    enum TargetState: String, CaseIterable, CustomStringConvertible {
        case absent, ours, foreign, handEdited, immutable, otherExternalSecret
        var description: String { rawValue }
    }

    static let data: SecretData = ["password": Data("fetched".utf8)]

    /// A target Secret in `state`, as the API server would return it (with managedFields).
    static func target(_ state: TargetState, for es: ExternalSecret) -> Secret? {
        switch state {
        case .absent:
            return nil
        case .foreign:
            return Secret(metadata: ObjectMeta(name: esName, namespace: namespace), data: ["other": Data("x".utf8)])
        case .ours, .handEdited, .immutable, .otherExternalSecret:
            // The Secret as this ExternalSecret last wrote it (Merge and None never create one, so
            // for them it is what an Orphan sync left).
            var writer = es
            if let policy = es.spec.target?.creationPolicy, [CreationPolicy.merge, .none, .createOrMerge].contains(policy) { writer.spec.target?.creationPolicy = .orphan }
            let plan = try! SecretWritePlanner.plan(for: writer, data: data, existing: nil)
            guard case .create(var secret) = plan.write else { fatalError("expected a create") }
            secret.metadata.managedFields = [
                ManagedFieldsEntry(
                    manager: manager, operation: "Update",
                    fieldsV1: ["f:data": ["f:password": [:]], "f:metadata": ["f:labels": ["f:\(ESONames.managedLabel)": [:]]]])
            ]
            if state == .handEdited { secret.data?["password"] = Data("edited by hand".utf8) }
            if state == .immutable { secret.immutable = true }
            if state == .otherExternalSecret {
                secret.metadata.ownerReferences = [
                    OwnerReference(
                        apiVersion: "external-secrets.io/v1", kind: "ExternalSecret", name: "other", uid: "uid-other",
                        controller: true)
                ]
            }
            return secret
        }
    }
}

@Suite struct SecretWritePlannerTests {
    enum Outcome: Equatable, CustomStringConvertible {
        case create, update, unchanged, delete, refused, noWrite(reason: String)
        var description: String {
            switch self {
            case .create: "create"
            case .update: "update"
            case .unchanged: "unchanged"
            case .delete: "delete"
            case .refused: "refused"
            case .noWrite(let reason): "no write (\(reason))"
            }
        }
    }

    static func outcome(_ es: ExternalSecret, data: SecretData, state: Fixture.TargetState) -> Outcome {
        do {
            let plan = try SecretWritePlanner.plan(for: es, data: data, existing: Fixture.target(state, for: es))
            switch plan.write {
            case .create: return .create
            case .update: return .update
            case .delete: return .delete
            case .none where plan.reason == ESOReason.secretSynced && plan.message == ESOMessage.secretSynced:
                return .unchanged
            case .none: return .noWrite(reason: plan.reason)
            }
        } catch {
            return .refused
        }
    }

    /// creationPolicy × target state, with data fetched (deletionPolicy Retain).
    @Test(arguments: [
        (CreationPolicy.owner, Fixture.TargetState.absent, Outcome.create),
        (.owner, .ours, .unchanged),
        (.owner, .handEdited, .update),
        (.owner, .foreign, .refused),
        (.owner, .immutable, .unchanged),
        (.owner, .otherExternalSecret, .refused),
        (.orphan, .absent, .create),
        (.orphan, .ours, .unchanged),
        (.orphan, .foreign, .update),
        (.orphan, .handEdited, .update),
        (.merge, .absent, .noWrite(reason: ESOReason.secretMissing)),
        (.merge, .foreign, .update),
        (.merge, .handEdited, .update),
        (.merge, .otherExternalSecret, .refused),
        (.createOrMerge, .absent, .create),
        (.createOrMerge, .foreign, .update),
        (.none, .absent, .noWrite(reason: ESOReason.secretSynced)),
        (.none, .foreign, .noWrite(reason: ESOReason.secretSynced)),
    ])
    func creationPolicyAgainstTargetState(creation: CreationPolicy, state: Fixture.TargetState, expected: Outcome) {
        let es = Fixture.externalSecret(creation: creation)
        #expect(Self.outcome(es, data: Fixture.data, state: state) == expected)
    }

    /// deletionPolicy × target state when the provider returned nothing.
    @Test(arguments: [
        (DeletionPolicy.retain, Fixture.TargetState.ours, Outcome.noWrite(reason: ESOReason.secretSynced)),
        (.retain, .absent, .noWrite(reason: ESOReason.secretSynced)),
        (.delete, .ours, .delete),
        (.delete, .absent, .noWrite(reason: ESOReason.secretDeleted)),
        (.delete, .foreign, .refused),
        (.merge, .ours, .update),
    ])
    func deletionPolicyWithEmptyResult(deletion: DeletionPolicy, state: Fixture.TargetState, expected: Outcome) {
        let es = Fixture.externalSecret(deletion: deletion)
        #expect(Self.outcome(es, data: [:], state: state) == expected)
    }

    @Test func foreignSecretIsTakenOverOnlyWithTheAnnotation() throws {
        let es = Fixture.externalSecret(annotations: [ESONames.allowTakeoverAnnotation: "true"])
        let plan = try SecretWritePlanner.plan(for: es, data: Fixture.data, existing: Fixture.target(.foreign, for: es))
        guard case .update(let secret) = plan.write else {
            Issue.record("expected an update, got \(plan.write)")
            return
        }
        #expect(secret.metadata.ownerReferences?.first?.uid == Fixture.esUID)
        #expect(secret.data?["other"] != nil, "keys this ExternalSecret never wrote are kept")
    }

    @Test func refusalNamesTheAnnotationAndNoValue() {
        let es = Fixture.externalSecret()
        #expect {
            try SecretWritePlanner.plan(for: es, data: Fixture.data, existing: Fixture.target(.foreign, for: es))
        } throws: { error in
            let text = "\(error)"
            return text.contains(ESONames.allowTakeoverAnnotation) && !text.contains("fetched")
        }
    }

    @Test func immutableTargetWithChangedDataIsRefused() {
        let es = Fixture.externalSecret()
        let changed: SecretData = ["password": Data("rotated".utf8)]
        #expect(throws: SyncRefusal.self) {
            try SecretWritePlanner.plan(for: es, data: changed, existing: Fixture.target(.immutable, for: es))
        }
    }

    @Test func createdSecretCarriesESOMarks() throws {
        let es = Fixture.externalSecret(annotations: ["team": "a"])
        let plan = try SecretWritePlanner.plan(for: es, data: Fixture.data, existing: nil)
        guard case .create(let secret) = plan.write else {
            Issue.record("expected a create")
            return
        }
        #expect(secret.metadata.labels?[ESONames.managedLabel] == "true")
        #expect(secret.metadata.labels?[ESONames.createdByLabel] == ESOHashes.createdBy(namespace: Fixture.namespace, name: Fixture.esName))
        #expect(secret.metadata.annotations?[ESONames.dataHashAnnotation] == ESOHashes.dataHash(Fixture.data))
        #expect(secret.metadata.annotations?["team"] == "a")
        #expect(secret.type == "Opaque")
        #expect(secret.metadata.ownerReferences?.first?.controller == true)
        #expect(plan.event?.reason == ESOEventReason.created)
    }

    /// A Secret last written by ESO: keys its field manager wrote that the provider no longer
    /// returns are removed; keys someone else wrote stay.
    @Test func keysWrittenByTheFieldManagerAndNoLongerProducedAreRemoved() throws {
        let es = Fixture.externalSecret()
        var existing = try #require(Fixture.target(.ours, for: es))
        existing.data?["stale"] = Data("old".utf8)
        existing.data?["kubectl-added"] = Data("keep".utf8)
        existing.metadata.managedFields = [
            ManagedFieldsEntry(manager: Fixture.manager, operation: "Update", fieldsV1: ["f:data": ["f:password": [:], "f:stale": [:]]]),
            ManagedFieldsEntry(manager: "kubectl-edit", operation: "Update", fieldsV1: ["f:data": ["f:kubectl-added": [:]]]),
        ]
        let plan = try SecretWritePlanner.plan(for: es, data: Fixture.data, existing: existing)
        guard case .update(let secret) = plan.write else {
            Issue.record("expected an update")
            return
        }
        #expect(Set(secret.data?.keys.map { $0 } ?? []) == ["password", "kubectl-added"])
    }

    @Test func fieldManagerNameFollowsESO() {
        #expect(ESONames.fieldManager(externalSecretName: "db") == "externalsecrets.external-secrets.io/db")
        let long = String(repeating: "n", count: 40)
        #expect(ESONames.fieldManager(externalSecretName: long).hasPrefix("externalsecrets.external-secrets.io/sha3/"))
    }
}

@Suite struct RefreshScheduleTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func status(refreshedSecondsAgo: Double?, version: String?) -> ExternalSecretStatus? {
        guard let refreshedSecondsAgo else { return nil }
        return ExternalSecretStatus(
            refreshTime: KubeTime(now.addingTimeInterval(-refreshedSecondsAgo)), syncedResourceVersion: version)
    }

    enum History: String, CaseIterable, CustomStringConvertible {
        case neverSynced, freshSameVersion, staleSameVersion, freshLabelsChanged
        var description: String { rawValue }
    }

    static func externalSecret(policy: RefreshPolicy?, interval: String, history: History) -> ExternalSecret {
        var es = Fixture.externalSecret(refreshPolicy: policy, interval: interval)
        let current = RefreshSchedule.currentVersion(of: es)
        switch history {
        case .neverSynced: es.status = nil
        case .freshSameVersion: es.status = status(refreshedSecondsAgo: 60, version: current)
        case .staleSameVersion: es.status = status(refreshedSecondsAgo: 7200, version: current)
        case .freshLabelsChanged:
            es.status = status(refreshedSecondsAgo: 60, version: current)
            es.metadata.annotations = [ESONames.forceSyncAnnotation: "2026-11-23T10:00:00Z"]
        }
        return es
    }

    @Test(arguments: [
        (RefreshPolicy?.none, "1h", History.neverSynced, true),
        (nil, "1h", .freshSameVersion, false),
        (nil, "1h", .staleSameVersion, true),
        (nil, "1h", .freshLabelsChanged, true),
        (.periodic, "0", .staleSameVersion, false),
        (.periodic, "0", .freshLabelsChanged, false),
        (.periodic, "0", .neverSynced, true),
        (.createdOnce, "1h", .neverSynced, true),
        (.createdOnce, "1h", .staleSameVersion, false),
        (.createdOnce, "1h", .freshLabelsChanged, false),
        (.onChange, "1h", .staleSameVersion, false),
        (.onChange, "1h", .freshLabelsChanged, true),
        (.onChange, "1h", .neverSynced, true),
    ])
    func refreshDecision(policy: RefreshPolicy?, interval: String, history: History, due: Bool) throws {
        let es = Self.externalSecret(policy: policy, interval: interval, history: history)
        let duration = try RefreshSchedule.interval(of: es.spec)
        #expect(RefreshSchedule.isRefreshDue(es, interval: duration, now: Self.now) == due)
    }

    @Test(arguments: [
        (CreationPolicy.owner, Fixture.TargetState.absent, false),
        (.owner, .ours, true),
        (.owner, .handEdited, false),
        (.owner, .foreign, false),
        (.orphan, .absent, true),
        (.orphan, .handEdited, true),
        (.merge, .ours, true),
    ])
    func targetValidity(creation: CreationPolicy, state: Fixture.TargetState, valid: Bool) {
        let es = Fixture.externalSecret(creation: creation)
        #expect(RefreshSchedule.isTargetValid(es, target: Fixture.target(state, for: es)) == valid)
    }

    @Test func nextRefreshIsTheRestOfTheInterval() {
        let es = Fixture.externalSecret(interval: "1h")
        let next = RefreshSchedule.nextRefresh(
            es, interval: .seconds(3600), refreshTime: Self.now.addingTimeInterval(-600), now: Self.now)
        #expect(next == .seconds(3000))
        #expect(RefreshSchedule.nextRefresh(Fixture.externalSecret(refreshPolicy: .createdOnce), interval: .seconds(3600), refreshTime: Self.now, now: Self.now) == nil)
    }
}
