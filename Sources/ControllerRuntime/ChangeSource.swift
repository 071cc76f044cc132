public import KubeModel
public import ServiceLifecycle
import Synchronization

/// A cache of one kind that reports its changes: a `Reflector` (a cache only) or a `Controller`
/// (a cache with a reconciler). Controllers declare what they watch in terms of change sources
/// (`Controller.watches`), in the manner of controller-runtime's builder, so the wiring of an
/// operator is a list of declarations rather than callbacks bound after construction.
///
/// Guarantees: subscribers see every change after the source's first full listing (the first
/// listing itself is not reported: the dependent controller's own initial sync covers it), in
/// the order the watch delivered them; a relist reports what it changed. Caveat: subscribers run
/// on the source's watch task, so they must be quick (queue keys, drop a cached client), and a
/// subscriber added after the source started misses the changes before it.
public protocol ChangeSource<Object>: AnyObject, Sendable {
    associatedtype Object: KubeObject
    /// The cache (read-only).
    var store: Store<Object> { get }
    /// Adds a subscriber (declare it before the source runs).
    func subscribe(_ subscriber: @escaping @Sendable (StoreChange<Object>) async -> Void)
}

extension ChangeSource {
    /// Calls `body` with the last known state of every object that is deleted.
    public func onDeletion(_ body: @escaping @Sendable (ObjectKey, Object) async -> Void) {
        subscribe { change in
            if change.new == nil, let old = change.old { await body(change.key, old) }
        }
    }
}

/// Observers of one kind of event (a change source's changes, a circuit breaker's transitions),
/// added at wiring time and called in the order they were added.
public final class Subscribers<Event: Sendable>: Sendable {
    private let subscribers = Mutex<[@Sendable (Event) async -> Void]>([])

    public init() {}

    public func add(_ subscriber: @escaping @Sendable (Event) async -> Void) {
        subscribers.withLock { $0.append(subscriber) }
    }

    public func notify(_ event: Event) async {
        for subscriber in subscribers.withLock({ $0 }) { await subscriber(event) }
    }
}

/// A change source that holds nothing and never changes, for a kind this operator does not watch
/// (its cache reads as synced and empty; `run` returns at once).
public final class EmptySource<Object: KubeObject>: ChangeSource, Service {
    public let store: Store<Object>

    public init() {
        let (store, writer) = Store<Object>.make()
        _ = writer.apply(.restarted([]))
        self.store = store
    }

    public func subscribe(_ subscriber: @escaping @Sendable (StoreChange<Object>) async -> Void) {}

    public func run() async throws {}
}

