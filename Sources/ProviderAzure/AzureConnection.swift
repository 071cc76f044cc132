import Foundation
import HTTPSupport
import Metrics
import ProviderKit

/// Sends Key Vault requests with the session's token: a 401 renews the token once; throttling
/// (429) and unavailability (503) are retried with jittered exponential backoff (or the server's
/// `Retry-After`, bounded).
struct AzureConnection: Sendable {
    let transport: any HTTPTransport
    let session: BearerTokenSession
    let retry: HTTPRetryPolicy
    let timeout: Duration

    static let maximumBodyBytes = 32 << 20

    /// Sends `request` and returns the final answer (any status); the caller maps errors.
    func send(_ request: HTTPRequest, call: AzureMetrics.Call) async throws -> HTTPResponse {
        var attempt = 0
        var renewed = false
        while true {
            let token = try await session.token()
            var authorized = request
            authorized.headers.replaceOrAdd(name: "Authorization", value: "Bearer \(token)")
            let response: HTTPResponse
            do {
                response = try await transport.send(authorized, timeout: timeout, maxBodyBytes: Self.maximumBodyBytes)
            } catch let error as CancellationError {
                throw error
            } catch {
                AzureMetrics.call(call, failed: true)
                guard attempt < retry.maxRetries else {
                    throw ProviderError(.unavailable, "Key Vault did not answer: \(Self.describe(error, timeout))")
                }
                attempt += 1
                try await retry.sleep(retry.wait(before: attempt, retryAfter: nil))
                continue
            }
            AzureMetrics.call(call, failed: !(200..<300).contains(response.status.code) && response.status.code != 404)
            if response.status.code == 401, !renewed {
                renewed = true
                await session.invalidate(token)
                continue
            }
            guard response.status.code == 429 || response.status.code == 503, attempt < retry.maxRetries else {
                return response
            }
            attempt += 1
            try await retry.sleep(retry.wait(before: attempt, retryAfter: response.headers.first(name: "Retry-After")))
        }
    }

    /// Sends a token request (no bearer token), retrying throttling and unavailability likewise.
    static func sendTokenRequest(
        _ request: HTTPRequest, transport: any HTTPTransport, retry: HTTPRetryPolicy, timeout: Duration,
        refused: String
    ) async throws -> HTTPResponse {
        var attempt = 0
        while true {
            let response: HTTPResponse
            do {
                response = try await transport.send(request, timeout: timeout, maxBodyBytes: 1 << 20)
            } catch let error as CancellationError {
                throw error
            } catch {
                guard attempt < retry.maxRetries else {
                    throw ProviderError(.unavailable, "\(refused): no answer: \(describe(error, timeout))")
                }
                attempt += 1
                try await retry.sleep(retry.wait(before: attempt, retryAfter: nil))
                continue
            }
            guard response.status.code == 429 || response.status.code == 503, attempt < retry.maxRetries else {
                return response
            }
            attempt += 1
            try await retry.sleep(retry.wait(before: attempt, retryAfter: response.headers.first(name: "Retry-After")))
        }
    }

    /// A transport failure in words: a timeout as such, anything else as the HTTP stack describes
    /// it (connection state, never request content).
    static func describe(_ error: any Error, _ timeout: Duration) -> String {
        if case HTTPTransportError.timedOut = error { return "request timed out after \(timeout)" }
        let text = String(describing: error)
        if text.contains("deadlineExceeded") || text.contains("readTimeout") {
            return "request timed out after \(timeout)"
        }
        return String(text.prefix(300))
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
        Counter(
            label: "externalsecret_provider_api_calls_count",
            dimensions: [
                ("provider", "Azure/KeyVault"), ("call", call.rawValue), ("status", failed ? "error" : "success"),
            ]
        ).increment()
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
