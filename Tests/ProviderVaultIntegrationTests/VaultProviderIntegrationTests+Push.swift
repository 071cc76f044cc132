import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import KubeClient
import KubeModel
import KubeTestSupport
import OperatorTestSupport
import ProviderKit
import Testing
import VaultTestSupport

/// PushSecret end to end: the operator as a process pushes Kubernetes Secrets to OpenBao through
/// a Vault SecretStore. What Vault holds is read back with the root token and compared as `Data`.
extension VaultProviderIntegrationTests {
    /// A policy that may read and write the KV v2 mount `mount` (data and metadata) and check it.
    func writePolicy(_ name: String, mount: String) async throws {
        try await currentBao().policy(
            name,
            """
            path "\(mount)/*" { capabilities = ["create", "read", "update", "delete", "list"] }
            path "sys/internal/ui/mounts/\(mount)" { capabilities = ["read"] }
            """)
    }

    func pushSecret(
        _ name: String, store: String, data: [PushSecretData], deletionPolicy: PushSecretDeletionPolicy? = .delete
    ) -> PushSecret {
        PushSecret(
            metadata: ObjectMeta(name: name),
            spec: PushSecretSpec(
                secretStoreRefs: [PushSecretStoreRef(name: store, kind: .secretStore)], deletionPolicy: deletionPolicy,
                selector: PushSecretSelector(secret: PushSecretSecretSelector(name: "source")), data: data))
    }

    func push(_ secretKey: String?, to remoteKey: String, property: String? = nil) -> PushSecretData {
        PushSecretData(
            match: PushSecretMatch(
                secretKey: secretKey, remoteRef: PushSecretRemoteRef(remoteKey: remoteKey, property: property)))
    }

    /// The data of a KV v2 secret as bytes (nil when it has none), and its current version.
    func stored(_ mount: String, _ key: String) async throws -> (data: [String: Data]?, version: Int?) {
        let bao = try currentBao()
        let read = try await bao.call(.GET, "\(mount)/data/\(key)")
        var data: [String: Data]?
        if read.status == 200, let json = read.json as? [String: Any], let outer = json["data"] as? [String: Any],
            let secret = outer["data"] as? [String: Any]
        {
            data = secret.mapValues { Data(((($0 as? String) ?? "\($0)")).utf8) }
        }
        let metadata = try await bao.call(.GET, "\(mount)/metadata/\(key)")
        return (data, metadata.data("current_version").flatMap { Int($0) })
    }

