import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import HTTPSupport
import KubeClient
import KubeModel
import KubeTestSupport
import OperatorTestSupport
import ProviderAlibaba
import ProviderKit
import ProviderTestSupport
import Testing

/// A value that must never show up in a log, an Event or a status.
let canary = "CANARY-alibaba-op-93d1"

/// The `alibaba` provider against the fake of KMS and STS (scripts/alibaba-kms-fake.py, pinned by
/// AlibabaFakePinTests): first the provider's client alone, then the operator as a process on the
/// real control plane (ExternalSecrets with data, extract and find; PushSecret; a denied
/// permission; throttling; RRSA).
@Suite(
    .enabled(if: AlibabaFakeServer.isAvailable, "scripts/install-deps.sh alibaba installs the Python packages"),
    .controlPlane, .serialized)
struct AlibabaOperatorTests {
    static let admin = AlibabaFakeServer.AccessKey(id: "LTAIadmin", secret: "admin-\(canary)", permissions: ["kms:*"])
    static let reader = AlibabaFakeServer.AccessKey(
        id: "LTAIreader", secret: "reader-secret", permissions: ["kms:GetSecretValue"])
    static let role = AlibabaFakeServer.Role(
        arn: "acs:ram::1234567890123456:role/eso", oidcProviderArn: "acs:ram::1234567890123456:oidc-provider/ack-rrsa",
        tokens: ["oidc-\(canary)"], permissions: ["kms:GetSecretValue", "kms:ListSecrets"])

    static func accessKeyStore(secretName: String) -> AlibabaProvider {
        AlibabaProvider(
            regionID: "cn-hangzhou",
            auth: AlibabaAuth(
                secretRef: AlibabaAuthSecretRef(
                    accessKeyIDSecretRef: SecretKeySelector(name: secretName, key: "access-key-id"),
                    accessKeySecretSecretRef: SecretKeySelector(name: secretName, key: "access-key-secret"))))
    }

    static func rrsaStore(tokenFile: String) -> AlibabaProvider {
        AlibabaProvider(
            regionID: "cn-hangzhou",
            auth: AlibabaAuth(
                rrsa: AlibabaRRSAAuth(
                    oidcProviderArn: role.oidcProviderArn, oidcTokenFilePath: tokenFile, roleArn: role.arn,
                    sessionName: "external-secrets")))
    }

    /// A store client of the provider on its own, against `fake`.
    static func client(_ fake: AlibabaFakeServer, _ key: AlibabaFakeServer.AccessKey) async throws -> any SecretsClient
    {
        let provider = AlibabaSecretsProvider(endpoints: AlibabaEndpoints(kms: fake.endpoint, sts: fake.endpoint))
        let store = StoreContext.fixture(
            SecretStoreProvider(alibaba: accessKeyStore(secretName: "ali")), name: "ali")
        return try await provider.makeClient(
            for: store,
            references: FakeReferences(secrets: ["ali/access-key-id": key.id, "ali/access-key-secret": key.secret]))
    }

