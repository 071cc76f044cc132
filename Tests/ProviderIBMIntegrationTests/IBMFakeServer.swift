import Foundation
import HTTPSupport
import KubeTestSupport
import Testing

/// scripts/ibm-secrets-manager-fake.py for one suite (plain HTTP): the Secrets Manager instance
/// and IBM Cloud IAM on one free port of 127.0.0.1, stopped by its PID.
final class IBMFakeServer: Sendable {
    let process: TestProcess
    let port: Int
    let directory: String

    /// The instance's URL and the IAM endpoint (one server serves both).
    var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Whether Python has what the pin needs (scripts/install-deps.sh ibm); the fake itself needs
    /// only the standard library.
    static let sdkIsAvailable: Bool = FakeService.pythonCanImport("ibm_secrets_manager_sdk, ibm_cloud_sdk_core")

    /// - Parameters:
    ///   - apiKeys: API keys with their IAM actions (`secret.read`, `secrets.list`, `*`).
    ///   - profiles: trusted profiles by name: compute-resource tokens and IAM actions.
    ///   - groups: secret groups besides `default` (ID, name).
    static func start(
        apiKeys: [String: [String]], profiles: [String: (tokens: [String], permissions: [String])] = [:],
        groups: [(id: String, name: String)] = []
    ) async throws -> IBMFakeServer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "eso-swift-ibm-\(UUID().uuidString.prefix(8))"
        ).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let config = try JSONSerialization.data(withJSONObject: [
            "apiKeys": apiKeys.mapValues { ["permissions": $0] },
            "profiles": profiles.mapValues { ["crTokens": $0.tokens, "permissions": $0.permissions] },
            "groups": groups.map { ["id": $0.id, "name": $0.name] },
        ])
        try config.write(to: URL(fileURLWithPath: "\(directory)/config.json"))
        let (process, port) = try await FakeService.start(
            script: "ibm-secrets-manager-fake.py", arguments: ["--config", "\(directory)/config.json"], directory: directory,
            name: "IBM")
        return IBMFakeServer(process: process, port: port, directory: directory)
    }

    private init(process: TestProcess, port: Int, directory: String) {
        self.process = process
        self.port = port
        self.directory = directory
    }

    func stop() async {
        await process.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// POSTs or GETs a test control (`/fake/...`) and answers its JSON.
    func control(_ path: String, body: [String: Any]? = nil) async throws -> [String: Any] {
        try await FakeService.control(endpoint, path, body: body)
    }

    /// Seeds secrets (`/fake/seed`) and answers their IDs by name.
    func seed(_ secrets: [[String: Any]]) async throws -> [String: String] {
        (try await control("seed", body: ["secrets": secrets])["ids"] as? [String: String]) ?? [:]
    }

}
