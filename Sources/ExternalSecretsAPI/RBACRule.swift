public import KubeModel

/// One rule of the operator's RBAC, and the Helm value that keeps it (nil: always kept). The
/// install manifest and the Helm chart both read `ExternalSecretsManifests.controllerRules`, so
/// the two cannot drift apart.
public struct RBACRule: Sendable, Hashable {
    /// A Helm value a rule depends on; the raw value is the value's name in `values.yaml`.
    public enum Feature: String, Sendable, Hashable, CaseIterable {
        /// ClusterSecretStores are watched and validated (off in scoped mode).
        case processClusterStore
        /// PushSecrets are reconciled.
        case processPushSecret
        /// ClusterExternalSecrets are reconciled: namespaces listed and watched, ExternalSecrets
        /// created, updated and deleted (off in scoped mode).
        case processClusterExternalSecret
        /// ClusterPushSecrets are reconciled: namespaces listed and watched, PushSecrets created,
        /// updated and deleted (off in scoped mode).
        case processClusterPushSecret
        /// ClusterGenerators are read for `generatorRef`s of kind ClusterGenerator (off in scoped mode).
        case processClusterGenerator
        /// Owner references with `blockOwnerDeletion` where OwnerReferencesPermissionEnforcement
        /// is on (OpenShift).
        case openshiftFinalizers
        /// `rbac.serviceAccountTokenCreate`: ServiceAccount tokens for the Kubernetes provider and
        /// Vault's Kubernetes login.
        case serviceAccountTokenCreate
        /// `kes.enabled`: KES's `kubernetes-client.io/v1` ExternalSecrets are reconciled
        /// (`--enable-kes`); off by default, and not in `config/install.yaml` unless asked for.
        case kes
    }

    public var apiGroup: String
    public var resources: [String]
    public var verbs: [String]
    public var feature: Feature?

    public init(_ apiGroup: String, _ resources: [String], _ verbs: [String], when feature: Feature? = nil) {
        self.apiGroup = apiGroup
        self.resources = resources
        self.verbs = verbs
        self.feature = feature
    }

    /// The rule as it appears in a Role or ClusterRole.
    public var json: JSONValue {
        [
            "apiGroups": [.string(apiGroup)],
            "resources": .array(resources.map { .string($0) }),
            "verbs": .array(verbs.map { .string($0) }),
        ]
    }
}
