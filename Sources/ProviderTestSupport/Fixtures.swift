public import ExternalSecretsAPI
public import Foundation
public import ProviderKit
import Synchronization

extension StoreContext {
    /// A store for provider tests: a SecretStore in `namespace`, or a ClusterSecretStore (no
    /// namespace of its own), used from `caller`; without `caller`, from the store's namespace (a
    /// SecretStore) or from none (a ClusterSecretStore being validated).
    public static func fixture(
        _ provider: SecretStoreProvider, kind: StoreKind = .secretStore, name: String, namespace: String? = "team",
        caller: String? = nil, uid: String = "uid-1", generation: Int64 = 1,
        retrySettings: SecretStoreRetrySettings? = nil
    ) -> StoreContext {
        let storeNamespace = kind == .secretStore ? namespace : nil
        return StoreContext(
            kind: kind, name: name, storeNamespace: storeNamespace, callerNamespace: caller ?? storeNamespace ?? "",
            uid: uid, generation: generation,
            spec: SecretStoreSpec(provider: provider, retrySettings: retrySettings))
    }
}

/// Wall-clock time that a test moves by hand (token and credential expiry).
public final class TestClock: Sendable {
    private let current: Mutex<Date>

    /// A clock at `start` (14 November 2023 by default).
    public init(start: Date = Date(timeIntervalSince1970: 1_700_000_000)) { current = Mutex(start) }

    /// The current time.
    public var now: Date { current.withLock { $0 } }

    /// Moves the clock forward.
    public func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}
