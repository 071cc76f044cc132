import Foundation
import KubeTestSupport
import Testing

/// The fake of Secret Manager, pinned to reality: Google's official Python client (REST
/// transport) and google-auth run against it (scripts/gcp-sdk-pin.py) and must decode every answer
/// as they decode Google's.
@Suite(.enabled(if: GCPFakeServer.isAvailable, "scripts/install-deps.sh gcp installs the Python packages"))
struct GCPFakePinTests {
    @Test func theOfficialClientAgreesWithTheFake() async throws {
        let (status, log) = try await FakeService.runPin("gcp-sdk-pin.py", timeout: .seconds(180))
        #expect(status == 0, "\(log.suffix(3000))")
        #expect(log.contains(" checks"), "\(log.suffix(3000))")
    }
}
