public import Foundation

/// `v1.Secret`. Values are bytes (`data`, base64 on the wire) so binary content survives.
///
/// Its `description`, `debugDescription` and reflection (`dump`) name the keys only: a Secret
/// printed by accident in a log line or an error never shows a value.
public struct Secret: KubeResource, Hashable {
    public static let resource = ResourceDescriptor(
        group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var data: [String: Data]?
    /// Write-only convenience input: merged into `data` by the API server, never returned by it.
    public var stringData: [String: String]?
    public var type: String?
    public var immutable: Bool?

    public init(
        metadata: ObjectMeta, data: [String: Data]? = nil, stringData: [String: String]? = nil,
        type: String? = nil, immutable: Bool? = nil
    ) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.data = data
        self.stringData = stringData
        self.type = type
        self.immutable = immutable
    }
}

extension Secret: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Names the Secret, its type and its keys, never a value.
    public var description: String {
        let keys = Set((data ?? [:]).keys).union((stringData ?? [:]).keys).sorted()
        return "Secret(\(qualifiedName), type: \(type ?? "Opaque"), keys: \(keys))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["metadata": metadata, "type": type as Any, "redacted": description])
    }
}

/// `v1.ConfigMap`.
public struct ConfigMap: KubeResource, Hashable {
    public static let resource = ResourceDescriptor(
        group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var data: [String: String]?
    public var binaryData: [String: Data]?
    public var immutable: Bool?

    public init(metadata: ObjectMeta, data: [String: String]? = nil, binaryData: [String: Data]? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.data = data
        self.binaryData = binaryData
    }
}

/// `v1.Namespace`.
public struct Namespace: KubeResource, Hashable {
    public static let resource = ResourceDescriptor(
        group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: NamespaceSpec?
    public var status: NamespaceStatus?

    public init(metadata: ObjectMeta) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
    }
}

/// `v1.NamespaceSpec`.
public struct NamespaceSpec: Codable, Sendable, Hashable {
    public var finalizers: [String]?
}

/// `v1.NamespaceStatus`.
public struct NamespaceStatus: Codable, Sendable, Hashable {
    /// `Active` or `Terminating`.
    public var phase: String?
}

/// `v1.ServiceAccount`.
public struct ServiceAccount: KubeResource, Hashable {
    public static let resource = ResourceDescriptor(
        group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var secrets: [ObjectReference]?
    public var automountServiceAccountToken: Bool?

    public init(metadata: ObjectMeta) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
    }
}
