import HTTPSupport
import KubeClient
public import Metrics
import Synchronization

// MARK: - Public types

/// Which lane a key waits in. A ready key is always handed out before any ready key of a lower
/// lane: `priority` before `dependency` before `routine`, so a storm in one lane never delays the
/// lanes above it by more than the reconciles already in flight.
public enum WorkQueueLane: Int, Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    /// Periodic refreshes and other work nobody is waiting for.
    case routine = 0
    /// Objects woken by a change of something they depend on (a store edit wakes every object that
    /// uses it): possibly thousands at once, so they wait behind what people just applied.
    case dependency = 1
    /// New objects and changed specs: someone just applied something and is waiting for the result.
    case priority = 2

    public static func < (lhs: WorkQueueLane, rhs: WorkQueueLane) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The lanes in the order keys are handed out.
    static let highestFirst = allCases.sorted(by: >)

    public var description: String {
        switch self {
        case .routine: "routine"
        case .dependency: "dependency"
        case .priority: "priority"
        }
    }
}

/// Settings of a ``WorkQueue``.
public struct WorkQueueConfiguration: Sendable, Hashable {
    /// Per-key delay after failures (``WorkQueue/requeueAfterFailure(_:lane:)``).
    public var backoff: ExponentialBackoff
    /// Steady rate at which keys are handed out, over all keys and lanes; zero or less disables the
    /// bucket.
    public var qps: Double
    /// Keys that may be handed out at once after a quiet period.
    public var burst: Int
    /// The bulkhead: at most this many keys of one partition are processing at once (nil: no
    /// limit). See ``WorkQueue`` for what a partition is.
    public var partitionLimit: Int?

    /// Defaults are controller-runtime's: backoff 5 ms doubling up to 1000 s, bucket 10 qps with a
    /// burst of 100. Unlike controller-runtime, the bucket here paces every hand-out, not only
    /// retries: at 10 qps a queue hands out at most 36,000 keys an hour; raise it for large
    /// installations with short refresh intervals.
    public init(
        backoff: ExponentialBackoff = ExponentialBackoff(), qps: Double = 10, burst: Int = 100, partitionLimit: Int? = nil
    ) {
        self.backoff = backoff
        self.qps = qps
        self.burst = burst
        self.partitionLimit = partitionLimit.map { max(1, $0) }
    }
}

/// How many keys a ``WorkQueue`` holds in each state.
public struct WorkQueueCounts: Sendable, Hashable {
    /// Ready keys in the priority lane.
    public var priority: Int
    /// Ready keys in the dependency lane.
    public var dependency: Int
    /// Ready keys in the routine lane.
    public var routine: Int
    /// Keys waiting for a deadline (delayed adds and backoff).
    public var scheduled: Int
    /// Keys handed out and not yet `done`.
    public var processing: Int
    /// Processing keys that were added again and will be ready again after `done`.
    public var dirty: Int

    public init(
        priority: Int = 0, dependency: Int = 0, routine: Int = 0, scheduled: Int = 0, processing: Int = 0, dirty: Int = 0
    ) {
        self.priority = priority
        self.dependency = dependency
        self.routine = routine
        self.scheduled = scheduled
        self.processing = processing
        self.dirty = dirty
    }
}

// MARK: - WorkQueue

