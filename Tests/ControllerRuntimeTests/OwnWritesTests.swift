import ControllerRuntime
import KubeModel
import Synchronization
import Testing

struct OwnWritesTests {
    func secret(_ name: String, version: String?, namespace: String = "ns") -> Secret {
        Secret(metadata: ObjectMeta(name: name, namespace: namespace, resourceVersion: version))
    }

    /// The keys whose wake was called, in order.
    final class Woken: Sendable {
        private let names = Mutex<[String]>([])
        func wake(_ name: String) -> @Sendable () async -> Void { { self.names.withLock { $0.append(name) } } }
        var all: [String] { names.withLock { $0 } }
    }

    @Test func anEventIsDroppedOnlyForTheExactVersionWrittenAndOnlyOnce() async throws {
        let writes = OwnWrites()
        let woken = Woken()
        _ = try await writes.writing(ObjectKey(namespace: "ns", name: "a")) { secret("a", version: "7") }
        await writes.deliver(secret("a", version: "6"), wake: woken.wake("earlier version"))
        await writes.deliver(secret("a", version: "8"), wake: woken.wake("later version"))
        await writes.deliver(secret("a", version: "7", namespace: "other"), wake: woken.wake("other namespace"))
        await writes.deliver(secret("a", version: "7"), wake: woken.wake("own write"))
        await writes.deliver(secret("a", version: "7"), wake: woken.wake("own write seen twice"))
        #expect(woken.all == ["earlier version", "later version", "other namespace", "own write seen twice"])
        #expect(writes.count == 0)
    }

    @Test func anEventArrivingBeforeTheWritesAnswerIsParkedThenDroppedOrReleased() async throws {
        let writes = OwnWrites()
        let woken = Woken()
        let key = ObjectKey(namespace: "ns", name: "a")
        // The watch delivers the write's own event, and someone else's, while the write is in flight.
        _ = try await writes.writing(key) {
            await writes.deliver(secret("a", version: "7"), wake: woken.wake("own write"))
            #expect(woken.all.isEmpty, "parked while the write is in flight")
            return secret("a", version: "7")
        }
        #expect(woken.all.isEmpty, "the write's own event is dropped once its answer names it")
        _ = try await writes.writing(key) {
            await writes.deliver(secret("a", version: "8"), wake: woken.wake("someone else"))
            return secret("a", version: "9")
        }
        #expect(woken.all == ["someone else"], "an event of another version is released when the write returns")
        await writes.deliver(secret("a", version: "9"), wake: woken.wake("own write 9"))
        #expect(woken.all == ["someone else"], "the answer's version is recorded for its later event")
        #expect(writes.count == 0)
    }

    @Test func aFailedWriteReleasesWhatWasParked() async {
        let writes = OwnWrites()
        let woken = Woken()
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            _ = try await writes.writing(ObjectKey(namespace: "ns", name: "a")) { () async throws -> Secret in
                await writes.deliver(secret("a", version: "3"), wake: woken.wake("parked"))
                throw Refused()
            }
        }
        #expect(woken.all == ["parked"])
        #expect(writes.count == 0)
    }

    @Test func onlyTheLatestWriteOfAKeyIsKeptAndForgetDropsIt() async throws {
        let writes = OwnWrites()
        let woken = Woken()
        let a = ObjectKey(namespace: "ns", name: "a")
        _ = try await writes.writing(a) { secret("a", version: "1") }
        _ = try await writes.writing(a) { secret("a", version: "2") }
        _ = try await writes.writing(ObjectKey(namespace: "ns", name: "b")) { secret("b", version: "3") }
        #expect(writes.count == 2)
        await writes.deliver(secret("a", version: "1"), wake: woken.wake("superseded version"))
        writes.forget(a)
        await writes.deliver(secret("a", version: "2"), wake: woken.wake("forgotten version"))
        _ = try await writes.writing(ObjectKey(namespace: "ns", name: "c")) { secret("c", version: nil) }
        #expect(writes.count == 1, "a write without a version records nothing")
        #expect(woken.all == ["superseded version", "forgotten version"])
    }
}
