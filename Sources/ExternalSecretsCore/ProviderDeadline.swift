import ExternalSecretsAPI
public import ProviderKit
import Foundation
import HTTPSupport
import Synchronization

// MARK: - Deadline race

/// The value of `task`, unless the calling task is cancelled first (then `CancellationError`).
/// `task` itself is not cancelled: others may be waiting for it too.
func valueUnlessCancelled<T: Sendable>(of task: Task<T, any Error>) async throws -> T {
    try await race(timer: nil) { try await task.value }
}

/// Runs `operation` in a task of its own and returns its result, unless `timer` ends first (then
/// its error is thrown) or the calling task is cancelled first (then `CancellationError`).
///
/// Guarantees: the caller gets its answer when the timer ends or at its cancellation whatever the
/// operation does; the racing tasks are cancelled as soon as the answer is decided.
/// Caveat: an operation that ignores cancellation runs on, unobserved, until it ends by itself;
/// it no longer holds its caller.
private func race<T: Sendable>(
    timer: (@Sendable () async throws -> any Error)?, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let race = DeadlineRace<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            race.start(continuation)
            let work = Task {
                do {
                    race.finish(.success(try await operation()))
                } catch {
                    race.finish(.failure(error))
                }
            }
            var tasks = [work]
            if let timer {
                tasks.append(
                    Task {
                        do {
                            race.finish(.failure(try await timer()))
                        } catch {
                            // Cancelled: the race was decided otherwise.
                        }
                    })
            }
            race.attach(tasks)
        }
    } onCancel: {
        race.finish(.failure(CancellationError()))
    }
}