/// The work queue between watch events and reconcile workers: de-duplicated keys, three lanes, delayed
/// adds, per-key exponential backoff and a global token bucket (client-go's workqueue and
/// controller-runtime's rate limiter, with kube-runtime's habit of taking the clock from outside).
///
/// Workers loop on ``next()``, reconcile the key, then call ``forget(_:)`` on success or
/// ``requeueAfterFailure(_:lane:)`` on failure, and always ``done(_:)``.
///
/// Guarantees:
/// - A key waits at most once: adding a key that is ready, or already added again while it is
///   processed, changes nothing except that an add in a higher lane moves the key to that lane.
/// - Never two workers on one key: a handed-out key is processing until ``done(_:)``. Added again
///   meanwhile, it is marked dirty and becomes ready (in the best lane it was added with) only at
///   ``done(_:)``.
/// - ``next()`` hands out a ready key of a higher lane before any key of a lower one (`priority`,
///   then `dependency`, then `routine`), whatever the order of the adds; within a lane keys leave in the order they became ready. With the token bucket, the key is
///   chosen when the token is due, so a priority key added while a worker waits for a token goes first.
/// - A key has at most one pending deadline and the earlier one wins; an immediate add cancels it.
/// - Waiters sleep on the clock until the earliest deadline or token, or until an add wakes them:
///   no polling. ``shutDown()`` wakes every waiter, and ``next()`` returns nil from then on.
/// - Cancelling a task inside ``next()`` makes it return nil without taking a key; no key is lost.
/// - Bulkheads: a key may belong to partitions (for ExternalSecrets, the stores they read), named
///   by the `partitions` function when the key is added. With a `partitionLimit`, a ready key is
///   handed out only while every partition it belongs to has fewer than that many keys processing;
///   other keys are handed out past it (lane order first, then readiness order, among the keys
///   that may go). A saturated partition therefore never delays keys of other partitions, and a
///   slot freed by ``done(_:)`` wakes the waiters.
///
/// Caveats:
/// - Every key handed out must be passed to ``done(_:)``, or it stays processing forever.
/// - Failure counts are kept until ``forget(_:)``: forget keys of deleted objects.
/// - After ``shutDown()`` ready and scheduled keys are dropped and adds are ignored; processing keys
///   can still be marked ``done(_:)``.
/// - A higher lane always wins: a steady stream of priority adds would starve the lanes below.
///   Priority adds come from people changing objects, which is rare next to periodic refreshes.
/// - A change that makes a key ready wakes every waiter, and all but one go back to sleep: cheap for
///   tens of workers, not meant for thousands.
/// - A key's partitions are those named at its latest add; a key handed out counts against the
///   partitions it had then until ``done(_:)``. Skipping blocked keys costs a scan past them on each
///   hand-out: proportional to the ready keys of saturated partitions.
/// - The bulkhead bounds how many workers a partition holds, not for how long: a reconcile
///   deadline (the controller's) bounds that.
public actor WorkQueue<Key: Hashable & Sendable, C: Clock> where C.Duration == Duration {
    /// The queue's name: the `name` dimension of its metrics.
    public nonisolated let name: String
    /// How many times the queue has drained; readable from anywhere without waiting.
    public nonisolated let drains: WorkQueueDrains
    private var wasIdle = true
    private let clock: C
    /// Idle workers' sleeps until the next deadline (see `sleep(until:unlessWokenSince:)`).
    private let timer: DeadlineTimer<C>
    /// Workers sleeping until a deadline or a token (for tests and diagnostics).
    public nonisolated var timedWaiters: Int { timer.waiting }
    private var state: WorkQueueStateMachine<Key, C.Instant>
    private let limiter: ClientRateLimiter<C>?
    private let partitions: @Sendable (Key) -> [String]
    private let waiters = WorkQueueWaiters()
    private let metrics: WorkQueueMetrics
    private var reportedDepth = 0
    /// Calls of `next()` in progress.
    private var activeCalls = 0

    /// - Parameters:
    ///   - name: the `name` dimension of the queue's metrics (ESO uses the controller's name).
    ///   - configuration: backoff and token bucket.
    ///   - clock: every deadline, token and duration is measured on this clock.
    ///   - metricsFactory: where metrics go; the process-wide `MetricsSystem.factory` by default.
    ///   - partitions: the partitions a key belongs to (used with `configuration.partitionLimit`);
    ///     called on every add, so it must be cheap and must not call back into the queue.
    public init(
        name: String,
        configuration: WorkQueueConfiguration = WorkQueueConfiguration(),
        clock: C,
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        partitions: @escaping @Sendable (Key) -> [String] = { _ in [] },
        drains: WorkQueueDrains = WorkQueueDrains()
    ) {
        self.name = name
        self.drains = drains
        self.clock = clock
        self.timer = DeadlineTimer(clock: clock)
        self.partitions = partitions
        let rateLimited = configuration.qps > 0
        self.state = WorkQueueStateMachine(
            backoff: configuration.backoff, rateLimited: rateLimited, partitionLimit: configuration.partitionLimit)
        self.limiter =
            rateLimited ? ClientRateLimiter(qps: configuration.qps, burst: configuration.burst, clock: clock) : nil
        self.metrics = WorkQueueMetrics(name: name, factory: metricsFactory)
        metrics.depth.record(0)
    }

    // MARK: Adding

    /// Makes `key` ready now in `lane` (see the type's guarantees for keys already queued).
    public func add(_ key: Key, lane: WorkQueueLane = .priority) {
        let outcome = state.add(key, lane: lane, partitions: partitions(key), now: clock.now)
        settle(outcome)
    }

    /// Makes `key` ready after `delay`, unless it is ready sooner anyway; an earlier pending deadline
    /// wins. A zero or negative delay is an immediate add. Delayed adds are mostly periodic
    /// refreshes, hence the `routine` default.
    public func add(_ key: Key, after delay: Duration, lane: WorkQueueLane = .routine) {
        let now = clock.now
        let outcome = state.add(key, lane: lane, at: now.advanced(by: delay), partitions: partitions(key), now: now)
        settle(outcome)
    }

    /// Schedules `key` again after its backoff (`base · 2^(failures - 1)`), counting one more
    /// failure. By default the retry keeps the lane the key was handed out from (`routine` if it is
    /// not processing). Returns the backoff delay.
    @discardableResult
    public func requeueAfterFailure(_ key: Key, lane: WorkQueueLane? = nil) -> Duration {
        let (delay, outcome) = state.requeueAfterFailure(key, lane: lane, partitions: partitions(key), now: clock.now)
        if outcome != .shutDown { metrics.retries.increment() }
        settle(outcome)
        return delay
    }

    /// Resets the failure count of `key` (after a success, or when its object is gone).
    public func forget(_ key: Key) {
        state.forget(key)
    }

    /// Consecutive failures of `key` since it was last forgotten.
    public func failures(of key: Key) -> Int {
        state.failures(of: key)
    }

    // MARK: Working

    /// The next key to work on; suspends until one is ready and the token bucket allows it. Nil after
    /// ``shutDown()`` or when the calling task is cancelled.
    ///
    /// With `onlyIdlePartitions`, only a key none of whose partitions has a key processing is handed
    /// out. A reserve worker asks this way: however many workers the slow partitions hold, a
    /// partition with nothing in flight (a store nobody is waiting on) still gets one at once.
    public func next(onlyIdlePartitions: Bool = false) async -> Key? {
        activeCalls += 1
        defer { activeCalls -= 1 }
        while true {
            if Task.isCancelled {
                // A change may have woken this task for a key it will not take: pass the wake-up on.
                waiters.wakeAll()
                return nil
            }
            let now = clock.now
            let epoch = waiters.epoch
            let action = state.next(now: now, waiters: activeCalls, onlyIdlePartitions: onlyIdlePartitions)
            publish()
            switch action {
            case .handOut(let key, _, let queued):
                metrics.queueDuration.recordNanoseconds(queued.nanoseconds)
                return key
            case .shutDown:
                return nil
            case .reserveToken:
                // `limiter` exists whenever the state machine is rate limited.
                let wait = await limiter?.reserve() ?? .zero
                state.tokenReserved(due: clock.now.advanced(by: wait))
            case .wait(let deadline):
                await sleep(until: deadline, unlessWokenSince: epoch)
            }
        }
    }

    /// Ends the work on `key`: if it was added again meanwhile it becomes ready now.
    public func done(_ key: Key) {
        switch state.done(key, now: clock.now) {
        case .finished(let worked):
            metrics.workDuration.recordNanoseconds(worked.nanoseconds)
            publish()
        case .requeued(let worked), .freedSlot(let worked):
            metrics.workDuration.recordNanoseconds(worked.nanoseconds)
            publish()
            waiters.wakeAll()
        case .notProcessing:
            break
        }
    }

    /// Stops handing out keys: every waiter wakes with nil, ready and scheduled keys are dropped,
    /// adds are ignored.
    public func shutDown() {
        state.shutDown()
        publish()
        waiters.wakeAll()
    }

    // MARK: Inspection

    /// Whether ``shutDown()`` was called.
    public var isShutDown: Bool { state.isShutDown }

    /// How many keys are in each state.
    public var counts: WorkQueueCounts { state.counts }

    /// Tasks suspended in ``next()`` waiting for a key, a deadline or a token.
    nonisolated var suspendedWaiters: Int { waiters.count }

    // MARK: Private

    private func settle(_ outcome: WorkQueueStateMachine<Key, C.Instant>.AddOutcome) {
        publish()
        if outcome.wakesWaiters { waiters.wakeAll() }
    }

    /// Reports adds and depth after a change.
    private func publish() {
        let added = state.takeAddedCount()
        if added > 0 { metrics.adds.increment(by: added) }
        let idle = state.isIdle
        if idle && !wasIdle { drains.increment() }
        wasIdle = idle
        let depth = state.readyCount
        if depth != reportedDepth {
            reportedDepth = depth
            metrics.depth.record(depth)
        }
    }

    /// Sleeps until `deadline` (if any) or until ``WorkQueueWaiters/wakeAll()`` is called after `epoch`
    /// was read, whichever comes first; returns early when the task is cancelled.
    private func sleep(until deadline: C.Instant?, unlessWokenSince epoch: UInt64) async {
        let waiters = self.waiters
        let timer = self.timer
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await waiters.park(unlessWokenSince: epoch) }
            if let deadline {
                // Through the timer: a wake-up cancels this sleep, and a cancelled clock sleep
                // would stay armed until `deadline` (the next refresh, possibly hours away).
                group.addTask { await timer.sleep(until: deadline) }
            }
            _ = await group.next()
            group.cancelAll()
        }
    }
}

