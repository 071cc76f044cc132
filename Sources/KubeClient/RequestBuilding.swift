public import KubeModel
public import NIOHTTP1

/// A request to the API server as a pure value: built without I/O, unit-tested as data.
public struct KubeRequest: Sendable, Equatable {
    public var method: HTTPMethod
    /// The path below the server URL, starting with `/api` or `/apis`.
    public var path: String
    public var query: [(String, String)]
    public var headers: [(String, String)]
    public var body: [UInt8]?

    public init(
        method: HTTPMethod, path: String, query: [(String, String)] = [], headers: [(String, String)] = [],
        body: [UInt8]? = nil
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// The path and the percent-encoded query string.
    public var pathAndQuery: String {
        guard !query.isEmpty else { return path }
        return path + "?" + query.map { "\(percentEncode($0.0))=\(percentEncode($0.1))" }.joined(separator: "&")
    }

    /// `VERB /path`, as errors and logs name a request.
    public var summary: String { "\(method.rawValue) \(path)" }

    public static func == (lhs: KubeRequest, rhs: KubeRequest) -> Bool {
        lhs.method == rhs.method && lhs.path == rhs.path && lhs.query.elementsEqual(rhs.query, by: ==)
            && lhs.headers.elementsEqual(rhs.headers, by: ==) && lhs.body == rhs.body
    }
}

/// Percent-encodes a query component: everything but RFC 3986 unreserved characters.
func percentEncode(_ text: String) -> String {
    var result = ""
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            result.unicodeScalars.append(Unicode.Scalar(byte))
        default:
            let hex = Array("0123456789ABCDEF".utf8)
            result += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]], as: UTF8.self)
        }
    }
    return result
}

/// Options of a list request.
public struct ListOptions: Sendable, Hashable {
    public var labelSelector: String?
    public var fieldSelector: String?
    /// Page size; nil for the server's default (everything).
    public var limit: Int?
    /// The token from the previous page's `metadata.continue`.
    public var continueToken: String?
    /// `"0"` lets the server answer from its watch cache.
    public var resourceVersion: String?
    /// Leave `metadata.managedFields` undecoded (nil) in the listed objects; no query parameter.
    public var skipManagedFields: Bool

    public init(
        labelSelector: String? = nil, fieldSelector: String? = nil, limit: Int? = nil, continueToken: String? = nil,
        resourceVersion: String? = nil, skipManagedFields: Bool = false
    ) {
        self.skipManagedFields = skipManagedFields
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continueToken = continueToken
        self.resourceVersion = resourceVersion
    }

    var queryItems: [(String, String)] {
        var items: [(String, String)] = []
        if let labelSelector, !labelSelector.isEmpty { items.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { items.append(("fieldSelector", fieldSelector)) }
        if let limit { items.append(("limit", String(limit))) }
        if let continueToken, !continueToken.isEmpty { items.append(("continue", continueToken)) }
        if let resourceVersion { items.append(("resourceVersion", resourceVersion)) }
        return items
    }
}

/// Options of a watch request.
public struct WatchOptions: Sendable, Hashable {
    public var labelSelector: String?
    public var fieldSelector: String?
    /// Start after this version (from a list or the last event seen); nil for "now".
    public var resourceVersion: String?
    public var allowWatchBookmarks: Bool
    /// The server closes the stream after this many seconds.
    public var timeoutSeconds: Int?
    /// Leave `metadata.managedFields` undecoded (nil) in the events' objects; no query parameter.
    public var skipManagedFields: Bool

    public init(
        labelSelector: String? = nil, fieldSelector: String? = nil, resourceVersion: String? = nil,
        allowWatchBookmarks: Bool = true, timeoutSeconds: Int? = 290, skipManagedFields: Bool = false
    ) {
        self.skipManagedFields = skipManagedFields
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.resourceVersion = resourceVersion
        self.allowWatchBookmarks = allowWatchBookmarks
        self.timeoutSeconds = timeoutSeconds
    }

    var queryItems: [(String, String)] {
        var items: [(String, String)] = [("watch", "true")]
        if let labelSelector, !labelSelector.isEmpty { items.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { items.append(("fieldSelector", fieldSelector)) }
        if let resourceVersion, !resourceVersion.isEmpty { items.append(("resourceVersion", resourceVersion)) }
        if allowWatchBookmarks { items.append(("allowWatchBookmarks", "true")) }
        if let timeoutSeconds { items.append(("timeoutSeconds", String(timeoutSeconds))) }
        return items
    }
}

/// How dependents are treated when their owner is deleted.
public enum PropagationPolicy: String, Sendable, Codable {
    case orphan = "Orphan"
    case background = "Background"
    case foreground = "Foreground"
}

/// `metav1.DeleteOptions`.
public struct DeleteOptions: Sendable, Hashable, Encodable {
    public var apiVersion = "v1"
    public var kind = "DeleteOptions"
    public var propagationPolicy: PropagationPolicy?
    public var gracePeriodSeconds: Int64?
    /// Delete only if the object still has this uid / resourceVersion.
    public var preconditions: Preconditions?

    public struct Preconditions: Sendable, Hashable, Encodable {
        public var uid: String?
        public var resourceVersion: String?

        public init(uid: String? = nil, resourceVersion: String? = nil) {
            self.uid = uid
            self.resourceVersion = resourceVersion
        }
    }

    public init(
        propagationPolicy: PropagationPolicy? = nil, gracePeriodSeconds: Int64? = nil,
        preconditions: Preconditions? = nil
    ) {
        self.propagationPolicy = propagationPolicy
        self.gracePeriodSeconds = gracePeriodSeconds
        self.preconditions = preconditions
    }
}

/// One operation of an RFC 6902 JSON patch.
public struct JSONPatchOperation: Sendable, Hashable, Encodable {
    public var op: String
    public var path: String
    public var value: JSONValue?
    public var from: String?

