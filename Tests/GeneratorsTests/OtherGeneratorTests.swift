import ExternalSecretsAPI
import Foundation
import Generators
import KubeModel
import ProviderKit
import ProviderTestSupport
import SeededRandomTestSupport
import Testing

@Suite struct UUIDAndFakeGenerationTests {
    @Test func uuidIsARandomVersion4UUIDInLowerCase() throws {
        var random = SplitMix64(state: 9)
        var seen = Set<Data>()
        for _ in 0..<100 {
            let values = UUIDGeneration.generate(using: &random)
            #expect(values.keys.sorted() == ["uuid"])
            let text = String(decoding: try #require(values["uuid"]), as: UTF8.self)
            let parsed = try #require(UUID(uuidString: text))
            #expect(parsed.uuidString.lowercased() == text)
            #expect(Array(text)[14] == "4")
            #expect("89ab".contains(Array(text)[19]))
            seen.insert(try #require(values["uuid"]))
        }
        #expect(seen.count == 100)
    }

    @Test func fakeReturnsItsData() {
        #expect(FakeGeneration.generate(FakeSpec(data: ["a": "1", "b": ""])) == ["a": Data("1".utf8), "b": Data()])
        #expect(FakeGeneration.generate(FakeSpec()).isEmpty)
    }
}

@Suite struct MFAGenerationTests {
    /// RFC 6238 appendix B: the seeds are these ASCII strings, the tokens 8 digits.
    static let seeds: [MFAGeneration.Algorithm: String] = [
        .sha1: "12345678901234567890",
        .sha256: "12345678901234567890123456789012",
        .sha512: "1234567890123456789012345678901234567890123456789012345678901234",
    ]
    static let vectors: [(time: Int64, algorithm: MFAGeneration.Algorithm, token: String)] = [
        (59, .sha1, "94287082"), (59, .sha256, "46119246"), (59, .sha512, "90693936"),
        (1_111_111_109, .sha1, "07081804"), (1_111_111_109, .sha256, "68084774"), (1_111_111_109, .sha512, "25091201"),
        (1_111_111_111, .sha1, "14050471"), (1_111_111_111, .sha256, "67062674"), (1_111_111_111, .sha512, "99943326"),
        (1_234_567_890, .sha1, "89005924"), (1_234_567_890, .sha256, "91819424"), (1_234_567_890, .sha512, "93441116"),
        (2_000_000_000, .sha1, "69279037"), (2_000_000_000, .sha256, "90698825"), (2_000_000_000, .sha512, "38618901"),
        (20_000_000_000, .sha1, "65353130"), (20_000_000_000, .sha256, "77737706"),
        (20_000_000_000, .sha512, "47863826"),
    ]

    static func seed(_ algorithm: MFAGeneration.Algorithm) -> Data {
        Data(Base32.encode(Data(seeds[algorithm]!.utf8)).utf8)
    }

    @Test(arguments: 0..<vectors.count)
    func rfc6238Vectors(index: Int) throws {
        let vector = Self.vectors[index]
        let spec = MFASpec(
            secret: SecretKeySelector(name: "seed", key: "key"), length: 8, algorithm: vector.algorithm.rawValue)
        let values = try MFAGeneration.generate(
            spec, seed: Self.seed(vector.algorithm), now: Date(timeIntervalSince1970: TimeInterval(vector.time)))
        #expect(values["token"] == Data(vector.token.utf8))
        let timeLeft = 30 - vector.time % 30
        #expect(values["timeLeft"] == Data(String(timeLeft).utf8))
    }

    @Test func defaultsAreSixDigitsSHA1ThirtySecondsAndWhenPinsTheTime() throws {
        // The last 6 digits of the SHA-1 vector at 59 s; `when` wins over `now`.
        let spec = MFASpec(
            secret: SecretKeySelector(name: "seed", key: "key"), when: KubeTime(Date(timeIntervalSince1970: 59)))
        let values = try MFAGeneration.generate(spec, seed: Self.seed(.sha1), now: Date(timeIntervalSince1970: 1e9))
        #expect(values["token"] == Data("287082".utf8))
        #expect(values["timeLeft"] == Data("1".utf8))
    }

    @Test func seedsWithSpacesLowerCaseAndPaddingAreAccepted() throws {
        let base32 = Base32.encode(Data("12345678901234567890".utf8)).lowercased()
        let spaced = base32.enumerated().map { $0.offset % 4 == 3 ? "\($0.element) " : "\($0.element)" }.joined()
        let spec = MFASpec(secret: SecretKeySelector(name: "seed", key: "key"), length: 8)
        let values = try MFAGeneration.generate(spec, seed: Data(spaced.utf8), now: Date(timeIntervalSince1970: 59))
        #expect(values["token"] == Data("94287082".utf8))
    }

    @Test func badSettingsAndSeedsAreClearErrorsWithoutTheSeed() throws {
        let selector = SecretKeySelector(name: "seed", key: "key")
        let now = Date(timeIntervalSince1970: 59)
        #expect(throws: ProviderError.self) {
            try MFAGeneration.generate(MFASpec(secret: selector, length: 11), seed: Self.seed(.sha1), now: now)
        }
        #expect(throws: ProviderError.self) {
            try MFAGeneration.generate(MFASpec(secret: selector, algorithm: "md5"), seed: Self.seed(.sha1), now: now)
        }
        do {
            _ = try MFAGeneration.generate(MFASpec(secret: selector), seed: Data("not-base32!".utf8), now: now)
            Issue.record("a seed that is not base32 was accepted")
        } catch {
            #expect(error.code == .invalidData && !error.message.contains("not-base32!"))
        }
    }