extension WorkQueue where C == ContinuousClock {
    /// A queue on the continuous clock.
    public init(
        name: String,
        configuration: WorkQueueConfiguration = WorkQueueConfiguration(),
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.init(name: name, configuration: configuration, clock: ContinuousClock(), metricsFactory: metricsFactory)
    }
}

// MARK: - Waiters

/// Continuations of tasks parked in `WorkQueue.next()`, with an epoch counting wake-ups so that a
/// wake-up between deciding to park and parking is not lost (an event count).
///
/// A class over a `Mutex` rather than actor state because a cancellation handler must be able to
/// resume its continuation synchronously.
final class WorkQueueWaiters: Sendable {
    private struct State {
        var epoch: UInt64 = 0
        var nextID: UInt64 = 0
        var parked: [UInt64: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    /// Incremented by every ``wakeAll()``.
    var epoch: UInt64 { state.withLock { $0.epoch } }

    /// Parked tasks.
    var count: Int { state.withLock { $0.parked.count } }

    /// Suspends until ``wakeAll()`` or cancellation; returns at once if a wake-up happened since
    /// `epoch` was read.
    func park(unlessWokenSince epoch: UInt64) async {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.epoch != epoch || Task.isCancelled { return true }
                    state.parked[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.parked.removeValue(forKey: id) }?.resume()
        }
    }

