public import Foundation

/// A gjson-compatible path query over raw JSON bytes: what ESO's providers run for
/// `remoteRef.property` (`gjson.Get(payload, property).String()`).
///
/// Supported syntax, with gjson's exact scanning rules (it does not validate the JSON; it scans
/// it, so malformed input gives gjson's answer rather than an error, and never a crash):
/// - dotted keys (`a.b.c`), `\` escapes (`a\.b` is the key `a.b`), `*` and `?` wildcards in keys;
/// - array indexes (`list.0.name`), `#` (array length) and `list.#.name` (collect into an array);
/// - pipes (`a|b`), which apply the rest of the path to the result so far.
///
/// Caveats: gjson's modifiers (`@reverse`...), static literals (`!true`), multipaths (`[a,b]`,
/// `{a,b}`), queries (`#(name=="x")`), JSON lines (`..`) and a pipe inside a `#.` path are not
/// implemented: a path that would use them throws `UnsupportedPath` instead of answering
/// differently from gjson. A path (or a piped part) starting with `[` or `{` is always refused,
/// although gjson falls back to a plain key when it is not a valid multipath.
public enum GJSON {
    /// gjson's value types.
    public enum ValueType: Sendable, Hashable {
        case null
        case `false`
        case number
        case string
        case `true`
        /// An object or an array.
        case json
    }

    /// One value found by a path.
    public struct Result: Sendable, Hashable {
        public var type: ValueType
        /// The value's JSON text as it appears in the input (for `#` and `#.`, as gjson builds it).
        public var raw: [UInt8]
        /// The unescaped string, for strings.
        var str: [UInt8]
        /// The number gjson parsed, for numbers.
        var num: Double

        init(type: ValueType = .null, raw: [UInt8] = [], str: [UInt8] = [], num: Double = 0) {
            self.type = type
            self.raw = raw
            self.str = str
            self.num = num
        }

        /// gjson's `Exists()`.
        public var exists: Bool { type != .null || !raw.isEmpty }

        /// gjson's `String()` as bytes: strings unescaped, integers as written, other numbers in
        /// Go's shortest `%f` form (`1.50` → `1.5`, `1e3` → `1000`), `true`/`false`, null → empty,
        /// objects and arrays as their raw text.
        public var stringBytes: [UInt8] {
            switch type {
            case .null: return []
            case .false: return Array("false".utf8)
            case .true: return Array("true".utf8)
            case .string: return str
            case .json: return raw
            case .number:
                var i = 0
                if raw.first == UInt8(ascii: "-") { i = 1 }
                if raw.isEmpty || raw[i...].contains(where: { $0 < 0x30 || $0 > 0x39 }) {
                    return Array(GoFloat.formatF(num).utf8)
                }
                return raw
            }
        }

        /// `stringBytes` as text (bytes that are not UTF-8 become U+FFFD).
        public var stringValue: String { String(decoding: stringBytes, as: UTF8.self) }

        /// `raw` as text.
        public var rawText: String { String(decoding: raw, as: UTF8.self) }
    }

    /// A path that uses gjson syntax this implementation does not have.
    public struct UnsupportedPath: Error, Sendable, Hashable, CustomStringConvertible {
        /// The gjson feature the path would use, e.g. "modifier".
        public var feature: String
        public var description: String { "gjson \(feature) syntax is not supported in a property path" }
    }

    /// The value at `path` in `json`, or nil when gjson finds nothing there.
    public static func get(_ json: Data, path: String) throws(UnsupportedPath) -> Result? {
        let result = try get([UInt8](json), path: Array(path.utf8))
        return result.exists ? result : nil
    }

    /// The value at `path` in `json` (gjson's `Get`); a missing value has `exists == false`.
    public static func get(_ json: [UInt8], path: [UInt8]) throws(UnsupportedPath) -> Result {
        var scanner = Scanner(json: json)
        return try scanner.get(path)
    }
}

// MARK: - Scanner (gjson's Get, parseObject, parseArray)

private let quote = UInt8(ascii: "\"")
private let backslash = UInt8(ascii: "\\")
private let dot = UInt8(ascii: ".")
private let pipeChar = UInt8(ascii: "|")

