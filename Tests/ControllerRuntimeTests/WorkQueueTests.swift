import ClockTestSupport
import Metrics
import Synchronization
import Testing

@testable import ControllerRuntime

// MARK: - State machine (synchronous)

private typealias Machine = WorkQueueStateMachine<String, ManualClock.Instant>

/// An instant `ms` milliseconds after the start of the clock.
private func at(_ ms: Int) -> ManualClock.Instant { ManualClock.Instant(offset: .milliseconds(ms)) }

@Suite struct WorkQueueStateMachineTests {
    @Test func addingAWaitingKeyAgainChangesNothing() {
        var machine = Machine()
        #expect(machine.add("a", lane: .priority, now: at(0)) == .enqueued)
        #expect(machine.add("a", lane: .priority, now: at(1)) == .alreadyWaiting)
        #expect(machine.add("a", lane: .routine, now: at(2)) == .alreadyWaiting)
        #expect(machine.counts == WorkQueueCounts(priority: 1))
        #expect(machine.takeAddedCount() == 1)
        // Waited since the first add.
        #expect(machine.next(now: at(10)) == .handOut("a", lane: .priority, queued: .milliseconds(10)))
        #expect(machine.next(now: at(10)) == .wait(until: nil))
    }

    @Test func keyAddedWhileProcessingIsHandedOutAgainOnlyAfterDone() {
        var machine = Machine()
        _ = machine.add("a", lane: .routine, now: at(0))
        #expect(machine.next(now: at(0)) == .handOut("a", lane: .routine, queued: .zero))
        #expect(machine.add("a", lane: .routine, now: at(5)) == .markedDirty)
        #expect(machine.add("a", lane: .priority, now: at(6)) == .promoted)
        #expect(machine.add("a", lane: .priority, now: at(7)) == .alreadyWaiting)
        #expect(machine.counts == WorkQueueCounts(processing: 1, dirty: 1))
        // Not ready while it is processing, whatever the adds said.
        #expect(machine.next(now: at(8)) == .wait(until: nil))
        #expect(machine.done("a", now: at(30)) == .requeued(worked: .milliseconds(30)))
        #expect(machine.counts == WorkQueueCounts(priority: 1))
        #expect(machine.next(now: at(40)) == .handOut("a", lane: .priority, queued: .milliseconds(35)))
        #expect(machine.done("a", now: at(41)) == .finished(worked: .milliseconds(1)))
        #expect(machine.done("a", now: at(42)) == .notProcessing)
        #expect(machine.next(now: at(50)) == .wait(until: nil))
        #expect(machine.takeAddedCount() == 2)
    }

    @Test func failuresBackOffPerKeyAndForgetResets() {
        var machine = Machine()
        _ = machine.add("a", lane: .priority, now: at(0))
        var now = 0
        for expected in [5, 10, 20, 40] {
            guard case .handOut("a", .priority, _) = machine.next(now: at(now)) else {
                Issue.record("a was not handed out at \(now) ms")
                return
            }
            let (delay, outcome) = machine.requeueAfterFailure("a", lane: nil, now: at(now))
            #expect(delay == .milliseconds(expected))
            #expect(outcome == .scheduled(isEarliest: true))
            #expect(machine.done("a", now: at(now)) == .finished(worked: .zero))
            // Not before its backoff; the retry keeps the lane it was handed out from.
            #expect(machine.next(now: at(now)) == .wait(until: at(now + expected)))
            now += expected
        }
        #expect(machine.failures(of: "a") == 4)
        #expect(machine.failures(of: "b") == 0)
        machine.forget("a")
        #expect(machine.failures(of: "a") == 0)
        #expect(machine.requeueAfterFailure("a", lane: nil, now: at(now)).delay == .milliseconds(5))
    }

    @Test func retryOfAKeyThatIsNotProcessingGoesToTheRoutineLaneUnlessToldOtherwise() {
        var machine = Machine()
        _ = machine.requeueAfterFailure("a", lane: nil, now: at(0))
        _ = machine.requeueAfterFailure("b", lane: .priority, now: at(0))
        #expect(machine.next(now: at(5)) == .handOut("b", lane: .priority, queued: .zero))
        #expect(machine.next(now: at(5)) == .handOut("a", lane: .routine, queued: .zero))
    }

