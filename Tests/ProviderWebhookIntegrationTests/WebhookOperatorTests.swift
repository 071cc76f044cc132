import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import HTTPTestSupport
import Hummingbird
import KubeClient
import KubeModel
import KubeTestSupport
import Logging
import OperatorTestSupport
import ServiceLifecycle
import Synchronization
import Testing

/// A value that must never show up in a log, an Event or a status.
let canary = "CANARY-hook-5d1e"

/// A small secrets API for the tests, served in the test process on a free loopback port:
/// `GET /secrets/:key` answers `{"data": {...}}` (401 without the bearer token, 404 for an
/// unknown key), `POST /secrets/:key` stores the body, `DELETE /secrets/:key` removes it,
/// `GET /status/:code` answers that status, `GET /flaky` answers 429 twice then a value, `GET /slow`
/// answers after three seconds.
final class SecretsAPIServer: Sendable {
    let token: String
    private let values: Mutex<[String: [String: String]]>
    private let pushed = Mutex<[String: String]>([:])
    private let server = Mutex<LocalTestServer?>(nil)
    /// How many more `GET /flaky` requests answer 429.
    let throttled = Mutex(2)

    init(token: String, values: [String: [String: String]]) {
        self.token = token
        self.values = Mutex(values)
    }

    var port: Int { server.withLock { $0?.port ?? 0 } }
    var url: String { "http://127.0.0.1:\(port)" }
    func pushedValue(_ key: String) -> String? { pushed.withLock { $0[key] } }

    func start() async throws {
        let router = Router()
        router.get("secrets/:key") { request, context -> Response in
            guard request.headers[.authorization] == "Bearer \(self.token)" else {
                return Response(status: .unauthorized)
            }
            let key = try context.parameters.require("key")
            guard let data = self.values.withLock({ $0[key] }) else { return Response(status: .notFound) }
            let body = try JSONSerialization.data(withJSONObject: ["data": data], options: [.sortedKeys])
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }
        router.post("secrets/:key") { request, context -> Response in
            let key = try context.parameters.require("key")
            let body = try await request.body.collect(upTo: 1 << 20)
            self.pushed.withLock { $0[key] = String(buffer: body) }
            return Response(status: .created)
        }
        router.delete("secrets/:key") { _, context -> Response in
            let key = try context.parameters.require("key")
            let existed = self.pushed.withLock { $0.removeValue(forKey: key) != nil }
            return Response(status: existed ? .ok : .notFound)
        }
        router.get("status/:code") { _, context -> Response in
            Response(status: HTTPResponse.Status(code: Int(try context.parameters.require("code")) ?? 500))
        }
        router.get("flaky") { _, _ -> Response in
            let throttle = self.throttled.withLock { left -> Bool in
                guard left > 0 else { return false }
                left -= 1
                return true
            }
            if throttle { return Response(status: .tooManyRequests, headers: [.retryAfter: "1"]) }
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "after-throttling")))
        }
        router.get("slow") { _, _ -> Response in
            try await Task.sleep(for: .seconds(3))
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "late")))
        }
        let started = try await LocalTestServer.start(router, label: "secrets-api")
        server.withLock { $0 = started }
    }

    func stop() async {
        await server.withLock { $0 }?.stop()
    }
}

/// The webhook provider through the operator (a process on the real control plane) against a
/// secrets API served by the test: templated URL, headers from a labelled Secret, JSONPath,
/// extract, PushSecret push and delete, and the errors (404, 500, 401, timeout).
@Suite(.controlPlane, .serialized)
struct WebhookOperatorTests {
    static func store(_ name: String, _ webhook: WebhookProvider) -> SecretStore {
        SecretStore(
            metadata: ObjectMeta(name: name), spec: SecretStoreSpec(provider: SecretStoreProvider(webhook: webhook)))
    }

    static func externalSecret(
        _ name: String, store: String, data: [ExternalSecretData]? = nil,
        dataFrom: [ExternalSecretDataFromRemoteRef]? = nil
    ) -> ExternalSecret {
        ExternalSecret(
            metadata: ObjectMeta(name: name),
            spec: ExternalSecretSpec(
                secretStoreRef: SecretStoreRef(name: store, kind: .secretStore), refreshInterval: "1h", data: data,
                dataFrom: dataFrom))
    }

    static func entry(_ key: String, _ remote: String, property: String? = nil) -> ExternalSecretData {
        ExternalSecretData(secretKey: key, remoteRef: ExternalSecretDataRemoteRef(key: remote, property: property))
    }

