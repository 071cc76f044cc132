import ExternalSecretsAPI
import Foundation
import HTTPSupport
import HTTPTestSupport
import KubeModel
import ProviderKit
import ProviderTestSupport
import Testing

@testable import ServiceTokenGenerators

struct GrafanaTokenTests {
    static func grafanaSpec(auth: GrafanaAuth? = nil, secondsToLive: Int64? = 3600) throws -> JSONValue {
        try spec(
            GrafanaSpec(
                url: "https://grafana.example/",
                auth: auth ?? GrafanaAuth(token: GrafanaSecretKey(name: "grafana", key: "token")),
                serviceAccount: GrafanaServiceAccount(name: "eso", role: "Viewer", secondsToLive: secondsToLive)))
    }

    static let references = FakeReferences(secrets: [
        "grafana/token": "glsa_admin-\(canary)", "grafana/pw": "pw-\(canary)",
    ])

    @Test func anExistingAccountGetsANewTokenAndTheStateNamesItsIDs() async throws {
        let transport = ScriptedTransport { request in
            switch (request.method, request.url) {
            case (.GET, "https://grafana.example/api/serviceaccounts/search?query=eso"):
                return .respond(
                    .ok,
                    body: json([
                        "serviceAccounts": [
                            ["id": 3, "name": "eso-other", "login": "sa-eso-other"],
                            ["id": 7, "name": "eso", "login": "sa-1-eso"],
                        ]
                    ]))
            case (.POST, "https://grafana.example/api/serviceaccounts/7/tokens"):
                return .respond(.ok, body: json(["id": 41, "name": "token-name-1", "key": "glsa_new-\(canary)"]))
            default:
                return .respond(.notFound)
            }
        }
        let generated = try await generators(transport).generate(
            kind: "Grafana", spec: try Self.grafanaSpec(), references: Self.references, now: now)
        #expect(generated.data == ["login": Data("sa-1-eso".utf8), "token": Data("glsa_new-\(canary)".utf8)])
        #expect(
            generated.state
                == .object([
                    "serviceAccount": .object([
                        "id": .integer(7), "login": .string("sa-1-eso"), "tokenID": .integer(41),
                    ])
                ]))
        #expect(!"\(String(describing: generated.state))".contains(canary))
        #expect(transport.requests.count == 2)
        for request in transport.requests {
            #expect(request.headers.first(name: "Authorization") == "Bearer glsa_admin-\(canary)")
        }
        let body = try #require(transport.requests.last?.bodyObject)
        #expect(body["name"] as? String == "token-name-1")
        #expect(body["secondsToLive"] as? Int == 3600)
    }

    @Test func aMissingAccountIsCreatedWithItsRoleAndBasicAuth() async throws {
        let transport = ScriptedTransport { request in
            switch (request.method, request.url) {
            case (.GET, _): return .respond(.ok, body: json(["serviceAccounts": [Any]()]))
            case (.POST, "https://grafana.example/api/serviceaccounts"):
                return .respond(.created, body: json(["id": 9, "name": "eso", "login": "sa-1-eso", "role": "Viewer"]))
            case (.POST, "https://grafana.example/api/serviceaccounts/9/tokens"):
                return .respond(.ok, body: json(["id": 1, "key": "k"]))
            default: return .respond(.notFound)
            }
        }
        let auth = GrafanaAuth(
            basic: GrafanaBasicAuth(username: "admin", password: GrafanaSecretKey(name: "grafana", key: "pw")))
        let generated = try await generators(transport).generate(
            kind: "Grafana", spec: try Self.grafanaSpec(auth: auth, secondsToLive: nil), references: Self.references,
            now: now)
        #expect(generated.data["login"] == Data("sa-1-eso".utf8))
        #expect(transport.requests.map(\.method) == [.GET, .POST, .POST])
        let create = try #require(transport.requests[1].bodyObject)
        #expect(create["name"] as? String == "eso")
        #expect(create["role"] as? String == "Viewer")
        // No secondsToLive: the member is left out (a token that does not expire).
        #expect(transport.requests[2].bodyObject?["secondsToLive"] == nil)
        let expected = "Basic " + Data("admin:pw-\(canary)".utf8).base64EncodedString()
        #expect(transport.requests.allSatisfy { $0.headers.first(name: "Authorization") == expected })
    }

    @Test func cleanupDeletesTheTokenAndATokenAlreadyGoneIsSuccess() async throws {
        let deleted = ScriptedTransport(replies: [
            .respond(.ok, body: json(["message": "Service account token deleted"])),
            .respond(.notFound, body: json(["message": "service account token not found"])),
            .respond(.forbidden, body: json(["message": "permissions needed"])),
        ])
        let state: JSONValue = .object([
            "serviceAccount": .object(["id": .integer(7), "login": .string("sa-1-eso"), "tokenID": .integer(41)])
        ])
        let generators = generators(deleted)
        try await generators.cleanup(
            kind: "Grafana", spec: try Self.grafanaSpec(), state: state, references: Self.references, now: now)
        try await generators.cleanup(
            kind: "Grafana", spec: try Self.grafanaSpec(), state: state, references: Self.references, now: now)
        let error = await #expect(throws: ProviderError.self) {
            try await generators.cleanup(
                kind: "Grafana", spec: try Self.grafanaSpec(), state: state, references: Self.references, now: now)
        }
        #expect(error?.code == .accessDenied)
        #expect(error?.message.contains(canary) == false)
        #expect(deleted.requests.map(\.method) == [.DELETE, .DELETE, .DELETE])
        #expect(deleted.requests.first?.url == "https://grafana.example/api/serviceaccounts/7/tokens/41")
        #expect(deleted.requests.first?.headers.first(name: "Authorization") == "Bearer glsa_admin-\(canary)")
    }

    @Test func aStateWithoutIDsIsRefusedWithoutARequest() async throws {
        let transport = ScriptedTransport { _ in .respond(.ok) }
        await #expect(throws: ProviderError.self) {
            try await generators(transport).cleanup(
                kind: "Grafana", spec: try Self.grafanaSpec(), state: .object(["serviceAccount": .object([:])]),
                references: Self.references, now: now)
        }
        #expect(transport.requests.isEmpty)
    }

    @Test func noAuthIsRefused() async throws {
        let transport = ScriptedTransport { _ in .respond(.ok) }
        let error = await #expect(throws: ProviderError.self) {
            _ = try await generators(transport).generate(
                kind: "Grafana", spec: try Self.grafanaSpec(auth: GrafanaAuth()), references: Self.references, now: now)
        }
        #expect(error?.message.contains("spec.auth") == true)
        #expect(transport.requests.isEmpty)
    }

    @Test func theAPIBaseIsTheURLWithApiAppended() throws {
        func base(_ url: String) throws -> String {
            try GrafanaTokens.apiBase(
                GrafanaSpec(url: url, auth: GrafanaAuth(), serviceAccount: GrafanaServiceAccount(name: "a", role: "b")))
        }
        #expect(try base("https://g.example") == "https://g.example/api")
        #expect(try base("http://g.example:3000/grafana/") == "http://g.example:3000/grafana/api")
        #expect(throws: ProviderError.self) { _ = try base("g.example") }
    }
}
