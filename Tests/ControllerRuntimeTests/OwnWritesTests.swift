import ControllerRuntime
import KubeModel
import Testing

struct OwnWritesTests {
    func secret(_ name: String, version: String?, namespace: String = "ns") -> Secret {
        Secret(metadata: ObjectMeta(name: name, namespace: namespace, resourceVersion: version))
    }

    @Test func anEventIsRecognisedOnlyForTheExactVersionWrittenAndOnlyOnce() {
        let writes = OwnWrites()
        writes.record(secret("a", version: "7"))
        #expect(!writes.consume(secret("a", version: "6")), "an earlier version is someone else's")
        #expect(!writes.consume(secret("a", version: "8")), "a later version is someone else's")
        #expect(!writes.consume(secret("a", version: "7", namespace: "other")), "another namespace is another key")
        #expect(writes.consume(secret("a", version: "7")))
        #expect(!writes.consume(secret("a", version: "7")), "recognised once")
        #expect(writes.count == 0)
    }

    @Test func onlyTheLatestWriteOfAKeyIsKeptAndForgetDropsIt() {
        let writes = OwnWrites()
        writes.record(secret("a", version: "1"))
        writes.record(secret("a", version: "2"))
        writes.record(secret("b", version: "3"))
        #expect(writes.count == 2)
        #expect(!writes.consume(secret("a", version: "1")))
        writes.forget(ObjectKey(namespace: "ns", name: "a"))
        #expect(!writes.consume(secret("a", version: "2")))
        writes.record(secret("c", version: nil))
        #expect(writes.count == 1, "a write without a version records nothing")
    }
}
