public import KubeModel

/// `external-secrets.io/v1` ExternalSecret: which remote secrets to fetch and how to write them
/// into one Kubernetes Secret.
public struct ExternalSecret: Codable, Sendable, Hashable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: ExternalSecretSpec
    public var status: ExternalSecretStatus?

    public init(metadata: ObjectMeta, spec: ExternalSecretSpec, status: ExternalSecretStatus? = nil) {
        self.apiVersion = ExternalSecretsAPIGroup.apiVersion
        self.kind = "ExternalSecret"
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

public struct ExternalSecretSpec: Codable, Sendable, Hashable {
    public var secretStoreRef: SecretStoreRef?
    public var target: ExternalSecretTarget?
    /// Go duration text (`1h0m0s`); absent means one hour, zero means no periodic refresh.
    public var refreshInterval: String?
    public var refreshPolicy: RefreshPolicy?
    public var data: [ExternalSecretData]?
    public var dataFrom: [ExternalSecretDataFromRemoteRef]?
    /// Kept for round trips; not acted on yet.
    public var syncWindows: JSONValue?

    public init(
        secretStoreRef: SecretStoreRef? = nil, target: ExternalSecretTarget? = nil,
        refreshInterval: String? = nil, refreshPolicy: RefreshPolicy? = nil,
        data: [ExternalSecretData]? = nil, dataFrom: [ExternalSecretDataFromRemoteRef]? = nil
    ) {
        self.secretStoreRef = secretStoreRef
        self.target = target
        self.refreshInterval = refreshInterval
        self.refreshPolicy = refreshPolicy
        self.data = data
        self.dataFrom = dataFrom
    }
}

public enum RefreshPolicy: String, Codable, Sendable, Hashable, CaseIterable {
    case createdOnce = "CreatedOnce"
    case periodic = "Periodic"
    case onChange = "OnChange"
}

/// A reference to a SecretStore (default) or ClusterSecretStore.
public struct SecretStoreRef: Codable, Sendable, Hashable {
    public var name: String?
    public var kind: StoreKind?

    public init(name: String? = nil, kind: StoreKind? = nil) {
        self.name = name
        self.kind = kind
    }
}

public enum StoreKind: String, Codable, Sendable, Hashable, CaseIterable {
    case secretStore = "SecretStore"
    case clusterSecretStore = "ClusterSecretStore"
}

public enum CreationPolicy: String, Codable, Sendable, Hashable, CaseIterable {
    case owner = "Owner"
    case orphan = "Orphan"
    case merge = "Merge"
    case none = "None"
    case createOrMerge = "CreateOrMerge"
}

public enum DeletionPolicy: String, Codable, Sendable, Hashable, CaseIterable {
    case delete = "Delete"
    case merge = "Merge"
    case retain = "Retain"
}

/// Where and how the Kubernetes Secret is written.
public struct ExternalSecretTarget: Codable, Sendable, Hashable {
    /// Secret name; defaults to the ExternalSecret's name.
    public var name: String?
    public var creationPolicy: CreationPolicy?
    public var deletionPolicy: DeletionPolicy?
    public var template: ExternalSecretTemplate?
    /// Kept for round trips; writing other kinds than Secret is not supported.
    public var manifest: JSONValue?
    public var immutable: Bool?

    public init(
        name: String? = nil, creationPolicy: CreationPolicy? = nil, deletionPolicy: DeletionPolicy? = nil,
        template: ExternalSecretTemplate? = nil, immutable: Bool? = nil
    ) {
        self.name = name
        self.creationPolicy = creationPolicy
        self.deletionPolicy = deletionPolicy
        self.template = template
        self.immutable = immutable
    }
}

public enum TemplateMergePolicy: String, Codable, Sendable, Hashable, CaseIterable {
    case replace = "Replace"
    case merge = "Merge"
}

/// `spec.target.template`: Go templates rendering the Secret's data and metadata.
public struct ExternalSecretTemplate: Codable, Sendable, Hashable {
    public var type: String?
    public var engineVersion: String?
    public var metadata: ExternalSecretTemplateMetadata?
    public var mergePolicy: TemplateMergePolicy?
    public var data: [String: String]?
    public var templateFrom: [TemplateFrom]?

    public init(
        type: String? = nil, engineVersion: String? = nil, metadata: ExternalSecretTemplateMetadata? = nil,
        mergePolicy: TemplateMergePolicy? = nil, data: [String: String]? = nil, templateFrom: [TemplateFrom]? = nil
    ) {
        self.type = type
        self.engineVersion = engineVersion
        self.metadata = metadata
        self.mergePolicy = mergePolicy
        self.data = data
        self.templateFrom = templateFrom
    }
}

public struct ExternalSecretTemplateMetadata: Codable, Sendable, Hashable {
    public var annotations: [String: String]?
    public var labels: [String: String]?
    public var finalizers: [String]?

    public init(annotations: [String: String]? = nil, labels: [String: String]? = nil, finalizers: [String]? = nil) {
        self.annotations = annotations
        self.labels = labels
        self.finalizers = finalizers
    }
}

public struct TemplateFrom: Codable, Sendable, Hashable {
    public var configMap: TemplateRef?
    public var secret: TemplateRef?
    /// `Data` (default), `Annotations` or `Labels`.
    public var target: String?
    public var literal: String?
    public var valuesDecodingStrategy: DecodingStrategy?

    public init(
        configMap: TemplateRef? = nil, secret: TemplateRef? = nil, target: String? = nil, literal: String? = nil
    ) {
        self.configMap = configMap
        self.secret = secret
        self.target = target
        self.literal = literal
    }
}

public struct TemplateRef: Codable, Sendable, Hashable {
    public var name: String
    public var items: [TemplateRefItem]

    public init(name: String, items: [TemplateRefItem]) {
        self.name = name
        self.items = items
    }
}

public struct TemplateRefItem: Codable, Sendable, Hashable {
    public var key: String
    /// `Values` (default) or `KeysAndValues`.
    public var templateAs: String?

    public init(key: String, templateAs: String? = nil) {
        self.key = key
        self.templateAs = templateAs
    }
}

public enum ConversionStrategy: String, Codable, Sendable, Hashable, CaseIterable {
    case `default` = "Default"
    case unicode = "Unicode"
}

public enum DecodingStrategy: String, Codable, Sendable, Hashable, CaseIterable {
    case auto = "Auto"
    case base64 = "Base64"
    case base64URL = "Base64URL"
    case none = "None"
}

public enum MetadataPolicy: String, Codable, Sendable, Hashable, CaseIterable {
    case none = "None"
    case fetch = "Fetch"
}

public enum NullBytePolicy: String, Codable, Sendable, Hashable, CaseIterable {
    case ignore = "Ignore"
    case fail = "Fail"
}

/// One Secret key fed from one remote value.
public struct ExternalSecretData: Codable, Sendable, Hashable {
    public var secretKey: String
    public var remoteRef: ExternalSecretDataRemoteRef
    public var sourceRef: StoreSourceRef?

    public init(secretKey: String, remoteRef: ExternalSecretDataRemoteRef, sourceRef: StoreSourceRef? = nil) {
        self.secretKey = secretKey
        self.remoteRef = remoteRef
        self.sourceRef = sourceRef
    }
}

/// Which remote secret (and which version / property of it) to read.
public struct ExternalSecretDataRemoteRef: Codable, Sendable, Hashable {
    public var key: String
    public var metadataPolicy: MetadataPolicy?
    public var property: String?
    public var version: String?
    public var conversionStrategy: ConversionStrategy?
    public var decodingStrategy: DecodingStrategy?
    public var nullBytePolicy: NullBytePolicy?

    public init(
        key: String, property: String? = nil, version: String? = nil, metadataPolicy: MetadataPolicy? = nil,
        conversionStrategy: ConversionStrategy? = nil, decodingStrategy: DecodingStrategy? = nil,
        nullBytePolicy: NullBytePolicy? = nil
    ) {
        self.key = key
        self.metadataPolicy = metadataPolicy
        self.property = property
        self.version = version
        self.conversionStrategy = conversionStrategy
        self.decodingStrategy = decodingStrategy
        self.nullBytePolicy = nullBytePolicy
    }
}

/// Overrides the store (or names a generator) for one `data` / `dataFrom` entry.
public struct StoreSourceRef: Codable, Sendable, Hashable {
    public var storeRef: SecretStoreRef?
    public var generatorRef: GeneratorRef?

    public init(storeRef: SecretStoreRef? = nil, generatorRef: GeneratorRef? = nil) {
        self.storeRef = storeRef
        self.generatorRef = generatorRef
    }
}

public struct GeneratorRef: Codable, Sendable, Hashable {
    public var apiVersion: String?
    public var kind: String
    public var name: String

    public init(apiVersion: String? = nil, kind: String, name: String) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
    }
}

