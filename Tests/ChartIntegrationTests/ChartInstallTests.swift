import ExternalSecretsAPI
import Foundation
import KubeClient
import KubeModel
import KubeTestSupport
import OperatorTestSupport
import Testing

/// Applies rendered chart objects to the control plane as `helm install` would (server-side
/// apply, as the admin), in the namespace `helm install --create-namespace` creates.
func install(_ rendered: Chart.Rendered, client: KubeClient) async throws {
    for namespace in Set([ExternalSecretsManifests.defaultNamespace] + rendered.namespaces) {
        do {
            _ = try await client.api(Namespace.self).create(Namespace(metadata: ObjectMeta(name: namespace)))
        } catch let error as KubeAPIError where error.isAlreadyExists {}
    }
    for document in rendered.documents {
        var object = try document.decode(as: DynamicObject.self)
        let kind = object.kind ?? ""
        let descriptor = try #require(ChartInstallTests.descriptors[kind], "the test knows no resource for \(kind)")
        // Helm puts namespaced objects without a namespace (extraObjects) in the release's.
        if descriptor.namespaced && object.metadata.namespace == nil {
            object.metadata.namespace = ExternalSecretsManifests.defaultNamespace
        }
        let applied = try await client.dynamicAPI(descriptor, namespace: object.metadata.namespace)
            .apply(object, fieldManager: "helm", force: true)
        #expect(applied.metadata.uid != nil, "\(kind) \(object.metadata.name ?? "") not accepted")
    }
}

extension Chart.Rendered {
    /// Namespaces the rendered objects live in.
    var namespaces: [String] { documents.compactMap { $0["metadata"]?["namespace"]?.stringValue } }

    /// The operator's arguments from the rendered Deployment, with its listeners moved to free
    /// loopback ports (the test runs it as a process beside the control plane).
    func operatorArguments() throws -> [String] {
        let deployment = try object(kind: "Deployment")
        let args = try #require(deployment["spec"]?["template"]?["spec"]?["containers"]?.items.first?["args"])
        return args.items.compactMap(\.stringValue).map { argument in
            if argument.hasPrefix("--metrics-addr=") { return "--metrics-addr=127.0.0.1:0" }
            if argument.hasPrefix("--live-addr=") { return "--live-addr=127.0.0.1:0" }
            if argument.hasPrefix("--loglevel=") { return "--loglevel=debug" }
            return argument
        }
    }
}

/// The rendered chart (default values, scoped mode, every option) on the real API server: every
/// object is accepted.
@Suite(.controlPlane, .serialized) struct ChartInstallTests {
    static let descriptors: [String: ResourceDescriptor] = [
        "CustomResourceDefinition": CustomResourceDefinition.resource,
        "Namespace": Namespace.resource,
        "ServiceAccount": ServiceAccount.resource,
        "ConfigMap": ConfigMap.resource,
        "Service": ResourceDescriptor(group: "", version: "v1", kind: "Service", plural: "services", namespaced: true),
        "ClusterRole": rbac("ClusterRole", "clusterroles", namespaced: false),
        "ClusterRoleBinding": rbac("ClusterRoleBinding", "clusterrolebindings", namespaced: false),
        "Role": rbac("Role", "roles", namespaced: true),
        "RoleBinding": rbac("RoleBinding", "rolebindings", namespaced: true),
        "Deployment": ResourceDescriptor(
            group: "apps", version: "v1", kind: "Deployment", plural: "deployments", namespaced: true),
        // Kubernetes 1.20 serves PodDisruptionBudget as policy/v1beta1; the chart picks it by version.
        "PodDisruptionBudget": ResourceDescriptor(
            group: "policy", version: "v1beta1", kind: "PodDisruptionBudget", plural: "poddisruptionbudgets",
            namespaced: true),
    ]

    static func rbac(_ kind: String, _ plural: String, namespaced: Bool) -> ResourceDescriptor {
        ResourceDescriptor(
            group: "rbac.authorization.k8s.io", version: "v1", kind: kind, plural: plural, namespaced: namespaced)
    }

