import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import KubeClient
import KubeModel
import KubeTestSupport
import OperatorTestSupport
import ProcessTestSupport
import Testing
import VaultTestSupport

/// KES's `vault` backend served by the operator (`--enable-kes`): configured by KES's variables
/// (`VAULT_ADDR`, `DEFAULT_VAULT_MOUNT_POINT`, `DEFAULT_VAULT_ROLE`, plus Vault's `VAULT_CACERT`),
/// logging in to OpenBao with the operator's own ServiceAccount token (Kubernetes auth, reviewed
/// by the real API server), as KES did.
@Suite(.controlPlane, .openBao, .serialized) struct KESVaultTests {
    @Test func vaultBackendReadsWithTheOperatorsServiceAccount() async throws {
        let bao = try currentBao()
        let plane = try currentPlane()
        let vaultTests = VaultProviderIntegrationTests()
        let (mount, policy) = try await vaultTests.mountWithSecretAndReader()
        let auth = unique("k8s")
        try await bao.enableAuth(auth, type: "kubernetes")

        try await withAdminClient { client in
            try await installCRDs(client)
            try await installKESCRD(client)
            let namespace = try await makeNamespace(client, prefix: "kes-vault")
            try await vaultTests.setUpKubernetesAuth(client, namespace, plane: plane, mount: auth, policy: policy)
            // The operator's "own" token, in a file as the kubelet mounts it: ServiceAccount
            // `reader`, the one the Vault role admits.
            let token = try await client.requestToken(
                forServiceAccount: "reader", in: namespace, audiences: [], expirationSeconds: 3600)
            let tokenPath = "\(plane.directory)/\(namespace)-sa.token"
            try Data(token.token.utf8).write(to: URL(fileURLWithPath: tokenPath))
            let caPath = "\(plane.directory)/\(namespace)-vault-ca.pem"
            try bao.caCertificatePEM.write(to: URL(fileURLWithPath: caPath))
            let environment = [
                "VAULT_ADDR": bao.address, "VAULT_CACERT": caPath, "DEFAULT_VAULT_MOUNT_POINT": auth,
                "DEFAULT_VAULT_ROLE": "reader", "POLLER_INTERVAL_MILLISECONDS": "2000",
            ]
            try await runOperator(
                plane, name: namespace,
                arguments: [
                    "--namespace", namespace, "--enable-kes", "--service-account-token-file", tokenPath,
                    // Credentials may go to this OpenBao only.
                    "--allowed-provider-endpoints", String(bao.address.dropFirst("https://".count)),
                    // Tokens requested for stores carry this audience, not the API server's.
                    "--service-account-token-audience", "vault",
                ],
                environment: environment, identity: .chartServiceAccountWithKES
            ) { process in
                let objects = client.api(KESExternalSecret.self, namespace: namespace)
                _ = try await objects.create(
                    KESExternalSecret(
                        metadata: ObjectMeta(name: "db"),
                        spec: KESExternalSecretSpec(
                            backendType: .vault,
                            data: [KESDataEntry(key: "\(mount)/data/db", name: "password", property: "password")])))
                // A role the auth mount does not know: refused by Vault, said in status, nothing written.
                _ = try await objects.create(
                    KESExternalSecret(
                        metadata: ObjectMeta(name: "wrong-role"),
                        spec: KESExternalSecretSpec(
                            backendType: .vault, data: [KESDataEntry(key: "\(mount)/data/db", name: "password")],
                            vaultRole: "nobody")))
                var status: String?
                let synced = try await eventually(timeout: .seconds(60)) {
                    status = try await objects.get("db").status?.status
                    return status == KESRefresh.success
                }
                #expect(synced, "\(status ?? "no status"): \(process.log.suffix(3000))")
                let secrets = client.api(Secret.self, namespace: namespace)
                #expect(try await secrets.get("db").data == ["password": Data(canary.utf8)])
                var refusal: String?
                _ = try await eventually(timeout: .seconds(60)) {
                    refusal = try await objects.get("wrong-role").status?.status
                    return refusal != nil
                }
                #expect(refusal != nil && refusal != KESRefresh.success, "\(refusal ?? "")")
                #expect(try await secrets.getIfExists("wrong-role") == nil)

                // A store pointing elsewhere (the same server under another name) is refused before
                // its token is read or sent.
                try await createSecret(client, namespace, "vault-token", ["token": bao.rootToken])
                _ = try await client.api(SecretStore.self, namespace: namespace).create(
                    SecretStore(
                        metadata: ObjectMeta(name: "elsewhere"),
                        spec: SecretStoreSpec(
                            provider: SecretStoreProvider(
                                vault: VaultProvider(
                                    server: bao.address.replacingOccurrences(of: "127.0.0.1", with: "localhost"),
                                    auth: VaultAuth(tokenSecretRef: SecretKeySelector(name: "vault-token", key: "token")))))))
                let storeMessage = try await waitForStore(client, namespace, "elsewhere", status: "False")
                #expect(
                    storeMessage?.contains("is not in the operator's allowed provider endpoints") == true,
                    "\(storeMessage ?? "no message")")

                // --service-account-token-audience: a Vault role that accepts only audience `vault`
                // admits the token the operator requests for a store naming no audience.
                try await bao.must(
                    .POST, "auth/\(auth)/role/reader-aud",
                    [
                        "bound_service_account_names": ["reader"], "bound_service_account_namespaces": [namespace],
                        "token_policies": [policy], "token_ttl": "1h", "audience": "vault",
                    ])
                _ = try await client.api(SecretStore.self, namespace: namespace).create(
                    SecretStore(
                        metadata: ObjectMeta(name: "audience"),
                        spec: SecretStoreSpec(
                            provider: SecretStoreProvider(
                                vault: VaultProvider(
                                    server: bao.address, path: mount, version: .v2,
                                    caBundle: bao.caCertificatePEM.base64EncodedString(),
                                    auth: VaultAuth(
                                        kubernetes: VaultKubernetesAuth(
                                            mountPath: auth, role: "reader-aud",
                                            serviceAccountRef: ServiceAccountSelector(name: "reader"))))))))
                let audienceStore = try await waitForStore(client, namespace, "audience")
                #expect(audienceStore != nil, "\(process.log.suffix(3000))")

                // `render --live` requests the same token only when given the controller's flag:
                // without it the token carries the API server's audience and the role refuses it.
                let es = ExternalSecret(
                    metadata: ObjectMeta(name: "through-audience", namespace: namespace),
                    spec: ExternalSecretSpec(
                        secretStoreRef: SecretStoreRef(name: "audience", kind: .secretStore),
                        data: [
                            ExternalSecretData(
                                secretKey: "password", remoteRef: ExternalSecretDataRemoteRef(key: "db", property: "password"))
                        ]))
                let esPath = "\(plane.directory)/\(namespace)-render-es.json"
                try JSONEncoder().encode(es).write(to: URL(fileURLWithPath: esPath))
                let render = ["render", "--live", "--kubeconfig", plane.kubeconfigPath, "-f", esPath, "--show-values", "-o", "json"]
                let withAudience = try await ChildProcess.run(operatorPath, render + ["--service-account-token-audience", "vault"])
                #expect(withAudience.succeeded, "\(withAudience.stderrText)")
                let rendered = try? JSONDecoder().decode(Secret.self, from: withAudience.stdout)
                #expect(rendered?.data == ["password": Data(canary.utf8)])
                let withoutAudience = try await ChildProcess.run(operatorPath, render)
                #expect(withoutAudience.status == 1 && withoutAudience.stdout.isEmpty)
                #expect(!withoutAudience.stderrText.contains(canary) && !withAudience.stderrText.contains(canary))
                #expect(!process.log.contains(canary), "the operator log contains a secret value")
            }
        }
    }
}
