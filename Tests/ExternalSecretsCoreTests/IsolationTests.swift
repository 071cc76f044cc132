import ClockTestSupport
import ExternalSecretsAPI
import Foundation
import ProviderKit
import Logging
import Synchronization
import Testing

@testable import ExternalSecretsCore

// MARK: - Circuit breaker state machine (synchronous)

private typealias Breaker = CircuitBreakerStateMachine

private func seconds(_ value: Int) -> Duration { .seconds(value) }

@Suite struct CircuitBreakerStateMachineTests {
    static let settings = CircuitBreakerSettings(failureThreshold: 3, coolDown: .seconds(5), maximumCoolDown: .seconds(18))

    @Test func consecutiveFailuresOpenItAndASuccessInBetweenResets() {
        var breaker = Breaker(settings: Self.settings)
        #expect(breaker.admit(now: seconds(0)) == .proceed(.normal))
        #expect(breaker.record(.failure("down"), ticket: .normal, now: seconds(0)) == .none)
        #expect(breaker.record(.failure("down"), ticket: .normal, now: seconds(0)) == .none)
        // An answer, even "not found", proves the server is there.
        #expect(breaker.record(.success, ticket: .normal, now: seconds(1)) == .none)
        #expect(breaker.record(.failure("down"), ticket: .normal, now: seconds(2)) == .none)
        #expect(breaker.record(.failure("down"), ticket: .normal, now: seconds(2)) == .none)
        #expect(!breaker.isOpen)
        #expect(breaker.record(.failure("timed out"), ticket: .normal, now: seconds(3)) == .opened)
        #expect(breaker.isOpen)
        #expect(breaker.admit(now: seconds(4)) == .reject(retryAfter: seconds(4), failures: 3, lastError: "timed out"))
    }

    @Test func oneProbeAfterTheCoolDownAndItsSuccessCloses() {
        var breaker = Breaker(settings: Self.settings)
        for _ in 0..<3 { _ = breaker.record(.failure("down"), ticket: .normal, now: seconds(0)) }
        #expect(breaker.admit(now: seconds(5)) == .proceed(.probe(1)))
        // Only one probe at a time.
        #expect(breaker.admit(now: seconds(5)) == .reject(retryAfter: seconds(5), failures: 3, lastError: "down"))
        // Calls admitted before it opened do not move it.
        #expect(breaker.record(.success, ticket: .normal, now: seconds(6)) == .none)
        #expect(breaker.record(.failure("late"), ticket: .normal, now: seconds(6)) == .none)
        #expect(breaker.isOpen)
        #expect(breaker.record(.success, ticket: .probe(1), now: seconds(7)) == .closed)
        #expect(breaker.admit(now: seconds(7)) == .proceed(.normal))
        // Closed afresh: three more failures to open it again.
        for _ in 0..<2 { _ = breaker.record(.failure("down"), ticket: .normal, now: seconds(8)) }
        #expect(!breaker.isOpen)
    }

    @Test func failedProbesDoubleTheCoolDownUpToTheMaximum() {
        var breaker = Breaker(settings: Self.settings)
        for _ in 0..<3 { _ = breaker.record(.failure("down"), ticket: .normal, now: seconds(0)) }
        var now = 5
        var probe: UInt64 = 0
        for expectedCoolDown in [10, 18, 18] {
            probe += 1
            #expect(breaker.admit(now: seconds(now)) == .proceed(.probe(probe)))
            #expect(breaker.record(.failure("still down"), ticket: .probe(probe), now: seconds(now)) == .none)
            #expect(breaker.admit(now: seconds(now + expectedCoolDown - 1)) != .proceed(.probe(probe + 1)))
            now += expectedCoolDown
        }
        #expect(breaker.failures == 6)
        #expect(breaker.admit(now: seconds(now)) == .proceed(.probe(probe + 1)))
    }

