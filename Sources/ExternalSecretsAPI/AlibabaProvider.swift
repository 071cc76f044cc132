// MARK: - Alibaba Cloud Secrets Manager (KMS) provider

/// `spec.provider.alibaba`: Alibaba Cloud KMS Secrets Manager (ESO 1.x's block; ESO 2.0 dropped it).
public struct AlibabaProvider: Codable, Sendable, Hashable {
    /// The region whose KMS endpoint (`kms.REGION.aliyuncs.com`) the store reaches.
    public var regionID: String
    /// AccessKey credentials from Secrets, or RRSA.
    public var auth: AlibabaAuth

    public init(regionID: String, auth: AlibabaAuth) {
        self.regionID = regionID
        self.auth = auth
    }
}

/// How the store authenticates: exactly one of `secretRef` and `rrsa` (RRSA wins when both are set,
/// as in ESO).
public struct AlibabaAuth: Codable, Sendable, Hashable {
    public var secretRef: AlibabaAuthSecretRef?
    public var rrsa: AlibabaRRSAAuth?

    public init(secretRef: AlibabaAuthSecretRef? = nil, rrsa: AlibabaRRSAAuth? = nil) {
        self.secretRef = secretRef
        self.rrsa = rrsa
    }
}

/// Secret keys holding a RAM user's AccessKey.
public struct AlibabaAuthSecretRef: Codable, Sendable, Hashable {
    public var accessKeyIDSecretRef: SecretKeySelector
    public var accessKeySecretSecretRef: SecretKeySelector

    public init(accessKeyIDSecretRef: SecretKeySelector, accessKeySecretSecretRef: SecretKeySelector) {
        self.accessKeyIDSecretRef = accessKeyIDSecretRef
        self.accessKeySecretSecretRef = accessKeySecretSecretRef
    }
}

/// RRSA: an OIDC token file exchanged through STS `AssumeRoleWithOIDC` for temporary credentials.
public struct AlibabaRRSAAuth: Codable, Sendable, Hashable {
    public var oidcProviderArn: String
    public var oidcTokenFilePath: String
    public var roleArn: String
    public var sessionName: String

    public init(oidcProviderArn: String, oidcTokenFilePath: String, roleArn: String, sessionName: String) {
        self.oidcProviderArn = oidcProviderArn
        self.oidcTokenFilePath = oidcTokenFilePath
        self.roleArn = roleArn
        self.sessionName = sessionName
    }
}

extension AlibabaProvider: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Reads and pushes secrets of Alibaba Cloud KMS Secrets Manager (ESO 1.x's provider block).",
            properties: [
                "regionID": .string(
                    "The Alibaba Cloud region, such as `cn-hangzhou`: the store reaches `kms.REGION.aliyuncs.com`."),
                "auth": AlibabaAuth.openAPISchema,
            ],
            required: ["auth", "regionID"])
    }
}

extension AlibabaAuth: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "How the store authenticates: `secretRef` (an AccessKey) or `rrsa` (an OIDC token exchanged through STS).",
            properties: [
                "secretRef": AlibabaAuthSecretRef.openAPISchema,
                "rrsa": AlibabaRRSAAuth.openAPISchema,
            ])
    }
}

extension AlibabaAuthSecretRef: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Secret keys holding a RAM user's AccessKey.",
            properties: [
                "accessKeyIDSecretRef": SecretKeySelector.openAPISchema.described(
                    "The Secret key holding the AccessKey ID."),
                "accessKeySecretSecretRef": SecretKeySelector.openAPISchema.described(
                    "The Secret key holding the AccessKey secret."),
            ],
            required: ["accessKeyIDSecretRef", "accessKeySecretSecretRef"])
    }
}

extension AlibabaRRSAAuth: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            """
            RRSA (RAM Roles for Service Accounts): the OIDC token in `oidcTokenFilePath` is exchanged \
            through STS `AssumeRoleWithOIDC` for temporary credentials of `roleArn`, renewed before \
            they expire.
            """,
            properties: [
                "oidcProviderArn": .string("The ARN of the cluster's OIDC identity provider in RAM."),
                "oidcTokenFilePath": .string("The file holding the OIDC token (re-read at each exchange)."),
                "roleArn": .string("The ARN of the RAM role to assume."),
                "sessionName": .string("The role session name."),
            ],
            required: ["oidcProviderArn", "oidcTokenFilePath", "roleArn", "sessionName"])
    }
}
