public import ExternalSecretsAPI
import Foundation
import GoCompat
public import ProviderKit
public import Templating

// MARK: - Rewrite

extension SecretDataPipeline {
    /// ESO's `RewriteMap`: the steps applied in order, each to the previous step's output.
    ///
    /// - `regexp`: Go's `ReplaceAllString(key, target)` on every key (`$1`, `${1}`, `$name`,
    ///   `${name}`, `$$`; `$1x` names the group `1x`, which is empty). See `GoRegexp` for RE2.
    /// - `transform`: every key rendered through a Go template with `.value` = the key and ESO's
    ///   function library; time and random functions use `environment` (ESO's transform has the
    ///   clock and randomness of its target templates).
    /// - `merge`: the values parsed as JSON objects and merged, as ESO's `RewriteMerge`.
    ///
    /// When two keys map to the same new key, ESO keeps whichever its random map order writes
    /// last; here the keys are processed in byte order, so the greatest original key wins.
    public static func rewrite(
        _ data: SecretData, _ steps: [ExternalSecretRewrite], environment: RenderEnvironment = .pure
    ) throws(ProviderError) -> SecretData {
        var out = data
        for (index, step) in steps.enumerated() {
            do throws(ProviderError) {
                if let merge = step.merge {
                    out = try rewriteMerge(out, merge)
                } else if let regexp = step.regexp {
                    out = try rewriteRegexp(out, regexp)
                } else if let transform = step.transform {
                    out = try rewriteTransform(out, transform, environment: environment)
                }
            } catch {
                throw ProviderError(
                    error.code, "error applying rewrite to keys: failed rewrite operation[\(index)]: \(error.message)")
            }
        }
        return out
    }

    static func rewriteRegexp(_ data: SecretData, _ op: RewriteRegexp) throws(ProviderError) -> SecretData {
        let regexp: GoRegexp
        do {
            regexp = try GoRegexp(op.source)
        } catch {
            throw .invalidConfiguration("regexp failed with failed to compile: \(error.message)")
        }
        var out: SecretData = [:]
        for key in PipelineText.sorted(data.keys) {
            out[regexp.replaceAll(key, with: op.target)] = data[key]
        }
        return out
    }

    static func rewriteTransform(
        _ data: SecretData, _ op: RewriteTransform, environment: RenderEnvironment
    ) throws(ProviderError) -> SecretData {
        let template: Template
        do {
            template = try Template(name: "transform", text: op.template, functions: .eso)
        } catch {
            throw .invalidConfiguration("transform failed with failed to parse template: \(error.description)")
        }
        var out: SecretData = [:]
        for key in PipelineText.sorted(data.keys) {
            let rendered: [UInt8]
            do {
                rendered = try template.renderBytes(.stringMap(["value": key]), environment: environment)
            } catch {
                throw .invalidConfiguration(
                    "transform failed with failed to execute template for key \(PipelineText.quoted(key)): \(error.description)")
            }
            out[String(decoding: rendered, as: UTF8.self)] = data[key]
        }
        return out
    }
}

// MARK: - Merge

extension SecretDataPipeline {
    /// ESO's `RewriteMerge`. Every value (non-priority keys in byte order, then `priority` keys in
    /// their order) is read as a JSON object and its top-level entries merged, later ones winning.
    /// A key merged twice is a conflict (an error unless `conflictPolicy: Ignore`). `Extract`
    /// (default) replaces the data with the merged entries (strings as is, numbers in Go's `%f`
    /// shortest form, objects and arrays as Go's `json.Marshal`); `JSON` keeps the data and adds the
    /// merged object, marshalled without HTML escaping, under `into`.
    static func rewriteMerge(_ data: SecretData, _ op: RewriteMerge) throws(ProviderError) -> SecretData {
        let priority = op.priority ?? []
        let keys = PipelineText.sorted(data.keys.filter { !priority.contains($0) }) + priority
        var merged: [String: Value] = [:]
        var conflicts: [String] = []
        for key in keys {
            guard let value = data[key] else {
                if op.priorityPolicy == "IgnoreNotFound" { continue }
                throw ProviderError(.invalidData, "merge failed with key \(PipelineText.quoted(key)) not found in input map")
            }
            let object: [String: Value]
            switch try? Value.parseJSON(String(decoding: value, as: UTF8.self), numbers: .float64) {
            case .map(let map)?: object = map.entries
            case .null?: object = [:]
            default:
                throw ProviderError(.invalidData, "merge failed: the value of key \(PipelineText.quoted(key)) is not a JSON object")
            }
            for name in PipelineText.sorted(object.keys) {
                if merged[name] != nil { conflicts.append(name) }
                merged[name] = object[name]
            }
        }
        if op.conflictPolicy != "Ignore" && !conflicts.isEmpty {
            throw ProviderError(.invalidData, "merge failed with conflicts: \(conflicts.joined(separator: ", "))")
        }
        switch op.strategy ?? "Extract" {
        case "Extract", "":
            var out: SecretData = [:]
            for (name, value) in merged {
                out[name] = Data(try byteValue(value))
            }
            return out
        case "JSON":
            guard let into = op.into, !into.isEmpty else {
                throw ProviderError(.invalidConfiguration, "merge failed with missing 'into' field")
            }
            var out = data
            out[into] = Data(try marshal(.dictionary(merged), function: "toRawJson"))
            return out
        default:
            return [:]
        }
    }