    @Test func theSeedIsReadInTheConsumersNamespaceThroughTheReader() async throws {
        let references = FakeReferences(secrets: ["seed/key": String(decoding: Self.seed(.sha1), as: UTF8.self)])
        let definition = try GeneratorDefinition(
            kind: "MFA", spec: ["secret": ["name": "seed", "key": "key", "namespace": "other"], "length": 8])
        var random = SplitMix64(state: 1)
        let values = try await definition.generate(
            references: references, now: Date(timeIntervalSince1970: 59), using: &random)
        #expect(values["token"] == Data("94287082".utf8))
        #expect(references.asked == ["secret seed/key"])
    }
}

@Suite struct GeneratorDefinitionTests {
    @Test func namespacedKindsDecodeTheirSpecAndAbsentSpecsMeanDefaults() throws {
        #expect(try GeneratorDefinition(kind: "Password", spec: ["length": 12]) == .password(PasswordSpec(length: 12)))
        #expect(try GeneratorDefinition(kind: "Password", spec: nil) == .password(PasswordSpec()))
        #expect(try GeneratorDefinition(kind: "UUID", spec: [:]) == .uuid)
        #expect(try GeneratorDefinition(kind: "Fake", spec: ["data": ["a": "b"]]) == .fake(FakeSpec(data: ["a": "b"])))
    }

    @Test func onlyAFakeSpecNamesAControllerClass() throws {
        #expect(try GeneratorDefinition(kind: "Fake", spec: ["controller": "team-b"]).controllerClass == "team-b")
        #expect(try GeneratorDefinition(kind: "Fake", spec: ["controller": ""]).controllerClass == nil)
        #expect(try GeneratorDefinition(kind: "Password", spec: [:]).controllerClass == nil)
    }

    @Test func unknownKindsAndBadSpecsAreClearErrors() {
        #expect(throws: ProviderError.self) { try GeneratorDefinition(kind: "VaultDynamicSecret", spec: [:]) }
        #expect(throws: ProviderError.self) { try GeneratorDefinition(kind: "Password", spec: ["length": "long"]) }
        #expect(throws: ProviderError.self) { try GeneratorDefinition(kind: "MFA", spec: nil) }
    }

    @Test func clusterGeneratorsHoldTheSpecOfTheirKind() throws {
        let generator = ClusterGenerator(
            metadata: ObjectMeta(name: "pw"),
            spec: ClusterGeneratorSpec(kind: "Password", generator: ["passwordSpec": ["length": 40]]))
        #expect(try GeneratorDefinition(clusterGenerator: generator) == .password(PasswordSpec(length: 40)))
        let mismatched = ClusterGenerator(
            metadata: ObjectMeta(name: "pw"),
            spec: ClusterGeneratorSpec(kind: "Password", generator: ["uuidSpec": [:]]))
        #expect(throws: ProviderError.self) { try GeneratorDefinition(clusterGenerator: mismatched) }
        let unsupported = ClusterGenerator(
            metadata: ObjectMeta(name: "v"),
            spec: ClusterGeneratorSpec(kind: "VaultDynamicSecret", generator: ["vaultDynamicSecretSpec": [:]]))
        #expect(throws: ProviderError.self) { try GeneratorDefinition(clusterGenerator: unsupported) }
    }
}
