import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import Generators
import KubeClient
import KubeModel
import KubeTestSupport
import OperatorTestSupport
import Testing

/// Generators in `spec.dataFrom[].sourceRef.generatorRef`, with the operator as a process against
/// the real control plane (as the chart's ServiceAccount, so the chart's RBAC is proven too).
/// Generated values are compared as `Data` or booleans, never printed.
@Suite(.controlPlane, .serialized) struct GeneratorSyncTests {
    static func generatorEntry(_ kind: String, _ name: String) -> ExternalSecretDataFromRemoteRef {
        ExternalSecretDataFromRemoteRef(sourceRef: StoreSourceRef(generatorRef: GeneratorRef(kind: kind, name: name)))
    }

    static func generatorSecret(
        _ name: String, _ entries: [ExternalSecretDataFromRemoteRef], policy: RefreshPolicy? = nil,
        refreshInterval: String? = nil
    ) -> ExternalSecret {
        var es = externalSecret(name, dataFrom: entries, refreshInterval: refreshInterval)
        es.spec.secretStoreRef = nil
        es.spec.refreshPolicy = policy
        return es
    }

    func withOperator(_ prefix: String, _ body: (KubeClient, String, TestProcess) async throws -> Void) async throws {
        let plane = try currentPlane()
        try await withAdminClient { client in
            try await installCRDs(client)
            let namespace = try await makeNamespace(client, prefix: prefix)
            try await runOperator(plane, name: prefix, arguments: ["--namespace", namespace]) { process in
                try await body(client, namespace, process)
            }
        }
    }