    public static func add(_ path: String, _ value: JSONValue) -> Self { .init(op: "add", path: path, value: value) }
    public static func replace(_ path: String, _ value: JSONValue) -> Self {
        .init(op: "replace", path: path, value: value)
    }
    public static func remove(_ path: String) -> Self { .init(op: "remove", path: path) }
    public static func test(_ path: String, _ value: JSONValue) -> Self { .init(op: "test", path: path, value: value) }

    /// Escapes one reference token of a JSON pointer (`~` → `~0`, `/` → `~1`).
    public static func escape(_ token: String) -> String {
        token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}

/// A patch and its content type.
public enum Patch: Sendable, Hashable {
    /// RFC 7386 JSON merge patch.
    case merge(JSONValue)
    /// RFC 6902 JSON patch.
    case json([JSONPatchOperation])
    /// Kubernetes strategic merge patch (built-in kinds only).
    case strategicMerge(JSONValue)

    var contentType: String {
        switch self {
        case .merge: "application/merge-patch+json"
        case .json: "application/json-patch+json"
        case .strategicMerge: "application/strategic-merge-patch+json"
        }
    }

    func body() throws -> [UInt8] {
        switch self {
        case .merge(let value), .strategicMerge(let value): Array(try KubeJSON.encoder.encode(value))
        case .json(let operations): Array(try KubeJSON.encoder.encode(operations))
        }
    }
}

/// Pure construction of every request this client sends.
public enum RequestBuilder {
    /// The URL path of a collection or of one object (and optionally its subresource).
    public static func path(
        for resource: ResourceDescriptor, namespace: String?, name: String? = nil, subresource: String? = nil
    ) -> String {
        var path = resource.group.isEmpty ? "/api/\(resource.version)" : "/apis/\(resource.group)/\(resource.version)"
        if resource.namespaced, let namespace, !namespace.isEmpty {
            path += "/namespaces/\(pathSegment(namespace))"
        }
        path += "/\(resource.plural)"
        if let name {
            path += "/\(pathSegment(name))"
            if let subresource { path += "/\(subresource)" }
        }
        return path
    }

    private static func pathSegment(_ text: String) -> String { percentEncode(text) }

    private static let jsonHeaders = [("Content-Type", "application/json")]

    public static func get(_ resource: ResourceDescriptor, namespace: String?, name: String, subresource: String? = nil)
        -> KubeRequest
    {
        KubeRequest(method: .GET, path: path(for: resource, namespace: namespace, name: name, subresource: subresource))
    }

    public static func list(_ resource: ResourceDescriptor, namespace: String?, options: ListOptions) -> KubeRequest {
        KubeRequest(method: .GET, path: path(for: resource, namespace: namespace), query: options.queryItems)
    }

    public static func watch(_ resource: ResourceDescriptor, namespace: String?, options: WatchOptions) -> KubeRequest {
        KubeRequest(method: .GET, path: path(for: resource, namespace: namespace), query: options.queryItems)
    }

    public static func create(
        _ resource: ResourceDescriptor, namespace: String?, body: [UInt8], fieldManager: String? = nil,
        subresourceOf name: String? = nil, subresource: String? = nil
    ) -> KubeRequest {
        KubeRequest(
            method: .POST, path: path(for: resource, namespace: namespace, name: name, subresource: subresource),
            query: fieldManagerQuery(fieldManager), headers: jsonHeaders, body: body)
    }

    public static func replace(
        _ resource: ResourceDescriptor, namespace: String?, name: String, body: [UInt8], subresource: String? = nil,
        fieldManager: String? = nil
    ) -> KubeRequest {
        KubeRequest(
            method: .PUT, path: path(for: resource, namespace: namespace, name: name, subresource: subresource),
            query: fieldManagerQuery(fieldManager), headers: jsonHeaders, body: body)
    }

    public static func patch(
        _ resource: ResourceDescriptor, namespace: String?, name: String, patch: Patch, subresource: String? = nil,
        fieldManager: String? = nil
    ) throws -> KubeRequest {
        KubeRequest(
            method: .PATCH, path: path(for: resource, namespace: namespace, name: name, subresource: subresource),
            query: fieldManagerQuery(fieldManager), headers: [("Content-Type", patch.contentType)],
            body: try patch.body())
    }

    /// A server-side apply: the body is the full intent of `fieldManager`; `force` takes over
    /// fields owned by other managers instead of failing with 409.
    public static func apply(
        _ resource: ResourceDescriptor, namespace: String?, name: String, body: [UInt8], fieldManager: String,
        force: Bool, subresource: String? = nil
    ) -> KubeRequest {
        var query = [("fieldManager", fieldManager)]
        if force { query.append(("force", "true")) }
        return KubeRequest(
            method: .PATCH, path: path(for: resource, namespace: namespace, name: name, subresource: subresource),
            query: query, headers: [("Content-Type", "application/apply-patch+yaml")], body: body)
    }

    public static func delete(
        _ resource: ResourceDescriptor, namespace: String?, name: String, options: DeleteOptions
    ) throws -> KubeRequest {
        KubeRequest(
            method: .DELETE, path: path(for: resource, namespace: namespace, name: name), headers: jsonHeaders,
            body: Array(try KubeJSON.encoder.encode(options)))
    }

    private static func fieldManagerQuery(_ fieldManager: String?) -> [(String, String)] {
        guard let fieldManager, !fieldManager.isEmpty else { return [] }
        return [("fieldManager", fieldManager)]
    }
}
