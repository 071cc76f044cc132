/// The identity of a Kubernetes resource: where it lives in the API and how it is named.
public struct ResourceDescriptor: Sendable, Hashable, CustomStringConvertible {
    /// API group; empty for the core group.
    public var group: String
    public var version: String
    public var kind: String
    /// The lower-case plural used in URL paths (`secrets`, `leases`).
    public var plural: String
    /// Whether objects live in a namespace.
    public var namespaced: Bool

    public init(group: String, version: String, kind: String, plural: String, namespaced: Bool) {
        self.group = group
        self.version = version
        self.kind = kind
        self.plural = plural
        self.namespaced = namespaced
    }

    /// `group/version`, or just `version` for the core group.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// `plural.group` (or the plural alone for the core group), as RBAC and error messages name it.
    public var description: String { group.isEmpty ? plural : "\(plural).\(group)" }
}

/// Any object with Kubernetes object metadata.
public protocol KubeObject: Codable, Sendable {
    var apiVersion: String? { get set }
    var kind: String? { get set }
    var metadata: ObjectMeta { get set }
}

/// An object whose kind is known at compile time.
public protocol KubeResource: KubeObject {
    static var resource: ResourceDescriptor { get }
}

extension KubeObject {
    /// `namespace/name`, or `name` for a cluster-scoped object.
    public var qualifiedName: String {
        if let namespace = metadata.namespace, !namespace.isEmpty {
            return "\(namespace)/\(metadata.name ?? "")"
        }
        return metadata.name ?? ""
    }
}

extension KubeResource {
    /// Sets `apiVersion` and `kind` from the static descriptor when they are missing (list items
    /// arrive without them).
    public mutating func fillTypeMeta() {
        if apiVersion == nil { apiVersion = Self.resource.apiVersion }
        if kind == nil { kind = Self.resource.kind }
    }
}