    @Test func readsPushesAndReportsErrorsThroughTheOperator() async throws {
        let plane = try currentPlane()
        let token = "token-\(UUID().uuidString.prefix(8))"
        let server = SecretsAPIServer(token: token, values: ["db": ["user": "app", "password": "pw-\(canary)"]])
        try await server.start()
        defer { Task { await server.stop() } }
        try await withAdminClient { client in
            try await installCRDs(client)
            let namespace = try await makeNamespace(client, prefix: "webhook")
            let secrets = client.api(Secret.self, namespace: namespace)
            _ = try await secrets.create(
                Secret(
                    metadata: ObjectMeta(name: "hook-auth", labels: ["external-secrets.io/type": "webhook"]),
                    data: ["token": Data(token.utf8)]))
            _ = try await secrets.create(
                Secret(metadata: ObjectMeta(name: "source"), data: ["token": Data("pushed-\(canary)".utf8)]))
            let auth = [WebhookSecret(name: "auth", secretRef: SecretKeySelector(name: "hook-auth"))]
            let headers = ["Authorization": "Bearer {{ .auth.token }}"]
            let stores = [
                Self.store(
                    "hook",
                    WebhookProvider(
                        url: "\(server.url)/secrets/{{ .remoteRef.key }}", headers: headers,
                        result: WebhookResult(jsonPath: "$.data.{{ .remoteRef.property }}"), secrets: auth)),
                Self.store(
                    "hook-map",
                    WebhookProvider(
                        url: "\(server.url)/secrets/{{ .remoteRef.key }}", headers: headers,
                        result: WebhookResult(jsonPath: "$.data"), secrets: auth)),
                Self.store("no-token", WebhookProvider(url: "\(server.url)/secrets/{{ .remoteRef.key }}")),
                Self.store("broken", WebhookProvider(url: "\(server.url)/status/500")),
                Self.store("slow", WebhookProvider(url: "\(server.url)/slow", timeout: "1s")),
                Self.store("flaky", WebhookProvider(url: "\(server.url)/flaky")),
                Self.store("push", WebhookProvider(url: "\(server.url)/secrets/{{ .remoteRef.remoteKey }}")),
            ]
            for store in stores { _ = try await client.api(SecretStore.self, namespace: namespace).create(store) }
            let externalSecrets = client.api(ExternalSecret.self, namespace: namespace)
            for object in [
                Self.externalSecret("data", store: "hook", data: [Self.entry("password", "db", property: "password")]),
                Self.externalSecret(
                    "extract", store: "hook-map",
                    dataFrom: [ExternalSecretDataFromRemoteRef(extract: ExternalSecretDataRemoteRef(key: "db"))]),
                Self.externalSecret("missing", store: "hook", data: [Self.entry("x", "nope", property: "x")]),
                Self.externalSecret("denied", store: "no-token", data: [Self.entry("x", "db")]),
                Self.externalSecret("broken", store: "broken", data: [Self.entry("x", "db")]),
                Self.externalSecret("slow", store: "slow", data: [Self.entry("x", "db")]),
                Self.externalSecret("flaky", store: "flaky", data: [Self.entry("value", "db")]),
            ] {
                _ = try await externalSecrets.create(object)
            }

            try await runOperator(plane, name: "webhook", arguments: ["--namespace", namespace]) { process in
                for name in ["data", "extract", "flaky"] {
                    #expect(try await waitForReady(client, namespace, name), "\(name): \(process.log.suffix(3000))")
                }
                #expect(try await secrets.get("data").data == ["password": Data("pw-\(canary)".utf8)])
                #expect(
                    try await secrets.get("extract").data == [
                        "user": Data("app".utf8), "password": Data("pw-\(canary)".utf8),
                    ])

                // Throttled twice (429 with Retry-After), then answered: synced without an error.
                #expect(try await secrets.get("flaky").data == ["value": Data("after-throttling".utf8)])
                #expect(server.throttled.withLock { $0 } == 0)

                // Errors: a Ready False condition that says what went wrong, and no Secret.
                let expectations = [
                    ("missing", "nope"), ("denied", "401"), ("broken", "500"), ("slow", "timed out"),
                ]
                for (name, words) in expectations {
                    #expect(
                        try await waitForReady(
                            client, namespace, name, status: "False", reason: ESOReason.secretSyncedError),
                        "\(name): \(process.log.suffix(2000))")
                    let message = try await readyCondition(client, namespace, name)?.message ?? ""
                    #expect(message.contains(words), "\(name): \(message)")
                    #expect(try await secrets.getIfExists(name) == nil)
                }

                // PushSecret: the value is POSTed under the remote key, and DELETEd with the PushSecret.
                let pushSecrets = client.api(PushSecret.self, namespace: namespace)
                _ = try await pushSecrets.create(
                    PushSecret(
                        metadata: ObjectMeta(name: "push"),
                        spec: PushSecretSpec(
                            secretStoreRefs: [PushSecretStoreRef(name: "push", kind: .secretStore)],
                            deletionPolicy: .delete,
                            selector: PushSecretSelector(secret: PushSecretSecretSelector(name: "source")),
                            data: [
                                PushSecretData(
                                    match: PushSecretMatch(
                                        secretKey: "token", remoteRef: PushSecretRemoteRef(remoteKey: "pushed")))
                            ])))
                #expect(try await waitForPushReady(client, namespace, "push"), "\(process.log.suffix(3000))")
                #expect(server.pushedValue("pushed") == "pushed-\(canary)")
                try await pushSecrets.delete("push")
                #expect(
                    try await eventually(timeout: .seconds(30)) { server.pushedValue("pushed") == nil },
                    "the remote value was not deleted: \(process.log.suffix(2000))")

                // The store reports Ready with ESO's words and capabilities.
                let store = try await client.api(SecretStore.self, namespace: namespace).get("hook")
                #expect(store.status?.conditions?.condition(ofType: "Ready")?.reason == "Valid")
                #expect(store.status?.capabilities == "ReadWrite")

                let metrics = try await scrapeMetrics(process)
                #expect(
                    metrics.contains(
                        #"externalsecret_provider_api_calls_count{provider="Webhook",call="HTTPRequest",status="success"}"#
                    ))
                #expect(
                    metrics.contains(
                        #"externalsecret_provider_api_calls_count{provider="Webhook",call="HTTPRequest",status="error"}"#
                    ))

                // No value leaves the data path.
                #expect(!process.log.contains(canary), "the operator log contains a secret value")
                #expect(!process.log.contains(token), "the operator log contains the bearer token")
                #expect(
                    try await eventTexts(client, namespace).allSatisfy { !$0.contains(canary) && !$0.contains(token) })
                let mismatches = try await renderMismatches(
                    plane, client, namespace: namespace, environment: [:])
                #expect(mismatches.isEmpty, "render --live differs from the controller: \(mismatches)")
            }
        }
    }
}
