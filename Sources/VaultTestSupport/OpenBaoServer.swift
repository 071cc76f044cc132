public import Foundation
import HTTPSupport
import KubeTestSupport
public import NIOHTTP1
public import Testing

/// A real OpenBao dev server (TLS, root token `root`) started by `scripts/openbao.sh` for one
/// test suite, on a free 127.0.0.1 port, and stopped by PID.
///
/// Guarantees: `stop()` kills exactly the process this instance started; if the test process
/// dies first, the script's watchdog stops it.
public final class OpenBaoServer: Sendable {
    /// The directory holding the TLS material, the env file and the server log.
    public let directory: String
    /// `https://127.0.0.1:PORT`.
    public let address: String
    /// PEM of the CA that signed the server's certificate.
    public let caCertificatePEM: Data
    public let rootToken: String
    /// Every request the server served, one JSON object a line (OpenBao's file audit device).
    public let auditLogPath: String
    private let admin: AsyncHTTPClientTransport

    static let script = ServerScript("scripts/openbao.sh")

    /// Starts a server in a new temporary directory and waits until it answers.
    public static func start() async throws -> OpenBaoServer {
        let (directory, environment) = try await script.up(directoryPrefix: "bao")
        let ca = try Data(contentsOf: URL(fileURLWithPath: environment["CA_CERT"] ?? ""))
        return try OpenBaoServer(
            directory: directory, address: environment["ADDR"] ?? "", caCertificatePEM: ca,
            rootToken: environment["ROOT_TOKEN"] ?? "root", auditLogPath: environment["AUDIT_LOG"] ?? "")
    }

    private init(directory: String, address: String, caCertificatePEM: Data, rootToken: String, auditLogPath: String)
        throws
    {
        self.auditLogPath = auditLogPath
        self.directory = directory
        self.address = address
        self.caCertificatePEM = caCertificatePEM
        self.rootToken = rootToken
        self.admin = try AsyncHTTPClientTransport(tls: TLSSettings(trustedCAsPEM: Array(caCertificatePEM)))
    }

    /// Stops the server and removes its directory.
    public func stop() async {
        try? await admin.shutdown()
        await Self.script.down(directory)
    }

    /// The server's log so far (for failure messages).
    public var log: String { (try? String(contentsOfFile: "\(directory)/openbao.log", encoding: .utf8)) ?? "" }

    // MARK: - Admin API (root token)

    /// An answer of the admin API.
    public struct Answer: Sendable {
        public var status: UInt
        public var body: [UInt8]

        /// The body as JSON (nil when empty or not JSON).
        public var json: Any? { body.isEmpty ? nil : try? JSONSerialization.jsonObject(with: Data(body)) }

        /// `data.<key>` of a JSON answer, as a string.
        public func data(_ key: String) -> String? {
            ((json as? [String: Any])?["data"] as? [String: Any])?[key].map { "\($0)" }
        }

        /// `auth.<key>` of a JSON answer, as a string.
        public func auth(_ key: String) -> String? {
            ((json as? [String: Any])?["auth"] as? [String: Any])?[key].map { "\($0)" }
        }
    }

    /// Sends `method path` (below `/v1/`) with `body` as JSON and the root token (or `token`),
    /// in Vault namespace `namespace`.
    @discardableResult
    public func call(
        _ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil, token: String? = nil,
        namespace: String? = nil
    ) async throws -> Answer {
        var headers: HTTPHeaders = ["X-Vault-Token": token ?? rootToken]
        if let namespace { headers.add(name: "X-Vault-Namespace", value: namespace) }
        var bytes: [UInt8]?
        if let body {
            bytes = Array(try JSONSerialization.data(withJSONObject: body))
            headers.add(name: "Content-Type", value: "application/json")
        }
        let response = try await admin.send(
            HTTPRequest(method: method, url: "\(address)/v1/\(path)", headers: headers, body: bytes),
            timeout: .seconds(30))
        return Answer(status: response.status.code, body: response.body)
    }

    /// Like `call`, but fails unless the answer is a 2xx.
    @discardableResult
    public func must(
        _ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil, token: String? = nil,
        namespace: String? = nil
    ) async throws -> Answer {
        let answer = try await call(method, path, body, token: token, namespace: namespace)
        guard (200..<300).contains(answer.status) else {
            throw OpenBaoError(
                description:
                    "\(method) \(path) answered \(answer.status): \(String(decoding: answer.body.prefix(500), as: UTF8.self))"
            )
        }
        return answer
    }

