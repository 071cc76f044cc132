import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import ProviderKit
import Synchronization
import Testing

/// The fetch pipeline of one ExternalSecret over fake stores: entry order and precedence, the
/// store each entry names, and what a missing remote secret means under each deletionPolicy.
struct ExternalSecretFetcherTests {
    /// Remote secrets per store name: plain values by key, maps by key, and what `find` returns.
    static let remote: [String: FixedClient] = [
        "primary": FixedClient(
            values: ["db": "from-data", "shared": "primary-data"],
            maps: ["bundle": ["user": "bundle-user", "password": "bundle-password"], "override": ["password": "override"]],
            found: ["found-a": "a", "password": "found"]),
        "secondary": FixedClient(values: ["db": "secondary"], maps: ["bundle": ["user": "secondary-user"]], found: [:]),
    ]

    static func fetcher(asked: Asked = Asked()) -> ExternalSecretFetcher {
        ExternalSecretFetcher(templateEnvironment: .eso(now: { Date(timeIntervalSince1970: 0) })) { ref in
            asked.append(ref.name ?? "")
            guard let client = remote[ref.name ?? ""] else { throw StoreProblem.notFound(store: "SecretStore \"\(ref.name ?? "")\"") }
            return client
        }
    }

    static func externalSecret(
        deletion: DeletionPolicy = .retain, data: [ExternalSecretData] = [], dataFrom: [ExternalSecretDataFromRemoteRef] = []
    ) -> ExternalSecret {
        var es = Fixture.externalSecret(deletion: deletion)
        es.spec.secretStoreRef = SecretStoreRef(name: "primary")
        es.spec.data = data
        es.spec.dataFrom = dataFrom
        return es
    }

    static func extract(_ key: String, store: String? = nil) -> ExternalSecretDataFromRemoteRef {
        ExternalSecretDataFromRemoteRef(
            extract: ExternalSecretDataRemoteRef(key: key), sourceRef: store.map { StoreSourceRef(storeRef: SecretStoreRef(name: $0)) })
    }

    static func data(_ secretKey: String, _ key: String, store: String? = nil) -> ExternalSecretData {
        ExternalSecretData(
            secretKey: secretKey, remoteRef: ExternalSecretDataRemoteRef(key: key),
            sourceRef: store.map { StoreSourceRef(storeRef: SecretStoreRef(name: $0)) })
    }

    static func text(_ data: SecretData) -> [String: String] { data.mapValues { String(decoding: $0, as: UTF8.self) } }

    @Test(arguments: [
        // dataFrom entries in order, later keys win; data entries win over all of dataFrom.
        (externalSecret(dataFrom: [extract("bundle"), extract("override")]), ["user": "bundle-user", "password": "override"]),
        (externalSecret(dataFrom: [extract("override"), extract("bundle")]), ["user": "bundle-user", "password": "bundle-password"]),
        (externalSecret(data: [data("password", "db")], dataFrom: [extract("bundle")]), ["user": "bundle-user", "password": "from-data"]),
        (externalSecret(dataFrom: [ExternalSecretDataFromRemoteRef(find: ExternalSecretFind(name: FindName(regexp: ".*")))]),
         ["found-a": "a", "password": "found"]),
        // An entry's sourceRef names its own store; the others use spec.secretStoreRef.
        (externalSecret(data: [data("password", "db", store: "secondary"), data("other", "shared")], dataFrom: [extract("bundle", store: "secondary")]),
         ["user": "secondary-user", "password": "secondary", "other": "primary-data"]),
    ])
    func entriesInOrderWithPrecedence(es: ExternalSecret, expected: [String: String]) async throws {
        let fetched = try await Self.fetcher().fetch(es)
        #expect(Self.text(fetched.data) == expected)
        #expect(fetched.missing.isEmpty)
    }

    @Test func eachEntryAsksForItsStore() async throws {
        let asked = Asked()
        let es = Self.externalSecret(data: [Self.data("a", "db", store: "secondary"), Self.data("b", "db")], dataFrom: [Self.extract("bundle")])
        _ = try await Self.fetcher(asked: asked).fetch(es)
        #expect(asked.names == ["primary", "secondary", "primary"])
    }

    @Test(arguments: [DeletionPolicy.delete, .merge])
    func aMissingRemoteSecretIsSkippedAndNamedUnlessRetain(policy: DeletionPolicy) async throws {
        let es = Self.externalSecret(
            deletion: policy, data: [Self.data("password", "db"), Self.data("gone", "absent")],
            dataFrom: [Self.extract("absent-bundle"), Self.extract("bundle")])
        let fetched = try await Self.fetcher().fetch(es)
        #expect(Self.text(fetched.data) == ["user": "bundle-user", "password": "from-data"])
        #expect(fetched.missing == ["spec.dataFrom[0] (absent-bundle)", "spec.data[1] (absent)"])
    }

    @Test func underRetainAMissingRemoteSecretFailsTheFetch() async {
        let es = Self.externalSecret(data: [Self.data("password", "db"), Self.data("gone", "absent")])
        let error = await #expect(throws: ProviderError.self) { try await Self.fetcher().fetch(es) }
        #expect(error?.isNotFound == true)
    }

    @Test func otherErrorsFailTheFetchWhateverThePolicy() async {
        let es = Self.externalSecret(deletion: .delete, data: [Self.data("password", "db", store: "absent-store")])
        await #expect(throws: StoreProblem.notFound(store: "SecretStore \"absent-store\"")) { try await Self.fetcher().fetch(es) }
        let denied = Self.externalSecret(deletion: .delete, data: [Self.data("password", "denied")])
        let error = await #expect(throws: ProviderError.self) { try await Self.fetcher().fetch(denied) }
        #expect(error?.code == .accessDenied)
    }

    @Test func aDataFromEntryWithoutExtractOrFindIsNamed() async {
        let es = Self.externalSecret(dataFrom: [ExternalSecretDataFromRemoteRef()])
        await #expect(throws: InvalidSpec("spec.dataFrom[0] must set extract or find")) { try await Self.fetcher().fetch(es) }
    }
}

/// The store names a fetch asked for, in order.
final class Asked: Sendable {
    private let all = Mutex<[String]>([])
    func append(_ name: String) { all.withLock { $0.append(name) } }
    var names: [String] { all.withLock { $0 } }
}

/// A client over fixed remote secrets: a key not held is `notFound`, the key `denied` is `accessDenied`.
struct FixedClient: SecretsClient {
    var values: [String: String]
    var maps: [String: [String: String]]
    var found: [String: String]

    func getSecret(_ ref: ExternalSecretDataRemoteRef) async throws -> Data {
        if ref.key == "denied" { throw ProviderError.accessDenied("not allowed to read \(ref.key)") }
        guard let value = values[ref.key] else { throw ProviderError.notFound("\(ref.key) does not exist") }
        return Data(value.utf8)
    }

    func getSecretMap(_ ref: ExternalSecretDataRemoteRef) async throws -> SecretData {
        guard let map = maps[ref.key] else { throw ProviderError.notFound("\(ref.key) does not exist") }
        return map.mapValues { Data($0.utf8) }
    }

    func getAllSecrets(_ find: ExternalSecretFind) async throws -> SecretData { found.mapValues { Data($0.utf8) } }
    func validate() async throws -> StoreValidationResult { .ready }
    func close() async {}
}
