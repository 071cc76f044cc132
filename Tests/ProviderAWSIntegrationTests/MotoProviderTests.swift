import AWSSigV4
import AWSTestSupport
import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import ProviderAWS
import ProviderKit
import Synchronization
import Testing

/// The provider against moto with signature and IAM policy checking on: an IAM user with an
/// access key and a policy, roles assumed through trust policies.
@Suite(.enabled(if: MotoServer.isAvailable, "moto is not installed (scripts/install-deps.sh aws)"), .moto, .serialized)
struct MotoProviderTests {
    struct Fixture: Sendable {
        var reader: AWSCredentials
        var denied: AWSCredentials
        /// Only what ESO's documentation asks for: no batch reads.
        var legacy: AWSCredentials
        var roleARN: String
        var externalIDRoleARN: String
        var chainedRoleARN: String
        var secretVersions: [String]
        var moto: MotoServer
    }

    /// Secrets, parameters, users and roles, created before authentication is switched on.
    static func setUp() async throws -> Fixture {
        let moto = try #require(MotoServer.current)
        if let fixture = fixtures.get(moto.port) { return fixture }
        let first = try await moto.createSecret(
            "db/creds", string: #"{"user":"app","password":"\#(canary)","nested":{"a.b":"dot"}}"#,
            tags: ["team": "a", "env": "prod"])
        let second = try await moto.putSecretValue(
            "db/creds", string: #"{"user":"app","password":"rotated-\#(canary)"}"#)
        _ = try await moto.createSecret("bin/key", binary: Data([0, 1, 2, 250, 255]))
        _ = try await moto.createSecret("app/one", string: "1", tags: ["group": "g"])
        _ = try await moto.createSecret("app/two", string: "2", tags: ["group": "g"])
        _ = try await moto.createSecret("app/three", string: "3", tags: ["group": "other"])
        _ = try await moto.createSecret("zzz/one", string: "z")
        try await moto.putParameter("/app/db/user", value: "app")
        try await moto.putParameter("/app/db/password", value: canary, type: "SecureString")
        try await moto.putParameter("/app/db/password", value: "v2-\(canary)", type: "SecureString")
        try await moto.labelParameterVersion("/app/db/password", version: 1, labels: ["old"])
        try await moto.putParameter("/app/cache/url", value: "redis://x")
        try await moto.putParameter("/tagged/a", value: "ta", tags: ["team": "a"])
        try await moto.putParameter("/tagged/b", value: "tb", tags: ["team": "b"])
        try await moto.putParameter("/json", value: #"{"k":{"v":"deep"}}"#)

        let reader = try await moto.createUser(
            "eso", policy: MotoServer.allow(["secretsmanager:*", "ssm:*", "sts:AssumeRole", "sts:TagSession"]))
        let denied = try await moto.createUser("nobody", policy: MotoServer.allow(["s3:ListBucket"]))
        let legacy = try await moto.createUser(
            "legacy",
            policy: MotoServer.allow([
                "secretsmanager:ListSecrets", "secretsmanager:GetSecretValue", "ssm:DescribeParameters",
                "ssm:GetParameter",
            ]))
        let userARN = "arn:aws:iam::\(MotoServer.accountID):user/eso"
        let roleARN = try await moto.createRole(
            "reader", trustPolicy: MotoServer.trust(userARN),
            policy: MotoServer.allow(["secretsmanager:*", "ssm:*", "sts:AssumeRole"]))
        let externalIDRoleARN = try await moto.createRole(
            "partner", trustPolicy: MotoServer.trust(userARN, externalID: "ext-42"),
            policy: MotoServer.allow(["secretsmanager:*"]))
        let chainedRoleARN = try await moto.createRole(
            "chained",
            trustPolicy: MotoServer.trust(
                "arn:aws:sts::\(MotoServer.accountID):assumed-role/reader/external-secrets-provider-aws"),
            policy: MotoServer.allow(["secretsmanager:*"]))
        try await moto.enableAuthentication()
        let fixture = Fixture(
            reader: reader, denied: denied, legacy: legacy, roleARN: roleARN, externalIDRoleARN: externalIDRoleARN,
            chainedRoleARN: chainedRoleARN, secretVersions: [first, second], moto: moto)
        fixtures.set(moto.port, fixture)
        return fixture
    }

    static let fixtures = FixtureBox()

    func client(_ fixture: Fixture, _ aws: AWSProvider, credentials: AWSCredentials? = nil) async throws
        -> any SecretsClient
    {
        try await awsProvider(fixture.moto).makeClient(
            for: context(aws), references: references(credentials ?? fixture.reader))
    }

    func secretsManager(_ fixture: Fixture, credentials: AWSCredentials? = nil, role: String? = nil) async throws
        -> any SecretsClient
    {
        try await client(
            fixture, AWSProvider(service: .secretsManager, region: MotoServer.region, auth: keysAuth(), role: role),
            credentials: credentials)
    }

    // MARK: - Authentication

    @Test func theRightKeyWorksAndAWrongOneIsRefusedClearly() async throws {
        let fixture = try await Self.setUp()
        let client = try await secretsManager(fixture)
        #expect(
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "db/creds", property: "user"))
                == Data("app".utf8))

