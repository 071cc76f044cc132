import AWSSigV4
import AWSTestSupport
import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import HTTPSupport
import KubeClient
import KubeModel
import KubeTestSupport
import OperatorTestSupport
import ProviderKit
import Testing

/// The operator as a process on the real control plane, pointed at moto (signature checking on)
/// with ESO's endpoint variables; every AWS feature through ExternalSecrets.
@Suite(
    .enabled(if: MotoServer.isAvailable, "moto is not installed (scripts/install-deps.sh aws)"), .controlPlane, .moto,
    .serialized)
struct AWSOperatorTests {
    struct Setup {
        var client: KubeClient
        var namespace: String
        var process: TestProcess
        var moto: MotoServer
        var fixture: MotoProviderTests.Fixture
    }

    /// The operator (AWS endpoints and its own credentials from the environment) for a namespace
    /// with the stores above. When `body` is done, every Ready ExternalSecret it left must render
    /// offline (`render --live`, reading moto) to the Secret the controller wrote, except those in
    /// `renderSkipping`.
    func withOperator(
        _ prefix: String, renderSkipping: Set<String> = [], _ body: (Setup) async throws -> Void
    ) async throws {
        let plane = try currentPlane()
        let fixture = try await MotoProviderTests.setUp()
        try await withAdminClient { client in
            try await installCRDs(client)
            let namespace = try await makeNamespace(client, prefix: prefix)
            var wrong = fixture.reader
            wrong.secretAccessKey = "wrong-secret-key"
            for (name, key) in [("aws", fixture.reader), ("aws-wrong", wrong)] {
                _ = try await client.api(Secret.self, namespace: namespace).create(
                    Secret(
                        metadata: ObjectMeta(name: name),
                        data: ["id": Data(key.accessKeyID.utf8), "secret": Data(key.secretAccessKey.utf8)]))
            }
            let stores: [(String, AWSProvider)] = [
                ("sm", AWSProvider(service: .secretsManager, region: MotoServer.region, auth: Self.auth("aws"))),
                ("ssm", AWSProvider(service: .parameterStore, region: MotoServer.region, auth: Self.auth("aws"))),
                (
                    "sm-role",
                    AWSProvider(
                        service: .secretsManager, region: MotoServer.region, auth: Self.auth("aws"),
                        role: fixture.roleARN)
                ),
                (
                    "wrong",
                    AWSProvider(service: .secretsManager, region: MotoServer.region, auth: Self.auth("aws-wrong"))
                ),
                // The operator's own credentials (its environment, below).
                ("default", AWSProvider(service: .parameterStore, region: MotoServer.region)),
            ]
            for (name, aws) in stores {
                _ = try await client.api(SecretStore.self, namespace: namespace).create(
                    SecretStore(
                        metadata: ObjectMeta(name: name), spec: SecretStoreSpec(provider: SecretStoreProvider(aws: aws))
                    ))
            }
            let environment = motoEnvironment(
                fixture.moto,
                extra: [
                    "AWS_ACCESS_KEY_ID": fixture.reader.accessKeyID,
                    "AWS_SECRET_ACCESS_KEY": fixture.reader.secretAccessKey,
                ])
            try await runOperator(plane, name: prefix, arguments: ["--namespace", namespace], environment: environment) {
                process in
                try await body(
                    Setup(client: client, namespace: namespace, process: process, moto: fixture.moto, fixture: fixture))
                let mismatches = try await renderMismatches(
                    plane, client, namespace: namespace, environment: environment, skipping: renderSkipping)
                #expect(mismatches.isEmpty, "render --live differs from the controller: \(mismatches)")
            }
        }
    }

    static func auth(_ secret: String) -> AWSAuth {
        AWSAuth(
            secretRef: AWSAuthSecretRef(
                accessKeyIDSecretRef: SecretKeySelector(name: secret, key: "id"),
                secretAccessKeySecretRef: SecretKeySelector(name: secret, key: "secret")))
    }

    static func externalSecret(
        _ name: String, store: String, data: [ExternalSecretData]? = nil,
        dataFrom: [ExternalSecretDataFromRemoteRef]? = nil
    ) -> ExternalSecret {
        ExternalSecret(
            metadata: ObjectMeta(name: name),
            spec: ExternalSecretSpec(
                secretStoreRef: SecretStoreRef(name: store, kind: .secretStore), refreshInterval: "1h", data: data,
                dataFrom: dataFrom))
    }