/// One `dataFrom` entry: exactly one of `extract`, `find` or `sourceRef.generatorRef`.
public struct ExternalSecretDataFromRemoteRef: Codable, Sendable, Hashable {
    public var extract: ExternalSecretDataRemoteRef?
    public var find: ExternalSecretFind?
    public var rewrite: [ExternalSecretRewrite]?
    public var sourceRef: StoreSourceRef?

    public init(
        extract: ExternalSecretDataRemoteRef? = nil, find: ExternalSecretFind? = nil,
        rewrite: [ExternalSecretRewrite]? = nil, sourceRef: StoreSourceRef? = nil
    ) {
        self.extract = extract
        self.find = find
        self.rewrite = rewrite
        self.sourceRef = sourceRef
    }
}

/// Selects remote secrets by path, name regular expression and tags (all that are set must match).
public struct ExternalSecretFind: Codable, Sendable, Hashable {
    public var path: String?
    public var name: FindName?
    public var tags: [String: String]?
    public var conversionStrategy: ConversionStrategy?
    public var decodingStrategy: DecodingStrategy?
    public var nullBytePolicy: NullBytePolicy?

    public init(
        path: String? = nil, name: FindName? = nil, tags: [String: String]? = nil,
        conversionStrategy: ConversionStrategy? = nil, decodingStrategy: DecodingStrategy? = nil
    ) {
        self.path = path
        self.name = name
        self.tags = tags
        self.conversionStrategy = conversionStrategy
        self.decodingStrategy = decodingStrategy
    }
}

