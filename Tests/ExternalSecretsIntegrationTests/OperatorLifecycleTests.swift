import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import KubeClient
import KubeModel
import KubeTestSupport
import OperatorTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// (ExternalSecretSyncTests, sharing its control plane.) The operator's lifecycle as a process:
/// graceful shutdown, a store applied before its Secret, and restarts.
extension ExternalSecretSyncTests {
    // MARK: - Graceful shutdown

    /// A rollout sends SIGTERM (and a developer Ctrl-C, SIGINT): the process drains, releases the
    /// Lease when it holds one, and exits 0, with and without leader election.
    @Test(arguments: [(SIGTERM, false), (SIGTERM, true), (SIGINT, false), (SIGINT, true)])
    func gracefulShutdownExitsZeroAndReleasesTheLease(signal: Int32, leaderElection: Bool) async throws {
        let plane = try currentPlane()
        try await withAdminClient { client in
            try await installCRDs(client)
            let namespace = try await makeNamespace(client, prefix: "shutdown")
            _ = try await client.api(SecretStore.self, namespace: namespace).create(
                fakeStore("fake", data: [FakeProviderData(key: "k", value: canary)]))
            _ = try await client.api(ExternalSecret.self, namespace: namespace).create(
                externalSecret("es", data: [entry("k", "k")]))
            var arguments = ["--namespace", namespace]
            // The Lease lives where the chart's leader-election Role allows it: the release namespace.
            if leaderElection {
                arguments += ["--enable-leader-election", "--leader-election-namespace", operatorNamespace]
            }
            let process = try await startOperator(plane, name: "shutdown", arguments: arguments)
            defer { Task { await process.stop() } }

            // Working: it synced, and (with leader election) holds the Lease.
            #expect(try await waitForReady(client, namespace, "es"), "log: \(process.log.suffix(3000))")
            let leases = client.api(Lease.self, namespace: operatorNamespace)
            if leaderElection {
                let holder = try await leases.get("external-secrets-controller").spec?.holderIdentity ?? ""
                #expect(!holder.isEmpty)
            }

            process.send(signal)
            let status = await process.waitForExit(timeout: .seconds(30))
            #expect(exitedCleanly(status), "wait status \(String(describing: status)); log: \(process.log.suffix(3000))")
            #expect(!process.log.contains("Error:"), "log: \(process.log.suffix(3000))")
            if leaderElection {
                #expect(try await leases.get("external-secrets-controller").spec?.holderIdentity == "")
            }
        }
    }

    /// A standby replica (another one holds the Lease) stops at once on SIGTERM, exits 0 and
    /// leaves the Lease to its holder.
    @Test func aStandbyReplicaStopsAtOnceAndLeavesTheLease() async throws {
        let plane = try currentPlane()
        try await withAdminClient { client in
            try await installCRDs(client)
            let namespace = try await makeNamespace(client, prefix: "standby")
            let arguments = [
                "--namespace", namespace, "--enable-leader-election", "--leader-election-namespace", operatorNamespace,
            ]
            let leases = client.api(Lease.self, namespace: operatorNamespace)
            let holder = { try await leases.getIfExists("external-secrets-controller")?.spec?.holderIdentity ?? "" }
            try await runUntilSIGTERM(plane, name: "leader", arguments: arguments) { leader async throws in
                #expect(try await eventually { try await !holder().isEmpty }, "log: \(leader.log.suffix(3000))")
                let leading = try await holder()
                let standby = try await startOperator(plane, name: "standby", arguments: arguments)
                defer { Task { await standby.stop() } }
                _ = try await scrapeMetrics(standby)  // up, serving, waiting for the Lease
                let stopping = ContinuousClock.now
                standby.send(SIGTERM)
                let status = await standby.waitForExit(timeout: .seconds(30))
                #expect(exitedCleanly(status), "wait status \(String(describing: status)); log: \(standby.log.suffix(3000))")
                #expect(ContinuousClock.now - stopping < .seconds(5))
                #expect(try await holder() == leading)
            }
            #expect(try await holder() == "", "the leader released the Lease on SIGTERM")
        }
    }

