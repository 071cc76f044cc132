public import KubeClient
public import KubeModel
public import Logging

/// Options of a watcher: which objects, and how.
public struct WatcherOptions: Sendable {
    public var labelSelector: String?
    public var fieldSelector: String?
    /// Page size of the initial list and of relists.
    public var pageSize: Int
    /// How long the server keeps one watch open before closing it (it is then resumed).
    public var watchTimeoutSeconds: Int
    /// Backoff after a failure: starts at `initialBackoff`, doubles, capped at `maxBackoff`, and
    /// is reset by the next successful list or event.
    public var initialBackoff: Duration
    public var maxBackoff: Duration
    /// Drop `metadata.managedFields` before objects reach the owner: server-side apply
    /// bookkeeping is often the largest part of an object's metadata and no cache reader needs it
    /// (read it with a direct GET when needed).
    public var stripManagedFields: Bool
    /// Keep only an object's identity (name, namespace, uid, resourceVersion, generation,
    /// deletionTimestamp): for caches that only notice changes. Labels and annotations go too —
    /// on Secrets they can hold values (`kubectl.kubernetes.io/last-applied-configuration`).
    public var identityOnly: Bool

    public init(
        labelSelector: String? = nil, fieldSelector: String? = nil, pageSize: Int = 500,
        watchTimeoutSeconds: Int = 290, initialBackoff: Duration = .milliseconds(800),
        maxBackoff: Duration = .seconds(30), stripManagedFields: Bool = true, identityOnly: Bool = false
    ) {
        self.identityOnly = identityOnly
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.pageSize = pageSize
        self.watchTimeoutSeconds = watchTimeoutSeconds
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.stripManagedFields = stripManagedFields
    }
}

extension Watcher {
    static func strip(_ object: Object, identityOnly: Bool) -> Object {
        var object = object
        object.metadata.managedFields = nil
        if identityOnly {
            let meta = object.metadata
            object.metadata = ObjectMeta(name: meta.name, namespace: meta.namespace)
            object.metadata.uid = meta.uid
            object.metadata.resourceVersion = meta.resourceVersion
            object.metadata.generation = meta.generation
            object.metadata.deletionTimestamp = meta.deletionTimestamp
        }
        return object
    }

    /// `event` with its object stripped; bookmarks and errors carry none.
    static func stripped(_ event: WatchEvent<Object>, identityOnly: Bool) -> WatchEvent<Object> {
        switch event {
        case .added(let object): .added(strip(object, identityOnly: identityOnly))
        case .modified(let object): .modified(strip(object, identityOnly: identityOnly))
        case .deleted(let object): .deleted(strip(object, identityOnly: identityOnly))
        case .bookmark, .error: event
        }
    }
}

/// Drives a `WatcherStateMachine` against the API server: lists, watches, resumes, relists on
/// 410 and backs off on errors, delivering every event to `handle` in order.
///
/// Errors are never swallowed: each one is passed to `onError` (for logs and metrics) before the
/// backoff. `run` returns only when its task is cancelled.
public struct Watcher<Object: KubeObject, C: Clock>: Sendable where C.Duration == Duration {
    let api: ResourceAPI<Object>
    let options: WatcherOptions
    let clock: C
    let logger: Logger

    public init(api: ResourceAPI<Object>, options: WatcherOptions = WatcherOptions(), clock: C, logger: Logger) {
        self.api = api
        self.options = options
        self.clock = clock
        self.logger = logger
    }

