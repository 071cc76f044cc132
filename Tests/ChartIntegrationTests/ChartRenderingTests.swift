import ExternalSecretsAPI
import Foundation
import KubeModel
import OperatorTestSupport
import ProcessTestSupport
import Testing

/// The Helm chart rendered and linted by Helm's own library: lint-clean, restricted Pod Security,
/// RBAC exactly the install generator's rules, every value reaching its object, only flags the
/// operator has.
@Suite struct ChartRenderingTests {
    @Test(arguments: Chart.Values.allCases) func lintStrictPasses(_ values: Chart.Values) async throws {
        let (passed, report) = try await Chart.lint(values)
        #expect(passed, "helm lint --strict:\n\(report)")
    }

    /// The Pod Security Standard "restricted" (and a read-only root filesystem), by default.
    @Test func defaultsMeetTheRestrictedPodSecurityStandard() async throws {
        let rendered = try await Chart.render(.defaults)
        let pod = try #require(rendered.object(kind: "Deployment")["spec"]?["template"]?["spec"])
        #expect(pod["hostNetwork"] == nil && pod["hostPID"] == nil && pod["hostIPC"] == nil)
        #expect(pod["volumes"] == nil)
        let podSecurity = try #require(pod["securityContext"])
        #expect(podSecurity["runAsNonRoot"] == true)
        #expect(podSecurity["runAsUser"] == 65532 && podSecurity["runAsGroup"] == 65532)
        #expect(podSecurity["seccompProfile"] == ["type": "RuntimeDefault"])
        let containers = try #require(pod["containers"]?.arrayValue)
        #expect(containers.count == 1)
        for container in containers {
            let security = try #require(container["securityContext"])
            #expect(security["allowPrivilegeEscalation"] == false)
            #expect(security["privileged"] == nil)
            #expect(security["capabilities"] == ["drop": ["ALL"]])
            #expect(security["runAsNonRoot"] == true && security["runAsUser"] == 65532)
            #expect(security["readOnlyRootFilesystem"] == true)
            #expect(security["seccompProfile"] == ["type": "RuntimeDefault"])
            #expect(container["livenessProbe"]?["httpGet"] == ["path": "/healthz", "port": "live"])
            #expect(container["readinessProbe"]?["httpGet"] == ["path": "/readyz", "port": "live"])
            let ports = container["ports"]?.items.compactMap { port -> String? in
                guard let name = port["name"]?.stringValue, let number = port["containerPort"]?.integerValue else {
                    return nil
                }
                return "\(name)=\(number)"
            }
            #expect(
                ports == [
                    "metrics=\(ExternalSecretsManifests.metricsPort)", "live=\(ExternalSecretsManifests.probesPort)",
                ])
            #expect(
                container["args"]?.items.contains(.string("--live-addr=:\(ExternalSecretsManifests.probesPort)"))
                    == true)
            #expect(container["image"] == "ghcr.io/external-secrets-swift/external-secrets:0.1.0-dev")
        }
    }

    struct RBACCase: CustomTestStringConvertible, Sendable {
        var values: JSONValue
        var scoped: Bool
        var features: Set<RBACRule.Feature>
        var testDescription: String { "\(values)" }
    }

    static let rbacCases: [RBACCase] = {
        // KES (`kes.enabled`) is off by default.
        let all = Set(RBACRule.Feature.allCases).subtracting([.kes])
        // Cluster-scoped kinds, off in scoped mode.
        let clusterOnly: [RBACRule.Feature] = [
            .processClusterStore, .processClusterExternalSecret, .processClusterPushSecret, .processClusterGenerator,
        ]
        return [
            RBACCase(values: [:], scoped: false, features: all),
            RBACCase(values: ["scopedRBAC": true], scoped: true, features: all.subtracting(clusterOnly)),
            RBACCase(
                values: ["scopedNamespace": "team-a", "scopedRBAC": true, "processPushSecret": false], scoped: true,
                features: all.subtracting(clusterOnly + [.processPushSecret])),
            RBACCase(
                values: ["processClusterExternalSecret": false, "processClusterPushSecret": false], scoped: false,
                features: all.subtracting([.processClusterExternalSecret, .processClusterPushSecret])),
            RBACCase(
                values: ["processClusterStore": false], scoped: false, features: all.subtracting([.processClusterStore])
            ),
            RBACCase(values: ["kes": ["enabled": true]], scoped: false, features: all.union([.kes])),
            RBACCase(
                values: ["processClusterGenerator": false], scoped: false,
                features: all.subtracting([.processClusterGenerator])),
            RBACCase(
                values: ["openshiftFinalizers": false, "rbac": ["serviceAccountTokenCreate": false]], scoped: false,
                features: all.subtracting([.openshiftFinalizers, .serviceAccountTokenCreate])),
        ]
    }()

    /// The chart's rules are the generator's (the table `config/install.yaml` is made from), for
    /// each combination of the values that select rules.
    @Test(arguments: rbacCases) func rbacIsTheGeneratorsRules(_ rbacCase: RBACCase) async throws {
        let rendered = try await Chart.render(rbacCase.values)
        let role = try rendered.object(kind: rbacCase.scoped ? "Role" : "ClusterRole")
        #expect(role["metadata"]?["name"] == "external-secrets-controller")
        #expect(role["rules"]?.items == ExternalSecretsManifests.controllerRules(enabled: rbacCase.features))
        // KES's CRD and flag come with its rules.
        let kes = rbacCase.features.contains(.kes)
        let crds = rendered.objects(kind: "CustomResourceDefinition").compactMap {
            $0["metadata"]?["name"]?.stringValue
        }
        #expect(crds.contains("externalsecrets.kubernetes-client.io") == kes)
        let deploymentArgs = try rendered.object(kind: "Deployment")["spec"]?["template"]?["spec"]?["containers"]?.items
            .first?["args"]
        #expect(deploymentArgs?.items.contains("--enable-kes") == kes)
        let binding = try rendered.object(kind: rbacCase.scoped ? "RoleBinding" : "ClusterRoleBinding")
        #expect(binding["roleRef"]?["name"] == "external-secrets-controller")
        #expect(
            binding["subjects"] == [
                ["kind": "ServiceAccount", "name": "external-secrets", "namespace": "external-secrets"]
            ])
        if rbacCase.scoped {
            #expect(
                rendered.objects(kind: "ClusterRole").isEmpty && rendered.objects(kind: "ClusterRoleBinding").isEmpty)
            let scopedNamespace = rbacCase.values["scopedNamespace"]?.stringValue ?? "external-secrets"
            #expect(role["metadata"]?["namespace"] == .string(scopedNamespace))
            let args = try #require(
                rendered.object(kind: "Deployment")["spec"]?["template"]?["spec"]?["containers"]?.items.first?["args"])
            #expect(args.items.contains(.string("--namespace=\(scopedNamespace)")))
            #expect(args.items.contains("--enable-cluster-store-reconciler=false"))
            #expect(args.items.contains("--enable-cluster-external-secret-reconciler=false"))
            #expect(args.items.contains("--enable-cluster-push-secret-reconciler=false"))
        }
        let election = try #require(
            rendered.objects(kind: "Role").first { $0["metadata"]?["name"] == "external-secrets-leaderelection" })
        #expect(election["rules"]?.items == ExternalSecretsManifests.leaderElectionRules.map(\.json))
        #expect(election["metadata"]?["namespace"] == "external-secrets")
    }

    /// Every flag a rendering passes is one `external-secrets controller --help` lists.
    @Test func everyFlagTheChartPassesIsAnOperatorFlag() async throws {
        let help = try await ChildProcess.run(operatorPath, ["controller", "--help"]).stdoutText
        let known = Set(help.matches(of: /--([a-z][a-z0-9-]*)/).map { String($0.1) })
        #expect(known.contains("enable-cluster-store-reconciler"))
        for values in Chart.Values.allCases {
            let rendered = try await Chart.render(values)
            let args = try #require(
                rendered.object(kind: "Deployment")["spec"]?["template"]?["spec"]?["containers"]?.items.first?["args"])
            #expect(args.items.first == "controller")
            for argument in args.items.dropFirst().compactMap(\.stringValue) {
                let flag = argument.dropFirst(2).split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
                #expect(
                    argument.hasPrefix("--") && known.contains(flag),
                    "\(values): \(argument) is not a flag of the operator")
            }
        }
    }

    /// Each option of the all-options values file shows up where ESO's chart puts it.
    @Test func everyOptionReachesItsObject() async throws {
        let rendered = try await Chart.render(.all)
        let deployment = try rendered.object(kind: "Deployment")
        #expect(deployment["metadata"]?["name"] == "platform-eso")
        #expect(deployment["metadata"]?["labels"]?["team"] == "platform")
        #expect(deployment["metadata"]?["annotations"] == ["platform.example/rollout": "canary"])
        #expect(deployment["spec"]?["replicas"] == 2 && deployment["spec"]?["revisionHistoryLimit"] == 3)
        #expect(deployment["spec"]?["strategy"]?["type"] == "RollingUpdate")
        let template = try #require(deployment["spec"]?["template"])
        #expect(template["metadata"]?["annotations"] == ["prometheus.io/scrape": "true"])
        #expect(template["metadata"]?["labels"]?["tier"] == "control")
        #expect(template["metadata"]?["labels"]?["app.kubernetes.io/name"] == "eso")
        let pod = try #require(template["spec"])
        #expect(pod["serviceAccountName"] == "eso-controller")
        #expect(pod["imagePullSecrets"] == [["name": "regcred"]])
        #expect(pod["nodeSelector"] == ["kubernetes.io/os": "linux"])
        #expect(pod["tolerations"]?.items.first?["key"] == "dedicated")
        #expect(pod["affinity"]?["podAntiAffinity"] != nil)
        #expect(pod["priorityClassName"] == "system-cluster-critical")
        #expect(
            pod["topologySpreadConstraints"]?.items.first?["labelSelector"]
                == ["matchLabels": ["app.kubernetes.io/name": "eso", "app.kubernetes.io/instance": "external-secrets"]])
        #expect(pod["volumes"] == [["name": "tmp", "emptyDir": [:]]])
        let container = try #require(pod["containers"]?.items.first)
        #expect(container["image"] == "registry.example/platform/external-secrets:0.1.0")
        #expect(container["imagePullPolicy"] == "Always")
        #expect(container["env"] == [["name": "AWS_REGION", "value": "eu-west-1"]])
        #expect(container["resources"]?["limits"]?["memory"] == "512Mi")
        #expect(container["volumeMounts"] == [["name": "tmp", "mountPath": "/tmp"]])
        #expect(container["livenessProbe"]?["periodSeconds"] == 15)
        #expect(container["readinessProbe"]?["periodSeconds"] == 5)
        #expect(
            container["args"]?.items == [
                "controller", "--enable-leader-election", "--leader-election-id=platform-eso-lease",
                "--enable-cluster-store-reconciler=false", "--enable-secret-store-reconciler=false",
                "--enable-push-secret-reconciler=false", "--enable-cluster-external-secret-reconciler=false",
                "--enable-cluster-push-secret-reconciler=false", "--store-requeue-interval=10m",
                "--controller-class=platform",
                "--concurrent=4", "--metrics-addr=:9090", "--live-addr=:9092", "--loglevel=debug", "--log-format=json",
                "--client-qps=20",
                "--provider-cache-window=30s",
            ])

        let serviceAccount = try rendered.object(kind: "ServiceAccount")
        #expect(serviceAccount["metadata"]?["name"] == "eso-controller")
        #expect(
            serviceAccount["metadata"]?["annotations"]
                == ["eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/external-secrets"])
        #expect(serviceAccount["metadata"]?["labels"]?["audited"] == "true")

        let crdNames = rendered.objects(kind: "CustomResourceDefinition").compactMap {
            $0["metadata"]?["name"]?.stringValue
        }
        // The generator CRDs come with installCRDs; ClusterGenerator's follows crds.createClusterGenerator (off here).
        let generatorCRDs = [
            "passwords", "uuids", "sshkeys", "fakes", "mfas", "ecrauthorizationtokens", "stssessiontokens",
            "webhooks", "githubaccesstokens", "quayaccesstokens", "grafanas", "generatorstates", "vaultdynamicsecrets",
        ].map {
            "\($0).generators.external-secrets.io"
        }
        #expect(
            crdNames == ["externalsecrets.external-secrets.io", "secretstores.external-secrets.io"] + generatorCRDs)
        for crd in rendered.objects(kind: "CustomResourceDefinition") {
            #expect(crd["metadata"]?["annotations"] == ["platform.example/owner": "secrets-team"])
        }
        let service = try rendered.object(kind: "Service")
        #expect(service["spec"]?["ports"]?.items.first?["port"] == 9091)
        #expect(service["metadata"]?["annotations"] == ["prometheus.io/port": "9091"])
        let budget = try rendered.object(kind: "PodDisruptionBudget")
        #expect(budget["apiVersion"] == "policy/v1beta1")
        #expect(budget["spec"]?["minAvailable"] == 1)
        let extras = rendered.objects(kind: "ConfigMap").compactMap { $0["metadata"]?["name"]?.stringValue }
        #expect(extras.sorted() == ["platform-eso-extra", "platform-eso-extra-string"])
        // The cluster does not serve ServiceMonitor: skipped, and NOTES says so.
        #expect(rendered.objects(kind: "ServiceMonitor").isEmpty)
        #expect(rendered.notes.contains("no ServiceMonitor was created"))
        // The ClusterRole follows the process* values.
        let role = try rendered.object(kind: "ClusterRole")
        #expect(
            role["rules"]?.items
                == ExternalSecretsManifests.controllerRules(enabled: []))
    }

    @Test func serviceMonitorFollowsItsCRDAndRenderMode() async throws {
        let served = try await Chart.render(.all, apiVersions: ["monitoring.coreos.com/v1/ServiceMonitor"])
        let monitor = try served.object(kind: "ServiceMonitor")
        #expect(monitor["metadata"]?["labels"]?["release"] == "prometheus")
        let endpoint = try #require(monitor["spec"]?["endpoints"]?.items.first)
        #expect(endpoint["port"] == "metrics" && endpoint["interval"] == "15s" && endpoint["scrapeTimeout"] == "10s")
        #expect(endpoint["honorLabels"] == true)
        #expect(endpoint["metricRelabelings"]?.items.count == 1 && endpoint["relabelings"]?.items.count == 1)
        #expect(monitor["spec"]?["selector"]?["matchLabels"]?["app.kubernetes.io/name"] == "eso")
        #expect(!served.notes.contains("no ServiceMonitor"))

        let always = try await Chart.render(["serviceMonitor": ["enabled": true, "renderMode": "alwaysRender"]])
        #expect(always.objects(kind: "ServiceMonitor").count == 1)
        #expect(always.objects(kind: "Service").count == 1)
        let (status, output) = try await Chart.python([
            "render", Chart.directory,
            try valuesFile(["serviceMonitor": ["enabled": true, "renderMode": "failIfMissing"]]),
            "external-secrets", Chart.kubeVersion,
        ])
        #expect(status != 0 && output.contains("does not serve monitoring.coreos.com/v1 ServiceMonitor"))
    }

    @Test(arguments: [
        ["concurrent": 0] as JSONValue, ["image": ["pullPolicy": "Sometimes"]], ["log": ["level": "verbose"]],
        ["log": ["format": "logfmt"]],
        ["storeRequeueInterval": "5 minutes"], ["scopedRBAC": "yes"],
    ])
    func schemaRefusesWrongValues(_ values: JSONValue) async throws {
        let (status, output) = try await Chart.python([
            "render", Chart.directory, try valuesFile(values), "external-secrets", Chart.kubeVersion,
        ])
        #expect(status != 0, "accepted \(values)")
        #expect(output.contains("schema") || output.contains("values"), "\(output)")
    }

    @Test func leaderElectionWarningAndNamesFromOverrides() async throws {
        let rendered = try await Chart.render(["replicaCount": 2, "nameOverride": "vault-sync"])
        #expect(rendered.notes.contains("without leaderElect"))
        #expect(try rendered.object(kind: "Deployment")["metadata"]?["name"] == "external-secrets-vault-sync")
    }

    func valuesFile(_ values: JSONValue) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("values-\(UUID().uuidString).json")
        try JSONEncoder().encode(values).write(to: url)
        return url.path
    }

    /// `allowedProviderEndpoints` becomes `--allowed-provider-endpoints`; unset, no flag (as ESO).
    @Test func allowedProviderEndpointsBecomeTheFlag() async throws {
        let rendered = try await Chart.render(["allowedProviderEndpoints": ["vault.internal:8200", "*.corp.example"]])
        let args = try rendered.object(kind: "Deployment")["spec"]?["template"]?["spec"]?["containers"]?.items.first?[
            "args"]
        #expect(args?.items.contains("--allowed-provider-endpoints=vault.internal:8200,*.corp.example") == true)
        let plain = try await Chart.render([:]).object(kind: "Deployment")["spec"]?["template"]?["spec"]?["containers"]?
            .items
            .first?["args"]
        #expect(plain?.items.contains { $0.stringValue?.hasPrefix("--allowed-provider-endpoints") == true } == false)
        #expect(
            plain?.items.contains { $0.stringValue?.hasPrefix("--service-account-token-audience") == true } == false)
        let audience = try await Chart.render(["serviceAccountTokenAudience": "vault"]).object(kind: "Deployment")[
            "spec"]?[
                "template"]?["spec"]?["containers"]?.items.first?["args"]
        #expect(audience?.items.contains("--service-account-token-audience=vault") == true)
    }

    /// `log.format` becomes `--log-format`, text unless set (the operator's default).
    @Test func logFormatBecomesTheFlag() async throws {
        func args(_ values: JSONValue) async throws -> [JSONValue] {
            try await Chart.render(values).object(kind: "Deployment")["spec"]?["template"]?["spec"]?["containers"]?
                .items
                .first?["args"]?.items ?? []
        }
        #expect(
            try await args([:]).filter { $0.stringValue?.hasPrefix("--log-format") == true } == ["--log-format=text"])
        #expect(try await args(["log": ["format": "json"]]).contains("--log-format=json"))
        #expect(try await !args(["log": ["format": "json"]]).contains("--log-format=text"))
    }
}
