import HTTPSupport
public import KubeClient
public import KubeModel
public import Logging
import Metrics
public import ServiceLifecycle
import Foundation
import Synchronization

/// What a reconcile asks for next.
public enum ReconcileAction: Sendable, Equatable {
    /// Reconcile again after this delay (periodic refresh), in the routine lane.
    case requeue(after: Duration)
    /// Nothing to do until the object (or a related object) changes.
    case awaitChange
}

/// An error that retrying cannot fix (invalid spec): logged and not retried until the object
/// changes.
public struct TerminalReconcileError: Error, CustomStringConvertible {
    public var underlying: any Error

    public init(_ underlying: any Error) { self.underlying = underlying }

    public var description: String { "\(underlying)" }
}

/// Which lane a cache change is queued in, or nil when it needs no reconcile.
///
/// New objects and changes of spec (generation), labels, annotations, finalizers or deletion go
/// first; everything else the first listing brings waits in the routine lane, so a restart does
/// not make new objects wait behind a full resync. A relisted object whose resourceVersion did
/// not change is not queued at all.
public enum ChangeTriage {
    public static func lane<Object: KubeObject>(for change: StoreChange<Object>, initialSync: Bool) -> WorkQueueLane? {
        guard let new = change.new else { return .priority }
        guard let old = change.old else { return initialSync ? .routine : .priority }
        if old.metadata.resourceVersion == new.metadata.resourceVersion { return nil }
        let meaningful =
            old.metadata.generation != new.metadata.generation || old.metadata.labels != new.metadata.labels
            || old.metadata.annotations != new.metadata.annotations
            || old.metadata.finalizers != new.metadata.finalizers
            || old.metadata.deletionTimestamp != new.metadata.deletionTimestamp
        return meaningful ? .priority : .routine
    }
}

/// Spreads periodic refreshes: a requeue after `delay` is stretched by up to `fraction` of it,
/// so objects created together (or all objects after a restart) do not refresh in lockstep
/// every interval.
public struct RequeueJitter: Sendable {
    public var fraction: Double
    /// Returns a number in 0..<1 (injected so tests are deterministic).
    public var unitRandom: @Sendable () -> Double

    public init(fraction: Double = 0.1, unitRandom: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        self.fraction = max(0, fraction)
        self.unitRandom = unitRandom
    }

    /// No jitter.
    public static let none = RequeueJitter(fraction: 0) { 0 }

    /// `delay` stretched by `fraction × unitRandom()` of itself.
    public func apply(to delay: Duration) -> Duration {
        delay + delay * (fraction * min(max(unitRandom(), 0), 1))
    }
}

/// Runs reconciles of one kind: a watcher feeds a reflector store, changes feed a work queue,
/// and `workers` tasks reconcile keys from it.
///
/// Guarantees: reconcile receives the cached object (level-triggered: not the event that woke
/// it); never two reconciles of one key at once; errors back off per key; a
/// `TerminalReconcileError` is not retried; workers start only once the cache has synced.
/// On graceful shutdown the queue stops handing out keys, reconciles in flight get
/// `shutdownGracePeriod` to finish and are then cancelled, and `run` returns normally: a
/// controller that stops because it was asked to is not a failed service. Shutdown before the
/// cache synced stops it at once.
///
/// What a controller reacts to besides its own objects is declared with `watches` (another
/// change source mapped to keys of this one); its own changes reach subscribers (`ChangeSource`).
///
/// Isolation (DESIGN.md invariant 8): with `partitions` and a `partitionLimit` in the queue
/// configuration, one partition (for ExternalSecrets: one store) holds at most that many workers
/// (see ``WorkQueue``), and one reserve worker beside the `workers` takes only keys whose
/// partitions have nothing in flight: even with one worker, and however many partitions hang, a
/// key of an idle partition starts at once (at most `workers + 1` reconciles run). With a
/// `reconcileTimeout`, a reconcile that runs longer is cancelled and counts as a failure (retried
/// with backoff).
///
/// Caveat: cancellation is cooperative. A reconcile past its deadline or grace period holds its
/// worker until it notices; everything it awaits (HTTP, provider calls, template renders) does.
public final class Controller<Object: KubeObject, C: Clock>: Service, ChangeSource where C.Duration == Duration {
    public let name: String
    /// The cache of watched objects (read-only).
    public let store: Store<Object>
    public let queue: WorkQueue<ObjectKey, C>
    /// The versions of this controller's objects its own reconciles wrote (status patches): their
    /// watch events wake nothing (see ``OwnWrites``).
    public let ownWrites: OwnWrites
    private let writer: StoreWriter<Object>
    private let api: ResourceAPI<Object>
    private let watcherOptions: WatcherOptions
    private let workers: Int
    /// Whether a reserve worker serves idle partitions (only when the queue has bulkheads).
    private let hasReserveWorker: Bool
    private let clock: C
    /// Reconcile deadlines (a timer that forgets a finished reconcile's deadline at once).
    private let timeouts: DeadlineTimer<C>
    private let logger: Logger
    private let reconcile: @Sendable (Object) async throws -> ReconcileAction
    private let relatedWatches: [@Sendable (WorkQueue<ObjectKey, C>) async throws -> Void]
    private let reconcileCounters: [String: Counter]
    private let reconcileTimer: Timer
    /// controller-runtime's `controller_runtime_active_workers` (reconciles running now) and
    /// `controller_runtime_max_concurrent_reconciles` (the worker count), as ESO's dashboard reads them.
    private let activeWorkersGauge: Gauge
    private let activeWorkers = Mutex(0)
    private let failures = Mutex(FailureTransitions())
    private let jitter: RequeueJitter
    private let subscribers = Subscribers<StoreChange<Object>>()
    private let reconcileTimeout: Duration?
    private let shutdownGracePeriod: Duration

