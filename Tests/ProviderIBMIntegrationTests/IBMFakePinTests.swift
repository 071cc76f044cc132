import Foundation
import KubeTestSupport
import Testing

/// The fake of Secrets Manager and IAM, pinned to reality: IBM's official Python client
/// (ibm-secrets-manager-sdk with ibm-cloud-sdk-core's IAM and container authenticators) runs
/// against it (scripts/ibm-sdk-pin.py) and must decode every answer as it decodes the service's.
@Suite(.enabled(if: IBMFakeServer.sdkIsAvailable, "scripts/install-deps.sh ibm installs the Python packages"))
struct IBMFakePinTests {
    @Test func theOfficialClientAgreesWithTheFake() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "eso-swift-ibm-pin-\(UUID().uuidString.prefix(8))"
        ).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let process = try TestProcess(
            executable: "/usr/bin/env",
            arguments: ["python3", "\(LocalControlPlane.repositoryRoot)/scripts/ibm-sdk-pin.py"],
            logPath: "\(directory)/pin.log")
        let status = await process.waitForExit(timeout: .seconds(300))
        if status == nil { await process.stop() }
        let log = process.log
        #expect(status == 0, "\(log.suffix(3000))")
        #expect(log.contains(" checks"), "\(log.suffix(3000))")
    }
}
