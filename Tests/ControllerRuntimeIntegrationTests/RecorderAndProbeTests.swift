import ControllerRuntime
import Foundation
import HTTPSupport
import KubeClient
import KubeModel
import KubeTestSupport
import Logging
import Synchronization
import Testing

@Suite(.controlPlane) struct EventRecorderTests {
    @Test func repeatsAreAggregatedAndAHotLoopIsCapped() async throws {
        try await withAdminClient { client in
            let namespace = try await makeNamespace(client, prefix: "events")
            let subject = try await client.api(ConfigMap.self, namespace: namespace).create(
                ConfigMap(metadata: ObjectMeta(name: "subject")))
            let recorder = EventRecorder(
                client: client, component: "external-secrets", clock: ContinuousClock(),
                logger: Logger(label: "test"))
            for _ in 0..<100 {
                await recorder.record(.warning, reason: "UpdateFailed", message: "could not reach the provider", about: subject)
            }
            await recorder.record(.normal, reason: "Updated", message: "secret updated", about: subject)
            // Sent in the background, in order; wait until the queue is empty.
            await recorder.flush()

            let events = try await client.api(CoreEvent.self, namespace: namespace).list().items
            let warnings = events.filter { $0.reason == "UpdateFailed" }
            #expect(warnings.count == 1)
            // The spam filter's burst of 25 caps the hot loop: 1 create + 24 count increments.
            #expect(warnings.first?.count == 25)
            #expect(warnings.first?.involvedObject.uid == subject.metadata.uid)
            #expect(warnings.first?.source?.component == "external-secrets")
            // Once the bucket is empty, other events of that object are dropped too.
            #expect(events.filter { $0.reason == "Updated" }.isEmpty)
        }
    }
}

@Suite struct ProbeServerTests {
    @Test func healthReadinessAndMetrics() async throws {
        let ready = Mutex(false)
        let port = Mutex(0)
        let server = ProbeServer(
            address: ListenAddress(host: "127.0.0.1", port: 0), isReady: { ready.withLock { $0 } },
            renderMetrics: { "workqueue_depth{name=\"x\"} 0\n" }, logger: Logger(label: "test"),
            onListening: { bound in port.withLock { $0 = bound } })
        let transport = try AsyncHTTPClientTransport()
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.run() }
                // Stop the server however this body ends, so the group never waits on it.
                defer { group.cancelAll() }
                // Generous: on a loaded 2-core machine binding can take a while.
                try #require(try await eventually(timeout: .seconds(60)) { port.withLock { $0 } != 0 })
                let base = "http://127.0.0.1:\(port.withLock { $0 })"
                func get(_ path: String) async throws -> HTTPResponse {
                    try await transport.send(HTTPRequest(method: .GET, url: base + path), timeout: .seconds(10))
                }
                #expect(try await get("/healthz").status == .ok)
                #expect(try await get("/readyz").status == .serviceUnavailable)
                ready.withLock { $0 = true }
                #expect(try await get("/readyz").status == .ok)
                let metrics = try await get("/metrics")
                #expect(String(decoding: metrics.body, as: UTF8.self).contains("workqueue_depth"))
                #expect(metrics.headers.first(name: "Content-Type")?.hasPrefix("text/plain") == true)
            }
        } catch {
            // Shut the client down on every path: AsyncHTTPClient traps when one is deinited running.
            try? await transport.shutdown()
            throw error
        }
        try await transport.shutdown()
    }

    @Test(arguments: [(":8080", "0.0.0.0", 8080), ("127.0.0.1:0", "127.0.0.1", 0)])
    func parsesESOStyleAddresses(text: String, host: String, port: Int) {
        #expect(ListenAddress(parsing: text) == ListenAddress(host: host, port: port))
    }

    @Test(arguments: ["8080", "host:port", ":99999", ""])
    func rejectsMalformedAddresses(text: String) {
        #expect(ListenAddress(parsing: text) == nil)
    }
}