/// gjson's modifiers; ESO's gjson (1.18) also has `dig`.
private let modifierNames: Set<[UInt8]> = Set(
    ["pretty", "ugly", "reverse", "this", "flatten", "join", "valid", "keys", "values", "tostr", "fromstr", "group", "dig"]
        .map { Array($0.utf8) })

private struct ObjectPath {
    var part: [UInt8] = []
    var path: [UInt8] = []
    var pipe: [UInt8] = []
    var piped = false
    var wild = false
    var more = false
}

private struct ArrayPath {
    var part: [UInt8] = []
    var path: [UInt8] = []
    var pipe: [UInt8] = []
    var piped = false
    var more = false
    var alogok = false
    var arrch = false
    var alogkey: [UInt8] = []
}

private struct Scanner {
    let json: [UInt8]
    var value = GJSON.Result()
    var pipe: [UInt8] = []
    var piped = false

    init(json: [UInt8]) { self.json = json }

    // MARK: Get

    mutating func get(_ path: [UInt8]) throws(GJSON.UnsupportedPath) -> GJSON.Result {
        if path.count > 1 {
            if path[0] == UInt8(ascii: "@") && Self.isModifier(path) {
                throw GJSON.UnsupportedPath(feature: "modifier")
            }
            if path[0] == UInt8(ascii: "!") && Self.isStatic(path) {
                throw GJSON.UnsupportedPath(feature: "static literal")
            }
            if path[0] == UInt8(ascii: "[") || path[0] == UInt8(ascii: "{") {
                throw GJSON.UnsupportedPath(feature: "multipath")
            }
        }
        if path.count >= 2 && path[0] == dot && path[1] == dot {
            throw GJSON.UnsupportedPath(feature: "JSON lines")
        }
        var i = 0
        while i < json.count {
            if json[i] == UInt8(ascii: "{") {
                _ = try parseObject(i + 1, path)
                break
            }
            if json[i] == UInt8(ascii: "[") {
                _ = try parseArray(i + 1, path)
                break
            }
            i += 1
        }
        if piped {
            return try GJSON.get(value.raw, path: pipe)
        }
        return value
    }

    /// gjson's execModifier succeeds when the name after `@` is a known modifier.
    static func isModifier(_ path: [UInt8]) -> Bool {
        var end = path.count
        for i in 1..<path.count where path[i] == UInt8(ascii: ":") || path[i] == pipeChar || path[i] == dot {
            end = i
            break
        }
        return modifierNames.contains(Array(path[1..<end]))
    }

    /// gjson's execStatic succeeds for `!` followed by JSON-ish text or a known literal.
    static func isStatic(_ path: [UInt8]) -> Bool {
        let first = path[1]
        if Array("{[\"+-0123456789".utf8).contains(first) { return true }
        var end = path.count
        for i in 1..<path.count where path[i] == pipeChar || path[i] == dot {
            end = i
            break
        }
        let name = String(decoding: path[1..<end], as: UTF8.self).lowercased()
        return ["true", "false", "null", "nan", "inf"].contains(name)
    }

    /// gjson's isDotPiperChar: after a `.`, a modifier, `[` or `{` starts a piped path.
    static func isDotPiperChar(_ s: ArraySlice<UInt8>) -> Bool {
        guard let c = s.first else { return false }
        if c == UInt8(ascii: "@") {
            var end = s.endIndex
            for i in (s.startIndex + 1)..<s.endIndex
            where s[i] == dot || s[i] == pipeChar || s[i] == UInt8(ascii: ":") {
                end = i
                break
            }
            return modifierNames.contains(Array(s[(s.startIndex + 1)..<end]))
        }
        return c == UInt8(ascii: "[") || c == UInt8(ascii: "{")
    }

    // MARK: Paths

