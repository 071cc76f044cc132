import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import KubeClient
import KubeModel
import KubeTestSupport
import OperatorTestSupport
import ProviderKit
import Testing

/// PushSecret through the operator as a process, on the real control plane, with the fake
/// provider: what a PushSecret writes is read back by ExternalSecrets on the same store (the fake
/// provider keeps pushed values in the operator's memory). Values are compared as `Data`.
@Suite(.controlPlane, .serialized) struct PushSecretSyncTests {
    func withOperator(_ prefix: String, _ body: (KubeClient, String, TestProcess) async throws -> Void) async throws {
        let plane = try currentPlane()
        try await withAdminClient { client in
            try await installCRDs(client)
            let namespace = try await makeNamespace(client, prefix: prefix)
            let stores = client.api(SecretStore.self, namespace: namespace)
            _ = try await stores.create(fakeStore("fake", data: [FakeProviderData(key: "unmanaged", value: "static-value")]))
            _ = try await stores.create(fakeStore("other", data: []))
            let process = try await runOperator(plane, name: prefix, arguments: ["--namespace", namespace]) { process in
                try await body(client, namespace, process)
            }
            #expect(!process.log.contains(canary), "the operator log shows a secret value")
            #expect(try await !eventTexts(client, namespace).joined().contains(canary), "an Event shows a secret value")
        }
    }

    func pushSecret(
        _ name: String, stores: [String], data: [PushSecretData], deletionPolicy: PushSecretDeletionPolicy? = nil,
        source: String = "source", updatePolicy: PushSecretUpdatePolicy? = nil
    ) -> PushSecret {
        PushSecret(
            metadata: ObjectMeta(name: name),
            spec: PushSecretSpec(
                secretStoreRefs: stores.map { PushSecretStoreRef(name: $0, kind: .secretStore) },
                updatePolicy: updatePolicy, deletionPolicy: deletionPolicy,
                selector: PushSecretSelector(secret: PushSecretSecretSelector(name: source)), data: data))
    }

    func push(_ secretKey: String?, to remoteKey: String, property: String? = nil) -> PushSecretData {
        PushSecretData(
            match: PushSecretMatch(secretKey: secretKey, remoteRef: PushSecretRemoteRef(remoteKey: remoteKey, property: property)))
    }

    /// An ExternalSecret that mirrors every pushed key (`pushed-*`) of `store` into a Secret of the
    /// same name, refreshed every second; deleted when nothing matches.
    func mirror(_ name: String, store: String) -> ExternalSecret {
        externalSecret(
            name, store: store, target: ExternalSecretTarget(creationPolicy: .owner, deletionPolicy: .delete),
            dataFrom: [ExternalSecretDataFromRemoteRef(find: ExternalSecretFind(name: FindName(regexp: "^pushed-")))],
            refreshInterval: "1s")
    }

