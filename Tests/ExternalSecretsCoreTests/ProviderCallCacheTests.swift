import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import ProviderKit
import Synchronization
import Testing

/// A client that counts calls and can be told to fail.
final class CountingClient: SecretsClient {
    let calls = Mutex(0)
    let failing = Mutex(false)

    func getSecret(_ ref: ExternalSecretDataRemoteRef) async throws -> Data {
        calls.withLock { $0 += 1 }
        try await Task.sleep(for: .milliseconds(20))
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

    @Test func concurrentIdenticalReadsCostOneCall() async throws {
        let counting = CountingClient()
        let client = CachingSecretsClient(counting, cache: ProviderCallCache(window: .seconds(10)), store: Self.store())
        try await withThrowingTaskGroup(of: Data.self) { group in
            for _ in 0..<50 { group.addTask { try await client.getSecret(ExternalSecretDataRemoteRef(key: "db")) } }
            for try await value in group { #expect(value == Data("db".utf8)) }
        }
        _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db"))
        #expect(counting.calls.withLock { $0 } == 1)
        _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db", property: "p"))
        _ = try await client.getSecretMap(ExternalSecretDataRemoteRef(key: "db"))
        #expect(counting.calls.withLock { $0 } == 3, "different references or calls are not shared")
    }

    @Test func errorsAreNotCached() async throws {
        let counting = CountingClient()
        counting.failing.withLock { $0 = true }
        let client = CachingSecretsClient(counting, cache: ProviderCallCache(window: .seconds(10)), store: Self.store())
        await #expect(throws: ProviderError.self) { try await client.getSecret(ExternalSecretDataRemoteRef(key: "db")) }
        counting.failing.withLock { $0 = false }
        #expect(try await client.getSecret(ExternalSecretDataRemoteRef(key: "db")) == Data("db".utf8))
        #expect(counting.calls.withLock { $0 } == 2)
    }

    @Test func aNewStoreGenerationOrAZeroWindowCallsAgain() async throws {
        let counting = CountingClient()
        let cache = ProviderCallCache(window: .seconds(10))
        _ = try await CachingSecretsClient(counting, cache: cache, store: Self.store(generation: 1))
            .getSecret(ExternalSecretDataRemoteRef(key: "db"))
        _ = try await CachingSecretsClient(counting, cache: cache, store: Self.store(generation: 2))
            .getSecret(ExternalSecretDataRemoteRef(key: "db"))
        #expect(counting.calls.withLock { $0 } == 2)

        let uncached = CachingSecretsClient(counting, cache: ProviderCallCache(window: .zero), store: Self.store())
        _ = try await uncached.getSecret(ExternalSecretDataRemoteRef(key: "db"))
        _ = try await uncached.getSecret(ExternalSecretDataRemoteRef(key: "db"))
        #expect(counting.calls.withLock { $0 } == 4)
    }
}

extension ProviderCallCacheTests {
    @Test func freshReadsSkipFinishedResults() async throws {
        let counting = CountingClient()
        let cache = ProviderCallCache(window: .seconds(10))
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
    /// Values are held for about the window even when no read follows (a deleted ExternalSecret's
    /// last values were kept until the next read of any store); a zero window holds none.
    @Test func finishedResultsAreDroppedWithoutAnotherRead() async throws {
        let cache = ProviderCallCache(window: .milliseconds(100))
        _ = try await CachingSecretsClient(CountingClient(), cache: cache, store: Self.store())
            .getSecret(ExternalSecretDataRemoteRef(key: "db"))
        #expect(await cache.count == 1)
        let deadline = ContinuousClock.now + .seconds(10)
        while await cache.count > 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(await cache.count == 0)

        let unshared = ProviderCallCache(window: .zero)
        _ = try await CachingSecretsClient(CountingClient(), cache: unshared, store: Self.store())
            .getSecret(ExternalSecretDataRemoteRef(key: "db"))
        #expect(await unshared.count == 0)
    }
}