    /// ESO's `GetByteValue` for a value Go's `encoding/json` decoded into `interface{}`.
    static func byteValue(_ value: Value) throws(ProviderError) -> [UInt8] {
        switch value {
        case .string(let s): return s.goBytes
        case .float(let f): return Array(GoFloat.formatF(f).utf8)
        case .int(let i, _): return Array(String(i).utf8)
        case .bool(let b): return Array((b ? "true" : "false").utf8)
        case .null, .missing: return []
        default: return try marshal(value, function: "toJson")
        }
    }

    /// Go's `json.Marshal` (`toJson`) or ESO's `JSONMarshal` (`toRawJson`), through the template
    /// engine's Go-compatible encoder.
    static func marshal(_ value: Value, function: String) throws(ProviderError) -> [UInt8] {
        do {
            let template = try Template(name: "marshal", text: "{{ \(function) .v }}", functions: .eso)
            return try template.renderBytes(.dictionary(["v": value]))
        } catch {
            throw ProviderError(.invalidData, "merge failed with failed to marshal merged map")
        }
    }
}

// MARK: - Go regular expressions

/// Go's `regexp` (RE2 syntax) for key rewriting, on top of NSRegularExpression (ICU): the pattern
/// is translated so ICU matches what RE2 matches, and `ReplaceAllString`'s match iteration and
/// `$` expansion are Go's.
///
/// Translated: `(?P<name>` / `(?<name>` groups; `\d \w \s \b` and POSIX classes (`[[:alpha:]]`)
/// are ASCII as in RE2; `.` excludes only `\n` and `$` means end of text (without `s` / `m`
/// flags); octal escapes; `\v`; a `{` that is not a repeat is literal; `[` and `&` inside classes
/// are literal. Refused like RE2 refuses them: backreferences, lookaround, atomic groups,
/// possessive or nested repeats, repeat counts over 1000, `\Z` and unknown letter escapes.
/// Duplicate group names are accepted, as Go 1.19 does; `$name` takes the first.
/// Caveats: the `U` flag is refused (ICU lacks it); with `(?m)` anywhere `$`, with `(?s)` anywhere `.`,
/// keeps ICU's meaning (ICU also treats `\r`, U+2028... as line ends); case folding is ICU's.
struct GoRegexp {
    struct CompileError: Error {
        var message: String
    }

    let regex: NSRegularExpression
    /// Capture group names by group number (index 0 is the whole match; "" when unnamed).
    let groupNames: [String]

    init(_ pattern: String) throws(CompileError) {
        let (icu, names) = try GoRegexp.translate(pattern)
        do {
            regex = try NSRegularExpression(pattern: icu, options: [])
        } catch {
            throw CompileError(message: "error parsing regexp: invalid syntax: `\(pattern)`")
        }
        groupNames = [""] + names
    }

    // MARK: Matching and replacing

    /// Go's `ReplaceAllString`.
    func replaceAll(_ s: String, with template: String) -> String {
        let ns = s as NSString
        let length = ns.length
        var out = ""
        var lastMatchEnd = 0
        var searchPos = 0
        while searchPos <= length {
            guard
                let m = regex.firstMatch(
                    in: s, options: [.withTransparentBounds, .withoutAnchoringBounds],
                    range: NSRange(location: searchPos, length: length - searchPos))
            else { break }
            let whole = m.range
            out += ns.substring(with: NSRange(location: lastMatchEnd, length: max(0, whole.location - lastMatchEnd)))
            // No replacement for an empty match right after the previous match.
            if whole.location + whole.length > lastMatchEnd || whole.location == 0 {
                out += expand(template, ns, m)
            }
            lastMatchEnd = whole.location + whole.length
            let width = Self.runeWidth(ns, at: searchPos)
            if searchPos + width > lastMatchEnd {
                searchPos += width
            } else if searchPos + 1 > lastMatchEnd {
                searchPos += 1
            } else {
                searchPos = lastMatchEnd
            }
        }
        if lastMatchEnd < length { out += ns.substring(from: lastMatchEnd) }
        return out
    }

