import ExternalSecretsAPI
import Foundation
import HTTPTestSupport
import ProviderKit
import ProviderKubernetes
import Testing

private let token = KubernetesAuth(token: KubernetesTokenAuth(bearerToken: SecretKeySelector(name: "t", key: "token")))
private let pem = Data("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".utf8).base64EncodedString()

/// One store block and what `validateStore` must say about it: nil for valid, else a fragment of
/// the error message.
struct ValidationCase: Sendable, CustomTestStringConvertible {
    var name: String
    var kind: StoreKind = .secretStore
    var block: KubernetesProvider
    var error: String?

    var testDescription: String { name }
}

private let cases: [ValidationCase] = [
    ValidationCase(name: "token, default server", block: KubernetesProvider(auth: token)),
    ValidationCase(
        name: "token with the store's own namespace",
        block: KubernetesProvider(
            auth: KubernetesAuth(
                token: KubernetesTokenAuth(bearerToken: SecretKeySelector(name: "t", key: "k", namespace: "team"))))),
    ValidationCase(
        name: "token naming another namespace",
        block: KubernetesProvider(
            auth: KubernetesAuth(
                token: KubernetesTokenAuth(bearerToken: SecretKeySelector(name: "t", key: "k", namespace: "other")))),
        error: "namespace should either be empty or match the namespace of the SecretStore"),
    ValidationCase(
        name: "cluster store token without namespace", kind: .clusterSecretStore,
        block: KubernetesProvider(auth: token),
        error: "auth.token.bearerToken: cluster scope requires namespace"),
    ValidationCase(
        name: "cluster store token in any namespace", kind: .clusterSecretStore,
        block: KubernetesProvider(
            auth: KubernetesAuth(
                token: KubernetesTokenAuth(bearerToken: SecretKeySelector(name: "t", key: "k", namespace: "creds"))))),
    ValidationCase(name: "no auth at all", block: KubernetesProvider(), error: "one of auth or authRef is required"),
    ValidationCase(
        name: "auth and authRef",
        block: KubernetesProvider(auth: token, authRef: SecretKeySelector(name: "kc", key: "config")),
        error: "mutually exclusive"),
    ValidationCase(
        name: "two auth methods",
        block: KubernetesProvider(
            auth: KubernetesAuth(
                token: KubernetesTokenAuth(bearerToken: SecretKeySelector(name: "t", key: "k")),
                serviceAccount: ServiceAccountSelector(name: "sa"))),
        error: "exactly one of token, serviceAccount or cert is required, found 2"),
    ValidationCase(name: "empty auth", block: KubernetesProvider(auth: KubernetesAuth()), error: "found 0"),
    ValidationCase(
        name: "token without key",
        block: KubernetesProvider(
            auth: KubernetesAuth(token: KubernetesTokenAuth(bearerToken: SecretKeySelector(name: "t")))),
        error: "auth.token.bearerToken.key is required"),
    ValidationCase(
        name: "serviceAccount",
        block: KubernetesProvider(auth: KubernetesAuth(serviceAccount: ServiceAccountSelector(name: "sa")))),
    ValidationCase(
        name: "serviceAccount elsewhere",
        block: KubernetesProvider(
            auth: KubernetesAuth(serviceAccount: ServiceAccountSelector(name: "sa", namespace: "kube-system"))),
        error: "auth.serviceAccount: namespace should either be empty"),
    ValidationCase(
        name: "cluster store serviceAccount without namespace (referent)", kind: .clusterSecretStore,
        block: KubernetesProvider(auth: KubernetesAuth(serviceAccount: ServiceAccountSelector(name: "sa")))),
    ValidationCase(
        name: "cert",
        block: KubernetesProvider(
            auth: KubernetesAuth(
                cert: KubernetesCertAuth(
                    clientCert: SecretKeySelector(name: "c", key: "tls.crt"),
                    clientKey: SecretKeySelector(name: "c", key: "tls.key"))))),
    ValidationCase(
        name: "cert without client key name",
        block: KubernetesProvider(
            auth: KubernetesAuth(
                cert: KubernetesCertAuth(
                    clientCert: SecretKeySelector(name: "c", key: "tls.crt"),
                    clientKey: SecretKeySelector(key: "tls.key")))),
        error: "auth.cert.clientKey.name is required"),
    ValidationCase(name: "authRef", block: KubernetesProvider(authRef: SecretKeySelector(name: "kc", key: "config"))),
    ValidationCase(
        name: "authRef without key", block: KubernetesProvider(authRef: SecretKeySelector(name: "kc")),
        error: "authRef.key is required"),
    ValidationCase(
        name: "caProvider with namespace on a SecretStore",
        block: KubernetesProvider(
            server: KubernetesServer(
                caProvider: CAProvider(type: "ConfigMap", name: "ca", key: "ca.crt", namespace: "team")),
            auth: token),
        error: "caProvider.namespace must be empty with SecretStore"),
    ValidationCase(
        name: "caProvider without namespace on a ClusterSecretStore", kind: .clusterSecretStore,
        block: KubernetesProvider(
            server: KubernetesServer(caProvider: CAProvider(type: "ConfigMap", name: "ca", key: "ca.crt")),
            authRef: SecretKeySelector(name: "kc", key: "config", namespace: "creds")),
        error: "caProvider.namespace must not be empty with ClusterSecretStore"),
    ValidationCase(
        name: "caProvider of an unknown type",
        block: KubernetesProvider(
            server: KubernetesServer(caProvider: CAProvider(type: "Vault", name: "ca", key: "k")), auth: token),
        error: "caProvider.type must be Secret or ConfigMap"),
    ValidationCase(
        name: "caBundle",
        block: KubernetesProvider(server: KubernetesServer(url: "https://x:6443", caBundle: pem), auth: token)),
    ValidationCase(
        name: "caBundle not base64", block: KubernetesProvider(server: KubernetesServer(caBundle: "%%%"), auth: token),
        error: "caBundle is not valid base64"),
    ValidationCase(
        name: "caBundle without a certificate",
        block: KubernetesProvider(
            server: KubernetesServer(caBundle: Data("hello".utf8).base64EncodedString()), auth: token),
        error: "caBundle holds no PEM certificate"),
    ValidationCase(
        name: "bare host and port",
        block: KubernetesProvider(server: KubernetesServer(url: "api.example.com:6443"), auth: token)),
    ValidationCase(
        name: "not a URL",
        block: KubernetesProvider(server: KubernetesServer(url: "ftp://api.example.com"), auth: token),
        error: "is not an http(s) URL"),
    ValidationCase(
        name: "URL with credentials",
        block: KubernetesProvider(server: KubernetesServer(url: "https://user:pw@api.example.com"), auth: token),
        error: "may not carry credentials"),
    ValidationCase(
        name: "bad remote namespace", block: KubernetesProvider(auth: token, remoteNamespace: "Not_A_Namespace"),
        error: "remoteNamespace"),
]

@Suite struct StoreValidationTests {
    @Test(arguments: cases)
    func validateStore(_ example: ValidationCase) async throws {
        let provider = provider(ScriptedTransport(replies: []))
        let context = store(example.block, kind: example.kind)
        do {
            try provider.validateStore(context)
            #expect(example.error == nil, "expected an error containing \"\(example.error ?? "")\"")
        } catch let error as ProviderError {
            #expect(error.code == .invalidConfiguration)
            if let expected = example.error {
                #expect(error.message.contains(expected), "\(error.message)")
            } else {
                Issue.record("unexpected error: \(error.message)")
            }
        }
    }

    @Test func nameAndCapabilities() throws {
        let provider = provider(ScriptedTransport(replies: []))
        #expect(provider.name == "kubernetes")
        #expect(provider.capabilities == .readWrite)
        let registered = try ProviderRegistry([provider]).provider(
            for: SecretStoreSpec(provider: SecretStoreProvider(kubernetes: KubernetesProvider())))
        #expect(registered.name == "kubernetes")
    }
}
