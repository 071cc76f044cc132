import Foundation
import Testing

@testable import ProviderKubernetes

/// The JSON text ESO produces, checked against Go's `encoding/json` (outputs recorded from Go
/// with `SetEscapeHTML(false)`). `\b` and `\f` follow Go 1.22+, which ESO 2.9 is built with.
@Suite struct GoJSONTests {
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
        var out: [UInt8] = []
        GoJSON.appendString(input, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == expected)
    }

    @Test(arguments: [
        (0.0, "0"), (-0.0, "-0"), (1, "1"), (-1, "-1"), (0.1, "0.1"), (100, "100"), (123_456_789, "123456789"),
        (1e20, "100000000000000000000"), (1e21, "1e+21"), (1.5e21, "1.5e+21"), (1e-6, "0.000001"), (1e-7, "1e-7"),
        (1.25e-7, "1.25e-7"), (1e-10, "1e-10"), (123.456, "123.456"), (Double.leastNonzeroMagnitude, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"), (Double("12345678901234567890")!, "12345678901234567000"),
        (0.000001234, "0.000001234"), (2.5e100, "2.5e+100"), (-3.75e-8, "-3.75e-8"),
    ])
    func floatsAreFormattedLikeGo(value: Double, expected: String) {
        #expect(GoJSON.formatFloat(value) == expected)
    }

    @Test func mapKeysAreSortedByBytes() {
        let map: [String: [UInt8]] = ["b": [0x31], "B": [0x32], "a": [], "é": [0x33], "z": [0x34]]
        #expect(
            String(decoding: GoJSON.encodeStringMap(map), as: UTF8.self) == #"{"B":"2","a":"","b":"1","z":"4","é":"3"}"#
        )
    }

    @Test func decodingFollowsGoUnmarshal() throws {
        let parsed = try GoJSON.parse(
            Array(
                "{\"a\":\"x\\ud800y\",\"b\":\"\\ud83d\\ude00\",\"c\":\"\u{FFFD}\",\"d\":1,\"d\":2,\"e\":[1.0,2.50,-0.0]}"
                    .utf8))
        #expect(
            String(decoding: GoJSON.encode(parsed), as: UTF8.self)
                == "{\"a\":\"x\u{FFFD}y\",\"b\":\"😀\",\"c\":\"\u{FFFD}\",\"d\":2,\"e\":[1,2.5,-0]}")
        #expect(try GoJSON.parse(Array([0x22, 0xFF, 0x22])) == .string("\u{FFFD}"))
        for invalid in ["", "{", "{\"a\":}", "01", "1e400", "\"\u{01}\"", "[1,]", "{\"a\":1}x", "\"\\x\""] {
            #expect(throws: GoJSON.SyntaxError.self, "\(invalid)") { try GoJSON.parse(Array(invalid.utf8)) }
        }
    }
}
