import Foundation
import HTTPSupport
import KubeClient
import KubeModel
import KubeTestSupport
import Testing

/// The Kubernetes client against a real kube-apiserver, etcd and kube-controller-manager.
@Suite(.controlPlane) struct KubeClientIntegrationTests {
    @Test func secretLifecycle() async throws {
        try await withAdminClient { client in
            let namespace = try await makeNamespace(client, prefix: "crud")
            let secrets = client.api(Secret.self, namespace: namespace)
            let binary = Data([0, 0xFF, 0x10, 0x80])
            let created = try await secrets.create(
                Secret(
                    metadata: ObjectMeta(name: "db", labels: ["app": "x"]), data: ["bin": binary],
                    stringData: ["user": "admin"], type: "Opaque"))
            #expect(created.metadata.uid != nil)
            #expect(created.data?["bin"] == binary)
            #expect(created.data?["user"] == Data("admin".utf8))

            var fetched = try await secrets.get("db")
            fetched.data?["extra"] = Data("1".utf8)
            let replaced = try await secrets.replace(fetched)
            #expect(replaced.data?.keys.sorted() == ["bin", "extra", "user"])

            // A replace with the resourceVersion we read before the last write is refused.
            let stale = await apiError { _ = try await secrets.replace(fetched) }
            #expect(stale?.isConflict == true)

            let merged = try await secrets.patch("db", .merge(["metadata": ["annotations": ["a": "b"]]]))
            #expect(merged.metadata.annotations?["a"] == "b")
            let patched = try await secrets.patch("db", .json([.remove("/data/extra")]))
            #expect(patched.data?["extra"] == nil)

            try await secrets.delete("db")
            #expect(try await secrets.getIfExists("db") == nil)
            let missing = await apiError { _ = try await secrets.get("db") }
            #expect(missing?.isNotFound == true)
        }
    }

    @Test func invalidObjectIsInvalid() async throws {
        try await withAdminClient { client in
            let error = await apiError {
                _ = try await client.api(ConfigMap.self, namespace: "default").create(
                    ConfigMap(metadata: ObjectMeta(name: "Not_A_DNS_Name")))
            }
            #expect(error?.isInvalid == true)
            #expect(error?.status?.details?.causes?.isEmpty == false)
        }
    }

