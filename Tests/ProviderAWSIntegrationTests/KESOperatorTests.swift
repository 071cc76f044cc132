import AWSSigV4
import AWSTestSupport
import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import KubeClient
import KubeModel
import KubeTestSupport
import OperatorTestSupport
import ProcessTestSupport
import Testing

/// KES's `kubernetes-client.io/v1` ExternalSecret served by the operator (`--enable-kes`) on the
/// real control plane, against moto, configured by environment as KES was; then the same objects
/// migrated to ESO manifests produce the same Secrets.
@Suite(
    .enabled(if: MotoServer.isAvailable, "moto is not installed (scripts/install-deps.sh aws)"), .controlPlane, .moto,
    .serialized)
struct KESOperatorTests {
    static let pollMilliseconds = 1500

    static func kes(_ name: String, _ spec: KESExternalSecretSpec) -> KESExternalSecret {
        KESExternalSecret(metadata: ObjectMeta(name: name), spec: spec)
    }

    /// The KES object's `status.status`, once it has one that satisfies `matches`.
    static func waitForStatus(
        _ client: KubeClient, _ namespace: String, _ name: String, timeout: Duration = .seconds(60),
        _ matches: @escaping (String) -> Bool
    ) async throws -> String? {
        var last: String?
        _ = try await eventually(timeout: timeout) {
            last = try await client.api(KESExternalSecret.self, namespace: namespace).get(name).status?.status
            return last.map(matches) ?? false
        }
        return last
    }

