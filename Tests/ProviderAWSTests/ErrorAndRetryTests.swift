import AWSSigV4
import ExternalSecretsAPI
import Foundation
import HTTPSupport
import HTTPTestSupport
import NIOHTTP1
import ProviderKit
import ProviderTestSupport
import Synchronization
import Testing

@testable import ProviderAWS

@Suite struct AWSServiceErrorTests {
    @Test(arguments: [
        (
            #"{"__type":"com.amazonaws.secretsmanager#ResourceNotFoundException","message":"x"}"#,
            "ResourceNotFoundException"
        ),
        (#"{"__type":"ParameterNotFound"}"#, "ParameterNotFound"),
        (#"{"code":"ThrottlingException"}"#, "ThrottlingException"),
        (
            "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>no</Message></Error></ErrorResponse>",
            "AccessDenied"
        ),
        ("not json", "HTTP400"),
    ])
    func codes(body: String, code: String) {
        #expect(AWSServiceError.from(status: 400, headers: [], body: Array(body.utf8)).code == code)
    }

    @Test func headerCodeWins() {
        let error = AWSServiceError.from(
            status: 400, headers: [("x-amzn-ErrorType", "ThrottlingException:http://internal.amazon.com/coral/")],
            body: Array(#"{"__type":"Other"}"#.utf8))
        #expect(error.code == "ThrottlingException")
        #expect(error.isThrottling && error.isRetryable)
    }

    /// A signature mismatch answer quotes the canonical request (with the session token): none of
    /// it is kept.
    @Test func signatureMismatchTextIsDropped() {
        let body = """
            {"__type":"InvalidSignatureException","message":"The request signature we calculated does not match. The Canonical String for this request should have been 'POST / host:x x-amz-security-token:\(canary)'"}
            """
        let error = AWSServiceError.from(status: 400, headers: [], body: Array(body.utf8))
        #expect(error.message == nil)
        #expect(!"\(error)".contains(canary))
        let mapped = AWSErrorMapper(serviceName: "Secrets Manager", region: "us-east-1")
            .map(error, operation: "GetSecretValue", key: "db")
        let provider = try? #require(mapped as? ProviderError)
        #expect(provider?.code == .accessDenied)
        #expect(provider?.message.contains("refused the store's credentials") == true)
        #expect(provider?.message.contains(canary) == false)
    }

    @Test func accessDeniedKeepsTheSanitizedReason() {
        let body = """
            {"__type":"AccessDeniedException","Message":"User: arn:aws:iam::123456789012:user/eso is not authorized to perform: secretsmanager:GetSecretValue on resource: db Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/secretsmanager/aws4_request, Signature=abc"}
            """
        let error = AWSServiceError.from(status: 400, headers: [], body: Array(body.utf8))
        let message = error.message ?? ""
        #expect(message.contains("is not authorized to perform: secretsmanager:GetSecretValue"))
        #expect(!message.contains("AKIAIOSFODNN7EXAMPLE"))
        #expect(!message.contains("Signature=abc"))
        let masked = AWSServiceError.sanitize("key AKIAIOSFODNN7EXAMPLE used")
        #expect(masked == "key AKIA**** used")
    }

    @Test func otherCodesKeepNoText() {
        let body = #"{"__type":"InvalidParameterException","message":"value \#(canary) is bad"}"#
        let error = AWSServiceError.from(status: 400, headers: [], body: Array(body.utf8))
        #expect(error.message == nil)
        #expect(!"\(error)".contains(canary))
    }

    @Test func markedForDeletionIsNotFound() async throws {
        let transport = ScriptedTransport(replies: [
            json(
                .badRequest,
                #"{"__type":"InvalidRequestException","message":"You can't perform this operation on the secret because it was marked for deletion."}"#
            )
        ])
        let client = try await provider(transport).makeClient(
            for: store(AWSProvider(service: .secretsManager, region: "us-east-1", auth: keysRef)),
            references: FakeReferences(secrets: keySecrets))
        let error = await #expect(throws: ProviderError.self) {
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "db"))
        }
        #expect(error?.isNotFound == true)
    }
}

@Suite struct RetryTests {
    static let throttled = json(.badRequest, #"{"__type":"ThrottlingException","message":"Rate exceeded"}"#)

    @Test func throttlingIsRetriedWithJitteredExponentialBackoff() async throws {
        let transport = ScriptedTransport(replies: [
            Self.throttled, .respond(.tooManyRequests, body: []), json(.ok, #"{"Name":"db","SecretString":"v"}"#),
        ])
        let sleeps = Sleeps()
        let client = try await provider(transport, sleeps: sleeps).makeClient(
            for: store(AWSProvider(service: .secretsManager, region: "us-east-1", auth: keysRef)),
            references: FakeReferences(secrets: keySecrets))
        let value = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db"))
        #expect(value == Data("v".utf8))
        #expect(transport.requests.count == 3)
        // random() = 0.5: half of 1 s, then half of 2 s.
        #expect(sleeps.all == [.milliseconds(500), .seconds(1)])
    }

    @Test func exhaustedRetriesAreAThrottledError() async throws {
        let transport = ScriptedTransport { _ in Self.throttled }
        let client = try await provider(transport).makeClient(
            for: store(
                AWSProvider(service: .secretsManager, region: "us-east-1", auth: keysRef),
                retry: SecretStoreRetrySettings(maxRetries: 5, retryInterval: "10ms")),
            references: FakeReferences(secrets: keySecrets))
        let error = await #expect(throws: ProviderError.self) {
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "db"))
        }
        #expect(error?.code == .throttled)
        #expect(transport.requests.count == 5)
    }

    @Test func fixedDelayFromRetrySettings() {
        let policy = AWSSecretsProvider().storeRetry(SecretStoreRetrySettings(maxRetries: 2, retryInterval: "250ms"))
        #expect(policy.maxAttempts == 2)
        #expect(policy.delay(beforeRetry: 3) == .milliseconds(250))
    }

    @Test func backoffIsCapped() {
        let policy = AWSRetryPolicy(random: { 0.999 })
        #expect(policy.delay(beforeRetry: 40) < .seconds(20))
        #expect(policy.delay(beforeRetry: 40) > .seconds(19))
    }

    @Test func accessDeniedIsNotRetried() async throws {
        let transport = ScriptedTransport { _ in
            json(
                .badRequest,
                #"{"__type":"AccessDeniedException","Message":"User: arn:aws:iam::1:user/x is not authorized to perform: secretsmanager:GetSecretValue"}"#
            )
        }
        let client = try await provider(transport).makeClient(
            for: store(AWSProvider(service: .secretsManager, region: "us-east-1", auth: keysRef)),
            references: FakeReferences(secrets: keySecrets))
        let error = await #expect(throws: ProviderError.self) {
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "db"))
        }
        #expect(error?.code == .accessDenied)
        #expect(error?.message.contains("not authorized to perform: secretsmanager:GetSecretValue") == true)
        #expect(transport.requests.count == 1)
    }

    @Test func connectionFailuresAreRetriedThenUnavailable() async throws {
        struct Refused: Error {}
        let transport = ScriptedTransport { _ in .fail(Refused()) }
        let client = try await provider(transport).makeClient(
            for: store(AWSProvider(service: .parameterStore, region: "us-east-1", auth: keysRef)),
            references: FakeReferences(secrets: keySecrets))
        let error = await #expect(throws: ProviderError.self) {
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "p"))
        }
        #expect(error?.code == .unavailable)
        #expect(transport.requests.count == 3)
    }
}
