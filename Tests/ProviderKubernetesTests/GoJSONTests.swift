import Foundation
import Testing

@testable import ProviderKubernetes

/// The JSON text this provider produces (string and number encoding: GoCompat's oracle).
@Suite struct GoJSONTests {
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
