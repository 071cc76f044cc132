import Foundation
@testable import ControllerRuntime
import KubeClient
import KubeModel
import Testing

private func configMap(_ name: String, version: String) -> ConfigMap {
    ConfigMap(metadata: ObjectMeta(name: name, namespace: "ns", resourceVersion: version))
}

private func page(_ names: [String], version: String, continue token: String? = nil) -> ObjectList<ConfigMap> {
    ObjectList(
        metadata: ListMeta(resourceVersion: version, continue: token),
        items: names.map { configMap($0, version: version) })
}

/// A readable form of an action, so transitions are compared as text.
private func describe(_ action: WatcherStateMachine<ConfigMap>.Action) -> String {
    switch action {
    case .list(let token): "list(\(token ?? "-"))"
    case .watch(let version): "watch(\(version))"
    case .continueReading: "read"
    case .backoff(let then): "backoff → \(describe(then))"
    case .emit(let events, let then):
        "emit[" + events.map { event in
            switch event {
            case .applied(let object): "applied \(object.metadata.name ?? "")"
            case .deleted(let object): "deleted \(object.metadata.name ?? "")"
            case .restarted(let objects): "restarted \(objects.compactMap(\.metadata.name).sorted())"
            }
        }.joined(separator: ", ") + "] → \(describe(then))"
    }
}

@Suite struct WatcherStateMachineTests {
    @Test func pagedListThenWatchFromTheFirstPagesVersion() {
        var machine = WatcherStateMachine<ConfigMap>()
        #expect(describe(machine.start()) == "list(-)")
        #expect(describe(machine.pageListed(page(["a", "b"], version: "10", continue: "p2"))) == "list(p2)")
        #expect(machine.resourceVersion == nil)
        #expect(
            describe(machine.pageListed(page(["c"], version: "12")))
                == #"emit[restarted ["a", "b", "c"]] → watch(10)"#)
        #expect(machine.resourceVersion == "10")
    }

    @Test func eventsAndBookmarksAdvanceTheVersion() {
        var machine = WatcherStateMachine<ConfigMap>()
        _ = machine.pageListed(page([], version: "5"))
        #expect(describe(machine.received(.added(configMap("a", version: "6")))) == "emit[applied a] → read")
        #expect(describe(machine.received(.modified(configMap("a", version: "7")))) == "emit[applied a] → read")
        #expect(describe(machine.received(.bookmark(resourceVersion: "9"))) == "read")
        #expect(machine.resourceVersion == "9")
        #expect(describe(machine.received(.deleted(configMap("a", version: "11")))) == "emit[deleted a] → read")
        // The server closed the stream: resume from the last version, no relist.
        #expect(describe(machine.watchEnded()) == "watch(11)")
    }

    @Test func goneRelistsFromScratch() {
        var machine = WatcherStateMachine<ConfigMap>()
        _ = machine.pageListed(page(["a"], version: "5"))
        let gone = Status(status: "Failure", message: "too old resource version", reason: "Expired", code: 410)
        #expect(describe(machine.received(.error(gone))) == "list(-)")
        #expect(machine.resourceVersion == nil)
        #expect(describe(machine.pageListed(page(["b"], version: "50"))) == #"emit[restarted ["b"]] → watch(50)"#)

        let refused = KubeAPIError(statusCode: 410, status: gone, request: "GET /api/v1/configmaps")
        #expect(describe(machine.watchFailed(refused)) == "list(-)")
    }

    @Test func expiredContinueTokenRestartsTheList() {
        var machine = WatcherStateMachine<ConfigMap>()
        _ = machine.pageListed(page(["a"], version: "10", continue: "p2"))
        let expired = KubeAPIError(
            statusCode: 410, status: Status(reason: "Expired", code: 410), request: "GET /api/v1/configmaps")
        #expect(describe(machine.listFailed(expired)) == "list(-)")
        // The restarted list does not keep objects of the expired snapshot.
        #expect(describe(machine.pageListed(page(["z"], version: "20"))) == #"emit[restarted ["z"]] → watch(20)"#)
    }

    @Test func otherFailuresBackOffAndResumeWhereTheyWere() {
        struct ConnectionReset: Error {}
        var machine = WatcherStateMachine<ConfigMap>()
        _ = machine.pageListed(page(["a"], version: "10", continue: "p2"))
        #expect(describe(machine.listFailed(ConnectionReset())) == "backoff → list(p2)")
        _ = machine.pageListed(page([], version: "11"))
        _ = machine.received(.added(configMap("b", version: "12")))
        #expect(describe(machine.watchFailed(ConnectionReset())) == "backoff → watch(12)")
        let internalError = Status(status: "Failure", reason: "InternalError", code: 500)
        #expect(describe(machine.received(.error(internalError))) == "backoff → watch(12)")
    }
}

