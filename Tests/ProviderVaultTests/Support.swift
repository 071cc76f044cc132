import ExternalSecretsAPI
import Foundation
import HTTPSupport
import HTTPTestSupport
import NIOHTTP1
import ProviderKit
import ProviderTestSupport
import Synchronization

@testable import ProviderVault

/// A value that must never show up in an error description or a log.
let canary = "CANARY-5e1d0b-vault-value"

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
    .fixture(
        SecretStoreProvider(vault: vault), kind: kind, name: "vault", namespace: namespace, caller: callerNamespace,
        retrySettings: retrySettings)
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
