import ExternalSecretsAPI
import Foundation
import HTTPSupport
import HTTPTestSupport
import NIOHTTP1
import ProviderKit
import ProviderTestSupport
import Synchronization
import Testing

@testable import ProviderWebhook

/// A value that must never show up in an error description.
let canary = "CANARY-webhook-7f3a"

final class Sleeps: Sendable {
    private let recorded = Mutex<[Duration]>([])
    func append(_ duration: Duration) { recorded.withLock { $0.append(duration) } }
    var all: [Duration] { recorded.withLock { $0 } }
}

func webhookStore(_ webhook: WebhookProvider, kind: StoreKind = .secretStore) -> StoreContext {
    .fixture(SecretStoreProvider(webhook: webhook), kind: kind, name: "hook", namespace: "team", caller: "team")
}

func makeClient(
    _ webhook: WebhookProvider, kind: StoreKind = .secretStore, references: FakeReferences = FakeReferences(),
    sleeps: Sleeps = Sleeps(), _ script: @escaping @Sendable (HTTPRequest) -> ScriptedTransport.Reply
) async throws -> (any SecretsClient, ScriptedTransport) {
    let transport = ScriptedTransport(script)
    let provider = WebhookSecretsProvider(
        transport: { _ in (transport, {}) }, now: { Date(timeIntervalSince1970: 1_700_000_000) },
        retry: HTTPRetryPolicy(sleep: { sleeps.append($0) }, jitter: { 1 }))
    let client = try await provider.makeClient(for: webhookStore(webhook, kind: kind), references: references)
    return (client, transport)
}

func ok(_ text: String) -> ScriptedTransport.Reply { .respond(.ok, body: Array(text.utf8)) }

extension HTTPRequest {
    var bodyText: String { String(decoding: body ?? [], as: UTF8.self) }
}

struct WebhookReadTests {
    static let secretsReader: FakeReferences = {
        let references = FakeReferences(secrets: ["creds/token": "tok-\(canary)", "creds/user": "svc"])
        references.setLabels("creds", ["external-secrets.io/type": "webhook"])
        return references
    }()

    @Test func urlHeadersAndBodyAreTemplatesOverTheRemoteRefAndTheSecrets() async throws {
        let spec = WebhookProvider(
            method: "POST", url: "http://hook.test/api/{{ .remoteRef.key }}?v={{ .remoteRef.version }}",
            headers: ["Authorization": "Bearer {{ .auth.token }}", "X-Ns": "{{ .remoteRef.namespace }}"],
            body: #"{"key":"{{ .remoteRef.key }}","prop":"{{ .remoteRef.property }}","user":"{{ .auth.user }}"}"#,
            secrets: [WebhookSecret(name: "auth", secretRef: SecretKeySelector(name: "creds"))])
        let (client, transport) = try await makeClient(spec, references: Self.secretsReader) { _ in ok("the value") }
        let value = try await client.getSecret(
            ExternalSecretDataRemoteRef(key: "db/pass word&x", property: "p q", version: "v 1"))
        #expect(value == Data("the value".utf8))
        let request = try #require(transport.requests.first)
        #expect(request.method == .POST)
        // URL values are escaped with Go's url.QueryEscape; header and body values are not.
        #expect(request.url == "http://hook.test/api/db%2Fpass+word%26x?v=v+1")
        #expect(request.headers.first(name: "Authorization") == "Bearer tok-\(canary)")
        #expect(request.headers.first(name: "X-Ns") == "team")
        #expect(request.bodyText == #"{"key":"db/pass word&x","prop":"p q","user":"svc"}"#)
    }

