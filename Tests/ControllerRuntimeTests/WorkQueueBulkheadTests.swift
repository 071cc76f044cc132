import ClockTestSupport
import Metrics
import Testing

@testable import ControllerRuntime

private typealias Machine = WorkQueueStateMachine<String, ManualClock.Instant>

private func at(_ ms: Int) -> ManualClock.Instant { ManualClock.Instant(offset: .milliseconds(ms)) }

/// The key handed out, or nil when `next` said anything else.
private func handedOut(_ action: Machine.NextAction) -> String? {
    if case .handOut(let key, _, _) = action { return key }
    return nil
}

/// Partition of a test key: its first letter ("a1" → "A"); "ab…" keys are in both A and B.
private func partitions(_ key: String) -> [String] {
    if key.hasPrefix("ab") { return ["A", "B"] }
    return key.first.map { [String($0).uppercased()] } ?? []
}

@Suite struct WorkQueueBulkheadStateMachineTests {
    @Test func saturatedPartitionIsSkippedAndOthersGoFirst() {
        var machine = Machine(partitionLimit: 2)
        for key in ["a1", "a2", "a3", "a4", "b1"] {
            _ = machine.add(key, lane: .priority, partitions: partitions(key), now: at(0))
        }
        #expect(handedOut(machine.next(now: at(1))) == "a1")
        #expect(handedOut(machine.next(now: at(2))) == "a2")
        // A is saturated: b1, added last, goes before a3 and a4.
        #expect(handedOut(machine.next(now: at(3))) == "b1")
        #expect(machine.processingCount(of: "A") == 2)
        #expect(machine.next(now: at(4)) == .wait(until: nil))
        #expect(machine.counts == WorkQueueCounts(priority: 2, processing: 3))
        // Freeing a slot of the saturated partition tells the waiters to look again, and the
        // blocked keys leave in their order.
        #expect(machine.done("b1", now: at(5)) == .finished(worked: .milliseconds(2)))
        #expect(machine.done("a1", now: at(5)) == .freedSlot(worked: .milliseconds(4)))
        #expect(handedOut(machine.next(now: at(6))) == "a3")
        #expect(machine.next(now: at(6)) == .wait(until: nil))
        #expect(machine.done("a2", now: at(7)) == .freedSlot(worked: .milliseconds(5)))
        #expect(handedOut(machine.next(now: at(7))) == "a4")
    }

    @Test func laneOrderHoldsAmongKeysThatMayGo() {
        var machine = Machine(partitionLimit: 1)
        _ = machine.add("a1", lane: .routine, partitions: ["A"], now: at(0))
        _ = machine.add("a2", lane: .priority, partitions: ["A"], now: at(0))
        _ = machine.add("b1", lane: .routine, partitions: ["B"], now: at(0))
        _ = machine.add("c1", lane: .priority, partitions: ["C"], now: at(0))
        // Priority first (a2, c1), then the routine key of a free partition (b1); a1 waits for A.
        #expect(handedOut(machine.next(now: at(1))) == "a2")
        #expect(handedOut(machine.next(now: at(1))) == "c1")
        #expect(handedOut(machine.next(now: at(1))) == "b1")
        #expect(machine.next(now: at(1)) == .wait(until: nil))
        _ = machine.done("a2", now: at(2))
        #expect(handedOut(machine.next(now: at(2))) == "a1")
    }

    @Test func keyInSeveralPartitionsNeedsASlotInEach() {
        var machine = Machine(partitionLimit: 1)
        _ = machine.add("b1", lane: .priority, partitions: partitions("b1"), now: at(0))
        _ = machine.add("ab1", lane: .priority, partitions: partitions("ab1"), now: at(0))
        _ = machine.add("a1", lane: .priority, partitions: partitions("a1"), now: at(0))
        #expect(handedOut(machine.next(now: at(1))) == "b1")
        // ab1 needs B, which is full: a1 goes past it and fills A.
        #expect(handedOut(machine.next(now: at(1))) == "a1")
        #expect(machine.next(now: at(1)) == .wait(until: nil))
        _ = machine.done("b1", now: at(2))
        #expect(machine.next(now: at(2)) == .wait(until: nil))
        _ = machine.done("a1", now: at(3))
        #expect(handedOut(machine.next(now: at(3))) == "ab1")
        #expect(machine.processingCount(of: "A") == 1)
        #expect(machine.processingCount(of: "B") == 1)
    }

    @Test func keysWithoutPartitionAndQueuesWithoutLimitAreNotHeldBack() {
        var limited = Machine(partitionLimit: 1)
        _ = limited.add("a1", lane: .priority, partitions: ["A"], now: at(0))
        _ = limited.add("a2", lane: .priority, partitions: ["A"], now: at(0))
        _ = limited.add("x", lane: .priority, partitions: [], now: at(0))
        #expect(handedOut(limited.next(now: at(0))) == "a1")
        #expect(handedOut(limited.next(now: at(0))) == "x")
        #expect(limited.next(now: at(0)) == .wait(until: nil))

        var unlimited = Machine()
        _ = unlimited.add("a1", lane: .priority, partitions: ["A"], now: at(0))
        _ = unlimited.add("a2", lane: .priority, partitions: ["A"], now: at(0))
        #expect(handedOut(unlimited.next(now: at(0))) == "a1")
        #expect(handedOut(unlimited.next(now: at(0))) == "a2")
        #expect(unlimited.done("a1", now: at(1)) == .finished(worked: .milliseconds(1)))
    }