        var wrong = fixture.reader
        wrong.secretAccessKey = "wrong-\(canary)"
        let refused = try await secretsManager(fixture, credentials: wrong)
        let error = await #expect(throws: ProviderError.self) {
            try await refused.getSecret(ExternalSecretDataRemoteRef(key: "db/creds"))
        }
        #expect(error?.code == .accessDenied)
        #expect(
            error?.message.contains("AWS refused the store's credentials (SignatureDoesNotMatch)") == true,
            "\(error?.message ?? "")")
        #expect(error?.message.contains(canary) == false)

        let unknown = try await secretsManager(
            fixture, credentials: AWSCredentials(accessKeyID: "AKIAUNKNOWN000000000", secretAccessKey: "x"))
        let unknownError = await #expect(throws: ProviderError.self) {
            try await unknown.getSecret(ExternalSecretDataRemoteRef(key: "db/creds"))
        }
        #expect(unknownError?.code == .accessDenied)
    }

    @Test func aPolicyWithoutThePermissionIsAccessDenied() async throws {
        let fixture = try await Self.setUp()
        let client = try await secretsManager(fixture, credentials: fixture.denied)
        let error = await #expect(throws: ProviderError.self) {
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "db/creds"))
        }
        #expect(error?.code == .accessDenied)
        #expect(
            error?.message.contains("is not authorized to perform: secretsmanager:GetSecretValue") == true,
            "\(error?.message ?? "")")
        #expect(error?.isNotFound == false)
    }

    @Test func assumeRoleThroughATrustPolicy() async throws {
        let fixture = try await Self.setUp()
        let assumed = try await secretsManager(fixture, role: fixture.roleARN)
        #expect(try await assumed.getSecret(ExternalSecretDataRemoteRef(key: "app/one")) == Data("1".utf8))

        // A user the trust policy does not name cannot assume the role.
        var aws = AWSProvider(
            service: .secretsManager, region: MotoServer.region, auth: keysAuth(), role: fixture.roleARN)
        aws.sessionTags = [AWSTag(key: "team", value: "a")]
        let outsider = try await client(fixture, aws, credentials: fixture.denied)
        let error = await #expect(throws: ProviderError.self) {
            try await outsider.getSecret(ExternalSecretDataRemoteRef(key: "app/one"))
        }
        #expect(error?.code == .accessDenied)
        #expect(error?.message.contains("AssumeRole") == true, "\(error?.message ?? "")")
    }

    @Test func externalIDIsChecked() async throws {
        let fixture = try await Self.setUp()
        var aws = AWSProvider(
            service: .secretsManager, region: MotoServer.region, auth: keysAuth(), role: fixture.externalIDRoleARN)
        aws.externalID = "ext-42"
        aws.sessionTagsPolicy = .simple
        #expect(try await client(fixture, aws).getSecret(ExternalSecretDataRemoteRef(key: "app/two")) == Data("2".utf8))
        aws.externalID = "wrong"
        let wrong = try await client(fixture, aws)
        await #expect(throws: ProviderError.self) {
            try await wrong.getSecret(ExternalSecretDataRemoteRef(key: "app/two"))
        }
    }

    @Test func roleChaining() async throws {
        let fixture = try await Self.setUp()
        let aws = AWSProvider(
            service: .secretsManager, region: MotoServer.region, auth: keysAuth(), role: fixture.chainedRoleARN,
            additionalRoles: [fixture.roleARN])
        #expect(try await client(fixture, aws).getSecret(ExternalSecretDataRemoteRef(key: "app/one")) == Data("1".utf8))
    }

    // MARK: - Secrets Manager

    @Test func secretsManagerVersionsPropertiesBinaryAndMaps() async throws {
        let fixture = try await Self.setUp()
        let client = try await secretsManager(fixture)
        #expect(
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "db/creds", property: "password"))
                == Data("rotated-\(canary)".utf8))
        #expect(
            try await client.getSecret(
                ExternalSecretDataRemoteRef(key: "db/creds", property: "password", version: "AWSPREVIOUS"))
                == Data(canary.utf8))
        #expect(
            try await client.getSecret(
                ExternalSecretDataRemoteRef(
                    key: "db/creds", property: "password", version: "uuid/\(fixture.secretVersions[0])"))
                == Data(canary.utf8))
        #expect(try await client.getSecret(ExternalSecretDataRemoteRef(key: "bin/key")) == Data([0, 1, 2, 250, 255]))
        let previous = try await client.getSecretMap(
            ExternalSecretDataRemoteRef(key: "db/creds", version: "AWSPREVIOUS"))
        #expect(previous["nested"] == Data(#"{"a.b":"dot"}"#.utf8))
        #expect(
            try await client.getSecret(
                ExternalSecretDataRemoteRef(key: "db/creds", property: #"nested.a\.b"#, version: "AWSPREVIOUS"))
                == Data("dot".utf8))
        let missing = await #expect(throws: ProviderError.self) {
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "no/such"))
        }
        #expect(missing?.isNotFound == true)
        let tags = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db/creds", metadataPolicy: .fetch))
        #expect(text(tags) == #"{"env":"prod","team":"a"}"#)
        #expect(try await client.validate() == .ready)
    }

    @Test func secretsManagerFind() async throws {
        let fixture = try await Self.setUp()
        let client = try await secretsManager(fixture)
        let byName = try await client.getAllSecrets(ExternalSecretFind(name: FindName(regexp: "^app/t")))
        #expect(byName == ["app/two": Data("2".utf8), "app/three": Data("3".utf8)])
        let byTags = try await client.getAllSecrets(ExternalSecretFind(tags: ["group": "g"]))
        #expect(byTags == ["app/one": Data("1".utf8), "app/two": Data("2".utf8)])
        let byPath = try await client.getAllSecrets(ExternalSecretFind(path: "app/"))
        #expect(Set(byPath.keys) == ["app/one", "app/two", "app/three"])
        let all = try await client.getAllSecrets(
            ExternalSecretFind(path: "app/", name: FindName(regexp: "o"), tags: ["group": "g"]))
        #expect(Set(all.keys) == ["app/one", "app/two"])
    }

    @Test func findWorksWithoutBatchPermissions() async throws {
        let fixture = try await Self.setUp()
        let secrets = try await secretsManager(fixture, credentials: fixture.legacy)
        #expect(
            try await secrets.getAllSecrets(ExternalSecretFind(tags: ["group": "g"]))
                == ["app/one": Data("1".utf8), "app/two": Data("2".utf8)])
        let parameters = try await client(
            fixture, AWSProvider(service: .parameterStore, region: MotoServer.region, auth: keysAuth()),
            credentials: fixture.legacy)
        #expect(
            try await parameters.getAllSecrets(ExternalSecretFind(tags: ["team": "a"])) == [
                "/tagged/a": Data("ta".utf8)
            ])
        // GetParametersByPath denied: DescribeParameters and GetParameter instead.
        #expect(
            try await parameters.getAllSecrets(ExternalSecretFind(path: "/app/cache"))
                == ["/app/cache/url": Data("redis://x".utf8)])
    }

    // MARK: - Parameter Store

    @Test func parameterStoreReads() async throws {
        let fixture = try await Self.setUp()
        let client = try await client(
            fixture, AWSProvider(service: .parameterStore, region: MotoServer.region, auth: keysAuth()))
        #expect(
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "/app/db/password"))
                == Data("v2-\(canary)".utf8))
        #expect(
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "/app/db/password", version: "1"))
                == Data(canary.utf8))
        #expect(
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "/app/db/password", version: "old"))
                == Data(canary.utf8))
        #expect(
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "/json", property: "k.v")) == Data("deep".utf8))
        #expect(
            try await client.getSecretMap(ExternalSecretDataRemoteRef(key: "/json")) == [
                "k": Data(#"{"v":"deep"}"#.utf8)
            ])
        let missing = await #expect(throws: ProviderError.self) {
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "/nope"))
        }
        #expect(missing?.isNotFound == true)
        let missingVersion = await #expect(throws: ProviderError.self) {
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "/app/db/user", version: "9"))
        }
        #expect(missingVersion?.isNotFound == true)
        let tags = try await client.getSecret(ExternalSecretDataRemoteRef(key: "/tagged/a", metadataPolicy: .fetch))
        #expect(text(tags) == #"{"team":"a"}"#)
    }

    @Test func parameterStoreFind() async throws {
        let fixture = try await Self.setUp()
        let client = try await client(
            fixture, AWSProvider(service: .parameterStore, region: MotoServer.region, auth: keysAuth()))
        let db = try await client.getAllSecrets(ExternalSecretFind(path: "/app", name: FindName(regexp: "/db/")))
        #expect(db == ["/app/db/user": Data("app".utf8), "/app/db/password": Data("v2-\(canary)".utf8)])
        let byPath = try await client.getAllSecrets(ExternalSecretFind(path: "/app/cache"))
        #expect(byPath == ["/app/cache/url": Data("redis://x".utf8)])
        let byTags = try await client.getAllSecrets(ExternalSecretFind(tags: ["team": "a"]))
        #expect(byTags == ["/tagged/a": Data("ta".utf8)])
    }
}

/// Fixtures per moto server, built once per suite.
final class FixtureBox: Sendable {
    private let storage = Mutex<[Int: MotoProviderTests.Fixture]>([:])
    func get(_ port: Int) -> MotoProviderTests.Fixture? { storage.withLock { $0[port] } }
    func set(_ port: Int, _ fixture: MotoProviderTests.Fixture) { storage.withLock { $0[port] = fixture } }
}
