import Foundation
import KubeTestSupport
import Testing

/// The fake of Key Vault and Entra ID, pinned to reality: Microsoft's official Python clients
/// (azure-keyvault-secrets, -certificates, -keys and azure-identity with MSAL) run against it over
/// HTTPS (scripts/azure-sdk-pin.py) and must decode every answer as they decode Azure's.
@Suite(.enabled(if: AzureFakeServer.isAvailable, "scripts/install-deps.sh azure installs the Python packages"))
struct AzureFakePinTests {
    @Test func theOfficialClientsAgreeWithTheFake() async throws {
        let (status, log) = try await FakeService.runPin("azure-sdk-pin.py", timeout: .seconds(300))
        #expect(status == 0, "\(log.suffix(3000))")
        #expect(log.contains(" checks"), "\(log.suffix(3000))")
    }
}
