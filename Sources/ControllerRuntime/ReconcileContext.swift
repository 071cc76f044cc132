public import Logging

/// What a reconcile works on — its controller, object and an ID of its own — carried as a task
/// local while it runs, so that every line logged during it (by the reconciler, a provider, the
/// Kubernetes client, in child tasks too) names them without a logger being threaded through.
///
/// The fields reach log lines through ``Logging/Logger/MetadataProvider/reconcileContext``, which
/// the executable installs when it bootstraps logging.
public struct ReconcileContext: Sendable, Equatable {
    public var controller: String
    public var namespace: String?
    public var name: String
    /// Different for every reconcile, also of the same object (controller-runtime's `reconcileID`).
    public var reconcileID: String

    public init(controller: String, namespace: String?, name: String, reconcileID: String) {
        self.controller = controller
        self.namespace = namespace
        self.name = name
        self.reconcileID = reconcileID
    }

    /// The reconcile the current task works for; nil outside reconciles.
    @TaskLocal public static var current: ReconcileContext?

    /// The fields as log metadata (`namespace` only for namespaced objects).
    public var metadata: Logger.Metadata {
        var metadata: Logger.Metadata = [
            "controller": .string(controller), "name": .string(name), "reconcileID": .string(reconcileID),
        ]
        if let namespace, !namespace.isEmpty { metadata["namespace"] = .string(namespace) }
        return metadata
    }
}

extension Logger.MetadataProvider {
    /// Adds the current ``ReconcileContext`` (if any) to every log line.
    public static let reconcileContext = Logger.MetadataProvider { ReconcileContext.current?.metadata ?? [:] }
}

/// Which keys of a controller are failing and with what, so that a failure is logged when it
/// starts or its cause changes, and a recovery once — not every retry (a store down for an hour
/// would otherwise log one warning per object per backoff step).
///
/// A pure value: one `mutating func` per input, returning whether it is a transition.
/// Memory: one entry per key failing right now.
public struct FailureTransitions: Sendable {
    private var failing: [ObjectKey: String] = [:]

    public init() {}

    /// A reconcile of `key` failed with `message`: true when the key was not failing, or failed
    /// with another message.
    public mutating func failed(_ key: ObjectKey, message: String) -> Bool {
        failing.updateValue(message, forKey: key) != message
    }

    /// A reconcile of `key` succeeded: true when it was failing until now.
    public mutating func succeeded(_ key: ObjectKey) -> Bool {
        failing.removeValue(forKey: key) != nil
    }

    /// The object is gone: drop what was known about it.
    public mutating func forget(_ key: ObjectKey) {
        failing.removeValue(forKey: key)
    }

    /// How many keys are failing now.
    public var failingCount: Int { failing.count }
}