    static func parseObjectPath(_ path: [UInt8]) -> ObjectPath {
        var r = ObjectPath()
        var i = 0
        while i < path.count {
            let c = path[i]
            if c == pipeChar {
                r.part = Array(path[..<i])
                r.pipe = Array(path[(i + 1)...])
                r.piped = true
                return r
            }
            if c == dot {
                r.part = Array(path[..<i])
                if i < path.count - 1 && isDotPiperChar(path[(i + 1)...]) {
                    r.pipe = Array(path[(i + 1)...])
                    r.piped = true
                } else {
                    r.path = Array(path[(i + 1)...])
                    r.more = true
                }
                return r
            }
            if c == UInt8(ascii: "*") || c == UInt8(ascii: "?") {
                r.wild = true
                i += 1
                continue
            }
            if c == backslash {
                // Escape mode: the part is rebuilt without the escape characters.
                var epart = Array(path[..<i])
                i += 1
                if i < path.count {
                    epart.append(path[i])
                    i += 1
                    while i < path.count {
                        let d = path[i]
                        if d == backslash {
                            i += 1
                            if i < path.count { epart.append(path[i]) }
                            i += 1
                            continue
                        } else if d == dot {
                            r.part = epart
                            if i < path.count - 1 && isDotPiperChar(path[(i + 1)...]) {
                                r.pipe = Array(path[(i + 1)...])
                                r.piped = true
                            } else {
                                r.path = Array(path[(i + 1)...])
                                r.more = true
                            }
                            return r
                        } else if d == pipeChar {
                            r.part = epart
                            r.pipe = Array(path[(i + 1)...])
                            r.piped = true
                            return r
                        } else if d == UInt8(ascii: "*") || d == UInt8(ascii: "?") {
                            r.wild = true
                        }
                        epart.append(d)
                        i += 1
                    }
                }
                r.part = epart
                return r
            }
            i += 1
        }
        r.part = path
        return r
    }

    static func parseArrayPath(_ path: [UInt8]) throws(GJSON.UnsupportedPath) -> ArrayPath {
        var r = ArrayPath()
        for i in 0..<path.count {
            let c = path[i]
            if c == pipeChar {
                r.part = Array(path[..<i])
                r.pipe = Array(path[(i + 1)...])
                r.piped = true
                return r
            }
            if c == dot {
                r.part = Array(path[..<i])
                if !r.arrch && i < path.count - 1 && isDotPiperChar(path[(i + 1)...]) {
                    r.pipe = Array(path[(i + 1)...])
                    r.piped = true
                } else {
                    r.path = Array(path[(i + 1)...])
                    r.more = true
                }
                return r
            }
            if c == UInt8(ascii: "#") {
                r.arrch = true
                if i == 0 && path.count > 1 {
                    if path[1] == dot {
                        r.alogok = true
                        r.alogkey = Array(path[2...])
                        r.path = Array(path[..<1])
                    } else if path[1] == UInt8(ascii: "[") || path[1] == UInt8(ascii: "(") {
                        throw GJSON.UnsupportedPath(feature: "query")
                    }
                }
            }
        }
        r.part = path
        r.path = []
        return r
    }

    // MARK: Objects

    /// Descends into the object or array that opens at `open` (gjson's parseObject / parseArray).
    mutating func parseNested(at open: Int, _ path: [UInt8]) throws(GJSON.UnsupportedPath) -> (Int, Bool) {
        json[open] == UInt8(ascii: "{") ? try parseObject(open + 1, path) : try parseArray(open + 1, path)
    }

