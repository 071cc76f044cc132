import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import KubeClient
import KubeModel
import KubeTestSupport
import OperatorTestSupport
import ProviderKit
import Testing

/// The operator as a process against the real control plane, with the fake provider. Values are
/// compared as `Data` (which prints as a byte count), so a failure never prints a value.
@Suite(.controlPlane, .serialized) struct ExternalSecretSyncTests {
    /// Creates a namespace with a fake store and runs the operator for it. When `body` is done,
    /// every Ready ExternalSecret it left must render offline (`render --live`) to the Secret the
    /// controller wrote, except those in `renderSkipping` (the caller says why).
    func withOperator(
        _ prefix: String, storeData: [FakeProviderData], arguments: [String] = [], renderSkipping: Set<String> = [],
        _ body: (KubeClient, String, TestProcess) async throws -> Void
    ) async throws {
        let plane = try currentPlane()
        try await withAdminClient { client in
            try await installCRDs(client)
            let namespace = try await makeNamespace(client, prefix: prefix)
            _ = try await client.api(SecretStore.self, namespace: namespace).create(fakeStore("fake", data: storeData))
            try await runOperator(plane, name: prefix, arguments: ["--namespace", namespace] + arguments) { process in
                try await body(client, namespace, process)
                let mismatches = try await renderMismatches(plane, client, namespace: namespace, skipping: renderSkipping)
                #expect(mismatches.isEmpty, "render --live differs from the controller: \(mismatches)")
            }
        }
    }

