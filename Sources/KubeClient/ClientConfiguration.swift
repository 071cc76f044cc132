public import Foundation
public import HTTPSupport
import Yams

/// How to reach and authenticate to one API server: the resolved form of a kubeconfig context
/// or of the in-cluster service-account files.
public struct ClientConfiguration: Sendable {
    /// The API server's base URL (`https://host:port`).
    public var server: String
    public var tls: TLSSettings
    public var authentication: Authentication
    /// The namespace of the context (or of the pod); `default` when none is set.
    public var namespace: String
    /// Client-side rate limit.
    public var qps: Double = 50
    public var burst: Int = 100

    public init(server: String, tls: TLSSettings, authentication: Authentication, namespace: String = "default") {
        self.server = server
        self.tls = tls
        self.authentication = authentication
        self.namespace = namespace
    }

    /// How requests prove who they are. TLS client certificates live in `tls`.
    public enum Authentication: Sendable {
        case none
        /// A fixed bearer token.
        case bearerToken(String)
        /// A bearer token read from a file and re-read when it may have rotated (projected
        /// service-account tokens).
        case tokenFile(path: String)
        /// A client-go credential plugin run for a token.
        case exec(ExecCredentialConfig)
    }
}

/// A kubeconfig `exec` credential plugin.
public struct ExecCredentialConfig: Sendable, Hashable {
    public var apiVersion: String
    public var command: String
    public var args: [String]
    public var env: [String: String]
    /// The directory relative commands and paths are resolved against (the kubeconfig's).
    public var workingDirectory: String?
}

/// An error in a kubeconfig or in-cluster configuration, naming the file and the field.
public struct KubeConfigError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var field: String?
    public var problem: String

    public init(file: String, field: String? = nil, problem: String) {
        self.file = file
        self.field = field
        self.problem = problem
    }

    public var description: String {
        if let field { return "kubeconfig \(file): \(field): \(problem)" }
        return "kubeconfig \(file): \(problem)"
    }
}

/// Reads kubeconfig files as kubectl does.
///
/// Several files (from `KUBECONFIG`, separated by `:`) are merged: for clusters, users and
/// contexts the first file that defines a name wins; `current-context` comes from the first file
/// that sets it. Relative paths inside a file are resolved against that file's directory.
public enum KubeConfigLoader {
    /// Files named by `KUBECONFIG`, else `~/.kube/config`.
    public static func defaultPaths(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            return list.split(separator: ":").map(String.init).filter { !$0.isEmpty }
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return ["\(home)/.kube/config"]
    }

    /// Loads and merges `paths` (missing files are skipped, as kubectl does, unless none exists)
    /// and resolves `context` (nil for the current context).
    public static func load(paths: [String], context: String? = nil) throws -> ClientConfiguration {
        var documents: [(path: String, file: KubeConfigFile)] = []
        for path in paths {
            guard FileManager.default.fileExists(atPath: path) else { continue }
            documents.append((path, try parse(path: path)))
        }
        guard !documents.isEmpty else {
            throw KubeConfigError(file: paths.joined(separator: ":"), problem: "no kubeconfig file found")
        }
        return try resolve(documents: documents, context: context)
    }