@Suite struct StoreTests {
    private static let byLabel = StoreIndex<ConfigMap>(name: "app") { object in
        object.metadata.labels?["app"].map { [$0] } ?? []
    }

    private func labelled(_ name: String, app: String, version: String = "1") -> ConfigMap {
        ConfigMap(metadata: ObjectMeta(name: name, namespace: "ns", labels: ["app": app], resourceVersion: version))
    }

    @Test func appliesEventsAndKeepsIndexesInStep() {
        let (store, writer) = Store<ConfigMap>.make(indexes: [Self.byLabel])
        #expect(!store.isSynced)
        writer.apply(.restarted([labelled("a", app: "x"), labelled("b", app: "y")]))
        #expect(store.isSynced)
        #expect(store.keys(index: "app", value: "x") == [ObjectKey(namespace: "ns", name: "a")])

        let changes = writer.apply(.applied(labelled("a", app: "y", version: "2")))
        #expect(changes.first?.old?.metadata.resourceVersion == "1")
        #expect(store.keys(index: "app", value: "x").isEmpty)
        #expect(store.keys(index: "app", value: "y").map(\.name) == ["a", "b"])

        writer.apply(.deleted(labelled("b", app: "y")))
        #expect(store.objects(index: "app", value: "y").map { $0.metadata.name } == ["a"])
        #expect(store.count == 1)
    }

    @Test func relistSwapsEverythingAndReportsVanishedObjects() {
        let (store, writer) = Store<ConfigMap>.make(indexes: [Self.byLabel])
        writer.apply(.restarted([labelled("a", app: "x"), labelled("b", app: "x")]))
        let changes = writer.apply(.restarted([labelled("b", app: "x", version: "5"), labelled("c", app: "z")]))
        let vanished = changes.filter { $0.new == nil }.map(\.key.name)
        let added = changes.filter { $0.old == nil }.map(\.key.name)
        #expect(vanished == ["a"])
        #expect(added == ["c"])
        #expect(store.get(ObjectKey(namespace: "ns", name: "a")) == nil)
        #expect(store.keys(index: "app", value: "x").map(\.name) == ["b"])
    }

    /// The identity of a dictionary's storage (equal when two dictionaries share it).
    private func storage(_ data: [String: String]?) -> Int? { data.map { unsafeBitCast($0, to: Int.self) } }

    private func withData(_ name: String, namespace: String, _ data: [String: String]) -> ConfigMap {
        var object = ConfigMap(metadata: ObjectMeta(name: name, namespace: namespace))
        // Built anew per object, as the JSON decoder does.
        object.data = Dictionary(uniqueKeysWithValues: data.map { ($0.key, String($0.value)) })
        return object
    }

    @Test func objectsWithAnEqualPartShareItsStorageAndReadersSeeNoDifference() {
        let sharing = StoreIndex<ConfigMap>.sharing(name: "data", part: \ConfigMap.data)
        let (store, writer) = Store<ConfigMap>.make(indexes: [Self.byLabel, sharing])
        let values = ["user": "app", "password-key": "a value longer than fifteen bytes"]
        writer.apply(.restarted([withData("a", namespace: "one", values), withData("a", namespace: "two", values)]))
        writer.apply(.applied(withData("a", namespace: "three", values)))
        writer.apply(.applied(withData("other", namespace: "three", ["user": "someone else"])))
        let objects = ["one", "two", "three"].map { store.get(ObjectKey(namespace: $0, name: "a")) }
        #expect(objects.allSatisfy { $0?.data == values })
        #expect(Set(objects.map { storage($0?.data) }).count == 1)
        let other = store.get(ObjectKey(namespace: "three", name: "other"))
        #expect(other?.data == ["user": "someone else"])
        #expect(storage(other?.data) != storage(objects[0]?.data))

        // With the first holder gone, a newcomer shares with one that is left.
        writer.apply(.deleted(withData("a", namespace: "one", values)))
        writer.apply(.applied(withData("a", namespace: "four", values)))
        #expect(
            storage(store.get(ObjectKey(namespace: "four", name: "a"))?.data)
                == storage(store.get(ObjectKey(namespace: "two", name: "a"))?.data))
        // A change of one object's part is its own.
        writer.apply(.applied(withData("a", namespace: "two", ["user": "changed"])))
        #expect(store.get(ObjectKey(namespace: "two", name: "a"))?.data == ["user": "changed"])
        #expect(store.get(ObjectKey(namespace: "four", name: "a"))?.data == values)
    }

    @Test func waitersResumeOnFirstSync() async {
        let (store, writer) = Store<ConfigMap>.make()
        async let waited: Void = store.waitUntilSynced()
        writer.apply(.restarted([]))
        await waited
        #expect(store.isSynced)
    }
}

