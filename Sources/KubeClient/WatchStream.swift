import Foundation
import HTTPSupport
public import KubeModel

/// Splits a byte stream into newline-terminated frames, whatever the chunk boundaries.
///
/// The API server writes one JSON document per line; a chunk may end mid-line or hold several
/// lines. A frame longer than `maxFrameBytes` is an error rather than unbounded buffering.
public struct LineSplitter: Sendable {
    private var pending: [UInt8] = []
    public let maxFrameBytes: Int

    public init(maxFrameBytes: Int = 64 << 20) { self.maxFrameBytes = maxFrameBytes }

    /// Adds `chunk`; returns the frames it completed (without their newline; blank lines dropped).
    public mutating func append(_ chunk: [UInt8]) throws -> [[UInt8]] {
        var frames: [[UInt8]] = []
        var start = chunk.startIndex
        while let newline = chunk[start...].firstIndex(of: UInt8(ascii: "\n")) {
            pending.append(contentsOf: chunk[start..<newline])
            if pending.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") }) {
                frames.append(pending)
            }
            pending.removeAll(keepingCapacity: true)
            start = chunk.index(after: newline)
        }
        pending.append(contentsOf: chunk[start...])
        if pending.count > maxFrameBytes {
            throw KubeClientError("watch frame larger than \(maxFrameBytes) bytes")
        }
        return frames
    }

    /// The unterminated remainder at the end of the stream, if any.
    public mutating func finish() -> [UInt8]? {
        defer { pending = [] }
        return pending.isEmpty ? nil : pending
    }
}

/// The events of one watch request, decoded as they arrive. Ends when the server closes the
/// stream (after `timeoutSeconds`, or earlier); the caller decides whether to watch again.
///
/// Backpressure: a chunk is read from the connection only when the consumer asks for the next
/// event, so a slow consumer never makes this buffer.
public struct WatchStream<Object: KubeObject>: AsyncSequence {
    public typealias Element = WatchEvent<Object>
    public typealias Failure = any Error

    let body: HTTPBody
    let request: String
    /// Leave `metadata.managedFields` of the events' objects undecoded.
    var skipManagedFields = false

    public struct AsyncIterator: AsyncIteratorProtocol {
        var chunks: HTTPBody.AsyncIterator
        var splitter = LineSplitter()
        var ready: [[UInt8]] = []
        var finished = false
        let decoder: JSONDecoder
        let request: String

        public mutating func next() async throws -> WatchEvent<Object>? {
            while ready.isEmpty {
                if finished { return nil }
                if let chunk = try await chunks.next() {
                    ready = try splitter.append(chunk)
                } else {
                    finished = true
                    if let last = splitter.finish() { ready = [last] }
                }
            }
            let frame = ready.removeFirst()
            do {
                return try WatchEvent<Object>.decode(frame: Data(frame), using: decoder)
            } catch {
                throw KubeClientError("\(request): undecodable watch event (\(frame.count) bytes): \(error)")
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(
            chunks: body.makeAsyncIterator(), decoder: KubeJSON.decoder(skippingManagedFields: skipManagedFields),
            request: request)
    }
}
