import ExternalSecretsAPI
import Foundation
import HTTPSupport
import HTTPTestSupport
import NIOHTTP1
import ProviderKit
import Synchronization

@testable import ProviderVault

/// A value that must never show up in an error description or a log.
let canary = "CANARY-5e1d0b-vault-value"

/// A ReferenceReader over fixed values that records what was asked.
final class FakeReferences: ReferenceReader {
    private struct State {
        var secrets: [String: Data] = [:]
        var caBundles: [String: Data] = [:]
        var tokenCounter = 0
        var asked: [String] = []
    }

    private let state = Mutex(State())

    init(secrets: [String: String] = [:], caBundles: [String: Data] = [:]) {
        state.withLock {
            $0.secrets = secrets.mapValues { Data($0.utf8) }
            $0.caBundles = caBundles
        }
    }

    /// What was read, as `secret name/key`, `ca name/key` or `token name [audiences]`, in order.
    var asked: [String] { state.withLock { $0.asked } }

    func setSecret(_ path: String, _ value: String) { state.withLock { $0.secrets[path] = Data(value.utf8) } }

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
        state.withLock { state in
            state.asked.append("token \(selector.name) \(audiences)")
            state.tokenCounter += 1
            return "jwt-\(selector.name)-\(state.tokenCounter)"
        }
    }
}

/// Wall-clock time that a test moves by hand.
final class TestClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_700_000_000))
    var now: Date { current.withLock { $0 } }
    func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// A value shared between a test and the closures it hands out.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    var value: Value { mutex.withLock { $0 } }
    func update<T>(_ body: (inout Value) -> T) -> T { mutex.withLock { body(&$0) } }
}

/// A scripted Vault: answers requests from a table of handlers keyed by `METHOD path` (path
/// below `/v1/`, without the query; `LIST path` for list requests), and records every request.
/// Unscripted requests get Vault's 404.
final class ScriptedVault: Sendable {
    typealias Handler = @Sendable (HTTPRequest) -> ScriptedTransport.Reply

    private let handlers: Locked<[String: Handler]>
    let transport: ScriptedTransport
    let clock = TestClock()
    let sleeps = Locked<[Duration]>([])

    init() {
        let handlers = Locked<[String: Handler]>([:])
        self.handlers = handlers
        transport = ScriptedTransport { request in
            guard let handler = handlers.value[ScriptedVault.key(request)] else {
                return .respond(.notFound, body: Array(#"{"errors":[]}"#.utf8))
            }
            return handler(request)
        }
    }

    static func key(_ request: HTTPRequest) -> String {
        var path = request.url
        if let range = path.range(of: "/v1/") { path = String(path[range.upperBound...]) }
        if let query = path.firstIndex(of: "?") {
            let list = path[query...].contains("list=true")
            path = String(path[..<query])
            if list { return "LIST \(path)" }
        }
        return "\(request.method.rawValue) \(path)"
    }

    /// Answers `METHOD path` with `handler`.
    func on(_ key: String, _ handler: @escaping Handler) {
        handlers.update { $0[key] = handler }
    }

    /// Answers `METHOD path` with a fixed JSON body.
    func on(_ key: String, status: HTTPResponseStatus = .ok, json: String) {
        on(key) { _ in .respond(status, body: Array(json.utf8)) }
    }

    /// The keys of every request sent so far.
    var sent: [String] { transport.requests.map(Self.key) }

    func count(_ key: String) -> Int { sent.filter { $0 == key }.count }

    /// A provider whose clients talk to this script; retries do not wait.
    func provider(mountedTokenPath: String = "/nonexistent/token") -> VaultSecretsProvider {
        let (transport, clock, sleeps) = (transport, clock, sleeps)
        return VaultSecretsProvider(
            transport: { _ in (transport, {}) }, now: { clock.now },
            sleep: { duration in sleeps.update { $0.append(duration) } }, mountedTokenPath: mountedTokenPath)
    }

    /// A login answer for `token` with `lease` seconds.
    static func login(_ token: String, lease: Int = 3600, renewable: Bool = true) -> String {
        #"{"auth":{"client_token":"\#(token)","accessor":"acc","lease_duration":\#(lease),"renewable":\#(renewable)}}"#
    }

    /// A KV v2 read answer.
    static func kv2(_ data: String, version: Int = 1) -> String {
        #"{"data":{"data":\#(data),"metadata":{"version":\#(version),"created_time":"2024-01-02T03:04:05Z"}}}"#
    }
}

/// A store context with `vault` as provider.
func store(
    _ vault: VaultProvider, kind: StoreKind = .secretStore, namespace: String = "team", callerNamespace: String? = nil,
    retrySettings: SecretStoreRetrySettings? = nil
) -> StoreContext {
    StoreContext(
        kind: kind, name: "vault", storeNamespace: kind == .secretStore ? namespace : nil,
        callerNamespace: callerNamespace ?? (kind == .secretStore ? namespace : ""), uid: "uid-1", generation: 1,
        spec: SecretStoreSpec(provider: SecretStoreProvider(vault: vault), retrySettings: retrySettings))
}

/// A Vault block with AppRole login (role id inline, secret id in Secret `approle/secret-id`).
func appRoleVault(
    path: String? = "secret", version: VaultKVStoreVersion? = nil, namespace: String? = nil,
    configure: (inout VaultProvider) -> Void = { _ in }
) -> VaultProvider {
    var vault = VaultProvider(
        server: "https://vault.test:8200", path: path, version: version, namespace: namespace,
        auth: VaultAuth(
            appRole: VaultAppRole(roleId: "role-1", secretRef: SecretKeySelector(name: "approle", key: "secret-id"))))
    configure(&vault)
    return vault
}

let appRoleReferences: @Sendable () -> FakeReferences = {
    FakeReferences(secrets: ["approle/secret-id": "secret-id-1"])
}
