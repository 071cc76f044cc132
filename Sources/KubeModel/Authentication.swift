/// `authentication.k8s.io/v1` TokenRequest, the `token` subresource of a ServiceAccount.
///
/// Its description never shows the issued token.
public struct TokenRequest: KubeResource, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public static let resource = ResourceDescriptor(
        group: "authentication.k8s.io", version: "v1", kind: "TokenRequest", plural: "tokenrequests",
        namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: TokenRequestSpec
    public var status: TokenRequestStatus?

    public init(spec: TokenRequestSpec) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = ObjectMeta()
        self.spec = spec
    }

    public var description: String {
        "TokenRequest(audiences: \(spec.audiences), expires: \(status?.expirationTimestamp?.description ?? "-"))"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description]) }
}

/// `authentication.k8s.io/v1` TokenRequestSpec.
public struct TokenRequestSpec: Codable, Sendable, Hashable {
    public var audiences: [String]
    public var expirationSeconds: Int64?
    public var boundObjectRef: BoundObjectReference?

    public init(audiences: [String], expirationSeconds: Int64? = nil, boundObjectRef: BoundObjectReference? = nil) {
        self.audiences = audiences
        self.expirationSeconds = expirationSeconds
        self.boundObjectRef = boundObjectRef
    }
}

/// `authentication.k8s.io/v1` BoundObjectReference.
public struct BoundObjectReference: Codable, Sendable, Hashable {
    public var kind: String?
    public var apiVersion: String?
    public var name: String?
    public var uid: String?
}

/// `authentication.k8s.io/v1` TokenRequestStatus.
public struct TokenRequestStatus: Codable, Sendable, Hashable {
    public var token: String
    public var expirationTimestamp: KubeTime?
}

/// `authentication.k8s.io/v1` TokenReview: asks the API server who a token belongs to.
public struct TokenReview: KubeResource, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public static let resource = ResourceDescriptor(
        group: "authentication.k8s.io", version: "v1", kind: "TokenReview", plural: "tokenreviews",
        namespaced: false)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: TokenReviewSpec
    public var status: TokenReviewStatus?

    public init(token: String, audiences: [String]? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = ObjectMeta()
        self.spec = TokenReviewSpec(token: token, audiences: audiences)
    }

    public var description: String {
        "TokenReview(authenticated: \(status?.authenticated.map(String.init) ?? "-"), user: \(status?.user?.username ?? "-"))"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description]) }
}

/// `authentication.k8s.io/v1` TokenReviewSpec.
public struct TokenReviewSpec: Codable, Sendable, Hashable {
    public var token: String
    public var audiences: [String]?
}

/// `authentication.k8s.io/v1` TokenReviewStatus.
public struct TokenReviewStatus: Codable, Sendable, Hashable {
    public var authenticated: Bool?
    public var user: UserInfo?
    public var audiences: [String]?
    public var error: String?
}

/// `authentication.k8s.io/v1` UserInfo.
public struct UserInfo: Codable, Sendable, Hashable {
    public var username: String?
    public var uid: String?
    public var groups: [String]?
    public var extra: [String: [String]]?
}
