public import HTTPSupport
public import NIOHTTP1
import Synchronization

/// A transport for unit tests: every request is recorded and answered by a script.
public final class ScriptedTransport: HTTPTransport {
    /// How the script answers one request.
    public enum Reply: Sendable {
        /// A complete response.
        case respond(HTTPResponseStatus, headers: HTTPHeaders = [:], body: [UInt8] = [])
        /// A response whose body arrives in these chunks (watch streams split mid-line).
        case stream(HTTPResponseStatus, headers: HTTPHeaders = [:], chunks: [[UInt8]])
        /// A transport failure (connection refused, reset, ...).
        case fail(any Error & Sendable)
    }

    private let script: @Sendable (HTTPRequest) -> Reply
    private let recorded = Mutex<[HTTPRequest]>([])

    /// - Parameter script: answers each request; called once per request, in order.
    public init(_ script: @escaping @Sendable (HTTPRequest) -> Reply) {
        self.script = script
    }

    /// A transport that answers the given replies in order, then fails.
    public convenience init(replies: [Reply]) {
        let queue = Mutex(replies[...])
        self.init { _ in
            queue.withLock { $0.popFirst() } ?? .fail(ScriptExhausted())
        }
    }

    /// Every request sent so far, oldest first.
    public var requests: [HTTPRequest] { recorded.withLock { $0 } }

    public func stream(_ request: HTTPRequest, timeout: Duration) async throws -> HTTPStreamingResponse {
        recorded.withLock { $0.append(request) }
        switch script(request) {
        case .respond(let status, let headers, let body):
            return HTTPStreamingResponse(status: status, headers: headers, body: HTTPBody(chunks: [body]))
        case .stream(let status, let headers, let chunks):
            return HTTPStreamingResponse(status: status, headers: headers, body: HTTPBody(chunks: chunks))
        case .fail(let error):
            throw error
        }
    }

    /// Raised when a test sends more requests than it scripted.
    public struct ScriptExhausted: Error, Sendable {}
}
