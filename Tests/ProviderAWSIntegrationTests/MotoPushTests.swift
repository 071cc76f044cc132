import AWSSigV4
import AWSTestSupport
import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import ProviderAWS
import ProviderKit
import Synchronization
import Testing

/// PushSecret against moto with signature and IAM policy checking on: what the provider leaves in
/// Secrets Manager and Parameter Store (values, versions, tags, types, tiers), read back with moto's
/// own API; secrets and parameters not created by a PushSecret are left as they were.
@Suite(.enabled(if: MotoServer.isAvailable, "moto is not installed (scripts/install-deps.sh aws)"), .moto, .serialized)
struct MotoPushTests {
    struct Fixture: Sendable {
        var pusher: AWSCredentials
        var readOnly: AWSCredentials
        var moto: MotoServer
    }

    static let fixtures = Mutex<[Int: Fixture]>([:])

    /// Users (one may push, one may only read) and the secrets someone else made, created before
    /// authentication is switched on.
    static func setUp() async throws -> Fixture {
        let moto = try #require(MotoServer.current)
        if let fixture = fixtures.withLock({ $0[moto.port] }) { return fixture }
        _ = try await moto.createSecret("theirs/db", string: "their-value", tags: ["team": "other"])
        try await moto.putParameter("/theirs/db", value: "their-value", tags: ["team": "other"])
        let pusher = try await moto.createUser("pusher", policy: MotoServer.allow(["secretsmanager:*", "ssm:*"]))
        let readOnly = try await moto.createUser(
            "reader",
            policy: MotoServer.allow([
                "secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "ssm:GetParameter",
                "ssm:ListTagsForResource",
            ]))
        try await moto.enableAuthentication()
        let fixture = Fixture(pusher: pusher, readOnly: readOnly, moto: moto)
        fixtures.withLock { $0[moto.port] = fixture }
        return fixture
    }

    func client(
        _ fixture: Fixture, _ service: AWSServiceType, settings: AWSSecretsManagerSettings? = nil,
        credentials: AWSCredentials? = nil
    ) async throws -> any SecretsClient {
        let aws = AWSProvider(
            service: service, region: MotoServer.region, auth: keysAuth(), secretsManager: settings)
        return try await awsProvider(fixture.moto).makeClient(
            for: context(aws), references: references(credentials ?? fixture.pusher))
    }

    func target(_ key: String, property: String? = nil, metadata spec: String? = nil) throws -> PushTarget {
        var target = PushTarget(remoteKey: key, property: property)
        if let spec {
            target.metadata = try decoded(
                #"{"apiVersion":"kubernetes.external-secrets.io/v1alpha1","kind":"PushSecretMetadata","spec":\#(spec)}"#
            )
        }
        return target
    }

