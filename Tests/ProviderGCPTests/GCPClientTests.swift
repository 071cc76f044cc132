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

@testable import ProviderGCP

/// A value that must never show up in an error description.
let canary = "CANARY-gcp-2b7c"

/// One RSA key for the whole test run (generating one takes a while).
let signingKey = try! _RSA.Signing.PrivateKey(keySize: .bits2048)

func keyFile(email: String = "reader@proj.iam.gserviceaccount.com", tokenURI: String? = "https://token.test/token")
    -> String
{
    var file: [String: String] = [
        "type": "service_account", "project_id": "key-project", "private_key_id": "kid-1",
        "private_key": signingKey.pkcs8PEMRepresentation, "client_email": email,
    ]
    if let tokenURI { file["token_uri"] = tokenURI }
    return String(decoding: try! JSONSerialization.data(withJSONObject: file), as: UTF8.self)
}

let keyRef = GCPSMAuth(
    secretRef: GCPSMAuthSecretRef(secretAccessKeySecretRef: SecretKeySelector(name: "gcp", key: "key.json")))

func gcpStore(_ gcp: GCPSMProvider, kind: StoreKind = .secretStore) -> StoreContext {
    .fixture(SecretStoreProvider(gcpsm: gcp), kind: kind, name: "gcp", namespace: "team", caller: "team")
}

func json(_ text: String, status: HTTPResponseStatus = .ok) -> ScriptedTransport.Reply {
    .respond(status, headers: ["Content-Type": "application/json"], body: Array(text.utf8))
}

func googleError(_ code: Int, _ status: String, _ message: String) -> ScriptedTransport.Reply {
    json(
        #"{"error": {"code": \#(code), "message": "\#(message)", "status": "\#(status)"}}"#,
        status: HTTPResponseStatus(statusCode: code))
}

func access(_ value: String, version: Int = 1) -> ScriptedTransport.Reply {
    json(
        #"{"name": "projects/1/secrets/s/versions/\#(version)", "payload": {"data": "\#(Data(value.utf8).base64EncodedString())"}}"#
    )
}

let tokenReply = json(#"{"access_token": "ya29.test", "expires_in": 3599, "token_type": "Bearer"}"#)

final class Sleeps: Sendable {
    private let recorded = Mutex<[Duration]>([])
    func append(_ duration: Duration) { recorded.withLock { $0.append(duration) } }
    var all: [Duration] { recorded.withLock { $0 } }
}

/// A client whose token endpoint answers `tokenReply`, every other request by `api`.
func makeClient(
    _ gcp: GCPSMProvider = GCPSMProvider(auth: keyRef, projectID: "proj"), sleeps: Sleeps = Sleeps(),
    clock: TestClock? = nil,
    _ api: @escaping @Sendable (HTTPRequest) -> ScriptedTransport.Reply
) async throws -> (any SecretsClient, ScriptedTransport) {
    let transport = ScriptedTransport { request in
        request.url == "https://token.test/token" ? tokenReply : api(request)
    }
    let provider = GCPSecretsProvider(
        transport: { _ in (transport, {}) }, now: { clock?.now ?? Date() },
        retry: HTTPRetryPolicy(sleep: { sleeps.append($0) }, jitter: { 1 }))
    let client = try await provider.makeClient(
        for: gcpStore(gcp), references: FakeReferences(secrets: ["gcp/key.json": keyFile()]))
    return (client, transport)
}

extension HTTPRequest {
    var bodyJSON: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body ?? [])) as? [String: Any]) ?? [:] }
    var path: String { String(url.dropFirst("https://secretmanager.googleapis.com".count)) }
}