    /// Resumes every parked task.
    func wakeAll() {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.epoch &+= 1
            let woken = Array(state.parked.values)
            state.parked.removeAll()
            return woken
        }
        for continuation in woken { continuation.resume() }
    }
}

// MARK: - State machine

/// Everything the work queue decides, as a pure value: each input takes the current instant and
/// returns what the caller should do. `WorkQueue` wraps it with a clock, a token bucket, waiters and
/// metrics.
struct WorkQueueStateMachine<Key: Hashable, Instant: InstantProtocol> where Instant.Duration == Duration {
    /// What an add did.
    enum AddOutcome: Equatable {
        /// The key became ready.
        case enqueued
        /// The key was ready in a lower lane and moved to a higher one.
        case promoted
        /// The key is processing; it will be ready again after `done`.
        case markedDirty
        /// Nothing changed: the key is already ready or dirty, at least as early and in as good a lane.
        case alreadyWaiting
        /// The key now waits for a deadline; `isEarliest` when no other deadline comes before it.
        case scheduled(isEarliest: Bool)
        /// The key already waits for a deadline no later than this one.
        case keptEarlierDeadline
        /// The queue is shut down.
        case shutDown

        /// Whether parked waiters must re-evaluate: a key became ready or the earliest deadline moved.
        var wakesWaiters: Bool {
            switch self {
            case .enqueued, .scheduled(isEarliest: true): true
            default: false
            }
        }
    }

    /// What `next` tells the caller to do.
    enum NextAction: Equatable {
        /// Work on this key; it waited `queued` since it became ready.
        case handOut(Key, lane: WorkQueueLane, queued: Duration)
        /// Reserve a token from the bucket, report it with `tokenReserved(due:)`, then ask again.
        case reserveToken
        /// Sleep until this instant (forever when nil) or until a change wakes you, then ask again.
        case wait(until: Instant?)
        /// Return nil.
        case shutDown
    }

    /// What `done` did.
    enum DoneOutcome: Equatable {
        /// The key is free; it was processed for `worked`.
        case finished(worked: Duration)
        /// The key was added while processing and is ready again.
        case requeued(worked: Duration)
        /// The key is free and it freed a slot of a saturated partition while other keys were
        /// ready: waiters must look again.
        case freedSlot(worked: Duration)
        /// The key was not processing.
        case notProcessing
    }

    private struct Ready {
        var lane: WorkQueueLane
        /// When the key became ready: the start of its queue wait.
        var since: Instant
        /// Identifies the key's live entry in its lane's FIFO; older entries are skipped.
        var sequence: UInt64
    }

    private struct Dirty {
        var lane: WorkQueueLane
        var since: Instant
    }

    private struct Processing {
        var lane: WorkQueueLane
        var since: Instant
        var dirty: Dirty?
        /// The partitions counted for it in `inFlight`.
        var partitions: [String]
    }

    private struct Scheduled {
        var deadline: Instant
        var lane: WorkQueueLane
        var sequence: UInt64
    }

    let backoff: ExponentialBackoff
    let rateLimited: Bool
    let partitionLimit: Int?
    private(set) var isShutDown = false

    private var ready: [Key: Ready] = [:]
    /// One FIFO per lane, indexed by the lane's raw value.
    private var lanes = [LaneFIFO](repeating: LaneFIFO(), count: WorkQueueLane.allCases.count)
    private var processing: [Key: Processing] = [:]
    private var scheduled: [Key: Scheduled] = [:]
    private var deadlines = DeadlineHeap()
    private var failureCounts: [Key: Int] = [:]
    /// The partitions named at each key's latest add, for keys that are ready, scheduled or
    /// processing.
    private var partitionsOf: [Key: [String]] = [:]
    /// Processing keys per partition.
    private var inFlight: [String: Int] = [:]
    /// For each limit L, the times a partition's processing count went down from L to L - 1:
    /// ready keys a scan refused under L (a partition of theirs at L) can only become eligible
    /// after it changes. Per limit, so that the reserve worker's scans (limit 1: idle partitions)
    /// are not repeated every time a busy partition finishes one of many keys.
    private var partitionsFreedAt: [Int: UInt64] = [:]
    /// Counts the times a queued key's partitions changed (it may now be eligible where it was not).
    private var partitionsChanged: UInt64 = 0
    /// Ready keys per partition (a key in several partitions counts in each), and ready keys
    /// without any: when every partition with ready keys is full, no scan is needed.
    private var readyPerPartition: [String: Int] = [:]
    private var readyWithoutPartitions = 0
    /// Due instants of tokens taken from the bucket and not yet spent, in order.
    private var tokens: [Instant] = []
    private var reservationsInFlight = 0
    private var sequence: UInt64 = 0
    private var addedCount = 0

