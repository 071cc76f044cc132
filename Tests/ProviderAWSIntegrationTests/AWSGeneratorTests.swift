import AWSSigV4
import AWSTestSupport
import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import HTTPSupport
import KubeClient
import KubeModel
import KubeTestSupport
import OperatorTestSupport
import ProviderAWS
import ProviderKit
import Testing

/// A moto of its own (the suites' shared one has its users fixed before authentication is
/// switched on) with IAM users for the generators: `gen` may get ECR tokens and STS session
/// tokens and assume `puller`; `nobody` may do neither.
struct GeneratorMoto {
    var moto: MotoServer
    var allowed: AWSCredentials
    var denied: AWSCredentials
    var roleARN: String

    static func start(_ name: String) async throws -> GeneratorMoto {
        let moto = try await MotoServer.start(name: name)
        do {
            let allowed = try await moto.createUser(
                "gen", policy: MotoServer.allow(["ecr:GetAuthorizationToken", "sts:GetSessionToken", "sts:AssumeRole"]))
            let denied = try await moto.createUser("nobody", policy: MotoServer.allow(["s3:ListBucket"]))
            let roleARN = try await moto.createRole(
                "puller", trustPolicy: MotoServer.trust("arn:aws:iam::\(MotoServer.accountID):user/gen"),
                policy: MotoServer.allow(["ecr:GetAuthorizationToken"]))
            try await moto.enableAuthentication()
            return GeneratorMoto(moto: moto, allowed: allowed, denied: denied, roleARN: roleARN)
        } catch {
            await moto.stop()
            throw error
        }
    }

    /// ESO's endpoint variables, ECR's included, pointing at this moto.
    var environment: [String: String] {
        motoEnvironment(moto, extra: ["AWS_ECR_ENDPOINT": moto.endpoint])
    }

    /// moto's fixed answers (`moto/ecr/responses.py`, `moto/sts/responses.py`).
    static let ecrPassword = "\(MotoServer.accountID)-auth-token"
    static let proxyEndpoint = "https://\(MotoServer.accountID).dkr.ecr.\(MotoServer.region).amazonaws.com"
    static let sessionAccessKeyID = "AKIAIOSFODNN7EXAMPLE"
}

/// Integers written as ESO writes times: whole Unix seconds.
func unixSeconds(_ data: Data?) -> Int64? { data.flatMap { Int64(String(decoding: $0, as: UTF8.self)) } }

/// The generators alone against moto.
@Suite(.enabled(if: MotoServer.isAvailable, "moto is not installed (scripts/install-deps.sh aws)"), .serialized)
struct MotoGeneratorTests {
    func withGenerators(_ body: (GeneratorMoto, AWSGenerators) async throws -> Void) async throws {
        let fixture = try await GeneratorMoto.start("moto-gen")
        do {
            let provider = AWSSecretsProvider(
                environment: fixture.environment, transport: { _ in (fixture.moto.transport, {}) })
            try await body(fixture, AWSGenerators(provider: provider))
            await fixture.moto.stop()
        } catch {
            await fixture.moto.stop()
            throw error
        }
    }

