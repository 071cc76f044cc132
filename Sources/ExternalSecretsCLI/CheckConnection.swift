import ArgumentParser
import Foundation
import KubeClient
import KubeModel
import Logging

/// `external-secrets check-connection`: proves the configuration reaches the API server and says
/// what the credentials may do, without touching any object.
struct CheckConnection: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-connection",
        abstract: "Connect to the Kubernetes API server and report its version and what these credentials may read."
    )

    @Option(help: "Path to a kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then in-cluster).")
    var kubeconfig: String?

    @Option(help: "The kubeconfig context to use (default: its current context).")
    var context: String?

    @Option(help: "The namespace to check access in (default: the context's namespace).")
    var namespace: String?

    func run() async throws {
        let configuration = try ClientConfigurationSource(kubeconfig: kubeconfig, context: context).load()
        let client = try KubeClient(configuration: configuration, logger: Logger(label: "check-connection"))
        do {
            try await report(client: client, namespace: namespace ?? configuration.namespace)
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private struct ServerVersion: Decodable {
        var gitVersion: String
        var platform: String?
    }

    private func report(client: KubeClient, namespace: String) async throws {
        let version = try await client.send(KubeRequest(method: .GET, path: "/version"), decoding: ServerVersion.self)
        print("server:     \(client.configuration.server)")
        print("version:    \(version.gitVersion) \(version.platform ?? "")")
        for (kind, resource) in [("secrets", Secret.resource), ("configmaps", ConfigMap.resource)] {
            let verdict: String
            do {
                let page = try await client.metadataAPI(resource, namespace: namespace).list(ListOptions(limit: 1))
                verdict = "allowed (\(page.items.isEmpty ? "none" : "some") present)"
            } catch let error as KubeAPIError where error.isForbidden {
                verdict = "forbidden"
            }
            print("list \(kind) in \(namespace): \(verdict)")
        }
    }
}

/// Where the operator's Kubernetes configuration comes from, in client-go's order: an explicit
/// kubeconfig, then `KUBECONFIG` / `~/.kube/config`, then the pod's service account.
struct ClientConfigurationSource {
    var kubeconfig: String?
    var context: String?

    func load() throws -> ClientConfiguration {
        if let kubeconfig {
            return try KubeConfigLoader.load(paths: [kubeconfig], context: context)
        }
        let paths = KubeConfigLoader.defaultPaths()
        if paths.contains(where: { FileManager.default.fileExists(atPath: $0) }) || !InClusterConfig.isAvailable() {
            return try KubeConfigLoader.load(paths: paths, context: context)
        }
        return try InClusterConfig.load()
    }
}
