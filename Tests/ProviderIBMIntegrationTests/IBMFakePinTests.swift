import Foundation
import KubeTestSupport
import Testing

/// The fake of Secrets Manager and IAM, pinned to reality: IBM's official Python client
/// (ibm-secrets-manager-sdk with ibm-cloud-sdk-core's IAM and container authenticators) runs
/// against it (scripts/ibm-sdk-pin.py) and must decode every answer as it decodes the service's.
@Suite(.enabled(if: IBMFakeServer.sdkIsAvailable, "scripts/install-deps.sh ibm installs the Python packages"))
struct IBMFakePinTests {
    @Test func theOfficialClientAgreesWithTheFake() async throws {
        let (status, log) = try await FakeService.runPin("ibm-sdk-pin.py", timeout: .seconds(300))
        #expect(status == 0, "\(log.suffix(3000))")
        #expect(log.contains(" checks"), "\(log.suffix(3000))")
    }
}
