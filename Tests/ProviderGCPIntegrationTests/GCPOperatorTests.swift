import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import HTTPSupport
import KubeClient
import KubeModel
import KubeTestSupport
import OperatorTestSupport
import ProviderGCP
import ProviderKit
import ProviderTestSupport
import Testing
import _CryptoExtras

/// A value that must never show up in a log, an Event or a status.
let canary = "CANARY-gcp-op-91d4"

/// The `gcpsm` provider against the fake of Secret Manager (scripts/gcp-secret-manager-fake.py,
/// pinned by GCPFakePinTests): first the provider's client alone, then the operator as a process
/// on the real control plane (ExternalSecrets with data, extract and find; PushSecret; a denied
/// permission; throttling).
@Suite(
    .enabled(if: GCPFakeServer.isAvailable, "scripts/install-deps.sh gcp installs the Python packages"), .controlPlane,
    .serialized)
struct GCPOperatorTests {
    static let project = "eso-project"
    static let admin = GCPFakeServer.Account(
        email: "admin@eso-project.iam.gserviceaccount.com", key: try! _RSA.Signing.PrivateKey(keySize: .bits2048),
        permissions: ["*"])
    static let reader = GCPFakeServer.Account(
        email: "reader@eso-project.iam.gserviceaccount.com", key: try! _RSA.Signing.PrivateKey(keySize: .bits2048),
        permissions: ["secretmanager.versions.access", "secretmanager.versions.list", "secretmanager.secrets.get"])

    static let keyAuth = GCPSMAuth(
        secretRef: GCPSMAuthSecretRef(secretAccessKeySecretRef: SecretKeySelector(name: "gcp-admin", key: "key.json")))

    /// A store client of the provider on its own, against `fake`.
    static func client(_ fake: GCPFakeServer, account: GCPFakeServer.Account, location: String? = nil) async throws
        -> any SecretsClient
    {
        let provider = GCPSecretsProvider(endpoint: fake.endpoint)
        let store = StoreContext.fixture(
            SecretStoreProvider(gcpsm: GCPSMProvider(auth: keyAuth, projectID: project, location: location)),
            name: "gcp")
        return try await provider.makeClient(
            for: store,
            references: FakeReferences(secrets: ["gcp-admin/key.json": fake.keyFile(account, project: project)]))
    }

