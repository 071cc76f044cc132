import Foundation

/// The operator-level configuration of the KES (`kubernetes-client.io/v1`) controller, read from
/// the environment variables KES read, so that a KES Deployment's `env` carries over unchanged.
///
/// Credentials are not here: each provider reads its own from the environment as KES's SDKs did
/// (the AWS default chain: `AWS_ACCESS_KEY_ID`, `AWS_WEB_IDENTITY_TOKEN_FILE`, ...;
/// `GOOGLE_APPLICATION_CREDENTIALS` for GCP).
public struct KESConfiguration: Sendable, Hashable {
    /// `AWS_REGION`, else `AWS_DEFAULT_REGION`: the region of objects that name none.
    public var awsRegion: String?
    /// `VAULT_ADDR`: the Vault server of `vault` objects.
    public var vaultAddress: String?
    /// The PEM certificates (base64) the Vault server is trusted with: the file `VAULT_CACERT`
    /// names, read by the caller; nil: the system's roots.
    public var vaultCABundle: String?
    /// `DEFAULT_VAULT_MOUNT_POINT`: the Kubernetes auth mount of objects that name none.
    public var defaultVaultMountPoint: String?
    /// `DEFAULT_VAULT_ROLE`: the Kubernetes auth role of objects that name none.
    public var defaultVaultRole: String?
    /// `POLLER_INTERVAL_MILLISECONDS` (KES's default: 10 s): how often each object is synced.
    public var pollerInterval: Duration
    /// `WATCHED_NAMESPACES` (comma-separated): the namespaces whose objects are synced; empty: all.
    public var watchedNamespaces: [String]
    /// `ALICLOUD_ENDPOINT` (`http(s)://kms[-vpc].REGION.aliyuncs.com`): the KMS of
    /// `alicloudSecretsManager` objects. Their AccessKey (`ALICLOUD_ACCESS_KEY_ID`,
    /// `ALICLOUD_ACCESS_KEY_SECRET`) is read by the alibaba provider itself.
    public var alicloudEndpoint: String?
    /// IBM Cloud Secrets Manager, as KES's `ibmcloudSecretsManager` backend read it (the
    /// `IBM_CLOUD_SECRETS_MANAGER_API_` variables; ``IBMSecretsManagerSettings``).
    public var ibm = IBMSecretsManagerSettings()
    /// `ENFORCE_NAMESPACE_ANNOTATIONS` (set, whatever its value, as KES read it): a namespace
    /// without the guard annotations refuses objects instead of admitting them
    /// (``KESNamespaceGuard``).
    public var enforceNamespaceAnnotations = false
    /// Azure, as KES's `DefaultAzureCredential` found it: `AZURE_ENVIRONMENT` (KES's cloud names,
    /// default `AzureCloud`), `AZURE_KEY_VAULT_DNS_SUFFIX` (default `vault.azure.net`),
    /// `AZURE_CLIENT_ID`, and whether `AZURE_FEDERATED_TOKEN_FILE` / `AZURE_CLIENT_SECRET` are set
    /// (the secret itself is never read here).
    public var azureEnvironment: String?
    public var azureKeyVaultDNSSuffix: String?
    public var azureClientID: String?
    public var azureFederatedTokenFileSet = false
    public var azureClientSecretSet = false

    public static let defaultPollerInterval: Duration = .seconds(10)

    public init(
        awsRegion: String? = nil, vaultAddress: String? = nil, defaultVaultMountPoint: String? = nil,
        defaultVaultRole: String? = nil, pollerInterval: Duration = defaultPollerInterval,
        watchedNamespaces: [String] = [], alicloudEndpoint: String? = nil
    ) {
        self.awsRegion = awsRegion
        self.vaultAddress = vaultAddress
        self.defaultVaultMountPoint = defaultVaultMountPoint
        self.defaultVaultRole = defaultVaultRole
        self.pollerInterval = pollerInterval
        self.watchedNamespaces = watchedNamespaces
        self.alicloudEndpoint = alicloudEndpoint
    }