    @Test func earlierDeadlineWins() {
        var machine = Machine()
        #expect(machine.add("a", lane: .routine, at: at(10_000), now: at(0)) == .scheduled(isEarliest: true))
        #expect(machine.add("a", lane: .routine, at: at(20_000), now: at(0)) == .keptEarlierDeadline)
        #expect(machine.add("a", lane: .routine, at: at(5_000), now: at(0)) == .scheduled(isEarliest: true))
        #expect(machine.counts == WorkQueueCounts(scheduled: 1))
        #expect(machine.next(now: at(0)) == .wait(until: at(5_000)))
        #expect(machine.next(now: at(4_999)) == .wait(until: at(5_000)))
        // Queue wait is measured from the deadline, not from the delayed add.
        #expect(machine.next(now: at(5_002)) == .handOut("a", lane: .routine, queued: .milliseconds(2)))
        #expect(machine.done("a", now: at(5_003)) == .finished(worked: .milliseconds(1)))
        // The superseded deadlines do not fire.
        #expect(machine.next(now: at(30_000)) == .wait(until: nil))
        #expect(machine.counts == WorkQueueCounts())
    }

    @Test func equalDeadlineTakesTheBetterLane() {
        var machine = Machine()
        _ = machine.add("a", lane: .routine, at: at(10), now: at(0))
        _ = machine.add("b", lane: .routine, at: at(10), now: at(0))
        #expect(machine.add("b", lane: .priority, at: at(10), now: at(0)) == .keptEarlierDeadline)
        #expect(machine.next(now: at(10)) == .handOut("b", lane: .priority, queued: .zero))
        #expect(machine.next(now: at(10)) == .handOut("a", lane: .routine, queued: .zero))
    }

    @Test func immediateAddOfAScheduledKeyMakesItReadyNow() {
        var machine = Machine()
        _ = machine.add("a", lane: .routine, at: at(10_000), now: at(0))
        #expect(machine.add("a", lane: .priority, now: at(1_000)) == .enqueued)
        #expect(machine.counts == WorkQueueCounts(priority: 1))
        #expect(machine.next(now: at(1_000)) == .handOut("a", lane: .priority, queued: .zero))
        _ = machine.done("a", now: at(1_000))
        // The cancelled deadline does not bring it back.
        #expect(machine.next(now: at(10_000)) == .wait(until: nil))
    }

    @Test func delayedAddOfAWaitingKeyChangesNothing() {
        var machine = Machine()
        _ = machine.add("dirty", lane: .routine, now: at(0))
        #expect(machine.next(now: at(0)) == .handOut("dirty", lane: .routine, queued: .zero))
        _ = machine.add("dirty", lane: .routine, now: at(0))
        _ = machine.add("ready", lane: .routine, now: at(0))
        #expect(machine.add("ready", lane: .priority, at: at(10), now: at(0)) == .alreadyWaiting)
        #expect(machine.add("dirty", lane: .routine, at: at(10), now: at(0)) == .alreadyWaiting)
        #expect(machine.counts == WorkQueueCounts(routine: 1, processing: 1, dirty: 1))
    }

    @Test func delayedAddOfAProcessingKeyMarksItDirtyWhenDue() {
        var machine = Machine()
        _ = machine.add("a", lane: .routine, now: at(0))
        _ = machine.next(now: at(0))
        #expect(machine.add("a", lane: .routine, at: at(10), now: at(0)) == .scheduled(isEarliest: true))
        #expect(machine.next(now: at(10)) == .wait(until: nil))
        #expect(machine.counts == WorkQueueCounts(processing: 1, dirty: 1))
        #expect(machine.done("a", now: at(20)) == .requeued(worked: .milliseconds(20)))
        #expect(machine.next(now: at(20)) == .handOut("a", lane: .routine, queued: .milliseconds(10)))
    }

    @Test func zeroOrNegativeDelayIsAnImmediateAdd() {
        var machine = Machine()
        #expect(machine.add("a", lane: .routine, at: at(100), now: at(100)) == .enqueued)
        #expect(machine.add("b", lane: .routine, at: at(50), now: at(100)) == .enqueued)
        #expect(machine.counts == WorkQueueCounts(routine: 2))
    }

