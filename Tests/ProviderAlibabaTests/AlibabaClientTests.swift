import ExternalSecretsAPI
import Foundation
import GoCompat
import HTTPSupport
import HTTPTestSupport
import NIOHTTP1
import ProviderKit
import ProviderTestSupport
import Synchronization
import Testing

@testable import ProviderAlibaba

/// A value that must never show up in an error description.
let canary = "CANARY-alibaba-51c2"

func json(_ text: String, status: HTTPResponseStatus = .ok) -> ScriptedTransport.Reply {
    .respond(status, headers: HTTPHeaders([("Content-Type", "application/json")]), body: Array(text.utf8))
}

/// KMS's error body.
func kmsError(_ status: HTTPResponseStatus, _ code: String, _ message: String, authAction: String? = nil)
    -> ScriptedTransport.Reply
{
    let denied =
        authAction.map { #", "AccessDeniedDetail": {"AuthAction": "\#($0)", "NoPermissionType": "ImplicitDeny"}"# }
        ?? ""
    return json(
        #"{"RequestId": "REQ-1234-ABCD", "HostId": "kms.cn-hangzhou.aliyuncs.com", "Code": "\#(code)", "Message": "\#(message)"\#(denied)}"#,
        status: status)
}

func secretValue(_ name: String, _ data: String, version: String = "v1") -> ScriptedTransport.Reply {
    let quoted = String(decoding: GoJSONValue.string(data).marshal(numbers: .literal), as: UTF8.self)
    return json(
        #"{"RequestId": "R", "SecretName": "\#(name)", "VersionId": "\#(version)", "SecretData": \#(quoted), "SecretDataType": "text", "VersionStages": {"VersionStage": ["ACSCurrent"]}, "SecretType": "Generic"}"#
    )
}

final class Sleeps: Sendable {
    private let recorded = Mutex<[Duration]>([])
    func append(_ duration: Duration) { recorded.withLock { $0.append(duration) } }
    var all: [Duration] { recorded.withLock { $0 } }
}

/// The parameters of a request: its query and its form body.
func parameters(_ request: HTTPRequest) -> [String: String] {
    var out: [String: String] = [:]
    let query = URLComponents(string: request.url)?.percentEncodedQuery ?? ""
    for text in [query, String(decoding: request.body ?? [], as: UTF8.self)] {
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).removingPercentEncoding ?? String($0)
            }
            out[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
    }
    return out
}

func action(_ request: HTTPRequest) -> String { request.headers.first(name: "x-acs-action") ?? "" }

let accessKeyAuth = AlibabaProvider(
    regionID: "cn-hangzhou",
    auth: AlibabaAuth(
        secretRef: AlibabaAuthSecretRef(
            accessKeyIDSecretRef: SecretKeySelector(name: "ali", key: "id"),
            accessKeySecretSecretRef: SecretKeySelector(name: "ali", key: "secret"))))

let references = FakeReferences(secrets: ["ali/id": "LTAI-unit", "ali/secret": canary])

func alibabaStore(_ provider: AlibabaProvider, kind: StoreKind = .secretStore, caller: String? = "team") -> StoreContext
{
    .fixture(SecretStoreProvider(alibaba: provider), kind: kind, name: "ali", namespace: "team", caller: caller)
}

func makeClient(
    _ provider: AlibabaProvider = accessKeyAuth, sleeps: Sleeps = Sleeps(), clock: TestClock? = nil,
    _ api: @escaping @Sendable (HTTPRequest) -> ScriptedTransport.Reply
) async throws -> (any SecretsClient, ScriptedTransport) {
    let transport = ScriptedTransport(api)
    let alibaba = AlibabaSecretsProvider(
        transport: { _ in (transport, {}) }, now: { clock?.now ?? Date() },
        retry: HTTPRetryPolicy(sleep: { sleeps.append($0) }, jitter: { 1 }))
    let client = try await alibaba.makeClient(for: alibabaStore(provider), references: references)
    return (client, transport)
}

