// MARK: - GCP Secret Manager provider

/// `spec.provider.gcpsm`: Google Cloud Secret Manager.
public struct GCPSMProvider: Codable, Sendable, Hashable {
    /// How the store authenticates; unset: the operator's own Google credentials.
    public var auth: GCPSMAuth?
    /// The project the secrets are in.
    public var projectID: String?
    /// A region: the regional endpoint and regional secrets (`projects/P/locations/L/secrets/S`).
    public var location: String?
    /// `LatestOrFail` (default) or `LatestOrFetch`: what `latest` reads when the latest version is
    /// disabled.
    public var secretVersionSelectionPolicy: String?

    public init(
        auth: GCPSMAuth? = nil, projectID: String? = nil, location: String? = nil,
        secretVersionSelectionPolicy: String? = nil
    ) {
        self.auth = auth
        self.projectID = projectID
        self.location = location
        self.secretVersionSelectionPolicy = secretVersionSelectionPolicy
    }
}

public struct GCPSMAuth: Codable, Sendable, Hashable {
    public var secretRef: GCPSMAuthSecretRef?
    public var workloadIdentity: GCPWorkloadIdentity?
    public var workloadIdentityFederation: GCPWorkloadIdentityFederation?

    public init(
        secretRef: GCPSMAuthSecretRef? = nil, workloadIdentity: GCPWorkloadIdentity? = nil,
        workloadIdentityFederation: GCPWorkloadIdentityFederation? = nil
    ) {
        self.secretRef = secretRef
        self.workloadIdentity = workloadIdentity
        self.workloadIdentityFederation = workloadIdentityFederation
    }
}

/// A service-account key file (JSON) in a Secret.
public struct GCPSMAuthSecretRef: Codable, Sendable, Hashable {
    public var secretAccessKeySecretRef: SecretKeySelector?

    public init(secretAccessKeySecretRef: SecretKeySelector? = nil) {
        self.secretAccessKeySecretRef = secretAccessKeySecretRef
    }
}

public struct GCPWorkloadIdentity: Codable, Sendable, Hashable {
    public var serviceAccountRef: ServiceAccountSelector
    public var clusterLocation: String?
    public var clusterName: String?
    public var clusterProjectID: String?

    public init(
        serviceAccountRef: ServiceAccountSelector, clusterLocation: String? = nil, clusterName: String? = nil,
        clusterProjectID: String? = nil
    ) {
        self.serviceAccountRef = serviceAccountRef
        self.clusterLocation = clusterLocation
        self.clusterName = clusterName
        self.clusterProjectID = clusterProjectID
    }
}

public struct GCPWorkloadIdentityFederation: Codable, Sendable, Hashable {
    public var credConfig: ConfigMapKeySelector?
    public var serviceAccountRef: ServiceAccountSelector?
    public var awsSecurityCredentials: GCPAWSSecurityCredentials?
    public var audience: String?
    public var externalTokenEndpoint: String?
    public var gcpServiceAccountEmail: String?

    public init(
        credConfig: ConfigMapKeySelector? = nil, serviceAccountRef: ServiceAccountSelector? = nil,
        awsSecurityCredentials: GCPAWSSecurityCredentials? = nil, audience: String? = nil,
        externalTokenEndpoint: String? = nil, gcpServiceAccountEmail: String? = nil
    ) {
        self.credConfig = credConfig
        self.serviceAccountRef = serviceAccountRef
        self.awsSecurityCredentials = awsSecurityCredentials
        self.audience = audience
        self.externalTokenEndpoint = externalTokenEndpoint
        self.gcpServiceAccountEmail = gcpServiceAccountEmail
    }
}

/// A key of a ConfigMap.
public struct ConfigMapKeySelector: Codable, Sendable, Hashable {
    public var name: String
    public var key: String
    public var namespace: String?

    public init(name: String, key: String, namespace: String? = nil) {
        self.name = name
        self.key = key
        self.namespace = namespace
    }
}

public struct GCPAWSSecurityCredentials: Codable, Sendable, Hashable {
    public var awsCredentialsSecretRef: SecretReference
    public var region: String

    public init(awsCredentialsSecretRef: SecretReference, region: String) {
        self.awsCredentialsSecretRef = awsCredentialsSecretRef
        self.region = region
    }
}