    init(backoff: ExponentialBackoff = ExponentialBackoff(), rateLimited: Bool = false, partitionLimit: Int? = nil) {
        self.backoff = backoff
        self.rateLimited = rateLimited
        self.partitionLimit = partitionLimit
    }

    // MARK: Inputs

    /// Makes `key` ready now; cancels its pending deadline. `partitions`, when given, replaces the
    /// key's partitions.
    mutating func add(_ key: Key, lane: WorkQueueLane, partitions: [String]? = nil, now: Instant) -> AddOutcome {
        guard !isShutDown else { return .shutDown }
        if let partitions { setPartitions(partitions, of: key) }
        promoteDue(now: now)
        scheduled[key] = nil
        return enqueue(key, lane: lane, since: now)
    }

    /// Makes `key` ready at `deadline`, unless it is ready or dirty already or has an earlier deadline.
    mutating func add(
        _ key: Key, lane: WorkQueueLane, at deadline: Instant, partitions: [String]? = nil, now: Instant
    ) -> AddOutcome {
        guard !isShutDown else { return .shutDown }
        if let partitions { setPartitions(partitions, of: key) }
        guard now < deadline else { return add(key, lane: lane, now: now) }
        promoteDue(now: now)
        if ready[key] != nil || processing[key]?.dirty != nil { return .alreadyWaiting }
        if let existing = scheduled[key], existing.deadline <= deadline {
            if existing.deadline == deadline, lane > existing.lane { scheduled[key]?.lane = lane }
            return .keptEarlierDeadline
        }
        sequence += 1
        scheduled[key] = Scheduled(deadline: deadline, lane: lane, sequence: sequence)
        deadlines.push(deadline, sequence: sequence, key: key)
        return .scheduled(isEarliest: deadlines.min?.sequence == sequence)
    }

    /// Counts a failure of `key` and schedules it after the backoff for its failure count, in `lane`
    /// or else the lane it was handed out from (routine if it is not processing).
    mutating func requeueAfterFailure(
        _ key: Key, lane: WorkQueueLane?, partitions: [String]? = nil, now: Instant
    ) -> (delay: Duration, outcome: AddOutcome) {
        guard !isShutDown else { return (.zero, .shutDown) }
        if let partitions { setPartitions(partitions, of: key) }
        let failures = failureCounts[key, default: 0] + 1
        failureCounts[key] = failures
        let delay = backoff.delay(afterFailures: failures)
        let lane = lane ?? processing[key]?.lane ?? .routine
        return (delay, add(key, lane: lane, at: now.advanced(by: delay), now: now))
    }

    mutating func forget(_ key: Key) {
        failureCounts[key] = nil
    }

    func failures(of key: Key) -> Int {
        failureCounts[key, default: 0]
    }

    /// Hands out the best ready key, or says what to wait for. `waiters` is how many callers are
    /// asking (including this one): tokens are reserved for at most that many keys at a time.
    ///
    /// With `onlyIdlePartitions`, only a key none of whose partitions has a key processing is handed
    /// out (the reserve worker's rule: see ``WorkQueue/next(onlyIdlePartitions:)``).
    mutating func next(now: Instant, waiters: Int = 1, onlyIdlePartitions: Bool = false) -> NextAction {
        guard !isShutDown else { return .shutDown }
        promoteDue(now: now)
        guard !ready.isEmpty, firstEligible(onlyIdlePartitions: onlyIdlePartitions) != nil else {
            return .wait(until: earliestDeadline())
        }
        if rateLimited {
            if let token = tokens.first, token <= now {
                tokens.removeFirst()
            } else if tokens.count + reservationsInFlight < min(ready.count, max(1, waiters)) {
                reservationsInFlight += 1
                return .reserveToken
            } else {
                // Each ready key or waiter has a token coming; a deadline may add a ready key first.
                let wake = [tokens.first, earliestDeadline()].compactMap { $0 }.min()
                return .wait(until: wake)
            }
        }
        guard let (key, entry) = popReady(onlyIdlePartitions: onlyIdlePartitions) else {
            preconditionFailure("an eligible ready key has no live entry in its lane")
        }
        let partitions = partitionsOf[key] ?? []
        for partition in partitions { inFlight[partition, default: 0] += 1 }
        processing[key] = Processing(lane: entry.lane, since: now, dirty: nil, partitions: partitions)
        return .handOut(key, lane: entry.lane, queued: entry.since.duration(to: now))
    }