    @Test func scheduledKeysBecomeReadyInDeadlineOrder() {
        var machine = Machine()
        let deadlines = [70, 10, 40, 10, 90, 20, 60, 30, 80, 50]
        for (index, deadline) in deadlines.enumerated() {
            _ = machine.add("k\(index)", lane: .routine, at: at(deadline), now: at(0))
        }
        var order: [String] = []
        while case .handOut(let key, _, _) = machine.next(now: at(100)) { order.append(key) }
        // Equal deadlines leave in the order they were added.
        #expect(order == ["k1", "k3", "k5", "k7", "k2", "k9", "k6", "k0", "k8", "k4"])
    }

    @Test func priorityKeyLeavesBeforeRoutineKeysAddedEarlier() {
        var machine = Machine()
        for index in 0..<2_000 { _ = machine.add("refresh-\(index)", lane: .routine, now: at(0)) }
        _ = machine.add("new", lane: .priority, now: at(1))
        #expect(machine.next(now: at(2)) == .handOut("new", lane: .priority, queued: .milliseconds(1)))
        #expect(machine.next(now: at(2)) == .handOut("refresh-0", lane: .routine, queued: .milliseconds(2)))
        _ = machine.add("changed", lane: .priority, now: at(3))
        #expect(machine.next(now: at(3)) == .handOut("changed", lane: .priority, queued: .zero))
        #expect(machine.next(now: at(3)) == .handOut("refresh-1", lane: .routine, queued: .milliseconds(3)))
        #expect(machine.counts == WorkQueueCounts(routine: 1_998, processing: 4))
    }

    @Test func aStormInTheDependencyLaneNeverDelaysNewObjectsAndGoesBeforeRefreshes() {
        var machine = Machine()
        for index in 0..<3 { _ = machine.add("refresh-\(index)", lane: .routine, now: at(0)) }
        for index in 0..<2_000 { _ = machine.add("store-edit-\(index)", lane: .dependency, now: at(1)) }
        _ = machine.add("new", lane: .priority, now: at(2))
        #expect(machine.counts == WorkQueueCounts(priority: 1, dependency: 2_000, routine: 3))
        #expect(machine.next(now: at(2)) == .handOut("new", lane: .priority, queued: .zero))
        #expect(machine.next(now: at(2)) == .handOut("store-edit-0", lane: .dependency, queued: .milliseconds(1)))
        // A dependency add of a routine key moves it up; a routine add of a dependency key does not
        // move it down.
        #expect(machine.add("refresh-2", lane: .dependency, now: at(3)) == .promoted)
        #expect(machine.add("store-edit-1", lane: .routine, now: at(3)) == .alreadyWaiting)
        for index in 1..<2_000 {
            #expect(machine.next(now: at(4)) == .handOut("store-edit-\(index)", lane: .dependency, queued: .milliseconds(3)))
        }
        #expect(machine.next(now: at(4)) == .handOut("refresh-2", lane: .dependency, queued: .milliseconds(4)))
        #expect(machine.next(now: at(4)) == .handOut("refresh-0", lane: .routine, queued: .milliseconds(4)))
    }

    @Test func priorityAddMovesARoutineKeyToThePriorityLane() {
        var machine = Machine()
        for key in ["r1", "k", "r2"] { _ = machine.add(key, lane: .routine, now: at(0)) }
        #expect(machine.add("k", lane: .priority, now: at(5)) == .promoted)
        #expect(machine.counts == WorkQueueCounts(priority: 1, routine: 2))
        #expect(machine.takeAddedCount() == 3)
        // It keeps its place in time: queue wait counts from the first add.
        #expect(machine.next(now: at(10)) == .handOut("k", lane: .priority, queued: .milliseconds(10)))
        #expect(machine.next(now: at(10)) == .handOut("r1", lane: .routine, queued: .milliseconds(10)))
        #expect(machine.next(now: at(10)) == .handOut("r2", lane: .routine, queued: .milliseconds(10)))
        // Handed out once: the stale routine entry is skipped.
        #expect(machine.next(now: at(10)) == .wait(until: nil))
    }

