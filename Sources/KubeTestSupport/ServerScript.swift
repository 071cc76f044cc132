import Foundation
import ProcessTestSupport

/// One of the repository's scripts that runs test servers (`scripts/control-plane.sh`,
/// `scripts/openbao.sh`): `up DIR --owner-pid PID` starts the servers with their files in `DIR` and
/// writes `DIR/env` (KEY=value lines); `down DIR` stops them. Output goes to `DIR/script.log`.
public struct ServerScript: Sendable {
    /// The script, relative to the repository root.
    public let relativePath: String

    public init(_ relativePath: String) { self.relativePath = relativePath }

    /// The repository root, found from this file's location.
    public static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// Starts the servers in a new temporary directory named `eso-swift-<prefix>-…`, owned by this
    /// process (they stop when it dies), and returns the directory and its `env` values. What
    /// started before a failure is stopped at once, not left to the watchdog.
    public func up(directoryPrefix prefix: String) async throws -> (directory: String, environment: [String: String]) {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("eso-swift-\(prefix)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        do {
            // A few at a time (see ServerStartGate).
            try await ServerStartGate.shared.withPermit {
                try await run(["up", directory, "--owner-pid", String(ProcessInfo.processInfo.processIdentifier)])
            }
        } catch {
            try? await run(["down", directory])
            throw error
        }
        let text = try String(contentsOfFile: "\(directory)/env", encoding: .utf8)
        var environment: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            environment[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return (directory, environment)
    }

    /// Stops the servers of `directory` and removes it.
    public func down(_ directory: String) async {
        try? await run(["down", directory])
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs the script with `arguments` (the second one is the directory); throws with the log's
    /// tail on failure.
    public func run(_ arguments: [String]) async throws {
        let directory = arguments.count > 1 ? arguments[1] : FileManager.default.temporaryDirectory.path
        let script = try TestProcess(
            executable: "\(Self.repositoryRoot)/\(relativePath)", arguments: arguments,
            logPath: "\(directory)/script.log")
        guard await script.succeeds() else {
            throw ServerScriptError(
                description: "\(relativePath) \(arguments.first ?? "") failed:\n\(script.log.suffix(4000))")
        }
    }
}

/// A server script failed; the description has the tail of its log.
public struct ServerScriptError: Error, CustomStringConvertible {
    public var description: String
}
