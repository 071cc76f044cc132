import ExternalSecretsAPI
import Foundation
import HTTPSupport
import HTTPTestSupport
import KubeModel
import NIOHTTP1
import ProviderKit
import ProviderTestSupport
import Testing

@testable import ServiceTokenGenerators

struct QuayAccessTokenTests {
    static func quaySpec(url: String? = nil) throws -> JSONValue {
        try spec(
            QuayAccessTokenSpec(
                url: url, robotAccount: "org+robot",
                serviceAccountRef: ServiceAccountSelector(name: "builder", audiences: ["quay.example"])))
    }

    @Test func theServiceAccountTokenIsExchangedWithBasicAuthAtTheFederationEndpoint() async throws {
        let robotToken = VerifiedJWT.unsigned(["exp": 1_700_003_600, "sub": canary])
        let transport = ScriptedTransport { _ in .respond(.ok, body: json(["token": robotToken])) }
        let references = FakeReferences(tokens: ["sa-jwt-\(canary)"])
        let generated = try await generators(transport).generate(
            kind: "QuayAccessToken", spec: try Self.quaySpec(url: "https://quay.example"), references: references,
            now: now)

        #expect(references.asked == ["token builder [\"quay.example\"]"])
        let request = try #require(transport.requests.first)
        #expect(request.method == .GET)
        #expect(request.url == "https://quay.example/oauth2/federation/robot/token")
        #expect(request.body == nil)
        let authorization = try #require(request.headers.first(name: "Authorization"))
        #expect(authorization.hasPrefix("Basic "))
        let decoded = String(decoding: Data(base64Encoded: String(authorization.dropFirst(6))) ?? Data(), as: UTF8.self)
        #expect(decoded == "org+robot:sa-jwt-\(canary)")

        #expect(generated.data["registry"] == Data("quay.example".utf8))
        #expect(generated.data["auth"] == Data(Data("org+robot:\(robotToken)".utf8).base64EncodedString().utf8))
        #expect(generated.data["expiry"] == Data("1700003600".utf8))
        #expect(generated.state == nil)
    }

    @Test func theDefaultRegistryIsQuayIO() async throws {
        let transport = ScriptedTransport { _ in
            .respond(.ok, body: json(["token": VerifiedJWT.unsigned(["exp": 5])]))
        }
        let generated = try await generators(transport).generate(
            kind: "QuayAccessToken", spec: try Self.quaySpec(), references: FakeReferences(), now: now)
        #expect(transport.requests.first?.url == "https://quay.io/oauth2/federation/robot/token")
        #expect(generated.data["registry"] == Data("quay.io".utf8))
    }

    @Test func onlyTwoHundredIsAccepted() async throws {
        for (status, code) in [
            (HTTPResponseStatus.unauthorized, ProviderError.Code.accessDenied), (.created, .invalidData),
        ] {
            let transport = ScriptedTransport { _ in .respond(status, body: json(["token": "x"])) }
            let error = await #expect(throws: ProviderError.self) {
                _ = try await generators(transport).generate(
                    kind: "QuayAccessToken", spec: try Self.quaySpec(), references: FakeReferences(), now: now)
            }
            #expect(error?.code == code)
            #expect(error?.message.contains("Quay") == true)
        }
    }

    @Test func aTokenWithoutExpIsRefusedWithoutShowingIt() async throws {
        let token = VerifiedJWT.unsigned(["sub": canary])
        let transport = ScriptedTransport { _ in .respond(.ok, body: json(["token": token])) }
        let error = await #expect(throws: ProviderError.self) {
            _ = try await generators(transport).generate(
                kind: "QuayAccessToken", spec: try Self.quaySpec(), references: FakeReferences(), now: now)
        }
        #expect(error?.message.contains("exp") == true)
        #expect(error?.message.contains(canary) == false)
    }

    @Test func expiryIsWrittenAsGoWritesTheFloat() throws {
        #expect(
            try QuayAccessTokens.expiration(ofJWT: VerifiedJWT.unsigned(["exp": 1_700_000_000]), what: "q")
                == "1700000000")
        #expect(throws: ProviderError.self) {
            _ = try QuayAccessTokens.expiration(ofJWT: VerifiedJWT.unsigned(["exp": "soon"]), what: "q")
        }
        #expect(throws: ProviderError.self) { _ = try QuayAccessTokens.expiration(ofJWT: "opaque", what: "q") }
    }
}
