import ExternalSecretsAPI
import Foundation
import KubeClient
import KubeModel
import KubeTestSupport
import Testing

/// The generated CRDs and install manifests on a real kube-apiserver (v1.20): accepted, serving
/// ESO's API with ESO's defaults, refusing what ESO's webhook refuses.
@Suite(.controlPlane, .serialized) struct CRDIntegrationTests {
    static let fieldManager = "eso-swift-crd-tests"

    // MARK: - Installation

    @Test func installManifestIsAcceptedAndItsRBACIsLeastPrivilege() async throws {
        try await withAdminClient { client in
            try await installCRDs(client)
            let text = try String(
                contentsOfFile: "\(LocalControlPlane.repositoryRoot)/config/install.yaml", encoding: .utf8)
            let documents = try ManifestYAML.parse(text)
            // 20 CRDs (6 of external-secrets.io, 14 of generators) and the operator's 7 objects.
            #expect(documents.count == 27)
            for document in documents {
                let object = try document.decode(as: DynamicObject.self)
                let descriptor = try #require(
                    Self.descriptors[object.kind ?? ""], "no descriptor for \(object.kind ?? "-")")
                let applied = try await client.dynamicAPI(descriptor, namespace: object.metadata.namespace)
                    .apply(object, fieldManager: Self.fieldManager)
                #expect(applied.metadata.uid != nil, "\(object.kind ?? "") \(object.metadata.name ?? "")")
            }

            // What the operator's ServiceAccount may and may not do.
            let namespace = ExternalSecretsManifests.defaultNamespace
            let issued = try await client.requestToken(
                forServiceAccount: "external-secrets", in: namespace,
                audiences: ["https://kubernetes.default.svc.cluster.local"], expirationSeconds: 600)
            var configuration = client.configuration
            configuration.authentication = .bearerToken(issued.token)
            let operatorClient = try KubeClient(configuration: configuration)
            defer { Task { try? await operatorClient.shutdown() } }

            _ = try await operatorClient.api(ExternalSecret.self).list()
            _ = try await operatorClient.api(ClusterSecretStore.self).list()
            _ = try await operatorClient.api(PushSecret.self).list()
            _ = try await operatorClient.api(Secret.self).list()
            _ = try await operatorClient.api(Namespace.self).get(namespace)
            _ = try await operatorClient.api(Namespace.self).list()
            _ = try await operatorClient.api(ClusterExternalSecret.self).list()
            _ = try await operatorClient.api(ClusterPushSecret.self).list()
            for missing in [
                await apiError {
                    _ = try await operatorClient.api(PasswordGenerator.self, namespace: "default").get("none")
                },
                await apiError { _ = try await operatorClient.api(ClusterGenerator.self).get("none") },
            ] {
                #expect(missing?.isNotFound == true, "generators are readable with a GET")
            }
            let missingLease = await apiError {
                _ = try await operatorClient.api(Lease.self, namespace: namespace).get(
                    ExternalSecretsManifests.leaderElectionLease)
            }
            #expect(missingLease?.isNotFound == true)
            let lease = try await operatorClient.api(Lease.self, namespace: namespace).create(
                Lease(metadata: ObjectMeta(name: ExternalSecretsManifests.leaderElectionLease)))
            #expect(lease.metadata.uid != nil)

            let forbidden: [(String, () async throws -> Void)] = [
                ("list configmaps", { _ = try await operatorClient.api(ConfigMap.self, namespace: "default").list() }),
                // Namespaces are listed and watched (ClusterExternalSecret), never changed.
                (
                    "label a namespace",
                    {
                        _ = try await operatorClient.api(Namespace.self).patch(
                            namespace, .merge(["metadata": ["labels": ["x": "y"]]]))
                    }
                ),
                (
                    "lease elsewhere",
                    {
                        _ = try await operatorClient.api(Lease.self, namespace: "default").create(
                            Lease(metadata: ObjectMeta(name: "x")))
                    }
                ),
                // Generators are read, never listed or changed.
                (
                    "list passwords",
                    { _ = try await operatorClient.api(PasswordGenerator.self, namespace: "default").list() }
                ),
                ("delete a generator", { try await operatorClient.api(ClusterGenerator.self).delete("any") }),
                ("delete a store", { try await operatorClient.api(ClusterSecretStore.self).delete("any") }),
                (
                    "create a store",
                    {
                        _ = try await operatorClient.api(ClusterSecretStore.self).create(
                            ClusterSecretStore(
                                metadata: ObjectMeta(name: "x"),
                                spec: SecretStoreSpec(provider: SecretStoreProvider(fake: FakeProvider(data: [])))))
                    }
                ),
            ]
            for (what, attempt) in forbidden {
                let error = await apiError { try await attempt() }
                #expect(error?.isForbidden == true, "\(what)")
            }
        }
    }

    static let descriptors: [String: ResourceDescriptor] = [
        "CustomResourceDefinition": CustomResourceDefinition.resource,
        "Namespace": Namespace.resource,
        "ServiceAccount": ServiceAccount.resource,
        "ClusterRole": rbac("ClusterRole", "clusterroles", namespaced: false),
        "ClusterRoleBinding": rbac("ClusterRoleBinding", "clusterrolebindings", namespaced: false),
        "Role": rbac("Role", "roles", namespaced: true),
        "RoleBinding": rbac("RoleBinding", "rolebindings", namespaced: true),
        "Deployment": ResourceDescriptor(
            group: "apps", version: "v1", kind: "Deployment", plural: "deployments", namespaced: true),
    ]

    static func rbac(_ kind: String, _ plural: String, namespaced: Bool) -> ResourceDescriptor {
        ResourceDescriptor(
            group: "rbac.authorization.k8s.io", version: "v1", kind: kind, plural: plural, namespaced: namespaced)
    }

    private struct APIResourceList: Decodable {
        struct Resource: Decodable {
            var name: String
            var kind: String
            var namespaced: Bool
            var shortNames: [String]?
            var categories: [String]?
        }
        var resources: [Resource]
    }

    @Test func discoveryListsShortNamesAndCategories() async throws {
        try await withAdminClient { client in
            try await installCRDs(client)
            var list: APIResourceList?
            #expect(
                try await eventually {
                    list = try? await client.send(
                        KubeRequest(method: .GET, path: "/apis/external-secrets.io/v1"), decoding: APIResourceList.self)
                    return list?.resources.count ?? 0 >= 3
                })
            let main = (list?.resources ?? []).filter { !$0.name.contains("/") }
            #expect(
                main.map { "\($0.name) \($0.kind) \($0.namespaced) \($0.shortNames ?? [])" }.sorted() == [
                    #"clusterexternalsecrets ClusterExternalSecret false ["ces"]"#,
                    #"clustersecretstores ClusterSecretStore false ["css"]"#,
                    #"externalsecrets ExternalSecret true ["es"]"#,
                    #"secretstores SecretStore true ["ss"]"#,
                ])
            #expect(main.allSatisfy { $0.categories == ["external-secrets"] })
            let names = Set(list?.resources.map(\.name) ?? [])
            #expect(
                names.isSuperset(of: ["externalsecrets/status", "secretstores/status", "clustersecretstores/status"]))
        }
    }

    // MARK: - Documentation examples, with the server's defaults

    @Test func storeExamplesAreAcceptedAndReadBackWithDefaults() async throws {
        try await withAdminClient { client in
            try await installCRDs(client)
            let namespace = try await makeNamespace(client, prefix: "stores")
            let stores = client.api(SecretStore.self, namespace: namespace)

            try await create(
                """
                apiVersion: external-secrets.io/v1
                kind: SecretStore
                metadata:
                  name: cluster-secrets
                spec:
                  provider:
                    kubernetes:
                      server:
                        caProvider:
                          type: ConfigMap
                          name: kube-root-ca.crt
                          key: ca.crt
                      auth:
                        serviceAccount:
                          name: secret-reader
                """, client: client, namespace: namespace)
            let kubernetes = try #require(try await stores.get("cluster-secrets").spec.provider.kubernetes)
            #expect(kubernetes.remoteNamespace == "default")
            #expect(kubernetes.server?.url == "kubernetes.default")
            #expect(
                kubernetes.server?.caProvider == CAProvider(type: "ConfigMap", name: "kube-root-ca.crt", key: "ca.crt"))
            #expect(kubernetes.auth?.serviceAccount?.name == "secret-reader")

            try await create(
                """
                apiVersion: external-secrets.io/v1
                kind: SecretStore
                metadata:
                  name: vault-backend
                spec:
                  refreshInterval: 300
                  provider:
                    vault:
                      server: "http://my.vault.server:8200"
                      path: secret
                      version: v2
                      auth:
                        tokenSecretRef:
                          name: vault-token
                          key: token
                """, client: client, namespace: namespace)
            let vault = try await stores.get("vault-backend")
            #expect(vault.spec.refreshInterval == .int(300))
            #expect(vault.spec.provider.configuredProviderNames == ["vault"])
            #expect(vault.spec.provider.vault?.auth?.tokenSecretRef?.key == "token")
            #expect(vault.spec.provider.vault?.version == .v2)

            let clusterName = "fake-\(namespace)"
            try await create(
                """
                apiVersion: external-secrets.io/v1
                kind: ClusterSecretStore
                metadata:
                  name: \(clusterName)
                spec:
                  refreshInterval: 5m
                  conditions:
                  - namespaces: [\(namespace)]
                  - namespaceSelector:
                      matchLabels:
                        team: a
                  - namespaceRegexes: ["^team-.*"]
                  provider:
                    fake:
                      data:
                      - key: /foo/bar
                        value: HELLO1
                        version: v1
                      - key: /foo/baz
                        value: '{"john": "doe"}'
                        version: v1
                """, client: client, namespace: nil)
            let cluster = try await client.api(ClusterSecretStore.self).get(clusterName)
            #expect(cluster.spec.refreshInterval == .string("5m"))
            #expect(cluster.spec.conditions?.count == 3)
            #expect(cluster.spec.conditions?[1].namespaceSelector?.matchLabels == ["team": "a"])
            #expect(cluster.spec.provider.fake?.data.map(\.key) == ["/foo/bar", "/foo/baz"])

            // Status is a subresource: written through it, and read back through the Swift type.
            var withStatus = cluster
            withStatus.status = SecretStoreStatus(
                conditions: [
                    StatusCondition(type: "Ready", status: "True", reason: "Valid", message: "store validated")
                ],
                capabilities: "ReadOnly")
            let updated = try await client.api(ClusterSecretStore.self).replaceStatus(withStatus)
            #expect(updated.status?.conditions?.first?.reason == "Valid")
            #expect(updated.status?.capabilities == "ReadOnly")
            try await client.api(ClusterSecretStore.self).delete(clusterName)
        }
    }

    @Test func externalSecretExampleIsAcceptedAndReadBackWithDefaults() async throws {
        try await withAdminClient { client in
            try await installCRDs(client)
            let namespace = try await makeNamespace(client, prefix: "es")
            try await create(
                """
                apiVersion: external-secrets.io/v1
                kind: ExternalSecret
                metadata:
                  name: example
                spec:
                  secretStoreRef:
                    name: cluster-secrets
                    kind: SecretStore
                  target:
                    name: secret-to-be-created
                    template:
                      type: kubernetes.io/dockerconfigjson
                      data:
                        .dockerconfigjson: "{{ .mysecret | toString }}"
                      templateFrom:
                      - configMap:
                          name: alertmanager
                          items:
                          - key: alertmanager.yaml
                  data:
                  - secretKey: secret-key-to-be-managed
                    remoteRef:
                      key: provider-key
                      version: provider-key-version
                      property: provider-key-property
                  dataFrom:
                  - extract:
                      key: remote-key-in-the-provider
                  - find:
                      name:
                        regexp: "^db-"
                    rewrite:
                    - merge:
                        priority: [db-main]
                    - regexp:
                        source: "db-(.*)"
                        target: "$1"
                  - sourceRef:
                      generatorRef:
                        kind: Password
                        name: my-password
                """, client: client, namespace: namespace)
            let example = try await client.api(ExternalSecret.self, namespace: namespace).get("example")
            let spec = example.spec
            #expect(spec.refreshInterval == "1h0m0s")
            #expect(spec.target?.creationPolicy == .owner)
            #expect(spec.target?.deletionPolicy == .retain)
            let template = try #require(spec.target?.template)
            #expect(template.engineVersion == "v2")
            #expect(template.mergePolicy == .replace)
            #expect(template.templateFrom?.first?.target == "Data")
            #expect(template.templateFrom?.first?.configMap?.items.first?.templateAs == "Values")
            #expect(template.data?[".dockerconfigjson"] == "{{ .mysecret | toString }}")
            let merge = try #require(spec.dataFrom?[1].rewrite?.first?.merge)
            #expect(
                merge
                    == RewriteMerge(
                        priority: ["db-main"], priorityPolicy: "Strict", conflictPolicy: "Error", strategy: "Extract"))
            #expect(spec.dataFrom?[1].rewrite?[1].regexp == RewriteRegexp(source: "db-(.*)", target: "$1"))
            #expect(
                spec.dataFrom?[2].sourceRef?.generatorRef
                    == GeneratorRef(
                        apiVersion: "generators.external-secrets.io/v1alpha1", kind: "Password", name: "my-password"))
            #expect(spec.data?.first?.remoteRef.property == "provider-key-property")

            // Without a target, the whole default target is filled in.
            try await create(
                """
                apiVersion: external-secrets.io/v1
                kind: ExternalSecret
                metadata:
                  name: minimal
                spec:
                  refreshInterval: 0s
                  secretStoreRef:
                    name: fake
                    kind: ClusterSecretStore
                  data:
                  - secretKey: greeting
                    remoteRef:
                      key: /foo/bar
                """, client: client, namespace: namespace)
            let minimal = try await client.api(ExternalSecret.self, namespace: namespace).get("minimal")
            #expect(minimal.spec.target == ExternalSecretTarget(creationPolicy: .owner, deletionPolicy: .retain))
            #expect(minimal.spec.refreshInterval == "0s")

            // The printer columns kubectl shows.
            let table = try await client.send(
                KubeRequest(
                    method: .GET, path: "/apis/external-secrets.io/v1/namespaces/\(namespace)/externalsecrets/example",
                    headers: [("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")]),
                decoding: Table.self)
            #expect(
                table.columnDefinitions.map(\.name).prefix(7) == [
                    "Name", "StoreType", "Store", "Refresh Interval", "Status", "Ready", "Last Sync",
                ])
            #expect(table.rows.first?.cells.prefix(4) == ["example", "SecretStore", "cluster-secrets", "1h0m0s"])

            // Status through the subresource: a Ready condition and a null refreshTime.
            let status = try await client.dynamicAPI(ExternalSecret.resource, namespace: namespace).patchStatus(
                "example",
                .merge([
                    "status": [
                        "refreshTime": nil, "binding": ["name": "secret-to-be-created"],
                        "conditions": [["type": "Ready", "status": "True", "reason": "SecretSynced"]],
                    ]
                ]))
            #expect(status["status"]?["binding"]?["name"] == "secret-to-be-created")
            let typed = try await client.api(ExternalSecret.self, namespace: namespace).get("example")
            #expect(typed.status?.conditions?.condition(ofType: "Ready")?.reason == "SecretSynced")
            let badCondition = await apiError {
                _ = try await client.dynamicAPI(ExternalSecret.resource, namespace: namespace).patchStatus(
                    "example", .merge(["status": ["conditions": [["type": "Synced", "status": "True"]]]]))
            }
            #expect(badCondition?.isInvalid == true)
        }
    }

    private struct Table: Decodable {
        struct Column: Decodable { var name: String }
        struct Row: Decodable { var cells: [JSONValue] }
        var columnDefinitions: [Column]
        var rows: [Row]
    }

    @Test func unknownFieldsArePrunedExceptInsideUnsupportedProviders() async throws {
        try await withAdminClient { client in
            try await installCRDs(client)
            let namespace = try await makeNamespace(client, prefix: "prune")
            try await create(
                """
                apiVersion: external-secrets.io/v1
                kind: ExternalSecret
                metadata:
                  name: pruned
                spec:
                  notAField: 1
                  target:
                    alsoNotAField: true
                  dataFrom:
                  - extract:
                      key: k
                      unknown: x
                """, client: client, namespace: namespace)
            let stored = try await client.dynamicAPI(ExternalSecret.resource, namespace: namespace).get("pruned")
            #expect(stored["spec"]?["notAField"] == nil)
            #expect(stored["spec"]?["target"]?["alsoNotAField"] == nil)
            #expect(stored["spec"]?["dataFrom"]?.arrayValue?.first?["extract"] == ["key": "k"])
            // Decoded and re-encoded by the Swift type, the stored spec is unchanged.
            let typed = try stored.content["spec"]?.decode(as: ExternalSecretSpec.self)
            #expect(try typed.map { try JSONValue(encoding: $0) } == stored["spec"])
        }
    }

    // MARK: - ESO's webhook rules, in the schema

    static let invalidSpecs: [(String, JSONValue)] = [
        ("Delete with Merge", policySpec(deletion: "Delete", creation: "Merge")),
        ("Delete with None", policySpec(deletion: "Delete", creation: "None")),
        ("Merge with None", policySpec(deletion: "Merge", creation: "None")),
        ("extract and find", dataFromSpec(["extract": extract, "find": find])),
        ("extract and generator", dataFromSpec(["extract": extract, "sourceRef": ["generatorRef": generator]])),
        ("find and generator", dataFromSpec(["find": find, "sourceRef": ["generatorRef": generator]])),
        ("all three", dataFromSpec(["extract": extract, "find": find, "sourceRef": ["generatorRef": generator]])),
        ("neither", dataFromSpec(["rewrite": [["regexp": ["source": "a", "target": "b"]]]])),
        ("empty sourceRef", dataFromSpec(["sourceRef": [:]])),
        ("store and generator", dataFromSpec(["sourceRef": ["generatorRef": generator, "storeRef": ["name": "s"]]])),
        ("service account token", templateSpec(type: "kubernetes.io/service-account-token")),
        ("bootstrap token", templateSpec(type: "bootstrap.kubernetes.io/token")),
        ("no data", ["secretStoreRef": ["name": "s"]]),
        ("empty data", ["data": [], "dataFrom": []]),
        ("bad generator kind", dataFromSpec(["sourceRef": ["generatorRef": ["kind": "Nope", "name": "g"]]])),
    ]

    static let validSpecs: [(String, JSONValue)] = [
        ("Delete, creation defaulted to Owner", ["target": ["deletionPolicy": "Delete"], "data": data]),
        ("Merge, creation defaulted to Owner", ["target": ["deletionPolicy": "Merge"], "data": data]),
        ("None, deletion defaulted to Retain", ["target": ["creationPolicy": "None"], "data": data]),
        ("Delete with Owner", policySpec(deletion: "Delete", creation: "Owner")),
        ("Delete with Orphan (ESO allows it)", policySpec(deletion: "Delete", creation: "Orphan")),
        ("Delete with CreateOrMerge (ESO allows it)", policySpec(deletion: "Delete", creation: "CreateOrMerge")),
        ("Merge with Merge", policySpec(deletion: "Merge", creation: "Merge")),
        ("Retain with None", policySpec(deletion: "Retain", creation: "None")),
        ("extract from another store", dataFromSpec(["extract": extract, "sourceRef": ["storeRef": ["name": "s"]]])),
        ("find in another store", dataFromSpec(["find": find, "sourceRef": ["storeRef": ["name": "s"]]])),
        ("generator only", dataFromSpec(["sourceRef": ["generatorRef": generator]])),
        ("store only (ESO allows it)", dataFromSpec(["sourceRef": ["storeRef": ["name": "s"]]])),
        ("Opaque template", templateSpec(type: "Opaque")),
        ("dataFrom only", dataFromSpec(["extract": extract])),
    ]

    static let data: JSONValue = [["secretKey": "k", "remoteRef": ["key": "remote"]]]
    static let extract: JSONValue = ["key": "remote"]
    static let find: JSONValue = ["name": ["regexp": ".*"]]
    static let generator: JSONValue = ["kind": "Password", "name": "pw"]

    static func policySpec(deletion: String, creation: String) -> JSONValue {
        ["target": ["deletionPolicy": .string(deletion), "creationPolicy": .string(creation)], "data": data]
    }

    static func dataFromSpec(_ entry: JSONValue) -> JSONValue { ["dataFrom": [entry]] }

    static func templateSpec(type: String) -> JSONValue {
        ["target": ["template": ["type": .string(type)]], "data": data]
    }

    @Test func webhookRulesAreEnforcedByTheSchema() async throws {
        try await withAdminClient { client in
            try await installCRDs(client)
            let namespace = try await makeNamespace(client, prefix: "rules")
            let api = client.dynamicAPI(ExternalSecret.resource, namespace: namespace)
            for (index, (name, spec)) in Self.invalidSpecs.enumerated() {
                let error = await apiError {
                    _ = try await api.create(Self.externalSecret("invalid-\(index)", spec: spec))
                }
                #expect(error?.statusCode == 422, "\(name): \(error.map { "\($0)" } ?? "accepted")")
            }
            for (index, (name, spec)) in Self.validSpecs.enumerated() {
                do {
                    _ = try await api.create(Self.externalSecret("valid-\(index)", spec: spec))
                } catch {
                    Issue.record("\(name) was refused: \(error)")
                }
            }
            // Rules hold on update too, after defaulting: Delete added to a None target is refused.
            _ = try await api.create(
                Self.externalSecret("update", spec: ["target": ["creationPolicy": "None"], "data": Self.data]))
            let update = await apiError {
                _ = try await api.patch("update", .merge(["spec": ["target": ["deletionPolicy": "Delete"]]]))
            }
            #expect(update?.statusCode == 422)
            // An ExternalSecret without a spec is refused (ESO's webhook refuses it for lacking data).
            let noSpec = await apiError {
                _ = try await api.create(
                    DynamicObject(
                        apiVersion: ExternalSecret.resource.apiVersion, kind: "ExternalSecret",
                        metadata: ObjectMeta(name: "no-spec")))
            }
            #expect(noSpec?.statusCode == 422)
        }
    }

    /// ESO's PushSecret example is accepted and read back with ESO's defaults; the rules ESO states
    /// in CEL (dataTo) hold as structural rules, and the selector takes exactly one source.
    @Test func pushSecretExampleAndRules() async throws {
        try await withAdminClient { client in
            try await installCRDs(client)
            let namespace = try await makeNamespace(client, prefix: "push")
            try await create(
                """
                apiVersion: external-secrets.io/v1alpha1
                kind: PushSecret
                metadata:
                  name: example
                spec:
                  secretStoreRefs:
                    - name: aws-store
                    - kind: ClusterSecretStore
                      labelSelector:
                        matchLabels:
                          team: a
                  selector:
                    secret:
                      name: source
                  data:
                    - match:
                        secretKey: password
                        remoteRef:
                          remoteKey: db/password
                      metadata:
                        apiVersion: kubernetes.external-secrets.io/v1alpha1
                        kind: PushSecretMetadata
                        spec:
                          tags:
                            team: a
                  dataTo:
                    - storeRef:
                        name: aws-store
                      match:
                        regexp: "^db_"
                      rewrite:
                        - regexp:
                            source: "^db_"
                            target: "app/"
                """, client: client, namespace: namespace)
            let ps = try await client.api(PushSecret.self, namespace: namespace).get("example")
            #expect(ps.spec.refreshInterval == "1h0m0s")
            #expect(ps.spec.updatePolicy == .replace && ps.spec.deletionPolicy == PushSecretDeletionPolicy.none)
            #expect(ps.spec.secretStoreRefs.map(\.kind) == [.secretStore, .clusterSecretStore])
            #expect(ps.spec.data?.first?.conversionStrategy == PushSecretConversionStrategy.none)
            #expect(ps.spec.data?.first?.metadata?["spec"]?["tags"]?["team"] == "a")

            let api = client.dynamicAPI(PushSecret.resource, namespace: namespace)
            let base: [String: JSONValue] = [
                "secretStoreRefs": [["name": "s"]], "selector": ["secret": ["name": "source"]],
            ]
            let invalid: [(String, JSONValue)] = [
                ("dataTo without storeRef", ["dataTo": [["remoteKey": "k"]]]),
                ("dataTo storeRef without name or selector", ["dataTo": [["storeRef": ["kind": "SecretStore"]]]]),
                (
                    "remoteKey with rewrite",
                    [
                        "dataTo": [
                            [
                                "storeRef": ["name": "s"], "remoteKey": "k",
                                "rewrite": [["transform": ["template": "x"]]],
                            ]
                        ]
                    ]
                ),
                (
                    "rewrite with regexp and transform",
                    [
                        "dataTo": [
                            [
                                "storeRef": ["name": "s"],
                                "rewrite": [
                                    ["regexp": ["source": "a", "target": "b"], "transform": ["template": "x"]]
                                ],
                            ]
                        ]
                    ]
                ),
                (
                    "two sources",
                    ["selector": ["secret": ["name": "a"], "generatorRef": ["kind": "Password", "name": "p"]]]
                ),
                ("no secretStoreRefs", ["secretStoreRefs": .null]),
            ]
            for (index, (name, change)) in invalid.enumerated() {
                var spec = base
                for (key, value) in change.objectValue ?? [:] { spec[key] = value == .null ? nil : value }
                let error = await apiError {
                    _ = try await api.create(
                        DynamicObject(
                            apiVersion: PushSecret.resource.apiVersion, kind: "PushSecret",
                            metadata: ObjectMeta(name: "invalid-\(index)"), content: ["spec": .object(spec)]))
                }
                #expect(error?.statusCode == 422, "\(name): \(error.map { "\($0)" } ?? "accepted")")
            }
            // remoteKey with an empty rewrite list is allowed, as ESO's rule allows it.
            var spec = base
            spec["dataTo"] = [["storeRef": ["name": "s"], "remoteKey": "k", "rewrite": []]]
            _ = try await api.create(
                DynamicObject(
                    apiVersion: PushSecret.resource.apiVersion, kind: "PushSecret", metadata: ObjectMeta(name: "valid"),
                    content: ["spec": .object(spec)]))
        }
    }

    static func externalSecret(_ name: String, spec: JSONValue) -> DynamicObject {
        DynamicObject(
            apiVersion: ExternalSecret.resource.apiVersion, kind: "ExternalSecret", metadata: ObjectMeta(name: name),
            content: ["spec": spec])
    }

    /// The generator CRDs on the real API server: ESO's defaults are filled in, ESO's constraints
    /// refuse what ESO refuses, and a ClusterGenerator of a kind not run here keeps its spec.
    @Test func generatorSchemasDefaultAndRefuseAsESOs() async throws {
        try await withAdminClient { client in
            try await installCRDs(client)
            let namespace = try await makeNamespace(client, prefix: "generators")
            func object(_ resource: ResourceDescriptor, _ name: String, spec: JSONValue) -> DynamicObject {
                DynamicObject(
                    apiVersion: resource.apiVersion, kind: resource.kind, metadata: ObjectMeta(name: name),
                    content: ["spec": spec])
            }
            let passwords = client.api(PasswordGenerator.self, namespace: namespace)
            _ = try await client.dynamicAPI(PasswordGenerator.resource, namespace: namespace).create(
                object(PasswordGenerator.resource, "defaults", spec: [:]))
            #expect(
                try await passwords.get("defaults").spec
                    == PasswordSpec(length: 24, noUpper: false, allowRepeat: false, encoding: .raw))
            let sshKeys = client.api(SSHKeyGenerator.self, namespace: namespace)
            _ = try await client.dynamicAPI(SSHKeyGenerator.resource, namespace: namespace).create(
                object(SSHKeyGenerator.resource, "defaults", spec: [:]))
            #expect(try await sshKeys.get("defaults").spec?.keyType == .rsa)

            let refused: [(ResourceDescriptor, JSONValue)] = [
                (PasswordGenerator.resource, ["encoding": "rot13"]),
                (PasswordGenerator.resource, ["secretKeys": []]),
                (SSHKeyGenerator.resource, ["keySize": 128]),
                (SSHKeyGenerator.resource, ["keyType": "dsa"]),
                (MFAGenerator.resource, ["length": 6]),
                (ECRAuthorizationTokenGenerator.resource, ["scope": "public"]),
                (
                    STSSessionTokenGenerator.resource,
                    ["region": "us-east-1", "requestParameters": ["sessionDuration": "1h"]]
                ),
                (
                    ClusterGenerator.resource,
                    ["kind": "ECRAuthorizationToken", "generator": ["ecrAuthorizationTokenSpec": [:]]]
                ),
                (ClusterGenerator.resource, ["kind": "Password", "generator": [:]]),
                (
                    ClusterGenerator.resource,
                    ["kind": "Password", "generator": ["passwordSpec": [:], "uuidSpec": [:]]]
                ),
                (ClusterGenerator.resource, ["kind": "Nope", "generator": ["uuidSpec": [:]]]),
                (WebhookGenerator.resource, ["url": "http://x"]),
                (GithubAccessTokenGenerator.resource, ["appID": "1", "installID": "2"]),
                (QuayAccessTokenGenerator.resource, ["robotAccount": "org+robot"]),
                (
                    GrafanaGenerator.resource,
                    [
                        "url": "http://g", "auth": [:],
                        "serviceAccount": ["name": "eso", "role": "Viewer", "secondsToLive": 0],
                    ]
                ),
            ]
            for (index, (resource, spec)) in refused.enumerated() {
                let error = await apiError {
                    _ = try await client.dynamicAPI(resource, namespace: resource.namespaced ? namespace : nil).create(
                        object(resource, "\(namespace)-refused-\(index)", spec: spec))
                }
                #expect(error?.statusCode == 422, "\(resource.kind) \(spec)")
            }

            let webhook: JSONValue = ["url": "https://hooks.example/token", "result": ["jsonPath": "$.token"]]
            let name = "\(namespace)-webhook"
            _ = try await client.dynamicAPI(ClusterGenerator.resource).create(
                object(
                    ClusterGenerator.resource, name,
                    spec: ["kind": "Webhook", "generator": ["webhookSpec": webhook]]))
            let stored = try await client.api(ClusterGenerator.self).get(name)
            #expect(stored.spec.generator["webhookSpec"] == webhook)
            try await client.api(ClusterGenerator.self).delete(name)
        }
    }

    @Test func storesNeedExactlyOneProvider() async throws {
        try await withAdminClient { client in
            try await installCRDs(client)
            let namespace = try await makeNamespace(client, prefix: "providers")
            let api = client.dynamicAPI(SecretStore.resource, namespace: namespace)
            let specs: [JSONValue] = [
                ["provider": [:]],
                ["provider": ["fake": ["data": []], "vault": ["server": "x"]]],
                [
                    "provider": [
                        "kubernetes": [
                            "auth": [
                                "token": ["bearerToken": ["name": "t"]],
                                "cert": [
                                    "clientCert": ["name": "c"], "clientKey": ["name": "k"],
                                ],
                            ]
                        ]
                    ]
                ],
                [:],
            ]
            for (index, spec) in specs.enumerated() {
                let error = await apiError {
                    _ = try await api.create(
                        DynamicObject(
                            apiVersion: SecretStore.resource.apiVersion, kind: "SecretStore",
                            metadata: ObjectMeta(name: "s-\(index)"), content: ["spec": spec]))
                }
                #expect(error?.statusCode == 422, "\(spec)")
            }
        }
    }
}

