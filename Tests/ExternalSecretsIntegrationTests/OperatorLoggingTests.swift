import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import KubeClient
import KubeModel
import KubeTestSupport
import OperatorTestSupport
import Testing

/// The lines of a JSON log, each parsed (nil for a line that is not a JSON object).
private func jsonLines(_ log: String) -> [(text: Substring, fields: [String: Any]?)] {
    log.split(separator: "\n").map { line in
        (line, (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any])
    }
}

/// (ExternalSecretSyncTests, sharing its control plane.) `--log-format json`: what a log
/// pipeline reads, and how many lines a failing object costs.
extension ExternalSecretSyncTests {
    @Test func jsonLogsCarryTheReconcileAndOneLinePerTransition() async throws {
        try await withOperator(
            "jsonlog", storeData: [FakeProviderData(key: "db", value: canary)], arguments: ["--log-format", "json"]
        ) { client, namespace, process in
            let externalSecrets = client.api(ExternalSecret.self, namespace: namespace)
            _ = try await externalSecrets.create(externalSecret("good", data: [entry("password", "db")]))
            #expect(try await waitForReady(client, namespace, "good"), "log: \(process.log.suffix(3000))")
            // A key the provider does not have: every retry fails with the same error.
            _ = try await externalSecrets.create(externalSecret("broken", data: [entry("password", "missing")]))
            #expect(
                try await waitForReady(client, namespace, "broken", status: "False", reason: ESOReason.secretSyncedError))
            #expect(try await waitForCompletedSyncs(process, namespace: namespace, name: "broken", count: 3))

            let lines = jsonLines(process.log)
            // Every line is a JSON object with the fields every line has.
            let malformed = lines.filter { line in
                guard let fields = line.fields else { return true }
                return ["ts", "level", "logger", "msg"].contains { !(fields[$0] is String) }
            }
            #expect(malformed.isEmpty, "not JSON lines: \(malformed.prefix(3).map(\.text))")
            #expect(!process.log.contains(canary))
            let fields = lines.compactMap(\.fields)
            #expect(fields.allSatisfy { ["trace", "debug", "info", "warn", "error"].contains($0["level"] as? String ?? "") })
            #expect(fields.allSatisfy { ($0["ts"] as? String)?.hasSuffix("Z") == true })

            // The write is logged once, with the reconcile's fields.
            let created = fields.filter { $0["msg"] as? String == ESOMessage.secretCreated && $0["name"] as? String == "good" }
            #expect(created.count == 1)
            if let line = created.first {
                #expect(line["controller"] as? String == "externalsecret")
                #expect(line["namespace"] as? String == namespace)
                #expect((line["reconcileID"] as? String)?.count == 36)
                #expect(line["level"] as? String == "info")
            }

            // The failing object: one warning when it starts failing, repeats at debug only.
            let broken = fields.filter { $0["name"] as? String == "broken" && $0["namespace"] as? String == namespace }
            let syncFailed = broken.filter { $0["msg"] as? String == "sync failed" }
            #expect(syncFailed.filter { $0["level"] as? String == "warn" }.count == 1)
            #expect(syncFailed.filter { $0["level"] as? String == "debug" }.count >= 2)
            let retries = broken.filter { $0["msg"] as? String == "reconcile failed; retrying" }
            #expect(retries.filter { $0["level"] as? String == "warn" }.count == 1)
            #expect(retries.allSatisfy { $0["error"] is String && $0["controller"] as? String == "externalsecret" })
            // Each reconcile has its own ID.
            #expect(Set(syncFailed.compactMap { $0["reconcileID"] as? String }).count == syncFailed.count)
        }
    }
}

/// The operator's readiness on its own control plane, where the CRDs are installed only after
/// it started: /readyz answers 503 until every cache has listed, then 200.
@Suite(.controlPlane) struct OperatorReadinessTests {
    @Test func readyOnlyOnceTheCachesHaveSynced() async throws {
        let plane = try currentPlane()
        try await withAdminClient { client in
            _ = try await runOperator(plane, name: "readiness") { process in
                // The ExternalSecret cache cannot list (no CRD yet): alive, not ready. The failed
                // watch in the log is the sign that it tried.
                #expect(try await eventually { process.log.contains("watch failed; retrying") })
                #expect(try await get(process, "/healthz", listening: "probes listening").status.code == 200)
                #expect(try await get(process, "/readyz", listening: "probes listening").status.code == 503)
                #expect(!process.log.contains("cache synced; starting workers"))

                try await installCRDs(client)
                #expect(
                    try await eventually(timeout: .seconds(60)) {
                        try await get(process, "/readyz", listening: "probes listening").status.code == 200
                    }, "log: \(process.log.suffix(3000))")
                #expect(process.log.contains("cache synced; starting workers"))
            }
        }
    }
}
