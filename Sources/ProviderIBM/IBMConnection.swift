import Foundation
import HTTPSupport
import ProviderKit

/// How long before its expiry an IAM token is renewed (IAM tokens live an hour; IBM's SDK cores
/// renew at 80% of the lifetime, 12 minutes before).
let ibmTokenRenewalMargin: TimeInterval = 720

/// Sends Secrets Manager requests with the session's IAM token (ProviderKit's
/// ``BearerTokenConnection``: a 401 renews the token once; 429 / 503 / no answer retried with
/// jittered backoff, or the server's `Retry-After`, bounded), counting each attempt in ESO's call
/// metric.
struct IBMConnection: Sendable {
    let transport: any HTTPTransport
    let session: BearerTokenSession
    let retry: HTTPRetryPolicy
    let timeout: Duration

    /// Sends `request` and returns the final answer (any status); the caller maps errors.
    func send(_ request: HTTPRequest, call: IBMMetrics.Call) async throws -> HTTPResponse {
        try await BearerTokenConnection(
            transport: transport, session: session, retry: retry, timeout: timeout, service: "Secrets Manager"
        ).send(request) { response in
            IBMMetrics.call(call, failed: response.map { !(200..<300).contains($0.status.code) } ?? true)
        }
    }
}

/// ESO's `externalsecret_provider_api_calls_count` for IBM Secrets Manager, with ESO's names.
enum IBMMetrics {
    enum Call: String {
        case getSecret = "GetSecret"
        case getSecretByNameType = "GetSecretByNameType"
        case listSecrets = "ListSecrets"
        case getSecretVersion = "GetSecretVersion"
        case listSecretGroups = "ListSecretGroups"
        case createSecret = "CreateSecret"
        case createSecretVersion = "CreateSecretVersion"
        case deleteSecret = "DeleteSecret"
    }

    static func call(_ call: Call, failed: Bool) {
        ProviderCallMetric.count(provider: "IBM/SecretsManager", call: call.rawValue, failed: failed)
    }
}

/// Secrets Manager's error body (`{"errors": [{"code", "message", "more_info"}], "status_code",
/// "trace"}`) as a `ProviderError`. The service's messages name no secret value; they are cut at
/// 300 characters all the same.
enum IBMErrors {
    static func details(_ response: HTTPResponse) -> (code: String, message: String) {
        struct Body: Decodable {
            struct Item: Decodable {
                var code: String?
                var message: String?
            }
            var errors: [Item]?
        }
        let first = (try? JSONDecoder().decode(Body.self, from: Data(response.body)))?.errors?.first
        let message = (first?.message ?? response.status.reasonPhrase).replacingOccurrences(of: "\n", with: " ")
        return (first?.code ?? "", String(message.prefix(300)))
    }

    /// An error answer: 404 is "not found" (it feeds `deletionPolicy`), 401 and 403 access denied
    /// (naming the IAM action and role `what` needs), 429 throttled, 5xx unavailable.
    static func error(_ response: HTTPResponse, doing what: String, permission: String) -> ProviderError {
        let (code, message) = details(response)
        let text = "\(what): \(code.isEmpty ? "HTTP \(response.status.code)" : code): \(message)"
        switch response.status.code {
        case 404: return .notFound(text)
        case 401, 403: return .accessDenied("\(text) (needs \(permission))")
        case 409: return ProviderError(.conflict, text)
        case 429: return ProviderError(.throttled, text)
        case 500...599: return ProviderError(.unavailable, text)
        default: return ProviderError(.other, text)
        }
    }

    /// The IAM action and service role that reading a secret's data needs.
    static let readPermission = "IAM action secrets-manager.secret.read, granted by the SecretsReader role"
    /// The IAM actions and service roles that PushSecret needs.
    static let createPermission = "IAM action secrets-manager.secret.create, granted by the Writer role"
    static let rotatePermission = "IAM action secrets-manager.secret.rotate, granted by the Writer role"
    static let deletePermission = "IAM action secrets-manager.secret.delete, granted by the Manager role"
    static let groupsPermission = "IAM action secrets-manager.secret-groups.list, granted by the Reader role"
    /// The IAM action and service role that listing secrets needs.
    static let listPermission = "IAM action secrets-manager.secrets.list, granted by the Reader role"
}