    @Test func kesObjectsSyncGuardAndMigrate() async throws {
        let plane = try currentPlane()
        let fixture = try await MotoProviderTests.setUp()
        let moto = fixture.moto
        let value = "kes-\(canary)"
        // The seed's remote secret (created once per moto server; later runs set its value).
        if (try? await moto.json(
            "secretsmanager", "secretsmanager", "CreateSecret", ["Name": "prod/db-password", "SecretString": value],
            credentials: fixture.reader)) == nil
        {
            try await moto.json(
                "secretsmanager", "secretsmanager", "PutSecretValue", ["SecretId": "prod/db-password", "SecretString": value],
                credentials: fixture.reader)
        }

        try await withAdminClient { client in
            try await installCRDs(client)
            try await installKESCRD(client)
            let namespace = try await makeNamespace(client, prefix: "kes")
            // KES's tenant guards on the namespace: keys under prod/ or /app only, role "none" only.
            var ns = try await client.api(Namespace.self).get(namespace)
            ns.metadata.annotations = [
                KESNamespaceGuard.permittedKeyAnnotation: "^(prod/|/app)",
                KESNamespaceGuard.permittedRoleAnnotation: "^arn:aws:iam::\(MotoServer.accountID):role/none$",
            ]
            _ = try await client.api(Namespace.self).replace(ns)

            let objects = client.api(KESExternalSecret.self, namespace: namespace)
            let secrets = client.api(Secret.self, namespace: namespace)
            let environment = motoEnvironment(
                moto,
                extra: [
                    "AWS_ACCESS_KEY_ID": fixture.reader.accessKeyID,
                    "AWS_SECRET_ACCESS_KEY": fixture.reader.secretAccessKey,
                    "AWS_REGION": MotoServer.region,
                    "POLLER_INTERVAL_MILLISECONDS": "\(Self.pollMilliseconds)",
                ])
            try await runOperator(
                plane, name: "kes", arguments: [
                    "--namespace", namespace, "--enable-kes", "--enforce-namespace-key-guard", "--enforce-namespace-role-guard",
                ], environment: environment,
                identity: .chartServiceAccountWithKES
            ) { process in
                // The seed's manifest, unchanged.
                let seed = try ManifestYAML.parse(
                    """
                    apiVersion: kubernetes-client.io/v1
                    kind: ExternalSecret
                    metadata:
                      name: my-secret
                    spec:
                      backendType: secretsManager
                      data:
                      - key: prod/db-password
                        name: password
                    """)[0]
                _ = try await objects.create(
                    try JSONDecoder().decode(KESExternalSecret.self, from: JSONEncoder().encode(seed)))
                _ = try await objects.create(
                    Self.kes(
                        "by-path",
                        KESExternalSecretSpec(
                            backendType: .systemManager,
                            data: [KESDataEntry(path: "/app/db")],
                            template: [
                                "type": "kubernetes.io/basic-auth",
                                "metadata": ["labels": ["team": "db"]],
                                "stringData": ["username": "<%= data.user %>", "dsn": "pg://<%= data.user %>@db"],
                            ])))
                _ = try await objects.create(
                    Self.kes(
                        "recursive",
                        KESExternalSecretSpec(backendType: .systemManager, data: [KESDataEntry(path: "/app", recursive: true)])))
                _ = try await objects.create(
                    Self.kes(
                        "key-refused",
                        KESExternalSecretSpec(backendType: .secretsManager, data: [KESDataEntry(key: "app/one", name: "one")])))
                _ = try await objects.create(
                    Self.kes(
                        "role-refused",
                        KESExternalSecretSpec(
                            backendType: .secretsManager, data: [KESDataEntry(key: "prod/db-password", name: "p")],
                            roleArn: fixture.roleARN)))
                _ = try await objects.create(
                    Self.kes(
                        "azure",
                        // No keyVaultName: refused by the mapping, before any provider call.
                        KESExternalSecretSpec(backendType: .azureKeyVault, data: [KESDataEntry(key: "k", name: "n")])))

                let seedStatus = try await Self.waitForStatus(client, namespace, "my-secret") { $0 == KESRefresh.success }
                #expect(seedStatus == KESRefresh.success, "\(seedStatus ?? "no status"): \(process.log.suffix(3000))")
                let secret = try await secrets.get("my-secret")
                #expect(secret.data == ["password": Data(value.utf8)])
                #expect(secret.type == "Opaque")
                let owner = secret.metadata.ownerReferences?.first
                #expect(owner?.apiVersion == "kubernetes-client.io/v1" && owner?.kind == "ExternalSecret")
                #expect(owner?.name == "my-secret" && owner?.controller == true)
                let seedObject = try await objects.get("my-secret")
                #expect(seedObject.status?.observedGeneration == seedObject.metadata.generation)
                #expect(seedObject.status?.lastSync != nil)

                // Kept current: a new remote value reaches the Secret within a poll or two.
                let rotated = "rotated-\(value)"
                try await moto.json(
                    "secretsmanager", "secretsmanager", "PutSecretValue",
                    ["SecretId": "prod/db-password", "SecretString": rotated], credentials: fixture.reader)
                #expect(
                    try await eventually(timeout: .seconds(30)) {
                        try await secrets.get("my-secret").data?["password"] == Data(rotated.utf8)
                    })
                // A deleted Secret comes back.
                try await secrets.delete("my-secret")
                #expect(try await eventually(timeout: .seconds(30)) { try await secrets.getIfExists("my-secret") != nil })

                // systemManager with path: base names; with a template merged in.
                _ = try await Self.waitForStatus(client, namespace, "by-path") { $0 == KESRefresh.success }
                let byPath = try await secrets.get("by-path")
                #expect(Set((byPath.data ?? [:]).keys) == ["user", "password", "username", "dsn"])
                #expect(byPath.data?["user"] == Data("app".utf8))
                #expect(byPath.data?["username"] == Data("app".utf8))
                #expect(byPath.data?["dsn"] == Data("pg://app@db".utf8))
                #expect(byPath.type == "kubernetes.io/basic-auth")
                #expect(byPath.metadata.labels?["team"] == "db")
                _ = try await Self.waitForStatus(client, namespace, "recursive") { $0 == KESRefresh.success }
                #expect(Set((try await secrets.get("recursive").data ?? [:]).keys) == ["user", "password", "url"])

                // The guards refuse, say why, and nothing is written.
                let keyRefusal = try await Self.waitForStatus(client, namespace, "key-refused") { $0 != KESRefresh.success }
                #expect(keyRefusal?.contains("does not allow to read key app/one") == true, "\(keyRefusal ?? "")")
                let roleRefusal = try await Self.waitForStatus(client, namespace, "role-refused") { $0 != KESRefresh.success }
                #expect(roleRefusal?.contains("does not allow to assume role") == true, "\(roleRefusal ?? "")")
                let azure = try await Self.waitForStatus(client, namespace, "azure") { $0 != KESRefresh.success }
                #expect(azure == "spec.keyVaultName is required for backendType azureKeyVault", "\(azure ?? "")")
                for name in ["key-refused", "role-refused", "azure"] {
                    #expect(try await secrets.getIfExists(name) == nil, "\(name) was written")
                }

                // `render --live` of the KES objects (KES's environment, the namespace's guards
                // read from the cluster) prints the Secrets the controller wrote, and refuses what
                // the guards refuse.
                for name in ["my-secret", "by-path", "recursive", "key-refused"] {
                    let object = try await objects.get(name)
                    let path = "\(plane.directory)/\(namespace)-\(name)-kes.json"
                    try JSONEncoder().encode(object).write(to: URL(fileURLWithPath: path))
                    let run = try await ChildProcess.run(
                        operatorPath,
                        ["render", "--live", "--kubeconfig", plane.kubeconfigPath, "-f", path, "--show-values", "-o", "json"],
                        environment: environment)
                    #expect(!run.stderrText.contains(value), "render printed a value on stderr")
                    if name == "key-refused" {
                        #expect(run.status == 1 && run.stderrText.contains("does not allow to read key app/one"), "\(run.stderrText)")
                        continue
                    }
                    #expect(run.succeeded, "\(name): \(run.stderrText)")
                    let rendered = try? JSONDecoder().decode(Secret.self, from: run.stdout)
                    let written = try await secrets.get(name)
                    #expect(rendered?.data == written.data, "\(name): data differs")
                    #expect(rendered?.type == written.type, "\(name)")
                    #expect(rendered?.metadata.labels == written.metadata.labels, "\(name)")
                    #expect(rendered?.metadata.ownerReferences == written.metadata.ownerReferences, "\(name)")
                }

                // An ESO ExternalSecret of the same name as a KES one, in the same namespace: both
                // objects live side by side; the Secret stays the KES object's, and the ESO object
                // says why it cannot write it.
                _ = try await client.api(SecretStore.self, namespace: namespace).create(
                    SecretStore(
                        metadata: ObjectMeta(name: "aws"),
                        spec: SecretStoreSpec(
                            provider: SecretStoreProvider(aws: AWSProvider(service: .secretsManager, region: MotoServer.region)))))
                _ = try await client.api(ExternalSecret.self, namespace: namespace).create(
                    ExternalSecret(
                        metadata: ObjectMeta(name: "my-secret"),
                        spec: ExternalSecretSpec(
                            secretStoreRef: SecretStoreRef(name: "aws", kind: .secretStore), refreshInterval: "1h",
                            data: [
                                ExternalSecretData(
                                    secretKey: "other", remoteRef: ExternalSecretDataRemoteRef(key: "prod/db-password"))
                            ])))
                // With --enforce-namespace-key-guard the namespace's key annotation limits ESO
                // objects too.
                _ = try await client.api(ExternalSecret.self, namespace: namespace).create(
                    ExternalSecret(
                        metadata: ObjectMeta(name: "eso-refused"),
                        spec: ExternalSecretSpec(
                            secretStoreRef: SecretStoreRef(name: "aws", kind: .secretStore), refreshInterval: "1h",
                            data: [ExternalSecretData(secretKey: "one", remoteRef: ExternalSecretDataRemoteRef(key: "app/one"))])))
                #expect(
                    try await waitForReady(
                        client, namespace, "eso-refused", status: "False", reason: ESOReason.secretSyncedError))
                let esoRefusal = try await readyCondition(client, namespace, "eso-refused")?.message ?? ""
                #expect(esoRefusal.contains("does not allow to read key app/one"), "\(esoRefusal)")
                #expect(try await secrets.getIfExists("eso-refused") == nil)
                // With --enforce-namespace-role-guard the namespace's role annotation limits the
                // role of the stores ESO objects use.
                _ = try await client.api(SecretStore.self, namespace: namespace).create(
                    SecretStore(
                        metadata: ObjectMeta(name: "aws-role"),
                        spec: SecretStoreSpec(
                            provider: SecretStoreProvider(
                                aws: AWSProvider(service: .secretsManager, region: MotoServer.region, role: fixture.roleARN)))))
                _ = try await client.api(ExternalSecret.self, namespace: namespace).create(
                    ExternalSecret(
                        metadata: ObjectMeta(name: "eso-role-refused"),
                        spec: ExternalSecretSpec(
                            secretStoreRef: SecretStoreRef(name: "aws-role", kind: .secretStore), refreshInterval: "1h",
                            data: [
                                ExternalSecretData(secretKey: "p", remoteRef: ExternalSecretDataRemoteRef(key: "prod/db-password"))
                            ])))
                #expect(
                    try await waitForReady(
                        client, namespace, "eso-role-refused", status: "False", reason: ESOReason.secretSyncedError))
                let esoRoleRefusal = try await readyCondition(client, namespace, "eso-role-refused")?.message ?? ""
                #expect(esoRoleRefusal.contains("does not allow to assume role \(fixture.roleARN)"), "\(esoRoleRefusal)")
                #expect(try await secrets.getIfExists("eso-role-refused") == nil)
                #expect(
                    try await waitForReady(
                        client, namespace, "my-secret", status: "False", reason: ESOReason.secretSyncedError))
                let conflict = try await readyCondition(client, namespace, "my-secret")?.message ?? ""
                #expect(conflict.contains("controlled by another ExternalSecret"), "\(conflict)")
                let kept = try await secrets.get("my-secret")
                #expect(kept.data == ["password": Data(rotated.utf8)])
                #expect(kept.metadata.ownerReferences?.first?.apiVersion == "kubernetes-client.io/v1")
                #expect(try await objects.get("my-secret").status?.status == KESRefresh.success)

                // Migration round trip: the seed object as KES and migrated to ESO (renamed, so
                // both live in this namespace) produce the same Secret data.
                let roundTrip = try ManifestYAML.parse(
                    """
                    apiVersion: kubernetes-client.io/v1
                    kind: ExternalSecret
                    metadata: {name: round-trip}
                    spec:
                      backendType: systemManager
                      data:
                      - {key: /app/db/user, name: user}
                      - {path: /app/db}
                      template:
                        stringData: {dsn: "pg://<%= data.user %>@db"}
                    """)
                _ = try await objects.create(
                    try JSONDecoder().decode(KESExternalSecret.self, from: JSONEncoder().encode(roundTrip[0])))
                let migrated = KESMigration.migrate(
                    roundTrip, configuration: try KESConfiguration(environment: environment))
                for document in migrated {
                    guard let object = document.object else { continue }
                    if object["kind"] == "ClusterSecretStore" {
                        let store = try JSONDecoder().decode(ClusterSecretStore.self, from: JSONEncoder().encode(object))
                        do {
                            _ = try await client.api(ClusterSecretStore.self).create(store)
                        } catch let error as KubeAPIError where error.isAlreadyExists {}
                    } else {
                        var es = try JSONDecoder().decode(ExternalSecret.self, from: JSONEncoder().encode(object))
                        es.metadata.name = "round-trip-eso"
                        es.spec.target?.name = "round-trip-eso"
                        _ = try await client.api(ExternalSecret.self, namespace: namespace).create(es)
                    }
                }
                _ = try await Self.waitForStatus(client, namespace, "round-trip") { $0 == KESRefresh.success }
                #expect(try await waitForReady(client, namespace, "round-trip-eso"), "\(process.log.suffix(3000))")
                let fromKES = try await secrets.get("round-trip").data ?? [:]
                let fromESO = try await secrets.get("round-trip-eso").data ?? [:]
                #expect(!fromKES.isEmpty && fromKES == fromESO)

                // No value leaves the data path.
                #expect(!process.log.contains(canary), "the operator log contains a secret value")
                #expect(try await eventTexts(client, namespace).allSatisfy { !$0.contains(canary) })
                for object in try await objects.list().items {
                    let status = object.status?.status ?? ""
                    #expect(!status.contains(canary))
                }
            }
        }
    }
}