    @Test func customResourceThroughTheDynamicAPI() async throws {
        try await withAdminClient { client in
            let group = "test.eso-swift.io"
            let descriptor = ResourceDescriptor(
                group: group, version: "v1", kind: "Widget", plural: "widgets", namespaced: true)
            let schema: JSONValue = [
                "type": "object",
                "properties": [
                    "spec": ["type": "object", "properties": ["size": ["type": "integer"]]],
                    "status": ["type": "object", "properties": ["phase": ["type": "string"]]],
                ],
            ]
            let crd = CustomResourceDefinition(
                metadata: ObjectMeta(name: "widgets.\(group)"),
                spec: CustomResourceDefinitionSpec(
                    group: group, names: CustomResourceDefinitionNames(plural: "widgets", kind: "Widget"),
                    scope: "Namespaced",
                    versions: [
                        CustomResourceDefinitionVersion(
                            name: "v1", served: true, storage: true,
                            schema: CustomResourceValidation(openAPIV3Schema: schema),
                            subresources: ["status": [:]])
                    ]))
            let crds = client.api(CustomResourceDefinition.self)
            _ = try await crds.create(crd)
            #expect(try await eventually { try await crds.get("widgets.\(group)").isEstablished })

            let namespace = try await makeNamespace(client, prefix: "crd")
            let widgets = client.dynamicAPI(descriptor, namespace: namespace)
            // The API may answer 404 for a moment after Established while discovery catches up.
            var created: DynamicObject?
            #expect(
                try await eventually {
                    created = try? await widgets.create(
                        DynamicObject(
                            apiVersion: descriptor.apiVersion, kind: "Widget", metadata: ObjectMeta(name: "w1"),
                            content: ["spec": ["size": 3]]))
                    return created != nil
                })
            #expect(created?["spec"]?["size"] == .integer(3))

            let withStatus = try await widgets.patchStatus("w1", .merge(["status": ["phase": "Ready"]]))
            #expect(withStatus["status"]?["phase"] == "Ready")
            // Writes to the main resource ignore status, and the status subresource ignores spec.
            let specOnly = try await widgets.patch("w1", .merge(["spec": ["size": 4], "status": ["phase": "Lost"]]))
            #expect(specOnly["status"]?["phase"] == "Ready")
            #expect(specOnly["spec"]?["size"] == .integer(4))

            let list = try await widgets.list()
            #expect(list.items.map(\.metadata.name) == ["w1"])
            try await widgets.delete("w1")
            #expect(try await widgets.getIfExists("w1") == nil)
            try await crds.delete("widgets.\(group)")
        }
    }

    @Test func serverSideApplyConflictThenForce() async throws {
        try await withAdminClient { client in
            let namespace = try await makeNamespace(client, prefix: "ssa")
            let configMaps = client.api(ConfigMap.self, namespace: namespace)
            let first = try await configMaps.apply(
                ConfigMap(metadata: ObjectMeta(name: "shared"), data: ["owner": "a"]), fieldManager: "manager-a")
            #expect(first.data?["owner"] == "a")

            let conflict = await apiError {
                _ = try await configMaps.apply(
                    ConfigMap(metadata: ObjectMeta(name: "shared"), data: ["owner": "b"]), fieldManager: "manager-b")
            }
            #expect(conflict?.isConflict == true)
            #expect(conflict?.status?.details?.causes?.first?.field == ".data.owner")

            let forced = try await configMaps.apply(
                ConfigMap(metadata: ObjectMeta(name: "shared"), data: ["owner": "b"]), fieldManager: "manager-b",
                force: true)
            #expect(forced.data?["owner"] == "b")
            let managers = Set((forced.metadata.managedFields ?? []).compactMap(\.manager))
            #expect(managers.contains("manager-b"))
            let ownerOfData = forced.metadata.managedFields?.first { entry in
                entry.fieldsV1?["f:data"]?["f:owner"] != nil
            }
            #expect(ownerOfData?.manager == "manager-b")
        }
    }

    @Test func labelSelectedPagedList() async throws {
        try await withAdminClient { client in
            let namespace = try await makeNamespace(client, prefix: "paged")
            let configMaps = client.api(ConfigMap.self, namespace: namespace)
            for index in 0..<11 {
                let labels = index % 3 == 0 ? ["pick": "no"] : ["pick": "yes"]
                _ = try await configMaps.create(ConfigMap(metadata: ObjectMeta(name: "cm-\(index)", labels: labels)))
            }
            let firstPage = try await configMaps.list(ListOptions(labelSelector: "pick=yes", limit: 3))
            #expect(firstPage.items.count == 3)
            #expect(firstPage.metadata.continue?.isEmpty == false)

            let all = try await configMaps.listAll(ListOptions(labelSelector: "pick=yes"), pageSize: 3)
            let expected = (0..<11).filter { $0 % 3 != 0 }.map { "cm-\($0)" }.sorted()
            #expect(all.items.compactMap(\.metadata.name).sorted() == expected)

            let metadataOnly = try await client.metadataAPI(ConfigMap.resource, namespace: namespace).listAll(
                ListOptions(labelSelector: "pick=no"), pageSize: 2)
            #expect(metadataOnly.items.compactMap(\.metadata.name).sorted() == ["cm-0", "cm-3", "cm-6", "cm-9"])
            #expect(metadataOnly.items.allSatisfy { $0.kind == "PartialObjectMetadata" })
        }
    }

    @Test func watchSeesChangesResumesAndGetsBookmarks() async throws {
        try await withAdminClient { client in
            let namespace = try await makeNamespace(client, prefix: "watch")
            let configMaps = client.api(ConfigMap.self, namespace: namespace)
            // Only the test's object: the controller-manager adds kube-root-ca.crt to every new
            // namespace at a moment of its own.
            let onlyW = "metadata.name=w"
            let start = try await configMaps.list(ListOptions(fieldSelector: onlyW)).metadata.resourceVersion
            _ = try await configMaps.create(ConfigMap(metadata: ObjectMeta(name: "w"), data: ["v": "1"]))
            let modified = try await configMaps.patch("w", .merge(["data": ["v": "2"]]))
            try await configMaps.delete("w")

            var seen: [String] = []
            for try await event in try await configMaps.watch(
                WatchOptions(fieldSelector: onlyW, resourceVersion: start, timeoutSeconds: 10)) {
                switch event {
                case .added(let object): seen.append("ADDED \(object.data?["v"] ?? "")")
                case .modified(let object): seen.append("MODIFIED \(object.data?["v"] ?? "")")
                case .deleted: seen.append("DELETED")
                case .bookmark, .error: break
                }
                if seen.count == 3 { break }
            }
            #expect(seen == ["ADDED 1", "MODIFIED 2", "DELETED"])

            // Resuming from the version of the MODIFIED event delivers only what came after it.
            var resumed: [String] = []
            for try await event in try await configMaps.watch(
                WatchOptions(fieldSelector: onlyW, resourceVersion: modified.metadata.resourceVersion, timeoutSeconds: 10))
            {
                if case .deleted(let object) = event { resumed.append("DELETED \(object.metadata.name ?? "")") }
                if case .added = event { resumed.append("ADDED") }
                if case .modified = event { resumed.append("MODIFIED") }
                if !resumed.isEmpty { break }
            }
            #expect(resumed == ["DELETED w"])

            // With bookmarks allowed, a quiet watch still receives progress markers before its timeout
            // (the API server sends one 2 s before the deadline). Not with a field selector: the
            // 1.20 API server sends none to such a watch, so this one watches the namespace. Its
            // bookmark timer can miss a deadline on a loaded machine: up to 3 watches.
            var bookmark: String?
            for _ in 1...3 where bookmark == nil {
                for try await event in try await configMaps.watch(
                    WatchOptions(
                        resourceVersion: modified.metadata.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 10))
                {
                    if case .bookmark(let version) = event {
                        bookmark = version
                        break
                    }
                }
            }
            #expect(bookmark.map { !$0.isEmpty } == true)
        }
    }

    @Test func serviceAccountTokenIsBoundByRBACToItsNamespace() async throws {
        try await withAdminClient { admin in
            let home = try await makeNamespace(admin, prefix: "sa-home")
            let elsewhere = try await makeNamespace(admin, prefix: "sa-other")
            _ = try await admin.api(ServiceAccount.self, namespace: home).create(
                ServiceAccount(metadata: ObjectMeta(name: "reader")))
            let rbac = ResourceDescriptor(
                group: "rbac.authorization.k8s.io", version: "v1", kind: "Role", plural: "roles", namespaced: true)
            _ = try await admin.dynamicAPI(rbac, namespace: home).create(
                DynamicObject(
                    apiVersion: rbac.apiVersion, kind: "Role", metadata: ObjectMeta(name: "read-secrets"),
                    content: ["rules": [["apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]]]]))
            let binding = ResourceDescriptor(
                group: "rbac.authorization.k8s.io", version: "v1", kind: "RoleBinding", plural: "rolebindings",
                namespaced: true)
            _ = try await admin.dynamicAPI(binding, namespace: home).create(
                DynamicObject(
                    apiVersion: binding.apiVersion, kind: "RoleBinding", metadata: ObjectMeta(name: "reader"),
                    content: [
                        "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "read-secrets"],
                        "subjects": [["kind": "ServiceAccount", "name": "reader", "namespace": .string(home)]],
                    ]))

            let issued = try await admin.requestToken(
                forServiceAccount: "reader", in: home, audiences: ["https://kubernetes.default.svc.cluster.local"],
                expirationSeconds: 600)
            #expect(issued.expirationTimestamp != nil)

            var configuration = admin.configuration
            configuration.authentication = .bearerToken(issued.token)
            let reader = try KubeClient(configuration: configuration)
            defer { Task { try? await reader.shutdown() } }
            let allowed = try await reader.api(Secret.self, namespace: home).list()
            #expect(allowed.items.allSatisfy { $0.metadata.namespace == home })
            let denied = await apiError { _ = try await reader.api(Secret.self, namespace: elsewhere).list() }
            #expect(denied?.isForbidden == true)
            #expect(denied?.description.contains("system:serviceaccount:\(home):reader") == true)
            let deniedWrite = await apiError {
                _ = try await reader.api(Secret.self, namespace: home).create(Secret(metadata: ObjectMeta(name: "x")))
            }
            #expect(deniedWrite?.isForbidden == true)
        }
    }

    @Test func clientCertificateAuthentication() async throws {
        try await withAdminClient(context: "local-cert") { certClient in
            let namespace = try await makeNamespace(certClient, prefix: "cert")
            #expect(try await certClient.api(Namespace.self).get(namespace).metadata.name == namespace)
        }
        // Without any credential the same server treats the caller as anonymous.
        var anonymous = try currentPlane().configuration()
        anonymous.authentication = .none
        let client = try KubeClient(configuration: anonymous)
        let denied = await apiError { _ = try await client.api(Namespace.self).list() }
        try await client.shutdown()
        #expect(denied?.isForbidden == true)
        #expect(denied?.description.contains("system:anonymous") == true)
    }

    @Test func untrustedServerCertificateIsRefused() async throws {
        // Trust only the client CA, which did not sign the API server's certificate.
        var configuration = try currentPlane().configuration()
        configuration.tls.trustedCAsPEM = Array(
            try String(contentsOfFile: "\(currentPlane().directory)/client-ca.crt", encoding: .utf8).utf8)
        let client = try KubeClient(configuration: configuration)
        await #expect(throws: (any Error).self) { _ = try await client.api(Namespace.self).list() }
        try await client.shutdown()
    }

    @Test func deletingAnOwnerGarbageCollectsDependents() async throws {
        try await withAdminClient { client in
            let namespace = try await makeNamespace(client, prefix: "gc")
            let owner = try await client.api(ConfigMap.self, namespace: namespace).create(
                ConfigMap(metadata: ObjectMeta(name: "owner")))
            let reference = OwnerReference(
                apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: try #require(owner.metadata.uid),
                controller: true, blockOwnerDeletion: true)
            let secrets = client.api(Secret.self, namespace: namespace)
            _ = try await secrets.create(
                Secret(metadata: ObjectMeta(name: "dependent", ownerReferences: [reference]), stringData: ["k": "v"]))
            try await client.api(ConfigMap.self, namespace: namespace).delete(
                "owner", options: DeleteOptions(propagationPolicy: .background))
            #expect(try await eventually(timeout: .seconds(60)) { try await secrets.getIfExists("dependent") == nil })
        }
    }

    @Test func newNamespacesGetTheRootCAConfigMapAndDeleteCompletely() async throws {
        try await withAdminClient { client in
            let namespace = try await makeNamespace(client, prefix: "ns")
            let configMaps = client.api(ConfigMap.self, namespace: namespace)
            #expect(try await eventually { try await configMaps.getIfExists("kube-root-ca.crt") != nil })
            try await client.api(Namespace.self).delete(namespace)
            #expect(try await eventually(timeout: .seconds(60)) {
                try await client.api(Namespace.self).getIfExists(namespace) == nil
            })
        }
    }
}
