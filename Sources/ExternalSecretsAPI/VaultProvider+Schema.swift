import KubeModel

// The OpenAPI schema of `spec.provider.vault`. Field names, types, defaults and required fields
// are ESO's (ESOBundleComparisonTests); the descriptions are this project's.

extension VaultProvider: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Reads secrets from a KV secrets engine of HashiCorp Vault or OpenBao.",
            properties: [
                "server": .string("The address of the server, such as `https://vault.example.com:8200`."),
                "path": .string(
                    """
                    The mount path of the KV secrets engine, such as `secret`. With KV version 2 the \
                    `data` (and `metadata`) segment is added to it, so it must not be written here. \
                    Unset: every remote key starts with its mount path.
                    """),
                "version": .string(
                    "The version of the KV secrets engine: `v1` or `v2`.",
                    allowing: VaultKVStoreVersion.allCases.map(\.rawValue)
                ).defaulted("v2"),
                "namespace": .string(
                    """
                    The Vault namespace the secrets are in (sent as `X-Vault-Namespace`), such as \
                    `team-a`. Unset: the root namespace.
                    """),
                "caBundle": .string(
                    """
                    PEM certificates to trust for an `https` server, base64-encoded. Unset (and no \
                    `caProvider`): the system's trusted roots.
                    """, format: .byte),
                "caProvider": CAProvider.openAPISchema.described(
                    "A Secret or ConfigMap key holding PEM certificates to trust for an `https` server."),
                "tls": VaultClientTLS.openAPISchema,
                "auth": VaultAuth.openAPISchema,
                "readYourWrites": .boolean(
                    """
                    Sends back the replication state (`X-Vault-Index`) the server returned, so a \
                    performance standby answers only once it has caught up with earlier writes.
                    """),
                "forwardInconsistent": .boolean(
                    """
                    Together with `readYourWrites`: asks a performance standby that has not caught up \
                    to forward the request to the active node (`X-Vault-Inconsistent: \
                    forward-active-node`) instead of retrying.
                    """),
                "headers": .stringMap("Extra HTTP headers sent with every request to the server."),
                "checkAndSet": VaultCheckAndSet.openAPISchema,
            ],
            required: ["server"])
    }
}

extension VaultClientTLS: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            """
            A client certificate presented to an `https` server that asks for one (mutual TLS). \
            This is not the `cert` login method, which is configured under `auth.cert`.
            """,
            properties: [
                "certSecretRef": SecretKeySelector.openAPISchema.described(
                    "The Secret key holding the PEM client certificate; the key defaults to `tls.crt`."),
                "keySecretRef": SecretKeySelector.openAPISchema.described(
                    "The Secret key holding the PEM private key; the key defaults to `tls.key`."),
            ])
    }
}

extension VaultCheckAndSet: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Check-and-set for writes to a KV version 2 engine (PushSecret).",
            properties: [
                "required": .boolean(
                    "Every write names the version it replaces, so a concurrent change is not overwritten.")
            ])
    }
}

extension VaultAuth: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "How the operator obtains a Vault token: one of the methods.",
            properties: [
                "namespace": .string(
                    """
                    The Vault namespace to log in to, when it is not the namespace of the secrets. \
                    Unset: `vault.namespace`.
                    """),
                "tokenSecretRef": SecretKeySelector.openAPISchema.described(
                    "Uses the Vault token held in this Secret key as it is."),
                "appRole": VaultAppRole.openAPISchema,
                "kubernetes": VaultKubernetesAuth.openAPISchema,
                "ldap": VaultLdapAuth.openAPISchema,
                "userPass": VaultUserPassAuth.openAPISchema,
                "jwt": VaultJwtAuth.openAPISchema,
                "cert": VaultCertAuth.openAPISchema,
                "iam": VaultIamAuth.openAPISchema,
                "gcp": VaultGCPAuth.openAPISchema,
            ])
    }
}

extension VaultAppRole: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Logs in with the AppRole method: a role id and a secret id.",
            properties: [
                "path": .string("The mount path of the AppRole method.").defaulted("approle"),
                "roleId": .string("The role id, written here. Takes precedence over `roleRef`."),
                "roleRef": SecretKeySelector.openAPISchema.described("The Secret key holding the role id."),
                "secretRef": SecretKeySelector.openAPISchema.described("The Secret key holding the secret id."),
            ],
            required: ["path", "secretRef"])
    }
}

extension VaultKubernetesAuth: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            """
            Logs in with the Kubernetes method: Vault checks a ServiceAccount token with a \
            TokenReview and maps it to a role.
            """,
            properties: [
                "mountPath": .string("The mount path of the Kubernetes method.").defaulted("kubernetes"),
                "role": .string("The Vault role to log in as."),
                "serviceAccountRef": ServiceAccountSelector.openAPISchema.described(
                    "Logs in with a short-lived token requested for this ServiceAccount (TokenRequest API)."),
                "secretRef": SecretKeySelector.openAPISchema.described(
                    """
                    Logs in with the ServiceAccount token held in this Secret key; the key defaults to \
                    `token`. Used when `serviceAccountRef` is unset. With neither, the operator's own \
                    mounted ServiceAccount token is used.
                    """),
            ],
            required: ["mountPath", "role"])
    }
}

