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
