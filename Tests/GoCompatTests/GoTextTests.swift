import Foundation
import GoCompat
import GoOracleTestSupport
import Testing

/// A corpus case that is one byte string (`input`, or `inputBase64` for bytes that are not UTF-8).
struct BytesInput: Decodable, Sendable {
    var name: String
    var input: String
    var inputBase64: String?
    var bytes: [UInt8] { inputBase64.map { [UInt8](Data(base64Encoded: $0) ?? Data()) } ?? Array(input.utf8) }
}

struct OracleCase<Input: Decodable & Sendable, Expected: Decodable & Sendable>: Sendable, CustomTestStringConvertible {
    var input: Input
    var expected: Expected
    var testDescription: String
}

enum TextOracle {
    struct DurationInput: Decodable, Sendable {
        var name: String
        var text: String
        var nanoseconds: Int64
    }
    struct DurationExpected: Decodable, Sendable {
        var name: String
        var parsed: Int64?
        var string: String
    }
    struct QuoteExpected: Decodable, Sendable {
        var name: String
        var quote: String
        var ascii: String
        var firstRune: String?
    }
    struct Decoded: Decodable, Sendable {
        var output: GoOracle.Bytes?
        var errorOffset: Int?
    }
    struct Base64Expected: Decodable, Sendable {
        var name: String
        var std: String
        var url: String
        var rawStd: String
        var rawURL: String
        var decodeStd: Decoded
        var decodeURL: Decoded
    }

    static let durations = GoOracle.goCompat.load("duration", DurationInput.self, DurationExpected.self, name: \.name, expectedName: \.name)
        .map { OracleCase(input: $0.0, expected: $0.1, testDescription: $0.0.name) }
    static let quotes = GoOracle.goCompat.load("quote", BytesInput.self, QuoteExpected.self, name: \.name, expectedName: \.name)
        .map { OracleCase(input: $0.0, expected: $0.1, testDescription: $0.0.name) }
    static let base64 = GoOracle.goCompat.load("base64", BytesInput.self, Base64Expected.self, name: \.name, expectedName: \.name)
        .map { OracleCase(input: $0.0, expected: $0.1, testDescription: $0.0.name) }
}

@Suite struct GoDurationTests {
    @Test(arguments: TextOracle.durations)
    func matchesGo(_ c: OracleCase<TextOracle.DurationInput, TextOracle.DurationExpected>) {
        #expect(GoDuration.parseNanoseconds(c.input.text) == c.expected.parsed)
        #expect(GoDuration.parse(c.input.text) == c.expected.parsed.map { Duration.nanoseconds($0) })
        #expect(GoDuration.string(nanoseconds: c.input.nanoseconds) == c.expected.string)
        #expect(GoDuration.string(.nanoseconds(c.input.nanoseconds)) == c.expected.string)
    }

    @Test func corpusIsLoaded() {
        #expect(TextOracle.durations.count >= 40)
        #expect(TextOracle.durations.contains { $0.expected.parsed == nil })
    }

    /// Swift durations beyond Go's int64 nanoseconds print as Go's extreme values.
    @Test func stringClampsToGoRange() {
        #expect(GoDuration.string(.seconds(Int64.max)) == "2562047h47m16.854775807s")
        #expect(GoDuration.string(.seconds(Int64.min)) == "-2562047h47m16.854775808s")
    }
}

@Suite struct GoQuoteTests {
    @Test(arguments: TextOracle.quotes)
    func matchesGo(_ c: OracleCase<BytesInput, TextOracle.QuoteExpected>) {
        #expect(GoQuote.quote(bytes: c.input.bytes) == c.expected.quote)
        #expect(GoQuote.quote(bytes: c.input.bytes, asciiOnly: true) == c.expected.ascii)
        if c.input.inputBase64 == nil {
            #expect(GoQuote.quote(c.input.input) == c.expected.quote)
            let first = c.input.input.unicodeScalars.first.map { GoQuote.quoteRune(Int64($0.value)) }
            #expect(first == c.expected.firstRune)
        }
    }

    @Test func corpusIsLoaded() { #expect(TextOracle.quotes.count >= 10) }
}

@Suite struct GoBase64Tests {
    @Test(arguments: TextOracle.base64)
    func matchesGo(_ c: OracleCase<BytesInput, TextOracle.Base64Expected>) {
        let b = c.input.bytes
        #expect(GoBase64.encode(b) == c.expected.std)
        #expect(GoBase64.encode(b, urlAlphabet: true) == c.expected.url)
        #expect(GoBase64.encode(b, padded: false) == c.expected.rawStd)
        #expect(GoBase64.encode(b, urlAlphabet: true, padded: false) == c.expected.rawURL)
        for (url, expected) in [(false, c.expected.decodeStd), (true, c.expected.decodeURL)] {
            switch GoBase64.decode(b, urlAlphabet: url) {
            case .success(let out): #expect(out == expected.output?.bytes && expected.errorOffset == nil)
            case .failure(let e): #expect(e.offset == expected.errorOffset && expected.output == nil)
            }
        }
    }

