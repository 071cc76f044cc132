import Foundation
import HTTPSupport
import ProviderKit

/// Sends Key Vault requests with the session's token (ProviderKit's ``BearerTokenConnection``:
/// a 401 renews the token once; 429 / 503 / no answer retried with jittered backoff), counting
/// each attempt in ESO's call metric (a 404 is an answer, not a failure).
struct AzureConnection: Sendable {
    let transport: any HTTPTransport
    let session: BearerTokenSession
    let retry: HTTPRetryPolicy
    let timeout: Duration

    /// Sends `request` and returns the final answer (any status); the caller maps errors.
    func send(_ request: HTTPRequest, call: AzureMetrics.Call) async throws -> HTTPResponse {
        try await BearerTokenConnection(
            transport: transport, session: session, retry: retry, timeout: timeout, service: "Key Vault"
        ).send(request) { response in
            AzureMetrics.call(
                call, failed: response.map { !(200..<300).contains($0.status.code) && $0.status.code != 404 } ?? true)
        }
    }
}

/// ESO's `externalsecret_provider_api_calls_count` for Azure Key Vault, with ESO's names.
enum AzureMetrics {
    enum Call: String {
        case getKey = "GetKey"
        case deleteKey = "DeleteKey"
        case importKey = "ImportKey"
        case getSecret = "GetSecret"
        case getSecrets = "GetSecrets"
        case setSecret = "SetSecret"
        case deleteSecret = "DeleteSecret"
        case getCertificate = "GetCertificate"
        case importCertificate = "ImportCertificate"
        case deleteCertificate = "DeleteCertificate"
    }

    static func call(_ call: Call, failed: Bool) {
        ProviderCallMetric.count(provider: "Azure/KeyVault", call: call.rawValue, failed: failed)
    }
}

/// Key Vault's JSON error body (`{"error": {"code", "message", "innererror"}}`) as a
/// `ProviderError`. Key Vault's messages name the vault, the object and the missing permission,
/// never a secret value; they are cut at 500 characters all the same.
enum AzureErrors {
    static func details(_ response: HTTPResponse) -> (code: String, message: String) {
        struct Body: Decodable {
            struct Inner: Decodable {
                var code: String?
                var message: String?
            }
            var error: Inner?
        }
        let inner = (try? JSONDecoder().decode(Body.self, from: Data(response.body)))?.error
        let message = (inner?.message ?? response.status.reasonPhrase).replacingOccurrences(of: "\r\n", with: " ")
        return (inner?.code ?? "", String(message.prefix(500)))
    }

    /// An error answer: 404 is "not found" (it feeds `deletionPolicy`), 401 and 403 access denied,
    /// 429 throttled, 409 a conflict (such as a name held by a deleted, recoverable object), 5xx
    /// unavailable.
    static func error(_ response: HTTPResponse, doing what: String) -> ProviderError {
        let (code, message) = details(response)
        let text = "\(what): \(code.isEmpty ? "HTTP \(response.status.code)" : code): \(message)"
        switch response.status.code {
        case 404: return .notFound(text)
        case 401, 403: return .accessDenied(text)
        case 429: return ProviderError(.throttled, text)
        case 409: return ProviderError(.conflict, text)
        case 500...599: return ProviderError(.unavailable, text)
        default: return ProviderError(.other, text)
        }
    }
}