    /// - Parameters:
    ///   - partitions: the bulkhead partitions of a cached object (see ``WorkQueue``); a key whose
    ///     object is not cached has none.
    ///   - reconcileTimeout: the longest one reconcile may run before it is cancelled; nil: no limit.
    ///   - shutdownGracePeriod: how long reconciles in flight may go on after graceful shutdown
    ///     began before they are cancelled.
    public init(
        name: String, api: ResourceAPI<Object>, watcherOptions: WatcherOptions = WatcherOptions(),
        indexes: [StoreIndex<Object>] = [], workers: Int = 1,
        queueConfiguration: WorkQueueConfiguration = WorkQueueConfiguration(), jitter: RequeueJitter = RequeueJitter(),
        clock: C, logger: Logger,
        relatedWatches: [@Sendable (WorkQueue<ObjectKey, C>) async throws -> Void] = [],
        partitions: (@Sendable (Object) -> [String])? = nil,
        reconcileTimeout: Duration? = nil, shutdownGracePeriod: Duration = .seconds(10),
        ownWrites: OwnWrites = OwnWrites(), queueDrains: WorkQueueDrains = WorkQueueDrains(),
        reconcile: @escaping @Sendable (Object) async throws -> ReconcileAction
    ) {
        self.name = name
        self.ownWrites = ownWrites
        self.reconcileTimeout = reconcileTimeout
        self.shutdownGracePeriod = shutdownGracePeriod
        let (store, writer) = Store<Object>.make(indexes: indexes)
        (self.store, self.writer) = (store, writer)
        let keyPartitions: @Sendable (ObjectKey) -> [String]
        if let partitions {
            keyPartitions = { key in store.get(key).map(partitions) ?? [] }
        } else {
            keyPartitions = { _ in [] }
        }
        self.queue = WorkQueue(
            name: name, configuration: queueConfiguration, clock: clock, partitions: keyPartitions, drains: queueDrains)
        self.api = api
        self.watcherOptions = watcherOptions
        self.workers = max(1, workers)
        self.hasReserveWorker = partitions != nil && queueConfiguration.partitionLimit != nil
        self.clock = clock
        self.timeouts = DeadlineTimer(clock: clock)
        self.logger = logger
        self.reconcile = reconcile
        self.relatedWatches = relatedWatches
        self.jitter = jitter
        self.reconcileCounters = Dictionary(
            uniqueKeysWithValues: ["success", "requeue_after", "error", "terminal_error"].map { result in
                (result, Counter(label: "controller_runtime_reconcile_total", dimensions: [("controller", name), ("result", result)]))
            })
        self.reconcileTimer = Timer(
            label: "controller_runtime_reconcile_time_seconds", dimensions: [("controller", name)],
            preferredDisplayUnit: .seconds)
        self.activeWorkersGauge = Gauge(label: "controller_runtime_active_workers", dimensions: [("controller", name)])
        activeWorkersGauge.record(0)
        let reserve = partitions != nil && queueConfiguration.partitionLimit != nil
        Gauge(label: "controller_runtime_max_concurrent_reconciles", dimensions: [("controller", name)])
            .record(max(1, workers) + (reserve ? 1 : 0))
    }

    public func subscribe(_ subscriber: @escaping @Sendable (StoreChange<Object>) async -> Void) {
        subscribers.add(subscriber)
    }

    /// Declares that changes of `source` wake the keys `mapping` returns, in `lane` (new and
    /// changed dependencies go first by default). Declare it before the controller runs.
    public func watches<Source: ChangeSource>(
        _ source: Source, lane: WorkQueueLane = .priority,
        mapping: @escaping @Sendable (StoreChange<Source.Object>) -> [ObjectKey]
    ) {
        let queue = self.queue
        source.subscribe { change in
            for key in mapping(change) { await queue.add(key, lane: lane) }
        }
    }

