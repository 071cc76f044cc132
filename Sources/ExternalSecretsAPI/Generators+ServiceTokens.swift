import KubeModel

// The generators of `generators.external-secrets.io/v1alpha1` that ask a service for a token:
// GithubAccessToken, QuayAccessToken and Grafana.

public typealias GithubAccessTokenGenerator = Generator<GithubAccessTokenSpec>
public typealias QuayAccessTokenGenerator = Generator<QuayAccessTokenSpec>
public typealias GrafanaGenerator = Generator<GrafanaSpec>

// MARK: - GithubAccessToken

/// A key of a Secret in the namespace of the object using a generator (`namespace` is ignored).
public struct GithubSecretRef: Codable, Sendable, Hashable {
    public var secretRef: SecretKeySelector

    public init(secretRef: SecretKeySelector) { self.secretRef = secretRef }
}

/// How a GitHub App authenticates: its private key.
public struct GithubAppAuth: Codable, Sendable, Hashable {
    public var privateKey: GithubSecretRef

    public init(privateKey: GithubSecretRef) { self.privateKey = privateKey }
}

/// ESO's `GithubAccessToken`: an installation access token of a GitHub App, under the key `token`.
public struct GithubAccessTokenSpec: GeneratorSpec {
    public static let kind = "GithubAccessToken"
    public static let plural = "githubaccesstokens"
    public static let clusterGeneratorMember = "githubAccessTokenSpec"
    public static let kindDescription = """
        GithubAccessToken generates an installation access token of a GitHub App (valid one hour), \
        under the key `token`.
        """

    public var appID: String
    public var installID: String
    public var url: String?
    public var repositories: [String]?
    public var permissions: [String: String]?
    public var auth: GithubAppAuth

    public init(
        appID: String, installID: String, url: String? = nil, repositories: [String]? = nil,
        permissions: [String: String]? = nil, auth: GithubAppAuth
    ) {
        self.appID = appID
        self.installID = installID
        self.url = url
        self.repositories = repositories
        self.permissions = permissions
        self.auth = auth
    }
}

extension GithubAccessTokenSpec {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Which GitHub App installation the token is for, and what it may do.",
            properties: [
                "appID": .string("The GitHub App's ID (the JWT's issuer)."),
                "installID": .string("The ID of the App's installation the token is for."),
                "url": .string(
                    "The GitHub API's base URL; `https://api.github.com` if unset (GitHub Enterprise: `https://HOST/api/v3`)."
                ),
                "repositories": .array(
                    "The names of the repositories the token may reach; unset: all of the installation's.",
                    of: .string(nil)),
                "permissions": .stringMap(
                    "Permissions of the token (`contents: read`, ...); unset: all of the installation's."),
                "auth": .object(
                    "How the App authenticates.",
                    properties: [
                        "privateKey": .object(
                            "The App's private key (PEM).",
                            properties: [
                                "secretRef": SecretKeySelector.openAPISchema.described(
                                    """
                                    The Secret key holding the PEM private key, in the namespace of the \
                                    object using the generator.
                                    """)
                            ],
                            required: ["secretRef"])
                    ],
                    required: ["privateKey"]),
            ],
            required: ["appID", "auth", "installID"])
    }
}

// MARK: - QuayAccessToken

/// ESO's `QuayAccessToken`: a Quay robot account token, exchanged for a Kubernetes ServiceAccount
/// token (Quay's OIDC federation): keys `registry`, `auth` (base64 of `robot:token`) and `expiry`.
public struct QuayAccessTokenSpec: GeneratorSpec {
    public static let kind = "QuayAccessToken"
    public static let plural = "quayaccesstokens"
    public static let clusterGeneratorMember = "quayAccessTokenSpec"
    public static let kindDescription = """
        QuayAccessToken generates a token of a Quay robot account by exchanging a ServiceAccount \
        token (Quay's OIDC federation): keys `registry`, `auth` (base64 of `robot:token`) and \
        `expiry` (Unix seconds).
        """

    public var url: String?
    public var robotAccount: String
    public var serviceAccountRef: ServiceAccountSelector

    public init(url: String? = nil, robotAccount: String, serviceAccountRef: ServiceAccountSelector) {
        self.url = url
        self.robotAccount = robotAccount
        self.serviceAccountRef = serviceAccountRef
    }
}