    /// A token reserved after `.reserveToken` is due at `due`.
    mutating func tokenReserved(due: Instant) {
        reservationsInFlight = max(0, reservationsInFlight - 1)
        guard !isShutDown else { return }
        let index = tokens.firstIndex { due < $0 } ?? tokens.endIndex
        tokens.insert(due, at: index)
    }

    /// Ends processing of `key`; a dirty key becomes ready in its dirty lane.
    mutating func done(_ key: Key, now: Instant) -> DoneOutcome {
        guard let entry = processing.removeValue(forKey: key) else { return .notProcessing }
        let worked = entry.since.duration(to: now)
        var freedSaturated = false
        for partition in entry.partitions {
            let count = inFlight[partition, default: 0]
            if let partitionLimit, count >= partitionLimit { freedSaturated = true }
            inFlight[partition] = count > 1 ? count - 1 : nil
            if count > 0 { partitionsFreedAt[count, default: 0] &+= 1 }
        }
        guard let dirty = entry.dirty, !isShutDown else {
            if ready[key] == nil, scheduled[key] == nil { partitionsOf[key] = nil }
            let wakes = freedSaturated && !isShutDown && !ready.isEmpty
            return wakes ? .freedSlot(worked: worked) : .finished(worked: worked)
        }
        // Counted as an add when it was marked dirty.
        insertReady(key, lane: dirty.lane, since: dirty.since, counted: false)
        return .requeued(worked: worked)
    }

    /// Drops ready and scheduled keys; only `done` and `forget` still do anything.
    mutating func shutDown() {
        isShutDown = true
        ready.removeAll()
        readyPerPartition.removeAll()
        readyWithoutPartitions = 0
        lanes = [LaneFIFO](repeating: LaneFIFO(), count: WorkQueueLane.allCases.count)
        scheduled.removeAll()
        deadlines = DeadlineHeap()
        tokens.removeAll()
        partitionsOf = partitionsOf.filter { processing[$0.key] != nil }
        for key in processing.keys { processing[key]?.dirty = nil }
    }

    /// Keys that became ready or dirty since the last call (the `adds` metric).
    mutating func takeAddedCount() -> Int {
        defer { addedCount = 0 }
        return addedCount
    }

    // MARK: Inspection

    /// Keys of `partition` being processed.
    func processingCount(of partition: String) -> Int { inFlight[partition, default: 0] }

    /// Ready keys in all lanes (the `depth` metric).
    var readyCount: Int { ready.count }

    /// No key is ready or being processed (keys waiting for a later time do not count).
    var isIdle: Bool { ready.isEmpty && processing.isEmpty }

    var counts: WorkQueueCounts {
        var byLane = [Int](repeating: 0, count: WorkQueueLane.allCases.count)
        for entry in ready.values { byLane[entry.lane.rawValue] += 1 }
        return WorkQueueCounts(
            priority: byLane[WorkQueueLane.priority.rawValue],
            dependency: byLane[WorkQueueLane.dependency.rawValue],
            routine: byLane[WorkQueueLane.routine.rawValue],
            scheduled: scheduled.count,
            processing: processing.count,
            dirty: processing.values.count(where: { $0.dirty != nil }))
    }

    // MARK: Private

    private mutating func enqueue(_ key: Key, lane: WorkQueueLane, since: Instant) -> AddOutcome {
        if var entry = processing[key] {
            if let dirty = entry.dirty {
                guard lane > dirty.lane else { return .alreadyWaiting }
                entry.dirty?.lane = lane
                processing[key] = entry
                return .promoted
            }
            entry.dirty = Dirty(lane: lane, since: since)
            processing[key] = entry
            addedCount += 1
            return .markedDirty
        }
        if let existing = ready[key] {
            guard lane > existing.lane else { return .alreadyWaiting }
            insertReady(key, lane: lane, since: existing.since, counted: false)
            return .promoted
        }
        insertReady(key, lane: lane, since: since)
        return .enqueued
    }

    private mutating func insertReady(_ key: Key, lane: WorkQueueLane, since: Instant, counted: Bool = true) {
        sequence += 1
        if ready.updateValue(Ready(lane: lane, since: since, sequence: sequence), forKey: key) == nil {
            countReady(partitionsOf[key], by: 1)
        }
        lanes[lane.rawValue].append(key, sequence: sequence)
        if counted { addedCount += 1 }
    }

