import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import HTTPSupport
import KubeClient
import KubeModel
import KubeTestSupport
import OperatorTestSupport
import ProviderIBM
import ProviderKit
import ProviderTestSupport
import Testing

/// A value that must never show up in a log, an Event or a status.
let canary = "CANARY-ibm-op-8e41"

/// The `ibm` provider against the fake of Secrets Manager and IAM
/// (scripts/ibm-secrets-manager-fake.py, pinned by IBMFakePinTests): first the provider's client
/// alone, then the operator as a process on the real control plane (ExternalSecrets with data,
/// extract and find; PushSecret; a denied permission; throttling).
@Suite(.controlPlane, .serialized)
struct IBMOperatorTests {
    static let teamGroup = (id: "3f0e8a52-7c1d-4b6e-9a2f-5d4c3b2a1f0e", name: "team-a")

    static func apiKeyStore(_ fake: IBMFakeServer, secretName: String) -> IBMProvider {
        IBMProvider(
            serviceUrl: fake.endpoint,
            auth: IBMAuth(
                secretRef: IBMAuthSecretRef(
                    secretApiKeySecretRef: SecretKeySelector(name: secretName, key: "apikey"),
                    iamEndpoint: fake.endpoint)))
    }

    /// A store client of the provider on its own, against `fake`, with `apiKey`.
    static func client(_ fake: IBMFakeServer, apiKey: String) async throws -> any SecretsClient {
        try await IBMSecretsProvider().makeClient(
            for: StoreContext.fixture(SecretStoreProvider(ibm: apiKeyStore(fake, secretName: "ibm")), name: "ibm"),
            references: FakeReferences(secrets: ["ibm/apikey": apiKey]))
    }

