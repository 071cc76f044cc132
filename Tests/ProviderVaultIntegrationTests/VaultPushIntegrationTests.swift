import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import HTTPSupport
import ProviderKit
import ProviderTestSupport
import ProviderVault
import Testing
import VaultTestSupport

/// The Vault provider's PushSecret calls against a real OpenBao dev server (TLS): what ends up in
/// Vault, read back with the root token. Values are compared as `Data`, so a failure prints no
/// value.
@Suite(.openBao, .serialized) struct VaultPushIntegrationTests {
    /// A transport that runs `before` ahead of every request (to play a concurrent writer).
    struct InterceptingTransport: HTTPTransport {
        var base: AsyncHTTPClientTransport
        var before: @Sendable (HTTPRequest) async throws -> Void

        func stream(_ request: HTTPRequest, timeout: Duration) async throws -> HTTPStreamingResponse {
            try await before(request)
            return try await base.stream(request, timeout: timeout)
        }
    }

    /// A client for KV mount `mount` with `token` (the root token by default).
    func client(
        mount: String, version: VaultKVStoreVersion = .v2, token: String? = nil,
        before: (@Sendable (HTTPRequest) async throws -> Void)? = nil
    ) async throws -> any SecretsClient {
        let bao = try currentBao()
        let vault = VaultProvider(
            server: bao.address, path: mount, version: version, caBundle: bao.caCertificatePEM.base64EncodedString(),
            auth: VaultAuth(tokenSecretRef: SecretKeySelector(name: "vault-token", key: "token")))
        let store = StoreContext(
            kind: .secretStore, name: "vault", storeNamespace: "team", callerNamespace: "team", uid: "uid-push",
            generation: 1, spec: SecretStoreSpec(provider: SecretStoreProvider(vault: vault)))
        var provider = VaultSecretsProvider()
        if let before {
            provider = VaultSecretsProvider(transport: { tls in
                let base = try AsyncHTTPClientTransport(tls: tls)
                return (InterceptingTransport(base: base, before: before), { try await base.shutdown() })
            })
        }
        return try await provider.makeClient(
            for: store, references: FakeReferences(secrets: ["vault-token/token": token ?? bao.rootToken]))
    }

    /// A token with `policies`. Without the default policy it may still look itself up, but not
    /// ask `sys/capabilities-self`.
    func token(policies: [String], defaultPolicy: Bool = true) async throws -> String {
        var policies = policies
        if !defaultPolicy {
            let lookup = unique("lookup-self")
            try await currentBao().policy(lookup, #"path "auth/token/lookup-self" { capabilities = ["read"] }"#)
            policies.append(lookup)
        }
        let answer = try await currentBao().must(
            .POST, "auth/token/create", ["policies": policies, "no_default_policy": !defaultPolicy, "ttl": "1h"])
        return try #require(answer.auth("client_token"))
    }

    /// `json` decoded as whatever the context needs (`PushTarget.metadata`'s JSON type).
    func decoded<T: Decodable>(_ json: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(json.utf8))
    }

    // MARK: - What Vault holds (root token)

    /// The current data of a KV v2 secret (string values as bytes); nil when there is none.
    func kv2Data(_ mount: String, _ key: String) async throws -> [String: Data]? {
        let answer = try await currentBao().call(.GET, "\(mount)/data/\(key)")
        guard answer.status == 200, let json = answer.json as? [String: Any], let data = json["data"] as? [String: Any],
            let secret = data["data"] as? [String: Any]
        else { return nil }
        return secret.mapValues { value in Data(((value as? String) ?? "\(value)").utf8) }
    }

    /// The metadata of a KV v2 secret: current version and custom metadata; nil when none.
    func kv2Metadata(_ mount: String, _ key: String) async throws -> (version: Int, custom: [String: String])? {
        let answer = try await currentBao().call(.GET, "\(mount)/metadata/\(key)")
        guard answer.status == 200, let json = answer.json as? [String: Any], let data = json["data"] as? [String: Any]
        else { return nil }
        return ((data["current_version"] as? Int) ?? -1, (data["custom_metadata"] as? [String: String]) ?? [:])
    }

