import ExternalSecretsAPI
import Foundation
import GoCompat
import HTTPSupport
import NIOHTTP1
import ProviderKit

/// How long before its expiry a Google access token is renewed.
let gcpTokenRenewalMargin: TimeInterval = 60

/// The token requests of each way to authenticate.
enum GCPTokenRequests {
    private struct TokenAnswer: Decodable {
        var access_token: String?
        var expires_in: Int?
        var error: String?
        var error_description: String?
    }

    /// The OAuth 2.0 JWT bearer grant of a service-account key at its `token_uri`.
    static func serviceAccountKey(
        _ key: GCPServiceAccountKey, transport: any HTTPTransport, now: @Sendable () -> Date, timeout: Duration
    ) async throws -> (token: String, expiry: Date) {
        let issued = now()
        let assertion = try key.assertion(issuedAt: issued)
        let form =
            "grant_type=\(GCPRequests.queryEscape("urn:ietf:params:oauth:grant-type:jwt-bearer"))&assertion=\(assertion)"
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let request = HTTPRequest(method: .POST, url: key.tokenURI, headers: headers, body: Array(form.utf8))
        return try await oauthToken(
            request, transport: transport, issued: issued, timeout: timeout, call: .token,
            refused: "the token endpoint refused the service-account key of \(key.clientEmail)")
    }

    /// GKE Workload Identity as ESO does it: the Kubernetes ServiceAccount's token (audience the
    /// identity pool) exchanged at the Security Token Service for a federated token; with the
    /// ServiceAccount's `iam.gke.io/gcp-service-account` annotation, that Google service account's
    /// token from IAM Credentials `generateAccessToken`, else the federated token itself.
    static func workloadIdentity(
        _ identity: GCPStoreSettings.WorkloadIdentity, references: any ReferenceReader, endpoints: GCPEndpoints,
        transport: any HTTPTransport, now: @Sendable () -> Date, timeout: Duration
    ) async throws -> (token: String, expiry: Date) {
        let field = "\(GCPStoreSettings.field).auth.workloadIdentity.serviceAccountRef"
        let annotations = try await references.serviceAccountAnnotations(identity.serviceAccount, field: field)
        let kubernetesToken: String
        do {
            kubernetesToken = try await references.serviceAccountToken(
                identity.serviceAccount, audiences: [identity.pool] + (identity.serviceAccount.audiences ?? []),
                field: field)
        } catch let error as ProviderError {
            throw ProviderError(error.code, "unable to fetch pod token: \(error.message)")
        }
        GCPMetrics.call(.generateSAToken, failed: false)
        let issued = now()
        let body = GoJSONValue.object([
            "grant_type": .string("urn:ietf:params:oauth:grant-type:token-exchange"),
            "subject_token_type": .string("urn:ietf:params:oauth:token-type:jwt"),
            "requested_token_type": .string("urn:ietf:params:oauth:token-type:access_token"),
            "subject_token": .string(kubernetesToken),
            "audience": .string("identitynamespace:\(identity.pool):\(identity.provider)"),
            "scope": .string(GCPServiceAccountKey.cloudPlatformScope),
        ])
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        let federated = try await oauthToken(
            HTTPRequest(
                method: .POST, url: "\(endpoints.sts)/v1/token", headers: headers,
                body: body.marshal(numbers: .literal, escapeHTML: false)),
            transport: transport, issued: issued, timeout: timeout, call: .generateIDBindToken,
            refused: "unable to fetch identitybindingtoken for ServiceAccount \(identity.serviceAccount.name)")
        guard let googleAccount = annotations[GCPStoreSettings.WorkloadIdentity.annotation], !googleAccount.isEmpty
        else {
            return federated
        }
        return try await impersonate(
            googleAccount, with: federated, endpoints: endpoints, transport: transport, timeout: timeout)
    }

