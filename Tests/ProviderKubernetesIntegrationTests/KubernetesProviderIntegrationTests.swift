import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import KubeClient
import KubeModel
import KubeTestSupport
import ProviderKit
import ProviderKubernetes
import Testing

/// A value that must never show up in an error description.
private let canary = "CANARY-91c2e4-remote-secret"
private let audience = "https://kubernetes.default.svc.cluster.local"

/// Namespaces, Secrets and RBAC for one test, made with the admin client:
/// - `remote` holds the Secrets to read (`db`, `db-replica`, `cache`, with labels);
/// - `home` holds the stores' credentials and the ServiceAccount `reader`, whose Role allows
///   get/list/watch on Secrets of `remote` only;
/// - `denied` holds a Secret the Role does not cover.
private struct Fixture {
    let admin: KubeClient
    let plane: LocalControlPlane
    let home: String
    let remote: String
    let denied: String
    /// The API server's serving CA, base64 of PEM as `server.caBundle` takes it.
    let caBundle: String

    static func make(_ admin: KubeClient) async throws -> Fixture {
        let plane = try currentPlane()
        let home = try await makeNamespace(admin, prefix: "home")
        let remote = try await makeNamespace(admin, prefix: "remote")
        let denied = try await makeNamespace(admin, prefix: "denied")
        let secrets = admin.api(Secret.self, namespace: remote)
        _ = try await secrets.create(
            Secret(
                metadata: ObjectMeta(
                    name: "db", labels: ["app": "web", "tier": "db"], annotations: ["owner": "team-a"]),
                stringData: ["user": "admin", "password": canary, "config": #"{"db":{"host":"h"}}"#]))
        _ = try await secrets.create(
            Secret(metadata: ObjectMeta(name: "db-replica", labels: ["app": "web"]), stringData: ["user": "replica"]))
        _ = try await secrets.create(
            Secret(metadata: ObjectMeta(name: "cache", labels: ["app": "cache"]), stringData: ["url": "redis://"]))
        _ = try await admin.api(Secret.self, namespace: denied).create(
            Secret(metadata: ObjectMeta(name: "db"), stringData: ["password": canary]))

        _ = try await admin.api(ServiceAccount.self, namespace: home).create(
            ServiceAccount(metadata: ObjectMeta(name: "reader")))
        let role = ResourceDescriptor(
            group: "rbac.authorization.k8s.io", version: "v1", kind: "Role", plural: "roles", namespaced: true)
        _ = try await admin.dynamicAPI(role, namespace: remote).create(
            DynamicObject(
                apiVersion: role.apiVersion, kind: "Role", metadata: ObjectMeta(name: "read-secrets"),
                content: ["rules": [["apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]]]]))
        let binding = ResourceDescriptor(
            group: "rbac.authorization.k8s.io", version: "v1", kind: "RoleBinding", plural: "rolebindings",
            namespaced: true)
        _ = try await admin.dynamicAPI(binding, namespace: remote).create(
            DynamicObject(
                apiVersion: binding.apiVersion, kind: "RoleBinding", metadata: ObjectMeta(name: "reader"),
                content: [
                    "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "read-secrets"],
                    "subjects": [["kind": "ServiceAccount", "name": "reader", "namespace": .string(home)]],
                ]))

        let pem = try Data(contentsOf: URL(fileURLWithPath: plane.servingCAPath))
        return Fixture(
            admin: admin, plane: plane, home: home, remote: remote, denied: denied,
            caBundle: pem.base64EncodedString())
    }

    /// Stores a TokenRequest token of `reader` in Secret `reader-token` of `home`.
    func storeReaderToken() async throws {
        let issued = try await admin.requestToken(
            forServiceAccount: "reader", in: home, audiences: [audience], expirationSeconds: 600)
        _ = try await admin.api(Secret.self, namespace: home).create(
            Secret(metadata: ObjectMeta(name: "reader-token"), stringData: ["token": issued.token]))
    }

    /// Stores the control plane's client certificate (`local-cert` context) in Secret `client-cert`.
    func storeClientCertificate() async throws {
        let certificate = try Data(contentsOf: URL(fileURLWithPath: plane.environment["CLIENT_CERT"] ?? ""))
        let key = try Data(contentsOf: URL(fileURLWithPath: plane.environment["CLIENT_KEY"] ?? ""))
        _ = try await admin.api(Secret.self, namespace: home).create(
            Secret(metadata: ObjectMeta(name: "client-cert"), data: ["tls.crt": certificate, "tls.key": key]))
    }

    var server: KubernetesServer { KubernetesServer(url: plane.server, caBundle: caBundle) }

    var tokenAuth: KubernetesAuth {
        KubernetesAuth(token: KubernetesTokenAuth(bearerToken: SecretKeySelector(name: "reader-token", key: "token")))
    }

    var serviceAccountAuth: KubernetesAuth {
        KubernetesAuth(serviceAccount: ServiceAccountSelector(name: "reader", audiences: [audience]))
    }

    /// A SecretStore in `home` with this provider block.
    func context(_ block: KubernetesProvider) -> StoreContext {
        StoreContext(
            kind: .secretStore, name: "k8s", storeNamespace: home, callerNamespace: home, uid: UUID().uuidString,
            generation: 1, spec: SecretStoreSpec(provider: SecretStoreProvider(kubernetes: block)))
    }

    /// The provider as the operator makes it: its own cluster is the control plane (with admin
    /// credentials, which the provider must never use).
    func provider() throws -> KubernetesSecretsProvider {
        KubernetesSecretsProvider(localCluster: try plane.configuration())
    }

    func client(_ block: KubernetesProvider) async throws -> any SecretsClient {
        let context = context(block)
        return try await provider().makeClient(
            for: context, references: KubeReferenceReader(client: admin, policy: ReferenceAccessPolicy(store: context)))
    }
}

/// Runs `body` with the client and always closes it.
private func using<T>(_ client: any SecretsClient, _ body: (any SecretsClient) async throws -> T) async throws -> T {
    do {
        let result = try await body(client)
        await client.close()
        return result
    } catch {
        await client.close()
        throw error
    }
}

/// The ProviderError `body` throws; records an issue for anything else.
private func providerError(_ body: () async throws -> Void) async -> ProviderError? {
    do {
        try await body()
        Issue.record("expected a ProviderError")
    } catch let error as ProviderError {
        return error
    } catch {
        Issue.record("expected a ProviderError, got \(type(of: error))")
    }
    return nil
}

private func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }

/// The kubernetes provider against a real kube-apiserver: each auth method reads a "remote"
/// namespace through RBAC, and a namespace the Role does not cover is refused.
@Suite(.controlPlane) struct KubernetesProviderIntegrationTests {
    /// The reads every store must answer the same way.
    private func readsRemoteNamespace(_ client: any SecretsClient, fixture: Fixture) async throws {
        #expect(try await client.validate() == .ready)
        #expect(text(try await client.getSecret(ExternalSecretDataRemoteRef(key: "db", property: "user"))) == "admin")
        #expect(
            text(try await client.getSecret(ExternalSecretDataRemoteRef(key: "db")))
                == #"{"config":"{\"db\":{\"host\":\"h\"}}","password":"\#(canary)","user":"admin"}"#)
        #expect(
            try await client.getSecretMap(ExternalSecretDataRemoteRef(key: "db-replica")) == [
                "user": Data("replica".utf8)
            ])
        let exploded = try await client.getSecretMap(ExternalSecretDataRemoteRef(key: "db", property: "config"))
        #expect(exploded == ["db": Data(#"{"host":"h"}"#.utf8)])
        #expect(
            text(
                try await client.getSecret(
                    ExternalSecretDataRemoteRef(key: "db", property: "labels", metadataPolicy: .fetch)))
                == #"{"app":"web","tier":"db"}"#)

        let byName = try await client.getAllSecrets(ExternalSecretFind(name: FindName(regexp: "^db")))
        #expect(byName.keys.sorted() == ["db", "db-replica"])
        #expect(byName["db-replica"] == Data(#"{"user":"replica"}"#.utf8))
        let byLabels = try await client.getAllSecrets(ExternalSecretFind(tags: ["app": "web"]))
        #expect(byLabels.keys.sorted() == ["db", "db-replica"])
        let byBoth = try await client.getAllSecrets(ExternalSecretFind(tags: ["app": "web", "tier": "db"]))
        #expect(byBoth.keys.sorted() == ["db"])

        let missing = await providerError { _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "nope")) }
        #expect(missing?.code == .notFound)
        #expect(missing?.message == #"Secret "nope" not found in namespace "\#(fixture.remote)""#)
        let missingKey = await providerError {
            _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db", property: "nope"))
        }
        #expect(missingKey?.code == .notFound)
        for error in [missing, missingKey] { #expect(error?.message.contains(canary) == false) }
    }

    @Test func tokenFromASecret() async throws {
        try await withAdminClient { admin in
            let fixture = try await Fixture.make(admin)
            try await fixture.storeReaderToken()
            let client = try await fixture.client(
                KubernetesProvider(server: fixture.server, auth: fixture.tokenAuth, remoteNamespace: fixture.remote))
            try await using(client) { try await readsRemoteNamespace($0, fixture: fixture) }
        }
    }

    @Test func serviceAccountThroughTheTokenRequestAPI() async throws {
        try await withAdminClient { admin in
            let fixture = try await Fixture.make(admin)
            let client = try await fixture.client(
                KubernetesProvider(
                    server: fixture.server, auth: fixture.serviceAccountAuth, remoteNamespace: fixture.remote))
            try await using(client) { try await readsRemoteNamespace($0, fixture: fixture) }
        }
    }

    @Test func clientCertificate() async throws {
        try await withAdminClient { admin in
            let fixture = try await Fixture.make(admin)
            try await fixture.storeClientCertificate()
            let auth = KubernetesAuth(
                cert: KubernetesCertAuth(
                    clientCert: SecretKeySelector(name: "client-cert", key: "tls.crt"),
                    clientKey: SecretKeySelector(name: "client-cert", key: "tls.key")))
            let client = try await fixture.client(
                KubernetesProvider(server: fixture.server, auth: auth, remoteNamespace: fixture.remote))
            try await using(client) { try await readsRemoteNamespace($0, fixture: fixture) }
        }
    }

    @Test func kubeconfigFromASecret() async throws {
        try await withAdminClient { admin in
            let fixture = try await Fixture.make(admin)
            let issued = try await admin.requestToken(
                forServiceAccount: "reader", in: fixture.home, audiences: [audience], expirationSeconds: 600)
            let kubeconfig = """
                apiVersion: v1
                kind: Config
                clusters:
                - name: remote
                  cluster: {server: "\(fixture.plane.server)", certificate-authority-data: "\(fixture.caBundle)"}
                users:
                - name: reader
                  user: {token: "\(issued.token)"}
                contexts:
                - name: remote
                  context: {cluster: remote, user: reader}
                current-context: remote
                """
            _ = try await admin.api(Secret.self, namespace: fixture.home).create(
                Secret(metadata: ObjectMeta(name: "kubeconfig"), stringData: ["config": kubeconfig]))
            let client = try await fixture.client(
                KubernetesProvider(
                    authRef: SecretKeySelector(name: "kubeconfig", key: "config"), remoteNamespace: fixture.remote))
            try await using(client) { try await readsRemoteNamespace($0, fixture: fixture) }
        }
    }

    @Test func caFromAConfigMapThroughCAProvider() async throws {
        try await withAdminClient { admin in
            let fixture = try await Fixture.make(admin)
            let pem = String(decoding: Data(base64Encoded: fixture.caBundle) ?? Data(), as: UTF8.self)
            _ = try await admin.api(ConfigMap.self, namespace: fixture.home).create(
                ConfigMap(metadata: ObjectMeta(name: "remote-ca"), data: ["ca.crt": pem]))
            let server = KubernetesServer(
                url: fixture.plane.server, caProvider: CAProvider(type: "ConfigMap", name: "remote-ca", key: "ca.crt"))
            let client = try await fixture.client(
                KubernetesProvider(server: server, auth: fixture.serviceAccountAuth, remoteNamespace: fixture.remote))
            try await using(client) { client in
                let user = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db", property: "user"))
                #expect(text(user) == "admin")
            }
        }
    }

    /// Without `server.url` the store reads the operator's own cluster — with the store's
    /// credentials: the operator's admin credentials would read `denied`, the store's may not.
    @Test func defaultServerUsesTheStoresCredentialsNotTheOperators() async throws {
        try await withAdminClient { admin in
            let fixture = try await Fixture.make(admin)
            let allowed = try await fixture.client(
                KubernetesProvider(auth: fixture.serviceAccountAuth, remoteNamespace: fixture.remote))
            try await using(allowed) { client in
                let user = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db", property: "user"))
                #expect(text(user) == "admin")
            }
            let refused = try await fixture.client(
                KubernetesProvider(
                    server: KubernetesServer(url: "kubernetes.default"), auth: fixture.serviceAccountAuth,
                    remoteNamespace: fixture.denied))
            try await using(refused) { client in
                let error = await providerError {
                    _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db"))
                }
                #expect(error?.code == .accessDenied)
            }
        }
    }

    @Test func pushSecretWritesOnlyWhatItManages() async throws {
        try await withAdminClient { admin in
            let fixture = try await Fixture.make(admin)
            try await fixture.storeReaderToken()
            let remoteSecrets = admin.api(Secret.self, namespace: fixture.remote)
            let client = try await fixture.client(
                KubernetesProvider(server: fixture.server, auth: fixture.tokenAuth, remoteNamespace: fixture.remote))
            try await using(client) { client in
                // Read-only credentials: the write is refused, naming the verb and namespace.
                let denied = await providerError {
                    try await client.pushSecret(.value(Data(canary.utf8)), to: PushTarget(remoteKey: "pushed", property: "password"))
                }
                #expect(denied?.code == .accessDenied)
                #expect(denied?.message == #"the store's credentials may not create secrets in namespace "\#(fixture.remote)""#)

                let role = ResourceDescriptor(
                    group: "rbac.authorization.k8s.io", version: "v1", kind: "Role", plural: "roles", namespaced: true)
                var readRole = try await admin.dynamicAPI(role, namespace: fixture.remote).get("read-secrets")
                readRole.content["rules"] = [
                    ["apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch", "create", "update", "delete"]]
                ]
                _ = try await admin.dynamicAPI(role, namespace: fixture.remote).replace(readRole)
                // RBAC changes reach the authorizer a moment later.
                _ = try await eventually(timeout: .seconds(10)) {
                    (try? await client.pushSecret(.value(Data(canary.utf8)), to: PushTarget(remoteKey: "pushed", property: "password"))) != nil
                }

                var pushed = try await remoteSecrets.get("pushed")
                #expect(pushed.metadata.labels?["app.kubernetes.io/managed-by"] == "external-secrets")
                #expect(pushed.data?["password"] == Data(canary.utf8))
                #expect(try await client.secretExists(PushTarget(remoteKey: "pushed", property: "password")))
                #expect(try await !client.secretExists(PushTarget(remoteKey: "pushed", property: "user")))
                #expect(try await !client.secretExists(PushTarget(remoteKey: "absent")))

                // All keys as one JSON property; then merged as keys. An unchanged push writes nothing.
                try await client.pushSecret(.allKeys(["user": Data("app".utf8)]), to: PushTarget(remoteKey: "pushed", property: "all"))
                try await client.pushSecret(.allKeys(["user": Data("app".utf8)]), to: PushTarget(remoteKey: "pushed"))
                pushed = try await remoteSecrets.get("pushed")
                #expect(pushed.data?["all"] == Data(#"{"user":"app"}"#.utf8))
                #expect(pushed.data?["user"] == Data("app".utf8) && pushed.data?["password"] == Data(canary.utf8))
                let version = pushed.metadata.resourceVersion
                try await client.pushSecret(.allKeys(["user": Data("app".utf8)]), to: PushTarget(remoteKey: "pushed"))
                #expect(try await remoteSecrets.get("pushed").metadata.resourceVersion == version)

                // A single key needs a property (as in ESO).
                let noProperty = await providerError { try await client.pushSecret(.value(Data()), to: PushTarget(remoteKey: "pushed")) }
                #expect(noProperty?.code == .invalidConfiguration)

                // A Secret this operator did not create is neither overwritten nor deleted.
                let foreign = await providerError {
                    try await client.pushSecret(.value(Data("x".utf8)), to: PushTarget(remoteKey: "db", property: "password"))
                }
                #expect(foreign?.code == .notManaged)
                let foreignDelete = await providerError { try await client.deleteSecret(PushTarget(remoteKey: "db")) }
                #expect(foreignDelete?.code == .notManaged)
                #expect(try await remoteSecrets.get("db").data?["password"] == Data(canary.utf8))

                // Deleting a property keeps the others; the last one deletes the Secret.
                try await client.deleteSecret(PushTarget(remoteKey: "pushed", property: "all"))
                #expect(try await remoteSecrets.get("pushed").data?["all"] == nil)
                try await client.deleteSecret(PushTarget(remoteKey: "pushed"))
                #expect(try await remoteSecrets.getIfExists("pushed") == nil)
                try await client.deleteSecret(PushTarget(remoteKey: "pushed"))  // already gone: not an error
                for error in [denied, noProperty, foreign, foreignDelete] {
                    #expect(error.map { "\($0)".contains(canary) } == false)
                }
            }
        }
    }

    @Test func namespaceTheRoleDoesNotCoverIsDenied() async throws {
        try await withAdminClient { admin in
            let fixture = try await Fixture.make(admin)
            try await fixture.storeReaderToken()
            for auth in [fixture.tokenAuth, fixture.serviceAccountAuth] {
                let client = try await fixture.client(
                    KubernetesProvider(server: fixture.server, auth: auth, remoteNamespace: fixture.denied))
                try await using(client) { client in
                    let expected = #"the store's credentials may not get secrets in namespace "\#(fixture.denied)""#
                    let read = await providerError {
                        _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db"))
                    }
                    #expect(read?.code == .accessDenied)
                    #expect(read?.message == expected)
                    let map = await providerError {
                        _ = try await client.getSecretMap(ExternalSecretDataRemoteRef(key: "db"))
                    }
                    #expect(map?.message == expected)
                    let find = await providerError { _ = try await client.getAllSecrets(ExternalSecretFind(tags: [:])) }
                    #expect(
                        find?.message
                            == #"the store's credentials may not list secrets in namespace "\#(fixture.denied)""#)
                    let validation = await providerError { _ = try await client.validate() }
                    #expect(validation?.code == .accessDenied)
                    #expect(validation?.message == expected)
                    for error in [read, map, find, validation] {
                        #expect(error.map { "\($0)".contains(canary) } == false)
                    }
                }
            }
        }
    }

    /// The usual least-privilege set-up: a Role that may get only named Secrets. No access review
    /// without a name allows it, so the store is accepted through the rules review, as in ESO.
    @Test func roleWithResourceNamesMakesAValidStore() async throws {
        try await withAdminClient { admin in
            let fixture = try await Fixture.make(admin)
            try await fixture.storeReaderToken()
            let named = try await makeNamespace(admin, prefix: "named")
            let secrets = admin.api(Secret.self, namespace: named)
            _ = try await secrets.create(Secret(metadata: ObjectMeta(name: "db"), stringData: ["user": "admin"]))
            _ = try await secrets.create(Secret(metadata: ObjectMeta(name: "other"), stringData: ["password": canary]))
            let role = ResourceDescriptor(
                group: "rbac.authorization.k8s.io", version: "v1", kind: "Role", plural: "roles", namespaced: true)
            _ = try await admin.dynamicAPI(role, namespace: named).create(
                DynamicObject(
                    apiVersion: role.apiVersion, kind: "Role", metadata: ObjectMeta(name: "get-db"),
                    content: [
                        "rules": [["apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "resourceNames": ["db"]]]
                    ]))
            let binding = ResourceDescriptor(
                group: "rbac.authorization.k8s.io", version: "v1", kind: "RoleBinding", plural: "rolebindings",
                namespaced: true)
            _ = try await admin.dynamicAPI(binding, namespace: named).create(
                DynamicObject(
                    apiVersion: binding.apiVersion, kind: "RoleBinding", metadata: ObjectMeta(name: "reader"),
                    content: [
                        "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "get-db"],
                        "subjects": [["kind": "ServiceAccount", "name": "reader", "namespace": .string(fixture.home)]],
                    ]))

            for auth in [fixture.tokenAuth, fixture.serviceAccountAuth] {
                let client = try await fixture.client(
                    KubernetesProvider(server: fixture.server, auth: auth, remoteNamespace: named))
                try await using(client) { client async throws in
                    #expect(try await client.validate() == .ready)
                    #expect(
                        text(try await client.getSecret(ExternalSecretDataRemoteRef(key: "db", property: "user")))
                            == "admin")
                    let other = await providerError {
                        _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "other"))
                    }
                    #expect(other?.code == .accessDenied)
                    #expect(other.map { "\($0)".contains(canary) } == false)
                }
            }
        }
    }

    @Test func invalidTokenIsAccessDeniedAndUntrustedServerIsUnavailable() async throws {
        try await withAdminClient { admin in
            let fixture = try await Fixture.make(admin)
            _ = try await admin.api(Secret.self, namespace: fixture.home).create(
                Secret(metadata: ObjectMeta(name: "reader-token"), stringData: ["token": "not-a-valid-token"]))
            let client = try await fixture.client(
                KubernetesProvider(server: fixture.server, auth: fixture.tokenAuth, remoteNamespace: fixture.remote))
            try await using(client) { client in
                let error = await providerError {
                    _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db"))
                }
                #expect(error?.code == .accessDenied)
                #expect(error?.message.contains("401 Unauthorized") == true)
                #expect(error?.message.contains("not-a-valid-token") == false)
            }

            // Without the serving CA the server's certificate is not trusted.
            let untrusted = try await fixture.client(
                KubernetesProvider(
                    server: KubernetesServer(url: fixture.plane.server), auth: fixture.serviceAccountAuth,
                    remoteNamespace: fixture.remote))
            try await using(untrusted) { client in
                let error = await providerError {
                    _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db"))
                }
                #expect(error?.code == .unavailable)
                #expect(error?.message.contains(fixture.plane.server) == true)
            }
        }
    }

    @Test func secretStoreMayNotReadCredentialsFromAnotherNamespace() async throws {
        try await withAdminClient { admin in
            let fixture = try await Fixture.make(admin)
            // The token Secret lives in `denied`, not in the store's namespace.
            let issued = try await admin.requestToken(
                forServiceAccount: "reader", in: fixture.home, audiences: [audience], expirationSeconds: 600)
            _ = try await admin.api(Secret.self, namespace: fixture.denied).create(
                Secret(metadata: ObjectMeta(name: "reader-token"), stringData: ["token": issued.token]))
            let block = KubernetesProvider(
                server: fixture.server,
                auth: KubernetesAuth(
                    token: KubernetesTokenAuth(
                        bearerToken: SecretKeySelector(name: "reader-token", key: "token", namespace: fixture.denied))),
                remoteNamespace: fixture.remote)
            let provider = try fixture.provider()
            let context = fixture.context(block)
            #expect(throws: ProviderError.self) { try provider.validateStore(context) }
            let error = await providerError {
                _ = try await provider.makeClient(
                    for: context,
                    references: KubeReferenceReader(client: admin, policy: ReferenceAccessPolicy(store: context)))
            }
            #expect(error?.code == .invalidConfiguration)
        }
    }
}
