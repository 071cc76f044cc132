// MARK: - AWS provider

/// `spec.provider.aws`: AWS Secrets Manager or Systems Manager Parameter Store.
public struct AWSProvider: Codable, Sendable, Hashable {
    /// `SecretsManager`, `ParameterStore` or `CertificateManager`.
    public var service: AWSServiceType
    public var region: String
    public var auth: AWSAuth?
    /// A role to assume (ARN) after authenticating.
    public var role: String?
    /// Roles assumed in order before `role` (role chaining).
    public var additionalRoles: [String]?
    public var externalID: String?
    public var sessionTags: [AWSTag]?
    public var transitiveTagKeys: [String]?
    /// Prepended to every remote key.
    public var prefix: String?
    public var secretsManager: AWSSecretsManagerSettings?
    /// `None` (default), `Simple` or `Custom`.
    public var sessionTagsPolicy: AWSSessionTagsPolicy?
    public var customSessionTags: [String: String]?

    public init(
        service: AWSServiceType, region: String, auth: AWSAuth? = nil, role: String? = nil,
        additionalRoles: [String]? = nil, externalID: String? = nil, sessionTags: [AWSTag]? = nil,
        transitiveTagKeys: [String]? = nil, prefix: String? = nil, secretsManager: AWSSecretsManagerSettings? = nil,
        sessionTagsPolicy: AWSSessionTagsPolicy? = nil, customSessionTags: [String: String]? = nil
    ) {
        self.service = service
        self.region = region
        self.auth = auth
        self.role = role
        self.additionalRoles = additionalRoles
        self.externalID = externalID
        self.sessionTags = sessionTags
        self.transitiveTagKeys = transitiveTagKeys
        self.prefix = prefix
        self.secretsManager = secretsManager
        self.sessionTagsPolicy = sessionTagsPolicy
        self.customSessionTags = customSessionTags
    }
}

public enum AWSServiceType: String, Codable, Sendable, Hashable, CaseIterable {
    case secretsManager = "SecretsManager"
    case parameterStore = "ParameterStore"
    case certificateManager = "CertificateManager"
}

public enum AWSSessionTagsPolicy: String, Codable, Sendable, Hashable, CaseIterable {
    case none = "None"
    case simple = "Simple"
    case custom = "Custom"
}

/// How the store authenticates; unset: the operator's own AWS credentials (default chain).
public struct AWSAuth: Codable, Sendable, Hashable {
    public var secretRef: AWSAuthSecretRef?
    public var jwt: AWSJWTAuth?

    public init(secretRef: AWSAuthSecretRef? = nil, jwt: AWSJWTAuth? = nil) {
        self.secretRef = secretRef
        self.jwt = jwt
    }
}

/// Static access keys read from Secrets.
public struct AWSAuthSecretRef: Codable, Sendable, Hashable {
    public var accessKeyIDSecretRef: SecretKeySelector?
    public var secretAccessKeySecretRef: SecretKeySelector?
    public var sessionTokenSecretRef: SecretKeySelector?

    public init(
        accessKeyIDSecretRef: SecretKeySelector? = nil, secretAccessKeySecretRef: SecretKeySelector? = nil,
        sessionTokenSecretRef: SecretKeySelector? = nil
    ) {
        self.accessKeyIDSecretRef = accessKeyIDSecretRef
        self.secretAccessKeySecretRef = secretAccessKeySecretRef
        self.sessionTokenSecretRef = sessionTokenSecretRef
    }
}

/// Web identity (IRSA): a token of a ServiceAccount exchanged with STS.
public struct AWSJWTAuth: Codable, Sendable, Hashable {
    public var serviceAccountRef: ServiceAccountSelector?

    public init(serviceAccountRef: ServiceAccountSelector? = nil) { self.serviceAccountRef = serviceAccountRef }
}

public struct AWSTag: Codable, Sendable, Hashable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// Secrets Manager settings (used by PushSecret deletion in ESO).
public struct AWSSecretsManagerSettings: Codable, Sendable, Hashable {
    public var forceDeleteWithoutRecovery: Bool?
    public var recoveryWindowInDays: Int64?

