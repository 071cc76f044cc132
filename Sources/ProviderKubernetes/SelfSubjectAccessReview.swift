import KubeClient
import KubeModel

/// `authorization.k8s.io/v1` SelfSubjectAccessReview: asks the API server whether the caller may
/// perform one action. Every authenticated user may create one (`system:basic-user`).
struct SelfSubjectAccessReview: Encodable, Sendable {
    static let resource = ResourceDescriptor(
        group: "authorization.k8s.io", version: "v1", kind: "SelfSubjectAccessReview",
        plural: "selfsubjectaccessreviews", namespaced: false)

    var apiVersion: String? = resource.apiVersion
    var kind: String? = resource.kind
    var spec: Spec

    struct Spec: Encodable, Sendable {
        var resourceAttributes: ResourceAttributes
    }

    struct ResourceAttributes: Encodable, Sendable {
        var namespace: String
        var verb: String
        var group: String = ""
        var resource: String
    }

    struct Status: Decodable, Sendable {
        var allowed: Bool
        var denied: Bool?
        var reason: String?
    }

    /// May the caller `verb` Secrets in `namespace`?
    init(verb: String, secretsIn namespace: String) {
        spec = Spec(resourceAttributes: ResourceAttributes(namespace: namespace, verb: verb, resource: "secrets"))
    }

    /// The server's answer; only the status is read.
    struct Answer: Decodable, Sendable {
        var status: Status?
    }

    /// The request creating this review.
    func request() throws -> KubeRequest {
        RequestBuilder.create(Self.resource, namespace: nil, body: Array(try KubeJSON.encoder.encode(self)))
    }
}