    mutating func parseObject(_ start: Int, _ path: [UInt8]) throws(GJSON.UnsupportedPath) -> (Int, Bool) {
        var i = start
        let rp = Self.parseObjectPath(path)
        if !rp.more && rp.piped {
            pipe = rp.pipe
            piped = true
        }
        var key: ArraySlice<UInt8> = []
        var kesc = false
        var ok = false
        while i < json.count {
            // Find the next key.
            keyLoop: while i < json.count {
                if json[i] == quote {
                    i += 1
                    let s = i
                    while i < json.count {
                        if json[i] > backslash {
                            i += 1
                            continue
                        }
                        if json[i] == quote {
                            key = json[s..<i]
                            kesc = false
                            ok = true
                            i += 1
                            break keyLoop
                        }
                        if json[i] == backslash {
                            i += 1
                            while i < json.count {
                                if json[i] > backslash {
                                    i += 1
                                    continue
                                }
                                if json[i] == quote && !isEscapedQuote(at: i) {
                                    key = json[s..<i]
                                    kesc = true
                                    ok = true
                                    i += 1
                                    break keyLoop
                                }
                                i += 1
                            }
                            break
                        }
                        i += 1
                    }
                    key = json[s...]
                    kesc = false
                    ok = false
                    break keyLoop
                }
                if json[i] == UInt8(ascii: "}") { return (i + 1, false) }
                i += 1
            }
            if !ok { return (i, false) }
            let keyBytes = kesc ? PipelineText.gjsonUnescape(key) : Array(key)
            let pmatch = rp.wild ? WildcardMatch.matchLimit(keyBytes, rp.part) : keyBytes == rp.part
            var hit = pmatch && !rp.more
            // Find the value.
            while i < json.count {
                var num = false
                switch json[i] {
                case quote:
                    let (ni, val, vesc, sok) = parseString(i + 1)
                    i = ni
                    if !sok { return (i, false) }
                    if hit {
                        value = GJSON.Result(
                            type: .string, raw: Array(val),
                            str: vesc ? PipelineText.gjsonUnescape(val.dropFirst().dropLast()) : Array(val.dropFirst().dropLast()))
                        return (i, true)
                    }
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    if pmatch && !hit {
                        (i, hit) = try parseNested(at: i, rp.path)
                        if hit { return (i, true) }
                    } else {
                        let (ni, val) = parseSquash(i)
                        i = ni
                        if hit {
                            value = GJSON.Result(type: .json, raw: Array(val))
                            return (i, true)
                        }
                    }
                case UInt8(ascii: "n") where i + 1 < json.count && json[i + 1] != UInt8(ascii: "u"):
                    num = true
                case UInt8(ascii: "n"), UInt8(ascii: "t"), UInt8(ascii: "f"):
                    let vc = json[i]
                    let (ni, val) = parseLiteral(i)
                    i = ni
                    if hit {
                        value = GJSON.Result(type: Self.literalType(vc), raw: Array(val))
                        return (i, true)
                    }
                case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                    UInt8(ascii: "i"), UInt8(ascii: "I"), UInt8(ascii: "N"):
                    num = true
                default:
                    i += 1
                    continue
                }
                if num {
                    let (ni, val) = parseNumber(i)
                    i = ni
                    if hit {
                        value = GJSON.Result(type: .number, raw: Array(val), num: GoFloat.parse(val))
                        return (i, true)
                    }
                }
                break
            }
        }
        return (i, false)
    }

    static func literalType(_ c: UInt8) -> GJSON.ValueType {
        switch c {
        case UInt8(ascii: "t"): .true
        case UInt8(ascii: "f"): .false
        default: .null
        }
    }

    // MARK: Arrays

    mutating func parseArray(_ start: Int, _ path: [UInt8]) throws(GJSON.UnsupportedPath) -> (Int, Bool) {
        var i = start
        var pmatch = false
        var hit = false
        var h = 0
        var alog: [Int] = []
        var partidx = 0
        let rp = try Self.parseArrayPath(path)
        if !rp.arrch {
            if let n = Self.parseUint(rp.part) {
                partidx = Int(truncatingIfNeeded: n)
            } else {
                partidx = -1
            }
        }
        if !rp.more && rp.piped {
            pipe = rp.pipe
            piped = true
        }
        while i < json.count + 1 {
            if !rp.arrch {
                pmatch = partidx == h
                hit = pmatch && !rp.more
            }
            h += 1
            if rp.alogok { alog.append(i) }
            elementLoop: while true {
                let ch: UInt8
                if i > json.count {
                    break
                } else if i == json.count {
                    ch = UInt8(ascii: "]")
                } else {
                    ch = json[i]
                }
                var num = false
                switch ch {
                case quote:
                    let (ni, val, vesc, sok) = parseString(i + 1)
                    i = ni
                    if !sok { return (i, false) }
                    if hit {
                        if rp.alogok { break elementLoop }
                        value = GJSON.Result(
                            type: .string, raw: Array(val),
                            str: vesc ? PipelineText.gjsonUnescape(val.dropFirst().dropLast()) : Array(val.dropFirst().dropLast()))
                        return (i, true)
                    }
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    if pmatch && !hit {
                        (i, hit) = try parseNested(at: i, rp.path)
                        if hit {
                            if rp.alogok { break elementLoop }
                            return (i, true)
                        }
                    } else {
                        let (ni, val) = parseSquash(i)
                        i = ni
                        if hit {
                            if rp.alogok { break elementLoop }
                            value = GJSON.Result(type: .json, raw: Array(val))
                            return (i, true)
                        }
                    }
                case UInt8(ascii: "n") where i + 1 < json.count && json[i + 1] != UInt8(ascii: "u"):
                    num = true
                case UInt8(ascii: "n"), UInt8(ascii: "t"), UInt8(ascii: "f"):
                    let vc = json[i]
                    let (ni, val) = parseLiteral(i)
                    i = ni
                    if hit {
                        if rp.alogok { break elementLoop }
                        value = GJSON.Result(type: Self.literalType(vc), raw: Array(val))
                        return (i, true)
                    }
                case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                    UInt8(ascii: "i"), UInt8(ascii: "I"), UInt8(ascii: "N"):
                    num = true
                case UInt8(ascii: "]"):
                    if rp.arrch && rp.part == [UInt8(ascii: "#")] {
                        if rp.alogok {
                            let found = try collect(alog, key: rp.alogkey)
                            return (i + 1, found)
                        }
                        value = GJSON.Result(type: .number, raw: Array(String(h - 1).utf8), num: Double(h - 1))
                        return (i + 1, true)
                    }
                    return (i + 1, false)
                default:
                    i += 1
                    continue
                }
                if num {
                    let (ni, val) = parseNumber(i)
                    i = ni
                    if hit {
                        if rp.alogok { break elementLoop }
                        value = GJSON.Result(type: .number, raw: Array(val), num: GoFloat.parse(val))
                        return (i, true)
                    }
                }
                break
            }
        }
        return (i, false)
    }

