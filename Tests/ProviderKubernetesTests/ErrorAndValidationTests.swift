import ExternalSecretsAPI
import Foundation
import HTTPSupport
import HTTPTestSupport
import KubeModel
import NIOHTTP1
import ProviderKit
@testable import ProviderKubernetes
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

/// A SelfSubjectRulesReview answer holding `rules` (JSON array text).
private func rulesReview(_ rules: String, incomplete: Bool = false) -> ScriptedTransport.Reply {
    .respond(
        .created, headers: ["Content-Type": "application/json"],
        body: Array(
            #"{"kind":"SelfSubjectRulesReview","apiVersion":"authorization.k8s.io/v1","metadata":{},"spec":{},"status":{"resourceRules":\#(rules),"nonResourceRules":[],"incomplete":\#(incomplete)}}"#
                .utf8))
}

private let rulesReviewURL = "https://remote.example:6443/apis/authorization.k8s.io/v1/selfsubjectrulesreviews"
private let accessReviewURL = "https://remote.example:6443/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"

/// The rules system:basic-user grants everyone: no Secret among them.
private let basicUserRules =
    #"[{"verbs":["create"],"apiGroups":["authorization.k8s.io"],"resources":["selfsubjectaccessreviews","selfsubjectrulesreviews"]}]"#

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

    @Test func validateAsksForRulesThenGetAndListInTheRemoteNamespace() async throws {
        let transport = ScriptedTransport { request in
            request.url == rulesReviewURL ? rulesReview(basicUserRules) : review(allowed: true)
        }
        #expect(try await client(transport).validate() == .ready)
        #expect(transport.requests.map(\.url) == [rulesReviewURL, accessReviewURL, accessReviewURL])
        for request in transport.requests {
            #expect(request.method == .POST)
            #expect(request.authorization == "Bearer store-token")
        }
        let rules = try JSONSerialization.jsonObject(with: Data(transport.requests[0].body ?? [])) as? [String: Any]
        #expect(rules?["kind"] as? String == "SelfSubjectRulesReview")
        #expect((rules?["spec"] as? [String: String]) == ["namespace": "remote"])
        for (request, verb) in zip(transport.requests.dropFirst(), ["get", "list"]) {
            let body = try JSONSerialization.jsonObject(with: Data(request.body ?? [])) as? [String: Any]
            let attributes = (body?["spec"] as? [String: Any])?["resourceAttributes"] as? [String: String]
            #expect(attributes == ["namespace": "remote", "verb": verb, "resource": "secrets", "group": ""])
            #expect(body?["kind"] as? String == "SelfSubjectAccessReview")
        }
    }

    /// A Role granting get on named Secrets only: the access review (no name) says no, the rules
    /// review shows the rule, and the store is valid without asking the access review for get.
    @Test func validateAcceptsGetOnNamedSecretsFromTheRulesReview() async throws {
        let transport = ScriptedTransport { request in
            request.url == rulesReviewURL
                ? rulesReview(#"[{"verbs":["get"],"apiGroups":[""],"resources":["secrets"],"resourceNames":["db"]}]"#)
                : review(allowed: false)
        }
        #expect(try await client(transport).validate() == .ready)
        let verbs = transport.requests.dropFirst().map { String(decoding: $0.body ?? [], as: UTF8.self) }
            .map { $0.contains(#""verb":"list""#) ? "list" : "other" }
        #expect(verbs == ["list"])
    }

    @Test(arguments: [403, 404])
    func validateFallsBackToTheAccessReviewWhenRulesReviewsAreRefused(code: Int) async throws {
        let transport = ScriptedTransport { request in
            request.url == rulesReviewURL ? statusReply(code, code == 403 ? "Forbidden" : "NotFound") : review(allowed: true)
        }
        #expect(try await client(transport).validate() == .ready)
        #expect(transport.requests.map(\.url) == [rulesReviewURL, accessReviewURL, accessReviewURL])
    }

    @Test func validateWithIncompleteRulesAsksTheAccessReview() async throws {
        let transport = ScriptedTransport { request in
            if request.url == rulesReviewURL { return rulesReview("[]", incomplete: true) }
            let body = String(decoding: request.body ?? [], as: UTF8.self)
            return review(allowed: body.contains(#""verb":"get""#))
        }
        #expect(try await client(transport).validate() == .ready)
    }

    /// ESO's rule match: secrets or `*`, get or `*`, core group (absent, "" or `*`); resourceNames
    /// do not matter.
    @Test(arguments: [
        (#"{"verbs":["get"],"apiGroups":[""],"resources":["secrets"]}"#, true),
        (#"{"verbs":["get"],"apiGroups":[""],"resources":["secrets"],"resourceNames":["db","cache"]}"#, true),
        (#"{"verbs":["*"],"apiGroups":["*"],"resources":["*"]}"#, true),
        (#"{"verbs":["list","get"],"resources":["configmaps","secrets"]}"#, true),
        (#"{"verbs":["get"],"apiGroups":["*"],"resources":["secrets"]}"#, true),
        (#"{"verbs":["list","watch"],"apiGroups":[""],"resources":["secrets"]}"#, false),
        (#"{"verbs":["get"],"apiGroups":[""],"resources":["configmaps"]}"#, false),
        (#"{"verbs":["get"],"apiGroups":["apps"],"resources":["secrets"]}"#, false),
        (#"{"verbs":["get"],"apiGroups":[""],"resources":["secrets/status"]}"#, false),
    ])
    func rulesReviewDecision(rule: String, grants: Bool) throws {
        let status = try JSONDecoder().decode(
            SubjectRulesReviewStatus.self,
            from: Data(#"{"resourceRules":[\#(rule)],"nonResourceRules":[],"incomplete":false}"#.utf8))
        #expect(SecretReadAccess.rulesGrantGet(status) == grants)
    }

    @Test func rulesReviewWithoutSecretRulesGrantsNothing() throws {
        let status = try JSONDecoder().decode(
            SubjectRulesReviewStatus.self,
            from: Data(#"{"resourceRules":\#(basicUserRules),"nonResourceRules":[{"verbs":["get"],"nonResourceURLs":["/healthz"]}],"incomplete":false}"#.utf8))
        #expect(!SecretReadAccess.rulesGrantGet(status))
        #expect(!SecretReadAccess.rulesGrantGet(SubjectRulesReviewStatus()))
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
