import ControllerRuntime
import Foundation
import KubeClient
import KubeModel
import KubeTestSupport
import Logging
import Synchronization
import Testing

/// Collects the messages logged at info level or above.
private final class Messages: LogHandler, @unchecked Sendable {
    // @unchecked: `lines` is guarded by its Mutex; the other stored properties are set once by
    // the logger that owns this handler, as every LogHandler's are.
    private let lines = Mutex<[String]>([])
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) { lines.withLock { $0.append("\(event.message)") } }
    var all: [String] { lines.withLock { $0 } }
}

@Suite(.controlPlane) struct ListProgressIntegrationTests {
    /// A listing of several pages reports its progress per page, with the total the real API
    /// server announces (`remainingItemCount`); the caches of a large install log the same lines
    /// with pages of 500.
    @Test func aPagedListingLogsSyncedNOfTotal() async throws {
        try await withAdminClient { client in
            let namespace = try await makeNamespace(client, prefix: "progress")
            // Leases: nothing else creates them in a new namespace (the controller-manager adds a
            // ConfigMap and ServiceAccount token Secrets at its own pace).
            let leases = client.api(Lease.self, namespace: namespace)
            for index in 0..<5 { _ = try await leases.create(Lease(metadata: ObjectMeta(name: "lease-\(index)"))) }
            let messages = Messages()
            let (store, writer) = Store<Lease>.make()
            let watcher = Watcher(
                api: leases, options: WatcherOptions(pageSize: 2), clock: ContinuousClock(),
                logger: Logger(label: "test") { _ in messages })
            try await withThrowingTaskGroup(of: Void.self) { (group: inout ThrowingTaskGroup<Void, any Error>) async throws in
                group.addTask { try await watcher.run { event in _ = writer.apply(event) } }
                defer { group.cancelAll() }
                #expect(try await eventually { store.isSynced })
            }
            #expect(
                messages.all.filter { $0.hasPrefix("synced") }
                    == ["synced 2 of 5 Leases", "synced 4 of 5 Leases", "synced 5 of 5 Leases"])
        }
    }
}
