import HTTPSupport

/// A token bucket limiting how fast this client sends requests (client-go's `--kube-api-qps`
/// and `--kube-api-burst`).
///
/// Reservation style: each caller takes a token at once and sleeps until its token is due, so
/// callers are served in arrival order and nobody polls.
public actor ClientRateLimiter<C: Clock> where C.Duration == Duration {
    private let clock: C
    private let qps: Double
    private let burst: Double
    private var tokens: Double
    private var last: C.Instant

    /// - Parameters:
    ///   - qps: steady rate; zero or less disables limiting.
    ///   - burst: bucket size: requests allowed at once after a quiet period.
    public init(qps: Double, burst: Int, clock: C) {
        self.clock = clock
        self.qps = qps
        self.burst = Double(max(1, burst))
        self.tokens = Double(max(1, burst))
        self.last = clock.now
    }

    /// How long the caller must wait for its token (zero when one is available). Takes the token.
    public func reserve() -> Duration {
        guard qps > 0 else { return .zero }
        let now = clock.now
        let elapsed = last.duration(to: now)
        last = now
        tokens = min(burst, tokens + elapsed.seconds * qps)
        tokens -= 1
        if tokens >= 0 { return .zero }
        return .nanoseconds(Int64((-tokens / qps * 1e9).rounded(.up)))
    }

    /// Waits until a token is available.
    public func acquire() async throws {
        let wait = reserve()
        if wait > .zero { try await clock.sleep(for: wait) }
    }
}

