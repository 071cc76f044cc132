internal import CRE2Shim

/// Go's `regexp.Regexp`, on RE2 itself (Debian's `libre2-dev`), the engine Go's package follows:
/// RE2 syntax (`(?P<name>re)`, `(?i)(?m)(?s)(?U)`, `\pL`, `[[:alpha:]]`, `\A`, `\z`, `\Q…\E`),
/// leftmost-first matching, `^`/`$` at the text's ends unless `(?m)`, and matching in time linear
/// in the input (no backtracking: `(a+)+$` on 100 KB takes milliseconds).
///
/// Every index is a UTF-8 byte offset into the input, as in Go. Method names are Go's.
///
/// Guarantees: compilation refuses what Go refuses (backreferences, lookaround, possessive and
/// nested repeats, `\Z`, `\C`, repeat counts over 1000) with Go's `error parsing regexp: …`
/// messages; a pattern whose program would need more than `maxProgramMemory` is refused rather
/// than built. The iteration rules of `FindAll`, `ReplaceAll` and `Split` (empty matches, advancing
/// by one character) are Go's.
/// Caveats: Swift strings are valid Unicode, so Go's treatment of invalid UTF-8 input (each bad
/// byte a U+FFFD of width 1) does not arise; RE2 refuses duplicate group names, which Go accepts;
/// `(?<name>re)` (Go 1.22) is accepted as `(?P<name>re)`; Unicode tables are RE2's.
public final class GoRegexp: @unchecked Sendable {
    // @unchecked: `program` is immutable after init; RE2 guards its lazily built DFA caches with
    // its own mutex (RE2 objects are documented thread-safe for matching).
    private let program: OpaquePointer
    /// The source text, Go's `String()`.
    public let pattern: String
    /// Go's `SubexpNames()`: one entry per group, index 0 the whole match; `""` when unnamed.
    public let subexpNames: [String]

    /// RE2's budget for one compiled program (and its DFA caches); larger patterns are refused.
    public static let maxProgramMemory: Int64 = 8 << 20

    /// Go's `regexp.Compile`.
    public init(_ pattern: String) throws(GoRegexpError) {
        let (source, duplicateNames) = try Self.re2Source(pattern)
        var code: Int32 = 0
        var arg: UnsafeMutablePointer<CChar>?
        let length = source.utf8.count
        let compiled: OpaquePointer? = source.withCString { cString in
            cre2_compile(cString, length, Self.maxProgramMemory, &code, &arg)
        }
        guard let compiled else {
            let fragment = arg.map { String(cString: $0) } ?? ""
            cre2_free_string(arg)
            throw GoRegexpError(re2Code: code, fragment: fragment, pattern: pattern)
        }
        program = compiled
        self.pattern = pattern
        let groups = Int(cre2_capture_count(compiled))
        subexpNames = [""] + (1..<groups + 1).map { group in
            cre2_group_name(compiled, Int32(group)).map { String(cString: $0) } ?? duplicateNames[group] ?? ""
        }
    }

    deinit { cre2_delete(program) }

    /// Go's `NumSubexp()`.
    public var numSubexp: Int { subexpNames.count - 1 }

    /// Go's `SubexpIndex(name)`: the first group with that name, or -1.
    public func subexpIndex(_ name: String) -> Int {
        name.isEmpty ? -1 : subexpNames.firstIndex(of: name) ?? -1
    }

    // MARK: - Matching