    @Test func syncsAndFollowsTheSourceWithESOsMarks() async throws {
        try await withOperator("sync", storeData: [FakeProviderData(key: "db", value: #"{"user":"app","password":"\#(canary)"}"#)]) {
            client, namespace, process in
            let externalSecrets = client.api(ExternalSecret.self, namespace: namespace)
            let secrets = client.api(Secret.self, namespace: namespace)
            _ = try await externalSecrets.create(
                externalSecret("db", data: [entry("password", "db", property: "password")], annotations: ["team": "a"]))
            #expect(try await waitForReady(client, namespace, "db"), "log: \(process.log.suffix(3000))")

            let secret = try await secrets.get("db")
            let es = try await externalSecrets.get("db")
            #expect(secret.data?["password"] == Data(canary.utf8))
            #expect(secret.metadata.labels?[ESONames.managedLabel] == "true")
            #expect(secret.metadata.labels?[ESONames.createdByLabel] == ESOHashes.createdBy(namespace: namespace, name: "db"))
            #expect(secret.metadata.annotations?[ESONames.dataHashAnnotation] == ESOHashes.dataHash(secret.data ?? [:]))
            #expect(secret.metadata.annotations?["team"] == "a")
            #expect(secret.metadata.ownerReferences?.first?.uid == es.metadata.uid)
            #expect(secret.metadata.managedFields?.contains { $0.manager == "externalsecrets.external-secrets.io/db" } == true)
            #expect(es.status?.binding?.name == "db")
            // ESO's version, followed by the hash of the store generations synced with.
            #expect(SyncedVersion(parsing: es.status?.syncedResourceVersion ?? "").metadata == RefreshSchedule.currentVersion(of: es))
            #expect(es.status?.refreshTime != nil)

            // Steady state: refreshes that read the same value write nothing (a second
            // ExternalSecret refreshing every second; two of its refreshes are the proof that the
            // operator looked).
            _ = try await externalSecrets.create(
                externalSecret("steady", data: [entry("password", "db", property: "password")], refreshInterval: "1s"))
            #expect(try await waitForReady(client, namespace, "steady"), "log: \(process.log.suffix(3000))")
            let steadyVersion = try await secrets.get("steady").metadata.resourceVersion
            let version = try await secrets.get("db").metadata.resourceVersion
            #expect(try await waitForCompletedSyncs(process, namespace: namespace, name: "steady", count: 2))
            #expect(try await secrets.get("steady").metadata.resourceVersion == steadyVersion)
            #expect(try await secrets.get("db").metadata.resourceVersion == version)

            // The source changes (a store edit): the Secret follows without waiting an hour.
            let rotated = "rotated-\(canary)"
            try await update(client.api(SecretStore.self, namespace: namespace), "fake") { store in
                store.spec.provider.fake?.data = [FakeProviderData(key: "db", value: #"{"password":"\#(rotated)"}"#)]
            }
            #expect(try await eventually { try await secrets.get("db").data?["password"] == Data(rotated.utf8) })

            let metrics = try await scrapeMetrics(process)
            for name in [
                "externalsecret_sync_calls_total", "externalsecret_status_condition", "externalsecret_reconcile_duration",
                "externalsecret_provider_api_calls_count", "secretstore_status_condition", "workqueue_depth",
            ] {
                #expect(metrics.contains(name), "metric \(name) missing")
            }
            #expect(!metrics.contains(canary))

            // Events are sent in the background, just after the write they report.
            var events: [String] = []
            _ = try await eventually {
                events = try await eventTexts(client, namespace)
                return events.contains { $0.hasPrefix("Updated secret updated") }
            }
            #expect(events.contains { $0.hasPrefix("Created secret created") })
            #expect(events.contains { $0.hasPrefix("Updated secret updated") })
        }
    }

    /// A store's validation writes its status; that write's own watch event validates nothing
    /// again (one reconcile, one provider validation, until something else changes).
    @Test func storeStatusPatchDoesNotValidateTheStoreAgain() async throws {
        try await withOperator("store-once", storeData: [FakeProviderData(key: "k", value: "v")]) {
            client, namespace, process in
            #expect(
                try await eventually {
                    try await client.api(SecretStore.self, namespace: namespace).get("fake").status?.conditions?
                        .condition(ofType: "Ready")?.status == "True"
                }, "log: \(process.log.suffix(3000))")
            // An ExternalSecret synced after the store's event has long been delivered.
            _ = try await client.api(ExternalSecret.self, namespace: namespace).create(
                externalSecret("after", data: [entry("value", "k")]))
            #expect(try await waitForReady(client, namespace, "after"), "log: \(process.log.suffix(3000))")
            try await Task.sleep(for: .seconds(1))
            let reconciles = metricSum(
                try await scrapeMetrics(process), "controller_runtime_reconcile_total", labels: ["controller": "secretstore"])
            #expect(reconciles == 1, "the store was reconciled \(reconciles) times")
        }
    }

    @Test func renamedTargetReplacesTheOldSecret() async throws {
        try await withOperator("rename", storeData: [FakeProviderData(key: "k", value: canary)]) { client, namespace, process in
            let secrets = client.api(Secret.self, namespace: namespace)
            let externalSecrets = client.api(ExternalSecret.self, namespace: namespace)
            _ = try await externalSecrets.create(
                externalSecret("es", target: ExternalSecretTarget(name: "first"), data: [entry("value", "k")]))
            #expect(try await waitForReady(client, namespace, "es"), "log: \(process.log.suffix(3000))")
            #expect(try await secrets.getIfExists("first") != nil)
            _ = try await externalSecrets.patch("es", .merge(["spec": ["target": ["name": "second"]]]))
            #expect(try await eventually { try await secrets.getIfExists("second")?.data?["value"] == Data(canary.utf8) })
            #expect(try await eventually { try await secrets.getIfExists("first") == nil }, "log: \(process.log.suffix(3000))")
        }
    }

    @Test func deletedTargetIsRecreatedAndHandEditIsRepaired() async throws {
        try await withOperator("repair", storeData: [FakeProviderData(key: "k", value: canary)]) { client, namespace, process in
            let secrets = client.api(Secret.self, namespace: namespace)
            _ = try await client.api(ExternalSecret.self, namespace: namespace).create(
                externalSecret("app", data: [entry("value", "k")]))
            #expect(try await waitForReady(client, namespace, "app"), "log: \(process.log.suffix(3000))")

            try await secrets.delete("app")
            #expect(try await eventually { try await secrets.getIfExists("app")?.data?["value"] == Data(canary.utf8) })

            _ = try await secrets.patch("app", .merge(["data": ["value": .string(Data("tampered".utf8).base64EncodedString())]]))
            #expect(try await eventually { try await secrets.get("app").data?["value"] == Data(canary.utf8) })
        }
    }

    @Test(arguments: [DeletionPolicy.retain, .delete, .merge])
    func remoteKeyDeleted(policy: DeletionPolicy) async throws {
        let data = [FakeProviderData(key: "a", value: "one"), FakeProviderData(key: "b", value: canary)]
        try await withOperator("gone-\(policy.rawValue.lowercased())", storeData: data) { client, namespace, process in
            let secrets = client.api(Secret.self, namespace: namespace)
            let creation: CreationPolicy = policy == .merge ? .orphan : .owner
            _ = try await client.api(ExternalSecret.self, namespace: namespace).create(
                externalSecret(
                    "es", target: ExternalSecretTarget(creationPolicy: creation, deletionPolicy: policy),
                    data: [entry("a", "a"), entry("b", "b")]))
            #expect(try await waitForReady(client, namespace, "es"), "log: \(process.log.suffix(3000))")
            let before = try await secrets.get("es")

            // Both remote keys disappear.
            try await update(client.api(SecretStore.self, namespace: namespace), "fake") { store in
                store.spec.provider.fake?.data = []
            }

            switch policy {
            case .retain:
                #expect(try await waitForReady(client, namespace, "es", status: "False", reason: ESOReason.secretSyncedError))
                let after = try await secrets.get("es")
                #expect(after.metadata.resourceVersion == before.metadata.resourceVersion, "a provider error leaves the Secret alone")
            case .delete:
                #expect(try await waitForReady(client, namespace, "es", reason: ESOReason.secretDeleted))
                #expect(try await eventually { try await secrets.getIfExists("es") == nil })
            case .merge:
                #expect(try await eventually { try await secrets.getIfExists("es").map { ($0.data ?? [:]).isEmpty } ?? false })
            }
        }
    }

    @Test func storeInvalidThenValid() async throws {
        try await withOperator("flood", storeData: [FakeProviderData(key: "k", value: canary)]) { client, namespace, process in
            let stores = client.api(SecretStore.self, namespace: namespace)
            // A merge patch, not get + replace: the operator writes the store's status meanwhile.
            _ = try await stores.patch("fake", .merge(["spec": ["provider": ["fake": ["validationResult": 2]]]]))
            _ = try await client.api(ExternalSecret.self, namespace: namespace).create(
                externalSecret("es", data: [entry("value", "k")]))
            #expect(
                try await eventually {
                    try await stores.get("fake").status?.conditions?.condition(ofType: "Ready")?.status == "False"
                }, "log: \(process.log.suffix(3000))")
            #expect(try await waitForReady(client, namespace, "es", status: "False", reason: ESOReason.secretSyncedError))
            #expect(try await readyCondition(client, namespace, "es")?.message?.contains("not ready") == true)
            #expect(try await client.api(Secret.self, namespace: namespace).getIfExists("es") == nil)

            _ = try await stores.patch("fake", .merge(["spec": ["provider": ["fake": ["validationResult": 0]]]]))
            #expect(try await waitForReady(client, namespace, "es"), "log: \(process.log.suffix(3000))")
            let ready = try await stores.get("fake").status?.conditions?.condition(ofType: "Ready")
            #expect(ready?.reason == ESOReason.storeValid)
            #expect(try await stores.get("fake").status?.capabilities == "ReadWrite")
        }
    }

    /// An ExternalSecret whose store belongs to another controller class is another operator's:
    /// not even a finalizer is added (ESO's finalizer has the same name), though deletionPolicy
    /// Delete would otherwise need one. It is the only ExternalSecret here, so a reconcile counted
    /// on /metrics is its own.
    @Test func objectOfAnotherControllerClassIsNotTouched() async throws {
        try await withOperator("other-class", storeData: []) { client, namespace, process in
            var theirs = fakeStore("theirs", data: [FakeProviderData(key: "k", value: "v")])
            theirs.spec.controller = "other"
            _ = try await client.api(SecretStore.self, namespace: namespace).create(theirs)
            let externalSecrets = client.api(ExternalSecret.self, namespace: namespace)
            _ = try await externalSecrets.create(
                externalSecret("es", store: "theirs", target: ExternalSecretTarget(deletionPolicy: .delete), data: [entry("value", "k")]))
            #expect(
                try await waitForReconciles(process, controller: "externalsecret"), "log: \(process.log.suffix(3000))")
            let es = try await externalSecrets.get("es")
            #expect(es.metadata.finalizers == nil)
            #expect(es.status == nil)
            #expect(try await client.api(Secret.self, namespace: namespace).getIfExists("es") == nil)
        }
    }

    @Test func foreignSecretIsNotTakenOverWithoutTheAnnotation() async throws {
        // Not rendered: a taken-over Secret keeps the keys it had, and `render` takes the target as absent.
        try await withOperator("foreign", storeData: [FakeProviderData(key: "k", value: canary)], renderSkipping: ["es"]) {
            client, namespace, process in
            let secrets = client.api(Secret.self, namespace: namespace)
            _ = try await secrets.create(
                Secret(metadata: ObjectMeta(name: "argocd-secret"), data: ["admin": Data("keep-me".utf8)]))
            let externalSecrets = client.api(ExternalSecret.self, namespace: namespace)
            _ = try await externalSecrets.create(
                externalSecret("es", target: ExternalSecretTarget(name: "argocd-secret"), data: [entry("value", "k")]))
            // (Until the store is validated the condition may first say the store is not ready.)
            #expect(
                try await eventually {
                    try await readyCondition(client, namespace, "es")?.message?.contains(ESONames.allowTakeoverAnnotation) == true
                }, "log: \(process.log.suffix(3000))")
            #expect(try await readyCondition(client, namespace, "es")?.reason == ESOReason.secretSyncedError)
            #expect(try await secrets.get("argocd-secret").data == ["admin": Data("keep-me".utf8)])

            _ = try await externalSecrets.patch(
                "es", .merge(["metadata": ["annotations": [.init(stringLiteral: ESONames.allowTakeoverAnnotation): "true"]]]))
            #expect(try await waitForReady(client, namespace, "es"), "log: \(process.log.suffix(3000))")
            let taken = try await secrets.get("argocd-secret")
            #expect(taken.data?["value"] == Data(canary.utf8))
            #expect(taken.data?["admin"] == Data("keep-me".utf8))
        }
    }