    /// Runs until cancelled.
    /// - Parameters:
    ///   - handle: receives every event, in order; the watcher waits for it (backpressure).
    ///   - onError: told of every failure before the watcher backs off.
    public func run(
        handle: (WatcherEvent<Object>) async -> Void,
        onError: (any Error) async -> Void = { _ in }
    ) async throws {
        var machine = WatcherStateMachine<Object>()
        var action = machine.start()
        var stream: WatchStream<Object>.AsyncIterator?
        var backoff = options.initialBackoff
        var hasWatched = false
        var progress = ListProgress(kind: api.resource.kind)
        while true {
            try Task.checkCancellation()
            switch action {
            case .list(let token):
                stream = nil
                if token == nil, hasWatched {
                    logger.info("relisting: the watch could not resume", metadata: ["resource": "\(api.resource)"])
                }
                do {
                    var page = try await api.list(
                        ListOptions(
                            labelSelector: options.labelSelector, fieldSelector: options.fieldSelector,
                            limit: options.pageSize, continueToken: token,
                            skipManagedFields: options.stripManagedFields || options.identityOnly))
                    backoff = options.initialBackoff
                    // Strip each page as it arrives, so a large first listing never holds them all.
                    if options.stripManagedFields || options.identityOnly {
                        page.items = page.items.map { Self.strip($0, identityOnly: options.identityOnly) }
                    }
                    // A listing of several pages (a large install) reports its progress per page.
                    if let line = progress.pageListed(
                        items: page.items.count, remaining: page.metadata.remainingItemCount, isFirstPage: token == nil,
                        hasMore: !(page.metadata.continue ?? "").isEmpty)
                    {
                        logger.info(
                            "\(line)", metadata: ["resource": "\(api.resource)", "synced": "\(progress.listed)"])
                    }
                    action = machine.pageListed(page)
                } catch {
                    try Task.checkCancellation()
                    await onError(error)
                    action = machine.listFailed(error)
                }
            case .watch(let version):
                do {
                    let opened = try await api.watch(
                        WatchOptions(
                            labelSelector: options.labelSelector, fieldSelector: options.fieldSelector,
                            resourceVersion: version, allowWatchBookmarks: true,
                            timeoutSeconds: options.watchTimeoutSeconds,
                            skipManagedFields: options.stripManagedFields || options.identityOnly))
                    stream = opened.makeAsyncIterator()
                    hasWatched = true
                    action = .continueReading
                } catch {
                    try Task.checkCancellation()
                    await onError(error)
                    action = machine.watchFailed(error)
                }
            case .continueReading:
                guard var iterator = stream else {
                    action = machine.watchEnded()
                    continue
                }
                do {
                    let event = try await iterator.next()
                    stream = iterator
                    if let event {
                        backoff = options.initialBackoff
                        // Stripped where objects arrive (here and per list page), once.
                        action = machine.received(
                            options.stripManagedFields || options.identityOnly
                                ? Self.stripped(event, identityOnly: options.identityOnly) : event)
                    } else {
                        stream = nil
                        logger.trace("watch closed by the server; resuming", metadata: ["resource": "\(api.resource)"])
                        action = machine.watchEnded()
                    }
                } catch {
                    stream = nil
                    try Task.checkCancellation()
                    await onError(error)
                    action = machine.watchFailed(error)
                }
            case .emit(let events, let then):
                for event in events { await handle(event) }
                action = then
            case .backoff(let then):
                stream = nil
                logger.debug(
                    "watcher backing off", metadata: ["resource": "\(api.resource)", "delay": "\(backoff)"])
                try await clock.sleep(for: backoff)
                backoff = min(backoff * 2, options.maxBackoff)
                action = then
            }
        }
    }
}

/// The progress of one listing, paged or not: "synced 4,210 of 10,000 ExternalSecrets" after each
/// page of a listing that spans several pages; nothing for a listing that fits in one page.
///
/// The total is the objects listed so far plus the server's `remainingItemCount` (Kubernetes sends
/// it for unfiltered lists; with a label selector it may not), and on the last page the number
/// listed.
public struct ListProgress: Sendable {
    public let kind: String
    public private(set) var listed = 0
    private var total: Int?

    public init(kind: String) { self.kind = kind }

    /// A page of `items` objects was listed; `remaining` is the server's count of those still to
    /// come. Returns the line to log, or nil.
    public mutating func pageListed(items: Int, remaining: Int64?, isFirstPage: Bool, hasMore: Bool) -> String? {
        if isFirstPage { (listed, total) = (0, nil) }
        listed += items
        if isFirstPage && !hasMore { return nil }
        if let remaining { total = listed + Int(remaining) }
        if !hasMore { total = listed }
        let noun = listed == 1 && total == 1 ? kind : Self.plural(of: kind)
        guard let total else { return "synced \(Self.grouped(listed)) \(noun) so far" }
        return "synced \(Self.grouped(listed)) of \(Self.grouped(total)) \(noun)"
    }

    /// `10000` as `10,000` (fixed, not the locale's: logs are read by tools).
    public static func grouped(_ number: Int) -> String {
        let digits = String(number.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return number < 0 ? "-" + out : out
    }

    /// English plural of a Kubernetes kind (`ExternalSecret` → `ExternalSecrets`, `Policy` →
    /// `Policies`).
    static func plural(of kind: String) -> String {
        if kind.hasSuffix("s") || kind.hasSuffix("x") || kind.hasSuffix("ch") || kind.hasSuffix("sh") { return kind + "es" }
        if kind.hasSuffix("y"), let before = kind.dropLast().last, !"aeiou".contains(before) { return String(kind.dropLast()) + "ies" }
        return kind + "s"
    }
}
