public import KubeModel

/// `external-secrets.io/v1` ClusterExternalSecret (cluster-scoped): one ExternalSecret of the same
/// spec in every namespace its selectors choose, owned by it.
public struct ClusterExternalSecret: Codable, Sendable, Hashable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: ClusterExternalSecretSpec
    public var status: ClusterExternalSecretStatus?

    public init(metadata: ObjectMeta, spec: ClusterExternalSecretSpec, status: ClusterExternalSecretStatus? = nil) {
        self.apiVersion = ExternalSecretsAPIGroup.apiVersion
        self.kind = "ClusterExternalSecret"
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

public struct ClusterExternalSecretSpec: Codable, Sendable, Hashable {
    /// The spec of every ExternalSecret created.
    public var externalSecretSpec: ExternalSecretSpec
    /// The name of the ExternalSecrets; unset: the ClusterExternalSecret's name.
    public var externalSecretName: String?
    /// Labels and annotations of the ExternalSecrets.
    public var externalSecretMetadata: ChildMetadata?
    /// Deprecated by ESO: one selector, ORed with `namespaceSelectors`.
    public var namespaceSelector: LabelSelector?
    /// Namespaces whose labels match any of these get an ExternalSecret.
    public var namespaceSelectors: [LabelSelector]?
    /// Deprecated by ESO: namespaces chosen by name, ORed with the selectors.
    public var namespaces: [String]?
    /// Go duration text: how often the namespaces are checked again without a change being seen.
    public var refreshTime: String?

    public init(
        externalSecretSpec: ExternalSecretSpec, externalSecretName: String? = nil,
        externalSecretMetadata: ChildMetadata? = nil, namespaceSelector: LabelSelector? = nil,
        namespaceSelectors: [LabelSelector]? = nil, namespaces: [String]? = nil, refreshTime: String? = nil
    ) {
        self.externalSecretSpec = externalSecretSpec
        self.externalSecretName = externalSecretName
        self.externalSecretMetadata = externalSecretMetadata
        self.namespaceSelector = namespaceSelector
        self.namespaceSelectors = namespaceSelectors
        self.namespaces = namespaces
        self.refreshTime = refreshTime
    }
}

/// Labels and annotations a cluster object gives the objects it creates in each namespace
/// (ESO's `ExternalSecretMetadata` and `PushSecretMetadata`).
public struct ChildMetadata: Codable, Sendable, Hashable {
    public var annotations: [String: String]?
    public var labels: [String: String]?

    public init(annotations: [String: String]? = nil, labels: [String: String]? = nil) {
        self.annotations = annotations
        self.labels = labels
    }
}

/// One namespace a cluster object could not provision, and why.
public struct NamespaceFailure: Codable, Sendable, Hashable {
    public var namespace: String
    public var reason: String?

    public init(namespace: String, reason: String? = nil) {
        self.namespace = namespace
        self.reason = reason
    }
}

/// A ClusterExternalSecret condition: ESO's has a type, a status and a message only (no reason,
/// no transition time; the CRD schema would prune them).
public struct ClusterExternalSecretCondition: Codable, Sendable, Hashable {
    public var type: String
    public var status: String
    public var message: String?

    public init(type: String, status: String, message: String? = nil) {
        self.type = type
        self.status = status
        self.message = message
    }
}

public struct ClusterExternalSecretStatus: Codable, Sendable, Hashable {
    /// The name the ExternalSecrets were created under (the old name is cleaned up after a rename).
    public var externalSecretName: String?
    public var failedNamespaces: [NamespaceFailure]?
    /// The namespaces holding this object's ExternalSecret, sorted.
    public var provisionedNamespaces: [String]?
    public var conditions: [ClusterExternalSecretCondition]?

    public init(
        externalSecretName: String? = nil, failedNamespaces: [NamespaceFailure]? = nil,
        provisionedNamespaces: [String]? = nil, conditions: [ClusterExternalSecretCondition]? = nil
    ) {
        self.externalSecretName = externalSecretName
        self.failedNamespaces = failedNamespaces
        self.provisionedNamespaces = provisionedNamespaces
        self.conditions = conditions
    }
}

/// `external-secrets.io/v1alpha1` ClusterPushSecret (cluster-scoped): one PushSecret of the same
/// spec in every namespace its selectors choose, owned by it.
public struct ClusterPushSecret: Codable, Sendable, Hashable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: ClusterPushSecretSpec
    public var status: ClusterPushSecretStatus?

    public init(metadata: ObjectMeta, spec: ClusterPushSecretSpec, status: ClusterPushSecretStatus? = nil) {
        self.apiVersion = ExternalSecretsAPIGroup.alphaAPIVersion
        self.kind = "ClusterPushSecret"
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

public struct ClusterPushSecretSpec: Codable, Sendable, Hashable {
    /// The spec of every PushSecret created.
    public var pushSecretSpec: PushSecretSpec
    /// The name of the PushSecrets; unset: the ClusterPushSecret's name.
    public var pushSecretName: String?
    public var pushSecretMetadata: ChildMetadata?
    /// Namespaces whose labels match any of these get a PushSecret.
    public var namespaceSelectors: [LabelSelector]?
    /// Go duration text: how often the namespaces are checked again without a change being seen.
    public var refreshTime: String?

    public init(
        pushSecretSpec: PushSecretSpec, pushSecretName: String? = nil, pushSecretMetadata: ChildMetadata? = nil,
        namespaceSelectors: [LabelSelector]? = nil, refreshTime: String? = nil
    ) {
        self.pushSecretSpec = pushSecretSpec
        self.pushSecretName = pushSecretName
        self.pushSecretMetadata = pushSecretMetadata
        self.namespaceSelectors = namespaceSelectors
        self.refreshTime = refreshTime
    }
}

public struct ClusterPushSecretStatus: Codable, Sendable, Hashable {
    public var pushSecretName: String?
    public var failedNamespaces: [NamespaceFailure]?
    public var provisionedNamespaces: [String]?
    /// ESO's PushSecret conditions (type, status, reason, message, lastTransitionTime).
    public var conditions: [StatusCondition]?

    public init(
        pushSecretName: String? = nil, failedNamespaces: [NamespaceFailure]? = nil,
        provisionedNamespaces: [String]? = nil, conditions: [StatusCondition]? = nil
    ) {
        self.pushSecretName = pushSecretName
        self.failedNamespaces = failedNamespaces
        self.provisionedNamespaces = provisionedNamespaces
        self.conditions = conditions
    }
}
