import ClockTestSupport
import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import ProviderKit
import Synchronization
import Testing

/// A client that counts calls and can be told to fail, or to take one second of a manual clock
/// per `getSecret` (so a test holds the call in flight until it advances that clock).
final class CountingClient: SecretsClient {
    let calls = Mutex(0)
    let failing = Mutex(false)
    let slowOn = Mutex<ManualClock?>(nil)

    func getSecret(_ ref: ExternalSecretDataRemoteRef) async throws -> Data {
        calls.withLock { $0 += 1 }
        if let clock = slowOn.withLock({ $0 }) { try await clock.sleep(for: .seconds(1)) }
        if failing.withLock({ $0 }) { throw ProviderError(.unavailable, "down") }
        return Data(ref.key.utf8)
    }

    func getSecretMap(_ ref: ExternalSecretDataRemoteRef) async throws -> SecretData {
        calls.withLock { $0 += 1 }
        return [ref.key: Data()]
    }

    func getAllSecrets(_ find: ExternalSecretFind) async throws -> SecretData {
        calls.withLock { $0 += 1 }
        return [:]
    }

    func validate() async throws -> StoreValidationResult { .ready }
    func close() async {}
}

@Suite struct ProviderCallCacheTests {
    static func store(generation: Int64 = 1) -> StoreContext {
        StoreContext(
            kind: .secretStore, name: "s", storeNamespace: "n", callerNamespace: "n", uid: "uid", generation: generation,
            spec: SecretStoreSpec(provider: SecretStoreProvider()))
    }

    /// A cache on a manual clock that only the test moves.
    static func cache(window: Duration, _ clock: ManualClock = ManualClock()) -> ProviderCallCache {
        ProviderCallCache(window: window, clock: ProviderClock(clock))
    }

    @Test func concurrentIdenticalReadsCostOneCall() async throws {
        let clock = ManualClock()
        let counting = CountingClient()
        counting.slowOn.withLock { $0 = clock }
        let client = CachingSecretsClient(counting, cache: Self.cache(window: .seconds(10), clock), store: Self.store())
        try await withThrowingTaskGroup(of: Data.self) { group in
            for _ in 0..<50 { group.addTask { try await client.getSecret(ExternalSecretDataRemoteRef(key: "db")) } }
            await yieldUntil("the shared call is in flight") { counting.calls.withLock { $0 } == 1 && clock.sleeperCount == 1 }
            clock.advance(by: .seconds(1))
            for try await value in group { #expect(value == Data("db".utf8)) }
        }
        counting.slowOn.withLock { $0 = nil }
        _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db"))
        #expect(counting.calls.withLock { $0 } == 1)
        _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db", property: "p"))
        _ = try await client.getSecretMap(ExternalSecretDataRemoteRef(key: "db"))
        #expect(counting.calls.withLock { $0 } == 3, "different references or calls are not shared")
    }

    @Test func errorsAreNotCached() async throws {
        let counting = CountingClient()
        counting.failing.withLock { $0 = true }
        let client = CachingSecretsClient(counting, cache: Self.cache(window: .seconds(10)), store: Self.store())
        await #expect(throws: ProviderError.self) { try await client.getSecret(ExternalSecretDataRemoteRef(key: "db")) }
        counting.failing.withLock { $0 = false }
        #expect(try await client.getSecret(ExternalSecretDataRemoteRef(key: "db")) == Data("db".utf8))
        #expect(counting.calls.withLock { $0 } == 2)
    }

    @Test func aNewStoreGenerationOrAZeroWindowCallsAgain() async throws {
        let counting = CountingClient()
        let cache = Self.cache(window: .seconds(10))
        _ = try await CachingSecretsClient(counting, cache: cache, store: Self.store(generation: 1))
            .getSecret(ExternalSecretDataRemoteRef(key: "db"))
        _ = try await CachingSecretsClient(counting, cache: cache, store: Self.store(generation: 2))
            .getSecret(ExternalSecretDataRemoteRef(key: "db"))
        #expect(counting.calls.withLock { $0 } == 2)

        let uncached = CachingSecretsClient(counting, cache: Self.cache(window: .zero), store: Self.store())
        _ = try await uncached.getSecret(ExternalSecretDataRemoteRef(key: "db"))
        _ = try await uncached.getSecret(ExternalSecretDataRemoteRef(key: "db"))
        #expect(counting.calls.withLock { $0 } == 4)
    }

    @Test func readsOfAClusterStoreAreSharedAcrossNamespacesOnlyWhenTheProviderSaysTheyMayBe() async throws {
        func clusterStore(caller: String) -> StoreContext {
            StoreContext(
                kind: .clusterSecretStore, name: "s", storeNamespace: nil, callerNamespace: caller, uid: "uid",
                generation: 1, spec: SecretStoreSpec(provider: SecretStoreProvider()))
        }
        let ref = ExternalSecretDataRemoteRef(key: "db")
        let perNamespace = CountingClient()
        let cache = Self.cache(window: .seconds(10))
        for caller in ["a", "b", "a"] {
            _ = try await CachingSecretsClient(perNamespace, cache: cache, store: clusterStore(caller: caller)).getSecret(ref)
        }
        #expect(perNamespace.calls.withLock { $0 } == 2, "one call per namespace")

        let shared = CountingClient()
        let sharedCache = Self.cache(window: .seconds(10))
        for caller in ["a", "b", "c"] {
            _ = try await CachingSecretsClient(
                shared, cache: sharedCache, store: clusterStore(caller: caller), sharedAcrossNamespaces: true
            ).getSecret(ref)
        }
        #expect(shared.calls.withLock { $0 } == 1, "one call for every namespace")
    }
}

extension ProviderCallCacheTests {
    @Test func freshReadsSkipFinishedResults() async throws {
        let counting = CountingClient()
        let cache = Self.cache(window: .seconds(10))
        _ = try await CachingSecretsClient(counting, cache: cache, store: Self.store())
            .getSecret(ExternalSecretDataRemoteRef(key: "db"))
        _ = try await CachingSecretsClient(counting, cache: cache, store: Self.store(), fresh: true)
            .getSecret(ExternalSecretDataRemoteRef(key: "db"))
        #expect(counting.calls.withLock { $0 } == 2)
        // The fresh result is shared with later periodic reads.
        _ = try await CachingSecretsClient(counting, cache: cache, store: Self.store())
            .getSecret(ExternalSecretDataRemoteRef(key: "db"))
        #expect(counting.calls.withLock { $0 } == 2)
    }
}

extension ProviderCallCacheTests {
    /// A result is reused while it is at most `window` old (measured on the cache's clock), and
    /// read again after that.
    @Test(arguments: [
        (age: Duration.seconds(0), calls: 1), (age: .seconds(10), calls: 1),
        (age: .seconds(10) + .milliseconds(1), calls: 2), (age: .seconds(60), calls: 2),
    ])
    func aResultIsReusedForTheWindowOnly(age: Duration, calls: Int) async throws {
        let clock = ManualClock()
        let counting = CountingClient()
        let client = CachingSecretsClient(counting, cache: Self.cache(window: .seconds(10), clock), store: Self.store())
        _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db"))
        clock.advance(by: age)
        #expect(try await client.getSecret(ExternalSecretDataRemoteRef(key: "db")) == Data("db".utf8))
        #expect(counting.calls.withLock { $0 } == calls)
    }