@Suite struct LeaseDecisionTests {
    private let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func createsAMissingLease() {
        let decision = LeaseDecision.decide(
            current: nil, exists: false, identity: "me", leaseDuration: .seconds(15), observedUnchangedFor: nil,
            now: now)
        guard case .create(let spec) = decision else {
            Issue.record("expected create, got \(decision)")
            return
        }
        #expect(spec.holderIdentity == "me")
        #expect(spec.leaseDurationSeconds == 15)
        #expect(spec.leaseTransitions == 0)
    }

    @Test func renewsOurOwnLease() {
        let current = LeaseSpec(holderIdentity: "me", leaseDurationSeconds: 15, leaseTransitions: 3)
        guard
            case .update(let spec) = LeaseDecision.decide(
                current: current, exists: true, identity: "me", leaseDuration: .seconds(15),
                observedUnchangedFor: .seconds(100), now: now)
        else {
            Issue.record("expected a renewal")
            return
        }
        #expect(spec.renewTime == MicroTime(now))
        #expect(spec.leaseTransitions == 3)
    }

    @Test(arguments: [
        (Duration.seconds(0), false), (.seconds(14), false), (.seconds(15), true), (.seconds(60), true),
    ])
    func takesOverOnlyAfterObservingNoChangeForTheLeaseDuration(unchangedFor: Duration, takesOver: Bool) {
        let current = LeaseSpec(holderIdentity: "other", leaseDurationSeconds: 15, leaseTransitions: 1)
        let decision = LeaseDecision.decide(
            current: current, exists: true, identity: "me", leaseDuration: .seconds(15),
            observedUnchangedFor: unchangedFor, now: now)
        if takesOver {
            guard case .update(let spec) = decision else {
                Issue.record("expected a take-over, got \(decision)")
                return
            }
            #expect(spec.holderIdentity == "me")
            #expect(spec.leaseTransitions == 2)
        } else {
            #expect(decision == .wait(holder: "other"))
        }
    }

    @Test func acquiresAReleasedLeaseAtOnce() {
        let released = LeaseSpec(holderIdentity: "", leaseDurationSeconds: 1, leaseTransitions: 4)
        guard
            case .update(let spec) = LeaseDecision.decide(
                current: released, exists: true, identity: "me", leaseDuration: .seconds(15),
                observedUnchangedFor: .zero, now: now)
        else {
            Issue.record("expected to acquire")
            return
        }
        #expect(spec.holderIdentity == "me")
        #expect(spec.leaseTransitions == 4)
    }
}

@Suite struct WatcherStripTests {
    @Test func managedFieldsAreDroppedBeforeCaching() throws {
        var object = ConfigMap(metadata: ObjectMeta(name: "a", namespace: "ns"), data: ["k": "v"])
        object.metadata.managedFields = [try KubeJSON.decoder.decode(ManagedFieldsEntry.self, from: Data(#"{"manager":"m"}"#.utf8))]
        let (store, writer) = Store<ConfigMap>.make()
        writer.apply(.restarted([Watcher<ConfigMap, ContinuousClock>.strip(object, identityOnly: false)]))
        let cached = try #require(store.get(ObjectKey(namespace: "ns", name: "a")))
        #expect(cached.metadata.managedFields == nil)
        #expect(cached.data == ["k": "v"])
        let event = Watcher<ConfigMap, ContinuousClock>.stripped(.modified(object), identityOnly: false)
        #expect(event.object?.metadata.managedFields == nil)
        #expect(event.object?.data == ["k": "v"])
    }

    @Test func identityOnlyKeepsWhatDetectsAChangeAndNothingElse() throws {
        var object = PartialObjectMetadata(
            metadata: ObjectMeta(
                name: "a", namespace: "ns", labels: ["l": "v"],
                annotations: ["kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{}}"]))
        object.metadata.uid = "u1"
        object.metadata.resourceVersion = "42"
        object.metadata.generation = 3
        object.metadata.finalizers = ["f"]
        let stripped = Watcher<PartialObjectMetadata, ContinuousClock>.strip(object, identityOnly: true)
        #expect(stripped.metadata.name == "a" && stripped.metadata.namespace == "ns")
        #expect(stripped.metadata.uid == "u1" && stripped.metadata.resourceVersion == "42" && stripped.metadata.generation == 3)
        #expect(stripped.metadata.labels == nil && stripped.metadata.annotations == nil && stripped.metadata.finalizers == nil)
    }
}
