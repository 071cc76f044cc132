import ExternalSecretsAPI
import Foundation
import HTTPSupport
import HTTPTestSupport
import KubeModel
import ProviderKit
import ProviderTestSupport
import Testing

@testable import ProviderAWS

/// The ECRAuthorizationToken and STSSessionToken generators over a scripted transport: what is
/// sent (endpoint, target, signing scope, parameters) and how answers become ESO's keys. Values
/// are compared, never printed in messages.
@Suite struct AWSGeneratorTests {
    static let token = Data("AWS:\(canary)".utf8).base64EncodedString()

    static func ecrAnswer(expiresAt: String = "1800003600.789") -> ScriptedTransport.Reply {
        json(
            .ok,
            #"{"authorizationData":[{"authorizationToken":"\#(token)","expiresAt":\#(expiresAt),"proxyEndpoint":"https://123456789012.dkr.ecr.eu-west-1.amazonaws.com"}]}"#
        )
    }

    static let sessionTokenXML = """
        <GetSessionTokenResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetSessionTokenResult><Credentials>\
        <AccessKeyId>ASIASESSION000000001</AccessKeyId><SecretAccessKey>\(canary)</SecretAccessKey>\
        <SessionToken>session-\(canary)</SessionToken><Expiration>2027-01-15T09:00:00.123Z</Expiration>\
        </Credentials></GetSessionTokenResult></GetSessionTokenResponse>
        """

    static func spec(_ value: some Encodable) throws -> JSONValue { try JSONValue(encoding: value) }

    func generate(
        _ transport: ScriptedTransport, kind: String, spec: JSONValue?, environment: [String: String] = [:],
        references: FakeReferences = FakeReferences(secrets: keySecrets)
    ) async throws -> SecretData {
        try await AWSGenerators(provider: provider(transport, environment: environment)).generate(
            kind: kind, spec: spec, references: references, now: Date()
        ).data
    }

    @Test func anECRLoginIsTheTokenSplitAtItsColonWithWholeSecondExpiry() async throws {
        let transport = ScriptedTransport(replies: [Self.ecrAnswer()])
        let values = try await generate(
            transport, kind: "ECRAuthorizationToken",
            spec: Self.spec(ECRAuthorizationTokenSpec(region: "eu-west-1", auth: keysRef)))
        #expect(Set(values.keys) == ["username", "password", "proxy_endpoint", "expires_at"])
        #expect(values["username"] == Data("AWS".utf8))
        #expect(values["password"] == Data(canary.utf8))
        #expect(values["expires_at"] == Data("1800003600".utf8))
        #expect(values["proxy_endpoint"] == Data("https://123456789012.dkr.ecr.eu-west-1.amazonaws.com".utf8))
        let request = try #require(transport.requests.first)
        #expect(transport.requests.count == 1)
        #expect(request.url == "https://api.ecr.eu-west-1.amazonaws.com/")
        #expect(request.target == "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken")
        #expect(request.bodyText == "{}")
        let authorization = request.headers.first(name: "Authorization") ?? ""
        #expect(authorization.contains("Credential=AKIATESTKEY000000001/"))
        #expect(authorization.contains("/eu-west-1/ecr/aws4_request"))
    }

