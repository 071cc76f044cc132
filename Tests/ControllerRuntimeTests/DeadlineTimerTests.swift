import ClockTestSupport
import HTTPSupport
import Synchronization
import Testing

/// Yields until `condition` holds; records an issue if it never does. Counts yields, not time.
private func eventually(
    _ what: Comment, sourceLocation: SourceLocation = #_sourceLocation, _ condition: () -> Bool
) async {
    for _ in 0..<200_000 {
        if condition() { return }
        await Task.yield()
    }
    Issue.record("never happened: \(what)", sourceLocation: sourceLocation)
}

/// A list that tasks append to.
private final class Recorded<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])
    func append(_ value: Value) { values.withLock { $0.append(value) } }
    var all: [Value] { values.withLock { $0 } }
}

/// Manual clock only; the time limit turns a lost wake-up into a failure instead of a hang.
@Suite(.timeLimit(.minutes(2))) struct DeadlineTimerTests {
    @Test func sleepsEndAtTheirDeadlinesAndEqualTimeoutsShareOneClockSleep() async {
        let clock = ManualClock()
        let timer = DeadlineTimer(clock: clock)
        let woken = Recorded<Int>()
        var sleeps: [Task<Void, Never>] = []
        for seconds in 1...5 {
            sleeps.append(
                Task {
                    await timer.sleep(until: clock.now.advanced(by: .seconds(seconds)))
                    woken.append(seconds)
                })
            await eventually("sleep \(seconds) parks") { timer.waiting == seconds }
        }
        // Registered in increasing order: the first one's clock sleep serves them all.
        #expect(clock.sleeperCount == 1)
        #expect(timer.pendingClockSleeps == 1)

        clock.advance(by: .seconds(2))
        await eventually("the first two wake") { woken.all.sorted() == [1, 2] }
        #expect(timer.waiting == 3)
        for seconds in 3...5 {
            clock.advance(by: .seconds(1))
            await sleeps[seconds - 1].value
        }
        #expect(woken.all.sorted() == [1, 2, 3, 4, 5])
        await eventually("the service ends") { timer.pendingClockSleeps == 0 }
        #expect(clock.sleeperCount == 0)
    }

    @Test func aCancelledSleepReturnsAtOnceAndHoldsNothing() async {
        let clock = ManualClock()
        let timer = DeadlineTimer(clock: clock)
        let sleeps = (0..<100).map { _ in Task { await timer.sleep(until: clock.now.advanced(by: .seconds(3600))) } }
        await eventually("all park") { timer.waiting == 100 }
        for sleep in sleeps { sleep.cancel() }
        for sleep in sleeps { await sleep.value }
        #expect(timer.waiting == 0)
        // One clock sleep is left (never cancelled); it wakes to nothing and ends.
        #expect(clock.sleeperCount == 1)
        clock.advance(by: .seconds(3600))
        await eventually("the service ends") { timer.pendingClockSleeps == 0 && clock.sleeperCount == 0 }
    }

    @Test func aSleepCancelledBeforeItStartsDoesNotWait() async {
        let timer = DeadlineTimer(clock: ManualClock())
        let sleep = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            await timer.sleep(until: timer.clock.now.advanced(by: .seconds(60)))
            return Task.isCancelled
        }
        #expect(await sleep.value)
        #expect(timer.waiting == 0)
        await #expect(throws: CancellationError.self) {
            try await Task {
                withUnsafeCurrentTask { $0?.cancel() }
                try await timer.sleep(for: .seconds(60))
            }.value
        }
    }

    @Test func anEarlierDeadlineAfterALaterOneStillWakesOnTime() async {
        let clock = ManualClock()
        let timer = DeadlineTimer(clock: clock)
        let late = Task { await timer.sleep(until: clock.now.advanced(by: .seconds(60))) }
        await eventually("the late sleep parks") { timer.waiting == 1 }
        let early = Task { await timer.sleep(until: clock.now.advanced(by: .seconds(1))) }
        await eventually("the early sleep parks") { timer.waiting == 2 }
        #expect(timer.pendingClockSleeps == 2)
        clock.advance(by: .seconds(1))
        await early.value
        #expect(timer.waiting == 1)
        clock.advance(by: .seconds(59))
        await late.value
        await eventually("both services end") { timer.pendingClockSleeps == 0 }
    }

    @Test func runReturnsTheResultOrNilAtTheTimeoutAndCancelsTheOperation() async throws {
        let clock = ManualClock()
        let timer = DeadlineTimer(clock: clock)
        #expect(try await timer.run(timeout: .seconds(5)) { 42 } == 42)
        #expect(timer.waiting == 0)

        let operationCancelled = Recorded<Bool>()
        let hung = Task {
            try await timer.run(timeout: .seconds(5)) { () async throws -> Int in
                do {
                    try await clock.sleep(for: .seconds(7200))
                } catch {
                    operationCancelled.append(true)
                    throw error
                }
                return 0
            }
        }
        await eventually("the timeout and the operation wait") { timer.waiting == 1 && clock.sleeperCount == 2 }
        clock.advance(by: .seconds(5))
        #expect(try await hung.value == nil)
        #expect(operationCancelled.all == [true])
        #expect(timer.waiting == 0)
    }

    @Test func cancellingTheCallerCancelsTheOperationAndTheTimeout() async {
        let clock = ManualClock()
        let timer = DeadlineTimer(clock: clock)
        let call = Task {
            try await timer.run(timeout: .seconds(3600)) { () async throws -> Int in
                try await clock.sleep(for: .seconds(7200))
                return 1
            }
        }
        await eventually("both sides wait") { timer.waiting == 1 && clock.sleeperCount == 2 }
        call.cancel()
        await #expect(throws: CancellationError.self) { try await call.value }
        #expect(timer.waiting == 0)
    }
}