    static func entry(
        _ key: String, _ remote: String, property: String? = nil, version: String? = nil,
        metadata: MetadataPolicy? = nil
    ) -> ExternalSecretData {
        ExternalSecretData(
            secretKey: key,
            remoteRef: ExternalSecretDataRemoteRef(
                key: remote, property: property, version: version, metadataPolicy: metadata))
    }

    @Test func everyFeatureThroughExternalSecrets() async throws {
        try await withOperator("aws") { setup in
            let (client, namespace) = (setup.client, setup.namespace)
            let externalSecrets = client.api(ExternalSecret.self, namespace: namespace)
            let first = setup.fixture.secretVersions[0]
            let objects = [
                Self.externalSecret(
                    "sm-data", store: "sm",
                    data: [
                        Self.entry("password", "db/creds", property: "password"),
                        Self.entry("previous", "db/creds", property: "password", version: "AWSPREVIOUS"),
                        Self.entry("by-id", "db/creds", property: "password", version: "uuid/\(first)"),
                        Self.entry("dotted", "db/creds", property: #"nested.a\.b"#, version: "AWSPREVIOUS"),
                        Self.entry("binary", "bin/key"),
                        Self.entry("team", "db/creds", property: "team", metadata: .fetch),
                    ]),
                Self.externalSecret(
                    "sm-extract", store: "sm",
                    dataFrom: [ExternalSecretDataFromRemoteRef(extract: ExternalSecretDataRemoteRef(key: "db/creds"))]),
                Self.externalSecret(
                    "sm-find", store: "sm",
                    dataFrom: [
                        ExternalSecretDataFromRemoteRef(find: ExternalSecretFind(name: FindName(regexp: "^app/t"))),
                        ExternalSecretDataFromRemoteRef(find: ExternalSecretFind(tags: ["group": "g"])),
                    ]),
                Self.externalSecret(
                    "ssm", store: "ssm",
                    data: [
                        Self.entry("current", "/app/db/password"),
                        Self.entry("v1", "/app/db/password", version: "1"),
                        Self.entry("label", "/app/db/password", version: "old"),
                        Self.entry("deep", "/json", property: "k.v"),
                        Self.entry("owner", "/tagged/a", property: "team", metadata: .fetch),
                    ],
                    dataFrom: [
                        ExternalSecretDataFromRemoteRef(find: ExternalSecretFind(path: "/app/db")),
                        ExternalSecretDataFromRemoteRef(find: ExternalSecretFind(tags: ["team": "b"])),
                    ]),
                Self.externalSecret("role", store: "sm-role", data: [Self.entry("one", "app/one")]),
                Self.externalSecret("refused", store: "wrong", data: [Self.entry("one", "app/one")]),
                Self.externalSecret("default", store: "default", data: [Self.entry("user", "/app/db/user")]),
                Self.externalSecret("missing", store: "sm", data: [Self.entry("gone", "no/such/secret")]),
                ExternalSecret(
                    metadata: ObjectMeta(name: "cluster"),
                    spec: ExternalSecretSpec(
                        secretStoreRef: SecretStoreRef(name: "aws-\(namespace)", kind: .clusterSecretStore),
                        refreshInterval: "1h", data: [Self.entry("two", "app/two")])),
            ]
            // A ClusterSecretStore whose key Secret is read from the ExternalSecret's namespace.
            _ = try await client.api(ClusterSecretStore.self).create(
                ClusterSecretStore(
                    metadata: ObjectMeta(name: "aws-\(namespace)"),
                    spec: SecretStoreSpec(
                        provider: SecretStoreProvider(
                            aws: AWSProvider(
                                service: .secretsManager, region: MotoServer.region, auth: Self.auth("aws"))))))
            for object in objects { _ = try await externalSecrets.create(object) }
            for name in ["sm-data", "sm-extract", "sm-find", "ssm", "role", "default", "cluster"] {
                #expect(try await waitForReady(client, namespace, name), "\(name): \(setup.process.log.suffix(3000))")
            }
            let secrets = client.api(Secret.self, namespace: namespace)
            let smData = try await secrets.get("sm-data").data ?? [:]
            #expect(smData["password"] == Data("rotated-\(canary)".utf8))
            #expect(smData["previous"] == Data(canary.utf8))
            #expect(smData["by-id"] == Data(canary.utf8))
            #expect(smData["dotted"] == Data("dot".utf8))
            #expect(smData["binary"] == Data([0, 1, 2, 250, 255]))
            #expect(smData["team"] == Data("a".utf8))
            #expect(
                try await secrets.get("sm-extract").data == [
                    "user": Data("app".utf8), "password": Data("rotated-\(canary)".utf8),
                ])
            #expect(
                try await secrets.get("sm-find").data
                    == ["app_two": Data("2".utf8), "app_three": Data("3".utf8), "app_one": Data("1".utf8)])
            let ssm = try await secrets.get("ssm").data ?? [:]
            #expect(ssm["current"] == Data("v2-\(canary)".utf8))
            #expect(ssm["v1"] == Data(canary.utf8))
            #expect(ssm["label"] == Data(canary.utf8))
            #expect(ssm["deep"] == Data("deep".utf8))
            #expect(ssm["owner"] == Data("a".utf8))
            #expect(ssm["_app_db_user"] == Data("app".utf8))
            #expect(ssm["_app_db_password"] == Data("v2-\(canary)".utf8))
            #expect(ssm["_tagged_b"] == Data("tb".utf8))
            #expect(try await secrets.get("role").data == ["one": Data("1".utf8)])
            #expect(try await secrets.get("default").data == ["user": Data("app".utf8)])
            #expect(try await secrets.get("cluster").data == ["two": Data("2".utf8)])

            // A key that does not exist: with deletionPolicy Retain an error naming the key.
            #expect(
                try await waitForReady(
                    client, namespace, "missing", status: "False", reason: ESOReason.secretSyncedError))
            let missing = try await readyCondition(client, namespace, "missing")?.message ?? ""
            #expect(missing.contains("no/such/secret") && missing.contains("not found"), "message: \(missing)")

