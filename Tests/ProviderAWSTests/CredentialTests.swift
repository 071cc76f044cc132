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

@Suite struct CachingCredentialProviderTests {
    /// Counts fetches and hands out credentials that expire `lifetime` seconds after `clock.now`.
    final class Source: AWSCredentialProvider {
        let fetches = Mutex(0)
        let clock: TestClock
        let lifetime: TimeInterval?
        let delay: Duration
        let fails = Mutex(false)

        init(clock: TestClock, lifetime: TimeInterval?, delay: Duration = .zero) {
            self.clock = clock
            self.lifetime = lifetime
            self.delay = delay
        }

        func credentials() async throws -> AWSCredentials {
            let count = fetches.withLock {
                $0 += 1; return $0
            }
            if delay > .zero { try await Task.sleep(for: delay) }
            if fails.withLock({ $0 }) { throw ProviderError(.unavailable, "sts down") }
            return AWSCredentials(
                accessKeyID: "AK\(count)", secretAccessKey: "s", sessionToken: "t",
                expiration: lifetime.map { clock.now.addingTimeInterval($0) })
        }
    }

    @Test func concurrentCallersShareOneFetch() async throws {
        let clock = TestClock()
        let source = Source(clock: clock, lifetime: 3600, delay: .milliseconds(100))
        let cache = CachingCredentialProvider(source, now: clock.function)
        let keys = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<20 { group.addTask { try await cache.credentials().accessKeyID } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(keys == ["AK1"])
        #expect(source.fetches.withLock { $0 } == 1)
    }

    @Test func refreshesFiveMinutesBeforeExpiry() async throws {
        let clock = TestClock()
        let source = Source(clock: clock, lifetime: 3600)
        let cache = CachingCredentialProvider(source, now: clock.function)
        #expect(try await cache.credentials().accessKeyID == "AK1")
        clock.advance(3600 - 301)
        #expect(try await cache.credentials().accessKeyID == "AK1")
        clock.advance(2)
        #expect(try await cache.credentials().accessKeyID == "AK2")
        #expect(source.fetches.withLock { $0 } == 2)
    }

    @Test func staticCredentialsAreReadAgainAfterTheRereadInterval() async throws {
        let clock = TestClock()
        let source = Source(clock: clock, lifetime: nil)
        let cache = CachingCredentialProvider(source, rereadInterval: 300, now: clock.function)
        _ = try await cache.credentials()
        clock.advance(299)
        #expect(try await cache.credentials().accessKeyID == "AK1")
        clock.advance(2)
        #expect(try await cache.credentials().accessKeyID == "AK2")
    }

    @Test func aFailedRefreshKeepsUnexpiredCredentials() async throws {
        let clock = TestClock()
        let source = Source(clock: clock, lifetime: 3600)
        let cache = CachingCredentialProvider(source, now: clock.function)
        _ = try await cache.credentials()
        clock.advance(3400)
        source.fails.withLock { $0 = true }
        #expect(try await cache.credentials().accessKeyID == "AK1")
        clock.advance(300)
        await #expect(throws: ProviderError.self) { try await cache.credentials() }
        source.fails.withLock { $0 = false }
        #expect(try await cache.credentials().accessKeyID.hasPrefix("AK"))
    }
}

@Suite struct CredentialChainTests {
    @Test func staticKeysAreReadThroughTheReferenceReaderAndSignRequests() async throws {
        let transport = ScriptedTransport(replies: [json(.ok, #"{"Name":"db","SecretString":"v"}"#)])
        let references = FakeReferences(secrets: keySecrets.merging(["aws/token": "session-token"]) { a, _ in a })
        var auth = keysRef
        auth.secretRef?.sessionTokenSecretRef = SecretKeySelector(name: "aws", key: "token")
        let client = try await provider(transport).makeClient(
            for: store(AWSProvider(service: .secretsManager, region: "eu-central-1", auth: auth)),
            references: references)
        _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db"))
        let request = try #require(transport.requests.first)
        #expect(request.url == "https://secretsmanager.eu-central-1.amazonaws.com/")
        #expect(request.target == "secretsmanager.GetSecretValue")
        #expect(request.headers.first(name: "Authorization")?.contains("Credential=AKIATESTKEY000000001/") == true)
        #expect(
            request.headers.first(name: "Authorization")?.contains("/eu-central-1/secretsmanager/aws4_request") == true)
        #expect(request.headers.first(name: "X-Amz-Security-Token") == "session-token")
        #expect(references.asked == ["secret aws/id", "secret aws/secret", "secret aws/token"])
    }

    @Test func roleChainAssumesEachRoleWithThePreviousCredentials() async throws {
        let transport = ScriptedTransport { request in
            if request.url.contains("sts") { return xml(.ok, stsCredentialsXML) }
            return json(.ok, #"{"Parameter":{"Name":"p","Value":"v"}}"#)
        }
        let aws = AWSProvider(
            service: .parameterStore, region: "us-west-2", auth: keysRef, role: "arn:aws:iam::1:role/final",
            additionalRoles: ["arn:aws:iam::1:role/first"], externalID: "ext-123",
            sessionTags: [AWSTag(key: "team", value: "a")], transitiveTagKeys: ["team"], sessionTagsPolicy: .simple)
        let client = try await provider(transport, environment: ["AWS_STS_ENDPOINT": "http://sts.local:4566"])
            .makeClient(
                for: store(aws, name: "params", namespace: "team-a"), references: FakeReferences(secrets: keySecrets))
        _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "p"))
        _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "p"))
        let sts = transport.requests.filter { $0.url.hasPrefix("http://sts.local:4566") }
        #expect(sts.count == 2, "each role is assumed once, then cached")
        let first = sts[0].bodyText
        let second = sts[1].bodyText
        #expect(first.contains("Action=AssumeRole") && first.contains("RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Ffirst"))
        #expect(!first.contains("ExternalId"))
        #expect(sts[0].headers.first(name: "Authorization")?.contains("Credential=AKIATESTKEY000000001/") == true)
        #expect(
            second.contains("RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Ffinal") && second.contains("ExternalId=ext-123"))
        #expect(sts[1].headers.first(name: "Authorization")?.contains("Credential=ASIAASSUMED000000001/") == true)
        for tag in [
            "Tags.member.1.Key=team", "Tags.member.1.Value=a", "TransitiveTagKeys.member.1=team",
            "Key=esoNamespace", "Value=team-a", "Key=esoStoreName", "Value=params", "Key=esoStoreKind",
            "Value=SecretStore",
        ] {
            #expect(second.contains(tag), "\(tag)")
        }
        let reads = transport.requests.filter { $0.target == "AmazonSSM.GetParameter" }
        #expect(reads.count == 2)
        #expect(reads.allSatisfy { $0.headers.first(name: "X-Amz-Security-Token") == "assumed-token" })
    }

    @Test func customSessionTagsAddToTheBuiltInOnes() {
        let aws = AWSProvider(
            service: .secretsManager, region: "us-east-1", role: "r",
            sessionTags: [AWSTag(key: "esoNamespace", value: "spoof")],
            sessionTagsPolicy: .custom, customSessionTags: ["env": "prod", "empty": ""])
        let context = store(aws, kind: .clusterSecretStore, name: "shared", namespace: "apps")
        let tags = try! AWSStoreSettings.resolve(context).roleSessionTags(store: context)
        #expect(
            tags.map { "\($0.key)=\($0.value)" } == [
                "env=prod", "esoNamespace=apps", "esoStoreName=shared", "esoStoreKind=ClusterSecretStore",
            ])
    }

    @Test func webIdentityFromTheEnvironment() async throws {
        let transport = ScriptedTransport { request in
            if request.url.contains("sts") {
                return xml(
                    .ok, stsCredentialsXML.replacingOccurrences(of: "AssumeRole", with: "AssumeRoleWithWebIdentity"))
            }
            return json(.ok, #"{"Name":"db","SecretString":"v"}"#)
        }
        let environment = [
            "AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/token", "AWS_ROLE_ARN": "arn:aws:iam::1:role/irsa",
        ]
        let client = try await provider(transport, environment: environment, files: ["/var/run/token": "jwt-token\n"])
            .makeClient(
                for: store(AWSProvider(service: .secretsManager, region: "eu-west-1")), references: FakeReferences())
        _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db"))
        let sts = try #require(transport.requests.first)
        #expect(sts.url == "https://sts.eu-west-1.amazonaws.com/")
        #expect(sts.headers.first(name: "Authorization") == nil, "AssumeRoleWithWebIdentity is unsigned")
        #expect(sts.bodyText.contains("Action=AssumeRoleWithWebIdentity"))
        #expect(
            sts.bodyText.contains("WebIdentityToken=jwt-token&") || sts.bodyText.hasSuffix("WebIdentityToken=jwt-token")
        )
        #expect(sts.bodyText.contains("RoleSessionName=external-secrets-provider-aws"))
    }

    @Test func environmentKeysComeFirst() async throws {
        let chain = DefaultCredentialChain(
            environment: [
                "AWS_ACCESS_KEY_ID": "AKENV", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t",
                "AWS_WEB_IDENTITY_TOKEN_FILE": "/x", "AWS_ROLE_ARN": "r",
            ],
            sts: { _ in fatalError("no STS") }, transport: ScriptedTransport(replies: []))
        let credentials = try await chain.credentials()
        #expect(credentials.accessKeyID == "AKENV" && credentials.sessionToken == "t")
    }

    @Test func sharedFilesProfileWithSourceProfileAssumesTheRole() async throws {
        let transport = ScriptedTransport(replies: [xml(.ok, stsCredentialsXML)])
        let config = """
            [default]
            region = us-east-1
            [profile deploy]
            role_arn = arn:aws:iam::1:role/deploy
            source_profile = base
            external_id = xyz
            """
        let credentials = """
            # keys
            [base]
            aws_access_key_id = AKBASE
            aws_secret_access_key = base-secret
            """
        let chain = DefaultCredentialChain(
            environment: ["AWS_PROFILE": "deploy", "AWS_CONFIG_FILE": "/c", "AWS_SHARED_CREDENTIALS_FILE": "/k"],
            sts: { source in
                STSClient(
                    http: AWSHTTPClient(
                        endpoint: "https://sts.us-east-1.amazonaws.com", region: "us-east-1", signingName: "sts",
                        credentials: source, transport: transport, metricsProvider: "AWS/STS"))
            }, transport: transport, readFile: { ["/c": config, "/k": credentials][$0] })
        let result = try await chain.credentials()
        #expect(result.accessKeyID == "ASIAASSUMED000000001")
        let request = try #require(transport.requests.first)
        #expect(request.bodyText.contains("ExternalId=xyz"))
        #expect(request.headers.first(name: "Authorization")?.contains("Credential=AKBASE/") == true)
    }

    @Test func sharedCredentialsFileDefaultProfile() async throws {
        let chain = DefaultCredentialChain(
            environment: ["HOME": "/home/op"], sts: { _ in fatalError("no STS") },
            transport: ScriptedTransport(replies: []),
            readFile: {
                $0 == "/home/op/.aws/credentials"
                    ? "[default]\naws_access_key_id=AKFILE\naws_secret_access_key=x\n" : nil
            })
        #expect(try await chain.credentials().accessKeyID == "AKFILE")
    }

    @Test func containerCredentials() async throws {
        let transport = ScriptedTransport { request in
            guard request.url == "http://127.0.0.1:9/creds", request.headers.first(name: "Authorization") == "pod-token"
            else {
                return .respond(.forbidden)
            }
            return json(
                .ok, #"{"AccessKeyId":"ASIAPOD","SecretAccessKey":"s","Token":"t","Expiration":"2030-01-01T00:00:00Z"}"#
            )
        }
        let chain = DefaultCredentialChain(
            environment: [
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/creds",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "/t", "HOME": "/nowhere",
            ],
            sts: { _ in fatalError("no STS") }, transport: transport, readFile: { $0 == "/t" ? "pod-token\n" : nil })
        let credentials = try await chain.credentials()
        #expect(credentials.accessKeyID == "ASIAPOD" && credentials.expiration != nil)
    }

    @Test func noCredentialsIsAClearConfigurationError() async throws {
        let transport = ScriptedTransport(replies: [])
        let client = try await provider(transport, environment: ["HOME": "/nowhere"]).makeClient(
            for: store(AWSProvider(service: .secretsManager, region: "us-east-1")), references: FakeReferences())
        let error = await #expect(throws: ProviderError.self) {
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "db"))
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("no AWS credentials found") == true)
        await #expect(throws: ProviderError.self) { try await client.validate() }
    }

    @Test func jwtAuthExchangesTheServiceAccountTokenForTheAnnotatedRole() async throws {
        let transport = ScriptedTransport { request in
            if request.url.contains("sts") { return xml(.ok, stsCredentialsXML) }
            return json(.ok, #"{"Name":"db","SecretString":"v"}"#)
        }
        let references = FakeReferences(annotations: ["eso": ["eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/eso"]])
        let aws = AWSProvider(
            service: .secretsManager, region: "us-east-1",
            auth: AWSAuth(jwt: AWSJWTAuth(serviceAccountRef: ServiceAccountSelector(name: "eso", audiences: ["extra"])))
        )
        let client = try await provider(transport).makeClient(for: store(aws), references: references)
        _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db"))
        #expect(references.asked == [#"token eso ["sts.amazonaws.com", "extra"]"#])
        let sts = try #require(transport.requests.first)
        #expect(sts.bodyText.contains("WebIdentityToken=jwt-eso-1"))
        #expect(sts.bodyText.contains("RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Feso"))
    }
}