public struct FindName: Codable, Sendable, Hashable {
    public var regexp: String?

    public init(regexp: String? = nil) { self.regexp = regexp }
}

/// One rewrite step applied to the keys of a `dataFrom` result: exactly one of the three.
public struct ExternalSecretRewrite: Codable, Sendable, Hashable {
    public var regexp: RewriteRegexp?
    public var transform: RewriteTransform?
    public var merge: RewriteMerge?

    public init(regexp: RewriteRegexp? = nil, transform: RewriteTransform? = nil, merge: RewriteMerge? = nil) {
        self.regexp = regexp
        self.transform = transform
        self.merge = merge
    }
}

public struct RewriteRegexp: Codable, Sendable, Hashable {
    public var source: String
    public var target: String

    public init(source: String, target: String) {
        self.source = source
        self.target = target
    }
}

public struct RewriteTransform: Codable, Sendable, Hashable {
    public var template: String

    public init(template: String) { self.template = template }
}

/// Merges JSON values of several keys into one (ESO's `rewrite.merge`).
public struct RewriteMerge: Codable, Sendable, Hashable {
    public var into: String?
    public var priority: [String]?
    /// `IgnoreNotFound` or `Strict` (default).
    public var priorityPolicy: String?
    /// `Ignore` or `Error` (default).
    public var conflictPolicy: String?
    /// `Extract` (default) or `JSON`.
    public var strategy: String?

    public init(
        into: String? = nil, priority: [String]? = nil, priorityPolicy: String? = nil,
        conflictPolicy: String? = nil, strategy: String? = nil
    ) {
        self.into = into
        self.priority = priority
        self.priorityPolicy = priorityPolicy
        self.conflictPolicy = conflictPolicy
        self.strategy = strategy
    }
}

public struct ExternalSecretStatus: Codable, Sendable, Hashable {
    public var refreshTime: KubeTime?
    /// `<generation>-<sha3-224 of labels and annotations>`; see ESOHashes.
    public var syncedResourceVersion: String?
    public var conditions: [StatusCondition]?
    public var binding: SecretBinding?

    public init(
        refreshTime: KubeTime? = nil, syncedResourceVersion: String? = nil, conditions: [StatusCondition]? = nil,
        binding: SecretBinding? = nil
    ) {
        self.refreshTime = refreshTime
        self.syncedResourceVersion = syncedResourceVersion
        self.conditions = conditions
        self.binding = binding
    }
}

public struct SecretBinding: Codable, Sendable, Hashable {
    public var name: String?

    public init(name: String? = nil) { self.name = name }
}