    /// Why an environment variable cannot be used (its name and the rule; values are not secret
    /// here, but only the name is shown anyway).
    public struct InvalidVariable: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String
    }

    /// Reads KES's variables; unset and empty variables mean their defaults.
    public init(environment: [String: String]) throws(InvalidVariable) {
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        var interval = Self.defaultPollerInterval
        if let text = value("POLLER_INTERVAL_MILLISECONDS") {
            guard let milliseconds = Int64(text), milliseconds > 0 else {
                throw InvalidVariable(description: "POLLER_INTERVAL_MILLISECONDS must be a positive whole number of milliseconds")
            }
            interval = .milliseconds(milliseconds)
        }
        self.init(
            awsRegion: value("AWS_REGION") ?? value("AWS_DEFAULT_REGION"),
            vaultAddress: value("VAULT_ADDR"),
            defaultVaultMountPoint: value("DEFAULT_VAULT_MOUNT_POINT"),
            defaultVaultRole: value("DEFAULT_VAULT_ROLE"),
            pollerInterval: interval,
            watchedNamespaces: (value("WATCHED_NAMESPACES") ?? "").split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty },
            alicloudEndpoint: value("ALICLOUD_ENDPOINT"))
        // KES: `'ENFORCE_NAMESPACE_ANNOTATIONS' in process.env`; presence is what counts.
        enforceNamespaceAnnotations = environment["ENFORCE_NAMESPACE_ANNOTATIONS"] != nil
        azureEnvironment = value("AZURE_ENVIRONMENT")
        azureKeyVaultDNSSuffix = value("AZURE_KEY_VAULT_DNS_SUFFIX")
        azureClientID = value("AZURE_CLIENT_ID")
        azureFederatedTokenFileSet = value("AZURE_FEDERATED_TOKEN_FILE") != nil
        azureClientSecretSet = value("AZURE_CLIENT_SECRET") != nil
        ibm = IBMSecretsManagerSettings(
            endpoint: value("\(IBMSecretsManagerSettings.prefix)_ENDPOINT"),
            authType: value("\(IBMSecretsManagerSettings.prefix)_AUTH_TYPE"),
            apiKeySet: value("\(IBMSecretsManagerSettings.prefix)_APIKEY") != nil,
            authURL: value("\(IBMSecretsManagerSettings.prefix)_AUTH_URL"),
            profileName: value("\(IBMSecretsManagerSettings.prefix)_IAM_PROFILE_NAME"),
            profileID: value("\(IBMSecretsManagerSettings.prefix)_IAM_PROFILE_ID"),
            tokenFile: value("\(IBMSecretsManagerSettings.prefix)_CR_TOKEN_FILENAME"))
    }

    /// Whether objects of `namespace` are synced.
    public func watches(namespace: String) -> Bool {
        watchedNamespaces.isEmpty || watchedNamespaces.contains(namespace)
    }
}

/// The `IBM_CLOUD_SECRETS_MANAGER_API_` variables KES's `ibmcloudSecretsManager` backend read:
/// `_ENDPOINT` (the instance), and how it authenticated: without `_AUTH_TYPE` an API key
/// (`_APIKEY`, IAM at `https://iam.cloud.ibm.com`); with it, as IBM's SDK reads the environment:
/// `iam` (`_APIKEY`, `_AUTH_URL`) or `container` (a trusted profile: `_IAM_PROFILE_NAME` or
/// `_IAM_PROFILE_ID`, `_CR_TOKEN_FILENAME`, `_AUTH_URL`). The API key itself is not kept here (the
/// ibm provider reads it), only whether it is set.
public struct IBMSecretsManagerSettings: Sendable, Hashable {
    public static let prefix = "IBM_CLOUD_SECRETS_MANAGER_API"

    public var endpoint: String?
    public var authType: String?
    public var apiKeySet: Bool
    public var authURL: String?
    public var profileName: String?
    public var profileID: String?
    public var tokenFile: String?

    public init(
        endpoint: String? = nil, authType: String? = nil, apiKeySet: Bool = false, authURL: String? = nil,
        profileName: String? = nil, profileID: String? = nil, tokenFile: String? = nil
    ) {
        self.endpoint = endpoint
        self.authType = authType
        self.apiKeySet = apiKeySet
        self.authURL = authURL
        self.profileName = profileName
        self.profileID = profileID
        self.tokenFile = tokenFile
    }
}
