import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import KubeClient
import KubeModel
import KubeTestSupport
import OperatorTestSupport
import Testing

/// (ExternalSecretSyncTests, sharing its control plane.) The operator with the Kubernetes provider: the store's own ServiceAccount (through a TokenRequest)
/// reads a "remote" namespace its Role covers, and nothing else.
extension ExternalSecretSyncTests {
    struct Namespaces {
        var home: String
        var remote: String
        var denied: String
    }

    /// Namespaces, a source Secret in `remote` and in `denied`, ServiceAccount `reader` in `home`
    /// with a Role allowing get/list/watch on Secrets of `remote` only.
    func setUp(_ admin: KubeClient) async throws -> Namespaces {
        let namespaces = Namespaces(
            home: try await makeNamespace(admin, prefix: "home"), remote: try await makeNamespace(admin, prefix: "remote"),
            denied: try await makeNamespace(admin, prefix: "denied"))
        for namespace in [namespaces.remote, namespaces.denied] {
            _ = try await admin.api(Secret.self, namespace: namespace).create(
                Secret(metadata: ObjectMeta(name: "db"), data: ["password": Data(canary.utf8)]))
        }
        _ = try await admin.api(ServiceAccount.self, namespace: namespaces.home).create(
            ServiceAccount(metadata: ObjectMeta(name: "reader")))
        let role = ResourceDescriptor(
            group: "rbac.authorization.k8s.io", version: "v1", kind: "Role", plural: "roles", namespaced: true)
        _ = try await admin.dynamicAPI(role, namespace: namespaces.remote).create(
            DynamicObject(
                apiVersion: role.apiVersion, kind: "Role", metadata: ObjectMeta(name: "read-secrets"),
                content: ["rules": [["apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]]]]))
        let binding = ResourceDescriptor(
            group: "rbac.authorization.k8s.io", version: "v1", kind: "RoleBinding", plural: "rolebindings",
            namespaced: true)
        _ = try await admin.dynamicAPI(binding, namespace: namespaces.remote).create(
            DynamicObject(
                apiVersion: binding.apiVersion, kind: "RoleBinding", metadata: ObjectMeta(name: "reader"),
                content: [
                    "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "read-secrets"],
                    "subjects": [["kind": "ServiceAccount", "name": "reader", "namespace": .string(namespaces.home)]],
                ]))
        return namespaces
    }

    func store(_ name: String, remoteNamespace: String, plane: LocalControlPlane) throws -> SecretStore {
        let pem = try Data(contentsOf: URL(fileURLWithPath: plane.servingCAPath))
        return SecretStore(
            metadata: ObjectMeta(name: name),
            spec: SecretStoreSpec(
                provider: SecretStoreProvider(
                    kubernetes: KubernetesProvider(
                        server: KubernetesServer(url: plane.server, caBundle: pem.base64EncodedString()),
                        auth: KubernetesAuth(serviceAccount: ServiceAccountSelector(name: "reader")),
                        remoteNamespace: remoteNamespace))))
    }

    @Test func readsWhatTheStoresCredentialsAllowAndForceSyncRefreshes() async throws {
        let plane = try currentPlane()
        try await withAdminClient { client in
            try await installCRDs(client)
            let namespaces = try await setUp(client)
            let home = namespaces.home
            _ = try await client.api(SecretStore.self, namespace: home).create(
                try store("remote", remoteNamespace: namespaces.remote, plane: plane))
            _ = try await client.api(SecretStore.self, namespace: home).create(
                try store("denied", remoteNamespace: namespaces.denied, plane: plane))
            let process = try await startOperator(plane, name: "k8s", arguments: ["--namespace", home])
            defer { Task { await process.stop() } }

            let externalSecrets = client.api(ExternalSecret.self, namespace: home)
            let secrets = client.api(Secret.self, namespace: home)
            _ = try await externalSecrets.create(
                externalSecret("allowed", store: "remote", data: [entry("password", "db", property: "password")]))
            _ = try await externalSecrets.create(
                externalSecret("forbidden", store: "denied", data: [entry("password", "db", property: "password")]))
            #expect(try await waitForReady(client, home, "allowed"), "log: \(process.log.suffix(3000))")
            #expect(try await secrets.get("allowed").data?["password"] == Data(canary.utf8))

            // The store whose credentials may not read its remote namespace is not Ready, says why,
            // and its ExternalSecret writes nothing.
            #expect(
                try await eventually {
                    try await client.api(SecretStore.self, namespace: home).get("denied").status?.conditions?
                        .condition(ofType: "Ready")?.status == "False"
                })
            let storeMessage = try await client.api(SecretStore.self, namespace: home).get("denied").status?.conditions?
                .condition(ofType: "Ready")?.message ?? ""
            #expect(storeMessage.contains(namespaces.denied), "message: \(storeMessage)")
            #expect(try await waitForReady(client, home, "forbidden", status: "False", reason: ESOReason.secretSyncedError))
            #expect(try await secrets.getIfExists("forbidden") == nil)

            // The source changes; within the refresh interval nothing is fetched until the
            // force-sync annotation changes. A witness refreshing every second shows when the
            // operator has seen the new value.
            _ = try await externalSecrets.create(
                externalSecret("witness", store: "remote", data: [entry("password", "db", property: "password")], refreshInterval: "1s"))
            #expect(try await waitForReady(client, home, "witness"), "log: \(process.log.suffix(3000))")
            let syncs = { metricSum(try await scrapeMetrics(process), "externalsecret_sync_calls_total", labels: ["namespace": home, "name": "allowed"]) }
            let syncsBefore = try await syncs()
            let rotated = "rotated-\(canary)"
            _ = try await client.api(Secret.self, namespace: namespaces.remote).patch(
                "db", .merge(["data": ["password": .string(Data(rotated.utf8).base64EncodedString())]]))
            #expect(try await eventually { try await secrets.get("witness").data?["password"] == Data(rotated.utf8) })
            #expect(try await secrets.get("allowed").data?["password"] == Data(canary.utf8))
            #expect(try await syncs() == syncsBefore)
            _ = try await externalSecrets.patch(
                "allowed", .merge(["metadata": ["annotations": [.init(stringLiteral: ESONames.forceSyncAnnotation): "1"]]]))
            #expect(try await eventually { try await secrets.get("allowed").data?["password"] == Data(rotated.utf8) })
            let mismatches = try await renderMismatches(plane, client, namespace: home)
            #expect(mismatches.isEmpty, "render --live differs from the controller: \(mismatches)")

            #expect(!process.log.contains(canary), "the operator log contains a secret value")
            #expect(try await eventTexts(client, home).allSatisfy { !$0.contains(canary) })
        }
    }
}