    /// A Secret exactly as ESO leaves it, with a synced ExternalSecret status: taking over costs no
    /// provider call and no write; after a spec change, a key ESO wrote and no longer produced is gone.
    @Test func takesOverWhatESOWroteWithoutResync() async throws {
        let plane = try currentPlane()
        try await withAdminClient { client in
            try await installCRDs(client)
            let namespace = try await makeNamespace(client, prefix: "takeover")
            _ = try await client.api(SecretStore.self, namespace: namespace).create(
                fakeStore("fake", data: [FakeProviderData(key: "k", value: "from-provider")]))
            let externalSecrets = client.api(ExternalSecret.self, namespace: namespace)
            let es = try await externalSecrets.create(externalSecret("legacy", data: [entry("value", "k")]))
            // What ESO would have written: its field manager, labels, hash and owner reference,
            // including a key "stale" from an older version of the spec.
            let manager = ESONames.fieldManager(externalSecretName: "legacy")
            let data: SecretData = ["value": Data("written-by-eso".utf8), "stale": Data("old".utf8)]
            let secrets = client.api(Secret.self, namespace: namespace)
            _ = try await secrets.create(
                Secret(
                    metadata: ObjectMeta(
                        name: "legacy", namespace: namespace,
                        labels: [ESONames.managedLabel: "true", ESONames.createdByLabel: ESOHashes.createdBy(namespace: namespace, name: "legacy")],
                        annotations: [ESONames.dataHashAnnotation: ESOHashes.dataHash(data)],
                        ownerReferences: [
                            OwnerReference(
                                apiVersion: "external-secrets.io/v1", kind: "ExternalSecret", name: "legacy",
                                uid: es.metadata.uid ?? "", controller: true, blockOwnerDeletion: true)
                        ]),
                    data: data, type: "Opaque"),
                fieldManager: manager)
            let refreshed = KubeTime(Date())
            var status = ExternalSecretStatus(
                refreshTime: refreshed, syncedResourceVersion: RefreshSchedule.currentVersion(of: es),
                conditions: [StatusCondition(type: "Ready", status: "True", reason: "SecretSynced", message: "secret synced", lastTransitionTime: refreshed)],
                binding: SecretBinding(name: "legacy"))
            let body = try KubeJSON.decoder.decode(JSONValue.self, from: KubeJSON.encoder.encode(status))
            _ = try await externalSecrets.patchStatus("legacy", .merge(["status": body]))
            let before = try await secrets.get("legacy")

            let process = try await startOperator(plane, name: "takeover", arguments: ["--namespace", namespace])
            defer { Task { await process.stop() } }
            #expect(
                try await eventually { try await client.api(SecretStore.self, namespace: namespace).get("fake").status != nil },
                "log: \(process.log.suffix(3000))")
            // The positive signal: the take-over reconcile of "legacy" (the namespace's only
            // ExternalSecret) has finished.
            #expect(
                try await waitForReconciles(process, controller: "externalsecret"), "log: \(process.log.suffix(3000))")
            let after = try await secrets.get("legacy")
            #expect(after.metadata.resourceVersion == before.metadata.resourceVersion, "no write on take-over")
            #expect(after.data?["value"] == Data("written-by-eso".utf8), "no provider call: the value is still ESO's")
            #expect(try await externalSecrets.get("legacy").status?.refreshTime?.description == refreshed.description)