    /// Like ``watches(_:lane:mapping:)`` for objects this controller's reconciles write (an
    /// ExternalSecret's target Secret): the key `writer` names for a change is woken through
    /// `ownWrites`, so not at all when the change is exactly that reconcile's own write (see
    /// ``OwnWrites``); the other keys `mapping` returns are woken as usual.
    public func watches<Source: ChangeSource>(
        _ source: Source, lane: WorkQueueLane = .priority, ownWrites: OwnWrites,
        writer: @escaping @Sendable (Source.Object) -> ObjectKey?,
        mapping: @escaping @Sendable (StoreChange<Source.Object>) -> [ObjectKey]
    ) {
        let queue = self.queue
        source.subscribe { change in
            guard let new = change.new else {
                ownWrites.forget(change.key)
                for key in mapping(change) { await queue.add(key, lane: lane) }
                return
            }
            let writerKey = writer(new)
            for key in mapping(change) where key != writerKey { await queue.add(key, lane: lane) }
            if let writerKey, mapping(change).contains(writerKey) {
                await ownWrites.deliver(new) { await queue.add(writerKey, lane: lane) }
            }
        }
    }

    /// Declares that a change of an object of `source` wakes the objects of this controller whose
    /// index `index` holds the value `value(changed object's key)` (a store → the ExternalSecrets
    /// that name it), in the dependency lane: one store edit may wake thousands, and they wait
    /// behind new objects and spec changes.
    /// `matters` says which changes wake them (by default every one).
    public func watches<Source: ChangeSource>(
        _ source: Source, through index: String, value: @escaping @Sendable (ObjectKey) -> String,
        when matters: @escaping @Sendable (StoreChange<Source.Object>) -> Bool = { _ in true }
    ) {
        let store = self.store
        watches(source, lane: .dependency) { change in
            matters(change) ? store.keys(index: index, value: value(change.key)) : []
        }
    }

    /// Queues, in the dependency lane, the objects whose index `index` holds `value` (a store's
    /// circuit breaker opened → the objects of that store).
    public func wake(index: String, value: String) async {
        for key in store.keys(index: index, value: value) { await queue.add(key, lane: .dependency) }
    }

    /// A related watch: objects of another kind mapped to the keys they should wake (a managed
    /// Secret → its owner; a store → every ExternalSecret using it).
    public static func relatedWatch<Other: KubeObject>(
        api: ResourceAPI<Other>, options: WatcherOptions = WatcherOptions(), clock: C, logger: Logger,
        mapping: @escaping @Sendable (Other) -> [ObjectKey]
    ) -> @Sendable (WorkQueue<ObjectKey, C>) async throws -> Void {
        { queue in
            var synced = false
            try await Watcher(api: api, options: options, clock: clock, logger: logger).run { event in
                let objects: [Other]
                switch event {
                case .applied(let object), .deleted(let object): objects = [object]
                case .restarted(let all):
                    // The first listing wakes nothing: the main watch's own sync covers it.
                    objects = synced ? all : []
                    synced = true
                }
                for object in objects {
                    for key in mapping(object) { await queue.add(key, lane: .priority) }
                }
            } onError: { error in
                logger.warning("related watch failed", metadata: ["resource": "\(api.resource)", "error": "\(error)"])
            }
        }
    }

