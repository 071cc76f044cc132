import ExternalSecretsAPI
import Foundation
import HTTPSupport
import HTTPTestSupport
import KubeClient
import KubeModel
import NIOHTTP1
import ProviderKit
import ProviderKubernetes
import Synchronization

/// A value that must never show up in an error description.
let canary = "CANARY-7f3a9c-secret-value"

/// A ReferenceReader over fixed values that records what was asked. ServiceAccount tokens are
/// issued from `tokens` in order.
final class FakeReferences: ReferenceReader {
    private struct State {
        var secrets: [String: Data] = [:]
        var caBundles: [String: Data] = [:]
        var tokens: [String] = []
        var issued = 0
        var asked: [String] = []
    }

    private let state = Mutex(State())

    init(secrets: [String: Data] = [:], caBundles: [String: Data] = [:], tokens: [String] = []) {
        state.withLock {
            $0.secrets = secrets
            $0.caBundles = caBundles
            $0.tokens = tokens
        }
    }

    /// What was read, as `secret name/key`, `ca name/key` or `token name [audiences]`, in order.
    var asked: [String] { state.withLock { $0.asked } }
    var issuedTokens: Int { state.withLock { $0.issued } }

    func setSecret(_ path: String, _ value: Data) { state.withLock { $0.secrets[path] = value } }

    func secretValue(_ selector: SecretKeySelector, field: String) async throws -> Data {
        let path = "\(selector.name ?? "")/\(selector.key ?? "")"
        return try state.withLock { state in
            state.asked.append("secret \(path)")
            guard let value = state.secrets[path] else {
                throw ProviderError.invalidConfiguration("\(field): Secret \(path) not found")
            }
            return value
        }
    }

    func caBundle(_ provider: CAProvider, field: String) async throws -> Data {
        let path = "\(provider.name)/\(provider.key ?? "")"
        return try state.withLock { state in
            state.asked.append("ca \(path)")
            guard let value = state.caBundles[path] else { throw ProviderError.invalidConfiguration("\(field): no CA") }
            return value
        }
    }

    func serviceAccountToken(_ selector: ServiceAccountSelector, audiences: [String], field: String) async throws
        -> String
    {
        try state.withLock { state in
            state.asked.append("token \(selector.name) \(audiences)")
            guard state.issued < state.tokens.count else { throw ProviderError.invalidConfiguration("no token left") }
            state.issued += 1
            return state.tokens[state.issued - 1]
        }
    }
}

/// Wall-clock time that a test moves by hand.
final class TestClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_700_000_000))
    var now: Date { current.withLock { $0 } }
    func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

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
    StoreContext(
        kind: kind, name: "k8s", storeNamespace: kind == .secretStore ? namespace : nil, callerNamespace: caller,
        uid: "uid-1", generation: 1, spec: SecretStoreSpec(provider: SecretStoreProvider(kubernetes: kubernetes)))
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
