import Foundation
import HTTPSupport
import Testing

@testable import KubeClient

/// Writes files into a fresh temporary directory, removed when the value is released.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("kubeconfig-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    @discardableResult
    func write(_ name: String, _ contents: String, executable: Bool = false) throws -> String {
        let file = "\(path)/\(name)"
        try contents.write(toFile: file, atomically: true, encoding: .utf8)
        if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file) }
        return file
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

extension ClientConfiguration.Authentication {
    /// The token, when this is a fixed bearer token.
    var bearerToken: String? {
        if case .bearerToken(let token) = self { return token }
        return nil
    }

    /// The path, when the token is read from a file.
    var tokenFilePath: String? {
        if case .tokenFile(let path) = self { return path }
        return nil
    }

    /// The plugin, when a credential plugin supplies the token.
    var execPlugin: ExecCredentialConfig? {
        if case .exec(let plugin) = self { return plugin }
        return nil
    }
}

@Suite struct KubeConfigTests {
    static let caPEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

    @Test func tokenUserWithInlineCA() throws {
        let directory = try TemporaryDirectory()
        let ca = Data(Self.caPEM.utf8).base64EncodedString()
        let file = try directory.write(
            "config",
            """
            apiVersion: v1
            kind: Config
            clusters:
            - name: c
              cluster: {server: "https://10.1.2.3:6443", certificate-authority-data: \(ca)}
            users:
            - name: u
              user: {token: abc}
            contexts:
            - name: ctx
              context: {cluster: c, user: u, namespace: team-a}
            current-context: ctx
            """)
        let config = try KubeConfigLoader.load(paths: [file])
        #expect(config.server == "https://10.1.2.3:6443")
        #expect(config.namespace == "team-a")
        #expect(config.tls.trustedCAsPEM == Array(Self.caPEM.utf8))
        #expect(config.authentication.bearerToken == "abc")
    }

    @Test func relativeFilesResolveAgainstTheKubeconfigDirectory() throws {
        let directory = try TemporaryDirectory()
        try directory.write("ca.crt", Self.caPEM)
        try directory.write("client.crt", "CERT")
        try directory.write("client.key", "KEY")
        let file = try directory.write(
            "config",
            """
            clusters:
            - name: c
              cluster: {server: "https://h:1", certificate-authority: ca.crt}
            users:
            - name: cert
              user: {client-certificate: client.crt, client-key: client.key}
            - name: file
              user: {tokenFile: token}
            contexts:
            - {name: cert, context: {cluster: c, user: cert}}
            - {name: file, context: {cluster: c, user: file}}
            current-context: cert
            """)
        let cert = try KubeConfigLoader.load(paths: [file])
        #expect(cert.tls.clientCertificatePEM == Array("CERT".utf8))
        #expect(cert.tls.clientKeyPEM == Array("KEY".utf8))
        #expect(cert.tls.trustedCAsPEM == Array(Self.caPEM.utf8))
        #expect(cert.namespace == "default")

        let tokenFile = try KubeConfigLoader.load(paths: [file], context: "file")
        #expect(tokenFile.authentication.tokenFilePath == "\(directory.path)/token")
    }

    @Test func mergesSeveralFilesFirstDefinitionWins() throws {
        let directory = try TemporaryDirectory()
        let first = try directory.write(
            "one",
            """
            clusters:
            - {name: shared, cluster: {server: "https://first:1", insecure-skip-tls-verify: true}}
            users:
            - {name: u, user: {token: first-token}}
            contexts:
            - {name: a, context: {cluster: shared, user: u}}
            """)
        let second = try directory.write(
            "two",
            """
            clusters:
            - {name: shared, cluster: {server: "https://second:1"}}
            - {name: other, cluster: {server: "https://other:1"}}
            users:
            - {name: u, user: {token: second-token}}
            contexts:
            - {name: b, context: {cluster: other, user: u}}
            current-context: b
            """)
        let merged = try KubeConfigLoader.load(paths: [first, "\(directory.path)/missing", second])
        #expect(merged.server == "https://other:1")
        #expect(merged.authentication.bearerToken == "first-token")
        let named = try KubeConfigLoader.load(paths: [first, second], context: "a")
        #expect(named.server == "https://first:1")
        #expect(named.tls.insecureSkipVerify)
    }

