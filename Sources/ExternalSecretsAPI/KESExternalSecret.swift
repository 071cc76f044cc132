public import KubeModel

// GoDaddy's Kubernetes External Secrets (KES, archived): `kubernetes-client.io/v1`
// ExternalSecret, with KES 8.x's fields as its README documents them. The operator maps each
// object onto the same fetch pipeline and providers as ESO's ExternalSecret (ExternalSecretsCore
// `KESMapping`); these types only carry what users write.

/// The API group and version KES served.
public enum KESAPIGroup {
    public static let group = "kubernetes-client.io"
    public static let version = "v1"
    public static let apiVersion = "\(group)/\(version)"
}

/// `kubernetes-client.io/v1` ExternalSecret: a Secret named after the object, filled from one
/// backend (`backendType`) configured by the operator's environment and a few fields here.
public struct KESExternalSecret: Codable, Sendable, Hashable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: KESExternalSecretSpec
    public var status: KESExternalSecretStatus?

    public init(metadata: ObjectMeta, spec: KESExternalSecretSpec, status: KESExternalSecretStatus? = nil) {
        self.apiVersion = KESAPIGroup.apiVersion
        self.kind = "ExternalSecret"
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

extension KESExternalSecret: KubeResource {
    public static let resource = ResourceDescriptor(
        group: KESAPIGroup.group, version: KESAPIGroup.version, kind: "ExternalSecret", plural: "externalsecrets",
        namespaced: true)
}

/// The backends KES knew, by the names its manifests use.
public enum KESBackendType: String, Codable, Sendable, Hashable, CaseIterable {
    case secretsManager
    case systemManager
    case vault
    case azureKeyVault
    case gcpSecretsManager
    case ibmcloudSecretsManager
    case alicloudSecretsManager
}

public struct KESExternalSecretSpec: Codable, Sendable, Hashable {
    /// Which backend the keys are read from.
    public var backendType: KESBackendType?
    /// One Secret key per entry.
    public var data: [KESDataEntry]?
    /// Remote keys whose JSON objects are merged into the Secret, key by key.
    public var dataFrom: [String]?
    /// Like `dataFrom`, with per-entry options.
    public var dataFromWithOptions: [KESDataEntry]?
    /// An IAM role to assume for AWS backends.
    public var roleArn: String?
    /// The AWS region; unset: the operator's `AWS_REGION`.
    public var region: String?
    /// The Azure Key Vault name.
    public var keyVaultName: String?
    /// The GCP project.
    public var projectId: String?
    /// Vault: the Kubernetes auth mount; unset: the operator's `DEFAULT_VAULT_MOUNT_POINT`.
    public var vaultMountPoint: String?
    /// Vault: the Kubernetes auth role; unset: the operator's `DEFAULT_VAULT_ROLE`.
    public var vaultRole: String?
    /// Vault: the KV engine version, 1 or 2 (KES's default: 2).
    public var kvVersion: Int?
    /// IBM Cloud Secrets Manager: keys are secret names (looked up in every secret group), not IDs.
    public var keyByName: Bool?
    /// The Secret's type; unset: `Opaque`.
    public var type: String?
    /// Merged into the Secret: `metadata` (labels, annotations), `type`, `data` and `stringData`
    /// whose strings may interpolate fetched values with `<%= data.<name> %>`.
    public var template: JSONValue?

    public init(
        backendType: KESBackendType? = nil, data: [KESDataEntry]? = nil, dataFrom: [String]? = nil,
        dataFromWithOptions: [KESDataEntry]? = nil, roleArn: String? = nil, region: String? = nil,
        keyVaultName: String? = nil, projectId: String? = nil, vaultMountPoint: String? = nil,
        vaultRole: String? = nil, kvVersion: Int? = nil, keyByName: Bool? = nil, type: String? = nil,
        template: JSONValue? = nil
    ) {
        self.backendType = backendType
        self.data = data
        self.dataFrom = dataFrom
        self.dataFromWithOptions = dataFromWithOptions
        self.roleArn = roleArn
        self.region = region
        self.keyVaultName = keyVaultName
        self.projectId = projectId
        self.vaultMountPoint = vaultMountPoint
        self.vaultRole = vaultRole
        self.kvVersion = kvVersion
        self.keyByName = keyByName
        self.type = type
        self.template = template
    }
}

/// One `data[]` (or `dataFromWithOptions[]`) entry.
public struct KESDataEntry: Codable, Sendable, Hashable {
    /// The remote key (secret name, parameter name, Vault path).
    public var key: String?
    /// The Secret key to write (`data[]` only).
    public var name: String?
    /// A top-level property of the remote JSON value.
    public var property: String?
    /// A version id (Secrets Manager, GCP, Azure).
    public var version: String?
    /// A Secrets Manager version stage (`AWSCURRENT`, `AWSPREVIOUS`).
    public var versionStage: String?
    /// The remote value is binary (kept as bytes; this operator never re-encodes values).
    public var isBinary: Bool?
    /// Parameter Store: every parameter under this path, one Secret key each (`systemManager`).
    public var path: String?
    /// With `path`: include parameters in nested paths too.
    public var recursive: Bool?
    /// IBM Cloud Secrets Manager: the secret's type (`arbitrary`, `username_password`,
    /// `iam_credentials`, `imported_cert`, `public_cert`, `private_cert`, `kv`).
    public var secretType: String?

    public init(
        key: String? = nil, name: String? = nil, property: String? = nil, version: String? = nil,
        versionStage: String? = nil, isBinary: Bool? = nil, path: String? = nil, recursive: Bool? = nil,
        secretType: String? = nil
    ) {
        self.key = key
        self.name = name
        self.property = property
        self.version = version
        self.versionStage = versionStage
        self.isBinary = isBinary
        self.path = path
        self.recursive = recursive
        self.secretType = secretType
    }
}

/// KES's status: a word or an error text, when it last synced, which generation it saw.
public struct KESExternalSecretStatus: Codable, Sendable, Hashable {
    /// `SUCCESS`, or why the last sync failed.
    public var status: String?
    /// When the last sync attempt ended (RFC 3339).
    public var lastSync: String?
    public var observedGeneration: Int64?

    public init(status: String? = nil, lastSync: String? = nil, observedGeneration: Int64? = nil) {
        self.status = status
        self.lastSync = lastSync
        self.observedGeneration = observedGeneration
    }
}

// MARK: - Schema

extension KESExternalSecret: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            """
            A Kubernetes External Secrets (KES) ExternalSecret, served for compatibility: it makes \
            a Secret of the same name, owned by it, from one backend, and keeps it current.
            """,
            properties: [
                "apiVersion": .apiVersionField,
                "kind": .kindField,
                "metadata": .objectMetadata,
                "spec": KESExternalSecretSpec.openAPISchema,
                "status": KESExternalSecretStatus.openAPISchema,
            ],
            required: ["spec"])
    }
}

