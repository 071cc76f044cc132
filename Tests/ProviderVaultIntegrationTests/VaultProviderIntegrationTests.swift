import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import KubeClient
import KubeModel
import KubeTestSupport
import OperatorTestSupport
import Testing
import VaultTestSupport

/// The operator as a process against the real control plane and a real OpenBao dev server (TLS),
/// with the Vault provider. Values are compared as text only where the expected value is no
/// secret; the canary is checked against the operator's log, Events and status.
@Suite(.controlPlane, .openBao, .serialized) struct VaultProviderIntegrationTests {
    /// A new KV v2 mount holding `db` = {"password": canary} and a new policy that may read it.
    func mountWithSecretAndReader() async throws -> (mount: String, policy: String) {
        let bao = try currentBao()
        let mount = unique("kv2")
        try await bao.mount(mount)
        try await bao.writeKV2(mount: mount, "db", ["password": canary])
        let policy = unique("reader")
        try await readPolicy(policy, mounts: [mount])
        return (mount, policy)
    }

    /// An AppRole auth mount (new path) whose role `eso` issues tokens with `policy` and the
    /// given token lifetimes.
    func appRoleLogin(policy: String, ttl: String = "1h", maxTTL: String? = nil) async throws
        -> (path: String, roleID: String, secretID: String)
    {
        let bao = try currentBao()
        let path = unique("approle")
        try await bao.enableAuth(path, type: "approle")
        var role: [String: Any] = ["token_policies": [policy], "token_ttl": ttl]
        if let maxTTL { role["token_max_ttl"] = maxTTL }
        try await bao.must(.POST, "auth/\(path)/role/eso", role)
        let roleID = try #require(try await bao.must(.GET, "auth/\(path)/role/eso/role-id").data("role_id"))
        let secretID = try #require(try await bao.must(.POST, "auth/\(path)/role/eso/secret-id").data("secret_id"))
        return (path, roleID, secretID)
    }

    /// SecretStore `vault` on `mount` logging in with `login` (its secret ID in Secret `approle`).
    func createAppRoleStore(
        _ client: KubeClient, _ namespace: String, mount: String, login: (path: String, roleID: String, secretID: String)
    ) async throws {
        try await createSecret(client, namespace, "approle", ["secret-id": login.secretID])
        _ = try await client.api(SecretStore.self, namespace: namespace).create(
            try vaultStore(
                "vault", path: mount,
                auth: VaultAuth(
                    appRole: VaultAppRole(path: login.path, roleId: login.roleID, secretRef: secretKey("approle", "secret-id")))))
    }

    /// A read policy on `mounts` (data, metadata and mount checks).
    func readPolicy(_ name: String, mounts: [String], namespace: String? = nil) async throws {
        let rules = mounts.map {
            """
            path "\($0)/*" { capabilities = ["read", "list"] }
            path "sys/internal/ui/mounts/\($0)" { capabilities = ["read"] }
            """
        }
        try await currentBao().policy(name, rules.joined(separator: "\n"), namespace: namespace)
    }

    /// A token with `policy`, written to Secret `name`/`token` in `namespace`; returns the token.
    @discardableResult
    func tokenSecret(
        _ client: KubeClient, _ namespace: String, _ name: String, policy: String, vaultNamespace: String? = nil
    )
        async throws -> String
    {
        let answer = try await currentBao().must(
            .POST, "auth/token/create", ["policies": [policy], "ttl": "1h"], namespace: vaultNamespace)
        let token = try #require(answer.auth("client_token"))
        try await createSecret(client, namespace, name, ["token": token])
        return token
    }

    /// No secret value in the operator's log, Events or status.
    func expectNoLeak(_ client: KubeClient, _ namespace: String, _ process: TestProcess) async throws {
        #expect(!process.log.contains(canary), "the operator log contains a secret value")
        #expect(try await !visibleText(client, namespace).contains(canary), "status or Events contain a secret value")
    }

    // MARK: - KV