    @Test func latestAddNamesThePartitionsAndProcessingKeepsWhatItCounted() {
        var machine = Machine(partitionLimit: 1)
        _ = machine.add("k", lane: .priority, partitions: ["A"], now: at(0))
        #expect(handedOut(machine.next(now: at(0))) == "k")
        // The object moved to store B while it was processing: A stays counted until done.
        #expect(machine.add("k", lane: .priority, partitions: ["B"], now: at(1)) == .markedDirty)
        _ = machine.add("other", lane: .priority, partitions: ["A"], now: at(1))
        #expect(machine.next(now: at(1)) == .wait(until: nil))
        #expect(machine.done("k", now: at(2)) == .requeued(worked: .milliseconds(2)))
        #expect(machine.processingCount(of: "A") == 0)
        // "other" became ready first; k, now in B only, does not wait for A.
        #expect(handedOut(machine.next(now: at(2))) == "other")
        #expect(handedOut(machine.next(now: at(2))) == "k")
        #expect(machine.processingCount(of: "A") == 1)
        #expect(machine.processingCount(of: "B") == 1)
    }

    @Test func delayedAndRetriedKeysKeepTheirPartitions() {
        var machine = Machine(partitionLimit: 1)
        _ = machine.add("a1", lane: .routine, at: at(10), partitions: ["A"], now: at(0))
        _ = machine.add("a2", lane: .priority, partitions: ["A"], now: at(0))
        #expect(handedOut(machine.next(now: at(0))) == "a2")
        // a1 comes due while A is full: it waits; the earliest deadline is gone, so no timer.
        #expect(machine.next(now: at(10)) == .wait(until: nil))
        _ = machine.requeueAfterFailure("a2", lane: nil, partitions: ["A"], now: at(11))
        #expect(machine.done("a2", now: at(11)) == .freedSlot(worked: .milliseconds(11)))
        #expect(handedOut(machine.next(now: at(11))) == "a1")
        // a2's retry comes due while a1 holds A.
        #expect(machine.next(now: at(20)) == .wait(until: nil))
        _ = machine.done("a1", now: at(21))
        #expect(handedOut(machine.next(now: at(21))) == "a2")
    }

    @Test func theReserveWorkerTakesOnlyKeysOfIdlePartitions() {
        // One worker (limit 1) is held by a1 of a hung partition A.
        var machine = Machine(partitionLimit: 1)
        _ = machine.add("a1", lane: .priority, partitions: ["A"], now: at(0))
        #expect(handedOut(machine.next(now: at(0))) == "a1")
        _ = machine.add("a2", lane: .priority, partitions: ["A"], now: at(1))
        _ = machine.add("b1", lane: .routine, partitions: ["B"], now: at(1))
        _ = machine.add("ab1", lane: .priority, partitions: partitions("ab1"), now: at(1))
        _ = machine.add("b2", lane: .priority, partitions: ["B"], now: at(1))
        // The reserve skips a2 (A busy) and ab1 (A busy), takes b2 (priority first) of idle B ...
        #expect(handedOut(machine.next(now: at(2), onlyIdlePartitions: true)) == "b2")
        // ... and then nothing: B has b2 in flight, A has a1.
        #expect(machine.next(now: at(2), onlyIdlePartitions: true) == .wait(until: nil))
        _ = machine.add("x", lane: .routine, partitions: [], now: at(3))
        #expect(handedOut(machine.next(now: at(3), onlyIdlePartitions: true)) == "x")
        // A regular worker follows the limit only: nothing may go while A and B are both full.
        #expect(machine.next(now: at(3)) == .wait(until: nil))
        _ = machine.done("b2", now: at(4))
        #expect(handedOut(machine.next(now: at(4), onlyIdlePartitions: true)) == "b1")
        _ = machine.done("a1", now: at(5))
        _ = machine.done("b1", now: at(5))
        #expect(handedOut(machine.next(now: at(5), onlyIdlePartitions: true)) == "a2")
        #expect(handedOut(machine.next(now: at(5))) == nil)
        _ = machine.done("a2", now: at(6))
        #expect(handedOut(machine.next(now: at(6), onlyIdlePartitions: true)) == "ab1")
    }

