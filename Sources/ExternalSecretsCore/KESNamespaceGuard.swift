import GoCompat

/// KES's tenant guards, read from the annotations of the object's namespace (pure):
/// - `iam.amazonaws.com/permitted`: a regular expression the `roleArn` an object assumes must
///   match (an object that assumes no role passes);
/// - `externalsecrets.kubernetes-client.io/permitted-key-name`: a regular expression every remote
///   key an object reads must match.
/// A namespace without an annotation is not limited by it. The expressions are Go/RE2 regular
/// expressions, matched unanchored as KES's JavaScript `RegExp.test` did (anchor them with
/// `^...$` to match whole names). An expression that does not compile refuses everything.
public struct KESNamespaceGuard: Sendable, Hashable {
    public static let permittedRoleAnnotation = "iam.amazonaws.com/permitted"
    public static let permittedKeyAnnotation = "externalsecrets.kubernetes-client.io/permitted-key-name"

    public var permittedRoles: String?
    public var permittedKeys: String?

    public init(namespaceAnnotations annotations: [String: String]) {
        permittedRoles = annotations[Self.permittedRoleAnnotation]
        permittedKeys = annotations[Self.permittedKeyAnnotation]
    }

    /// Why the namespace refuses an object that assumes `roleArn` and reads `remoteKeys`; nil
    /// when it admits it. The message names the role or key and the annotation.
    public func refusal(roleArn: String?, remoteKeys: [String], namespace: String) -> String? {
        if let pattern = permittedRoles, let roleArn {
            guard let regexp = try? GoRegexp(pattern) else {
                return "namespace \(namespace): annotation \(Self.permittedRoleAnnotation) is not a valid regular expression"
            }
            if !regexp.matchString(roleArn) {
                return "namespace \(namespace) does not allow to assume role \(roleArn) (annotation \(Self.permittedRoleAnnotation))"
            }
        }
        if let pattern = permittedKeys {
            guard let regexp = try? GoRegexp(pattern) else {
                return "namespace \(namespace): annotation \(Self.permittedKeyAnnotation) is not a valid regular expression"
            }
            if let key = remoteKeys.first(where: { !regexp.matchString($0) }) {
                return "namespace \(namespace) does not allow to read key \(key) (annotation \(Self.permittedKeyAnnotation))"
            }
        }
        return nil
    }
}