    public func run() async throws {
        let (graceOver, endGrace) = AsyncStream<Void>.makeStream()
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Ends first only when the grace period after shutdown is over: cancels the rest.
                group.addTask { for await _ in graceOver { return } }
                group.addTask { try await self.runWatcher() }
                for related in relatedWatches {
                    let queue = self.queue
                    group.addTask { try await related(queue) }
                }
                group.addTask {
                    // Shutdown before the first listing (say the CRD is missing): nothing to drain.
                    await cancelWhenGracefulShutdown { await self.store.waitUntilSynced() }
                    guard !Task.isCancelled, !Task.isShuttingDownGracefully else { return }
                    let reserve = self.hasReserveWorker
                    self.logger.info(
                        "cache synced; starting workers",
                        metadata: ["controller": "\(self.name)", "workers": "\(self.workers)", "reserveWorker": "\(reserve)"])
                    await withTaskGroup(of: Void.self) { workers in
                        for _ in 0..<self.workers { workers.addTask { await self.runWorker() } }
                        if reserve { workers.addTask { await self.runWorker(onlyIdlePartitions: true) } }
                    }
                }
                // Workers return once the queue is shut down (or the grace period is over); then
                // stop the watchers. Their CancellationErrors are discarded with the group.
                try await group.next()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            Task {
                await self.queue.shutDown()
                try? await self.clock.sleep(for: self.shutdownGracePeriod)
                endGrace.yield()
                endGrace.finish()
            }
        }
        endGrace.finish()
    }

    private func runWatcher() async throws {
        var initialSync = true
        try await Watcher(api: api, options: watcherOptions, clock: clock, logger: logger).run { event in
            let changes = self.writer.apply(event)
            let first = initialSync
            if case .restarted = event { initialSync = false }
            for change in changes {
                // A status-only change this process wrote itself wakes nothing: the reconcile that
                // wrote it saw everything up to it.
                if change.new == nil { self.ownWrites.forget(change.key) }
                if let lane = ChangeTriage.lane(for: change, initialSync: first) {
                    let (queue, key) = (self.queue, change.key)
                    if lane == .routine, change.old != nil, let new = change.new {
                        await self.ownWrites.deliver(new) { await queue.add(key, lane: lane) }
                    } else {
                        await queue.add(key, lane: lane)
                    }
                }
                if !first { await self.subscribers.notify(change) }
            }
        } onError: { error in
            self.logger.warning("watch failed; retrying", metadata: ["controller": "\(self.name)", "error": "\(error)"])
        }
    }

    private func runWorker(onlyIdlePartitions: Bool = false) async {
        while let key = await queue.next(onlyIdlePartitions: onlyIdlePartitions) {
            await process(key)
            await queue.done(key)
        }
    }

    private func process(_ key: ObjectKey) async {
        guard let object = store.get(key) else {
            // Deleted: nothing to reconcile; drop its backoff history.
            await queue.forget(key)
            failures.withLock { $0.forget(key) }
            return
        }
        let context = ReconcileContext(
            controller: name, namespace: key.namespace, name: key.name, reconcileID: UUID().uuidString.lowercased())
        await ReconcileContext.$current.withValue(context) {
            await process(key, object)
        }
    }

    /// One reconcile of `object`, its outcome counted, queued and logged. Logged are transitions
    /// only: the first failure of a key and each change of its error at warning level, repeats
    /// of the same error at debug, and the first success after failures at info.
    private func process(_ key: ObjectKey, _ object: Object) async {
        let start = clock.now
        activeWorkersGauge.record(activeWorkers.withLock { $0 += 1; return $0 })
        defer {
            reconcileTimer.recordNanoseconds(start.duration(to: clock.now).nanoseconds)
            activeWorkersGauge.record(activeWorkers.withLock { $0 -= 1; return $0 })
        }
        do {
            switch try await reconcileWithDeadline(object) {
            case .awaitChange:
                reconcileCounters["success"]?.increment()
                await queue.forget(key)
            case .requeue(let delay):
                reconcileCounters["requeue_after"]?.increment()
                await queue.forget(key)
                await queue.add(key, after: jitter.apply(to: delay), lane: .routine)
            }
            if failures.withLock({ $0.succeeded(key) }) {
                logger.info("reconcile succeeded after failures", metadata: ["controller": "\(name)", "key": "\(key)"])
            }
        } catch _ where Task.isCancelled {
            // Cut short by shutdown: neither a failure nor worth a retry in this process.
            logger.info("reconcile cancelled by shutdown", metadata: ["controller": "\(name)", "key": "\(key)"])
        } catch let error as TerminalReconcileError {
            reconcileCounters["terminal_error"]?.increment()
            await queue.forget(key)
            let level: Logger.Level = failures.withLock { $0.failed(key, message: "\(error)") } ? .error : .debug
            logger.log(
                level: level, "reconcile failed; not retrying",
                metadata: ["controller": "\(name)", "key": "\(key)", "error": "\(error)"])
        } catch {
            reconcileCounters["error"]?.increment()
            let delay = await queue.requeueAfterFailure(key)
            let level: Logger.Level = failures.withLock { $0.failed(key, message: "\(error)") } ? .warning : .debug
            logger.log(
                level: level, "reconcile failed; retrying",
                metadata: ["controller": "\(name)", "key": "\(key)", "retryIn": "\(delay)", "error": "\(error)"])
        }
    }

    /// Runs the reconcile, cancelled once `reconcileTimeout` has passed.
    private func reconcileWithDeadline(_ object: Object) async throws -> ReconcileAction {
        guard let timeout = reconcileTimeout else { return try await reconcile(object) }
        guard let action = try await timeouts.run(timeout: timeout, { try await self.reconcile(object) }) else {
            throw ReconcileTimeout(timeout: timeout)
        }
        return action
    }
}

/// A reconcile ran longer than the controller's reconcile timeout and was cancelled.
public struct ReconcileTimeout: Error, CustomStringConvertible {
    public var timeout: Duration

    public var description: String { "reconcile did not finish within \(timeout) and was cancelled" }
}
