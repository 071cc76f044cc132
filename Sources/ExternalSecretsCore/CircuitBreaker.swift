import ControllerRuntime
import ProviderKit

// MARK: - Settings and outcomes

/// When a store's circuit breaker opens and how it tests recovery.
public struct CircuitBreakerSettings: Sendable, Hashable {
    /// Consecutive failed calls (connection failures, timeouts, 5xx) that open the breaker
    /// (`--store-failure-threshold`); zero or less disables breakers.
    public var failureThreshold: Int
    /// The first wait before a probe call (`--store-retry-interval`); it doubles after each failed
    /// probe, up to `maximumCoolDown`.
    public var coolDown: Duration
    public var maximumCoolDown: Duration

    public init(failureThreshold: Int = 3, coolDown: Duration = .seconds(5), maximumCoolDown: Duration = .seconds(60)) {
        self.failureThreshold = failureThreshold
        self.coolDown = max(coolDown, .milliseconds(1))
        self.maximumCoolDown = max(maximumCoolDown, self.coolDown)
    }
}

/// How a provider call ended, for the breaker.
public enum CallOutcome: Sendable, Equatable {
    /// The provider answered (also with "not found" or "permission denied").
    case success
    /// The provider could not be reached, failed (5xx) or timed out; the message says how.
    case failure(String)
    /// The call was cancelled or never made: it says nothing about the provider.
    case abandoned
}

/// A call admitted by a breaker: an ordinary call, or the one probe of a half-open breaker.
public enum BreakerTicket: Sendable, Hashable {
    case normal
    case probe(UInt64)
}

// MARK: - State machine

/// One store's circuit breaker as a pure value: each input takes the current instant (a duration
/// on the breaker's clock) and says what to do.
///
/// - closed: calls proceed; consecutive failures are counted; a success resets the count; the
///   `failureThreshold`-th failure opens the breaker.
/// - open: calls are refused until the cool-down has passed; then the next call is the probe.
/// - half-open: one probe is in flight, other calls are refused. Its success closes the breaker;
///   its failure opens it again with a doubled cool-down (capped); a probe abandoned (cancelled)
///   leaves the breaker open and due, so the next call probes.
///
/// Guarantees: at most one probe at a time; outcomes of calls admitted before the breaker opened
/// do not move it once it is open (they were in flight together with the ones that opened it).
struct CircuitBreakerStateMachine: Sendable, Equatable {
    enum State: Sendable, Equatable {
        case closed
        case open(until: Duration, coolDown: Duration)
        case halfOpen(probe: UInt64, coolDown: Duration)
    }

    /// What `admit` decided.
    enum Admission: Sendable, Equatable {
        case proceed(BreakerTicket)
        /// Refused; a probe may be made after `retryAfter`, `failures` calls failed in a row.
        case reject(retryAfter: Duration, failures: Int, lastError: String)
    }

    /// A change a caller must act on.
    enum Transition: Sendable, Equatable {
        case none
        /// The breaker just opened from closed: the store's objects should learn at once.
        case opened
        /// The breaker closed after a successful probe: the store's objects may sync again.
        case closed
    }

    let settings: CircuitBreakerSettings
    private(set) var state: State = .closed
    /// Failed calls in a row (kept while open, for messages).
    private(set) var failures = 0
    private(set) var lastError = ""
    private var nextProbe: UInt64 = 0

    init(settings: CircuitBreakerSettings) {
        self.settings = settings
    }

    var isOpen: Bool {
        if case .closed = state { return false }
        return true
    }

    /// Admits a call, or refuses it while open.
    mutating func admit(now: Duration) -> Admission {
        switch state {
        case .closed:
            return .proceed(.normal)
        case .open(let until, let coolDown):
            guard now >= until else { return refusal(retryAfter: until - now) }
            nextProbe += 1
            state = .halfOpen(probe: nextProbe, coolDown: coolDown)
            return .proceed(.probe(nextProbe))
        case .halfOpen(_, let coolDown):
            return refusal(retryAfter: coolDown)
        }
    }

    /// Whether a call not counted as a probe (building a client) may go ahead now: while closed,
    /// or open with the cool-down over and no probe in flight.
    func check(now: Duration) -> Admission {
        switch state {
        case .closed:
            return .proceed(.normal)
        case .open(let until, _) where now >= until:
            return .proceed(.normal)
        case .open(let until, _):
            return refusal(retryAfter: until - now)
        case .halfOpen(_, let coolDown):
            return refusal(retryAfter: coolDown)
        }
    }