    /// The leftmost-first match starting at or after `pos` (a character boundary), as Go's
    /// `doExecute`: `2 * groups` offsets, -1 for groups that did not take part.
    private func execute(_ text: [UInt8], from pos: Int, groups: Int) -> [Int]? {
        var offsets = [Int64](repeating: -1, count: 2 * groups)
        var start = pos
        while start <= text.count {
            let found = text.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { chars in
                    cre2_match(program, chars.baseAddress, chars.count, start, &offsets, Int32(groups))
                }
            }
            guard found == 1 else { return nil }
            let begin = Int(offsets[0])
            // RE2 scans bytes: an empty-width match may fall inside a multi-byte character,
            // where Go never looks. Resume at the next character boundary.
            if begin < text.count && text[begin] & 0xC0 == 0x80 {
                start = begin + 1
                while start < text.count && text[start] & 0xC0 == 0x80 { start += 1 }
                continue
            }
            return offsets.map { Int($0) }
        }
        return nil
    }

    /// Go's `allMatches`: successive matches, an empty match right after a previous match
    /// skipped, at most `n` of them (all when `n < 0`).
    private func allMatches(_ text: [UInt8], _ n: Int, groups: Int) -> [[Int]] {
        let limit = n < 0 ? text.count + 1 : n
        var out: [[Int]] = []
        var pos = 0
        var prevMatchEnd = -1
        while out.count < limit && pos <= text.count {
            guard let m = execute(text, from: pos, groups: groups) else { break }
            var accept = true
            if m[1] == pos {
                if m[0] == prevMatchEnd { accept = false }
                pos += pos < text.count ? UTF8Width.of(text[pos]) : 1
            } else {
                pos = m[1]
            }
            prevMatchEnd = m[1]
            if accept { out.append(m) }
        }
        return out
    }

    private var allGroups: Int { subexpNames.count }

    private static func slice(_ text: [UInt8], _ m: [Int], _ group: Int) -> String {
        guard 2 * group + 1 < m.count, m[2 * group] >= 0 else { return "" }
        return String(decoding: text[m[2 * group]..<m[2 * group + 1]], as: UTF8.self)
    }

    /// Go's `MatchString`.
    public func matchString(_ s: String) -> Bool {
        execute(Array(s.utf8), from: 0, groups: 1) != nil
    }

    /// Go's `FindString`: the leftmost match, `""` when there is none.
    public func findString(_ s: String) -> String {
        let text = Array(s.utf8)
        return execute(text, from: 0, groups: 1).map { Self.slice(text, $0, 0) } ?? ""
    }

    /// Go's `FindStringIndex`: byte offsets of the leftmost match.
    public func findStringIndex(_ s: String) -> Range<Int>? {
        execute(Array(s.utf8), from: 0, groups: 1).map { $0[0]..<$0[1] }
    }

    /// Go's `FindStringSubmatch`: the match and each group (`""` when it did not take part).
    public func findStringSubmatch(_ s: String) -> [String]? {
        let text = Array(s.utf8)
        guard let m = execute(text, from: 0, groups: allGroups) else { return nil }
        return (0..<allGroups).map { Self.slice(text, m, $0) }
    }

    /// Go's `FindStringSubmatchIndex`: pairs of byte offsets, -1 for groups that did not take part.
    public func findStringSubmatchIndex(_ s: String) -> [Int]? {
        execute(Array(s.utf8), from: 0, groups: allGroups)
    }

    /// Go's `FindAllString`: nil when nothing matches (or `n == 0`).
    public func findAllString(_ s: String, _ n: Int) -> [String]? {
        let text = Array(s.utf8)
        let ms = allMatches(text, n, groups: 1)
        return ms.isEmpty ? nil : ms.map { Self.slice(text, $0, 0) }
    }

    /// Go's `FindAllStringIndex`.
    public func findAllStringIndex(_ s: String, _ n: Int) -> [Range<Int>]? {
        let ms = allMatches(Array(s.utf8), n, groups: 1)
        return ms.isEmpty ? nil : ms.map { $0[0]..<$0[1] }
    }

    /// Go's `FindAllStringSubmatch`.
    public func findAllStringSubmatch(_ s: String, _ n: Int) -> [[String]]? {
        let text = Array(s.utf8)
        let ms = allMatches(text, n, groups: allGroups)
        return ms.isEmpty ? nil : ms.map { m in (0..<allGroups).map { Self.slice(text, m, $0) } }
    }

    /// Go's `FindAllStringSubmatchIndex`.
    public func findAllStringSubmatchIndex(_ s: String, _ n: Int) -> [[Int]]? {
        let ms = allMatches(Array(s.utf8), n, groups: allGroups)
        return ms.isEmpty ? nil : ms
    }

    // MARK: - Replacing and splitting

    /// Go's `replaceAll`: every match replaced by `replacement(text, match)`, except an empty
    /// match right after a previous match.
    private func replaceAll(_ s: String, groups: Int, _ replacement: ([UInt8], [Int], inout [UInt8]) -> Void) -> String {
        let text = Array(s.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var lastMatchEnd = 0
        var searchPos = 0
        while searchPos <= text.count {
            guard let m = execute(text, from: searchPos, groups: groups) else { break }
            out.append(contentsOf: text[lastMatchEnd..<m[0]])
            if m[1] > lastMatchEnd || m[0] == 0 {
                replacement(text, m, &out)
            }
            lastMatchEnd = m[1]
            let width = searchPos < text.count ? UTF8Width.of(text[searchPos]) : 0
            if searchPos + width > m[1] {
                searchPos += width
            } else if searchPos + 1 > m[1] {
                searchPos += 1
            } else {
                searchPos = m[1]
            }
        }
        out.append(contentsOf: text[lastMatchEnd...])
        return String(decoding: out, as: UTF8.self)
    }

    /// Go's `ReplaceAllString`: `$1`, `${1}`, `$name`, `${name}` expand as in `Expand`.
    public func replaceAllString(_ s: String, _ template: String) -> String {
        let parsed = ExpandTemplate(template)
        let groups = parsed.needsGroups ? allGroups : 1
        return replaceAll(s, groups: groups) { text, m, out in expand(parsed, text, m, into: &out) }
    }

    /// Go's `ReplaceAllLiteralString`.
    public func replaceAllLiteralString(_ s: String, _ replacement: String) -> String {
        let bytes = Array(replacement.utf8)
        return replaceAll(s, groups: 1) { _, _, out in out.append(contentsOf: bytes) }
    }

    /// Go's `ReplaceAllStringFunc`.
    public func replaceAllStringFunc(_ s: String, _ replacement: (String) -> String) -> String {
        replaceAll(s, groups: 1) { text, m, out in
            out.append(contentsOf: replacement(Self.slice(text, m, 0)).utf8)
        }
    }

    /// Go's `ExpandString` for one match (`match` as from `findStringSubmatchIndex` on `src`).
    public func expandString(_ template: String, _ src: String, _ match: [Int]) -> String {
        var out: [UInt8] = []
        expand(ExpandTemplate(template), Array(src.utf8), match, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Go's `Split`: nil when `n == 0`.
    public func split(_ s: String, _ n: Int) -> [String]? {
        if n == 0 { return nil }
        if !pattern.isEmpty && s.isEmpty { return [""] }
        let text = Array(s.utf8)
        var parts: [String] = []
        var beg = 0
        var end = 0
        for m in allMatches(text, n, groups: 1) {
            if n > 0 && parts.count == n - 1 { break }
            end = m[0]
            if m[1] != 0 { parts.append(String(decoding: text[beg..<end], as: UTF8.self)) }
            beg = m[1]
        }
        if end != text.count { parts.append(String(decoding: text[beg...], as: UTF8.self)) }
        return parts
    }

    /// Go's `regexp.QuoteMeta`.
    public static func quoteMeta(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            if #"\.+*?()|[]{}^$"#.unicodeScalars.contains(c) { out += "\\" }
            out.unicodeScalars.append(c)
        }
        return out
    }

    // MARK: - Expand

    /// Go's `expand`: a `$name` takes the longest run of letters, digits and `_`; a number
    /// without leading zeros names a group by index; a name names the first group of that name
    /// that took part; `$$` is `$`; a malformed `$` is literal.
    private func expand(_ template: ExpandTemplate, _ text: [UInt8], _ m: [Int], into out: inout [UInt8]) {
        for piece in template.pieces {
            switch piece {
            case .literal(let bytes):
                out.append(contentsOf: bytes)
            case .group(let num):
                if 2 * num + 1 < m.count && m[2 * num] >= 0 { out.append(contentsOf: text[m[2 * num]..<m[2 * num + 1]]) }
            case .name(let name):
                for (i, groupName) in subexpNames.enumerated()
                where groupName == name && 2 * i + 1 < m.count && m[2 * i] >= 0 {
                    out.append(contentsOf: text[m[2 * i]..<m[2 * i + 1]])
                    break
                }
            }
        }
    }

    // MARK: - Syntax

    /// The pattern as RE2 reads it, and the names RE2 cannot hold, by group number. Go's syntax
    /// is RE2's except: Go 1.22's `(?<name>` is spelled `(?P<name>` (RE2 20220601 lacks it); a
    /// repeated group name (Go accepts it, RE2 does not) becomes a plain group whose name is
    /// returned; `\C` (any byte: RE2 accepts it, Go does not) is refused.
    private static func re2Source(_ pattern: String) throws(GoRegexpError) -> (String, [Int: String]) {
        let c = Array(pattern.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        var inClass = false
        var group = 0
        var seenNames: Set<String> = []
        var duplicateNames: [Int: String] = [:]
        while i < c.count {
            let ch = c[i]
            if ch == "\\" && i + 1 < c.count {
                if c[i + 1] == "Q" {
                    // \Q…\E: literal text up to \E (or the end).
                    var j = i + 2
                    while j < c.count && !(c[j] == "\\" && j + 1 < c.count && c[j + 1] == "E") { j += 1 }
                    let stop = min(c.count, j + 2)
                    out.append(contentsOf: c[i..<stop])
                    i = stop
                    continue
                }
                if c[i + 1] == "C" && !inClass {
                    throw GoRegexpError(code: .invalidEscape, fragment: #"\C"#)
                }
                out.append(contentsOf: c[i...(i + 1)])
                i += 2
                continue
            }
            if inClass {
                if ch == "[" && i + 1 < c.count && c[i + 1] == ":" {
                    // [:alpha:] inside a class: copied whole so its `]` does not close the class.
                    if let close = (i + 2..<c.count).first(where: { c[$0] == "]" && c[$0 - 1] == ":" }) {
                        out.append(contentsOf: c[i...close])
                        i = close + 1
                        continue
                    }
                }
                if ch == "]" { inClass = false }
                out.append(ch)
                i += 1
                continue
            }
            if ch == "[" {
                inClass = true
                out.append(ch)
                i += 1
                if i < c.count && c[i] == "^" {
                    out.append(c[i])
                    i += 1
                }
                if i < c.count && c[i] == "]" {
                    out.append(c[i])
                    i += 1
                }
                continue
            }
            if ch == "(" {
                if i + 1 < c.count && c[i + 1] != "?" {
                    group += 1
                } else if let (nameStart, prefix) = namedGroupStart(c, i),
                    let close = c[nameStart...].firstIndex(of: ">")
                {
                    group += 1
                    let name = String(String.UnicodeScalarView(c[nameStart..<close]))
                    // Go allows only ASCII letters, digits and `_` (RE2 also takes other letters).
                    guard !name.isEmpty, name.utf8.allSatisfy({ $0 == 0x5F || isASCIIAlphanumeric($0) }) else {
                        throw GoRegexpError(
                            code: .invalidNamedCapture, fragment: String(String.UnicodeScalarView(c[i...close])))
                    }
                    if seenNames.insert(name).inserted {
                        out.append(contentsOf: "(?P<".unicodeScalars)
                        i += prefix
                    } else {
                        duplicateNames[group] = name
                        out.append("(")
                        i = close + 1
                    }
                    continue
                }
            }
            out.append(ch)
            i += 1
        }
        return (String(out), duplicateNames)
    }

    private static func isASCIIAlphanumeric(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }

    /// Where the name of a `(?P<name>` or `(?<name>` group at `i` starts, and the prefix length.
    private static func namedGroupStart(_ c: [Unicode.Scalar], _ i: Int) -> (Int, Int)? {
        guard i + 3 < c.count, c[i + 1] == "?" else { return nil }
        if c[i + 2] == "P" && c[i + 3] == "<" { return (i + 4, 4) }
        if c[i + 2] == "<" && c[i + 3] != "=" && c[i + 3] != "!" { return (i + 3, 3) }
        return nil
    }
}

/// A compile error, worded as Go's `regexp/syntax.Error`.
public struct GoRegexpError: Error, Equatable, CustomStringConvertible {
    /// Go's `syntax.ErrorCode` texts.
    public enum Code: String, Sendable {
        case internalError = "regexp/syntax: internal error"
        case invalidCharClass = "invalid character class"
        case invalidCharRange = "invalid character class range"
        case invalidEscape = "invalid escape sequence"
        case invalidNamedCapture = "invalid named capture"
        case invalidPerlOp = "invalid or unsupported Perl syntax"
        case invalidRepeatOp = "invalid nested repetition operator"
        case invalidRepeatSize = "invalid repeat count"
        case invalidUTF8 = "invalid UTF-8"
        case missingBracket = "missing closing ]"
        case missingParen = "missing closing )"
        case missingRepeatArgument = "missing argument to repetition operator"
        case trailingBackslash = "trailing backslash at end of expression"
        case unexpectedParen = "unexpected )"
        case large = "expression too large"
    }

    public var code: Code
    /// The part of the pattern the error is about (empty for `large`, which never echoes a pattern).
    public var fragment: String

    public init(code: Code, fragment: String) {
        self.code = code
        self.fragment = fragment
    }

    /// Go's `Error()`: ``error parsing regexp: <code>: `<fragment>` ``.
    public var message: String {
        code == .large ? "error parsing regexp: \(code.rawValue)" : "error parsing regexp: \(code.rawValue): `\(fragment)`"
    }

    public var description: String { message }

    init(re2Code: Int32, fragment: String, pattern: String) {
        // RE2's ErrorCode, in order (re2/re2.h).
        let codes: [Code] = [
            .internalError, .internalError, .invalidEscape, .invalidCharClass, .invalidCharRange, .missingBracket,
            .missingParen, .unexpectedParen, .trailingBackslash, .missingRepeatArgument, .invalidRepeatSize,
            .invalidRepeatOp, .invalidPerlOp, .invalidUTF8, .invalidNamedCapture, .large,
        ]
        let code = re2Code >= 0 && Int(re2Code) < codes.count ? codes[Int(re2Code)] : .internalError
        // RE2 reports a missing `)` with the whole pattern as Go does, and a too-large program
        // with a sentence rather than a fragment.
        self.init(code: code, fragment: code == .large ? "" : fragment)
    }
}

/// The byte length of the UTF-8 sequence a lead byte starts (1 for a stray byte, as Go's decoder
/// steps over an invalid byte).
enum UTF8Width {
    static func of(_ lead: UInt8) -> Int {
        switch lead {
        case 0xC2...0xDF: 2
        case 0xE0...0xEF: 3
        case 0xF0...0xF4: 4
        default: 1
        }
    }
}

/// A replacement template split once into literal bytes and group references.
private struct ExpandTemplate {
    enum Piece {
        case literal([UInt8])
        case group(Int)
        case name(String)
    }

    var pieces: [Piece] = []
    var needsGroups: Bool {
        pieces.contains { if case .literal = $0 { false } else { true } }
    }

    init(_ template: String) {
        var rest = Substring(template)
        var literal: [UInt8] = []
        while let dollar = rest.firstIndex(of: "$") {
            literal.append(contentsOf: rest[..<dollar].utf8)
            rest = rest[rest.index(after: dollar)...]
            if rest.first == "$" {
                literal.append(UInt8(ascii: "$"))
                rest = rest.dropFirst()
                continue
            }
            guard let (name, after) = Self.extract(rest) else {
                literal.append(UInt8(ascii: "$"))
                continue
            }
            rest = after
            if !literal.isEmpty {
                pieces.append(.literal(literal))
                literal = []
            }
            pieces.append(Self.number(name).map(Piece.group) ?? .name(name))
        }
        literal.append(contentsOf: rest.utf8)
        if !literal.isEmpty { pieces.append(.literal(literal)) }
    }

    /// Go's `extract`: letters, digits and `_` (Unicode), optionally in braces.
    private static func extract(_ s: Substring) -> (String, Substring)? {
        var rest = s.unicodeScalars[...]
        let brace = rest.first == "{"
        if brace { rest = rest.dropFirst() }
        var name = String.UnicodeScalarView()
        while let c = rest.first, c == "_" || isLetter(c) || c.properties.generalCategory == .decimalNumber {
            name.append(c)
            rest = rest.dropFirst()
        }
        if name.isEmpty { return nil }
        if brace {
            guard rest.first == "}" else { return nil }
            rest = rest.dropFirst()
        }
        return (String(name), Substring(rest))
    }

    private static func isLetter(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: true
        default: false
        }
    }

    /// Go's group number: ASCII digits, no leading zero, below 1e8.
    private static func number(_ name: String) -> Int? {
        var num = 0
        for b in name.utf8 {
            guard b >= 0x30 && b <= 0x39 && num < 100_000_000 else { return nil }
            num = num * 10 + Int(b - 0x30)
        }
        if name.utf8.first == 0x30 && name.utf8.count > 1 { return nil }
        return num
    }
}
