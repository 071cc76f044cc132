public import KubeModel

/// An error answered by the Kubernetes API server, with the server's `Status` kept intact.
///
/// The description names the verb, the path and the server's reason and message; it never
/// contains a request or response body.
public struct KubeAPIError: Error, Sendable, CustomStringConvertible {
    /// The HTTP status code.
    public var statusCode: Int
    /// The server's Status, when the body was one.
    public var status: Status?
    /// The request that failed, as `VERB /path` (no query string, no body).
    public var request: String
    /// The delay the server asked for (`Retry-After` header or `details.retryAfterSeconds`).
    public var retryAfterSeconds: Int?

    public init(statusCode: Int, status: Status?, request: String, retryAfterSeconds: Int? = nil) {
        self.statusCode = statusCode
        self.status = status
        self.request = request
        self.retryAfterSeconds = retryAfterSeconds ?? status?.details?.retryAfterSeconds
    }

    /// The server's machine-readable reason (`NotFound`, `Conflict`, ...), if any.
    public var reason: String? { status?.reason }

    public var isNotFound: Bool { statusCode == 404 || reason == "NotFound" }
    /// An optimistic-concurrency failure (stale resourceVersion) or a server-side apply conflict.
    public var isConflict: Bool { statusCode == 409 && reason != "AlreadyExists" }
    public var isAlreadyExists: Bool { reason == "AlreadyExists" }
    /// The requested resourceVersion is too old (compacted): relist.
    public var isGone: Bool { statusCode == 410 || reason == "Gone" || reason == "Expired" }
    public var isForbidden: Bool { statusCode == 403 || reason == "Forbidden" }
    public var isUnauthorized: Bool { statusCode == 401 || reason == "Unauthorized" }
    public var isInvalid: Bool { statusCode == 422 || reason == "Invalid" }
    public var isTooManyRequests: Bool { statusCode == 429 || reason == "TooManyRequests" }
    public var isInternalError: Bool { statusCode >= 500 }

    public var description: String {
        var text = "\(request): \(statusCode)"
        if let reason, !reason.isEmpty { text += " \(reason)" }
        if let message = status?.message, !message.isEmpty { text += ": \(message)" }
        return text
    }
}

/// An error of this client before or after the server answered (bad config, undecodable body).
public struct KubeClientError: Error, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}
