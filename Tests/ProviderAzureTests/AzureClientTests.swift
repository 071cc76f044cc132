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
import _CryptoExtras

@testable import ProviderAzure

/// A value that must never show up in an error description.
let canary = "CANARY-azure-7f3e"
let vault = "https://unit.vault.azure.net"

func json(_ text: String, status: HTTPResponseStatus = .ok, headers: [(String, String)] = []) -> ScriptedTransport.Reply
{
    var all = HTTPHeaders([("Content-Type", "application/json")])
    for (name, value) in headers { all.add(name: name, value: value) }
    return .respond(status, headers: all, body: Array(text.utf8))
}

func vaultError(_ status: HTTPResponseStatus, _ code: String, _ message: String) -> ScriptedTransport.Reply {
    json(#"{"error": {"code": "\#(code)", "message": "\#(message)"}}"#, status: status)
}

func secretBundle(
    _ name: String, value: String, version: String = "0123456789abcdef0123456789abcdef", tags: String = "{}",
    contentType: String? = nil, exp: Int? = nil
) -> ScriptedTransport.Reply {
    let quoted = String(decoding: GoJSONValue.string(value).marshal(numbers: .literal), as: UTF8.self)
    let content = contentType.map { #", "contentType": "\#($0)""# } ?? ""
    let expires = exp.map { #", "exp": \#($0)"# } ?? ""
    return json(
        #"{"value": \#(quoted), "id": "\#(vault)/secrets/\#(name)/\#(version)"\#(content), "attributes": {"enabled": true, "created": 1700000000, "updated": 1700000100\#(expires), "recoveryLevel": "Recoverable+Purgeable"}, "tags": \#(tags)}"#
    )
}

let tokenReply = json(
    #"{"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": "eyJ.token"}"#)

final class Sleeps: Sendable {
    private let recorded = Mutex<[Duration]>([])
    func append(_ duration: Duration) { recorded.withLock { $0.append(duration) } }
    var all: [Duration] { recorded.withLock { $0 } }
}

let servicePrincipal = AzureKVProvider(
    vaultUrl: vault, tenantId: "tenant-1", authType: "ServicePrincipal",
    authSecretRef: AzureKVAuth(
        clientId: SecretKeySelector(name: "azure", key: "client-id"),
        clientSecret: SecretKeySelector(name: "azure", key: "client-secret")))

let references = FakeReferences(secrets: ["azure/client-id": "client-1", "azure/client-secret": canary])

func azureStore(_ provider: AzureKVProvider, kind: StoreKind = .secretStore, caller: String? = "team") -> StoreContext {
    .fixture(SecretStoreProvider(azurekv: provider), kind: kind, name: "azure", namespace: "team", caller: caller)
}

func isToken(_ request: HTTPRequest) -> Bool {
    request.url.hasPrefix("https://login.microsoftonline.com/") || request.url.contains("/metadata/identity/")
}

/// A client whose token endpoint answers `tokenReply`, every other request by `api`.
func makeClient(
    _ provider: AzureKVProvider = servicePrincipal, references: FakeReferences = references, sleeps: Sleeps = Sleeps(),
    clock: TestClock? = nil, environment: AzureEnvironment = AzureEnvironment(),
    _ api: @escaping @Sendable (HTTPRequest) -> ScriptedTransport.Reply
) async throws -> (any SecretsClient, ScriptedTransport) {
    let transport = ScriptedTransport { request in isToken(request) ? tokenReply : api(request) }
    let azure = AzureSecretsProvider(
        transport: { _ in (transport, {}) }, now: { clock?.now ?? Date() },
        retry: HTTPRetryPolicy(sleep: { sleeps.append($0) }, jitter: { 1 }), environment: environment)
    let client = try await azure.makeClient(for: azureStore(provider), references: references)
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

struct AzureSettingsTests {
    @Test(arguments: [
        (AzureKVProvider(vaultUrl: vault, authType: "ServicePrincipal"), "missing tenantID in store config"),
        (AzureKVProvider(vaultUrl: vault, tenantId: "t"), "missing secretRef in provider config"),
        (
            AzureKVProvider(
                vaultUrl: vault, tenantId: "t",
                authSecretRef: AzureKVAuth(clientId: SecretKeySelector(name: "a", key: "b"))),
            "missing accessKeyID/secretAccessKey in store config"
        ),
        (
            AzureKVProvider(
                vaultUrl: vault, tenantId: "t",
                authSecretRef: AzureKVAuth(
                    clientId: SecretKeySelector(name: "a", key: "b"),
                    clientSecret: SecretKeySelector(name: "a", key: "c"),
                    clientCertificate: SecretKeySelector(name: "a", key: "d"))),
            "both clientSecret and clientCredentials set"
        ),
        (AzureKVProvider(vaultUrl: "not a url"), "vaultUrl must be a URL"),
        (
            AzureKVProvider(vaultUrl: vault, authType: "ManagedIdentity", environmentType: "AzureStackCloud"),
            "CustomCloudConfig is required when EnvironmentType is AzureStackCloud"
        ),
        (
            AzureKVProvider(
                vaultUrl: vault, authType: "ManagedIdentity",
                customCloudConfig: AzureCustomCloudConfig(activeDirectoryEndpoint: "https://login.stack")),
            "CustomCloudConfig requires UseAzureSDK to be set to true"
        ),
        (
            AzureKVProvider(
                vaultUrl: vault, tenantId: "t",
                authSecretRef: AzureKVAuth(
                    clientId: SecretKeySelector(name: "a", key: "b", namespace: "other"),
                    clientSecret: SecretKeySelector(name: "a", key: "c"))),
            "namespace should either be empty or match the namespace of the SecretStore"
        ),
    ])
    func esoRefusesTheseStoresAndSoDoWe(provider: AzureKVProvider, message: String) {
        #expect {
            try AzureSecretsProvider().validateStore(azureStore(provider))
        } throws: { error in
            (error as? ProviderError)?.message.contains(message) == true
        }
    }

    @Test(arguments: [
        ("PublicCloud", "https://login.microsoftonline.com", "https://vault.azure.net/.default"),
        ("USGovernmentCloud", "https://login.microsoftonline.us", "https://vault.usgovcloudapi.net/.default"),
        ("ChinaCloud", "https://login.chinacloudapi.cn", "https://vault.azure.cn/.default"),
        ("GermanCloud", "https://login.microsoftonline.de", "https://vault.microsoftazure.de/.default"),
    ])
    func eachCloudHasItsAuthorityAndResource(environment: String, authority: String, scope: String) throws {
        let cloud = try AzureCloud.resolve(environment: environment, custom: nil, authorityHostOverride: nil)
        #expect(cloud.authorityHost == authority)
        #expect(cloud.scope == scope)
        let overridden = try AzureCloud.resolve(
            environment: environment, custom: nil, authorityHostOverride: "http://127.0.0.1:9/")
        #expect(overridden.authorityHost == "http://127.0.0.1:9")
    }

    @Test func readsAreSharedAcrossNamespacesUnlessCredentialsAreReadPerNamespace() {
        let azure = AzureSecretsProvider()
        var pinned = servicePrincipal
        pinned.authSecretRef?.clientId?.namespace = "ops"
        pinned.authSecretRef?.clientSecret?.namespace = "ops"
        let identity = AzureKVProvider(vaultUrl: vault, authType: "ManagedIdentity")
        let workload = AzureKVProvider(
            vaultUrl: vault, authType: "WorkloadIdentity", serviceAccountRef: ServiceAccountSelector(name: "app"))
        #expect(!azure.readsDependOnCallerNamespace(azureStore(servicePrincipal)))
        #expect(azure.readsDependOnCallerNamespace(azureStore(servicePrincipal, kind: .clusterSecretStore)))
        #expect(!azure.readsDependOnCallerNamespace(azureStore(pinned, kind: .clusterSecretStore)))
        #expect(!azure.readsDependOnCallerNamespace(azureStore(identity, kind: .clusterSecretStore)))
        #expect(azure.readsDependOnCallerNamespace(azureStore(workload, kind: .clusterSecretStore)))
    }

    @Test func aClusterStoreWithoutNamespacesIsReferentAndValidatesUnknown() async throws {
        let transport = ScriptedTransport(replies: [])
        let azure = AzureSecretsProvider(transport: { _ in (transport, {}) })
        let readers = FakeReferences(secrets: ["azure/client-id": "client-1", "azure/client-secret": canary])
        let client = try await azure.makeClient(
            for: azureStore(servicePrincipal, kind: .clusterSecretStore, caller: nil), references: readers)
        #expect(try await client.validate() == .unknown)
        #expect(readers.asked.isEmpty)
        #expect(transport.requests.isEmpty)
    }
}

struct AzureAuthTests {
    @Test func theClientSecretGrantAsksForTheVaultScopeOnceForManyCalls() async throws {
        let clock = TestClock()
        let (client, transport) = try await makeClient(clock: clock) { _ in secretBundle("db", value: "v") }
        for _ in 0..<5 { _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db")) }
        let tokens = transport.requests.filter(isToken)
        #expect(tokens.count == 1)
        let token = try #require(tokens.first)
        #expect(token.url == "https://login.microsoftonline.com/tenant-1/oauth2/v2.0/token")
        let fields = form(token)
        #expect(fields["grant_type"] == "client_credentials")
        #expect(fields["client_id"] == "client-1")
        #expect(fields["scope"] == "https://vault.azure.net/.default")
        #expect(fields["client_secret"].map { Data($0.utf8) } == Data(canary.utf8))
        #expect(transport.requests.last?.headers.first(name: "Authorization") == "Bearer eyJ.token")
        clock.advance(by: 3599 - 299)
        _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db"))
        #expect(transport.requests.filter(isToken).count == 2)
    }

    @Test func concurrentCallsShareOneTokenRequest() async throws {
        let (client, transport) = try await makeClient { _ in secretBundle("db", value: "v") }
        // The first token was fetched by makeClient; force a renewal for every caller at once.
        let session = (client as! AzureKeyVaultClient).connection.session
        await session.invalidate("eyJ.token")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 { group.addTask { _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db")) } }
            try await group.waitForAll()
        }
        #expect(transport.requests.filter(isToken).count == 2)
    }

    @Test func aRefusedSecretFailsTheStoreNamingTheClientButNotTheSecret() async throws {
        let transport = ScriptedTransport { _ in
            json(
                #"{"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x", "error_codes": [7000215]}"#,
                status: .unauthorized)
        }
        let azure = AzureSecretsProvider(transport: { _ in (transport, {}) })
        await expectError(.accessDenied, containing: ["client-1", "tenant-1", "AADSTS7000215", "invalid_client"]) {
            _ = try await azure.makeClient(for: azureStore(servicePrincipal), references: references)
        }
    }

    @Test func theCertificateAssertionIsAnRS256JWTWithTheThumbprint() throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let der = Data((0..<64).map { UInt8($0) })
        let pem = PEMBlocks.encode(der, label: "CERTIFICATE") + key.pemRepresentation
        let certificate = try AzureClientCertificate.parse(Data(pem.utf8), field: "f")
        let assertion = try certificate.assertion(
            clientID: "client-1", audience: "https://login/t/oauth2/v2.0/token",
            issuedAt: Date(timeIntervalSince1970: 1_700_000_000), id: "jti-1")
        let parts = assertion.split(separator: ".").map(String.init)
        #expect(parts.count == 3)
        func decode(_ text: String) -> Data { Data(base64Encoded: AzureKeyVaultClient.padded(text))! }
        let header = try JSONSerialization.jsonObject(with: decode(parts[0])) as? [String: String]
        #expect(header?["alg"] == "RS256")
        #expect(header?["x5t"] == certificate.thumbprint)
        #expect(decode(certificate.thumbprint).count == 20)
        let claims = try JSONSerialization.jsonObject(with: decode(parts[1])) as? [String: Any]
        #expect(claims?["aud"] as? String == "https://login/t/oauth2/v2.0/token")
        #expect(claims?["iss"] as? String == "client-1" && claims?["sub"] as? String == "client-1")
        #expect(claims?["exp"] as? Int == 1_700_000_600)
        let signature = _RSA.Signing.RSASignature(rawRepresentation: decode(parts[2]))
        #expect(
            key.publicKey.isValidSignature(
                signature, for: Data("\(parts[0]).\(parts[1])".utf8), padding: .insecurePKCS1v1_5))
    }

    @Test func aCertificateWithoutItsKeyIsRefusedWithoutQuotingIt() {
        let pem = PEMBlocks.encode(Data(canary.utf8), label: "CERTIFICATE")
        #expect {
            try AzureClientCertificate.parse(Data(pem.utf8), field: "auth")
        } throws: { error in
            guard let error = error as? ProviderError else { return false }
            return error.message.contains("no RSA private key") && !error.message.contains(canary)
        }
    }

    @Test func managedIdentityAsksTheMetadataServiceForTheVaultResource() async throws {
        let transport = ScriptedTransport { request in
            request.url.contains("/metadata/identity/")
                ? json(#"{"access_token": "mi-token", "expires_in": "86399", "token_type": "Bearer"}"#)
                : secretBundle("db", value: "v")
        }
        let azure = AzureSecretsProvider(
            transport: { _ in (transport, {}) }, environment: AzureEnvironment(metadataService: "http://127.0.0.1:1"))
        let client = try await azure.makeClient(
            for: azureStore(AzureKVProvider(vaultUrl: vault, authType: "ManagedIdentity", identityId: "uami-1")),
            references: FakeReferences())
        _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db"))
        let token = try #require(transport.requests.first)
        #expect(
            token.url
                == "http://127.0.0.1:1/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net&client_id=uami-1"
        )
        #expect(token.headers.first(name: "Metadata") == "true")
        #expect(transport.requests.last?.headers.first(name: "Authorization") == "Bearer mi-token")
    }

    @Test func workloadIdentityExchangesTheServiceAccountTokenAsAnAssertion() async throws {
        let readers = FakeReferences(
            tokens: ["k8s-jwt"],
            annotations: [
                "app": [
                    "azure.workload.identity/client-id": "wi-client", "azure.workload.identity/tenant-id": "wi-tenant",
                ]
            ])
        let provider = AzureKVProvider(
            vaultUrl: vault, authType: "WorkloadIdentity",
            serviceAccountRef: ServiceAccountSelector(name: "app", audiences: ["extra"]))
        let (_, transport) = try await makeClient(provider, references: readers) { _ in secretBundle("db", value: "v") }
        let token = try #require(transport.requests.first)
        #expect(token.url == "https://login.microsoftonline.com/wi-tenant/oauth2/v2.0/token")
        let fields = form(token)
        #expect(fields["client_id"] == "wi-client")
        #expect(fields["client_assertion"] == "k8s-jwt")
        #expect(fields["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        #expect(readers.asked == ["token app [\"api://AzureADTokenExchange\", \"extra\"]"])
    }

    @Test func workloadIdentityRefusesTwoTenants() async {
        let readers = FakeReferences(
            annotations: ["app": ["azure.workload.identity/client-id": "c", "azure.workload.identity/tenant-id": "t2"]])
        let provider = AzureKVProvider(
            vaultUrl: vault, tenantId: "t1", authType: "WorkloadIdentity",
            serviceAccountRef: ServiceAccountSelector(name: "app"))
        await expectError(.invalidConfiguration, containing: ["multiple tenantID found"]) {
            _ = try await makeClient(provider, references: readers) { _ in secretBundle("db", value: "v") }
        }
    }
}

struct AzureReadTests {
    @Test func aSecretAVersionAndAProperty() async throws {
        let (client, transport) = try await makeClient { request in
            request.url.contains("/secrets/db/v2?")
                ? secretBundle("db", value: #"{"user": "old"}"#)
                : secretBundle("db", value: #"{"user": "admin", "n": {"a": 1}}"#)
        }
        #expect(
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "db"))
                == Data(#"{"user": "admin", "n": {"a": 1}}"#.utf8))
        #expect(
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "secret/db", property: "n.a")) == Data("1".utf8)
        )
        #expect(
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "db", property: "user", version: "v2"))
                == Data("old".utf8))
        let urls = transport.requests.filter { !isToken($0) }.map(\.url)
        #expect(
            urls == [
                "\(vault)/secrets/db?api-version=7.4", "\(vault)/secrets/db?api-version=7.4",
                "\(vault)/secrets/db/v2?api-version=7.4",
            ])
        let map = try await client.getSecretMap(ExternalSecretDataRemoteRef(key: "db"))
        #expect(map == ["user": Data("admin".utf8), "n": Data(#"{"a": 1}"#.utf8)])
    }

    @Test func aCertificateIsItsDERAndAKeyItsJWK() async throws {
        let der = Data([0x30, 0x82, 0x01, 0x0a, 0xff])
        let (client, _) = try await makeClient { request in
            if request.url.contains("/certificates/") {
                return json(
                    #"{"id": "\#(vault)/certificates/tls/1", "cer": "\#(der.base64EncodedString())", "attributes": {"enabled": true}}"#
                )
            }
            return json(
                #"{"key": {"e": "AQAB", "n": "xyz", "kty": "RSA", "key_ops": ["sign", "verify"], "kid": "\#(vault)/keys/k/1"}, "attributes": {"enabled": true}, "tags": {"a": "b"}}"#
            )
        }
        #expect(try await client.getSecret(ExternalSecretDataRemoteRef(key: "cert/tls")) == der)
        let key = try await client.getSecret(ExternalSecretDataRemoteRef(key: "key/k"))
        #expect(
            String(decoding: key, as: UTF8.self)
                == #"{"kid":"https://unit.vault.azure.net/keys/k/1","kty":"RSA","key_ops":["sign","verify"],"n":"xyz","e":"AQAB"}"#
        )
        #expect(
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "key/k", property: "kty")) == Data("RSA".utf8))
        await expectError(.unsupported, containing: ["dataFrom", "certificate"]) {
            _ = try await client.getSecretMap(ExternalSecretDataRemoteRef(key: "cert/tls"))
        }
        await expectError(.invalidConfiguration, containing: ["unknown Azure Keyvault object Type for x"]) {
            _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "blob/x"))
        }
    }

    @Test func tagsAndAttributesWithMetadataPolicyFetch() async throws {
        let (client, _) = try await makeClient { _ in
            secretBundle("db", value: canary, tags: #"{"team": "a", "json": "{\"k\": \"v\"}"}"#, exp: 1_800_000_000)
        }
        let all = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db", metadataPolicy: .fetch))
        let object = try JSONSerialization.jsonObject(with: all) as? [String: String]
        #expect(object?["team"] == "a")
        #expect(object?["attribute.expires"] == "2027-01-15T08:00:00Z")
        #expect(object?["attribute.created"] == "2023-11-14T22:13:20Z")
        #expect(object?.values.contains(canary) == false)
        #expect(
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "db", property: "team", metadataPolicy: .fetch))
                == Data("a".utf8))
        #expect(
            try await client.getSecret(
                ExternalSecretDataRemoteRef(key: "db", property: "json.k", metadataPolicy: .fetch)) == Data("v".utf8))
        await expectError(.notFound, containing: ["tag nope does not exist"]) {
            _ = try await client.getSecret(
                ExternalSecretDataRemoteRef(key: "db", property: "nope", metadataPolicy: .fetch))
        }
        let map = try await client.getSecretMap(ExternalSecretDataRemoteRef(key: "db", metadataPolicy: .fetch))
        #expect(map["db_team"] == Data("a".utf8))
        #expect(map["db_json_k"] == Data("v".utf8))
        #expect(map["db_attribute.expires"] == Data("2027-01-15T08:00:00Z".utf8))
    }

    @Test func errorsNameTheVaultTheObjectAndThePermission() async throws {
        let (client, _) = try await makeClient { request in
            if request.url.contains("/secrets/missing") {
                return vaultError(
                    .notFound, "SecretNotFound", "A secret with (name/id) missing was not found in this key vault.")
            }
            return vaultError(
                .forbidden, "Forbidden",
                "The user, group or application 'appid=client-1' does not have secrets get permission on key vault 'unit;location=westeurope'."
            )
        }
        await expectError(.notFound, containing: ["missing", vault]) {
            _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "missing"))
        }
        await expectError(.accessDenied, containing: ["\"locked\"", vault, "secrets get permission"]) {
            _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "locked"))
        }
    }

    @Test func throttlingIsRetriedWithBackoffThenReported() async throws {
        let sleeps = Sleeps()
        let calls = Mutex(0)
        let (client, _) = try await makeClient(sleeps: sleeps) { _ in
            let n = calls.withLock {
                $0 += 1; return $0
            }
            if n == 1 {
                return vaultError(
                    .tooManyRequests, "Throttled", "Request was not processed because too many requests were received.")
            }
            if n == 2 {
                return json(
                    #"{"error": {"code": "Throttled", "message": "slow down"}}"#, status: .tooManyRequests,
                    headers: [("Retry-After", "2")])
            }
            if n == 3 { return vaultError(.serviceUnavailable, "ServiceUnavailable", "try later") }
            if n == 4 { return secretBundle("db", value: "v") }
            return vaultError(.tooManyRequests, "Throttled", "always")
        }
        #expect(try await client.getSecret(ExternalSecretDataRemoteRef(key: "db")) == Data("v".utf8))
        #expect(sleeps.all == [.milliseconds(200), .seconds(2), .milliseconds(800)])
        await expectError(.throttled, containing: ["Throttled"]) {
            _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db"))
        }
        #expect(calls.withLock { $0 } == 8)
    }

    @Test func findFollowsNextLinkAndFiltersByNameTagsAndEnabled() async throws {
        let page1 =
            #"{"value": [{"id": "\#(vault)/secrets/app-1", "attributes": {"enabled": true}, "tags": {"team": "a"}}, {"id": "\#(vault)/secrets/off", "attributes": {"enabled": false}, "tags": {"team": "a"}}, {"id": "\#(vault)/secrets/db", "attributes": {"enabled": true}, "tags": {"team": "b"}}], "nextLink": "https://unit.vault.azure.net:443/secrets?api-version=7.4&$skiptoken=abc&maxresults=25"}"#
        let page2 =
            #"{"value": [{"id": "\#(vault)/secrets/app-2", "attributes": {"enabled": true}, "tags": {"team": "a"}}], "nextLink": null}"#
        let (client, transport) = try await makeClient { request in
            if request.url.contains("skiptoken") { return json(page2) }
            if request.url.contains("/secrets?") { return json(page1) }
            let name = String(request.url.split(separator: "/").last!.split(separator: "?").first!)
            return secretBundle(name, value: "value-of-\(name)")
        }
        let byName = try await client.getAllSecrets(ExternalSecretFind(name: FindName(regexp: "^app-")))
        #expect(byName == ["app-1": Data("value-of-app-1".utf8), "app-2": Data("value-of-app-2".utf8)])
        let byTag = try await client.getAllSecrets(ExternalSecretFind(tags: ["team": "b"]))
        #expect(byTag == ["db": Data("value-of-db".utf8)])
        #expect(transport.requests.contains { $0.url == "\(vault)/secrets?api-version=7.4&maxresults=25" })
    }

    /// Key Vault writes nextLinks with the default port (`https://NAME.vault.azure.net:443/...`,
    /// as its public recordings show); only links to another origin are refused.
    @Test(arguments: [
        ("https://v.vault.azure.net:443/secrets?api-version=7.4&$skiptoken=x", true),
        ("https://v.vault.azure.net/secrets?api-version=7.4", true),
        ("https://V.Vault.Azure.Net:443/secrets", true),
        ("https://v.vault.azure.net:8443/secrets", false),
        ("http://v.vault.azure.net/secrets", false),
        ("https://v.vault.azure.net.evil.example/secrets", false),
        ("https://evil.example/secrets?https://v.vault.azure.net", false),
    ])
    func nextLinksAreFollowedOnlyWithinTheVault(link: String, followed: Bool) {
        #expect(AzureKeyVaultClient.isSameOrigin(link, as: "https://v.vault.azure.net") == followed)
    }

    @Test func aNextLinkOutsideTheVaultIsNotFollowed() async throws {
        let (client, transport) = try await makeClient { _ in
            json(#"{"value": [], "nextLink": "https://elsewhere.example/secrets?x=1"}"#)
        }
        await expectError(.invalidData, containing: ["nextLink outside the vault"]) {
            _ = try await client.getAllSecrets(ExternalSecretFind(name: FindName(regexp: ".*")))
        }
        #expect(!transport.requests.contains { $0.url.contains("elsewhere") })
    }
}

