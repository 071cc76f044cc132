import ExternalSecretsAPI
import Foundation
import GoCompat
import HTTPSupport
import HTTPTestSupport
import KubeModel
import NIOHTTP1
import ProviderKit
import ProviderTestSupport
import Synchronization
import Testing

@testable import ProviderIBM

/// A value that must never show up in an error description.
let canary = "CANARY-ibm-5d1c"
let service = "https://instance.us-south.secrets-manager.appdomain.cloud"
let iam = "https://iam.unit.test"
let secretID = "0b5571f7-21e6-42b7-91c5-3f5ac9793a46"

func json(_ text: String, status: HTTPResponseStatus = .ok, headers: [(String, String)] = []) -> ScriptedTransport.Reply
{
    var all = HTTPHeaders([("Content-Type", "application/json")])
    for (name, value) in headers { all.add(name: name, value: value) }
    return .respond(status, headers: all, body: Array(text.utf8))
}

func serviceError(_ status: HTTPResponseStatus, _ code: String, _ message: String) -> ScriptedTransport.Reply {
    json(
        #"{"errors": [{"code": "\#(code)", "message": "\#(message)", "more_info": "https://cloud.ibm.com/apidocs"}], "status_code": \#(status.code), "trace": "t-1"}"#,
        status: status)
}

/// A secret as the service answers it: metadata plus `fields` (JSON members, without braces).
func secret(_ type: String, name: String = "app", id: String = secretID, labels: String = "[]", _ fields: String)
    -> ScriptedTransport.Reply
{
    json(
        #"{"created_by": "iam-ServiceId-1", "created_at": "2026-01-02T03:04:05.000Z", "crn": "crn:v1:fake:secret:\#(id)", "downloaded": true, "id": "\#(id)", "labels": \#(labels), "locks_total": 0, "name": "\#(name)", "secret_group_id": "default", "secret_type": "\#(type)", "state": 1, "state_description": "active", "updated_at": "2026-01-02T03:04:05.000Z", "versions_total": 1000000, \#(fields)}"#
    )
}

let tokenReply = json(
    #"{"access_token": "eyJ.iam.token", "refresh_token": "not_supported", "token_type": "Bearer", "expires_in": 3600, "expiration": 1700003600}"#
)

final class Sleeps: Sendable {
    private let recorded = Mutex<[Duration]>([])
    func append(_ duration: Duration) { recorded.withLock { $0.append(duration) } }
    var all: [Duration] { recorded.withLock { $0 } }
}

let apiKeyProvider = IBMProvider(
    serviceUrl: service,
    auth: IBMAuth(
        secretRef: IBMAuthSecretRef(
            secretApiKeySecretRef: SecretKeySelector(name: "ibm", key: "apikey"), iamEndpoint: iam)))

let references = FakeReferences(secrets: ["ibm/apikey": canary])

func ibmStore(_ provider: IBMProvider, kind: StoreKind = .secretStore, caller: String? = "team") -> StoreContext {
    .fixture(SecretStoreProvider(ibm: provider), kind: kind, name: "ibm", namespace: "team", caller: caller)
}

func isToken(_ request: HTTPRequest) -> Bool { request.url.hasPrefix(iam) }

/// A client whose IAM endpoint answers `tokenReply`, every other request by `api`.
func makeClient(
    _ provider: IBMProvider = apiKeyProvider, references: FakeReferences = references, sleeps: Sleeps = Sleeps(),
    _ api: @escaping @Sendable (HTTPRequest) -> ScriptedTransport.Reply
) async throws -> (any SecretsClient, ScriptedTransport) {
    let transport = ScriptedTransport { request in isToken(request) ? tokenReply : api(request) }
    let ibm = IBMSecretsProvider(
        transport: { _ in (transport, {}) }, retry: HTTPRetryPolicy(sleep: { sleeps.append($0) }, jitter: { 1 }))
    let client = try await ibm.makeClient(for: ibmStore(provider), references: references)
    return (client, transport)
}

