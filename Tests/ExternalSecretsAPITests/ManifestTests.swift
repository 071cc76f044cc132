import ExternalSecretsAPI
import Foundation
import KubeModel
import Testing

@Suite struct ManifestTests {
    static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    static func committed(_ path: String) throws -> String {
        try String(contentsOf: repositoryRoot.appendingPathComponent(path), encoding: .utf8)
    }

    @Test func committedCRDsAreCurrent() throws {
        try expectCurrent(
            "config/crds/external-secrets.io_v1.yaml", generated: ExternalSecretsManifests.crdsYAML(),
            command: "manifests crds")
    }

    @Test func committedChartFilesAreCurrent() throws {
        for file in try ExternalSecretsManifests.chartFiles() {
            try expectCurrent(
                "\(ExternalSecretsManifests.chartDirectory)/\(file.path)", generated: file.content,
                command: "manifests chart-files")
        }
    }

    @Test func committedInstallManifestIsCurrent() throws {
        try expectCurrent(
            "config/install.yaml", generated: ExternalSecretsManifests.installYAML(), command: "manifests install")
    }

    /// Compares a committed file with what the CLI prints now, naming the first differing line
    /// and the command that regenerates it.
    func expectCurrent(_ path: String, generated: String, command: String) throws {
        let committed = try Self.committed(path)
        guard committed != generated else { return }
        let (old, new) = (
            committed.split(separator: "\n", omittingEmptySubsequences: false),
            generated.split(separator: "\n", omittingEmptySubsequences: false)
        )
        let line =
            zip(old, new).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(old.count, new.count)
        Issue.record(
            """
            \(path) is not what `external-secrets \(command)` prints; first difference at line \(line + 1):
              committed: \(line < old.count ? old[line] : "<end>")
              generated: \(line < new.count ? new[line] : "<end>")
            Regenerate it with: \(command == "manifests chart-files" ? "swift run external-secrets manifests chart-files" : "swift run external-secrets \(command) > \(path)")
            """)
    }

    @Test func renderedYAMLReadsBackAsTheSameDocuments() throws {
        let documents = try ExternalSecretsManifests.install()
        #expect(try ManifestYAML.parse(ManifestYAML.render(documents)) == documents)
    }

    @Test func stringsThatLookLikeOtherTypesStayStrings() throws {
        let tricky: JSONValue = [
            "bool": "true", "yes": "yes", "int": "1", "float": "1.5", "null": "null", "empty": "",
            "date": "2024-01-02", "colon": "a: b", "hash": "# x", "multi": "line 1\nline 2\n",
            "trailing": "a \nb", "leading": "  indented\nnext", "quote": "'\"", "unicode": "é ✓",
            "number": 7, "negative": -3, "double": .double(0.25), "flag": false, "nothing": nil, "list": [[:], []],
        ]
        let text = try ManifestYAML.render([tricky])
        #expect(try ManifestYAML.parse(text) == [tricky])
        #expect(text.contains("multi: |"))
    }

