import ExternalSecretsAPI
import Foundation
import HTTPSupport
import HTTPTestSupport
import KubeModel
import NIOHTTP1
import ProviderKit
import ProviderKubernetes
import Testing

private struct ConnectionRefused: Error, CustomStringConvertible {
    var description: String { "connection refused (errno: 111)" }
}

private func review(allowed: Bool) -> ScriptedTransport.Reply {
    .respond(
        .created, headers: ["Content-Type": "application/json"],
        body: Array(
            #"{"kind":"SelfSubjectAccessReview","apiVersion":"authorization.k8s.io/v1","spec":{},"status":{"allowed":\#(allowed)}}"#
                .utf8))
}

/// Remote failures become ProviderErrors that name what and where, and never carry a value or a
/// token; `validate()` asks the API server what the store's credentials may do.
@Suite struct ErrorAndValidationTests {
    private func client(_ transport: ScriptedTransport) async throws -> any SecretsClient {
        try await provider(transport).makeClient(for: tokenStore(), references: tokenReferences())
    }

    @Test(arguments: [
        (
            403, "Forbidden", ProviderError.Code.accessDenied,
            #"the store's credentials may not get secrets in namespace "remote""#
        ),
        (401, "Unauthorized", .accessDenied, "rejected the store's credentials (401 Unauthorized)"),
        (500, "InternalError", .unavailable, "HTTP 500 InternalError"),
        (400, "BadRequest", .other, "HTTP 400 BadRequest"),
    ])
    func statusBecomesAProviderError(code: Int, reason: String, expected: ProviderError.Code, message: String)
        async throws
    {
        // The server's own message is never repeated: a server may echo anything back.
        let transport = ScriptedTransport { _ in statusReply(code, reason, message: "\(canary) store-token") }
        let error = await providerError {
            _ = try await client(transport).getSecret(ExternalSecretDataRemoteRef(key: "db"))
        }
        #expect(error?.code == expected)
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains(canary) == false)
        #expect(error?.message.contains("store-token") == false)
    }

    @Test func forbiddenListNamesTheVerb() async throws {
        let transport = ScriptedTransport { _ in statusReply(403, "Forbidden") }
        let error = await providerError { _ = try await client(transport).getAllSecrets(ExternalSecretFind(tags: [:])) }
        #expect(error?.message == #"the store's credentials may not list secrets in namespace "remote""#)
    }

    @Test func unauthorizedStaticTokenIsReadAgainBeforeGivingUp() async throws {
        let references = tokenReferences()
        let transport = ScriptedTransport { _ in statusReply(401, "Unauthorized") }
        let client = try await provider(transport).makeClient(for: tokenStore(), references: references)
        let error = await providerError { _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db")) }
        #expect(error?.code == .accessDenied)
        #expect(references.asked == ["secret remote-token/token", "secret remote-token/token"])
        #expect(transport.requests.count == 2)
    }

    @Test func unreachableServerIsUnavailableAndNamesTheServer() async throws {
        let transport = ScriptedTransport { _ in .fail(ConnectionRefused()) }
        let error = await providerError {
            _ = try await client(transport).getSecret(ExternalSecretDataRemoteRef(key: "db"))
        }
        #expect(error?.code == .unavailable)
        #expect(
            error?.message
                == "cannot reach the Kubernetes API server at https://remote.example:6443: connection refused (errno: 111)"
        )
    }

    @Test func undecodableAnswerIsInvalidDataWithoutQuotingIt() async throws {
        let transport = ScriptedTransport { _ in .respond(.ok, body: Array(#"{"data":{"k":"\#(canary)"}}"#.utf8)) }
        let error = await providerError {
            _ = try await client(transport).getSecret(ExternalSecretDataRemoteRef(key: "db"))
        }
        #expect(error?.code == .invalidData)
        #expect(error?.message.contains(canary) == false)
    }

    @Test func validateAsksForGetAndListInTheRemoteNamespace() async throws {
        let transport = ScriptedTransport { _ in review(allowed: true) }
        #expect(try await client(transport).validate() == .ready)
        #expect(transport.requests.count == 2)
        for (request, verb) in zip(transport.requests, ["get", "list"]) {
            #expect(request.method == .POST)
            #expect(request.url == "https://remote.example:6443/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
            #expect(request.authorization == "Bearer store-token")
            let body = try JSONSerialization.jsonObject(with: Data(request.body ?? [])) as? [String: Any]
            let attributes = (body?["spec"] as? [String: Any])?["resourceAttributes"] as? [String: String]
            #expect(attributes == ["namespace": "remote", "verb": verb, "resource": "secrets", "group": ""])
            #expect(body?["kind"] as? String == "SelfSubjectAccessReview")
        }
    }

    @Test func validateFailsWhenGetIsNotAllowed() async throws {
        let transport = ScriptedTransport { _ in review(allowed: false) }
        let error = await providerError { _ = try await client(transport).validate() }
        #expect(error?.code == .accessDenied)
        #expect(error?.message == #"the store's credentials may not get secrets in namespace "remote""#)
    }

    @Test func validateAcceptsGetWithoutListAsESODoes() async throws {
        let transport = ScriptedTransport { request in
            let body = String(decoding: request.body ?? [], as: UTF8.self)
            return review(allowed: body.contains(#""verb":"get""#))
        }
        #expect(try await client(transport).validate() == .ready)
    }

    @Test func validateWithInvalidCredentialsIsAccessDenied() async throws {
        let transport = ScriptedTransport { _ in statusReply(401, "Unauthorized") }
        let error = await providerError { _ = try await client(transport).validate() }
        #expect(error?.code == .accessDenied)
    }
}