            // A spec change forces a refresh: the provider's value arrives and ESO's stale key goes.
            _ = try await externalSecrets.patch("legacy", .merge(["spec": ["refreshInterval": "30m"]]))
            #expect(try await eventually { try await secrets.get("legacy").data?["value"] == Data("from-provider".utf8) })
            #expect(try await secrets.get("legacy").data?["stale"] == nil, "log: \(process.log.suffix(3000))")
            status = try await externalSecrets.get("legacy").status ?? status
            #expect(status.conditions?.condition(ofType: "Ready")?.status == "True")
            let mismatches = try await renderMismatches(plane, client, namespace: namespace)
            #expect(mismatches.isEmpty, "render --live differs from the controller: \(mismatches)")
        }
    }

    @Test func clusterStoreConditionsExcludeANamespace() async throws {
        let plane = try currentPlane()
        try await withAdminClient { client in
            try await installCRDs(client)
            let allowed = try await makeNamespace(client, prefix: "css-ok")
            let denied = try await makeNamespace(client, prefix: "css-no")
            let storeName = "css-\(UUID().uuidString.prefix(6).lowercased())"
            _ = try await client.api(ClusterSecretStore.self).create(
                ClusterSecretStore(
                    metadata: ObjectMeta(name: storeName),
                    spec: SecretStoreSpec(
                        provider: SecretStoreProvider(fake: FakeProvider(data: [FakeProviderData(key: "k", value: canary)])),
                        conditions: [ClusterSecretStoreCondition(namespaces: [allowed])])))
            let process = try await startOperator(plane, name: "css")
            defer { Task { await process.stop() } }
            for namespace in [allowed, denied] {
                _ = try await client.api(ExternalSecret.self, namespace: namespace).create(
                    externalSecret("es", store: storeName, storeKind: .clusterSecretStore, data: [entry("value", "k")]))
            }
            #expect(try await waitForReady(client, allowed, "es"), "log: \(process.log.suffix(3000))")
            let deniedMessage = ClusterStoreAdmission.deniedMessage(store: storeName, namespace: denied)
            #expect(try await eventually { try await readyCondition(client, denied, "es")?.message == deniedMessage })
            #expect(try await readyCondition(client, denied, "es")?.status == "False")
            #expect(try await client.api(Secret.self, namespace: denied).getIfExists("es") == nil)
            let mismatches = try await renderMismatches(plane, client, namespace: allowed)
            #expect(mismatches.isEmpty, "render --live differs from the controller: \(mismatches)")
            try await client.api(ClusterSecretStore.self).delete(storeName)

            // Canary scan: the operator's log, Events and statuses never show a secret value.
            #expect(!process.log.contains(canary), "the operator log contains a secret value")
            for namespace in [allowed, denied] {
                #expect(try await eventTexts(client, namespace).allSatisfy { !$0.contains(canary) })
                let status = try await client.api(ExternalSecret.self, namespace: namespace).get("es").status
                let text = String(decoding: try KubeJSON.encoder.encode(status), as: UTF8.self)
                #expect(!text.contains(canary), "an ExternalSecret status contains a secret value")
            }
        }
    }
}