    @Test func lanesKeepArrivalOrderOverManyKeysAndPromotions() {
        var machine = Machine()
        let keys = (0..<3_000).map { "k\($0)" }
        for key in keys { _ = machine.add(key, lane: .routine, now: at(0)) }
        let promoted = stride(from: 2_999, to: 0, by: -7).map { keys[$0] }
        for key in promoted { #expect(machine.add(key, lane: .priority, now: at(1)) == .promoted) }
        var order: [String] = []
        while case .handOut(let key, _, _) = machine.next(now: at(2)) { order.append(key) }
        let promotedSet = Set(promoted)
        let expected = promoted + keys.filter { !promotedSet.contains($0) }
        #expect(order.count == expected.count)
        #expect(order.firstIndex { !promotedSet.contains($0) } == promoted.count)
        #expect(order.elementsEqual(expected))
        #expect(machine.counts == WorkQueueCounts(processing: 3_000))
    }

    @Test func staleDeadlinesAreDroppedWithoutLosingLiveOnes() {
        var machine = Machine()
        let keys = (0..<200).map { "k\($0)" }
        for (index, key) in keys.enumerated() {
            _ = machine.add(key, lane: .routine, at: at(10_000 + index), now: at(0))
        }
        // Earlier deadlines for the first half, immediate adds for every second key: the heap is
        // left with many stale entries.
        for (index, key) in keys.prefix(100).enumerated() {
            _ = machine.add(key, lane: .routine, at: at(5_000 + index), now: at(0))
        }
        let immediate = stride(from: 0, to: 200, by: 2).map { keys[$0] }
        for key in immediate { _ = machine.add(key, lane: .priority, now: at(1)) }
        #expect(machine.counts == WorkQueueCounts(priority: 100, scheduled: 100))
        var order: [String] = []
        while case .handOut(let key, _, _) = machine.next(now: at(1)) { order.append(key) }
        #expect(order == immediate)
        #expect(machine.next(now: at(1)) == .wait(until: at(5_001)))
        while case .handOut(let key, _, _) = machine.next(now: at(20_000)) { order.append(key) }
        let immediateSet = Set(immediate)
        #expect(order == immediate + keys.filter { !immediateSet.contains($0) })
        #expect(machine.next(now: at(30_000)) == .wait(until: nil))
    }

    @Test func rateLimitedMachineTakesOneTokenPerReadyKeyAndChoosesTheKeyWhenTheTokenIsDue() {
        var machine = Machine(rateLimited: true)
        _ = machine.add("a", lane: .routine, now: at(0))
        _ = machine.add("b", lane: .routine, now: at(0))
        #expect(machine.next(now: at(0), waiters: 3) == .reserveToken)
        #expect(machine.next(now: at(0), waiters: 3) == .reserveToken)
        // Two keys, two reservations in flight: nothing more to ask for.
        #expect(machine.next(now: at(0), waiters: 3) == .wait(until: nil))
        machine.tokenReserved(due: at(0))
        machine.tokenReserved(due: at(100))
        #expect(machine.next(now: at(0)) == .handOut("a", lane: .routine, queued: .zero))
        #expect(machine.next(now: at(0)) == .wait(until: at(100)))
        _ = machine.add("p", lane: .priority, now: at(50))
        // One waiter needs one token, and one is coming.
        #expect(machine.next(now: at(50), waiters: 1) == .wait(until: at(100)))
        #expect(machine.next(now: at(50), waiters: 2) == .reserveToken)
        machine.tokenReserved(due: at(200))
        #expect(machine.next(now: at(50), waiters: 2) == .wait(until: at(100)))
        #expect(machine.next(now: at(100)) == .handOut("p", lane: .priority, queued: .milliseconds(50)))
        #expect(machine.next(now: at(150)) == .wait(until: at(200)))
        #expect(machine.next(now: at(200)) == .handOut("b", lane: .routine, queued: .milliseconds(200)))
    }

    @Test func shutDownDropsWaitingKeysAndLetsProcessingKeysFinish() {
        var machine = Machine()
        _ = machine.add("a", lane: .priority, now: at(0))
        _ = machine.add("b", lane: .priority, now: at(0))
        _ = machine.add("c", lane: .routine, at: at(10), now: at(0))
        _ = machine.next(now: at(0))
        _ = machine.add("a", lane: .priority, now: at(0))
        machine.shutDown()
        #expect(machine.isShutDown)
        #expect(machine.counts == WorkQueueCounts(processing: 1))
        #expect(machine.add("d", lane: .priority, now: at(1)) == .shutDown)
        #expect(machine.next(now: at(20)) == .shutDown)
        #expect(machine.done("a", now: at(20)) == .finished(worked: .milliseconds(20)))
        #expect(machine.counts == WorkQueueCounts())
    }
}

// MARK: - Backoff

@Suite struct ExponentialBackoffTests {
    @Test(arguments: [
        (0, Duration.zero),
        (1, .milliseconds(5)),
        (2, .milliseconds(10)),
        (3, .milliseconds(20)),
        (4, .milliseconds(40)),
        (11, .milliseconds(5_120)),
        (18, .milliseconds(655_360)),
        (19, .seconds(1_000)),
        (64, .seconds(1_000)),
        (Int.max, .seconds(1_000)),
    ])
    func controllerRuntimeDefaults(failures: Int, expected: Duration) {
        #expect(ExponentialBackoff().delay(afterFailures: failures) == expected)
    }

