import Foundation
import Testing

/// The committed Go oracle (`Oracle/README.md`): the corpus and what Go produced for it.
enum GoOracle {
    static let directory = Bundle.module.resourceURL!.appendingPathComponent("Oracle")

    /// Go's `/usr/bin/go` is present, so the committed expectations can be re-checked.
    static let goAvailable = FileManager.default.isExecutableFile(atPath: "/usr/bin/go")

    /// A byte string in `expected.json`: text when valid UTF-8, else base64.
    struct Bytes: Decodable, Sendable, Equatable {
        var text: String?
        var base64: String?
        var bytes: [UInt8] {
            if let text { return Array(text.utf8) }
            return [UInt8](Data(base64Encoded: base64 ?? "") ?? Data())
        }
        /// The bytes as a Swift string (invalid UTF-8 repaired to U+FFFD, as Swift does).
        var string: String { String(decoding: bytes, as: UTF8.self) }
    }

    /// Decodes `corpus.json`'s section and pairs each case with Go's result, in order.
    static func load<Case: Decodable, Expected: Decodable>(
        _ section: String, _: Case.Type, _: Expected.Type, name: (Case) -> String, expectedName: (Expected) -> String
    ) -> [(Case, Expected)] {
        do {
            let corpus = try JSONSerialization.jsonObject(
                with: Data(contentsOf: directory.appendingPathComponent("corpus.json"))) as? [String: Any]
            let expected = try JSONSerialization.jsonObject(
                with: Data(contentsOf: directory.appendingPathComponent("expected.json"))) as? [String: Any]
            let cases = try JSONDecoder().decode(
                [Case].self, from: JSONSerialization.data(withJSONObject: corpus?[section] ?? []))
            let results = try JSONDecoder().decode(
                [Expected].self, from: JSONSerialization.data(withJSONObject: expected?[section] ?? []))
            precondition(cases.count == results.count, "expected.json is stale: regenerate it (Oracle/README.md)")
            for (c, e) in zip(cases, results) {
                precondition(name(c) == expectedName(e), "expected.json is out of order at \(name(c))")
            }
            return Array(zip(cases, results))
        } catch {
            preconditionFailure("cannot read the GoCompat oracle: \(error)")
        }
    }
}

@Suite struct GoOracleFileTests {
    /// Re-runs the Go oracle and checks the committed `expected.json` is what Go prints today.
    @Test(.enabled(if: GoOracle.goAvailable)) func committedExpectationsAreCurrent() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/go")
        process.arguments = ["run", "oracle.go", "corpus.json"]
        process.currentDirectoryURL = GoOracle.directory
        var environment = ProcessInfo.processInfo.environment
        environment["GO111MODULE"] = "off"
        environment["GOCACHE"] = FileManager.default.temporaryDirectory.appendingPathComponent("gocompat-oracle-gocache").path
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let produced = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let committed = try Data(contentsOf: GoOracle.directory.appendingPathComponent("expected.json"))
        #expect(produced == committed, "expected.json is stale: regenerate it (Oracle/README.md)")
    }
}
