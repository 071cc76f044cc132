public import ExternalSecretsAPI
public import Foundation
import KubeModel
import Metrics
public import ProviderKit

/// De-duplicates provider reads across ExternalSecrets (DESIGN.md invariant 3): identical reads of
/// one store generation, on behalf of one namespace (or of any namespace, when the provider says
/// its reads do not depend on the caller's), share one provider call while it is in flight
/// and reuse its result for `window` afterwards. So 5,000 ExternalSecrets reading the same key
/// after a restart cost one call, not 5,000.
///
/// Guarantees: errors are never cached (the next caller tries again); a cancelled caller stops
/// waiting at once, while the shared call goes on for the others; a new store generation never
/// sees an older generation's results; results older than `window` are not returned, and are
/// dropped about `window` after they were read even when no further read comes (a deleted
/// ExternalSecret's values do not stay in memory).
///
/// A backlog extends the window: a result is also reused, up to `backlogLimit`, for as long as
/// the reconcile queue (`drainCount`) has not drained since it was read, so the objects that were
/// waiting when a key was read share that read, however long the cohort takes (10,000
/// ExternalSecrets over 1,000 keys after a start cost 1,000 calls, not one per key per window).
///
/// Caveats: a value changed at the provider may be seen up to `window` late, or up to the
/// backlog's length (at most `backlogLimit`) late by objects that were queued when it was read,
/// as if they had all been synced at that moment; values live in memory as long (they are in the
/// target Secrets anyway).
public actor ProviderCallCache {
    struct Key: Hashable {
        var storeUID: String
        var generation: Int64
        var callerNamespace: String
        var call: String
        var argument: String
    }

    private enum Entry {
        case inFlight(Task<any Sendable, any Error>)
        /// A finished result, when it was read (`clock.now()`) and the queue's drain count then.
        case done(any Sendable, at: Duration, drains: Int)
    }

    private let window: Duration
    private let backlogLimit: Duration
    private let drainCount: @Sendable () -> Int?
    private let clock: ProviderClock
    private var entries: [Key: Entry] = [:]
    private var lastPrune: Duration
    /// Whether a task will prune finished results after `window`.
    private var pruneScheduled = false

    /// - Parameters:
    ///   - window: how long a result is reused; zero shares only calls in flight.
    ///   - clock: measures the window and times the pruning (the operator's one clock).
    ///   - drainCount: how many times the reconcile queue has drained (nil: no backlog reuse).
    ///   - backlogLimit: the longest a result is reused for a backlog.
    public init(
        window: Duration, clock: ProviderClock, drainCount: @escaping @Sendable () -> Int? = { nil },
        backlogLimit: Duration = .seconds(300)
    ) {
        self.window = window
        self.drainCount = drainCount
        self.backlogLimit = max(window, backlogLimit)
        self.clock = clock
        self.lastPrune = clock.now()
    }

    /// - Parameter fresh: skip finished results (still join a call in flight), for reads the user
    ///   asked for by changing the ExternalSecret (new object, spec edit, force-sync annotation).
    func value<T: Sendable>(
        for key: Key, fresh: Bool = false, _ fetch: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let now = clock.now()
        pruneIfDue(now)
        switch entries[key] {
        case .done(let value, let at, let drains) where !fresh && reusable(at: at, drains: drains, now: now):
            if let value = value as? T { return value }
        case .inFlight(let task):
            if let value = try await valueUnlessCancelled(of: task) as? T { return value }
        default:
            break
        }
        let task = Task<any Sendable, any Error> { try await fetch() }
        entries[key] = .inFlight(task)
        do {
            let value = try await valueUnlessCancelled(of: task)
            if window > .zero {
                entries[key] = .done(value, at: clock.now(), drains: drainCount() ?? -1)
                schedulePrune()
            } else {
                entries[key] = nil  // a zero window shares only calls in flight
            }
            guard let typed = value as? T else { throw ProviderError(.other, "provider call cache: unexpected result type") }
            return typed
        } catch {
            entries[key] = nil
            throw error
        }
    }

    /// Drops the finished results of one store (every generation and namespace), so reads after a
    /// write through that store see the written value.
    public func invalidate(storeUID: String) {
        entries = entries.filter { key, entry in
            if case .done = entry { return key.storeUID != storeUID }
            return true
        }
    }

    /// How many results are held (for tests and metrics).
    public var count: Int { entries.count }

    private func pruneIfDue(_ now: Duration) {
        guard now - lastPrune > max(window, .seconds(1)) else { return }
        prune(now)
    }

    private func prune(_ now: Duration) {
        lastPrune = now
        entries = entries.filter { _, entry in
            if case .done(_, let at, let drains) = entry { return reusable(at: at, drains: drains, now: now) }
            return true
        }
    }

    /// Whether a result read at `at`, when the queue had drained `drains` times, may be reused.
    private func reusable(at: Duration, drains: Int, now: Duration) -> Bool {
        let age = now - at
        return age <= window || (age <= backlogLimit && drains >= 0 && drainCount() == drains)
    }

    /// One task at a time prunes finished results once they are older than `window`, and again
    /// while finished results remain; none runs while the cache holds no finished result.
    private func schedulePrune() {
        guard !pruneScheduled else { return }
        pruneScheduled = true
        let delay = window + .milliseconds(100)
        let clock = clock
        Task { [weak self] in
            try? await clock.sleep(delay)
            await self?.scheduledPrune()
        }
    }

    private func scheduledPrune() {
        pruneScheduled = false
        prune(clock.now())
        let finished = entries.values.contains { entry in
            if case .done = entry { return true }
            return false
        }
        if finished { schedulePrune() }
    }
}