extension QuayAccessTokenSpec {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Which robot account the token is for and whose ServiceAccount token is exchanged.",
            properties: [
                "url": .string("The Quay host (`https://` is implied); `quay.io` if unset."),
                "robotAccount": .string("The robot account, as `organization+name`."),
                "serviceAccountRef": ServiceAccountSelector.openAPISchema.described(
                    """
                    The ServiceAccount whose token (with `audiences`) is exchanged, in the namespace \
                    of the object using the generator.
                    """),
            ],
            required: ["robotAccount", "serviceAccountRef"])
    }
}

// MARK: - Grafana

/// A key of a Secret in the namespace of the object using the generator.
public struct GrafanaSecretKey: Codable, Sendable, Hashable {
    public var name: String?
    public var key: String?

    public init(name: String? = nil, key: String? = nil) {
        self.name = name
        self.key = key
    }
}

public struct GrafanaBasicAuth: Codable, Sendable, Hashable {
    public var username: String
    public var password: GrafanaSecretKey

    public init(username: String, password: GrafanaSecretKey) {
        self.username = username
        self.password = password
    }
}

/// How the generator authenticates to Grafana: a service account token, else basic auth.
public struct GrafanaAuth: Codable, Sendable, Hashable {
    public var token: GrafanaSecretKey?
    public var basic: GrafanaBasicAuth?

    public init(token: GrafanaSecretKey? = nil, basic: GrafanaBasicAuth? = nil) {
        self.token = token
        self.basic = basic
    }
}

/// The Grafana service account the tokens are made for (created when missing).
public struct GrafanaServiceAccount: Codable, Sendable, Hashable {
    public var name: String
    public var role: String
    public var secondsToLive: Int64?

    public init(name: String, role: String, secondsToLive: Int64? = nil) {
        self.name = name
        self.role = role
        self.secondsToLive = secondsToLive
    }
}

/// ESO's `Grafana`: a new token of a Grafana service account: keys `login` and `token`. The token
/// is deleted when the value is replaced (the generator's clean-up).
public struct GrafanaSpec: GeneratorSpec {
    public static let kind = "Grafana"
    public static let plural = "grafanas"
    public static let clusterGeneratorMember = "grafanaSpec"
    public static let kindDescription = """
        Grafana generates a token of a Grafana service account (created if missing): keys `login` \
        and `token`. The token is deleted from Grafana once it is no longer used.
        """

    public var url: String
    public var auth: GrafanaAuth
    public var serviceAccount: GrafanaServiceAccount

    public init(url: String, auth: GrafanaAuth, serviceAccount: GrafanaServiceAccount) {
        self.url = url
        self.auth = auth
        self.serviceAccount = serviceAccount
    }
}

extension GrafanaSpec {
    public static var openAPISchema: OpenAPISchema {
        let secretKey: (String) -> OpenAPISchema = { description in
            .object(
                description,
                properties: [
                    "name": .resourceName("The name of the Secret."),
                    "key": .secretKey("The key in the Secret."),
                ])
        }
        return .object(
            "Which Grafana, how to authenticate to it, and the service account the token is for.",
            properties: [
                "url": .string("The Grafana base URL (`https://grafana.example.com`); `/api` is appended."),
                "auth": .object(
                    "How to authenticate to Grafana: `token` if set, else `basic`.",
                    properties: [
                        "token": secretKey(
                            "A Secret key holding a Grafana service account token (sent as a bearer token)."),
                        "basic": .object(
                            "Basic authentication.",
                            properties: [
                                "username": .string("The user name."),
                                "password": secretKey("The Secret key holding the password."),
                            ],
                            required: ["password", "username"]),
                    ]),
                "serviceAccount": .object(
                    "The service account tokens are made for; created with `role` when no account has `name`.",
                    properties: [
                        "name": .string("The service account's name."),
                        "role": .string("The role of a created service account (`Viewer`, `Editor`, `Admin`)."),
                        "secondsToLive": .integer(
                            "How long a token lives, in seconds; unset: it does not expire.", format: .int64
                        ).bounded(min: 1),
                    ],
                    required: ["name", "role"]),
            ],
            required: ["auth", "serviceAccount", "url"])
    }
}
