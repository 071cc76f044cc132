public import KubeModel
import Synchronization

/// The resourceVersions this process's own writes produced, so that the watch events they cause
/// wake nothing. Without it a controller reconciles an object once more for each of its own writes
/// (its status patch, the Secret it created): two extra reconciles per first sync, each a queue
/// slot and, at scale, the difference between one pass over 10,000 objects and three.
///
/// Guarantees:
/// - An event is recognised only when its object's resourceVersion is exactly one recorded for
///   that key; a later write by anyone else has another version and wakes as usual.
/// - A recorded version is recognised once, then forgotten. At most one version is kept per key
///   (the latest recorded), so memory is bounded by the number of objects written.
///
/// Caveats:
/// - When the watch delivers an event before the write's answer is recorded, the event is not
///   recognised and costs one ordinary reconcile; the version then stays until the key's next
///   write replaces it or the key is forgotten.
/// - Callers decide which events may be dropped: a controller drops only changes that would not
///   have mattered anyway (status-only changes of its own objects), never a spec change that
///   happened to land in the same listing.
public final class OwnWrites: Sendable {
    private let versions = Mutex<[ObjectKey: String]>([:])

    public init() {}

    /// Records the version a write returned.
    public func record(_ written: some KubeObject) {
        guard let version = written.metadata.resourceVersion, let name = written.metadata.name else { return }
        let key = ObjectKey(namespace: written.metadata.namespace, name: name)
        versions.withLock { $0[key] = version }
    }

    /// Whether `object` is exactly what this process last wrote for its key; forgets the record
    /// when it is.
    public func consume(_ object: some KubeObject) -> Bool {
        guard let version = object.metadata.resourceVersion, let name = object.metadata.name else { return false }
        let key = ObjectKey(namespace: object.metadata.namespace, name: name)
        return versions.withLock { versions in
            guard versions[key] == version else { return false }
            versions[key] = nil
            return true
        }
    }

    /// Forgets a deleted object's record.
    public func forget(_ key: ObjectKey) {
        versions.withLock { _ = $0.removeValue(forKey: key) }
    }

    /// How many versions are kept (for tests and the memory bench).
    public var count: Int { versions.withLock { $0.count } }
}
