import HTTPSupport
import HTTPTestSupport
import NIOHTTP1
import Testing

@Suite struct HTTPTransportTests {
    @Test func sendCollectsAStreamedBody() async throws {
        let transport = ScriptedTransport(replies: [.stream(.ok, chunks: [Array("hel".utf8), Array("lo".utf8)])])
        let response = try await transport.send(HTTPRequest(method: .GET, url: "http://x/"), timeout: .seconds(5))
        #expect(response.body == Array("hello".utf8))
        #expect(transport.requests.count == 1)
    }

    @Test func sendRefusesABodyPastTheLimit() async throws {
        let transport = ScriptedTransport(replies: [.stream(.ok, chunks: [[UInt8](repeating: 1, count: 10)])])
        await #expect(throws: HTTPTransportError.self) {
            try await transport.send(HTTPRequest(method: .GET, url: "http://x/"), timeout: .seconds(5), maxBodyBytes: 4)
        }
    }

    @Test func sendTimesOutAStalledBody() async throws {
        struct Stalled: HTTPTransport {
            func stream(_ request: HTTPRequest, timeout: Duration) async throws -> HTTPStreamingResponse {
                let never = AsyncStream<[UInt8]> { _ in }
                return HTTPStreamingResponse(status: .ok, body: HTTPBody(never))
            }
        }
        await #expect(throws: HTTPTransportError.self) {
            try await Stalled().send(HTTPRequest(method: .GET, url: "http://x/"), timeout: .milliseconds(100))
        }
    }

    @Test func tlsSettingsRejectMalformedMaterial() {
        #expect(throws: HTTPTransportError.self) {
            try TLSSettings(trustedCAsPEM: Array("not a certificate".utf8)).makeTLSConfiguration()
        }
        #expect(throws: HTTPTransportError.self) {
            try TLSSettings(clientCertificatePEM: Array("x".utf8)).makeTLSConfiguration()
        }
    }

    @Test func durationNanosecondsSaturate() {
        #expect(Duration.seconds(2).nanoseconds == 2_000_000_000)
        #expect(Duration.seconds(Int64.max).nanoseconds == Int64.max)
        // Just below the multiplication's overflow, the added fraction must not wrap around.
        #expect((Duration.seconds(Int64.max / 1_000_000_000) + .nanoseconds(999_999_999)).nanoseconds == Int64.max)
        #expect(Duration.seconds(Int64.min).nanoseconds == Int64.min)
        #expect(Duration.milliseconds(-1500).nanoseconds == -1_500_000_000)
        #expect(Duration.milliseconds(2500).seconds == 2.5)
    }
}
