import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import KubeModel
import Testing

/// The pure decisions about GeneratorStates: what a new state looks like and which states a
/// commit retires.
struct GeneratorStatePlanningTests {
    static let owner = GeneratorStateOwner(
        apiVersion: "external-secrets.io/v1", kind: "ExternalSecret", name: "db", namespace: "team", uid: "u-1")

    static func state(_ name: String, deadline: Date? = nil, deleting: Bool = false) -> GeneratorState {
        var state = GeneratorStatePlanning.state(["id": "x"], resource: ["kind": "Fake"], owner: owner, key: "0")
        state.metadata.name = name
        state.spec.garbageCollectionDeadline = deadline.map(KubeTime.init)
        if deleting { state.metadata.deletionTimestamp = KubeTime(Date(timeIntervalSince1970: 0)) }
        return state
    }

    @Test func aNewStateIsOwnedFinalizedAndLabelledAsESODoes() {
        let state = GeneratorStatePlanning.state(
            ["lease": "l-1"], resource: ["kind": "VaultDynamicSecret"], owner: Self.owner, key: "2")
        #expect(state.metadata.generateName == "gen-externalsecret-db-")
        #expect(state.metadata.namespace == "team")
        #expect(state.metadata.finalizers == ["generatorstate.externalsecrets.io/finalizer"])
        #expect(state.metadata.ownerReferences?.map(\.uid) == ["u-1"])
        #expect(state.metadata.ownerReferences?.first?.controller == false)
        // ESO's owner key: SHA3-224 of "ExternalSecret-team-db-2" (Python's hashlib.sha3_224).
        #expect(
            state.metadata.labels?["generators.external-secrets.io/owner-key"]
                == "6020ff4b2ca52d8500a30167c481822e0ee07369b0a54410574ac2e4")
        #expect(state.spec.garbageCollectionDeadline == nil)
        #expect(state.spec.state == ["lease": "l-1"])
    }

    @Test func aCommitRetiresEveryOtherLiveStateOnly() {
        let states = [
            Self.state("new"), Self.state("previous"), Self.state("left-by-a-crash"),
            Self.state("already-flagged", deadline: Date(timeIntervalSince1970: 100)),
            Self.state("being-deleted", deleting: true),
        ]
        let retired = GeneratorStatePlanning.toRetire(states, keeping: ["new"]).compactMap(\.metadata.name)
        #expect(retired == ["previous", "left-by-a-crash"])
        #expect(GeneratorStatePlanning.toRetire(states, keeping: []).count == 3)
    }
}