    /// JSON text as whatever type the context asks for (`PushTarget.metadata`).
    func decoded<T: Decodable>(_ text: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    // MARK: - moto's view

    func describe(_ fixture: Fixture, _ name: String) async throws -> [String: Any] {
        try await fixture.moto.json(
            "secretsmanager", "secretsmanager", "DescribeSecret", ["SecretId": name], credentials: fixture.pusher)
    }

    /// The current value of a secret as bytes (`SecretBinary` or `SecretString`).
    func value(_ fixture: Fixture, _ name: String) async throws -> Data? {
        let output = try await fixture.moto.json(
            "secretsmanager", "secretsmanager", "GetSecretValue", ["SecretId": name], credentials: fixture.pusher)
        if let binary = output["SecretBinary"] as? String { return Data(base64Encoded: binary) }
        return (output["SecretString"] as? String).map { Data($0.utf8) }
    }

    func versionCount(_ fixture: Fixture, _ name: String) async throws -> Int {
        let output = try await fixture.moto.json(
            "secretsmanager", "secretsmanager", "ListSecretVersionIds", ["SecretId": name],
            credentials: fixture.pusher)
        return (output["Versions"] as? [Any])?.count ?? 0
    }

    func tags(_ described: [String: Any]) -> [String: String] {
        let list = described["Tags"] as? [[String: String]] ?? []
        return Dictionary(list.map { ($0["Key"] ?? "", $0["Value"] ?? "") }, uniquingKeysWith: { _, last in last })
    }

    func parameter(_ fixture: Fixture, _ name: String) async throws -> [String: Any] {
        let output = try await fixture.moto.json(
            "ssm", "AmazonSSM", "GetParameter", ["Name": name, "WithDecryption": true], credentials: fixture.pusher)
        return output["Parameter"] as? [String: Any] ?? [:]
    }

    func parameterTags(_ fixture: Fixture, _ name: String) async throws -> [String: String] {
        let output = try await fixture.moto.json(
            "ssm", "AmazonSSM", "ListTagsForResource", ["ResourceType": "Parameter", "ResourceId": name],
            credentials: fixture.pusher)
        let list = output["TagList"] as? [[String: String]] ?? []
        return Dictionary(list.map { ($0["Key"] ?? "", $0["Value"] ?? "") }, uniquingKeysWith: { _, last in last })
    }

    func parameterExists(_ fixture: Fixture, _ name: String) async -> Bool {
        (try? await parameter(fixture, name))?.isEmpty == false
    }

    /// The operations moto received while `body` ran.
    func operations(_ fixture: Fixture, _ body: () async throws -> Void) async throws -> [String] {
        try await fixture.moto.startRecording()
        try await body()
        try await fixture.moto.stopRecording()
        return fixture.moto.recordedOperations().map { String($0.split(separator: ".").last ?? "") }
    }

    // MARK: - Secrets Manager

    @Test func secretsManagerCreateUpdateAndUnchanged() async throws {
        let fixture = try await Self.setUp()
        let client = try await client(fixture, .secretsManager)
        let created = try await operations(fixture) {
            try await client.pushSecret(
                .value(Data(canary.utf8)), to: try target("push/db", metadata: #"{"tags":{"team":"a"}}"#))
        }
        #expect(created == ["DescribeSecret", "CreateSecret"])
        let described = try await describe(fixture, "push/db")
        #expect(tags(described) == ["managed-by": "external-secrets", "team": "a"])
        #expect(described["Description"] as? String == "secret 'managed-by:external-secrets'")
        #expect(try await value(fixture, "push/db") == Data(canary.utf8))

        // Unchanged: no new version, and one call.
        let unchanged = try await operations(fixture) {
            try await client.pushSecret(
                .value(Data(canary.utf8)), to: try target("push/db", metadata: #"{"tags":{"team":"a"}}"#))
        }
        #expect(unchanged == ["DescribeSecret"])
        #expect(try await versionCount(fixture, "push/db") == 1)

        // A new client (operator restart) reads the value once to know it is unchanged.
        let restarted = try await self.client(fixture, .secretsManager)
        let reread = try await operations(fixture) {
            try await restarted.pushSecret(.value(Data(canary.utf8)), to: try target("push/db"))
        }
        #expect(reread == ["DescribeSecret", "GetSecretValue"])
        #expect(try await versionCount(fixture, "push/db") == 1)

        // Changed: one new version with the new value, written without reading the old one.
        let changed = try await operations(fixture) {
            try await client.pushSecret(.value(Data("v2-\(canary)".utf8)), to: try target("push/db"))
        }
        #expect(changed == ["DescribeSecret", "PutSecretValue"])
        #expect(try await value(fixture, "push/db") == Data("v2-\(canary)".utf8))
        #expect(try await versionCount(fixture, "push/db") == 2)
        #expect(try await client.secretExists(try target("push/db")))
        #expect(try await !client.secretExists(try target("push/none")))
    }

    @Test func secretsManagerPropertiesMergeAndDelete() async throws {
        let fixture = try await Self.setUp()
        let client = try await client(fixture, .secretsManager)
        let metadata = #"{"secretPushFormat":"string"}"#
        try await client.pushSecret(
            .value(Data("app".utf8)), to: try target("push/merged", property: "user", metadata: metadata))
        try await client.pushSecret(
            .value(Data(canary.utf8)), to: try target("push/merged", property: "password", metadata: metadata))
        #expect(
            try await value(fixture, "push/merged") == Data(#"{"user":"app","password":"\#(canary)"}"#.utf8))
        let versions = try await versionCount(fixture, "push/merged")
        try await client.pushSecret(
            .value(Data("app".utf8)), to: try target("push/merged", property: "user", metadata: metadata))
        #expect(try await versionCount(fixture, "push/merged") == versions)
        #expect(try await client.secretExists(try target("push/merged", property: "password")))
        #expect(try await !client.secretExists(try target("push/merged", property: "other")))

        // What the read path makes of it.
        #expect(
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "push/merged", property: "password"))
                == Data(canary.utf8))

        try await client.deleteSecret(try target("push/merged", property: "password"))
        #expect(try await value(fixture, "push/merged") == Data(#"{"user":"app"}"#.utf8))
        try await client.deleteSecret(try target("push/merged", property: "user"))
        #expect(try await describe(fixture, "push/merged")["DeletedDate"] as? Double != nil)
    }

    @Test func secretsManagerWholeSecretsAreJSONObjectsOfStrings() async throws {
        let fixture = try await Self.setUp()
        let client = try await client(fixture, .secretsManager)
        try await client.pushSecret(
            .allKeys(["user": Data("app".utf8), "password": Data(canary.utf8)]), to: try target("push/all"))
        #expect(try await value(fixture, "push/all") == Data(#"{"password":"\#(canary)","user":"app"}"#.utf8))
        let map = try await client.getSecretMap(ExternalSecretDataRemoteRef(key: "push/all"))
        #expect(map["password"] == Data(canary.utf8))
    }

    @Test func secretsManagerLeavesOtherSecretsAlone() async throws {
        let fixture = try await Self.setUp()
        let client = try await client(fixture, .secretsManager)
        let pushed = await #expect(throws: ProviderError.self) {
            try await client.pushSecret(.value(Data(canary.utf8)), to: try target("theirs/db"))
        }
        #expect(pushed?.code == .notManaged)
        #expect(pushed?.message.contains("\"theirs/db\"") == true && pushed?.message.contains(canary) == false)
        let merged = await #expect(throws: ProviderError.self) {
            try await client.pushSecret(.value(Data(canary.utf8)), to: try target("theirs/db", property: "p"))
        }
        #expect(merged?.code == .notManaged)
        let deleted = await #expect(throws: ProviderError.self) {
            try await client.deleteSecret(try target("theirs/db"))
        }
        #expect(deleted?.code == .notManaged)
        #expect(try await value(fixture, "theirs/db") == Data("their-value".utf8))
        #expect(try await versionCount(fixture, "theirs/db") == 1)
        #expect(try await describe(fixture, "theirs/db")["DeletedDate"] as? Double == nil)
    }

