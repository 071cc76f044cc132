import ExternalSecretsAPI
import Foundation
import ProviderKit

/// `spec.provider.azurekv` checked and resolved, without I/O (ESO's `ValidateStore` and the
/// checks its `newClient` makes before any request).
struct AzureStoreSettings: Sendable, Hashable {
    static let field = "spec.provider.azurekv"

    enum Credentials: Sendable, Hashable {
        /// A client ID with a client secret (`clientSecret`) or a certificate (`clientCertificate`).
        case servicePrincipal(clientID: SecretKeySelector, secret: ServicePrincipalSecret, tenantID: String)
        /// The instance metadata service's token for the node's identity (`identityId`: a
        /// user-assigned one).
        case managedIdentity(clientID: String?)
        /// A ServiceAccount token exchanged for an Entra token (client assertion).
        case workloadIdentity(WorkloadIdentity)
        /// Workload identity without `serviceAccountRef`: the operator's own federated token
        /// (`AZURE_CLIENT_ID`, `AZURE_TENANT_ID`, `AZURE_FEDERATED_TOKEN_FILE`).
        case operatorWorkloadIdentity
    }

    enum ServicePrincipalSecret: Sendable, Hashable {
        case clientSecret(SecretKeySelector)
        case clientCertificate(SecretKeySelector)
    }

    struct WorkloadIdentity: Sendable, Hashable {
        var serviceAccount: ServiceAccountSelector
        var clientID: SecretKeySelector?
        var tenantIDSecret: SecretKeySelector?
        var tenantID: String?

        static let clientIDAnnotation = "azure.workload.identity/client-id"
        static let tenantIDAnnotation = "azure.workload.identity/tenant-id"
        /// The audience Entra ID expects of federated tokens (ESO's `AzureDefaultAudience`).
        static let audience = "api://AzureADTokenExchange"
    }

    /// The vault's base URL, without a trailing `/`.
    var vaultURL: String
    var credentials: Credentials
    var cloud: AzureCloud
    var storeKind: StoreKind

    /// A ClusterSecretStore whose Secret or ServiceAccount references name no namespace: read in
    /// each caller's namespace (ESO's `isReferentSpec`).
    var isReferent: Bool {
        guard storeKind == .clusterSecretStore else { return false }
        func open(_ selector: SecretKeySelector?) -> Bool { selector != nil && (selector?.namespace ?? "").isEmpty }
        switch credentials {
        case .servicePrincipal(let clientID, .clientSecret(let secret), _):
            return open(clientID) || open(secret)
        case .servicePrincipal(let clientID, .clientCertificate, _):
            return open(clientID)
        case .workloadIdentity(let identity):
            return (identity.serviceAccount.namespace ?? "").isEmpty || open(identity.clientID)
        case .managedIdentity, .operatorWorkloadIdentity:
            return false
        }
    }

    static func resolve(_ store: StoreContext, authorityHostOverride: String? = nil) throws(ProviderError)
        -> AzureStoreSettings
    {
        guard let spec = store.spec.provider.azurekv else { throw .invalidConfiguration("\(field) is missing") }
        let vault = spec.vaultUrl.trimmingCharacters(in: .whitespaces)
        guard let url = URL(string: vault), let scheme = url.scheme, scheme == "https" || scheme == "http",
            url.host != nil
        else {
            throw .invalidConfiguration("\(field).vaultUrl must be a URL such as https://NAME.vault.azure.net")
        }
        let environment = spec.environmentType ?? "PublicCloud"
        if let custom = spec.customCloudConfig {
            guard spec.useAzureSDK == true else {
                throw .invalidConfiguration(
                    "CustomCloudConfig requires UseAzureSDK to be set to true - the legacy SDK does not support custom clouds"
                )
            }
            guard !custom.activeDirectoryEndpoint.isEmpty else {
                throw .invalidConfiguration("activeDirectoryEndpoint is required in CustomCloudConfig")
            }
        }
        if environment == "AzureStackCloud", spec.customCloudConfig == nil {
            throw .invalidConfiguration("CustomCloudConfig is required when EnvironmentType is AzureStackCloud")
        }
        let cloud = try AzureCloud.resolve(
            environment: environment, custom: spec.customCloudConfig, authorityHostOverride: authorityHostOverride)

        for (name, selector) in [
            ("clientId", spec.authSecretRef?.clientId), ("clientSecret", spec.authSecretRef?.clientSecret),
            ("clientCertificate", spec.authSecretRef?.clientCertificate), ("tenantId", spec.authSecretRef?.tenantId),
        ] {
            guard let selector else { continue }
            try checkSelector(
                selector, field: "\(field).authSecretRef.\(name)", storeKind: store.kind,
                storeNamespace: store.storeNamespace)
        }
        if let account = spec.serviceAccountRef, store.kind == .secretStore, account.namespace != nil,
            account.namespace != store.storeNamespace
        {
            throw .invalidConfiguration(
                "invalid ServiceAccountRef: namespace should either be empty or match the namespace of the SecretStore")
        }

        let credentials: Credentials
        switch spec.authType ?? "ServicePrincipal" {
        case "ServicePrincipal":
            guard let tenant = spec.tenantId, !tenant.isEmpty else {
                throw .invalidConfiguration("missing tenantID in store config")
            }
            guard let auth = spec.authSecretRef else {
                throw .invalidConfiguration("missing secretRef in provider config")
            }
            guard let clientID = auth.clientId, auth.clientSecret != nil || auth.clientCertificate != nil else {
                throw .invalidConfiguration("missing accessKeyID/secretAccessKey in store config")
            }
            if auth.clientSecret != nil, auth.clientCertificate != nil {
                throw .invalidConfiguration("both clientSecret and clientCredentials set")
            }
            let secret: ServicePrincipalSecret =
                auth.clientSecret.map { .clientSecret($0) } ?? .clientCertificate(auth.clientCertificate!)
            credentials = .servicePrincipal(clientID: clientID, secret: secret, tenantID: tenant)
        case "ManagedIdentity":
            credentials = .managedIdentity(clientID: spec.identityId.flatMap { $0.isEmpty ? nil : $0 })
        case "WorkloadIdentity":
            if let account = spec.serviceAccountRef {
                guard !account.name.isEmpty else {
                    throw .invalidConfiguration("\(field).serviceAccountRef.name is required")
                }
                if spec.authSecretRef != nil, spec.authSecretRef?.clientId == nil {
                    throw .invalidConfiguration("missing accessKeyID/secretAccessKey in store config")
                }
                credentials = .workloadIdentity(
                    WorkloadIdentity(
                        serviceAccount: account, clientID: spec.authSecretRef?.clientId,
                        tenantIDSecret: spec.authSecretRef?.tenantId,
                        tenantID: spec.tenantId.flatMap { $0.isEmpty ? nil : $0 }))
            } else {
                credentials = .operatorWorkloadIdentity
            }
        case let other:
            throw .invalidConfiguration("cannot initialize Azure Client: no valid authType was specified (\(other))")
        }
        var base = vault
        while base.hasSuffix("/") { base.removeLast() }
        return AzureStoreSettings(vaultURL: base, credentials: credentials, cloud: cloud, storeKind: store.kind)
    }

