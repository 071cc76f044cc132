import ExternalSecretsAPI
import Foundation
import HTTPSupport
import HTTPTestSupport
import KubeModel
import ProviderKit
import ProviderTestSupport
import Testing
import _CryptoExtras

@testable import ServiceTokenGenerators

struct GithubAccessTokenTests {
    static func references() -> FakeReferences {
        FakeReferences(secrets: ["gh-app/key.pem": appKey.pemRepresentation])
    }

    static func githubSpec(
        url: String? = nil, repositories: [String]? = nil, permissions: [String: String]? = nil
    ) throws -> JSONValue {
        try spec(
            GithubAccessTokenSpec(
                appID: "123456", installID: "987", url: url, repositories: repositories, permissions: permissions,
                auth: GithubAppAuth(
                    privateKey: GithubSecretRef(secretRef: SecretKeySelector(name: "gh-app", key: "key.pem")))))
    }

    @Test func theRequestIsSignedWithTheAppKeyAndAsksForTheRepositoriesAndPermissions() async throws {
        let transport = ScriptedTransport { _ in
            .respond(.created, body: json(["token": "ghs_\(canary)", "expires_at": "2023-11-14T23:13:20Z"]))
        }
        let generated = try await generators(transport).generate(
            kind: "GithubAccessToken",
            spec: try Self.githubSpec(
                url: "https://ghe.example/api/v3", repositories: ["infra", "app"],
                permissions: ["contents": "read", "metadata": "read"]),
            references: Self.references(), now: now)
        #expect(generated.data == ["token": Data("ghs_\(canary)".utf8)])
        #expect(generated.state == nil)

        let request = try #require(transport.requests.first)
        #expect(transport.requests.count == 1)
        #expect(request.method == .POST)
        #expect(request.url == "https://ghe.example/api/v3/app/installations/987/access_tokens")
        #expect(request.headers.first(name: "Accept") == "application/vnd.github.v3+json")
        #expect(request.headers.first(name: "User-Agent")?.isEmpty == false)
        let authorization = try #require(request.headers.first(name: "Authorization"))
        #expect(authorization.hasPrefix("Bearer "))
        let jwt = try #require(VerifiedJWT.verify(String(authorization.dropFirst(7)), with: appKey.publicKey))
        #expect(jwt.header["alg"] as? String == "RS256")
        #expect(jwt.claims["iss"] as? String == "123456")
        let iat = try #require(jwt.claims["iat"] as? Int)
        let exp = try #require(jwt.claims["exp"] as? Int)
        #expect(iat <= 1_700_000_000 && iat >= 1_700_000_000 - 60)
        #expect(exp > 1_700_000_000 && exp - iat <= 600)
        let body = try #require(request.bodyObject)
        #expect(body["repositories"] as? [String] == ["infra", "app"])
        #expect(body["permissions"] as? [String: String] == ["contents": "read", "metadata": "read"])
    }

    @Test func withoutRepositoriesOrPermissionsTheRequestHasNoBodyAndGoesToGitHub() async throws {
        let transport = ScriptedTransport { _ in .respond(.created, body: json(["token": "t"])) }
        _ = try await generators(transport).generate(
            kind: "GithubAccessToken", spec: try Self.githubSpec(), references: Self.references(), now: now)
        let request = try #require(transport.requests.first)
        #expect(request.url == "https://api.github.com/app/installations/987/access_tokens")
        #expect(request.body == nil)
    }

    @Test func gitHubsRefusalIsReportedWithItsMessageAndStatus() async throws {
        let transport = ScriptedTransport { _ in
            .respond(.unauthorized, body: json(["message": "A JSON web token could not be decoded"]))
        }
        let error = await #expect(throws: ProviderError.self) {
            _ = try await generators(transport).generate(
                kind: "GithubAccessToken", spec: try Self.githubSpec(), references: Self.references(), now: now)
        }
        #expect(error?.code == .accessDenied)
        #expect(error?.message.contains("401") == true)
        #expect(error?.message.contains("A JSON web token could not be decoded") == true)
    }

    @Test func aKeyThatIsNotAnRSAPrivateKeyNamesTheFieldNotTheKey() async throws {
        let references = FakeReferences(secrets: ["gh-app/key.pem": "not a key \(canary)"])
        let transport = ScriptedTransport { _ in .respond(.created, body: json(["token": "t"])) }
        let error = await #expect(throws: ProviderError.self) {
            _ = try await generators(transport).generate(
                kind: "GithubAccessToken", spec: try Self.githubSpec(), references: references, now: now)
        }
        #expect(error?.message.contains("spec.auth.privateKey.secretRef") == true)
        #expect(error?.message.contains(canary) == false)
        #expect(transport.requests.isEmpty)
    }

    @Test func anAnswerWithoutATokenIsInvalidData() async throws {
        let transport = ScriptedTransport { _ in .respond(.created, body: json(["expires_at": "x"])) }
        let error = await #expect(throws: ProviderError.self) {
            _ = try await generators(transport).generate(
                kind: "GithubAccessToken", spec: try Self.githubSpec(), references: Self.references(), now: now)
        }
        #expect(error?.code == .invalidData)
    }

    @Test func aNonNumericInstallIDIsRefusedBeforeAnyRequest() throws {
        var bad = GithubAccessTokenSpec(
            appID: "1", installID: "1/../../x",
            auth: GithubAppAuth(privateKey: GithubSecretRef(secretRef: SecretKeySelector(name: "a", key: "b"))))
        #expect(throws: ProviderError.self) { _ = try GithubAccessTokens.request(bad, jwt: "j") }
        bad.installID = "42"
        #expect(try GithubAccessTokens.request(bad, jwt: "j").url.hasSuffix("/app/installations/42/access_tokens"))
    }

    @Test func aHungServerIsADeadlineError() async throws {
        // The deadline's own error (not a hang, which would never return) proves it fired.
        let error = await #expect(throws: ProviderError.self) {
            _ = try await generators(HungTransport(), timeout: .milliseconds(300)).generate(
                kind: "GithubAccessToken", spec: try Self.githubSpec(), references: Self.references(), now: now)
        }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("timed out") == true)
    }

    @Test func anEndlessAnswerIsRefusedAfterTheLimitWithoutReadingIt() async throws {
        let transport = EndlessBodyTransport()
        let error = await #expect(throws: ProviderError.self) {
            _ = try await generators(transport, maxBytes: 1 << 20).generate(
                kind: "GithubAccessToken", spec: try Self.githubSpec(), references: Self.references(), now: now)
        }
        #expect(error?.code == .invalidData)
        #expect(error?.message.contains("larger than") == true)
        // 1 MiB in 64 KiB chunks: the reading stops right after the limit, not at 1 GiB.
        #expect(transport.chunksRead <= (1 << 20) / EndlessBodyTransport.chunkSize + 2)
    }
}
