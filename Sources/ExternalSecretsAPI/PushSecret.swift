public import KubeModel

/// `external-secrets.io/v1alpha1` PushSecret: writes keys of a Kubernetes Secret to external
/// secret managers through SecretStores or ClusterSecretStores, and keeps them written.
public struct PushSecret: Codable, Sendable, Hashable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: PushSecretSpec
    public var status: PushSecretStatus?

    public init(metadata: ObjectMeta, spec: PushSecretSpec, status: PushSecretStatus? = nil) {
        self.apiVersion = ExternalSecretsAPIGroup.alphaAPIVersion
        self.kind = "PushSecret"
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

public struct PushSecretSpec: Codable, Sendable, Hashable {
    /// Go duration text; absent means one hour, zero means push once (until the spec changes).
    public var refreshInterval: String?
    public var secretStoreRefs: [PushSecretStoreRef]
    public var updatePolicy: PushSecretUpdatePolicy?
    public var deletionPolicy: PushSecretDeletionPolicy?
    public var selector: PushSecretSelector
    public var data: [PushSecretData]?
    public var dataTo: [PushSecretDataTo]?
    public var template: ExternalSecretTemplate?

    public init(
        refreshInterval: String? = nil, secretStoreRefs: [PushSecretStoreRef], updatePolicy: PushSecretUpdatePolicy? = nil,
        deletionPolicy: PushSecretDeletionPolicy? = nil, selector: PushSecretSelector, data: [PushSecretData]? = nil,
        dataTo: [PushSecretDataTo]? = nil, template: ExternalSecretTemplate? = nil
    ) {
        self.refreshInterval = refreshInterval
        self.secretStoreRefs = secretStoreRefs
        self.updatePolicy = updatePolicy
        self.deletionPolicy = deletionPolicy
        self.selector = selector
        self.data = data
        self.dataTo = dataTo
        self.template = template
    }
}

/// A store to push to: by name, or every store of `kind` whose labels match `labelSelector`.
public struct PushSecretStoreRef: Codable, Sendable, Hashable {
    public var name: String?
    public var kind: StoreKind?
    public var labelSelector: LabelSelector?

    public init(name: String? = nil, kind: StoreKind? = nil, labelSelector: LabelSelector? = nil) {
        self.name = name
        self.kind = kind
        self.labelSelector = labelSelector
    }
}

public enum PushSecretUpdatePolicy: String, Codable, Sendable, Hashable, CaseIterable {
    case replace = "Replace"
    case ifNotExists = "IfNotExists"
}

public enum PushSecretDeletionPolicy: String, Codable, Sendable, Hashable, CaseIterable {
    case delete = "Delete"
    case none = "None"
}

/// Where the pushed values come from: a Secret in the PushSecret's namespace (by name, or the
/// Secrets matching a label selector), or a generator.
public struct PushSecretSelector: Codable, Sendable, Hashable {
    public var secret: PushSecretSecretSelector?
    public var generatorRef: GeneratorRef?

    public init(secret: PushSecretSecretSelector? = nil, generatorRef: GeneratorRef? = nil) {
        self.secret = secret
        self.generatorRef = generatorRef
    }
}

public struct PushSecretSecretSelector: Codable, Sendable, Hashable {
    public var name: String?
    public var selector: LabelSelector?

    public init(name: String? = nil, selector: LabelSelector? = nil) {
        self.name = name
        self.selector = selector
    }
}

/// One key of the source Secret pushed to one remote secret (or one property of it).
public struct PushSecretData: Codable, Sendable, Hashable {
    public var match: PushSecretMatch
    /// Provider-specific settings of the remote secret (tags, custom metadata, types).
    public var metadata: JSONValue?
    public var conversionStrategy: PushSecretConversionStrategy?

    public init(match: PushSecretMatch, metadata: JSONValue? = nil, conversionStrategy: PushSecretConversionStrategy? = nil) {
        self.match = match
        self.metadata = metadata
        self.conversionStrategy = conversionStrategy
    }
}

public struct PushSecretMatch: Codable, Sendable, Hashable {
    /// The key of the source Secret; absent pushes every key as one remote secret.
    public var secretKey: String?
    public var remoteRef: PushSecretRemoteRef

    public init(secretKey: String? = nil, remoteRef: PushSecretRemoteRef) {
        self.secretKey = secretKey
        self.remoteRef = remoteRef
    }
}

public struct PushSecretRemoteRef: Codable, Sendable, Hashable {
    public var remoteKey: String
    public var property: String?

    public init(remoteKey: String, property: String? = nil) {
        self.remoteKey = remoteKey
        self.property = property
    }
}

public enum PushSecretConversionStrategy: String, Codable, Sendable, Hashable, CaseIterable {
    case none = "None"
    case reverseUnicode = "ReverseUnicode"
}

/// Many keys of the source Secret pushed at once: each matching key to a remote secret of its
/// (rewritten) name, or all of them bundled into `remoteKey`.
public struct PushSecretDataTo: Codable, Sendable, Hashable {
    public var storeRef: PushSecretStoreRef?
    public var remoteKey: String?
    public var match: PushSecretDataToMatch?
    public var rewrite: [PushSecretRewrite]?
    public var metadata: JSONValue?
    public var conversionStrategy: PushSecretConversionStrategy?

    public init(
        storeRef: PushSecretStoreRef? = nil, remoteKey: String? = nil, match: PushSecretDataToMatch? = nil,
        rewrite: [PushSecretRewrite]? = nil, metadata: JSONValue? = nil,
        conversionStrategy: PushSecretConversionStrategy? = nil
    ) {
        self.storeRef = storeRef
        self.remoteKey = remoteKey
        self.match = match
        self.rewrite = rewrite
        self.metadata = metadata
        self.conversionStrategy = conversionStrategy
    }
}

public struct PushSecretDataToMatch: Codable, Sendable, Hashable {
    public var regexp: String?

    public init(regexp: String? = nil) { self.regexp = regexp }
}

/// A key rewrite of `dataTo`: a regular-expression replacement or a template.
public struct PushSecretRewrite: Codable, Sendable, Hashable {
    public var regexp: RewriteRegexp?
    public var transform: RewriteTransform?

    public init(regexp: RewriteRegexp? = nil, transform: RewriteTransform? = nil) {
        self.regexp = regexp
        self.transform = transform
    }
}

public struct PushSecretStatus: Codable, Sendable, Hashable {
    public var refreshTime: KubeTime?
    /// The PushSecret version (generation and a hash of labels and annotations) last pushed.
    public var syncedResourceVersion: String?
    /// What was pushed, by `Kind/store-name`, then by `remoteKey` or `remoteKey/property`: the
    /// entries of the spec (references and metadata), never values.
    public var syncedPushSecrets: [String: [String: PushSecretData]]?
    public var conditions: [StatusCondition]?

    public init(
        refreshTime: KubeTime? = nil, syncedResourceVersion: String? = nil,
        syncedPushSecrets: [String: [String: PushSecretData]]? = nil, conditions: [StatusCondition]? = nil
    ) {
        self.refreshTime = refreshTime
        self.syncedResourceVersion = syncedResourceVersion
        self.syncedPushSecrets = syncedPushSecrets
        self.conditions = conditions
    }
}