    @Test func secretsManagerDeletion() async throws {
        let fixture = try await Self.setUp()
        // Default: AWS's recovery window; pushing again restores the secret.
        let client = try await client(fixture, .secretsManager)
        try await client.pushSecret(.value(Data("v".utf8)), to: try target("push/window"))
        try await client.deleteSecret(try target("push/window"))
        #expect(try await describe(fixture, "push/window")["DeletedDate"] as? Double != nil)
        #expect(try await !client.secretExists(try target("push/window")))
        try await client.deleteSecret(try target("push/window"))
        try await client.pushSecret(.value(Data("v2".utf8)), to: try target("push/window"))
        #expect(try await describe(fixture, "push/window")["DeletedDate"] as? Double == nil)
        #expect(try await value(fixture, "push/window") == Data("v2".utf8))

        // forceDeleteWithoutRecovery: gone at once, and a name free for a new secret.
        let force = try await self.client(
            fixture, .secretsManager, settings: AWSSecretsManagerSettings(forceDeleteWithoutRecovery: true))
        try await force.pushSecret(.value(Data("v".utf8)), to: try target("push/force"))
        try await force.deleteSecret(try target("push/force"))
        await #expect(throws: (any Error).self) { try await describe(fixture, "push/force") }
        try await force.deleteSecret(try target("push/force"))
        try await force.pushSecret(.value(Data("again".utf8)), to: try target("push/force"))
        #expect(try await value(fixture, "push/force") == Data("again".utf8))
    }