    /// Parses one file; errors name the file and, where the decoder knows it, the field.
    static func parse(path: String) throws -> KubeConfigFile {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw KubeConfigError(file: path, problem: "cannot be read")
        }
        return try parse(text: text, path: path)
    }

    static func parse(text: String, path: String) throws -> KubeConfigFile {
        do {
            return try YAMLDecoder().decode(KubeConfigFile.self, from: text)
        } catch let error as DecodingError {
            throw KubeConfigError(file: path, field: fieldPath(of: error), problem: problem(of: error))
        } catch let error as YamlError {
            throw KubeConfigError(file: path, problem: "not valid YAML: \(String(describing: error).prefix(200))")
        } catch {
            throw KubeConfigError(file: path, problem: "not a kubeconfig")
        }
    }

    private static func fieldPath(of error: DecodingError) -> String? {
        let path: [any CodingKey]
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            path = context.codingPath
        case .keyNotFound(let key, let context):
            path = context.codingPath + [key]
        @unknown default:
            return nil
        }
        guard !path.isEmpty else { return nil }
        return path.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }.joined()
            .trimmingPrefix(".").description
    }

    private static func problem(of error: DecodingError) -> String {
        switch error {
        case .typeMismatch(let type, _): "expected \(type)"
        case .valueNotFound(let type, _): "missing \(type) value"
        case .keyNotFound: "required field missing"
        case .dataCorrupted(let context): context.debugDescription
        @unknown default: "invalid"
        }
    }

    /// Merges parsed files and resolves one context into a configuration.
    static func resolve(documents: [(path: String, file: KubeConfigFile)], context requested: String?) throws
        -> ClientConfiguration
    {
        var clusters: [String: (path: String, value: KubeConfigFile.Cluster)] = [:]
        var users: [String: (path: String, value: KubeConfigFile.User)] = [:]
        var contexts: [String: (path: String, value: KubeConfigFile.Context)] = [:]
        var current: String?
        for (path, file) in documents {
            for entry in file.clusters ?? [] where clusters[entry.name] == nil {
                clusters[entry.name] = (path, entry.item ?? .init())
            }
            for entry in file.users ?? [] where users[entry.name] == nil {
                users[entry.name] = (path, entry.item ?? .init())
            }
            for entry in file.contexts ?? [] where contexts[entry.name] == nil {
                contexts[entry.name] = (path, entry.item ?? .init())
            }
            if current == nil, let name = file.currentContext, !name.isEmpty { current = name }
        }
        let allPaths = documents.map(\.path).joined(separator: ":")
        guard let contextName = requested ?? current else {
            throw KubeConfigError(file: allPaths, field: "current-context", problem: "not set and no context was named")
        }
        guard let context = contexts[contextName] else {
            throw KubeConfigError(file: allPaths, field: "contexts", problem: "no context named \"\(contextName)\"")
        }
        guard let clusterName = context.value.cluster, let cluster = clusters[clusterName] else {
            throw KubeConfigError(
                file: context.path, field: "contexts[\(contextName)].cluster",
                problem: "no cluster named \"\(context.value.cluster ?? "")\"")
        }
        guard let server = cluster.value.server, !server.isEmpty else {
            throw KubeConfigError(file: cluster.path, field: "clusters[\(clusterName)].server", problem: "missing")
        }
        guard server.hasPrefix("https://") || server.hasPrefix("http://") else {
            throw KubeConfigError(
                file: cluster.path, field: "clusters[\(clusterName)].server", problem: "not an http(s) URL")
        }
        var tls = TLSSettings(insecureSkipVerify: cluster.value.insecureSkipTLSVerify ?? false)
        tls.trustedCAsPEM = try material(
            data: cluster.value.certificateAuthorityData, file: cluster.value.certificateAuthority,
            in: cluster.path, field: "clusters[\(clusterName)].certificate-authority")

        var authentication = ClientConfiguration.Authentication.none
        if let userName = context.value.user, !userName.isEmpty {
            guard let user = users[userName] else {
                throw KubeConfigError(
                    file: context.path, field: "contexts[\(contextName)].user", problem: "no user named \"\(userName)\"")
            }
            let field = "users[\(userName)]"
            tls.clientCertificatePEM = try material(
                data: user.value.clientCertificateData, file: user.value.clientCertificate, in: user.path,
                field: "\(field).client-certificate")
            tls.clientKeyPEM = try material(
                data: user.value.clientKeyData, file: user.value.clientKey, in: user.path, field: "\(field).client-key")
            if (tls.clientCertificatePEM == nil) != (tls.clientKeyPEM == nil) {
                throw KubeConfigError(
                    file: user.path, field: field, problem: "client certificate and client key must be given together")
            }
            if let token = user.value.token, !token.isEmpty {
                authentication = .bearerToken(token)
            } else if let tokenFile = user.value.tokenFile, !tokenFile.isEmpty {
                authentication = .tokenFile(path: resolvePath(tokenFile, relativeTo: user.path))
            } else if let exec = user.value.exec {
                guard let command = exec.command, !command.isEmpty else {
                    throw KubeConfigError(file: user.path, field: "\(field).exec.command", problem: "missing")
                }
                guard let apiVersion = exec.apiVersion, !apiVersion.isEmpty else {
                    throw KubeConfigError(file: user.path, field: "\(field).exec.apiVersion", problem: "missing")
                }
                authentication = .exec(
                    ExecCredentialConfig(
                        apiVersion: apiVersion, command: command, args: exec.args ?? [],
                        env: Dictionary((exec.env ?? []).map { ($0.name, $0.value) }, uniquingKeysWith: { $1 }),
                        workingDirectory: directory(of: user.path)))
            } else if user.value.username != nil || user.value.password != nil {
                throw KubeConfigError(
                    file: user.path, field: "\(field).username", problem: "basic authentication is not supported")
            } else if let provider = user.value.authProvider {
                throw KubeConfigError(
                    file: user.path, field: "\(field).auth-provider",
                    problem: "auth provider \"\(provider.name ?? "")\" is not supported; use an exec plugin")
            }
        }
        let namespace = context.value.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        return ClientConfiguration(server: server, tls: tls, authentication: authentication, namespace: namespace)
    }

    /// Inline base64 data wins over a file path, as in kubectl.
    private static func material(data: String?, file: String?, in path: String, field: String) throws -> [UInt8]? {
        if let data, !data.isEmpty {
            guard let decoded = Data(base64Encoded: data.filter { !$0.isWhitespace }) else {
                throw KubeConfigError(file: path, field: "\(field)-data", problem: "not valid base64")
            }
            return Array(decoded)
        }
        if let file, !file.isEmpty {
            let resolved = resolvePath(file, relativeTo: path)
            guard let contents = FileManager.default.contents(atPath: resolved) else {
                throw KubeConfigError(file: path, field: field, problem: "cannot read \(resolved)")
            }
            return Array(contents)
        }
        return nil
    }

    static func resolvePath(_ path: String, relativeTo configPath: String) -> String {
        if path.hasPrefix("/") { return path }
        if path.hasPrefix("~/") { return NSHomeDirectory() + path.dropFirst(1) }
        return (directory(of: configPath) ?? ".") + "/" + path
    }

    private static func directory(of path: String) -> String? {
        guard let slash = path.lastIndex(of: "/") else { return nil }
        return String(path[..<slash])
    }
}

