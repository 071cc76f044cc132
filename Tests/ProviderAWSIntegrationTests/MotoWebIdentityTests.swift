import AWSSigV4
import AWSTestSupport
import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import ProviderAWS
import ProviderKit
import Testing

/// IRSA: STS AssumeRoleWithWebIdentity. moto implements it only with signature checking off, so
/// this suite's moto never switches checking on.
@Suite(.enabled(if: MotoServer.isAvailable, "moto is not installed (scripts/install-deps.sh aws)"), .moto, .serialized)
struct MotoWebIdentityTests {
    static let token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6b3BzOmVzbyJ9.c2ln"

    @Test func webIdentityTokenFileFromTheOperatorsEnvironment() async throws {
        let moto = try #require(MotoServer.current)
        _ = try await moto.createSecret("irsa/secret", string: canary)
        let tokenFile = "\(moto.directory)/token"
        try Self.token.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let provider = awsProvider(
            moto,
            extra: ["AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/irsa"])
        try await moto.startRecording()
        let client = try await provider.makeClient(
            for: context(AWSProvider(service: .secretsManager, region: MotoServer.region)),
            references: FixedReferences())
        #expect(try await client.getSecret(ExternalSecretDataRemoteRef(key: "irsa/secret")) == Data(canary.utf8))
        #expect(try await client.getSecret(ExternalSecretDataRemoteRef(key: "irsa/secret")) == Data(canary.utf8))
        try await moto.stopRecording()
        let operations = moto.recordedOperations()
        #expect(operations.filter { $0 == "AssumeRoleWithWebIdentity" }.count == 1, "\(operations)")
        #expect(operations.filter { $0 == "secretsmanager.GetSecretValue" }.count == 2)
        await client.close()
    }

    @Test func jwtAuthWithTheServiceAccountsRoleAnnotation() async throws {
        let moto = try #require(MotoServer.current)
        _ = try await moto.createSecret("jwt/secret", string: "via-jwt")
        let references = FixedReferences(annotations: [
            "eso": ["eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/jwt"]
        ])
        let aws = AWSProvider(
            service: .secretsManager, region: MotoServer.region,
            auth: AWSAuth(jwt: AWSJWTAuth(serviceAccountRef: ServiceAccountSelector(name: "eso"))))
        let client = try await awsProvider(moto).makeClient(
            for: context(aws), references: references)
        #expect(try await client.getSecret(ExternalSecretDataRemoteRef(key: "jwt/secret")) == Data("via-jwt".utf8))

        let unannotated = try await awsProvider(moto).makeClient(
            for: context(aws), references: FixedReferences())
        let error = await #expect(throws: ProviderError.self) {
            try await unannotated.getSecret(ExternalSecretDataRemoteRef(key: "jwt/secret"))
        }
        #expect(error?.message.contains("eks.amazonaws.com/role-arn") == true)
    }
}
