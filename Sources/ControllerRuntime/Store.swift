public import KubeModel
import Synchronization

/// The identity of an object in a cache: namespace (nil for cluster-scoped) and name.
public struct ObjectKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var namespace: String?
    public var name: String

    public init(namespace: String?, name: String) {
        self.namespace = namespace.flatMap { $0.isEmpty ? nil : $0 }
        self.name = name
    }

    /// The key of `object`.
    public init(_ object: some KubeObject) {
        self.init(namespace: object.metadata.namespace, name: object.metadata.name ?? "")
    }

    public var description: String { namespace.map { "\($0)/\(name)" } ?? name }

    public static func < (lhs: ObjectKey, rhs: ObjectKey) -> Bool { lhs.description < rhs.description }
}

/// One change the writer made to a store: the object before and after (nil when absent).
public struct StoreChange<Object: KubeObject>: Sendable {
    public var key: ObjectKey
    public var old: Object?
    public var new: Object?

    public init(key: ObjectKey, old: Object?, new: Object?) {
        self.key = key
        self.old = old
        self.new = new
    }
}

/// A secondary index: the values an object is filed under (e.g. the store names an
/// ExternalSecret uses).
public struct StoreIndex<Object: KubeObject>: Sendable {
    public var name: String
    public var values: @Sendable (Object) -> [String]
    /// Set for a sharing index (``sharing(name:part:)``): gives a new object the storage of an
    /// equal part of an object already filed under the same value.
    var share: (@Sendable (inout Object, Object) -> Void)?

    public init(name: String, values: @escaping @Sendable (Object) -> [String]) {
        self.name = name
        self.values = values
    }

    /// An index that lets objects whose `part` is equal share that part's storage (arrays,
    /// dictionaries and long strings are shared until one object changes), so that 1,000
    /// ExternalSecrets a ClusterExternalSecret made with one spec hold one spec, not 1,000.
    /// Objects are filed under the part's hash; an arriving object takes the part of one already
    /// filed under the same hash when the two are equal. What readers see does not change.
    public static func sharing<Part: Hashable & Sendable>(
        name: String, part: any WritableKeyPath<Object, Part> & Sendable
    ) -> StoreIndex {
        var index = StoreIndex(name: name) { object in [String(object[keyPath: part].hashValue, radix: 36)] }
        index.share = { object, other in
            if object[keyPath: part] == other[keyPath: part] { object[keyPath: part] = other[keyPath: part] }
        }
        return index
    }
}

/// The read side of a reflector cache: cheap, shared, consistent snapshots.
///
/// Guarantees: readers never see a half-applied relist (it is swapped in at once); indexes always
/// agree with the objects. Caveat: the cache trails the API server by the watch latency.
public final class Store<Object: KubeObject>: Sendable {
    /// An object held by reference: a dictionary slot is then a pointer, not the whole struct
    /// (an ExternalSecret is 488 bytes inline, and a dictionary keeps up to half its slots
    /// empty), which saved about 0.75 KiB per namespace in the ClusterExternalSecret bench.
    final class Box: Sendable {
        let value: Object
        init(_ value: Object) { self.value = value }
    }

    /// The keys filed under one index value. Most values name one object (an owner uid, a
    /// target Secret), and a one-element Set is an allocation of its own (about 420 bytes per
    /// ExternalSecret across the controller and target indexes at 10,000).
    enum IndexBucket {
        case one(ObjectKey)
        case many(Set<ObjectKey>)

        var keys: [ObjectKey] {
            switch self {
            case .one(let key): [key]
            case .many(let keys): Array(keys)
            }
        }

        func first(where predicate: (ObjectKey) -> Bool) -> ObjectKey? {
            switch self {
            case .one(let key): predicate(key) ? key : nil
            case .many(let keys): keys.first(where: predicate)
            }
        }

        /// In place: the Set is taken out of `self` first, so it is not copied (a store's index
        /// value can hold every object).
        mutating func insert(_ key: ObjectKey) {
            switch self {
            case .one(let existing):
                if existing != key { self = .many([existing, key]) }
            case .many(var keys):
                self = .one(key)
                keys.insert(key)
                self = .many(keys)
            }
        }

        /// Removes `key`; returns false when no key is left (the bucket is then to be dropped).
        mutating func remove(_ key: ObjectKey) -> Bool {
            switch self {
            case .one(let existing):
                return existing != key
            case .many(var keys):
                self = .one(key)
                keys.remove(key)
                if keys.count == 1, let last = keys.first {
                    self = .one(last)
                } else {
                    self = .many(keys)
                }
                return !keys.isEmpty
            }
        }
    }

    struct State {
        var objects: [ObjectKey: Box] = [:]
        /// index name → value → keys
        var indexes: [String: [String: IndexBucket]] = [:]
        var synced = false
    }

    let state = Mutex(State())
    /// Tasks waiting for the first listing (an event count, so a wake-up is never lost).
    let syncWaiters = WorkQueueWaiters()
    let indexers: [StoreIndex<Object>]

