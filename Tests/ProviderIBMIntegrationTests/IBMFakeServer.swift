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
    static let sdkIsAvailable: Bool = {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", "import ibm_secrets_manager_sdk, ibm_cloud_sdk_core"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return false }
        probe.waitUntilExit()
        return probe.terminationStatus == 0
    }()

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
        let process = try TestProcess(
            executable: "/usr/bin/env",
            arguments: [
                "python3", "\(LocalControlPlane.repositoryRoot)/scripts/ibm-secrets-manager-fake.py", "--port", "0",
                "--config", "\(directory)/config.json",
            ],
            logPath: "\(directory)/fake.log")
        var port: Int?
        _ = try await eventually(timeout: .seconds(30)) {
            port = process.log.split(separator: "\n").first { $0.hasPrefix("listening ") }
                .flatMap { Int($0.dropFirst("listening ".count)) }
            return port != nil
        }
        guard let port else {
            await process.stop()
            throw FakeError("the IBM fake did not start: \(process.log.suffix(2000))")
        }
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
        let transport = try AsyncHTTPClientTransport()
        defer { Task { try? await transport.shutdown() } }
        let request = HTTPRequest(
            method: body == nil ? .GET : .POST, url: "\(endpoint)/fake/\(path)",
            body: try body.map { Array(try JSONSerialization.data(withJSONObject: $0)) })
        let response = try await transport.send(request, timeout: .seconds(10))
        return (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:]
    }

    /// Seeds secrets (`/fake/seed`) and answers their IDs by name.
    func seed(_ secrets: [[String: Any]]) async throws -> [String: String] {
        (try await control("seed", body: ["secrets": secrets])["ids"] as? [String: String]) ?? [:]
    }

    struct FakeError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