    @Test func ecrTokensSessionTokensRolesAndDenials() async throws {
        try await withGenerators { fixture, generators in
            let ecr = try JSONValue(
                encoding: ECRAuthorizationTokenSpec(region: MotoServer.region, auth: keysAuth()))
            let login = try await generators.generate(
                kind: "ECRAuthorizationToken", spec: ecr, references: references(fixture.allowed), now: Date()).data
            #expect(login["username"] == Data("AWS".utf8))
            #expect(login["password"] == Data(GeneratorMoto.ecrPassword.utf8))
            #expect(login["proxy_endpoint"] == Data(GeneratorMoto.proxyEndpoint.utf8))
            // moto's expiry is 2015-01-01 in its local time zone: whole seconds within a day of it.
            let expiresAt = try #require(unixSeconds(login["expires_at"]))
            #expect(abs(expiresAt - 1_420_070_400) <= 86_400)

            // Through the assumed role.
            let withRole = try JSONValue(
                encoding: ECRAuthorizationTokenSpec(region: MotoServer.region, role: fixture.roleARN, auth: keysAuth()))
            let roleLogin = try await generators.generate(
                kind: "ECRAuthorizationToken", spec: withRole, references: references(fixture.allowed), now: Date()).data
            #expect(roleLogin["password"] == Data(GeneratorMoto.ecrPassword.utf8))

            let sts = try JSONValue(
                encoding: STSSessionTokenSpec(
                    region: MotoServer.region, auth: keysAuth(),
                    requestParameters: STSSessionTokenRequestParameters(sessionDuration: 900)))
            let before = Int64(Date().timeIntervalSince1970)
            let session = try await generators.generate(
                kind: "STSSessionToken", spec: sts, references: references(fixture.allowed), now: Date()).data
            #expect(session["access_key_id"] == Data(GeneratorMoto.sessionAccessKeyID.utf8))
            #expect(session["secret_access_key"]?.isEmpty == false && session["session_token"]?.isEmpty == false)
            let expiration = try #require(unixSeconds(session["expiration"]))
            #expect(expiration >= before + 800 && expiration <= before + 1000, "sessionDuration 900 is honoured")

            // The user without the permission: a clear denial naming the call, no value.
            do {
                _ = try await generators.generate(
                    kind: "ECRAuthorizationToken", spec: ecr, references: references(fixture.denied), now: Date())
                Issue.record("nobody got an ECR token")
            } catch let error as ProviderError {
                #expect(error.code == .accessDenied, "\(error.message)")
                #expect(error.message.contains("ECR GetAuthorizationToken"), "\(error.message)")
                #expect(!error.message.contains(fixture.denied.secretAccessKey))
            }

            // A wrong secret key: AWS refuses the generator's credentials.
            var wrong = fixture.allowed
            wrong.secretAccessKey = "wrong-secret-key"
            do {
                _ = try await generators.generate(
                    kind: "STSSessionToken", spec: sts, references: references(wrong), now: Date())
                Issue.record("a wrong secret key got a session token")
            } catch let error as ProviderError {
                #expect(error.code == .accessDenied, "\(error.message)")
                #expect(error.message.contains("AWS refused the generator's credentials"), "\(error.message)")
                #expect(!error.message.contains("wrong-secret-key"))
            }
        }
    }
}

/// The generators through the operator on the real control plane, pointed at moto.
@Suite(
    .enabled(if: MotoServer.isAvailable, "moto is not installed (scripts/install-deps.sh aws)"), .controlPlane,
    .serialized)
struct AWSGeneratorOperatorTests {
    static func entry(_ kind: String, _ name: String) -> ExternalSecretDataFromRemoteRef {
        ExternalSecretDataFromRemoteRef(sourceRef: StoreSourceRef(generatorRef: GeneratorRef(kind: kind, name: name)))
    }

    static func generated(_ name: String, _ entry: ExternalSecretDataFromRemoteRef) -> ExternalSecret {
        ExternalSecret(
            metadata: ObjectMeta(name: name),
            spec: ExternalSecretSpec(refreshInterval: "1h", dataFrom: [entry]))
    }

    static func auth(_ secret: String, namespace: String? = nil) -> AWSAuth {
        AWSAuth(
            secretRef: AWSAuthSecretRef(
                accessKeyIDSecretRef: SecretKeySelector(name: secret, key: "id", namespace: namespace),
                secretAccessKeySecretRef: SecretKeySelector(name: secret, key: "secret", namespace: namespace)))
    }

    @Test func externalSecretsGetECRLoginsAndSessionTokensAndDenialsAreConditions() async throws {
        let plane = try currentPlane()
        let fixture = try await GeneratorMoto.start("moto-gen-op")
        do {
            try await run(plane, fixture)
            await fixture.moto.stop()
        } catch {
            await fixture.moto.stop()
            throw error
        }
    }