    /// Records how an admitted call ended.
    mutating func record(_ outcome: CallOutcome, ticket: BreakerTicket, now: Duration) -> Transition {
        switch (state, ticket, outcome) {
        case (_, _, .abandoned):
            if case .halfOpen(let probe, let coolDown) = state, ticket == .probe(probe) {
                state = .open(until: now, coolDown: coolDown)
            }
            return .none
        case (.closed, _, .success):
            failures = 0
            return .none
        case (.closed, _, .failure(let message)):
            failures += 1
            lastError = message
            guard settings.failureThreshold > 0, failures >= settings.failureThreshold else { return .none }
            state = .open(until: now + settings.coolDown, coolDown: settings.coolDown)
            return .opened
        case (.halfOpen(let probe, _), .probe(let id), .success) where id == probe:
            failures = 0
            state = .closed
            return .closed
        case (.halfOpen(let probe, let coolDown), .probe(let id), .failure(let message)) where id == probe:
            reopen(after: coolDown, message: message, now: now)
            return .none
        case (.open(let until, let coolDown), .normal, .failure(let message)) where now >= until:
            // A due store failed again outside a probe (a client build): as good as a failed probe.
            reopen(after: coolDown, message: message, now: now)
            return .none
        default:
            return .none
        }
    }

    private mutating func reopen(after coolDown: Duration, message: String, now: Duration) {
        failures += 1
        lastError = message
        let next = min(coolDown * 2, settings.maximumCoolDown)
        state = .open(until: now + next, coolDown: next)
    }

    private func refusal(retryAfter: Duration) -> Admission {
        .reject(retryAfter: max(retryAfter, .milliseconds(1)), failures: failures, lastError: lastError)
    }
}

// MARK: - Error

/// A store whose circuit breaker is open: its calls are refused without reaching the provider.
public struct StoreUnavailable: Error, Sendable, CustomStringConvertible {
    /// For conditions and Events; it carries the provider's last (sanitized) error, no value.
    public var message: String
    /// When a probe call may be made.
    public var retryAfter: Duration

    public var description: String { message }
}

// MARK: - Registry

