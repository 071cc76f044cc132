import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import KubeClient
import KubeModel
import KubeTestSupport
import OperatorTestSupport
import Testing

/// ClusterExternalSecret through the operator as a process (as the chart's ServiceAccount), on the
/// real control plane, whose kube-controller-manager does garbage collection and namespace
/// deletion. Every test chooses namespaces by a label value of its own.
@Suite(.controlPlane, .serialized) struct ClusterExternalSecretTests {
    struct Fixture {
        var client: KubeClient
        var process: TestProcess
        /// The test's own label value (`team=<id>`) and store name.
        var id: String
        var store: String { "css-\(id)" }

        var namespaces: ResourceAPI<Namespace> { client.api(Namespace.self) }
        var parents: ResourceAPI<ClusterExternalSecret> { client.api(ClusterExternalSecret.self) }
        func children(_ namespace: String) -> ResourceAPI<ExternalSecret> {
            client.api(ExternalSecret.self, namespace: namespace)
        }

        /// A namespace, labelled `team=<id>` when `chosen`.
        func namespace(_ prefix: String, chosen: Bool) async throws -> String {
            let name = "\(prefix)-\(UUID().uuidString.prefix(6).lowercased())"
            _ = try await namespaces.create(
                Namespace(metadata: ObjectMeta(name: name, labels: chosen ? ["team": id] : nil)))
            return name
        }

        func label(_ namespace: String, chosen: Bool) async throws {
            try await update(namespaces, namespace) { ns in
                var labels = ns.metadata.labels ?? [:]
                labels["team"] = chosen ? id : nil
                ns.metadata.labels = labels
            }
        }

        func parent(
            _ name: String, childName: String? = nil, selectors: [LabelSelector]? = nil, metadata: ChildMetadata? = nil
        ) -> ClusterExternalSecret {
            ClusterExternalSecret(
                metadata: ObjectMeta(name: name),
                spec: ClusterExternalSecretSpec(
                    externalSecretSpec: ExternalSecretSpec(
                        secretStoreRef: SecretStoreRef(name: store, kind: .clusterSecretStore),
                        data: [entry("password", "db")]),
                    externalSecretName: childName, externalSecretMetadata: metadata,
                    namespaceSelectors: selectors ?? [LabelSelector(matchLabels: ["team": id])], refreshTime: "1h"))
        }

        func status(_ name: String) async throws -> ClusterExternalSecretStatus? { try await parents.get(name).status }

        /// Waits until the parent's status lists exactly `provisioned` and is Ready (or not).
        func waitForStatus(_ name: String, provisioned: [String], ready: String = "True") async throws -> Bool {
            try await eventually(timeout: .seconds(60)) {
                let status = try await self.status(name)
                return (status?.provisionedNamespaces ?? []) == provisioned.sorted()
                    && status?.conditions?.first { $0.type == "Ready" }?.status == ready
            }
        }

        func exists(_ namespace: String, _ name: String) async throws -> Bool {
            try await children(namespace).getIfExists(name) != nil
        }
    }

    func withOperator(_ prefix: String, _ body: (Fixture) async throws -> Void) async throws {
        let plane = try currentPlane()
        try await withAdminClient { client in
            try await installCRDs(client)
            let id = "\(prefix)-\(UUID().uuidString.prefix(6).lowercased())"
            _ = try await client.api(ClusterSecretStore.self).create(
                ClusterSecretStore(
                    metadata: ObjectMeta(name: "css-\(id)"),
                    spec: SecretStoreSpec(
                        provider: SecretStoreProvider(
                            fake: FakeProvider(data: [FakeProviderData(key: "db", value: canary)])))))
            let process = try await runOperator(plane, name: prefix) { process in
                try await body(Fixture(client: client, process: process, id: id))
                // The ExternalSecrets fanned out render offline to the Secrets the controller wrote.
                let chosen = try await client.api(Namespace.self).list(ListOptions(labelSelector: "team=\(id)")).items
                for namespace in chosen.compactMap(\.metadata.name) {
                    let mismatches = try await renderMismatches(plane, client, namespace: namespace)
                    #expect(mismatches.isEmpty, "render --live differs from the controller: \(mismatches)")
                }
            }
            #expect(!process.log.contains(canary), "the operator log shows a secret value")
        }
    }