    /// A KV v1 secret as JSON text (the marker is no secret; values are compared as bytes).
    func kv1Secret(_ mount: String, _ key: String) async throws -> [String: Any]? {
        let answer = try await currentBao().call(.GET, "\(mount)/\(key)")
        guard answer.status == 200 else { return nil }
        return (answer.json as? [String: Any])?["data"] as? [String: Any]
    }

    static let marker = ["managed-by": "external-secrets"]

    // MARK: - KV v2

    @Test func createUpdateAndNoNewVersionWhenUnchanged() async throws {
        let bao = try currentBao()
        let mount = unique("push")
        try await bao.mount(mount)
        let client = try await client(mount: mount)
        let target = PushTarget(remoteKey: "app/db")

        try await client.pushSecret(
            .allKeys(["user": Data("app".utf8), "password": Data(canary.utf8)]), to: target)
        #expect(try await kv2Data(mount, "app/db") == ["user": Data("app".utf8), "password": Data(canary.utf8)])
        #expect(try await kv2Metadata(mount, "app/db")?.version == 1)
        #expect(try await kv2Metadata(mount, "app/db")?.custom == Self.marker)
        #expect(try await client.secretExists(target))

        // The same value again: no new version.
        try await client.pushSecret(
            .allKeys(["password": Data(canary.utf8), "user": Data("app".utf8)]), to: target)
        #expect(try await kv2Metadata(mount, "app/db")?.version == 1)

        // A new value: version 2, written with check-and-set 1.
        try await client.pushSecret(.allKeys(["user": Data("app".utf8), "password": Data("rotated".utf8)]), to: target)
        #expect(try await kv2Data(mount, "app/db") == ["user": Data("app".utf8), "password": Data("rotated".utf8)])
        #expect(try await kv2Metadata(mount, "app/db")?.version == 2)

        // One key holding a JSON object is the whole secret; numbers as Vault keeps them are
        // no change on the next push.
        let json = PushTarget(remoteKey: "config")
        try await client.pushSecret(.value(Data(#"{"port":5432,"ratio":1.0,"tls":{"mode":"on"}}"#.utf8)), to: json)
        try await client.pushSecret(.value(Data(#"{"ratio":1,"port":5432.0,"tls":{"mode":"on"}}"#.utf8)), to: json)
        #expect(try await kv2Metadata(mount, "config")?.version == 1)

        // Custom metadata from the entry's metadata: merged, without a new data version.
        var tagged = target
        tagged.metadata = try decoded(
            #"{"apiVersion":"kubernetes.external-secrets.io/v1alpha1","kind":"PushSecretMetadata","spec":{"customMetadata":{"team":"payments"}}}"#
        )
        try await client.pushSecret(.allKeys(["user": Data("app".utf8), "password": Data("rotated".utf8)]), to: tagged)
        let metadata = try #require(try await kv2Metadata(mount, "app/db"))
        #expect(metadata.version == 2)
        #expect(metadata.custom == ["managed-by": "external-secrets", "team": "payments"])
        await client.close()
    }

    @Test func propertiesMergeIntoOneSecretAndAreDeletedOneByOne() async throws {
        let bao = try currentBao()
        let mount = unique("push")
        try await bao.mount(mount)
        let client = try await client(mount: mount)

        try await client.pushSecret(.value(Data("app".utf8)), to: PushTarget(remoteKey: "db", property: "user"))
        try await client.pushSecret(.value(Data(canary.utf8)), to: PushTarget(remoteKey: "db", property: "password"))
        #expect(try await kv2Data(mount, "db") == ["user": Data("app".utf8), "password": Data(canary.utf8)])
        #expect(try await kv2Metadata(mount, "db")?.version == 2)
        #expect(try await client.secretExists(PushTarget(remoteKey: "db", property: "password")))
        #expect(try await !client.secretExists(PushTarget(remoteKey: "db", property: "host")))

        try await client.pushSecret(.value(Data(canary.utf8)), to: PushTarget(remoteKey: "db", property: "password"))
        #expect(try await kv2Metadata(mount, "db")?.version == 2)

        try await client.deleteSecret(PushTarget(remoteKey: "db", property: "password"))
        #expect(try await kv2Data(mount, "db") == ["user": Data("app".utf8)])
        #expect(try await !client.secretExists(PushTarget(remoteKey: "db", property: "password")))
        try await client.deleteSecret(PushTarget(remoteKey: "db", property: "user"))
        #expect(try await kv2Metadata(mount, "db") == nil, "the last property takes the secret with it")
        #expect(try await !client.secretExists(PushTarget(remoteKey: "db")))

        // Deleting what is not there is no error.
        try await client.deleteSecret(PushTarget(remoteKey: "db"))
        try await client.deleteSecret(PushTarget(remoteKey: "db", property: "user"))

        // A whole secret goes with every version.
        try await client.pushSecret(.allKeys(["a": Data("1".utf8)]), to: PushTarget(remoteKey: "whole"))
        try await client.pushSecret(.allKeys(["a": Data("2".utf8)]), to: PushTarget(remoteKey: "whole"))
        try await client.deleteSecret(PushTarget(remoteKey: "whole"))
        #expect(try await kv2Metadata(mount, "whole") == nil)
        await client.close()
    }

    @Test func unmanagedSecretsAreNeitherOverwrittenNorDeleted() async throws {
        let bao = try currentBao()
        let mount = unique("push")
        try await bao.mount(mount)
        try await bao.writeKV2(mount: mount, "theirs", ["password": canary])
        try await bao.writeKV2(
            mount: mount, "terraform", ["password": canary], customMetadata: ["managed-by": "terraform"])
        let client = try await client(mount: mount)

        for key in ["theirs", "terraform"] {
            let before = try await kv2Metadata(mount, key)
            for target in [PushTarget(remoteKey: key), PushTarget(remoteKey: key, property: "password")] {
                do {
                    try await client.pushSecret(.value(Data(#"{"password":"mine"}"#.utf8)), to: target)
                    Issue.record("\(target): expected notManaged")
                } catch let error as ProviderError {
                    #expect(error.code == .notManaged)
                    #expect(!error.message.contains(canary))
                }
                do {
                    try await client.deleteSecret(target)
                    Issue.record("\(target): expected notManaged")
                } catch let error as ProviderError {
                    #expect(error.code == .notManaged)
                }
            }
            #expect(try await kv2Data(mount, key) == ["password": Data(canary.utf8)])
            let after = try await kv2Metadata(mount, key)
            #expect(after?.version == before?.version && after?.custom == before?.custom)
        }
        await client.close()
    }

    @Test func aPolicyThatDeniesWritesIsAClearErrorNamingPathAndCapability() async throws {
        let bao = try currentBao()
        let mount = unique("push")
        try await bao.mount(mount)
        let policy = unique("read-only")
        try await bao.policy(policy, #"path "\#(mount)/*" { capabilities = ["read", "list"] }"#)
        let root = try await client(mount: mount)
        try await root.pushSecret(.allKeys(["a": Data("1".utf8)]), to: PushTarget(remoteKey: "existing"))

        // With the default policy the token may ask about its capabilities: refused up front.
        let reader = try await client(mount: mount, token: try await token(policies: [policy]))
        do {
            try await reader.pushSecret(.allKeys(["a": Data(canary.utf8)]), to: PushTarget(remoteKey: "new"))
            Issue.record("expected access denied")
        } catch let error as ProviderError {
            #expect(error.code == .accessDenied)
            #expect(error.message.contains(#""create" on "\#(mount)/data/new""#), "\(error.message)")
            #expect(error.message.contains(#""update" on "\#(mount)/metadata/new""#), "\(error.message)")
            #expect(!error.message.contains(canary))
        }
        #expect(try await kv2Metadata(mount, "new") == nil)

        // Without it, Vault's 403 on the write says the same.
        let bare = try await client(mount: mount, token: try await token(policies: [policy], defaultPolicy: false))
        for key in ["new", "existing"] {
            do {
                try await bare.pushSecret(.allKeys(["a": Data(canary.utf8)]), to: PushTarget(remoteKey: key))
                Issue.record("expected access denied")
            } catch let error as ProviderError {
                #expect(error.code == .accessDenied)
                #expect(error.message.contains(#"write secret "\#(key)": permission denied"#), "\(error.message)")
                #expect(
                    error.message.contains(#"must grant "create" and "update" on "\#(mount)/data/\#(key)""#),
                    "\(error.message)")
                #expect(!error.message.contains(canary))
            }
        }
        #expect(try await kv2Metadata(mount, "new") == nil)
        #expect(try await kv2Data(mount, "existing") == ["a": Data("1".utf8)])
        do {
            try await bare.deleteSecret(PushTarget(remoteKey: "existing"))
            Issue.record("expected access denied")
        } catch let error as ProviderError {
            #expect(error.code == .accessDenied)
            #expect(
                error.message.contains(#"must grant "delete" on "\#(mount)/metadata/existing""#), "\(error.message)")
        }
        for client in [root, reader, bare] { await client.close() }
    }

    @Test func aConcurrentWriterIsNotClobbered() async throws {
        let bao = try currentBao()
        let mount = unique("push")
        try await bao.mount(mount)
        let plain = try await client(mount: mount)
        try await plain.pushSecret(.allKeys(["a": Data("1".utf8)]), to: PushTarget(remoteKey: "db"))
        await plain.close()

        // Another writer updates the secret right before this client's write reaches Vault.
        let racer = try await client(mount: mount) { request in
            guard request.method == .POST, request.url.hasSuffix("/v1/\(mount)/data/db") else { return }
            try await bao.must(.POST, "\(mount)/data/db", ["data": ["a": "theirs"]])
        }
        do {
            try await racer.pushSecret(.allKeys(["a": Data("mine".utf8)]), to: PushTarget(remoteKey: "db"))
            Issue.record("expected a check-and-set failure")
        } catch let error as ProviderError {
            #expect(error.code == .conflict)
            #expect(error.message.contains("check-and-set"), "\(error.message)")
        }
        #expect(try await kv2Data(mount, "db") == ["a": Data("theirs".utf8)])
        #expect(try await kv2Metadata(mount, "db")?.version == 2)
        await racer.close()
    }

    // MARK: - KV v1

    @Test func kv1KeepsTheMarkerInTheSecretAndRefusesOthers() async throws {
        let bao = try currentBao()
        let mount = unique("push1")
        try await bao.mount(mount, version: "1")
        try await bao.writeKV1(mount: mount, "theirs", ["password": canary])
        let client = try await client(mount: mount, version: .v1)

        try await client.pushSecret(.value(Data("app".utf8)), to: PushTarget(remoteKey: "db", property: "user"))
        try await client.pushSecret(.value(Data(canary.utf8)), to: PushTarget(remoteKey: "db", property: "password"))
        let secret = try #require(try await kv1Secret(mount, "db"))
        #expect(secret["custom_metadata"] as? [String: String] == Self.marker)
        #expect((secret["user"] as? String).map { Data($0.utf8) } == Data("app".utf8))
        #expect((secret["password"] as? String).map { Data($0.utf8) } == Data(canary.utf8))
        #expect(try await client.secretExists(PushTarget(remoteKey: "db", property: "user")))

        // Read back as an ExternalSecret would: the marker is a field of the secret (as with ESO).
        let read = try await client.getSecretMap(ExternalSecretDataRemoteRef(key: "db"))
        #expect(Set(read.keys) == ["user", "password", "custom_metadata"])

        do {
            try await client.pushSecret(.value(Data("x".utf8)), to: PushTarget(remoteKey: "theirs", property: "p"))
            Issue.record("expected notManaged")
        } catch let error as ProviderError {
            #expect(error.code == .notManaged)
        }
        await #expect(throws: ProviderError.self) { try await client.deleteSecret(PushTarget(remoteKey: "theirs")) }
        let theirs = try #require(try await kv1Secret(mount, "theirs"))
        #expect(theirs.count == 1 && (theirs["password"] as? String).map { Data($0.utf8) } == Data(canary.utf8))

        try await client.deleteSecret(PushTarget(remoteKey: "db", property: "password"))
        #expect(Set(try #require(try await kv1Secret(mount, "db")).keys) == ["user", "custom_metadata"])
        try await client.deleteSecret(PushTarget(remoteKey: "db", property: "user"))
        #expect(try await kv1Secret(mount, "db") == nil)
        #expect(try await !client.secretExists(PushTarget(remoteKey: "db")))
        await client.close()
    }
}
