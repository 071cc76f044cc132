public import ExternalSecretsAPI
import Foundation
import GoCompat
import KubeModel
public import ProviderKit

/// What a KES `kubernetes-client.io/v1` ExternalSecret means in ESO's terms: an implicit store
/// (one per backend configuration, identified by a hash of its spec so that objects sharing a
/// configuration share provider clients and reads) and an ESO ExternalSecret whose fetches
/// produce the same Secret keys. The KES reconciler runs it through the same fetch pipeline and
/// Secret planner as ESO objects; `migrate kes` prints it.
public struct KESMappedObject: Sendable, Hashable {
    /// The implicit store's spec.
    public var store: SecretStoreSpec
    /// A stable identity of `store`: `kes-<backend>-<hash>`.
    public var storeName: String
    /// The ESO equivalent; `spec.secretStoreRef` names `storeName` as a ClusterSecretStore.
    public var externalSecret: ExternalSecret
    /// `spec.template`, parsed.
    public var template: KESTemplate?
    /// `spec.type`: the Secret's type unless the template sets one.
    public var secretType: String?
    /// The KES object, as the Secret's controller.
    public var owner: SecretOwner
    /// The remote keys read (for the namespace's permitted-key-name guard).
    public var remoteKeys: [String]
    /// The role the object names, for the namespace's permitted-role guard: its `roleArn`, else
    /// its `vaultRole` (KES checked `roleArn || vaultRole` against the same annotation).
    public var roleArn: String?

    /// The implicit store as a provider sees it, used from the object's namespace.
    public func storeContext(callerNamespace: String) -> StoreContext {
        StoreContext(
            kind: .clusterSecretStore, name: storeName, storeNamespace: nil, callerNamespace: callerNamespace,
            uid: storeName, generation: 1, spec: store)
    }
}