    @Test func abandonedProbeLeavesItDueForTheNextCall() {
        var breaker = Breaker(settings: Self.settings)
        for _ in 0..<3 { _ = breaker.record(.failure("down"), ticket: .normal, now: seconds(0)) }
        #expect(breaker.admit(now: seconds(5)) == .proceed(.probe(1)))
        #expect(breaker.record(.abandoned, ticket: .probe(1), now: seconds(6)) == .none)
        #expect(breaker.admit(now: seconds(6)) == .proceed(.probe(2)))
        // An outcome for a stale probe ticket changes nothing.
        #expect(breaker.record(.success, ticket: .probe(1), now: seconds(6)) == .none)
        #expect(breaker.isOpen)
    }

    @Test func checkLetsClientBuildsThroughOnlyWhenDueAndABuildFailureCountsAsAFailedProbe() {
        var breaker = Breaker(settings: Self.settings)
        #expect(breaker.check(now: seconds(0)) == .proceed(.normal))
        for _ in 0..<3 { _ = breaker.record(.failure("down"), ticket: .normal, now: seconds(0)) }
        #expect(breaker.check(now: seconds(1)) == .reject(retryAfter: seconds(4), failures: 3, lastError: "down"))
        #expect(breaker.check(now: seconds(5)) == .proceed(.normal))
        // check takes no probe.
        #expect(breaker.check(now: seconds(5)) == .proceed(.normal))
        #expect(breaker.record(.failure("login timed out"), ticket: .normal, now: seconds(6)) == .none)
        #expect(breaker.check(now: seconds(15)) == .reject(retryAfter: seconds(1), failures: 4, lastError: "login timed out"))
    }

    @Test func zeroThresholdNeverOpens() {
        var breaker = Breaker(settings: CircuitBreakerSettings(failureThreshold: 0))
        for _ in 0..<100 { #expect(breaker.record(.failure("down"), ticket: .normal, now: seconds(0)) == .none) }
        #expect(breaker.admit(now: seconds(0)) == .proceed(.normal))
    }
}

// MARK: - Deadlines and breakers through the call guard (manual clock)

/// A call that never answers until cancelled, and remembers that it was cancelled.
final class HangingCall: Sendable {
    private let state = Mutex((started: 0, cancelled: 0))

    var started: Int { state.withLock { $0.started } }
    var cancelled: Int { state.withLock { $0.cancelled } }

