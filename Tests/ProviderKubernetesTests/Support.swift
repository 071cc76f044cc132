import ExternalSecretsAPI
import Foundation
import HTTPSupport
import HTTPTestSupport
import KubeClient
import KubeModel
import NIOHTTP1
import ProviderKit
import ProviderKubernetes
import ProviderTestSupport
import Synchronization

/// A value that must never show up in an error description.
let canary = "CANARY-7f3a9c-secret-value"

/// A JWT (unsigned: only its claims matter here) issued at `issuedAt`, valid for `lifetime`.
func jwt(subject: String, issuedAt: Date, lifetime: TimeInterval) -> String {
    func encode(_ text: String) -> String {
        Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
    let iat = Int(issuedAt.timeIntervalSince1970)
    let payload = #"{"sub":"\#(subject)","iat":\#(iat),"exp":\#(iat + Int(lifetime))}"#
    return encode(#"{"alg":"RS256"}"#) + "." + encode(payload) + ".c2lnbmF0dXJl"
}

/// What the provider handed to its transport factory.
final class TransportRecorder: Sendable {
    private let settings = Mutex<[TLSSettings]>([])
    private let shutdowns = Mutex(0)
    var tls: [TLSSettings] { settings.withLock { $0 } }
    var shutdownCount: Int { shutdowns.withLock { $0 } }

    func factory(_ transport: ScriptedTransport) -> TransportFactory {
        { tls in
            self.settings.withLock { $0.append(tls) }
            return (transport, { self.shutdowns.withLock { $0 += 1 } })
        }
    }
}

let localCluster: ClientConfiguration = {
    var tls = TLSSettings(trustedCAsPEM: Array("LOCAL-CA".utf8))
    tls.clientCertificatePEM = Array("OPERATOR-CERT".utf8)
    tls.clientKeyPEM = Array("OPERATOR-KEY".utf8)
    var configuration = ClientConfiguration(
        server: "https://10.96.0.1:443", tls: tls, authentication: .bearerToken("OPERATOR-TOKEN"))
    configuration.qps = 0
    return configuration
}()

func provider(
    _ transport: ScriptedTransport, recorder: TransportRecorder = TransportRecorder(), clock: TestClock = TestClock()
) -> KubernetesSecretsProvider {
    KubernetesSecretsProvider(localCluster: localCluster, transport: recorder.factory(transport), now: { clock.now })
}

func store(
    _ kubernetes: KubernetesProvider, kind: StoreKind = .secretStore, namespace: String? = "team",
    caller: String = "team"
) -> StoreContext {
    .fixture(SecretStoreProvider(kubernetes: kubernetes), kind: kind, name: "k8s", namespace: namespace, caller: caller)
}

/// A remote store reading namespace `remote` with a token from Secret `remote-token/token`.
func tokenStore(remoteNamespace: String? = "remote") -> StoreContext {
    store(
        KubernetesProvider(
            server: KubernetesServer(url: "https://remote.example:6443"),
            auth: KubernetesAuth(
                token: KubernetesTokenAuth(bearerToken: SecretKeySelector(name: "remote-token", key: "token"))),
            remoteNamespace: remoteNamespace))
}

func tokenReferences() -> FakeReferences {
    FakeReferences(secrets: ["remote-token/token": Data("store-token\n".utf8)])
}

// MARK: - Responses

func json(_ value: some Encodable, status: HTTPResponseStatus = .ok) -> ScriptedTransport.Reply {
    .respond(status, headers: ["Content-Type": "application/json"], body: Array(try! KubeJSON.encoder.encode(value)))
}

func secretReply(
    _ name: String, data: [String: Data], labels: [String: String]? = nil, annotations: [String: String]? = nil
) -> ScriptedTransport.Reply {
    json(
        Secret(
            metadata: ObjectMeta(name: name, namespace: "remote", labels: labels, annotations: annotations), data: data)
    )
}

func statusReply(_ code: Int, _ reason: String, message: String = "") -> ScriptedTransport.Reply {
    .respond(
        HTTPResponseStatus(statusCode: code), headers: ["Content-Type": "application/json"],
        body: Array(
            #"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"\#(message)","reason":"\#(reason)","code":\#(code)}"#
                .utf8))
}

func secretList(_ secrets: [Secret], continueToken: String? = nil) -> ScriptedTransport.Reply {
    var list = ObjectList<Secret>(metadata: ListMeta(), items: secrets)
    list.apiVersion = "v1"
    list.kind = "SecretList"
    list.metadata.continue = continueToken
    return json(list)
}

extension HTTPRequest {
    /// The path without the server and query.
    var path: String {
        let afterScheme = url.split(separator: "://", maxSplits: 1).last.map(String.init) ?? url
        let path = afterScheme.drop { $0 != "/" }
        return String(path.split(separator: "?", maxSplits: 1).first ?? "")
    }

    var query: String { url.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? "" }
    var authorization: String? { headers.first(name: "Authorization") }
}

/// The ProviderError thrown by `body`, or nil (with the test failing on the caller's #expect).
func providerError(_ body: () async throws -> Void) async -> ProviderError? {
    do {
        try await body()
        return nil
    } catch let error as ProviderError {
        return error
    } catch {
        return ProviderError(.other, "not a ProviderError: \(type(of: error))")
    }
}