/// Why a KES object cannot be mapped; the message goes to `status.status` (no values in it).
public struct KESMappingError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Maps KES objects onto ESO's model (pure: no client, no clock).
///
/// Mapping, per backend (KES 8.x semantics):
/// - `secretsManager`: AWS Secrets Manager; `versionStage` is ESO's version, a `version` id is
///   `uuid/<id>`; `dataFrom` keys are ESO `extract`s.
/// - `systemManager`: AWS Parameter Store; `path` reads every parameter under it (nested ones with
///   `recursive`), each under its base name, as KES did.
/// - `vault`: `VAULT_ADDR`, Kubernetes auth with the operator's own ServiceAccount token
///   (`vaultMountPoint`/`vaultRole` or the operator's defaults), KV `kvVersion` (default 2); keys
///   are full paths as KES wrote them.
/// - `gcpSecretsManager`: the project `projectId`, the operator's default credentials.
/// - `azureKeyVault`: `keyVaultName`, the operator's own Azure identity (see ``azureStore``).
/// - `alicloudSecretsManager`: the alibaba provider in the region of `ALICLOUD_ENDPOINT`, with the
///   operator's AccessKey (`ALICLOUD_ACCESS_KEY_ID` / `ALICLOUD_ACCESS_KEY_SECRET`, read by the
///   provider); `versionStage` is the version read. `roleArn` (KES assumed a RAM role with that
///   AccessKey) is refused.
/// - `ibmcloudSecretsManager`: the ibm provider at `IBM_CLOUD_SECRETS_MANAGER_API_ENDPOINT`, with
///   the operator's API key (`IBM_CLOUD_SECRETS_MANAGER_API_APIKEY`, read by the provider) or, with
///   `IBM_CLOUD_SECRETS_MANAGER_API_AUTH_TYPE=container`, its trusted profile (``ibmStore``), in a
///   KES read mode (`IBMReadMode`): each `data[]` entry's remote key is `secretType/key`, an ID
///   or with `keyByName` a name in any group; values are KES's JSON and `property` a lodash path
///   into it. `dataFrom` and `dataFromWithOptions` are refused: KES read no IBM secret without a
///   `secretType`, which only `data[]` entries carry.
public enum KESMapping {
    public static func map(
        _ object: KESExternalSecret, configuration: KESConfiguration
    ) throws(KESMappingError) -> KESMappedObject {
        let spec = object.spec
        guard let backend = spec.backendType else {
            throw KESMappingError("spec.backendType is required")
        }
        let store = try storeSpec(backend: backend, spec: spec, configuration: configuration)
        let storeName = "kes-\(backend.rawValue.lowercased())-\(hash(of: store))"

        var data: [ExternalSecretData] = []
        var dataFrom: [ExternalSecretDataFromRemoteRef] = []
        var remoteKeys: [String] = []
        for (index, entry) in (spec.data ?? []).enumerated() {
            let field = "spec.data[\(index)]"
            if let path = entry.path, !path.isEmpty {
                guard backend == .systemManager else {
                    throw KESMappingError("\(field).path is supported for backendType systemManager only")
                }
                dataFrom.append(parametersByPath(path, recursive: entry.recursive ?? false))
                remoteKeys.append(path)
                continue
            }
            guard let key = entry.key, !key.isEmpty else { throw KESMappingError("\(field).key is required") }
            guard let name = entry.name, !name.isEmpty else { throw KESMappingError("\(field).name is required") }
            var remoteRef = ExternalSecretDataRemoteRef(
                key: key, property: entry.property.flatMap { $0.isEmpty ? nil : $0 },
                version: version(of: entry, backend: backend))
            if backend == .ibmcloudSecretsManager {
                remoteRef.key = "\(try ibmSecretType(of: entry, field: field))/\(key)"
                // KES decoded a binary entry's text as base64 (`Buffer.from(value, 'base64')`).
                if entry.isBinary == true { remoteRef.decodingStrategy = .base64 }
            }
            data.append(ExternalSecretData(secretKey: name, remoteRef: remoteRef))
            remoteKeys.append(key)
        }
        let dataFromGiven = !(spec.dataFrom ?? []).isEmpty || !(spec.dataFromWithOptions ?? []).isEmpty
        if backend == .ibmcloudSecretsManager, dataFromGiven {
            throw KESMappingError(
                """
                spec.dataFrom and spec.dataFromWithOptions are not supported for backendType ibmcloudSecretsManager: \
                KES read an IBM secret only with the secretType of a spec.data entry
                """)
        }
        for (index, key) in (spec.dataFrom ?? []).enumerated() {
            guard !key.isEmpty else { throw KESMappingError("spec.dataFrom[\(index)] is empty") }
            dataFrom.append(ExternalSecretDataFromRemoteRef(extract: ExternalSecretDataRemoteRef(key: key)))
            remoteKeys.append(key)
        }
        for (index, entry) in (spec.dataFromWithOptions ?? []).enumerated() {
            guard let key = entry.key, !key.isEmpty else {
                throw KESMappingError("spec.dataFromWithOptions[\(index)].key is required")
            }
            dataFrom.append(
                ExternalSecretDataFromRemoteRef(
                    extract: ExternalSecretDataRemoteRef(key: key, version: version(of: entry, backend: backend))))
            remoteKeys.append(key)
        }
        if data.isEmpty && dataFrom.isEmpty {
            throw KESMappingError("spec.data, spec.dataFrom or spec.dataFromWithOptions must name at least one key")
        }

        let name = object.metadata.name ?? ""
        let namespace = object.metadata.namespace
        var metadata = ObjectMeta(name: name, namespace: namespace)
        metadata.uid = object.metadata.uid
        let externalSecret = ExternalSecret(
            metadata: metadata,
            spec: ExternalSecretSpec(
                secretStoreRef: SecretStoreRef(name: storeName, kind: .clusterSecretStore),
                target: ExternalSecretTarget(name: name, creationPolicy: .owner, deletionPolicy: .retain),
                refreshInterval: goDuration(configuration.pollerInterval),
                data: data.isEmpty ? nil : data, dataFrom: dataFrom.isEmpty ? nil : dataFrom))
        var template: KESTemplate?
        if let written = spec.template {
            do throws(KESTemplate.Problem) {
                template = try KESTemplate(parsing: written)
            } catch {
                throw KESMappingError("spec.template: \(error.message)")
            }
        }
        return KESMappedObject(
            store: store, storeName: storeName, externalSecret: externalSecret, template: template,
            secretType: spec.type.flatMap { $0.isEmpty ? nil : $0 },
            owner: SecretOwner(apiVersion: KESAPIGroup.apiVersion, kind: "ExternalSecret", name: name, uid: object.metadata.uid),
            remoteKeys: remoteKeys, roleArn: nonEmpty(spec.roleArn) ?? nonEmpty(spec.vaultRole))
    }