func form(_ request: HTTPRequest) -> [String: String] {
    var out: [String: String] = [:]
    for pair in String(decoding: request.body ?? [], as: UTF8.self).split(separator: "&") {
        let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
        out[parts[0]] = parts.count > 1 ? parts[1] : ""
    }
    return out
}

func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }

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
    } catch {
        Issue.record("not a ProviderError: \(error)")
    }
}

struct IBMSettingsTests {
    @Test(arguments: [
        (IBMProvider(auth: IBMAuth(secretRef: IBMAuthSecretRef())), "serviceURL is required"),
        (IBMProvider(serviceUrl: service, auth: IBMAuth()), "missing auth method"),
        (
            IBMProvider(
                serviceUrl: service,
                auth: IBMAuth(
                    secretRef: IBMAuthSecretRef(secretApiKeySecretRef: SecretKeySelector(name: "a", key: "b")),
                    containerAuth: IBMAuthContainerAuth(profile: "p"))),
            "too many auth methods defined"
        ),
        (
            IBMProvider(serviceUrl: service, auth: IBMAuth(containerAuth: IBMAuthContainerAuth(profile: ""))),
            "container auth profile cannot be empty"
        ),
        (
            IBMProvider(
                serviceUrl: service,
                auth: IBMAuth(secretRef: IBMAuthSecretRef(secretApiKeySecretRef: SecretKeySelector(key: "b")))),
            "secretAPIKey.name cannot be empty"
        ),
        (
            IBMProvider(
                serviceUrl: service,
                auth: IBMAuth(secretRef: IBMAuthSecretRef(secretApiKeySecretRef: SecretKeySelector(name: "a")))),
            "secretAPIKey.key cannot be empty"
        ),
        (
            IBMProvider(
                serviceUrl: service,
                auth: IBMAuth(
                    secretRef: IBMAuthSecretRef(
                        secretApiKeySecretRef: SecretKeySelector(name: "a", key: "b", namespace: "other")))),
            "namespace should either be empty or match the namespace of the SecretStore for a namespaced SecretStore"
        ),
        (
            IBMProvider(serviceUrl: "not a url", auth: IBMAuth(secretRef: IBMAuthSecretRef())),
            "serviceUrl must be a URL"
        ),
    ])
    func invalidStoresAreRefusedWithESOsMessages(provider: IBMProvider, message: String) throws {
        do {
            try IBMSecretsProvider().validateStore(ibmStore(provider))
            Issue.record("accepted")
        } catch let error as ProviderError {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test func defaultsAndReferentStores() throws {
        let container = try IBMStoreSettings.resolve(
            ibmStore(
                IBMProvider(serviceUrl: service + "/", auth: IBMAuth(containerAuth: IBMAuthContainerAuth(profile: "p")))
            ))
        #expect(container.serviceURL == service)
        #expect(
            container.credentials
                == .trustedProfile(
                    profile: "p", tokenLocation: "/var/run/secrets/tokens/vault-token",
                    iamEndpoint: "https://iam.cloud.ibm.com"))
        let cluster = try IBMStoreSettings.resolve(ibmStore(apiKeyProvider, kind: .clusterSecretStore))
        #expect(cluster.isReferent)
        #expect(!(try IBMStoreSettings.resolve(ibmStore(apiKeyProvider))).isReferent)
        #expect(IBMSecretsProvider().capabilities == .readWrite)
    }
}

struct IBMRequestTests {
    @Test func keysSplitAsESOSplitsThem() {
        typealias Ref = IBMSecretsManagerClient.SecretRef
        #expect(Ref.parse(secretID) == Ref(group: "", type: "arbitrary", name: secretID))
        #expect(Ref.parse("kv/\(secretID)") == Ref(group: "", type: "kv", name: secretID))
        #expect(Ref.parse("team/username_password/db") == Ref(group: "team", type: "username_password", name: "db"))
        #expect(Ref.parse("a/b/c/d") == Ref(group: "", type: "arbitrary", name: "a/b/c/d"))
        #expect(Ref.isUUID(secretID) && Ref.isUUID(secretID.uppercased()) && Ref.isUUID("{\(secretID)}"))
        #expect(Ref.isUUID("urn:uuid:\(secretID)") && Ref.isUUID(secretID.replacingOccurrences(of: "-", with: "")))
        #expect(!Ref.isUUID("db") && !Ref.isUUID(String(secretID.dropLast()) + "g"))
    }