    @Test func corpusIsLoaded() { #expect(TextOracle.base64.count >= 10) }
}

@Suite struct GoJSONStringTests {
    struct Expected: Decodable, Sendable {
        var name: String
        var marshal: String
        var noEscapeHTML: String
        var map: String
    }

    static let cases = GoOracle.goCompat.load("jsonString", BytesInput.self, Expected.self, name: \.name, expectedName: \.name)
        .map { OracleCase(input: $0.0, expected: $0.1, testDescription: $0.0.name) }

    @Test(arguments: cases)
    func matchesGo(_ c: OracleCase<BytesInput, Expected>) {
        let b = c.input.bytes
        #expect(GoJSONString.quote(bytes: b, escapeHTML: true) == c.expected.marshal)
        #expect(GoJSONString.quote(bytes: b, escapeHTML: false) == c.expected.noEscapeHTML)
        // Keys are Swift strings (valid UTF-8); Go's literal with a repeated key is skipped.
        if c.input.inputBase64 == nil && !["", "v"].contains(c.input.input) {
            let s = c.input.input
            let map: [String: [UInt8]] = ["v": Array(s.utf8), s: Array("k".utf8), "": Array("empty".utf8)]
            #expect(String(decoding: GoJSONString.encodeStringMap(map, escapeHTML: true), as: UTF8.self) == c.expected.map)
        }
    }

    /// Go 1.22+ (ESO's Go) writes `\b` and `\f` short; the Go 1.19 oracle writes `\u0008`, `\u000c`.
    @Test func backspaceAndFormFeedAreShort() {
        #expect(GoJSONString.quote("\u{8}\u{C}", escapeHTML: true) == #""\b\f""#)
    }