    @Test func pushesFollowsTheSourceDeletesRemovedEntriesAndKeepsAbandonedStores() async throws {
        try await withOperator("push") { client, namespace, process in
            let secrets = client.api(Secret.self, namespace: namespace)
            let pushSecrets = client.api(PushSecret.self, namespace: namespace)
            _ = try await secrets.create(
                Secret(metadata: ObjectMeta(name: "source"), data: ["password": Data(canary.utf8), "user": Data("app".utf8)]))
            _ = try await pushSecrets.create(
                pushSecret(
                    "push", stores: ["fake"],
                    data: [
                        push("password", to: "pushed-password"), push(nil, to: "pushed-all"),
                        push("user", to: "pushed-json", property: "user"),
                    ],
                    deletionPolicy: .delete))
            #expect(try await waitForPushReady(client, namespace, "push", message: PushSecretNames.messageSynced), "log: \(process.log.suffix(3000))")

            let pushed = try await pushSecrets.get("push")
            #expect(pushed.metadata.finalizers?.contains(PushSecretNames.finalizer) == true)
            #expect(pushed.status?.conditions?.first?.reason == "Synced")
            #expect(
                pushed.status?.syncedPushSecrets?["SecretStore/fake"].map { Set($0.keys) }
                    == ["pushed-password", "pushed-all", "pushed-json/user"])
            let statusJSON = try KubeJSON.encoder.encode(pushed.status)
            #expect(!String(decoding: statusJSON, as: UTF8.self).contains(canary), "status shows a secret value")
            #expect(pushed.status?.syncedResourceVersion?.hasPrefix("\(pushed.metadata.generation ?? 0)-") == true)

            // An ExternalSecret on the same store reads what was pushed.
            _ = try await client.api(ExternalSecret.self, namespace: namespace).create(mirror("mirror", store: "fake"))
            #expect(try await waitForReady(client, namespace, "mirror"), "log: \(process.log.suffix(3000))")
            var mirrored = try await secrets.get("mirror").data ?? [:]
            #expect(mirrored["pushed-password"] == Data(canary.utf8))
            #expect(mirrored["pushed-all"] == Data(#"{"password":"\#(canary)","user":"app"}"#.utf8))
            #expect(mirrored["pushed-json"] == Data(#"{"user":"app"}"#.utf8))

            // The source changes: it is pushed at once (the watch on source Secrets), not after the
            // hour-long refresh interval.
            let rotated = "rotated-\(canary)"
            var source = try await secrets.get("source")
            source.data?["password"] = Data(rotated.utf8)
            _ = try await secrets.replace(source)
            #expect(try await eventually { try await secrets.get("mirror").data?["pushed-password"] == Data(rotated.utf8) })

            // An entry removed from the spec is deleted from the store (deletionPolicy Delete).
            try await update(pushSecrets, "push") { ps in
                ps.spec.data = [push(nil, to: "pushed-all"), push("user", to: "pushed-json", property: "user")]
            }
            #expect(try await eventually { try await secrets.get("mirror").data?["pushed-password"] == nil })
            mirrored = try await secrets.get("mirror").data ?? [:]
            #expect(mirrored["pushed-all"] != nil && mirrored["pushed-json"] != nil)
            #expect(try await pushSecrets.get("push").status?.syncedPushSecrets?["SecretStore/fake"]?["pushed-password"] == nil)

            // The store is changed: the old store's remote secrets stay (ESO#5062), the new one gets them.
            try await update(pushSecrets, "push") { ps in
                ps.spec.secretStoreRefs = [PushSecretStoreRef(name: "other", kind: .secretStore)]
            }
            #expect(try await eventually {
                try await pushSecrets.get("push").status?.syncedPushSecrets.map { Set($0.keys) } == ["SecretStore/other"]
            })
            _ = try await client.api(ExternalSecret.self, namespace: namespace).create(mirror("mirror-other", store: "other"))
            #expect(try await waitForReady(client, namespace, "mirror-other"), "log: \(process.log.suffix(3000))")
            // The mirror of the old store refreshes every second: after one more refresh it still
            // holds what was pushed there.
            #expect(try await waitForCompletedSyncs(process, namespace: namespace, name: "mirror"))
            mirrored = try await secrets.get("mirror").data ?? [:]
            #expect(mirrored["pushed-all"] != nil && mirrored["pushed-json"] != nil, "the old store's secrets were deleted")
            #expect(
                try await eventually {
                    try await eventTexts(client, namespace).contains { $0.contains("SecretStore/fake is no longer listed") }
                })

            // An edit of the store pushes again at once (refreshInterval is an hour).
            let lastPush = try await pushSecrets.get("push").status?.refreshTime
            try await Task.sleep(for: .milliseconds(1100))  // refreshTime has a resolution of seconds
            _ = try await client.api(SecretStore.self, namespace: namespace).patch(
                "other", .merge(["spec": ["provider": ["fake": ["data": [["key": "static", "value": "v"]]]]]]))
            #expect(
                try await eventually { try await pushSecrets.get("push").status?.refreshTime != lastPush },
                "a store edit did not push again")

            // Deleting the PushSecret deletes what it wrote to its current store, then releases it.
            try await pushSecrets.delete("push")
            #expect(try await eventually { try await pushSecrets.getIfExists("push") == nil }, "log: \(process.log.suffix(3000))")
            #expect(try await eventually { try await secrets.getIfExists("mirror-other") == nil }, "the pushed secrets were not deleted")
            #expect(try await secrets.get("mirror").data?["pushed-all"] != nil)
        }
    }

    @Test func neverOverwritesAnUnmanagedRemoteSecretAndReportsAMissingSource() async throws {
        try await withOperator("push-guard") { client, namespace, process in
            let secrets = client.api(Secret.self, namespace: namespace)
            let pushSecrets = client.api(PushSecret.self, namespace: namespace)
            _ = try await secrets.create(Secret(metadata: ObjectMeta(name: "source"), data: ["password": Data(canary.utf8)]))
            _ = try await pushSecrets.create(
                pushSecret("guarded", stores: ["fake"], data: [push("password", to: "unmanaged")], deletionPolicy: .delete))
            #expect(
                try await waitForPushReady(client, namespace, "guarded", status: "False", message: "not managed by external-secrets"),
                "log: \(process.log.suffix(3000))")
            let guarded = try await pushSecrets.get("guarded")
            #expect(guarded.status?.conditions?.first?.reason == PushSecretNames.reasonErrored)

            // The remote secret still holds its own value.
            _ = try await client.api(ExternalSecret.self, namespace: namespace).create(
                externalSecret("reader", data: [entry("value", "unmanaged")]))
            #expect(try await waitForReady(client, namespace, "reader"))
            #expect(try await secrets.get("reader").data?["value"] == Data("static-value".utf8))

            // IfNotExists leaves the existing remote secret alone and says so.
            _ = try await pushSecrets.create(
                pushSecret("if-absent", stores: ["fake"], data: [push("password", to: "unmanaged")], updatePolicy: .ifNotExists))
            #expect(try await waitForPushReady(client, namespace, "if-absent", message: "Existing secrets in providers unchanged"))

            // A source Secret that does not exist.
            _ = try await pushSecrets.create(
                pushSecret("no-source", stores: ["fake"], data: [push("password", to: "pushed-x")], source: "absent"))
            #expect(try await waitForPushReady(client, namespace, "no-source", status: "False", message: PushSecretNames.messageSourceMissing))

            // Deleting the refused PushSecret deletes nothing it did not write and is not blocked.
            try await pushSecrets.delete("guarded")
            #expect(try await eventually { try await pushSecrets.getIfExists("guarded") == nil })
            #expect(try await secrets.get("reader").data?["value"] == Data("static-value".utf8))
        }
    }
}