    @Test func theProviderReadsFindsAndPushesAgainstTheFake() async throws {
        let fake = try await GCPFakeServer.start(accounts: [Self.admin, Self.reader])
        defer { Task { await fake.stop() } }
        let client = try await Self.client(fake, account: Self.admin)
        defer { Task { await client.close() } }

        try await client.pushSecret(
            .value(Data(#"{"user":"app","password":"\#(canary)"}"#.utf8)), to: PushTarget(remoteKey: "db-creds"))
        try await client.pushSecret(.value(Data("one".utf8)), to: PushTarget(remoteKey: "app-one"))
        try await client.pushSecret(.value(Data("two".utf8)), to: PushTarget(remoteKey: "app-two"))
        try await client.pushSecret(.value(Data("pw".utf8)), to: PushTarget(remoteKey: "db-creds", property: "extra"))
        #expect(
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "db-creds", property: "password"))
                == Data(canary.utf8))
        #expect(
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "db-creds", property: "extra"))
                == Data("pw".utf8))
        #expect(try await client.getSecret(ExternalSecretDataRemoteRef(key: "db-creds", version: "1")).count > 0)
        #expect(
            try await client.getSecret(
                ExternalSecretDataRemoteRef(key: "db-creds", property: "labels.managed-by", metadataPolicy: .fetch))
                == Data("external-secrets".utf8))
        let found = try await client.getAllSecrets(ExternalSecretFind(name: FindName(regexp: "^app-")))
        #expect(found == ["app-one": Data("one".utf8), "app-two": Data("two".utf8)])
        let tagged = try await client.getAllSecrets(ExternalSecretFind(tags: ["managed-by": "external-secrets"]))
        #expect(Set(tagged.keys) == ["app-one", "app-two", "db-creds"])
        #expect(try await client.secretExists(PushTarget(remoteKey: "app-one")))
        try await client.deleteSecret(PushTarget(remoteKey: "app-one"))
        #expect(try await !client.secretExists(PushTarget(remoteKey: "app-one")))
        await #expect {
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "app-one"))
        } throws: { error in
            (error as? ProviderError)?.isNotFound == true
        }

        // Regional secrets live apart from global ones.
        let regional = try await Self.client(fake, account: Self.admin, location: "europe-west1")
        try await regional.pushSecret(.value(Data("r".utf8)), to: PushTarget(remoteKey: "zonal"))
        #expect(try await regional.getSecret(ExternalSecretDataRemoteRef(key: "zonal")) == Data("r".utf8))
        await #expect(throws: ProviderError.self) {
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "zonal"))
        }
        await regional.close()

        // The reader may read, not write: the error names the permission.
        let reader = try await Self.client(fake, account: Self.reader)
        #expect(try await reader.getSecret(ExternalSecretDataRemoteRef(key: "app-two")) == Data("two".utf8))
        await #expect {
            try await reader.pushSecret(.value(Data("x".utf8)), to: PushTarget(remoteKey: "app-two"))
        } throws: { error in
            guard let error = error as? ProviderError else { return false }
            return error.code == .accessDenied && error.message.contains("secretmanager.versions.add")
        }
        await reader.close()
    }

    @Test func everyFeatureThroughTheOperator() async throws {
        let plane = try currentPlane()
        let fake = try await GCPFakeServer.start(accounts: [Self.admin, Self.reader])
        defer { Task { await fake.stop() } }
        let seed = try await Self.client(fake, account: Self.admin)
        try await seed.pushSecret(
            .value(Data(#"{"user":"app","password":"\#(canary)"}"#.utf8)), to: PushTarget(remoteKey: "db-creds"))
        try await seed.pushSecret(.value(Data("one".utf8)), to: PushTarget(remoteKey: "app-one"))
        try await seed.pushSecret(.value(Data("two".utf8)), to: PushTarget(remoteKey: "app-two"))
        await seed.close()

        try await withAdminClient { client in
            try await installCRDs(client)
            let namespace = try await makeNamespace(client, prefix: "gcp")
            let secrets = client.api(Secret.self, namespace: namespace)
            for (name, account) in [("gcp-admin", Self.admin), ("gcp-reader", Self.reader)] {
                _ = try await secrets.create(
                    Secret(
                        metadata: ObjectMeta(name: name),
                        data: ["key.json": Data(fake.keyFile(account, project: Self.project).utf8)]))
            }
            _ = try await secrets.create(
                Secret(metadata: ObjectMeta(name: "source"), data: ["token": Data("pushed-\(canary)".utf8)]))
            let readerAuth = GCPSMAuth(
                secretRef: GCPSMAuthSecretRef(
                    secretAccessKeySecretRef: SecretKeySelector(name: "gcp-reader", key: "key.json")))
            for (name, auth) in [("gcp", Self.keyAuth), ("gcp-reader", readerAuth)] {
                _ = try await client.api(SecretStore.self, namespace: namespace).create(
                    SecretStore(
                        metadata: ObjectMeta(name: name),
                        spec: SecretStoreSpec(
                            provider: SecretStoreProvider(gcpsm: GCPSMProvider(auth: auth, projectID: Self.project)))))
            }
            func externalSecret(
                _ name: String, store: String = "gcp", data: [ExternalSecretData]? = nil,
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
                            remoteRef: ExternalSecretDataRemoteRef(key: "db-creds", property: "password")),
                        ExternalSecretData(
                            secretKey: "one", remoteRef: ExternalSecretDataRemoteRef(key: "app-one", version: "1")),
                    ]),
                externalSecret(
                    "extract",
                    dataFrom: [ExternalSecretDataFromRemoteRef(extract: ExternalSecretDataRemoteRef(key: "db-creds"))]),
                externalSecret(
                    "find",
                    dataFrom: [
                        ExternalSecretDataFromRemoteRef(find: ExternalSecretFind(name: FindName(regexp: "^app-")))
                    ]),
                // The reader lacks secretmanager.secrets.list.
                externalSecret(
                    "denied", store: "gcp-reader",
                    dataFrom: [ExternalSecretDataFromRemoteRef(find: ExternalSecretFind(name: FindName(regexp: ".*")))]),
                externalSecret(
                    "missing",
                    data: [ExternalSecretData(secretKey: "x", remoteRef: ExternalSecretDataRemoteRef(key: "nope"))]),
            ] {
                _ = try await externalSecrets.create(object)
            }

            try await runOperator(
                plane, name: "gcp", arguments: ["--namespace", namespace],
                environment: [GCPSecretsProvider.endpointVariable: fake.endpoint]
            ) { process in
                for name in ["data", "extract", "find"] {
                    #expect(try await waitForReady(client, namespace, name), "\(name): \(process.log.suffix(3000))")
                }
                #expect(
                    try await secrets.get("data").data == ["password": Data(canary.utf8), "one": Data("one".utf8)])
                #expect(
                    try await secrets.get("extract").data == ["user": Data("app".utf8), "password": Data(canary.utf8)])
                #expect(
                    try await secrets.get("find").data == ["app-one": Data("one".utf8), "app-two": Data("two".utf8)])

                for (name, words) in [("denied", "secretmanager.secrets.list"), ("missing", "nope")] {
                    #expect(
                        try await waitForReady(
                            client, namespace, name, status: "False", reason: ESOReason.secretSyncedError),
                        "\(name): \(process.log.suffix(2000))")
                    let message = try await readyCondition(client, namespace, name)?.message ?? ""
                    #expect(message.contains(words), "\(name): \(message)")
                }

                // PushSecret: created labelled, then deleted with the PushSecret.
                let pushSecrets = client.api(PushSecret.self, namespace: namespace)
                _ = try await pushSecrets.create(
                    PushSecret(
                        metadata: ObjectMeta(name: "push"),
                        spec: PushSecretSpec(
                            secretStoreRefs: [PushSecretStoreRef(name: "gcp", kind: .secretStore)],
                            deletionPolicy: .delete,
                            selector: PushSecretSelector(secret: PushSecretSecretSelector(name: "source")),
                            data: [
                                PushSecretData(
                                    match: PushSecretMatch(
                                        secretKey: "token", remoteRef: PushSecretRemoteRef(remoteKey: "pushed")))
                            ])))
                #expect(try await waitForPushReady(client, namespace, "push"), "\(process.log.suffix(3000))")
                let check = try await Self.client(fake, account: Self.admin)
                #expect(
                    try await check.getSecret(ExternalSecretDataRemoteRef(key: "pushed"))
                        == Data("pushed-\(canary)".utf8))
                try await pushSecrets.delete("push")
                #expect(
                    try await eventually(timeout: .seconds(30)) {
                        (try? await check.secretExists(PushTarget(remoteKey: "pushed"))) == false
                    }, "the pushed secret was not deleted: \(process.log.suffix(2000))")

                // Throttling: the fake answers 429 twice; a forced refresh still syncs.
                let before = try await externalSecrets.get("extract").status?.syncedResourceVersion
                #expect(try await HTTPThrottle.throttle(fake, count: 2))
                try await update(externalSecrets, "extract") { $0.metadata.annotations = ["force-sync": "1"] }
                #expect(
                    try await eventually(timeout: .seconds(30)) {
                        let status = try await externalSecrets.get("extract").status
                        return status?.syncedResourceVersion != before
                            && status?.conditions?.condition(ofType: "Ready")?.status == "True"
                    }, "\(process.log.suffix(2000))")
                #expect(try await HTTPThrottle.remaining(fake) == 0, "the throttled answers were not all sent")
                await check.close()

                let metrics = try await scrapeMetrics(process)
                #expect(
                    metrics.contains(
                        #"externalsecret_provider_api_calls_count{provider="GCP/SecretManager",call="AccessSecretVersion",status="success"}"#
                    ))
                // One token per store client, not per call.
                #expect(metricSum(metrics, "externalsecret_provider_api_calls_count", labels: ["call": "Token"]) <= 4)

                #expect(!process.log.contains(canary), "the operator log contains a secret value")
                #expect(try await eventTexts(client, namespace).allSatisfy { !$0.contains(canary) })
                let mismatches = try await renderMismatches(
                    plane, client, namespace: namespace, environment: [GCPSecretsProvider.endpointVariable: fake.endpoint])
                #expect(mismatches.isEmpty, "render --live differs from the controller: \(mismatches)")
            }
        }
    }
}