    /// UTF-16 units of the character at `pos` (0 at the end), Go's rune width for the search step.
    private static func runeWidth(_ ns: NSString, at pos: Int) -> Int {
        guard pos < ns.length else { return 0 }
        let u = ns.character(at: pos)
        return (u >= 0xD800 && u < 0xDC00 && pos + 1 < ns.length) ? 2 : 1
    }

    /// Go's `Regexp.expand`.
    private func expand(_ template: String, _ ns: NSString, _ m: NSTextCheckingResult) -> String {
        func group(_ i: Int) -> String {
            guard i < m.numberOfRanges else { return "" }
            let r = m.range(at: i)
            return r.location == NSNotFound ? "" : ns.substring(with: r)
        }
        var out = ""
        var t = Substring(template)
        while let dollar = t.firstIndex(of: "$") {
            out += t[..<dollar]
            t = t[t.index(after: dollar)...]
            if t.first == "$" {
                out += "$"
                t = t.dropFirst()
                continue
            }
            guard let extracted = Self.extractName(t) else {
                out += "$"  // malformed: the `$` is kept as text
                continue
            }
            let (name, rest) = extracted
            t = rest
            if let num = Self.groupNumber(name) {
                out += group(num)
            } else if let i = groupNames.firstIndex(where: { !$0.isEmpty && $0 == name }) {
                out += group(i)
            }
        }
        return out + t
    }

    /// Go's `extract`: a name of letters, digits and `_` (Unicode), optionally in braces.
    private static func extractName(_ s: Substring) -> (String, Substring)? {
        var rest = s
        let brace = rest.first == "{"
        if brace { rest = rest.dropFirst() }
        var name = ""
        while let c = rest.unicodeScalars.first,
            c == "_" || isGoLetter(c) || isGoDigit(c)
        {
            name.unicodeScalars.append(c)
            rest = Substring(rest.unicodeScalars.dropFirst())
        }
        if name.isEmpty { return nil }
        if brace {
            guard rest.first == "}" else { return nil }
            rest = rest.dropFirst()
        }
        return (name, rest)
    }