func expectError(_ code: ProviderError.Code, containing words: [String] = [], _ body: () async throws -> Void)
    async
{
    do {
        try await body()
        Issue.record("no error")
    } catch let error as ProviderError {
        #expect(error.code == code, "\(error)")
        for word in words { #expect(error.message.contains(word), "\(error.message) lacks \(word)") }
        #expect(!error.message.contains(canary))
        #expect(!error.message.contains("REQ-1234"), "the request ID is left out: \(error.message)")
    } catch {
        Issue.record("not a ProviderError: \(error)")
    }
}

// MARK: - Signature

struct AlibabaSignerTests {
    /// The example of Alibaba Cloud's documentation of signature V3 (help.aliyun.com, "V3版本请求体&签名机制"
    /// and its ROA page): RunInstances with `ImageId` and `RegionId`, AccessKey `YourAccessKeyId` /
    /// `YourAccessKeySecret`, answer `Signature=e521358f…`.
    @Test func signatureV3MatchesAlibabasDocumentedExample() {
        let headers = AlibabaSigner.signedHeaders(
            method: "POST", host: "ecs.cn-shanghai.aliyuncs.com",
            query: [("ImageId", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"), ("RegionId", "cn-shanghai")],
            headers: ["x-acs-action": "RunInstances", "x-acs-version": "2014-05-26"], body: [],
            credentials: AlibabaCredentials(accessKeyID: "YourAccessKeyId", accessKeySecret: "YourAccessKeySecret"),
            date: Date(timeIntervalSince1970: 1_698_310_861), nonce: "d410180a5abf7fe235dd9b74aca91fc0")
        #expect(headers.first { $0.0 == "x-acs-date" }?.1 == "2023-10-26T09:01:01Z")
        #expect(
            headers.first { $0.0 == "x-acs-content-sha256" }?.1
                == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            headers.first { $0.0 == "Authorization" }?.1
                == "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=e521358f7776c97df52e6b2891a8bc73026794a071b50c3323388c4e0df64804"
        )
    }

    /// Known answers computed by Alibaba's official SDK (`alibabacloud_tea_openapi.utils.Utils.get_authorization`,
    /// alibabacloud-tea-openapi 0.4.6) from the same inputs.
    @Test func signatureV3MatchesTheOfficialSDK() {
        let plain = AlibabaSigner.signedHeaders(
            method: "POST", host: "kms.cn-hangzhou.aliyuncs.com",
            query: [("SecretName", "db/pass word"), ("VersionStage", "ACSCurrent")],
            headers: ["x-acs-action": "GetSecretValue", "x-acs-version": "2016-01-20"], body: [],
            credentials: AlibabaCredentials(accessKeyID: "YourAccessKeyId", accessKeySecret: "YourAccessKeySecret"),
            date: Date(timeIntervalSince1970: 1_704_164_645), nonce: "3156853299f313e23d1673dc12e1703d")
        #expect(
            plain.first { $0.0 == "Authorization" }?.1
                == "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=aebae97743f78f3950943fcac04c73178f21d0503975c09f1e60e45ef7c82262"
        )
        #expect(plain.first { $0.0 == "x-acs-date" }?.1 == "2024-01-02T03:04:05Z")

        let withToken = AlibabaSigner.signedHeaders(
            method: "POST", host: "127.0.0.1:8080",
            query: [("SecretName", "app"), ("VersionId", "v2"), ("SecretDataType", "text")],
            headers: [
                "x-acs-action": "PutSecretValue", "x-acs-version": "2016-01-20",
                "content-type": "application/x-www-form-urlencoded",
            ],
            body: Array("SecretData=a%20b%26c".utf8),
            credentials: AlibabaCredentials(
                accessKeyID: "STS.abc", accessKeySecret: "temp-secret", securityToken: "CAIStoken"),
            date: Date(timeIntervalSince1970: 1_704_164_645), nonce: "n-1")
        #expect(
            withToken.first { $0.0 == "Authorization" }?.1
                == "ACS3-HMAC-SHA256 Credential=STS.abc,SignedHeaders=content-type;host;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version,Signature=353559a3973d69ae946905bde9e13fa24423d10d38861e989a96dee4806aeb2e"
        )
        #expect(withToken.first { $0.0 == "x-acs-security-token" }?.1 == "CAIStoken")
    }

    @Test func percentEncodingIsRFC3986() {
        #expect(AlibabaSigner.encode("a b/c~d_e.f-g*h+é") == "a%20b%2Fc~d_e.f-g%2Ah%2B%C3%A9")
        #expect(AlibabaSigner.canonicalQuery([("b", "2"), ("a", "x y"), ("A", "1")]) == "A=1&a=x%20y&b=2")
    }
}

// MARK: - Requests

struct AlibabaRequestTests {
    let credentials = AlibabaCredentials(accessKeyID: "AK", accessKeySecret: "SK")
    let date = Date(timeIntervalSince1970: 1_704_164_645)