    /// Workload Identity Federation with a Kubernetes ServiceAccount as ESO does it (Go's
    /// `externalaccount` with a subject-token supplier): the ServiceAccount's token (its
    /// `audiences`) exchanged at the STS for `audience` (form body), then, with
    /// `gcpServiceAccountEmail` or the ServiceAccount's `iam.gke.io/gcp-service-account`
    /// annotation, that Google service account's token.
    static func federation(
        _ federation: GCPStoreSettings.Federation, references: any ReferenceReader, endpoints: GCPEndpoints,
        transport: any HTTPTransport, now: @Sendable () -> Date, timeout: Duration
    ) async throws -> (token: String, expiry: Date) {
        let field = "\(GCPStoreSettings.field).auth.workloadIdentityFederation.serviceAccountRef"
        var googleAccount = federation.googleServiceAccount
        if googleAccount == nil {
            let annotations = try await references.serviceAccountAnnotations(federation.serviceAccount, field: field)
            googleAccount = annotations[GCPStoreSettings.WorkloadIdentity.annotation].flatMap { $0.isEmpty ? nil : $0 }
        }
        let kubernetesToken: String
        do {
            kubernetesToken = try await references.serviceAccountToken(
                federation.serviceAccount, audiences: federation.serviceAccount.audiences ?? [], field: field)
        } catch let error as ProviderError {
            throw ProviderError(error.code, "unable to fetch pod token: \(error.message)")
        }
        GCPMetrics.call(.generateSAToken, failed: false)
        let issued = now()
        let form = [
            ("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"), ("audience", federation.audience),
            ("scope", GCPServiceAccountKey.cloudPlatformScope),
            ("requested_token_type", "urn:ietf:params:oauth:token-type:access_token"),
            ("subject_token", kubernetesToken), ("subject_token_type", "urn:ietf:params:oauth:token-type:jwt"),
        ].map { "\($0.0)=\(GCPRequests.queryEscape($0.1))" }.joined(separator: "&")
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let federated = try await oauthToken(
            HTTPRequest(method: .POST, url: "\(endpoints.sts)/v1/token", headers: headers, body: Array(form.utf8)),
            transport: transport, issued: issued, timeout: timeout, call: .generateIDBindToken,
            refused: "the Security Token Service refused the token of ServiceAccount \(federation.serviceAccount.name)")
        guard let googleAccount else { return federated }
        return try await impersonate(
            googleAccount, with: federated, endpoints: endpoints, transport: transport, timeout: timeout)
    }

    /// IAM Credentials `generateAccessToken` for `googleAccount`, authorized by `federated`.
    private static func impersonate(
        _ googleAccount: String, with federated: (token: String, expiry: Date), endpoints: GCPEndpoints,
        transport: any HTTPTransport, timeout: Duration
    ) async throws -> (token: String, expiry: Date) {
        var iamHeaders = HTTPHeaders()
        iamHeaders.add(name: "Content-Type", value: "application/json")
        iamHeaders.add(name: "Authorization", value: "Bearer \(federated.token)")
        let request = HTTPRequest(
            method: .POST,
            url:
                "\(endpoints.iamCredentials)/v1/projects/-/serviceAccounts/\(GCPRequests.segment(googleAccount)):generateAccessToken",
            headers: iamHeaders,
            body: GoJSONValue.object(["scope": .array([.string(GCPServiceAccountKey.cloudPlatformScope)])])
                .marshal(numbers: .literal))
        let response: HTTPResponse
        do {
            response = try await transport.send(request, timeout: timeout, maxBodyBytes: 1 << 20)
        } catch let error as CancellationError {
            throw error
        } catch {
            GCPMetrics.call(.generateAccessToken, failed: true)
            throw ProviderError(
                .unavailable, "unable to generate gcp access token: \(TransportFailure.describe(error, timeout))")
        }
        struct Generated: Decodable {
            var accessToken: String?
            var expireTime: String?
        }
        guard (200..<300).contains(response.status.code),
            let generated = try? JSONDecoder().decode(Generated.self, from: Data(response.body)),
            let token = generated.accessToken, !token.isEmpty
        else {
            GCPMetrics.call(.generateAccessToken, failed: true)
            throw GCPErrors.error(response, doing: "unable to generate gcp access token for \(googleAccount)")
        }
        GCPMetrics.call(.generateAccessToken, failed: false)
        let expiry = generated.expireTime.flatMap { ISO8601DateFormatter().date(from: $0) } ?? federated.expiry
        return (token, expiry)
    }

