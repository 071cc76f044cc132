import Foundation
import KubeTestSupport
import Testing

/// The fake of KMS and STS, pinned to reality: Alibaba's official Python SDK
/// (alibabacloud-kms20160120, alibabacloud-sts20150401 on alibabacloud-tea-openapi) runs against it
/// (scripts/alibaba-sdk-pin.py), signing with V3 and V1 as the fake verifies, and must decode every
/// answer and error as it decodes Alibaba Cloud's.
@Suite(.enabled(if: AlibabaFakeServer.isAvailable, "scripts/install-deps.sh alibaba installs the Python packages"))
struct AlibabaFakePinTests {
    @Test func theOfficialSDKAgreesWithTheFake() async throws {
        let (status, log) = try await FakeService.runPin("alibaba-sdk-pin.py", timeout: .seconds(300))
        #expect(status == 0, "\(log.suffix(3000))")
        #expect(log.contains(" checks"), "\(log.suffix(3000))")
    }
}
