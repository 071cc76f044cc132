public import KubeClient
public import KubeModel
public import Logging
public import ServiceLifecycle

/// Mirrors one kind into a `Store` (a cache other controllers read) and reports changes that
/// arrive after the first listing, so a controller can wake the objects that depend on them.
///
/// Guarantees: `store` follows the server (relists swapped in at once, like `Controller`);
/// subscribers (`ChangeSource`) are not called for the first listing, only for later changes
/// (including those a relist reveals); on graceful shutdown `run` returns normally (it is
/// cancelled, and that cancellation is not a failure). Caveat: subscribers run on the watch
/// task, so they must not block for long.
public final class Reflector<Object: KubeObject, C: Clock>: Service, ChangeSource where C.Duration == Duration {
    public let store: Store<Object>
    private let writer: StoreWriter<Object>
    private let api: ResourceAPI<Object>
    private let options: WatcherOptions
    private let clock: C
    private let logger: Logger
    private let subscribers = Subscribers<StoreChange<Object>>()

    public init(
        api: ResourceAPI<Object>, options: WatcherOptions = WatcherOptions(), indexes: [StoreIndex<Object>] = [],
        clock: C, logger: Logger
    ) {
        (store, writer) = Store<Object>.make(indexes: indexes)
        self.api = api
        self.options = options
        self.clock = clock
        self.logger = logger
    }

    public func subscribe(_ subscriber: @escaping @Sendable (StoreChange<Object>) async -> Void) {
        subscribers.add(subscriber)
    }

    public func run() async throws {
        try await returnOnGracefulShutdown {
            var initialSync = true
            try await Watcher(api: self.api, options: self.options, clock: self.clock, logger: self.logger).run { event in
                let changes = self.writer.apply(event)
                let first = initialSync
                if case .restarted = event { initialSync = false }
                guard !first else { return }
                for change in changes { await self.subscribers.notify(change) }
            } onError: { error in
                self.logger.warning("watch failed; retrying", metadata: ["resource": "\(self.api.resource)", "error": "\(error)"])
            }
        }
    }
}

/// Runs `operation` until it returns or a graceful shutdown cancels it; a cancellation caused
/// by graceful shutdown ends normally instead of throwing `CancellationError`, so a service
/// that stops because it was asked to is not reported as failed.
func returnOnGracefulShutdown(_ operation: @escaping @Sendable () async throws -> Void) async throws {
    do {
        try await cancelWhenGracefulShutdown(operation)
    } catch is CancellationError where Task.isShuttingDownGracefully {
        return
    }
}
