import KubeModel

// The OpenAPI schemas of `external-secrets.io/v1` SecretStore and ClusterSecretStore. Both kinds
// share one spec; only the descriptions of the roots differ.

extension SecretStore: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        storeSchema(
            """
            A SecretStore says how to reach an external secret manager and how to authenticate to \
            it. ExternalSecrets in the same namespace read through it.
            """)
    }
}

extension ClusterSecretStore: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        storeSchema(
            """
            A ClusterSecretStore says how to reach an external secret manager and how to \
            authenticate to it, for ExternalSecrets of every namespace its `conditions` admit.
            """)
    }
}

private func storeSchema(_ description: String) -> OpenAPISchema {
    .object(
        description,
        properties: [
            "apiVersion": .apiVersionField,
            "kind": .kindField,
            "metadata": .objectMetadata,
            "spec": SecretStoreSpec.openAPISchema,
            "status": SecretStoreStatus.openAPISchema,
        ],
        // ESO's schema leaves spec optional, but its webhook refuses a store without a provider,
        // so no store it accepts lacks a spec; the Swift type needs one.
        required: ["spec"])
}

extension SecretStoreSpec: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Which secret manager the store reaches, how, and who may use it.",
            properties: [
                "controller": .string(
                    """
                    The controller class that handles this store, to run several operators side by \
                    side (like an ingress class). Unset: every operator handles it.
                    """),
                "provider": SecretStoreProvider.openAPISchema,
                "retrySettings": SecretStoreRetrySettings.openAPISchema,
                "refreshInterval": .intOrString(
                    """
                    How often the store is validated again: a number of seconds or a Go duration such \
                    as `5m`. Unset or 0: the operator's default.
                    """),
                "conditions": .array(
                    """
                    Limits the namespaces whose ExternalSecrets may use a ClusterSecretStore: a \
                    namespace may use it when it matches any one condition. Ignored on SecretStores.
                    """,
                    of: ClusterSecretStoreCondition.openAPISchema),
            ],
            required: ["provider"])
    }
}

extension SecretStoreRetrySettings: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "How calls to the provider are retried when they fail.",
            properties: [
                "maxRetries": .integer("How many times a failed call is retried.", format: .int32),
                "retryInterval": .string("How long to wait between retries, as a Go duration such as `10s`."),
            ])
    }
}

extension ClusterSecretStoreCondition: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Namespaces admitted by one condition: those matching any one of the fields that are set.",
            properties: [
                "namespaceSelector": LabelSelector.openAPISchema.described("Admits namespaces whose labels match."),
                "namespaces": .array(
                    "Admits the namespaces with these names.", of: .namespaceName("A namespace name.")),
                "namespaceRegexes": .array(
                    "Admits the namespaces whose name matches one of these regular expressions.", of: .string(nil)),
            ])
    }
}

extension SecretStoreStatus: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "What the operator last observed about the store. Written by the operator only.",
            properties: [
                "conditions": .array(
                    "The `Ready` condition: whether the store's configuration was validated.",
                    of: StatusCondition.openAPISchema),
                "capabilities": .string("What the store can do: `ReadOnly`, `WriteOnly` or `ReadWrite`."),
            ])
    }
}

// MARK: - Providers

extension SecretStoreProvider: OpenAPISchemaDescribed {
    /// ESO's provider block names with the manager each one reaches, in ESO's spelling.
    public static let esoProviders: [(name: String, manager: String)] = [
        ("akeyless", "Akeyless"),
        ("alibaba", "Alibaba Cloud KMS Secrets Manager"),
        ("aws", "AWS Secrets Manager or Parameter Store"),
        ("azurekv", "Azure Key Vault"),
        ("barbican", "OpenStack Barbican"),
        ("beyondtrust", "BeyondTrust Password Safe"),
        ("beyondtrustworkloadcredentials", "BeyondTrust Workload Credentials"),
        ("bitwardensecretsmanager", "Bitwarden Secrets Manager"),
        ("chef", "a Chef server"),
        ("cloudrusm", "Cloud.ru Secret Manager"),
        ("conjur", "CyberArk Conjur"),
        ("crd", "objects of any Kubernetes resource"),
        ("delinea", "Delinea DevOps Secrets Vault"),
        ("doppler", "Doppler"),
        ("dvls", "Devolutions Server"),
        ("fake", "static values written in the store"),
        ("fortanix", "Fortanix Data Security Manager"),
        ("gcpsm", "Google Cloud Secret Manager"),
        ("github", "GitHub Actions secrets (write only)"),
        ("gitlab", "GitLab CI/CD variables"),
        ("ibm", "IBM Cloud Secrets Manager"),
        ("infisical", "Infisical"),
        ("keepersecurity", "Keeper Secrets Manager"),
        ("kubernetes", "Secrets of a Kubernetes cluster"),
        ("nebiusmysterybox", "Nebius MysteryBox"),
        ("ngrok", "ngrok"),
        ("onboardbase", "Onboardbase"),
        ("onepassword", "1Password Connect"),
        ("onepasswordSDK", "1Password through its SDK"),
        ("openBao", "OpenBao"),
        ("oracle", "Oracle Cloud Infrastructure Vault"),
        ("ovh", "OVHcloud Secret Manager"),
        ("passbolt", "Passbolt"),
        ("passworddepot", "Password Depot"),
        ("previder", "Previder Secret Vault"),
        ("pulumi", "Pulumi ESC"),
        ("scaleway", "Scaleway Secret Manager"),
        ("secretserver", "Delinea Secret Server"),
        ("senhasegura", "senhasegura DSM"),
        ("vault", "HashiCorp Vault"),
        ("volcengine", "Volcengine KMS"),
        ("webhook", "any HTTP API, through a templated request"),
        ("yandexcertificatemanager", "Yandex Certificate Manager"),
        ("yandexlockbox", "Yandex Lockbox"),
    ]