    @Test func fansOutFollowsNamespaceLabelsRenamesAndRepairsChildren() async throws {
        try await withOperator("ces-fan") { f in
            let a = try await f.namespace("a", chosen: true)
            let b = try await f.namespace("b", chosen: true)
            let c = try await f.namespace("c", chosen: false)
            _ = try await f.parents.create(f.parent("db-\(f.id)", metadata: ChildMetadata(labels: ["app": "db"])))
            let parent = "db-\(f.id)"
            #expect(try await f.waitForStatus(parent, provisioned: [a, b]), "log: \(f.process.log.suffix(3000))")

            let child = try await f.children(a).get(parent)
            let owner = try #require(child.metadata.ownerReferences?.first)
            #expect(owner.kind == "ClusterExternalSecret" && owner.name == parent && owner.controller == true)
            #expect(owner.uid == (try await f.parents.get(parent).metadata.uid))
            #expect(child.metadata.labels == ["app": "db"])
            #expect(try await f.exists(c, parent) == false)
            #expect(try await f.status(parent)?.externalSecretName == parent)
            // The children sync like any ExternalSecret.
            #expect(try await waitForReady(f.client, a, parent), "log: \(f.process.log.suffix(3000))")
            #expect(
                try await f.client.api(Secret.self, namespace: a).get(parent).data?["password"] == Data(canary.utf8))

            // ESO's condition gauge.
            let gauge = metricSum(
                try await scrapeMetrics(f.process), "clusterexternalsecret_status_condition",
                labels: ["name": parent, "condition": "Ready", "status": "True"])
            #expect(gauge == 1)

            // A steady state writes nothing: a reconcile woken by an unrelated namespace label
            // leaves the children as they are.
            #expect(try await waitForReady(f.client, b, parent))
            let version = try await f.children(b).get(parent).metadata.resourceVersion
            let reconciles = metricSum(
                try await scrapeMetrics(f.process), "controller_runtime_reconcile_total",
                labels: ["controller": "clusterexternalsecret"])
            try await update(f.namespaces, b) { ns in ns.metadata.labels?["unrelated"] = "x" }
            #expect(
                try await waitForReconciles(
                    f.process, controller: "clusterexternalsecret", atLeast: Int(reconciles) + 1))
            #expect(try await f.children(b).get(parent).metadata.resourceVersion == version)

            // Labelling a namespace provisions it at once (refreshTime is an hour).
            try await f.label(c, chosen: true)
            #expect(try await f.waitForStatus(parent, provisioned: [a, b, c]))
            #expect(try await f.exists(c, parent))

            // A namespace that stops matching loses its ExternalSecret.
            try await f.label(a, chosen: false)
            #expect(try await f.waitForStatus(parent, provisioned: [b, c]))
            #expect(try await eventually { try await !f.exists(a, parent) })