extension KESExternalSecretSpec: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Where the Secret's values come from.",
            properties: [
                "backendType": .string(
                    "The backend the keys are read from.", allowing: KESBackendType.self),
                "data": .array("One Secret key per entry.", of: KESDataEntry.openAPISchema),
                "dataFrom": .array(
                    "Remote keys holding JSON objects whose members become Secret keys (later entries win).",
                    of: .string(nil)),
                "dataFromWithOptions": .array(
                    "Like `dataFrom`, with options per entry (`key`, `version`, `versionStage`, `isBinary`).",
                    of: KESDataEntry.openAPISchema),
                "roleArn": .string(
                    """
                    An IAM role to assume (AWS backends). The namespace's `iam.amazonaws.com/permitted` \
                    annotation, a regular expression, limits which roles may be named.
                    """),
                "region": .string("The AWS region. Unset: the operator's `AWS_REGION`."),
                "keyVaultName": .string("The Azure Key Vault name (`azureKeyVault`)."),
                "projectId": .string("The GCP project (`gcpSecretsManager`)."),
                "vaultMountPoint": .string(
                    "The Vault Kubernetes auth mount. Unset: the operator's `DEFAULT_VAULT_MOUNT_POINT`."),
                "vaultRole": .string("The Vault Kubernetes auth role. Unset: the operator's `DEFAULT_VAULT_ROLE`."),
                "kvVersion": .integer("The Vault KV engine version, 1 or 2. Unset: 2."),
                "keyByName": .boolean(
                    """
                    `ibmcloudSecretsManager`: keys are secret names, each the one secret of its name and \
                    `secretType` in any secret group; unset or false: keys are secret IDs.
                    """),
                "type": .string("The Secret's type. Unset: `Opaque`."),
                "template": .unknownFields(
                    """
                    Merged into the Secret: `metadata.labels`, `metadata.annotations`, `type`, `data` \
                    and `stringData`. Strings may contain `<%= data.<name> %>`, replaced by the fetched \
                    value of that Secret key; any other `<% %>` expression is refused (never run).
                    """),
            ])
    }
}