    /// `#.key`: the key of every element, collected into a JSON array (gjson's alog branch).
    mutating func collect(_ alog: [Int], key: [UInt8]) throws(GJSON.UnsupportedPath) -> Bool {
        if key.contains(pipeChar) { throw GJSON.UnsupportedPath(feature: "pipe after #.") }
        var out: [UInt8] = [UInt8(ascii: "[")]
        var k = 0
        for var idx in alog {
            while idx < json.count, [0x20, 0x09, 0x0D, 0x0A].contains(json[idx]) { idx += 1 }
            guard idx < json.count, json[idx] != UInt8(ascii: "]") else { continue }
            guard let element = parseAny(idx) else { continue }
            let res = try GJSON.get(element.raw, path: key)
            guard res.exists else { continue }
            if k > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: res.raw.isEmpty ? res.stringBytes : res.raw)
            k += 1
        }
        out.append(UInt8(ascii: "]"))
        value = GJSON.Result(type: .json, raw: out)
        return true
    }

    /// gjson's parseAny with `hit` set: the next value from `start`.
    func parseAny(_ start: Int) -> GJSON.Result? {
        var i = start
        while i < json.count {
            let c = json[i]
            if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                return GJSON.Result(type: .json, raw: Array(parseSquash(i).1))
            }
            if c <= 0x20 {
                i += 1
                continue
            }
            switch c {
            case quote:
                let (_, val, vesc, ok) = parseString(i + 1)
                guard ok else { return nil }
                return GJSON.Result(
                    type: .string, raw: Array(val),
                    str: vesc ? PipelineText.gjsonUnescape(val.dropFirst().dropLast()) : Array(val.dropFirst().dropLast()))
            case UInt8(ascii: "n") where i + 1 < json.count && json[i + 1] != UInt8(ascii: "u"):
                let val = parseNumber(i).1
                return GJSON.Result(type: .number, raw: Array(val), num: GoFloat.parse(val))
            case UInt8(ascii: "n"), UInt8(ascii: "t"), UInt8(ascii: "f"):
                return GJSON.Result(type: Self.literalType(c), raw: Array(parseLiteral(i).1))
            case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "i"), UInt8(ascii: "I"), UInt8(ascii: "N"):
                let val = parseNumber(i).1
                return GJSON.Result(type: .number, raw: Array(val), num: GoFloat.parse(val))
            default:
                // gjson's parseAny gives up on a byte that starts no value; the walk goes on.
                i += 1
            }
        }
        return nil
    }

    static func parseUint(_ s: [UInt8]) -> UInt64? {
        guard !s.isEmpty else { return nil }
        var n: UInt64 = 0
        for c in s {
            guard c >= 0x30 && c <= 0x39 else { return nil }
            n = n &* 10 &+ UInt64(c - 0x30)
        }
        return n
    }

    // MARK: Values

    /// Whether the quote at `i` is escaped: gjson counts the backslashes before it (down to index 1).
    func isEscapedQuote(at i: Int) -> Bool {
        guard json[i - 1] == backslash else { return false }
        var n = 0
        var j = i - 2
        while j > 0 {
            if json[j] != backslash { break }
            n += 1
            j -= 1
        }
        return n % 2 == 0
    }

    /// gjson's parseString: `start` is just past the opening quote. Returns the end, the raw text
    /// with quotes, whether it has escapes and whether it is terminated.
    func parseString(_ start: Int) -> (Int, ArraySlice<UInt8>, Bool, Bool) {
        var i = start
        while i < json.count {
            if json[i] > backslash {
                i += 1
                continue
            }
            if json[i] == quote { return (i + 1, json[(start - 1)...i], false, true) }
            if json[i] == backslash {
                i += 1
                while i < json.count {
                    if json[i] > backslash {
                        i += 1
                        continue
                    }
                    if json[i] == quote && !isEscapedQuote(at: i) {
                        return (i + 1, json[(start - 1)...i], true, true)
                    }
                    i += 1
                }
                break
            }
            i += 1
        }
        return (i, json[(start - 1)...], false, false)
    }

    func parseNumber(_ start: Int) -> (Int, ArraySlice<UInt8>) {
        var i = start + 1
        while i < json.count {
            let c = json[i]
            if c <= 0x20 || c == UInt8(ascii: ",") || c == UInt8(ascii: "]") || c == UInt8(ascii: "}") {
                return (i, json[start..<i])
            }
            i += 1
        }
        return (i, json[start...])
    }

    func parseLiteral(_ start: Int) -> (Int, ArraySlice<UInt8>) {
        var i = start + 1
        while i < json.count {
            if json[i] < UInt8(ascii: "a") || json[i] > UInt8(ascii: "z") { return (i, json[start..<i]) }
            i += 1
        }
        return (i, json[start...])
    }

    /// gjson's parseSquash: the whole object or array starting at `start`, skipping nested values
    /// (an unterminated one runs to the end of the input).
    func parseSquash(_ start: Int) -> (Int, ArraySlice<UInt8>) {
        var i = start + 1
        var depth = 1
        while i < json.count {
            let c = json[i]
            if c >= quote && c <= UInt8(ascii: "}") {
                switch c {
                case quote:
                    i += 1
                    let s2 = i
                    while i < json.count {
                        if json[i] > backslash {
                            i += 1
                            continue
                        }
                        if json[i] == quote {
                            if json[i - 1] == backslash {
                                var n = 0
                                var j = i - 2
                                while j > s2 - 1 {
                                    if json[j] != backslash { break }
                                    n += 1
                                    j -= 1
                                }
                                if n % 2 == 0 {
                                    i += 1
                                    continue
                                }
                            }
                            break
                        }
                        i += 1
                    }
                case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "("):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: ")"):
                    depth -= 1
                    if depth == 0 { return (i + 1, json[start...i]) }
                default:
                    break
                }
            }
            i += 1
        }
        return (i, json[start...])
    }
}

