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
    static let isAvailable: Bool = FakeService.pythonCanImport("alibabacloud_kms20160120, alibabacloud_sts20150401")

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
        let (process, port) = try await FakeService.start(
            script: "alibaba-kms-fake.py", arguments: ["--config", "\(directory)/config.json"], directory: directory,
            name: "Alibaba")
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
        try await FakeService.control(endpoint, path, body: body)
    }

}
