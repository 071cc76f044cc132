import ExternalSecretsAPI
import Foundation
import HTTPSupport
import HTTPTestSupport
import Hummingbird
import HummingbirdTLS
import Logging
import NIOSSL
import ProcessTestSupport
import ProviderKit
import ProviderTestSupport
import ServiceLifecycle
import Synchronization
import Testing

@testable import ServiceTokenGenerators

/// Quay's robot federation endpoint, served over TLS in the test process (the generator only
/// speaks `https://`), checking what Quay requires: `GET /oauth2/federation/robot/token` with
/// basic auth `robotAccount:serviceAccountToken` for a known robot and the token it federates;
/// else 401 with Quay's error body.
final class QuayFederationServer: Sendable {
    let robot: String
    let acceptedToken: String
    let issued: String
    private let server = Mutex<LocalTestServer?>(nil)
    let requests = Mutex(0)

    init(robot: String, acceptedToken: String, issued: String) {
        self.robot = robot
        self.acceptedToken = acceptedToken
        self.issued = issued
    }

    var host: String { server.withLock { $0?.host ?? "" } }

    func start(certificatePEM: String, keyPEM: String) async throws {
        let router = Router()
        router.get("oauth2/federation/robot/token") { request, _ -> Response in
            self.requests.withLock { $0 += 1 }
            let expected = "Basic " + Data("\(self.robot):\(self.acceptedToken)".utf8).base64EncodedString()
            guard request.headers[.authorization] == expected else {
                return TokenAPIServer.answer(.unauthorized, ["error": "invalid_client"])
            }
            return TokenAPIServer.answer(.ok, ["token": self.issued])
        }
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem)))
        tls.minimumTLSVersion = .tlsv12
        let started = try await LocalTestServer.start(router, server: try .tls(tlsConfiguration: tls), label: "quay")
        server.withLock { $0 = started }
    }

    func stop() async {
        await server.withLock { $0 }?.stop()
    }
}

struct QuayServerTests {
    /// A self-signed certificate for 127.0.0.1 (openssl).
    static func certificate() async throws -> (certificate: String, key: String) {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("quay-\(UUID().uuidString.prefix(8))").path
        defer { for suffix in [".crt", ".key"] { try? FileManager.default.removeItem(atPath: base + suffix) } }
        let result = try await ChildProcess.run(
            "/usr/bin/env",
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", base + ".key", "-out", base + ".crt",
            ])
        guard result.succeeded else { throw ChildProcessError(description: "openssl: \(result.stderrText)") }
        return (
            try String(contentsOfFile: base + ".crt", encoding: .utf8), try String(contentsOfFile: base + ".key", encoding: .utf8)
        )
    }

    @Test func theRobotTokenIsExchangedOverTLSAndAWrongTokenIsRefused() async throws {
        let (certificate, key) = try await Self.certificate()
        let issued = VerifiedJWT.unsigned(["exp": 1_700_003_600, "sub": "org+robot"])
        let server = QuayFederationServer(robot: "org+robot", acceptedToken: "sa-jwt-\(canary)", issued: issued)
        try await server.start(certificatePEM: certificate, keyPEM: key)
        defer { Task { await server.stop() } }
        // The real HTTP client, trusting the server's certificate.
        let generators = ServiceTokenGenerators(transport: { _ in
            let transport = try AsyncHTTPClientTransport(tls: TLSSettings(trustedCAsPEM: Array(certificate.utf8)))
            return (transport, { try await transport.shutdown() })
        })
        let spec = try spec(
            QuayAccessTokenSpec(
                url: server.host, robotAccount: "org+robot",
                serviceAccountRef: ServiceAccountSelector(name: "builder", audiences: [server.host])))

        let generated = try await generators.generate(
            kind: "QuayAccessToken", spec: spec, references: FakeReferences(tokens: ["sa-jwt-\(canary)"]), now: now)
        #expect(generated.data["registry"] == Data(server.host.utf8))
        #expect(generated.data["auth"] == Data(Data("org+robot:\(issued)".utf8).base64EncodedString().utf8))
        #expect(generated.data["expiry"] == Data("1700003600".utf8))

        // A token Quay does not federate: its refusal, without the token in the message.
        let error = await #expect(throws: ProviderError.self) {
            _ = try await generators.generate(
                kind: "QuayAccessToken", spec: spec, references: FakeReferences(tokens: ["other-\(canary)"]), now: now)
        }
        #expect(error?.code == .accessDenied)
        #expect(error?.message.contains(canary) == false)
        #expect(server.requests.withLock { $0 } == 2)
    }
}
