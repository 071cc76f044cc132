import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import ProviderKit
import Testing

/// `dataFrom[].sourceRef.generatorRef` in the fetch pipeline: the generator's output is rewritten
/// and merged in entry order like any dataFrom entry, without asking a store for a client.
struct GeneratorFetchTests {
    static func generatorEntry(_ kind: String, _ name: String, rewrite: [ExternalSecretRewrite]? = nil)
        -> ExternalSecretDataFromRemoteRef
    {
        ExternalSecretDataFromRemoteRef(
            rewrite: rewrite, sourceRef: StoreSourceRef(generatorRef: GeneratorRef(kind: kind, name: name)))
    }

    static func fetcher(asked: Asked, generated: [String: SecretData]) -> ExternalSecretFetcher {
        ExternalSecretFetcher(
            templateEnvironment: .eso(now: { Date(timeIntervalSince1970: 0) }),
            generate: { ref, _ in
                asked.append("\(ref.kind)/\(ref.name)")
                guard let values = generated[ref.name] else {
                    throw ProviderError.invalidConfiguration("\(ref.kind) \(ref.name) not found")
                }
                return values
            }
        ) { ref in
            asked.append("store \(ref.name ?? "")")
            return ExternalSecretFetcherTests.remote[ref.name ?? ""]!
        }
    }

    @Test func generatedKeysAreRewrittenAndMergedInEntryOrderWithoutAStore() async throws {
        var es = ExternalSecretFetcherTests.externalSecret(dataFrom: [
            Self.generatorEntry("Password", "pw"),
            Self.generatorEntry(
                "UUID", "id", rewrite: [ExternalSecretRewrite(regexp: RewriteRegexp(source: "^", target: "app-"))]),
        ])
        es.spec.secretStoreRef = nil
        let asked = Asked()
        let fetched = try await Self.fetcher(
            asked: asked,
            generated: ["pw": ["password": Data("p".utf8)], "id": ["uuid": Data("u".utf8)]]
        ).fetch(es)
        #expect(fetched.data == ["password": Data("p".utf8), "app-uuid": Data("u".utf8)])
        #expect(asked.names == ["Password/pw", "UUID/id"])
    }

    @Test func generatedKeysNameTheirEntryUnlessALaterEntryWrites() async throws {
        // dataFrom: a generator (password, user), a store's bundle (user, password), a generator
        // (token); data: `db` over nothing generated. Only `token` is still generated at the end.
        var es = ExternalSecretFetcherTests.externalSecret(dataFrom: [
            Self.generatorEntry("Password", "pw"), ExternalSecretFetcherTests.extract("bundle"),
            Self.generatorEntry("UUID", "id"),
        ])
        es.spec.data = [ExternalSecretFetcherTests.data("token-db", "db")]
        let fetched = try await Self.fetcher(
            asked: Asked(),
            generated: [
                "pw": ["password": Data("p".utf8), "user": Data("u".utf8), "extra": Data("e".utf8)],
                "id": ["token": Data("t".utf8)],
            ]
        ).fetch(es)
        #expect(fetched.generatedKeys == ["extra": 0, "token": 2])
    }

    @Test func aGeneratorErrorNamesTheEntryAndStopsTheFetch() async throws {
        let es = ExternalSecretFetcherTests.externalSecret(dataFrom: [
            Self.generatorEntry("Password", "missing"), ExternalSecretFetcherTests.extract("bundle"),
        ])
        let asked = Asked()
        do {
            _ = try await Self.fetcher(asked: asked, generated: [:]).fetch(es)
            Issue.record("the fetch succeeded")
        } catch let error as ProviderError {
            #expect(error.message == "spec.dataFrom[0].sourceRef.generatorRef: Password missing not found")
        }
        #expect(asked.names == ["Password/missing"])
    }

    @Test func withoutAGeneratorRunnerGeneratorEntriesAreRefused() async throws {
        let es = ExternalSecretFetcherTests.externalSecret(dataFrom: [Self.generatorEntry("Password", "pw")])
        let fetcher = ExternalSecretFetcher(templateEnvironment: .eso(now: { Date() })) { ref in
            ExternalSecretFetcherTests.remote[ref.name ?? ""]!
        }
        await #expect(throws: InvalidSpec.self) { try await fetcher.fetch(es) }
    }

    @Test func anExternalSecretOfGeneratorsOnlyNeedsNoStore() throws {
        var es = ExternalSecretFetcherTests.externalSecret(dataFrom: [Self.generatorEntry("Password", "pw")])
        es.spec.secretStoreRef = nil
        try ExternalSecretValidation.validate(es.spec)
        es.spec.data = [ExternalSecretFetcherTests.data("k", "db")]
        #expect(throws: InvalidSpec.self) { try ExternalSecretValidation.validate(es.spec) }
    }
}
