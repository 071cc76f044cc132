// MARK: - IBM Cloud Secrets Manager provider

/// `spec.provider.ibm`: IBM Cloud Secrets Manager (API v2).
public struct IBMProvider: Codable, Sendable, Hashable {
    /// The instance's endpoint, such as `https://INSTANCE.REGION.secrets-manager.appdomain.cloud`.
    public var serviceUrl: String?
    /// Exactly one way to authenticate: an API key or a trusted profile.
    public var auth: IBMAuth
    /// Operator-internal, never encoded (so never in the CRD schema, a stored object or
    /// `migrate kes` output): how keys are read. Only the KES mapping sets it (``IBMReadMode``).
    public var readMode: IBMReadMode = .eso

    private enum CodingKeys: String, CodingKey {
        case serviceUrl, auth
    }

    public init(serviceUrl: String? = nil, auth: IBMAuth, readMode: IBMReadMode = .eso) {
        self.serviceUrl = serviceUrl
        self.auth = auth
        self.readMode = readMode
    }
}

/// How an `ibm` store reads keys: as ESO does, or as GoDaddy KES's `ibmcloudSecretsManager`
/// backend did (the implicit stores of KES objects). In the KES modes a remote key is
/// `SECRET_TYPE/KEY`, the value is the JSON text KES wrote (the secret's v1 `secret_data`, or an
/// IAM credential's quoted API key) and `property` is a lodash path into it.
public enum IBMReadMode: Sendable, Hashable {
    /// ESO's key formats and values.
    case eso
    /// KES, `KEY` a secret ID.
    case kesByID
    /// KES with `keyByName: true`: `KEY` the name of the one secret of that type, in any group.
    case kesByName
}

/// `spec.provider.ibm.auth`: one of `secretRef` and `containerAuth`.
public struct IBMAuth: Codable, Sendable, Hashable {
    public var secretRef: IBMAuthSecretRef?
    public var containerAuth: IBMAuthContainerAuth?

    public init(secretRef: IBMAuthSecretRef? = nil, containerAuth: IBMAuthContainerAuth? = nil) {
        self.secretRef = secretRef
        self.containerAuth = containerAuth
    }
}

/// An IBM Cloud API key in a Secret, exchanged for IAM tokens.
public struct IBMAuthSecretRef: Codable, Sendable, Hashable {
    public var secretApiKeySecretRef: SecretKeySelector?
    /// The IAM endpoint (default `https://iam.cloud.ibm.com`).
    public var iamEndpoint: String?

    public init(secretApiKeySecretRef: SecretKeySelector? = nil, iamEndpoint: String? = nil) {
        self.secretApiKeySecretRef = secretApiKeySecretRef
        self.iamEndpoint = iamEndpoint
    }
}

/// A trusted profile: the compute-resource token mounted in the pod, exchanged for IAM tokens.
public struct IBMAuthContainerAuth: Codable, Sendable, Hashable {
    /// The trusted profile's name (or its ID, `Profile-...`).
    public var profile: String
    /// The compute-resource token file (default `/var/run/secrets/tokens/vault-token`).
    public var tokenLocation: String?
    /// The IAM endpoint (default `https://iam.cloud.ibm.com`).
    public var iamEndpoint: String?

    public init(profile: String, tokenLocation: String? = nil, iamEndpoint: String? = nil) {
        self.profile = profile
        self.tokenLocation = tokenLocation
        self.iamEndpoint = iamEndpoint
    }
}

extension IBMProvider: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Reads secrets of IBM Cloud Secrets Manager (every secret type, by ID or by group and name) and pushes arbitrary secrets.",
            properties: [
                "serviceUrl": .string(
                    "The Secrets Manager instance's endpoint, such as `https://INSTANCE.REGION.secrets-manager.appdomain.cloud`."
                ),
                "auth": IBMAuth.openAPISchema,
            ],
            required: ["auth"])
    }
}

extension IBMAuth: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "How the store authenticates to IBM Cloud IAM: exactly one of `secretRef` and `containerAuth`.",
            properties: [
                "secretRef": IBMAuthSecretRef.openAPISchema,
                "containerAuth": IBMAuthContainerAuth.openAPISchema,
            ]
        ).properties(min: 1, max: 1)
    }
}

extension IBMAuthSecretRef: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "An IBM Cloud API key, exchanged for IAM tokens.",
            properties: [
                "secretApiKeySecretRef": SecretKeySelector.openAPISchema.described(
                    "The Secret key holding the API key."),
                "iamEndpoint": .string("The IAM endpoint that issues tokens (default `https://iam.cloud.ibm.com`)."),
            ])
    }
}

extension IBMAuthContainerAuth: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "A trusted profile: the pod's compute-resource token exchanged for IAM tokens.",
            properties: [
                "profile": .string("The trusted profile's name, or its ID (`Profile-...`)."),
                "tokenLocation": .string(
                    "The compute-resource token file mounted in the pod (default `/var/run/secrets/tokens/vault-token`)."
                ),
                "iamEndpoint": .string("The IAM endpoint that issues tokens (default `https://iam.cloud.ibm.com`)."),
            ],
            required: ["profile"])
    }
}