    /// Values are held for about the window even when no read follows (a deleted ExternalSecret's
    /// last values were kept until the next read of any store); a zero window holds none.
    @Test func finishedResultsAreDroppedWithoutAnotherRead() async throws {
        let clock = ManualClock()
        let cache = Self.cache(window: .seconds(10), clock)
        _ = try await CachingSecretsClient(CountingClient(), cache: cache, store: Self.store())
            .getSecret(ExternalSecretDataRemoteRef(key: "db"))
        #expect(await cache.count == 1)
        await yieldUntil("the pruning waits on the clock") { clock.sleeperCount == 1 }
        clock.advance(by: .seconds(11))
        await yieldUntil("the result is dropped") { await cache.count == 0 }

        let unshared = Self.cache(window: .zero)
        _ = try await CachingSecretsClient(CountingClient(), cache: unshared, store: Self.store())
            .getSecret(ExternalSecretDataRemoteRef(key: "db"))
        #expect(await unshared.count == 0)
    }
}

extension ProviderCallCacheTests {
    /// While the reconcile queue has not drained since a key was read, the read is reused past
    /// the window (the cohort queued at a start shares it), up to the backlog limit; once the
    /// queue drains, the window alone applies again.
    @Test(arguments: [
        (age: Duration.seconds(60), drained: false, calls: 1),
        (age: .seconds(60), drained: true, calls: 2),
        (age: .seconds(120), drained: false, calls: 1),
        (age: .seconds(120) + .milliseconds(1), drained: false, calls: 2),
    ])
    func aBacklogExtendsTheWindowUpToItsLimit(age: Duration, drained: Bool, calls: Int) async throws {
        let clock = ManualClock()
        let drains = Mutex(0)
        let cache = ProviderCallCache(
            window: .seconds(10), clock: ProviderClock(clock), drainCount: { drains.withLock { $0 } },
            backlogLimit: .seconds(120))
        let counting = CountingClient()
        let client = CachingSecretsClient(counting, cache: cache, store: Self.store())
        _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db"))
        if drained { drains.withLock { $0 += 1 } }
        clock.advance(by: age)
        _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db"))
        #expect(counting.calls.withLock { $0 } == calls)
    }
}