extension GCPOperatorTests {
    /// GKE Workload Identity through the operator: the ServiceAccounts' TokenRequest tokens (signed
    /// by the local control plane, whose public key the fake's STS trusts) exchanged for federated
    /// tokens, one impersonating the annotated Google service account, one used as it is.
    @Test func workloadIdentityThroughTheOperator() async throws {
        let plane = try currentPlane()
        try await withAdminClient { client in
            try await installCRDs(client)
            let namespace = try await makeNamespace(client, prefix: "gcp-wi")
            let impersonated = "wi-reader@eso-project.iam.gserviceaccount.com"
            let issuer = try String(contentsOfFile: "\(plane.directory)/sa.pub", encoding: .utf8)
            let fake = try await GCPFakeServer.start(
                accounts: [
                    Self.admin,
                    GCPFakeServer.Account(
                        email: impersonated, key: nil, permissions: ["secretmanager.versions.access"]),
                ],
                issuers: [issuer],
                identities: [
                    .init(subject: "system:serviceaccount:\(namespace):gcp-impersonating", impersonate: [impersonated]),
                    .init(
                        subject: "system:serviceaccount:\(namespace):gcp-direct",
                        permissions: ["secretmanager.versions.access"]),
                    .init(subject: "system:serviceaccount:\(namespace):gcp-nothing"),
                ])
            defer { Task { await fake.stop() } }
            let seed = try await Self.client(fake, account: Self.admin)
            try await seed.pushSecret(.value(Data("wi-\(canary)".utf8)), to: PushTarget(remoteKey: "wi-secret"))
            await seed.close()

            let accounts = client.api(ServiceAccount.self, namespace: namespace)
            _ = try await accounts.create(
                ServiceAccount(
                    metadata: ObjectMeta(
                        name: "gcp-impersonating", annotations: ["iam.gke.io/gcp-service-account": impersonated])))
            _ = try await accounts.create(ServiceAccount(metadata: ObjectMeta(name: "gcp-direct")))
            _ = try await accounts.create(ServiceAccount(metadata: ObjectMeta(name: "gcp-nothing")))
            for name in ["gcp-impersonating", "gcp-direct", "gcp-nothing"] {
                let identity = GCPWorkloadIdentity(
                    serviceAccountRef: ServiceAccountSelector(name: name), clusterLocation: "europe-west1",
                    clusterName: "test", clusterProjectID: Self.project)
                _ = try await client.api(SecretStore.self, namespace: namespace).create(
                    SecretStore(
                        metadata: ObjectMeta(name: name),
                        spec: SecretStoreSpec(
                            provider: SecretStoreProvider(
                                gcpsm: GCPSMProvider(
                                    auth: GCPSMAuth(workloadIdentity: identity), projectID: Self.project)))))
                _ = try await client.api(ExternalSecret.self, namespace: namespace).create(
                    ExternalSecret(
                        metadata: ObjectMeta(name: name),
                        spec: ExternalSecretSpec(
                            secretStoreRef: SecretStoreRef(name: name, kind: .secretStore), refreshInterval: "1h",
                            data: [
                                ExternalSecretData(
                                    secretKey: "value", remoteRef: ExternalSecretDataRemoteRef(key: "wi-secret"))
                            ])))
            }
            // Workload Identity Federation: the same ServiceAccount's token for a pool provider's
            // audience, impersonating gcpServiceAccountEmail.
            let federation = GCPWorkloadIdentityFederation(
                serviceAccountRef: ServiceAccountSelector(name: "gcp-impersonating", audiences: ["federation-aud"]),
                audience: "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/pool/providers/k8s",
                gcpServiceAccountEmail: impersonated)
            _ = try await client.api(SecretStore.self, namespace: namespace).create(
                SecretStore(
                    metadata: ObjectMeta(name: "gcp-federation"),
                    spec: SecretStoreSpec(
                        provider: SecretStoreProvider(
                            gcpsm: GCPSMProvider(
                                auth: GCPSMAuth(workloadIdentityFederation: federation), projectID: Self.project)))))
            _ = try await client.api(ExternalSecret.self, namespace: namespace).create(
                ExternalSecret(
                    metadata: ObjectMeta(name: "gcp-federation"),
                    spec: ExternalSecretSpec(
                        secretStoreRef: SecretStoreRef(name: "gcp-federation", kind: .secretStore),
                        refreshInterval: "1h",
                        data: [
                            ExternalSecretData(
                                secretKey: "value", remoteRef: ExternalSecretDataRemoteRef(key: "wi-secret"))
                        ])))
            try await runOperator(
                plane, name: "gcp-wi", arguments: ["--namespace", namespace],
                environment: [
                    GCPSecretsProvider.endpointVariable: fake.endpoint,
                    GCPSecretsProvider.stsEndpointVariable: fake.endpoint,
                    GCPSecretsProvider.iamCredentialsEndpointVariable: fake.endpoint,
                ]
            ) { process in
                let secrets = client.api(Secret.self, namespace: namespace)
                for name in ["gcp-impersonating", "gcp-direct", "gcp-federation"] {
                    #expect(try await waitForReady(client, namespace, name), "\(name): \(process.log.suffix(3000))")
                    #expect(try await secrets.get(name).data == ["value": Data("wi-\(canary)".utf8)])
                }
                // A principal without the permission: the read is refused, naming the permission.
                #expect(
                    try await waitForReady(
                        client, namespace, "gcp-nothing", status: "False", reason: ESOReason.secretSyncedError),
                    "\(process.log.suffix(2000))")
                let message = try await readyCondition(client, namespace, "gcp-nothing")?.message ?? ""
                #expect(message.contains("secretmanager.versions.access"), "message: \(message)")
                let metrics = try await scrapeMetrics(process)
                #expect(
                    metrics.contains(
                        #"externalsecret_provider_api_calls_count{provider="GCP/SecretManager",call="GenerateAccessToken",status="success"}"#
                    ))
                #expect(!process.log.contains(canary), "the operator log contains a secret value")
                let mismatches = try await renderMismatches(
                    plane, client, namespace: namespace, environment: [
                        GCPSecretsProvider.endpointVariable: fake.endpoint,
                        GCPSecretsProvider.stsEndpointVariable: fake.endpoint,
                        GCPSecretsProvider.iamCredentialsEndpointVariable: fake.endpoint,
                    ])
                #expect(mismatches.isEmpty, "render --live differs from the controller: \(mismatches)")
            }
        }
    }
}

/// The fake's throttle control (`POST /fake/throttle`).
enum HTTPThrottle {
    static func throttle(_ fake: GCPFakeServer, count: Int) async throws -> Bool {
        let transport = try AsyncHTTPClientTransport()
        defer { Task { try? await transport.shutdown() } }
        let response = try await transport.send(
            HTTPRequest(
                method: .POST, url: "\(fake.endpoint)/fake/throttle", body: Array(#"{"count": \#(count)}"#.utf8)),
            timeout: .seconds(10))
        return response.status == .ok
    }

    static func remaining(_ fake: GCPFakeServer) async throws -> Int {
        let transport = try AsyncHTTPClientTransport()
        defer { Task { try? await transport.shutdown() } }
        let response = try await transport.send(
            HTTPRequest(method: .GET, url: "\(fake.endpoint)/fake/throttle"), timeout: .seconds(10))
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        return object?["remaining"] as? Int ?? -1
    }
}