/// The configuration of a pod's service account, as client-go's `rest.InClusterConfig` reads it.
public enum InClusterConfig {
    public static let defaultDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// Whether this process runs in a pod (the service environment variables are set).
    public static func isAvailable(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        environment["KUBERNETES_SERVICE_HOST"] != nil && environment["KUBERNETES_SERVICE_PORT"] != nil
    }

    /// Reads the service host and port from the environment and the CA, token path and namespace
    /// from `directory`. The token is re-read from its file as it rotates.
    public static func load(
        environment: [String: String] = ProcessInfo.processInfo.environment, directory: String = defaultDirectory
    ) throws -> ClientConfiguration {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
            let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty
        else {
            throw KubeConfigError(
                file: "in-cluster", field: "KUBERNETES_SERVICE_HOST",
                problem: "not running in a pod (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT unset)")
        }
        let tokenPath = "\(directory)/token"
        guard FileManager.default.isReadableFile(atPath: tokenPath) else {
            throw KubeConfigError(file: tokenPath, problem: "service-account token cannot be read")
        }
        let caPath = "\(directory)/ca.crt"
        guard let ca = FileManager.default.contents(atPath: caPath) else {
            throw KubeConfigError(file: caPath, problem: "service-account CA cannot be read")
        }
        let namespace =
            (try? String(contentsOfFile: "\(directory)/namespace", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "default"
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return ClientConfiguration(
            server: "https://\(hostPart):\(port)", tls: TLSSettings(trustedCAsPEM: Array(ca)),
            authentication: .tokenFile(path: tokenPath), namespace: namespace.isEmpty ? "default" : namespace)
    }
}
