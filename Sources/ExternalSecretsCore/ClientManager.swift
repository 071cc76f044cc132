import ExternalSecretsAPI
public import Logging
import Metrics
public import ProviderKit


/// Provider clients cached per store generation and caller namespace, so logins and sessions are
/// reused across reconciles (DESIGN.md invariant 3) and rebuilt when the store changes.
///
/// Guarantees: one client is built at a time per key (concurrent callers wait for the same build);
/// a client of an older store generation is closed when a newer one is built; a failed build is not
/// cached; `forget(storeUID:)` (called when a store is deleted) closes the store's clients at once,
/// so a Vault token or AWS session of a deleted store is not used again. The gauge
/// `externalsecret_provider_clients` counts the clients held.
public actor ClientManager {
    private struct Key: Hashable {
        var storeUID: String
        var callerNamespace: String
    }

    private struct Entry {
        var generation: Int64
        var client: Task<any SecretsClient, any Error>
    }

    private var entries: [Key: Entry] = [:] {
        didSet { clientsGauge.record(entries.count) }
    }
    private let clientsGauge = Gauge(label: "externalsecret_provider_clients")
    private let makeReader: @Sendable (StoreContext) -> any ReferenceReader
    private let admission: (@Sendable (StoreContext) async throws -> Void)?
    private let logger: Logger

    /// - Parameters:
    ///   - makeReader: builds the reference reader (with the access policy) for a store.
    ///   - admission: asked before a client is built (before any credential is read or sent);
    ///     its error fails the build (``ProviderEndpointAllowList``). nil: every store is admitted.
    public init(
        makeReader: @escaping @Sendable (StoreContext) -> any ReferenceReader,
        admission: (@Sendable (StoreContext) async throws -> Void)? = nil, logger: Logger
    ) {
        self.makeReader = makeReader
        self.admission = admission
        self.logger = logger
    }

    /// The client for `store`, built by `provider` if there is none for this store generation.
    public func client(for store: StoreContext, provider: any SecretsProvider) async throws -> any SecretsClient {
        // A ClusterSecretStore resolves credentials relative to the caller's namespace, so its
        // clients are per caller namespace; a SecretStore has one caller namespace anyway.
        let key = Key(storeUID: store.uid, callerNamespace: store.callerNamespace)
        if let entry = entries[key] {
            if entry.generation == store.generation {
                return try await entry.client.value
            }
            entries[key] = nil
            let old = entry.client
            Task { if let client = try? await old.value { await client.close() } }
        }
        let reader = makeReader(store)
        let admission = self.admission
        let task = Task<any SecretsClient, any Error> {
            try await admission?(store)
            return try await provider.makeClient(for: store, references: reader)
        }
        entries[key] = Entry(generation: store.generation, client: task)
        do {
            return try await task.value
        } catch {
            if entries[key]?.generation == store.generation { entries[key] = nil }
            throw error
        }
    }

    /// Closes and drops every client of a store (deleted store).
    public func forget(storeUID: String) async {
        for (key, entry) in entries where key.storeUID == storeUID {
            entries[key] = nil
            if let client = try? await entry.client.value { await client.close() }
        }
    }

    /// Closes every client (shutdown).
    public func closeAll() async {
        let all = entries.values
        entries = [:]
        for entry in all {
            if let client = try? await entry.client.value { await client.close() }
        }
    }
}