// MARK: - Unescaping

/// Byte-level text helpers shared by the gjson scanner and the pipeline.
package enum PipelineText {
    /// gjson's unescape: JSON escapes decoded; a control character or a bad escape ends the string.
    package static func gjsonUnescape(_ s: some Collection<UInt8>) -> [UInt8] {
        let json = Array(s)
        var out: [UInt8] = []
        out.reserveCapacity(json.count)
        var i = 0
        func hex4(_ at: Int) -> UInt32 {
            // strconv.ParseUint of 4 characters; an invalid one gives 0.
            guard at + 4 <= json.count else { return 0 }
            var n: UInt32 = 0
            for c in json[at..<(at + 4)] {
                guard let d = PipelineText.hexValue(c) else { return 0 }
                n = n << 4 | UInt32(d)
            }
            return n
        }
        while i < json.count {
            let c = json[i]
            if c < 0x20 { return out }
            if c != backslash {
                out.append(c)
                i += 1
                continue
            }
            i += 1
            if i >= json.count { return out }
            switch json[i] {
            case backslash: out.append(backslash)
            case UInt8(ascii: "/"): out.append(UInt8(ascii: "/"))
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case quote: out.append(quote)
            case UInt8(ascii: "u"):
                if i + 5 > json.count { return out }
                var r = hex4(i + 1)
                i += 5
                if r >= 0xD800 && r < 0xE000 {
                    if json.count - i >= 6 && json[i] == backslash && json[i + 1] == UInt8(ascii: "u") {
                        let r2 = hex4(i + 2)
                        // utf16.DecodeRune: a valid pair, else U+FFFD.
                        if r < 0xDC00 && r2 >= 0xDC00 && r2 < 0xE000 {
                            r = 0x10000 + ((r - 0xD800) << 10) + (r2 - 0xDC00)
                        } else {
                            r = 0xFFFD
                        }
                        i += 6
                    }
                }
                PipelineText.appendUTF8(r, to: &out)
                continue
            default:
                return out
            }
            i += 1
        }
        return out
    }

    /// The value of one hexadecimal digit, or nil.
    package static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Go's utf8.EncodeRune: surrogates and out-of-range values become U+FFFD.
    package static func appendUTF8(_ value: UInt32, to out: inout [UInt8]) {
        let scalar = Unicode.Scalar(value) ?? Unicode.Scalar(0xFFFD)!
        out.append(contentsOf: String(Character(scalar)).utf8)
    }
}

