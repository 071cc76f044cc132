import Foundation
import GoCompat
import Testing

/// GJSON against gjson 1.14.4 itself, on the pipeline oracle's corpus (`Oracle/`, shared with the
/// pipeline's property, base64 and extract cases, so it stays beside them).
@Suite struct GJSONOracleTests {
    @Test(arguments: PipelineOracle.gjsonCases)
    func matchesGjson(_ c: PipelineOracle.GJSONCase) throws {
        let result = try GJSON.get(c.json, path: c.path)
        #expect((result != nil) == c.expected.exists)
        #expect(result?.stringBytes ?? [] == c.expected.string.bytes)
        #expect(result?.raw ?? [] == c.expected.raw.bytes)
    }
}