    @Test func theDefaultMethodIsGetWithoutABody() async throws {
        let (client, transport) = try await makeClient(WebhookProvider(url: "http://hook.test/{{ .remoteRef.key }}")) {
            _ in ok("v")
        }
        _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "k"))
        #expect(transport.requests.first?.method == .GET)
        #expect(transport.requests.first?.body == nil)
    }

    @Test func theJSONPathIsATemplateAndSelectsTheValue() async throws {
        let spec = WebhookProvider(
            url: "http://hook.test/{{ .remoteRef.key }}",
            result: WebhookResult(jsonPath: "$.data.{{ .remoteRef.property }}"))
        let (client, _) = try await makeClient(spec) { _ in
            ok(
                #"{"data": {"password": "pw", "n": 2.5, "obj": {"b": 1, "a": "<x>"}, "list": ["first", "second"], "t": true}}"#
            )
        }
        func get(_ property: String) async throws -> String {
            String(
                decoding: try await client.getSecret(ExternalSecretDataRemoteRef(key: "k", property: property)),
                as: UTF8.self)
        }
        #expect(try await get("password") == "pw")
        // ESO writes numbers with no decimals (FormatFloat 'f', 0), objects as Go's json.Marshal.
        #expect(try await get("n") == "2")
        #expect(try await get("obj") == #"{"a":"\u003cx\u003e","b":1}"#)
        #expect(try await get("list") == "first")
        #expect(try await get("t") == "true")
    }

    @Test func extractExplodesTheObjectAtTheJSONPath() async throws {
        let spec = WebhookProvider(url: "http://hook.test/x", result: WebhookResult(jsonPath: "$.data"))
        let (client, _) = try await makeClient(spec) { _ in
            ok(
                #"{"data": {"user": "app", "port": 5432.5, "big": 100000000000000000000000, "on": false, "nil": null, "list": [1, "a"], "obj": {"k": "v"}}}"#
            )
        }
        let map = try await client.getSecretMap(ExternalSecretDataRemoteRef(key: "x"))
        #expect(
            map.mapValues { String(decoding: $0, as: UTF8.self) } == [
                "user": "app", "port": "5432.5", "big": "100000000000000000000000", "on": "false", "nil": "",
                "list": #"[1,"a"]"#, "obj": #"{"k":"v"}"#,
            ])
    }

    @Test func extractParsesAStringAtTheJSONPathAsJSON() async throws {
        let spec = WebhookProvider(url: "http://hook.test/x", result: WebhookResult(jsonPath: "$.payload"))
        let (client, _) = try await makeClient(spec) { _ in ok(#"{"payload": "{\"a\": \"b\"}"}"#) }
        #expect(try await client.getSecretMap(ExternalSecretDataRemoteRef(key: "x")) == ["a": Data("b".utf8)])
    }

    @Test func extractOfANonObjectNamesTheGoType() async throws {
        let (client, _) = try await makeClient(WebhookProvider(url: "http://hook.test/x")) { _ in ok("[1, 2]") }
        await #expect {
            try await client.getSecretMap(ExternalSecretDataRemoteRef(key: "x"))
        } throws: { error in
            (error as? ProviderError)?.message == "failed to get response (wrong type: []interface {})"
        }
    }

    @Test func aMissingPathIsAnErrorThatIsNotNotFound() async throws {
        let spec = WebhookProvider(url: "http://hook.test/x", result: WebhookResult(jsonPath: "$.nope"))
        let (client, _) = try await makeClient(spec) { _ in ok(#"{"secret": "\#(canary)"}"#) }
        await #expect {
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "x"))
        } throws: { error in
            guard let error = error as? ProviderError else { return false }
            return error.code == .invalidData && error.message.contains("unknown key nope")
                && !error.message.contains(canary)
        }
    }

    @Test(arguments: [
        (HTTPResponseStatus.notFound, ProviderError.Code.notFound),
        (.internalServerError, .other),
        (.forbidden, .accessDenied),
        (.unauthorized, .accessDenied),
        (.notModified, .other),
    ])
    func statusesMapToErrorsThatNameTheKey(status: HTTPResponseStatus, code: ProviderError.Code) async throws {
        let (client, _) = try await makeClient(WebhookProvider(url: "http://hook.test/x")) { _ in
            .respond(status, body: Array("detail \(canary)".utf8))
        }
        await #expect {
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "db/key"))
        } throws: { error in
            guard let error = error as? ProviderError else { return false }
            return error.code == code && error.message.contains("db/key") && !error.message.contains(canary)
                && (code == .notFound || error.message.contains("\(status.code)"))
        }
    }

    @Test func throttlingIsRetriedWithBackoffThenSucceeds() async throws {
        let calls = Mutex(0)
        let sleeps = Sleeps()
        let (client, transport) = try await makeClient(WebhookProvider(url: "http://hook.test/x"), sleeps: sleeps) {
            _ in
            let n = calls.withLock {
                $0 += 1; return $0
            }
            switch n {
            case 1: return .respond(.tooManyRequests, headers: ["Retry-After": "2"])
            case 2: return .respond(.serviceUnavailable)
            default: return ok("v")
            }
        }
        #expect(try await client.getSecret(ExternalSecretDataRemoteRef(key: "x")) == Data("v".utf8))
        #expect(transport.requests.count == 3)
        #expect(sleeps.all == [.seconds(2), .milliseconds(400)])
    }

    @Test func throttlingThatNeverEndsIsReportedAsThrottled() async throws {
        let (client, transport) = try await makeClient(WebhookProvider(url: "http://hook.test/x")) { _ in
            .respond(.tooManyRequests)
        }
        await #expect {
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "x"))
        } throws: { error in
            (error as? ProviderError)?.code == .throttled
        }
        #expect(transport.requests.count == 4)
    }

    @Test func aTransportFailureIsUnavailable() async throws {
        let (client, _) = try await makeClient(WebhookProvider(url: "http://hook.test/x")) { _ in
            .fail(HTTPTransportError.timedOut(after: .seconds(1)))
        }
        await #expect {
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "x"))
        } throws: { error in
            guard let error = error as? ProviderError else { return false }
            return error.code == .unavailable && error.message.contains("timed out")
        }
    }

    @Test func aSecretWithoutTheWebhookLabelIsRefused() async throws {
        let references = FakeReferences(secrets: ["plain/token": canary])
        let spec = WebhookProvider(
            url: "http://hook.test/{{ .auth.token }}",
            secrets: [WebhookSecret(name: "auth", secretRef: SecretKeySelector(name: "plain"))])
        let (client, transport) = try await makeClient(spec, references: references) { _ in ok("v") }
        await #expect {
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "x"))
        } throws: { error in
            (error as? ProviderError)?.message.contains(
                "does not contain needed label 'external-secrets.io/type: webhook'")
                == true
        }
        references.setLabels("plain", ["external-secrets.io/type": "other"])
        await #expect {
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "x"))
        } throws: { error in
            (error as? ProviderError)?.message.contains("secret type is not 'webhook'") == true
        }
        #expect(transport.requests.isEmpty)
    }

    @Test func aClusterStoreSecretMustNameItsNamespace() async throws {
        let spec = WebhookProvider(
            url: "http://hook.test/x",
            secrets: [WebhookSecret(name: "auth", secretRef: SecretKeySelector(name: "creds"))])
        let (client, _) = try await makeClient(spec, kind: .clusterSecretStore, references: Self.secretsReader) { _ in
            ok("v")
        }
        await #expect {
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "x"))
        } throws: { error in
            (error as? ProviderError)?.message == "no namespace on ClusterScoped webhook secret creds"
        }
    }

    @Test func findIsNotSupported() async throws {
        let (client, _) = try await makeClient(WebhookProvider(url: "http://hook.test/x")) { _ in ok("v") }
        await #expect {
            try await client.getAllSecrets(ExternalSecretFind(name: FindName(regexp: ".*")))
        } throws: { error in
            (error as? ProviderError)?.code == .unsupported
        }
    }

    @Test func validationSendsHeadToTheHostRoot() async throws {
        let (client, transport) = try await makeClient(
            WebhookProvider(url: "https://hook.test:8443/api/{{ .remoteRef.key }}")
        ) { _ in .respond(.methodNotAllowed) }
        #expect(try await client.validate() == .ready)
        #expect(transport.requests.first?.url == "https://hook.test:8443/")
        #expect(transport.requests.first?.method == .HEAD)
        #expect(WebhookSecretsClient.hostRoot(of: "http://{{ .auth.host }}/x") == nil)
        let (templated, _) = try await makeClient(WebhookProvider(url: "http://{{ .auth.host }}/x")) { _ in ok("") }
        #expect(try await templated.validate() == .unknown)
        let (hostless, _) = try await makeClient(WebhookProvider(url: "/relative")) { _ in ok("") }
        await #expect(throws: ProviderError.self) { try await hostless.validate() }
        #expect(WebhookSecretsClient.hostRoot(of: "http://h.test") == "http://h.test/")
    }
}

