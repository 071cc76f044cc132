public import ExternalSecretsAPI
public import Foundation
public import KubeClient
public import KubeModel
import Synchronization

/// ESO's names for generator states.
public enum GeneratorStateNames {
    /// The finalizer every GeneratorState carries until its generator's clean-up ran (ESO's name,
    /// so states ESO made are cleaned up after a switch).
    public static let finalizer = "generatorstate.externalsecrets.io/finalizer"
    /// The label naming the object and generator entry a state belongs to.
    public static let ownerKeyLabel = "generators.external-secrets.io/owner-key"
    public static let conditionReady = "Ready"
    public static let reasonError = "Error"
}

/// How the controllers record generator states (`--enable-generator-state`).
public struct GeneratorStateSettings: Sendable {
    /// How long an earlier state lives after newer values were written
    /// (`--generator-gc-grace-period`), so consumers can move to the new values.
    public var gracePeriod: Duration
    /// Whether the object of this uid has states without a deadline (from the GeneratorState
    /// cache): an object that no longer generates anything still retires them.
    public var hasLiveStates: @Sendable (String) -> Bool

    public init(gracePeriod: Duration, hasLiveStates: @escaping @Sendable (String) -> Bool = { _ in false }) {
        self.gracePeriod = gracePeriod
        self.hasLiveStates = hasLiveStates
    }
}

/// The object (ExternalSecret, PushSecret) whose generators made states.
public struct GeneratorStateOwner: Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var namespace: String
    public var uid: String

    public init(apiVersion: String, kind: String, name: String, namespace: String, uid: String) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.uid = uid
    }

    public init<Object: KubeResource>(_ object: Object) {
        self.init(
            apiVersion: Object.resource.apiVersion, kind: Object.resource.kind, name: object.metadata.name ?? "",
            namespace: object.metadata.namespace ?? "", uid: object.metadata.uid ?? "")
    }

    /// The owner-key label's value for the generator entry `key` (the `dataFrom` index), as ESO
    /// computes it: SHA3-224 of "kind-namespace-name-key" in hex.
    public func ownerKey(_ key: String) -> String {
        SHA3_224.hex(Array("\(kind)-\(namespace)-\(name)-\(key)".utf8))
    }

    /// Whether `state` belongs to this owner (its owner reference names this owner's uid).
    public func owns(_ state: GeneratorState) -> Bool {
        state.metadata.ownerReferences?.contains { $0.uid == uid } == true
    }
}

/// Pure decisions about generator states.
public enum GeneratorStatePlanning {
    /// The GeneratorState recording `state`, made by the generator entry `key` of `owner`, with
    /// `resource` (the generator manifest at generation time, which its clean-up will use).
    /// It carries the finalizer from the start, so that its deletion (the owner's deletion
    /// through Kubernetes' garbage collector, or its deadline) always waits for the clean-up.
    public static func state(
        _ state: JSONValue, resource: JSONValue, owner: GeneratorStateOwner, key: String
    ) -> GeneratorState {
        GeneratorState(
            metadata: ObjectMeta(
                namespace: owner.namespace,
                labels: [GeneratorStateNames.ownerKeyLabel: owner.ownerKey(key)],
                ownerReferences: [
                    OwnerReference(
                        apiVersion: owner.apiVersion, kind: owner.kind, name: owner.name, uid: owner.uid,
                        controller: false, blockOwnerDeletion: false)
                ],
                finalizers: [GeneratorStateNames.finalizer],
                generateName: "gen-\(owner.kind.lowercased())-\(owner.name)-"),
            spec: GeneratorStateSpec(resource: resource, state: state))
    }