    /// SIGTERM while a provider call hangs (a server that accepts and never answers): the call is
    /// cancelled after the drain timeout (10 s), nothing is reported about it, and the process
    /// still exits 0, in bounded time.
    @Test func sigtermDuringAHungProviderCallExitsZeroInBoundedTime() async throws {
        let plane = try currentPlane()
        let silent = try SilentServer()
        defer { silent.close() }
        try await withAdminClient { client in
            try await installCRDs(client)
            let namespace = try await makeNamespace(client, prefix: "hung")
            _ = try await client.api(Secret.self, namespace: namespace).create(
                Secret(metadata: ObjectMeta(name: "vault-token"), stringData: ["token": "not-a-real-token"]))
            _ = try await client.api(SecretStore.self, namespace: namespace).create(
                SecretStore(
                    metadata: ObjectMeta(name: "hung"),
                    spec: SecretStoreSpec(
                        provider: SecretStoreProvider(
                            vault: VaultProvider(
                                server: "http://127.0.0.1:\(silent.port)", path: "secret", version: .v2,
                                auth: VaultAuth(tokenSecretRef: SecretKeySelector(name: "vault-token", key: "token")))))))
            let process = try await startOperator(plane, name: "hung", arguments: ["--namespace", namespace])
            defer { Task { await process.stop() } }

            // Positive signal: the store's validation has called the server and waits for it.
            #expect(
                try await eventually { silent.acceptPending() > 0 }, "no provider call arrived; log: \(process.log.suffix(3000))")
            let stopping = ContinuousClock.now
            process.send(SIGTERM)
            let status = await process.waitForExit(timeout: .seconds(60))
            let took = ContinuousClock.now - stopping
            #expect(exitedCleanly(status), "wait status \(String(describing: status)); log: \(process.log.suffix(3000))")
            #expect(took < .seconds(20), "shutdown took \(took)")
            // The cut-short validation reported nothing about the store.
            let message =
                try await client.api(SecretStore.self, namespace: namespace).get("hung").status?.conditions?
                .condition(ofType: ESONames.conditionReady)?.message ?? ""
            #expect(
                !message.contains("CancellationError") && !message.contains("HTTPClientError.cancelled"),
                "store condition: \(message)")
        }
    }

    // MARK: - Store applied before its Secret

    /// `kubectl apply -f dir/` order: the store first, the Secret it refers to (here the CA of
    /// the remote API server, through `caProvider`) second. The store is not Ready, keeps
    /// retrying with backoff, and becomes Ready as soon as the Secret appears (well before its
    /// next retry); its ExternalSecret then syncs.
    @Test func storeAppliedBeforeItsSecretBecomesReadyWhenTheSecretAppears() async throws {
        let plane = try currentPlane()
        try await withAdminClient { client in
            try await installCRDs(client)
            let namespaces = try await setUp(client)
            let home = namespaces.home
            var store = try store("remote", remoteNamespace: namespaces.remote, plane: plane)
            store.spec.provider.kubernetes?.server?.caBundle = nil
            store.spec.provider.kubernetes?.server?.caProvider = CAProvider(type: "Secret", name: "cluster-ca", key: "ca.crt")
            let stores = client.api(SecretStore.self, namespace: home)
            _ = try await stores.create(store)
            _ = try await client.api(ExternalSecret.self, namespace: home).create(
                externalSecret("db", store: "remote", data: [entry("password", "db", property: "password")]))
            try await runOperator(plane, name: "store-first", arguments: ["--namespace", home]) { process in
                let ready = { try await stores.get("remote").status?.conditions?.condition(ofType: ESONames.conditionReady) }
                #expect(
                    try await eventually { try await ready()?.status == "False" }, "log: \(process.log.suffix(3000))")
                #expect(try await ready()?.reason == ESOReason.storeInvalidProviderConfig)

                // Retried with backoff: wait for 11 failures (5 ms doubling: the next retry is
                // then 5 s away), so that only the reaction to the Secret can explain a quick
                // recovery.
                #expect(
                    try await waitForReconciles(
                        process, controller: "secretstore", result: "error", atLeast: 11, timeout: .seconds(60)),
                    "log: \(process.log.suffix(3000))")
                let pem = try Data(contentsOf: URL(fileURLWithPath: plane.servingCAPath))
                _ = try await client.api(Secret.self, namespace: home).create(
                    Secret(metadata: ObjectMeta(name: "cluster-ca"), data: ["ca.crt": pem]))
                let created = ContinuousClock.now
                #expect(
                    try await eventually(timeout: .seconds(10)) { try await ready()?.status == "True" },
                    "log: \(process.log.suffix(3000))")
                let took = ContinuousClock.now - created
                #expect(took < .seconds(3), "store Ready \(took) after its Secret appeared")
                #expect(try await waitForReady(client, home, "db", timeout: .seconds(15)), "log: \(process.log.suffix(3000))")
                #expect(try await client.api(Secret.self, namespace: home).get("db").data?["password"] == Data(canary.utf8))
            }
        }
    }

    // MARK: - Restarts

    /// What "store edits apply at once" needs is kept on the ExternalSecret: a store edited while
    /// the operator is stopped refreshes its ExternalSecret as soon as the operator starts
    /// (refreshInterval 1h), and a restart with nothing changed costs no provider call and no
    /// write.
    @Test func storeEditsAreFollowedAcrossRestartsAndAQuietRestartCostsNothing() async throws {
        let plane = try currentPlane()
        try await withAdminClient { client in
            try await installCRDs(client)
            let namespace = try await makeNamespace(client, prefix: "restart")
            let stores = client.api(SecretStore.self, namespace: namespace)
            let externalSecrets = client.api(ExternalSecret.self, namespace: namespace)
            let secrets = client.api(Secret.self, namespace: namespace)
            _ = try await stores.create(fakeStore("fake", data: [FakeProviderData(key: "k", value: "v1-\(canary)")]))
            _ = try await externalSecrets.create(externalSecret("es", data: [entry("k", "k")], refreshInterval: "1h"))
            let arguments = ["--namespace", namespace]

            try await runUntilSIGTERM(plane, name: "restart-1", arguments: arguments) { process async throws in
                #expect(try await waitForReady(client, namespace, "es"), "log: \(process.log.suffix(3000))")
            }
            let synced = try await externalSecrets.get("es")
            let version = SyncedVersion(parsing: synced.status?.syncedResourceVersion ?? "")
            #expect(version.metadata == RefreshSchedule.currentVersion(of: synced))
            #expect(version.inputs != nil, "the store generations synced with are kept in status")
            let secretVersion = try await secrets.get("es").metadata.resourceVersion

            // A quiet restart: once the operator has reconciled the ExternalSecret (and validated
            // the store), there was no provider call, no sync and no write.
            try await runUntilSIGTERM(plane, name: "restart-2", arguments: arguments) { process async throws in
                var metrics = ""
                #expect(
                    try await eventually {
                        metrics = try await scrapeMetrics(process)
                        return metricSum(metrics, "controller_runtime_reconcile_total", labels: ["controller": "externalsecret"]) >= 1
                            && metricSum(metrics, "controller_runtime_reconcile_total", labels: ["controller": "secretstore"]) >= 1
                    }, "log: \(process.log.suffix(3000))")
                #expect(metricSum(metrics, "externalsecret_provider_api_calls_count") == 0)
                #expect(metricSum(metrics, "externalsecret_sync_calls_total") == 0)
                #expect(try await externalSecrets.get("es").metadata.resourceVersion == synced.metadata.resourceVersion)
                #expect(try await secrets.get("es").metadata.resourceVersion == secretVersion)
            }

            // The store is edited while no operator runs; the next operator refreshes at once.
            try await update(stores, "fake") { store in
                store.spec.provider.fake?.data = [FakeProviderData(key: "k", value: "v2-\(canary)")]
            }
            try await runUntilSIGTERM(plane, name: "restart-3", arguments: arguments) { process async throws in
                #expect(
                    try await eventually { try await secrets.get("es").data?["k"] == Data("v2-\(canary)".utf8) },
                    "log: \(process.log.suffix(3000))")
            }
        }
    }
}