struct WebhookStoreTests {
    @Test func invalidStoresAreRefusedWithoutIO() {
        let provider = WebhookSecretsProvider()
        let cases: [(WebhookProvider, String)] = [
            (WebhookProvider(url: ""), "url is required"),
            (WebhookProvider(url: "http://x", timeout: "soon"), "timeout: invalid duration"),
            (WebhookProvider(url: "http://x", caBundle: "bm90IGEgY2VydA=="), "caBundle holds no PEM certificate"),
            (
                WebhookProvider(
                    url: "http://x",
                    auth: WebhookAuth(
                        ntlm: WebhookNTLMAuth(
                            usernameSecret: SecretKeySelector(name: "u", key: "u"),
                            passwordSecret: SecretKeySelector(name: "p", key: "p")))),
                "NTLM authentication is not supported"
            ),
        ]
        for (spec, message) in cases {
            #expect {
                try provider.validateStore(webhookStore(spec))
            } throws: { error in
                (error as? ProviderError)?.message.contains(message) == true
            }
        }
        #expect(throws: Never.self) {
            try provider.validateStore(webhookStore(WebhookProvider(url: "http://x", timeout: "5s")))
        }
    }

    @Test func theTimeoutBoundsEachRequest() throws {
        let settings = try WebhookStoreSettings.resolve(
            webhookStore(WebhookProvider(url: "http://x", timeout: "1m30s")))
        #expect(settings.timeout == .seconds(90))
    }
}

