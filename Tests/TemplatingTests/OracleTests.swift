import Foundation
import GoOracleTestSupport
import Templating
import Testing

/// One corpus case and what Go produced for it.
struct OracleCase: Sendable, CustomTestStringConvertible {
    var name: String
    var template: String
    var data: Value
    var delims: (String, String)?
    var missingKey: MissingKeyPolicy
    /// Go's output bytes, or nil when Go failed.
    var expected: [UInt8]?
    var goError: String?

    var testDescription: String { name }
}

enum Oracle {
    static let oracle = GoOracle(testTarget: "TemplatingTests")
    static let corpusURL = oracle.corpusURL
    static let expectedURL = oracle.expectedURL

    static func load(_ url: URL) -> Value {
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? "[]"
        do {
            return try Value.parseJSON(text, numbers: .integersAsInt)
        } catch {
            Issue.record("cannot parse \(url.lastPathComponent): \(error)")
            return .list([])
        }
    }

    static func field(_ v: Value, _ key: String) -> Value? {
        if case .map(let m) = v { return m[key] }
        return nil
    }

    static func string(_ v: Value?) -> String? {
        if case .string(let s)? = v { return s }
        return nil
    }

    /// Parses an oracle result list into name → (output bytes | nil, error text).
    static func results(_ v: Value) -> [String: (output: [UInt8]?, error: String?)] {
        guard case .list(let items, _, _) = v else { return [:] }
        var out: [String: (output: [UInt8]?, error: String?)] = [:]
        for item in items {
            guard let name = string(field(item, "name")) else { continue }
            if let e = string(field(item, "error")) {
                out[name] = (nil, e)
            } else if let o = string(field(item, "output")) {
                out[name] = (Array(o.utf8), nil)
            } else if let b = string(field(item, "outputBase64")), let d = Data(base64Encoded: b) {
                out[name] = ([UInt8](d), nil)
            }
        }
        return out
    }

    static func stringData(_ v: Value) -> Value {
        guard case .map(let m) = v else { return v }
        return .makeMap(m.entries, elem: .string)
    }

    /// `dataBase64`: a `map[string]string` of any bytes, as ESO passes `string(secret value)`.
    static func base64Data(_ v: Value) -> Value? {
        guard case .map(let m) = v else { return nil }
        var entries: [String: Value] = [:]
        for (key, value) in m.entries {
            guard case .string(let text) = value, let bytes = Data(base64Encoded: text) else { return nil }
            entries[key] = .string(String(goBytes: bytes))
        }
        return .makeMap(entries, elem: .string)
    }

    static let cases: [OracleCase] = {
        let expected = results(load(expectedURL))
        guard case .list(let items, _, _) = load(corpusURL) else { return [] }
        return items.map { item in
            let name = string(field(item, "name")) ?? "?"
            var delims: (String, String)?
            if case .list(let d, _, _)? = field(item, "delims"), d.count == 2,
                let l = string(d[0]), let r = string(d[1])
            {
                delims = (l, r)
            }
            var data = field(item, "data") ?? .missing
            if case .bool(true)? = field(item, "stringData") { data = stringData(data) }
            if let encoded = field(item, "dataBase64") {
                data = base64Data(encoded) ?? .missing
                if data == .missing { Issue.record("\(name): dataBase64 must map names to base64 text") }
            }
            let mk: MissingKeyPolicy =
                switch string(field(item, "missingkey")) {
                case "error": .error
                case "zero": .zero
                default: .invalid
                }
            let exp = expected[name]
            return OracleCase(
                name: name, template: string(field(item, "template")) ?? "", data: data, delims: delims,
                missingKey: mk, expected: exp?.output, goError: exp?.error)
        }
    }()

    /// Renders a case with the Swift engine: output bytes, or the error.
    static func render(_ c: OracleCase) -> Result<[UInt8], TemplateError> {
        do {
            let t = try Template(
                name: "main", text: c.template, functions: .eso, leftDelimiter: c.delims?.0 ?? "",
                rightDelimiter: c.delims?.1 ?? "", missingKey: c.missingKey)
            // Random and clock functions appear only in cases whose output does not depend on the
            // values drawn or the time read.
            return .success(try t.renderBytes(c.data, environment: .system))
        } catch {
            return .failure(error)
        }
    }
}

@Suite("Differential oracle: Go text/template + sprig 3.2.3")
struct OracleTests {
    @Test func corpusAndExpectationsAgree() {
        let names = Oracle.cases.map(\.name)
        #expect(names.count > 0)
        #expect(Set(names).count == names.count, "corpus case names must be unique")
        let missing = Oracle.cases.filter { $0.expected == nil && $0.goError == nil }.map(\.name)
        #expect(missing.isEmpty, "cases without a Go result (regenerate expected.json): \(missing)")
    }

    @Test(arguments: Oracle.cases)
    func rendersLikeGo(_ c: OracleCase) {
        let result = Oracle.render(c)
        switch (result, c.expected) {
        case (.success(let out), let expected?):
            #expect(
                out == expected,
                "\(c.name): got \(String(decoding: out, as: UTF8.self).debugDescription), Go: \(String(decoding: expected, as: UTF8.self).debugDescription)"
            )
        case (.failure(let error), let expected?):
            Issue.record(
                "\(c.name): Go rendered \(String(decoding: expected, as: UTF8.self).debugDescription), we failed: \(error)"
            )
        case (.success(let out), nil):
            Issue.record(
                "\(c.name): Go failed (\(c.goError ?? "")), we rendered \(String(decoding: out, as: UTF8.self).debugDescription)"
            )
        case (.failure, nil):
            break
        }
    }

    /// Re-runs the Go oracle so the committed expectations cannot drift from Go. Fails when Go or
    /// sprig is missing unless TEMPLATING_SKIP_GO_ORACLE=1.
    @Test func liveGoOracleMatchesCommittedExpectations() async throws {
        if ProcessInfo.processInfo.environment["TEMPLATING_SKIP_GO_ORACLE"] == "1" { return }
        guard GoOracle.canRun(needing: ["src/github.com/Masterminds/sprig/functions.go"]) else {
            Issue.record(
                "Go or sprig not found: run `scripts/install-deps.sh templates` or set TEMPLATING_SKIP_GO_ORACLE=1")
            return
        }
        let live = Oracle.results(try Value.parseJSON(String(decoding: try await Oracle.oracle.run(), as: UTF8.self)))
        let committed = Oracle.results(Oracle.load(Oracle.expectedURL))
        #expect(live.count == Oracle.cases.count)
        for c in Oracle.cases {
            guard let l = live[c.name] else {
                Issue.record("\(c.name): missing from live oracle output")
                continue
            }
            let k = committed[c.name]
            #expect(
                l.output == k?.output && (l.error == nil) == (k?.error == nil),
                "\(c.name): expected.json is stale; regenerate it (see Oracle/README.md)")
        }
    }
}