    /// ESO's `ValidateReferentSecretSelector`: a SecretStore's references stay in its namespace.
    private static func checkSelector(
        _ selector: SecretKeySelector, field: String, storeKind: StoreKind, storeNamespace: String?
    ) throws(ProviderError) {
        guard let name = selector.name, !name.isEmpty else { throw .invalidConfiguration("\(field).name is required") }
        guard let key = selector.key, !key.isEmpty else { throw .invalidConfiguration("\(field).key is required") }
        if storeKind == .secretStore, let namespace = selector.namespace, namespace != storeNamespace {
            throw .invalidConfiguration(
                "\(field): namespace should either be empty or match the namespace of the SecretStore")
        }
    }
}

/// The Entra authority host and the Key Vault resource of one Azure cloud.
struct AzureCloud: Sendable, Hashable {
    /// `https://login.microsoftonline.com`, without a trailing `/`.
    var authorityHost: String
    /// `https://vault.azure.net`: the audience of Key Vault tokens (scope `RESOURCE/.default`).
    var keyVaultResource: String

    var scope: String { keyVaultResource + "/.default" }

    /// ESO's `AadEndpointForType` and `kvResourceForProviderConfig`; `authorityHostOverride` is
    /// the operator's `AZURE_AUTHORITY_HOST` (as azure-identity reads it), which wins.
    static func resolve(environment: String, custom: AzureCustomCloudConfig?, authorityHostOverride: String?)
        throws(ProviderError) -> AzureCloud
    {
        var cloud: AzureCloud
        switch environment {
        case "PublicCloud":
            cloud = AzureCloud(
                authorityHost: "https://login.microsoftonline.com", keyVaultResource: "https://vault.azure.net")
        case "USGovernmentCloud":
            cloud = AzureCloud(
                authorityHost: "https://login.microsoftonline.us", keyVaultResource: "https://vault.usgovcloudapi.net")
        case "ChinaCloud":
            cloud = AzureCloud(
                authorityHost: "https://login.chinacloudapi.cn", keyVaultResource: "https://vault.azure.cn")
        case "GermanCloud":
            cloud = AzureCloud(
                authorityHost: "https://login.microsoftonline.de", keyVaultResource: "https://vault.microsoftazure.de")
        case "AzureStackCloud": cloud = AzureCloud(authorityHost: "", keyVaultResource: "")
        default:
            throw .invalidConfiguration(
                "\(AzureStoreSettings.field).environmentType \"\(environment)\" is not an Azure cloud")
        }
        if let custom {
            cloud.authorityHost = custom.activeDirectoryEndpoint
            if let resource = custom.keyVaultEndpoint, !resource.isEmpty { cloud.keyVaultResource = resource }
            if cloud.keyVaultResource.isEmpty, let suffix = custom.keyVaultDNSSuffix, !suffix.isEmpty {
                cloud.keyVaultResource = "https://" + (suffix.hasPrefix(".") ? String(suffix.dropFirst()) : suffix)
            }
            if cloud.keyVaultResource.isEmpty {
                throw .invalidConfiguration("keyVaultEndpoint or keyVaultDNSSuffix is required in CustomCloudConfig")
            }
        }
        if let authorityHostOverride, !authorityHostOverride.isEmpty { cloud.authorityHost = authorityHostOverride }
        while cloud.authorityHost.hasSuffix("/") { cloud.authorityHost.removeLast() }
        while cloud.keyVaultResource.hasSuffix("/") { cloud.keyVaultResource.removeLast() }
        return cloud
    }
}