    @Test func theProviderReadsFindsAndPushesAgainstTheFake() async throws {
        let fake = try await AlibabaFakeServer.start(accessKeys: [Self.admin, Self.reader], roles: [Self.role])
        defer { Task { await fake.stop() } }
        let client = try await Self.client(fake, Self.admin)
        defer { Task { await client.close() } }

        try await client.pushSecret(
            .value(Data(#"{"user":"app","password":"\#(canary)"}"#.utf8)), to: PushTarget(remoteKey: "db-creds"))
        for index in 0..<105 {
            try await client.pushSecret(.value(Data("v\(index)".utf8)), to: PushTarget(remoteKey: "app-\(index)"))
        }
        try await client.pushSecret(.value(Data("pw".utf8)), to: PushTarget(remoteKey: "db-creds", property: "extra"))
        #expect(try await fake.control("secrets/db-creds")["versions"] as? Int == 2)
        #expect(
            try await fake.control("secrets/db-creds")["tags"] as? [String: String] == [
                "managed-by": "external-secrets"
            ])
        // The same value again writes no version.
        try await client.pushSecret(.value(Data("v1".utf8)), to: PushTarget(remoteKey: "app-1"))
        #expect(try await fake.control("secrets/app-1")["versions"] as? Int == 1)

        #expect(
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "db-creds", property: "password"))
                == Data(canary.utf8))
        #expect(
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "db-creds", version: "ACSPrevious"))
                == Data(#"{"user":"app","password":"\#(canary)"}"#.utf8))
        // find pages over ListSecrets (100 a page).
        let found = try await client.getAllSecrets(ExternalSecretFind(name: FindName(regexp: "^app-")))
        #expect(found.count == 105 && found["app-104"] == Data("v104".utf8))
        _ = try await fake.control(
            "seed", body: ["secrets": [["name": "tagged", "value": "t", "tags": ["team": "a"]]]])
        let tagged = try await client.getAllSecrets(ExternalSecretFind(tags: ["team": "a"]))
        #expect(Set(tagged.keys) == ["tagged"])
        // A secret someone else made is neither changed nor deleted.
        await #expect {
            try await client.pushSecret(.value(Data("x".utf8)), to: PushTarget(remoteKey: "tagged"))
        } throws: { error in (error as? ProviderError)?.code == .notManaged }
        #expect(try await client.secretExists(PushTarget(remoteKey: "app-1")))
        try await client.deleteSecret(PushTarget(remoteKey: "app-1"))
        #expect(try await !client.secretExists(PushTarget(remoteKey: "app-1")))
        await #expect {
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "app-1"))
        } throws: { error in
            (error as? ProviderError)?.isNotFound == true
        }

        // The reader may read, not list: the error names the permission.
        let reader = try await Self.client(fake, Self.reader)
        #expect(try await reader.getSecret(ExternalSecretDataRemoteRef(key: "app-2")) == Data("v2".utf8))
        await #expect {
            _ = try await reader.getAllSecrets(ExternalSecretFind(name: FindName(regexp: ".*")))
        } throws: { error in
            guard let error = error as? ProviderError else { return false }
            return error.code == .accessDenied && error.message.contains("missing permission kms:ListSecrets")
        }
        await reader.close()

        // RRSA: the token file exchanged through STS, then KMS with the security token.
        let tokenFile = "\(fake.directory)/rrsa-token"
        try Data("oidc-\(canary)\n".utf8).write(to: URL(fileURLWithPath: tokenFile))
        let rrsa = try await AlibabaSecretsProvider(
            endpoints: AlibabaEndpoints(kms: fake.endpoint, sts: fake.endpoint)
        ).makeClient(
            for: StoreContext.fixture(SecretStoreProvider(alibaba: Self.rrsaStore(tokenFile: tokenFile)), name: "ali"),
            references: FakeReferences())
        #expect(try await rrsa.getSecret(ExternalSecretDataRemoteRef(key: "app-3")) == Data("v3".utf8))
        #expect(try await rrsa.getSecret(ExternalSecretDataRemoteRef(key: "app-4")) == Data("v4".utf8))
        #expect(try await fake.control("stats")["AssumeRoleWithOIDC"] as? Int == 1)
        await rrsa.close()
        // A token STS does not accept fails the client, naming the role, not the token.
        try Data("forged".utf8).write(to: URL(fileURLWithPath: tokenFile))
        await #expect {
            _ = try await AlibabaSecretsProvider(endpoints: AlibabaEndpoints(kms: fake.endpoint, sts: fake.endpoint))
                .makeClient(
                    for: StoreContext.fixture(
                        SecretStoreProvider(alibaba: Self.rrsaStore(tokenFile: tokenFile)), name: "ali"),
                    references: FakeReferences())
        } throws: { error in
            guard let error = error as? ProviderError else { return false }
            return error.message.contains(Self.role.arn)
                && error.message.contains("AuthenticationFail.OIDCToken.Invalid")
                && !error.message.contains("forged")
        }
    }

    @Test func everyFeatureThroughTheOperator() async throws {
        let plane = try currentPlane()
        try await withAdminClient { client in
            try await installCRDs(client)
            let namespace = try await makeNamespace(client, prefix: "alibaba")
            let fake = try await AlibabaFakeServer.start(accessKeys: [Self.admin, Self.reader], roles: [Self.role])
            defer { Task { await fake.stop() } }
            let tokenFile = "\(fake.directory)/rrsa-token"
            try Data("oidc-\(canary)".utf8).write(to: URL(fileURLWithPath: tokenFile))
            let seed = try await Self.client(fake, Self.admin)
            try await seed.pushSecret(
                .value(Data(#"{"user":"app","password":"\#(canary)"}"#.utf8)), to: PushTarget(remoteKey: "db-creds"))
            try await seed.pushSecret(.value(Data("one".utf8)), to: PushTarget(remoteKey: "app-one"))
            try await seed.pushSecret(.value(Data("two".utf8)), to: PushTarget(remoteKey: "app-two"))
            await seed.close()

            let secrets = client.api(Secret.self, namespace: namespace)
            for (name, key) in [("ali-admin", Self.admin), ("ali-reader", Self.reader)] {
                _ = try await secrets.create(
                    Secret(
                        metadata: ObjectMeta(name: name),
                        data: ["access-key-id": Data(key.id.utf8), "access-key-secret": Data(key.secret.utf8)]))
            }
            _ = try await secrets.create(
                Secret(metadata: ObjectMeta(name: "source"), data: ["token": Data("pushed-\(canary)".utf8)]))
            let stores: [(String, AlibabaProvider)] = [
                ("ali", Self.accessKeyStore(secretName: "ali-admin")),
                ("ali-reader", Self.accessKeyStore(secretName: "ali-reader")),
                ("ali-rrsa", Self.rrsaStore(tokenFile: tokenFile)),
            ]
            for (name, provider) in stores {
                _ = try await client.api(SecretStore.self, namespace: namespace).create(
                    SecretStore(
                        metadata: ObjectMeta(name: name),
                        spec: SecretStoreSpec(provider: SecretStoreProvider(alibaba: provider))))
            }
            func externalSecret(
                _ name: String, store: String = "ali", data: [ExternalSecretData]? = nil,
                dataFrom: [ExternalSecretDataFromRemoteRef]? = nil
            ) -> ExternalSecret {
                ExternalSecret(
                    metadata: ObjectMeta(name: name),
                    spec: ExternalSecretSpec(
                        secretStoreRef: SecretStoreRef(name: store, kind: .secretStore), refreshInterval: "1h",
                        data: data, dataFrom: dataFrom))
            }
            let one = [ExternalSecretData(secretKey: "one", remoteRef: ExternalSecretDataRemoteRef(key: "app-one"))]
            let externalSecrets = client.api(ExternalSecret.self, namespace: namespace)
            for object in [
                externalSecret(
                    "data",
                    data: [
                        ExternalSecretData(
                            secretKey: "password",
                            remoteRef: ExternalSecretDataRemoteRef(key: "db-creds", property: "password"))
                    ] + one),
                externalSecret(
                    "extract",
                    dataFrom: [ExternalSecretDataFromRemoteRef(extract: ExternalSecretDataRemoteRef(key: "db-creds"))]),
                externalSecret(
                    "find",
                    dataFrom: [
                        ExternalSecretDataFromRemoteRef(find: ExternalSecretFind(name: FindName(regexp: "^app-")))
                    ]),
                externalSecret("rrsa", store: "ali-rrsa", data: one),
                // The reader lacks kms:ListSecrets.
                externalSecret(
                    "denied", store: "ali-reader",
                    dataFrom: [ExternalSecretDataFromRemoteRef(find: ExternalSecretFind(name: FindName(regexp: ".*")))]),
                externalSecret(
                    "missing",
                    data: [ExternalSecretData(secretKey: "x", remoteRef: ExternalSecretDataRemoteRef(key: "nope"))]),
            ] {
                _ = try await externalSecrets.create(object)
            }

            try await runOperator(
                plane, name: "alibaba", arguments: ["--namespace", namespace],
                environment: [AlibabaEndpoints.kmsVariable: fake.endpoint, AlibabaEndpoints.stsVariable: fake.endpoint]
            ) { process in
                for name in ["data", "extract", "find", "rrsa"] {
                    #expect(try await waitForReady(client, namespace, name), "\(name): \(process.log.suffix(3000))")
                }
                #expect(
                    try await secrets.get("data").data == ["password": Data(canary.utf8), "one": Data("one".utf8)])
                #expect(
                    try await secrets.get("extract").data == ["user": Data("app".utf8), "password": Data(canary.utf8)])
                #expect(
                    try await secrets.get("find").data == ["app-one": Data("one".utf8), "app-two": Data("two".utf8)])
                #expect(try await secrets.get("rrsa").data == ["one": Data("one".utf8)])

                for (name, words) in [("denied", "missing permission kms:ListSecrets"), ("missing", "nope")] {
                    #expect(
                        try await waitForReady(
                            client, namespace, name, status: "False", reason: ESOReason.secretSyncedError),
                        "\(name): \(process.log.suffix(2000))")
                    let message = try await readyCondition(client, namespace, name)?.message ?? ""
                    #expect(message.contains(words), "\(name): \(message)")
                }

                // PushSecret: created tagged, then deleted with the PushSecret.
                let pushSecrets = client.api(PushSecret.self, namespace: namespace)
                _ = try await pushSecrets.create(
                    PushSecret(
                        metadata: ObjectMeta(name: "push"),
                        spec: PushSecretSpec(
                            secretStoreRefs: [PushSecretStoreRef(name: "ali", kind: .secretStore)],
                            deletionPolicy: .delete,
                            selector: PushSecretSelector(secret: PushSecretSecretSelector(name: "source")),
                            data: [
                                PushSecretData(
                                    match: PushSecretMatch(
                                        secretKey: "token", remoteRef: PushSecretRemoteRef(remoteKey: "pushed")))
                            ])))
                #expect(try await waitForPushReady(client, namespace, "push"), "\(process.log.suffix(3000))")
                let pushed = try await fake.control("secrets/pushed")
                #expect(pushed["current"] as? String == "pushed-\(canary)")
                #expect(pushed["tags"] as? [String: String] == ["managed-by": "external-secrets"])
                try await pushSecrets.delete("push")
                #expect(
                    try await eventually(timeout: .seconds(30)) {
                        (try? await fake.control("secrets/pushed"))?["exists"] as? Bool == false
                    }, "the pushed secret was not deleted: \(process.log.suffix(2000))")

                // Throttling: the fake answers Throttling.User twice; a forced refresh still syncs.
                let before = try await externalSecrets.get("extract").status?.syncedResourceVersion
                _ = try await fake.control("throttle", body: ["count": 2, "status": 400, "code": "Throttling.User"])
                try await update(externalSecrets, "extract") { $0.metadata.annotations = ["force-sync": "1"] }
                #expect(
                    try await eventually(timeout: .seconds(30)) {
                        let status = try await externalSecrets.get("extract").status
                        return status?.syncedResourceVersion != before
                            && status?.conditions?.condition(ofType: "Ready")?.status == "True"
                    }, "\(process.log.suffix(2000))")
                #expect(
                    try await fake.control("throttle")["count"] as? Int == 0, "the throttled answers were not all sent")

                let metrics = try await scrapeMetrics(process)
                #expect(
                    metrics.contains(
                        #"externalsecret_provider_api_calls_count{provider="Alibaba/KMS",call="GetSecretValue",status="success"}"#
                    ), "\(metrics.split(separator: "\n").filter { $0.contains("Alibaba") })")
                #expect(!process.log.contains(canary), "the operator log contains a secret value")
                #expect(try await eventTexts(client, namespace).allSatisfy { !$0.contains(canary) })
                let mismatches = try await renderMismatches(
                    plane, client, namespace: namespace, environment: [AlibabaEndpoints.kmsVariable: fake.endpoint, AlibabaEndpoints.stsVariable: fake.endpoint])
                #expect(mismatches.isEmpty, "render --live differs from the controller: \(mismatches)")
            }
        }
    }

    /// KES's `alicloudSecretsManager` backend served by the operator (`--enable-kes`), configured
    /// by KES's variables: the region of `ALICLOUD_ENDPOINT`, the operator's AccessKey.
    @Test func kesAlicloudBackendReadsWithTheOperatorsAccessKey() async throws {
        let plane = try currentPlane()
        try await withAdminClient { client in
            try await installCRDs(client)
            try await installKESCRD(client)
            let namespace = try await makeNamespace(client, prefix: "kes-alibaba")
            let fake = try await AlibabaFakeServer.start(accessKeys: [Self.admin])
            defer { Task { await fake.stop() } }
            let seed = try await Self.client(fake, Self.admin)
            try await seed.pushSecret(
                .value(Data(#"{"user":"app","password":"\#(canary)"}"#.utf8)), to: PushTarget(remoteKey: "db-creds"))
            try await seed.pushSecret(.value(Data("two".utf8)), to: PushTarget(remoteKey: "db-creds", property: "user"))
            await seed.close()
            let environment = [
                "ALICLOUD_ENDPOINT": "https://kms.cn-hangzhou.aliyuncs.com", "ALICLOUD_ACCESS_KEY_ID": Self.admin.id,
                "ALICLOUD_ACCESS_KEY_SECRET": Self.admin.secret, AlibabaEndpoints.kmsVariable: fake.endpoint,
                "POLLER_INTERVAL_MILLISECONDS": "2000",
            ]
            try await runOperator(
                plane, name: namespace, arguments: ["--namespace", namespace, "--enable-kes"],
                environment: environment, identity: .chartServiceAccountWithKES
            ) { process in
                let objects = client.api(KESExternalSecret.self, namespace: namespace)
                _ = try await objects.create(
                    KESExternalSecret(
                        metadata: ObjectMeta(name: "db"),
                        spec: KESExternalSecretSpec(
                            backendType: .alicloudSecretsManager,
                            data: [
                                KESDataEntry(key: "db-creds", name: "password", property: "password"),
                                KESDataEntry(
                                    key: "db-creds", name: "old-user", property: "user", versionStage: "ACSPrevious"),
                            ])))
                var status: String?
                let synced = try await eventually(timeout: .seconds(60)) {
                    status = try await objects.get("db").status?.status
                    return status == KESRefresh.success
                }
                #expect(synced, "\(status ?? "no status"): \(process.log.suffix(3000))")
                #expect(
                    try await client.api(Secret.self, namespace: namespace).get("db").data
                        == ["password": Data(canary.utf8), "old-user": Data("app".utf8)])
                #expect(!process.log.contains(canary), "the operator log contains a secret value")
            }
        }
    }
}