struct GCPAuthTests {
    @Test func theAssertionIsAnRS256JWTThatVerifiesWithTheKey() throws {
        let key = try GCPServiceAccountKey.parse(Data(keyFile().utf8), field: "f")
        let assertion = try key.assertion(issuedAt: Date(timeIntervalSince1970: 1_700_000_000))
        let parts = assertion.split(separator: ".").map(String.init)
        #expect(parts.count == 3)
        func decode(_ text: String) -> Data {
            var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
            return Data(base64Encoded: base64)!
        }
        let header = try JSONSerialization.jsonObject(with: decode(parts[0])) as? [String: String]
        #expect(header == ["alg": "RS256", "typ": "JWT", "kid": "kid-1"])
        let claims = try JSONSerialization.jsonObject(with: decode(parts[1])) as? [String: Any]
        #expect(claims?["iss"] as? String == "reader@proj.iam.gserviceaccount.com")
        #expect(claims?["aud"] as? String == "https://token.test/token")
        #expect(claims?["scope"] as? String == "https://www.googleapis.com/auth/cloud-platform")
        #expect(claims?["iat"] as? Int == 1_700_000_000)
        #expect(claims?["exp"] as? Int == 1_700_003_600)
        let signature = _RSA.Signing.RSASignature(rawRepresentation: decode(parts[2]))
        #expect(
            signingKey.publicKey.isValidSignature(
                signature, for: Data("\(parts[0]).\(parts[1])".utf8), padding: .insecurePKCS1v1_5))
    }

    @Test func aKeyFileWithoutTokenURIUsesGooglesEndpoint() throws {
        let key = try GCPServiceAccountKey.parse(Data(keyFile(tokenURI: nil).utf8), field: "f")
        #expect(key.tokenURI == "https://oauth2.googleapis.com/token")
    }

    @Test(arguments: ["not json", #"{"type": "authorized_user"}"#, #"{"client_email": "a", "private_key": "x"}"#])
    func badKeyFilesAreRefusedWithoutQuotingThem(file: String) {
        #expect {
            try GCPServiceAccountKey.parse(Data(file.utf8), field: "auth")
        } throws: { error in
            guard let error = error as? ProviderError else { return false }
            return error.code == .invalidConfiguration && !error.message.contains("private_key\": \"x")
        }
    }

    @Test func oneTokenServesManyCallsAndIsRenewedBeforeItExpires() async throws {
        let clock = TestClock()
        let (client, transport) = try await makeClient(clock: clock) { _ in access("v") }
        for _ in 0..<5 { _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "s")) }
        #expect(transport.requests.filter { $0.url.hasSuffix("/token") }.count == 1)
        let apiCall = try #require(transport.requests.last)
        #expect(apiCall.headers.first(name: "Authorization") == "Bearer ya29.test")
        clock.advance(by: 3599 - 30)
        _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "s"))
        #expect(transport.requests.filter { $0.url.hasSuffix("/token") }.count == 2)
        let form = String(decoding: transport.requests.first?.body ?? [], as: UTF8.self)
        #expect(form.hasPrefix("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion="))
    }

    @Test func aRefusedKeyFailsTheStoreWithTheReason() async throws {
        let transport = ScriptedTransport { _ in
            json(#"{"error": "invalid_grant", "error_description": "Invalid JWT Signature."}"#, status: .badRequest)
        }
        let provider = GCPSecretsProvider(transport: { _ in (transport, {}) })
        await #expect {
            _ = try await provider.makeClient(
                for: gcpStore(GCPSMProvider(auth: keyRef, projectID: "p")),
                references: FakeReferences(secrets: ["gcp/key.json": keyFile()]))
        } throws: { error in
            guard let error = error as? ProviderError else { return false }
            return error.code == .accessDenied && error.message.contains("invalid_grant: Invalid JWT Signature.")
                && error.message.contains("reader@proj.iam.gserviceaccount.com")
        }
    }

    @Test func aClusterStoreReadingItsKeyPerNamespaceValidatesAsUnknown() async throws {
        let store = StoreContext.fixture(
            SecretStoreProvider(gcpsm: GCPSMProvider(auth: keyRef, projectID: "p")), kind: .clusterSecretStore,
            name: "gcp")
        let references = FakeReferences()
        let client = try await GCPSecretsProvider().makeClient(for: store, references: references)
        #expect(try await client.validate() == .unknown)
        #expect(references.asked.isEmpty)
        await #expect(throws: ProviderError.self) { try await client.getSecret(ExternalSecretDataRemoteRef(key: "k")) }
    }

    @Test func withoutAuthTheOperatorsKeyFileIsUsed() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gcp-key-\(UUID().uuidString).json")
            .path
        try Data(keyFile().utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let transport = ScriptedTransport { request in
            request.url == "https://token.test/token" ? tokenReply : access("v")
        }
        let provider = GCPSecretsProvider(transport: { _ in (transport, {}) }, defaultCredentialsFile: path)
        // No projectID either: the key file's project.
        let client = try await provider.makeClient(for: gcpStore(GCPSMProvider()), references: FakeReferences())
        #expect(try await client.getSecret(ExternalSecretDataRemoteRef(key: "k")) == Data("v".utf8))
        #expect(transport.requests.last?.path == "/v1/projects/key-project/secrets/k/versions/latest:access")
        await #expect {
            _ = try await GCPSecretsProvider().makeClient(for: gcpStore(GCPSMProvider()), references: FakeReferences())
        } throws: { error in
            (error as? ProviderError)?.message.contains("GOOGLE_APPLICATION_CREDENTIALS") == true
        }
    }

    @Test func aServerThatNeverAnswersIsReportedAsATimeout() async throws {
        let (client, transport) = try await makeClient { _ in .fail(HTTPTransportError.timedOut(after: .seconds(30))) }
        await #expect {
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "k"))
        } throws: { error in
            guard let error = error as? ProviderError else { return false }
            return error.code == .unavailable && error.message.contains("timed out")
        }
        // The first try and three retries.
        #expect(transport.requests.filter { !$0.url.hasSuffix("/token") }.count == 4)
    }

    static let identity = GCPWorkloadIdentity(
        serviceAccountRef: ServiceAccountSelector(name: "gcp-reader", audiences: ["extra"]),
        clusterLocation: "europe-west1",
        clusterName: "prod", clusterProjectID: "cluster-proj")

    func workloadIdentityClient(annotations: [String: String]) async throws -> (
        any SecretsClient, ScriptedTransport, FakeReferences
    ) {
        let transport = ScriptedTransport { request in
            switch request.url {
            case "https://sts.test/v1/token":
                return json(
                    #"{"access_token": "ya29.federated", "issued_token_type": "urn:ietf:params:oauth:token-type:access_token", "token_type": "Bearer", "expires_in": 3600}"#
                )
            case let url where url.hasPrefix("https://iam.test/"):
                return json(#"{"accessToken": "ya29.impersonated", "expireTime": "2099-01-01T00:00:00Z"}"#)
            default:
                return access("v")
            }
        }
        let references = FakeReferences(tokens: ["k8s-token"], annotations: ["gcp-reader": annotations])
        let provider = GCPSecretsProvider(
            transport: { _ in (transport, {}) },
            tokenEndpoints: GCPEndpoints(sts: "https://sts.test", iamCredentials: "https://iam.test/"))
        let client = try await provider.makeClient(
            for: gcpStore(GCPSMProvider(auth: GCPSMAuth(workloadIdentity: Self.identity), projectID: "proj")),
            references: references)
        return (client, transport, references)
    }

    @Test func workloadIdentityExchangesTheServiceAccountTokenThenImpersonates() async throws {
        let (client, transport, references) = try await workloadIdentityClient(
            annotations: ["iam.gke.io/gcp-service-account": "gsa@proj.iam.gserviceaccount.com"])
        #expect(try await client.getSecret(ExternalSecretDataRemoteRef(key: "k")) == Data("v".utf8))
        #expect(references.asked == ["token gcp-reader [\"cluster-proj.svc.id.goog\", \"extra\"]"])
        let sts = try #require(transport.requests.first)
        #expect(
            sts.bodyJSON as? [String: String] == [
                "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
                "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
                "requested_token_type": "urn:ietf:params:oauth:token-type:access_token",
                "subject_token": "k8s-token",
                "audience":
                    "identitynamespace:cluster-proj.svc.id.goog:https://container.googleapis.com/v1/projects/cluster-proj/locations/europe-west1/clusters/prod",
                "scope": "https://www.googleapis.com/auth/cloud-platform",
            ])
        let iam = transport.requests[1]
        #expect(
            iam.url
                == "https://iam.test/v1/projects/-/serviceAccounts/gsa%40proj.iam.gserviceaccount.com:generateAccessToken"
        )
        #expect(iam.headers.first(name: "Authorization") == "Bearer ya29.federated")
        #expect(transport.requests.last?.headers.first(name: "Authorization") == "Bearer ya29.impersonated")
    }

    @Test func workloadIdentityWithoutTheAnnotationUsesTheFederatedToken() async throws {
        let (client, transport, _) = try await workloadIdentityClient(annotations: [:])
        _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "k"))
        #expect(transport.requests.count == 2)
        #expect(transport.requests.last?.headers.first(name: "Authorization") == "Bearer ya29.federated")
    }

    @Test func workloadIdentityNeedsTheClusterFieldsAndFederationIsRefused() {
        let missing = GCPSMProvider(
            auth: GCPSMAuth(
                workloadIdentity: GCPWorkloadIdentity(serviceAccountRef: ServiceAccountSelector(name: "sa"))),
            projectID: "p")
        #expect {
            try GCPSecretsProvider().validateStore(gcpStore(missing))
        } throws: { error in
            (error as? ProviderError)?.message.contains("unable to determine cluster location") == true
        }
        let cases: [(GCPWorkloadIdentityFederation, String)] = [
            (GCPWorkloadIdentityFederation(audience: "x"), "exactly one of credConfig"),
            (
                GCPWorkloadIdentityFederation(credConfig: ConfigMapKeySelector(name: "cm", key: "k")),
                "credConfig and awsSecurityCredentials are not supported"
            ),
            (
                GCPWorkloadIdentityFederation(serviceAccountRef: ServiceAccountSelector(name: "sa")),
                "audience must be provided"
            ),
        ]
        for (federation, message) in cases {
            #expect {
                try GCPSecretsProvider().validateStore(
                    gcpStore(GCPSMProvider(auth: GCPSMAuth(workloadIdentityFederation: federation), projectID: "p")))
            } throws: { error in
                (error as? ProviderError)?.message.contains(message) == true
            }
        }
    }

    @Test func federationExchangesTheServiceAccountTokenForTheAudienceThenImpersonates() async throws {
        let transport = ScriptedTransport { request in
            switch request.url {
            case "https://sts.test/v1/token":
                return json(#"{"access_token": "ya29.federated", "token_type": "Bearer", "expires_in": 3600}"#)
            case let url where url.hasPrefix("https://iam.test/"):
                return json(#"{"accessToken": "ya29.impersonated", "expireTime": "2099-01-01T00:00:00Z"}"#)
            default:
                return access("v")
            }
        }
        let references = FakeReferences(tokens: ["k8s-token"])
        let provider = GCPSecretsProvider(
            transport: { _ in (transport, {}) },
            tokenEndpoints: GCPEndpoints(sts: "https://sts.test", iamCredentials: "https://iam.test"))
        let audience = "//iam.googleapis.com/projects/42/locations/global/workloadIdentityPools/pool/providers/k8s"
        let federation = GCPWorkloadIdentityFederation(
            serviceAccountRef: ServiceAccountSelector(name: "app", audiences: ["pool-aud"]), audience: audience,
            gcpServiceAccountEmail: "gsa@p.iam.gserviceaccount.com")
        let client = try await provider.makeClient(
            for: gcpStore(GCPSMProvider(auth: GCPSMAuth(workloadIdentityFederation: federation), projectID: "p")),
            references: references)
        _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "k"))
        #expect(references.asked == ["token app [\"pool-aud\"]"])
        let form = String(decoding: transport.requests[0].body ?? [], as: UTF8.self)
        #expect(transport.requests[0].headers.first(name: "Content-Type") == "application/x-www-form-urlencoded")
        #expect(form.contains("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange"))
        #expect(form.contains("audience=\(GCPRequests.queryEscape(audience))"))
        #expect(
            form.contains("subject_token=k8s-token&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt"))
        #expect(transport.requests[1].url.contains("gsa%40p.iam.gserviceaccount.com:generateAccessToken"))
        #expect(transport.requests.last?.headers.first(name: "Authorization") == "Bearer ya29.impersonated")
    }
}

