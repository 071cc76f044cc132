import Synchronization

/// Sleeps for timeouts: many concurrent, mostly cancelled sleeps served by one clock sleep at a
/// time.
///
/// Why: a `clock.sleep` raced against an operation and cancelled when the operation finishes
/// returns at once, but its timer stays armed until the original deadline, holding a task and a
/// dispatch source (about 3.5 KiB, measured with heaptrack). Every Kubernetes request (30 s
/// timeout), every reconcile (60 s) and every wake-up of an idle work-queue worker (sleeping
/// until the next refresh, up to hours) left one behind: at 10,000 ExternalSecrets tens of MiB
/// of timers nobody waited for. Here a cancelled sleep is forgotten at once.
///
/// Guarantees: ``sleep(until:)`` returns at `deadline` (as `clock` tells time) or as soon as the
/// calling task is cancelled, whichever comes first, and a cancelled sleep holds nothing
/// afterwards; at most one clock sleep is pending per earlier-than-all deadline registered
/// (deadlines registered in increasing order, as equal timeouts are, share one). Caveat: the
/// clock sleeps are never cancelled, so one may outlive the last waiter by up to the longest
/// timeout; it then finds nothing to do and ends.
public final class DeadlineTimer<C: Clock>: Sendable {
    private enum Entry {
        /// Registered, not yet parked.
        case registered
        /// Cancelled before it parked: resume as soon as it parks.
        case cancelledEarly
        case parked(deadline: C.Instant, continuation: CheckedContinuation<Void, Never>)
    }

    private struct State {
        var nextID: UInt64 = 0
        var entries: [UInt64: Entry] = [:]
        /// Service tasks by id → the instant each sleeps until.
        var sleepers: [UInt64: C.Instant] = [:]

        mutating func makeID() -> UInt64 {
            nextID += 1
            return nextID
        }

        /// Whether a service already wakes at or before `instant`.
        func covered(_ instant: C.Instant) -> Bool { sleepers.values.contains { $0 <= instant } }
    }

    public let clock: C
    private let state = Mutex(State())

    public init(clock: C) { self.clock = clock }

    /// Returns at `deadline` or when the calling task is cancelled, whichever comes first (it never
    /// throws: callers check cancellation themselves, or use ``sleep(for:)``).
    public func sleep(until deadline: C.Instant) async {
        let id = state.withLock { state in
            let id = state.makeID()
            state.entries[id] = .registered
            return id
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = clock.now
                let (resumeNow, service): (Bool, UInt64?) = state.withLock { state in
                    if case .cancelledEarly = state.entries[id] {
                        state.entries[id] = nil
                        return (true, nil)
                    }
                    guard deadline > now else {
                        state.entries[id] = nil
                        return (true, nil)
                    }
                    state.entries[id] = .parked(deadline: deadline, continuation: continuation)
                    guard !state.covered(deadline) else { return (false, nil) }
                    let service = state.makeID()
                    state.sleepers[service] = deadline
                    return (false, service)
                }
                if resumeNow { continuation.resume() }
                if let service { startService(service, until: deadline) }
            }
        } onCancel: {
            let continuation: CheckedContinuation<Void, Never>? = state.withLock { state in
                switch state.entries[id] {
                case .parked(_, let continuation):
                    state.entries[id] = nil
                    return continuation
                case .registered:
                    state.entries[id] = .cancelledEarly
                    return nil
                case .cancelledEarly, nil:
                    return nil
                }
            }
            continuation?.resume()
        }
    }

    /// Sleeps for `duration`; throws `CancellationError` when the calling task is cancelled (as
    /// `Clock.sleep` does).
    public func sleep(for duration: C.Duration) async throws {
        await sleep(until: clock.now.advanced(by: duration))
        try Task.checkCancellation()
    }

    /// Runs `operation`, cancelled once `timeout` has passed; nil when the timeout came first.
    /// Cancelling the calling task cancels `operation` (its error, `CancellationError` as a rule,
    /// is thrown).
    public func run<T: Sendable>(
        timeout: C.Duration, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T? {
        try await withThrowingTaskGroup(of: Outcome<T>.self) { group in
            group.addTask { .finished(try await operation()) }
            group.addTask {
                try await self.sleep(for: timeout)
                return .timedOut
            }
            defer { group.cancelAll() }
            guard case .finished(let value) = try await group.next() else { return nil }
            return value
        }
    }

    private enum Outcome<T: Sendable>: Sendable {
        case finished(T)
        case timedOut
    }

    /// One clock sleep: wakes the parked sleeps that are due, then sleeps until the earliest one
    /// left unless another service wakes before it.
    private func startService(_ service: UInt64, until first: C.Instant) {
        Task.detached { [self] in
            var target = first
            while true {
                try? await clock.sleep(until: target, tolerance: nil)
                let now = clock.now
                let (due, next): ([(deadline: C.Instant, continuation: CheckedContinuation<Void, Never>)], C.Instant?) =
                    state.withLock { state in
                    state.sleepers[service] = nil
                    var due: [(deadline: C.Instant, continuation: CheckedContinuation<Void, Never>)] = []
                    var dueIDs: [UInt64] = []
                    var earliest: C.Instant?
                    for (id, entry) in state.entries {
                        guard case .parked(let deadline, let continuation) = entry else { continue }
                        if deadline <= now {
                            due.append((deadline, continuation))
                            dueIDs.append(id)
                        } else if earliest.map({ deadline < $0 }) ?? true {
                            earliest = deadline
                        }
                    }
                    for id in dueIDs { state.entries[id] = nil }
                    due.sort { $0.deadline < $1.deadline }
                    guard let earliest, !state.covered(earliest) else { return (due, nil) }
                    state.sleepers[service] = earliest
                    return (due, earliest)
                }
                // In deadline order (the earliest waiter is resumed first).
                for waiter in due { waiter.continuation.resume() }
                guard let next else { return }
                target = next
            }
        }
    }

    /// How many sleeps are waiting (for tests and diagnostics).
    public var waiting: Int {
        state.withLock { state in
            state.entries.values.count { if case .parked = $0 { true } else { false } }
        }
    }

    /// How many clock sleeps are pending (for tests and diagnostics).
    public var pendingClockSleeps: Int { state.withLock { $0.sleepers.count } }
}

/// The process's timer on the continuous clock, for layers that have no injected clock (the HTTP
/// transports' timeouts).
private let continuousDeadlineTimer = DeadlineTimer(clock: ContinuousClock())

extension DeadlineTimer where C == ContinuousClock {
    /// The process's timer on the continuous clock.
    public static var continuous: DeadlineTimer<ContinuousClock> { continuousDeadlineTimer }
}