    @Test func requestsAreTheServicesPaths() {
        let requests = IBMRequests(serviceURL: service)
        #expect(requests.getSecret(id: secretID).url == "\(service)/api/v2/secrets/\(secretID)")
        #expect(
            requests.getSecretByName(group: "my group", type: "kv", name: "a b").url
                == "\(service)/api/v2/secret_groups/my%20group/secret_types/kv/secrets/a%20b")
        #expect(
            requests.getVersion(secretID: secretID, version: "previous").url
                == "\(service)/api/v2/secrets/\(secretID)/versions/previous")
        #expect(
            requests.listSecrets(offset: 200, groups: ["g1"], labels: ["env:prod", "x"]).url
                == "\(service)/api/v2/secrets?offset=200&limit=200&groups=g1&match_all_labels=env%3Aprod%2Cx")
        #expect(requests.getSecret(id: secretID).headers.first(name: "Accept") == "application/json")
    }

    @Test func iamGrantsAreTheSDKCoresForms() {
        let apiKey = IBMTokenRequests.apiKey(iamEndpoint: iam, apiKey: "k+y")
        #expect(apiKey.url == "\(iam)/identity/token" && apiKey.method == .POST)
        #expect(apiKey.headers.first(name: "Content-Type") == "application/x-www-form-urlencoded")
        #expect(
            form(apiKey) == [
                "grant_type": "urn:ibm:params:oauth:grant-type:apikey", "apikey": "k+y", "response_type": "cloud_iam",
            ])
        let byName = form(IBMTokenRequests.trustedProfile(iamEndpoint: iam, profile: "eso", computeResourceToken: "cr"))
        #expect(byName["grant_type"] == "urn:ibm:params:oauth:grant-type:cr-token")
        #expect(byName["cr_token"] == "cr" && byName["profile_name"] == "eso" && byName["profile_id"] == nil)
        let byID = form(
            IBMTokenRequests.trustedProfile(iamEndpoint: iam, profile: "Profile-1234", computeResourceToken: "cr"))
        #expect(byID["profile_id"] == "Profile-1234" && byID["profile_name"] == nil)
    }

}

