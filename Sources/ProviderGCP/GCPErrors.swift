import Foundation
import GoCompat
import HTTPSupport
import ProviderKit

/// Google's JSON error body (`{"error": {"code", "message", "status"}}`) as a `ProviderError`.
/// Google's messages name resources and permissions, never secret payloads.
enum GCPErrors {
    struct Body: Decodable {
        struct Inner: Decodable {
            var code: Int?
            var message: String?
            var status: String?
        }
        var error: Inner?
    }

    /// The Google status (`NOT_FOUND`, `FAILED_PRECONDITION`, ...) and message of an error answer.
    static func details(_ response: HTTPResponse) -> (status: String, message: String) {
        let inner = (try? JSONDecoder().decode(Body.self, from: Data(response.body)))?.error
        let message = String((inner?.message ?? response.status.reasonPhrase).prefix(500))
        return (inner?.status ?? "", message)
    }

    /// An error answer as a `ProviderError`: 404 is "not found" (it feeds `deletionPolicy`), 401
    /// and 403 access denied, 429 throttled, 5xx unavailable, 409 a conflict.
    static func error(_ response: HTTPResponse, doing what: String) -> ProviderError {
        let (status, message) = details(response)
        let text = "\(what): \(status.isEmpty ? "HTTP \(response.status.code)" : status): \(message)"
        switch response.status.code {
        case 404: return .notFound(text)
        case 401, 403: return .accessDenied(text)
        case 429: return ProviderError(.throttled, text)
        case 409: return ProviderError(.conflict, text)
        case 500...599: return ProviderError(.unavailable, text)
        default: return ProviderError(.other, text)
        }
    }

    /// Whether an access failed because the version is disabled or destroyed (ESO's
    /// `isErrSecretDestroyedOrDisabled`).
    static func isDisabledOrDestroyed(_ response: HTTPResponse) -> Bool {
        let (status, message) = details(response)
        return status == "FAILED_PRECONDITION"
            && (message.contains("DESTROYED state") || message.contains("DISABLED state"))
    }
}