    /// The first live entry of the highest lane that has one whose partitions all
    /// have a free slot. Entries left behind by promotions are stale and skipped; a key taken past
    /// blocked ones leaves a stale entry behind.
    private mutating func popReady(onlyIdlePartitions: Bool) -> (Key, Ready)? {
        guard let (key, _) = firstEligible(onlyIdlePartitions: onlyIdlePartitions) else { return nil }
        guard let entry = ready.removeValue(forKey: key) else { return nil }
        countReady(partitionsOf[key], by: -1)
        return (key, entry)
    }

    /// The first ready key that may be handed out now, with its lane; drops stale entries at the
    /// heads of the lanes on the way. With `onlyIdlePartitions`, a key may go only if none of its
    /// partitions has a key processing.
    private mutating func firstEligible(onlyIdlePartitions: Bool = false) -> (Key, WorkQueueLane)? {
        // Local copies (no copy of the storage is made): the lanes are mutated while these are read.
        let readyEntries = ready
        let isLive: (Key, UInt64) -> Bool = { key, sequence in readyEntries[key]?.sequence == sequence }
        // An idle partition is one with a free slot under a limit of one.
        let limit = onlyIdlePartitions ? 1 : partitionLimit
        // The partitions (at most one per key) that keep a key from being handed out; empty
        // when it may be.
        let blocking: (Key) -> String?
        let isFull: (String) -> Bool
        if let limit {
            let (partitionsOf, inFlight) = (self.partitionsOf, self.inFlight)
            blocking = { key in (partitionsOf[key] ?? []).first { inFlight[$0, default: 0] >= limit } }
            isFull = { inFlight[$0, default: 0] >= limit }
        } else {
            blocking = { _ in nil }
            isFull = { _ in false }
        }
        // Every ready key has a full partition: nothing to scan (the common case behind one busy
        // store: each freed slot is taken by the first worker, the others would scan in vain).
        if let limit, readyWithoutPartitions == 0,
            readyPerPartition.keys.allSatisfy({ inFlight[$0, default: 0] >= limit })
        {
            return nil
        }
        // Keys refused before stay refused while no partition freed, or while every partition
        // that refused them is still full: the scan resumes after them (without this, every
        // hand-out behind a busy store rescans the whole backlog, O(n²) over a first sync).
        let refusalEpoch = limit.map {
            RefusalEpoch(
                limit: $0, partitionsFreed: partitionsFreedAt[$0, default: 0], partitionsChanged: partitionsChanged)
        }
        for lane in WorkQueueLane.highestFirst {
            if let found = lanes[lane.rawValue].first(
                isLive: isLive, blockedBy: blocking, isFull: isFull, epoch: refusalEpoch)
            {
                return (found, lane)
            }
        }
        return nil
    }

    private mutating func setPartitions(_ partitions: [String], of key: Key) {
        let new = partitions.isEmpty ? nil : partitions
        let old = partitionsOf[key]
        guard old != new else { return }
        if old != nil { partitionsChanged &+= 1 }
        if ready[key] != nil {
            countReady(old, by: -1)
            countReady(new, by: 1)
        }
        partitionsOf[key] = new
    }

    private mutating func countReady(_ partitions: [String]?, by delta: Int) {
        guard let partitions else {
            readyWithoutPartitions += delta
            return
        }
        for partition in partitions {
            let count = readyPerPartition[partition, default: 0] + delta
            readyPerPartition[partition] = count > 0 ? count : nil
        }
    }

    /// Moves keys whose deadline has come to their lane, as if added at their deadline.
    private mutating func promoteDue(now: Instant) {
        while let top = deadlines.min, top.deadline <= now {
            deadlines.popMin()
            guard let entry = scheduled[top.key], entry.sequence == top.sequence else { continue }
            scheduled[top.key] = nil
            _ = enqueue(top.key, lane: entry.lane, since: entry.deadline)
        }
        if deadlines.count > 64, deadlines.count > 2 * scheduled.count {
            deadlines.rebuild(keeping: { key, sequence in scheduled[key]?.sequence == sequence })
        }
    }

    /// The earliest live deadline; drops stale heap entries on the way.
    private mutating func earliestDeadline() -> Instant? {
        while let top = deadlines.min {
            if scheduled[top.key]?.sequence == top.sequence { return top.deadline }
            deadlines.popMin()
        }
        return nil
    }

    // MARK: Collections

    /// The conditions under which a scan refused keys: the partition limit it applied, how many
    /// times a partition crossed below it and how many times queued keys' partitions changed.
    /// Under the same epoch a refused key stays refused.
    struct RefusalEpoch: Equatable {
        var limit: Int
        var partitionsFreed: UInt64
        var partitionsChanged: UInt64
    }