struct IBMClientTests {
    @Test func arbitrarySecretByIDWithTheAPIKeysToken() async throws {
        let (client, transport) = try await makeClient { request in
            #expect(request.url == "\(service)/api/v2/secrets/\(secretID)")
            #expect(request.headers.first(name: "Authorization") == "Bearer eyJ.iam.token")
            return secret("arbitrary", #""payload": "s3cret""#)
        }
        #expect(text(try await client.getSecret(ExternalSecretDataRemoteRef(key: secretID))) == "s3cret")
        #expect(text(try await client.getSecret(ExternalSecretDataRemoteRef(key: "arbitrary/\(secretID)"))) == "s3cret")
        let tokens = transport.requests.filter(isToken)
        #expect(tokens.count == 1, "one token for every call")
        #expect(form(tokens[0])["apikey"] == canary)
    }

    @Test func secretsByNameNeedAGroup() async throws {
        let (client, transport) = try await makeClient { request in
            #expect(request.url == "\(service)/api/v2/secret_groups/team/secret_types/username_password/secrets/db")
            return secret("username_password", name: "db", #""username": "admin", "password": "pw""#)
        }
        let ref = ExternalSecretDataRemoteRef(key: "team/username_password/db", property: "password")
        #expect(text(try await client.getSecret(ref)) == "pw")
        await expectError(.invalidConfiguration, containing: ["secret group name is missing", "arbitrary/db"]) {
            _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "arbitrary/db"))
        }
        await expectError(
            .invalidConfiguration, containing: ["remoteRef.property required for secret type username_password"]
        ) {
            _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "team/username_password/db"))
        }
        await expectError(.invalidConfiguration, containing: ["unknown secret type other"]) {
            _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "other/\(secretID)"))
        }
        #expect(transport.requests.filter { !isToken($0) }.count == 1, "checks come before requests")
    }

    @Test func eachTypeGivesESOsValue() async throws {
        let replies: [String: ScriptedTransport.Reply] = [
            "iam_credentials": secret("iam_credentials", #""api_key": "key-1", "ttl": "1800", "reuse_api_key": true"#),
            "service_credentials": secret(
                "service_credentials", #""credentials": {"iam_role_crn": "r", "apikey": "a<b", "n": 1.0}"#),
            "imported_cert": secret("imported_cert", #""certificate": "CERT""#),
            "public_cert": secret(
                "public_cert",
                #""certificate": "C", "intermediate": "I", "private_key": "K", "key_algorithm": "RSA2048""#),
            "private_cert": secret(
                "private_cert", #""certificate": "C", "private_key": "K", "common_name": "x.example""#),
            "kv": secret("kv", #""data": {"a": "1", "nested": {"b": "2"}, "dotted.key": "d"}"#),
            "custom_credentials": secret("custom_credentials", #""credentials_content": {"token": "t"}"#),
        ]
        let (client, _) = try await makeClient { request in
            let type = request.url.split(separator: "/").dropLast(2).last.map(String.init) ?? ""
            return replies[type] ?? serviceError(.notFound, "secret_not_found", "Secret not found")
        }
        func get(_ key: String, _ property: String? = nil) async throws -> String {
            text(try await client.getSecret(ExternalSecretDataRemoteRef(key: key, property: property)))
        }
        let team = "team"
        #expect(try await get("\(team)/iam_credentials/key") == "key-1")
        #expect(
            try await get("\(team)/service_credentials/creds") == #"{"apikey":"a\u003cb","iam_role_crn":"r","n":1}"#)
        #expect(try await get("\(team)/imported_cert/c", "certificate") == "CERT")
        #expect(try await get("\(team)/imported_cert/c", "intermediate") == "", "ESO: empty, for kubernetes.io/tls")
        #expect(try await get("\(team)/imported_cert/c", "private_key") == "")
        #expect(try await get("\(team)/public_cert/c", "intermediate") == "I")
        #expect(try await get("\(team)/private_cert/c", "common_name") == "x.example")
        #expect(try await get("\(team)/kv/c") == #"{"a":"1","dotted.key":"d","nested":{"b":"2"}}"#)
        #expect(try await get("\(team)/kv/c", "nested.b") == "2")
        #expect(try await get("\(team)/kv/c", "dotted.key") == "d")
        #expect(try await get("\(team)/custom_credentials/c", "token") == "t")
        await expectError(.notFound, containing: ["other", "team/kv/c"]) { _ = try await get("\(team)/kv/c", "other") }
        await expectError(.notFound, containing: ["key key_algorithm", "team/private_cert/c"]) {
            _ = try await get("\(team)/private_cert/c", "key_algorithm")
        }
    }

    @Test func extractGivesESOsKeysAndFetchAddsEveryField() async throws {
        let (client, _) = try await makeClient { request in
            if request.url.contains("/iam_credentials/") {
                return secret("iam_credentials", labels: #"["a", "b"]"#, #""api_key": "key-1", "ttl": "1800""#)
            }
            if request.url.contains("/service_credentials/") {
                return secret("service_credentials", #""credentials": {"apikey": "a", "z": {"y": 1}}"#)
            }
            if request.url.contains("/imported_cert/") { return secret("imported_cert", #""certificate": "C""#) }
            return secret("kv", #""data": {"a": "1", "n": {"b": 2}, "f": 1.5}"#)
        }
        func map(_ key: String, property: String? = nil, fetch: Bool = false) async throws -> [String: String] {
            try await client.getSecretMap(
                ExternalSecretDataRemoteRef(key: key, property: property, metadataPolicy: fetch ? .fetch : nil)
            ).mapValues(text)
        }
        #expect(try await map("g/iam_credentials/k") == ["apikey": "key-1"])
        let fetched = try await map("g/iam_credentials/k", fetch: true)
        #expect(fetched["apikey"] == "key-1" && fetched["api_key"] == "key-1")
        #expect(fetched["labels"] == "[a b]" && fetched["downloaded"] == "true" && fetched["locks_total"] == "0")
        #expect(fetched["versions_total"] == "1e+06" && fetched["name"] == "app" && fetched["ttl"] == "1800")
        #expect(try await map("g/service_credentials/k") == ["credentials": "map[apikey:a z:map[y:1]]"])
        #expect(try await map("g/imported_cert/k") == ["certificate": "C", "intermediate": "", "private_key": ""])
        #expect(try await map("g/kv/k") == ["a": "1", "n": #"{"b":2}"#, "f": "1.5"])
        #expect(try await map("g/kv/k", property: "n") == ["b": "2"])
    }

    @Test func versionsAreReadFromTheVersionsAPI() async throws {
        let (client, transport) = try await makeClient { request in
            if request.url.hasSuffix("/versions/previous") {
                return json(
                    #"{"created_by": "x", "created_at": "2025-01-01T00:00:00.000Z", "id": "v-1", "secret_id": "\#(secretID)", "secret_type": "arbitrary", "secret_group_id": "default", "payload_available": true, "alias": "previous", "payload": "old"}"#
                )
            }
            return secret("arbitrary", #""payload": "new""#)
        }
        #expect(
            text(try await client.getSecret(ExternalSecretDataRemoteRef(key: secretID, version: "previous"))) == "old")
        #expect(
            text(try await client.getSecret(ExternalSecretDataRemoteRef(key: secretID, version: "latest"))) == "new")
        #expect(
            transport.requests.filter { !isToken($0) }.map(\.url) == [
                "\(service)/api/v2/secrets/\(secretID)", "\(service)/api/v2/secrets/\(secretID)/versions/previous",
                "\(service)/api/v2/secrets/\(secretID)",
            ])
    }

    @Test func errorsNameTheKeyAndThePermission() async throws {
        let (client, _) = try await makeClient { request in
            if request.url.contains("missing") {
                return serviceError(.notFound, "secret_not_found", "Secret not found")
            }
            return serviceError(.forbidden, "forbidden", "Forbidden")
        }
        await expectError(.accessDenied, containing: ["g/arbitrary/x", "secrets-manager.secret.read", "SecretsReader"])
        {
            _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "g/arbitrary/x"))
        }
        await expectError(.notFound, containing: ["g/arbitrary/missing", "Secret not found"]) {
            _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "g/arbitrary/missing"))
        }
        await expectError(.accessDenied, containing: ["secrets-manager.secrets.list"]) {
            _ = try await client.getAllSecrets(ExternalSecretFind(name: FindName(regexp: ".")))
        }
    }

    @Test func throttlingIsRetriedWithBackoffAndRetryAfter() async throws {
        let answered = Mutex(0)
        let sleeps = Sleeps()
        let (client, _) = try await makeClient(sleeps: sleeps) { _ in
            let count = answered.withLock { value in
                value += 1
                return value
            }
            switch count {
            case ...1: return serviceError(.tooManyRequests, "too_many_requests", "Too many requests")
            case 2: return serviceError(.serviceUnavailable, "unavailable", "Service unavailable")
            case 3:
                return json(#"{"errors": []}"#, status: .tooManyRequests, headers: [("Retry-After", "2")])
            default: return secret("arbitrary", #""payload": "v""#)
            }
        }
        #expect(text(try await client.getSecret(ExternalSecretDataRemoteRef(key: secretID))) == "v")
        #expect(sleeps.all == [.milliseconds(200), .milliseconds(400), .seconds(2)])
        answered.withLock { $0 = -10 }
        await expectError(.throttled, containing: [secretID]) {
            _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: secretID))
        }
    }

    @Test func retrySettingsBoundRetriesAsESOsSDKRetries() async throws {
        let sleeps = Sleeps()
        let transport = ScriptedTransport { request in
            isToken(request) ? tokenReply : serviceError(.serviceUnavailable, "unavailable", "Service unavailable")
        }
        let ibm = IBMSecretsProvider(
            transport: { _ in (transport, {}) }, retry: HTTPRetryPolicy(sleep: { sleeps.append($0) }, jitter: { 1 }))
        let store = StoreContext.fixture(
            SecretStoreProvider(ibm: apiKeyProvider), name: "ibm", caller: "team",
            retrySettings: SecretStoreRetrySettings(maxRetries: 5, retryInterval: "300ms"))
        let client = try await ibm.makeClient(for: store, references: references)
        await expectError(.unavailable, containing: [secretID, "Service unavailable"]) {
            _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: secretID))
        }
        #expect(
            sleeps.all == [
                .milliseconds(200), .milliseconds(300), .milliseconds(300), .milliseconds(300), .milliseconds(300),
            ])
        #expect(transport.requests.filter { !isToken($0) }.count == 6)

        let bad = StoreContext.fixture(
            SecretStoreProvider(ibm: apiKeyProvider), name: "ibm",
            retrySettings: SecretStoreRetrySettings(retryInterval: "soon"))
        #expect(throws: ProviderError.self) { try ibm.validateStore(bad) }
    }

    @Test func aRefusedTokenIsRenewedOnceAndBadKeysFailAtClientCreation() async throws {
        let answered = Mutex(0)
        let (client, transport) = try await makeClient { _ in
            let first = answered.withLock { value in
                value += 1
                return value == 1
            }
            return first
                ? serviceError(.unauthorized, "unauthorized", "Unauthorized") : secret("arbitrary", #""payload": "v""#)
        }
        #expect(text(try await client.getSecret(ExternalSecretDataRemoteRef(key: secretID))) == "v")
        #expect(transport.requests.filter(isToken).count == 2)

        let refusing = ScriptedTransport { _ in
            json(
                #"{"errorCode": "BXNIM0415E", "errorMessage": "Provided API key could not be found."}"#,
                status: .badRequest)
        }
        let ibm = IBMSecretsProvider(transport: { _ in (refusing, {}) })
        await expectError(.accessDenied, containing: ["BXNIM0415E", "API key could not be found", "Secret ibm"]) {
            _ = try await ibm.makeClient(for: ibmStore(apiKeyProvider), references: references)
        }
    }

    @Test func trustedProfilesSendTheComputeResourceToken() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ibm-cr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("token").path
        try Data("cr-token-1\n".utf8).write(to: URL(fileURLWithPath: file))
        let provider = IBMProvider(
            serviceUrl: service,
            auth: IBMAuth(containerAuth: IBMAuthContainerAuth(profile: "eso", tokenLocation: file, iamEndpoint: iam)))
        let (client, transport) = try await makeClient(provider) { _ in secret("arbitrary", #""payload": "v""#) }
        #expect(text(try await client.getSecret(ExternalSecretDataRemoteRef(key: secretID))) == "v")
        let grant = form(transport.requests.first(where: isToken)!)
        #expect(grant["cr_token"] == "cr-token-1" && grant["profile_name"] == "eso")

        let missing = IBMProvider(
            serviceUrl: service,
            auth: IBMAuth(containerAuth: IBMAuthContainerAuth(profile: "eso", tokenLocation: directory.path + "/none")))
        await expectError(.invalidConfiguration, containing: ["cannot read container auth token"]) {
            _ = try await IBMSecretsProvider(transport: { _ in (ScriptedTransport(replies: []), {}) })
                .makeClient(for: ibmStore(missing), references: references)
        }
    }

    @Test func findFiltersByNameLabelsAndGroupAcrossPages() async throws {
        let other = "9a1f1f6e-3b4c-4d5e-8f70-112233445566"
        let third = "7c2e2e6e-3b4c-4d5e-8f70-112233445566"
        let (client, transport) = try await makeClient { request in
            if request.url.contains("/api/v2/secrets?") {
                let first = request.url.contains("offset=0&")
                let items =
                    first
                    ? #"[{"id": "\#(secretID)", "name": "app-db", "secret_type": "username_password", "labels": ["env:prod"], "secret_group_id": "g1"}, {"id": "\#(third)", "name": "other", "secret_type": "arbitrary", "labels": ["env:prod"], "secret_group_id": "g1"}]"#
                    : #"[{"id": "\#(other)", "name": "app-token", "secret_type": "arbitrary", "labels": ["env:prod", "x"], "secret_group_id": "g1"}]"#
                let next = first ? #", "next": {"href": "\#(service)/api/v2/secrets?offset=2&limit=200"}"# : ""
                return json(
                    #"{"total_count": 3, "limit": 200, "offset": \#(first ? 0 : 2), "secrets": \#(items)\#(next)}"#)
            }
            if request.url.hasSuffix(secretID) {
                return secret("username_password", name: "app-db", #""username": "u", "password": "p""#)
            }
            return secret("arbitrary", name: "app-token", id: other, #""payload": "tok""#)
        }
        let found = try await client.getAllSecrets(
            ExternalSecretFind(path: "g1", name: FindName(regexp: "^app-"), tags: ["env": "prod"]))
        #expect(found.mapValues(text) == ["app-db": #"{"password":"p","username":"u"}"#, "app-token": "tok"])
        let lists = transport.requests.filter { $0.url.contains("/api/v2/secrets?") }.map(\.url)
        #expect(
            lists == [
                "\(service)/api/v2/secrets?offset=0&limit=200&groups=g1&match_all_labels=env%3Aprod",
                "\(service)/api/v2/secrets?offset=2&limit=200&groups=g1&match_all_labels=env%3Aprod",
            ])
        #expect(!transport.requests.contains { $0.url.hasSuffix(third) }, "a name that does not match is not read")
    }

    @Test func pushTargetsAreArbitrarySecretsByNameOrID() throws {
        typealias Place = IBMSecretsManagerClient.PushPlace
        #expect(try Place.parse("db") == .name(group: "default", name: "db"))
        #expect(try Place.parse("arbitrary/db") == .name(group: "default", name: "db"))
        #expect(try Place.parse("team/arbitrary/db") == .name(group: "team", name: "db"))
        #expect(try Place.parse(secretID) == .id(secretID))
        #expect(throws: ProviderError.self) { try Place.parse("kv/db") }
        #expect(throws: ProviderError.self) { try Place.parse("a/b/c/d") }
    }

    @Test func pushCreatesLabelledSecretsAndWritesVersionsOnlyForChanges() async throws {
        let stored = Mutex<String?>(nil)
        let (client, transport) = try await makeClient { request in
            switch (request.method, request.url) {
            case (.GET, "\(service)/api/v2/secret_groups"):
                return json(
                    #"{"secret_groups": [{"id": "g-1", "name": "team", "description": "", "created_at": "x", "created_by": "y", "updated_at": "x"}], "total_count": 1}"#
                )
            case (.GET, _):
                guard let payload = stored.withLock({ $0 }) else {
                    return serviceError(.notFound, "secret_not_found", "Secret not found")
                }
                let quoted = String(decoding: GoJSONValue.string(payload).marshal(numbers: .literal), as: UTF8.self)
                return secret("arbitrary", labels: #"["managed-by:external-secrets"]"#, #""payload": \#(quoted)"#)
            case (.POST, "\(service)/api/v2/secrets"):
                let body = try! GoJSONValue.parse(request.body ?? [])
                guard case .object(let fields) = body, case .string(let payload)? = fields["payload"] else {
                    return serviceError(.badRequest, "bad_request", "no payload")
                }
                #expect(fields["labels"] == .array([.string("managed-by:external-secrets")]))
                #expect(fields["secret_group_id"] == .string("g-1") && fields["secret_type"] == .string("arbitrary"))
                #expect(request.headers.first(name: "Content-Type") == "application/json")
                stored.withLock { $0 = payload }
                return secret("arbitrary", #""payload": "x""#)
            case (.POST, "\(service)/api/v2/secrets/\(secretID)/versions"):
                guard case .object(let fields)? = try? GoJSONValue.parse(request.body ?? []),
                    case .string(let payload)? = fields["payload"]
                else { return serviceError(.badRequest, "bad_request", "no payload") }
                stored.withLock { $0 = payload }
                return json(#"{"id": "v-2"}"#, status: .created)
            case (.DELETE, "\(service)/api/v2/secrets/\(secretID)"):
                stored.withLock { $0 = nil }
                return .respond(.noContent, headers: [:], body: [])
            default:
                return serviceError(.notFound, "not_found", "Not found")
            }
        }
        let target = PushTarget(remoteKey: "team/arbitrary/db")
        #expect(try await !client.secretExists(target))
        try await client.pushSecret(.value(Data(canary.utf8)), to: target)
        #expect(stored.withLock { $0 } == canary)
        try await client.pushSecret(.value(Data(canary.utf8)), to: target)
        await expectError(.invalidData, containing: ["not a JSON object"]) {
            try await client.pushSecret(
                .value(Data("u".utf8)), to: PushTarget(remoteKey: target.remoteKey, property: "user"))
        }
        try await client.pushSecret(.allKeys(["pw": Data(canary.utf8)]), to: target)
        let user = PushTarget(remoteKey: target.remoteKey, property: "user")
        try await client.pushSecret(.value(Data("u".utf8)), to: user)
        try await client.pushSecret(.value(Data("u".utf8)), to: user)
        #expect(stored.withLock { $0 } == #"{"pw":"\#(canary)","user":"u"}"#)
        #expect(try await client.secretExists(user))
        try await client.deleteSecret(user)
        #expect(stored.withLock { $0 } == #"{"pw":"\#(canary)"}"#)
        try await client.deleteSecret(PushTarget(remoteKey: target.remoteKey, property: "pw"))
        #expect(stored.withLock { $0 } == nil, "the last property deleted deletes the secret")
        try await client.deleteSecret(target)
        let writes = transport.requests.filter { $0.method != .GET && !isToken($0) }.map { "\($0.method) \($0.url)" }
        let version = "POST \(service)/api/v2/secrets/\(secretID)/versions"
        #expect(
            writes == [
                "POST \(service)/api/v2/secrets", version, version, version,
                "DELETE \(service)/api/v2/secrets/\(secretID)",
            ])
    }

    @Test func pushNeverTouchesUnlabelledSecrets() async throws {
        let (client, transport) = try await makeClient { _ in
            secret("arbitrary", labels: #"["team:a"]"#, #""payload": "theirs""#)
        }
        await expectError(.notManaged, containing: ["default/arbitrary/db", "managed-by:external-secrets"]) {
            try await client.pushSecret(.value(Data(canary.utf8)), to: PushTarget(remoteKey: "default/arbitrary/db"))
        }
        await expectError(.notManaged) { try await client.deleteSecret(PushTarget(remoteKey: secretID)) }
        #expect(try await client.secretExists(PushTarget(remoteKey: "db")))
        #expect(transport.requests.allSatisfy { $0.method == .GET || isToken($0) })
        await expectError(.unsupported, containing: ["arbitrary only"]) {
            try await client.pushSecret(.value(Data("x".utf8)), to: PushTarget(remoteKey: "kv/db"))
        }
    }

}