    /// Sends an OAuth 2.0 token request (`access_token`, `expires_in`, or `error`).
    private static func oauthToken(
        _ request: HTTPRequest, transport: any HTTPTransport, issued: Date, timeout: Duration, call: GCPMetrics.Call,
        refused: String
    ) async throws -> (token: String, expiry: Date) {
        let response: HTTPResponse
        do {
            response = try await transport.send(request, timeout: timeout, maxBodyBytes: 1 << 20)
        } catch let error as CancellationError {
            throw error
        } catch {
            GCPMetrics.call(call, failed: true)
            throw ProviderError(.unavailable, "\(refused): no answer: \(TransportFailure.describe(error, timeout))")
        }
        let answer = try? JSONDecoder().decode(TokenAnswer.self, from: Data(response.body))
        guard response.status == .ok, let token = answer?.access_token, !token.isEmpty else {
            GCPMetrics.call(call, failed: true)
            let reason = [answer?.error, answer?.error_description].compactMap { $0 }.joined(separator: ": ")
            let text = "\(refused): " + (reason.isEmpty ? "HTTP \(response.status.code)" : String(reason.prefix(300)))
            switch response.status.code {
            case 429: throw ProviderError(.throttled, text)
            case 500...599: throw ProviderError(.unavailable, text)
            default: throw ProviderError.accessDenied(text)
            }
        }
        GCPMetrics.call(call, failed: false)
        return (token, issued.addingTimeInterval(TimeInterval(answer?.expires_in ?? 3600)))
    }
}

/// Where the token services are (Google's, or overrides for tests and private endpoints).
public struct GCPEndpoints: Sendable, Hashable {
    public var sts: String
    public var iamCredentials: String

    public init(sts: String? = nil, iamCredentials: String? = nil) {
        func trimmed(_ text: String?, _ fallback: String) -> String {
            guard let text, !text.isEmpty else { return fallback }
            return text.hasSuffix("/") ? String(text.dropLast()) : text
        }
        self.sts = trimmed(sts, "https://sts.googleapis.com")
        self.iamCredentials = trimmed(iamCredentials, "https://iamcredentials.googleapis.com")
    }
}

/// ESO's `externalsecret_provider_api_calls_count` for GCP Secret Manager, with ESO's names.
enum GCPMetrics {
    enum Call: String {
        case getSecret = "GetSecret"
        case deleteSecret = "DeleteSecret"
        case createSecret = "CreateSecret"
        case updateSecret = "UpdateSecret"
        case accessSecretVersion = "AccessSecretVersion"
        case addSecretVersion = "AddSecretVersion"
        case listSecrets = "ListSecrets"
        case listSecretVersions = "ListSecretVersions"
        /// The token request of a service-account key (not an ESO call: Go's oauth2 does it unseen).
        case token = "Token"
        case generateSAToken = "GenerateServiceAccountToken"
        case generateIDBindToken = "GenerateIDBindToken"
        case generateAccessToken = "GenerateAccessToken"
    }

    static func call(_ call: Call, failed: Bool) {
        ProviderCallMetric.count(provider: "GCP/SecretManager", call: call.rawValue, failed: failed)
    }
}

/// Sends Secret Manager requests with the session's token (ProviderKit's
/// ``BearerTokenConnection``: a 401 renews the token once; 429 / 503 / no answer retried with
/// jittered backoff), counting each attempt in ESO's call metric (a 404 is an answer, not a
/// failure).
struct GCPConnection: Sendable {
    let transport: any HTTPTransport
    let session: BearerTokenSession
    let retry: HTTPRetryPolicy
    let timeout: Duration

    /// Sends `request` and returns the final answer (any status); the caller maps errors.
    func send(_ request: HTTPRequest, call: GCPMetrics.Call) async throws -> HTTPResponse {
        try await BearerTokenConnection(
            transport: transport, session: session, retry: retry, timeout: timeout, service: "Secret Manager"
        ).send(request) { response in
            GCPMetrics.call(
                call, failed: response.map { !(200..<300).contains($0.status.code) && $0.status.code != 404 } ?? true)
        }
    }
}
