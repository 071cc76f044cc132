import ControllerRuntime
import Foundation
import KubeModel
import Testing

@Suite struct ChangeTriageTests {
    private func object(
        version: String, generation: Int64 = 1, labels: [String: String]? = nil, annotations: [String: String]? = nil,
        deleting: Bool = false
    ) -> ConfigMap {
        var metadata = ObjectMeta(name: "x", namespace: "ns", labels: labels, annotations: annotations, resourceVersion: version)
        metadata.generation = generation
        if deleting { metadata.deletionTimestamp = KubeTime(Date(timeIntervalSince1970: 0)) }
        return ConfigMap(metadata: metadata)
    }

    private func change(_ old: ConfigMap?, _ new: ConfigMap?) -> StoreChange<ConfigMap> {
        StoreChange(key: ObjectKey(namespace: "ns", name: "x"), old: old, new: new)
    }

    @Test func newObjectsArePriorityExceptDuringTheFirstSync() {
        #expect(ChangeTriage.lane(for: change(nil, object(version: "1")), initialSync: false) == .priority)
        #expect(ChangeTriage.lane(for: change(nil, object(version: "1")), initialSync: true) == .routine)
    }

    @Test func deletionsArePriority() {
        #expect(ChangeTriage.lane(for: change(object(version: "1"), nil), initialSync: false) == .priority)
    }

    @Test(arguments: [
        ("generation", true), ("labels", true), ("annotations", true), ("deletion", true), ("status only", false),
    ])
    func meaningfulChangesArePriority(what: String, priority: Bool) {
        let old = object(version: "1")
        let new: ConfigMap
        switch what {
        case "generation": new = object(version: "2", generation: 2)
        case "labels": new = object(version: "2", labels: ["a": "b"])
        case "annotations": new = object(version: "2", annotations: ["force-sync": "1"])
        case "deletion": new = object(version: "2", deleting: true)
        default: new = object(version: "2")
        }
        #expect(ChangeTriage.lane(for: change(old, new), initialSync: false) == (priority ? .priority : .routine))
    }

    @Test func anUnchangedRelistedObjectIsNotQueued() {
        #expect(ChangeTriage.lane(for: change(object(version: "7"), object(version: "7")), initialSync: false) == nil)
    }
}

@Suite struct RequeueJitterTests {
    @Test(arguments: [(0.0, 3600), (0.5, 3780), (0.999, 3959), (1.0, 3960), (7.0, 3960), (-1.0, 3600)])
    func stretchesByAtMostTheFraction(random: Double, seconds: Int64) {
        let jitter = RequeueJitter(fraction: 0.1) { random }
        #expect(jitter.apply(to: .seconds(3600)).components.seconds == seconds)
    }

    @Test func noneKeepsTheDelay() {
        #expect(RequeueJitter.none.apply(to: .seconds(60)) == .seconds(60))
    }

    @Test func spreadsDelaysOverTheWindow() {
        let jitter = RequeueJitter(fraction: 0.2)
        let delays = (0..<200).map { _ in jitter.apply(to: .seconds(100)) }
        #expect(delays.allSatisfy { $0 >= .seconds(100) && $0 <= .seconds(120) })
        #expect(Set(delays).count > 150)
    }
}
