// MARK: - Azure Key Vault provider

/// `spec.provider.azurekv`: Azure Key Vault.
public struct AzureKVProvider: Codable, Sendable, Hashable {
    /// `https://NAME.vault.azure.net` (or the vault's address in another cloud).
    public var vaultUrl: String
    /// The Microsoft Entra tenant (service principal; workload identity may take it elsewhere).
    public var tenantId: String?
    /// `ServicePrincipal` (default), `ManagedIdentity` or `WorkloadIdentity`.
    public var authType: String?
    /// `PublicCloud` (default), `USGovernmentCloud`, `ChinaCloud`, `GermanCloud`, `AzureStackCloud`.
    public var environmentType: String?
    /// The service principal's client ID, and its client secret or certificate, in Secrets.
    public var authSecretRef: AzureKVAuth?
    /// The Kubernetes ServiceAccount of workload identity.
    public var serviceAccountRef: ServiceAccountSelector?
    /// The client ID of a user-assigned managed identity.
    public var identityId: String?
    /// ESO's switch to its newer Azure SDK; accepted, it changes nothing here.
    public var useAzureSDK: Bool?
    /// A cloud of its own (Azure Stack): the endpoints to use.
    public var customCloudConfig: AzureCustomCloudConfig?

    public init(
        vaultUrl: String, tenantId: String? = nil, authType: String? = nil, environmentType: String? = nil,
        authSecretRef: AzureKVAuth? = nil, serviceAccountRef: ServiceAccountSelector? = nil,
        identityId: String? = nil, useAzureSDK: Bool? = nil, customCloudConfig: AzureCustomCloudConfig? = nil
    ) {
        self.vaultUrl = vaultUrl
        self.tenantId = tenantId
        self.authType = authType
        self.environmentType = environmentType
        self.authSecretRef = authSecretRef
        self.serviceAccountRef = serviceAccountRef
        self.identityId = identityId
        self.useAzureSDK = useAzureSDK
        self.customCloudConfig = customCloudConfig
    }

    /// The values `authType` takes.
    public static let authTypes = ["ServicePrincipal", "ManagedIdentity", "WorkloadIdentity"]
    /// The values `environmentType` takes.
    public static let environmentTypes = [
        "PublicCloud", "USGovernmentCloud", "ChinaCloud", "GermanCloud", "AzureStackCloud",
    ]
}

/// Secrets holding a service principal's credentials (and, for workload identity, its IDs).
public struct AzureKVAuth: Codable, Sendable, Hashable {
    public var clientId: SecretKeySelector?
    public var tenantId: SecretKeySelector?
    public var clientSecret: SecretKeySelector?
    public var clientCertificate: SecretKeySelector?

    public init(
        clientId: SecretKeySelector? = nil, tenantId: SecretKeySelector? = nil,
        clientSecret: SecretKeySelector? = nil, clientCertificate: SecretKeySelector? = nil
    ) {
        self.clientId = clientId
        self.tenantId = tenantId
        self.clientSecret = clientSecret
        self.clientCertificate = clientCertificate
    }
}

/// The endpoints of a cloud of its own.
public struct AzureCustomCloudConfig: Codable, Sendable, Hashable {
    public var activeDirectoryEndpoint: String
    public var keyVaultEndpoint: String?
    public var keyVaultDNSSuffix: String?
    public var resourceManagerEndpoint: String?

    public init(
        activeDirectoryEndpoint: String, keyVaultEndpoint: String? = nil, keyVaultDNSSuffix: String? = nil,
        resourceManagerEndpoint: String? = nil
    ) {
        self.activeDirectoryEndpoint = activeDirectoryEndpoint
        self.keyVaultEndpoint = keyVaultEndpoint
        self.keyVaultDNSSuffix = keyVaultDNSSuffix
        self.resourceManagerEndpoint = resourceManagerEndpoint
    }
}

extension AzureKVProvider: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Reads and pushes secrets, certificates and keys of Azure Key Vault.",
            properties: [
                "vaultUrl": .string("The vault's URL, such as `https://my-vault.vault.azure.net`."),
                "tenantId": .string("The Microsoft Entra tenant ID of the service principal or identity."),
                "authType": .string(
                    """
                    How the store authenticates: `ServicePrincipal` (client ID with a client secret or \
                    certificate from `authSecretRef`), `ManagedIdentity` (the node's identity, from the \
                    instance metadata service) or `WorkloadIdentity` (a ServiceAccount token exchanged \
                    for an Entra token).
                    """, allowing: authTypes
                ).defaulted("ServicePrincipal"),
                "environmentType": .string(
                    "The Azure cloud, which decides the Entra authority host and the Key Vault resource.",
                    allowing: environmentTypes
                ).defaulted("PublicCloud"),
                "authSecretRef": AzureKVAuth.openAPISchema,
                "serviceAccountRef": ServiceAccountSelector.openAPISchema.described(
                    """
                    The ServiceAccount whose token workload identity exchanges; its annotations \
                    `azure.workload.identity/client-id` and `azure.workload.identity/tenant-id` may name \
                    the identity.
                    """),
                "identityId": .string("The client ID of a user-assigned managed identity."),
                "useAzureSDK": .boolean(
                    "ESO's switch between its two Azure SDKs; accepted for compatibility, it changes nothing here."
                ).defaulted(false),
                "customCloudConfig": AzureCustomCloudConfig.openAPISchema,
            ],
            required: ["vaultUrl"])
    }
}

extension AzureKVAuth: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Secret keys holding the service principal's credentials.",
            properties: [
                "clientId": SecretKeySelector.openAPISchema.described("The Secret key holding the client ID."),
                "tenantId": SecretKeySelector.openAPISchema.described(
                    "The Secret key holding the tenant ID (workload identity)."),
                "clientSecret": SecretKeySelector.openAPISchema.described(
                    "The Secret key holding the client secret."),
                "clientCertificate": SecretKeySelector.openAPISchema.described(
                    "The Secret key holding the client certificate and its RSA private key, in PEM."),
            ])
    }
}

extension AzureCustomCloudConfig: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "The endpoints of a cloud of its own (Azure Stack).",
            properties: [
                "activeDirectoryEndpoint": .string("The Entra (Active Directory) authority host."),
                "keyVaultEndpoint": .string("The Key Vault resource (token audience)."),
                "keyVaultDNSSuffix": .string("The DNS suffix of vaults in this cloud."),
                "resourceManagerEndpoint": .string("The Resource Manager endpoint."),
            ],
            required: ["activeDirectoryEndpoint"])
    }
}