    @Test func getSecretValueIsASignedPostWithTheParametersInTheQuery() throws {
        let request = AlibabaRequests.signed(
            AlibabaRequests.getSecretValue("db/pass", versionStage: "ACSPrevious"),
            endpoint: "https://kms.cn-hangzhou.aliyuncs.com", version: AlibabaRequests.kmsVersion,
            credentials: credentials, date: date, nonce: "n")
        #expect(request.method == .POST)
        #expect(request.url == "https://kms.cn-hangzhou.aliyuncs.com/?SecretName=db%2Fpass&VersionStage=ACSPrevious")
        #expect(request.body == nil)
        #expect(request.headers.first(name: "host") == "kms.cn-hangzhou.aliyuncs.com")
        #expect(request.headers.first(name: "x-acs-version") == "2016-01-20")
        #expect(request.headers.first(name: "x-acs-action") == "GetSecretValue")
        #expect(request.headers.first(name: "Authorization")?.hasPrefix("ACS3-HMAC-SHA256 Credential=AK,") == true)
    }

    @Test func createSecretSendsTheValueInTheFormAndTheTagsAsJSON() throws {
        let call = AlibabaRequests.createSecret(
            "app", value: Data("a b&c".utf8), versionID: "v-1", tags: ["managed-by": "external-secrets"])
        let request = AlibabaRequests.signed(
            call, endpoint: "http://127.0.0.1:8080", version: AlibabaRequests.kmsVersion, credentials: credentials,
            date: date, nonce: "n")
        #expect(String(decoding: request.body ?? [], as: UTF8.self) == "SecretData=a%20b%26c")
        #expect(request.headers.first(name: "content-type") == "application/x-www-form-urlencoded")
        #expect(request.headers.first(name: "host") == "127.0.0.1:8080")
        let sent = parameters(request)
        #expect(sent["Tags"] == #"[{"TagKey":"managed-by","TagValue":"external-secrets"}]"#)
        #expect(sent["VersionId"] == "v-1" && sent["SecretDataType"] == "text" && sent["SecretName"] == "app")
    }

    @Test func assumeRoleWithOIDCIsAnonymous() {
        let request = AlibabaRequests.anonymous(
            AlibabaRequests.assumeRoleWithOIDC(
                providerArn: "acs:ram::1:oidc-provider/p", roleArn: "acs:ram::1:role/r", token: "tok", sessionName: "s"),
            endpoint: "https://sts.cn-hangzhou.aliyuncs.com", version: AlibabaRequests.stsVersion, date: date,
            nonce: "n")
        let sent = parameters(request)
        #expect(sent["Action"] == "AssumeRoleWithOIDC" && sent["Version"] == "2015-04-01" && sent["Format"] == "JSON")
        #expect(sent["OIDCToken"] == "tok" && sent["RoleArn"] == "acs:ram::1:role/r" && sent["RoleSessionName"] == "s")
        #expect(sent["Timestamp"] == "2024-01-02T03:04:05Z")
        #expect(request.headers.first(name: "Authorization") == nil)
    }
}

// MARK: - Settings

struct AlibabaSettingsTests {
    static let key = SecretKeySelector(name: "a", key: "b")

