import KubeModel

// The `Webhook` generator of `generators.external-secrets.io/v1alpha1`: the webhook provider's
// request, made once per generation, whose JSON answer (an object) gives the keys.

public typealias WebhookGenerator = Generator<WebhookSpec>

/// The key of a Secret read by a namespaced generator: no namespace, the Secret is read in the
/// namespace of the object using the generator (ESO's `SecretKeySelector` of `webhook`).
public struct WebhookGeneratorSecret: Codable, Sendable, Hashable {
    /// The name the templates read the Secret's keys under (`.<name>.<key>`).
    public var name: String
    public var secretRef: SecretKeySelector

    public init(name: String, secretRef: SecretKeySelector) {
        self.name = name
        self.secretRef = secretRef
    }
}

/// ESO's `Webhook` generator: an HTTP request whose URL, headers and body are Go templates over
/// the `secrets`; the answer is a JSON object (or the object at `result.jsonPath`) whose members
/// are the generated keys.
public struct WebhookSpec: GeneratorSpec {
    public static let kind = "Webhook"
    public static let plural = "webhooks"
    public static let clusterGeneratorMember = "webhookSpec"
    public static let kindDescription = """
        Webhook generates values by calling an HTTP API: the answer must be a JSON object (or \
        `result.jsonPath` must select one); each of its members is a key.
        """

    public var method: String?
    public var url: String
    public var headers: [String: String]?
    public var auth: WebhookAuth?
    public var body: String?
    public var timeout: String?
    public var result: WebhookResult?
    public var secrets: [WebhookGeneratorSecret]?
    public var caBundle: String?
    public var caProvider: CAProvider?

    public init(
        method: String? = nil, url: String, headers: [String: String]? = nil, auth: WebhookAuth? = nil,
        body: String? = nil, timeout: String? = nil, result: WebhookResult? = WebhookResult(),
        secrets: [WebhookGeneratorSecret]? = nil, caBundle: String? = nil, caProvider: CAProvider? = nil
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

extension WebhookSpec {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "The request made for each generation and where the values are in its answer.",
            properties: [
                "method": .string("The HTTP method; `GET` if unset."),
                "url": .string("The URL, a Go template over the `secrets` (values URL-escaped)."),
                "headers": .stringMap("HTTP headers; each value is a Go template like the body."),
                "auth": WebhookAuth.openAPISchema,
                "body": .string("The request body, a Go template over the `secrets`."),
                "timeout": .string(
                    "The time limit of the request, as a Go duration such as `10s`; 30 seconds if unset."),
                "result": WebhookResult.openAPISchema.described(
                    """
                    Where the values are in the JSON answer: `jsonPath` selects an object (or a string \
                    holding one); unset, the whole answer. Each member is a key.
                    """),
                "secrets": .array(
                    """
                    Secrets whose keys the templates read, as `.<name>.<key>`, in the namespace of the \
                    object using the generator. Each Secret must carry the label \
                    `external-secrets.io/type: webhook`.
                    """, of: WebhookGeneratorSecret.openAPISchema),
                "caBundle": .string(
                    """
                    PEM certificates to trust for an `https` URL, base64-encoded. Unset (and no \
                    `caProvider`): the system's trusted roots.
                    """, format: .byte),
                "caProvider": CAProvider.openAPISchema.described(
                    """
                    A Secret or ConfigMap key holding PEM certificates to trust for an `https` URL, \
                    in the namespace of the object using the generator.
                    """),
            ],
            required: ["result", "url"])
    }
}

extension WebhookGeneratorSecret: OpenAPISchemaDescribed {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "A Secret whose keys the templates read.",
            properties: [
                "name": .string("The name the templates read the Secret's keys under."),
                "secretRef": .object(
                    "The Secret (every key is read).",
                    properties: [
                        "name": .resourceName("The name of the Secret."),
                        "key": .secretKey("A key of the Secret (ignored: every key is read)."),
                    ]),
            ],
            required: ["name", "secretRef"])
    }
}