/// A provider client whose reads go through a `ProviderCallCache`.
public struct CachingSecretsClient: SecretsClient {
    public let underlying: any SecretsClient
    private let cache: ProviderCallCache
    private let store: StoreContext
    private let fresh: Bool
    private let sharedAcrossNamespaces: Bool

    /// - Parameters:
    ///   - fresh: do not reuse finished results (see `ProviderCallCache.value`).
    ///   - sharedAcrossNamespaces: share reads with callers of other namespaces
    ///     (`SecretsProvider.readsDependOnCallerNamespace` is false for this store).
    public init(
        _ underlying: any SecretsClient, cache: ProviderCallCache, store: StoreContext, fresh: Bool = false,
        sharedAcrossNamespaces: Bool = false
    ) {
        self.sharedAcrossNamespaces = sharedAcrossNamespaces
        self.underlying = underlying
        self.cache = cache
        self.store = store
        self.fresh = fresh
    }

    private func key(_ call: String, _ argument: some Encodable) -> ProviderCallCache.Key {
        let text = (try? KubeJSON.encoder.encode(argument)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return ProviderCallCache.Key(
            storeUID: store.uid, generation: store.generation,
            callerNamespace: sharedAcrossNamespaces ? "" : store.callerNamespace, call: call,
            argument: text)
    }

    public func getSecret(_ ref: ExternalSecretDataRemoteRef) async throws -> Data {
        let client = underlying
        let provider = providerName
        return try await cache.value(for: key("getSecret", ref), fresh: fresh) {
            try await Self.counted(provider, "GetSecret") { try await client.getSecret(ref) }
        }
    }

    public func getSecretMap(_ ref: ExternalSecretDataRemoteRef) async throws -> SecretData {
        let client = underlying
        let provider = providerName
        return try await cache.value(for: key("getSecretMap", ref), fresh: fresh) {
            try await Self.counted(provider, "GetSecretMap") { try await client.getSecretMap(ref) }
        }
    }

    public func getAllSecrets(_ find: ExternalSecretFind) async throws -> SecretData {
        let client = underlying
        let provider = providerName
        return try await cache.value(for: key("getAllSecrets", find), fresh: fresh) {
            try await Self.counted(provider, "GetAllSecrets") { try await client.getAllSecrets(find) }
        }
    }

    private var providerName: String { store.spec.provider.configuredProviderNames.first ?? "unknown" }

    /// One real provider call, counted in ESO's
    /// `externalsecret_provider_api_calls_count{provider,call,status}`.
    private static func counted<T>(_ provider: String, _ call: String, _ body: () async throws -> T) async throws -> T {
        do {
            let value = try await body()
            ProviderCallMetric.count(provider: provider, call: call, failed: false)
            return value
        } catch {
            ProviderCallMetric.count(provider: provider, call: call, failed: true)
            throw error
        }
    }

    /// Writes are never shared or cached; after one, this store's cached reads are dropped.
    public func pushSecret(_ value: PushValue, to target: PushTarget) async throws {
        let client = underlying
        try await writing { try await Self.counted(providerName, "PushSecret") { try await client.pushSecret(value, to: target) } }
    }

    public func deleteSecret(_ target: PushTarget) async throws {
        let client = underlying
        try await writing { try await Self.counted(providerName, "DeleteSecret") { try await client.deleteSecret(target) } }
    }

    /// Runs a write and then drops this store's cached reads, also when the write failed (it may
    /// have half happened).
    private func writing(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            await cache.invalidate(storeUID: store.uid)
            throw error
        }
        await cache.invalidate(storeUID: store.uid)
    }

    public func secretExists(_ target: PushTarget) async throws -> Bool {
        let client = underlying
        return try await Self.counted(providerName, "SecretExists") { try await client.secretExists(target) }
    }

    public func validate() async throws -> StoreValidationResult { try await underlying.validate() }

    public func close() async { await underlying.close() }
}
