import ExternalSecretsAPI
import Foundation
import HTTPSupport
import HTTPTestSupport
import KubeModel
import NIOHTTP1
import ProviderKit
import ProviderKubernetes
import ProviderTestSupport
import Synchronization
import Testing

private let anySecret: @Sendable (HTTPRequest) -> ScriptedTransport.Reply = { _ in
    secretReply("db", data: ["k": Data("v".utf8)])
}
private let ref = ExternalSecretDataRemoteRef(key: "db", property: "k")
private let pemText = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

/// How each auth method becomes a transport and headers, and when tokens are fetched again.
@Suite struct AuthenticationTests {
    @Test func serviceAccountTokenIsRequestedAgainBeforeItExpires() async throws {
        let clock = TestClock()
        let first = jwt(subject: "first", issuedAt: clock.now, lifetime: 600)
        let second = jwt(subject: "second", issuedAt: clock.now.addingTimeInterval(500), lifetime: 600)
        let references = FakeReferences(tokens: [first, second])
        let transport = ScriptedTransport(anySecret)
        let context = store(
            KubernetesProvider(
                server: KubernetesServer(url: "https://remote.example"),
                auth: KubernetesAuth(serviceAccount: ServiceAccountSelector(name: "reader", audiences: ["remote-api"])),
                remoteNamespace: "remote"))
        let client = try await provider(transport, clock: clock).makeClient(for: context, references: references)

        _ = try await client.getSecret(ref)
        clock.advance(by: 400)
        _ = try await client.getSecret(ref)
        #expect(references.issuedTokens == 1)
        // 80% of the 600 s lifetime has passed: the next request carries a new token.
        clock.advance(by: 100)
        _ = try await client.getSecret(ref)
        #expect(references.issuedTokens == 2)
        #expect(transport.requests.map(\.authorization) == ["Bearer \(first)", "Bearer \(first)", "Bearer \(second)"])
        #expect(references.asked == ["token reader [\"remote-api\"]", "token reader [\"remote-api\"]"])
        await client.close()
    }

