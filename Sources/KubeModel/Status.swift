/// `metav1.Status`: the body of every API error and of some successful deletes.
public struct Status: Codable, Sendable, Hashable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ListMeta?
    /// "Success" or "Failure".
    public var status: String?
    public var message: String?
    /// A machine-readable reason (`NotFound`, `AlreadyExists`, `Conflict`, `Gone`, `Expired`, ...).
    public var reason: String?
    public var details: StatusDetails?
    /// The HTTP status code this Status stands for.
    public var code: Int?

    public init(status: String? = nil, message: String? = nil, reason: String? = nil, code: Int? = nil) {
        self.apiVersion = "v1"
        self.kind = "Status"
        self.status = status
        self.message = message
        self.reason = reason
        self.code = code
    }
}

/// `metav1.StatusDetails`.
public struct StatusDetails: Codable, Sendable, Hashable {
    public var name: String?
    public var group: String?
    public var kind: String?
    public var uid: String?
    public var causes: [StatusCause]?
    public var retryAfterSeconds: Int?
}

/// `metav1.StatusCause`.
public struct StatusCause: Codable, Sendable, Hashable {
    public var reason: String?
    public var message: String?
    public var field: String?
}