    @Test func everyKVFeatureThroughExternalSecrets() async throws {
        let bao = try currentBao()
        let v2 = unique("kv2")
        let v1 = unique("kv1")
        try await bao.mount(v2)
        try await bao.mount(v1, version: "1")
        try await bao.writeKV2(mount: v2, "db", ["user": "app", "password": "first-\(canary)"])
        try await bao.writeKV2(
            mount: v2, "db",
            ["user": "app", "password": canary, "config": ["port": 5432, "tls": ["mode": "verify-full"]]],
            customMetadata: ["owner": "team-a"])
        try await bao.writeKV2(mount: v2, "app/one", ["a": "1"], customMetadata: ["env": "prod"])
        try await bao.writeKV2(mount: v2, "app/nested/two", ["b": "2"], customMetadata: ["env": "prod"])
        try await bao.writeKV2(mount: v2, "app/other", ["c": "3"], customMetadata: ["env": "dev"])
        try await bao.writeKV1(mount: v1, "legacy", ["user": "old", "password": canary])
        let policy = unique("reader")
        try await readPolicy(policy, mounts: [v2, v1])

        try await withOperator("vault-kv") { client, namespace, process in
            let token = try await tokenSecret(client, namespace, "vault-token", policy: policy)
            _ = try await client.api(ConfigMap.self, namespace: namespace).create(
                ConfigMap(
                    metadata: ObjectMeta(name: "bao-ca"),
                    data: ["ca.crt": String(decoding: bao.caCertificatePEM, as: UTF8.self)]))
            let stores = client.api(SecretStore.self, namespace: namespace)
            let auth = VaultAuth(tokenSecretRef: secretKey("vault-token", "token"))
            _ = try await stores.create(try vaultStore("kv2", path: v2, auth: auth))
            // KV v1, trusting the server through a ConfigMap instead of an inline bundle.
            _ = try await stores.create(
                try vaultStore("kv1", path: v1, version: .v1, auth: auth) {
                    $0.caBundle = nil
                    $0.caProvider = CAProvider(type: "ConfigMap", name: "bao-ca", key: "ca.crt")
                })

            let externalSecrets = client.api(ExternalSecret.self, namespace: namespace)
            _ = try await externalSecrets.create(
                externalSecret(
                    "values", store: "kv2",
                    data: [
                        entry("password", "db", property: "password"),
                        entry("port", "db", property: "config.port"),
                        entry("mode", "db", property: "config.tls.mode"),
                        entry("first", "db", property: "password", version: "1"),
                        entry("owner", "db", property: "owner", metadataPolicy: .fetch),
                        entry("whole", "app/one"),
                        entry("prefixed", "\(v2)/data/app/one", property: "a"),
                    ]))
            _ = try await externalSecrets.create(
                externalSecret(
                    "extracted", store: "kv2",
                    dataFrom: [
                        ExternalSecretDataFromRemoteRef(
                            extract: ExternalSecretDataRemoteRef(key: "db", property: "config"))
                    ]))
            _ = try await externalSecrets.create(
                externalSecret(
                    "by-name", store: "kv2",
                    dataFrom: [
                        ExternalSecretDataFromRemoteRef(
                            find: ExternalSecretFind(path: "app", name: FindName(regexp: "(one|two)$")))
                    ]))
            _ = try await externalSecrets.create(
                externalSecret(
                    "by-tags", store: "kv2",
                    dataFrom: [
                        ExternalSecretDataFromRemoteRef(find: ExternalSecretFind(path: "app", tags: ["env": "prod"]))
                    ]))
            _ = try await externalSecrets.create(
                externalSecret(
                    "legacy", store: "kv1",
                    data: [
                        entry("user", "legacy", property: "user"), entry("password", "legacy", property: "password"),
                    ]))

            for name in ["values", "extracted", "by-name", "by-tags", "legacy"] {
                #expect(try await waitForReady(client, namespace, name), "\(name): \(process.log.suffix(3000))")
            }
            let secrets = client.api(Secret.self, namespace: namespace)
            let values = try await secrets.get("values").data ?? [:]
            #expect(values["password"] == Data(canary.utf8))
            #expect(values["first"] == Data("first-\(canary)".utf8))
            #expect(string(values["port"]) == "5432")
            #expect(string(values["mode"]) == "verify-full")
            #expect(string(values["owner"]) == "team-a")
            #expect(string(values["whole"]) == #"{"a":"1"}"#)
            #expect(string(values["prefixed"]) == "1")
            #expect(
                try await secrets.get("extracted").data?.mapValues { string($0) ?? "" } == [
                    "port": "5432", "tls": #"{"mode":"verify-full"}"#,
                ])
            #expect(
                try await secrets.get("by-name").data?.mapValues { string($0) ?? "" }
                    == ["app_one": #"{"a":"1"}"#, "app_nested_two": #"{"b":"2"}"#])
            #expect(
                try await secrets.get("by-tags").data?.mapValues { string($0) ?? "" }
                    == ["app_one": #"{"a":"1"}"#, "app_nested_two": #"{"b":"2"}"#])
            let legacy = try await secrets.get("legacy").data ?? [:]
            #expect(string(legacy["user"]) == "old" && legacy["password"] == Data(canary.utf8))

            for store in ["kv2", "kv1"] {
                #expect(
                    try await waitForStore(client, namespace, store) != nil, "\(store): \(process.log.suffix(2000))")
                #expect(try await stores.get(store).status?.capabilities == "ReadWrite")
            }
            try await expectNoLeak(client, namespace, process)
            #expect(!process.log.contains(token), "the operator log contains the Vault token")
        }
    }

