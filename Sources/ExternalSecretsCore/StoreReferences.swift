public import ExternalSecretsAPI
import KubeModel

/// The Secrets a store's provider block refers to (auth `secretRef`s, a `caProvider` of type
/// Secret, ...), as `namespace/name` index values, so that the creation or change of one of them
/// revalidates the store at once instead of at its next retry.
///
/// Found by walking the provider block as JSON rather than per provider, so every provider
/// (also one added later, or one only passed through) is covered: an object with a string
/// `name` and a `key`, or with `type: Secret`, is a Secret reference; `type: ConfigMap` is not
/// (ConfigMaps are not watched: invariant 1 allows only the identity-only Secret watch).
///
/// Caveats: over-inclusion only costs an extra validation when an unrelated Secret of that
/// name changes. A ClusterSecretStore reference without a namespace is resolved against the
/// ExternalSecret's namespace at use; it is not indexed (such a store still recovers through
/// its retry backoff).
public enum StoreReferences {
    /// The index values (`namespace/name`) of the Secrets `spec` refers to. A SecretStore's
    /// references are in its own namespace whatever they say (ESO's rule).
    public static func secrets(of spec: SecretStoreSpec, storeNamespace: String?) -> [String] {
        guard let provider = try? JSONValue(encoding: spec.provider) else { return [] }
        var found = Set<String>()
        collect(provider, storeNamespace: storeNamespace, into: &found)
        return found.sorted()
    }

    private static func collect(_ value: JSONValue, storeNamespace: String?, into found: inout Set<String>) {
        switch value {
        case .array(let items):
            for item in items { collect(item, storeNamespace: storeNamespace, into: &found) }
        case .object(let fields):
            if case .string(let name)? = fields["name"], !name.isEmpty, isSecretReference(fields) {
                let namespace: String?
                if let storeNamespace {
                    namespace = storeNamespace
                } else if case .string(let given)? = fields["namespace"], !given.isEmpty {
                    namespace = given
                } else {
                    namespace = nil
                }
                if let namespace { found.insert("\(namespace)/\(name)") }
            }
            for field in fields.values { collect(field, storeNamespace: storeNamespace, into: &found) }
        default:
            break
        }
    }

    private static func isSecretReference(_ fields: [String: JSONValue]) -> Bool {
        switch fields["type"] {
        case .string("Secret")?: return true
        case .string?: return false  // ConfigMap, or another kind of object with a type
        default: return fields["key"] != nil
        }
    }
}
