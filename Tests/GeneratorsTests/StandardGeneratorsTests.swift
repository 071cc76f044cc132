import ExternalSecretsAPI
import Foundation
import Generators
import KubeModel
import ProviderKit
import ProviderTestSupport
import Testing

/// The pure kinds through the `SecretGenerator` protocol and a `GeneratorRegistry`, as the core
/// runs them.
@Suite struct StandardGeneratorsTests {
    @Test func theRegistryFindsEveryPureKindAndItsResource() throws {
        let registry = GeneratorRegistry([StandardGenerators()])
        #expect(registry.kinds == ["Password", "UUID", "SSHKey", "Fake", "MFA"])
        #expect(registry.resource(ofKind: "MFA")?.plural == "mfas")
        #expect(registry.resource(ofKind: "Password")?.group == GeneratorsAPIGroup.group)
        #expect(registry.generator(ofKind: "ECRAuthorizationToken") == nil)
        #expect(registry.resource(ofKind: "ClusterGenerator") == nil)
    }

    @Test func aKindRegisteredTwiceIsRunByTheFirstRegistration() throws {
        let registry = GeneratorRegistry([StandardGenerators(), StandardGenerators()])
        #expect(registry.kinds.count == 5)
    }

    @Test func pureKindsGenerateThroughTheProtocol() async throws {
        let generator = StandardGenerators()
        let references = FakeReferences(secrets: ["seed/key": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"])
        let password = try await generator.generate(
            kind: "Password", spec: ["length": 12, "secretKeys": ["a", "b"]], references: references, now: Date()).data
        #expect(password.keys.sorted() == ["a", "b"])
        #expect(password["a"]?.count == 12)
        let otp = try await generator.generate(
            kind: "MFA", spec: ["secret": ["name": "seed", "key": "key"], "length": 8], references: references,
            now: Date(timeIntervalSince1970: 59)).data
        #expect(otp["token"] == Data("94287082".utf8))
        let fake = try await generator.generate(
            kind: "Fake", spec: ["data": ["k": "v"]], references: references, now: Date()).data
        #expect(fake == ["k": Data("v".utf8)])
        await #expect(throws: ProviderError.self) {
            try await generator.generate(
                kind: "Password", spec: ["length": "long"], references: references, now: Date())
        }
    }

    @Test func onlyAFakeSpecNamesAControllerClass() {
        let generator = StandardGenerators()
        #expect(generator.controllerClass(kind: "Fake", spec: ["controller": "team-b"]) == "team-b")
        #expect(generator.controllerClass(kind: "Fake", spec: ["controller": ""]) == nil)
        #expect(generator.controllerClass(kind: "Password", spec: [:]) == nil)
    }
}
