import ExternalSecretsAPI
import Foundation
import HTTPTestSupport
import Hummingbird
import KubeModel
import Logging
import ProviderKit
import ProviderTestSupport
import ServiceLifecycle
import Synchronization
import Testing
import _CryptoExtras

@testable import ServiceTokenGenerators

/// GitHub's and Grafana's token APIs, served in the test process on a free loopback port, checking
/// what the real APIs require:
/// - GitHub `POST /api/v3/app/installations/:id/access_tokens`: a bearer JWT signed RS256 with the
///   App's key, `iss` the App ID, at most 600 s between `iat` and `exp`, GitHub's media type, a
///   User-Agent, a JSON body of `repositories` and `permissions`; else 401 with a message.
/// - Grafana `/api/serviceaccounts/search`, `POST /api/serviceaccounts`,
///   `POST /api/serviceaccounts/:id/tokens`, `DELETE /api/serviceaccounts/:id/tokens/:token`
///   (404 "service account token not found" once gone), each with the admin bearer token.
final class TokenAPIServer: Sendable {
    struct Account: Sendable {
        var id: Int
        var name: String
        var role: String
        var tokens: [Int: (name: String, secondsToLive: Int?)]
    }

    let appID: String
    let appPublicKey: _RSA.Signing.PublicKey
    let adminToken: String
    let accounts = Mutex<[Account]>([])
    /// The bodies of the access token requests GitHub accepted.
    let githubBodies = Mutex<[Data]>([])
    let nextID = Mutex(100)
    private let server = Mutex<LocalTestServer?>(nil)

    init(appID: String, appPublicKey: _RSA.Signing.PublicKey, adminToken: String) {
        self.appID = appID
        self.appPublicKey = appPublicKey
        self.adminToken = adminToken
    }

    var url: String { "http://\(server.withLock { $0?.host ?? "" })" }

    func tokens(of name: String) -> [Int] {
        accounts.withLock { $0.first { $0.name == name }.map { Array($0.tokens.keys).sorted() } ?? [] }
    }