    @Test(arguments: [
        (1, Duration.seconds(1)),
        (6, .seconds(32)),
        (7, .seconds(60)),
        (1_000_000, .seconds(60)),
    ])
    func configuredBaseAndCap(failures: Int, expected: Duration) {
        let backoff = ExponentialBackoff(base: .seconds(1), cap: .seconds(60))
        #expect(backoff.delay(afterFailures: failures) == expected)
    }

    @Test func baseAboveCapIsCapped() {
        #expect(ExponentialBackoff(base: .seconds(10), cap: .seconds(3)).delay(afterFailures: 1) == .seconds(3))
    }
}

// MARK: - Actor with a manual clock

private func makeQueue(
    clock: ManualClock, qps: Double = 0, burst: Int = 1, metrics: TestMetricsFactory? = nil
) -> WorkQueue<String, ManualClock> {
    WorkQueue(
        name: "test",
        configuration: WorkQueueConfiguration(qps: qps, burst: burst),
        clock: clock,
        metricsFactory: metrics ?? TestMetricsFactory())
}

/// Yields until `condition` holds, to let other tasks reach a state; records an issue if they
/// never do. Counts yields, not time.
private func eventually(
    _ what: Comment,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async -> Bool
) async {
    for _ in 0..<200_000 {
        if await condition() { return }
        await Task.yield()
    }
    Issue.record("never happened: \(what)", sourceLocation: sourceLocation)
}

/// Manual clock only; the time limit turns a lost wake-up into a failure instead of a hang.
@Suite(.timeLimit(.minutes(10))) struct WorkQueueTests {
    @Test func nextParksWithoutTouchingTheClockUntilAnAddWakesIt() async {
        let clock = ManualClock()
        let queue = makeQueue(clock: clock)
        let worker = Task { await queue.next() }
        await eventually("the worker parks") { queue.suspendedWaiters == 1 }
        // Nothing scheduled: no timer, no polling.
        #expect(clock.sleeperCount == 0)
        await queue.add("a")
        #expect(await worker.joined == "a")
        #expect(await queue.counts == WorkQueueCounts(processing: 1))
    }

    @Test func sleepingWaiterWakesWhenADelayedKeyComesDueAndForAnEarlierDeadline() async {
        let clock = ManualClock()
        let queue = makeQueue(clock: clock)
        await queue.add("late", after: .seconds(30))
        let first = Task { await queue.next() }
        await eventually("the worker sleeps until 30 s") { queue.timedWaiters == 1 && queue.suspendedWaiters == 1 }
        // An earlier deadline re-arms the sleeping worker (a second clock sleep: the first, for
        // 30 s, is never cancelled; see DeadlineTimer).
        await queue.add("early", after: .seconds(10))
        // The add woke it (it is no longer parked), so parked again means re-armed.
        await eventually("the worker re-arms for 10 s") { queue.timedWaiters == 1 && queue.suspendedWaiters == 1 && clock.sleeperCount == 2 }
        clock.advance(by: .seconds(9))
        #expect(await queue.counts == WorkQueueCounts(scheduled: 2))
        clock.advance(by: .seconds(1))
        #expect(await first.joined == "early")
        #expect(clock.now.offset == .seconds(10))

        let second = Task { await queue.next() }
        await eventually("the worker sleeps until 30 s") { queue.timedWaiters == 1 && queue.suspendedWaiters == 1 }
        clock.advance(by: .seconds(20))
        #expect(await second.joined == "late")
    }

    @Test func shutDownWakesEveryWaiterWithNil() async {
        let clock = ManualClock()
        let queue = makeQueue(clock: clock)
        await queue.add("later", after: .seconds(3600))
        let workers = (0..<5).map { _ in Task { await queue.next() } }
        await eventually("five workers sleep") { queue.suspendedWaiters == 5 && queue.timedWaiters == 5 }
        await queue.shutDown()
        for worker in workers { #expect(await worker.joined == nil) }
        // Their timed sleeps are gone too.
        await eventually("no sleeper is left") { queue.timedWaiters == 0 && queue.suspendedWaiters == 0 }
        #expect(await queue.next() == nil)
        await queue.add("ignored")
        #expect(await queue.counts == WorkQueueCounts())
        #expect(await queue.isShutDown)
    }

    @Test func concurrentWaitersEachGetADistinctKey() async {
        let clock = ManualClock()
        let queue = makeQueue(clock: clock)
        let workers = (0..<8).map { _ in Task { await queue.next() } }
        await eventually("eight workers park") { queue.suspendedWaiters == 8 }
        let keys = (0..<8).map { "k\($0)" }
        for key in keys { await queue.add(key) }
        var received: [String] = []
        for worker in workers {
            if let key = await worker.joined { received.append(key) }
        }
        #expect(received.sorted() == keys)
        #expect(await queue.counts == WorkQueueCounts(processing: 8))
    }

    @Test func workersDrainManyKeysEachExactlyOnce() async {
        let clock = ManualClock()
        let queue = makeQueue(clock: clock)
        let handled = Locked<[String: Int]>([:])
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    while let key = await queue.next() {
                        handled.withLock { $0[key, default: 0] += 1 }
                        await queue.done(key)
                    }
                }
            }
            for index in 0..<200 { await queue.add("k\(index)", lane: index % 3 == 0 ? .priority : .routine) }
            await eventually("every key is handled") { handled.withLock { $0.count } == 200 }
            await eventually("the queue is idle") { await queue.counts == WorkQueueCounts() }
            await queue.shutDown()
        }
        #expect(handled.withLock { $0.values.allSatisfy { $0 == 1 } })
    }

    @Test func keyAddedWhileProcessingWaitsForDone() async {
        let clock = ManualClock()
        let queue = makeQueue(clock: clock)
        await queue.add("a")
        #expect(await queue.next() == "a")
        await queue.add("a")
        let second = Task { await queue.next() }
        await eventually("the second worker parks") { queue.suspendedWaiters == 1 }
        #expect(await queue.counts == WorkQueueCounts(processing: 1, dirty: 1))
        await queue.done("a")
        #expect(await second.joined == "a")
    }

    @Test func oneKeyIsNeverOnTwoWorkersAtOnce() async {
        let clock = ManualClock()
        let queue = makeQueue(clock: clock)
        let inFlight = Locked<Set<String>>([])
        let overlaps = Locked(0)
        let runs = Locked(0)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    while let key = await queue.next() {
                        let overlapped = inFlight.withLock { !$0.insert(key).inserted }
                        if overlapped { overlaps.withLock { $0 += 1 } }
                        runs.withLock { $0 += 1 }
                        await Task.yield()
                        await Task.yield()
                        inFlight.withLock { _ = $0.remove(key) }
                        await queue.done(key)
                    }
                }
            }
            for _ in 0..<300 {
                await queue.add("same")
                await Task.yield()
            }
            await eventually("the queue is idle") { await queue.counts == WorkQueueCounts() }
            await queue.shutDown()
        }
        #expect(overlaps.withLock { $0 } == 0)
        #expect(runs.withLock { $0 } >= 1)
    }

    @Test func tokenBucketHandsOutTheBurstThenOneKeyPerInterval() async {
        let clock = ManualClock()
        let queue = makeQueue(clock: clock, qps: 10, burst: 2)
        for key in ["a", "b", "c", "d"] { await queue.add(key, lane: .routine) }
        // The burst goes at once.
        #expect(await queue.next() == "a")
        #expect(await queue.next() == "b")
        #expect(clock.now.offset == .zero)

        let third = Task { await queue.next() }
        await eventually("the worker waits for a token") { queue.timedWaiters == 1 && queue.suspendedWaiters == 1 }
        clock.advance(by: .milliseconds(99))
        #expect(await queue.counts == WorkQueueCounts(routine: 2, processing: 2))
        clock.advance(by: .milliseconds(1))
        #expect(await third.joined == "c")
        #expect(clock.now.offset == .milliseconds(100))

        // A priority key added while a worker waits for the next token takes that token.
        let fourth = Task { await queue.next() }
        await eventually("the worker waits for a token") { queue.timedWaiters == 1 && queue.suspendedWaiters == 1 }
        await queue.add("new", lane: .priority)
        await eventually("the worker waits again") { queue.timedWaiters == 1 && queue.suspendedWaiters == 1 }
        clock.advance(by: .milliseconds(100))
        #expect(await fourth.joined == "new")
        #expect(clock.now.offset == .milliseconds(200))

        // The bucket is in deficit: the next token is due 100 ms later.
        let fifth = Task { await queue.next() }
        await eventually("the worker waits for a token") { queue.timedWaiters == 1 && queue.suspendedWaiters == 1 }
        clock.advance(by: .milliseconds(100))
        #expect(await fifth.joined == "d")
        #expect(clock.now.offset == .milliseconds(300))
    }

    @Test func zeroQPSHandsOutWithoutWaiting() async {
        let clock = ManualClock()
        let queue = makeQueue(clock: clock, qps: 0)
        for index in 0..<500 { await queue.add("k\(index)") }
        for _ in 0..<500 { #expect(await queue.next() != nil) }
        #expect(clock.now.offset == .zero)
        #expect(clock.sleeperCount == 0)
    }

    @Test func cancelledWaiterReturnsNilAndLosesNoKey() async {
        let clock = ManualClock()
        let queue = makeQueue(clock: clock)
        await queue.add("later", after: .seconds(5))
        let waiter = Task { await queue.next() }
        await eventually("the worker sleeps") { queue.timedWaiters == 1 && queue.suspendedWaiters == 1 }
        waiter.cancel()
        #expect(await waiter.joined == nil)
        await eventually("nothing is left waiting") { queue.timedWaiters == 0 && queue.suspendedWaiters == 0 }
        await queue.add("now")
        #expect(await queue.next() == "now")
        clock.advance(by: .seconds(5))
        #expect(await queue.next() == "later")
    }

    @Test func cancelledWaiterForATokenLeavesKeyAndTokenToTheNextWorker() async {
        let clock = ManualClock()
        let queue = makeQueue(clock: clock, qps: 1, burst: 1)
        await queue.add("a")
        await queue.add("b")
        #expect(await queue.next() == "a")
        let waiter = Task { await queue.next() }
        await eventually("the worker waits for a token") { queue.timedWaiters == 1 && queue.suspendedWaiters == 1 }
        waiter.cancel()
        #expect(await waiter.joined == nil)
        await eventually("nothing is left waiting") { queue.timedWaiters == 0 && queue.suspendedWaiters == 0 }
        #expect(await queue.counts == WorkQueueCounts(priority: 1, processing: 1))
        clock.advance(by: .seconds(1))
        // The token reserved by the cancelled worker is due: no further wait.
        #expect(await queue.next() == "b")
        #expect(clock.now.offset == .seconds(1))
    }

    @Test func retriesBackOffOnTheClock() async {
        let clock = ManualClock()
        let queue = makeQueue(clock: clock)
        await queue.add("a")
        #expect(await queue.next() == "a")
        #expect(await queue.requeueAfterFailure("a") == .milliseconds(5))
        await queue.done("a")
        let retry = Task { await queue.next() }
        await eventually("the worker sleeps until the retry") { queue.timedWaiters == 1 }
        clock.advance(by: .milliseconds(5))
        #expect(await retry.joined == "a")
        #expect(await queue.requeueAfterFailure("a") == .milliseconds(10))
        #expect(await queue.failures(of: "a") == 2)
        await queue.forget("a")
        await queue.done("a")
        #expect(await queue.failures(of: "a") == 0)
    }

    @Test func continuousClockQueueHandsOutReadyKeysWithoutWaiting() async {
        let queue = WorkQueue<Int, ContinuousClock>(
            name: "continuous", configuration: WorkQueueConfiguration(qps: 0), metricsFactory: TestMetricsFactory())
        await queue.add(1, lane: .routine)
        await queue.add(2)
        #expect(await queue.next() == 2)
        #expect(await queue.next() == 1)
    }

    @Test func metricsCountAddsRetriesDepthAndDurations() async {
        let clock = ManualClock()
        let metrics = TestMetricsFactory()
        let queue = makeQueue(clock: clock, metrics: metrics)
        #expect(metrics.values("workqueue_depth") == [0])
        await queue.add("a")
        await queue.add("b", lane: .routine)
        await queue.add("a")
        #expect(metrics.total("workqueue_adds_total") == 2)
        #expect(metrics.last("workqueue_depth") == 2)
        clock.advance(by: .seconds(3))
        #expect(await queue.next() == "a")
        #expect(metrics.values("workqueue_queue_duration_seconds") == [3_000_000_000])
        #expect(metrics.last("workqueue_depth") == 1)
        clock.advance(by: .seconds(2))
        await queue.done("a")
        #expect(metrics.values("workqueue_work_duration_seconds") == [2_000_000_000])
        #expect(await queue.next() == "b")
        await queue.requeueAfterFailure("b")
        await queue.done("b")
        #expect(metrics.total("workqueue_retries_total") == 1)
        clock.advance(by: .milliseconds(5))
        #expect(await queue.next() == "b")
        #expect(metrics.total("workqueue_adds_total") == 3)
        #expect(metrics.last("workqueue_depth") == 0)
        #expect(metrics.dimensions.allSatisfy { $0 == [["name", "test"]] })
    }
}