    func run() async throws -> Data {
        state.withLock { $0.started += 1 }
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        for await _ in stream {}
        withExtendedLifetime(continuation) {}
        state.withLock { $0.cancelled += 1 }
        throw CancellationError()
    }
}

/// Transitions reported by the breakers, by store index key.
final class Transitions: Sendable {
    let all = Mutex<[String]>([])
    func record(_ key: String, _ opened: Bool) { all.withLock { $0.append("\(opened ? "opened" : "closed") \(key)") } }
    var list: [String] { all.withLock { $0 } }
}

/// Yields until `condition` holds (a positive signal, never a timed wait); records an issue if
/// it never does.
func yieldUntil(_ what: Comment, _ condition: () async -> Bool) async {
    for _ in 0..<200_000 {
        if await condition() { return }
        await Task.yield()
    }
    Issue.record("never happened: \(what)")
}

@Suite(.timeLimit(.minutes(10))) struct StoreCallGuardTests {
    static let store = StoreContext(
        kind: .secretStore, name: "vault", storeNamespace: "team", callerNamespace: "team", uid: "uid-1", generation: 1,
        spec: SecretStoreSpec(provider: SecretStoreProvider()))

    static func makeGuard(
        _ clock: ManualClock, _ transitions: Transitions, threshold: Int = 2, deadlines: ProviderClock? = nil
    ) -> StoreCallGuard {
        StoreCallGuard(
            timeout: .seconds(20),
            breakers: StoreCircuitBreakers(
                settings: CircuitBreakerSettings(failureThreshold: threshold, coolDown: .seconds(5)),
                clock: ProviderClock(clock), onTransition: { key, opened in transitions.record(key, opened) }),
            clock: deadlines ?? ProviderClock(clock))
    }

    @Test func aHungCallEndsAtItsDeadlineWithAnErrorNamingStoreAndDeadlineAndIsCancelled() async throws {
        let clock = ManualClock()
        let callGuard = Self.makeGuard(clock, Transitions())
        let hanging = HangingCall()
        let call = Task { try await callGuard.call(Self.store) { try await hanging.run() } }
        await yieldUntil("the call and its timer run") { hanging.started == 1 && clock.sleeperCount == 1 }
        clock.advance(by: .seconds(19))
        #expect(hanging.cancelled == 0)
        clock.advance(by: .seconds(1))
        let error = await #expect(throws: ProviderError.self) { try await call.value }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("SecretStore/team/vault") == true)
        #expect(error?.message.contains("20s") == true)
        await yieldUntil("the hung call is cancelled") { hanging.cancelled == 1 }
    }

    @Test func aCancelledCallerStopsWaitingAtOnce() async throws {
        let clock = ManualClock()
        let deadlines = ProviderClock(clock)
        let callGuard = Self.makeGuard(clock, Transitions(), deadlines: deadlines)
        let hanging = HangingCall()
        let call = Task { try await callGuard.call(Self.store) { try await hanging.run() } }
        await yieldUntil("the call runs") { hanging.started == 1 && deadlines.waitingSleeps() == 1 }
        call.cancel()
        await #expect(throws: CancellationError.self) { try await call.value }
        await yieldUntil("the hung call and its deadline are cancelled") {
            hanging.cancelled == 1 && deadlines.waitingSleeps() == 0
        }
    }

    @Test func timeoutsOpenTheBreakerWhichRefusesWithoutACallThenAProbeClosesIt() async throws {
        let clock = ManualClock()
        let transitions = Transitions()
        let callGuard = Self.makeGuard(clock, transitions)
        let hanging = HangingCall()
        for attempt in 1...2 {
            let call = Task { try await callGuard.call(Self.store) { try await hanging.run() } }
            await yieldUntil("call \(attempt) runs") { hanging.started == attempt && clock.sleeperCount == 1 }
            clock.advance(by: .seconds(20))
            await #expect(throws: ProviderError.self) { try await call.value }
        }
        #expect(transitions.list == ["opened SecretStore/team/vault"])
        #expect(await callGuard.breakers.isOpen(storeIndexKey: "SecretStore/team/vault"))

        // Open: refused at once, without reaching the provider, with the cause.
        let refused = await #expect(throws: StoreUnavailable.self) {
            try await callGuard.call(Self.store) { try await hanging.run() }
        }
        #expect(hanging.started == 2)
        #expect(refused?.message.contains("SecretStore/team/vault is unavailable") == true)
        #expect(refused?.message.contains("20s deadline") == true)
        #expect(refused?.retryAfter == .seconds(5))
        await #expect(throws: StoreUnavailable.self) { _ = try await callGuard.build(Self.store) { CountingClient() } }

        // After the cool-down one probe goes through; its answer closes the breaker.
        clock.advance(by: .seconds(5))
        let probe = try await callGuard.call(Self.store) { Data("ok".utf8) }
        #expect(probe == Data("ok".utf8))
        #expect(transitions.list == ["opened SecretStore/team/vault", "closed SecretStore/team/vault"])
        #expect(await !callGuard.breakers.isOpen(storeIndexKey: "SecretStore/team/vault"))
    }

