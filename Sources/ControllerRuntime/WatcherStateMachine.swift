import KubeClient
public import KubeModel

/// What a watcher reports to its owner.
public enum WatcherEvent<Object: KubeObject>: Sendable {
    /// An object was added or changed.
    case applied(Object)
    /// An object was deleted.
    case deleted(Object)
    /// A complete, consistent listing replacing everything known before (first sync and every
    /// relist after 410 Gone). The owner swaps its cache for these objects at once.
    case restarted([Object])
}

/// The watcher's protocol with the API server, as a pure state machine: each input returns the
/// next action; the driver (`Watcher`) performs it. No I/O, no clock.
///
/// Guarantees:
/// - the first output is a `.restarted` with every object of a paged list, and the watch starts
///   from that list's resourceVersion, so no change between list and watch is missed;
/// - the resourceVersion advances with every event and bookmark, so a watch the server closes is
///   resumed from the last version seen, without a relist;
/// - 410 Gone (from a watch, or from a continue token while paging) restarts from a fresh list;
/// - any other failure is retried after a backoff the driver chooses, resuming where it was.
public struct WatcherStateMachine<Object: KubeObject>: Sendable {
    enum State: Sendable {
        /// Listing pages; `objects` collects them until the last page.
        case listing(continueToken: String?, objects: [Object], resourceVersion: String?)
        /// Watching (or about to watch) from `resourceVersion`.
        case watching(resourceVersion: String)
    }

    /// What the driver must do next.
    public enum Action: Sendable {
        /// Request one list page (nil token: the first page).
        case list(continueToken: String?)
        /// Open a watch from this resourceVersion.
        case watch(resourceVersion: String)
        /// Keep reading the open watch stream.
        case continueReading
        /// Deliver these events to the owner, then perform `then`.
        indirect case emit([WatcherEvent<Object>], then: Action)
        /// Close any open stream, wait out a backoff, then perform `then`.
        indirect case backoff(then: Action)
    }

    private var state: State = .listing(continueToken: nil, objects: [], resourceVersion: nil)

    public init() {}

    /// The first action.
    public func start() -> Action { .list(continueToken: nil) }

    /// The resourceVersion a watch resumes from, once the initial list is complete.
    public var resourceVersion: String? {
        if case .watching(let version) = state { return version }
        return nil
    }

    /// A list page arrived.
    public mutating func pageListed(_ page: ObjectList<Object>) -> Action {
        guard case .listing(_, var objects, let firstVersion) = state else { return relist() }
        objects.append(contentsOf: page.items)
        // Later pages come from the first page's snapshot: the watch starts from its version.
        let version = firstVersion ?? page.metadata.resourceVersion ?? ""
        if let next = page.metadata.continue, !next.isEmpty {
            state = .listing(continueToken: next, objects: objects, resourceVersion: version)
            return .list(continueToken: next)
        }
        state = .watching(resourceVersion: version)
        return .emit([.restarted(objects)], then: .watch(resourceVersion: version))
    }

    /// A list request failed.
    public mutating func listFailed(_ error: any Error) -> Action {
        if let error = error as? KubeAPIError, error.isGone {
            // The continue token expired (etcd compaction): that snapshot is gone.
            return relist()
        }
        guard case .listing(let token, _, _) = state else { return .backoff(then: relist()) }
        return .backoff(then: .list(continueToken: token))
    }

    /// A watch event arrived on the open stream.
    public mutating func received(_ event: WatchEvent<Object>) -> Action {
        guard case .watching(let current) = state else { return .backoff(then: relist()) }
        switch event {
        case .added(let object), .modified(let object):
            state = .watching(resourceVersion: object.metadata.resourceVersion ?? current)
            return .emit([.applied(object)], then: .continueReading)
        case .deleted(let object):
            state = .watching(resourceVersion: object.metadata.resourceVersion ?? current)
            return .emit([.deleted(object)], then: .continueReading)
        case .bookmark(let version):
            if !version.isEmpty { state = .watching(resourceVersion: version) }
            return .continueReading
        case .error(let status):
            if status.code == 410 || status.reason == "Expired" || status.reason == "Gone" {
                return relist()
            }
            return .backoff(then: .watch(resourceVersion: current))
        }
    }

    /// The server closed the watch normally (its timeout): resume at once from the last version.
    public mutating func watchEnded() -> Action {
        guard case .watching(let version) = state else { return relist() }
        return .watch(resourceVersion: version)
    }

    /// Opening or reading the watch failed (connection refused or reset, server error).
    public mutating func watchFailed(_ error: any Error) -> Action {
        if let error = error as? KubeAPIError, error.isGone { return relist() }
        guard case .watching(let version) = state else { return .backoff(then: relist()) }
        return .backoff(then: .watch(resourceVersion: version))
    }

    private mutating func relist() -> Action {
        state = .listing(continueToken: nil, objects: [], resourceVersion: nil)
        return .list(continueToken: nil)
    }
}