    @Test func aWaitingKeyMovedToAFreePartitionGoesAtOnce() {
        var machine = Machine(partitionLimit: 1)
        _ = machine.add("a0", lane: .priority, partitions: ["A"], now: at(0))
        #expect(handedOut(machine.next(now: at(0))) == "a0")
        _ = machine.add("a1", lane: .priority, partitions: ["A"], now: at(0))
        _ = machine.add("x", lane: .priority, partitions: ["A"], now: at(0))
        // Every ready key is behind the full partition A.
        #expect(machine.next(now: at(1)) == .wait(until: nil))
        // a1 now names B, which is free.
        _ = machine.add("a1", lane: .priority, partitions: ["B"], now: at(2))
        #expect(handedOut(machine.next(now: at(2))) == "a1")
        #expect(machine.next(now: at(2)) == .wait(until: nil))
        _ = machine.done("a0", now: at(3))
        #expect(handedOut(machine.next(now: at(3))) == "x")
    }

    @Test func manyKeysTakenPastABlockedOneAreAllHandedOutOnceEach() {
        var machine = Machine(partitionLimit: 1)
        _ = machine.add("a0", lane: .priority, partitions: ["A"], now: at(0))
        #expect(handedOut(machine.next(now: at(0))) == "a0")
        _ = machine.add("a1", lane: .priority, partitions: ["A"], now: at(0))
        var seen: Set<String> = []
        for round in 0..<3 {
            for index in 0..<200 {
                _ = machine.add("b\(round)-\(index)", lane: .priority, partitions: ["B\(index)"], now: at(0))
            }
            while let key = handedOut(machine.next(now: at(1))) {
                #expect(seen.insert(key).inserted)
                _ = machine.done(key, now: at(1))
            }
        }
        #expect(seen.count == 600)
        // a1 waited at the head all along, and is still there.
        #expect(machine.counts == WorkQueueCounts(priority: 1, processing: 1))
        _ = machine.done("a0", now: at(2))
        #expect(handedOut(machine.next(now: at(2))) == "a1")
    }
}

@Suite struct LaneScanTests {
    private typealias FIFO = Machine.LaneFIFO
    private typealias Epoch = Machine.RefusalEpoch

    /// A scan of `fifo` with partition "A" full or not; returns the key found and how many keys
    /// the scan asked about.
    private func scan(_ fifo: inout FIFO, aFull: Bool, epoch: Epoch) -> (String?, asked: Int) {
        var asked = 0
        let found = fifo.first(
            isLive: { _, _ in true },
            blockedBy: { _ in
                asked += 1
                return aFull ? "A" : nil
            },
            isFull: { $0 == "A" && aFull }, epoch: epoch)
        return (found, asked)
    }

    @Test func keysRefusedByAPartitionThatIsStillFullAreNotAskedAgain() {
        var fifo = FIFO()
        for index in 0..<1000 { fifo.append("a\(index)", sequence: UInt64(index)) }
        let first = Epoch(limit: 4, partitionsFreed: 0, partitionsChanged: 0)
        #expect(scan(&fifo, aFull: true, epoch: first) == (nil, 1000))
        #expect(scan(&fifo, aFull: true, epoch: first) == (nil, 0))
        // A slot of A freed and was taken again: A is full, nothing to ask again.
        let refilled = Epoch(limit: 4, partitionsFreed: 1, partitionsChanged: 0)
        #expect(scan(&fifo, aFull: true, epoch: refilled) == (nil, 0))
        // Another limit (the reserve worker's) has its own memo.
        #expect(scan(&fifo, aFull: true, epoch: Epoch(limit: 1, partitionsFreed: 0, partitionsChanged: 0)) == (nil, 1000))
        // A key's partitions changed: everything is asked again.
        #expect(scan(&fifo, aFull: true, epoch: Epoch(limit: 4, partitionsFreed: 1, partitionsChanged: 1)) == (nil, 1000))
        // A has a free slot: the first key goes.
        #expect(scan(&fifo, aFull: false, epoch: Epoch(limit: 4, partitionsFreed: 2, partitionsChanged: 1)) == ("a0", 1))
    }
}

@Suite(.timeLimit(.minutes(10))) struct WorkQueueBulkheadTests {
    @Test func waiterBlockedBySaturatedPartitionWakesWhenASlotFrees() async {
        let clock = ManualClock()
        let queue = WorkQueue<String, ManualClock>(
            name: "bulkhead", configuration: WorkQueueConfiguration(qps: 0, partitionLimit: 1), clock: clock,
            metricsFactory: NOOPMetricsHandler.instance, partitions: partitions)
        await queue.add("a1")
        await queue.add("a2")
        #expect(await queue.next() == "a1")
        let second = Task { await queue.next() }
        for _ in 0..<200_000 where queue.suspendedWaiters == 0 { await Task.yield() }
        #expect(queue.suspendedWaiters == 1)
        // Another partition's key goes to the waiting worker at once.
        await queue.add("b1")
        #expect(await second.value == "b1")
        let third = Task { await queue.next() }
        for _ in 0..<200_000 where queue.suspendedWaiters == 0 { await Task.yield() }
        #expect(clock.sleeperCount == 0)
        await queue.done("a1")
        #expect(await third.value == "a2")
    }
}
