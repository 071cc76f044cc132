import ExternalSecretsAPI
import Foundation
import GoCompat
import ProviderKit

/// `spec.provider.ibm` checked and resolved without I/O (ESO's `ValidateStore` for ibm, except
/// its check that the container-auth token file opens, which is made when a client is made).
struct IBMStoreSettings: Sendable, Hashable {
    static let field = "spec.provider.ibm"
    /// ESO's `iamDefaultEndpoint`.
    static let defaultIAMEndpoint = "https://iam.cloud.ibm.com"
    /// ESO's default compute-resource token file.
    static let defaultTokenLocation = "/var/run/secrets/tokens/vault-token"

    enum Credentials: Sendable, Hashable {
        /// An API key in a Secret (`auth.secretRef.secretApiKeySecretRef`).
        case apiKey(SecretKeySelector, iamEndpoint: String)
        /// A trusted profile with the pod's compute-resource token (`auth.containerAuth`).
        case trustedProfile(profile: String, tokenLocation: String, iamEndpoint: String)
    }

    /// The instance's endpoint, without a trailing `/`.
    var serviceURL: String
    var credentials: Credentials
    var storeKind: StoreKind
    /// `spec.retrySettings` as ESO hands them to the IBM SDK's `EnableRetries`: at most
    /// `maxRetries` retries (default 3) with waits up to `retryInterval` (default 5s); nil without
    /// `retrySettings` (the provider's policy applies).
    var retry: Retry?

    struct Retry: Sendable, Hashable {
        var maxRetries: Int
        var maximumWait: Duration
    }

    /// A ClusterSecretStore whose API-key Secret names no namespace: read in each caller's namespace.
    var isReferent: Bool {
        guard storeKind == .clusterSecretStore, case .apiKey(let selector, _) = credentials else { return false }
        return (selector.namespace ?? "").isEmpty
    }

    static func resolve(_ store: StoreContext) throws(ProviderError) -> IBMStoreSettings {
        guard let spec = store.spec.provider.ibm else { throw .invalidConfiguration("\(field) is missing") }
        guard let service = spec.serviceUrl?.trimmingCharacters(in: .whitespaces), !service.isEmpty else {
            throw .invalidConfiguration("serviceURL is required")
        }
        guard let url = URL(string: service), let scheme = url.scheme, scheme == "https" || scheme == "http",
            url.host != nil
        else {
            throw .invalidConfiguration(
                "\(field).serviceUrl must be a URL such as https://INSTANCE.REGION.secrets-manager.appdomain.cloud")
        }
        let credentials: Credentials
        switch (spec.auth.secretRef, spec.auth.containerAuth) {
        case (nil, nil): throw .invalidConfiguration("missing auth method")
        case (.some, .some): throw .invalidConfiguration("too many auth methods defined")
        case (nil, .some(let container)):
            guard !container.profile.isEmpty else {
                throw .invalidConfiguration("container auth profile cannot be empty")
            }
            credentials = .trustedProfile(
                profile: container.profile,
                tokenLocation: nonEmpty(container.tokenLocation) ?? defaultTokenLocation,
                iamEndpoint: try endpoint(container.iamEndpoint, field: "\(field).auth.containerAuth.iamEndpoint"))
        case (.some(let secretRef), nil):
            let selector = secretRef.secretApiKeySecretRef ?? SecretKeySelector()
            if store.kind == .secretStore, let namespace = selector.namespace, namespace != store.storeNamespace {
                throw .invalidConfiguration(
                    "namespace should either be empty or match the namespace of the SecretStore for a namespaced SecretStore"
                )
            }
            guard let name = selector.name, !name.isEmpty else {
                throw .invalidConfiguration("secretAPIKey.name cannot be empty")
            }
            guard let key = selector.key, !key.isEmpty else {
                throw .invalidConfiguration("secretAPIKey.key cannot be empty")
            }
            credentials = .apiKey(
                selector, iamEndpoint: try endpoint(secretRef.iamEndpoint, field: "\(field).auth.secretRef.iamEndpoint")
            )
        }
        var base = service
        while base.hasSuffix("/") { base.removeLast() }
        var retry: Retry?
        if let settings = store.spec.retrySettings {
            var wait = Duration.seconds(5)
            if let interval = settings.retryInterval {
                guard let parsed = GoDuration.parse(interval), parsed >= .zero else {
                    throw .invalidConfiguration(
                        "cannot setup new ibm client: spec.retrySettings.retryInterval: \"\(interval)\" is not a duration such as 10s"
                    )
                }
                wait = parsed
            }
            retry = Retry(maxRetries: min(max(Int(settings.maxRetries ?? 3), 0), 10), maximumWait: wait)
        }
        return IBMStoreSettings(serviceURL: base, credentials: credentials, storeKind: store.kind, retry: retry)
    }

    private static func endpoint(_ text: String?, field: String) throws(ProviderError) -> String {
        guard var value = nonEmpty(text) else { return defaultIAMEndpoint }
        guard let url = URL(string: value), let scheme = url.scheme, scheme == "https" || scheme == "http",
            url.host != nil
        else { throw .invalidConfiguration("\(field) must be a URL such as \(defaultIAMEndpoint)") }
        while value.hasSuffix("/") { value.removeLast() }
        return value
    }

    private static func nonEmpty(_ text: String?) -> String? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        return text
    }
}