struct AzurePushTests {
    @Test func aNewSecretGetsTheManagedByTagContentTypeAndExpiry() async throws {
        let (client, transport) = try await makeClient { request in
            request.method == .GET
                ? vaultError(.notFound, "SecretNotFound", "not found") : secretBundle("db", value: "x")
        }
        let metadata: JSONValue = [
            "apiVersion": "kubernetes.external-secrets.io/v1alpha1", "kind": "PushSecretMetadata",
            "spec": ["expirationDate": "2030-01-01T00:00:00Z", "contentType": "text/plain", "tags": ["team": "a"]],
        ]
        try await client.pushSecret(.value(Data(canary.utf8)), to: PushTarget(remoteKey: "db", metadata: metadata))
        let put = try #require(transport.requests.last)
        #expect(put.method == .PUT && put.url == "\(vault)/secrets/db?api-version=7.4")
        let body = try JSONSerialization.jsonObject(with: Data(put.body ?? [])) as? [String: Any]
        #expect((body?["value"] as? String).map { Data($0.utf8) } == Data(canary.utf8))
        #expect(body?["contentType"] as? String == "text/plain")
        #expect(body?["tags"] as? [String: String] == ["managed-by": "external-secrets", "team": "a"])
        let attributes = body?["attributes"] as? [String: Any]
        #expect(attributes?["exp"] as? Int == 1_893_456_000 && attributes?["enabled"] as? Bool == true)
    }