    // MARK: - Backends

    static func storeSpec(
        backend: KESBackendType, spec: KESExternalSecretSpec, configuration: KESConfiguration
    ) throws(KESMappingError) -> SecretStoreSpec {
        switch backend {
        case .secretsManager, .systemManager:
            guard let region = nonEmpty(spec.region) ?? configuration.awsRegion else {
                throw KESMappingError("spec.region is not set and the operator has no AWS_REGION")
            }
            return SecretStoreSpec(
                provider: SecretStoreProvider(
                    aws: AWSProvider(
                        service: backend == .secretsManager ? .secretsManager : .parameterStore, region: region,
                        role: nonEmpty(spec.roleArn))))
        case .vault:
            guard let server = configuration.vaultAddress else {
                throw KESMappingError("backendType vault needs the operator's VAULT_ADDR")
            }
            guard let role = nonEmpty(spec.vaultRole) ?? configuration.defaultVaultRole else {
                throw KESMappingError("spec.vaultRole is not set and the operator has no DEFAULT_VAULT_ROLE")
            }
            let mount = nonEmpty(spec.vaultMountPoint) ?? configuration.defaultVaultMountPoint ?? "kubernetes"
            let version: VaultKVStoreVersion
            switch spec.kvVersion ?? 2 {
            case 1: version = .v1
            case 2: version = .v2
            default: throw KESMappingError("spec.kvVersion must be 1 or 2")
            }
            return SecretStoreSpec(
                provider: SecretStoreProvider(
                    vault: VaultProvider(
                        server: server, version: version, caBundle: configuration.vaultCABundle,
                        auth: VaultAuth(kubernetes: VaultKubernetesAuth(mountPath: mount, role: role)))))
        case .gcpSecretsManager:
            guard let project = nonEmpty(spec.projectId) else {
                throw KESMappingError("spec.projectId is required for backendType gcpSecretsManager")
            }
            return SecretStoreSpec(provider: SecretStoreProvider(gcpsm: GCPSMProvider(projectID: project)))
        case .azureKeyVault:
            return try azureStore(keyVaultName: spec.keyVaultName, configuration: configuration)
        case .alicloudSecretsManager:
            if nonEmpty(spec.roleArn) != nil {
                throw KESMappingError(
                    """
                    spec.roleArn is not supported for backendType alicloudSecretsManager: the operator's AccessKey \
                    reads directly (use an ESO SecretStore with auth.rrsa to assume a RAM role)
                    """)
            }
            guard let endpoint = configuration.alicloudEndpoint else {
                throw KESMappingError("backendType alicloudSecretsManager needs the operator's ALICLOUD_ENDPOINT")
            }
            guard let region = alicloudRegion(endpoint) else {
                throw KESMappingError(
                    "ALICLOUD_ENDPOINT is not a KMS endpoint such as https://kms.cn-hangzhou.aliyuncs.com")
            }
            // An empty auth: a ClusterSecretStore of the alibaba provider then signs with the
            // operator's AccessKey (KES's variables).
            return SecretStoreSpec(
                provider: SecretStoreProvider(alibaba: AlibabaProvider(regionID: region, auth: AlibabaAuth())))
        case .ibmcloudSecretsManager:
            return try ibmStore(keyByName: spec.keyByName ?? false, configuration: configuration)
        }
    }

    /// The secret types of Secrets Manager's API v1, which KES read.
    public static let ibmSecretTypes = [
        "arbitrary", "username_password", "iam_credentials", "imported_cert", "public_cert", "private_cert", "kv",
    ]

    static func ibmSecretType(of entry: KESDataEntry, field: String) throws(KESMappingError) -> String {
        guard let type = nonEmpty(entry.secretType) else {
            throw KESMappingError("\(field).secretType is required for backendType ibmcloudSecretsManager")
        }
        guard ibmSecretTypes.contains(type) else {
            throw KESMappingError(
                "\(field).secretType \(type) is not one of \(ibmSecretTypes.joined(separator: ", "))")
        }
        return type
    }