    private static func isGoLetter(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: true
        default: false
        }
    }

    private static func isGoDigit(_ c: Unicode.Scalar) -> Bool { c.properties.generalCategory == .decimalNumber }

    /// A group number: ASCII digits, no leading zero, below 1e8 (Go's rule); else a name.
    private static func groupNumber(_ name: String) -> Int? {
        let bytes = Array(name.utf8)
        var num = 0
        for b in bytes {
            guard b >= 0x30 && b <= 0x39, num < 100_000_000 else { return nil }
            num = num * 10 + Int(b - 0x30)
        }
        if bytes.first == UInt8(ascii: "0") && bytes.count > 1 { return nil }
        return num
    }

    // MARK: Translation from RE2 to ICU

    private static let asciiClasses: [Character: String] = [
        "d": "0-9", "s": "\\t\\n\\f\\r ", "w": "0-9A-Za-z_",
    ]

    private static let posixClasses: [String: String] = [
        "alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\\x{00}-\\x{7F}", "blank": "\\t ",
        "cntrl": "\\x{00}-\\x{1F}\\x{7F}", "digit": "0-9", "graph": "!-~", "lower": "a-z",
        "print": " -~", "punct": "!-/:-@\\[-`{-~", "space": "\\t\\n\\x{0B}\\f\\r ", "upper": "A-Z",
        "word": "0-9A-Za-z_", "xdigit": "0-9A-Fa-f",
    ]

    /// The ICU pattern and the capture group names in order ("" for unnamed groups).
    static func translate(_ pattern: String) throws(CompileError) -> (String, [String]) {
        // One Character per scalar, so a backslash never merges with a combining mark.
        let p = pattern.unicodeScalars.map(Character.init)
        var out = ""
        var names: [String] = []
        // With (?s) anywhere `.` is left to ICU, and with (?m) anywhere `$` is.
        let dotAll = pattern.range(of: #"\(\?[imsU-]*s[imsU-]*[:)]"#, options: .regularExpression) != nil
        let multiLine = pattern.range(of: #"\(\?[imsU-]*m[imsU-]*[:)]"#, options: .regularExpression) != nil
        var i = 0
        var lastWasRepeat = false
        func bad(_ what: String) -> CompileError { CompileError(message: "error parsing regexp: \(what): `\(pattern)`") }

        while i < p.count {
            let c = p[i]
            var isRepeat = false
            switch c {
            case "\\":
                let (text, next) = try escape(p, i, inClass: false, bad)
                out += text
                i = next
                lastWasRepeat = false
                continue
            case "[":
                let (text, next) = try characterClass(p, i, bad)
                out += text
                i = next
                lastWasRepeat = false
                continue
            case "(":
                if i + 1 < p.count && p[i + 1] == "?" {
                    let rest = String(p[(i + 2)...])
                    if rest.hasPrefix("P<") || (rest.hasPrefix("<") && !rest.hasPrefix("<=") && !rest.hasPrefix("<!")) {
                        let nameStart = i + (rest.hasPrefix("P<") ? 4 : 3)
                        guard let close = p[nameStart...].firstIndex(of: ">") else { throw bad("invalid named capture") }
                        let name = String(p[nameStart..<close])
                        guard !name.isEmpty, name.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) })
                        else { throw bad("invalid named capture") }
                        names.append(name)
                        out += "("
                        i = close + 1
                        lastWasRepeat = false
                        continue
                    }
                    // Flags `(?ims-U)` / `(?ims:` or a non-capturing group `(?:`.
                    var j = i + 2
                    while j < p.count && "imsU-".contains(p[j]) { j += 1 }
                    guard j < p.count, p[j] == ")" || p[j] == ":" else {
                        throw bad("invalid or unsupported Perl syntax")
                    }
                    let flags = String(p[(i + 2)..<j])
                    if flags.contains("U") { throw bad("the U flag is not supported") }
                    out += "(?" + flags + String(p[j])
                    i = j + 1
                    lastWasRepeat = false
                    continue
                }
                names.append("")
                out += "("
            case ".":
                out += dotAll ? "." : "[^\\n]"
            case "$":
                out += multiLine ? "$" : "\\z"
            case "*", "+", "?":
                if lastWasRepeat { throw bad("invalid nested repetition operator") }
                out.append(c)
                isRepeat = true
                if i + 1 < p.count && p[i + 1] == "?" {
                    out += "?"
                    i += 1
                }
            case "{":
                if let repeated = try repeatCount(p, i, bad) {
                    let (text, next) = repeated
                    if lastWasRepeat { throw bad("invalid nested repetition operator") }
                    out += text
                    i = next
                    isRepeat = true
                    if i < p.count && p[i] == "?" {
                        out += "?"
                        i += 1
                    }
                    lastWasRepeat = true
                    continue
                }
                out += "\\{"
            case "}":
                out += "\\}"
            case "#", " ", "&", "~", "'", "\"", "<", ">", "=", "!", "@", "%", "`", ",", ";", ":", "/":
                out += "\\" + String(c)
            default:
                out.append(c)
            }
            lastWasRepeat = isRepeat
            i += 1
        }
        return (out.isEmpty ? "(?:)" : out, names)
    }

    /// `{n}`, `{n,}` or `{n,m}` at `i`, or nil when the `{` is a literal (RE2's rule).
    private static func repeatCount(
        _ p: [Character], _ i: Int, _ bad: (String) -> CompileError
    ) throws(CompileError) -> (String, Int)? {
        var j = i + 1
        var minDigits = ""
        while j < p.count, p[j].isASCII, p[j].isNumber {
            minDigits.append(p[j])
            j += 1
        }
        guard !minDigits.isEmpty, j < p.count else { return nil }
        var maxDigits: String?
        if p[j] == "," {
            j += 1
            var d = ""
            while j < p.count, p[j].isASCII, p[j].isNumber {
                d.append(p[j])
                j += 1
            }
            maxDigits = d
        } else {
            maxDigits = minDigits
        }
        guard j < p.count, p[j] == "}" else { return nil }
        let low = Int(minDigits.prefix(6)) ?? Int.max
        let high = maxDigits.flatMap { $0.isEmpty ? nil : (Int($0.prefix(6)) ?? Int.max) }
        if low > 1000 || (high ?? 0) > 1000 || (high.map { $0 < low } ?? false) {
            throw bad("invalid repeat count")
        }
        return (String(p[i...j]), j + 1)
    }

    /// One escape at `i` (a backslash), translated; returns the text and the next index.
    private static func escape(
        _ p: [Character], _ i: Int, inClass: Bool, _ bad: (String) -> CompileError
    ) throws(CompileError) -> (String, Int) {
        guard i + 1 < p.count else { throw bad("trailing backslash at end of expression") }
        let c = p[i + 1]
        switch c {
        case "d", "s", "w":
            let set = asciiClasses[c]!
            return (inClass ? set : "[" + set + "]", i + 2)
        case "D", "S", "W":
            let set = asciiClasses[Character(c.lowercased())]!
            return ("[^" + set + "]", i + 2)
        case "b", "B":
            if inClass { throw bad("invalid escape sequence") }
            let w = "[0-9A-Za-z_]"
            let boundary = "(?:(?<=\(w))(?!\(w))|(?<!\(w))(?=\(w)))"
            let inside = "(?:(?<=\(w))(?=\(w))|(?<!\(w))(?!\(w)))"
            return (c == "b" ? boundary : inside, i + 2)
        case "A", "z":
            if inClass { throw bad("invalid escape sequence") }
            return ("\\" + String(c), i + 2)
        case "a", "f", "t", "n", "r":
            return ("\\" + String(c), i + 2)
        case "v":
            return ("\\x{0B}", i + 2)
        case "0"..."7":
            // Octal: \0 with up to two more digits, or \1-\7 followed by another octal digit.
            if c != "0" && !(i + 2 < p.count && ("0"..."7").contains(p[i + 2])) {
                throw bad("invalid escape sequence")
            }
            var value = Int(String(c))!
            var j = i + 2
            while j < p.count, j < i + 4, ("0"..."7").contains(p[j]) {
                value = value * 8 + Int(String(p[j]))!
                j += 1
            }
            return ("\\x{" + String(value, radix: 16) + "}", j)
        case "x":
            // \xHH or \x{H...}: ICU reads both the same way.
            var j = i + 2
            if j < p.count && p[j] == "{" {
                guard let close = p[j...].firstIndex(of: "}") else { throw bad("invalid escape sequence") }
                j = close + 1
            } else {
                j += 2
            }
            guard j <= p.count else { throw bad("invalid escape sequence") }
            return (String(p[i..<j]), j)
        case "p", "P":
            // \pL or \p{Name}; ICU needs the braces.
            let j = i + 2
            guard j < p.count else { throw bad("invalid character class range") }
            if p[j] == "{" {
                guard let close = p[j...].firstIndex(of: "}") else { throw bad("invalid character class range") }
                return (String(p[i...close]), close + 1)
            }
            return ("\\" + String(c) + "{" + String(p[j]) + "}", j + 1)
        case "Q":
            // Literal text up to \E.
            var j = i + 2
            var text = ""
            while j < p.count {
                if p[j] == "\\" && j + 1 < p.count && p[j + 1] == "E" {
                    j += 2
                    break
                }
                text += (p[j].isLetter || p[j].isNumber || p[j] == "_") ? String(p[j]) : "\\" + String(p[j])
                j += 1
            }
            return (text, j)
        case "C":
            return (inClass ? "\\x{0}-\\x{10FFFF}" : "(?s:.)", i + 2)
        default:
            if c.isLetter || c.isNumber {
                throw bad("invalid escape sequence")
            }
            return ("\\" + String(c), i + 2)
        }
    }

    /// A bracket expression at `i`, translated for ICU (where `[`, `&&` and `-` edges differ).
    private static func characterClass(
        _ p: [Character], _ start: Int, _ bad: (String) -> CompileError
    ) throws(CompileError) -> (String, Int) {
        var i = start + 1
        var out = "["
        if i < p.count && p[i] == "^" {
            out += "^"
            i += 1
        }
        var first = true
        while i < p.count {
            let c = p[i]
            if c == "]" && !first {
                return (out + "]", i + 1)
            }
            first = false
            if c == "[" && i + 1 < p.count && p[i + 1] == ":" {
                if let close = String(p[(i + 2)...]).range(of: ":]") {
                    var name = String(String(p[(i + 2)...])[..<close.lowerBound])
                    let negated = name.hasPrefix("^")
                    if negated { name.removeFirst() }
                    guard let set = posixClasses[name] else { throw bad("invalid character class range") }
                    out += negated ? "[^" + set + "]" : set
                    i += 2 + name.count + (negated ? 1 : 0) + 2
                    continue
                }
            }
            switch c {
            case "\\":
                let (text, next) = try escape(p, i, inClass: true, bad)
                out += text
                i = next
                continue
            case "[", "&", "$", "{", "}", "#", " ", "~", "'", "\"", "<", ">", "=", "!", "@", "%", "`", ",", ";", ":", "/":
                out += "\\" + String(c)
            default:
                out.append(c)
            }
            i += 1
        }
        throw bad("missing closing ]")
    }
}
