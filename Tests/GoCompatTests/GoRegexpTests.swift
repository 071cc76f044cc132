import Foundation
import GoCompat
import GoOracleTestSupport
import Testing

struct RegexpOracleCase: Sendable, CustomTestStringConvertible {
    struct Input: Decodable, Sendable {
        var name: String
        var pattern: String
        var input: String
        var inputBase64: String?
        var n: Int?
        var repl: String?
    }

    struct Expected: Decodable, Sendable {
        var name: String
        var error: String?
        var subexpNames: [String]?
        var match: Bool
        var find: GoOracle.Bytes?
        var findIndex: [Int]?
        var findSubmatch: [GoOracle.Bytes]?
        var findSubmatchIndex: [Int]?
        var findAll: [GoOracle.Bytes]?
        var findAllIndex: [[Int]]?
        var findAllSubmatch: [[GoOracle.Bytes]]?
        var findAllSubmatchIndex: [[Int]]?
        var replaceAll: GoOracle.Bytes?
        var replaceAllLiteral: GoOracle.Bytes?
        var replaceAllFunc: GoOracle.Bytes?
        var split: [GoOracle.Bytes]?
        var quoteMeta: String
    }

    var input: Input
    var expected: Expected
    var testDescription: String { input.name }

    /// The input as Swift holds it: bytes that are not UTF-8 become U+FFFD.
    var text: String {
        input.inputBase64.map { String(decoding: Data(base64Encoded: $0) ?? Data(), as: UTF8.self) } ?? input.input
    }

    /// Byte offsets are comparable only when Swift's string has Go's bytes.
    var offsetsComparable: Bool { input.inputBase64 == nil }

    static let all: [RegexpOracleCase] = GoOracle.goCompat.load(
        "regexp", Input.self, Expected.self, name: \.name, expectedName: \.name
    ).map { RegexpOracleCase(input: $0.0, expected: $0.1) }
}

@Suite struct GoRegexpOracleTests {
    @Test func corpusIsLoaded() {
        #expect(RegexpOracleCase.all.count > 100)
        #expect(RegexpOracleCase.all.contains { $0.expected.error != nil })
    }

    @Test(arguments: RegexpOracleCase.all)
    func matchesGo(_ c: RegexpOracleCase) throws {
        let e = c.expected
        #expect(GoRegexp.quoteMeta(c.input.pattern) == e.quoteMeta)
        let re: GoRegexp
        do {
            re = try GoRegexp(c.input.pattern)
        } catch {
            #expect(error.message == e.error, "Go compiled it: \(e.error == nil)")
            return
        }
        try #require(e.error == nil, "Go refused it: \(e.error ?? "")")
        let s = c.text
        let n = c.input.n ?? -1
        let repl = c.input.repl ?? "<$0>"
        func strings(_ b: [GoOracle.Bytes]?) -> [String]? { b?.map(\.string) }
        #expect(re.subexpNames == e.subexpNames)
        #expect(re.numSubexp == (e.subexpNames?.count ?? 1) - 1)
        #expect(re.matchString(s) == e.match)
        #expect(re.findString(s) == e.find?.string)
        #expect(re.findStringSubmatch(s) == strings(e.findSubmatch))
        #expect(re.findAllString(s, n) == strings(e.findAll))
        #expect(re.findAllStringSubmatch(s, n) == e.findAllSubmatch?.map { $0.map(\.string) })
        #expect(re.replaceAllString(s, repl) == e.replaceAll?.string)
        #expect(re.replaceAllLiteralString(s, repl) == e.replaceAllLiteral?.string)
        #expect(re.replaceAllStringFunc(s) { "[" + $0 + "]" } == e.replaceAllFunc?.string)
        #expect(re.split(s, n) == strings(e.split))
        if c.offsetsComparable {
            #expect(re.findStringIndex(s).map { [$0.lowerBound, $0.upperBound] } == e.findIndex)
            #expect(re.findStringSubmatchIndex(s) == e.findSubmatchIndex)
            #expect(re.findAllStringIndex(s, n)?.map { [$0.lowerBound, $0.upperBound] } == e.findAllIndex)
            #expect(re.findAllStringSubmatchIndex(s, n) == e.findAllSubmatchIndex)
        }
    }
}

@Suite struct GoRegexpTests {
    /// Patterns catastrophic for a backtracking engine run in linear time (issue 12 item 3), with
    /// and without an end anchor (RE2 may scan an anchored pattern backwards from the end).
    @Test(arguments: ["(a+)+$", "(a+)+b", "(a|aa)*c", "(.*){20}x", "(?:a*)*b"])
    func catastrophicPatternsAreLinear(_ pattern: String) throws {
        let re = try GoRegexp(pattern)
        let input = String(repeating: "a", count: 100_000) + "!"
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            #expect(!re.matchString(input))
            #expect(re.findAllStringSubmatch(input, -1) == nil)
            #expect(re.replaceAllString(input, "x") == input)
        }
        print("\(pattern) on 100 KB: \(elapsed)")
        #expect(elapsed < .seconds(2))
    }

    /// A pattern whose program exceeds RE2's memory budget is refused, not built.
    @Test func hugeProgramIsRefused() {
        let pattern = String(repeating: "[a-z]{1000}", count: 1000)
        #expect(throws: GoRegexpError(code: .large, fragment: "")) { try GoRegexp(pattern) }
    }

    /// Go 1.22's `(?<name>re)`, which ESO's Go accepts (the Go 1.19 oracle refuses it).
    @Test func angleNamedGroup() throws {
        let re = try GoRegexp("(?<first>\\w+) (?<last>\\w+)")
        #expect(re.subexpNames == ["", "first", "last"])
        #expect(re.replaceAllString("John Smith", "${last}, $first") == "Smith, John")
        #expect(try GoRegexp("[(?<x>)]").subexpNames == [""])
        #expect(try GoRegexp("\\Q(?<x>\\E").findString("a(?<x>b") == "(?<x>")
        #expect(throws: GoRegexpError(code: .invalidNamedCapture, fragment: "(?<é>")) { try GoRegexp("(?<é>a)") }
    }

    @Test func expandStringUsesTheGivenMatch() throws {
        let re = try GoRegexp("(?P<key>\\w+):(\\w+)")
        let src = "a:b c:d"
        let matches = try #require(re.findAllStringSubmatchIndex(src, -1))
        #expect(matches.map { re.expandString("$2=${key};$$", src, $0) } == ["b=a;$", "d=c;$"])
    }

    @Test func isSafeAcrossTasks() async throws {
        let re = try GoRegexp("(?P<k>[a-z]+)=(?P<v>\\d+)")
        let results = await withTaskGroup(of: String.self) { group in
            for i in 0..<16 { group.addTask { re.replaceAllString("k\(i)=\(i) x=\(i)", "$v") } }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(Set(results) == Set((0..<16).map { "k\($0)=\($0) \($0)" }))
    }
}
