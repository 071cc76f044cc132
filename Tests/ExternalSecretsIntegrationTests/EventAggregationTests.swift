import ExternalSecretsAPI
import Foundation
import KubeClient
import KubeModel
import KubeTestSupport
import OperatorTestSupport
import Testing

/// A failure that repeats is one Event whose count grows (a patch of the Event), not a new Event
/// per attempt: what the ClusterRole's `events patch` is for.
extension ExternalSecretSyncTests {
    @Test func repeatedFailuresAggregateIntoOneEvent() async throws {
        try await withOperator("events", storeData: [FakeProviderData(key: "present", value: "v")]) {
            client, namespace, process in
            _ = try await client.api(ExternalSecret.self, namespace: namespace).create(
                externalSecret("missing", data: [entry("value", "absent")]))
            var repeats: [CoreEvent] = []
            let aggregated = try await eventually(timeout: .seconds(60)) {
                let events = try await client.api(CoreEvent.self, namespace: namespace).list().items
                repeats = events.filter { $0.involvedObject.name == "missing" && $0.type == "Warning" }
                return repeats.contains { ($0.count ?? 0) >= 2 }
            }
            #expect(aggregated, "log: \(process.log.suffix(3000))")
            #expect(!process.log.contains("could not record event"), "log: \(process.log.suffix(3000))")
        }
    }
}
