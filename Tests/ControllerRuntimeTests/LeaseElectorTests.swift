import ClockTestSupport
import ControllerRuntime
import Foundation
import HTTPSupport
import HTTPTestSupport
import KubeClient
import KubeModel
import Logging
import NIOHTTP1
import Synchronization
import Testing

@Suite struct LeaseElectorTests {
    struct ConnectionRefused: Error {}

    /// A standby replica whose lease reads fail keeps retrying on its clock instead of giving up,
    /// then acquires the lease, runs its work, and releases the lease.
    @Test func retriesThroughAPIErrorsThenLeadsAndReleases() async throws {
        let leaseJSON = #"{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"lock","namespace":"ns","resourceVersion":"1"},"spec":{"holderIdentity":"me","leaseDurationSeconds":15}}"#
        let transport = ScriptedTransport(replies: [
            .fail(ConnectionRefused()),  // GET while the API server is down
            .respond(.serviceUnavailable, body: []),  // GET while it starts
            .respond(.notFound, body: Array(#"{"kind":"Status","reason":"NotFound","code":404}"#.utf8)),  // GET
            .respond(.created, body: Array(leaseJSON.utf8)),  // POST: acquired
            .respond(.ok, body: Array(leaseJSON.utf8)),  // GET before release
            .respond(.ok, body: Array(leaseJSON.utf8)),  // PUT: released
        ])
        var configuration = ClientConfiguration(server: "https://api.test", tls: TLSSettings(), authentication: .none)
        configuration.qps = 0
        let client = KubeClient(configuration: configuration, transport: transport, maxThrottleRetries: 0)
        let clock = ManualClock()
        let ran = Mutex(false)
        let elector = LeaseElector(
            client: client, config: LeaderElectionConfig(leaseName: "lock", namespace: "ns", identity: "me"),
            clock: clock, logger: Logger(label: "test"))
        let run = Task { try await elector.run { ran.withLock { $0 = true } } }
        // Two failed rounds, each followed by a retry-period sleep on the manual clock.
        for _ in 0..<2 {
            // Bounded, so an elector that gave up makes the test fail rather than hang.
            var spins = 0
            while clock.sleeperCount == 0, spins < 1_000_000 {
                await Task.yield()
                spins += 1
            }
            clock.advance(by: .seconds(2))
        }
        try await run.value
        #expect(ran.withLock { $0 })
        let methods = transport.requests.map(\.method)
        #expect(methods == [.GET, .GET, .GET, .POST, .GET, .PUT])
        let release = try #require(transport.requests.last?.body)
        let released = try KubeJSON.decoder.decode(Lease.self, from: Data(release))
        #expect(released.spec?.holderIdentity == "")
    }
}