    @Test(arguments: Chart.Values.allCases) func renderedChartIsAccepted(_ values: Chart.Values) async throws {
        let rendered = try await Chart.render(values)
        let kinds = Set(rendered.documents.compactMap { $0["kind"]?.stringValue })
        #expect(kinds.isSuperset(of: ["CustomResourceDefinition", "ServiceAccount", "Deployment", "RoleBinding"]))
        if values == .all {
            #expect(kinds.isSuperset(of: ["Service", "PodDisruptionBudget", "ConfigMap", "ClusterRole"]))
            // ServiceMonitor: this control plane has no Prometheus Operator CRD (it is not packaged
            // for Debian or PyPI, and the tests fetch nothing), so the chart skips it as it would on
            // such a cluster; its rendering is checked in ChartRenderingTests.
            #expect(!kinds.contains("ServiceMonitor"))
        }
        try await withAdminClient { client in
            try await install(rendered, client: client)
            for crd in rendered.objects(kind: "CustomResourceDefinition") {
                let name = try #require(crd["metadata"]?["name"]?.stringValue)
                #expect(
                    try await eventually {
                        try await client.api(CustomResourceDefinition.self).get(name).isEstablished
                    },
                    "\(name) not Established")
            }
        }
    }
}

/// The chart's scoped mode, installed and run: the operator, started with the rendered
/// Deployment's arguments as the chart's ServiceAccount, syncs an ExternalSecret in its namespace
/// holding only a Role there. A suite of its own, so nothing else binds a cluster role to it.
@Suite(.controlPlane, .serialized) struct ChartScopedModeTests {
    @Test func scopedInstallSyncsWithoutAnyClusterWidePermission() async throws {
        let plane = try currentPlane()
        let rendered = try await Chart.render(.scoped)
        #expect(rendered.objects(kind: "ClusterRole").isEmpty && rendered.objects(kind: "ClusterRoleBinding").isEmpty)
        let namespace = "team-a"
        let serviceAccount = ExternalSecretsManifests.serviceAccountName
        try await withAdminClient { client in
            try await install(rendered, client: client)
            try await installCRDs(client)
            // Nothing binds a cluster-wide role to the ServiceAccount.
            let bindings = try await client.dynamicAPI(
                ChartInstallTests.descriptors["ClusterRoleBinding"]!
            ).list().items
            let bound = bindings.filter { binding in
                (binding["subjects"]?.items ?? []).contains {
                    $0["name"] == .string(serviceAccount) && $0["kind"] == "ServiceAccount"
                }
            }
            #expect(bound.isEmpty, "ClusterRoleBindings for the ServiceAccount: \(bound.map(\.metadata.name))")

            let kubeconfig = try await serviceAccountKubeconfig(
                plane, namespace: ExternalSecretsManifests.defaultNamespace, name: serviceAccount)
            let arguments = try rendered.operatorArguments()
            #expect(arguments.contains("--namespace=\(namespace)"))
            let process = try TestProcess(
                executable: operatorPath, arguments: arguments + ["--kubeconfig", kubeconfig],
                logPath: "\(plane.directory)/operator-scoped.log")
            do {
                let store = SecretStore(
                    metadata: ObjectMeta(name: "fake"),
                    spec: SecretStoreSpec(
                        provider: SecretStoreProvider(
                            fake: FakeProvider(data: [FakeProviderData(key: "db", value: "s3cr3t")]))))
                _ = try await client.api(SecretStore.self, namespace: namespace).create(store)
                let synced = ExternalSecret(
                    metadata: ObjectMeta(name: "db"),
                    spec: ExternalSecretSpec(
                        secretStoreRef: SecretStoreRef(name: "fake", kind: .secretStore),
                        data: [
                            ExternalSecretData(secretKey: "password", remoteRef: ExternalSecretDataRemoteRef(key: "db"))
                        ]))
                _ = try await client.api(ExternalSecret.self, namespace: namespace).create(synced)
                #expect(try await waitForReady(client, namespace, "db"), "\(process.log)")
                let secret = try await client.api(Secret.self, namespace: namespace).get("db")
                #expect(string(secret.data?["password"]) == "s3cr3t")
                // It leads through the Lease the leader-election Role allows, in its own namespace.
                let lease = try await client.api(Lease.self, namespace: ExternalSecretsManifests.defaultNamespace)
                    .get(ExternalSecretsManifests.leaderElectionLease)
                #expect(lease.spec?.holderIdentity?.isEmpty == false)

                // ClusterSecretStores are off in scoped mode, and the condition says so.
                var clusterRef = synced
                clusterRef.metadata = ObjectMeta(name: "cluster-ref")
                clusterRef.spec.secretStoreRef = SecretStoreRef(name: "shared", kind: .clusterSecretStore)
                _ = try await client.api(ExternalSecret.self, namespace: namespace).create(clusterRef)
                #expect(
                    try await eventually {
                        let condition = try await readyCondition(client, namespace, "cluster-ref")
                        return condition?.status == "False"
                            && condition?.message?.contains("does not process ClusterSecretStores") == true
                    }, "\(process.log)")
                await process.stop()
            } catch {
                await process.stop()
                throw error
            }
            #expect(!process.log.contains("forbidden"), "the operator was refused something:\n\(process.log)")
        }
    }
}