// MARK: - Helpers

extension Task where Failure == Never {
    /// The task's value. Cancelling the awaiting test (its time limit) cancels the task too, so a
    /// lost wake-up fails the test instead of hanging it.
    fileprivate var joined: Success {
        get async {
            await withTaskCancellationHandler {
                await value
            } onCancel: {
                cancel()
            }
        }
    }
}

/// A value shared between test tasks.
private final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        mutex.withLock { body(&$0) }
    }
}

// MARK: - Metrics backend for tests

/// Records every value reported to a metric, by label.
private final class TestMetricsFactory: MetricsFactory, Sendable {
    final class Handler: CounterHandler, RecorderHandler, TimerHandler, Sendable {
        let values = Mutex<[Int64]>([])
        func increment(by amount: Int64) { values.withLock { $0.append(amount) } }
        func reset() { values.withLock { $0.removeAll() } }
        func record(_ value: Int64) { values.withLock { $0.append(value) } }
        func record(_ value: Double) { values.withLock { $0.append(Int64(value)) } }
        func recordNanoseconds(_ duration: Int64) { values.withLock { $0.append(duration) } }
    }

    private let handlers = Mutex<[String: (handler: Handler, dimensions: [[String]])]>([:])

    private func handler(_ label: String, _ dimensions: [(String, String)]) -> Handler {
        handlers.withLock { handlers in
            if let existing = handlers[label] { return existing.handler }
            let handler = Handler()
            handlers[label] = (handler, dimensions.map { [$0.0, $0.1] })
            return handler
        }
    }