    @Test(arguments: [
        (AlibabaProvider(regionID: "", auth: AlibabaAuth()), "missing alibaba region"),
        (AlibabaProvider(regionID: "cn-hangzhou", auth: AlibabaAuth()), "missing alibaba auth provider"),
        (AlibabaProvider(regionID: "evil.com/x", auth: AlibabaAuth()), "is not a region ID"),
        (
            AlibabaProvider(
                regionID: "cn-hangzhou",
                auth: AlibabaAuth(
                    rrsa: AlibabaRRSAAuth(oidcProviderArn: "", oidcTokenFilePath: "/t", roleArn: "r", sessionName: "s"))
            ),
            "missing alibaba OIDC provider ARN"
        ),
        (
            AlibabaProvider(
                regionID: "cn-hangzhou",
                auth: AlibabaAuth(
                    rrsa: AlibabaRRSAAuth(oidcProviderArn: "p", oidcTokenFilePath: "", roleArn: "r", sessionName: "s"))),
            "missing alibaba OIDC token file path"
        ),
        (
            AlibabaProvider(
                regionID: "cn-hangzhou",
                auth: AlibabaAuth(
                    rrsa: AlibabaRRSAAuth(oidcProviderArn: "p", oidcTokenFilePath: "/t", roleArn: "", sessionName: "s"))
            ),
            "missing alibaba Assume Role ARN"
        ),
        (
            AlibabaProvider(
                regionID: "cn-hangzhou",
                auth: AlibabaAuth(
                    rrsa: AlibabaRRSAAuth(oidcProviderArn: "p", oidcTokenFilePath: "/t", roleArn: "r", sessionName: ""))
            ),
            "missing alibaba session name"
        ),
        (
            AlibabaProvider(
                regionID: "cn-hangzhou",
                auth: AlibabaAuth(
                    secretRef: AlibabaAuthSecretRef(
                        accessKeyIDSecretRef: SecretKeySelector(key: "b"), accessKeySecretSecretRef: key))),
            "missing alibaba access ID name"
        ),
        (
            AlibabaProvider(
                regionID: "cn-hangzhou",
                auth: AlibabaAuth(
                    secretRef: AlibabaAuthSecretRef(
                        accessKeyIDSecretRef: key, accessKeySecretSecretRef: SecretKeySelector(name: "a")))),
            "missing alibaba access key secret key"
        ),
        (
            AlibabaProvider(
                regionID: "cn-hangzhou",
                auth: AlibabaAuth(
                    secretRef: AlibabaAuthSecretRef(
                        accessKeyIDSecretRef: SecretKeySelector(name: "a", key: "b", namespace: "other"),
                        accessKeySecretSecretRef: key))),
            "namespace should either be empty or match the namespace of the SecretStore"
        ),
    ])
    func invalidStoresAreRefusedWithESOsMessages(provider: AlibabaProvider, message: String) {
        #expect(throws: ProviderError.self) { try AlibabaSecretsProvider().validateStore(alibabaStore(provider)) }
        do {
            try AlibabaSecretsProvider().validateStore(alibabaStore(provider))
        } catch let error as ProviderError {
            #expect(error.message.contains(message), "\(error.message)")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func onlyAClusterStoreWithoutCredentialsUsesTheOperatorsAccessKey() async throws {
        let bare = AlibabaProvider(regionID: "cn-hangzhou", auth: AlibabaAuth())
        let key = AlibabaOperatorAccessKey(variables: [
            "ALICLOUD_ACCESS_KEY_ID": "LTAI-operator", "ALICLOUD_ACCESS_KEY_SECRET": canary,
        ])
        #expect(key?.id == "LTAI-operator" && !"\(key!)".contains(canary))
        #expect(AlibabaOperatorAccessKey(variables: ["ALICLOUD_ACCESS_KEY_ID": "x"]) == nil)
        let transport = ScriptedTransport { _ in secretValue("db", "v") }
        let withKey = AlibabaSecretsProvider(transport: { _ in (transport, {}) }, operatorAccessKey: key)
        let cluster = alibabaStore(bare, kind: .clusterSecretStore, caller: "team")
        let client = try await withKey.makeClient(for: cluster, references: FakeReferences())
        #expect(try await client.getSecret(.init(key: "db")) == Data("v".utf8))
        #expect(
            transport.requests.first?.headers.first(name: "Authorization")?.contains("Credential=LTAI-operator,")
                == true)
        #expect(!withKey.readsDependOnCallerNamespace(cluster))
        // A namespaced store never gets the operator's key; without one no store does.
        await expectError(.invalidConfiguration, containing: ["missing alibaba auth provider"]) {
            try withKey.validateStore(alibabaStore(bare))
        }
        await expectError(.invalidConfiguration, containing: ["missing alibaba auth provider"]) {
            try AlibabaSecretsProvider().validateStore(cluster)
        }
    }

    @Test func aClusterStoreWithoutNamespacesIsReferent() async throws {
        let store = alibabaStore(accessKeyAuth, kind: .clusterSecretStore, caller: nil)
        #expect(AlibabaSecretsProvider().readsDependOnCallerNamespace(store))
        let client = try await AlibabaSecretsProvider(transport: { _ in
            (ScriptedTransport { _ in .fail(URLError(.badURL)) }, {})
        })
        .makeClient(for: store, references: references)
        #expect(try await client.validate() == .unknown)
    }
}

// MARK: - Errors

struct AlibabaErrorTests {
    static func response(_ status: HTTPResponseStatus, _ body: String) -> HTTPResponse {
        HTTPResponse(status: status, body: Array(body.utf8))
    }

