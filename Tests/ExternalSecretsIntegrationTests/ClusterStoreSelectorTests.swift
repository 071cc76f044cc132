import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import KubeClient
import KubeModel
import KubeTestSupport
import OperatorTestSupport
import Testing

/// A ClusterSecretStore `namespaceSelector` condition through the operator running as the chart's
/// ServiceAccount: it reads the ExternalSecret's namespace labels (the ClusterRole's `namespaces
/// get`), admits the labelled namespace and refuses the other.
extension ExternalSecretSyncTests {
    @Test func clusterStoreNamespaceSelectorReadsNamespaceLabels() async throws {
        let plane = try currentPlane()
        try await withAdminClient { client in
            try await installCRDs(client)
            let labelled = try await makeNamespace(client, prefix: "css-sel")
            let other = try await makeNamespace(client, prefix: "css-other")
            try await update(client.api(Namespace.self), labelled) { namespace in
                namespace.metadata.labels = (namespace.metadata.labels ?? [:]).merging(["secrets": "shared"]) { $1 }
            }
            let storeName = "css-sel-\(UUID().uuidString.prefix(6).lowercased())"
            _ = try await client.api(ClusterSecretStore.self).create(
                ClusterSecretStore(
                    metadata: ObjectMeta(name: storeName),
                    spec: SecretStoreSpec(
                        provider: SecretStoreProvider(fake: FakeProvider(data: [FakeProviderData(key: "k", value: "v")])),
                        conditions: [
                            ClusterSecretStoreCondition(namespaceSelector: LabelSelector(matchLabels: ["secrets": "shared"]))
                        ])))
            try await runOperator(plane, name: "css-selector") { process in
                for namespace in [labelled, other] {
                    _ = try await client.api(ExternalSecret.self, namespace: namespace).create(
                        externalSecret("es", store: storeName, storeKind: .clusterSecretStore, data: [entry("value", "k")]))
                }
                #expect(try await waitForReady(client, labelled, "es"), "log: \(process.log.suffix(3000))")
                let deniedMessage = ClusterStoreAdmission.deniedMessage(store: storeName, namespace: other)
                #expect(
                    try await eventually { try await readyCondition(client, other, "es")?.message == deniedMessage },
                    "log: \(process.log.suffix(3000))")
                let mismatches = try await renderMismatches(plane, client, namespace: labelled)
                #expect(mismatches.isEmpty, "render --live differs from the controller: \(mismatches)")
            }
            try await client.api(ClusterSecretStore.self).delete(storeName)
        }
    }
}