    @Test func aPublicScopeAsksECRPublicAndHasNoProxyEndpoint() async throws {
        let transport = ScriptedTransport(replies: [
            json(.ok, #"{"authorizationData":{"authorizationToken":"\#(Self.token)","expiresAt":1800003600}}"#)
        ])
        let values = try await generate(
            transport, kind: "ECRAuthorizationToken",
            spec: Self.spec(ECRAuthorizationTokenSpec(region: "us-east-1", auth: keysRef, scope: "public")),
            environment: ["AWS_ECR_PUBLIC_ENDPOINT": "http://ecr-public.local:4566"])
        #expect(Set(values.keys) == ["username", "password", "expires_at"])
        #expect(values["password"] == Data(canary.utf8))
        #expect(values["expires_at"] == Data("1800003600".utf8))
        let request = try #require(transport.requests.first)
        #expect(request.url == "http://ecr-public.local:4566/")
        #expect(request.target == "SpencerFrontendService.GetAuthorizationToken")
        #expect(request.headers.first(name: "Authorization")?.contains("/us-east-1/ecr-public/aws4_request") == true)
    }

    @Test func theRoleIsAssumedAndItsCredentialsSignTheCall() async throws {
        let transport = ScriptedTransport { request in
            request.url.contains("sts") ? xml(.ok, stsCredentialsXML) : Self.ecrAnswer()
        }
        _ = try await generate(
            transport, kind: "ECRAuthorizationToken",
            spec: Self.spec(
                ECRAuthorizationTokenSpec(region: "eu-west-1", role: "arn:aws:iam::1:role/puller", auth: keysRef)),
            environment: ["AWS_STS_ENDPOINT": "http://sts.local:4566", "AWS_ECR_ENDPOINT": "http://ecr.local:4566"])
        #expect(transport.requests.map(\.url) == ["http://sts.local:4566/", "http://ecr.local:4566/"])
        #expect(transport.requests[0].bodyText.contains("Action=AssumeRole"))
        #expect(transport.requests[0].bodyText.contains("RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fpuller"))
        #expect(
            transport.requests[0].headers.first(name: "Authorization")?.contains("Credential=AKIATESTKEY000000001/")
                == true)
        #expect(
            transport.requests[1].headers.first(name: "Authorization")?.contains("Credential=ASIAASSUMED000000001/")
                == true)
    }

    @Test func aJWTAuthExchangesTheServiceAccountTokenForTheAnnotatedRole() async throws {
        let transport = ScriptedTransport { request in
            request.url.contains("sts")
                ? xml(.ok, stsCredentialsXML.replacingOccurrences(of: "AssumeRole", with: "AssumeRoleWithWebIdentity"))
                : Self.ecrAnswer()
        }
        let references = FakeReferences(annotations: [
            "puller": ["eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/irsa"]
        ])
        let auth = AWSAuth(jwt: AWSJWTAuth(serviceAccountRef: ServiceAccountSelector(name: "puller")))
        let values = try await generate(
            transport, kind: "ECRAuthorizationToken",
            spec: Self.spec(ECRAuthorizationTokenSpec(region: "eu-west-1", auth: auth)),
            environment: ["AWS_STS_ENDPOINT": "http://sts.local:4566"], references: references)
        #expect(values["password"] == Data(canary.utf8))
        #expect(references.asked == ["token puller [\"sts.amazonaws.com\"]"])
        let sts = transport.requests[0]
        #expect(sts.bodyText.contains("Action=AssumeRoleWithWebIdentity"))
        #expect(sts.bodyText.contains("RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Firsa"))
        #expect(sts.headers.first(name: "Authorization") == nil, "AssumeRoleWithWebIdentity is unsigned")
        #expect(
            transport.requests[1].headers.first(name: "Authorization")?.contains("Credential=ASIAASSUMED000000001/")
                == true)
    }

    @Test func aSessionTokenCarriesTheRequestParametersAndESOsKeys() async throws {
        let transport = ScriptedTransport(replies: [xml(.ok, Self.sessionTokenXML)])
        let spec = STSSessionTokenSpec(
            region: "eu-central-1", auth: keysRef,
            requestParameters: STSSessionTokenRequestParameters(
                sessionDuration: 900, serialNumber: "arn:aws:iam::1:mfa/dev", tokenCode: "123456"))
        let values = try await generate(
            transport, kind: "STSSessionToken", spec: Self.spec(spec),
            environment: ["AWS_STS_ENDPOINT": "http://sts.local:4566"])
        #expect(values["access_key_id"] == Data("ASIASESSION000000001".utf8))
        #expect(values["secret_access_key"] == Data(canary.utf8))
        #expect(values["session_token"] == Data("session-\(canary)".utf8))
        #expect(values["expiration"] == Data("1800003600".utf8))
        #expect(values.count == 4)
        let body = try #require(transport.requests.first).bodyText
        for part in [
            "Action=GetSessionToken", "DurationSeconds=900", "SerialNumber=arn%3Aaws%3Aiam%3A%3A1%3Amfa%2Fdev",
            "TokenCode=123456",
        ] {
            #expect(body.contains(part), "\(part)")
        }
        #expect(
            transport.requests[0].headers.first(name: "Authorization")?.contains("/eu-central-1/sts/aws4_request")
                == true)
        #expect(
            STSClient.sessionTokenParameters(durationSeconds: nil, serialNumber: "", tokenCode: nil).isEmpty,
            "unset parameters are not sent")
    }

    @Test func badSpecsAndAnswersAreClearErrorsWithoutValues() async throws {
        func failure(
            _ reply: ScriptedTransport.Reply? = nil, kind: String = "ECRAuthorizationToken", spec: JSONValue?
        ) async -> ProviderError? {
            let transport = ScriptedTransport(replies: reply.map { [$0] } ?? [])
            do {
                _ = try await generate(transport, kind: kind, spec: spec)
                return nil
            } catch {
                return error as? ProviderError
            }
        }
        let jwt = AWSAuth(jwt: AWSJWTAuth(serviceAccountRef: ServiceAccountSelector(name: "sa")))
        let cases: [(ProviderError?, ProviderError.Code, String)] = try [
            (await failure(spec: nil), .invalidConfiguration, "spec.region is required"),
            (await failure(spec: ["region": 3]), .invalidConfiguration, "does not match its schema"),
            (
                await failure(spec: Self.spec(ECRAuthorizationTokenSpec(region: "moon-1"))), .invalidConfiguration,
                "spec.region"
            ),
            (
                await failure(
                    kind: "STSSessionToken", spec: Self.spec(STSSessionTokenSpec(region: "us-east-1", auth: jwt))),
                .invalidConfiguration, "spec.auth.jwt cannot be used"
            ),
            (
                await failure(
                    json(
                        .ok,
                        #"{"authorizationData":[{"authorizationToken":"\#(Data(canary.utf8).base64EncodedString())","expiresAt":1,"proxyEndpoint":"x"}]}"#
                    ), spec: Self.spec(ECRAuthorizationTokenSpec(region: "us-east-1", auth: keysRef))),
                .invalidData, "unexpected token format"
            ),
            (
                await failure(
                    json(.ok, #"{"authorizationData":[]}"#),
                    spec: Self.spec(ECRAuthorizationTokenSpec(region: "us-east-1", auth: keysRef))),
                .invalidData, "expected 1, found 0"
            ),
            (
                await failure(
                    json(.badRequest, #"{"__type":"AccessDeniedException","message":"no"}"#),
                    spec: Self.spec(ECRAuthorizationTokenSpec(region: "us-east-1", auth: keysRef))),
                .accessDenied, "ECR GetAuthorizationToken: access denied"
            ),
        ]
        for (error, code, text) in cases {
            let error = try #require(error, "\(text)")
            #expect(error.code == code, "\(text)")
            #expect(error.message.contains(text), "\(error.message)")
            #expect(!error.message.contains(canary))
        }
    }

    @Test func theGeneratorReadsCredentialsThroughTheReferenceReader() async throws {
        let transport = ScriptedTransport(replies: [Self.ecrAnswer()])
        let references = FakeReferences(secrets: keySecrets)
        _ = try await generate(
            transport, kind: "ECRAuthorizationToken",
            spec: Self.spec(ECRAuthorizationTokenSpec(region: "eu-west-1", auth: keysRef)), references: references)
        #expect(references.asked == ["secret aws/id", "secret aws/secret"])
        #expect(
            AWSGenerators(provider: provider(transport)).resources.map(\.plural) == [
                "ecrauthorizationtokens", "stssessiontokens",
            ])
    }
}