    @Test func vaultNamespacesAreSentWithEveryRequest() async throws {
        let bao = try currentBao()
        let vaultNamespace = unique("tenant")
        try await bao.must(.POST, "sys/namespaces/\(vaultNamespace)")
        try await bao.mount("secret", namespace: vaultNamespace)
        try await bao.writeKV2("db", ["password": canary], namespace: vaultNamespace)
        try await readPolicy("reader", mounts: ["secret"], namespace: vaultNamespace)
        // The same key in the root namespace holds something else.
        let rootMount = unique("kv2")
        try await bao.mount(rootMount)

        try await withOperator("vault-ns") { client, namespace, process in
            try await tokenSecret(client, namespace, "vault-token", policy: "reader", vaultNamespace: vaultNamespace)
            _ = try await client.api(SecretStore.self, namespace: namespace).create(
                try vaultStore(
                    "tenant", namespace: vaultNamespace,
                    auth: VaultAuth(tokenSecretRef: secretKey("vault-token", "token"))))
            _ = try await client.api(ExternalSecret.self, namespace: namespace).create(
                externalSecret("db", store: "tenant", data: [entry("password", "db", property: "password")]))
            #expect(try await waitForReady(client, namespace, "db"), "\(process.log.suffix(3000))")
            #expect(
                try await client.api(Secret.self, namespace: namespace).get("db").data?["password"] == Data(canary.utf8)
            )
            #expect(try await waitForStore(client, namespace, "tenant") != nil)
            try await expectNoLeak(client, namespace, process)
        }
    }

    // MARK: - Logins

    @Test func aClusterStoreReadsItsCredentialsFromEachExternalSecretsNamespace() async throws {
        let (mount, policy) = try await mountWithSecretAndReader()

        try await withOperator("vault-css") { client, namespace, process in
            try await tokenSecret(client, namespace, "vault-token", policy: policy)
            // No namespace on the reference: each ExternalSecret's own namespace (ESO's referent auth).
            let storeName = "vault-\(namespace)"
            let spec = try vaultStore(
                storeName, path: mount, auth: VaultAuth(tokenSecretRef: secretKey("vault-token", "token"))
            ).spec
            _ = try await client.api(ClusterSecretStore.self).create(
                ClusterSecretStore(metadata: ObjectMeta(name: storeName), spec: spec))
            _ = try await client.api(ExternalSecret.self, namespace: namespace).create(
                externalSecret(
                    "db", store: storeName, storeKind: .clusterSecretStore,
                    data: [entry("password", "db", property: "password")]))
            #expect(try await waitForReady(client, namespace, "db"), "\(process.log.suffix(3000))")
            #expect(
                try await client.api(Secret.self, namespace: namespace).get("db").data?["password"] == Data(canary.utf8)
            )
            // Without a namespace the store cannot be checked: Ready, validation unknown.
            #expect(
                try await eventually {
                    try await client.api(ClusterSecretStore.self).get(storeName).status?.conditions?
                        .condition(ofType: ESONames.conditionReady)?.reason == ESOReason.storeValidationUnknown
                }, "\(process.log.suffix(2000))")
            try await client.api(ClusterSecretStore.self).delete(storeName)
            try await expectNoLeak(client, namespace, process)
        }
    }

    @Test func everyLoginMethodEndToEnd() async throws {
        let bao = try currentBao()
        let plane = try currentPlane()
        let (mount, policy) = try await mountWithSecretAndReader()
        let methods = (
            approle: unique("approle"), kubernetes: unique("k8s"), jwt: unique("jwt"), userpass: unique("userpass"),
            cert: unique("cert")
        )
        try await bao.enableAuth(methods.approle, type: "approle")
        try await bao.enableAuth(methods.kubernetes, type: "kubernetes")
        try await bao.enableAuth(methods.jwt, type: "jwt")
        try await bao.enableAuth(methods.userpass, type: "userpass")
        try await bao.enableAuth(methods.cert, type: "cert")

        try await withOperator("vault-auth") { client, namespace, process in
            let tokenPolicy: [String: Any] = ["token_policies": [policy], "token_ttl": "1h"]
            // AppRole.
            try await bao.must(.POST, "auth/\(methods.approle)/role/eso", tokenPolicy)
            let roleID = try #require(
                try await bao.must(.GET, "auth/\(methods.approle)/role/eso/role-id").data("role_id"))
            let secretID = try #require(
                try await bao.must(.POST, "auth/\(methods.approle)/role/eso/secret-id").data("secret_id"))
            try await createSecret(client, namespace, "approle", ["role-id": roleID, "secret-id": secretID])

            // Kubernetes: OpenBao reviews the ServiceAccount token with the real API server.
            try await setUpKubernetesAuth(client, namespace, plane: plane, mount: methods.kubernetes, policy: policy)
            let readerToken = try await client.requestToken(
                forServiceAccount: "reader", in: namespace, audiences: [], expirationSeconds: 3600)
            try await createSecret(client, namespace, "reader-token", ["token": readerToken.token])

            // JWT: OpenBao checks the ServiceAccount token's signature with the API server's key.
            let publicKey = try String(contentsOfFile: "\(plane.directory)/sa.pub", encoding: .utf8)
            try await bao.must(
                .POST, "auth/\(methods.jwt)/config",
                ["jwt_validation_pubkeys": [publicKey], "bound_issuer": "https://kubernetes.default.svc.cluster.local"])
            try await bao.must(
                .POST, "auth/\(methods.jwt)/role/reader",
                tokenPolicy.merging([
                    "role_type": "jwt", "bound_audiences": ["vault"], "user_claim": "sub",
                    "bound_subject": "system:serviceaccount:\(namespace):reader",
                ]) { $1 })
            let vaultAudienceToken = try await client.requestToken(
                forServiceAccount: "reader", in: namespace, audiences: ["vault"], expirationSeconds: 3600)
            try await createSecret(client, namespace, "jwt", ["token": vaultAudienceToken.token])

            // Userpass.
            try await bao.must(
                .POST, "auth/\(methods.userpass)/users/app", tokenPolicy.merging(["password": "pw-\(canary)"]) { $1 })
            try await createSecret(client, namespace, "userpass-password", ["password": "pw-\(canary)"])

            // TLS certificate.
            let certificate = try await makeClientCertificate(commonName: "eso-client", in: bao.directory)
            try await bao.must(
                .POST, "auth/\(methods.cert)/certs/web",
                tokenPolicy.merging(["certificate": certificate.certificate]) { $1 })
            try await createSecret(
                client, namespace, "client-cert", ["tls.crt": certificate.certificate, "tls.key": certificate.key])

            let stores: [(String, VaultAuth)] = [
                (
                    "approle-inline",
                    VaultAuth(
                        appRole: VaultAppRole(
                            path: methods.approle, roleId: roleID, secretRef: secretKey("approle", "secret-id")))
                ),
                (
                    "approle-ref",
                    VaultAuth(
                        appRole: VaultAppRole(
                            path: methods.approle, roleRef: secretKey("approle", "role-id"),
                            secretRef: secretKey("approle", "secret-id")))
                ),
                (
                    "kubernetes-sa",
                    VaultAuth(
                        kubernetes: VaultKubernetesAuth(
                            mountPath: methods.kubernetes, role: "reader",
                            serviceAccountRef: ServiceAccountSelector(name: "reader")))
                ),
                (
                    "kubernetes-secret",
                    VaultAuth(
                        kubernetes: VaultKubernetesAuth(
                            mountPath: methods.kubernetes, role: "reader",
                            secretRef: SecretKeySelector(name: "reader-token")))
                ),
                (
                    "jwt-sa",
                    VaultAuth(
                        jwt: VaultJwtAuth(
                            path: methods.jwt, role: "reader",
                            kubernetesServiceAccountToken: VaultKubernetesServiceAccountTokenAuth(
                                serviceAccountRef: ServiceAccountSelector(name: "reader"))))
                ),
                (
                    "jwt-secret",
                    VaultAuth(
                        jwt: VaultJwtAuth(path: methods.jwt, role: "reader", secretRef: secretKey("jwt", "token")))
                ),
                (
                    "userpass",
                    VaultAuth(
                        userPass: VaultUserPassAuth(
                            path: methods.userpass, username: "app",
                            secretRef: secretKey("userpass-password", "password")))
                ),
                (
                    "cert",
                    VaultAuth(
                        cert: VaultCertAuth(
                            path: methods.cert, vaultRole: "web", clientCert: secretKey("client-cert", "tls.crt"),
                            secretRef: secretKey("client-cert", "tls.key")))
                ),
            ]
            for (name, auth) in stores {
                _ = try await client.api(SecretStore.self, namespace: namespace).create(
                    try vaultStore(name, path: mount, auth: auth))
                _ = try await client.api(ExternalSecret.self, namespace: namespace).create(
                    externalSecret(name, store: name, data: [entry("password", "db", property: "password")]))
            }
            for (name, _) in stores {
                #expect(try await waitForReady(client, namespace, name), "\(name): \(process.log.suffix(3000))")
                #expect(
                    try await client.api(Secret.self, namespace: namespace).get(name).data?["password"]
                        == Data(canary.utf8), "\(name)")
                #expect(try await waitForStore(client, namespace, name) != nil, "\(name) store not Ready")
            }
            try await expectNoLeak(client, namespace, process)
        }
    }

    /// Kubernetes auth at `mount` against the suite's API server, with a reviewer ServiceAccount
    /// bound to `system:auth-delegator`, and role `reader` for ServiceAccount `reader`.
    func setUpKubernetesAuth(
        _ client: KubeClient, _ namespace: String, plane: LocalControlPlane, mount: String, policy: String
    )
        async throws
    {
        for name in ["vault-reviewer", "reader"] {
            _ = try await client.api(ServiceAccount.self, namespace: namespace).create(
                ServiceAccount(metadata: ObjectMeta(name: name)))
        }
        let bindings = ResourceDescriptor(
            group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRoleBinding",
            plural: "clusterrolebindings",
            namespaced: false)
        _ = try await client.dynamicAPI(bindings).create(
            DynamicObject(
                apiVersion: bindings.apiVersion, kind: "ClusterRoleBinding",
                metadata: ObjectMeta(name: "\(namespace)-vault-reviewer"),
                content: [
                    "roleRef": [
                        "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:auth-delegator",
                    ],
                    "subjects": [
                        ["kind": "ServiceAccount", "name": "vault-reviewer", "namespace": .string(namespace)]
                    ],
                ]))
        let reviewer = try await client.requestToken(
            forServiceAccount: "vault-reviewer", in: namespace, audiences: [], expirationSeconds: 3600)
        let servingCA = try String(contentsOfFile: plane.servingCAPath, encoding: .utf8)
        try await currentBao().must(
            .POST, "auth/\(mount)/config",
            [
                "kubernetes_host": plane.server, "kubernetes_ca_cert": servingCA, "token_reviewer_jwt": reviewer.token,
                "disable_local_ca_jwt": true,
            ])
        try await currentBao().must(
            .POST, "auth/\(mount)/role/reader",
            [
                "bound_service_account_names": ["reader"], "bound_service_account_namespaces": [namespace],
                "token_policies": [policy], "token_ttl": "1h",
            ])
    }

    @Test func aHundredExternalSecretsOnOneStoreLogInOnce() async throws {
        let bao = try currentBao()
        let (mount, policy) = try await mountWithSecretAndReader()
        let login = try await appRoleLogin(policy: policy)
        let approle = login.path
        // OpenBao's audit log records every request it serves: the real count of logins.

        try await withOperator("vault-scale") { client, namespace, process in
            try await createAppRoleStore(client, namespace, mount: mount, login: login)
            let externalSecrets = client.api(ExternalSecret.self, namespace: namespace)
            for index in 0..<100 {
                _ = try await externalSecrets.create(
                    externalSecret("es-\(index)", store: "vault", data: [entry("password", "db", property: "password")])
                )
            }
            let allReady = try await eventually(timeout: .seconds(240)) {
                let items = try await externalSecrets.list().items
                return items.count == 100
                    && items.allSatisfy {
                        $0.status?.conditions?.condition(ofType: ESONames.conditionReady)?.reason
                            == ESOReason.secretSynced
                    }
            }
            #expect(allReady, "\(process.log.suffix(3000))")
            #expect(
                try await client.api(Secret.self, namespace: namespace).get("es-99").data?["password"]
                    == Data(canary.utf8))
            // All hundred synced (each needed a token), so every login there was is in the log.
            let logins = bao.auditedRequestPaths().filter { $0 == "auth/\(approle)/login" }
            #expect(logins.count == 1, "logins: \(logins.count)")
            let reads = bao.auditedRequestPaths().filter { $0 == "\(mount)/data/db" }
            #expect(!reads.isEmpty)
            try await expectNoLeak(client, namespace, process)
        }
    }

    /// Deleting a store closes its provider client at once: the client gauge drops, the client's
    /// token is revoked, and no read uses it afterwards although its ExternalSecret keeps trying.
    @Test func aDeletedStoreClosesItsClientAndRevokesItsToken() async throws {
        let bao = try currentBao()
        let (mount, policy) = try await mountWithSecretAndReader()
        let login = try await appRoleLogin(policy: policy)

        try await withOperator("vault-delete") { client, namespace, process in
            try await createAppRoleStore(client, namespace, mount: mount, login: login)
            _ = try await client.api(ExternalSecret.self, namespace: namespace).create(
                externalSecret(
                    "db", store: "vault", data: [entry("password", "db", property: "password")], refreshInterval: "1s"))
            #expect(try await waitForReady(client, namespace, "db"), "\(process.log.suffix(3000))")
            let clients = { metricSum(try await scrapeMetrics(process), "externalsecret_provider_clients") }
            #expect(try await clients() == 1)
            let revocations = { bao.auditedRequestPaths().filter { $0 == "auth/token/revoke-self" }.count }
            let revokedBefore = revocations()

            try await client.api(SecretStore.self, namespace: namespace).delete("vault")
            #expect(try await eventually(timeout: .seconds(30)) { try await clients() == 0 }, "\(process.log.suffix(2000))")
            #expect(try await eventually(timeout: .seconds(10)) { revocations() > revokedBefore })
            #expect(
                try await waitForReady(client, namespace, "db", status: "False", reason: ESOReason.secretSyncedError),
                "\(process.log.suffix(2000))")
            // The operator keeps looking (each failed reconcile counts an error); none reads Vault.
            let reads = { bao.auditedRequestPaths().filter { $0 == "\(mount)/data/db" }.count }
            let readsAfterDeletion = reads()
            let errors = {
                metricSum(
                    try await scrapeMetrics(process), "externalsecret_sync_calls_error",
                    labels: ["name": "db", "namespace": namespace])
            }
            let errorsBefore = try await errors()
            #expect(try await eventually(timeout: .seconds(30)) { try await errors() >= errorsBefore + 2 })
            #expect(reads() == readsAfterDeletion)
            #expect(try await clients() == 0)
            try await expectNoLeak(client, namespace, process)
        }
    }

    @Test func shortLivedTokensAreRenewedThenReplacedByOneNewLogin() async throws {
        let bao = try currentBao()
        let (mount, policy) = try await mountWithSecretAndReader()
        // Tokens live 15 s and at most 40 s: renewed twice or three times, then a new login.
        let login = try await appRoleLogin(policy: policy, ttl: "15s", maxTTL: "40s")
        let approle = login.path

        try await withOperator("vault-renew") { client, namespace, process in
            try await createAppRoleStore(client, namespace, mount: mount, login: login)
            _ = try await client.api(ExternalSecret.self, namespace: namespace).create(
                externalSecret(
                    "db", store: "vault", data: [entry("password", "db", property: "password")], refreshInterval: "2s"))
            #expect(try await waitForReady(client, namespace, "db"), "\(process.log.suffix(3000))")
            let start = ContinuousClock.now
            var failures: [String] = []
            while ContinuousClock.now - start < .seconds(50) {
                if let condition = try await readyCondition(client, namespace, "db"), condition.status != "True" {
                    failures.append(condition.message ?? "")
                }
                try await Task.sleep(for: .seconds(1))
            }
            #expect(failures.isEmpty, "the ExternalSecret failed while its token was renewed: \(failures.prefix(3))")
            let paths = bao.auditedRequestPaths()
            let logins = paths.filter { $0 == "auth/\(approle)/login" }.count
            let renewals = paths.filter { $0 == "auth/token/renew-self" }.count
            #expect(renewals >= 2, "renewals: \(renewals)")
            #expect(logins == 2, "logins: \(logins)")
            try await expectNoLeak(client, namespace, process)
        }
    }

    // MARK: - Errors

    @Test func aDeniedPathIsAClearConditionAndLeavesTheSecretAlone() async throws {
        let bao = try currentBao()
        let mount = unique("kv2")
        try await bao.mount(mount)
        try await bao.writeKV2(mount: mount, "app/db", ["password": canary])
        try await bao.writeKV2(mount: mount, "private/db", ["password": "private-\(canary)"])
        let policy = unique("app-only")
        try await bao.policy(policy, #"path "\#(mount)/data/app/*" { capabilities = ["read"] }"#)
        let login = try await appRoleLogin(policy: policy)
        let approle = login.path

        try await withOperator("vault-deny") { client, namespace, process in
            try await createAppRoleStore(client, namespace, mount: mount, login: login)
            // The store is usable (its token is valid) although its policy does not cover every path.
            #expect(try await waitForStore(client, namespace, "vault") != nil, "\(process.log.suffix(2000))")
            let externalSecrets = client.api(ExternalSecret.self, namespace: namespace)
            let secrets = client.api(Secret.self, namespace: namespace)
            _ = try await externalSecrets.create(
                externalSecret("app", store: "vault", data: [entry("password", "app/db", property: "password")]))
            _ = try await externalSecrets.create(
                externalSecret("private", store: "vault", data: [entry("password", "private/db", property: "password")])
            )

            // A path the policy never allowed: a clear condition and no Secret.
            var message = ""
            #expect(
                try await eventually(timeout: .seconds(60)) {
                    let condition = try await readyCondition(client, namespace, "private")
                    message = condition?.message ?? ""
                    return condition?.status == "False" && condition?.reason == ESOReason.secretSyncedError
                        && message.contains("permission denied")
                }, "message: \(message)")
            #expect(message.contains("private/db"), "message: \(message)")
            #expect(try await secrets.getIfExists("private") == nil)

            // A path allowed at first, then denied: the Secret keeps its value.
            #expect(try await waitForReady(client, namespace, "app"), "\(process.log.suffix(3000))")
            #expect(try await secrets.get("app").data?["password"] == Data(canary.utf8))
            let version = try await secrets.get("app").metadata.resourceVersion
            try await bao.policy(policy, #"path "\#(mount)/data/other/*" { capabilities = ["read"] }"#)
            try await bao.writeKV2(mount: mount, "app/db", ["password": "changed-\(canary)"])
            _ = try await externalSecrets.patch(
                "app", .merge(["metadata": ["annotations": [.init(stringLiteral: ESONames.forceSyncAnnotation): "1"]]]))
            #expect(
                try await waitForReady(client, namespace, "app", status: "False", reason: ESOReason.secretSyncedError))
            let denied = try await readyCondition(client, namespace, "app")?.message ?? ""
            #expect(denied.contains("permission denied"), "message: \(denied)")
            #expect(try await secrets.get("app").data?["password"] == Data(canary.utf8))
            #expect(try await secrets.get("app").metadata.resourceVersion == version)

            // Denials are not mistaken for a bad token: still one login.
            let logins = bao.auditedRequestPaths().filter { $0 == "auth/\(approle)/login" }
            #expect(logins.count == 1, "logins: \(logins.count)")
            try await expectNoLeak(client, namespace, process)
        }
    }

    @Test func aSealedServerIsAClearConditionAndTheSecretStays() async throws {
        let bao = try currentBao()
        let (mount, policy) = try await mountWithSecretAndReader()

        try await withOperator("vault-sealed") { client, namespace, process in
            try await tokenSecret(client, namespace, "vault-token", policy: policy)
            _ = try await client.api(SecretStore.self, namespace: namespace).create(
                try vaultStore("vault", path: mount, auth: VaultAuth(tokenSecretRef: secretKey("vault-token", "token")))
            )
            _ = try await client.api(ExternalSecret.self, namespace: namespace).create(
                externalSecret(
                    "db", store: "vault", data: [entry("password", "db", property: "password")], refreshInterval: "2s"))
            #expect(try await waitForReady(client, namespace, "db"), "\(process.log.suffix(3000))")
            let secrets = client.api(Secret.self, namespace: namespace)
            let version = try await secrets.get("db").metadata.resourceVersion

            try await bao.seal()
            do {
                var message = ""
                #expect(
                    try await eventually(timeout: .seconds(60)) {
                        let condition = try await readyCondition(client, namespace, "db")
                        message = condition?.message ?? ""
                        return condition?.status == "False" && message.contains("sealed")
                    }, "message: \(message)")
                #expect(try await secrets.get("db").data?["password"] == Data(canary.utf8))
                #expect(try await secrets.get("db").metadata.resourceVersion == version)
            } catch {
                try await bao.unseal()
                throw error
            }
            try await bao.unseal()
            // Back to normal once the server is unsealed, with the same token.
            #expect(
                try await waitForReady(client, namespace, "db", timeout: .seconds(120)), "\(process.log.suffix(3000))")
            try await expectNoLeak(client, namespace, process)
        }
    }

    @Test func rateLimitedReadsAreRetriedWithBackoffAndAllSync() async throws {
        let bao = try currentBao()
        let mount = unique("kv2")
        try await bao.mount(mount)
        for index in 0..<10 { try await bao.writeKV2(mount: mount, "db-\(index)", ["password": "\(canary)-\(index)"]) }
        let policy = unique("reader")
        try await readPolicy(policy, mounts: [mount])

        try await withOperator("vault-429") { client, namespace, process in
            try await tokenSecret(client, namespace, "vault-token", policy: policy)
            _ = try await client.api(SecretStore.self, namespace: namespace).create(
                try vaultStore("vault", path: mount, auth: VaultAuth(tokenSecretRef: secretKey("vault-token", "token")))
            )
            #expect(try await waitForStore(client, namespace, "vault") != nil, "\(process.log.suffix(2000))")
            // OpenBao answers 429 past two reads a second on this mount.
            let quota = unique("quota")
            try await bao.must(
                .POST, "sys/quotas/rate-limit/\(quota)", ["path": "\(mount)/", "rate": 2, "interval": "1s"])
            let externalSecrets = client.api(ExternalSecret.self, namespace: namespace)
            let started = ContinuousClock.now
            for index in 0..<10 {
                _ = try await externalSecrets.create(
                    externalSecret(
                        "db-\(index)", store: "vault", data: [entry("password", "db-\(index)", property: "password")]))
            }
            let allReady = try await eventually(timeout: .seconds(120)) {
                let items = try await externalSecrets.list().items
                return items.count == 10
                    && items.allSatisfy {
                        $0.status?.conditions?.condition(ofType: ESONames.conditionReady)?.reason
                            == ESOReason.secretSynced
                    }
            }
            let elapsed = ContinuousClock.now - started
            try await bao.must(.DELETE, "sys/quotas/rate-limit/\(quota)")
            #expect(allReady, "\(process.log.suffix(3000))")
            // Ten reads at two a second cannot all pass at once: the quota did refuse some.
            #expect(elapsed >= .seconds(3), "elapsed: \(elapsed)")
            for index in 0..<10 {
                #expect(
                    try await client.api(Secret.self, namespace: namespace).get("db-\(index)").data?["password"]
                        == Data("\(canary)-\(index)".utf8))
            }
            try await expectNoLeak(client, namespace, process)
        }
    }
}
