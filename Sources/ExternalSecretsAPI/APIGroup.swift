public import KubeModel

/// The API group and versions this operator serves, as ESO serves them.
public enum ExternalSecretsAPIGroup {
    public static let group = "external-secrets.io"
    public static let version = "v1"
    public static let apiVersion = "\(group)/\(version)"
    /// The version of PushSecret and ClusterPushSecret.
    public static let alphaVersion = "v1alpha1"
    public static let alphaAPIVersion = "\(group)/\(alphaVersion)"
    /// The CRD category every kind is listed under (`kubectl get external-secrets`).
    public static let category = "external-secrets"
    /// The label ESO puts on its CRDs.
    public static let componentLabel = ("external-secrets.io/component", "controller")
}

extension ExternalSecret: KubeResource {
    public static let resource = ResourceDescriptor(
        group: ExternalSecretsAPIGroup.group, version: ExternalSecretsAPIGroup.version,
        kind: "ExternalSecret", plural: "externalsecrets", namespaced: true)
}

extension SecretStore: KubeResource {
    public static let resource = ResourceDescriptor(
        group: ExternalSecretsAPIGroup.group, version: ExternalSecretsAPIGroup.version,
        kind: "SecretStore", plural: "secretstores", namespaced: true)
}

extension ClusterSecretStore: KubeResource {
    public static let resource = ResourceDescriptor(
        group: ExternalSecretsAPIGroup.group, version: ExternalSecretsAPIGroup.version,
        kind: "ClusterSecretStore", plural: "clustersecretstores", namespaced: false)
}

extension PushSecret: KubeResource {
    public static let resource = ResourceDescriptor(
        group: ExternalSecretsAPIGroup.group, version: ExternalSecretsAPIGroup.alphaVersion,
        kind: "PushSecret", plural: "pushsecrets", namespaced: true)
}

extension ClusterExternalSecret: KubeResource {
    public static let resource = ResourceDescriptor(
        group: ExternalSecretsAPIGroup.group, version: ExternalSecretsAPIGroup.version,
        kind: "ClusterExternalSecret", plural: "clusterexternalsecrets", namespaced: false)
}

extension ClusterPushSecret: KubeResource {
    public static let resource = ResourceDescriptor(
        group: ExternalSecretsAPIGroup.group, version: ExternalSecretsAPIGroup.alphaVersion,
        kind: "ClusterPushSecret", plural: "clusterpushsecrets", namespaced: false)
}