    @Test func corpusIsLoaded() { #expect(Self.cases.count >= 10) }

    /// Outputs recorded from Go 1.22+ with `SetEscapeHTML(false)` (ESO's `JSONMarshal`).
    @Test(arguments: [
        ([UInt8]("plain".utf8), #""plain""#),
        (Array(#"<a href="x">&amp;</a>"#.utf8), #""<a href=\"x\">&amp;</a>""#),
        (Array("tab\tnl\ncr\r\u{01}\u{1f}\u{7f}".utf8), "\"tab\\tnl\\ncr\\r\\u0001\\u001f\u{7f}\""),
        ([0x08, 0x0C], #""\b\f""#),
        ([0xFF, 0xFE, 0x61], #""\ufffd\ufffda""#),
        ([0xE2, 0x82, 0x41], #""\ufffd\ufffdA""#),
        ([0xED, 0xA0, 0x80], #""\ufffd\ufffd\ufffd""#),
        ([0xF4, 0x90, 0x80, 0x80], #""\ufffd\ufffd\ufffd\ufffd""#),
        ([0xC0, 0xAF], #""\ufffd\ufffd""#),
        (Array("\u{2028}\u{2029}\u{FFFD}".utf8), "\"\\u2028\\u2029\u{FFFD}\""),
        (Array("é日本🎉".utf8), "\"é日本🎉\""),
        ([0xF0, 0x9F, 0x8E], #""\ufffd\ufffd\ufffd""#),
        (Array(#"/\"#.utf8), #""/\\""#),
    ])
    func stringsAreQuotedLikeGo(input: [UInt8], expected: String) {
        #expect(GoJSONString.quote(bytes: input, escapeHTML: false) == expected)
    }
}

@Suite struct GoJSONNumberTests {
    struct Input: Decodable, Sendable {
        var name: String
        var text: String
    }
    struct Expected: Decodable, Sendable {
        var name: String
        var marshal: String
    }

    static let cases = GoOracle.goCompat.load("jsonNumber", Input.self, Expected.self, name: \.name, expectedName: \.name)
        .map { OracleCase(input: $0.0, expected: $0.1, testDescription: $0.0.name) }

    @Test(arguments: cases)
    func matchesGo(_ c: OracleCase<Input, Expected>) throws {
        let value = try #require(Double(c.input.text))
        #expect(GoJSONNumber.format(value) == c.expected.marshal)
    }

    @Test func corpusIsLoaded() { #expect(Self.cases.count >= 20) }
}

@Suite struct GoJSONValueTests {
    struct Expected: Decodable, Sendable {
        var name: String
        var literal: String?
        var float64: String?
        var formatted: String?
    }

    static let cases = GoOracle.goCompat.load("jsonValue", BytesInput.self, Expected.self, name: \.name, expectedName: \.name)
        .map { OracleCase(input: $0.0, expected: $0.1, testDescription: $0.0.name) }

    /// Decoded and marshalled again: with `UseNumber` (literal numbers) and without (float64), and
    /// the latter as `fmt`'s `%v` writes it.
    @Test(arguments: cases)
    func matchesGo(_ c: OracleCase<BytesInput, Expected>) {
        let literal = try? GoJSONValue.parse(c.input.bytes).marshal(numbers: .literal)
        #expect(literal.map { String(decoding: $0, as: UTF8.self) } == c.expected.literal)
        let float = try? GoJSONValue.parse(c.input.bytes, numbers: .float64).marshal(numbers: .float64)
        #expect(float.map { String(decoding: $0, as: UTF8.self) } == c.expected.float64)
        let formatted = try? GoJSONValue.parse(c.input.bytes, numbers: .float64).formatted()
        #expect(formatted == c.expected.formatted)
    }

    @Test func corpusIsLoaded() { #expect(Self.cases.count >= 15) }

    @Test func nestingBeyondTheLimitIsRefused() {
        let deep = Array(String(repeating: "[", count: 600).utf8) + Array(String(repeating: "]", count: 600).utf8)
        #expect(throws: GoJSONValue.SyntaxError.self) { try GoJSONValue.parse(deep, maxDepth: 512) }
        #expect((try? GoJSONValue.parse(deep)) != nil)
    }
}

@Suite struct GoJSONObjectTextTests {
    struct Expected: Decodable, Sendable {
        var name: String
        var members: [String: GoOracle.Bytes]?
        var error: Bool
    }

    static let cases = GoOracle.goCompat.load("jsonObject", BytesInput.self, Expected.self, name: \.name, expectedName: \.name)
        .map { OracleCase(input: $0.0, expected: $0.1, testDescription: $0.0.name) }

    /// `json.Unmarshal` into `map[string]json.RawMessage`: the members' texts as written, nothing
    /// for `null`, a refusal for invalid JSON and for documents that are not objects.
    @Test(arguments: cases)
    func matchesGo(_ c: OracleCase<BytesInput, Expected>) {
        let members: [GoJSONValue.RawMember]?
        do {
            members = try GoJSONValue.rawMembers(c.input.bytes)
        } catch {
            #expect(c.expected.error)
            return
        }
        #expect(!c.expected.error)
        // A repeated key: the last one wins in Go's map.
        let last = members.map { Dictionary($0.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last }) }
        #expect(last == c.expected.members?.mapValues(\.bytes))
        #expect((try? GoJSONObjectText.parse(c.input.bytes))?.members == members)
    }

    @Test func corpusIsLoaded() { #expect(Self.cases.count >= 20) }

    /// Members are checked without recursion: Go's limit of 10000 levels holds, and reaching it
    /// costs no stack.
    @Test func deepNestingIsBoundedWithoutRecursion() throws {
        func nested(_ levels: Int) -> [UInt8] {
            Array(("{\"a\":" + String(repeating: "[", count: levels) + String(repeating: "]", count: levels) + "}").utf8)
        }
        #expect(try GoJSONValue.rawMembers(nested(9_000))?.first?.value.count == 18_000)
        #expect(throws: GoJSONValue.SyntaxError.self) { try GoJSONValue.rawMembers(nested(20_000)) }
    }

    @Test func editsKeepOtherMembersAsWritten() throws {
        var object = try #require(try GoJSONObjectText.parse(Array(#"{"n":1.50, "o":{ "k" : "\u00e9" }}"#.utf8)))
        try object.set(["o", "new"], Array(#""v""#.utf8))
        try object.set(["x", "y"], Array("2".utf8))
        #expect(String(decoding: object.bytes, as: UTF8.self) == #"{"n":1.50,"o":{"k":"\u00e9","new":"v"},"x":{"y":2}}"#)
        #expect(object.value(at: ["o", "k"]) == Array(#""\u00e9""#.utf8))
        #expect(GoJSONObjectText.string(object.value(at: ["o", "k"]) ?? []) == "é")
        #expect(throws: GoJSONObjectText.EditError.self) { try object.set(["n", "deeper"], Array("1".utf8)) }
        let removed = object.remove(["x", "y"])
        #expect(removed)
        let removedAgain = object.remove(["x"])
        #expect(!removedAgain)
        #expect(String(decoding: object.bytes, as: UTF8.self) == #"{"n":1.50,"o":{"k":"\u00e9","new":"v"}}"#)
    }
}
