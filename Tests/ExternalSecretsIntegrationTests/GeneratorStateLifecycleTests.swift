import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import KubeClient
import KubeModel
import KubeTestSupport
import Logging
import OperatorTestSupport
import ProviderFake
import ProviderKit
import Synchronization
import Testing

/// A generator for kind `Fake` that makes something "remote" each time: generation `n` returns
/// value `v<n>` and state `{"id": "<n>"}`, and its clean-up records the id (or fails while told
/// to). A spec with `data.fail` makes the generation fail; one with `data.renewEvery` (seconds)
/// makes a state due for renewal that often, each renewal counted in the state's `renewals`.
final class RemoteMakingGenerator: SecretGenerator {
    struct Log {
        var generated = 0
        var cleanedUp: [String] = []
        var failCleanUp = false
    }
    let log = Mutex(Log())

    var resources: [ResourceDescriptor] { [FakeGenerator.resource] }

    func generate(kind: String, spec: JSONValue?, references: any ReferenceReader, now: Date) async throws
        -> GeneratedSecret
    {
        if spec?["data"]?["fail"] != nil { throw ProviderError.invalidConfiguration("spec.data.fail is set") }
        let n = log.withLock { log in
            log.generated += 1
            return log.generated
        }
        var state: JSONValue = ["id": .string("\(n)")]
        if let every = spec?["data"]?["renewEvery"]?.stringValue, let seconds = Double(every) {
            state = [
                "id": .string("\(n)"), "renewals": 0, "every": .double(seconds),
                "renewAt": .double(now.timeIntervalSince1970 + seconds),
            ]
        }
        return GeneratedSecret(data: ["value": Data("v\(n)".utf8)], state: state)
    }

    /// A JSON number as a Double (whole numbers come back from the API server as integers).
    static func number(_ value: JSONValue?) -> Double? {
        switch value {
        case .double(let number)?: number
        case .integer(let number)?: Double(number)
        default: nil
        }
    }

    func renewal(kind: String, state: JSONValue) -> Date? {
        Self.number(state["renewAt"]).map { Date(timeIntervalSince1970: $0) }
    }

    func renew(kind: String, spec: JSONValue?, state: JSONValue, references: any ReferenceReader, now: Date)
        async throws -> JSONValue
    {
        guard case .object(var members) = state, let every = Self.number(members["every"]),
            let renewals = Self.number(members["renewals"])
        else { return state }
        members["renewals"] = .integer(Int64(renewals) + 1)
        members["renewAt"] = .double(now.timeIntervalSince1970 + every)
        return .object(members)
    }

    func cleanup(kind: String, spec: JSONValue?, state: JSONValue, references: any ReferenceReader, now: Date)
        async throws
    {
        let id = state["id"]?.stringValue ?? "?"
        try log.withLock { log in
            if log.failCleanUp { throw ProviderError(.unavailable, "the remote service refused the revocation") }
            if !log.cleanedUp.contains(id) { log.cleanedUp.append(id) }
        }
    }

    var cleanedUp: [String] { log.withLock { $0.cleanedUp } }
    var generatedIDs: [String] { log.withLock { log in (0..<log.generated).map { "\($0 + 1)" } } }
}

/// GeneratorStates made, retired, rolled back and cleaned up by the operator (run in this
/// process with a generator that records its clean-ups) on the real control plane, whose
/// kube-controller-manager's garbage collector deletes the states of a deleted ExternalSecret.
@Suite(.controlPlane, .serialized) struct GeneratorStateLifecycleTests {
    /// Runs the operator in this process, watching a new namespace, with the Fake provider and
    /// `generator`, and a grace period of one second.
    func withOperator(
        _ prefix: String, _ generator: RemoteMakingGenerator, cleanUpTimeout: Duration = .seconds(600),
        _ body: (KubeClient, String) async throws -> Void
    ) async throws {
        try await withAdminClient { client in
            try await installCRDs(client)
            let namespace = try await makeNamespace(client, prefix: prefix)
            var options = OperatorOptions(namespace: namespace)
            options.enableClusterStoreReconciler = false
            options.generatorGCGracePeriod = .seconds(1)
            options.generatorCleanUpTimeout = cleanUpTimeout
            let service = ExternalSecretsOperator(
                client: client, registry: ProviderRegistry([FakeSecretsProvider()], generators: [generator]),
                options: options, clock: ContinuousClock(), now: { Date() }, logger: Logger(label: "generator-state-test"))
            let running = Task { try await service.run() }
            defer { running.cancel() }
            try await body(client, namespace)
        }
    }

