import ExternalSecretsAPI
import Foundation
import HTTPSupport
import HTTPTestSupport
import KubeModel
import NIOHTTP1
import ProviderKit
import ProviderTestSupport
import Synchronization
import Testing

@testable import ProviderWebhook

/// The Webhook generator: the webhook provider's request over the `secrets` only, its JSON answer
/// as keys.
struct WebhookGeneratorTests {
    static func generators(
        _ transport: any HTTPTransport, captured: WebhookTLSTests.Captured? = nil
    ) -> WebhookSecretGenerators {
        WebhookSecretGenerators(
            provider: WebhookSecretsProvider(
                transport: { tls in
                    captured?.value.withLock { $0 = tls.trustedCAsPEM }
                    return (transport, {})
                }, now: { Date(timeIntervalSince1970: 1_700_000_000) },
                retry: HTTPRetryPolicy(sleep: { _ in }, jitter: { 1 })))
    }

    static func json(_ spec: WebhookSpec) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(spec))
    }

    static let references: FakeReferences = {
        let references = FakeReferences(secrets: ["creds/token": "tok-\(canary)", "creds/user": "svc"])
        references.setLabels("creds", ["external-secrets.io/type": "webhook"])
        return references
    }()

    @Test func methodHeadersAndBodyAreTemplatesOverTheSecretsAndTheJSONPathSelectsTheKeys() async throws {
        let transport = ScriptedTransport { _ in
            ok(#"{"result":{"password":"pw-\#(canary)","port":5432,"tls":true}}"#)
        }
        let spec = WebhookSpec(
            method: "POST", url: "http://gen.test/make?user={{ .auth.user }}",
            headers: ["Authorization": "Bearer {{ .auth.token }}", "Content-Type": "application/json"],
            body: #"{"user":"{{ .auth.user }}","len":{{ len .auth.token }}}"#,
            result: WebhookResult(jsonPath: "$.result"),
            secrets: [WebhookGeneratorSecret(name: "auth", secretRef: SecretKeySelector(name: "creds"))])
        let generated = try await Self.generators(transport).generate(
            kind: "Webhook", spec: try Self.json(spec), references: Self.references, now: Date())
        #expect(
            generated.data == [
                "password": Data("pw-\(canary)".utf8), "port": Data("5432".utf8), "tls": Data("true".utf8),
            ])
        #expect(generated.state == nil)
        let request = try #require(transport.requests.first)
        #expect(request.method == .POST)
        #expect(request.url == "http://gen.test/make?user=svc")
        #expect(request.headers.first(name: "Authorization") == "Bearer tok-\(canary)")
        #expect(request.headers.first(name: "Content-Type") == "application/json")
        #expect(request.bodyText == #"{"user":"svc","len":\#("tok-\(canary)".count)}"#)
    }

    @Test func theDefaultIsGetAndTheWholeAnswerMustBeAnObject() async throws {
        let transport = ScriptedTransport { _ in ok(#"{"a":"1"}"#) }
        let generated = try await Self.generators(transport).generate(
            kind: "Webhook", spec: try Self.json(WebhookSpec(url: "http://gen.test/")), references: FakeReferences(),
            now: Date())
        #expect(generated.data == ["a": Data("1".utf8)])
        #expect(transport.requests.first?.method == .GET)

        let list = ScriptedTransport { _ in ok(#"["not", "an", "object"]"#) }
        let error = await #expect(throws: ProviderError.self) {
            _ = try await Self.generators(list).generate(
                kind: "Webhook", spec: try Self.json(WebhookSpec(url: "http://gen.test/")),
                references: FakeReferences(),
                now: Date())
        }
        #expect(error?.message.contains("wrong type") == true)
    }

    @Test func aSecretWithoutTheWebhookLabelIsRefusedNamingTheGeneratorField() async throws {
        let references = FakeReferences(secrets: ["plain/token": canary])
        let spec = WebhookSpec(
            url: "http://gen.test/",
            secrets: [WebhookGeneratorSecret(name: "auth", secretRef: SecretKeySelector(name: "plain"))])
        let transport = ScriptedTransport { _ in ok("{}") }
        let error = await #expect(throws: ProviderError.self) {
            _ = try await Self.generators(transport).generate(
                kind: "Webhook", spec: try Self.json(spec), references: references, now: Date())
        }
        #expect(error?.message.contains("external-secrets.io/type") == true)
        #expect(error?.message.contains(canary) == false)
        #expect(transport.requests.isEmpty)
    }

    @Test func theCABundleAndTheCAProviderAreTrusted() async throws {
        let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
        let captured = WebhookTLSTests.Captured()
        let transport = ScriptedTransport { _ in ok("{}") }
        _ = try await Self.generators(transport, captured: captured).generate(
            kind: "Webhook",
            spec: try Self.json(WebhookSpec(url: "https://gen.test/", caBundle: Data(pem.utf8).base64EncodedString())),
            references: FakeReferences(), now: Date())
        #expect(captured.value.withLock { $0 } == Array(pem.utf8))

        let references = FakeReferences(caBundles: ["ca/ca.crt": Data(pem.utf8)])
        captured.value.withLock { $0 = nil }
        _ = try await Self.generators(transport, captured: captured).generate(
            kind: "Webhook",
            spec: try Self.json(
                WebhookSpec(
                    url: "https://gen.test/", caProvider: CAProvider(type: "ConfigMap", name: "ca", key: "ca.crt"))),
            references: references, now: Date())
        #expect(captured.value.withLock { $0 } == Array(pem.utf8))
        #expect(references.asked == ["ca ca/ca.crt"])
    }

    @Test func aHungEndpointIsReportedAfterTheTimeout() async throws {
        // The deadline's own error (not a hang, which would never return) proves it fired.
        let error = await #expect(throws: ProviderError.self) {
            _ = try await Self.generators(NeverAnswers()).generate(
                kind: "Webhook", spec: try Self.json(WebhookSpec(url: "http://gen.test/", timeout: "300ms")),
                references: FakeReferences(), now: Date())
        }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("timed out") == true)
    }

    @Test func anEndlessAnswerIsRefusedAfterTheSizeLimitWithoutReadingIt() async throws {
        let transport = EndlessAnswer()
        let error = await #expect(throws: ProviderError.self) {
            _ = try await Self.generators(transport).generate(
                kind: "Webhook", spec: try Self.json(WebhookSpec(url: "http://gen.test/")),
                references: FakeReferences(), now: Date())
        }
        #expect(error?.message.contains("larger than") == true)
        #expect(transport.chunksRead <= WebhookSecretsClient.maximumBodyBytes / EndlessAnswer.chunkSize + 2)
    }

    @Test func invalidSpecsAreRefusedWithoutARequest() async throws {
        let transport = ScriptedTransport { _ in ok("{}") }
        for (spec, words) in [
            (WebhookSpec(url: ""), "spec.url"),
            (WebhookSpec(url: "http://x", timeout: "soon"), "spec.timeout"),
            (
                WebhookSpec(
                    url: "http://x",
                    auth: WebhookAuth(
                        ntlm: WebhookNTLMAuth(
                            usernameSecret: SecretKeySelector(name: "a"), passwordSecret: SecretKeySelector(name: "b")))
                ),
                "spec.auth.ntlm"
            ),
        ] {
            let error = await #expect(throws: ProviderError.self) {
                _ = try await Self.generators(transport).generate(
                    kind: "Webhook", spec: try Self.json(spec), references: FakeReferences(), now: Date())
            }
            #expect(error?.message.contains(words) == true, "\(words): \(error?.message ?? "")")
        }
        #expect(transport.requests.isEmpty)
    }
}

/// A transport whose answers never come.
final class NeverAnswers: HTTPTransport {
    func stream(_ request: HTTPRequest, timeout: Duration) async throws -> HTTPStreamingResponse {
        try await Task.sleep(for: .seconds(3600))
        throw CancellationError()
    }
}

/// A transport answering 200 with a 1 GiB body made on demand, counting the chunks read.
final class EndlessAnswer: HTTPTransport {
    static let chunkSize = 256 << 10
    let pulled = Atomic<Int>(0)

    var chunksRead: Int { pulled.load(ordering: .relaxed) }

    func stream(_ request: HTTPRequest, timeout: Duration) async throws -> HTTPStreamingResponse {
        let chunks = AsyncStream<[UInt8]> { [self] () async -> [UInt8]? in
            guard self.pulled.add(1, ordering: .relaxed).newValue <= (1 << 30) / Self.chunkSize else { return nil }
            return [UInt8](repeating: UInt8(ascii: "a"), count: Self.chunkSize)
        }
        return HTTPStreamingResponse(status: .ok, body: HTTPBody(chunks))
    }
}
