import ExternalSecretsAPI
import Foundation
import HTTPSupport
import HTTPTestSupport
import NIOHTTP1
import ProviderKit
import ProviderTestSupport
import Testing

@testable import ProviderVault

/// The client's PushSecret calls against a scripted Vault: the requests sent, check-and-set, the
/// managed-by guard and the errors.
@Suite struct PushClientTests {
    static let markerMetadata =
        #"{"data":{"current_version":3,"custom_metadata":{"managed-by":"external-secrets"}}}"#

    /// A scripted KV v2 Vault with AppRole login and a permissive capability check.
    func scriptedVault() -> ScriptedVault {
        let vault = ScriptedVault()
        vault.on("POST auth/approle/login", json: ScriptedVault.login("token-1"))
        vault.on("POST auth/token/revoke-self") { _ in .respond(.noContent) }
        vault.on("POST sys/capabilities-self") { request in
            let body = String(decoding: request.body ?? [], as: UTF8.self)
            let paths = body.contains("secret/data/") ? ["secret/data/db", "secret/metadata/db"] : []
            let entries = paths.map { #""\#($0)":["create","read","update"]"# }.joined(separator: ",")
            return .respond(.ok, body: Array(#"{"data":{\#(entries)}}"#.utf8))
        }
        return vault
    }

    func client(_ vault: ScriptedVault, version: VaultKVStoreVersion? = nil, path: String = "secret") async throws
        -> any SecretsClient
    {
        try await vault.provider().makeClient(
            for: store(appRoleVault(path: path, version: version)), references: appRoleReferences())
    }

    /// The body of the last request `key`, as bytes (so a failed comparison prints no value).
    func body(_ vault: ScriptedVault, _ key: String) -> Data? {
        vault.transport.requests.last { ScriptedVault.key($0) == key }.map { Data($0.body ?? []) }
    }

    /// The requests sent after the login.
    func writes(_ vault: ScriptedVault) -> [String] {
        vault.sent.filter { !$0.hasPrefix("POST auth/") && !$0.hasPrefix("GET ") }
    }

    @Test func aNewSecretIsCreatedWithCheckAndSetZeroThenMarked() async throws {
        let vault = scriptedVault()
        vault.on("POST secret/data/db", json: #"{"data":{"version":1}}"#)
        vault.on("POST secret/metadata/db") { _ in .respond(.noContent) }
        let client = try await client(vault)
        try await client.pushSecret(
            .allKeys(["user": Data("app".utf8), "password": Data("pw".utf8)]), to: PushTarget(remoteKey: "db"))
        #expect(
            vault.sent == [
                "POST auth/approle/login", "GET secret/metadata/db", "POST sys/capabilities-self",
                "POST secret/data/db", "POST secret/metadata/db",
            ])
        #expect(
            body(vault, "POST secret/data/db")
                == Data(#"{"data":{"password":"pw","user":"app"},"options":{"cas":0}}"#.utf8))
        #expect(
            body(vault, "POST secret/metadata/db")
                == Data(#"{"custom_metadata":{"managed-by":"external-secrets"}}"#.utf8))
    }

    @Test func anUpdateSendsTheVersionReadAndAnUnchangedValueIsNotWritten() async throws {
        let vault = scriptedVault()
        vault.on("GET secret/metadata/db", json: Self.markerMetadata)
        vault.on("GET secret/data/db") { request in
            #expect(request.url.hasSuffix("?version=3"))
            return .respond(.ok, body: Array(ScriptedVault.kv2(#"{"user":"app","password":"old"}"#, version: 3).utf8))
        }
        vault.on("POST secret/data/db", json: #"{"data":{"version":4}}"#)
        let client = try await client(vault)

        try await client.pushSecret(.value(Data("old".utf8)), to: PushTarget(remoteKey: "db", property: "password"))
        #expect(writes(vault).isEmpty)

        try await client.pushSecret(.value(Data("new".utf8)), to: PushTarget(remoteKey: "db", property: "password"))
        #expect(writes(vault) == ["POST secret/data/db"])
        #expect(
            body(vault, "POST secret/data/db")
                == Data(#"{"data":{"password":"new","user":"app"},"options":{"cas":3}}"#.utf8))
    }

    @Test func aSecretWithoutTheMarkerIsLeftAloneAndItsDataNotRead() async throws {
        let vault = scriptedVault()
        vault.on("GET secret/metadata/db", json: #"{"data":{"current_version":2,"custom_metadata":{"owner":"ops"}}}"#)
        let client = try await client(vault)
        for call in 0..<2 {
            do {
                if call == 0 {
                    try await client.pushSecret(.value(Data(#"{"a":"b"}"#.utf8)), to: PushTarget(remoteKey: "db"))
                } else {
                    try await client.deleteSecret(PushTarget(remoteKey: "db"))
                }
                Issue.record("expected notManaged")
            } catch let error as ProviderError {
                #expect(error.code == .notManaged)
                #expect(error.message.contains(#"secret "db""#))
            }
        }
        #expect(vault.sent.allSatisfy { $0 == "POST auth/approle/login" || $0 == "GET secret/metadata/db" })
    }

    @Test func aConcurrentWriteIsAClearRetryableError() async throws {
        let vault = scriptedVault()
        vault.on("GET secret/metadata/db", json: Self.markerMetadata)
        vault.on("GET secret/data/db", json: ScriptedVault.kv2(#"{"a":"1"}"#, version: 3))
        vault.on(
            "POST secret/data/db", status: .badRequest,
            json: #"{"errors":["check-and-set parameter did not match the current version"]}"#)
        let client = try await client(vault)
        do {
            try await client.pushSecret(.value(Data(#"{"a":"2"}"#.utf8)), to: PushTarget(remoteKey: "db"))
            Issue.record("expected a check-and-set failure")
        } catch let error as ProviderError {
            #expect(error.code == .conflict)
            #expect(error.message.contains("changed in Vault after version 3 was read"))
            #expect(error.message.contains("retried"))
        }
        #expect(vault.count("POST secret/data/db") == 1)  // a 400 is not retried
    }

    @Test func aRefusedWriteNamesThePathAndTheCapabilityAndNeverTheValue() async throws {
        let vault = scriptedVault()
        vault.on("GET secret/metadata/db", json: Self.markerMetadata)
        vault.on("GET secret/data/db", json: ScriptedVault.kv2(#"{"a":"1"}"#, version: 3))
        vault.on("POST secret/data/db") { request in
            // A server that echoes what it was sent.
            let sent = String(decoding: request.body ?? [], as: UTF8.self).replacingOccurrences(of: "\"", with: "'")
            return .respond(.forbidden, body: Array(#"{"errors":["permission denied: \#(sent)"]}"#.utf8))
        }
        vault.on("GET auth/token/lookup-self", json: #"{"data":{"ttl":100}}"#)
        let client = try await client(vault)
        do {
            try await client.pushSecret(.value(Data(canary.utf8)), to: PushTarget(remoteKey: "db", property: "a"))
            Issue.record("expected access denied")
        } catch let error as ProviderError {
            #expect(error.code == .accessDenied)
            #expect(error.message.contains(#"write secret "db": permission denied"#))
            #expect(error.message.contains(#"must grant "create" and "update" on "secret/data/db""#))
            #expect(!error.message.contains(canary))
        }
    }

    @Test func aPolicyThatCannotCreateIsFoundBeforeAnythingIsWritten() async throws {
        let vault = scriptedVault()
        vault.on(
            "POST sys/capabilities-self",
            json: #"{"data":{"secret/data/db":["create","update"],"secret/metadata/db":["read"]}}"#)
        let client = try await client(vault)
        do {
            try await client.pushSecret(.value(Data(#"{"a":"b"}"#.utf8)), to: PushTarget(remoteKey: "db"))
            Issue.record("expected access denied")
        } catch let error as ProviderError {
            #expect(error.code == .accessDenied)
            #expect(error.message.contains(#""update" on "secret/metadata/db""#))
            #expect(error.message.contains("nothing was written"))
        }
        #expect(vault.count("POST secret/data/db") == 0 && vault.count("POST secret/metadata/db") == 0)

        // A token that may not ask about its capabilities: the writes themselves tell.
        let quiet = scriptedVault()
        quiet.on("POST sys/capabilities-self", status: .forbidden, json: #"{"errors":["permission denied"]}"#)
        quiet.on("GET auth/token/lookup-self", json: #"{"data":{"ttl":100}}"#)
        quiet.on("POST secret/data/db", json: #"{"data":{"version":1}}"#)
        quiet.on("POST secret/metadata/db", status: .forbidden, json: #"{"errors":["permission denied"]}"#)
        let quietClient = try await self.client(quiet)
        do {
            try await quietClient.pushSecret(.value(Data(#"{"a":"b"}"#.utf8)), to: PushTarget(remoteKey: "db"))
            Issue.record("expected access denied")
        } catch let error as ProviderError {
            #expect(error.code == .accessDenied)
            #expect(error.message.contains(#"must grant "update" on "secret/metadata/db""#))
            #expect(error.message.contains("created without its managed-by marker"))
        }
    }

    @Test func deleteRemovesOnlyWhatPushWrote() async throws {
        let vault = scriptedVault()
        vault.on("GET secret/metadata/db", json: Self.markerMetadata)
        vault.on("GET secret/data/db", json: ScriptedVault.kv2(#"{"user":"app","password":"pw"}"#, version: 3))
        vault.on("POST secret/data/db", json: #"{"data":{"version":4}}"#)
        vault.on("DELETE secret/metadata/db") { _ in .respond(.noContent) }
        let client = try await client(vault)

        try await client.deleteSecret(PushTarget(remoteKey: "db", property: "password"))
        #expect(writes(vault) == ["POST secret/data/db"])
        #expect(body(vault, "POST secret/data/db") == Data(#"{"data":{"user":"app"},"options":{"cas":3}}"#.utf8))

        try await client.deleteSecret(PushTarget(remoteKey: "db", property: "absent"))
        #expect(writes(vault) == ["POST secret/data/db"])

        try await client.deleteSecret(PushTarget(remoteKey: "db"))
        #expect(writes(vault) == ["POST secret/data/db", "DELETE secret/metadata/db"])

        // Nothing there: nothing to do, no error.
        try await client.deleteSecret(PushTarget(remoteKey: "gone"))
        #expect(vault.count("DELETE secret/metadata/gone") == 0)
    }

    @Test func existsLooksAtTheSecretAndItsProperty() async throws {
        let vault = scriptedVault()
        vault.on("GET secret/data/db", json: ScriptedVault.kv2(#"{"user":"app","nested":{"a":"b"}}"#))
        vault.on("GET secret/data/deleted", status: .notFound, json: #"{"data":{"data":null}}"#)
        let client = try await client(vault)
        #expect(try await client.secretExists(PushTarget(remoteKey: "db")))
        #expect(try await client.secretExists(PushTarget(remoteKey: "db", property: "user")))
        #expect(try await client.secretExists(PushTarget(remoteKey: "db", property: "nested.a")))
        #expect(try await !client.secretExists(PushTarget(remoteKey: "db", property: "password")))
        #expect(try await !client.secretExists(PushTarget(remoteKey: "deleted")))
        #expect(try await !client.secretExists(PushTarget(remoteKey: "missing")))
    }

    @Test func kv1WritesTheMarkerIntoTheSecretAndDeletesIt() async throws {
        let vault = scriptedVault()
        vault.on("POST kv/db") { _ in .respond(.noContent) }
        vault.on("GET kv/legacy", json: #"{"data":{"user":"someone"}}"#)
        vault.on("GET kv/mine", json: #"{"data":{"user":"app","custom_metadata":{"managed-by":"external-secrets"}}}"#)
        vault.on("DELETE kv/mine") { _ in .respond(.noContent) }
        let client = try await client(vault, version: .v1, path: "kv")

        try await client.pushSecret(.value(Data(#"{"user":"app"}"#.utf8)), to: PushTarget(remoteKey: "db"))
        #expect(
            body(vault, "POST kv/db")
                == Data(#"{"custom_metadata":{"managed-by":"external-secrets"},"user":"app"}"#.utf8))
        #expect(vault.count("POST sys/capabilities-self") == 0)

        await #expect(throws: ProviderError(.notManaged, VaultPushPlan.notManaged("legacy").message)) {
            try await client.pushSecret(.value(Data("x".utf8)), to: PushTarget(remoteKey: "legacy", property: "p"))
        }
        await #expect(throws: ProviderError.self) { try await client.deleteSecret(PushTarget(remoteKey: "legacy")) }
        #expect(vault.count("POST kv/legacy") == 0 && vault.count("DELETE kv/legacy") == 0)

        try await client.pushSecret(.value(Data(#"{"user":"app"}"#.utf8)), to: PushTarget(remoteKey: "mine"))
        #expect(vault.count("POST kv/mine") == 0)
        try await client.deleteSecret(PushTarget(remoteKey: "mine", property: "user"))
        #expect(vault.count("DELETE kv/mine") == 1)
    }

    @Test func keysThatLeaveTheMountAndUnreadableClientsAreRefused() async throws {
        let vault = scriptedVault()
        let client = try await client(vault)
        for key in ["", "../sys/policies/acl/x", "a/./b"] {
            await #expect(throws: ProviderError.self) {
                try await client.pushSecret(.value(Data("{}".utf8)), to: PushTarget(remoteKey: key))
            }
        }
        #expect(vault.sent == ["POST auth/approle/login"])

        let referent = VaultProvider(
            server: "https://v", auth: VaultAuth(tokenSecretRef: SecretKeySelector(name: "a", key: "b")))
        let unknown = try await vault.provider().makeClient(
            for: store(referent, kind: .clusterSecretStore), references: FakeReferences())
        await #expect(throws: ProviderError.self) { try await unknown.secretExists(PushTarget(remoteKey: "db")) }
        do {
            try await unknown.pushSecret(.value(Data()), to: PushTarget(remoteKey: "db"))
            Issue.record("expected the referent client to refuse")
        } catch let error as ProviderError {
            #expect(error.code == .invalidConfiguration)
        }
        #expect(VaultSecretsProvider().capabilities == .readWrite)
    }
}
