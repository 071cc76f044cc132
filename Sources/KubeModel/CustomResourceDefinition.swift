/// `apiextensions.k8s.io/v1` CustomResourceDefinition. Schemas are kept as raw JSON.
public struct CustomResourceDefinition: KubeResource, Hashable {
    public static let resource = ResourceDescriptor(
        group: "apiextensions.k8s.io", version: "v1", kind: "CustomResourceDefinition",
        plural: "customresourcedefinitions", namespaced: false)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: CustomResourceDefinitionSpec
    public var status: CustomResourceDefinitionStatus?

    public init(metadata: ObjectMeta, spec: CustomResourceDefinitionSpec) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.spec = spec
    }

    /// Whether the API server has accepted the names and serves the kind.
    public var isEstablished: Bool {
        status?.conditions?.contains { $0.type == "Established" && $0.status == "True" } ?? false
    }
}

/// `apiextensions.k8s.io/v1` CustomResourceDefinitionSpec.
public struct CustomResourceDefinitionSpec: Codable, Sendable, Hashable {
    public var group: String
    public var names: CustomResourceDefinitionNames
    /// `Namespaced` or `Cluster`.
    public var scope: String
    public var versions: [CustomResourceDefinitionVersion]
    public var preserveUnknownFields: Bool?

    public init(
        group: String, names: CustomResourceDefinitionNames, scope: String, versions: [CustomResourceDefinitionVersion]
    ) {
        self.group = group
        self.names = names
        self.scope = scope
        self.versions = versions
    }
}

/// `apiextensions.k8s.io/v1` CustomResourceDefinitionNames.
public struct CustomResourceDefinitionNames: Codable, Sendable, Hashable {
    public var plural: String
    public var singular: String?
    public var kind: String
    public var listKind: String?
    public var shortNames: [String]?
    public var categories: [String]?

    public init(
        plural: String, singular: String? = nil, kind: String, listKind: String? = nil, shortNames: [String]? = nil,
        categories: [String]? = nil
    ) {
        self.plural = plural
        self.singular = singular
        self.kind = kind
        self.listKind = listKind
        self.shortNames = shortNames
        self.categories = categories
    }
}

/// `apiextensions.k8s.io/v1` CustomResourceDefinitionVersion.
public struct CustomResourceDefinitionVersion: Codable, Sendable, Hashable {
    public var name: String
    public var served: Bool
    public var storage: Bool
    public var deprecated: Bool?
    public var schema: CustomResourceValidation?
    /// `{"status": {}}` enables the status subresource.
    public var subresources: JSONValue?
    public var additionalPrinterColumns: [JSONValue]?

    public init(
        name: String, served: Bool, storage: Bool, schema: CustomResourceValidation? = nil,
        subresources: JSONValue? = nil, additionalPrinterColumns: [JSONValue]? = nil
    ) {
        self.name = name
        self.served = served
        self.storage = storage
        self.schema = schema
        self.subresources = subresources
        self.additionalPrinterColumns = additionalPrinterColumns
    }
}

/// `apiextensions.k8s.io/v1` CustomResourceValidation.
public struct CustomResourceValidation: Codable, Sendable, Hashable {
    public var openAPIV3Schema: JSONValue?

    public init(openAPIV3Schema: JSONValue?) { self.openAPIV3Schema = openAPIV3Schema }
}

/// `apiextensions.k8s.io/v1` CustomResourceDefinitionStatus.
public struct CustomResourceDefinitionStatus: Codable, Sendable, Hashable {
    public var conditions: [CustomResourceDefinitionCondition]?
    public var acceptedNames: CustomResourceDefinitionNames?
    public var storedVersions: [String]?
}

/// `apiextensions.k8s.io/v1` CustomResourceDefinitionCondition.
public struct CustomResourceDefinitionCondition: Codable, Sendable, Hashable {
    public var type: String
    public var status: String
    public var reason: String?
    public var message: String?
    public var lastTransitionTime: KubeTime?
}