    @Test func kubeconfigEnvironmentListsFiles() {
        #expect(KubeConfigLoader.defaultPaths(environment: ["KUBECONFIG": "/a:/b::/c"]) == ["/a", "/b", "/c"])
        #expect(KubeConfigLoader.defaultPaths(environment: ["HOME": "/home/x"]) == ["/home/x/.kube/config"])
    }

    @Test func execPluginConfiguration() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write(
            "config",
            """
            clusters: [{name: c, cluster: {server: "https://h:1"}}]
            users:
            - name: e
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1beta1
                  command: aws
                  args: [eks, get-token]
                  env: [{name: AWS_PROFILE, value: prod}]
            contexts: [{name: x, context: {cluster: c, user: e}}]
            current-context: x
            """)
        let config = try KubeConfigLoader.load(paths: [file])
        let exec = try #require(config.authentication.execPlugin, "expected an exec plugin")
        #expect(exec.command == "aws")
        #expect(exec.args == ["eks", "get-token"])
        #expect(exec.env == ["AWS_PROFILE": "prod"])
    }

    /// Malformed files: the error names the file and, where there is one, the field.
    @Test(arguments: [
        ("clusters: [", nil, "not valid YAML"),
        ("clusters: 5", "clusters", "expected"),
        ("clusters: [{cluster: {server: x}}]", "clusters[0].name", "required field missing"),
        (
            "clusters: [{name: c, cluster: {}}]\ncontexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x",
            "clusters[c].server", "missing"
        ),
        (
            "clusters: [{name: c, cluster: {server: 'ftp://h'}}]\ncontexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x",
            "clusters[c].server", "not an http(s) URL"
        ),
        ("contexts: [{name: x, context: {cluster: nope}}]\ncurrent-context: x", "contexts[x].cluster", "no cluster"),
        ("clusters: []", "current-context", "not set"),
        (
            "clusters: [{name: c, cluster: {server: 'https://h', certificate-authority-data: '%%%'}}]\ncontexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x",
            "clusters[c].certificate-authority-data", "not valid base64"
        ),
        (
            "clusters: [{name: c, cluster: {server: 'https://h'}}]\nusers: [{name: u, user: {client-certificate-data: QQ==}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x",
            "users[u]", "must be given together"
        ),
        (
            "clusters: [{name: c, cluster: {server: 'https://h'}}]\nusers: [{name: u, user: {exec: {command: x}}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x",
            "users[u].exec.apiVersion", "missing"
        ),
    ] as [(String, String?, String)])
    func malformedFilesNameFileAndField(contents: String, field: String?, problem: String) throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("bad-config", contents)
        do {
            _ = try KubeConfigLoader.load(paths: [file])
            Issue.record("expected an error")
        } catch let error as KubeConfigError {
            #expect(error.file.contains("bad-config"))
            #expect(error.field == field)
            #expect(error.problem.contains(problem), "\(error)")
        }
    }

    @Test func inClusterConfiguration() throws {
        let directory = try TemporaryDirectory()
        try directory.write("token", "sa-token\n")
        try directory.write("ca.crt", Self.caPEM)
        try directory.write("namespace", "operators")
        let environment = ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"]
        #expect(InClusterConfig.isAvailable(environment: environment))
        let config = try InClusterConfig.load(environment: environment, directory: directory.path)
        #expect(config.server == "https://10.0.0.1:443")
        #expect(config.namespace == "operators")
        #expect(config.authentication.tokenFilePath == "\(directory.path)/token")

        #expect(throws: KubeConfigError.self) { try InClusterConfig.load(environment: [:], directory: directory.path) }
        #expect(throws: KubeConfigError.self) {
            try InClusterConfig.load(environment: environment, directory: "\(directory.path)/nowhere")
        }
    }
}
