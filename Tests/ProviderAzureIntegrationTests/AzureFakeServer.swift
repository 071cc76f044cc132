import Foundation
import HTTPSupport
import KubeTestSupport
import Testing

/// scripts/azure-keyvault-fake.py for one suite (plain HTTP): started on a free port of 127.0.0.1
/// with the principals given, stopped by its PID.
final class AzureFakeServer: Sendable {
    let process: TestProcess
    let port: Int
    let directory: String
    let tenant: String

    /// The vault's URL and the Entra authority host (one server serves both).
    var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Whether Python has what the fake and the pin need (scripts/install-deps.sh azure).
    static let isAvailable: Bool = FakeService.pythonCanImport(
        "cryptography, azure.identity, azure.keyvault.secrets, azure.keyvault.certificates, azure.keyvault.keys")

    /// One application (service principal) of the fake's tenant.
    struct Principal {
        var clientID: String
        var secret: String?
        var certificatePEM: String?
        /// ServiceAccount subjects whose tokens it accepts as federated credentials.
        var federated: [String] = []
        /// Access-policy permissions by collection (`secrets`, `certificates`, `keys`); `*` all.
        var permissions: [String: [String]]
    }

    /// - Parameter rbac: refuse as a vault under Azure RBAC (naming the data action) instead of
    ///   access policies (naming the permission).
    static func start(
        tenant: String = "tenant-1", principals: [Principal], managedIdentities: [String: [String: [String]]] = [:],
        issuers: [String] = [], rbac: Bool = false
    ) async throws -> AzureFakeServer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "eso-swift-azure-\(UUID().uuidString.prefix(8))"
        ).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var table: [String: Any] = [:]
        for principal in principals {
            var entry: [String: Any] = ["permissions": principal.permissions, "federated": principal.federated]
            if let secret = principal.secret { entry["secret"] = secret }
            if let pem = principal.certificatePEM { entry["certificatePem"] = pem }
            table[principal.clientID] = entry
        }
        let config = try JSONSerialization.data(withJSONObject: [
            "tenant": tenant, "principals": table, "issuers": issuers,
            "managedIdentities": managedIdentities.mapValues { ["permissions": $0] },
            "authorization": rbac ? "rbac" : "accessPolicy",
        ])
        try config.write(to: URL(fileURLWithPath: "\(directory)/config.json"))
        let (process, port) = try await FakeService.start(
            script: "azure-keyvault-fake.py", arguments: ["--config", "\(directory)/config.json"], directory: directory,
            name: "Azure")
        return AzureFakeServer(process: process, port: port, directory: directory, tenant: tenant)
    }

    private init(process: TestProcess, port: Int, directory: String, tenant: String) {
        self.process = process
        self.port = port
        self.directory = directory
        self.tenant = tenant
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
