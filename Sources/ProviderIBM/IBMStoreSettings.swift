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
        /// A ClusterSecretStore with an empty `auth` (the implicit stores of KES
        /// `ibmcloudSecretsManager` objects): the operator's own API key (``IBMOperatorAPIKey``).
        case operatorAPIKey
    }

    /// The instance's endpoint, without a trailing `/`.
    var serviceURL: String
    var credentials: Credentials
    var storeKind: StoreKind
    /// `spec.retrySettings` as ESO hands them to the IBM SDK's `EnableRetries`: at most
    /// `maxRetries` retries (default 3) with waits up to `retryInterval` (default 5s); nil without
    /// `retrySettings` (the provider's policy applies).
    var retry: Retry?
    /// ESO's reads, or KES's (``IBMReadMode``).
    var readMode: IBMReadMode = .eso

    struct Retry: Sendable, Hashable {
        var maxRetries: Int
        var maximumWait: Duration
    }

    /// A ClusterSecretStore whose API-key Secret names no namespace: read in each caller's namespace.
    var isReferent: Bool {
        guard storeKind == .clusterSecretStore, case .apiKey(let selector, _) = credentials else { return false }
        return (selector.namespace ?? "").isEmpty
    }

    /// - Parameter operatorAPIKey: whether the operator has an API key of its own, which a
    ///   ClusterSecretStore with an empty `auth` then uses (a SecretStore never does).
    static func resolve(_ store: StoreContext, operatorAPIKey: Bool = false) throws(ProviderError) -> IBMStoreSettings {
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
        case (nil, nil):
            guard operatorAPIKey, store.kind == .clusterSecretStore else {
                throw .invalidConfiguration("missing auth method")
            }
            credentials = .operatorAPIKey
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
        return IBMStoreSettings(
            serviceURL: base, credentials: credentials, storeKind: store.kind, retry: retry, readMode: spec.readMode)
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

/// The operator's own IBM Cloud API key, from KES's variables: `IBM_CLOUD_SECRETS_MANAGER_API_APIKEY`,
/// and with `IBM_CLOUD_SECRETS_MANAGER_API_AUTH_TYPE` set (KES then let IBM's SDK read the
/// environment) `IBM_CLOUD_SECRETS_MANAGER_API_AUTH_URL` as the IAM endpoint. A ClusterSecretStore
/// with an empty `auth` (KES's `ibmcloudSecretsManager` objects map onto one) authenticates with it.
public struct IBMOperatorAPIKey: Sendable, Hashable, CustomStringConvertible {
    public static let apiKeyVariable = "IBM_CLOUD_SECRETS_MANAGER_API_APIKEY"
    public static let authTypeVariable = "IBM_CLOUD_SECRETS_MANAGER_API_AUTH_TYPE"
    public static let authURLVariable = "IBM_CLOUD_SECRETS_MANAGER_API_AUTH_URL"

    public var apiKey: String
    /// The IAM endpoint, without a trailing `/` (default `https://iam.cloud.ibm.com`).
    public var iamEndpoint: String

    public init(apiKey: String, iamEndpoint: String = "https://iam.cloud.ibm.com") {
        self.apiKey = apiKey
        var endpoint = iamEndpoint
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.iamEndpoint = endpoint
    }

    /// The key of a process environment, when the API key is set and the auth type, if set, is
    /// `iam` (other auth types carry no API key).
    public init?(variables: [String: String]) {
        func value(_ name: String) -> String? {
            guard let text = variables[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        guard let apiKey = value(Self.apiKeyVariable) else { return nil }
        let authType = value(Self.authTypeVariable)
        if let authType, authType.lowercased() != "iam" { return nil }
        let endpoint = authType == nil ? nil : value(Self.authURLVariable)
        self.init(apiKey: apiKey, iamEndpoint: endpoint ?? IBMStoreSettings.defaultIAMEndpoint)
    }

    /// The IAM endpoint only.
    public var description: String { "IBMOperatorAPIKey(\(iamEndpoint))" }
}