    /// `ibmcloudSecretsManager`: the instance `IBM_CLOUD_SECRETS_MANAGER_API_ENDPOINT`, read as KES
    /// did (``IBMReadMode``), authenticated as KES's SDK was: by the operator's API key (an empty
    /// `auth`, which the ibm provider fills with `IBM_CLOUD_SECRETS_MANAGER_API_APIKEY` in a
    /// ClusterSecretStore) unless `IBM_CLOUD_SECRETS_MANAGER_API_AUTH_TYPE` says `container`: then
    /// the trusted profile of the `_IAM_PROFILE_NAME` (or `_IAM_PROFILE_ID`), `_CR_TOKEN_FILENAME`
    /// and `_AUTH_URL` variables. Other auth types (bearer tokens, no auth, ...) are refused.
    static func ibmStore(keyByName: Bool, configuration: KESConfiguration) throws(KESMappingError) -> SecretStoreSpec {
        let prefix = IBMSecretsManagerSettings.prefix
        let settings = configuration.ibm
        guard let endpoint = settings.endpoint else {
            throw KESMappingError("backendType ibmcloudSecretsManager needs the operator's \(prefix)_ENDPOINT")
        }
        let mode: IBMReadMode = keyByName ? .kesByName : .kesByID
        if settings.authType != nil, let url = settings.authURL {
            guard let parsed = URL(string: url), parsed.scheme == "https" || parsed.scheme == "http", parsed.host != nil
            else { throw KESMappingError("\(prefix)_AUTH_URL is not a URL such as https://iam.cloud.ibm.com") }
        }
        let auth: IBMAuth
        switch settings.authType?.lowercased() {
        case nil, "iam":
            guard settings.apiKeySet else {
                throw KESMappingError("backendType ibmcloudSecretsManager needs the operator's \(prefix)_APIKEY")
            }
            auth = IBMAuth()
        case "container":
            guard let profile = settings.profileName ?? settings.profileID else {
                throw KESMappingError(
                    "\(prefix)_AUTH_TYPE container needs \(prefix)_IAM_PROFILE_NAME or \(prefix)_IAM_PROFILE_ID")
            }
            auth = IBMAuth(
                containerAuth: IBMAuthContainerAuth(
                    profile: profile, tokenLocation: settings.tokenFile, iamEndpoint: settings.authURL))
        case .some:
            throw KESMappingError(
                """
                \(prefix)_AUTH_TYPE \(settings.authType ?? "") is not supported: use iam (an API key) or container \
                (a trusted profile)
                """)
        }
        return SecretStoreSpec(
            provider: SecretStoreProvider(ibm: IBMProvider(serviceUrl: endpoint, auth: auth, readMode: mode)))
    }

    /// KES's cloud names (`AZURE_ENVIRONMENT`) and ESO's `environmentType` for them.
    static let azureClouds = [
        "AzureCloud": "PublicCloud", "AzureChinaCloud": "ChinaCloud", "AzureGermanCloud": "GermanCloud",
        "AzureUSGovernmentCloud": "USGovernmentCloud",
    ]