// MARK: - Helpers

/// Creates the CRDs unless they exist, and waits until each is Established and served.
func installCRDs(_ client: KubeClient) async throws {
    let crds = client.api(CustomResourceDefinition.self)
    for crd in ExternalSecretsCRDs.all {
        do {
            _ = try await crds.create(crd)
        } catch let error as KubeAPIError where error.isAlreadyExists {}
        let name = try #require(crd.metadata.name)
        #expect(try await eventually { try await crds.get(name).isEstablished }, "\(name) not Established")
    }
    // Established comes a moment before the new endpoints answer.
    #expect(
        try await eventually {
            let externalSecrets = try? await client.api(ExternalSecret.self, namespace: "default").list()
            let stores = try? await client.api(SecretStore.self, namespace: "default").list()
            let clusterStores = try? await client.api(ClusterSecretStore.self).list()
            return externalSecrets != nil && stores != nil && clusterStores != nil
        })
}

/// Creates the object of a YAML manifest (in `namespace` when it is namespaced).
func create(_ manifest: String, client: KubeClient, namespace: String?) async throws {
    let documents = try ManifestYAML.parse(manifest)
    for document in documents {
        var object = try document.decode(as: DynamicObject.self)
        let kind = object.kind ?? ""
        let resource = try #require(
            [ExternalSecret.resource, SecretStore.resource, ClusterSecretStore.resource, PushSecret.resource].first {
                $0.kind == kind
            })
        if resource.namespaced { object.metadata.namespace = namespace }
        _ = try await client.dynamicAPI(resource, namespace: resource.namespaced ? namespace : nil).create(object)
    }
}