/// `dataFrom` through the operator: extract explodes a JSON value, find collects remote secrets by
/// name, rewrite renames keys; `data` wins over `dataFrom`.
extension ExternalSecretSyncTests {
    @Test func extractFindAndRewrite() async throws {
        let plane = try currentPlane()
        try await withAdminClient { client in
            try await installCRDs(client)
            let namespace = try await makeNamespace(client, prefix: "datafrom")
            _ = try await client.api(SecretStore.self, namespace: namespace).create(
                fakeStore(
                    "fake",
                    data: [
                        FakeProviderData(key: "/app/db", value: #"{"user":"u","pass":"\#(canary)","port":5432}"#),
                        FakeProviderData(key: "/app/api", value: "token"),
                        FakeProviderData(key: "/other/x", value: "x"),
                    ]))
            let process = try await startOperator(plane, name: "datafrom", arguments: ["--namespace", namespace])
            defer { Task { await process.stop() } }
            _ = try await client.api(ExternalSecret.self, namespace: namespace).create(
                externalSecret(
                    "es", data: [entry("user", "/app/api")],
                    dataFrom: [
                        ExternalSecretDataFromRemoteRef(extract: ExternalSecretDataRemoteRef(key: "/app/db")),
                        ExternalSecretDataFromRemoteRef(
                            find: ExternalSecretFind(name: FindName(regexp: "^/app/")),
                            rewrite: [ExternalSecretRewrite(regexp: RewriteRegexp(source: "^/app/(.*)", target: "app_$1"))]),
                    ]))
            #expect(try await waitForReady(client, namespace, "es"), "log: \(process.log.suffix(3000))")
            let data = try await client.api(Secret.self, namespace: namespace).get("es").data ?? [:]
            #expect(Set(data.keys) == ["user", "pass", "port", "app_db", "app_api"])
            #expect(data["pass"] == Data(canary.utf8))
            #expect(data["port"] == Data("5432".utf8))
            #expect(data["app_api"] == Data("token".utf8))
            #expect(data["user"] == Data("token".utf8), "data wins over dataFrom")
            let mismatches = try await renderMismatches(plane, client, namespace: namespace)
            #expect(mismatches.isEmpty, "render --live differs from the controller: \(mismatches)")
        }
    }
}

/// Templates through the operator.
extension ExternalSecretSyncTests {
    @Test func templatedSecretWithTemplateFromMetadataAndMergePolicy() async throws {
        try await withOperator(
            "template", storeData: [FakeProviderData(key: "db", value: #"{"user":"app","pass":"\#(canary)"}"#)]
        ) { client, namespace, process in
            _ = try await client.api(ConfigMap.self, namespace: namespace).create(
                ConfigMap(metadata: ObjectMeta(name: "tpl"), data: ["config.yaml": "dsn: postgres://{{ .user }}@db"]))
            let externalSecrets = client.api(ExternalSecret.self, namespace: namespace)
            var es = externalSecret(
                "es", dataFrom: [ExternalSecretDataFromRemoteRef(extract: ExternalSecretDataRemoteRef(key: "db"))],
                annotations: ["not-copied": "x"])
            es.spec.target = ExternalSecretTarget(
                template: ExternalSecretTemplate(
                    metadata: ExternalSecretTemplateMetadata(labels: ["app": "{{ .user }}"]),
                    data: ["password": "{{ .pass }}"],
                    templateFrom: [TemplateFrom(configMap: TemplateRef(name: "tpl", items: [TemplateRefItem(key: "config.yaml")]))]))
            _ = try await externalSecrets.create(es)
            #expect(try await waitForReady(client, namespace, "es"), "log: \(process.log.suffix(3000))")
            let secrets = client.api(Secret.self, namespace: namespace)
            var secret = try await secrets.get("es")
            #expect(Set(secret.data?.keys.map { $0 } ?? []) == ["password", "config.yaml"])
            #expect(secret.data?["password"] == Data(canary.utf8))
            #expect(secret.data?["config.yaml"] == Data("dsn: postgres://app@db".utf8))
            #expect(secret.metadata.labels?["app"] == "app")
            #expect(secret.metadata.annotations?["not-copied"] == nil, "with a template, the template's metadata is used")

            _ = try await externalSecrets.patch("es", .merge(["spec": ["target": ["template": ["mergePolicy": "Merge"]]]]))
            #expect(try await eventually { try await secrets.get("es").data?["user"] == Data("app".utf8) })
            secret = try await secrets.get("es")
            #expect(Set(secret.data?.keys.map { $0 } ?? []) == ["password", "config.yaml", "user", "pass"])

            // A template referencing a key the provider does not have is a clear error; the Secret stays.
            let version = secret.metadata.resourceVersion
            _ = try await externalSecrets.patch(
                "es", .merge(["spec": ["target": ["template": ["data": ["password": "{{ .absent }}"]]]]]))
            #expect(try await waitForReady(client, namespace, "es", status: "False", reason: ESOReason.secretSyncedError))
            #expect(try await readyCondition(client, namespace, "es")?.message?.contains("absent") == true)
            #expect(try await secrets.get("es").metadata.resourceVersion == version)
            #expect(!process.log.contains(canary))
        }
    }

    /// `now` in target templates and in `rewrite.transform` reads the operator's clock, as in ESO
    /// (it failed with "no clock").
    @Test func templatesSeeTheClock() async throws {
        // Not rendered: its template prints the time, which a later render reads anew.
        try await withOperator(
            "clock", storeData: [FakeProviderData(key: "db", value: #"{"user":"app"}"#)], renderSkipping: ["es"]
        ) { client, namespace, process in
            let before = Int(Date().timeIntervalSince1970)
            var es = externalSecret(
                "es",
                dataFrom: [
                    ExternalSecretDataFromRemoteRef(
                        extract: ExternalSecretDataRemoteRef(key: "db"),
                        rewrite: [ExternalSecretRewrite(transform: RewriteTransform(template: "{{ .value }}-{{ now | unixEpoch }}"))])
                ])
            es.spec.target = ExternalSecretTarget(
                template: ExternalSecretTemplate(
                    mergePolicy: .merge, data: ["issued": "{{ now | unixEpoch }}"],
                    templateFrom: [TemplateFrom(target: "Annotations", literal: "issued: '{{ now | unixEpoch }}'")]))
            _ = try await client.api(ExternalSecret.self, namespace: namespace).create(es)
            #expect(try await waitForReady(client, namespace, "es"), "log: \(process.log.suffix(3000))")
            let after = Int(Date().timeIntervalSince1970)
            let secret = try await client.api(Secret.self, namespace: namespace).get("es")
            let issued = secret.data?["issued"].flatMap { Int(String(decoding: $0, as: UTF8.self)) }
            #expect(issued.map { (before...after).contains($0) } == true)
            let annotated = secret.metadata.annotations?["issued"].flatMap { Int($0) }
            #expect(annotated.map { (before...after).contains($0) } == true)
            let renamed = secret.data?.keys.filter { $0.hasPrefix("user-") } ?? []
            #expect(renamed.count == 1)
            #expect(renamed.first.flatMap { Int($0.dropFirst(5)) }.map { (before...after).contains($0) } == true)
        }
    }

    /// A binary value (base64 at the provider, decoded by `decodingStrategy: Base64`) goes through
    /// a template into the Secret byte for byte, as Go's text/template writes it.
    @Test func binaryValueThroughATemplate() async throws {
        try await withOperator("binary", storeData: [FakeProviderData(key: "keystore", value: "gP/+AAE=")]) {
            client, namespace, process in
            var es = externalSecret(
                "es",
                data: [
                    ExternalSecretData(
                        secretKey: "bin", remoteRef: ExternalSecretDataRemoteRef(key: "keystore", decodingStrategy: .base64))
                ])
            es.spec.target = ExternalSecretTarget(
                template: ExternalSecretTemplate(data: ["keystore.p12": "{{ .bin }}", "b64": "{{ .bin | b64enc }}"]))
            _ = try await client.api(ExternalSecret.self, namespace: namespace).create(es)
            #expect(try await waitForReady(client, namespace, "es"), "log: \(process.log.suffix(3000))")
            let data = try await client.api(Secret.self, namespace: namespace).get("es").data ?? [:]
            #expect(data["keystore.p12"] == Data([0x80, 0xFF, 0xFE, 0x00, 0x01]))
            #expect(data["b64"] == Data("gP/+AAE=".utf8))
        }
    }

    /// A deleted ExternalSecret's metric series go with it (ESO's RemoveMetrics); the registry
    /// does not grow with every object ever seen.
    @Test func deletedExternalSecretLeavesNoMetricSeries() async throws {
        try await withOperator("metrics", storeData: [FakeProviderData(key: "db", value: "v")]) { client, namespace, process in
            let externalSecrets = client.api(ExternalSecret.self, namespace: namespace)
            _ = try await externalSecrets.create(externalSecret("gone", data: [entry("k", "db")]))
            #expect(try await waitForReady(client, namespace, "gone"), "log: \(process.log.suffix(3000))")
            let series = #"name="gone",namespace="\#(namespace)""#
            func lines(_ metrics: String) -> [Substring] {
                metrics.split(separator: "\n").filter { $0.hasPrefix("externalsecret_") && $0.contains(series) }
            }
            // The condition gauge is recorded just after the status write the Ready wait saw.
            #expect(
                try await eventually {
                    lines(try await scrapeMetrics(process)).contains { $0.hasPrefix("externalsecret_status_condition") }
                })
            let before = lines(try await scrapeMetrics(process))
            #expect(before.contains { $0.hasPrefix("externalsecret_sync_calls_total") })
            try await externalSecrets.delete("gone")
            #expect(try await eventually { lines(try await scrapeMetrics(process)).isEmpty })
        }
    }
}