    @Test func everyKindIsWrittenToTheSecretAndNoValueLeaks() async throws {
        try await withOperator("gen-kinds") { client, namespace, process in
            _ = try await client.api(PasswordGenerator.self, namespace: namespace).create(
                PasswordGenerator(
                    metadata: ObjectMeta(name: "pw"),
                    spec: PasswordSpec(length: 20, digits: 5, symbols: 0, secretKeys: ["password", "admin"])))
            _ = try await client.api(UUIDGenerator.self, namespace: namespace).create(
                UUIDGenerator(metadata: ObjectMeta(name: "id"), spec: nil))
            _ = try await client.api(SSHKeyGenerator.self, namespace: namespace).create(
                SSHKeyGenerator(metadata: ObjectMeta(name: "ssh"), spec: SSHKeySpec(keyType: .ed25519, comment: "ci")))
            _ = try await client.api(FakeGenerator.self, namespace: namespace).create(
                FakeGenerator(metadata: ObjectMeta(name: "fixed"), spec: FakeSpec(data: ["fixed": canary])))
            // RFC 6238's SHA-1 seed, with the time pinned: the token is known.
            _ = try await client.api(Secret.self, namespace: namespace).create(
                Secret(
                    metadata: ObjectMeta(name: "seed"),
                    data: ["key": Data(Base32.encode(Data("12345678901234567890".utf8)).utf8)]))
            _ = try await client.api(MFAGenerator.self, namespace: namespace).create(
                MFAGenerator(
                    metadata: ObjectMeta(name: "otp"),
                    spec: MFASpec(
                        secret: SecretKeySelector(name: "seed", key: "key"), length: 8,
                        when: KubeTime(Date(timeIntervalSince1970: 59)))))
            // A ClusterGenerator reads the seed in the namespace of the ExternalSecret using it.
            let clusterName = "\(namespace)-otp"
            _ = try await client.api(ClusterGenerator.self).create(
                ClusterGenerator(
                    metadata: ObjectMeta(name: clusterName),
                    spec: ClusterGeneratorSpec(
                        kind: "MFA",
                        generator: [
                            "mfaSpec": [
                                "secret": ["name": "seed", "key": "key"], "length": 6, "when": "1970-01-01T00:00:59Z",
                            ]
                        ])))

            var es = Self.generatorSecret(
                "all",
                [
                    Self.generatorEntry("Password", "pw"), Self.generatorEntry("UUID", "id"),
                    Self.generatorEntry("SSHKey", "ssh"), Self.generatorEntry("Fake", "fixed"),
                    Self.generatorEntry("MFA", "otp"),
                ])
            var clusterEntry = Self.generatorEntry("ClusterGenerator", clusterName)
            clusterEntry.rewrite = [ExternalSecretRewrite(regexp: RewriteRegexp(source: "^", target: "cluster-"))]
            es.spec.dataFrom?.append(clusterEntry)
            _ = try await client.api(ExternalSecret.self, namespace: namespace).create(es)
            #expect(try await waitForReady(client, namespace, "all"), "log: \(process.log.suffix(3000))")

            let data = try await client.api(Secret.self, namespace: namespace).get("all").data ?? [:]
            #expect(
                data.keys.sorted() == [
                    "admin", "cluster-timeLeft", "cluster-token", "fixed", "password", "privateKey", "publicKey",
                    "timeLeft", "token", "uuid",
                ])
            let password = data["password"] ?? Data()
            #expect(password.count == 20 && data["admin"]?.count == 20 && data["admin"] != password)
            #expect(UUID(uuidString: string(data["uuid"]) ?? "") != nil)
            #expect(string(data["publicKey"])?.hasPrefix("ssh-ed25519 ") == true)
            #expect(string(data["publicKey"])?.hasSuffix(" ci\n") == true)
            #expect(string(data["privateKey"])?.hasPrefix("-----BEGIN OPENSSH PRIVATE KEY-----") == true)
            #expect(data["fixed"] == Data(canary.utf8))
            #expect(data["token"] == Data("94287082".utf8))
            #expect(data["cluster-token"] == Data("287082".utf8))

            // No generated value in the status, the Events or the log.
            let status = try await client.api(ExternalSecret.self, namespace: namespace).get("all").status
            let statusText = String(decoding: try KubeJSON.encoder.encode(status), as: UTF8.self)
            let events = try await eventTexts(client, namespace).joined(separator: "\n")
            let log = process.log
            for value in [password, data["uuid"] ?? Data(), data["token"] ?? Data(), Data(canary.utf8)] {
                let text = String(decoding: value, as: UTF8.self)
                let leaked = statusText.contains(text) || events.contains(text) || log.contains(text)
                #expect(!leaked, "a generated value appears in the status, an Event or the log")
            }
            try await client.api(ClusterGenerator.self).delete(clusterName)
        }
    }

    @Test func refreshPoliciesDecideWhenValuesAreGeneratedAgain() async throws {
        try await withOperator("gen-refresh") { client, namespace, process in
            _ = try await client.api(PasswordGenerator.self, namespace: namespace).create(
                PasswordGenerator(metadata: ObjectMeta(name: "pw"), spec: PasswordSpec(length: 32)))
            let externalSecrets = client.api(ExternalSecret.self, namespace: namespace)
            let secrets = client.api(Secret.self, namespace: namespace)
            let entry = [Self.generatorEntry("Password", "pw")]
            let objects = [
                Self.generatorSecret("periodic", entry, policy: .periodic, refreshInterval: "1s"),
                Self.generatorSecret("zero", entry, policy: .periodic, refreshInterval: "0s"),
                Self.generatorSecret("once", entry, policy: .createdOnce, refreshInterval: "1s"),
                Self.generatorSecret("onchange", entry, policy: .onChange, refreshInterval: "1s"),
            ]
            var first: [String: Data] = [:]
            for es in objects {
                _ = try await externalSecrets.create(es)
                let name = es.metadata.name ?? ""
                #expect(try await waitForReady(client, namespace, name), "log: \(process.log.suffix(3000))")
                first[name] = try await secrets.get(name).data?["password"]
            }

            // Periodic with an interval: a new password at each refresh (this is also the proof
            // that time passed and the operator refreshed while the others kept theirs).
            #expect(try await waitForCompletedSyncs(process, namespace: namespace, name: "periodic", count: 3))
            #expect(try await eventually { try await secrets.get("periodic").data?["password"] != first["periodic"] })

            // A metadata change: OnChange generates again; CreatedOnce and interval 0 do not.
            for name in ["onchange", "once", "zero"] {
                _ = try await externalSecrets.patch(name, .merge(["metadata": ["annotations": ["touched": "1"]]]))
            }
            #expect(try await eventually { try await secrets.get("onchange").data?["password"] != first["onchange"] })
            #expect(try await waitForCompletedSyncs(process, namespace: namespace, name: "periodic", count: 6))
            let onceKept = try await secrets.get("once").data?["password"] == first["once"]
            let zeroKept = try await secrets.get("zero").data?["password"] == first["zero"]
            #expect(onceKept && zeroKept)

            // A deleted target is written again, with a new value (as ESO: the value is generated
            // when the Secret is written).
            try await secrets.delete("once")
            #expect(try await eventually { try await secrets.getIfExists("once")?.data?["password"]?.count == 32 })
        }
    }

    @Test func aPushSecretPushesWhatItsGeneratorMakes() async throws {
        try await withOperator("gen-push") { client, namespace, process in
            _ = try await client.api(SecretStore.self, namespace: namespace).create(fakeStore("fake", data: []))
            _ = try await client.api(PasswordGenerator.self, namespace: namespace).create(
                PasswordGenerator(metadata: ObjectMeta(name: "pw"), spec: PasswordSpec(length: 28)))
            _ = try await client.api(PushSecret.self, namespace: namespace).create(
                PushSecret(
                    metadata: ObjectMeta(name: "push"),
                    spec: PushSecretSpec(
                        refreshInterval: "0s", secretStoreRefs: [PushSecretStoreRef(name: "fake", kind: .secretStore)],
                        selector: PushSecretSelector(generatorRef: GeneratorRef(kind: "Password", name: "pw")),
                        data: [
                            PushSecretData(
                                match: PushSecretMatch(
                                    secretKey: "password", remoteRef: PushSecretRemoteRef(remoteKey: "pushed-password"))
                            )
                        ])))
            #expect(try await waitForPushReady(client, namespace, "push"), "log: \(process.log.suffix(3000))")
            // Read back from the same store by an ExternalSecret.
            _ = try await client.api(ExternalSecret.self, namespace: namespace).create(
                externalSecret("mirror", data: [entry("password", "pushed-password")]))
            #expect(try await waitForReady(client, namespace, "mirror"), "log: \(process.log.suffix(3000))")
            let pushed =
                try await client.api(Secret.self, namespace: namespace).get("mirror").data?["password"] ?? Data()
            #expect(pushed.count == 28)
            let status = try await client.api(PushSecret.self, namespace: namespace).get("push").status
            let statusText = String(decoding: try KubeJSON.encoder.encode(status), as: UTF8.self)
            let leaked =
                statusText.contains(String(decoding: pushed, as: UTF8.self))
                || process.log.contains(String(decoding: pushed, as: UTF8.self))
            #expect(!leaked, "the pushed value appears in the PushSecret's status or the log")
        }
    }

    /// As ESO: an ExternalSecret whose Fake generator names another controller class belongs to
    /// another operator and is left alone (no status, no Secret).
    @Test func aGeneratorOfAnotherControllerClassIsLeftToItsOperator() async throws {
        try await withOperator("gen-class") { client, namespace, process in
            let fakes = client.api(FakeGenerator.self, namespace: namespace)
            _ = try await fakes.create(
                FakeGenerator(
                    metadata: ObjectMeta(name: "theirs"), spec: FakeSpec(controller: "other-class", data: ["a": "b"])))
            _ = try await fakes.create(
                FakeGenerator(metadata: ObjectMeta(name: "ours"), spec: FakeSpec(data: ["a": "b"])))
            let externalSecrets = client.api(ExternalSecret.self, namespace: namespace)
            _ = try await externalSecrets.create(
                Self.generatorSecret("theirs", [Self.generatorEntry("Fake", "theirs")]))
            #expect(try await waitForReconciles(process, controller: "externalsecret", atLeast: 1))
            _ = try await externalSecrets.create(Self.generatorSecret("ours", [Self.generatorEntry("Fake", "ours")]))
            #expect(try await waitForReady(client, namespace, "ours"), "log: \(process.log.suffix(3000))")
            #expect(try await externalSecrets.get("theirs").status?.conditions == nil)
            #expect(try await client.api(Secret.self, namespace: namespace).getIfExists("theirs") == nil)
        }
    }

    @Test func badGeneratorsAreClearConditionsAndOthersStillSync() async throws {
        try await withOperator("gen-bad") { client, namespace, process in
            _ = try await client.api(PasswordGenerator.self, namespace: namespace).create(
                PasswordGenerator(metadata: ObjectMeta(name: "zero"), spec: PasswordSpec(length: 0)))
            _ = try await client.api(PasswordGenerator.self, namespace: namespace).create(
                PasswordGenerator(metadata: ObjectMeta(name: "huge"), spec: PasswordSpec(length: 10_000_000)))
            _ = try await client.api(PasswordGenerator.self, namespace: namespace).create(
                PasswordGenerator(metadata: ObjectMeta(name: "good"), spec: nil))
            let externalSecrets = client.api(ExternalSecret.self, namespace: namespace)
            let cases: [(String, ExternalSecretDataFromRemoteRef, String)] = [
                ("missing", Self.generatorEntry("Password", "nope"), "Password \(namespace)/nope not found"),
                ("zero", Self.generatorEntry("Password", "zero"), "spec.length must be between 1 and 65536, not 0"),
                ("huge", Self.generatorEntry("Password", "huge"), "not 10000000"),
                (
                    "acr", Self.generatorEntry("ACRAccessToken", "a"),
                    "generator kind ACRAccessToken is not supported"
                ),
                (
                    "cluster", Self.generatorEntry("ClusterGenerator", "\(namespace)-absent"),
                    "ClusterGenerator \(namespace)-absent not found"
                ),
            ]
            for (name, entry, _) in cases {
                _ = try await externalSecrets.create(Self.generatorSecret(name, [entry]))
            }
            _ = try await externalSecrets.create(
                Self.generatorSecret("good", [Self.generatorEntry("Password", "good")]))
            #expect(try await waitForReady(client, namespace, "good"), "log: \(process.log.suffix(3000))")
            #expect(try await client.api(Secret.self, namespace: namespace).get("good").data?["password"]?.count == 24)
            for (name, _, message) in cases {
                let failed = try await eventually {
                    let condition = try await readyCondition(client, namespace, name)
                    return condition?.status == "False" && condition?.message?.contains(message) == true
                }
                let condition = try await readyCondition(client, namespace, name)
                #expect(failed, "\(name): \(condition?.message ?? "no condition")")
                #expect(condition?.message?.hasPrefix("spec.dataFrom[0].sourceRef.generatorRef: ") == true)
            }
        }
    }
}
