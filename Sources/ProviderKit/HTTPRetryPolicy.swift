import Foundation

/// How an HTTP provider retries throttling (429), unavailability (503) and unanswered requests:
/// jittered exponential backoff from `base` up to `maximum`, or the server's `Retry-After`
/// seconds (bounded by `maximum`), at most `maxRetries` times. `sleep` and `jitter` are injected
/// so tests are deterministic.
public struct HTTPRetryPolicy: Sendable {
    public var maxRetries: Int
    public var base: Duration
    public var maximum: Duration
    public var sleep: @Sendable (Duration) async throws -> Void
    public var jitter: @Sendable () -> Double

    public init(
        maxRetries: Int = 3, base: Duration = .milliseconds(200), maximum: Duration = .seconds(5),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        jitter: @escaping @Sendable () -> Double = { Double.random(in: 0.5...1.0) }
    ) {
        self.maxRetries = maxRetries
        self.base = base
        self.maximum = maximum
        self.sleep = sleep
        self.jitter = jitter
    }

    /// The wait before retry number `attempt` (1 for the first), given the answer's `Retry-After`.
    public func wait(before attempt: Int, retryAfter: String?) -> Duration {
        if let retryAfter, let seconds = Int(retryAfter.trimmingCharacters(in: .whitespaces)), seconds >= 0 {
            return min(.seconds(seconds), maximum)
        }
        return min(base * (1 << min(attempt - 1, 16)), maximum) * jitter()
    }
}