    @Test func anUnmanagedSecretIsNeitherChangedNorDeleted() async throws {
        let (client, transport) = try await makeClient { _ in
            secretBundle("db", value: "theirs", tags: #"{"owner": "ops"}"#)
        }
        await expectError(.notManaged, containing: ["\"db\"", "not managed by external-secrets"]) {
            try await client.pushSecret(.value(Data("mine".utf8)), to: PushTarget(remoteKey: "db"))
        }
        await expectError(.notManaged) { try await client.deleteSecret(PushTarget(remoteKey: "db")) }
        #expect(transport.requests.allSatisfy { $0.method == .GET || isToken($0) })
    }

    @Test func anUnchangedValueIsNotWrittenAgainAndAPropertyIsMerged() async throws {
        let (client, transport) = try await makeClient { request in
            request.method == .GET
                ? secretBundle("db", value: #"{"a":"1"}"#, tags: #"{"managed-by": "external-secrets"}"#)
                : secretBundle("db", value: "")
        }
        try await client.pushSecret(.value(Data(#"{"a":"1"}"#.utf8)), to: PushTarget(remoteKey: "db"))
        try await client.pushSecret(.value(Data("1".utf8)), to: PushTarget(remoteKey: "db", property: "a"))
        #expect(!transport.requests.contains { $0.method == .PUT })
        try await client.pushSecret(.value(Data("2".utf8)), to: PushTarget(remoteKey: "db", property: "b"))
        let put = try #require(transport.requests.last)
        let body = try JSONSerialization.jsonObject(with: Data(put.body ?? [])) as? [String: Any]
        let value =
            try JSONSerialization.jsonObject(with: Data(((body?["value"] as? String) ?? "").utf8)) as? [String: String]
        #expect(value == ["a": "1", "b": "2"])
    }

    @Test func deleteAndExistsAcrossObjectKinds() async throws {
        let (client, transport) = try await makeClient { request in
            if request.url.contains("/secrets/gone") { return vaultError(.notFound, "SecretNotFound", "gone") }
            if request.method == .DELETE { return json("{}") }
            if request.url.contains("/keys/") {
                return json(
                    #"{"key": {"kty": "RSA"}, "attributes": {"enabled": true}, "tags": {"managed-by": "external-secrets"}}"#
                )
            }
            return secretBundle("db", value: "v", tags: #"{"managed-by": "external-secrets"}"#)
        }
        #expect(try await client.secretExists(PushTarget(remoteKey: "db")))
        #expect(try await client.secretExists(PushTarget(remoteKey: "gone")) == false)
        try await client.deleteSecret(PushTarget(remoteKey: "gone"))
        try await client.deleteSecret(PushTarget(remoteKey: "key/k"))
        try await client.deleteSecret(PushTarget(remoteKey: "db"))
        let deletes = transport.requests.filter { $0.method == .DELETE }.map(\.url)
        #expect(deletes == ["\(vault)/keys/k?api-version=7.4", "\(vault)/secrets/db?api-version=7.4"])
    }

    @Test(arguments: [
        (
            #"{"kind": "PushSecretMetadata", "spec": {"tags": {"managed-by": "me"}}}"#,
            "Cannot specify a 'managed-by' tag"
        ),
        (#"{"kind": "PushSecretMetadata", "spec": {"expirationDate": "tomorrow"}}"#, "error parsing expiration date"),
        (#"{"kind": "Other", "spec": {}}"#, "unexpected kind"),
    ])
    func badMetadataIsRefused(text: String, message: String) throws {
        let metadata = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect {
            try AzurePushMetadata.parse(metadata)
        } throws: { error in
            (error as? ProviderError)?.message.contains(message) == true
        }
    }
}
