import ExternalSecretsAPI
import Foundation
import ProviderKit

/// `spec.provider.gcpsm` checked and resolved, without I/O.
struct GCPStoreSettings: Sendable, Hashable {
    static let field = "spec.provider.gcpsm"

    enum Credentials: Sendable, Hashable {
        /// A service-account key file (JSON) in a Secret.
        case serviceAccountKey(SecretKeySelector)
        /// No `auth`: the operator's own key file (`GOOGLE_APPLICATION_CREDENTIALS`).
        case operatorDefault
    }

    enum VersionSelection: String, Sendable, Hashable {
        case latestOrFail = "LatestOrFail"
        case latestOrFetch = "LatestOrFetch"
    }

    var projectID: String
    /// Empty for global secrets.
    var location: String
    var credentials: Credentials
    var versionSelection: VersionSelection
    var storeKind: StoreKind

    /// A ClusterSecretStore whose key Secret names no namespace: read in each caller's namespace.
    var isReferent: Bool {
        guard storeKind == .clusterSecretStore, case .serviceAccountKey(let selector) = credentials else { return false }
        return (selector.namespace ?? "").isEmpty
    }

    static func resolve(_ store: StoreContext) throws(ProviderError) -> GCPStoreSettings {
        guard let spec = store.spec.provider.gcpsm else { throw .invalidConfiguration("\(field) is missing") }
        let credentials: Credentials
        if let auth = spec.auth, auth.secretRef != nil || auth.workloadIdentity != nil
            || auth.workloadIdentityFederation != nil
        {
            if auth.workloadIdentity != nil {
                throw .unsupported("\(field).auth.workloadIdentity is not supported by this operator yet")
            }
            if auth.workloadIdentityFederation != nil {
                throw .unsupported("\(field).auth.workloadIdentityFederation is not supported by this operator yet")
            }
            guard let selector = auth.secretRef?.secretAccessKeySecretRef else {
                throw .invalidConfiguration("\(field).auth.secretRef.secretAccessKeySecretRef is required")
            }
            guard let name = selector.name, !name.isEmpty else {
                throw .invalidConfiguration("\(field).auth.secretRef.secretAccessKeySecretRef.name is required")
            }
            guard let key = selector.key, !key.isEmpty else {
                throw .invalidConfiguration("\(field).auth.secretRef.secretAccessKeySecretRef.key is required")
            }
            if store.kind == .secretStore, selector.namespace != nil, selector.namespace != store.storeNamespace {
                throw .invalidConfiguration(
                    "invalid auth secret data: namespace should either be empty or match the namespace of the SecretStore for a namespaced SecretStore"
                )
            }
            credentials = .serviceAccountKey(selector)
        } else {
            credentials = .operatorDefault
        }
        let policyText = spec.secretVersionSelectionPolicy ?? ""
        guard let policy = policyText.isEmpty ? .latestOrFail : VersionSelection(rawValue: policyText) else {
            throw .invalidConfiguration(
                "\(field).secretVersionSelectionPolicy must be LatestOrFail or LatestOrFetch, not \"\(policyText)\"")
        }
        return GCPStoreSettings(
            projectID: spec.projectID ?? "", location: spec.location ?? "", credentials: credentials,
            versionSelection: policy, storeKind: store.kind)
    }
}