@Suite struct StoreSettingsTests {
    @Test(arguments: [
        (AWSProvider(service: .certificateManager, region: "us-east-1"), ProviderError.Code.unsupported),
        (AWSProvider(service: .secretsManager, region: "mars-1"), .invalidConfiguration),
        (AWSProvider(service: .secretsManager, region: ""), .invalidConfiguration),
        (
            AWSProvider(service: .secretsManager, region: "us-east-1", auth: AWSAuth(secretRef: AWSAuthSecretRef())),
            .invalidConfiguration
        ),
        (
            AWSProvider(service: .secretsManager, region: "us-east-1", customSessionTags: ["esoStoreName": "x"]),
            .invalidConfiguration
        ),
        (
            AWSProvider(
                service: .secretsManager, region: "us-east-1",
                secretsManager: AWSSecretsManagerSettings(forceDeleteWithoutRecovery: true, recoveryWindowInDays: 7)),
            .invalidConfiguration
        ),
        (
            AWSProvider(
                service: .secretsManager, region: "us-east-1",
                auth: AWSAuth(
                    secretRef: AWSAuthSecretRef(
                        accessKeyIDSecretRef: SecretKeySelector(name: "a", key: "b", namespace: "other"),
                        secretAccessKeySecretRef: SecretKeySelector(name: "a", key: "c")))), .invalidConfiguration
        ),
    ])
    func invalidStores(aws: AWSProvider, code: ProviderError.Code) {
        #expect(throws: ProviderError(code, "")) {
            do {
                try AWSSecretsProvider().validateStore(store(aws))
            } catch let error as ProviderError {
                throw ProviderError(error.code, "")
            }
        }
    }

    @Test(arguments: ["us-east-1", "eu-central-1", "cn-north-1", "us-gov-west-1", "ap-southeast-4", "il-central-1"])
    func regions(region: String) {
        #expect(AWSEndpoints.isValidRegion(region))
    }

    @Test(arguments: ["", "us-east", "useast-1", "US-east-1", "u-east-1", "us--1", "us-east-1a", "us-east-", "-us-east-1"])
    func notRegions(text: String) {
        #expect(!AWSEndpoints.isValidRegion(text))
    }

    @Test func endpointsAndTheirEnvironmentOverrides() {
        #expect(
            AWSEndpoints.secretsManager(region: "cn-north-1", environment: [:])
                == "https://secretsmanager.cn-north-1.amazonaws.com.cn")
        #expect(AWSEndpoints.ssm(region: "us-east-1", environment: ["AWS_SSM_ENDPOINT": "http://x:1"]) == "http://x:1")
        #expect(
            AWSEndpoints.sts(region: "eu-west-1", environment: ["AWS_STS_ENDPOINT": ""])
                == "https://sts.eu-west-1.amazonaws.com")
        #expect(
            AWSEndpoints.secretsManager(region: "us-east-1", environment: ["AWS_SECRETSMANAGER_ENDPOINT": "http://m:5"])
                == "http://m:5")
    }

    @Test func referentClusterStoreValidatesAsUnknown() async throws {
        let aws = AWSProvider(service: .secretsManager, region: "us-east-1", auth: keysRef)
        var context = store(aws, kind: .clusterSecretStore)
        context.callerNamespace = ""
        let client = try await provider(ScriptedTransport(replies: [])).makeClient(
            for: context, references: FakeReferences())
        #expect(try await client.validate() == .unknown)
    }

    @Test func staticKeysValidateWithoutACall() async throws {
        let transport = ScriptedTransport(replies: [])
        let client = try await provider(transport).makeClient(
            for: store(AWSProvider(service: .secretsManager, region: "us-east-1", auth: keysRef)),
            references: FakeReferences(secrets: keySecrets))
        #expect(try await client.validate() == .ready)
        #expect(transport.requests.isEmpty)
    }
}

@Suite struct KeyRotationTests {
    /// After AWS refuses the keys, the next call reads the Secret again (no 5-minute wait).
    @Test func refusedKeysAreReadAgainFromTheSecret() async throws {
        let transport = ScriptedTransport { request in
            let authorization = request.headers.first(name: "Authorization") ?? ""
            if authorization.contains("Credential=AKIAROTATED000000001/") {
                return json(.ok, #"{"Name":"db","SecretString":"v"}"#)
            }
            return json(
                .badRequest,
                #"{"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."}"#
            )
        }
        let references = FakeReferences(secrets: keySecrets)
        let client = try await provider(transport).makeClient(
            for: store(AWSProvider(service: .secretsManager, region: "us-east-1", auth: keysRef)),
            references: references)
        let error = await #expect(throws: ProviderError.self) {
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "db"))
        }
        #expect(error?.code == .accessDenied)
        references.setSecret("aws/id", "AKIAROTATED000000001")
        #expect(try await client.getSecret(ExternalSecretDataRemoteRef(key: "db")) == Data("v".utf8))
        #expect(references.asked.filter { $0 == "secret aws/id" }.count == 2)
    }
}