    /// The states among `states` (all of one owner) to flag for garbage collection once the
    /// owner's new values are written: every state not in `keeping` (the ones made for those
    /// values) that has no deadline yet, except those of the generator entries whose owner keys
    /// are in `stillInUse` (entries whose new generation was discarded: their earlier value is
    /// still the one written). Flagging all older states, not only the previous one, also
    /// catches states a crash or a failed earlier flagging left behind.
    public static func toRetire(
        _ states: [GeneratorState], keeping: Set<String>, stillInUse: Set<String> = []
    ) -> [GeneratorState] {
        states.filter { state in
            state.metadata.deletionTimestamp == nil && state.spec.garbageCollectionDeadline == nil
                && !keeping.contains(state.metadata.name ?? "")
                && !stillInUse.contains(state.metadata.labels?[GeneratorStateNames.ownerKeyLabel] ?? "")
        }
    }
}

/// The generator states one reconcile makes, and what becomes of them when it ends.
///
/// Guarantees: a state is written (`record`) right after its generation and before its values
/// are used, so a crash after the generation leaves a state that will be cleaned up, never an
/// unrecorded credential; `commit` (after the values were written) flags every other state of
/// the owner for garbage collection after the grace period; `rollback` (the values were not
/// written) sets the deadline of the states this reconcile made to now, so the clean-up runs at
/// once. Caveats: a crash between the generation and `record` (one API call) loses that state;
/// a failed `commit` leaves older states live until the owner's next commit or its deletion.
public final class GeneratorStateLedger: Sendable {
    private let client: KubeClient
    private let owner: GeneratorStateOwner
    private let gracePeriod: Duration
    private let now: @Sendable () -> Date
    private let made = Mutex<[GeneratorState]>([])

    public init(client: KubeClient, owner: GeneratorStateOwner, gracePeriod: Duration, now: @escaping @Sendable () -> Date)
    {
        self.client = client
        self.owner = owner
        self.gracePeriod = gracePeriod
        self.now = now
    }

    /// Whether this reconcile made any state.
    public var isEmpty: Bool { made.withLock { $0.isEmpty } }

    /// Records the state the generator entry `key` returned with `resource` (its manifest).
    public func record(_ state: JSONValue, resource: JSONValue, key: String) async throws {
        let object = GeneratorStatePlanning.state(state, resource: resource, owner: owner, key: key)
        let created = try await client.api(GeneratorState.self, namespace: owner.namespace)
            .create(object, skippingManagedFields: true)
        made.withLock { $0.append(created) }
    }

    /// The values are written: flags every other live state of the owner for garbage
    /// collection. The generations of the entries in `discarding` (`dataFrom` indices) were not
    /// written: their new states are cleaned up now and their earlier states stay live.
    public func commit(discarding: Set<Int> = []) async throws {
        let discardedKeys = Set(discarding.map { owner.ownerKey(String($0)) })
        let made = made.withLock { $0 }
        let deadline = KubeTime(now().addingTimeInterval(gracePeriod.timeInterval))
        for state in made where discardedKeys.contains(state.metadata.labels?[GeneratorStateNames.ownerKeyLabel] ?? "") {
            try await setDeadline(KubeTime(now()), of: state)
        }
        let states = try await client.api(GeneratorState.self, namespace: owner.namespace)
            .list(ListOptions(labelSelector: GeneratorStateNames.ownerKeyLabel, skipManagedFields: true))
            .items.filter(owner.owns)
        let retired = GeneratorStatePlanning.toRetire(
            states, keeping: Set(made.compactMap(\.metadata.name)), stillInUse: discardedKeys)
        for state in retired {
            try await setDeadline(deadline, of: state)
        }
    }

    /// The values were not written: the states this reconcile made are cleaned up now.
    public func rollback() async throws {
        let deadline = KubeTime(now())
        for state in made.withLock({ $0 }) {
            try await setDeadline(deadline, of: state)
        }
    }

    private func setDeadline(_ deadline: KubeTime, of state: GeneratorState) async throws {
        do {
            _ = try await client.api(GeneratorState.self, namespace: owner.namespace).patch(
                state.metadata.name ?? "", .merge(["spec": ["garbageCollectionDeadline": .string("\(deadline)")]]))
        } catch let error as KubeAPIError where error.isNotFound {}
    }
}

extension Duration {
    /// The duration in seconds, as a `TimeInterval`.
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
