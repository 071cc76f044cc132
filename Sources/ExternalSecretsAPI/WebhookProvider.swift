// MARK: - Webhook provider

/// `spec.provider.webhook`: any HTTP API, reached with a request whose URL, headers and body are
/// Go templates over the remote reference and the store's `secrets`.
public struct WebhookProvider: Codable, Sendable, Hashable {
    /// The HTTP method; unset: `GET` to read, `POST` to push (ESO's defaults).
    public var method: String?
    /// The URL template.
    public var url: String
    /// Header value templates, by header name.
    public var headers: [String: String]?
    /// An authorization protocol (ESO: NTLM only).
    public var auth: WebhookAuth?
    /// The body template.
    public var body: String?
    /// The time limit of one request, as a Go duration.
    public var timeout: String?
    /// Where the value is in the response.
    public var result: WebhookResult?
    /// Secrets whose keys the templates read, under `name`.
    public var secrets: [WebhookSecret]?
    /// PEM certificates to trust, base64 in JSON (`format: byte`).
    public var caBundle: String?
    public var caProvider: CAProvider?

    public init(
        method: String? = nil, url: String, headers: [String: String]? = nil, auth: WebhookAuth? = nil,
        body: String? = nil, timeout: String? = nil, result: WebhookResult? = nil, secrets: [WebhookSecret]? = nil,
        caBundle: String? = nil, caProvider: CAProvider? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.auth = auth
        self.body = body
        self.timeout = timeout
        self.result = result
        self.secrets = secrets
        self.caBundle = caBundle
        self.caProvider = caProvider
    }
}

public struct WebhookAuth: Codable, Sendable, Hashable {
    public var ntlm: WebhookNTLMAuth?

    public init(ntlm: WebhookNTLMAuth? = nil) { self.ntlm = ntlm }
}

public struct WebhookNTLMAuth: Codable, Sendable, Hashable {
    public var usernameSecret: SecretKeySelector
    public var passwordSecret: SecretKeySelector

    public init(usernameSecret: SecretKeySelector, passwordSecret: SecretKeySelector) {
        self.usernameSecret = usernameSecret
        self.passwordSecret = passwordSecret
    }
}

public struct WebhookResult: Codable, Sendable, Hashable {
    /// A JSONPath (itself a template) to the value in a JSON response; unset: the whole body.
    public var jsonPath: String?

    public init(jsonPath: String? = nil) { self.jsonPath = jsonPath }
}

/// A Secret whose keys the templates read as `.<name>.<key>`.
public struct WebhookSecret: Codable, Sendable, Hashable {
    public var name: String
    public var secretRef: SecretKeySelector

    public init(name: String, secretRef: SecretKeySelector) {
        self.name = name
        self.secretRef = secretRef
    }
}

extension WebhookProvider: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Reads and pushes secrets through any HTTP API, with requests written as Go templates.",
            properties: [
                "method": .string("The HTTP method. Unset: `GET` to read, `POST` to push."),
                "url": .string(
                    """
                    The URL, a Go template over `.remoteRef` (`key`, `version`, `property`, `namespace` \
                    when reading; `remoteKey`, `secretKey` when pushing; values URL-escaped) and the \
                    `secrets`.
                    """),
                "headers": .stringMap("HTTP headers; each value is a Go template like the body."),
                "auth": WebhookAuth.openAPISchema,
                "body": .string(
                    """
                    The request body, a Go template over `.remoteRef` and the `secrets` (values not \
                    escaped). When pushing, unset sends the value itself.
                    """),
                "timeout": .string("The time limit of one request, as a Go duration such as `10s`."),
                "result": WebhookResult.openAPISchema,
                "secrets": .array(
                    "Secrets whose keys the templates read, as `.<name>.<key>`.", of: WebhookSecret.openAPISchema),
                "caBundle": .string(
                    """
                    PEM certificates to trust for an `https` URL, base64-encoded. Unset (and no \
                    `caProvider`): the system's trusted roots.
                    """, format: .byte),
                "caProvider": CAProvider.openAPISchema.described(
                    "A Secret or ConfigMap key holding PEM certificates to trust for an `https` URL."),
            ],
            required: ["url"])
    }
}

extension WebhookAuth: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "How requests authenticate: exactly one protocol.",
            properties: ["ntlm": WebhookNTLMAuth.openAPISchema]
        ).properties(min: 1, max: 1)
    }
}

extension WebhookNTLMAuth: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "NTLM authentication. Accepted for compatibility; this operator does not implement NTLM.",
            properties: [
                "usernameSecret": SecretKeySelector.openAPISchema.described("The Secret key holding the user name."),
                "passwordSecret": SecretKeySelector.openAPISchema.described("The Secret key holding the password."),
            ],
            required: ["passwordSecret", "usernameSecret"])
    }
}

extension WebhookResult: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Where the value is in the response.",
            properties: [
                "jsonPath": .string(
                    """
                    A JSONPath (such as `$.data.password`) to the value in a JSON response; a Go \
                    template itself. Unset: the whole response body.
                    """)
            ])
    }
}

extension WebhookSecret: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            """
            A Secret whose keys the templates read. The Secret must carry the label \
            `external-secrets.io/type: webhook`.
            """,
            properties: [
                "name": .string("The name the templates read the Secret's keys under."),
                "secretRef": SecretKeySelector.openAPISchema.described(
                    "The Secret (its name; a namespace only in a ClusterSecretStore). Every key is read."),
            ],
            required: ["name", "secretRef"])
    }
}