    func run(_ plane: LocalControlPlane, _ fixture: GeneratorMoto) async throws {
        try await withAdminClient { client in
            try await installCRDs(client)
            let namespace = try await makeNamespace(client, prefix: "aws-gen")
            for (name, key) in [("aws", fixture.allowed), ("aws-nobody", fixture.denied)] {
                _ = try await client.api(Secret.self, namespace: namespace).create(
                    Secret(
                        metadata: ObjectMeta(name: name),
                        data: ["id": Data(key.accessKeyID.utf8), "secret": Data(key.secretAccessKey.utf8)]))
            }
            let ecrAPI = client.api(ECRAuthorizationTokenGenerator.self, namespace: namespace)
            _ = try await ecrAPI.create(
                ECRAuthorizationTokenGenerator(
                    metadata: ObjectMeta(name: "ecr"),
                    spec: ECRAuthorizationTokenSpec(region: MotoServer.region, auth: Self.auth("aws"))))
            _ = try await ecrAPI.create(
                ECRAuthorizationTokenGenerator(
                    metadata: ObjectMeta(name: "denied"),
                    spec: ECRAuthorizationTokenSpec(region: MotoServer.region, auth: Self.auth("aws-nobody"))))
            _ = try await ecrAPI.create(
                ECRAuthorizationTokenGenerator(
                    metadata: ObjectMeta(name: "elsewhere"),
                    spec: ECRAuthorizationTokenSpec(
                        region: MotoServer.region, auth: Self.auth("aws", namespace: "kube-system"))))
            _ = try await client.api(STSSessionTokenGenerator.self, namespace: namespace).create(
                STSSessionTokenGenerator(
                    metadata: ObjectMeta(name: "sts"),
                    spec: STSSessionTokenSpec(
                        region: MotoServer.region, auth: Self.auth("aws"),
                        requestParameters: STSSessionTokenRequestParameters(sessionDuration: 900))))
            // A ClusterGenerator: its Secret names no namespace and is read in the consumer's.
            let clusterName = "\(namespace)-ecr"
            _ = try await client.api(ClusterGenerator.self).create(
                ClusterGenerator(
                    metadata: ObjectMeta(name: clusterName),
                    spec: ClusterGeneratorSpec(
                        kind: "ECRAuthorizationToken",
                        generator: [
                            "ecrAuthorizationTokenSpec": try JSONValue(
                                encoding: ECRAuthorizationTokenSpec(
                                    region: MotoServer.region, role: fixture.roleARN, auth: Self.auth("aws")))
                        ])))

            try await runOperator(
                plane, name: "aws-gen", arguments: ["--namespace", namespace], environment: fixture.environment
            ) { process in
                let externalSecrets = client.api(ExternalSecret.self, namespace: namespace)
                let objects = [
                    Self.generated("ecr", Self.entry("ECRAuthorizationToken", "ecr")),
                    Self.generated("sts", Self.entry("STSSessionToken", "sts")),
                    Self.generated("cluster", Self.entry("ClusterGenerator", clusterName)),
                    Self.generated("denied", Self.entry("ECRAuthorizationToken", "denied")),
                    Self.generated("elsewhere", Self.entry("ECRAuthorizationToken", "elsewhere")),
                ]
                for object in objects { _ = try await externalSecrets.create(object) }

                for name in ["ecr", "sts", "cluster"] {
                    #expect(try await waitForReady(client, namespace, name), "\(name): \(process.log.suffix(3000))")
                }
                let secrets = client.api(Secret.self, namespace: namespace)
                for name in ["ecr", "cluster"] {
                    let data = try await secrets.get(name).data ?? [:]
                    #expect(data.keys.sorted() == ["expires_at", "password", "proxy_endpoint", "username"], "\(name)")
                    #expect(data["username"] == Data("AWS".utf8))
                    #expect(data["password"] == Data(GeneratorMoto.ecrPassword.utf8))
                    #expect(data["proxy_endpoint"] == Data(GeneratorMoto.proxyEndpoint.utf8))
                    #expect(unixSeconds(data["expires_at"]) != nil)
                }
                let session = try await secrets.get("sts").data ?? [:]
                #expect(session.keys.sorted() == ["access_key_id", "expiration", "secret_access_key", "session_token"])
                #expect(session["access_key_id"] == Data(GeneratorMoto.sessionAccessKeyID.utf8))
                #expect(unixSeconds(session["expiration"]) != nil)

                let failures = [
                    ("denied", "ECR GetAuthorizationToken: access denied"),
                    ("elsewhere", "namespace \"kube-system\" is not allowed"),
                ]
                for (name, message) in failures {
                    let failed = try await eventually(timeout: .seconds(60)) {
                        let condition = try await readyCondition(client, namespace, name)
                        return condition?.status == "False" && condition?.message?.contains(message) == true
                    }
                    let condition = try await readyCondition(client, namespace, name)
                    #expect(failed, "\(name): \(condition?.message ?? "no condition")")
                }

                // A PushSecret whose selector names the ECR generator pushes the token it makes;
                // an ExternalSecret reads it back from the (fake) store it went to.
                _ = try await client.api(SecretStore.self, namespace: namespace).create(
                    SecretStore(
                        metadata: ObjectMeta(name: "fake"),
                        spec: SecretStoreSpec(provider: SecretStoreProvider(fake: FakeProvider(data: [])))))
                _ = try await client.api(PushSecret.self, namespace: namespace).create(
                    PushSecret(
                        metadata: ObjectMeta(name: "push-ecr"),
                        spec: PushSecretSpec(
                            refreshInterval: "0s", secretStoreRefs: [PushSecretStoreRef(name: "fake", kind: .secretStore)],
                            selector: PushSecretSelector(generatorRef: GeneratorRef(kind: "ECRAuthorizationToken", name: "ecr")),
                            data: [
                                PushSecretData(
                                    match: PushSecretMatch(
                                        secretKey: "password", remoteRef: PushSecretRemoteRef(remoteKey: "pushed-ecr")))
                            ])))
                #expect(try await waitForPushReady(client, namespace, "push-ecr"), "log: \(process.log.suffix(3000))")
                _ = try await externalSecrets.create(
                    ExternalSecret(
                        metadata: ObjectMeta(name: "mirror"),
                        spec: ExternalSecretSpec(
                            secretStoreRef: SecretStoreRef(name: "fake", kind: .secretStore), refreshInterval: "1h",
                            data: [
                                ExternalSecretData(secretKey: "password", remoteRef: ExternalSecretDataRemoteRef(key: "pushed-ecr"))
                            ])))
                #expect(try await waitForReady(client, namespace, "mirror"), "log: \(process.log.suffix(3000))")
                #expect(try await secrets.get("mirror").data?["password"] == Data(GeneratorMoto.ecrPassword.utf8))

                // No generated value or credential in a status, an Event or the log.
                var statusText = ""
                for object in objects {
                    let status = try await externalSecrets.get(object.metadata.name ?? "").status
                    statusText += String(decoding: try KubeJSON.encoder.encode(status), as: UTF8.self)
                }
                let events = try await eventTexts(client, namespace).joined(separator: "\n")
                let log = process.log
                let values = [
                    GeneratorMoto.ecrPassword, string(session["secret_access_key"]) ?? "",
                    string(session["session_token"]) ?? "", fixture.allowed.secretAccessKey,
                    fixture.denied.secretAccessKey,
                ]
                for value in values where !value.isEmpty {
                    let leaked = statusText.contains(value) || events.contains(value) || log.contains(value)
                    #expect(!leaked, "a generated value or credential appears in a status, an Event or the log")
                }
            }
            try await client.api(ClusterGenerator.self).delete(clusterName)
        }
    }
}
