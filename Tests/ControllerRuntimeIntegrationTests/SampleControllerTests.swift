import Foundation
import HTTPSupport
import KubeClient
import KubeModel
import KubeTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The `SampleController` binary, built beside this test bundle by `swift build --build-tests`.
private let sampleControllerPath: String = {
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var directory = bundle.deletingLastPathComponent()
    // On Linux the bundle is a single executable in the build directory.
    if directory.lastPathComponent.hasSuffix(".xctest") { directory.deleteLastPathComponent() }
    return directory.appendingPathComponent("SampleController").path
}()

private func startController(
    _ plane: LocalControlPlane, namespace: String, identity: String, extra: [String] = []
) throws -> TestProcess {
    try TestProcess(
        executable: sampleControllerPath,
        arguments: ["run", "--kubeconfig", plane.kubeconfigPath, "--namespace", namespace, "--identity", identity]
            + extra,
        logPath: "\(plane.directory)/sample-\(identity).log")
}

private func source(_ name: String, value: String) -> ConfigMap {
    ConfigMap(metadata: ObjectMeta(name: name, labels: ["sample": "true"]), data: ["value": value])
}

/// The managers that wrote `mirror`'s data, from its managedFields.
private func writers(of mirror: ConfigMap) -> Set<String> {
    Set(
        (mirror.metadata.managedFields ?? []).filter { $0.fieldsV1?["f:data"] != nil }.compactMap(\.manager))
}

/// The sample controller as a separate process against the real control plane.
@Suite(.controlPlane, .serialized) struct SampleControllerTests {
    @Test func convergesAcrossAnAPIServerRestartAndAForcedRelist() async throws {
        let plane = try currentPlane()
        try await withAdminClient { client in
            let namespace = try await makeNamespace(client, prefix: "sample")
            let configMaps = client.api(ConfigMap.self, namespace: namespace)
            _ = try await configMaps.create(source("before", value: "1"))
            let controller = try startController(plane, namespace: namespace, identity: "solo")
            defer { Task { await controller.stop() } }

            func mirrored(_ name: String, _ value: String) async throws -> Bool {
                try await eventually(timeout: .seconds(60)) {
                    try await configMaps.getIfExists("\(name)-mirror")?.data?["value"] == value
                }
            }
            #expect(try await mirrored("before", "1"), "log: \(controller.log.suffix(2000))")

            // Kill the API server mid-watch. After it is back, etcd is compacted past everything
            // the controller saw, so its watch cannot resume: it must relist, and still see the
            // changes made meanwhile.
            try await plane.restartAPIServer()
            _ = try await configMaps.create(source("during", value: "2"))
            _ = try await configMaps.patch("before", .merge(["data": ["value": "1b"]]))
            let latest = try await configMaps.create(source("latest", value: "3"))
            try await plane.compactEtcd(to: try #require(latest.metadata.resourceVersion))

            #expect(try await mirrored("during", "2"), "log: \(controller.log.suffix(2000))")
            #expect(try await mirrored("before", "1b"))
            #expect(try await mirrored("latest", "3"))
            _ = try await configMaps.create(source("after", value: "4"))
            #expect(try await mirrored("after", "4"))

            // Related watch: a mirror deleted or edited by hand wakes its source, which repairs it.
            try await configMaps.delete("after-mirror")
            #expect(try await mirrored("after", "4"))
            _ = try await configMaps.patch("during-mirror", .merge(["data": ["value": "tampered"]]))
            #expect(try await mirrored("during", "2"))
            #expect(kill(controller.pid, 0) == 0, "the controller process must survive the restart")
            #expect(controller.log.contains("relisting"), "the watch should have relisted after the compaction")
        }
    }

    @Test func onlyTheLeaderReconcilesAndAKilledLeaderIsReplaced() async throws {
        let plane = try currentPlane()
        try await withAdminClient { client in
            let namespace = try await makeNamespace(client, prefix: "leader")
            let configMaps = client.api(ConfigMap.self, namespace: namespace)
            let lease = ["--leader-elect", "--lease-duration-seconds", "6", "--renew-deadline-seconds", "4",
                         "--retry-period-seconds", "1"]
            let first = try startController(plane, namespace: namespace, identity: "replica-a", extra: lease)
            var leader = first
            var leaderIdentity = "replica-a"
            let leases = client.api(Lease.self, namespace: namespace)
            #expect(try await eventually { try await leases.getIfExists("sample-controller")?.spec?.holderIdentity == "replica-a" })
            let second = try startController(plane, namespace: namespace, identity: "replica-b", extra: lease)
            defer { Task { await first.stop(); await second.stop() } }

            for index in 0..<5 { _ = try await configMaps.create(source("a-\(index)", value: "\(index)")) }
            #expect(try await eventually(timeout: .seconds(60)) {
                try await (0..<5).asyncAllSatisfy { try await configMaps.getIfExists("a-\($0)-mirror") != nil }
            })
            // The standby replica has written nothing.
            for index in 0..<5 {
                let mirror = try await configMaps.get("a-\(index)-mirror")
                #expect(writers(of: mirror) == ["sample-\(leaderIdentity)"])
            }

            // The leader's /metrics shows the queue, the reconciles and its leadership.
            let metrics = try await scrapeMetrics(of: leader)
            for name in [
                "workqueue_depth", "workqueue_adds_total", "workqueue_queue_duration_seconds",
                "workqueue_work_duration_seconds", "controller_runtime_reconcile_total",
            ] {
                #expect(metrics.contains(name), "metric \(name) missing")
            }
            #expect(metrics.contains(#"leader_election_master_status{name="sample-controller"} 1"#))

            // Kill the leader without letting it release the lease: the other replica takes over
            // once the lease expires.
            leader.send(SIGKILL)
            await leader.waitForExit()
            leader = second
            leaderIdentity = "replica-b"
            #expect(try await eventually(timeout: .seconds(60)) {
                try await leases.getIfExists("sample-controller")?.spec?.holderIdentity == "replica-b"
            })
            for index in 0..<5 { _ = try await configMaps.create(source("b-\(index)", value: "\(index)")) }
            #expect(try await eventually(timeout: .seconds(60)) {
                try await (0..<5).asyncAllSatisfy { try await configMaps.getIfExists("b-\($0)-mirror") != nil }
            })
            for index in 0..<5 {
                #expect(writers(of: try await configMaps.get("b-\(index)-mirror")) == ["sample-replica-b"])
            }

            // A graceful stop releases the lease at once.
            leader.send(SIGTERM)
            #expect(await leader.waitForExit(timeout: .seconds(30)) != nil)
            let released = try await leases.get("sample-controller")
            #expect(released.spec?.holderIdentity == "")
        }
    }
}

