import Foundation
import KubeTestSupport
import Testing
import _CryptoExtras

/// scripts/gcp-secret-manager-fake.py for one suite: started on a free port of 127.0.0.1 with the
/// service accounts given, stopped by its PID.
final class GCPFakeServer: Sendable {
    let process: TestProcess
    let port: Int
    let directory: String

    var endpoint: String { "http://127.0.0.1:\(port)" }
    var tokenURI: String { "\(endpoint)/token" }

    /// Whether Python has what the fake and the pin need (scripts/install-deps.sh gcp).
    static let isAvailable: Bool = FakeService.pythonCanImport("cryptography, google.cloud.secretmanager, google.auth")

    /// One service account of the fake: its key and IAM permissions (`*`: all).
    struct Account {
        var email: String
        /// nil: an account that can only be impersonated.
        var key: _RSA.Signing.PrivateKey?
        var permissions: [String]
    }

    /// A federated principal (an OIDC token's `sub`) and what it may do.
    struct WorkloadIdentity {
        var subject: String
        var permissions: [String] = []
        var impersonate: [String] = []
    }

    /// - Parameters:
    ///   - issuers: PEM public keys whose OIDC tokens the STS accepts (a cluster's `sa.pub`).
    static func start(
        accounts: [Account], projects: [String: String] = [:], issuers: [String] = [],
        identities: [WorkloadIdentity] = []
    ) async throws -> GCPFakeServer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "eso-swift-gcp-\(UUID().uuidString.prefix(8))"
        ).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var table: [String: Any] = [:]
        for account in accounts {
            var entry: [String: Any] = ["permissions": account.permissions]
            if let key = account.key { entry["publicKeyPem"] = key.publicKey.pemRepresentation }
            table[account.email] = entry
        }
        var principals: [String: Any] = [:]
        for identity in identities {
            principals[identity.subject] = ["permissions": identity.permissions, "impersonate": identity.impersonate]
        }
        let config = try JSONSerialization.data(withJSONObject: [
            "accounts": table, "projects": projects, "issuers": issuers, "workloadIdentities": principals,
        ])
        try config.write(to: URL(fileURLWithPath: "\(directory)/accounts.json"))
        let (process, port) = try await FakeService.start(
            script: "gcp-secret-manager-fake.py", arguments: ["--accounts", "\(directory)/accounts.json"], directory: directory,
            name: "GCP")
        return GCPFakeServer(process: process, port: port, directory: directory)
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

    /// A key file of `account` whose token_uri is the fake's.
    func keyFile(_ account: Account, project: String) -> String {
        let file: [String: String] = [
            "type": "service_account", "project_id": project, "private_key_id": "kid-\(account.email.prefix(6))",
            "private_key": account.key?.pkcs8PEMRepresentation ?? "", "client_email": account.email,
            "token_uri": tokenURI,
        ]
        return String(decoding: try! JSONSerialization.data(withJSONObject: file), as: UTF8.self)
    }

}
