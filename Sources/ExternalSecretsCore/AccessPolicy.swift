public import ExternalSecretsAPI
import Foundation
import GoCompat
public import ProviderKit

/// The one place that decides which namespace a reference may read (DESIGN.md invariant 2).
/// Every credential, CA bundle, ServiceAccount and template reference a store or ExternalSecret
/// makes is resolved here before anything is read.
///
/// Rules, as ESO has them:
/// - a SecretStore reads only its own namespace; a reference naming another namespace is refused;
/// - a ClusterSecretStore reads the namespace a reference names, else the namespace of the object
///   that uses the store;
/// - an ExternalSecret's own references (`templateFrom`) read only its own namespace.
public struct ReferenceAccessPolicy: Sendable, Hashable {
    public var storeKind: StoreKind?
    /// The store's namespace (SecretStore only).
    public var storeNamespace: String?
    /// The namespace of the ExternalSecret (or PushSecret) on whose behalf references are read.
    public var callerNamespace: String

    /// A policy for references a store makes on behalf of an object in `store.callerNamespace`.
    public init(store: StoreContext) {
        self.storeKind = store.kind
        self.storeNamespace = store.storeNamespace
        self.callerNamespace = store.callerNamespace
    }

    /// A policy for references an object makes about its own namespace (no store involved).
    public init(ownNamespace: String) {
        self.storeKind = nil
        self.storeNamespace = nil
        self.callerNamespace = ownNamespace
    }

    /// The namespace a reference at `field` with the given `namespace` field may read, or an error
    /// saying why it may not.
    public func namespace(for requested: String?, field: String) throws(ProviderError) -> String {
        let requested = requested.flatMap { $0.isEmpty ? nil : $0 }
        switch storeKind {
        case .clusterSecretStore:
            return requested ?? callerNamespace
        case .secretStore:
            let own = storeNamespace ?? callerNamespace
            if let requested, requested != own {
                throw .accessDenied(
                    "\(field): namespace \"\(requested)\" is not allowed: a SecretStore may only reference objects in its own namespace \"\(own)\"")
            }
            return own
        case nil:
            if let requested, requested != callerNamespace {
                throw .accessDenied(
                    "\(field): namespace \"\(requested)\" is not allowed: references may only point into namespace \"\(callerNamespace)\"")
            }
            return callerNamespace
        }
    }
}

/// ClusterSecretStore `spec.conditions`: which namespaces may use the store. Conditions are ORed;
/// within one condition, a namespace matches if it matches any field that is set. No conditions
/// means every namespace.
public struct ClusterStoreAdmission: Sendable {
    public var conditions: [ClusterSecretStoreCondition]

    public init(conditions: [ClusterSecretStoreCondition]?) {
        self.conditions = conditions ?? []
    }

    /// Whether an object in `namespace` (with the namespace's `labels`) may use the store. An
    /// invalid regular expression matches nothing (fail closed).
    public func admits(namespace: String, labels: [String: String]) -> Bool {
        if conditions.isEmpty { return true }
        return conditions.contains { condition in
            if let selector = condition.namespaceSelector, selector.matches(labels) { return true }
            if let names = condition.namespaces, names.contains(namespace) { return true }
            for pattern in condition.namespaceRegexes ?? [] {
                if let regex = try? GoRegexp(pattern), regex.matchString(namespace) { return true }
            }
            return false
        }
    }

    /// Whether evaluating the conditions needs the namespace's labels.
    public var needsNamespaceLabels: Bool {
        conditions.contains { $0.namespaceSelector != nil }
    }

    /// ESO's message for a refused namespace.
    public static func deniedMessage(store: String, namespace: String) -> String {
        "using cluster store \"\(store)\" is not allowed from namespace \"\(namespace)\": denied by spec.condition"
    }
}
