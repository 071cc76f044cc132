import ExternalSecretsAPI
import Foundation
import Generators
import ProviderKit
import SeededRandomTestSupport
import Testing

@Suite struct PasswordGenerationTests {
    static let lower = Set("abcdefghijklmnopqrstuvwxyz")
    static let upper = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    static let digits = Set("0123456789")

    static func password(_ spec: PasswordSpec, seed: UInt64 = 1, key: String = "password") throws -> String {
        var random = SplitMix64(state: seed)
        let values = try PasswordGeneration.generate(spec, using: &random)
        return String(decoding: try #require(values[key]), as: UTF8.self)
    }

    @Test func defaultsAreESOs() throws {
        // 24 characters: a quarter digits, a quarter ESO's symbols, the rest letters, none repeated.
        for seed in UInt64(1)...50 {
            let password = try Self.password(PasswordSpec(), seed: seed)
            #expect(password.count == 24)
            #expect(password.filter(Self.digits.contains).count == 6)
            #expect(password.filter(PasswordGeneration.defaultSymbolCharacters.contains).count == 6)
            #expect(password.filter { Self.lower.contains($0) || Self.upper.contains($0) }.count == 12)
            #expect(Set(password).count == 24)
        }
    }

    @Test(arguments: [
        (length: 8, digits: 0, symbols: 0), (length: 40, digits: 10, symbols: 5), (length: 5, digits: 5, symbols: 0),
        (length: 3, digits: 0, symbols: 3),
    ])
    func countsAreExact(length: Int, digits: Int, symbols: Int) throws {
        let password = try Self.password(
            PasswordSpec(length: length, digits: digits, symbols: symbols, symbolCharacters: "-_+*/"))
        #expect(password.count == length)
        #expect(password.filter(Self.digits.contains).count == digits)
        #expect(password.filter("-_+*/".contains).count == symbols)
    }

    @Test func noUpperLeavesOutUpperCase() throws {
        for seed in UInt64(1)...20 {
            let password = try Self.password(PasswordSpec(length: 30, noUpper: true), seed: seed)
            #expect(!password.contains(where: Self.upper.contains))
        }
    }

    @Test func allowRepeatAllowsMoreLettersThanTheAlphabet() throws {
        let spec = PasswordSpec(length: 200, digits: 0, symbols: 0, noUpper: true, allowRepeat: true)
        let password = try Self.password(spec)
        #expect(password.count == 200 && password.allSatisfy(Self.lower.contains))
        #expect(throws: ProviderError.self) {
            try Self.password(PasswordSpec(length: 200, digits: 0, symbols: 0, noUpper: true))
        }
    }

    @Test func theOrderIsRandomNotByClass() throws {
        // Over many passwords, digits appear at every position (go-password inserts at random places).
        var positions = Set<Int>()
        for seed in UInt64(1)...200 {
            let password = Array(try Self.password(PasswordSpec(length: 10, digits: 1, symbols: 0), seed: seed))
            positions.insert(try #require(password.firstIndex(where: Self.digits.contains)))
        }
        #expect(positions == Set(0..<10))
    }

    @Test func sameRandomnessSamePasswordOtherwiseDifferent() throws {
        #expect(try Self.password(PasswordSpec(), seed: 7) == Self.password(PasswordSpec(), seed: 7))
        #expect(try Self.password(PasswordSpec(), seed: 7) != Self.password(PasswordSpec(), seed: 8))
    }

    @Test func eachSecretKeyGetsItsOwnPassword() throws {
        var random = SplitMix64(state: 3)
        let values = try PasswordGeneration.generate(PasswordSpec(secretKeys: ["a", "b", "c"]), using: &random)
        #expect(values.keys.sorted() == ["a", "b", "c"])
        #expect(Set(values.values).count == 3)
    }

    @Test(arguments: [[""], ["a", "a"]])
    func secretKeysMustBeNonEmptyAndUnique(keys: [String]) throws {
        var random = SplitMix64(state: 3)
        #expect(throws: ProviderError.self) {
            try PasswordGeneration.generate(PasswordSpec(secretKeys: keys), using: &random)
        }
    }

    @Test(arguments: [0, -1, 65_537, 10_000_000])
    func lengthsOutOfBoundsAreClearErrorsNotHangs(length: Int) throws {
        var random = SplitMix64(state: 3)
        let clock = ContinuousClock()
        let started = clock.now
        do {
            _ = try PasswordGeneration.generate(PasswordSpec(length: length), using: &random)
            Issue.record("length \(length) was accepted")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains("spec.length") && error.message.contains("\(length)"))
        }
        #expect(clock.now - started < .seconds(1))
    }

    @Test func theLongestPasswordIsQuick() throws {
        let clock = ContinuousClock()
        let started = clock.now
        let spec = PasswordSpec(length: PasswordGeneration.maximumLength, allowRepeat: true)
        #expect(try Self.password(spec).count == PasswordGeneration.maximumLength)
        #expect(clock.now - started < .seconds(10))
    }

    @Test(arguments: [
        PasswordSpec(length: 10, digits: 8, symbols: 5),
        PasswordSpec(length: 20, digits: 11, symbols: 0),
        PasswordSpec(length: 20, digits: 0, symbols: 4, symbolCharacters: "!!!"),
        PasswordSpec(length: 10, digits: -1),
        // Symbols that are all letters already used: ESO loops forever here.
        PasswordSpec(length: 54, digits: 0, symbols: 2, symbolCharacters: "ab"),
    ])
    func impossibleSpecsAreRefused(spec: PasswordSpec) throws {
        var random = SplitMix64(state: 3)
        #expect(throws: ProviderError.self) { try PasswordGeneration.generate(spec, using: &random) }
    }

    @Test func emptySymbolCharactersUseGoPasswordsSymbolsAsESODoes() throws {
        let password = try Self.password(PasswordSpec(length: 8, digits: 0, symbols: 8, symbolCharacters: ""))
        #expect(Set(password) == Set("!@#$%,-."))
    }

    @Test func encodingsAreGos() throws {
        let text = "a?b>c~"
        func encoded(_ encoding: PasswordEncoding) -> String {
            String(decoding: PasswordGeneration.encode(text, as: encoding), as: UTF8.self)
        }
        // Values computed with Go's encoding/base64, base32 and hex.
        #expect(encoded(.raw) == "a?b>c~")
        #expect(encoded(.base64) == "YT9iPmN+")
        #expect(encoded(.base64url) == "YT9iPmN-")
        #expect(encoded(.base32) == "ME7WEPTDPY======")
        #expect(encoded(.hex) == "613f623e637e")
        #expect(String(decoding: PasswordGeneration.encode("a?", as: .base64url), as: UTF8.self) == "YT8=")
    }

    @Test(arguments: ["", "f", "fo", "foo", "foob", "fooba", "foobar"])
    func base32RoundTripsRFC4648Vectors(text: String) throws {
        let expected = [
            "": "", "f": "MY======", "fo": "MZXQ====", "foo": "MZXW6===", "foob": "MZXW6YQ=",
            "fooba": "MZXW6YTB", "foobar": "MZXW6YTBOI======",
        ][text]
        #expect(Base32.encode(Data(text.utf8)) == expected)
        #expect(Base32.decode(try #require(expected)) == Data(text.utf8))
    }
}