// MARK: - Wildcards (tidwall/match)

/// tidwall/match's MatchLimit: `*` any run, `?` one character, `\` escapes; complexity bounded.
package enum WildcardMatch {
    private enum Outcome { case noMatch, match, stop }

    package static func matchLimit(_ str: [UInt8], _ pattern: [UInt8]) -> Bool {
        if pattern == [UInt8(ascii: "*")] { return true }
        var counter = 0
        return match(str[...], pattern[...], str.count, &counter, 10000) == .match
    }

    private static func match(
        _ strIn: ArraySlice<UInt8>, _ patIn: ArraySlice<UInt8>, _ slen: Int, _ counter: inout Int, _ maxcomp: Int
    ) -> Outcome {
        if counter > slen * maxcomp { return .stop }
        counter += 1
        var str = strIn
        var pat = patIn
        while !pat.isEmpty {
            var wild = false
            var (pc, ps) = GoUTF8.decodeRune(pat)
            let (sc, ss) = str.isEmpty ? (Int32(0), 0) : GoUTF8.decodeRune(str)
            switch pc {
            case Int32(UInt8(ascii: "?")):
                if ss == 0 { return .noMatch }
            case Int32(UInt8(ascii: "*")):
                while pat.count > 1 && pat[pat.startIndex + 1] == UInt8(ascii: "*") { pat = pat.dropFirst() }
                if pat.count == 1 { return .match }
                var ok: Bool
                (str, pat, ok) = trimSuffix(str, pat)
                if !ok { return .noMatch }
                if pat.count == 1 { return .match }
                let r = match(str, pat.dropFirst(), slen, &counter, maxcomp)
                if r != .noMatch { return r }
                if str.isEmpty { return .noMatch }
                wild = true
            default:
                if ss == 0 { return .noMatch }
                if pc == Int32(backslash) {
                    pat = pat.dropFirst(ps)
                    (pc, ps) = GoUTF8.decodeRune(pat)
                    if ps == 0 { return .noMatch }
                }
                if sc != pc { return .noMatch }
            }
            str = str.dropFirst(ss)
            if !wild { pat = pat.dropFirst(ps) }
        }
        return str.isEmpty ? .match : .noMatch
    }

    private static func trimSuffix(
        _ strIn: ArraySlice<UInt8>, _ patIn: ArraySlice<UInt8>
    ) -> (ArraySlice<UInt8>, ArraySlice<UInt8>, Bool) {
        var str = strIn
        var pat = patIn
        var matched = true
        while !str.isEmpty && pat.count > 1 {
            let (pc, lastWidth) = GoUTF8.decodeLastRune(pat)
            var ps = lastWidth
            var esc = false
            var i = 0
            while true {
                let idx = pat.endIndex - ps - i - 1
                if pat[idx] != backslash {
                    if i & 1 == 1 {
                        esc = true
                        ps += 1
                    }
                    break
                }
                i += 1
            }
            if pc == Int32(UInt8(ascii: "*")) && !esc {
                matched = true
                break
            }
            let (sc, ss) = GoUTF8.decodeLastRune(str)
            if !((pc == Int32(UInt8(ascii: "?")) && !esc) || pc == sc) {
                matched = false
                break
            }
            str = str.dropLast(ss)
            pat = pat.dropLast(ps)
        }
        return (str, pat, matched)
    }
}