    /// A store and its only writer.
    public static func make(indexes: [StoreIndex<Object>] = []) -> (Store, StoreWriter<Object>) {
        let store = Store(indexers: indexes)
        return (store, StoreWriter(store: store))
    }

    private init(indexers: [StoreIndex<Object>]) { self.indexers = indexers }

    public func get(_ key: ObjectKey) -> Object? { state.withLock { $0.objects[key]?.value } }

    /// Every object, in no particular order.
    public func list() -> [Object] { state.withLock { $0.objects.values.map(\.value) } }

    public var count: Int { state.withLock { $0.objects.count } }

    /// Keys filed under `value` in index `index`.
    public func keys(index: String, value: String) -> [ObjectKey] {
        state.withLock { $0.indexes[index]?[value]?.keys ?? [] }.sorted()
    }

    /// Objects filed under `value` in index `index`.
    public func objects(index: String, value: String) -> [Object] {
        state.withLock { state in (state.indexes[index]?[value]?.keys ?? []).compactMap { state.objects[$0]?.value } }
    }

    /// Whether the first complete listing has been applied.
    public var isSynced: Bool { state.withLock { $0.synced } }

    /// Returns once the first complete listing has been applied, or at once when the calling task
    /// is cancelled (callers that must not go on unsynced check cancellation afterwards).
    public func waitUntilSynced() async {
        while !Task.isCancelled {
            let epoch = syncWaiters.epoch
            if isSynced { return }
            await syncWaiters.park(unlessWokenSince: epoch)
        }
    }

    func indexValues(of object: Object) -> [(String, [String])] {
        indexers.map { ($0.name, $0.values(object)) }
    }

    /// Applies the sharing indexes: `object` takes the equal parts of an object filed under the
    /// same value (`values` are its index values, in `indexers` order).
    func share(_ object: inout Object, key: ObjectKey, values: [(String, [String])], in state: State) {
        for (indexer, (name, indexValues)) in zip(indexers, values) {
            guard let share = indexer.share, let value = indexValues.first,
                let other = state.indexes[name]?[value]?.first(where: { $0 != key }),
                let existing = state.objects[other]?.value
            else { continue }
            share(&object, existing)
        }
    }
}

/// The single writer of a `Store`: applies watcher events.
public struct StoreWriter<Object: KubeObject>: Sendable {
    let store: Store<Object>

    /// Applies `event` and returns what changed. A `.restarted` listing replaces the whole content
    /// at once; objects missing from it come back as changes with `new == nil`.
    @discardableResult
    public func apply(_ event: WatcherEvent<Object>) -> [StoreChange<Object>] {
        switch event {
        case .applied(var object):
            let key = ObjectKey(object)
            let values = store.indexValues(of: object)
            let old = store.state.withLock { state -> Object? in
                store.share(&object, key: key, values: values, in: state)
                let old = state.objects.updateValue(Store<Object>.Box(object), forKey: key)?.value
                if let old { Self.unindex(key, values: store.indexValues(of: old), in: &state) }
                Self.index(key, values: values, in: &state)
                return old
            }
            return [StoreChange(key: key, old: old, new: object)]
        case .deleted(let object):
            let key = ObjectKey(object)
            let old = store.state.withLock { state -> Object? in
                guard let old = state.objects.removeValue(forKey: key)?.value else { return nil }
                Self.unindex(key, values: store.indexValues(of: old), in: &state)
                return old
            }
            return [StoreChange(key: key, old: old ?? object, new: nil)]
        case .restarted(let objects):
            // Build the replacement outside the lock, swap it in at once.
            var fresh = Store<Object>.State()
            for var object in objects {
                let key = ObjectKey(object)
                let values = store.indexValues(of: object)
                store.share(&object, key: key, values: values, in: fresh)
                fresh.objects[key] = Store<Object>.Box(object)
                Self.index(key, values: values, in: &fresh)
            }
            let previous = store.state.withLock { state -> [ObjectKey: Store<Object>.Box] in
                let previous = state.objects
                state.objects = fresh.objects
                state.indexes = fresh.indexes
                state.synced = true
                return previous
            }
            store.syncWaiters.wakeAll()
            var changes: [StoreChange<Object>] = []
            for (key, object) in fresh.objects {
                changes.append(StoreChange(key: key, old: previous[key]?.value, new: object.value))
            }
            for (key, old) in previous where fresh.objects[key] == nil {
                changes.append(StoreChange(key: key, old: old.value, new: nil))
            }
            return changes
        }
    }

    private static func index(_ key: ObjectKey, values: [(String, [String])], in state: inout Store<Object>.State) {
        for (name, indexValues) in values {
            for value in indexValues {
                if state.indexes[name]?[value] != nil {
                    state.indexes[name]?[value]?.insert(key)
                } else {
                    state.indexes[name, default: [:]][value] = .one(key)
                }
            }
        }
    }

    private static func unindex(_ key: ObjectKey, values: [(String, [String])], in state: inout Store<Object>.State) {
        for (name, indexValues) in values {
            for value in indexValues {
                if state.indexes[name]?[value]?.remove(key) == false { state.indexes[name]?[value] = nil }
            }
        }
    }
}
