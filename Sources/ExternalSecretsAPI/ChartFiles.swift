import KubeModel

extension ExternalSecretsManifests {
    /// Where the Helm chart lives in this repository.
    public static let chartDirectory = "deploy/charts/external-secrets"

    /// The chart's generated data files, by path inside the chart: one file per CRD
    /// (`files/crds/<name>.yaml`, included by `templates/crds.yaml` under `installCRDs` and the
    /// `crds.create*` toggles) and `files/rbac.yaml` (the rules of `controllerRules` and
    /// `leaderElectionRules`, each with the value that keeps it, read by `templates/rbac.yaml`).
    /// `external-secrets manifests chart-files` writes them; a test keeps the committed copies
    /// current.
    public static func chartFiles() throws -> [(path: String, content: String)] {
        let header = header("manifests chart-files")
        let crds = try (ExternalSecretsCRDs.all + [ExternalSecretsCRDs.kesExternalSecret]).map { crd in
            ("files/crds/\(crd.metadata.name ?? "").yaml", try header + ManifestYAML.render(objects: [crd]))
        }
        let rbac: JSONValue = [
            "controller": .array(
                controllerRules.map { rule in
                    var members = rule.json.objectValue ?? [:]
                    if let feature = rule.feature { members["when"] = .string(feature.rawValue) }
                    return .object(members)
                }),
            "leaderElection": .array(leaderElectionRules.map(\.json)),
        ]
        let rbacHeader = """
            # Rules of the operator's ClusterRole (with scopedRBAC: its Role) and of its leader-election
            # Role. `when` names the value that keeps a rule; a rule without it is always kept.

            """
        return crds + [("files/rbac.yaml", try header + rbacHeader + ManifestYAML.render([rbac]))]
    }
}