    @Test(arguments: [
        (HTTPResponseStatus.notFound, "Forbidden.ResourceNotFound", ProviderError.Code.notFound),
        (.forbidden, "Forbidden.NoPermission", .accessDenied),
        (.forbidden, "Forbidden.RAM", .accessDenied),
        (.notFound, "InvalidAccessKeyId.NotFound", .accessDenied),
        (.badRequest, "IncompleteSignature", .accessDenied),
        (.badRequest, "Throttling.User", .throttled),
        (.serviceUnavailable, "ServiceUnavailable", .unavailable),
        (.badRequest, "Rejected.ResourceExist", .conflict),
        (.internalServerError, "InternalFailure", .unavailable),
        (.badRequest, "InvalidParameter", .other),
    ])
    func codesMapToProviderErrors(status: HTTPResponseStatus, code: String, expected: ProviderError.Code) {
        let error = AlibabaErrors.error(
            Self.response(
                status, #"{"RequestId":"REQ-1234-ABCD","HostId":"kms","Code":"\#(code)","Message":"what happened"}"#),
            action: "GetSecretValue", doing: "error getting secret \"db\"")
        #expect(error.code == expected, "\(code): \(error)")
        #expect(error.message.hasPrefix("error getting secret \"db\": \(code): what happened"))
        #expect(!error.message.contains("REQ-1234"))
        let refusal = code.hasPrefix("Forbidden") && expected == .accessDenied
        #expect(error.message.contains("missing permission kms:GetSecretValue") == refusal, "\(error.message)")
    }

    @Test func aRAMRefusalNamesTheActionItDenied() {
        let error = AlibabaErrors.error(
            Self.response(
                .forbidden,
                #"{"Code":"Forbidden.NoPermission","Message":"denied","AccessDeniedDetail":{"AuthAction":"kms:ListSecrets"}}"#
            ),
            action: "ListSecrets", doing: "unable to list secrets")
        #expect(error.code == .accessDenied && error.message.hasSuffix("(missing permission kms:ListSecrets)"))
        let bare = AlibabaErrors.error(Self.response(.badGateway, "<html>"), action: "ListSecrets", doing: "x")
        #expect(bare.code == .unavailable && bare.message == "x: HTTP 502: Bad Gateway")
    }
}

// MARK: - Reads

struct AlibabaReadTests {
    @Test func getSecretReadsTheCurrentValueAVersionOrAProperty() async throws {
        let (client, transport) = try await makeClient { request in
            let sent = parameters(request)
            if sent["VersionId"] == "v0" { return secretValue("db", #"{"user":"old"}"#, version: "v0") }
            return secretValue("db", #"{"user":"admin","nested":{"port":5432}}"#)
        }
        #expect(try await client.getSecret(.init(key: "db")) == Data(#"{"user":"admin","nested":{"port":5432}}"#.utf8))
        #expect(try await client.getSecret(.init(key: "db", property: "nested.port")) == Data("5432".utf8))
        #expect(try await client.getSecret(.init(key: "db", property: "user", version: "v0")) == Data("old".utf8))
        _ = try await client.getSecret(.init(key: "db", version: "ACSPrevious"))
        let sent = transport.requests.map(parameters)
        #expect(sent[2]["VersionId"] == "v0")
        #expect(sent[3]["VersionStage"] == "ACSPrevious" && sent[3]["VersionId"] == nil)
        #expect(
            try await client.getSecretMap(.init(key: "db")) == [
                "user": Data("admin".utf8), "nested": Data(#"{"port":5432}"#.utf8),
            ])
    }

    @Test func missingSecretsPropertiesAndPermissionsAreTold() async throws {
        let (client, _) = try await makeClient { request in
            switch parameters(request)["SecretName"] {
            case "gone": kmsError(.notFound, "Forbidden.ResourceNotFound", "The resource not exists.")
            case "denied":
                kmsError(
                    .forbidden, "Forbidden.NoPermission", "This operation is forbidden by permission system.",
                    authAction: "kms:GetSecretValue")
            default: secretValue("db", #"{"user":"\#(canary)"}"#)
            }
        }
        await expectError(.notFound, containing: ["\"gone\"", "cn-hangzhou"]) {
            _ = try await client.getSecret(.init(key: "gone"))
        }
        await expectError(
            .accessDenied,
            containing: ["\"denied\"", "Forbidden.NoPermission", "missing permission kms:GetSecretValue"]
        ) {
            _ = try await client.getSecret(.init(key: "denied"))
        }
        await expectError(.notFound, containing: ["password", "db"]) {
            _ = try await client.getSecret(.init(key: "db", property: "password"))
        }
    }

    @Test func throttlingIsRetriedWithBackoff() async throws {
        let answered = Mutex(0)
        let sleeps = Sleeps()
        let (client, _) = try await makeClient(sleeps: sleeps) { _ in
            let count = answered.withLock {
                $0 += 1; return $0
            }
            if count == 1 {
                return kmsError(.badRequest, "Throttling.User", "Request was denied due to user flow control.")
            }
            if count == 2 {
                return kmsError(
                    .serviceUnavailable, "ServiceUnavailable",
                    "The request has failed due to a temporary failure of the server.")
            }
            return secretValue("db", "v")
        }
        #expect(try await client.getSecret(.init(key: "db")) == Data("v".utf8))
        #expect(sleeps.all == [.milliseconds(200), .milliseconds(400)])

        let (stuck, _) = try await makeClient(sleeps: sleeps) { _ in
            kmsError(.tooManyRequests, "Throttling", "Request was denied due to request throttling.")
        }
        await expectError(.throttled, containing: ["Throttling"]) { _ = try await stuck.getSecret(.init(key: "db")) }
    }

    @Test func findListsEveryPageAndFiltersByNameAndTags() async throws {
        let (client, transport) = try await makeClient { request in
            let sent = parameters(request)
            if action(request) == "ListSecrets" {
                #expect(sent["FetchTags"] == "true" && sent["PageSize"] == "100")
                if sent["PageNumber"] == "1" {
                    // A full page: three secrets and 97 others the find does not match.
                    let others = (0..<97).map { #",{"SecretName":"zz-\#($0)"}"# }.joined()
                    return json(
                        #"{"RequestId":"R","PageNumber":1,"PageSize":100,"TotalCount":101,"SecretList":{"Secret":[{"SecretName":"app-db","Tags":{"Tag":[{"TagKey":"team","TagValue":"a"}]}},{"SecretName":"app-old","PlannedDeleteTime":"2024-02-01T00:00:00Z","Tags":{"Tag":[{"TagKey":"team","TagValue":"a"}]}},{"SecretName":"other","Tags":{"Tag":[{"TagKey":"team","TagValue":"a"}]}}\#(others)]}}"#
                    )
                }
                #expect(sent["PageNumber"] == "2")
                return json(
                    #"{"RequestId":"R","PageNumber":2,"PageSize":100,"TotalCount":101,"SecretList":{"Secret":[{"SecretName":"app-cache","Tags":{"Tag":[{"TagKey":"team","TagValue":"b"}]}}]}}"#
                )
            }
            return secretValue(sent["SecretName"] ?? "", "value-of-\(sent["SecretName"] ?? "")")
        }
        let found = try await client.getAllSecrets(
            ExternalSecretFind(name: FindName(regexp: "^app-"), tags: ["team": "a"]))
        #expect(found == ["app-db": Data("value-of-app-db".utf8)])
        #expect(transport.requests.filter { action($0) == "ListSecrets" }.count == 2)
        #expect(transport.requests.filter { action($0) == "GetSecretValue" }.count == 1, "only matches are read")
        let all = try await client.getAllSecrets(ExternalSecretFind(name: FindName(regexp: "app")))
        #expect(all.keys.sorted() == ["app-cache", "app-db"])
        await expectError(.unsupported, containing: ["find.path"]) {
            _ = try await client.getAllSecrets(ExternalSecretFind(path: "app/"))
        }
    }
}

// MARK: - PushSecret

/// KMS in memory for push tests: secrets with tags and a current value.
final class PushWorld: Sendable {
    struct Secret {
        var tags: [String: String]
        var value: String
        var versions: Int
    }
    let secrets: Mutex<[String: Secret]>
    init(_ secrets: [String: Secret] = [:]) { self.secrets = Mutex(secrets) }

    func answer(_ request: HTTPRequest) -> ScriptedTransport.Reply {
        let sent = parameters(request)
        let name = sent["SecretName"] ?? ""
        return secrets.withLock { secrets -> ScriptedTransport.Reply in
            let existing = secrets[name]
            switch action(request) {
            case "DescribeSecret":
                guard let existing else {
                    return kmsError(.notFound, "Forbidden.ResourceNotFound", "The resource not exists.")
                }
                let tags = existing.tags.map { #"{"TagKey":"\#($0.key)","TagValue":"\#($0.value)"}"# }.joined(
                    separator: ",")
                return json(#"{"RequestId":"R","SecretName":"\#(name)","Tags":{"Tag":[\#(tags)]}}"#)
            case "GetSecretValue":
                guard let existing else {
                    return kmsError(.notFound, "Forbidden.ResourceNotFound", "The resource not exists.")
                }
                return secretValue(name, existing.value)
            case "CreateSecret":
                let tags =
                    (try? JSONDecoder().decode([[String: String]].self, from: Data((sent["Tags"] ?? "[]").utf8))) ?? []
                secrets[name] = Secret(
                    tags: Dictionary(tags.map { ($0["TagKey"] ?? "", $0["TagValue"] ?? "") }, uniquingKeysWith: { $1 }),
                    value: sent["SecretData"] ?? "", versions: 1)
                return json(#"{"RequestId":"R","SecretName":"\#(name)","VersionId":"\#(sent["VersionId"] ?? "")"}"#)
            case "PutSecretValue":
                secrets[name]?.value = sent["SecretData"] ?? ""
                secrets[name]?.versions += 1
                return json(#"{"RequestId":"R","SecretName":"\#(name)","VersionId":"\#(sent["VersionId"] ?? "")"}"#)
            case "DeleteSecret":
                #expect(sent["ForceDeleteWithoutRecovery"] == "true")
                secrets[name] = nil
                return json(#"{"RequestId":"R","SecretName":"\#(name)"}"#)
            default:
                return kmsError(.notFound, "InvalidAction.NotFound", "Specified api is not found")
            }
        }
    }

    subscript(_ name: String) -> Secret? { secrets.withLock { $0[name] } }
}

struct AlibabaPushTests {
    @Test func pushCreatesATaggedSecretThenWritesOnlyChanges() async throws {
        let world = PushWorld()
        let (client, transport) = try await makeClient { world.answer($0) }
        try await client.pushSecret(.value(Data("one".utf8)), to: PushTarget(remoteKey: "app"))
        #expect(world["app"]?.value == "one" && world["app"]?.tags == ["managed-by": "external-secrets"])
        try await client.pushSecret(.value(Data("one".utf8)), to: PushTarget(remoteKey: "app"))
        #expect(world["app"]?.versions == 1, "an unchanged value writes no version")
        #expect(!transport.requests.contains { action($0) == "PutSecretValue" })
        try await client.pushSecret(.value(Data("two".utf8)), to: PushTarget(remoteKey: "app"))
        #expect(world["app"]?.value == "two" && world["app"]?.versions == 2)
        #expect(try await client.secretExists(PushTarget(remoteKey: "app")))
        try await client.deleteSecret(PushTarget(remoteKey: "app"))
        #expect(world["app"] == nil)
        #expect(try await !client.secretExists(PushTarget(remoteKey: "app")))
        try await client.deleteSecret(PushTarget(remoteKey: "app"))
    }

    @Test func propertiesAreMergedIntoTheJSONValue() async throws {
        let world = PushWorld()
        let (client, _) = try await makeClient { world.answer($0) }
        try await client.pushSecret(.value(Data("u".utf8)), to: PushTarget(remoteKey: "cfg", property: "user"))
        try await client.pushSecret(.value(Data("p".utf8)), to: PushTarget(remoteKey: "cfg", property: "pass"))
        #expect(world["cfg"]?.value == #"{"user":"u","pass":"p"}"#)
        #expect(try await client.secretExists(PushTarget(remoteKey: "cfg", property: "pass")))
        try await client.deleteSecret(PushTarget(remoteKey: "cfg", property: "user"))
        #expect(world["cfg"]?.value == #"{"pass":"p"}"#)
        try await client.deleteSecret(PushTarget(remoteKey: "cfg", property: "pass"))
        #expect(world["cfg"] == nil)
        try await client.pushSecret(
            .allKeys(["a": Data("1".utf8), "b": Data("2".utf8)]), to: PushTarget(remoteKey: "all"))
        #expect(world["all"]?.value == #"{"a":"1","b":"2"}"#)
    }

    @Test func secretsWithoutTheMarkerAreNeverChanged() async throws {
        let world = PushWorld(["theirs": .init(tags: ["owner": "ops"], value: canary, versions: 1)])
        let (client, _) = try await makeClient { world.answer($0) }
        await expectError(.notManaged, containing: ["theirs", "not managed by external-secrets"]) {
            try await client.pushSecret(.value(Data("x".utf8)), to: PushTarget(remoteKey: "theirs"))
        }
        await expectError(.notManaged, containing: ["not deleted"]) {
            try await client.deleteSecret(PushTarget(remoteKey: "theirs"))
        }
        #expect(world["theirs"]?.value == canary && world["theirs"]?.versions == 1)
    }
}

// MARK: - RRSA

struct AlibabaRRSATests {
    static func stsReply(_ n: Int, expires: Date) -> ScriptedTransport.Reply {
        json(
            #"{"RequestId":"R","Credentials":{"AccessKeyId":"STS.key-\#(n)","AccessKeySecret":"secret-\#(n)","SecurityToken":"token-\#(n)","Expiration":"\#(AlibabaSigner.timestamp(expires))"},"AssumedRoleUser":{"Arn":"acs:ram::1:assumed-role/eso/s","AssumedRoleId":"3:s"}}"#
        )
    }

    @Test func rrsaExchangesTheTokenFileOnceAndRenewsBeforeExpiry() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rrsa-\(UUID().uuidString)").path
        try Data("oidc-token-1\n".utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let clock = TestClock()
        let exchanges = Mutex(0)
        let provider = AlibabaProvider(
            regionID: "cn-hangzhou",
            auth: AlibabaAuth(
                rrsa: AlibabaRRSAAuth(
                    oidcProviderArn: "acs:ram::1:oidc-provider/ack", oidcTokenFilePath: file,
                    roleArn: "acs:ram::1:role/eso",
                    sessionName: "eso")))
        let (client, transport) = try await makeClient(provider, clock: clock) { request in
            if parameters(request)["Action"] == "AssumeRoleWithOIDC" {
                #expect(request.url.hasPrefix("https://sts.cn-hangzhou.aliyuncs.com/"))
                #expect(parameters(request)["OIDCToken"] == "oidc-token-1")
                let n = exchanges.withLock {
                    $0 += 1; return $0
                }
                return Self.stsReply(n, expires: clock.now.addingTimeInterval(3600))
            }
            #expect(request.url.hasPrefix("https://kms.cn-hangzhou.aliyuncs.com/"))
            return secretValue("db", "v")
        }
        async let first = client.getSecret(.init(key: "db"))
        async let second = client.getSecret(.init(key: "db"))
        _ = try await (first, second)
        #expect(exchanges.withLock { $0 } == 1, "one exchange for the client and both calls")
        let kms = transport.requests.filter { !$0.url.contains("AssumeRoleWithOIDC") }
        #expect(kms.allSatisfy { $0.headers.first(name: "x-acs-security-token") == "token-1" })
        clock.advance(by: 3600 - 200)
        _ = try await client.getSecret(.init(key: "db"))
        #expect(exchanges.withLock { $0 } == 2, "renewed within the margin before expiry")
        #expect(transport.requests.last?.headers.first(name: "x-acs-security-token") == "token-2")
    }

    @Test func anExpiredSecurityTokenIsRenewedOnce() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rrsa-\(UUID().uuidString)").path
        try Data("oidc-token-1".utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let exchanges = Mutex(0)
        let provider = AlibabaProvider(
            regionID: "cn-hangzhou",
            auth: AlibabaAuth(
                rrsa: AlibabaRRSAAuth(
                    oidcProviderArn: "p", oidcTokenFilePath: file, roleArn: "acs:ram::1:role/eso", sessionName: "s")))
        let (client, _) = try await makeClient(provider) { request in
            if parameters(request)["Action"] == "AssumeRoleWithOIDC" {
                let n = exchanges.withLock {
                    $0 += 1
                    return $0
                }
                return Self.stsReply(n, expires: Date().addingTimeInterval(3600))
            }
            // The service revoked the first token before its announced expiry.
            if request.headers.first(name: "x-acs-security-token") == "token-1" {
                return kmsError(.badRequest, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired.")
            }
            return secretValue("db", "v")
        }
        #expect(try await client.getSecret(.init(key: "db")) == Data("v".utf8))
        #expect(exchanges.withLock { $0 } == 2)
    }

    @Test func aRefusedTokenFailsTheClientClearly() async throws {
        let provider = AlibabaProvider(
            regionID: "cn-hangzhou",
            auth: AlibabaAuth(
                rrsa: AlibabaRRSAAuth(
                    oidcProviderArn: "p", oidcTokenFilePath: "/nonexistent/token", roleArn: "acs:ram::1:role/eso",
                    sessionName: "s")))
        await expectError(.invalidConfiguration, containing: ["acs:ram::1:role/eso", "/nonexistent/token"]) {
            _ = try await makeClient(provider) { _ in secretValue("db", "v") }
        }
    }
}
