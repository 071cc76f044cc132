import KubeModel

// The OpenAPI schemas of `generators.external-secrets.io/v1alpha1`. The descriptions are what
// `kubectl explain password.spec...` prints.

extension Generator: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            Spec.kindDescription,
            properties: [
                "apiVersion": .apiVersionField,
                "kind": .kindField,
                "metadata": .objectMetadata,
                "spec": Spec.openAPISchema,
            ])
    }
}

extension PasswordSpec {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "How the password is made.",
            properties: [
                "length": .integer(
                    """
                    The number of characters, 24 by default. This operator refuses 0 and lengths \
                    above 65536 with a clear condition.
                    """
                ).defaulted(24),
                "digits": .integer(
                    "How many of the characters are digits; a quarter of `length` (rounded down) if unset."),
                "symbols": .integer(
                    "How many of the characters are symbols; a quarter of `length` (rounded down) if unset."),
                "symbolCharacters": .string(
                    #"The characters symbols are taken from; ``~!@#$%^&*()_+`-={}|[]\:"<>?,./`` if unset."#),
                "noUpper": .boolean("`true` leaves out upper-case letters.").defaulted(false),
                "allowRepeat": .boolean(
                    "`true` lets a character occur more than once; by default every character is different."
                ).defaulted(false),
                "encoding": .string(
                    """
                    How the password is written: `raw` (the default, as it is), `base64`, \
                    `base64url`, `base32` or `hex`.
                    """, allowing: PasswordEncoding.self
                ).defaulted(.string(PasswordEncoding.raw.rawValue)),
                "secretKeys": .array(
                    """
                    The keys written, each with a password of its own; `password` if unset. Keys must \
                    be unique and not empty.
                    """, of: .string(nil)
                ).items(min: 1),
            ],
            required: ["allowRepeat", "length", "noUpper"])
    }
}

extension UUIDSpec {
    public static var openAPISchema: OpenAPISchema {
        .object("The UUID generator has no settings.", properties: [:])
    }
}

extension SSHKeySpec {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Which key pair is made.",
            properties: [
                "keyType": .string(
                    "`rsa` (the default), `ecdsa` or `ed25519`.", allowing: SSHKeyType.self
                ).defaulted(.string(SSHKeyType.rsa.rawValue)),
                "keySize": .integer(
                    """
                    The key size: for RSA 2048 (the default), 3072 or 4096; for ECDSA 256 (the \
                    default), 384 or 521. Ignored for ed25519.
                    """
                ).bounded(min: 256, max: 8192),
                "comment": .string("A comment written with both keys, such as `user@host`."),
            ])
    }
}

extension FakeSpec {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "The values returned.",
            properties: [
                "controller": .string(
                    "Selects the operator instance (its `--controller-class`) that serves this generator."),
                "data": .stringMap("The keys and values returned, every time."),
            ])
    }
}

extension MFASpec {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Where the seed is and how the one-time password is computed.",
            properties: [
                "secret": SecretKeySelector.openAPISchema.described(
                    """
                    The key of a Secret holding the base32 seed, in the namespace of the \
                    ExternalSecret (`namespace` is ignored).
                    """),
                "length": .integer("The number of digits, 6 by default (at most 10)."),
                "timePeriod": .integer("How many seconds one password is valid, 30 by default."),
                "algorithm": .string(
                    "The HMAC hash: `sha1` (the default, as RFC 6238 specifies), `sha256` or `sha512`."),
                "when": .string(
                    "Computes the password for this time instead of the current time.", format: .dateTime),
            ],
            required: ["secret"])
    }
}

extension ECRAuthorizationTokenSpec {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Which registry the login is for and how to authenticate to AWS.",
            properties: [
                "region": .string("The AWS region of the registry (ECR Public: `us-east-1`)."),
                "role": .string("The ARN of an IAM role to assume after authenticating; the login is made with it."),
                "auth": AWSAuth.openAPISchema.described(
                    """
                    How to authenticate to AWS, as the AWS provider's `auth`; the Secrets and the \
                    ServiceAccount are read in the namespace of the ExternalSecret. Unset: the \
                    operator's own credentials.
                    """),
                "scope": .string("`public` for an ECR Public login; anything else (or unset): a private registry."),
            ],
            required: ["region"])
    }
}

extension STSSessionTokenRequestParameters: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Parameters of STS GetSessionToken.",
            properties: [
                "sessionDuration": .integer(
                    "How many seconds the credentials last (AWS allows 900 to 129600; 43200 if unset).", format: .int32),
                "serialNumber": .string(
                    "The identification number (or ARN) of the MFA device, when the user needs MFA."),
                "tokenCode": .string("The current code of that MFA device."),
            ])
    }
}

extension STSSessionTokenSpec {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "How to authenticate to AWS and what to ask STS for.",
            properties: [
                "region": .string("The AWS region of the STS endpoint."),
                "role": .string("The ARN of an IAM role to assume after authenticating; the token is asked with it."),
                "auth": AWSAuth.openAPISchema.described(
                    """
                    How to authenticate to AWS: `secretRef` (read in the namespace of the \
                    ExternalSecret) or unset for the operator's own credentials; `jwt` is refused, \
                    as in ESO (GetSessionToken needs long-term credentials).
                    """),
                "requestParameters": STSSessionTokenRequestParameters.openAPISchema,
            ],
            required: ["region"])
    }
}