    /// A first-in first-out queue of keys with their entry sequence numbers.
    struct LaneFIFO {
        private var items: [(key: Key, sequence: UInt64)] = []
        private var head = 0
        /// Live entries before `index` were refused under `epoch` (by limit), each by one of
        /// `blocking` (nil when more than `maxBlocking` partitions refused them).
        private var refused: [Int: (epoch: RefusalEpoch, index: Int, blocking: Set<String>?)] = [:]
        private static var maxBlocking: Int { 64 }

        mutating func append(_ key: Key, sequence: UInt64) {
            items.append((key, sequence))
        }

        /// The first live key that no partition blocks (`blockedBy` returns nil). Dead entries at
        /// the head are dropped; the entries before the one found stay, in order. When dead
        /// entries behind the head outnumber the live ones (keys taken past blocked keys), the
        /// queue is compacted. With an `epoch`, entries refused before are not asked again while
        /// the epoch is the same or every partition that refused them is still full (`isFull`).
        mutating func first(
            isLive: (Key, UInt64) -> Bool, blockedBy: (Key) -> String?, isFull: (String) -> Bool = { _ in false },
            epoch: RefusalEpoch? = nil
        ) -> Key? {
            while head < items.count, !isLive(items[head].key, items[head].sequence) { dropFirst() }
            var index = head
            var blocking: Set<String>? = []
            if let epoch, let memo = refused[epoch.limit],
                memo.epoch == epoch
                    || (memo.epoch.partitionsChanged == epoch.partitionsChanged
                        && memo.blocking.map { $0.allSatisfy(isFull) } ?? false)
            {
                index = max(head, memo.index)
                blocking = memo.blocking
            }
            var dead = 0
            var found: Key?
            while index < items.count {
                let item = items[index]
                if !isLive(item.key, item.sequence) {
                    dead += 1
                } else if let partition = blockedBy(item.key) {
                    if blocking != nil {
                        blocking?.insert(partition)
                        if blocking!.count > Self.maxBlocking { blocking = nil }
                    }
                } else {
                    found = item.key
                    break
                }
                index += 1
            }
            if let epoch {
                // Everything before `index` was refused (or dead); the found key, if any, leaves.
                refused[epoch.limit] = (epoch, index, blocking)
            }
            if dead > 64, dead * 2 > items.count - head {
                items = items[head...].filter { isLive($0.key, $0.sequence) }
                head = 0
                refused = [:]
            }
            return found
        }

        private mutating func dropFirst() {
            head += 1
            if head == items.count {
                items.removeAll(keepingCapacity: true)
                head = 0
                refused = [:]
            } else if head >= 1024, head * 2 >= items.count {
                items.removeFirst(head)
                head = 0
                refused = [:]
            }
        }
    }

    /// A binary min-heap of deadlines; equal deadlines leave in sequence order.
    struct DeadlineHeap {
        struct Entry {
            var deadline: Instant
            var sequence: UInt64
            var key: Key

            func precedes(_ other: Entry) -> Bool {
                deadline < other.deadline || (deadline == other.deadline && sequence < other.sequence)
            }
        }

        private var items: [Entry] = []

        var count: Int { items.count }
        var min: Entry? { items.first }

        mutating func push(_ deadline: Instant, sequence: UInt64, key: Key) {
            items.append(Entry(deadline: deadline, sequence: sequence, key: key))
            siftUp(items.count - 1)
        }

        @discardableResult
        mutating func popMin() -> Entry? {
            guard !items.isEmpty else { return nil }
            items.swapAt(0, items.count - 1)
            let entry = items.removeLast()
            if !items.isEmpty { siftDown(0) }
            return entry
        }

        /// Keeps only the entries `keep` accepts.
        mutating func rebuild(keeping keep: (Key, UInt64) -> Bool) {
            let kept = items.filter { keep($0.key, $0.sequence) }
            items = []
            for entry in kept { push(entry.deadline, sequence: entry.sequence, key: entry.key) }
        }

        private mutating func siftUp(_ index: Int) {
            var child = index
            while child > 0 {
                let parent = (child - 1) / 2
                guard items[child].precedes(items[parent]) else { return }
                items.swapAt(child, parent)
                child = parent
            }
        }

        private mutating func siftDown(_ index: Int) {
            var parent = index
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < items.count, items[left].precedes(items[smallest]) { smallest = left }
                if right < items.count, items[right].precedes(items[smallest]) { smallest = right }
                guard smallest != parent else { return }
                items.swapAt(parent, smallest)
                parent = smallest
            }
        }
    }
}

/// Counts the times a work queue drained: went from having keys ready or being processed to
/// having none. Two equal readings mean the queue was busy all along in between, so everything
/// queued at the first reading was handed out before the second or is still waiting (the provider
/// call cache reuses a read for such a backlog).
public final class WorkQueueDrains: Sendable {
    private let value = Atomic<Int>(0)

    public init() {}

    public var count: Int { value.load(ordering: .acquiring) }

    func increment() { value.add(1, ordering: .releasing) }
}