    @Test func aPushSecretWritesToOpenBaoFollowsItsSourceAndDeletesWhatItWrote() async throws {
        let bao = try currentBao()
        let mount = unique("pushkv")
        try await bao.mount(mount)
        let policy = unique("pusher")
        try await writePolicy(policy, mount: mount)

        try await withOperator("vault-push") { client, namespace, process in
            try await tokenSecret(client, namespace, "vault-token", policy: policy)
            _ = try await client.api(SecretStore.self, namespace: namespace).create(
                try vaultStore(
                    "vault", path: mount, auth: VaultAuth(tokenSecretRef: secretKey("vault-token", "token"))))
            try await createSecret(client, namespace, "source", ["password": canary, "user": "app"])
            let pushSecrets = client.api(PushSecret.self, namespace: namespace)
            _ = try await pushSecrets.create(
                pushSecret(
                    "push", store: "vault",
                    data: [
                        push("password", to: "app/db", property: "password"),
                        push("user", to: "app/db", property: "user"),
                        push(nil, to: "app/all"),
                    ]))
            #expect(
                try await waitForPushReady(client, namespace, "push", message: PushSecretNames.messageSynced),
                "log: \(process.log.suffix(3000))")

            var db = try await stored(mount, "app/db")
            #expect(db.data == ["password": Data(canary.utf8), "user": Data("app".utf8)])
            #expect(
                try await stored(mount, "app/all").data == ["password": Data(canary.utf8), "user": Data("app".utf8)])
            #expect(
                try await bao.call(.GET, "\(mount)/metadata/app/db").json.flatMap {
                    (($0 as? [String: Any])?["data"] as? [String: Any])?["custom_metadata"] as? [String: String]
                } == ["managed-by": "external-secrets"])
            let versionBefore = try #require(db.version)

            // The source changes (the operator watches source Secrets): only the changed property
            // is written, as one new version.
            let rotated = "rotated-\(canary)"
            let secrets = client.api(Secret.self, namespace: namespace)
            var source = try await secrets.get("source")
            source.data?["password"] = Data(rotated.utf8)
            _ = try await secrets.replace(source)
            #expect(
                try await eventually(timeout: .seconds(60)) {
                    try await stored(mount, "app/db").data?["password"] == Data(rotated.utf8)
                }, "log: \(process.log.suffix(3000))")
            #expect(try await waitForPushReady(client, namespace, "push", message: PushSecretNames.messageSynced))
            db = try await stored(mount, "app/db")
            #expect(db.data == ["password": Data(rotated.utf8), "user": Data("app".utf8)])
            #expect(db.version == versionBefore + 1)
            #expect(try await stored(mount, "app/all").data?["password"] == Data(rotated.utf8))

            let statusJSON = try KubeJSON.encoder.encode(try await pushSecrets.get("push").status)
            #expect(!String(decoding: statusJSON, as: UTF8.self).contains(canary), "status shows a secret value")
            try await expectNoLeak(client, namespace, process)

            // Deleting the PushSecret (deletionPolicy Delete) deletes every secret it wrote.
            try await pushSecrets.delete("push")
            #expect(
                try await eventually(timeout: .seconds(60)) { try await pushSecrets.getIfExists("push") == nil },
                "log: \(process.log.suffix(3000))")
            #expect(try await bao.call(.GET, "\(mount)/metadata/app/db").status == 404)
            #expect(try await bao.call(.GET, "\(mount)/metadata/app/all").status == 404)
            #expect(!process.log.contains(rotated), "the operator log contains a secret value")
        }
    }

    @Test func aPushSecretNeverOverwritesAnUnmanagedSecretInOpenBao() async throws {
        let bao = try currentBao()
        let mount = unique("pushkv")
        try await bao.mount(mount)
        try await bao.writeKV2(mount: mount, "theirs", ["password": "their-\(canary)"])
        let policy = unique("pusher")
        try await writePolicy(policy, mount: mount)

        try await withOperator("vault-push-guard") { client, namespace, process in
            try await tokenSecret(client, namespace, "vault-token", policy: policy)
            _ = try await client.api(SecretStore.self, namespace: namespace).create(
                try vaultStore(
                    "vault", path: mount, auth: VaultAuth(tokenSecretRef: secretKey("vault-token", "token"))))
            try await createSecret(client, namespace, "source", ["password": canary])
            let pushSecrets = client.api(PushSecret.self, namespace: namespace)
            _ = try await pushSecrets.create(
                pushSecret("guarded", store: "vault", data: [push("password", to: "theirs", property: "password")]))
            #expect(
                try await waitForPushReady(
                    client, namespace, "guarded", status: "False", message: "not managed by external-secrets"),
                "log: \(process.log.suffix(3000))")
            let ready = try await pushSecrets.get("guarded").status?.conditions?.condition(
                ofType: ESONames.conditionReady)
            #expect(ready?.reason == PushSecretNames.reasonErrored)
            #expect(ready?.message?.contains(#"secret "theirs""#) == true, "\(ready?.message ?? "")")

            let theirs = try await stored(mount, "theirs")
            #expect(theirs.data == ["password": Data("their-\(canary)".utf8)])
            #expect(theirs.version == 1)
            try await expectNoLeak(client, namespace, process)

            // Deleting the refused PushSecret deletes nothing and is not blocked.
            try await pushSecrets.delete("guarded")
            #expect(try await eventually(timeout: .seconds(60)) { try await pushSecrets.getIfExists("guarded") == nil })
            #expect(try await stored(mount, "theirs").data == ["password": Data("their-\(canary)".utf8)])
        }
    }
}
