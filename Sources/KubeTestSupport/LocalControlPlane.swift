import Foundation
import HTTPSupport
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
    public static var repositoryRoot: String { ServerScript.repositoryRoot }

    static let script = ServerScript("scripts/control-plane.sh")

    /// Starts a control plane in a new temporary directory; waits until the API server is ready.
    public static func start() async throws -> LocalControlPlane {
        let (directory, environment) = try await script.up(directoryPrefix: "cp")
        return LocalControlPlane(directory: directory, environment: environment)
    }

    private init(directory: String, environment: [String: String]) {
        self.directory = directory
        self.environment = environment
    }

    /// Stops every process of this control plane and removes its directory.
    public func stop() async {
        await Self.script.down(directory)
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

    /// Compacts etcd's history up to `revision` (a resourceVersion) through etcd's HTTP gateway.
    public func compactEtcd(to revision: String) async throws {
        let transport = try AsyncHTTPClientTransport()
        do {
            let response = try await transport.send(
                HTTPRequest(
                    method: .POST, url: "\(etcdURL)/v3/kv/compaction", headers: ["Content-Type": "application/json"],
                    body: Array(#"{"revision":"\#(revision)","physical":true}"#.utf8)),
                timeout: .seconds(10))
            try await transport.shutdown()
            guard response.status == .ok else {
                throw ControlPlaneError(description: "etcd compaction to \(revision) answered \(response.status)")
            }
        } catch {
            try? await transport.shutdown()
            throw error
        }
    }

    /// Kills kube-apiserver and starts it again on the same port (etcd keeps its data).
    public func restartAPIServer() async throws {
        try await Self.script.run(["restart-apiserver", directory])
    }
}

/// The control plane could not be started or stopped.
public struct ControlPlaneError: Error, CustomStringConvertible {
    public var description: String
}