    static func answer(_ status: HTTPResponse.Status, _ object: Any) -> Response {
        let body = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    func githubRefusal(_ request: Request) -> String? {
        guard request.headers[.accept] == "application/vnd.github.v3+json" else { return "wrong Accept header" }
        guard !(request.headers[.userAgent] ?? "").isEmpty else { return "Request forbidden: missing User-Agent" }
        guard let authorization = request.headers[.authorization], authorization.hasPrefix("Bearer "),
            let jwt = VerifiedJWT.verify(String(authorization.dropFirst(7)), with: appPublicKey)
        else { return "A JSON web token could not be decoded" }
        guard jwt.header["alg"] as? String == "RS256" else { return "JWT algorithm must be RS256" }
        guard (jwt.claims["iss"] as? String) == appID || (jwt.claims["iss"] as? Int).map(String.init) == appID else {
            return "Integration not found"
        }
        guard let iat = jwt.claims["iat"] as? Int, let exp = jwt.claims["exp"] as? Int, exp > iat, exp - iat <= 600
        else { return "'Expiration time' claim ('exp') is too far in the future" }
        let now = Int(Date().timeIntervalSince1970)
        guard iat <= now + 60, exp > now else {
            return "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
        }
        return nil
    }

    func start() async throws {
        let router = Router()
        router.post("api/v3/app/installations/:id/access_tokens") { request, context -> Response in
            if let refusal = self.githubRefusal(request) { return Self.answer(.unauthorized, ["message": refusal]) }
            let body = try await request.body.collect(upTo: 1 << 16)
            let data = Data(buffer: body)
            guard data.isEmpty || (try? JSONSerialization.jsonObject(with: data)) is [String: Any] else {
                return Self.answer(.badRequest, ["message": "Problems parsing JSON"])
            }
            self.githubBodies.withLock { $0.append(data) }
            let installation = try context.parameters.require("id")
            return Self.answer(
                .created, ["token": "ghs_\(installation)_\(UUID().uuidString)", "expires_at": "2099-01-01T00:00:00Z"])
        }
        let grafana = router.group("api/serviceaccounts")
        let authorized: @Sendable (Request) -> Bool = { $0.headers[.authorization] == "Bearer \(self.adminToken)" }
        grafana.get("search") { request, _ -> Response in
            guard authorized(request) else { return Self.answer(.unauthorized, ["message": "Unauthorized"]) }
            let query = request.uri.queryParameters.get("query") ?? ""
            let found = self.accounts.withLock { accounts in
                accounts.filter { query.isEmpty || $0.name.contains(query) }.map {
                    ["id": $0.id, "name": $0.name, "login": "sa-1-\($0.name)", "role": $0.role] as [String: Any]
                }
            }
            return Self.answer(.ok, ["totalCount": found.count, "serviceAccounts": found, "page": 1, "perPage": 1000])
        }
        grafana.post("") { request, _ -> Response in
            guard authorized(request) else { return Self.answer(.unauthorized, ["message": "Unauthorized"]) }
            let body = try await request.body.collect(upTo: 1 << 16)
            guard let form = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
                let name = form["name"] as? String, let role = form["role"] as? String,
                ["Viewer", "Editor", "Admin", "None"].contains(role)
            else { return Self.answer(.badRequest, ["message": "Bad request data"]) }
            let id = self.nextID.withLock { id in
                id += 1
                return id
            }
            self.accounts.withLock { $0.append(Account(id: id, name: name, role: role, tokens: [:])) }
            return Self.answer(.created, ["id": id, "name": name, "login": "sa-1-\(name)", "role": role])
        }
        grafana.post(":id/tokens") { request, context -> Response in
            guard authorized(request) else { return Self.answer(.unauthorized, ["message": "Unauthorized"]) }
            let id = Int(try context.parameters.require("id")) ?? -1
            let body = try await request.body.collect(upTo: 1 << 16)
            guard let command = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
                let name = command["name"] as? String, !name.isEmpty
            else { return Self.answer(.badRequest, ["message": "Bad request data"]) }
            let ttl = command["secondsToLive"] as? Int
            let tokenID = self.nextID.withLock { next in
                next += 1
                return next
            }
            let created = self.accounts.withLock { accounts -> Bool in
                guard let index = accounts.firstIndex(where: { $0.id == id }) else { return false }
                guard !accounts[index].tokens.values.contains(where: { $0.name == name }) else { return false }
                accounts[index].tokens[tokenID] = (name, ttl)
                return true
            }
            guard created else { return Self.answer(.notFound, ["message": "service account not found"]) }
            return Self.answer(.ok, ["id": tokenID, "name": name, "key": "glsa_\(UUID().uuidString)"])
        }
        grafana.delete(":id/tokens/:token") { request, context -> Response in
            guard authorized(request) else { return Self.answer(.unauthorized, ["message": "Unauthorized"]) }
            let id = Int(try context.parameters.require("id")) ?? -1
            let token = Int(try context.parameters.require("token")) ?? -1
            let removed = self.accounts.withLock { accounts -> Bool in
                guard let index = accounts.firstIndex(where: { $0.id == id }) else { return false }
                return accounts[index].tokens.removeValue(forKey: token) != nil
            }
            return removed
                ? Self.answer(.ok, ["message": "Service account token deleted"])
                : Self.answer(.notFound, ["message": "service account token not found"])
        }
        let started = try await LocalTestServer.start(router, label: "token-api")
        server.withLock { $0 = started }
    }

    func stop() async {
        await server.withLock { $0 }?.stop()
    }
}

/// The generators with the real HTTP client against `TokenAPIServer`.
@Suite(.serialized)
struct ServiceTokenServerTests {
    @Test func gitHubAcceptsTheAppJWTAndTheRequestedScope() async throws {
        let server = TokenAPIServer(appID: "4242", appPublicKey: appKey.publicKey, adminToken: "unused")
        try await server.start()
        defer { Task { await server.stop() } }
        let references = FakeReferences(secrets: ["app/pem": appKey.pemRepresentation])
        let spec = try spec(
            GithubAccessTokenSpec(
                appID: "4242", installID: "77", url: "\(server.url)/api/v3", repositories: ["repo-a"],
                permissions: ["contents": "read"],
                auth: GithubAppAuth(privateKey: GithubSecretRef(secretRef: SecretKeySelector(name: "app", key: "pem"))))
        )
        let generated = try await ServiceTokenGenerators().generate(
            kind: "GithubAccessToken", spec: spec, references: references, now: Date())
        let token = String(decoding: generated.data["token"] ?? Data(), as: UTF8.self)
        #expect(token.hasPrefix("ghs_77_"))
        let body = try #require(
            try JSONSerialization.jsonObject(with: server.githubBodies.withLock { $0.first } ?? Data())
                as? [String: Any])
        #expect(body["repositories"] as? [String] == ["repo-a"])
        #expect(body["permissions"] as? [String: String] == ["contents": "read"])