    /// `azureKeyVault`: the vault `https://<keyVaultName>.<AZURE_KEY_VAULT_DNS_SUFFIX or
    /// vault.azure.net>` as KES built it; the operator's own identity as KES's
    /// `DefaultAzureCredential` found it, from ESO's two environment-based kinds: workload
    /// identity when `AZURE_FEDERATED_TOKEN_FILE` is set, else a managed identity (`AZURE_CLIENT_ID`
    /// naming a user-assigned one). A client secret in the environment (`AZURE_CLIENT_SECRET`
    /// alone) has no ESO equivalent and is refused with a status saying what to do instead.
    static func azureStore(
        keyVaultName: String?, configuration: KESConfiguration
    ) throws(KESMappingError) -> SecretStoreSpec {
        guard let vault = nonEmpty(keyVaultName) else {
            throw KESMappingError("spec.keyVaultName is required for backendType azureKeyVault")
        }
        let cloud = configuration.azureEnvironment ?? "AzureCloud"
        guard let environmentType = azureClouds[cloud] else {
            throw KESMappingError(
                "AZURE_ENVIRONMENT \(cloud) is not one of \(azureClouds.keys.sorted().joined(separator: ", "))")
        }
        let suffix = configuration.azureKeyVaultDNSSuffix ?? "vault.azure.net"
        var provider = AzureKVProvider(vaultUrl: "https://\(vault).\(suffix)", environmentType: environmentType)
        if configuration.azureFederatedTokenFileSet {
            provider.authType = "WorkloadIdentity"
        } else if configuration.azureClientSecretSet {
            throw KESMappingError(
                "backendType azureKeyVault with a client secret in the operator's environment (AZURE_CLIENT_SECRET) is not supported: use workload identity (AZURE_FEDERATED_TOKEN_FILE) or a managed identity, or move the object to an ESO SecretStore whose authSecretRef names a Secret (external-secrets migrate kes)")
        } else {
            provider.authType = "ManagedIdentity"
            provider.identityId = configuration.azureClientID
        }
        return SecretStoreSpec(provider: SecretStoreProvider(azurekv: provider))
    }

    /// ESO's version selector for a KES entry: a Secrets Manager `versionStage` as is, a version
    /// id as `uuid/<id>`; an Alibaba `versionStage` as is (KES read only stages there); none for
    /// IBM (KES read the current value); other backends take `version` as is.
    static func version(of entry: KESDataEntry, backend: KESBackendType) -> String? {
        if backend == .secretsManager {
            if let stage = nonEmpty(entry.versionStage) { return stage }
            return nonEmpty(entry.version).map { "uuid/\($0)" }
        }
        if backend == .alicloudSecretsManager { return nonEmpty(entry.versionStage) }
        // KES's IBM backend read no version.
        if backend == .ibmcloudSecretsManager { return nil }
        return nonEmpty(entry.version)
    }

    /// The region of a KMS endpoint as KES took it: `http(s)://kms.REGION.aliyuncs.com` or
    /// `kms-vpc.REGION.aliyuncs.com` (scheme optional).
    static func alicloudRegion(_ endpoint: String) -> String? {
        var host = endpoint
        if let range = host.range(of: "://") { host = String(host[range.upperBound...]) }
        host = String(host.prefix { $0 != "/" && $0 != ":" })
        let labels = host.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard labels.count == 4, labels[0] == "kms" || labels[0] == "kms-vpc", labels[2] == "aliyuncs",
            labels[3] == "com", !labels[1].isEmpty,
            labels[1].allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") })
        else { return nil }
        return labels[1]
    }

    /// `systemManager` `path`: every parameter under `path` (only direct children unless
    /// `recursive`), each under its base name, as KES's `path.basename` did.
    static func parametersByPath(_ path: String, recursive: Bool) -> ExternalSecretDataFromRemoteRef {
        let trimmed = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
        let quoted = GoRegexp.quoteMeta(trimmed == "/" ? "" : trimmed)
        return ExternalSecretDataFromRemoteRef(
            find: ExternalSecretFind(
                path: trimmed, name: FindName(regexp: recursive ? "^\(quoted)/" : "^\(quoted)/[^/]+$")),
            // The base name through a capture: kube-apiserver 1.20 refuses an empty `target` ("null").
            rewrite: [ExternalSecretRewrite(regexp: RewriteRegexp(source: "^.*/([^/]+)$", target: "$1"))])
    }

    /// A short stable hash of a store spec (sorted-key JSON, and the ibm read mode, which JSON
    /// does not carry), naming the implicit store.
    static func hash(of store: SecretStoreSpec) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var bytes = (try? encoder.encode(store)) ?? Data()
        if let mode = store.provider.ibm?.readMode { bytes.append(contentsOf: Array("\n\(mode)".utf8)) }
        return String(SHA3_224.hex(Array(bytes)).prefix(16))
    }

    /// A whole number of seconds as `<n>s`, anything else as `<n>ms` (Go duration text).
    static func goDuration(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000)s" : "\(milliseconds)ms"
    }

    private static func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }
}