    @Test func notFoundAndPermissionErrorsDoNotTripTheBreaker() async throws {
        let clock = ManualClock()
        let transitions = Transitions()
        let callGuard = Self.makeGuard(clock, transitions, threshold: 1)
        for error in [ProviderError.notFound("no db"), .accessDenied("denied"), ProviderError(.throttled, "slow down")] {
            await #expect(throws: ProviderError.self) { try await callGuard.call(Self.store) { () async throws -> Data in throw error } }
        }
        #expect(transitions.list.isEmpty)
        await #expect(throws: ProviderError.self) {
            try await callGuard.call(Self.store) { () async throws -> Data in throw ProviderError(.unavailable, "refused") }
        }
        #expect(transitions.list == ["opened SecretStore/team/vault"])
        // A store edit (new generation) starts with a closed breaker.
        var edited = Self.store
        edited.generation = 2
        #expect(try await callGuard.call(edited) { 1 } == 1)
    }

    @Test func objectsLearnOfAnOpenBreakerWithoutACallAndFailingOnesMayProbeWhenDue() async throws {
        let clock = ManualClock()
        let callGuard = Self.makeGuard(clock, Transitions(), threshold: 1)
        let breakers = callGuard.breakers
        let key = "SecretStore/team/vault"
        #expect(await breakers.refusal(forStores: [key], untilClosed: true) == nil)
        await #expect(throws: ProviderError.self) {
            try await callGuard.call(Self.store) { () async throws -> Data in throw ProviderError(.unavailable, "refused") }
        }
        // Cooling down: everyone is told, with the time left.
        #expect(await breakers.refusal(forStores: ["SecretStore/team/other", key], untilClosed: false)?.retryAfter == .seconds(5))
        #expect(await breakers.refusal(forStores: [key], untilClosed: true)?.message.contains("refused") == true)
        clock.advance(by: .seconds(5))
        // Due: an object already failing goes on to make the probe; a healthy-looking one first
        // says the store is unavailable, and comes back at once.
        #expect(await breakers.refusal(forStores: [key], untilClosed: false) == nil)
        #expect(await breakers.refusal(forStores: [key], untilClosed: true)?.retryAfter == .milliseconds(1))
        _ = try await callGuard.call(Self.store) { 1 }
        #expect(await breakers.refusal(forStores: [key], untilClosed: true) == nil)
    }

    @Test func everyCallThroughTheClientSourceHasTheDeadline() async throws {
        let clock = ManualClock()
        let hanging = HangingCall()
        let source = ProviderClientSource(
            registry: ProviderRegistry([HangingProvider(call: hanging)]),
            clients: ClientManager(makeReader: { _ in NoReferences() }, logger: Logger(label: "test")),
            callCache: ProviderCallCache(window: .seconds(10), clock: ProviderClock(clock)),
            callGuard: Self.makeGuard(clock, Transitions()))
        var spec = SecretStoreSpec(provider: SecretStoreProvider())
        spec.provider.fake = FakeProvider(data: [])
        var store = Self.store
        store.spec = spec
        let client = try await source.client(for: store, fresh: false)
        let read = Task { try await client.getSecret(ExternalSecretDataRemoteRef(key: "db")) }
        await yieldUntil("the read runs") { hanging.started == 1 && clock.sleeperCount == 1 }
        clock.advance(by: .seconds(20))
        let error = await #expect(throws: ProviderError.self) { try await read.value }
        #expect(error?.message.contains("did not answer within the 20s deadline") == true)
    }
}

/// A provider named "fake" whose reads hang.
private struct HangingProvider: SecretsProvider {
    let call: HangingCall
    var name: String { "fake" }
    var capabilities: StoreCapabilities { .readOnly }
    func validateStore(_ store: StoreContext) throws {}
    func makeClient(for store: StoreContext, references: any ReferenceReader) async throws -> any SecretsClient {
        HangingClient(call: call)
    }
}

private struct HangingClient: SecretsClient {
    let call: HangingCall
    func getSecret(_ ref: ExternalSecretDataRemoteRef) async throws -> Data { try await call.run() }
    func getSecretMap(_ ref: ExternalSecretDataRemoteRef) async throws -> SecretData { [:] }
    func getAllSecrets(_ find: ExternalSecretFind) async throws -> SecretData { [:] }
    func validate() async throws -> StoreValidationResult { .ready }
    func close() async {}
}

private struct NoReferences: ReferenceReader {
    func secretValue(_ selector: SecretKeySelector, field: String) async throws -> Data {
        throw ProviderError.accessDenied("no references in this test")
    }
    func caBundle(_ provider: CAProvider, field: String) async throws -> Data {
        throw ProviderError.accessDenied("no references in this test")
    }
    func serviceAccountToken(_ selector: ServiceAccountSelector, audiences: [String], field: String) async throws -> String {
        throw ProviderError.accessDenied("no references in this test")
    }
}