struct GCPReadTests {
    @Test func versionsAndPropertiesAreReadAsESOReadsThem() async throws {
        let (client, transport) = try await makeClient { request in
            access(#"{"user": "app", "password": "\#(canary)", "a.b": "dot", "nested": {"k": 1}}"#)
        }
        func get(_ property: String? = nil, version: String? = nil) async throws -> String {
            String(
                decoding: try await client.getSecret(
                    ExternalSecretDataRemoteRef(key: "db", property: property, version: version)), as: UTF8.self)
        }
        #expect(try await get("user") == "app")
        #expect(try await get("a.b") == "dot")
        #expect(try await get("nested") == #"{"k": 1}"#)
        _ = try await get(version: "3")
        _ = try await get(version: "stable")
        let paths = transport.requests.filter { !$0.url.hasSuffix("/token") }.map(\.path)
        #expect(paths[0] == "/v1/projects/proj/secrets/db/versions/latest:access")
        #expect(
            paths.suffix(2) == [
                "/v1/projects/proj/secrets/db/versions/3:access", "/v1/projects/proj/secrets/db/versions/stable:access",
            ])
        await #expect {
            try await get("missing")
        } throws: { error in
            (error as? ProviderError)?.isNotFound == true
                && (error as? ProviderError)?.message.contains(canary) == false
        }
    }

    @Test func extractExplodesTheJSONObject() async throws {
        let (client, _) = try await makeClient { _ in access(#"{"user": "app", "port": 5432, "n": null}"#) }
        #expect(
            try await client.getSecretMap(ExternalSecretDataRemoteRef(key: "db")) == [
                "user": Data("app".utf8), "port": Data("5432".utf8), "n": Data(),
            ])
    }

    @Test func regionalStoresUseTheRegionalEndpointAndNames() async throws {
        let (client, transport) = try await makeClient(
            GCPSMProvider(auth: keyRef, projectID: "proj", location: "europe-west1")
        ) { _ in access("v") }
        _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db"))
        #expect(
            transport.requests.last?.url
                == "https://secretmanager.europe-west1.rep.googleapis.com/v1/projects/proj/locations/europe-west1/secrets/db/versions/latest:access"
        )
    }

    @Test func errorsNameTheKeyAndThePermission() async throws {
        let replies = Mutex([
            googleError(404, "NOT_FOUND", "Secret [projects/1/secrets/gone] not found or has no versions."),
            googleError(
                403, "PERMISSION_DENIED",
                "Permission 'secretmanager.versions.access' denied for resource 'projects/proj/secrets/db/versions/latest' (or it may not exist)."
            ),
        ])
        let (client, _) = try await makeClient { _ in replies.withLock { $0.removeFirst() } }
        await #expect {
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "gone"))
        } throws: { error in
            (error as? ProviderError)?.isNotFound == true && "\(error)".contains("gone")
        }
        await #expect {
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "db"))
        } throws: { error in
            guard let error = error as? ProviderError else { return false }
            return error.code == .accessDenied && error.message.contains("secretmanager.versions.access")
                && error.message.contains("\"db\"")
        }
    }

    @Test func latestOrFetchFallsBackToTheNewestEnabledVersion() async throws {
        let (client, transport) = try await makeClient(
            GCPSMProvider(auth: keyRef, projectID: "proj", secretVersionSelectionPolicy: "LatestOrFetch")
        ) { request in
            if request.url.hasSuffix("latest:access") {
                return googleError(
                    400, "FAILED_PRECONDITION",
                    "Secret Version [projects/1/secrets/db/versions/3] is in DISABLED state.")
            }
            if request.url.contains("/versions?") {
                return json(
                    #"{"versions": [{"name": "projects/1/secrets/db/versions/1", "createTime": "2024-01-01T00:00:00.000001Z", "state": "ENABLED"}, {"name": "projects/1/secrets/db/versions/2", "createTime": "2024-02-01T00:00:00.000001Z", "state": "ENABLED"}]}"#
                )
            }
            return access("two", version: 2)
        }
        #expect(try await client.getSecret(ExternalSecretDataRemoteRef(key: "db")) == Data("two".utf8))
        #expect(transport.requests.last?.path == "/v1/projects/1/secrets/db/versions/2:access")
        #expect(transport.requests.contains { $0.url.contains("filter=state%3AENABLED") })
    }

    @Test func latestOrFailReportsTheDisabledVersion() async throws {
        let (client, _) = try await makeClient { _ in
            googleError(
                400, "FAILED_PRECONDITION", "Secret Version [projects/1/secrets/db/versions/3] is in DISABLED state.")
        }
        await #expect {
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "db"))
        } throws: { error in
            "\(error)".contains("DISABLED state") && (error as? ProviderError)?.isNotFound == false
        }
    }

    @Test func metadataIsReadWithFetch() async throws {
        let (client, _) = try await makeClient { _ in
            json(#"{"name": "projects/1/secrets/db", "labels": {"team": "a"}, "annotations": {"owner": "<ops>"}}"#)
        }
        func get(_ property: String) async throws -> String {
            String(
                decoding: try await client.getSecret(
                    ExternalSecretDataRemoteRef(key: "db", property: property, metadataPolicy: .fetch)), as: UTF8.self)
        }
        #expect(try await get("labels.team") == "a")
        #expect(try await get("annotations.owner") == "<ops>")
        #expect(try await get("labels") == #"{"team":"a"}"#)
        #expect(try await get("") == #"{"annotations":{"owner":"\u003cops\u003e"},"labels":{"team":"a"}}"#)
        await #expect(throws: ProviderError.self) { try await get("labels.none") }
        await #expect(throws: ProviderError.self) { try await get("other") }
    }

    @Test func findByNameFollowsPagesAndMatchesTheRegexpAndPath() async throws {
        let (client, transport) = try await makeClient { request in
            if request.url.contains("/secrets?") || request.url.hasSuffix("/secrets") {
                if request.url.contains("pageToken=p2") {
                    return json(
                        #"{"secrets": [{"name": "projects/1/secrets/app-3"}, {"name": "projects/1/secrets/other"}]}"#)
                }
                return json(
                    #"{"secrets": [{"name": "projects/1/secrets/app-1"}, {"name": "projects/1/secrets/app-2"}], "nextPageToken": "p2", "totalSize": 4}"#
                )
            }
            let key = GCPSecretsClient.secretID(of: request.path).split(separator: "/").first ?? ""
            return access("value-\(key)")
        }
        let found = try await client.getAllSecrets(
            ExternalSecretFind(path: "app", name: FindName(regexp: "^app-[13]$")))
        #expect(found == ["app-1": Data("value-app-1".utf8), "app-3": Data("value-app-3".utf8)])
        #expect(transport.requests.contains { $0.url.hasSuffix("/v1/projects/proj/secrets?filter=name%3Aapp") })
    }

    @Test func findByTagsFiltersByLabels() async throws {
        let (client, transport) = try await makeClient { request in
            if request.url.contains("/secrets?") {
                return json(#"{"secrets": [{"name": "projects/1/secrets/tagged"}]}"#)
            }
            return access("t")
        }
        let found = try await client.getAllSecrets(ExternalSecretFind(tags: ["team": "a", "env": "prod"]))
        #expect(found == ["tagged": Data("t".utf8)])
        #expect(transport.requests.contains { $0.url.hasSuffix("?filter=labels.env%3Dprod%20labels.team%3Da") })
    }

    @Test func throttlingIsRetriedWithBackoff() async throws {
        let calls = Mutex(0)
        let sleeps = Sleeps()
        let (client, _) = try await makeClient(sleeps: sleeps) { _ in
            let n = calls.withLock {
                $0 += 1; return $0
            }
            return n <= 2 ? googleError(429, "RESOURCE_EXHAUSTED", "Quota exceeded") : access("v")
        }
        #expect(try await client.getSecret(ExternalSecretDataRemoteRef(key: "s")) == Data("v".utf8))
        #expect(sleeps.all == [.milliseconds(200), .milliseconds(400)])
    }

    @Test func anExpiredTokenIsRenewedOnce() async throws {
        let calls = Mutex(0)
        let (client, transport) = try await makeClient { _ in
            let n = calls.withLock {
                $0 += 1; return $0
            }
            return n == 1
                ? googleError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.") : access("v")
        }
        #expect(try await client.getSecret(ExternalSecretDataRemoteRef(key: "s")) == Data("v".utf8))
        #expect(transport.requests.filter { $0.url.hasSuffix("/token") }.count == 2)
    }
}

/// A scripted Secret Manager holding one secret, for push tests.
final class OneSecret: Sendable {
    struct State {
        var exists: Bool
        var labels: [String: String]
        var versions: [String] = []
        var deleted = false
    }
    let state: Mutex<State>

    init(exists: Bool, labels: [String: String] = ["managed-by": "external-secrets"], versions: [String] = []) {
        state = Mutex(State(exists: exists, labels: labels, versions: versions))
    }

    func reply(_ request: HTTPRequest) -> ScriptedTransport.Reply {
        state.withLock { state in
            let path = request.path
            switch (request.method, path) {
            case (.GET, let p) where p.hasSuffix("latest:access"):
                guard let last = state.versions.last else { return googleError(404, "NOT_FOUND", "no versions") }
                return access(last, version: state.versions.count)
            case (.GET, let p) where p.contains("/versions?"):
                guard !state.versions.isEmpty else { return json("{}") }
                return json(
                    #"{"versions": [{"name": "projects/1/secrets/s/versions/\#(state.versions.count)", "createTime": "2024-01-01T00:00:00Z"}]}"#
                )
            case (.GET, let p) where p.hasSuffix(":access"):
                return access(state.versions.last ?? "", version: state.versions.count)
            case (.GET, _):
                guard state.exists else { return googleError(404, "NOT_FOUND", "Secret [s] not found.") }
                let labels = String(decoding: try! JSONSerialization.data(withJSONObject: state.labels), as: UTF8.self)
                return json(#"{"name": "projects/1/secrets/s", "etag": "\"e1\"", "labels": \#(labels)}"#)
            case (.POST, let p) where p.hasSuffix(":addVersion"):
                let payload = (request.bodyJSON["payload"] as? [String: Any])?["data"] as? String ?? ""
                state.versions.append(String(decoding: Data(base64Encoded: payload) ?? Data(), as: UTF8.self))
                return json("{}")
            case (.POST, _):
                state.exists = true
                state.labels = (request.bodyJSON["labels"] as? [String: String]) ?? [:]
                return json(
                    #"{"name": "projects/1/secrets/s", "etag": "\"e0\"", "labels": {"managed-by": "external-secrets"}}"#
                )
            case (.PATCH, _):
                state.labels = (request.bodyJSON["labels"] as? [String: String]) ?? [:]
                return json("{}")
            case (.DELETE, _):
                state.deleted = true
                return json("{}")
            default:
                return googleError(400, "INVALID_ARGUMENT", "unexpected")
            }
        }
    }
}

struct GCPPushTests {
    static func metadata(_ spec: String) throws -> JSONValue {
        try JSONDecoder().decode(
            JSONValue.self,
            from: Data(
                #"{"apiVersion":"kubernetes.external-secrets.io/v1alpha1","kind":"PushSecretMetadata","spec":\#(spec)}"#
                    .utf8))
    }

    @Test func aNewSecretIsCreatedLabelledThenGetsOneVersion() async throws {
        let remote = OneSecret(exists: false)
        let (client, transport) = try await makeClient { remote.reply($0) }
        let target = PushTarget(
            remoteKey: "s",
            metadata: try Self.metadata(
                #"{"labels": {"team": "a"}, "topics": ["projects/p/topics/t"], "replicationLocations": ["europe-west1"]}"#
            ))
        try await client.pushSecret(.value(Data("v1".utf8)), to: target)
        let create = try #require(
            transport.requests.first {
                $0.method == .POST && !$0.url.contains(":addVersion") && !$0.url.hasSuffix("/token")
            })
        #expect(create.url.hasSuffix("/v1/projects/proj/secrets?secretId=s"))
        #expect(create.bodyJSON["labels"] as? [String: String] == ["managed-by": "external-secrets"])
        #expect((create.bodyJSON["topics"] as? [[String: String]]) == [["name": "projects/p/topics/t"]])
        let replicas = ((create.bodyJSON["replication"] as? [String: Any])?["userManaged"] as? [String: Any])?[
            "replicas"]
        #expect((replicas as? [[String: String]]) == [["location": "europe-west1"]])
        #expect(remote.state.withLock { $0.labels } == ["managed-by": "external-secrets", "team": "a"])
        #expect(remote.state.withLock { $0.versions } == ["v1"])

        // The same value again: no new version.
        try await client.pushSecret(.value(Data("v1".utf8)), to: target)
        #expect(remote.state.withLock { $0.versions } == ["v1"])
        try await client.pushSecret(.value(Data("v2".utf8)), to: target)
        #expect(remote.state.withLock { $0.versions } == ["v1", "v2"])
    }

    @Test func anUnlabelledSecretIsNeverChanged() async throws {
        let remote = OneSecret(exists: true, labels: ["team": "x"], versions: ["theirs"])
        let (client, _) = try await makeClient { remote.reply($0) }
        await #expect {
            try await client.pushSecret(.value(Data("mine".utf8)), to: PushTarget(remoteKey: "s"))
        } throws: { error in
            (error as? ProviderError)?.code == .notManaged
        }
        await #expect {
            try await client.deleteSecret(PushTarget(remoteKey: "s"))
        } throws: { error in
            (error as? ProviderError)?.code == .notManaged
        }
        #expect(remote.state.withLock { $0.versions } == ["theirs"])
        #expect(!remote.state.withLock { $0.deleted })
    }

    @Test func aPropertyIsSetInTheJSONAndRemovedOnDelete() async throws {
        let remote = OneSecret(exists: true, versions: [#"{"keep":"1"}"#])
        let (client, _) = try await makeClient { remote.reply($0) }
        try await client.pushSecret(.value(Data("pw".utf8)), to: PushTarget(remoteKey: "s", property: "password"))
        #expect(remote.state.withLock { $0.versions.last } == #"{"keep":"1","password":"pw"}"#)
        #expect(try await client.secretExists(PushTarget(remoteKey: "s", property: "password")))
        try await client.deleteSecret(PushTarget(remoteKey: "s", property: "password"))
        #expect(remote.state.withLock { $0.versions.last } == #"{"keep":"1"}"#)
        #expect(!remote.state.withLock { $0.deleted })
        try await client.deleteSecret(PushTarget(remoteKey: "s"))
        #expect(remote.state.withLock { $0.deleted })
    }

    @Test func everyKeyIsPushedAsAJSONObjectOfStrings() async throws {
        let remote = OneSecret(exists: true)
        let (client, _) = try await makeClient { remote.reply($0) }
        try await client.pushSecret(
            .allKeys(["b": Data("<2>".utf8), "a": Data("1".utf8)]), to: PushTarget(remoteKey: "s"))
        #expect(remote.state.withLock { $0.versions } == [#"{"a":"1","b":"<2>"}"#])
    }

    @Test func deletingWhatIsNotThereIsDone() async throws {
        let remote = OneSecret(exists: false)
        let (client, _) = try await makeClient { remote.reply($0) }
        try await client.deleteSecret(PushTarget(remoteKey: "s"))
        #expect(try await !client.secretExists(PushTarget(remoteKey: "s")))
    }
}