/// The one-shot decision of a `race`: the first result resumes the caller and
/// cancels the racing tasks; later results are dropped.
private final class DeadlineRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        /// A result that came before the continuation was stored (cancellation first).
        var early: Result<T, any Error>?
        var decided = false
        var tasks: [Task<Void, Never>] = []
    }

    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T, any Error>) {
        let early = state.withLock { state -> Result<T, any Error>? in
            if let early = state.early {
                state.early = nil
                return early
            }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    func attach(_ tasks: [Task<Void, Never>]) {
        let cancelNow = state.withLock { state -> Bool in
            if state.decided { return true }
            state.tasks = tasks
            return false
        }
        if cancelNow { tasks.forEach { $0.cancel() } }
    }

    func finish(_ result: Result<T, any Error>) {
        let (continuation, tasks) = state.withLock { state -> (CheckedContinuation<T, any Error>?, [Task<Void, Never>]) in
            guard !state.decided else { return (nil, []) }
            state.decided = true
            guard let continuation = state.continuation else {
                state.early = result
                return (nil, [])
            }
            state.continuation = nil
            defer { state.tasks = [] }
            return (continuation, state.tasks)
        }
        continuation?.resume(with: result)
        tasks.forEach { $0.cancel() }
    }
}

// MARK: - Clock

/// Time for provider deadlines, circuit breakers and the provider-call cache, from any `Clock`
/// (the operator wraps its one clock; tests pass a manual one): instants are durations since the
/// clock was wrapped.
public struct ProviderClock: Sendable {
    /// Time elapsed since the clock was wrapped.
    public let now: @Sendable () -> Duration
    /// Sleeps for a duration on the clock; throws when cancelled.
    public let sleep: @Sendable (Duration) async throws -> Void
    /// How many of `sleep`'s sleeps are waiting (a cancelled one stops waiting at once).
    public let waitingSleeps: @Sendable () -> Int

    public init<C: Clock>(_ clock: C) where C.Duration == Duration {
        let start = clock.now
        now = { start.duration(to: clock.now) }
        // Through a timer: the deadlines raced against provider calls are cancelled when the
        // call ends, and a cancelled clock sleep would stay armed until its deadline.
        let timer = DeadlineTimer(clock: clock)
        sleep = { duration in try await timer.sleep(for: duration) }
        waitingSleeps = { timer.waiting }
    }
}

// MARK: - Call guard

/// The one place every provider call passes (through `ProviderClientSource`): each call, client
/// construction (logins) included, gets an overall deadline that covers the provider's own
/// retries, and each store a circuit breaker (`StoreCircuitBreakers`).
///
/// Guarantees: no provider call holds its caller longer than `timeout`; a timed-out call is a
/// `ProviderError` (code `unavailable`) naming the store and the deadline, never a value, and its
/// task is cancelled; a store whose breaker is open is refused with `StoreUnavailable` without a
/// provider call. Only `unavailable` errors (connection failures, timeouts, 5xx) count against
/// the breaker; "not found", permission and other answers prove the server is there.
public struct StoreCallGuard: Sendable {
    /// The overall deadline of one provider call, retries included (`--provider-timeout`).
    public let timeout: Duration
    public let breakers: StoreCircuitBreakers
    private let clock: ProviderClock

    public init(timeout: Duration, breakers: StoreCircuitBreakers, clock: ProviderClock) {
        self.timeout = timeout
        self.breakers = breakers
        self.clock = clock
    }

    /// Runs one provider call for `store` under the deadline and the store's breaker.
    public func call<T: Sendable>(
        _ store: StoreContext, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let ticket = try await breakers.admit(store)
        do {
            let value = try await deadline(store, operation)
            await breakers.record(.success, ticket: ticket, store: store)
            return value
        } catch {
            await breakers.record(Self.outcome(of: error), ticket: ticket, store: store)
            throw error
        }
    }

    /// Builds a provider client for `store` under the deadline. A store whose breaker is open
    /// and cooling down is refused; a failure counts against the breaker, a success does not
    /// count as recovery (a cached client proves nothing about the server).
    public func build(
        _ store: StoreContext, _ operation: @escaping @Sendable () async throws -> any SecretsClient
    ) async throws -> any SecretsClient {
        try await breakers.check(store)
        do {
            return try await deadline(store, operation)
        } catch {
            if case .failure = Self.outcome(of: error) {
                await breakers.record(Self.outcome(of: error), ticket: .normal, store: store)
            }
            throw error
        }
    }

    /// Runs `operation` until it ends, its deadline passes, or the store's breaker opens (calls
    /// already in flight then end at once with `StoreUnavailable`, which does not count again).
    private func deadline<T: Sendable>(
        _ store: StoreContext, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let (timeout, name, clock, breakers) = (self.timeout, store.displayName, self.clock, self.breakers)
        return try await race(
            timer: {
                try await withThrowingTaskGroup(of: (any Error)?.self) { group in
                    group.addTask {
                        try await clock.sleep(timeout)
                        return Self.timedOut(store: name, after: timeout)
                    }
                    group.addTask { await breakers.refusalOnceOpened(store) }
                    // The first non-nil stop wins; nil only comes from a cancelled waiter.
                    while let stop = try await group.next() {
                        if let stop {
                            group.cancelAll()
                            return stop
                        }
                    }
                    throw CancellationError()
                }
            }, operation)
    }

    /// The error of a call that ran out of time.
    static func timedOut(store: String, after timeout: Duration) -> ProviderError {
        ProviderError(
            .unavailable,
            "\(store): the provider did not answer within the \(ProviderClockFormat.duration(timeout)) deadline (--provider-timeout); the call was cancelled"
        )
    }

    /// How an error counts for the breaker.
    static func outcome(of error: any Error) -> CallOutcome {
        switch error {
        case is CancellationError: .abandoned
        case is StoreUnavailable: .abandoned
        case let error as ProviderError where error.code == .unavailable: .failure(error.message)
        default: .success
        }
    }
}

/// Durations as Go prints them in flags ("20s", "1.5s", "250ms").
enum ProviderClockFormat {
    static func duration(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if milliseconds < 1000 { return "\(milliseconds)ms" }
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000)s" }
        return "\(Double(milliseconds) / 1000)s"
    }
}

// MARK: - A client under the guard

/// A provider client whose every call goes through a `StoreCallGuard`.
struct GuardedSecretsClient: SecretsClient {
    let underlying: any SecretsClient
    let callGuard: StoreCallGuard
    let store: StoreContext

    func getSecret(_ ref: ExternalSecretDataRemoteRef) async throws -> Data {
        try await callGuard.call(store) { [underlying] in try await underlying.getSecret(ref) }
    }

    func getSecretMap(_ ref: ExternalSecretDataRemoteRef) async throws -> SecretData {
        try await callGuard.call(store) { [underlying] in try await underlying.getSecretMap(ref) }
    }

    func getAllSecrets(_ find: ExternalSecretFind) async throws -> SecretData {
        try await callGuard.call(store) { [underlying] in try await underlying.getAllSecrets(find) }
    }

    func validate() async throws -> StoreValidationResult {
        try await callGuard.call(store) { [underlying] in try await underlying.validate() }
    }

    func pushSecret(_ value: PushValue, to target: PushTarget) async throws {
        try await callGuard.call(store) { [underlying] in try await underlying.pushSecret(value, to: target) }
    }

    func deleteSecret(_ target: PushTarget) async throws {
        try await callGuard.call(store) { [underlying] in try await underlying.deleteSecret(target) }
    }

    func secretExists(_ target: PushTarget) async throws -> Bool {
        try await callGuard.call(store) { [underlying] in try await underlying.secretExists(target) }
    }

    func close() async { await underlying.close() }
}