    @Test func concurrentReadsShareOneRenewal() async throws {
        let clock = TestClock()
        let references = FakeReferences(tokens: [
            jwt(subject: "a", issuedAt: clock.now, lifetime: 600),
            jwt(subject: "b", issuedAt: clock.now, lifetime: 600),
            jwt(subject: "c", issuedAt: clock.now, lifetime: 600),
        ])
        let context = store(
            KubernetesProvider(
                server: KubernetesServer(url: "https://remote.example"),
                auth: KubernetesAuth(serviceAccount: ServiceAccountSelector(name: "reader"))))
        let client = try await provider(ScriptedTransport(anySecret), clock: clock).makeClient(
            for: context, references: references)
        clock.advance(by: 481)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<20 { group.addTask { _ = try await client.getSecret(ref) } }
            try await group.waitForAll()
        }
        #expect(references.issuedTokens == 2)
    }

    @Test func renewalIsCountedFromTheFetchSoClockSkewChangesNothing() async throws {
        let clock = TestClock()
        // The API server's clock is an hour behind the operator's.
        let skewed = jwt(subject: "skewed", issuedAt: clock.now.addingTimeInterval(-3600), lifetime: 600)
        let references = FakeReferences(tokens: [skewed, "next"])
        let context = store(
            KubernetesProvider(
                server: KubernetesServer(url: "https://remote.example"),
                auth: KubernetesAuth(serviceAccount: ServiceAccountSelector(name: "reader"))))
        let client = try await provider(ScriptedTransport(anySecret), clock: clock).makeClient(
            for: context, references: references)
        clock.advance(by: 470)
        _ = try await client.getSecret(ref)
        #expect(references.issuedTokens == 1)
        clock.advance(by: 20)
        _ = try await client.getSecret(ref)
        #expect(references.issuedTokens == 2)
    }

    @Test func failedRenewalKeepsUsingTheTokenUntilItExpires() async throws {
        let clock = TestClock()
        let only = jwt(subject: "only", issuedAt: clock.now, lifetime: 600)
        let references = FakeReferences(tokens: [only])
        let transport = ScriptedTransport(anySecret)
        let context = store(
            KubernetesProvider(
                server: KubernetesServer(url: "https://remote.example"),
                auth: KubernetesAuth(serviceAccount: ServiceAccountSelector(name: "reader"))))
        let client = try await provider(transport, clock: clock).makeClient(for: context, references: references)
        clock.advance(by: 500)
        _ = try await client.getSecret(ref)
        #expect(transport.requests.last?.authorization == "Bearer \(only)")
        clock.advance(by: 101)
        let error = await providerError { _ = try await client.getSecret(ref) }
        #expect(error?.message == "no token left")
        #expect(references.asked.count == 3)
    }

    @Test func refusedTokenIsRenewedAndTheRequestSentOnceMore() async throws {
        let references = FakeReferences(tokens: ["opaque-1", "opaque-2"])
        let transport = ScriptedTransport { request in
            request.authorization == "Bearer opaque-1" ? statusReply(401, "Unauthorized") : anySecret(request)
        }
        let context = store(
            KubernetesProvider(
                server: KubernetesServer(url: "https://remote.example"),
                auth: KubernetesAuth(serviceAccount: ServiceAccountSelector(name: "reader"))))
        let client = try await provider(transport).makeClient(for: context, references: references)
        #expect(try await client.getSecret(ref) == Data("v".utf8))
        #expect(transport.requests.map(\.authorization) == ["Bearer opaque-1", "Bearer opaque-2"])
    }

    @Test func tokenSecretIsReadAgainAfterAWhileSoRotationNeedsNoStoreChange() async throws {
        let clock = TestClock()
        let references = tokenReferences()
        let transport = ScriptedTransport(anySecret)
        let client = try await provider(transport, clock: clock).makeClient(for: tokenStore(), references: references)
        _ = try await client.getSecret(ref)
        references.setSecret("remote-token/token", Data("rotated".utf8))
        clock.advance(by: 299)
        _ = try await client.getSecret(ref)
        clock.advance(by: 2)
        _ = try await client.getSecret(ref)
        #expect(
            transport.requests.map(\.authorization) == ["Bearer store-token", "Bearer store-token", "Bearer rotated"])
    }

    @Test func defaultServerIsTheOperatorsClusterWithTheStoresOwnCredentials() async throws {
        let recorder = TransportRecorder()
        let transport = ScriptedTransport(anySecret)
        let context = store(
            KubernetesProvider(
                server: KubernetesServer(url: "kubernetes.default"),
                auth: KubernetesAuth(
                    token: KubernetesTokenAuth(bearerToken: SecretKeySelector(name: "remote-token", key: "token")))))
        let client = try await provider(transport, recorder: recorder).makeClient(
            for: context, references: tokenReferences())
        _ = try await client.getSecret(ref)
        let request = try #require(transport.requests.first)
        #expect(request.url == "https://10.96.0.1:443/api/v1/namespaces/default/secrets/db")
        #expect(request.authorization == "Bearer store-token")
        let tls = try #require(recorder.tls.first)
        #expect(tls.trustedCAsPEM == Array("LOCAL-CA".utf8))
        #expect(tls.clientCertificatePEM == nil)
        #expect(tls.clientKeyPEM == nil)
    }

    @Test func caBundleCAProviderAndClientCertificateGoIntoTheTLSSettings() async throws {
        let recorder = TransportRecorder()
        let transport = ScriptedTransport(anySecret)
        let references = FakeReferences(
            secrets: ["client/tls.crt": Data("CLIENT-CERT".utf8), "client/tls.key": Data("CLIENT-KEY".utf8)],
            caBundles: ["remote-ca/ca.crt": Data(pemText.utf8)])
        let cert = KubernetesAuth(
            cert: KubernetesCertAuth(
                clientCert: SecretKeySelector(name: "client", key: "tls.crt"),
                clientKey: SecretKeySelector(name: "client", key: "tls.key")))
        let withProvider = store(
            KubernetesProvider(
                server: KubernetesServer(
                    url: "https://remote.example",
                    caProvider: CAProvider(type: "ConfigMap", name: "remote-ca", key: "ca.crt")),
                auth: cert))
        let client = try await provider(transport, recorder: recorder).makeClient(
            for: withProvider, references: references)
        _ = try await client.getSecret(ref)
        #expect(transport.requests.first?.authorization == nil)
        #expect(references.asked == ["ca remote-ca/ca.crt", "secret client/tls.crt", "secret client/tls.key"])
        let tls = try #require(recorder.tls.first)
        #expect(tls.trustedCAsPEM == Array(pemText.utf8))
        #expect(tls.clientCertificatePEM == Array("CLIENT-CERT".utf8))
        #expect(tls.clientKeyPEM == Array("CLIENT-KEY".utf8))

        let withBundle = store(
            KubernetesProvider(
                server: KubernetesServer(
                    url: "https://remote.example", caBundle: Data(pemText.utf8).base64EncodedString()),
                auth: cert))
        _ = try await provider(transport, recorder: recorder).makeClient(for: withBundle, references: references)
        #expect(recorder.tls.last?.trustedCAsPEM == Array(pemText.utf8))
    }

    @Test func unusableTLSMaterialIsAConfigurationErrorWithoutTheMaterial() async throws {
        let references = FakeReferences(secrets: [
            "client/tls.crt": Data(pemText.utf8),
            "client/tls.key": Data("-----BEGIN PRIVATE KEY-----\n\(canary)\n".utf8),
        ])
        let context = store(
            KubernetesProvider(
                server: KubernetesServer(url: "https://remote.example"),
                auth: KubernetesAuth(
                    cert: KubernetesCertAuth(
                        clientCert: SecretKeySelector(name: "client", key: "tls.crt"),
                        clientKey: SecretKeySelector(name: "client", key: "tls.key")))))
        // The production transport factory parses the PEM material.
        let provider = KubernetesSecretsProvider(localCluster: localCluster)
        let error = await providerError { _ = try await provider.makeClient(for: context, references: references) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("not PEM") == true)
        #expect(error?.message.contains(canary) == false)
    }

    @Test func kubeconfigFromASecretNamesServerCAAndToken() async throws {
        let recorder = TransportRecorder()
        let transport = ScriptedTransport(anySecret)
        let kubeconfig = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: remote
              cluster:
                server: https://remote.example:6443/
                certificate-authority-data: \(Data(pemText.utf8).base64EncodedString())
            users:
            - name: reader
              user:
                token: kubeconfig-token
            contexts:
            - name: remote
              context: {cluster: remote, user: reader}
            current-context: remote
            """
        let references = FakeReferences(secrets: ["kc/config": Data(kubeconfig.utf8)])
        let context = store(
            KubernetesProvider(
                server: KubernetesServer(
                    url: "https://ignored.example",
                    caProvider: CAProvider(type: "Secret", name: "ignored", key: "ca.crt")),
                authRef: SecretKeySelector(name: "kc", key: "config"), remoteNamespace: "apps"))
        let client = try await provider(transport, recorder: recorder).makeClient(for: context, references: references)
        _ = try await client.getSecret(ref)
        let request = try #require(transport.requests.first)
        #expect(request.url == "https://remote.example:6443/api/v1/namespaces/apps/secrets/db")
        #expect(request.authorization == "Bearer kubeconfig-token")
        #expect(recorder.tls.first?.trustedCAsPEM == Array(pemText.utf8))
        #expect(references.asked == ["secret kc/config"])
    }

    @Test(arguments: [
        (
            "exec:\n      command: /bin/sh\n      apiVersion: client.authentication.k8s.io/v1",
            "users[u].exec is not allowed"
        ),
        ("tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token", "users[u].tokenFile is not allowed"),
        (
            "client-certificate: /etc/cert.pem\n    client-key: /etc/key.pem",
            "users[u].client-certificate is not allowed"
        ),
        ("auth-provider: {name: gcp}", "users[u].auth-provider is not allowed"),
    ])
    func kubeconfigMayNotReadFilesOrRunCommands(user: String, expected: String) async throws {
        let kubeconfig = """
            clusters:
            - name: c
              cluster: {server: "https://remote.example"}
            users:
            - name: u
              user:
                \(user)
            contexts:
            - name: x
              context: {cluster: c, user: u}
            current-context: x
            """
        let recorder = TransportRecorder()
        let references = FakeReferences(secrets: ["kc/config": Data(kubeconfig.utf8)])
        let context = store(KubernetesProvider(authRef: SecretKeySelector(name: "kc", key: "config")))
        let error = await providerError {
            _ = try await provider(ScriptedTransport(replies: []), recorder: recorder).makeClient(
                for: context, references: references)
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
        #expect(recorder.tls.isEmpty)
    }

    @Test func kubeconfigThatIsNotOneIsRefusedWithoutQuotingIt() async throws {
        let references = FakeReferences(secrets: ["kc/config": Data("{\(canary): [".utf8)])
        let context = store(KubernetesProvider(authRef: SecretKeySelector(name: "kc", key: "config")))
        let error = await providerError {
            _ = try await provider(ScriptedTransport(replies: [])).makeClient(for: context, references: references)
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains(canary) == false)
    }

    @Test func referentClusterStoreWithoutACallerNamespaceValidatesAsUnknown() async throws {
        let recorder = TransportRecorder()
        let context = store(
            KubernetesProvider(auth: KubernetesAuth(serviceAccount: ServiceAccountSelector(name: "reader"))),
            kind: .clusterSecretStore, caller: "")
        let references = FakeReferences()
        let client = try await provider(ScriptedTransport(replies: []), recorder: recorder).makeClient(
            for: context, references: references)
        #expect(try await client.validate() == .unknown)
        let read = await providerError { _ = try await client.getSecret(ref) }
        #expect(read?.code == .invalidConfiguration)
        #expect(references.asked.isEmpty)
        #expect(recorder.tls.isEmpty)
    }

    @Test func referentClusterStoreReadsCredentialsOfTheCallerAndValidatesAsUnknown() async throws {
        let transport = ScriptedTransport(anySecret)
        let context = store(
            KubernetesProvider(auth: KubernetesAuth(serviceAccount: ServiceAccountSelector(name: "reader"))),
            kind: .clusterSecretStore, caller: "apps")
        let references = FakeReferences(tokens: ["t"])
        let client = try await provider(transport).makeClient(for: context, references: references)
        #expect(try await client.validate() == .unknown)
        #expect(try await client.getSecret(ref) == Data("v".utf8))
    }

    @Test func closeShutsTheTransportDown() async throws {
        let recorder = TransportRecorder()
        let client = try await provider(ScriptedTransport(anySecret), recorder: recorder).makeClient(
            for: tokenStore(), references: tokenReferences())
        #expect(recorder.shutdownCount == 0)
        await client.close()
        #expect(recorder.shutdownCount == 1)
    }

    @Test func missingCredentialFailsTheClientWithTheReadersError() async throws {
        let error = await providerError {
            _ = try await provider(ScriptedTransport(replies: [])).makeClient(
                for: tokenStore(), references: FakeReferences())
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("auth.token.bearerToken") == true)
    }
}