extension VaultLdapAuth: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Logs in with the LDAP method: a username and a password.",
            properties: [
                "path": .string("The mount path of the LDAP method.").defaulted("ldap"),
                "username": .string("The LDAP username."),
                "secretRef": SecretKeySelector.openAPISchema.described("The Secret key holding the password."),
            ],
            required: ["path", "username"])
    }
}

extension VaultUserPassAuth: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Logs in with the userpass method: a username and a password.",
            properties: [
                "path": .string("The mount path of the userpass method.").defaulted("userpass"),
                "username": .string("The username."),
                "secretRef": SecretKeySelector.openAPISchema.described("The Secret key holding the password."),
            ],
            required: ["path", "username"])
    }
}

extension VaultJwtAuth: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Logs in with the JWT/OIDC method: a signed JWT and a role.",
            properties: [
                "path": .string("The mount path of the JWT method.").defaulted("jwt"),
                "role": .string("The Vault role to log in as. Unset: the method's default role."),
                "secretRef": SecretKeySelector.openAPISchema.described("The Secret key holding the JWT."),
                "kubernetesServiceAccountToken": VaultKubernetesServiceAccountTokenAuth.openAPISchema,
            ],
            required: ["path"])
    }
}

extension VaultKubernetesServiceAccountTokenAuth: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Logs in with a token requested for a ServiceAccount (TokenRequest API) as the JWT.",
            properties: [
                "serviceAccountRef": ServiceAccountSelector.openAPISchema.described(
                    "The ServiceAccount to request the token for."),
                "audiences": .array(
                    """
                    Audiences to request, added to those of `serviceAccountRef`. Unset: `vault`. \
                    Deprecated: set `serviceAccountRef.audiences`.
                    """, of: .string(nil)),
                "expirationSeconds": .integer(
                    "How long the requested token lives, in seconds. Unset: 600. Deprecated.", format: .int64),
            ],
            required: ["serviceAccountRef"])
    }
}

extension VaultCertAuth: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            """
            Logs in with the TLS certificate method: the client certificate is presented on the \
            connection (the server must use `https`).
            """,
            properties: [
                "path": .string("The mount path of the certificate method.").defaulted("cert"),
                "vaultRole": .string("The certificate role to log in as. Unset: the role the certificate matches."),
                "clientCert": SecretKeySelector.openAPISchema.described(
                    "The Secret key holding the PEM client certificate."),
                "secretRef": SecretKeySelector.openAPISchema.described("The Secret key holding the PEM private key."),
            ])
    }
}

extension VaultIamAuth: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            """
            Logs in with the AWS method, signing a request with AWS IAM credentials. This operator \
            does not implement it yet: a store using it reports the method as not supported.
            """,
            properties: [
                "path": .string("The mount path of the AWS method."),
                "region": .string("The AWS region."),
                "role": .string("An AWS role to assume before logging in."),
                "vaultRole": .string("The Vault role to log in as."),
                "externalID": .string("The external id to present when assuming `role`."),
                "vaultAwsIamServerID": .string("The value of the `X-Vault-AWS-IAM-Server-ID` header to sign."),
                // The same blocks as the AWS provider's `auth`.
                "secretRef": AWSAuthSecretRef.openAPISchema.described("AWS credentials held in Secrets."),
                "jwt": AWSJWTAuth.openAPISchema.described(
                    "AWS credentials obtained for a ServiceAccount's web identity (IRSA)."),
            ],
            required: ["vaultRole"])
    }
}

extension VaultGCPAuth: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            """
            Logs in with the GCP method. This operator does not implement it yet: a store using it \
            reports the method as not supported.
            """,
            properties: [
                "path": .string("The mount path of the GCP method.").defaulted("gcp"),
                "role": .string("The Vault role to log in as."),
                "projectID": .string("The Google Cloud project."),
                "location": .string("The location (region) to use."),
                "secretRef": VaultGCPSecretRef.openAPISchema,
                "workloadIdentity": VaultGCPWorkloadIdentity.openAPISchema,
                "serviceAccountRef": ServiceAccountSelector.openAPISchema.described(
                    "A ServiceAccount whose Google identity is impersonated."),
            ],
            required: ["role"])
    }
}

extension VaultGCPSecretRef: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Google Cloud credentials held in a Secret.",
            properties: [
                "secretAccessKeySecretRef": SecretKeySelector.openAPISchema.described(
                    "The Secret key holding the service account key.")
            ])
    }
}

extension VaultGCPWorkloadIdentity: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Google Cloud credentials obtained for a ServiceAccount through Workload Identity.",
            properties: [
                "serviceAccountRef": ServiceAccountSelector.openAPISchema.described("The ServiceAccount to use."),
                "clusterLocation": .string("The location of the GKE cluster. Unset: read from the metadata server."),
                "clusterName": .string("The name of the GKE cluster. Unset: read from the metadata server."),
                "clusterProjectID": .string("The project of the GKE cluster. Unset: read from the metadata server."),
            ],
            required: ["serviceAccountRef"])
    }
}