extension KESDataEntry: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "One remote value (or, with `path`, every parameter under a path).",
            properties: [
                "key": .string("The remote key: secret name, parameter name or Vault path."),
                "name": .string("The Secret key written."),
                "property": .string("A property of the remote JSON value."),
                "version": .string("A version of the remote value."),
                "versionStage": .string("A Secrets Manager version stage such as `AWSPREVIOUS`."),
                "isBinary": .boolean("The remote value is binary; it is written as is."),
                "path": .string("`systemManager`: every parameter under this path, one Secret key each."),
                "recursive": .boolean("With `path`: parameters of nested paths too."),
                "secretType": .string(
                    """
                    `ibmcloudSecretsManager` (`data` only): the secret's type, one of `arbitrary`, \
                    `username_password`, `iam_credentials`, `imported_cert`, `public_cert`, \
                    `private_cert`, `kv`.
                    """),
            ])
    }
}

extension KESExternalSecretStatus: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "What the operator last did. Written by the operator only.",
            properties: [
                "status": .string("`SUCCESS`, or why the last sync failed."),
                "lastSync": .string("When the last sync attempt ended.", format: .dateTime),
                "observedGeneration": .integer("The generation the last sync attempt saw.", format: .int64),
            ])
    }
}

// MARK: - CRD

extension ExternalSecretsCRDs {
    /// KES's CRD (`externalsecrets.kubernetes-client.io`), with its short name `es` and its
    /// printer columns (Last Sync, status, Age). Installed only when asked for (`--kes`).
    public static var kesExternalSecret: CustomResourceDefinition {
        let resource = KESExternalSecret.resource
        let version = CustomResourceDefinitionVersion(
            name: resource.version, served: true, storage: true,
            schema: CustomResourceValidation(openAPIV3Schema: KESExternalSecret.openAPISchema.json),
            subresources: ["status": [:]],
            additionalPrinterColumns: [
                PrinterColumn(name: "Last Sync", type: "date", jsonPath: ".status.lastSync").json,
                PrinterColumn(name: "status", type: "string", jsonPath: ".status.status").json,
                PrinterColumn(name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp").json,
            ])
        return CustomResourceDefinition(
            metadata: ObjectMeta(name: "\(resource.plural).\(resource.group)"),
            spec: CustomResourceDefinitionSpec(
                group: resource.group,
                names: CustomResourceDefinitionNames(
                    plural: resource.plural, singular: resource.kind.lowercased(), kind: resource.kind,
                    listKind: "\(resource.kind)List", shortNames: ["es"], categories: nil),
                scope: "Namespaced",
                versions: [version]))
    }
}
