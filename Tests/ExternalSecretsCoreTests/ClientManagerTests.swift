import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import Logging
import ProviderKit
import ProviderTestSupport
import Synchronization
import Testing

/// Provider clients cached per store generation and caller namespace: built once, rebuilt and the
/// old one closed when the store changes, never cached when the build failed, closed at once when
/// the store is forgotten.
@Suite(.timeLimit(.minutes(10))) struct ClientManagerTests {
    static let vault = SecretStoreProvider(fake: FakeProvider(data: []))

    /// The manager with FakeReferences as every store's reference reader.
    static func manager(_ references: FakeReferences) -> ClientManager {
        ClientManager(makeReader: { _ in references }, logger: Logger(label: "test"))
    }

    @Test func oneBuildPerStoreGenerationAndTheOldClientIsClosed() async throws {
        let provider = CountingProvider()
        let manager = Self.manager(FakeReferences(secrets: ["token/value": "t"]))
        let first = try await manager.client(for: .fixture(Self.vault, name: "vault"), provider: provider)
        let again = try await manager.client(for: .fixture(Self.vault, name: "vault"), provider: provider)
        #expect((first as? CountedClient)?.id == 1)
        #expect((again as? CountedClient)?.id == 1)
        #expect(provider.built == 1)

        let edited = try await manager.client(for: .fixture(Self.vault, name: "vault", generation: 2), provider: provider)
        #expect((edited as? CountedClient)?.id == 2)
        await yieldUntil("the client of the older generation is closed") { provider.closed == [1] }
        #expect(provider.built == 2)
    }

    @Test func theProviderReadsThroughTheStoresReferenceReader() async throws {
        let references = FakeReferences(secrets: ["token/value": "t"])
        _ = try await Self.manager(references).client(for: .fixture(Self.vault, name: "vault"), provider: CountingProvider())
        #expect(references.asked == ["secret token/value"])
    }

    @Test func aClusterStoreHasOneClientPerCallerNamespace() async throws {
        let provider = CountingProvider()
        let manager = Self.manager(FakeReferences(secrets: ["token/value": "t"]))
        for caller in ["team-a", "team-b", "team-a"] {
            _ = try await manager.client(
                for: .fixture(Self.vault, kind: .clusterSecretStore, name: "shared", caller: caller), provider: provider)
        }
        #expect(provider.built == 2)
    }

    @Test func aFailedBuildIsNotCached() async throws {
        let provider = CountingProvider()
        let references = FakeReferences(secrets: [:] as [String: String])
        let manager = Self.manager(references)
        let store = StoreContext.fixture(Self.vault, name: "vault")
        await #expect(throws: ProviderError.self) { try await manager.client(for: store, provider: provider) }
        references.setSecret("token/value", "t")
        let client = try await manager.client(for: store, provider: provider)
        #expect((client as? CountedClient)?.id == 2)
    }

    @Test func forgettingAStoreClosesItsClientsAtOnce() async throws {
        let provider = CountingProvider()
        let manager = Self.manager(FakeReferences(secrets: ["token/value": "t"]))
        _ = try await manager.client(for: .fixture(Self.vault, kind: .clusterSecretStore, name: "a", caller: "x", uid: "a"), provider: provider)
        _ = try await manager.client(for: .fixture(Self.vault, kind: .clusterSecretStore, name: "a", caller: "y", uid: "a"), provider: provider)
        _ = try await manager.client(for: .fixture(Self.vault, name: "b", uid: "b"), provider: provider)
        await manager.forget(storeUID: "a")
        #expect(provider.closed.sorted() == [1, 2])
        // A later use builds a new client.
        _ = try await manager.client(for: .fixture(Self.vault, kind: .clusterSecretStore, name: "a", caller: "x", uid: "a"), provider: provider)
        #expect(provider.built == 4)
        await manager.closeAll()
        #expect(provider.closed.sorted() == [1, 2, 3, 4])
    }
}

/// A provider whose clients are numbered in build order; a build reads the Secret `token/value`
/// (so a missing one fails it, as a real login would).
private final class CountingProvider: SecretsProvider {
    private final class State: Sendable {
        let counts = Mutex((built: 0, closed: [Int]()))
    }
    private let state = State()
    var name: String { "fake" }
    var capabilities: StoreCapabilities { .readOnly }
    var built: Int { state.counts.withLock { $0.built } }
    var closed: [Int] { state.counts.withLock { $0.closed } }

    func validateStore(_ store: StoreContext) throws {}

    func makeClient(for store: StoreContext, references: any ReferenceReader) async throws -> any SecretsClient {
        let id = state.counts.withLock {
            $0.built += 1
            return $0.built
        }
        _ = try await references.secretValue(SecretKeySelector(name: "token", key: "value"), field: "spec.provider.auth")
        return CountedClient(id: id) { [state] in state.counts.withLock { $0.closed.append(id) } }
    }
}

private struct CountedClient: SecretsClient {
    let id: Int
    let onClose: @Sendable () -> Void
    func getSecret(_ ref: ExternalSecretDataRemoteRef) async throws -> Data { Data() }
    func getSecretMap(_ ref: ExternalSecretDataRemoteRef) async throws -> SecretData { [:] }
    func getAllSecrets(_ find: ExternalSecretFind) async throws -> SecretData { [:] }
    func validate() async throws -> StoreValidationResult { .ready }
    func close() async { onClose() }
}