    @Test func secretsManagerDeniedWritesNameTheCall() async throws {
        let fixture = try await Self.setUp()
        let client = try await client(fixture, .secretsManager, credentials: fixture.readOnly)
        let error = await #expect(throws: ProviderError.self) {
            try await client.pushSecret(.value(Data(canary.utf8)), to: try target("push/denied"))
        }
        #expect(error?.code == .accessDenied)
        #expect(
            error?.message.contains("CreateSecret \"push/denied\": access denied") == true
                && error?.message.contains("secretsmanager:CreateSecret") == true,
            "\(error?.message ?? "")")
        #expect(error?.message.contains(canary) == false)
    }

    // MARK: - Parameter Store

    @Test func parameterStoreCreateUpdateAndUnchanged() async throws {
        let fixture = try await Self.setUp()
        let client = try await client(fixture, .parameterStore)
        let created = try await operations(fixture) {
            try await client.pushSecret(.value(Data(canary.utf8)), to: try target("/push/plain"))
        }
        #expect(created == ["ListTagsForResource", "PutParameter"])
        var stored = try await parameter(fixture, "/push/plain")
        #expect(stored["Value"] as? String == canary && stored["Type"] as? String == "String")
        #expect(try await parameterTags(fixture, "/push/plain") == ["managed-by": "external-secrets"])

        let unchanged = try await operations(fixture) {
            try await client.pushSecret(.value(Data(canary.utf8)), to: try target("/push/plain"))
        }
        #expect(unchanged == ["ListTagsForResource", "GetParameter"])
        #expect(try await parameter(fixture, "/push/plain")["Version"] as? Int == 1)

        try await client.pushSecret(.value(Data("v2-\(canary)".utf8)), to: try target("/push/plain"))
        stored = try await parameter(fixture, "/push/plain")
        #expect(stored["Value"] as? String == "v2-\(canary)" && stored["Version"] as? Int == 2)
        #expect(try await client.secretExists(try target("/push/plain")))
        #expect(try await !client.secretExists(try target("/push/none")))
    }

    @Test func parameterStoreSecureStringAndTier() async throws {
        let fixture = try await Self.setUp()
        let client = try await client(fixture, .parameterStore)
        let metadata = #"{"secretType":"SecureString","tier":{"type":"Advanced"},"tags":{"team":"a"}}"#
        try await client.pushSecret(.value(Data(canary.utf8)), to: try target("/push/secure", metadata: metadata))
        let stored = try await parameter(fixture, "/push/secure")
        #expect(stored["Type"] as? String == "SecureString" && stored["Value"] as? String == canary)
        let described = try await fixture.moto.json(
            "ssm", "AmazonSSM", "DescribeParameters",
            ["ParameterFilters": [["Key": "Name", "Option": "Equals", "Values": ["/push/secure"]]]],
            credentials: fixture.pusher)
        let info = (described["Parameters"] as? [[String: Any]])?.first ?? [:]
        #expect(info["Tier"] as? String == "Advanced")
        #expect(info["KeyId"] as? String == "alias/aws/ssm")
        #expect(try await parameterTags(fixture, "/push/secure") == ["managed-by": "external-secrets", "team": "a"])
        #expect(
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "/push/secure")) == Data(canary.utf8))
    }

    @Test func parameterStorePropertiesAndDeletion() async throws {
        let fixture = try await Self.setUp()
        let client = try await client(fixture, .parameterStore)
        try await client.pushSecret(.value(Data("app".utf8)), to: try target("/push/json", property: "user"))
        try await client.pushSecret(.value(Data(canary.utf8)), to: try target("/push/json", property: "password"))
        #expect(
            try await parameter(fixture, "/push/json")["Value"] as? String == #"{"user":"app","password":"\#(canary)"}"#
        )
        try await client.pushSecret(.value(Data("app".utf8)), to: try target("/push/json", property: "user"))
        #expect(try await parameter(fixture, "/push/json")["Version"] as? Int == 2)
        #expect(try await client.secretExists(try target("/push/json", property: "password")))

        try await client.deleteSecret(try target("/push/json", property: "user"))
        #expect(try await parameter(fixture, "/push/json")["Value"] as? String == #"{"password":"\#(canary)"}"#)
        try await client.deleteSecret(try target("/push/json", property: "password"))
        #expect(await !parameterExists(fixture, "/push/json"))

        try await client.pushSecret(.value(Data("v".utf8)), to: try target("/push/gone"))
        try await client.deleteSecret(try target("/push/gone"))
        #expect(await !parameterExists(fixture, "/push/gone"))
        try await client.deleteSecret(try target("/push/gone"))
    }

    @Test func parameterStoreLeavesOtherParametersAlone() async throws {
        let fixture = try await Self.setUp()
        let client = try await client(fixture, .parameterStore)
        let pushed = await #expect(throws: ProviderError.self) {
            try await client.pushSecret(.value(Data(canary.utf8)), to: try target("/theirs/db"))
        }
        #expect(pushed?.code == .notManaged)
        let deleted = await #expect(throws: ProviderError.self) {
            try await client.deleteSecret(try target("/theirs/db"))
        }
        #expect(deleted?.code == .notManaged)
        let stored = try await parameter(fixture, "/theirs/db")
        #expect(stored["Value"] as? String == "their-value" && stored["Version"] as? Int == 1)
    }

    @Test func parameterStoreDeniedWritesNameTheCall() async throws {
        let fixture = try await Self.setUp()
        let client = try await client(fixture, .parameterStore, credentials: fixture.readOnly)
        let error = await #expect(throws: ProviderError.self) {
            try await client.pushSecret(.value(Data(canary.utf8)), to: try target("/push/denied"))
        }
        #expect(error?.code == .accessDenied)
        #expect(error?.message.contains("ssm:PutParameter") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains(canary) == false)
    }
}