// MARK: - ClusterGenerator

extension ClusterGenerator: OpenAPISchemaDescribed {
    /// The generator kinds a ClusterGenerator may hold, with the member of `spec.generator` each uses.
    public static let memberByKind: [(kind: String, member: String)] = [
        ("ACRAccessToken", "acrAccessTokenSpec"),
        ("BeyondtrustWorkloadCredentialsDynamicSecret", "beyondtrustWorkloadCredentialsDynamicSecretSpec"),
        ("CloudsmithAccessToken", "cloudsmithAccessTokenSpec"),
        ("ECRAuthorizationToken", "ecrAuthorizationTokenSpec"),
        ("Fake", "fakeSpec"),
        ("GCRAccessToken", "gcrAccessTokenSpec"),
        ("GithubAccessToken", "githubAccessTokenSpec"),
        ("GitlabDeployToken", "gitlabDeployTokenSpec"),
        ("QuayAccessToken", "quayAccessTokenSpec"),
        ("Password", "passwordSpec"),
        ("SSHKey", "sshKeySpec"),
        ("STSSessionToken", "stsSessionTokenSpec"),
        ("UUID", "uuidSpec"),
        ("VaultDynamicSecret", "vaultDynamicSecretSpec"),
        ("Webhook", "webhookSpec"),
        ("Grafana", "grafanaSpec"),
        ("MFA", "mfaSpec"),
    ]

    public static var openAPISchema: OpenAPISchema {
        let typed: [String: OpenAPISchema] = [
            WebhookSpec.clusterGeneratorMember: WebhookSpec.openAPISchema,
            GithubAccessTokenSpec.clusterGeneratorMember: GithubAccessTokenSpec.openAPISchema,
            QuayAccessTokenSpec.clusterGeneratorMember: QuayAccessTokenSpec.openAPISchema,
            GrafanaSpec.clusterGeneratorMember: GrafanaSpec.openAPISchema,
            PasswordSpec.clusterGeneratorMember: PasswordSpec.openAPISchema,
            UUIDSpec.clusterGeneratorMember: UUIDSpec.openAPISchema,
            SSHKeySpec.clusterGeneratorMember: SSHKeySpec.openAPISchema,
            FakeSpec.clusterGeneratorMember: FakeSpec.openAPISchema,
            MFASpec.clusterGeneratorMember: MFASpec.openAPISchema,
            ECRAuthorizationTokenSpec.clusterGeneratorMember: ECRAuthorizationTokenSpec.openAPISchema,
            STSSessionTokenSpec.clusterGeneratorMember: STSSessionTokenSpec.openAPISchema,
            VaultDynamicSecretSpec.clusterGeneratorMember: VaultDynamicSecretSpec.openAPISchema,
        ]
        var members: [String: OpenAPISchema] = [:]
        for (kind, member) in memberByKind {
            members[member] =
                typed[member]
                ?? .unknownFields("The spec of a \(kind) generator; this operator does not run \(kind) yet.")
        }
        return .object(
            """
            ClusterGenerator is a generator of any kind usable from every namespace (in \
            `generatorRef` with `kind: ClusterGenerator`). The Secrets its spec names are read in \
            the namespace of the ExternalSecret that uses it.
            """,
            properties: [
                "apiVersion": .apiVersionField,
                "kind": .kindField,
                "metadata": .objectMetadata,
                "spec": .object(
                    "The generator's kind and its spec.",
                    properties: [
                        "kind": .string(
                            "The kind of generator; `generator` holds the spec of that kind.",
                            allowing: memberByKind.map(\.kind)),
                        "generator": .object(
                            "Exactly one member: the spec of `kind` (`passwordSpec` for Password, ...).",
                            properties: members
                        ).properties(min: 1, max: 1),
                    ],
                    required: ["generator", "kind"]),
            ])
    }
}

// MARK: - GeneratorState

extension GeneratorState: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            """
            GeneratorState keeps what a generator returned as state with a value (for example a \
            lease or token to revoke), and the generator's manifest, so the value can be cleaned up \
            once it is no longer used.
            """,
            properties: [
                "apiVersion": .apiVersionField,
                "kind": .kindField,
                "metadata": .objectMetadata,
                "spec": .object(
                    "The state and when it is cleaned up.",
                    properties: [
                        "garbageCollectionDeadline": .string(
                            """
                            After this time the state is cleaned up (the generator's clean-up, such \
                            as revoking a token) and deleted. Never when unset.
                            """, format: .dateTime),
                        "resource": .anyValue(
                            "A snapshot of the generator manifest that produced the state, used to clean it up."),
                        "state": .anyValue("The state the generator returned."),
                    ],
                    required: ["resource", "state"]),
                "status": .object(
                    "What the operator observed about the state.",
                    properties: [
                        "conditions": .array(
                            "Conditions of the state.",
                            of: StatusCondition.openAPISchema)
                    ]),
            ])
    }
}
