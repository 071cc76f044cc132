import ExternalSecretsAPI
import Foundation
import KubeClient
import KubeModel
import KubeTestSupport
import OperatorTestSupport
import Testing

/// (ExternalSecretSyncTests, sharing its control plane.) `render --live`: the stores come from the
/// cluster (or from --store files), the Kubernetes provider reads the "remote" namespace with the
/// store's ServiceAccount, whose token is requested with the kubeconfig's identity; the output is
/// the offline pipeline's. Values are compared as `Data`, never printed.
extension ExternalSecretSyncTests {
    static func liveExternalSecret(namespace: String, store: String) -> String {
        """
        apiVersion: external-secrets.io/v1
        kind: ExternalSecret
        metadata: {name: db, namespace: \(namespace)}
        spec:
          secretStoreRef: {name: \(store)}
          target: {name: db-credentials}
          data:
          - {secretKey: password, remoteRef: {key: db, property: password}}
        """
    }

    @Test func liveRenderReadsTheRealProviderWithTheKubeconfigsCredentials() async throws {
        let plane = try currentPlane()
        try await withAdminClient { admin in
            try await installCRDs(admin)
            let namespaces = try await setUp(admin)
            let stores = admin.api(SecretStore.self, namespace: namespaces.home)
            let clusterStore = try await stores.create(
                try store("cluster", remoteNamespace: namespaces.remote, plane: plane))
            _ = try await stores.create(try store("denied", remoteNamespace: namespaces.denied, plane: plane))
            let live = ["render", "--live", "--kubeconfig", plane.kubeconfigPath, "-f", "es.yaml"]

            // The store from the cluster, the value from the provider.
            let shown = try await withFiles(["es.yaml": Self.liveExternalSecret(namespace: namespaces.home, store: "cluster")]
            ) {
                try await runCommand(live + ["--show-values", "-o", "json"], in: $0)
            }
            #expect(shown.status == 0, "\(shown.stderr)")
            let secret = try JSONDecoder().decode(Secret.self, from: Data(shown.stdout.utf8))
            #expect(secret.metadata.name == "db-credentials" && secret.metadata.namespace == namespaces.home)
            #expect(secret.data?["password"] == Data(canary.utf8))

            // Redacted unless --show-values.
            let redacted = try await withFiles([
                "es.yaml": Self.liveExternalSecret(namespace: namespaces.home, store: "cluster")
            ]) {
                try await runCommand(live, in: $0)
            }
            #expect(redacted.status == 0, "\(redacted.stderr)")
            #expect(
                redacted.stdout.contains("password: '<redacted: \(canary.utf8.count) bytes>'")
                    || redacted.stdout.contains("password: <redacted: \(canary.utf8.count) bytes>"))
            #expect(!redacted.stdout.contains(canary) && !redacted.stderr.contains(canary))

            // The store from a --store file; its credentials still from the cluster.
            let fromFile = try await withFiles([
                "es.yaml": Self.liveExternalSecret(namespace: namespaces.home, store: "cluster"),
                "store.json": String(decoding: try JSONEncoder().encode(clusterStore), as: UTF8.self),
            ]) { try await runCommand(live + ["--store", "store.json", "--show-values", "-o", "json"], in: $0) }
            #expect(fromFile.status == 0, "\(fromFile.stderr)")
            #expect(try JSONDecoder().decode(Secret.self, from: Data(fromFile.stdout.utf8)).data == secret.data)

            // A store that does not exist, and a provider that refuses: the field at fault, exit 1.
            let missing = try await withFiles(["es.yaml": Self.liveExternalSecret(namespace: namespaces.home, store: "nope")])
            {
                try await runCommand(live, in: $0)
            }
            #expect(missing.status == 1)
            #expect(
                missing.stderr.contains(
                    "error: ExternalSecret \(namespaces.home)/db: spec.secretStoreRef: SecretStore \"nope\" does not exist in namespace \"\(namespaces.home)\""
                ),
                "\(missing.stderr)")
            let denied = try await withFiles(["es.yaml": Self.liveExternalSecret(namespace: namespaces.home, store: "denied")]
            ) {
                try await runCommand(live + ["--show-values"], in: $0)
            }
            #expect(denied.status == 1 && denied.stdout.isEmpty)
            #expect(
                denied.stderr.contains(
                    "ExternalSecret \(namespaces.home)/db: spec.data[0].remoteRef.key: the store's credentials may not get secrets in namespace \"\(namespaces.denied)\""
                ),
                "\(denied.stderr)")
            #expect(!denied.stderr.contains(canary))

            // The controller's endpoint allow-list: a store pointing elsewhere is refused before any
            // credential is read, with the controller's message; one it admits renders.
            let es = Self.liveExternalSecret(namespace: namespaces.home, store: "cluster")
            let refused = try await withFiles(["es.yaml": es]) {
                try await runCommand(live + ["--allowed-provider-endpoints", "kube.corp.example"], in: $0)
            }
            #expect(refused.status == 1 && refused.stdout.isEmpty)
            #expect(
                refused.stderr.contains(
                    "spec.provider.kubernetes.server.url: endpoint 127.0.0.1:\(URL(string: plane.server)?.port ?? 0) is not in the operator's allowed provider endpoints"
                ),
                "\(refused.stderr)")
            let admitted = try await withFiles(["es.yaml": es]) {
                try await runCommand(live + ["--allowed-provider-endpoints", "127.0.0.1", "--show-values", "-o", "json"], in: $0)
            }
            #expect(admitted.status == 0, "\(admitted.stderr)")
            #expect(try JSONDecoder().decode(Secret.self, from: Data(admitted.stdout.utf8)).data == secret.data)

            // --live excludes --values; --kubeconfig and the controller's credential flags need --live.
            #expect(try await runCommand(live + ["--values", "v.yaml"]).status == 64)
            #expect(try await runCommand(["render", "-f", "es.yaml", "--kubeconfig", plane.kubeconfigPath]).status == 64)
            #expect(try await runCommand(["render", "-f", "es.yaml", "--allowed-provider-endpoints", "x"]).status == 64)
            #expect(try await runCommand(["render", "-f", "es.yaml", "--service-account-token-audience", "x"]).status == 64)
        }
    }
}
