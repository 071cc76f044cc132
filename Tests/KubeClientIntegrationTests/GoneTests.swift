import Foundation
import KubeClient
import KubeModel
import KubeTestSupport
import Testing

/// 410 Gone on its own control plane: it compacts etcd, which would disturb other suites.
@Suite(.controlPlane, .serialized) struct GoneTests {
    @Test func pagedListAfterCompactionIsGone() async throws {
        try await withAdminClient { client in
            let namespace = try await makeNamespace(client, prefix: "gone")
            let configMaps = client.api(ConfigMap.self, namespace: namespace)
            for index in 0..<5 {
                _ = try await configMaps.create(ConfigMap(metadata: ObjectMeta(name: "cm-\(index)")))
            }
            let firstPage = try await configMaps.list(ListOptions(limit: 2))
            let token = try #require(firstPage.metadata.continue)
            let latest = try await configMaps.create(ConfigMap(metadata: ObjectMeta(name: "after")))
            try await currentPlane().compactEtcd(to: try #require(latest.metadata.resourceVersion))

            let error = await apiError { _ = try await configMaps.list(ListOptions(limit: 2, continueToken: token)) }
            #expect(error?.isGone == true)
            #expect(error?.statusCode == 410)
        }
    }

    /// Events are not in the API server's watch cache, so a watch of them reads etcd's history
    /// directly: after a compaction, an older resourceVersion is answered with 410.
    @Test func watchFromACompactedVersionIsGone() async throws {
        try await withAdminClient { client in
            let namespace = try await makeNamespace(client, prefix: "gone-watch")
            let events = client.api(CoreEvent.self, namespace: namespace)
            func record(_ name: String) async throws -> CoreEvent {
                try await events.create(
                    CoreEvent(
                        metadata: ObjectMeta(name: name),
                        involvedObject: ObjectReference(kind: "ConfigMap", namespace: namespace, name: "x"),
                        reason: "Test", message: "compaction test", type: "Normal"))
            }
            let first = try await record("first")
            _ = try await record("second")
            let latest = try await record("third")
            try await currentPlane().compactEtcd(to: try #require(latest.metadata.resourceVersion))

            var status: Status?
            do {
                for try await event in try await events.watch(
                    WatchOptions(resourceVersion: first.metadata.resourceVersion, timeoutSeconds: 5))
                {
                    if case .error(let error) = event {
                        status = error
                        break
                    }
                }
            } catch let error as KubeAPIError {
                status = error.status
            }
            #expect(status?.code == 410)
            #expect(status?.reason == "Expired")
        }
    }
}
