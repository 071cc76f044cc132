import Foundation
import SeededRandomTestSupport
import Templating
import Testing

/// Generates syntactically plausible (and often broken) templates from a small grammar.
struct TemplateGenerator {
    var rng: SplitMix64

    static let functions = [
        "print", "printf \"%v-%d\"", "len", "index", "slice", "not", "and", "or", "eq", "ne", "lt", "ge", "html", "js",
        "urlquery", "println", "upper", "lower", "trim", "quote", "squote", "b64enc", "b64dec", "toJson", "fromJson",
        "default \"d\"", "empty", "list", "dict", "add", "sub", "mul", "div", "mod", "until", "seq", "repeat", "indent",
        "nindent", "replace \"a\"", "split \",\"", "splitList \",\"", "join \",\"", "first", "last", "rest", "uniq",
        "sortAlpha", "keys", "values", "merge", "set", "get", "hasKey", "regexFind \"a+\"", "regexReplaceAll \"a\"",
        "sha256sum", "toString", "int", "float64", "atoi", "ternary 1 2", "coalesce", "concat", "chunk", "dig", "trunc",
        "substr", "abbrev", "wrap", "camelcase", "snakecase", "title", "toYaml", "fromYaml", "cat", "append", "has",
        "date \"2006-01-02 15:04:05.000 MST Z07:00\"", "toDate \"2006-01-02\"", "now", "randAlphaNum", "uuidv4",
        "randInt 0", "encryptAES \"k\"", "shuffle", "dateModify \"1h\"", "htmlDate",
        "unixEpoch", "ago", "duration", "durationRound", "urlParse", "urlJoin", "regexSplit \",\"",
        "printf \"%[2]*d %x %q\"",
        "b32enc", "hexdec", "nospace", "swapcase", "kebabcase", "toPrettyJson", "mergeOverwrite", "pluck \"k\"",
        "deepCopy",
    ]
    static let operands = [
        ".", ".a", ".n", ".list", ".m", ".m.k", ".missing", ".nul", "$", "$.a", "1", "-3", "2.5", "0x10", "'x'",
        "\"s\"",
        "`raw`", "true", "false", "nil", "\"a,b,c\"", "1e3", "99999", "-1", "9223372036854775807",
        "-9223372036854775808",
        "\"\\xff\"", "\"2024-01-02\"", "\"-1.5h\"", "\"http://u:p@h:1/p?q#f\"",
    ]

    mutating func pick<T>(_ a: [T]) -> T { a[Int(rng.next() % UInt64(a.count))] }
    mutating func chance(_ percent: UInt64) -> Bool { rng.next() % 100 < percent }

    mutating func operand(_ depth: Int) -> String {
        if depth < 3 && chance(15) { return "(" + pipeline(depth + 1) + ")" }
        return pick(Self.operands)
    }

    mutating func command(_ depth: Int) -> String {
        if chance(30) { return operand(depth) }
        var parts = [pick(Self.functions)]
        for _ in 0..<Int(rng.next() % 4) { parts.append(operand(depth)) }
        return parts.joined(separator: " ")
    }

    mutating func pipeline(_ depth: Int) -> String {
        var cmds = [command(depth)]
        for _ in 0..<Int(rng.next() % 3) { cmds.append(pick(Self.functions)) }
        var p = cmds.joined(separator: " | ")
        if chance(10) { p = "$v := " + p }
        return p
    }

    mutating func block(_ depth: Int) -> String {
        var out = ""
        for _ in 0..<Int(1 + rng.next() % 4) {
            let trimL = chance(20) ? "- " : ""
            let trimR = chance(20) ? " -" : ""
            switch rng.next() % 12 {
            case 0, 1: out += pick(["text ", "\n", "  ", "x{y}z", "{", "}", "{{", "é"])
            case 2, 3, 4: out += "{{\(trimL)\(pipeline(0))\(trimR)}}"
            case 5 where depth < 4:
                out +=
                    "{{if \(pipeline(0))}}\(block(depth + 1))\(chance(50) ? "{{else}}" + block(depth + 1) : ""){{end}}"
            case 6 where depth < 4:
                out +=
                    "{{range $i, $e := \(pipeline(0))}}\(block(depth + 1))\(chance(20) ? "{{break}}" : "")\(chance(20) ? "{{continue}}" : ""){{end}}"
            case 7 where depth < 4:
                out += "{{with \(pipeline(0))}}\(block(depth + 1)){{else}}\(block(depth + 1)){{end}}"
            case 8 where depth < 2:
                out += "{{define \"t\"}}\(block(depth + 1)){{end}}{{template \"t\" \(operand(0))}}"
            case 9:
                out += "{{/* c */}}"
            case 10:
                // Deliberately broken fragments.
                out += pick([
                    "{{", "}}", "{{end}}", "{{else}}", "{{if}}", "{{range}}", "{{$undefined}}", "{{.a.}}", "{{(}}",
                    "{{\"unterminated}}", "{{break}}", "{{template \"t\"}}",
                ])
            default:
                out += "{{\(trimL)$x := \(pipeline(0))\(trimR)}}{{$x}}"
            }
        }
        return out
    }
}

@Suite("Random templates")
struct RandomTemplateTests {
    /// Fresh data for every render: maps are references, and templates may `set` into them.
    static var data: Value {
        .dictionary([
            "a": .string("a,b,c"), "n": .int(3), "list": .list([.string("x"), .int(1), .float(2.5)]),
            "m": .dictionary(["k": .string("v"), "j": .list([])]), "nul": .null,
        ])
    }

    /// 4 shards of 750 templates by default; TEMPLATING_FUZZ_SHARDS=N explores more seeds.
    static let shards: [Int] = Array(
        0..<(Int(ProcessInfo.processInfo.environment["TEMPLATING_FUZZ_SHARDS"] ?? "") ?? 4))

    @Test(arguments: shards)
    func randomTemplatesNeverCrashAndStayWithinBudget(shard: Int) {
        var gen = TemplateGenerator(rng: SplitMix64(state: 0x5EED_0000 + UInt64(shard)))
        let limits = RenderLimits(
            maxOutputBytes: 64 * 1024, maxSteps: 20_000, maxTemplateDepth: 50, maxValueSize: 64 * 1024)
        // Random and clock functions run too, from a seeded source and a fixed clock.
        let seeded = SeededBytes(seed: UInt64(shard))
        let environment = RenderEnvironment(
            randomBytes: seeded.environment.randomBytes, now: { GoTime(seconds: 1_700_000_000, nanoseconds: 5) })
        var rendered = 0
        var failed = 0
        for _ in 0..<750 {
            let text = gen.block(0)
            do {
                let t = try Template(name: "fuzz", text: text)
                _ = try t.renderBytes(Self.data, limits: limits, environment: environment)
                rendered += 1
            } catch {
                failed += 1
                #expect(!error.description.isEmpty)
            }
        }
        #expect(rendered + failed == 750)
        #expect(rendered > 0, "the generator should produce some valid templates")
    }
}