    @Test func statesAreRecordedRetiredRolledBackAndRetiredWhenNoLongerUsed() async throws {
        let generator = RemoteMakingGenerator()
        try await withOperator("gen-state", generator) { client, namespace in

            let states = client.api(GeneratorState.self, namespace: namespace)
            let secrets = client.api(Secret.self, namespace: namespace)
            let externalSecrets = client.api(ExternalSecret.self, namespace: namespace)
            _ = try await client.api(FakeGenerator.self, namespace: namespace).create(
                FakeGenerator(metadata: ObjectMeta(name: "remote"), spec: FakeSpec(data: [:])))
            _ = try await client.api(FakeGenerator.self, namespace: namespace).create(
                FakeGenerator(metadata: ObjectMeta(name: "broken"), spec: FakeSpec(data: ["fail": "1"])))
            var es = ExternalSecret(
                metadata: ObjectMeta(name: "creds"),
                spec: ExternalSecretSpec(
                    refreshInterval: "1h",
                    dataFrom: [
                        ExternalSecretDataFromRemoteRef(
                            sourceRef: StoreSourceRef(generatorRef: GeneratorRef(kind: "Fake", name: "remote")))
                    ]))
            es = try await externalSecrets.create(es)
            let uid = try #require(es.metadata.uid)

            // The first value, and its state: owned by the ExternalSecret, finalized, labelled
            // with ESO's owner key, with the generator's manifest.
            #expect(try await eventually { try await secrets.getIfExists("creds")?.data?["value"] == Data("v1".utf8) })
            let first = try #require(try await states.list().items.first)
            #expect(first.metadata.ownerReferences?.map(\.uid) == [uid])
            #expect(first.metadata.finalizers == [GeneratorStateNames.finalizer])
            #expect(
                first.metadata.labels?[GeneratorStateNames.ownerKeyLabel]
                    == GeneratorStateOwner(es).ownerKey("0"))
            #expect(first.spec.resource["kind"]?.stringValue == "Fake")
            #expect(first.spec.resource["metadata"]?["name"]?.stringValue == "remote")
            #expect(first.spec.state["id"]?.stringValue == "1")
            #expect(first.spec.garbageCollectionDeadline == nil)

            // A new value: the earlier state is cleaned up after the grace period, the new one lives.
            try await update(externalSecrets, "creds") { $0.metadata.annotations = ["force-sync": "1"] }
            #expect(try await eventually { try await secrets.getIfExists("creds")?.data?["value"] == Data("v2".utf8) })
            #expect(try await eventually { generator.cleanedUp == ["1"] })
            #expect(try await eventually { try await states.list().items.map(\.spec.state["id"]) == ["2"] })

            // A failing entry after a generation: nothing is written, the new state is rolled
            // back (cleaned up at once; each retry generates and rolls back again), the live one stays.
            try await update(externalSecrets, "creds") {
                $0.spec.dataFrom?.append(
                    ExternalSecretDataFromRemoteRef(
                        sourceRef: StoreSourceRef(generatorRef: GeneratorRef(kind: "Fake", name: "broken"))))
            }
            #expect(try await eventually { generator.cleanedUp.starts(with: ["1", "3"]) })
            #expect(
                try await eventually {
                    try await states.list().items.filter { $0.spec.garbageCollectionDeadline == nil }
                        .map(\.spec.state["id"]) == ["2"]
                })
            #expect(try await secrets.get("creds").data?["value"] == Data("v2".utf8))

