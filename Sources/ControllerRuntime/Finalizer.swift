public import KubeClient
public import KubeModel

/// What a reconcile does about one finalizer of an object: decided without I/O by
/// `FinalizerStep.next`, carried out by `Finalizer.run`.
public enum FinalizerStep: Sendable, Equatable {
    /// Nothing to do about the finalizer; reconcile the object normally.
    case keep
    /// Add the finalizer before acting on the object, so its deletion waits for the clean-up.
    case add
    /// The object is not being deleted but no longer needs the finalizer: remove it.
    case remove
    /// The object is being deleted and carries the finalizer: clean up, then remove it.
    case cleanUp
    /// The object is being deleted and carries no finalizer of ours: do nothing at all.
    case ignoreDeleted

    /// The step for an object with `finalizers`, named `name`, being deleted or not, whose spec
    /// does or does not `need` the finalizer. With `removeWhenUnneeded` false an unneeded
    /// finalizer is left alone while the object lives (it is still cleaned up on deletion).
    public static func next(
        finalizers: [String], name: String, deleting: Bool, needed: Bool, removeWhenUnneeded: Bool = true
    ) -> FinalizerStep {
        let has = finalizers.contains(name)
        if deleting { return has ? .cleanUp : .ignoreDeleted }
        if needed && !has { return .add }
        if !needed && has && removeWhenUnneeded { return .remove }
        return .keep
    }
}

/// One finalizer of one kind of object, in the manner of kube-rs's `finalizer` helper.
///
/// Guarantees: the finalizer is added (and the add is stored by the API server) before
/// `apply` runs for an object that needs it, so a deletion that follows always reaches `cleanUp`;
/// the finalizer is removed only after `cleanUp` returned without throwing; every finalizer patch
/// carries the object's resourceVersion, so a concurrent change makes it fail with 409 (retried
/// by the controller) instead of dropping another controller's finalizer. Other finalizers on the
/// object are never touched.
///
/// Caveats: `cleanUp` may run more than once (a crash or a 409 after it finished), so it must be
/// idempotent; an object deleted without the finalizer gets no clean-up; if `cleanUp` keeps
/// throwing, the object stays in Terminating until it succeeds or someone removes the finalizer.
public struct Finalizer: Sendable {
    public let name: String
    private let client: KubeClient

    public init(name: String, client: KubeClient) {
        self.name = name
        self.client = client
    }

    /// Runs one reconcile of `object` with this finalizer: adds or removes it as `needed`
    /// decides, calls `cleanUp` on deletion, `apply` otherwise. Returns `apply`'s result, or
    /// `deleted` for an object being deleted.
    public func run<Object: KubeResource, Result>(
        _ object: Object, needed: Bool, removeWhenUnneeded: Bool = true, deleted: Result,
        cleanUp: () async throws -> Void, apply: () async throws -> Result
    ) async throws -> Result {
        let finalizers = object.metadata.finalizers ?? []
        let step = FinalizerStep.next(
            finalizers: finalizers, name: name, deleting: object.metadata.deletionTimestamp != nil, needed: needed,
            removeWhenUnneeded: removeWhenUnneeded)
        switch step {
        case .ignoreDeleted:
            return deleted
        case .cleanUp:
            try await cleanUp()
            try await patch(object, finalizers.filter { $0 != name })
            return deleted
        case .add:
            try await patch(object, finalizers + [name])
        case .remove:
            try await patch(object, finalizers.filter { $0 != name })
        case .keep:
            break
        }
        return try await apply()
    }

    /// Sets the object's finalizers with a merge patch carrying its resourceVersion.
    private func patch<Object: KubeResource>(_ object: Object, _ finalizers: [String]) async throws {
        let body: JSONValue = [
            "metadata": [
                "finalizers": .array(finalizers.map { .string($0) }),
                "resourceVersion": .string(object.metadata.resourceVersion ?? ""),
            ]
        ]
        _ = try await client.api(Object.self, namespace: object.metadata.namespace)
            .patch(object.metadata.name ?? "", .merge(body))
    }
}