    public init(forceDeleteWithoutRecovery: Bool? = nil, recoveryWindowInDays: Int64? = nil) {
        self.forceDeleteWithoutRecovery = forceDeleteWithoutRecovery
        self.recoveryWindowInDays = recoveryWindowInDays
    }
}

// MARK: - Schema

extension AWSProvider: OpenAPISchemaDescribed {
    /// Session tag keys the operator adds itself under `sessionTagsPolicy` Simple and Custom.
    public static let reservedSessionTagKeys = ["esoNamespace", "esoStoreName", "esoStoreKind"]

    public static var openAPISchema: OpenAPISchema {
        .object(
            "Reads secrets from AWS Secrets Manager or AWS Systems Manager Parameter Store.",
            properties: [
                "service": .string(
                    "The AWS service to read from: `SecretsManager` or `ParameterStore` (`CertificateManager` is accepted but not implemented).",
                    allowing: AWSServiceType.self),
                "region": .string("The AWS region of the secrets, for example `eu-central-1`."),
                "auth": AWSAuth.openAPISchema,
                "role": .string(
                    "The ARN of an IAM role to assume after authenticating; its credentials are used for every call."),
                "additionalRoles": .array(
                    "ARNs of IAM roles assumed one after the other before `role` (role chaining).", of: .string(nil)),
                "externalID": .string("The external ID passed when assuming `role`."),
                "sessionTags": .array("STS session tags set when assuming `role`.", of: AWSTag.openAPISchema),
                "transitiveTagKeys": .array(
                    "Keys of `sessionTags` that pass on to roles assumed from this session.", of: .string(nil)),
                "prefix": .string("A prefix added to every remote key before it is read."),
                "secretsManager": AWSSecretsManagerSettings.openAPISchema,
                "sessionTagsPolicy": .string(
                    """
                    Whether the operator adds session tags when assuming `role`: `None` adds none; `Simple` adds \
                    `esoNamespace`, `esoStoreName` and `esoStoreKind`; `Custom` adds those and `customSessionTags`.
                    """, allowing: AWSSessionTagsPolicy.self
                ).defaulted("None"),
                // ESO's CEL rule refusing the reserved keys is checked by the controller: Kubernetes
                // 1.20 refuses `x-kubernetes-validations` under server-side apply.
                "customSessionTags": OpenAPISchema.stringMap(
                    "More session tags for `sessionTagsPolicy: Custom`. The reserved keys may not be used."),
            ],
            required: ["service", "region"])
    }
}

extension AWSAuth: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            """
            How to authenticate to AWS. Unset: the operator's own credentials (environment, web identity \
            token file, shared configuration files).
            """,
            properties: [
                "secretRef": AWSAuthSecretRef.openAPISchema,
                "jwt": AWSJWTAuth.openAPISchema,
            ])
    }
}

extension AWSAuthSecretRef: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Authenticates with an access key held in Secrets.",
            properties: [
                "accessKeyIDSecretRef": SecretKeySelector.openAPISchema.described(
                    "The Secret key holding the access key ID."),
                "secretAccessKeySecretRef": SecretKeySelector.openAPISchema.described(
                    "The Secret key holding the secret access key."),
                "sessionTokenSecretRef": SecretKeySelector.openAPISchema.described(
                    "The Secret key holding a session token, for temporary credentials."),
            ])
    }
}

extension AWSJWTAuth: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Authenticates with a ServiceAccount token exchanged for credentials of the role the ServiceAccount is annotated with.",
            properties: [
                "serviceAccountRef": ServiceAccountSelector.openAPISchema.described(
                    "The ServiceAccount whose token is exchanged (annotation `eks.amazonaws.com/role-arn`).")
            ])
    }
}

extension AWSTag: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "A session tag.", properties: ["key": .string("The tag key."), "value": .string("The tag value.")],
            required: ["key", "value"])
    }
}

extension AWSSecretsManagerSettings: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "How secrets are deleted in Secrets Manager (by PushSecret).",
            properties: [
                "forceDeleteWithoutRecovery": .boolean("Delete at once, without a recovery window."),
                "recoveryWindowInDays": .integer("Days a deleted secret can be restored (7 to 30).", format: .int64),
            ])
    }
}
