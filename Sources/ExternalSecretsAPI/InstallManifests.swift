public import KubeModel

/// The manifests that install the operator: its CRDs, a namespace, a ServiceAccount with
/// least-privilege RBAC, and a Deployment. `external-secrets manifests ...` prints them, and the
/// files under `config/` are their committed output.
public enum ExternalSecretsManifests {
    public static let defaultNamespace = "external-secrets"
    public static let defaultImage = "ghcr.io/external-secrets-swift/external-secrets:dev"

    /// The name of the ServiceAccount, the Deployment and the RBAC objects.
    static let name = "external-secrets"
    /// The Lease the replicas elect a leader with (ESO's leader election id).
    public static let leaderElectionLease = "external-secrets-controller"
    public static let metricsPort: Int64 = 8080
    public static let probesPort: Int64 = 8082

    private static let labels: [String: String] = [
        "app.kubernetes.io/name": "external-secrets",
        "app.kubernetes.io/component": "controller",
    ]

    /// The CRDs, as YAML documents (`config/crds/external-secrets.io_v1.yaml`).
    public static func crdsYAML() throws -> String {
        try ManifestYAML.render(objects: ExternalSecretsCRDs.all)
    }

    /// Everything needed to run the operator, as YAML documents (`config/install.yaml`).
    public static func installYAML(namespace: String = defaultNamespace, image: String = defaultImage) throws -> String
    {
        try ManifestYAML.render(install(namespace: namespace, image: image))
    }

    /// Everything needed to run the operator, in the order it is applied: CRDs, Namespace,
    /// ServiceAccount, ClusterRole and its binding, the leader-election Role and its binding, the
    /// Deployment.
    public static func install(namespace: String = defaultNamespace, image: String = defaultImage) throws
        -> [JSONValue]
    {
        try ExternalSecretsCRDs.all.map { try JSONValue(encoding: $0) } + [
            namespaceObject(namespace),
            serviceAccount(namespace),
            clusterRole,
            binding(
                kind: "ClusterRoleBinding", roleKind: "ClusterRole", name: "\(name)-controller", namespace: namespace),
            leaderElectionRole(namespace),
            binding(kind: "RoleBinding", roleKind: "Role", name: "\(name)-leader-election", namespace: namespace),
            deployment(namespace: namespace, image: image),
        ]
    }

    // MARK: - Objects

    private static func metadata(
        _ name: String, namespace: String? = nil, extraLabels: [String: String] = [:]
    ) -> JSONValue {
        var members: [String: JSONValue] = ["name": .string(name), "labels": json(labels.merging(extraLabels) { $1 })]
        if let namespace { members["namespace"] = .string(namespace) }
        return .object(members)
    }

    private static func json(_ strings: [String: String]) -> JSONValue {
        .object(strings.mapValues { .string($0) })
    }

    private static func namespaceObject(_ namespace: String) -> JSONValue {
        // The Deployment meets the restricted Pod Security Standard; the namespace enforces it.
        [
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": metadata(namespace, extraLabels: ["pod-security.kubernetes.io/enforce": "restricted"]),
        ]
    }

    private static func serviceAccount(_ namespace: String) -> JSONValue {
        ["apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata(name, namespace: namespace)]
    }

    private static func rule(_ group: String, _ resources: [String], _ verbs: [String]) -> JSONValue {
        [
            "apiGroups": [.string(group)],
            "resources": .array(resources.map { .string($0) }),
            "verbs": .array(verbs.map { .string($0) }),
        ]
    }

    /// What the controller needs cluster-wide, and nothing more: read its own kinds, write their
    /// status and finalizers, manage Secrets, read ConfigMaps (templates, CA bundles) and
    /// namespaces (ClusterSecretStore conditions), request ServiceAccount tokens, record Events.
    static var clusterRole: JSONValue {
        let group = ExternalSecretsAPIGroup.group
        let kinds = ["externalsecrets", "secretstores", "clustersecretstores"]
        return [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": metadata("\(name)-controller"),
            "rules": [
                rule(group, kinds, ["get", "list", "watch"]),
                rule(group, kinds.flatMap { ["\($0)/status", "\($0)/finalizers"] }, ["update", "patch"]),
                rule(group, ["externalsecrets"], ["update"]),
                rule("", ["secrets"], ["get", "list", "watch", "create", "update", "patch", "delete"]),
                rule("", ["configmaps"], ["get"]),
                rule("", ["namespaces"], ["get", "list", "watch"]),
                rule("", ["serviceaccounts/token"], ["create"]),
                rule("", ["events"], ["create", "patch"]),
                rule("events.k8s.io", ["events"], ["create", "patch"]),
            ],
        ]
    }

    /// Leader election, in the operator's namespace only.
    private static func leaderElectionRole(_ namespace: String) -> JSONValue {
        [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": metadata("\(name)-leader-election", namespace: namespace),
            "rules": [rule("coordination.k8s.io", ["leases"], ["get", "create", "update"])],
        ]
    }

    private static func binding(kind: String, roleKind: String, name roleName: String, namespace: String) -> JSONValue {
        [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": .string(kind),
            "metadata": metadata(roleName, namespace: kind == "RoleBinding" ? namespace : nil),
            "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": .string(roleKind), "name": .string(roleName)],
            "subjects": [["kind": "ServiceAccount", "name": .string(name), "namespace": .string(namespace)]],
        ]
    }

    private static func deployment(namespace: String, image: String) -> JSONValue {
        let container: JSONValue = [
            "name": "controller",
            "image": .string(image),
            "imagePullPolicy": "IfNotPresent",
            "args": ["controller", "--enable-leader-election"],
            "ports": [
                ["name": "metrics", "containerPort": .integer(metricsPort), "protocol": "TCP"],
                ["name": "probes", "containerPort": .integer(probesPort), "protocol": "TCP"],
            ],
            "livenessProbe": [
                "httpGet": ["path": "/healthz", "port": .integer(probesPort)],
                "initialDelaySeconds": 5, "periodSeconds": 10,
            ],
            "readinessProbe": [
                "httpGet": ["path": "/readyz", "port": .integer(probesPort)],
                "initialDelaySeconds": 5, "periodSeconds": 5,
            ],
            "resources": [
                "requests": ["cpu": "10m", "memory": "64Mi"],
                "limits": ["cpu": "1", "memory": "256Mi"],
            ],
            "securityContext": [
                "allowPrivilegeEscalation": false,
                "capabilities": ["drop": ["ALL"]],
                "readOnlyRootFilesystem": true,
                "runAsNonRoot": true,
                "runAsUser": 65532,
                "runAsGroup": 65532,
                "seccompProfile": ["type": "RuntimeDefault"],
            ],
        ]
        return [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": metadata(name, namespace: namespace),
            "spec": [
                "replicas": 1,
                "selector": ["matchLabels": json(labels)],
                "template": [
                    "metadata": ["labels": json(labels)],
                    "spec": [
                        "serviceAccountName": .string(name),
                        "securityContext": ["runAsNonRoot": true, "seccompProfile": ["type": "RuntimeDefault"]],
                        "containers": [container],
                    ],
                ],
            ],
        ]
    }
}
