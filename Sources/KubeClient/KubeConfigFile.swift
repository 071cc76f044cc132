/// The kubeconfig file format (`clientcmd/api/v1`), as written by kubectl.
struct KubeConfigFile: Decodable {
    var clusters: [Named<Cluster>]?
    var users: [Named<User>]?
    var contexts: [Named<Context>]?
    var currentContext: String?

    enum CodingKeys: String, CodingKey {
        case clusters, users, contexts
        case currentContext = "current-context"
    }

    struct Named<Item: Decodable>: Decodable {
        var name: String
        var item: Item?

        enum CodingKeys: String, CodingKey { case name, cluster, user, context }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            for key in [CodingKeys.cluster, .user, .context] where container.contains(key) {
                item = try container.decodeIfPresent(Item.self, forKey: key)
            }
        }
    }

    struct Cluster: Decodable {
        var server: String?
        var certificateAuthority: String?
        var certificateAuthorityData: String?
        var insecureSkipTLSVerify: Bool?
        var tlsServerName: String?
        var proxyURL: String?

        enum CodingKeys: String, CodingKey {
            case server
            case certificateAuthority = "certificate-authority"
            case certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
            case tlsServerName = "tls-server-name"
            case proxyURL = "proxy-url"
        }
    }

    struct User: Decodable {
        var token: String?
        var tokenFile: String?
        var clientCertificate: String?
        var clientCertificateData: String?
        var clientKey: String?
        var clientKeyData: String?
        var username: String?
        var password: String?
        var exec: Exec?
        var authProvider: AuthProvider?

        enum CodingKeys: String, CodingKey {
            case token, tokenFile, username, password, exec
            case clientCertificate = "client-certificate"
            case clientCertificateData = "client-certificate-data"
            case clientKey = "client-key"
            case clientKeyData = "client-key-data"
            case authProvider = "auth-provider"
        }
    }

    struct AuthProvider: Decodable {
        var name: String?
    }

    struct Exec: Decodable {
        var apiVersion: String?
        var command: String?
        var args: [String]?
        var env: [EnvVar]?
        var provideClusterInfo: Bool?
        var interactiveMode: String?

        struct EnvVar: Decodable {
            var name: String
            var value: String
        }
    }

    struct Context: Decodable {
        var cluster: String?
        var user: String?
        var namespace: String?
    }
}
