public import Foundation
import KubeModel

/// Supplies the bearer token of each request.
public protocol BearerTokenProvider: Sendable {
    /// The token to send now.
    func token() async throws -> String
    /// Called after the server answered 401: drop any cached token so the next call gets a new one.
    func invalidate() async
}

/// A token that never changes.
public struct StaticTokenProvider: BearerTokenProvider {
    private let value: String

    public init(_ value: String) { self.value = value }

    public func token() async throws -> String { value }
    public func invalidate() async {}
}

/// A token read from a file and re-read once it is older than `maxAge` (client-go re-reads every
/// minute), so projected service-account tokens keep working as the kubelet rotates them.
public actor FileTokenProvider<C: Clock>: BearerTokenProvider where C.Duration == Duration {
    private let path: String
    private let maxAge: Duration
    private let clock: C
    private var cached: (value: String, readAt: C.Instant)?

    public init(path: String, maxAge: Duration = .seconds(60), clock: C) {
        self.path = path
        self.maxAge = maxAge
        self.clock = clock
    }

    public func token() async throws -> String {
        let now = clock.now
        if let cached, cached.readAt.duration(to: now) < maxAge { return cached.value }
        guard let contents = FileManager.default.contents(atPath: path) else {
            throw KubeClientError("token file \(path) cannot be read")
        }
        let value = String(decoding: contents, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty else { throw KubeClientError("token file \(path) is empty") }
        cached = (value, now)
        return value
    }

    public func invalidate() async { cached = nil }
}

/// Runs a client-go credential plugin (`users[].exec`) and caches its token until it expires.
/// At most one plugin run is in flight; concurrent callers share its result.
public actor ExecTokenProvider: BearerTokenProvider {
    private let config: ExecCredentialConfig
    private let now: @Sendable () -> Date
    private var cached: (token: String, expires: Date?)?
    private var inFlight: Task<(token: String, expires: Date?), any Error>?

    public init(config: ExecCredentialConfig, now: @escaping @Sendable () -> Date = { Date() }) {
        self.config = config
        self.now = now
    }

    public func token() async throws -> String {
        if let cached, cached.expires.map({ $0.timeIntervalSince(now()) > 10 }) ?? true {
            return cached.token
        }
        if let inFlight { return try await inFlight.value.token }
        let config = config
        let task = Task { try await Self.run(config) }
        inFlight = task
        defer { inFlight = nil }
        let result = try await task.value
        cached = result
        return result.token
    }

    public func invalidate() async { cached = nil }

    private struct ExecCredential: Codable {
        var apiVersion: String?
        var kind: String?
        var spec: Spec?
        var status: CredentialStatus?

        struct Spec: Codable { var interactive: Bool? }

        struct CredentialStatus: Codable {
            var token: String?
            var expirationTimestamp: KubeTime?
            var clientCertificateData: String?
            var clientKeyData: String?
        }
    }

    /// Runs the plugin with `KUBERNETES_EXEC_INFO` set and parses the ExecCredential it prints.
    /// Its stderr is not captured into errors: plugins may print secrets there.
    static func run(_ config: ExecCredentialConfig) async throws -> (token: String, expires: Date?) {
        let process = Process()
        let command = config.command
        if command.contains("/") {
            let path =
                command.hasPrefix("/") ? command : KubeConfigLoader.resolvePath(command, relativeTo: (config.workingDirectory ?? ".") + "/x")
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = config.args
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [command] + config.args
        }
        var environment = ProcessInfo.processInfo.environment
        for (name, value) in config.env { environment[name] = value }
        let info = ExecCredential(apiVersion: config.apiVersion, kind: "ExecCredential", spec: .init(interactive: false))
        environment["KUBERNETES_EXEC_INFO"] = String(decoding: try KubeJSON.encoder.encode(info), as: UTF8.self)
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw KubeClientError("exec credential plugin \(command) could not be started")
        }
        let data = try await Task.detached { try output.fileHandleForReading.readToEnd() ?? Data() }.value
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw KubeClientError("exec credential plugin \(command) exited with status \(process.terminationStatus)")
        }
        let credential: ExecCredential
        do {
            credential = try KubeJSON.decoder.decode(ExecCredential.self, from: data)
        } catch {
            throw KubeClientError("exec credential plugin \(command) printed no valid ExecCredential")
        }
        guard credential.kind == "ExecCredential", credential.apiVersion == config.apiVersion else {
            throw KubeClientError(
                "exec credential plugin \(command) answered \(credential.apiVersion ?? "?")/\(credential.kind ?? "?"), expected \(config.apiVersion)/ExecCredential"
            )
        }
        guard let token = credential.status?.token, !token.isEmpty else {
            if credential.status?.clientCertificateData != nil {
                throw KubeClientError(
                    "exec credential plugin \(command) returned a client certificate; only token credentials are supported")
            }
            throw KubeClientError("exec credential plugin \(command) returned no token")
        }
        return (token, credential.status?.expirationTimestamp?.date)
    }
}