    func values(_ label: String) -> [Int64] {
        handlers.withLock { $0[label]?.handler }?.values.withLock { $0 } ?? []
    }

    func total(_ label: String) -> Int64 { values(label).reduce(0, +) }
    func last(_ label: String) -> Int64? { values(label).last }
    var dimensions: [[[String]]] { handlers.withLock { $0.values.map(\.dimensions) } }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        handler(label, dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        handler(label, dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        handler(label, dimensions)
    }

    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}
}

extension WorkQueueTests {
    /// The drain count moves only when nothing is ready or processing any more; keys waiting for
    /// a later time do not keep the queue busy.
    @Test func theDrainCountMovesWhenTheLastKeyIsDone() async throws {
        let queue = WorkQueue<String, ContinuousClock>(name: "drains", configuration: WorkQueueConfiguration(qps: 0), clock: ContinuousClock())
        #expect(queue.drains.count == 0)
        await queue.add("a")
        await queue.add("b")
        await queue.add("later", after: .seconds(3600))
        let first = await queue.next()
        await queue.done(try #require(first))
        #expect(queue.drains.count == 0, "b is still ready")
        let second = await queue.next()
        #expect(queue.drains.count == 0, "b is processing")
        await queue.done(try #require(second))
        #expect(queue.drains.count == 1)
        await queue.add("c")
        await queue.done(try #require(await queue.next()))
        #expect(queue.drains.count == 2)
    }
}
