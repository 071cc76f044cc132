import Foundation

#if canImport(Glibc)
import Glibc
#endif
public import KubeClient
import KubeModel

/// A real local control plane (etcd, kube-apiserver, kube-controller-manager) started by
/// `scripts/control-plane.sh` for one test suite, and stopped by PID.
///
/// Guarantees: `stop()` kills exactly the processes this instance started; if the test process
/// dies first, the script's watchdog stops them.
public final class LocalControlPlane: Sendable {
    /// The directory holding the kubeconfig, certificates and server logs.
    public let directory: String
    /// Values from the script's `env` file (SERVER, ETCD_URL, ADMIN_TOKEN, ...).
    public let environment: [String: String]

    /// The repository root, found from this file's location.
    public static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// Starts a control plane in a new temporary directory; waits until the API server is ready.
    public static func start() throws -> LocalControlPlane {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("eso-swift-cp-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        do {
            try runScript(["up", directory, "--owner-pid", String(ProcessInfo.processInfo.processIdentifier)])
        } catch {
            // Whatever started before the failure is stopped now, not left to the watchdog.
            try? runScript(["down", directory])
            throw error
        }
        let text = try String(contentsOfFile: "\(directory)/env", encoding: .utf8)
        var environment: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            environment[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return LocalControlPlane(directory: directory, environment: environment)
    }

    private init(directory: String, environment: [String: String]) {
        self.directory = directory
        self.environment = environment
    }

    /// Stops every process of this control plane and removes its directory.
    public func stop() {
        try? Self.runScript(["down", directory])
        try? FileManager.default.removeItem(atPath: directory)
    }

    public var kubeconfigPath: String { "\(directory)/kubeconfig" }
    public var server: String { environment["SERVER"] ?? "" }
    public var etcdURL: String { environment["ETCD_URL"] ?? "" }
    /// PEM of the API server's serving certificate chain.
    public var servingCAPath: String { environment["SERVING_CA"] ?? "" }

    /// Client configuration of context `context` of the written kubeconfig (`local`: admin token;
    /// `local-cert`: admin by client certificate).
    public func configuration(context: String = "local") throws -> ClientConfiguration {
        try KubeConfigLoader.load(paths: [kubeconfigPath], context: context)
    }

    /// A client for `context`. The caller shuts it down.
    public func client(context: String = "local") throws -> KubeClient {
        try KubeClient(configuration: configuration(context: context))
    }

    /// Runs `scripts/control-plane.sh` with `arguments`, its output going to `script.log` beside
    /// the other logs; throws with the log's tail on failure.
    ///
    /// Spawned with posix_spawn and reaped with waitpid: Foundation's `Process.waitUntilExit`
    /// was seen never to return here once the script had left background servers running.
    static func runScript(_ arguments: [String]) throws {
        let directory = arguments.count > 1 ? arguments[1] : FileManager.default.temporaryDirectory.path
        let logPath = "\(directory)/script.log"
        let command = "exec \"$0\" \"$@\" >>\"\(logPath)\" 2>&1 </dev/null"
        let argv = ["/bin/bash", "-c", command, "\(repositoryRoot)/scripts/control-plane.sh"] + arguments
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/bash", nil, nil, &cArguments, environ)
        guard spawned == 0 else {
            throw ControlPlaneError(description: "control-plane.sh could not be started: errno \(spawned)")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exitedCleanly = (status & 0x7F) == 0 && ((status >> 8) & 0xFF) == 0
        guard exitedCleanly else {
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            throw ControlPlaneError(
                description: "control-plane.sh \(arguments.first ?? "") failed (status \(status)):\n\(log.suffix(4000))")
        }
    }
}

/// The control plane could not be started or stopped.
public struct ControlPlaneError: Error, CustomStringConvertible {
    public var description: String
}