    /// The provider blocks with a typed representation (and an implementation) here.
    public static let typedProviderNames = [
        "fake", "kubernetes", "vault", "aws", "webhook", "gcpsm", "azurekv", "alibaba", "ibm",
    ]

    /// ESO's provider blocks kept as raw JSON (`unsupported`): schema `x-kubernetes-preserve-unknown-fields`.
    public static var untypedProviderNames: [String] {
        esoProviders.map(\.name).filter { !typedProviderNames.contains($0) }
    }

    public static var openAPISchema: OpenAPISchema {
        var properties: [String: OpenAPISchema] = [
            "fake": FakeProvider.openAPISchema,
            "kubernetes": KubernetesProvider.openAPISchema,
            "vault": VaultProvider.openAPISchema,
            "aws": AWSProvider.openAPISchema,
            "webhook": WebhookProvider.openAPISchema,
            "gcpsm": GCPSMProvider.openAPISchema,
            "azurekv": AzureKVProvider.openAPISchema,
            "alibaba": AlibabaProvider.openAPISchema,
            "ibm": IBMProvider.openAPISchema,
        ]
        for (name, manager) in esoProviders where properties[name] == nil {
            properties[name] = .unknownFields(
                """
                Reads secrets from \(manager). This operator does not implement this provider yet: it \
                keeps the block as written, unchecked, and the store reports that the provider is not \
                supported.
                """)
        }
        return .object(
            "The secret manager the store reaches: exactly one provider block.", properties: properties
        ).properties(min: 1, max: 1)
    }
}

extension FakeProvider: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Serves values written in the store itself, for tests and demonstrations.",
            properties: [
                "data": .array("The values the store serves.", of: FakeProviderData.openAPISchema),
                "validationResult": .integer(
                    "The result store validation reports: 0 ready, 1 unknown, 2 error. Defaults to 0."),
            ],
            required: ["data"])
    }
}

extension FakeProviderData: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "One value served by the fake provider.",
            properties: [
                "key": .string("The remote key the value is found under."),
                "value": .string("The value."),
                "version": .string("The version the value is found under; unset matches a request without a version."),
            ],
            required: ["key", "value"])
    }
}

extension KubernetesProvider: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Reads Secrets of a namespace of this or another Kubernetes cluster.",
            properties: [
                "server": KubernetesServer.openAPISchema,
                "auth": KubernetesAuth.openAPISchema,
                "authRef": SecretKeySelector.openAPISchema.described(
                    "A key of a Secret holding a kubeconfig to connect with, instead of `server` and `auth`."),
                "remoteNamespace": .namespaceName("The namespace the Secrets are read from. Defaults to `default`.")
                    .defaulted("default"),
            ])
    }
}

extension KubernetesServer: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "The API server to connect to.",
            properties: [
                "url": .string(
                    "The URL of the API server. Defaults to `kubernetes.default`, the cluster the operator runs in."
                ).defaulted("kubernetes.default"),
                "caBundle": .string("PEM certificates to trust for the API server, base64-encoded.", format: .byte),
                "caProvider": CAProvider.openAPISchema,
            ])
    }
}

extension CAProvider: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "A Secret or ConfigMap key holding PEM certificates to trust.",
            properties: [
                "type": .string(
                    "Whether the certificates are in a `Secret` or a `ConfigMap`.", allowing: ["Secret", "ConfigMap"]),
                "name": .resourceName("The name of the Secret or ConfigMap."),
                "key": .secretKey("The key holding the certificates."),
                "namespace": .namespaceName(
                    "The namespace of the Secret or ConfigMap. Only allowed in a ClusterSecretStore."),
            ],
            required: ["type", "name"])
    }
}

extension KubernetesAuth: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "How to authenticate to the API server: exactly one of the methods.",
            properties: [
                "cert": KubernetesCertAuth.openAPISchema,
                "token": KubernetesTokenAuth.openAPISchema,
                "serviceAccount": ServiceAccountSelector.openAPISchema.described(
                    "Authenticates with a token requested for this ServiceAccount."),
            ]
        ).properties(min: 1, max: 1)
    }
}

extension KubernetesCertAuth: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Authenticates with a client certificate.",
            properties: [
                "clientCert": SecretKeySelector.openAPISchema.described("The Secret key holding the PEM certificate."),
                "clientKey": SecretKeySelector.openAPISchema.described("The Secret key holding the PEM private key."),
            ],
            required: ["clientCert", "clientKey"])
    }
}

extension KubernetesTokenAuth: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Authenticates with a bearer token.",
            properties: [
                "bearerToken": SecretKeySelector.openAPISchema.described("The Secret key holding the token.")
            ],
            required: ["bearerToken"])
    }
}

extension SecretKeySelector: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "A key of a Secret.",
            properties: [
                "name": .resourceName("The name of the Secret."),
                "key": .secretKey("The key in the Secret."),
                "namespace": .namespaceName(
                    """
                    The namespace of the Secret. Honoured only in a ClusterSecretStore; a SecretStore \
                    always uses its own namespace.
                    """),
            ])
    }
}

extension ServiceAccountSelector: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "A ServiceAccount to request a token for.",
            properties: [
                "name": .resourceName("The name of the ServiceAccount."),
                "namespace": .namespaceName(
                    """
                    The namespace of the ServiceAccount. Honoured only in a ClusterSecretStore; a \
                    SecretStore always uses its own namespace.
                    """),
                "audiences": .array("Audiences (`aud` claims) to request for the token.", of: .string(nil)),
            ],
            required: ["name"])
    }
}
