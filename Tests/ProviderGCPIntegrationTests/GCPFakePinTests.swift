import Foundation
import KubeTestSupport
import Testing

/// The fake of Secret Manager, pinned to reality: Google's official Python client (REST
/// transport) and google-auth run against it (scripts/gcp-sdk-pin.py) and must decode every answer
/// as they decode Google's.
@Suite(.enabled(if: GCPFakeServer.isAvailable, "scripts/install-deps.sh gcp installs the Python packages"))
struct GCPFakePinTests {
    @Test func theOfficialClientAgreesWithTheFake() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "eso-swift-gcp-pin-\(UUID().uuidString.prefix(8))"
        ).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let process = try TestProcess(
            executable: "/usr/bin/env",
            arguments: ["python3", "\(LocalControlPlane.repositoryRoot)/scripts/gcp-sdk-pin.py"],
            logPath: "\(directory)/pin.log")
        let status = await process.waitForExit(timeout: .seconds(180))
        if status == nil { await process.stop() }
        let log = process.log
        #expect(status == 0, "\(log.suffix(3000))")
        #expect(log.contains(" checks"), "\(log.suffix(3000))")
    }
}
