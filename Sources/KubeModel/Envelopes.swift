public import Foundation

/// A list response: `items` plus the list's resourceVersion and paging token.
public struct ObjectList<Item: KubeObject>: Codable, Sendable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ListMeta
    public var items: [Item]

    public init(metadata: ListMeta, items: [Item]) {
        self.metadata = metadata
        self.items = items
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try container.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try container.decodeIfPresent(String.self, forKey: .kind)
        metadata = try container.decodeIfPresent(ListMeta.self, forKey: .metadata) ?? ListMeta()
        // The API server writes `"items": null` for an empty list of some kinds.
        items = try container.decodeIfPresent([Item].self, forKey: .items) ?? []
    }
}

/// `meta.k8s.io/v1` PartialObjectMetadata: an object reduced to its metadata, as the API server
/// returns it when asked with `Accept: application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1`.
public struct PartialObjectMetadata: KubeObject, Hashable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta

    public init(metadata: ObjectMeta) { self.metadata = metadata }
}

/// An object of any kind: its type metadata and metadata decoded, every other member kept as JSON.
public struct DynamicObject: KubeObject, Hashable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    /// Every top-level member other than apiVersion, kind and metadata (spec, status, data, ...).
    public var content: [String: JSONValue]

    public init(apiVersion: String, kind: String, metadata: ObjectMeta, content: [String: JSONValue] = [:]) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.metadata = metadata
        self.content = content
    }

    /// A top-level member such as `spec` or `status`.
    public subscript(member: String) -> JSONValue? {
        get { content[member] }
        set { content[member] = newValue }
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        var content: [String: JSONValue] = [:]
        var metadata = ObjectMeta()
        for key in container.allKeys {
            switch key.stringValue {
            case "apiVersion": apiVersion = try container.decodeIfPresent(String.self, forKey: key)
            case "kind": kind = try container.decodeIfPresent(String.self, forKey: key)
            case "metadata": metadata = try container.decodeIfPresent(ObjectMeta.self, forKey: key) ?? ObjectMeta()
            default: content[key.stringValue] = try container.decode(JSONValue.self, forKey: key)
            }
        }
        self.metadata = metadata
        self.content = content
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: AnyKey.self)
        try container.encodeIfPresent(apiVersion, forKey: AnyKey(stringValue: "apiVersion"))
        try container.encodeIfPresent(kind, forKey: AnyKey(stringValue: "kind"))
        try container.encode(metadata, forKey: AnyKey(stringValue: "metadata"))
        for (key, value) in content {
            try container.encode(value, forKey: AnyKey(stringValue: key))
        }
    }
}

/// One event of a watch stream.
public enum WatchEvent<Object: KubeObject>: Sendable {
    case added(Object)
    case modified(Object)
    case deleted(Object)
    /// A progress marker: every event up to this resourceVersion has been sent.
    case bookmark(resourceVersion: String)
    /// The server reported an error in the stream (410 Gone when the resourceVersion is too old).
    case error(Status)

    /// The object of an added, modified or deleted event.
    public var object: Object? {
        switch self {
        case .added(let object), .modified(let object), .deleted(let object): object
        case .bookmark, .error: nil
        }
    }

    /// The resourceVersion this event brings the watch to, if any.
    public var resourceVersion: String? {
        switch self {
        case .added(let object), .modified(let object), .deleted(let object): object.metadata.resourceVersion
        case .bookmark(let resourceVersion): resourceVersion
        case .error: nil
        }
    }
}

/// An error decoding a watch frame.
public struct WatchFrameError: Error, CustomStringConvertible {
    public var description: String
}

extension WatchEvent {
    private struct Envelope<Body: Decodable>: Decodable {
        var type: String
        var object: Body
    }

    private struct TypeOnly: Decodable {
        var type: String
    }

    private struct BookmarkObject: Decodable {
        var metadata: ObjectMeta
    }

    /// Decodes one frame of a watch stream (`{"type": ..., "object": ...}`).
    public static func decode(frame: Data, using decoder: JSONDecoder) throws -> WatchEvent<Object> {
        let type = try decoder.decode(TypeOnly.self, from: frame).type
        switch type {
        case "ADDED": return .added(try decoder.decode(Envelope<Object>.self, from: frame).object)
        case "MODIFIED": return .modified(try decoder.decode(Envelope<Object>.self, from: frame).object)
        case "DELETED": return .deleted(try decoder.decode(Envelope<Object>.self, from: frame).object)
        case "BOOKMARK":
            let object = try decoder.decode(Envelope<BookmarkObject>.self, from: frame).object
            return .bookmark(resourceVersion: object.metadata.resourceVersion ?? "")
        case "ERROR": return .error(try decoder.decode(Envelope<Status>.self, from: frame).object)
        default: throw WatchFrameError(description: "unknown watch event type \(type)")
        }
    }
}