struct WebhookPushTests {
    @Test func pushSendsTheValueWithPostAndTheRemoteKeyAsTemplateData() async throws {
        let spec = WebhookProvider(url: "http://hook.test/push/{{ .remoteRef.remoteKey }}/{{ .remoteRef.secretKey }}")
        let (client, transport) = try await makeClient(spec) { _ in .respond(.created) }
        try await client.pushSecret(
            .value(Data("s3cret value".utf8)), to: PushTarget(remoteKey: "dbpass", secretKey: "pass word"))
        let request = try #require(transport.requests.first)
        #expect(request.method == .POST)
        #expect(request.url == "http://hook.test/push/dbpass/pass+word")
        // No body template: ESO sends `{{ .remoteRef.<remoteKey> }}`, the value itself.
        #expect(request.bodyText == "s3cret value")
    }

    @Test func pushOfEveryKeySendsAJSONObjectOfStrings() async throws {
        let spec = WebhookProvider(
            method: "PUT", url: "http://hook.test/{{ .remoteRef.remoteKey }}",
            body: #"{"v": {{ .remoteRef.all | toJson }}}"#)
        let (client, transport) = try await makeClient(spec) { _ in .respond(.noContent) }
        try await client.pushSecret(
            .allKeys(["b": Data("2".utf8), "a": Data("1".utf8)]), to: PushTarget(remoteKey: "all"))
        #expect(transport.requests.first?.method == .PUT)
        #expect(transport.requests.first?.bodyText == #"{"v": "{\"a\":\"1\",\"b\":\"2\"}"}"#)
    }

    @Test func aFailedPushIsAnError() async throws {
        let (client, _) = try await makeClient(WebhookProvider(url: "http://hook.test/x")) { _ in
            .respond(.badRequest)
        }
        await #expect(throws: ProviderError.self) {
            try await client.pushSecret(.value(Data("v".utf8)), to: PushTarget(remoteKey: "k"))
        }
    }

    @Test func deleteSendsDeleteAndTreatsNotFoundAsDone() async throws {
        let statuses = Mutex([HTTPResponseStatus.ok, .notFound, .internalServerError])
        let (client, transport) = try await makeClient(
            WebhookProvider(method: "POST", url: "http://hook.test/s/{{ .remoteRef.remoteKey }}")
        ) { _ in .respond(statuses.withLock { $0.removeFirst() }) }
        try await client.deleteSecret(PushTarget(remoteKey: "a b"))
        try await client.deleteSecret(PushTarget(remoteKey: "gone"))
        await #expect(throws: ProviderError.self) { try await client.deleteSecret(PushTarget(remoteKey: "x")) }
        #expect(transport.requests.map(\.method) == [.DELETE, .DELETE, .DELETE])
        // ESO renders the delete URL over the raw remote key.
        #expect(transport.requests.first?.url == "http://hook.test/s/a b")
    }

    @Test func existenceIsTheReadRequestAndNotFoundMeansNo() async throws {
        let statuses = Mutex([HTTPResponseStatus.ok, .notFound])
        let (client, transport) = try await makeClient(WebhookProvider(url: "http://hook.test/{{ .remoteRef.key }}")) {
            _ in .respond(statuses.withLock { $0.removeFirst() })
        }
        #expect(try await client.secretExists(PushTarget(remoteKey: "here")))
        #expect(try await !client.secretExists(PushTarget(remoteKey: "gone")))
        #expect(transport.requests.map(\.url) == ["http://hook.test/here", "http://hook.test/gone"])
    }
}

struct WebhookTLSTests {
    static let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

    /// The TLS settings the transport factory was given.
    final class Captured: Sendable {
        let value = Mutex<[UInt8]?>(nil)
    }

    func made(_ spec: WebhookProvider, references: FakeReferences = FakeReferences()) async throws -> [UInt8]? {
        let captured = Captured()
        let transport = ScriptedTransport { _ in ok("") }
        let provider = WebhookSecretsProvider(transport: { tls in
            captured.value.withLock { $0 = tls.trustedCAsPEM }
            return (transport, {})
        })
        _ = try await provider.makeClient(for: webhookStore(spec), references: references)
        return captured.value.withLock { $0 }
    }

    @Test func theCABundleIsTrusted() async throws {
        let bundle = Data(Self.pem.utf8).base64EncodedString()
        #expect(try await made(WebhookProvider(url: "https://x", caBundle: bundle)) == Array(Self.pem.utf8))
    }

    @Test func theCAProviderIsReadThroughTheReferenceReader() async throws {
        let references = FakeReferences(caBundles: ["ca/ca.crt": Data(Self.pem.utf8)])
        let spec = WebhookProvider(
            url: "https://x", caProvider: CAProvider(type: "ConfigMap", name: "ca", key: "ca.crt"))
        #expect(try await made(spec, references: references) == Array(Self.pem.utf8))
        #expect(references.asked == ["ca ca/ca.crt"])
    }

    @Test func withoutEitherTheSystemRootsAreUsed() async throws {
        #expect(try await made(WebhookProvider(url: "https://x")) == nil)
    }
}