            // Wrong credentials: a clear condition, and nothing written.
            #expect(
                try await waitForReady(
                    client, namespace, "refused", status: "False", reason: ESOReason.secretSyncedError))
            let message = try await readyCondition(client, namespace, "refused")?.message ?? ""
            #expect(message.contains("AWS refused the store's credentials"), "message: \(message)")
            #expect(try await secrets.getIfExists("refused") == nil)

            // The store with a key reports Ready with ESO's words.
            let store = try await client.api(SecretStore.self, namespace: namespace).get("sm")
            #expect(store.status?.conditions?.condition(ofType: "Ready")?.reason == "Valid")
            #expect(store.status?.capabilities == "ReadWrite")

            // ESO's API call metric, by provider, call and status.
            let metrics = try await scrapeMetrics(setup.process)
            for line in [
                #"externalsecret_provider_api_calls_count{provider="AWS/SecretsManager",call="GetSecretValue",status="success"}"#,
                #"externalsecret_provider_api_calls_count{provider="AWS/ParameterStore",call="GetParameter",status="success"}"#,
                #"externalsecret_provider_api_calls_count{provider="AWS/STS",call="AssumeRole",status="success"}"#,
                #"externalsecret_provider_api_calls_count{provider="AWS/SecretsManager",call="GetSecretValue",status="error"}"#,
            ] {
                #expect(metrics.contains(line), "\(line) missing")
            }

            // A value never leaves the data path.
            #expect(!setup.process.log.contains(canary), "the operator log contains a secret value")
            #expect(try await eventTexts(client, namespace).allSatisfy { !$0.contains(canary) })
            for object in try await externalSecrets.list().items {
                let status = String(decoding: try JSONEncoder().encode(object.status), as: UTF8.self)
                #expect(!status.contains(canary))
                #expect(!status.contains(setup.fixture.reader.secretAccessKey))
            }
            #expect(
                !setup.process.log.contains(setup.fixture.reader.secretAccessKey),
                "the operator log contains the secret key")
        }
    }

    /// IRSA through the operator, against a second moto with signature checking off (moto's
    /// AssumeRoleWithWebIdentity works only then): the operator's web identity token file, and a
    /// store's `auth.jwt` with a ServiceAccount annotated with its role (token from TokenRequest).
    @Test func webIdentityThroughTheOperator() async throws {
        let plane = try currentPlane()
        let moto = try await MotoServer.start(name: "moto-irsa")
        do {
            _ = try await moto.createSecret("irsa/value", string: canary)
            let tokenFile = "\(moto.directory)/token"
            try "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJvcGVyYXRvciJ9.c2ln".write(
                toFile: tokenFile, atomically: true, encoding: .utf8)
            try await withAdminClient { client in
                try await installCRDs(client)
                let namespace = try await makeNamespace(client, prefix: "irsa")
                _ = try await client.api(ServiceAccount.self, namespace: namespace).create(
                    ServiceAccount(
                        metadata: ObjectMeta(
                            name: "eso",
                            annotations: ["eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/jwt"])))
                let stores: [(String, AWSProvider)] = [
                    ("operator", AWSProvider(service: .secretsManager, region: MotoServer.region)),
                    (
                        "jwt",
                        AWSProvider(
                            service: .secretsManager, region: MotoServer.region,
                            auth: AWSAuth(jwt: AWSJWTAuth(serviceAccountRef: ServiceAccountSelector(name: "eso"))))
                    ),
                ]
                for (name, aws) in stores {
                    _ = try await client.api(SecretStore.self, namespace: namespace).create(
                        SecretStore(
                            metadata: ObjectMeta(name: name),
                            spec: SecretStoreSpec(provider: SecretStoreProvider(aws: aws))))
                }
                // Record from before the operator starts: the stores' validation already assumes the
                // roles, and the clients (with their credentials) are reused by the reads.
                try await moto.startRecording()
                try await runOperator(
                    plane, name: "irsa", arguments: ["--namespace", namespace],
                    environment: motoEnvironment(
                        moto,
                        extra: [
                            "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile,
                            "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/operator",
                        ])) { process in
                    let externalSecrets = client.api(ExternalSecret.self, namespace: namespace)
                    for name in ["operator", "jwt"] {
                        _ = try await externalSecrets.create(
                            Self.externalSecret(name, store: name, data: [Self.entry("v", "irsa/value")]))
                    }
                    for name in ["operator", "jwt"] {
                        #expect(try await waitForReady(client, namespace, name), "\(name): \(process.log.suffix(3000))")
                        #expect(
                            try await client.api(Secret.self, namespace: namespace).get(name).data == [
                                "v": Data(canary.utf8)
                            ])
                    }
                    try await moto.stopRecording()
                    #expect(moto.recordedOperations().filter { $0 == "AssumeRoleWithWebIdentity" }.count >= 2)
                    #expect(!process.log.contains(canary))
                }
            }
            await moto.stop()
        } catch {
            await moto.stop()
            throw error
        }
    }

    /// Two ExternalSecrets reading the same key in one refresh window cost one GetSecretValue.
    @Test func twoExternalSecretsReadingOneKeyCostOneCall() async throws {
        try await withOperator("dedup") { setup in
            let (client, namespace) = (setup.client, setup.namespace)
            // Let the operator settle (store validation) before counting.
            #expect(
                try await eventually {
                    try await client.api(SecretStore.self, namespace: namespace).get("sm").status?.conditions?
                        .condition(ofType: "Ready")?.status == "True"
                })
            try await setup.moto.startRecording()
            let externalSecrets = client.api(ExternalSecret.self, namespace: namespace)
            for name in ["first", "second"] {
                _ = try await externalSecrets.create(
                    Self.externalSecret(name, store: "sm", data: [Self.entry("v", "app/two")]))
            }
            for name in ["first", "second"] {
                #expect(try await waitForReady(client, namespace, name), "\(name): \(setup.process.log.suffix(2000))")
            }
            try await setup.moto.stopRecording()
            let calls = setup.moto.recordedOperations().filter { $0 == "secretsmanager.GetSecretValue" }.count
            #expect(calls == 1, "the provider-call cache shares one GetSecretValue between the two")
        }
    }
}
