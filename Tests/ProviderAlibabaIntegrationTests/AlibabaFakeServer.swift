import Foundation
import HTTPSupport
import KubeTestSupport
import Testing

/// scripts/alibaba-kms-fake.py for one suite (plain HTTP; KMS and STS on one port): started on a
/// free port of 127.0.0.1 with the AccessKeys and roles given, stopped by its PID.
final class AlibabaFakeServer: Sendable {
    let process: TestProcess
    let port: Int
    let directory: String

    /// The base URL of KMS and of STS.
    var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Whether Python has what the pin needs (scripts/install-deps.sh alibaba); the fake itself
    /// uses the standard library only.
    static let isAvailable: Bool = {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", "import alibabacloud_kms20160120, alibabacloud_sts20150401"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return false }
        probe.waitUntilExit()
        return probe.terminationStatus == 0
    }()

    /// A RAM user's AccessKey with the KMS actions it may call (`kms:*` for all).
    struct AccessKey {
        var id: String
        var secret: String
        var permissions: [String]
    }

    /// A RAM role RRSA may assume with one of `tokens`.
    struct Role {
        var arn: String
        var oidcProviderArn: String
        var tokens: [String]
        var permissions: [String]
        var durationSeconds: Int?
    }

    static func start(accessKeys: [AccessKey], roles: [Role] = []) async throws -> AlibabaFakeServer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "eso-swift-alibaba-\(UUID().uuidString.prefix(8))"
        ).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var keys: [String: Any] = [:]
        for key in accessKeys { keys[key.id] = ["secret": key.secret, "permissions": key.permissions] }
        var roleTable: [String: Any] = [:]
        for role in roles {
            var entry: [String: Any] = [
                "oidcProviderArn": role.oidcProviderArn, "tokens": role.tokens, "permissions": role.permissions,
            ]
            if let duration = role.durationSeconds { entry["durationSeconds"] = duration }
            roleTable[role.arn] = entry
        }
        let config = try JSONSerialization.data(withJSONObject: [
            "region": "cn-hangzhou", "accessKeys": keys, "roles": roleTable,
        ])
        try config.write(to: URL(fileURLWithPath: "\(directory)/config.json"))
        let process = try TestProcess(
            executable: "/usr/bin/env",
            arguments: [
                "python3", "\(LocalControlPlane.repositoryRoot)/scripts/alibaba-kms-fake.py", "--port", "0",
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
            throw FakeError("the Alibaba fake did not start: \(process.log.suffix(2000))")
        }
        return AlibabaFakeServer(process: process, port: port, directory: directory)
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

    struct FakeError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
