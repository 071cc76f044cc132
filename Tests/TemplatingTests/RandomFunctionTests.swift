import Foundation
import SeededRandomTestSupport
import Synchronization
import Templating
import Testing

/// A deterministic random source for tests: SplitMix64 behind a mutex.
final class SeededBytes: Sendable {
    private let state: Mutex<SplitMix64>

    init(seed: UInt64) { state = Mutex(SplitMix64(state: seed)) }

    var environment: RenderEnvironment {
        RenderEnvironment(randomBytes: { count in
            self.state.withLock { rng in (0..<max(0, count)).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }
        })
    }
}

@Suite("Random functions (injected source)")
struct RandomFunctionTests {
    private func render(_ text: String, seed: UInt64 = 42) throws -> String {
        try Template(name: "t", text: text).render(.null, environment: SeededBytes(seed: seed).environment)
    }

    @Test(arguments: [
        ("randAlphaNum", "^[A-Za-z0-9]{24}$"), ("randAlpha", "^[A-Za-z]{24}$"), ("randNumeric", "^[0-9]{24}$"),
        ("randAscii", "^[ -~]{24}$"),
    ])
    func randomStringsUseTheirAlphabet(_ name: String, _ pattern: String) throws {
        let out = try render("{{ \(name) 24 }}")
        #expect(out.range(of: pattern, options: .regularExpression) != nil)
        #expect(try render("[{{ \(name) 0 }}][{{ \(name) -3 }}]") == "[][]")
    }

    @Test func sameSeedSameOutputDifferentSeedDifferentOutput() throws {
        #expect(try render("{{ randAlphaNum 32 }}", seed: 1) == (try render("{{ randAlphaNum 32 }}", seed: 1)))
        #expect(try render("{{ randAlphaNum 32 }}", seed: 1) != (try render("{{ randAlphaNum 32 }}", seed: 2)))
    }

    @Test func uuidv4IsVersion4() throws {
        let out = try render("{{ uuidv4 }}")
        #expect(
            out.range(
                of: "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", options: .regularExpression
            ) != nil)
    }

    @Test func randIntStaysInRange() throws {
        for seed in 0..<50 {
            let v = Int(try render("{{ randInt -3 4 }}", seed: UInt64(seed)))!
            #expect((-3..<4).contains(v))
        }
        #expect(throws: TemplateError.self) { try render("{{ randInt 4 4 }}") }
    }

    @Test func encryptAESRoundTripsThroughDecryptAES() throws {
        #expect(try render(#"{{ encryptAES "pw" "top secret" | decryptAES "pw" }}"#) == "top secret")
        #expect(try render(#"{{ encryptAES "pw" "0123456789abcdef" | b64dec | len }}"#) == "48")
        #expect(try render(#"[{{ encryptAES "pw" "" }}]"#) == "[]")
    }

    @Test func shuffleAndRandBytes() throws {
        #expect(try render(#"{{ shuffle "abcdef" | splitList "" | sortAlpha | join "" }}"#) == "abcdef")
        #expect(try render("{{ randBytes 20 | b64dec | len }}") == "20")
    }

    @Test func withoutARandomSourceRandomFunctionsFail() {
        for text in ["{{ randAlphaNum 3 }}", "{{ uuidv4 }}", "{{ randInt 0 9 }}", #"{{ encryptAES "k" "x" }}"#] {
            #expect(throws: TemplateError.self) { try Template(name: "t", text: text).render(.null) }
        }
    }
}