    /// Writes a KV v2 secret (`mount/data/key`), with `customMetadata` written to its metadata.
    public func writeKV2(
        mount: String = "secret", _ key: String, _ data: [String: Any], customMetadata: [String: String]? = nil,
        namespace: String? = nil
    ) async throws {
        try await must(.POST, "\(mount)/data/\(key)", ["data": data], namespace: namespace)
        if let customMetadata {
            try await must(.POST, "\(mount)/metadata/\(key)", ["custom_metadata": customMetadata], namespace: namespace)
        }
    }

    /// Writes a KV v1 secret (`mount/key`).
    public func writeKV1(mount: String, _ key: String, _ data: [String: Any], namespace: String? = nil) async throws {
        try await must(.POST, "\(mount)/\(key)", data, namespace: namespace)
    }

    /// Mounts a secrets engine of `type` (`kv` with `version`).
    public func mount(_ path: String, type: String = "kv", version: String? = "2", namespace: String? = nil)
        async throws
    {
        var body: [String: Any] = ["type": type]
        if let version { body["options"] = ["version": version] }
        try await must(.POST, "sys/mounts/\(path)", body, namespace: namespace)
    }

    /// Enables the auth method `type` at `path`.
    public func enableAuth(_ path: String, type: String, namespace: String? = nil) async throws {
        try await must(.POST, "sys/auth/\(path)", ["type": type], namespace: namespace)
    }

    /// Writes an ACL policy.
    public func policy(_ name: String, _ hcl: String, namespace: String? = nil) async throws {
        try await must(.POST, "sys/policies/acl/\(name)", ["policy": hcl], namespace: namespace)
    }

    /// Seals the server: every request is refused with 503 until `unseal()`.
    public func seal() async throws {
        try await must(.POST, "sys/seal")
    }

    /// Unseals the server with the unseal key the dev server printed at start.
    public func unseal() async throws {
        guard let line = log.split(separator: "\n").first(where: { $0.hasPrefix("Unseal Key: ") }) else {
            throw OpenBaoError(description: "the dev server printed no unseal key")
        }
        let key = String(line.dropFirst("Unseal Key: ".count)).trimmingCharacters(in: .whitespaces)
        let answer = try await must(.POST, "sys/unseal", ["key": key])
        guard (answer.json as? [String: Any])?["sealed"] as? Bool == false else {
            throw OpenBaoError(description: "the server is still sealed")
        }
    }

    /// The audit log's entries (JSON objects), oldest first.
    public func auditEntries() -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: auditLogPath, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// The paths of the requests the server received (audit entries of type `request`), in order.
    public func auditedRequestPaths() -> [String] {
        auditEntries().compactMap { entry in
            guard entry["type"] as? String == "request" else { return nil }
            return (entry["request"] as? [String: Any])?["path"] as? String
        }
    }
}

/// OpenBao could not be started, or an admin call failed.
public struct OpenBaoError: Error, CustomStringConvertible {
    public var description: String
}

/// A suite trait that starts one `OpenBaoServer` for the whole suite and always stops it.
public struct OpenBaoTrait: SuiteTrait, TestScoping {
    public var isRecursive: Bool { false }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let server = try await OpenBaoServer.start()
        do {
            try await OpenBaoServer.$current.withValue(server) { try await function() }
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}

extension Trait where Self == OpenBaoTrait {
    /// Runs the suite against its own real OpenBao dev server.
    public static var openBao: Self { OpenBaoTrait() }
}

extension OpenBaoServer {
    /// The OpenBao server of the suite being run (set by `.openBao`).
    @TaskLocal public static var current: OpenBaoServer?
}

/// A self-signed client certificate and its key (PEM), made with `openssl` in `directory`.
public func makeClientCertificate(commonName: String, in directory: String) async throws -> (
    certificate: String, key: String
) {
    let base = "\(directory)/\(commonName)-\(UUID().uuidString.prefix(6))"
    let process = try TestProcess(
        executable: "/usr/bin/env",
        arguments: [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=\(commonName)",
            "-keyout", "\(base).key", "-out", "\(base).crt",
        ],
        logPath: "\(base).log")
    guard await process.succeeds() else {
        throw OpenBaoError(description: "openssl failed: \(process.log.suffix(2000))")
    }
    return (
        try String(contentsOfFile: "\(base).crt", encoding: .utf8),
        try String(contentsOfFile: "\(base).key", encoding: .utf8)
    )
}