/// (PushSecretSyncTests, sharing its control plane.)
extension PushSecretSyncTests {
    /// What a push was made from is kept on the PushSecret: a source Secret changed while the
    /// operator is stopped is pushed as soon as it starts (refreshInterval 1h), and a restart with
    /// nothing changed pushes nothing and writes nothing.
    @Test func sourceChangesAreFollowedAcrossRestartsAndAQuietRestartPushesNothing() async throws {
        let plane = try currentPlane()
        try await withAdminClient { client in
            try await installCRDs(client)
            let namespace = try await makeNamespace(client, prefix: "push-restart")
            let secrets = client.api(Secret.self, namespace: namespace)
            let pushSecrets = client.api(PushSecret.self, namespace: namespace)
            _ = try await client.api(SecretStore.self, namespace: namespace).create(fakeStore("fake", data: []))
            _ = try await secrets.create(Secret(metadata: ObjectMeta(name: "source"), data: ["password": Data(canary.utf8)]))
            _ = try await pushSecrets.create(pushSecret("push", stores: ["fake"], data: [push("password", to: "pushed-password")]))
            let arguments = ["--namespace", namespace]
            let pushes = { (metrics: String) in
                metricSum(metrics, "externalsecret_provider_api_calls_count", labels: ["call": "PushSecret"])
            }

            try await runUntilSIGTERM(plane, name: "push-restart-1", arguments: arguments) { process async throws in
                #expect(try await waitForPushReady(client, namespace, "push"), "log: \(process.log.suffix(3000))")
            }
            let pushed = try await pushSecrets.get("push")
            #expect(SyncedVersion(parsing: pushed.status?.syncedResourceVersion ?? "").inputs != nil)

            // A quiet restart: once the PushSecret has been reconciled, nothing was pushed or written.
            try await runUntilSIGTERM(plane, name: "push-restart-2", arguments: arguments) { process async throws in
                var metrics = ""
                #expect(
                    try await eventually {
                        metrics = try await scrapeMetrics(process)
                        return metricSum(metrics, "controller_runtime_reconcile_total", labels: ["controller": "pushsecret"]) >= 1
                    }, "log: \(process.log.suffix(3000))")
                #expect(pushes(metrics) == 0)
                #expect(try await pushSecrets.get("push").metadata.resourceVersion == pushed.metadata.resourceVersion)
            }

            // The source changes while no operator runs; the next operator pushes at once.
            _ = try await secrets.patch(
                "source", .merge(["data": ["password": .string(Data("rotated-\(canary)".utf8).base64EncodedString())]]))
            try await runUntilSIGTERM(plane, name: "push-restart-3", arguments: arguments) { process async throws in
                #expect(
                    try await eventually { pushes(try await scrapeMetrics(process)) >= 1 }, "log: \(process.log.suffix(3000))")
            }
        }
    }
}