            // The ExternalSecret stops using generators: its next sync retires the live state.
            _ = try await client.api(SecretStore.self, namespace: namespace).create(
                fakeStore("fake", data: [FakeProviderData(key: "plain", value: "fixed")]))
            try await update(externalSecrets, "creds") {
                $0.spec.secretStoreRef = SecretStoreRef(name: "fake", kind: .secretStore)
                $0.spec.dataFrom = nil
                $0.spec.data = [entry("value", "plain")]
            }
            #expect(try await eventually { generator.cleanedUp.contains("2") })
            #expect(try await eventually { try await states.list().items.isEmpty })
            #expect(generator.cleanedUp.sorted() == generator.generatedIDs.sorted())
        }
    }

    @Test func aPushedValueRetiresTheEarlierOneAndAPushThatWroteNothingRollsBack() async throws {
        let generator = RemoteMakingGenerator()
        try await withOperator("gen-state-push", generator) { client, namespace in
            let states = client.api(GeneratorState.self, namespace: namespace)
            let pushSecrets = client.api(PushSecret.self, namespace: namespace)
            _ = try await client.api(SecretStore.self, namespace: namespace).create(fakeStore("fake", data: []))
            _ = try await client.api(FakeGenerator.self, namespace: namespace).create(
                FakeGenerator(metadata: ObjectMeta(name: "remote"), spec: FakeSpec(data: [:])))
            func live() async throws -> [String?] {
                try await states.list().items.filter { $0.spec.garbageCollectionDeadline == nil }
                    .map { $0.spec.state["id"]?.stringValue }
            }
            let push = PushSecret(
                metadata: ObjectMeta(name: "rotated"),
                spec: PushSecretSpec(
                    refreshInterval: "1h", secretStoreRefs: [PushSecretStoreRef(name: "fake", kind: .secretStore)],
                    selector: PushSecretSelector(generatorRef: GeneratorRef(kind: "Fake", name: "remote")),
                    data: [
                        PushSecretData(
                            match: PushSecretMatch(secretKey: "value", remoteRef: PushSecretRemoteRef(remoteKey: "pushed-a")))
                    ]))
            let created = try await pushSecrets.create(push)
            #expect(try await waitForPushReady(client, namespace, "rotated", status: "True"))
            #expect(try await eventually { try await live() == ["1"] })
            let first = try #require(try await states.list().items.first)
            #expect(first.metadata.ownerReferences?.map(\.uid) == [try #require(created.metadata.uid)])
            #expect(first.metadata.generateName == "gen-pushsecret-rotated-")

            // A new push (spec changed): the earlier value's state is cleaned up after the grace period.
            try await update(pushSecrets, "rotated") { $0.spec.data?[0].match.remoteRef.remoteKey = "pushed-b" }
            #expect(try await eventually { generator.cleanedUp == ["1"] })
            #expect(try await eventually { try await live() == ["2"] })

            // A push that wrote nothing (its store does not exist): its value is cleaned up at once.
            try await update(pushSecrets, "rotated") { $0.spec.secretStoreRefs = [PushSecretStoreRef(name: "gone", kind: .secretStore)] }
            #expect(try await eventually { generator.cleanedUp.starts(with: ["1", "3"]) })
            #expect(try await eventually { try await live() == ["2"] })
            // The PushSecret is deleted: Kubernetes' garbage collector deletes its state, whose
            // clean-up fails first (reported on the state, which waits) and then succeeds.
            generator.log.withLock { $0.failCleanUp = true }
            try await pushSecrets.delete("rotated")
            #expect(
                try await eventually(timeout: .seconds(120)) {
                    let live = try await states.list().items.first { $0.spec.state["id"]?.stringValue == "2" }
                    let condition = live?.status?.conditions?.first
                    return condition?.status == "False"
                        && condition?.message?.contains("could not cleanup generator state") == true
                })
            #expect(
                try await states.list().items.first { $0.spec.state["id"]?.stringValue == "2" }?.metadata
                    .deletionTimestamp != nil)
            generator.log.withLock { $0.failCleanUp = false }
            #expect(try await eventually(timeout: .seconds(120)) { try await states.list().items.isEmpty })
            // Everything ever generated was cleaned up, each once.
            #expect(generator.cleanedUp.sorted() == generator.generatedIDs.sorted())
            #expect(generator.cleanedUp.contains("2"))
        }
    }

    @Test func aStateDueForRenewalIsRenewedWhileItLives() async throws {
        let generator = RemoteMakingGenerator()
        try await withOperator("gen-state-renew", generator) { client, namespace in
            let states = client.api(GeneratorState.self, namespace: namespace)
            _ = try await client.api(FakeGenerator.self, namespace: namespace).create(
                FakeGenerator(metadata: ObjectMeta(name: "lease"), spec: FakeSpec(data: ["renewEvery": "1"])))
            _ = try await client.api(ExternalSecret.self, namespace: namespace).create(
                ExternalSecret(
                    metadata: ObjectMeta(name: "leased"),
                    spec: ExternalSecretSpec(
                        refreshInterval: "1h",
                        dataFrom: [
                            ExternalSecretDataFromRemoteRef(
                                sourceRef: StoreSourceRef(generatorRef: GeneratorRef(kind: "Fake", name: "lease")))
                        ])))
            // Renewed about once a second, the same state (no new value, nothing cleaned up).
            #expect(
                try await eventually {
                    let state = try await states.list().items.first?.spec.state
                    return RemoteMakingGenerator.number(state?["renewals"]) ?? 0 >= 2
                })
            #expect(try await states.list().items.map { $0.spec.state["id"]?.stringValue } == ["1"])
            #expect(generator.cleanedUp.isEmpty)
        }
    }

    @Test func keepExistingDiscardsANewGenerationAndPreviousKeySuffixKeepsTheValueBeforeARotation() async throws {
        let generator = RemoteMakingGenerator()
        try await withOperator("gen-keep", generator) { client, namespace in
            let states = client.api(GeneratorState.self, namespace: namespace)
            let secrets = client.api(Secret.self, namespace: namespace)
            let externalSecrets = client.api(ExternalSecret.self, namespace: namespace)
            _ = try await client.api(FakeGenerator.self, namespace: namespace).create(
                FakeGenerator(metadata: ObjectMeta(name: "remote"), spec: FakeSpec(data: [:])))
            func live() async throws -> [String?] {
                try await states.list().items.filter { $0.spec.garbageCollectionDeadline == nil }
                    .map { $0.spec.state["id"]?.stringValue }
            }
            _ = try await externalSecrets.create(
                ExternalSecret(
                    metadata: ObjectMeta(
                        name: "kept", annotations: [GeneratedValuePolicy.keepExistingAnnotation: "true"]),
                    spec: ExternalSecretSpec(
                        refreshInterval: "1h",
                        dataFrom: [
                            ExternalSecretDataFromRemoteRef(
                                sourceRef: StoreSourceRef(generatorRef: GeneratorRef(kind: "Fake", name: "remote")))
                        ])))
            #expect(try await eventually { try await secrets.getIfExists("kept")?.data?["value"] == Data("v1".utf8) })

            // keep-existing: a forced sync generates (v2) but the Secret keeps v1; the unused
            // generation is cleaned up at once and v1's state stays live.
            try await update(externalSecrets, "kept") { $0.metadata.annotations?["force-sync"] = "1" }
            #expect(try await eventually { generator.cleanedUp == ["2"] })
            #expect(try await live() == ["1"])
            #expect(try await secrets.get("kept").data?["value"] == Data("v1".utf8))

            // A deleted key is filled again.
            var secret = try await secrets.get("kept")
            secret.data?["value"] = nil
            secret.data?["other"] = Data("x".utf8)
            _ = try await secrets.replace(secret)
            #expect(try await eventually { try await secrets.getIfExists("kept")?.data?["value"] == Data("v3".utf8) })
            #expect(try await eventually { try await live() == ["3"] })

            // previous-key-suffix instead: a rotation keeps v3 under value_previous.
            try await update(externalSecrets, "kept") {
                $0.metadata.annotations = [
                    GeneratedValuePolicy.previousKeySuffixAnnotation: "_previous", "force-sync": "2",
                ]
            }
            #expect(
                try await eventually {
                    let data = try await secrets.getIfExists("kept")?.data
                    return data?["value"] == Data("v4".utf8) && data?["value_previous"] == Data("v3".utf8)
                })

            // A suffix that cannot end a key: a clear condition, nothing written.
            try await update(externalSecrets, "kept") {
                $0.metadata.annotations = [GeneratedValuePolicy.previousKeySuffixAnnotation: "/bad"]
            }
            #expect(
                try await eventually {
                    let ready = try await readyCondition(client, namespace, "kept")
                    return ready?.status == "False"
                        && ready?.message?.contains(GeneratedValuePolicy.previousKeySuffixAnnotation) == true
                })
            #expect(try await secrets.get("kept").data?["value"] == Data("v4".utf8))
        }
    }

    @Test func aDeletedNamespaceIsNeverHeldByAStateWhoseCleanUpKeepsFailing() async throws {
        let generator = RemoteMakingGenerator()
        try await withOperator("gen-state-ns", generator, cleanUpTimeout: .seconds(3)) { client, namespace in
            _ = try await client.api(FakeGenerator.self, namespace: namespace).create(
                FakeGenerator(metadata: ObjectMeta(name: "remote"), spec: FakeSpec(data: [:])))
            _ = try await client.api(ExternalSecret.self, namespace: namespace).create(
                ExternalSecret(
                    metadata: ObjectMeta(name: "creds"),
                    spec: ExternalSecretSpec(
                        refreshInterval: "1h",
                        dataFrom: [
                            ExternalSecretDataFromRemoteRef(
                                sourceRef: StoreSourceRef(generatorRef: GeneratorRef(kind: "Fake", name: "remote")))
                        ])))
            let states = client.api(GeneratorState.self, namespace: namespace)
            #expect(try await eventually { try await states.list().items.count == 1 })
            // The clean-up fails for good (say the credentials it needs went with the namespace):
            // after the clean-up timeout the state lets go, and the namespace is deleted.
            generator.log.withLock { $0.failCleanUp = true }
            try await client.api(Namespace.self).delete(namespace)
            #expect(
                try await eventually(timeout: .seconds(180)) {
                    try await client.api(Namespace.self).getIfExists(namespace) == nil
                })
            #expect(generator.cleanedUp.isEmpty)
        }
    }
}
