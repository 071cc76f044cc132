public import KubeModel

/// `external-secrets.io/v1` SecretStore: how to reach a secret manager, usable from its own
/// namespace.
public struct SecretStore: Codable, Sendable, Hashable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: SecretStoreSpec
    public var status: SecretStoreStatus?

    public init(metadata: ObjectMeta, spec: SecretStoreSpec, status: SecretStoreStatus? = nil) {
        self.apiVersion = ExternalSecretsAPIGroup.apiVersion
        self.kind = "SecretStore"
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

/// `external-secrets.io/v1` ClusterSecretStore: a store usable from every namespace its
/// `conditions` admit.
public struct ClusterSecretStore: Codable, Sendable, Hashable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: SecretStoreSpec
    public var status: SecretStoreStatus?

    public init(metadata: ObjectMeta, spec: SecretStoreSpec, status: SecretStoreStatus? = nil) {
        self.apiVersion = ExternalSecretsAPIGroup.apiVersion
        self.kind = "ClusterSecretStore"
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

public struct SecretStoreSpec: Codable, Sendable, Hashable {
    /// The controller class that should handle this store; empty means any.
    public var controller: String?
    public var provider: SecretStoreProvider
    public var retrySettings: SecretStoreRetrySettings?
    /// Seconds between store revalidations (ESO's int-or-string field).
    public var refreshInterval: IntOrString?
    /// Which namespaces may use the store (ORed); only meaningful on ClusterSecretStore.
    public var conditions: [ClusterSecretStoreCondition]?

    public init(
        controller: String? = nil, provider: SecretStoreProvider, retrySettings: SecretStoreRetrySettings? = nil,
        refreshInterval: IntOrString? = nil, conditions: [ClusterSecretStoreCondition]? = nil
    ) {
        self.controller = controller
        self.provider = provider
        self.retrySettings = retrySettings
        self.refreshInterval = refreshInterval
        self.conditions = conditions
    }
}

public struct SecretStoreRetrySettings: Codable, Sendable, Hashable {
    public var maxRetries: Int32?
    public var retryInterval: String?

    public init(maxRetries: Int32? = nil, retryInterval: String? = nil) {
        self.maxRetries = maxRetries
        self.retryInterval = retryInterval
    }
}

/// A ClusterSecretStore condition: a namespace matches when it matches any field that is set.
public struct ClusterSecretStoreCondition: Codable, Sendable, Hashable {
    public var namespaceSelector: LabelSelector?
    public var namespaces: [String]?
    public var namespaceRegexes: [String]?

    public init(namespaceSelector: LabelSelector? = nil, namespaces: [String]? = nil, namespaceRegexes: [String]? = nil) {
        self.namespaceSelector = namespaceSelector
        self.namespaces = namespaces
        self.namespaceRegexes = namespaceRegexes
    }
}

public struct SecretStoreStatus: Codable, Sendable, Hashable {
    public var conditions: [StatusCondition]?
    /// `ReadOnly`, `WriteOnly` or `ReadWrite`.
    public var capabilities: String?

    public init(conditions: [StatusCondition]? = nil, capabilities: String? = nil) {
        self.conditions = conditions
        self.capabilities = capabilities
    }
}

/// An int-or-string field (`x-kubernetes-int-or-string`).
public enum IntOrString: Codable, Sendable, Hashable {
    case int(Int64)
    case string(String)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int64.self) {
            self = .int(value)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .int(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        }
    }
}

/// `spec.provider`: exactly one provider block. Providers this operator implements are typed;
/// every other block is kept as raw JSON, so manifests round-trip and the store can report
/// "provider not supported" instead of failing to decode.
public struct SecretStoreProvider: Codable, Sendable, Hashable {
    public var fake: FakeProvider?
    public var kubernetes: KubernetesProvider?
    public var vault: VaultProvider?
    public var aws: AWSProvider?
    public var webhook: WebhookProvider?
    public var gcpsm: GCPSMProvider?
    public var azurekv: AzureKVProvider?
    public var alibaba: AlibabaProvider?
    public var ibm: IBMProvider?
    /// Provider blocks without a typed representation here, by field name (`akeyless`, ...).
    public var unsupported: [String: JSONValue]

    public init(
        fake: FakeProvider? = nil, kubernetes: KubernetesProvider? = nil, vault: VaultProvider? = nil,
        unsupported: [String: JSONValue] = [:]
    ) {
        self.fake = fake
        self.kubernetes = kubernetes
        self.vault = vault
        self.unsupported = unsupported
    }

    public init(aws: AWSProvider) {
        self.aws = aws
        self.unsupported = [:]
    }

    public init(webhook: WebhookProvider) {
        self.webhook = webhook
        self.unsupported = [:]
    }

    public init(gcpsm: GCPSMProvider) {
        self.gcpsm = gcpsm
        self.unsupported = [:]
    }

    public init(azurekv: AzureKVProvider) {
        self.azurekv = azurekv
        self.unsupported = [:]
    }

    public init(alibaba: AlibabaProvider) {
        self.alibaba = alibaba
        self.unsupported = [:]
    }

    public init(ibm: IBMProvider) {
        self.ibm = ibm
        self.unsupported = [:]
    }

    /// The names of the provider blocks that are set, typed or not, sorted.
    public var configuredProviderNames: [String] {
        var names = unsupported.keys.sorted()
        if fake != nil { names.append("fake") }
        if kubernetes != nil { names.append("kubernetes") }
        if vault != nil { names.append("vault") }
        if aws != nil { names.append("aws") }
        if webhook != nil { names.append("webhook") }
        if gcpsm != nil { names.append("gcpsm") }
        if azurekv != nil { names.append("azurekv") }
        if alibaba != nil { names.append("alibaba") }
        if ibm != nil { names.append("ibm") }
        return names.sorted()
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        fake = try container.decodeIfPresent(FakeProvider.self, forKey: AnyKey(stringValue: "fake"))
        kubernetes = try container.decodeIfPresent(KubernetesProvider.self, forKey: AnyKey(stringValue: "kubernetes"))
        vault = try container.decodeIfPresent(VaultProvider.self, forKey: AnyKey(stringValue: "vault"))
        aws = try container.decodeIfPresent(AWSProvider.self, forKey: AnyKey(stringValue: "aws"))
        webhook = try container.decodeIfPresent(WebhookProvider.self, forKey: AnyKey(stringValue: "webhook"))
        gcpsm = try container.decodeIfPresent(GCPSMProvider.self, forKey: AnyKey(stringValue: "gcpsm"))
        azurekv = try container.decodeIfPresent(AzureKVProvider.self, forKey: AnyKey(stringValue: "azurekv"))
        alibaba = try container.decodeIfPresent(AlibabaProvider.self, forKey: AnyKey(stringValue: "alibaba"))
        ibm = try container.decodeIfPresent(IBMProvider.self, forKey: AnyKey(stringValue: "ibm"))
        unsupported = [:]
        for key in container.allKeys where !Self.typedProviderNames.contains(key.stringValue) {
            let value = try container.decode(JSONValue.self, forKey: key)
            if value != .null { unsupported[key.stringValue] = value }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: AnyKey.self)
        try container.encodeIfPresent(fake, forKey: AnyKey(stringValue: "fake"))
        try container.encodeIfPresent(kubernetes, forKey: AnyKey(stringValue: "kubernetes"))
        try container.encodeIfPresent(vault, forKey: AnyKey(stringValue: "vault"))
        try container.encodeIfPresent(aws, forKey: AnyKey(stringValue: "aws"))
        try container.encodeIfPresent(webhook, forKey: AnyKey(stringValue: "webhook"))
        try container.encodeIfPresent(gcpsm, forKey: AnyKey(stringValue: "gcpsm"))
        try container.encodeIfPresent(azurekv, forKey: AnyKey(stringValue: "azurekv"))
        try container.encodeIfPresent(alibaba, forKey: AnyKey(stringValue: "alibaba"))
        try container.encodeIfPresent(ibm, forKey: AnyKey(stringValue: "ibm"))
        for (name, value) in unsupported {
            try container.encode(value, forKey: AnyKey(stringValue: name))
        }
    }
}

// MARK: - Shared references

/// A key of a Secret. `namespace` is honoured only for ClusterSecretStore (ESO's rule).
public struct SecretKeySelector: Codable, Sendable, Hashable {
    public var name: String?
    public var key: String?
    public var namespace: String?

    public init(name: String? = nil, key: String? = nil, namespace: String? = nil) {
        self.name = name
        self.key = key
        self.namespace = namespace
    }
}

/// A ServiceAccount to request a token for.
public struct ServiceAccountSelector: Codable, Sendable, Hashable {
    public var name: String
    public var namespace: String?
    public var audiences: [String]?

    public init(name: String, namespace: String? = nil, audiences: [String]? = nil) {
        self.name = name
        self.namespace = namespace
        self.audiences = audiences
    }
}

/// Where a CA certificate bundle is read from.
public struct CAProvider: Codable, Sendable, Hashable {
    /// `Secret` or `ConfigMap`.
    public var type: String
    public var name: String
    public var key: String?
    public var namespace: String?

    public init(type: String, name: String, key: String? = nil, namespace: String? = nil) {
        self.type = type
        self.name = name
        self.key = key
        self.namespace = namespace
    }
}

// MARK: - Fake provider

/// `spec.provider.fake`: static data, for tests and demos.
public struct FakeProvider: Codable, Sendable, Hashable {
    public var data: [FakeProviderData]
    /// ESO's `validationResult` (0 Ready, 1 Unknown, 2 Error).
    public var validationResult: Int?

    public init(data: [FakeProviderData], validationResult: Int? = nil) {
        self.data = data
        self.validationResult = validationResult
    }
}

public struct FakeProviderData: Codable, Sendable, Hashable {
    public var key: String
    public var value: String
    public var version: String?

    public init(key: String, value: String, version: String? = nil) {
        self.key = key
        self.value = value
        self.version = version
    }
}

// MARK: - Kubernetes provider

/// `spec.provider.kubernetes`: a namespace of this or another cluster.
public struct KubernetesProvider: Codable, Sendable, Hashable {
    public var server: KubernetesServer?
    public var auth: KubernetesAuth?
    /// A Secret holding a kubeconfig (ESO's `authRef`).
    public var authRef: SecretKeySelector?
    /// The namespace secrets are read from; ESO's default is `default`.
    public var remoteNamespace: String?

    public init(
        server: KubernetesServer? = nil, auth: KubernetesAuth? = nil, authRef: SecretKeySelector? = nil,
        remoteNamespace: String? = nil
    ) {
        self.server = server
        self.auth = auth
        self.authRef = authRef
        self.remoteNamespace = remoteNamespace
    }
}

public struct KubernetesServer: Codable, Sendable, Hashable {
    /// Defaults to `kubernetes.default`, i.e. the cluster the operator runs in.
    public var url: String?
    /// PEM CA bundle, base64 in JSON (`format: byte`).
    public var caBundle: String?
    public var caProvider: CAProvider?

    public init(url: String? = nil, caBundle: String? = nil, caProvider: CAProvider? = nil) {
        self.url = url
        self.caBundle = caBundle
        self.caProvider = caProvider
    }
}

/// Exactly one way to authenticate to the Kubernetes API.
public struct KubernetesAuth: Codable, Sendable, Hashable {
    public var cert: KubernetesCertAuth?
    public var token: KubernetesTokenAuth?
    public var serviceAccount: ServiceAccountSelector?

    public init(
        cert: KubernetesCertAuth? = nil, token: KubernetesTokenAuth? = nil, serviceAccount: ServiceAccountSelector? = nil
    ) {
        self.cert = cert
        self.token = token
        self.serviceAccount = serviceAccount
    }
}

public struct KubernetesCertAuth: Codable, Sendable, Hashable {
    public var clientCert: SecretKeySelector
    public var clientKey: SecretKeySelector

    public init(clientCert: SecretKeySelector, clientKey: SecretKeySelector) {
        self.clientCert = clientCert
        self.clientKey = clientKey
    }
}

public struct KubernetesTokenAuth: Codable, Sendable, Hashable {
    public var bearerToken: SecretKeySelector

    public init(bearerToken: SecretKeySelector) { self.bearerToken = bearerToken }
}
