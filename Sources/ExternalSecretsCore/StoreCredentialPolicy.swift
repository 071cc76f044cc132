public import KubeClient
import KubeModel
public import ProviderKit

/// Where a store's provider client may send credentials and which tokens it is given: one
/// definition for the controller and for `render --live`, so that a render sends credentials
/// only where the controller would, with the tokens it would request.
public enum StoreCredentialPolicy {
    /// The client-build admission of `--allowed-provider-endpoints`: a store whose provider block
    /// names an endpoint the list (narrowed by the caller namespace's annotation) does not admit
    /// is refused before any credential is read or sent.
    public static func endpointAdmission(
        _ allowList: ProviderEndpointAllowList, client: KubeClient
    ) -> @Sendable (StoreContext) async throws -> Void {
        { store in
            guard !ProviderEndpointAllowList.endpoints(of: store.spec).isEmpty else { return }
            var annotations: [String: String] = [:]
            if !store.callerNamespace.isEmpty {
                annotations = try await client.api(Namespace.self).get(store.callerNamespace).metadata.annotations ?? [:]
            }
            if let refusal = allowList.refusal(for: store.spec, namespaceAnnotations: annotations) {
                throw StoreProblem.denied(message: "\(store.displayName): \(refusal)")
            }
        }
    }

    /// The reference reader a store's provider client reads credentials through: the access
    /// policy of `store`, and `serviceAccountTokenAudience` (`--service-account-token-audience`)
    /// as the audience of tokens requested without one, except for Kubernetes-provider stores,
    /// whose tokens are for the API server.
    public static func referenceReader(
        for store: StoreContext, client: KubeClient, serviceAccountTokenAudience: String?
    ) -> KubeReferenceReader {
        var reader = KubeReferenceReader(client: client, policy: ReferenceAccessPolicy(store: store))
        if let audience = serviceAccountTokenAudience, store.spec.provider.kubernetes == nil {
            reader.defaultAudiences = [audience]
        }
        return reader
    }
}