// MARK: - Go's float parsing and formatting

/// Go's `strconv.ParseFloat(s, 64)` as gjson uses it (the error ignored: 0 for bad syntax, ±Inf
/// past the range) and `strconv.FormatFloat(f, 'f', -1, 64)`.
package enum GoFloat {
    package static func parse(_ bytes: some Collection<UInt8>) -> Double {
        let s = Array(bytes)
        if let special = special(s) { return special }
        guard let text = validatedText(s) else { return 0 }
        return Double(text) ?? 0
    }

    /// inf, infinity (optionally signed) and nan, any case, as the whole text.
    private static func special(_ s: [UInt8]) -> Double? {
        let lower = String(decoding: s, as: UTF8.self).lowercased()
        switch lower {
        case "inf", "+inf", "infinity", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        case "nan": return .nan
        default: return nil
        }
    }

    /// The text in a form Swift parses identically, when it is Go float syntax: decimal
    /// `[+-]digits[.digits][e[+-]digits]` or hexadecimal `[+-]0x...p[+-]digits`, with
    /// underscores only between digits (Go's underscoreOK).
    private static func validatedText(_ s: [UInt8]) -> String? {
        var i = 0
        if i < s.count && (s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-")) { i += 1 }
        let isHex = i + 1 < s.count && s[i] == UInt8(ascii: "0") && (s[i + 1] | 0x20) == UInt8(ascii: "x")
        if isHex { i += 2 }
        func isDigit(_ c: UInt8) -> Bool { isHex ? PipelineText.hexValue(c) != nil : (c >= 0x30 && c <= 0x39) }
        var sawDigits = false
        var sawDot = false
        while i < s.count {
            let c = s[i]
            if c == UInt8(ascii: ".") {
                if sawDot { return nil }
                sawDot = true
            } else if isDigit(c) {
                sawDigits = true
            } else if c != UInt8(ascii: "_") {
                break
            }
            i += 1
        }
        guard sawDigits else { return nil }
        let expChar: UInt8 = isHex ? UInt8(ascii: "p") : UInt8(ascii: "e")
        if i < s.count && (s[i] | 0x20) == expChar {
            i += 1
            if i < s.count && (s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-")) { i += 1 }
            var expDigits = false
            while i < s.count && ((s[i] >= 0x30 && s[i] <= 0x39) || s[i] == UInt8(ascii: "_")) {
                if s[i] != UInt8(ascii: "_") { expDigits = true }
                i += 1
            }
            if !expDigits { return nil }
        } else if isHex {
            return nil  // a hexadecimal mantissa needs a p exponent
        }
        guard i == s.count else { return nil }
        if s.contains(UInt8(ascii: "_")) && !underscoreOK(s) { return nil }
        return String(decoding: s.filter { $0 != UInt8(ascii: "_") }, as: UTF8.self)
    }

    /// Go's underscoreOK: underscores only between digits (a base prefix counts as a digit).
    private static func underscoreOK(_ text: [UInt8]) -> Bool {
        var s = text[...]
        var saw: Character = "^"
        if let first = s.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") { s = s.dropFirst() }
        var hex = false
        if s.count >= 2 && s.first == UInt8(ascii: "0"),
            [UInt8(ascii: "b"), UInt8(ascii: "o"), UInt8(ascii: "x")].contains(s[s.startIndex + 1] | 0x20)
        {
            saw = "0"
            hex = (s[s.startIndex + 1] | 0x20) == UInt8(ascii: "x")
            s = s.dropFirst(2)
        }
        for c in s {
            if (c >= 0x30 && c <= 0x39) || (hex && PipelineText.hexValue(c) != nil) {
                saw = "0"
            } else if c == UInt8(ascii: "_") {
                if saw != "0" { return false }
                saw = "_"
            } else {
                if saw == "_" { return false }
                saw = "!"
            }
        }
        return saw != "_"
    }

    /// `strconv.FormatFloat(f, 'f', -1, 64)`: the shortest digits that round-trip, no exponent.
    package static func formatF(_ f: Double) -> String {
        if f.isNaN { return "NaN" }
        if f.isInfinite { return f < 0 ? "-Inf" : "+Inf" }
        return GoJSONNumber.plain(f)
    }
}