            // A child edited by hand is put back; force-sync on the parent reaches every child.
            try await update(f.children(b), parent) { es in es.spec.refreshInterval = "5s" }
            #expect(try await eventually { try await f.children(b).get(parent).spec.refreshInterval == "1h0m0s" })
            try await update(f.parents, parent) { ces in
                ces.metadata.annotations = [ESONames.forceSyncAnnotation: "now"]
            }
            #expect(
                try await eventually {
                    try await f.children(c).get(parent).metadata.annotations?[ESONames.forceSyncAnnotation] == "now"
                })

            // Renaming the children removes the old ones.
            try await update(f.parents, parent) { ces in ces.spec.externalSecretName = "renamed-\(f.id)" }
            #expect(
                try await eventually {
                    var found: [Bool] = []
                    for namespace in [b, c] {
                        found.append(try await f.exists(namespace, "renamed-\(f.id)"))
                        found.append(try await !f.exists(namespace, parent))
                    }
                    return found.allSatisfy { $0 }
                })
            #expect(try await eventually { try await f.status(parent)?.externalSecretName == "renamed-\(f.id)" })
            #expect(try await f.waitForStatus(parent, provisioned: [b, c]))

            // No namespace ever got a finalizer.
            for namespace in [a, b, c] {
                #expect(try await f.namespaces.get(namespace).metadata.finalizers == nil)
            }
            try await f.parents.delete(parent)
        }
    }

    @Test func neverOverwritesAnExternalSecretItDoesNotOwn() async throws {
        try await withOperator("ces-own") { f in
            let a = try await f.namespace("a", chosen: true)
            let b = try await f.namespace("b", chosen: true)
            let parent = "shared-\(f.id)"
            var theirs = externalSecret(parent, store: "somebody-elses", data: [entry("x", "y")], refreshInterval: "5m")
            theirs.metadata.labels = ["owner": "team-a"]
            _ = try await f.children(a).create(theirs)
            _ = try await f.parents.create(f.parent(parent))

            #expect(
                try await f.waitForStatus(parent, provisioned: [b], ready: "False"),
                "log: \(f.process.log.suffix(3000))")
            let status = try await f.status(parent)
            #expect(status?.failedNamespaces?.map(\.namespace) == [a])
            #expect(
                status?.failedNamespaces?.first?.reason?.contains("is not owned by this ClusterExternalSecret") == true)
            #expect(status?.conditions?.first?.message == "one or more namespaces failed")
            let untouched = try await f.children(a).get(parent)
            #expect(
                untouched.spec.secretStoreRef?.name == "somebody-elses" && untouched.metadata.ownerReferences == nil)
            #expect(untouched.metadata.labels == ["owner": "team-a"])

            // Once it is gone, the namespace is provisioned without waiting for refreshTime.
            try await f.children(a).delete(parent)
            #expect(try await f.waitForStatus(parent, provisioned: [a, b]))
            #expect(try await f.children(a).get(parent).metadata.ownerReferences?.first?.name == parent)
            #expect(try await f.status(parent)?.failedNamespaces == nil)
            try await f.parents.delete(parent)
        }
    }

    @Test func deletionNeverLeavesANamespaceOrAnObjectStuck() async throws {
        try await withOperator("ces-del") { f in
            let a = try await f.namespace("a", chosen: true)
            let b = try await f.namespace("b", chosen: true)
            let parent = "gone-\(f.id)"
            _ = try await f.parents.create(f.parent(parent))
            #expect(try await f.waitForStatus(parent, provisioned: [a, b]), "log: \(f.process.log.suffix(3000))")

            // A target namespace is deleted by kube-controller-manager, with the child in it.
            try await f.namespaces.delete(b)
            #expect(try await eventually(timeout: .seconds(90)) { try await f.namespaces.getIfExists(b) == nil })
            #expect(try await f.waitForStatus(parent, provisioned: [a]))

            // Deleting the parent: the garbage collector deletes its children (owner references).
            try await f.parents.delete(parent)
            #expect(try await eventually(timeout: .seconds(90)) { try await f.parents.getIfExists(parent) == nil })
            #expect(try await eventually(timeout: .seconds(90)) { try await !f.exists(a, parent) })

            // A parent ESO gave its finalizer (a migration) loses it, and is then deleted freely.
            var migrated = f.parent("migrated-\(f.id)")
            migrated.metadata.finalizers = ["externalsecrets.external-secrets.io/clusterexternalsecret-cleanup"]
            _ = try await f.parents.create(migrated)
            #expect(try await eventually { try await f.parents.get("migrated-\(f.id)").metadata.finalizers == nil })
            #expect(try await eventually { try await f.exists(a, "migrated-\(f.id)") })
            try await f.parents.delete("migrated-\(f.id)")
            #expect(try await eventually(timeout: .seconds(90)) { try await !f.exists(a, "migrated-\(f.id)") })
        }
    }

    @Test func badInputIsReportedCreatesNothingAndSparesOthers() async throws {
        try await withOperator("ces-bad") { f in
            let a = try await f.namespace("a", chosen: true)
            let bad = "bad-\(f.id)"
            _ = try await f.parents.create(
                f.parent(
                    bad,
                    selectors: [
                        LabelSelector(matchExpressions: [
                            LabelSelectorRequirement(key: "team", operator: "Matches", values: [f.id])
                        ])
                    ]))
            _ = try await f.parents.create(f.parent("good-\(f.id)"))
            #expect(try await f.waitForStatus("good-\(f.id)", provisioned: [a]), "log: \(f.process.log.suffix(3000))")
            #expect(
                try await eventually {
                    try await f.status(bad)?.conditions?.first?.message
                        == #"spec.namespaceSelectors[0].matchExpressions[0]: unknown operator "Matches" (use In, NotIn, Exists or DoesNotExist)"#
                })
            #expect(try await f.status(bad)?.conditions?.first?.status == "False")
            #expect(try await f.children(a).list().items.map { $0.metadata.name ?? "" } == ["good-\(f.id)"])

            // The API server refuses what the schema can say (ESO's rules on the ExternalSecret spec).
            var noData = f.parent("nodata-\(f.id)")
            noData.spec.externalSecretSpec.data = nil
            #expect(await apiError { _ = try await f.parents.create(noData) }?.isInvalid == true)
            for name in [bad, "good-\(f.id)"] { try await f.parents.delete(name) }
        }
    }

    /// The operator stops (an uninstall): the parent, its children and the target namespaces can
    /// still all be deleted, nothing waits for the operator.
    @Test func uninstallLeavesNothingStuck() async throws {
        let plane = try currentPlane()
        try await withAdminClient { client in
            try await installCRDs(client)
            let id = "ces-uninstall-\(UUID().uuidString.prefix(6).lowercased())"
            let f0 = Fixture(client: client, process: try await startOperator(plane, name: "ces-uninstall"), id: id)
            let a: String, b: String, parent = "left-\(id)"
            do {
                _ = try await client.api(ClusterSecretStore.self).create(
                    ClusterSecretStore(
                        metadata: ObjectMeta(name: f0.store),
                        spec: SecretStoreSpec(
                            provider: SecretStoreProvider(
                                fake: FakeProvider(data: [FakeProviderData(key: "db", value: "v")])))))
                a = try await f0.namespace("a", chosen: true)
                b = try await f0.namespace("b", chosen: true)
                _ = try await f0.parents.create(f0.parent(parent))
                #expect(try await f0.waitForStatus(parent, provisioned: [a, b]), "log: \(f0.process.log.suffix(3000))")
                await f0.process.stop()
            } catch {
                await f0.process.stop()
                throw error
            }

            try await f0.namespaces.delete(b)
            try await f0.parents.delete(parent)
            #expect(try await eventually(timeout: .seconds(90)) { try await f0.namespaces.getIfExists(b) == nil })
            #expect(try await eventually(timeout: .seconds(90)) { try await f0.parents.getIfExists(parent) == nil })
            #expect(try await eventually(timeout: .seconds(90)) { try await !f0.exists(a, parent) })
            try await f0.namespaces.delete(a)
            #expect(try await eventually(timeout: .seconds(90)) { try await f0.namespaces.getIfExists(a) == nil })
        }
    }
}
