/// `authorization.k8s.io/v1` SelfSubjectAccessReview: asks the API server whether the caller may
/// perform one action. Every authenticated user may create one (`system:basic-user`).
public struct SelfSubjectAccessReview: KubeResource, Hashable {
    public static let resource = ResourceDescriptor(
        group: "authorization.k8s.io", version: "v1", kind: "SelfSubjectAccessReview",
        plural: "selfsubjectaccessreviews", namespaced: false)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: SelfSubjectAccessReviewSpec
    /// Filled in by the server.
    public var status: SubjectAccessReviewStatus?

    public init(spec: SelfSubjectAccessReviewSpec) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = ObjectMeta()
        self.spec = spec
    }

    private enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, spec, status }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try container.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try container.decodeIfPresent(String.self, forKey: .kind)
        // Servers answer with empty metadata, some with none.
        metadata = try container.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        spec = try container.decodeIfPresent(SelfSubjectAccessReviewSpec.self, forKey: .spec) ?? .init()
        status = try container.decodeIfPresent(SubjectAccessReviewStatus.self, forKey: .status)
    }
}

/// `authorization.k8s.io/v1` SelfSubjectAccessReviewSpec: exactly one of the attributes is set.
public struct SelfSubjectAccessReviewSpec: Codable, Sendable, Hashable {
    public var resourceAttributes: ResourceAttributes?

    public init(resourceAttributes: ResourceAttributes? = nil) {
        self.resourceAttributes = resourceAttributes
    }
}

/// `authorization.k8s.io/v1` ResourceAttributes: the action on a resource to authorize.
public struct ResourceAttributes: Codable, Sendable, Hashable {
    /// Empty (or absent) for cluster-scoped resources and for "all namespaces".
    public var namespace: String?
    public var verb: String?
    /// API group; empty for the core group.
    public var group: String?
    public var version: String?
    public var resource: String?
    public var subresource: String?
    /// One object's name; absent means "any object", which a Role with `resourceNames` does not grant.
    public var name: String?

    public init(
        namespace: String? = nil, verb: String? = nil, group: String? = nil, version: String? = nil,
        resource: String? = nil, subresource: String? = nil, name: String? = nil
    ) {
        self.namespace = namespace
        self.verb = verb
        self.group = group
        self.version = version
        self.resource = resource
        self.subresource = subresource
        self.name = name
    }
}

/// `authorization.k8s.io/v1` SubjectAccessReviewStatus.
public struct SubjectAccessReviewStatus: Codable, Sendable, Hashable {
    public var allowed: Bool
    /// True when an authorizer denied explicitly (RBAC never does).
    public var denied: Bool?
    public var reason: String?
    public var evaluationError: String?

    public init(allowed: Bool, denied: Bool? = nil, reason: String? = nil, evaluationError: String? = nil) {
        self.allowed = allowed
        self.denied = denied
        self.reason = reason
        self.evaluationError = evaluationError
    }
}

/// `authorization.k8s.io/v1` SelfSubjectRulesReview: asks the API server for the rules the caller
/// holds in one namespace. Every authenticated user may create one (`system:basic-user`).
///
/// Caveat: the list may be incomplete (`status.incomplete`), depending on the authorizers; a rule
/// found in it is granted, a rule missing from it proves nothing.
public struct SelfSubjectRulesReview: KubeResource, Hashable {
    public static let resource = ResourceDescriptor(
        group: "authorization.k8s.io", version: "v1", kind: "SelfSubjectRulesReview",
        plural: "selfsubjectrulesreviews", namespaced: false)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: SelfSubjectRulesReviewSpec
    /// Filled in by the server.
    public var status: SubjectRulesReviewStatus?

    /// A review of the caller's rules in `namespace`.
    public init(namespace: String) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = ObjectMeta()
        self.spec = SelfSubjectRulesReviewSpec(namespace: namespace)
    }

    private enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, spec, status }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try container.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try container.decodeIfPresent(String.self, forKey: .kind)
        metadata = try container.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        spec = try container.decodeIfPresent(SelfSubjectRulesReviewSpec.self, forKey: .spec) ?? .init()
        status = try container.decodeIfPresent(SubjectRulesReviewStatus.self, forKey: .status)
    }
}

/// `authorization.k8s.io/v1` SelfSubjectRulesReviewSpec.
public struct SelfSubjectRulesReviewSpec: Codable, Sendable, Hashable {
    public var namespace: String?

    public init(namespace: String? = nil) { self.namespace = namespace }
}

/// `authorization.k8s.io/v1` SubjectRulesReviewStatus.
public struct SubjectRulesReviewStatus: Codable, Sendable, Hashable {
    public var resourceRules: [ResourceRule]
    public var nonResourceRules: [NonResourceRule]
    /// True when an authorizer could not list its rules: the lists may miss some.
    public var incomplete: Bool
    public var evaluationError: String?

    public init(
        resourceRules: [ResourceRule] = [], nonResourceRules: [NonResourceRule] = [], incomplete: Bool = false,
        evaluationError: String? = nil
    ) {
        self.resourceRules = resourceRules
        self.nonResourceRules = nonResourceRules
        self.incomplete = incomplete
        self.evaluationError = evaluationError
    }

    private enum CodingKeys: String, CodingKey { case resourceRules, nonResourceRules, incomplete, evaluationError }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        resourceRules = try container.decodeIfPresent([ResourceRule].self, forKey: .resourceRules) ?? []
        nonResourceRules = try container.decodeIfPresent([NonResourceRule].self, forKey: .nonResourceRules) ?? []
        incomplete = try container.decodeIfPresent(Bool.self, forKey: .incomplete) ?? false
        evaluationError = try container.decodeIfPresent(String.self, forKey: .evaluationError)
    }
}

/// `authorization.k8s.io/v1` ResourceRule: verbs granted on resources; `*` means all.
public struct ResourceRule: Codable, Sendable, Hashable {
    public var verbs: [String]
    /// Absent or empty means the core group only in RBAC's rendering; `*` means all groups.
    public var apiGroups: [String]?
    public var resources: [String]?
    /// When set, the rule grants the verbs on these objects only.
    public var resourceNames: [String]?

    public init(verbs: [String], apiGroups: [String]? = nil, resources: [String]? = nil, resourceNames: [String]? = nil)
    {
        self.verbs = verbs
        self.apiGroups = apiGroups
        self.resources = resources
        self.resourceNames = resourceNames
    }
}

/// `authorization.k8s.io/v1` NonResourceRule: verbs granted on URL paths.
public struct NonResourceRule: Codable, Sendable, Hashable {
    public var verbs: [String]
    public var nonResourceURLs: [String]?

    public init(verbs: [String], nonResourceURLs: [String]? = nil) {
        self.verbs = verbs
        self.nonResourceURLs = nonResourceURLs
    }
}
