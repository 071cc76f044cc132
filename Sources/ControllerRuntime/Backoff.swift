/// Per-key exponential backoff after failures: `base · 2^(failures - 1)`, never more than `cap`
/// (controller-runtime's `ItemExponentialFailureRateLimiter`; defaults 5 ms and 1000 s).
///
/// No jitter: a key's retries are spaced by its own failure count, and keys that fail together
/// are already spread by the order in which the work queue handed them out.
public struct ExponentialBackoff: Sendable, Hashable {
    /// Delay after the first failure.
    public var base: Duration
    /// Longest delay, reached after about `log2(cap / base) + 1` consecutive failures.
    public var cap: Duration

    public init(base: Duration = .milliseconds(5), cap: Duration = .seconds(1000)) {
        self.base = base
        self.cap = cap
    }

    /// The delay before the next attempt after `failures` consecutive failures: `base` after the
    /// first, doubling with each further one, at most `cap`. Zero when `failures` is below 1.
    public func delay(afterFailures failures: Int) -> Duration {
        guard failures >= 1, base > .zero, cap > .zero else { return .zero }
        var delay = min(base, cap)
        var doublings = failures - 1
        // Double step by step so that neither the exponent nor the product can overflow; the loop
        // ends after at most ~log2(cap / base) steps because the cap is reached.
        while doublings > 0 {
            if delay > cap / 2 { return cap }
            delay *= 2
            doublings -= 1
        }
        return delay
    }
}
