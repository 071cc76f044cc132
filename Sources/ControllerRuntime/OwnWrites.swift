public import KubeModel
import Synchronization

/// The resourceVersions this process's own writes produced, so that the watch events they cause
/// wake nothing. Without it a controller reconciles an object once more for each of its own writes
/// (its status patch, the Secret it created): two extra reconciles per first sync, each a queue
/// slot and, at scale, the difference between one pass over 10,000 objects and three.
///
/// A write goes through ``writing(_:_:)``; a watch event goes through ``deliver(_:wake:)``.
/// The watch often delivers a write's event before the write's answer arrives (Kubernetes'
/// controllers call this "expectations"): an event for a key with a write in flight is parked
/// until the answer, then dropped when it is exactly the write and released otherwise.
///
/// Guarantees:
/// - An event is dropped only when its object's resourceVersion is exactly one this process's
///   write of that key returned; a later write by anyone else has another version and wakes.
/// - A parked event is released when the key's writes in flight have all returned without
///   producing its version (a failed write produces none); it waits no longer than they take.
/// - A recorded version is recognised once, then forgotten. At most one version is kept per key
///   (the latest written), so memory is bounded by the number of objects written.
///
/// Callers decide which events may be dropped: a controller passes only changes that would not
/// have mattered anyway (status-only changes of its own objects, its own Secret writes), never a
/// spec change that happened to land in the same listing.
public final class OwnWrites: Sendable {
    private struct Entry {
        /// The version the last finished write returned, not yet seen in an event.
        var written: String?
        var inFlight = 0
        var parked: [(version: String, wake: @Sendable () async -> Void)] = []
        var isEmpty: Bool { written == nil && inFlight == 0 && parked.isEmpty }
    }

    private let entries = Mutex<[ObjectKey: Entry]>([:])

    public init() {}

    /// Makes `write` (a create, update or status patch of `key`) and records the version it
    /// returned; events of `key` that arrive meanwhile are parked until it returns.
    public func writing<Written: KubeObject>(
        _ key: ObjectKey, _ write: () async throws -> Written
    ) async throws -> Written {
        entries.withLock { $0[key, default: Entry()].inFlight += 1 }
        let written: Written
        do {
            written = try await write()
        } catch {
            await finish(key, version: nil)
            throw error
        }
        await finish(key, version: written.metadata.resourceVersion)
        return written
    }

    /// Delivers a watch event of `object`: drops it when it is exactly this process's last write
    /// of the key, parks it while a write of the key is in flight, calls `wake` otherwise.
    public func deliver(_ object: some KubeObject, wake: @escaping @Sendable () async -> Void) async {
        guard let version = object.metadata.resourceVersion, let name = object.metadata.name else {
            await wake()
            return
        }
        let key = ObjectKey(namespace: object.metadata.namespace, name: name)
        // Whether the event is neither this process's write nor parked behind one in flight.
        let someoneElses: Bool = entries.withLock { entries in
            guard var entry = entries[key] else { return true }
            defer { entries[key] = entry.isEmpty ? nil : entry }
            if entry.written == version {
                entry.written = nil
                return false
            }
            if entry.inFlight > 0 {
                entry.parked.append((version, wake))
                return false
            }
            return true
        }
        if someoneElses { await wake() }
    }

    /// Forgets a deleted object's record (a write still in flight keeps its parked events).
    public func forget(_ key: ObjectKey) {
        entries.withLock { entries in
            guard var entry = entries[key] else { return }
            entry.written = nil
            entries[key] = entry.isEmpty ? nil : entry
        }
    }

    /// How many keys have a record, a write in flight or parked events (for tests and the memory
    /// bench).
    public var count: Int { entries.withLock { $0.count } }

    /// Ends one write of `key` that returned `version` (nil: failed): drops the parked event that
    /// is exactly this write, releases the others, and records the version if its event has not
    /// arrived yet.
    private func finish(_ key: ObjectKey, version: String?) async {
        let released: [@Sendable () async -> Void] = entries.withLock { entries in
            guard var entry = entries[key] else { return [] }
            defer { entries[key] = entry.isEmpty ? nil : entry }
            entry.inFlight -= 1
            let seen = version != nil && entry.parked.contains { $0.version == version }
            entry.parked.removeAll { $0.version == version }
            if let version, !seen { entry.written = version }
            // Another write of the key still in flight may yet claim the rest.
            guard entry.inFlight == 0 else { return [] }
            defer { entry.parked = [] }
            return entry.parked.map(\.wake)
        }
        for wake in released { await wake() }
    }
}