    @Test func installManifestHasTheOperatorsObjects() throws {
        let documents = try ExternalSecretsManifests.install(namespace: "eso", image: "registry.example/eso:1")
        let kinds = documents.compactMap { $0["kind"]?.stringValue }
        // Six CRDs of external-secrets.io, fourteen of generators.external-secrets.io.
        #expect(
            kinds
                == Array(repeating: "CustomResourceDefinition", count: 20) + [
                    "Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Deployment",
                ])
        let namespaced = documents.filter {
            ["ServiceAccount", "Role", "RoleBinding", "Deployment"].contains($0["kind"])
        }
        #expect(namespaced.allSatisfy { $0["metadata"]?["namespace"] == "eso" })
        let deployment = try #require(documents.last)
        let pod = try #require(deployment["spec"]?["template"]?["spec"])
        let container = try #require(pod["containers"]?.arrayValue?.first)
        #expect(deployment["spec"]?["replicas"] == 1)
        #expect(container["image"] == "registry.example/eso:1")
        #expect(container["args"] == ["controller", "--enable-leader-election"])
        #expect(container["livenessProbe"]?["httpGet"] == ["path": "/healthz", "port": 8082])
        #expect(container["readinessProbe"]?["httpGet"] == ["path": "/readyz", "port": 8082])
        #expect(container["ports"]?.arrayValue?.compactMap { $0["containerPort"]?.integerValue } == [8080, 8082])
        let security = try #require(container["securityContext"])
        #expect(security["runAsNonRoot"] == true && security["readOnlyRootFilesystem"] == true)
        #expect(security["allowPrivilegeEscalation"] == false)
        #expect(security["capabilities"] == ["drop": ["ALL"]])
        #expect(security["seccompProfile"] == ["type": "RuntimeDefault"])
        #expect(container["resources"]?["requests"] != nil && container["resources"]?["limits"] != nil)
        #expect(pod["serviceAccountName"] == "external-secrets")
    }

    /// The ClusterRole grants exactly the verbs the operator needs (least privilege).
    @Test func clusterRoleGrantsOnlyWhatTheOperatorNeeds() throws {
        let documents = try ExternalSecretsManifests.install()
        let role = try #require(documents.first { $0["kind"] == "ClusterRole" })
        var grants: Set<String> = []
        for rule in role["rules"]?.arrayValue ?? [] {
            for group in rule["apiGroups"]?.arrayValue ?? [] {
                for resource in rule["resources"]?.arrayValue ?? [] {
                    for verb in rule["verbs"]?.arrayValue ?? [] {
                        grants.insert(
                            "\(group.stringValue ?? "")/\(resource.stringValue ?? "") \(verb.stringValue ?? "")")
                    }
                }
            }
        }
        var expected: Set<String> = []
        for kind in [
            "externalsecrets", "secretstores", "clustersecretstores", "pushsecrets", "clusterexternalsecrets",
            "clusterpushsecrets",
        ] {
            for verb in ["get", "list", "watch"] { expected.insert("external-secrets.io/\(kind) \(verb)") }
            expected.insert("external-secrets.io/\(kind)/status patch")
        }
        // Finalizers are set on the objects themselves (merge patch with a resourceVersion).
        for kind in ["externalsecrets", "pushsecrets"] { expected.insert("external-secrets.io/\(kind) patch") }
        // ClusterExternalSecret / ClusterPushSecret: ESO's finalizer is removed with a patch; the
        // objects they fan out are created, replaced and deleted; namespaces are listed and
        // watched, never changed.
        for kind in ["clusterexternalsecrets", "clusterpushsecrets"] { expected.insert("external-secrets.io/\(kind) patch") }
        for kind in ["externalsecrets", "pushsecrets"] {
            for verb in ["create", "update", "delete"] { expected.insert("external-secrets.io/\(kind) \(verb)") }
        }
        for verb in ["list", "watch"] { expected.insert("/namespaces \(verb)") }
        // Owner references with blockOwnerDeletion (OwnerReferencesPermissionEnforcement).
        for kind in ["externalsecrets", "clusterexternalsecrets", "clusterpushsecrets"] {
            expected.insert("external-secrets.io/\(kind)/finalizers update")
        }
        // Generators named by generatorRef are read with a GET when an ExternalSecret syncs.
        for kind in [
            "passwords", "uuids", "sshkeys", "fakes", "mfas", "ecrauthorizationtokens", "stssessiontokens",
            "webhooks", "githubaccesstokens", "quayaccesstokens", "grafanas", "vaultdynamicsecrets", "clustergenerators",
        ] {
            expected.insert("generators.external-secrets.io/\(kind) get")
        }
        // GeneratorStates: cached, created with a generation, flagged and finalized with patches,
        // deleted at their deadline.
        for verb in ["list", "watch", "create", "patch", "delete"] {
            expected.insert("generators.external-secrets.io/generatorstates \(verb)")
        }
        for verb in ["get", "list", "watch", "create", "update", "delete"] { expected.insert("/secrets \(verb)") }
        expected.insert("/configmaps get")
        // ClusterSecretStore namespaceSelector conditions read the ExternalSecret's namespace.
        expected.insert("/namespaces get")
        expected.insert("/serviceaccounts/token create")
        // AWS IRSA (`auth.jwt`): the role ARN is an annotation of the ServiceAccount.
        expected.insert("/serviceaccounts get")
        for verb in ["create", "patch"] { expected.insert("/events \(verb)") }
        #expect(grants == expected)
        let leases = try #require(documents.first { $0["kind"] == "Role" })
        #expect(
            leases["rules"] == [
                ["apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["get", "create", "update"]]
            ])
    }
}
