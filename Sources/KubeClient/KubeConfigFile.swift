import Yams

/// The kubeconfig file format (`clientcmd/api/v1`), as written by kubectl. Public so that a
/// kubeconfig read from elsewhere (a Secret) is parsed by the same model.
public struct KubeConfigFile: Decodable, Sendable {
    public var clusters: [Named<Cluster>]?
    public var users: [Named<User>]?
    public var contexts: [Named<Context>]?
    public var currentContext: String?

    enum CodingKeys: String, CodingKey {
        case clusters, users, contexts
        case currentContext = "current-context"
    }

    public struct Named<Item: Decodable & Sendable>: Decodable, Sendable {
        public var name: String
        public var item: Item?

        enum CodingKeys: String, CodingKey { case name, cluster, user, context }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            for key in [CodingKeys.cluster, .user, .context] where container.contains(key) {
                item = try container.decodeIfPresent(Item.self, forKey: key)
            }
        }
    }

    public struct Cluster: Decodable, Sendable {
        public var server: String?
        public var certificateAuthority: String?
        public var certificateAuthorityData: String?
        public var insecureSkipTLSVerify: Bool?
        public var tlsServerName: String?
        public var proxyURL: String?

        enum CodingKeys: String, CodingKey {
            case server
            case certificateAuthority = "certificate-authority"
            case certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
            case tlsServerName = "tls-server-name"
            case proxyURL = "proxy-url"
        }
    }

    public struct User: Decodable, Sendable {
        public var token: String?
        public var tokenFile: String?
        public var clientCertificate: String?
        public var clientCertificateData: String?
        public var clientKey: String?
        public var clientKeyData: String?
        public var username: String?
        public var password: String?
        public var exec: Exec?
        public var authProvider: AuthProvider?

        enum CodingKeys: String, CodingKey {
            case token, tokenFile, username, password, exec
            case clientCertificate = "client-certificate"
            case clientCertificateData = "client-certificate-data"
            case clientKey = "client-key"
            case clientKeyData = "client-key-data"
            case authProvider = "auth-provider"
        }
    }

    public struct AuthProvider: Decodable, Sendable {
        public var name: String?
    }

    public struct Exec: Decodable, Sendable {
        public var apiVersion: String?
        public var command: String?
        public var args: [String]?
        public var env: [EnvVar]?
        public var provideClusterInfo: Bool?
        public var interactiveMode: String?

        public struct EnvVar: Decodable, Sendable {
            public var name: String
            public var value: String
        }
    }

    public struct Context: Decodable, Sendable {
        public var cluster: String?
        public var user: String?
        public var namespace: String?
    }

    /// Parses kubeconfig YAML (or JSON).
    public static func decode(yaml text: String) throws -> KubeConfigFile {
        try YAMLDecoder().decode(KubeConfigFile.self, from: text)
    }
}