/// Reads the probe port the controller logged and fetches its /metrics.
private func scrapeMetrics(of controller: TestProcess) async throws -> String {
    var port: String?
    _ = try await eventually(timeout: .seconds(30)) {
        port = controller.log.split(separator: "\n").first { $0.contains("probes listening") }
            .flatMap { line in line.split(separator: "port=").last?.prefix { $0.isNumber } }.map(String.init)
        return port != nil
    }
    let transport = try AsyncHTTPClientTransport()
    defer { Task { try? await transport.shutdown() } }
    let response = try await transport.send(
        HTTPRequest(method: .GET, url: "http://127.0.0.1:\(try #require(port))/metrics"), timeout: .seconds(10))
    return String(decoding: response.body, as: UTF8.self)
}

extension SampleControllerTests {
    @Test func replicasRideOutAnAPIServerRestart() async throws {
        let plane = try currentPlane()
        try await withAdminClient { client in
            let namespace = try await makeNamespace(client, prefix: "lease-restart")
            let leases = client.api(Lease.self, namespace: namespace)
            // The renew deadline must outlast the restart: under the full suite's load on 2 cores a
            // restart has taken 15-20 s, and a leader that cannot renew within its deadline rightly
            // steps down (controller-runtime's rule), which is not what this test is about.
            let lease = ["--leader-elect", "--lease-duration-seconds", "75", "--renew-deadline-seconds", "60",
                         "--retry-period-seconds", "1"]
            let leader = try startController(plane, namespace: namespace, identity: "steady", extra: lease)
            #expect(try await eventually { try await leases.getIfExists("sample-controller")?.spec?.holderIdentity == "steady" })
            let standby = try startController(plane, namespace: namespace, identity: "standby", extra: lease)
            defer { Task { await leader.stop(); await standby.stop() } }
            #expect(try await eventually { standby.log.contains("probes listening") }, "the standby did not start")

            let restarting = Date()
            try await plane.restartAPIServer()
            let restarted = Date()
            print("lease[restart]: the API server restart took \(String(format: "%.1f", restarted.timeIntervalSince(restarting))) s")
            // The positive signal: the leader renewed its lease through the restarted API server
            // (the client's own retries carry both replicas' lease requests across the outage).
            #expect(
                try await eventually {
                    (try await leases.get("sample-controller").spec?.renewTime?.date ?? .distantPast) > restarted
                }, "the leader did not renew after the restart")
            #expect(kill(leader.pid, 0) == 0, "the leader must keep its lease across a short outage")
            #expect(kill(standby.pid, 0) == 0, "the standby must retry, not exit, while the API server is down")
            #expect(try await leases.get("sample-controller").spec?.holderIdentity == "steady")
        }
    }

    @Test func aLeaderThatLosesItsLeaseStopsAtOnce() async throws {
        let plane = try currentPlane()
        try await withAdminClient { client in
            let namespace = try await makeNamespace(client, prefix: "lease-loss")
            let leases = client.api(Lease.self, namespace: namespace)
            let controller = try startController(
                plane, namespace: namespace, identity: "doomed",
                extra: ["--leader-elect", "--lease-duration-seconds", "6", "--renew-deadline-seconds", "3",
                        "--retry-period-seconds", "1"])
            defer { Task { await controller.stop() } }
            #expect(try await eventually { try await leases.getIfExists("sample-controller")?.spec?.holderIdentity == "doomed" })

            // Another party takes the lease and keeps renewing it: the leader can no longer renew.
            let intruder = Task {
                while !Task.isCancelled {
                    if var lease = try? await leases.get("sample-controller") {
                        lease.spec?.holderIdentity = "intruder"
                        lease.spec?.renewTime = MicroTime(Date())
                        _ = try? await leases.replace(lease)
                    }
                    try? await Task.sleep(for: .milliseconds(300))
                }
            }
            defer { intruder.cancel() }
            // Alone it exits within seconds; under the full suite's load it twice took longer than
            // 30 s (cause not found yet: the log below says where it waited).
            let status = await controller.waitForExit(timeout: .seconds(90))
            #expect(
                status != nil, "the controller kept running without the lease; log: \(controller.log.suffix(4000))")
            #expect(controller.log.contains("leadership lost"))
        }
    }
}

extension Sequence where Element: Sendable {
    func asyncAllSatisfy(_ predicate: (Element) async throws -> Bool) async rethrows -> Bool {
        for element in self where !(try await predicate(element)) { return false }
        return true
    }
}