/// The circuit breakers of every store (DESIGN.md invariant 8: a store that keeps failing is
/// short-circuited with a clear status). One breaker per store, by index key
/// (`StoreResolver.indexKey`); an edit of the store (new generation) or a new store under the same
/// name (new UID) starts a fresh, closed breaker.
///
/// Guarantees: every transition observer (``onTransition(_:)``) is called once per opening (from
/// closed) and once per closing, with the store's index key (`StoreResolver.indexKey`), so the
/// store's objects can be woken.
public actor StoreCircuitBreakers {
    private struct Entry {
        var uid: String
        var generation: Int64
        var displayName: String
        var machine: CircuitBreakerStateMachine
    }

    public let settings: CircuitBreakerSettings
    private let clock: ProviderClock
    private let observers = Subscribers<BreakerTransition>()
    private var entries: [String: Entry] = [:]
    /// Calls in flight waiting in ``refusalOnceOpened(_:)``, by store index key.
    private var openingWaiters: [String: [UInt64: AsyncStream<Void>.Continuation]] = [:]
    private var nextWaiterID: UInt64 = 0

    public init(
        settings: CircuitBreakerSettings, clock: ProviderClock,
        onTransition: @escaping @Sendable (_ storeIndexKey: String, _ opened: Bool) async -> Void = { _, _ in }
    ) {
        self.settings = settings
        self.clock = clock
        observers.add { await onTransition($0.storeIndexKey, $0.opened) }
    }

    /// Adds an observer of openings (`opened` true) and closings, for example a controller that
    /// wakes the store's objects.
    public nonisolated func onTransition(
        _ observer: @escaping @Sendable (_ storeIndexKey: String, _ opened: Bool) async -> Void
    ) {
        observers.add { await observer($0.storeIndexKey, $0.opened) }
    }

    /// Admits a call for `store` or throws `StoreUnavailable`.
    func admit(_ store: StoreContext) throws(StoreUnavailable) -> BreakerTicket {
        guard settings.failureThreshold > 0 else { return .normal }
        var entry = current(store)
        let admission = entry.machine.admit(now: clock.now())
        entries[Self.indexKey(of: store)] = entry
        return try ticket(admission, displayName: store.displayName)
    }

    /// Throws `StoreUnavailable` when a call for `store` may not go ahead now (see
    /// `CircuitBreakerStateMachine.check`).
    func check(_ store: StoreContext) throws(StoreUnavailable) {
        guard settings.failureThreshold > 0 else { return }
        _ = try ticket(current(store).machine.check(now: clock.now()), displayName: store.displayName)
    }

    /// Why one of these stores (index keys) is short-circuited, for objects that should report it
    /// without a call: while a breaker cools down or probes, and with `untilClosed` also once a
    /// probe is due (an object that still looks healthy should say so before any probe; it comes
    /// back after `retryAfter`, at once when due).
    public func refusal(forStores storeIndexKeys: [String], untilClosed: Bool) -> StoreUnavailable? {
        guard settings.failureThreshold > 0 else { return nil }
        for key in storeIndexKeys {
            guard let entry = entries[key], entry.machine.isOpen else { continue }
            do {
                _ = try ticket(entry.machine.check(now: clock.now()), displayName: entry.displayName)
                if untilClosed { return Self.unavailable(entry, retryAfter: .milliseconds(1)) }
            } catch {
                return error
            }
        }
        return nil
    }

    /// Records how a call admitted with `ticket` ended.
    func record(_ outcome: CallOutcome, ticket: BreakerTicket, store: StoreContext) async {
        guard settings.failureThreshold > 0 else { return }
        let key = Self.indexKey(of: store)
        if let existing = entries[key], existing.uid == store.uid, existing.generation > store.generation { return }
        var entry = current(store)
        let transition = entry.machine.record(outcome, ticket: ticket, now: clock.now())
        entries[key] = entry
        switch transition {
        case .none: break
        case .opened:
            for waiter in (openingWaiters.removeValue(forKey: key) ?? [:]).values { waiter.finish() }
            await observers.notify(BreakerTransition(storeIndexKey: key, opened: true))
        case .closed: await observers.notify(BreakerTransition(storeIndexKey: key, opened: false))
        }
    }

    /// Waits until the breaker of `store` opens (from closed) and returns why the store is
    /// unavailable; nil when the calling task is cancelled first. A call in flight races this, so
    /// that the opening cuts it short: once a store counts as down, nobody waits out a deadline
    /// on it any more.
    func refusalOnceOpened(_ store: StoreContext) async -> StoreUnavailable? {
        let key = Self.indexKey(of: store)
        let (opened, continuation) = AsyncStream<Void>.makeStream()
        nextWaiterID += 1
        let id = nextWaiterID
        openingWaiters[key, default: [:]][id] = continuation
        for await _ in opened {}  // ends when finished by an opening, or when the task is cancelled
        openingWaiters[key]?[id] = nil
        if openingWaiters[key]?.isEmpty == true { openingWaiters[key] = nil }
        guard !Task.isCancelled, let entry = entries[key] else { return nil }
        return Self.unavailable(entry, retryAfter: settings.coolDown)
    }

    /// Whether the breaker of the store with this index key is open or half-open.
    public func isOpen(storeIndexKey: String) -> Bool { entries[storeIndexKey]?.machine.isOpen ?? false }

    private func current(_ store: StoreContext) -> Entry {
        if let entry = entries[Self.indexKey(of: store)], entry.uid == store.uid, entry.generation >= store.generation {
            return entry
        }
        return Entry(
            uid: store.uid, generation: store.generation, displayName: store.displayName,
            machine: CircuitBreakerStateMachine(settings: settings))
    }

    private func ticket(
        _ admission: CircuitBreakerStateMachine.Admission, displayName: String
    ) throws(StoreUnavailable) -> BreakerTicket {
        switch admission {
        case .proceed(let ticket):
            return ticket
        case .reject(let retryAfter, let failures, let lastError):
            throw StoreUnavailable(
                message: Self.message(displayName: displayName, failures: failures, lastError: lastError),
                retryAfter: retryAfter)
        }
    }

    /// Why the store of `entry` is unavailable, from its breaker's count and last error.
    private static func unavailable(_ entry: Entry, retryAfter: Duration) -> StoreUnavailable {
        StoreUnavailable(
            message: message(displayName: entry.displayName, failures: entry.machine.failures, lastError: entry.machine.lastError),
            retryAfter: retryAfter)
    }

    private static func message(displayName: String, failures: Int, lastError: String) -> String {
        "\(displayName) is unavailable: \(failures) provider calls in a row failed, the last with: \(lastError); its calls are suspended while single probe calls, at growing intervals, test recovery"
    }

    static func indexKey(of store: StoreContext) -> String {
        StoreResolver.indexKey(kind: store.kind, name: store.name, namespace: store.storeNamespace ?? "")
    }
}

/// A breaker opening or closing, for `Subscribers`.
private struct BreakerTransition: Sendable {
    var storeIndexKey: String
    var opened: Bool
}