/// A whole Secret, by name.
public struct SecretReference: Codable, Sendable, Hashable {
    public var name: String
    public var namespace: String?

    public init(name: String, namespace: String? = nil) {
        self.name = name
        self.namespace = namespace
    }
}

extension GCPSMProvider: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Reads and pushes secrets of Google Cloud Secret Manager.",
            properties: [
                "auth": GCPSMAuth.openAPISchema,
                "projectID": .string("The Google Cloud project the secrets are in."),
                "location": .string(
                    """
                    A region such as `europe-west1`: the store then uses that region's endpoint and its \
                    regional secrets. Unset: global secrets.
                    """),
                "secretVersionSelectionPolicy": .string(
                    """
                    What reading the `latest` version does when that version is disabled: \
                    `LatestOrFail` reports an error, `LatestOrFetch` reads the newest enabled version.
                    """
                ).defaulted("LatestOrFail"),
            ])
    }
}

extension GCPSMAuth: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "How the store authenticates. Unset: the operator's own Google credentials.",
            properties: [
                "secretRef": GCPSMAuthSecretRef.openAPISchema,
                "workloadIdentity": GCPWorkloadIdentity.openAPISchema,
                "workloadIdentityFederation": GCPWorkloadIdentityFederation.openAPISchema,
            ])
    }
}

extension GCPSMAuthSecretRef: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Authenticates with a service-account key.",
            properties: [
                "secretAccessKeySecretRef": SecretKeySelector.openAPISchema.described(
                    "The Secret key holding the service account's JSON key file.")
            ])
    }
}

extension GCPWorkloadIdentity: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            """
            Authenticates as the Google service account a Kubernetes ServiceAccount is bound to \
            (GKE Workload Identity). Not implemented by this operator yet.
            """,
            properties: [
                "serviceAccountRef": ServiceAccountSelector.openAPISchema.described(
                    "The Kubernetes ServiceAccount whose token is exchanged."),
                "clusterLocation": .string("The location of the GKE cluster."),
                "clusterName": .string("The name of the GKE cluster."),
                "clusterProjectID": .string("The project of the GKE cluster."),
            ],
            required: ["serviceAccountRef"])
    }
}

extension GCPWorkloadIdentityFederation: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            """
            Authenticates with a token of another identity provider through Workload Identity \
            Federation. Not implemented by this operator yet.
            """,
            properties: [
                "credConfig": ConfigMapKeySelector.openAPISchema,
                "serviceAccountRef": ServiceAccountSelector.openAPISchema.described(
                    "The Kubernetes ServiceAccount whose token is exchanged."),
                "awsSecurityCredentials": GCPAWSSecurityCredentials.openAPISchema,
                "audience": .string("The audience of the exchanged token."),
                "externalTokenEndpoint": .string("The endpoint the external token is fetched from."),
                "gcpServiceAccountEmail": .string(
                    "The Google service account to impersonate, such as `name@project.iam.gserviceaccount.com`."
                ).length(min: 1).pattern(#"^.*@.*\.iam\.gserviceaccount\.com$"#),
            ])
    }
}

extension ConfigMapKeySelector: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "A key of a ConfigMap holding a credential configuration file.",
            properties: [
                "name": .resourceName("The name of the ConfigMap."),
                "key": .secretKey("The key in the ConfigMap."),
                "namespace": .namespaceName(
                    "The namespace of the ConfigMap. Honoured only in a ClusterSecretStore."),
            ],
            required: ["key", "name"])
    }
}

extension GCPAWSSecurityCredentials: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "AWS credentials exchanged for a Google token.",
            properties: [
                "awsCredentialsSecretRef": SecretReference.openAPISchema,
                "region": .string("The AWS region.").length(min: 1, max: 50).pattern("^[a-z0-9-]+$"),
            ],
            required: ["awsCredentialsSecretRef", "region"])
    }
}

extension SecretReference: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "A Secret.",
            properties: [
                "name": .resourceName("The name of the Secret."),
                "namespace": .namespaceName("The namespace of the Secret. Honoured only in a ClusterSecretStore."),
            ],
            required: ["name"])
    }
}
