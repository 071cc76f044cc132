import ExternalSecretsAPI
import Foundation
import ProviderKit

/// `spec.provider.gcpsm` checked and resolved, without I/O.
struct GCPStoreSettings: Sendable, Hashable {
    static let field = "spec.provider.gcpsm"

    enum Credentials: Sendable, Hashable {
        /// A service-account key file (JSON) in a Secret.
        case serviceAccountKey(SecretKeySelector)
        /// GKE Workload Identity: a Kubernetes ServiceAccount's token exchanged at Google's STS.
        case workloadIdentity(WorkloadIdentity)
        /// Workload Identity Federation with a Kubernetes ServiceAccount's token.
        case federation(Federation)
        /// No `auth`: the operator's own key file (`GOOGLE_APPLICATION_CREDENTIALS`).
        case operatorDefault
    }

    /// `auth.workloadIdentityFederation` with `serviceAccountRef` resolved.
    struct Federation: Sendable, Hashable {
        var serviceAccount: ServiceAccountSelector
        /// The workload identity pool provider, `//iam.googleapis.com/projects/N/locations/global/...`.
        var audience: String
        /// `gcpServiceAccountEmail`; nil: the ServiceAccount's annotation, if any.
        var googleServiceAccount: String?
    }

    /// `auth.workloadIdentity` resolved: the identity pool `PROJECT.svc.id.goog` and provider
    /// `https://container.googleapis.com/v1/projects/P/locations/L/clusters/C` (ESO's
    /// `gcpWorkloadIdentity`; without a GCE metadata server, the cluster fields must be set).
    struct WorkloadIdentity: Sendable, Hashable {
        var serviceAccount: ServiceAccountSelector
        var pool: String
        var provider: String

        /// The ServiceAccount annotation naming the Google service account to impersonate.
        static let annotation = "iam.gke.io/gcp-service-account"
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
        guard storeKind == .clusterSecretStore else { return false }
        switch credentials {
        case .serviceAccountKey(let selector): return (selector.namespace ?? "").isEmpty
        case .workloadIdentity(let identity): return (identity.serviceAccount.namespace ?? "").isEmpty
        case .federation(let federation): return (federation.serviceAccount.namespace ?? "").isEmpty
        case .operatorDefault: return false
        }
    }

    static func resolve(_ store: StoreContext) throws(ProviderError) -> GCPStoreSettings {
        guard let spec = store.spec.provider.gcpsm else { throw .invalidConfiguration("\(field) is missing") }
        let credentials: Credentials
        if let auth = spec.auth,
            auth.secretRef != nil || auth.workloadIdentity != nil
                || auth.workloadIdentityFederation != nil
        {
            if let identity = auth.workloadIdentity, auth.secretRef == nil {
                let wi = "\(field).auth.workloadIdentity"
                guard !identity.serviceAccountRef.name.isEmpty else {
                    throw .invalidConfiguration("\(wi).serviceAccountRef.name is required")
                }
                let project =
                    (identity.clusterProjectID ?? "").isEmpty ? (spec.projectID ?? "") : identity.clusterProjectID!
                guard !project.isEmpty else {
                    throw .invalidConfiguration(
                        "unable to lookup workload identity: unable to get project id: set \(wi).clusterProjectID or projectID (no GCE metadata server is read)"
                    )
                }
                guard let location = identity.clusterLocation, !location.isEmpty else {
                    throw .invalidConfiguration(
                        "unable to lookup workload identity: unable to determine cluster location: set \(wi).clusterLocation (no GCE metadata server is read)"
                    )
                }
                guard let cluster = identity.clusterName, !cluster.isEmpty else {
                    throw .invalidConfiguration(
                        "unable to lookup workload identity: unable to determine cluster name: set \(wi).clusterName (no GCE metadata server is read)"
                    )
                }
                if store.kind == .secretStore, let namespace = identity.serviceAccountRef.namespace,
                    namespace != store.storeNamespace
                {
                    throw .invalidConfiguration(
                        "invalid workload identity service account reference: namespace should either be empty or match the namespace of the SecretStore for a namespaced SecretStore"
                    )
                }
                let policyText = spec.secretVersionSelectionPolicy ?? ""
                guard let policy = policyText.isEmpty ? .latestOrFail : VersionSelection(rawValue: policyText) else {
                    throw .invalidConfiguration(
                        "\(field).secretVersionSelectionPolicy must be LatestOrFail or LatestOrFetch, not \"\(policyText)\""
                    )
                }
                return GCPStoreSettings(
                    projectID: spec.projectID ?? "", location: spec.location ?? "",
                    credentials: .workloadIdentity(
                        WorkloadIdentity(
                            serviceAccount: identity.serviceAccountRef, pool: "\(project).svc.id.goog",
                            provider:
                                "https://container.googleapis.com/v1/projects/\(project)/locations/\(location)/clusters/\(cluster)"
                        )),
                    versionSelection: policy, storeKind: store.kind)
            }
            if let federation = auth.workloadIdentityFederation, auth.secretRef == nil {
                let wif = "\(field).auth.workloadIdentityFederation"
                let sources = [
                    federation.credConfig != nil, federation.serviceAccountRef != nil,
                    federation.awsSecurityCredentials != nil,
                ].filter { $0 }.count
                guard sources == 1 else {
                    throw .invalidConfiguration(
                        "invalid workloadIdentityFederation config: exactly one of credConfig, awsSecurityCredentials or serviceAccountRef must be provided"
                    )
                }
                guard let account = federation.serviceAccountRef else {
                    throw .unsupported(
                        "\(wif): credConfig and awsSecurityCredentials are not supported by this operator yet (serviceAccountRef is)"
                    )
                }
                guard let audience = federation.audience, !audience.isEmpty else {
                    throw .invalidConfiguration(
                        "invalid workloadIdentityFederation config: audience must be provided, when serviceAccountRef or awsSecurityCredentials is provided"
                    )
                }
                if store.kind == .secretStore, let namespace = account.namespace, namespace != store.storeNamespace {
                    throw .invalidConfiguration(
                        "\(wif).serviceAccountRef: namespace should either be empty or match the namespace of the SecretStore for a namespaced SecretStore"
                    )
                }
                let policyText = spec.secretVersionSelectionPolicy ?? ""
                guard let policy = policyText.isEmpty ? .latestOrFail : VersionSelection(rawValue: policyText) else {
                    throw .invalidConfiguration(
                        "\(field).secretVersionSelectionPolicy must be LatestOrFail or LatestOrFetch, not \"\(policyText)\""
                    )
                }
                let email = federation.gcpServiceAccountEmail.flatMap { $0.isEmpty ? nil : $0 }
                return GCPStoreSettings(
                    projectID: spec.projectID ?? "", location: spec.location ?? "",
                    credentials: .federation(
                        Federation(serviceAccount: account, audience: audience, googleServiceAccount: email)),
                    versionSelection: policy, storeKind: store.kind)
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