        // Another App's key: GitHub refuses the JWT, and the message says so.
        let otherKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        references.setSecret("app/pem", otherKey.pemRepresentation)
        let error = await #expect(throws: ProviderError.self) {
            _ = try await ServiceTokenGenerators().generate(
                kind: "GithubAccessToken", spec: spec, references: references, now: Date())
        }
        #expect(error?.code == .accessDenied)
        #expect(error?.message.contains("could not be decoded") == true)
    }

    @Test func grafanaTokensAreCreatedForOneAccountAndDeletedOnCleanupIdempotently() async throws {
        let server = TokenAPIServer(appID: "", appPublicKey: appKey.publicKey, adminToken: "admin-\(canary)")
        try await server.start()
        defer { Task { await server.stop() } }
        let references = FakeReferences(secrets: ["grafana-admin/token": "admin-\(canary)"])
        let spec = try spec(
            GrafanaSpec(
                url: server.url, auth: GrafanaAuth(token: GrafanaSecretKey(name: "grafana-admin", key: "token")),
                serviceAccount: GrafanaServiceAccount(name: "eso", role: "Viewer", secondsToLive: 600)))
        let generators = ServiceTokenGenerators()
        let first = try await generators.generate(kind: "Grafana", spec: spec, references: references, now: Date())
        let second = try await generators.generate(kind: "Grafana", spec: spec, references: references, now: Date())
        #expect(first.data["login"] == Data("sa-1-eso".utf8))
        #expect(first.data["token"] != second.data["token"])
        // One account (found the second time), two tokens.
        #expect(server.accounts.withLock { $0.count } == 1)
        #expect(server.tokens(of: "eso").count == 2)
        #expect(server.accounts.withLock { $0.first?.tokens.values.allSatisfy { $0.secondsToLive == 600 } } == true)

        let firstState = try #require(first.state)
        try await generators.cleanup(
            kind: "Grafana", spec: spec, state: firstState, references: references, now: Date())
        #expect(server.tokens(of: "eso").count == 1)
        // Again: the token is already gone, which is success.
        try await generators.cleanup(
            kind: "Grafana", spec: spec, state: firstState, references: references, now: Date())
        #expect(server.tokens(of: "eso").count == 1)

        // A wrong admin token: Grafana's refusal, without the token in the message.
        references.setSecret("grafana-admin/token", "wrong-\(canary)")
        let error = await #expect(throws: ProviderError.self) {
            _ = try await generators.generate(kind: "Grafana", spec: spec, references: references, now: Date())
        }
        #expect(error?.code == .accessDenied)
        #expect(error?.message.contains(canary) == false)
    }
}
