import Foundation
import KubeTestSupport
import Testing

/// The fake of Key Vault and Entra ID, pinned to reality: Microsoft's official Python clients
/// (azure-keyvault-secrets, -certificates, -keys and azure-identity with MSAL) run against it over
/// HTTPS (scripts/azure-sdk-pin.py) and must decode every answer as they decode Azure's.
@Suite(.enabled(if: AzureFakeServer.isAvailable, "scripts/install-deps.sh azure installs the Python packages"))
struct AzureFakePinTests {
    @Test func theOfficialClientsAgreeWithTheFake() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "eso-swift-azure-pin-\(UUID().uuidString.prefix(8))"
        ).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let process = try TestProcess(
            executable: "/usr/bin/env",
            arguments: ["python3", "\(LocalControlPlane.repositoryRoot)/scripts/azure-sdk-pin.py"],
            logPath: "\(directory)/pin.log")
        let status = await process.waitForExit(timeout: .seconds(300))
        if status == nil { await process.stop() }
        let log = process.log
        #expect(status == 0, "\(log.suffix(3000))")
        #expect(log.contains(" checks"), "\(log.suffix(3000))")
    }
}