    static func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }

    @Test func theProviderReadsAndFindsAgainstTheFake() async throws {
        let fake = try await IBMFakeServer.start(
            apiKeys: ["admin-\(canary)": ["*"], "reader-key": ["secret.read"]],
            profiles: ["eso-profile": (tokens: ["cr-token-1"], permissions: ["*"])], groups: [Self.teamGroup])
        defer { Task { await fake.stop() } }
        var many: [[String: Any]] = (0..<205).map {
            ["name": "bulk-\($0)", "secret_type": "arbitrary", "payload": "b\($0)", "labels": ["bulk"]]
        }
        many += [
            ["name": "plain", "secret_type": "arbitrary", "payload": "v2", "versions": [["payload": "v1"]]],
            [
                "name": "db", "secret_type": "username_password", "group": "team-a", "username": "app",
                "password": canary, "labels": ["env:prod"],
            ],
            ["name": "key", "secret_type": "iam_credentials", "api_key": "api-1"],
            ["name": "config", "secret_type": "kv", "data": ["a": "1", "nested": ["b": "2"]], "labels": ["env:prod"]],
            ["name": "tls", "secret_type": "imported_cert", "certificate": "CERT", "private_key": "KEY"],
        ]
        let ids = try await fake.seed(many)
        let client = try await Self.client(fake, apiKey: "admin-\(canary)")
        defer { Task { await client.close() } }

        func get(_ key: String, _ property: String? = nil, version: String? = nil) async throws -> String {
            Self.text(
                try await client.getSecret(ExternalSecretDataRemoteRef(key: key, property: property, version: version)))
        }
        let plain = try #require(ids["plain"])
        #expect(try await get(plain) == "v2")
        #expect(try await get("default/arbitrary/plain") == "v2")
        #expect(try await get(plain, version: "previous") == "v1")
        #expect(try await get("team-a/username_password/db", "password") == canary)
        #expect(try await get("iam_credentials/\(try #require(ids["key"]))") == "api-1")
        #expect(try await get("default/kv/config", "nested.b") == "2")
        #expect(try await get("default/imported_cert/tls", "intermediate") == "")
        let extracted = try await client.getSecretMap(ExternalSecretDataRemoteRef(key: "default/kv/config"))
        #expect(extracted.mapValues(Self.text) == ["a": "1", "nested": #"{"b":"2"}"#])
        let metadata = try await client.getSecretMap(
            ExternalSecretDataRemoteRef(key: "team-a/username_password/db", metadataPolicy: .fetch))
        #expect(metadata["secret_group_id"].map(Self.text) == Self.teamGroup.id)
        #expect(metadata["labels"].map(Self.text) == "[env:prod]")
        await #expect {
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "default/arbitrary/nope"))
        } throws: { error in
            (error as? ProviderError)?.isNotFound == true
        }

        // find pages over offset/limit (200 a page), filters by label and name.
        let bulk = try await client.getAllSecrets(ExternalSecretFind(tags: ["bulk": ""]))
        #expect(bulk.count == 205 && bulk["bulk-204"].map(Self.text) == "b204")
        let prod = try await client.getAllSecrets(
            ExternalSecretFind(name: FindName(regexp: "^(db|config)$"), tags: ["env": "prod"]))
        #expect(Set(prod.keys) == ["db", "config"])
        #expect(prod["db"].map(Self.text) == #"{"password":"\#(canary)","username":"app"}"#)
        let grouped = try await client.getAllSecrets(ExternalSecretFind(path: Self.teamGroup.id))
        #expect(Set(grouped.keys) == ["db"])

        // The reader may read, not list: the error names the missing IAM action.
        let reader = try await Self.client(fake, apiKey: "reader-key")
        #expect(try await reader.getSecret(ExternalSecretDataRemoteRef(key: plain)) == Data("v2".utf8))
        await #expect {
            _ = try await reader.getAllSecrets(ExternalSecretFind(name: FindName(regexp: ".")))
        } throws: { error in
            guard let error = error as? ProviderError else { return false }
            return error.code == .accessDenied && error.message.contains("secrets-manager.secrets.list")
                && error.message.contains(fake.endpoint)
        }

        // An unknown API key fails at client creation with IAM's reason.
        await #expect {
            _ = try await Self.client(fake, apiKey: "unknown-key")
        } throws: { error in
            guard let error = error as? ProviderError else { return false }
            return error.code == .accessDenied && error.message.contains("BXNIM0415E")
        }

        // A trusted profile with the compute-resource token file.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "eso-swift-ibm-cr-\(UUID().uuidString.prefix(8))"
        ).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("cr-token-1".utf8).write(to: URL(fileURLWithPath: "\(directory)/token"))
        let profile = IBMProvider(
            serviceUrl: fake.endpoint,
            auth: IBMAuth(
                containerAuth: IBMAuthContainerAuth(
                    profile: "eso-profile", tokenLocation: "\(directory)/token", iamEndpoint: fake.endpoint)))
        let profiled = try await IBMSecretsProvider().makeClient(
            for: StoreContext.fixture(SecretStoreProvider(ibm: profile), name: "ibm"), references: FakeReferences())
        #expect(try await profiled.getSecret(ExternalSecretDataRemoteRef(key: plain)) == Data("v2".utf8))
        await profiled.close()

        // PushSecret's calls: create in a named group (the group list gives its ID), a new version
        // only for a change, a refusal for a secret without the label, delete.
        let target = PushTarget(remoteKey: "team-a/arbitrary/pushed")
        try await client.pushSecret(.value(Data("p1".utf8)), to: target)
        try await client.pushSecret(.value(Data("p1".utf8)), to: target)
        #expect(try await fake.control("secrets/pushed")["versions"] as? Int == 1)
        try await client.pushSecret(.allKeys(["a": Data("1".utf8)]), to: target)
        try await client.pushSecret(.value(Data("2".utf8)), to: PushTarget(remoteKey: target.remoteKey, property: "b"))
        #expect(try await get("team-a/arbitrary/pushed") == #"{"a":"1","b":"2"}"#)
        #expect(try await fake.control("secrets/pushed")["versions"] as? Int == 3)
        await #expect {
            try await client.pushSecret(.value(Data("x".utf8)), to: PushTarget(remoteKey: plain))
        } throws: { error in
            (error as? ProviderError)?.code == .notManaged
        }
        #expect(try await get(plain) == "v2")
        await #expect {
            try await reader.pushSecret(.value(Data("x".utf8)), to: PushTarget(remoteKey: "new-one"))
        } throws: { error in
            guard let error = error as? ProviderError else { return false }
            return error.code == .accessDenied && error.message.contains("secrets-manager.secret.create")
        }
        await reader.close()
        try await client.deleteSecret(target)
        #expect(try await !client.secretExists(target))
    }

    @Test func everyFeatureThroughTheOperator() async throws {
        let plane = try currentPlane()
        try await withAdminClient { client in
            try await installCRDs(client)
            let namespace = try await makeNamespace(client, prefix: "ibm")
            let fake = try await IBMFakeServer.start(
                apiKeys: ["admin-\(canary)": ["*"], "reader-key": ["secret.read"]], groups: [Self.teamGroup])
            defer { Task { await fake.stop() } }
            let ids = try await fake.seed([
                [
                    "name": "db", "secret_type": "username_password", "group": "team-a", "username": "app",
                    "password": canary,
                ],
                ["name": "config", "secret_type": "kv", "data": ["user": "app", "password": canary]],
                ["name": "app-one", "secret_type": "arbitrary", "payload": "one"],
                ["name": "app-two", "secret_type": "arbitrary", "payload": "two"],
            ])
            let one = try #require(ids["app-one"])

            let secrets = client.api(Secret.self, namespace: namespace)
            for (name, key) in [("ibm-admin", "admin-\(canary)"), ("ibm-reader", "reader-key")] {
                _ = try await secrets.create(Secret(metadata: ObjectMeta(name: name), data: ["apikey": Data(key.utf8)]))
            }
            _ = try await secrets.create(
                Secret(metadata: ObjectMeta(name: "source"), data: ["token": Data("pushed-\(canary)".utf8)]))
            for (name, secretName) in [("ibm", "ibm-admin"), ("ibm-reader", "ibm-reader")] {
                _ = try await client.api(SecretStore.self, namespace: namespace).create(
                    SecretStore(
                        metadata: ObjectMeta(name: name),
                        spec: SecretStoreSpec(
                            provider: SecretStoreProvider(ibm: Self.apiKeyStore(fake, secretName: secretName)))))
            }
            func externalSecret(
                _ name: String, store: String = "ibm", data: [ExternalSecretData]? = nil,
                dataFrom: [ExternalSecretDataFromRemoteRef]? = nil
            ) -> ExternalSecret {
                ExternalSecret(
                    metadata: ObjectMeta(name: name),
                    spec: ExternalSecretSpec(
                        secretStoreRef: SecretStoreRef(name: store, kind: .secretStore), refreshInterval: "1h",
                        data: data, dataFrom: dataFrom))
            }
            let externalSecrets = client.api(ExternalSecret.self, namespace: namespace)
            for object in [
                externalSecret(
                    "data",
                    data: [
                        ExternalSecretData(
                            secretKey: "password",
                            remoteRef: ExternalSecretDataRemoteRef(
                                key: "team-a/username_password/db", property: "password")),
                        ExternalSecretData(secretKey: "one", remoteRef: ExternalSecretDataRemoteRef(key: one)),
                    ]),
                externalSecret(
                    "extract",
                    dataFrom: [
                        ExternalSecretDataFromRemoteRef(extract: ExternalSecretDataRemoteRef(key: "default/kv/config"))
                    ]),
                externalSecret(
                    "find",
                    dataFrom: [
                        ExternalSecretDataFromRemoteRef(find: ExternalSecretFind(name: FindName(regexp: "^app-")))
                    ]),
                // The reader may not list secrets.
                externalSecret(
                    "denied", store: "ibm-reader",
                    dataFrom: [ExternalSecretDataFromRemoteRef(find: ExternalSecretFind(name: FindName(regexp: ".*")))]),
                externalSecret(
                    "missing",
                    data: [
                        ExternalSecretData(
                            secretKey: "x", remoteRef: ExternalSecretDataRemoteRef(key: "default/arbitrary/nope"))
                    ]),
            ] {
                _ = try await externalSecrets.create(object)
            }

            try await runOperator(plane, name: "ibm", arguments: ["--namespace", namespace]) { process in
                for name in ["data", "extract", "find"] {
                    #expect(try await waitForReady(client, namespace, name), "\(name): \(process.log.suffix(3000))")
                }
                #expect(try await secrets.get("data").data == ["password": Data(canary.utf8), "one": Data("one".utf8)])
                #expect(
                    try await secrets.get("extract").data == ["user": Data("app".utf8), "password": Data(canary.utf8)])
                #expect(
                    try await secrets.get("find").data == ["app-one": Data("one".utf8), "app-two": Data("two".utf8)])

                for (name, words) in [
                    ("denied", "secrets-manager.secrets.list"), ("missing", "default/arbitrary/nope"),
                ] {
                    #expect(
                        try await waitForReady(
                            client, namespace, name, status: "False", reason: ESOReason.secretSyncedError),
                        "\(name): \(process.log.suffix(2000))")
                    let message = try await readyCondition(client, namespace, name)?.message ?? ""
                    #expect(message.contains(words), "\(name): \(message)")
                }

                // PushSecret: an arbitrary secret labelled managed-by:external-secrets in team-a, deleted
                // with the PushSecret; a secret without the label is left alone.
                let pushSecrets = client.api(PushSecret.self, namespace: namespace)
                func push(_ name: String, to remoteKey: String) -> PushSecret {
                    PushSecret(
                        metadata: ObjectMeta(name: name),
                        spec: PushSecretSpec(
                            secretStoreRefs: [PushSecretStoreRef(name: "ibm", kind: .secretStore)],
                            deletionPolicy: .delete,
                            selector: PushSecretSelector(secret: PushSecretSecretSelector(name: "source")),
                            data: [
                                PushSecretData(
                                    match: PushSecretMatch(
                                        secretKey: "token", remoteRef: PushSecretRemoteRef(remoteKey: remoteKey)))
                            ]))
                }
                _ = try await pushSecrets.create(push("push", to: "team-a/arbitrary/pushed"))
                _ = try await pushSecrets.create(push("theirs", to: "default/arbitrary/app-one"))
                #expect(try await waitForPushReady(client, namespace, "push"), "\(process.log.suffix(3000))")
                #expect(
                    try await waitForPushReady(
                        client, namespace, "theirs", status: "False", message: "not managed by external-secrets"),
                    "\(process.log.suffix(3000))")
                let check = try await Self.client(fake, apiKey: "admin-\(canary)")
                #expect(
                    try await check.getSecret(ExternalSecretDataRemoteRef(key: "team-a/arbitrary/pushed"))
                        == Data("pushed-\(canary)".utf8))
                #expect(
                    try await fake.control("secrets/pushed")["labels"] as? [String] == ["managed-by:external-secrets"])
                #expect(try await fake.control("secrets/app-one")["versions"] as? Int == 1, "theirs was changed")
                let store = try await client.api(SecretStore.self, namespace: namespace).get("ibm")
                #expect(store.status?.capabilities == "ReadWrite")
                try await pushSecrets.delete("push")
                #expect(
                    try await eventually(timeout: .seconds(30)) {
                        (try? await check.secretExists(PushTarget(remoteKey: "team-a/arbitrary/pushed"))) == false
                    }, "the pushed secret was not deleted: \(process.log.suffix(2000))")
                await check.close()

                // Throttling: the fake answers 429 twice; a forced refresh still syncs.
                let before = try await externalSecrets.get("extract").status?.syncedResourceVersion
                _ = try await fake.control("throttle", body: ["count": 2, "status": 429])
                try await update(externalSecrets, "extract") { $0.metadata.annotations = ["force-sync": "1"] }
                #expect(
                    try await eventually(timeout: .seconds(30)) {
                        let status = try await externalSecrets.get("extract").status
                        return status?.syncedResourceVersion != before
                            && status?.conditions?.condition(ofType: "Ready")?.status == "True"
                    }, "\(process.log.suffix(2000))")
                #expect(
                    try await fake.control("throttle")["left"] as? Int == 0, "the throttled answers were not all sent")

                let metrics = try await scrapeMetrics(process)
                #expect(
                    metrics.contains(
                        #"externalsecret_provider_api_calls_count{provider="IBM/SecretsManager",call="GetSecret",status="success"}"#
                    ), "\(metrics.split(separator: "\n").filter { $0.contains("IBM") })")
                #expect(!process.log.contains(canary), "the operator log contains a secret value")
                #expect(try await eventTexts(client, namespace).allSatisfy { !$0.contains(canary) })
                let mismatches = try await renderMismatches(
                    plane, client, namespace: namespace, environment: [:])
                #expect(mismatches.isEmpty, "render --live differs from the controller: \(mismatches)")
            }
        }
    }

    /// KES's `ibmcloudSecretsManager` backend served by the operator (`--enable-kes`), configured
    /// by KES's variables (the instance, the operator's API key, IAM's URL): keys by name in any
    /// group and by ID, KES's values per secret type, a missing secret in the status, and
    /// `render --live` printing what the controller wrote.
    @Test func kesIBMBackendReadsWithTheOperatorsAPIKey() async throws {
        let plane = try currentPlane()
        try await withAdminClient { client in
            try await installCRDs(client)
            try await installKESCRD(client)
            let namespace = try await makeNamespace(client, prefix: "kes-ibm")
            let operatorKey = "operator-\(canary)"
            let fake = try await IBMFakeServer.start(apiKeys: [operatorKey: ["*"]], groups: [Self.teamGroup])
            defer { Task { await fake.stop() } }
            let ids = try await fake.seed([
                [
                    "name": "db", "secret_type": "username_password", "group": "team-a", "username": "app",
                    "password": canary,
                ],
                // Same name, another type; a longer name the search also matches.
                ["name": "db", "secret_type": "arbitrary", "payload": "not-this"],
                ["name": "db-old", "secret_type": "username_password", "username": "old", "password": "old"],
                ["name": "config", "secret_type": "kv", "data": ["url": "postgres://db", "port": 5432]],
                ["name": "token", "secret_type": "arbitrary", "payload": "tok"],
                ["name": "api", "secret_type": "iam_credentials", "api_key": "api-key-1"],
                ["name": "blob", "secret_type": "arbitrary", "payload": Data([0, 1, 0xFF]).base64EncodedString()],
            ])
            let environment = [
                "IBM_CLOUD_SECRETS_MANAGER_API_ENDPOINT": fake.endpoint,
                "IBM_CLOUD_SECRETS_MANAGER_API_APIKEY": operatorKey,
                "IBM_CLOUD_SECRETS_MANAGER_API_AUTH_TYPE": "iam",
                "IBM_CLOUD_SECRETS_MANAGER_API_AUTH_URL": fake.endpoint,
                "POLLER_INTERVAL_MILLISECONDS": "2000",
            ]
            try await runOperator(
                plane, name: namespace, arguments: ["--namespace", namespace, "--enable-kes"],
                environment: environment, identity: .chartServiceAccountWithKES
            ) { process in
                let objects = client.api(KESExternalSecret.self, namespace: namespace)
                _ = try await objects.create(
                    KESExternalSecret(
                        metadata: ObjectMeta(name: "by-name"),
                        spec: KESExternalSecretSpec(
                            backendType: .ibmcloudSecretsManager,
                            data: [
                                KESDataEntry(key: "db", name: "creds", secretType: "username_password"),
                                KESDataEntry(
                                    key: "db", name: "password", property: "password", secretType: "username_password"),
                                KESDataEntry(key: "config", name: "url", property: "payload.url", secretType: "kv"),
                                KESDataEntry(key: "config", name: "config", secretType: "kv"),
                            ], keyByName: true)))
                _ = try await objects.create(
                    KESExternalSecret(
                        metadata: ObjectMeta(name: "by-id"),
                        spec: KESExternalSecretSpec(
                            backendType: .ibmcloudSecretsManager,
                            data: [
                                KESDataEntry(key: ids["token"], name: "token", secretType: "arbitrary"),
                                KESDataEntry(
                                    key: ids["token"], name: "payload", property: "payload", secretType: "arbitrary"),
                                KESDataEntry(key: ids["api"], name: "apikey", secretType: "iam_credentials"),
                                KESDataEntry(
                                    key: ids["blob"], name: "blob", property: "payload", isBinary: true,
                                    secretType: "arbitrary"),
                            ])))
                _ = try await objects.create(
                    KESExternalSecret(
                        metadata: ObjectMeta(name: "missing"),
                        spec: KESExternalSecretSpec(
                            backendType: .ibmcloudSecretsManager,
                            data: [KESDataEntry(key: "nope", name: "x", secretType: "arbitrary")], keyByName: true)))
                for name in ["by-name", "by-id"] {
                    var status: String?
                    let synced = try await eventually(timeout: .seconds(60)) {
                        status = try await objects.get(name).status?.status
                        return status == KESRefresh.success
                    }
                    #expect(synced, "\(name): \(status ?? "no status"): \(process.log.suffix(3000))")
                }
                let secrets = client.api(Secret.self, namespace: namespace)
                #expect(
                    try await secrets.get("by-name").data == [
                        "creds": Data(#"{"password":"\#(canary)","username":"app"}"#.utf8),
                        "password": Data(canary.utf8), "url": Data("postgres://db".utf8),
                        "config": Data(#"{"payload":{"port":5432,"url":"postgres://db"}}"#.utf8),
                    ])
                #expect(
                    try await secrets.get("by-id").data == [
                        "token": Data(#"{"payload":"tok"}"#.utf8), "payload": Data("tok".utf8),
                        "apikey": Data(#""api-key-1""#.utf8), "blob": Data([0, 1, 0xFF]),
                    ])
                var missing: String?
                _ = try await eventually(timeout: .seconds(60)) {
                    missing = try await objects.get("missing").status?.status
                    return missing != nil
                }
                #expect(missing?.contains("No arbitrary secret named nope") == true, "\(missing ?? "no status")")
                #expect(try await secrets.getIfExists("missing") == nil)
                #expect(!process.log.contains(canary), "the operator log contains a secret value")
                #expect(try await eventTexts(client, namespace).allSatisfy { !$0.contains(canary) })
                let mismatches = try await kesRenderMismatches(
                    plane, client, namespace: namespace, environment: environment)
                #expect(mismatches.isEmpty, "render --live differs from the controller: \(mismatches)")
            }
        }
    }

    /// KES's `IBM_CLOUD_SECRETS_MANAGER_API_AUTH_TYPE=container`: the operator's trusted profile
    /// (`_IAM_PROFILE_NAME`, the compute-resource token in `_CR_TOKEN_FILENAME`, IAM at `_AUTH_URL`).
    @Test func kesIBMBackendWithTheOperatorsTrustedProfile() async throws {
        let plane = try currentPlane()
        try await withAdminClient { client in
            try await installCRDs(client)
            try await installKESCRD(client)
            let namespace = try await makeNamespace(client, prefix: "kes-ibm-cr")
            let fake = try await IBMFakeServer.start(
                apiKeys: [:], profiles: ["kes-profile": (tokens: ["cr-\(canary)"], permissions: ["secret.read"])])
            defer { Task { await fake.stop() } }
            let ids = try await fake.seed([["name": "token", "secret_type": "arbitrary", "payload": canary]])
            let tokenFile = "\(fake.directory)/cr-token"
            try Data("cr-\(canary)\n".utf8).write(to: URL(fileURLWithPath: tokenFile))
            let environment = [
                "IBM_CLOUD_SECRETS_MANAGER_API_ENDPOINT": fake.endpoint,
                "IBM_CLOUD_SECRETS_MANAGER_API_AUTH_TYPE": "container",
                "IBM_CLOUD_SECRETS_MANAGER_API_IAM_PROFILE_NAME": "kes-profile",
                "IBM_CLOUD_SECRETS_MANAGER_API_CR_TOKEN_FILENAME": tokenFile,
                "IBM_CLOUD_SECRETS_MANAGER_API_AUTH_URL": fake.endpoint, "POLLER_INTERVAL_MILLISECONDS": "2000",
            ]
            try await runOperator(
                plane, name: namespace, arguments: ["--namespace", namespace, "--enable-kes"],
                environment: environment, identity: .chartServiceAccountWithKES
            ) { process in
                let objects = client.api(KESExternalSecret.self, namespace: namespace)
                _ = try await objects.create(
                    KESExternalSecret(
                        metadata: ObjectMeta(name: "profile"),
                        spec: KESExternalSecretSpec(
                            backendType: .ibmcloudSecretsManager,
                            data: [
                                KESDataEntry(
                                    key: ids["token"], name: "token", property: "payload", secretType: "arbitrary")
                            ])))
                var status: String?
                let synced = try await eventually(timeout: .seconds(60)) {
                    status = try await objects.get("profile").status?.status
                    return status == KESRefresh.success
                }
                #expect(synced, "\(status ?? "no status"): \(process.log.suffix(3000))")
                #expect(
                    try await client.api(Secret.self, namespace: namespace).get("profile").data == [
                        "token": Data(canary.utf8)
                    ])
                #expect(!process.log.contains(canary), "the operator log contains a secret value")
            }
        }
    }
}
