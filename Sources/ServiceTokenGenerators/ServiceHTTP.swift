import Foundation
import HTTPSupport
import NIOHTTP1
import ProviderKit

/// One service's HTTP calls, bounded: each request has a deadline and a response size limit.
///
/// Guarantees: errors name the call (`what`), the status and the service's own error message
/// (GitHub's and Grafana's `message`, cut to 200 characters), never a header, a request body or a
/// token.
struct ServiceHTTP: Sendable {
    let transport: any HTTPTransport
    /// The time limit of one request (the response head and the whole body).
    let timeout: Duration
    /// Responses larger than this are refused.
    let maxBodyBytes: Int

    /// Sends `request`; a transport failure, a timeout or an oversized answer is a `ProviderError`
    /// naming `what`.
    func send(_ request: HTTPRequest, what: String) async throws -> HTTPResponse {
        do {
            return try await transport.send(request, timeout: timeout, maxBodyBytes: maxBodyBytes)
        } catch let error as CancellationError {
            throw error
        } catch HTTPTransportError.timedOut {
            throw ProviderError(.unavailable, "\(what): request timed out after \(Self.seconds(timeout))")
        } catch HTTPTransportError.bodyTooLarge(let limit) {
            throw ProviderError(.invalidData, "\(what): response body larger than \(limit) bytes")
        } catch let error as HTTPTransportError {
            if case .invalidURL = error { throw ProviderError.invalidConfiguration("\(what): invalid URL") }
            throw ProviderError(.unavailable, "\(what): \(error.description)")
        } catch {
            let text = String(describing: error)
            if text.contains("deadlineExceeded") || text.contains("readTimeout") {
                throw ProviderError(.unavailable, "\(what): request timed out after \(Self.seconds(timeout))")
            }
            throw ProviderError(
                .unavailable, "\(what): \(String(describing: type(of: error))): \(text.prefix(200))")
        }
    }

    static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return attoseconds == 0 ? "\(seconds)s" : String(format: "%.3fs", Double(seconds) + Double(attoseconds) / 1e18)
    }
}

/// Status and body rules shared by the service token generators, without I/O.
enum ServiceResponses {
    /// A 2xx status passes; otherwise an error naming `what`, the status and the answer's
    /// `message` member if it has one: 401/403 access denied, 404 not found, 429 throttled,
    /// 5xx unavailable, any other invalid configuration.
    static func check(_ response: HTTPResponse, what: String) throws(ProviderError) {
        let status = response.status
        guard !(200..<300).contains(status.code) else { return }
        var text = "\(what): response code \(status.code) \(status.reasonPhrase)"
        if let message = message(in: response.body) { text += ": \(message)" }
        switch status.code {
        case 401, 403: throw .accessDenied(text)
        case 404: throw .notFound(text)
        case 429: throw ProviderError(.throttled, text)
        case 500..<600: throw ProviderError(.unavailable, text)
        default: throw .invalidConfiguration(text)
        }
    }

    /// The `message` member of a JSON error answer, at most 200 characters.
    static func message(in body: [UInt8]) -> String? {
        struct ErrorBody: Decodable { var message: String? }
        guard let decoded = try? JSONDecoder().decode(ErrorBody.self, from: Data(body)), let message = decoded.message
        else { return nil }
        return String(message.prefix(200))
    }

    /// Decodes a JSON answer; the error names `what`, never the body.
    static func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8], what: String) throws(ProviderError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch {
            throw ProviderError(.invalidData, "\(what): the answer is not the expected JSON")
        }
    }
}

extension ServiceHTTP {
    /// The value of `Authorization: Basic base64(user:password)`.
    static func basicAuthorization(user: String, password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }
}
