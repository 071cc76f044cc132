public import NIOHTTP1

/// An HTTP request as this project's clients build it: a pure value, with the body in memory.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    /// The absolute URL, query string included.
    public var url: String
    public var headers: HTTPHeaders
    public var body: [UInt8]?

    public init(method: HTTPMethod, url: String, headers: HTTPHeaders = [:], body: [UInt8]? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// A response whose body has been read completely.
public struct HTTPResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: HTTPResponseStatus, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// A response whose body is read as it arrives (watch streams).
///
/// The body can be iterated once.
public struct HTTPStreamingResponse {
    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    public var body: HTTPBody

    public init(status: HTTPResponseStatus, headers: HTTPHeaders = [:], body: HTTPBody) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Reads the whole body, failing once it grows past `maxBytes`.
    public func collect(upTo maxBytes: Int) async throws -> HTTPResponse {
        var bytes: [UInt8] = []
        for try await chunk in body {
            bytes.append(contentsOf: chunk)
            if bytes.count > maxBytes {
                throw HTTPTransportError.bodyTooLarge(limit: maxBytes)
            }
        }
        return HTTPResponse(status: status, headers: headers, body: bytes)
    }
}

/// A response body as a sequence of chunks of bytes, in arrival order. Single consumer.
public struct HTTPBody: AsyncSequence {
    public typealias Element = [UInt8]
    public typealias Failure = any Error

    private let nextChunk: () async throws -> [UInt8]?

    /// A body read from `sequence`.
    public init<Chunks: AsyncSequence>(_ sequence: Chunks) where Chunks.Element == [UInt8] {
        var iterator = sequence.makeAsyncIterator()
        nextChunk = { try await iterator.next() }
    }

    /// A body made of `chunks`, for tests.
    public init(chunks: [[UInt8]]) {
        var remaining = chunks[...]
        nextChunk = { remaining.popFirst() }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        fileprivate let nextChunk: () async throws -> [UInt8]?
        public mutating func next() async throws -> [UInt8]? { try await nextChunk() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(nextChunk: nextChunk) }
}

/// The one seam at the HTTP boundary, shared by the Kubernetes client and the providers.
/// Authentication (bearer tokens, SigV4, Vault tokens) is middleware: a transport wrapping another.
public protocol HTTPTransport: Sendable {
    /// Sends `request` and returns once the response head has arrived; the body streams after.
    /// `timeout` bounds the wait for the response head.
    func stream(_ request: HTTPRequest, timeout: Duration) async throws -> HTTPStreamingResponse
}

extension HTTPTransport {
    /// Sends `request` and reads the whole response; `timeout` bounds the whole exchange.
    public func send(_ request: HTTPRequest, timeout: Duration, maxBodyBytes: Int = 64 << 20) async throws
        -> HTTPResponse
    {
        // Not a Task.sleep race: its timer would stay armed for `timeout` after every answer.
        let response = try await DeadlineTimer.continuous.run(timeout: timeout) {
            try await self.stream(request, timeout: timeout).collect(upTo: maxBodyBytes)
        }
        guard let response else { throw HTTPTransportError.timedOut(after: timeout) }
        return response
    }
}

/// Errors raised by this layer itself (the underlying client's errors pass through).
public enum HTTPTransportError: Error, CustomStringConvertible, Sendable {
    case timedOut(after: Duration)
    case bodyTooLarge(limit: Int)
    case invalidURL(String)
    case invalidTLSMaterial(String)

    public var description: String {
        switch self {
        case .timedOut(let after): "request timed out after \(after)"
        case .bodyTooLarge(let limit): "response body larger than \(limit) bytes"
        case .invalidURL(let url): "invalid URL \(url)"
        case .invalidTLSMaterial(let what): "invalid TLS material: \(what)"
        }
    }
}