/// Runs the operator while `body` runs, then stops it as a rollout does (SIGTERM) and expects a
/// clean exit (status 0).
func runUntilSIGTERM(
    _ plane: LocalControlPlane, name: String, arguments: [String], _ body: (TestProcess) async throws -> Void
) async throws {
    try await runOperator(plane, name: name, arguments: arguments) { process async throws in
        try await body(process)
        process.send(SIGTERM)
        let status = await process.waitForExit(timeout: .seconds(30))
        #expect(exitedCleanly(status), "wait status \(String(describing: status)); log: \(process.log.suffix(3000))")
    }
}

struct SilentServerError: Error {
    var errno: Int32
}

/// A TCP server on 127.0.0.1 that accepts connections and never answers: a call to it stays in
/// flight until the caller gives up or is cancelled.
final class SilentServer {
    let port: Int
    private let listener: Int32
    private var connections: [Int32] = []

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard fd >= 0, bound == 0, listen(fd, 16) == 0 else {
            throw SilentServerError(errno: errno)
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var actual = sockaddr_in()
        var actualLength = length
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &actualLength) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: actual.sin_port))
    }

    /// Accepts the connections waiting (and keeps them open, unanswered); returns how many
    /// have been accepted so far.
    func acceptPending() -> Int {
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { break }
            connections.append(connection)
        }
        return connections.count
    }

    func close() {
        for descriptor in connections + [listener] { _ = Glibc.close(descriptor) }
    }
}
