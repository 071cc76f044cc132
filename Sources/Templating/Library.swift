import Crypto
import Foundation
import GoCompat

extension FunctionLibrary {
    /// No functions beyond Go's builtins (what `template.New` offers without `Funcs`).
    public static let goBuiltins = FunctionLibrary()

    /// The deterministic functions ESO 2.9 offers: its sprig-derived subset plus its own. Nothing
    /// here reaches the network, the environment, files, a clock or a random source.
    public static let eso: FunctionLibrary = {
        var lib = FunctionLibrary()
        Sprig.registerStrings(into: &lib)
        Sprig.registerConversions(into: &lib)
        Sprig.registerMath(into: &lib)
        Sprig.registerDefaults(into: &lib)
        Sprig.registerLists(into: &lib)
        Sprig.registerDicts(into: &lib)
        Sprig.registerEncodings(into: &lib)
        Sprig.registerReflection(into: &lib)
        Sprig.registerPaths(into: &lib)
        Sprig.registerRegex(into: &lib)
        Sprig.registerYAML(into: &lib)
        Sprig.registerMisc(into: &lib)
        Sprig.registerRandom(into: &lib)
        Sprig.registerDates(into: &lib)
        Sprig.registerSemver(into: &lib)
        Sprig.registerPasswordHashes(into: &lib)
        Sprig.registerCertificates(into: &lib)
        ESO.registerPEM(into: &lib)
        ESO.registerKeys(into: &lib)
        ESO.registerPKCS12(into: &lib)
        return lib
    }()
}

extension Value {
    /// The payload of a `.string`; empty for anything else (callers have type-checked).
    var stringValue: String {
        if case .string(let s) = self { return s }
        return ""
    }

    /// The payload of an integer; 0 for anything else (callers have type-checked).
    var intValue: Int {
        if case .int(let i, _) = self { return Int(i) }
        return 0
    }
}

/// Sprig 3.2.3's functions, ported from its Go source (and goutils, xstrings, cast, mergo where
/// sprig delegates), so results match byte for byte.
enum Sprig {
    // MARK: - Shared helpers

    /// sprig's `strval`.
    static func strval(_ v: Value) throws -> String {
        switch v {
        case .string(let s): s
        case .bytes(let b): String(goBytes: b)
        default: try formatValue(v, verb: "v")
        }
    }

    /// sprig's `strslice`.
    static func strslice(_ v: Value) throws -> [String] {
        switch v {
        case .list(let items, .string, _): return items.map(\.stringValue)
        case .list(let items, _, _): return try items.filter { !$0.isNilOrMissing }.map(strval)
        case .bytes(let b): return b.map { String($0) }
        case .missing, .null: return []
        default: return [try strval(v)]
        }
    }

    /// Go's `int64(f)` conversion, including amd64's result for out-of-range values.
    static func truncate(_ f: Double) -> Int64 {
        guard f.isFinite, f > -9.223372036854775808e18, f < 9.223372036854775807e18 else { return Int64.min }
        return Int64(f.rounded(.towardZero))
    }

    /// cast's `trimZeroDecimal`.
    static func trimZeroDecimal(_ s: String) -> String {
        var foundZero = false
        let b = Array(s.utf8)
        var i = b.count
        while i > 0 {
            switch b[i - 1] {
            case UInt8(ascii: "."):
                if foundZero { return String(decoding: b[0..<(i - 1)], as: UTF8.self) }
                return s
            case UInt8(ascii: "0"): foundZero = true
            default: return s
            }
            i -= 1
        }
        return s
    }

    /// cast's `ToInt64` (errors become 0).
    static func toInt64(_ v: Value) -> Int64 {
        switch v {
        case .int(let i, _): return i
        case .float(let f): return truncate(f)
        case .string(let s): return parseGoInt(trimZeroDecimal(s)) ?? 0
        case .bool(let b): return b ? 1 : 0
        default: return 0
        }
    }

    /// Go's `strconv.ParseFloat` for the forms it accepts, including inf and nan spellings.
    static func parseFloat(_ s: String) -> Double? {
        let lower = s.lowercased()
        let body = lower.hasPrefix("+") || lower.hasPrefix("-") ? String(lower.dropFirst()) : lower
        if body == "inf" || body == "infinity" { return lower.hasPrefix("-") ? -.infinity : .infinity }
        if body == "nan" { return .nan }
        if s.contains("_") { return nil }  // Go allows underscores only with a base prefix
        return parseGoFloat(s)
    }

    /// cast's `ToFloat64` (errors become 0).
    static func toFloat64(_ v: Value) -> Double {
        switch v {
        case .int(let i, _): return Double(i)
        case .float(let f): return f
        case .string(let s): return parseFloat(s) ?? 0
        case .bool(let b): return b ? 1 : 0
        default: return 0
        }
    }

    /// sprig's `empty`.
    static func isEmpty(_ v: Value) -> Bool {
        switch v {
        case .missing, .null: true
        case .string(let s): s.isEmpty
        case .bytes(let b): b.isEmpty
        case .list(let l, _, _): l.isEmpty
        case .map(let m): m.count == 0
        case .bool(let b): !b
        case .int(let i, _): i == 0
        case .float(let f): f == 0
        case .time, .object: false  // a struct or non-nil pointer is never empty to sprig
        }
    }

    static func listItems(_ v: Value) -> [Value]? {
        switch v {
        case .list(let l, _, _): l
        case .bytes(let b): b.map { .int(Int64($0), .uint8) }
        default: nil
        }
    }

    /// `reflect.TypeOf(v).Kind()` as sprig's error messages print it (nil panics in Go).
    static func kindForError(_ v: Value) throws -> String {
        if v.isNilOrMissing {
            throw TemplateFunctionError("runtime error: invalid memory address or nil pointer dereference")
        }
        return v.goKindName
    }

    static func checkSize(_ n: Int, _ ctx: FunctionContext) throws {
        if n > ctx.maxValueSize {
            throw TemplateFunctionError("result of \(n) exceeds the render's value size limit of \(ctx.maxValueSize)")
        }
    }

    /// Go string bytes back to a string, losslessly (see `String(goBytes:)`).
    static func bytesToString(_ b: some Sequence<UInt8>) -> String { String(goBytes: Array(b)) }

    // MARK: - Strings

    static func registerStrings(into lib: inout FunctionLibrary) {
        lib.add("hello", []) { _, _ in .string("Hello!") }
        lib.add("upper", [.string]) { a, _ in .string(goToUpper(a[0].stringValue)) }
        lib.add("lower", [.string]) { a, _ in .string(goToLower(a[0].stringValue)) }
        lib.add("title", [.string]) { a, _ in .string(goTitle(a[0].stringValue)) }
        lib.add("untitle", [.string]) { a, _ in .string(uncapitalize(a[0].stringValue)) }
        lib.add("trim", [.string]) { a, _ in .string(trimFunc(a[0].stringValue, isGoSpace)) }
        lib.add("trimAll", [.string, .string]) { a, _ in .string(trimSet(a[1].stringValue, a[0].stringValue)) }
        lib.add("trimall", [.string, .string]) { a, _ in .string(trimSet(a[1].stringValue, a[0].stringValue)) }
        lib.add("trimSuffix", [.string, .string]) { a, _ in
            let str = a[1].stringValue.goBytes
            let suffix = a[0].stringValue.goBytes
            return .string(str.hasSuffixBytes(suffix) ? bytesToString(str.dropLast(suffix.count)) : a[1].stringValue)
        }
        lib.add("trimPrefix", [.string, .string]) { a, _ in
            let s = a[1].stringValue.goBytes
            let p = a[0].stringValue.goBytes
            return .string(s.starts(with: p) ? bytesToString(s.dropFirst(p.count)) : a[1].stringValue)
        }
        lib.add("nospace", [.string]) { a, _ in .string(deleteWhiteSpace(a[0].stringValue)) }
        lib.add("initials", [.string]) { a, _ in .string(initials(a[0].stringValue)) }
        lib.add("swapcase", [.string]) { a, _ in .string(swapCase(a[0].stringValue)) }
        // ESO's vendored sprig maps camelcase to xstrings.ToPascalCase (sprig 3.2.3 used the older
        // ToCamelCase, which lowercased the rest of every word).
        lib.add("camelcase", [.string]) { a, _ in .string(toPascalCase(a[0].stringValue)) }
        lib.add("snakecase", [.string]) { a, _ in .string(camelCaseToLowerCase(a[0].stringValue, "_")) }
        lib.add("kebabcase", [.string]) { a, _ in .string(camelCaseToLowerCase(a[0].stringValue, "-")) }
        lib.add("wrap", [.int, .string]) { a, _ in .string(wrapCustom(a[1].stringValue, a[0].intValue, "", false)) }
        lib.add("wrapWith", [.int, .string, .string]) { a, _ in
            .string(wrapCustom(a[2].stringValue, a[0].intValue, a[1].stringValue, true))
        }
        lib.add("contains", [.string, .string]) { a, _ in
            .bool(a[1].stringValue.goBytes.containsBytes(a[0].stringValue.goBytes))
        }
        lib.add("hasPrefix", [.string, .string]) { a, _ in
            .bool(a[1].stringValue.goBytes.starts(with: a[0].stringValue.goBytes))
        }
        lib.add("hasSuffix", [.string, .string]) { a, _ in
            .bool(a[1].stringValue.goBytes.hasSuffixBytes(a[0].stringValue.goBytes))
        }
        lib.add("quote", [], variadic: .any) { a, _ in
            .string(try a.filter { !$0.isNilOrMissing }.map { goQuote(try strval($0)) }.joined(separator: " "))
        }
        lib.add("squote", [], variadic: .any) { a, _ in
            .string(
                try a.filter { !$0.isNilOrMissing }.map { "'" + (try formatValue($0)) + "'" }.joined(separator: " "))
        }
        lib.add("cat", [], variadic: .any) { a, _ in
            .string(try a.filter { !$0.isNilOrMissing }.map { try formatValue($0) }.joined(separator: " "))
        }
        lib.add("indent", [.int, .string]) { a, ctx in
            try .string(indent(a[0].intValue, a[1].stringValue, ctx))
        }
        lib.add("nindent", [.int, .string]) { a, ctx in
            try .string("\n" + indent(a[0].intValue, a[1].stringValue, ctx))
        }
        lib.add("replace", [.string, .string, .string]) { a, ctx in
            try .string(replaceAll(a[2].stringValue, a[0].stringValue, a[1].stringValue, ctx))
        }
        lib.add("plural", [.string, .string, .int]) { a, _ in a[2].intValue == 1 ? a[0] : a[1] }
        lib.add("repeat", [.int, .string]) { a, ctx in
            let n = a[0].intValue
            if n < 0 { throw TemplateFunctionError("strings: negative Repeat count") }
            try checkSize(
                n.multipliedReportingOverflow(by: a[1].stringValue.utf8.count).overflow
                    ? Int.max : n * a[1].stringValue.utf8.count, ctx)
            return .string(String(repeating: a[1].stringValue, count: n))
        }
        lib.add("substr", [.int, .int, .string]) { a, _ in
            let s = a[2].stringValue.goBytes
            let start = a[0].intValue
            let end = a[1].intValue
            func bad() -> TemplateFunctionError { TemplateFunctionError("runtime error: slice bounds out of range") }
            if start < 0 {
                guard end >= 0, end <= s.count else { throw bad() }
                return .string(bytesToString(s[0..<end]))
            }
            if end < 0 || end > s.count {
                guard start <= s.count else { throw bad() }
                return .string(bytesToString(s[start...]))
            }
            guard start <= end else { throw bad() }
            return .string(bytesToString(s[start..<end]))
        }
        lib.add("trunc", [.int, .string]) { a, _ in
            let s = a[1].stringValue.goBytes
            let c = a[0].intValue
            if c < 0 && c > -s.count { return .string(bytesToString(s[(s.count + c)...])) }
            if c >= 0 && s.count > c { return .string(bytesToString(s[0..<c])) }
            return a[1]
        }
        lib.add("abbrev", [.int, .string]) { a, _ in
            let w = a[0].intValue
            if w < 4 { return a[1] }
            return .string(abbreviateFull(a[1].stringValue, 0, w) ?? "")
        }
        lib.add("abbrevboth", [.int, .int, .string]) { a, _ in
            let left = a[0].intValue
            let right = a[1].intValue
            if right < 4 || (left > 0 && right < 7) { return a[2] }
            return .string(abbreviateFull(a[2].stringValue, left, right) ?? "")
        }
        lib.add("join", [.string, .any]) { a, _ in .string(try strslice(a[1]).joined(separator: a[0].stringValue)) }
        lib.add("split", [.string, .string]) { a, _ in
            let parts = goSplit(a[1].stringValue, a[0].stringValue, -1)
            var m: [String: Value] = [:]
            for (i, p) in parts.enumerated() { m["_\(i)"] = .string(p) }
            return .makeMap(m, elem: .string)
        }
        lib.add("splitn", [.string, .int, .string]) { a, _ in
            let parts = goSplit(a[2].stringValue, a[0].stringValue, a[1].intValue)
            var m: [String: Value] = [:]
            for (i, p) in parts.enumerated() { m["_\(i)"] = .string(p) }
            return .makeMap(m, elem: .string)
        }
        lib.add("splitList", [.string, .string]) { a, _ in
            .strings(goSplit(a[1].stringValue, a[0].stringValue, -1))
        }
        lib.add("sha1sum", [.string]) { a, _ in .string(hex(Insecure.SHA1.hash(data: a[0].stringValue.goBytes))) }
        lib.add("sha256sum", [.string]) { a, _ in .string(hex(SHA256.hash(data: a[0].stringValue.goBytes))) }
        lib.add("sha512sum", [.string]) { a, _ in .string(hex(SHA512.hash(data: a[0].stringValue.goBytes))) }
        lib.add("adler32sum", [.string]) { a, _ in .string(String(adler32(a[0].stringValue.goBytes))) }
        lib.add("fail", [.string]) { a, _ in throw TemplateFunctionError(a[0].stringValue) }
    }

    /// goutils `DeleteWhiteSpace`: byte-wise, each byte taken as a Latin-1 rune, so non-ASCII
    /// text is mangled whenever some whitespace was removed (as in Go).
    static func deleteWhiteSpace(_ str: String) -> String {
        let bytes = str.goBytes
        var out = String.UnicodeScalarView()
        var count = 0
        for b in bytes where !isGoSpace(Unicode.Scalar(b)) {
            out.append(Unicode.Scalar(b))
            count += 1
        }
        return count == bytes.count ? str : String(out)
    }

    /// Go's conversion of a string to runes: bytes that are not UTF-8 become U+FFFD.
    static func runes(_ s: String) -> [Unicode.Scalar] {
        s.unicodeScalars.map { String.rawByte($0) == nil ? $0 : "\u{FFFD}" }
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        let d = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in digest {
            out.append(d[Int(b >> 4)])
            out.append(d[Int(b & 0xF)])
        }
        return bytesToString(out)
    }

    static func adler32(_ data: [UInt8]) -> UInt32 {
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return (b << 16) | a
    }

    static func indent(_ spaces: Int, _ v: String, _ ctx: FunctionContext) throws -> String {
        guard spaces >= 0 else { throw TemplateFunctionError("strings: negative Repeat count") }
        let lines = 1 + v.utf8.count(where: { $0 == 0x0A })
        let (padBytes, overflow) = spaces.multipliedReportingOverflow(by: lines)
        let (total, overflow2) = padBytes.addingReportingOverflow(v.utf8.count)
        try checkSize(overflow || overflow2 ? Int.max : total, ctx)
        let pad = String(repeating: " ", count: spaces)
        return pad + v.replacingOccurrences(of: "\n", with: "\n" + pad)
    }

    /// Go's `strings.Replace(s, old, new, -1)`, byte-wise (an empty `old` matches between runes).
    static func replaceAll(_ s: String, _ old: String, _ new: String, _ ctx: FunctionContext) throws -> String {
        if old == new { return s }
        if old.isEmpty {
            let scalars = Array(s.unicodeScalars)
            try checkSize(s.utf8.count + new.utf8.count * (scalars.count + 1), ctx)
            var out = new
            for sc in scalars {
                out.unicodeScalars.append(sc)
                out += new
            }
            return out
        }
        let parts = goSplit(s, old, -1)
        try checkSize(s.utf8.count + max(0, new.utf8.count - old.utf8.count) * parts.count, ctx)
        return parts.joined(separator: new)
    }

    /// Go's `strings.SplitN` (n < 0: all), byte-wise; an empty separator splits into runes.
    static func goSplit(_ s: String, _ sep: String, _ n: Int) -> [String] {
        if n == 0 { return [] }
        if sep.isEmpty {
            var scalars = s.unicodeScalars.map { String($0) }
            if n > 0 && scalars.count > n {
                let rest = scalars[(n - 1)...].joined()
                scalars = Array(scalars[0..<(n - 1)]) + [rest]
            }
            return scalars
        }
        let b = s.goBytes
        let p = sep.goBytes
        var out: [String] = []
        var start = 0
        var i = 0
        while i + p.count <= b.count {
            if n > 0 && out.count == n - 1 { break }
            if b[i] == p[0] && Array(b[i..<(i + p.count)]) == p {
                out.append(bytesToString(b[start..<i]))
                i += p.count
                start = i
            } else {
                i += 1
            }
        }
        out.append(bytesToString(b[start...]))
        return out
    }

    static func isGoSpace(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0: return true
        default: return s.value > 0xFF && s.properties.isWhitespace
        }
    }

    static func trimFunc(_ s: String, _ pred: (Unicode.Scalar) -> Bool) -> String {
        let scalars = Array(s.unicodeScalars)
        var lo = 0
        var hi = scalars.count
        while lo < hi && pred(scalars[lo]) { lo += 1 }
        while hi > lo && pred(scalars[hi - 1]) { hi -= 1 }
        return String(String.UnicodeScalarView(scalars[lo..<hi]))
    }

    static func trimSet(_ s: String, _ cutset: String) -> String {
        let set = Set(cutset.unicodeScalars)
        return trimFunc(s) { set.contains($0) }
    }

    static func goToUpper(_ s: String) -> String {
        String(String.UnicodeScalarView(runes(s).map(upperScalar)))
    }

    static func goToLower(_ s: String) -> String {
        String(String.UnicodeScalarView(runes(s).map(lowerScalar)))
    }

    /// Go's `unicode.ToUpper`: a one-to-one simple case mapping.
    static func upperScalar(_ s: Unicode.Scalar) -> Unicode.Scalar {
        if s.isASCII { return s.value >= 0x61 && s.value <= 0x7A ? Unicode.Scalar(s.value - 32)! : s }
        let m = s.properties.uppercaseMapping.unicodeScalars
        return m.count == 1 ? m.first! : s
    }

    static func lowerScalar(_ s: Unicode.Scalar) -> Unicode.Scalar {
        if s.isASCII { return s.value >= 0x41 && s.value <= 0x5A ? Unicode.Scalar(s.value + 32)! : s }
        let m = s.properties.lowercaseMapping.unicodeScalars
        return m.count == 1 ? m.first! : s
    }

    static func titleScalar(_ s: Unicode.Scalar) -> Unicode.Scalar {
        if s.isASCII { return upperScalar(s) }
        let m = s.properties.titlecaseMapping.unicodeScalars
        return m.count == 1 ? m.first! : s
    }

    /// Go's deprecated `strings.Title`.
    static func goTitle(_ s: String) -> String {
        func isSeparator(_ r: Unicode.Scalar) -> Bool {
            if r.value <= 0x7F {
                let c = r.value
                if (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c == 0x5F {
                    return false
                }
                return true
            }
            if r.properties.isAlphabetic || r.properties.numericType != nil { return false }
            return isGoSpace(r)
        }
        var prev: Unicode.Scalar = " "
        var out = String.UnicodeScalarView()
        for r in runes(s) {
            out.append(isSeparator(prev) ? titleScalar(r) : r)
            prev = r
        }
        return String(out)
    }

    static func uncapitalize(_ s: String) -> String {
        var next = true
        var out = String.UnicodeScalarView()
        for r in runes(s) {
            if isGoSpace(r) {
                next = true
                out.append(r)
            } else if next {
                out.append(lowerScalar(r))
                next = false
            } else {
                out.append(r)
            }
        }
        return String(out)
    }

    /// goutils `Initials`: byte-wise, as the Go code is.
    static func initials(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        var lastWasGap = true
        for b in s.goBytes {
            let r = Unicode.Scalar(b)
            if isGoSpace(r) {
                lastWasGap = true
            } else if lastWasGap {
                out.append(r)
                lastWasGap = false
            }
        }
        return String(out)
    }

    static func swapCase(_ s: String) -> String {
        var whitespace = true
        var out = String.UnicodeScalarView()
        for r in runes(s) {
            let p = r.properties
            if p.generalCategory == .uppercaseLetter {
                out.append(lowerScalar(r))
                whitespace = false
            } else if p.generalCategory == .titlecaseLetter {
                out.append(lowerScalar(r))
                whitespace = false
            } else if p.generalCategory == .lowercaseLetter {
                out.append(whitespace ? titleScalar(r) : upperScalar(r))
                whitespace = false
            } else {
                out.append(r)
                whitespace = isGoSpace(r)
            }
        }
        return String(out)
    }

    static func isConnector(_ r: Unicode.Scalar) -> Bool { r == "-" || r == "_" || isGoSpace(r) }

    /// xstrings 1.5 `ToPascalCase`: connectors between words are dropped and the next rune is
    /// upper-cased; a word that starts upper-case has its following upper-case run lowered
    /// ("GOLANG_IS_GREAT" → "GolangIsGreat"), other runes are kept; leading connectors stay.
    static func toPascalCase(_ str: String) -> String {
        var rs = runes(str)[...]
        if rs.isEmpty { return "" }
        var out = String.UnicodeScalarView()
        var r0: Unicode.Scalar = " "
        var firstUpper = false
        while let r = rs.first {
            rs = rs.dropFirst()
            r0 = r
            if !isConnector(r) {
                firstUpper = isUpper(r)
                r0 = upperScalar(r)
                break
            }
            out.append(r)
        }
        if rs.isEmpty {
            out.append(r0)
            return String(out)
        }
        while let next = rs.first {
            rs = rs.dropFirst()
            let r1 = r0
            r0 = next
            if isConnector(r0) && isConnector(r1) {
                out.append(r1)
                continue
            }
            if isConnector(r1) {
                firstUpper = isUpper(r0)
                r0 = upperScalar(r0)
            } else {
                if firstUpper {
                    if isUpper(r0) {
                        r0 = lowerScalar(r0)
                    } else {
                        firstUpper = false
                    }
                }
                out.append(r1)
            }
        }
        out.append(r0)
        return String(out)
    }

    private enum WordType { case invalid, number, upperCase, alphabet, connector, punct, other }

    private static func isGoPunct(_ r: Unicode.Scalar) -> Bool {
        switch r.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .otherPunctuation:
            return true
        default: return false
        }
    }

    private static func isUpper(_ r: Unicode.Scalar) -> Bool { r.properties.generalCategory == .uppercaseLetter }
    private static func isLower(_ r: Unicode.Scalar) -> Bool { r.properties.generalCategory == .lowercaseLetter }
    private static func isLetter(_ r: Unicode.Scalar) -> Bool {
        switch r.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }
    private static func isDigit(_ r: Unicode.Scalar) -> Bool { r.properties.generalCategory == .decimalNumber }

    private static func isAlphabet(_ r: Unicode.Scalar) -> Bool {
        guard isLetter(r) else { return false }
        if r.value < 0x2E80 { return true }
        return !(r.value >= 0x4E00 && r.value <= 0x9FCC) && !(r.value >= 0x3400 && r.value <= 0x4DB5)
            && !(r.value >= 0x2E80 && r.value <= 0x2FDF) && !(r.value >= 0x3040 && r.value <= 0x30FF)
            && !(r.value >= 0xAC00 && r.value <= 0xD7AF)
    }

    private static func isNumber(_ r: Unicode.Scalar) -> Bool {
        switch r.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    /// xstrings `nextWord`.
    private static func nextWord(_ str: ArraySlice<Unicode.Scalar>) -> (
        WordType, ArraySlice<Unicode.Scalar>, ArraySlice<Unicode.Scalar>
    ) {
        guard let r = str.first else { return (.invalid, [], []) }
        var offset = 1
        var remaining = str.dropFirst()
        func run(while pred: (Unicode.Scalar) -> Bool) {
            while let n = remaining.first, pred(n) {
                offset += 1
                remaining = remaining.dropFirst()
            }
        }
        let wt: WordType
        if isConnector(r) {
            wt = .connector
            run(while: isConnector)
        } else if isGoPunct(r) {
            wt = .punct
            run(while: isGoPunct)
        } else if isUpper(r) {
            wt = .upperCase
            if let r2 = remaining.first {
                if isUpper(r2) {
                    offset += 1
                    remaining = remaining.dropFirst()
                    run(while: isUpper)
                    if let n = remaining.first, isAlphabet(n) {
                        offset -= 1
                        remaining = str.dropFirst(offset)
                    }
                } else if isAlphabet(r2) {
                    offset += 1
                    remaining = remaining.dropFirst()
                    run { isAlphabet($0) && !isUpper($0) }
                }
            }
        } else if isAlphabet(r) {
            wt = .alphabet
            run { isAlphabet($0) && !isUpper($0) }
        } else if isNumber(r) {
            wt = .number
            run(while: isNumber)
        } else {
            wt = .other
            run { !(isConnector($0) || isAlphabet($0) || isNumber($0) || isGoPunct($0)) }
        }
        return (wt, str.prefix(offset), remaining)
    }

    private static func toLower(
        _ out: inout String.UnicodeScalarView, _ wt: WordType, _ word: ArraySlice<Unicode.Scalar>,
        _ connector: Unicode.Scalar
    ) {
        if wt != .upperCase && wt != .connector {
            out.append(contentsOf: word)
            return
        }
        for r in word {
            if isConnector(r) {
                out.append(connector)
            } else if isUpper(r) {
                out.append(lowerScalar(r))
            } else {
                out.append(r)
            }
        }
    }

    /// xstrings `camelCaseToLowerCase` (snakecase, kebabcase).
    static func camelCaseToLowerCase(_ str: String, _ connector: Unicode.Scalar) -> String {
        if str.isEmpty { return "" }
        var out = String.UnicodeScalarView()
        var (wt, word, remaining) = nextWord(Array(str.unicodeScalars)[...])
        while !remaining.isEmpty {
            if wt != .connector { toLower(&out, wt, word, connector) }
            let prev = wt
            let last = word
            (wt, word, remaining) = nextWord(remaining)
            switch prev {
            case .number:
                while wt == .alphabet || wt == .number {
                    toLower(&out, wt, word, connector)
                    (wt, word, remaining) = nextWord(remaining)
                }
                if wt != .invalid && wt != .punct && wt != .connector { out.append(connector) }
            case .connector:
                toLower(&out, prev, last, connector)
            case .punct:
                break
            default:
                if wt != .number {
                    if wt != .connector && wt != .punct { out.append(connector) }
                    break
                }
                if remaining.isEmpty { break }
                let lastNum = word
                (wt, word, remaining) = nextWord(remaining)
                if wt != .alphabet {
                    toLower(&out, .number, lastNum, connector)
                    if wt != .connector && wt != .punct { out.append(connector) }
                    break
                }
                out.append(connector)
                toLower(&out, .number, lastNum, connector)
                while wt == .alphabet || wt == .number {
                    toLower(&out, wt, word, connector)
                    (wt, word, remaining) = nextWord(remaining)
                }
                if wt != .invalid && wt != .connector && wt != .punct { out.append(connector) }
            }
        }
        toLower(&out, wt, word, connector)
        return String(out)
    }

    /// goutils `WrapCustom`, byte-wise as the Go code is.
    static func wrapCustom(_ str: String, _ wrapLength: Int, _ newLine: String, _ wrapLongWords: Bool) -> String {
        if str.isEmpty { return "" }
        let nl = (newLine.isEmpty ? "\n" : newLine).goBytes
        let wrapLength = max(wrapLength, 1)
        let s = str.goBytes
        var offset = 0
        var out: [UInt8] = []
        while s.count - offset > wrapLength {
            if s[offset] == 0x20 {
                offset += 1
                continue
            }
            let end = wrapLength + offset + 1
            var spaceToWrapAt = -1
            if let idx = s[offset..<min(end, s.count)].lastIndex(of: 0x20) { spaceToWrapAt = idx }
            if spaceToWrapAt >= offset {
                out += s[offset..<spaceToWrapAt]
                out += nl
                offset = spaceToWrapAt + 1
            } else if wrapLongWords {
                out += s[offset..<(wrapLength + offset)]
                out += nl
                offset += wrapLength
            } else {
                let e = wrapLength + offset
                if let idx = s[e...].firstIndex(of: 0x20) {
                    out += s[offset..<idx]
                    out += nl
                    offset = idx + 1
                } else {
                    out += s[offset...]
                    offset = s.count
                }
            }
        }
        out += s[offset...]
        return bytesToString(out)
    }

    /// goutils `AbbreviateFull` (nil: an error, which sprig turns into "").
    static func abbreviateFull(_ str: String, _ offset: Int, _ maxWidth: Int) -> String? {
        let s = str.goBytes
        if s.isEmpty { return "" }
        if maxWidth < 4 { return nil }
        if s.count <= maxWidth { return str }
        var offset = max(min(offset, s.count), 0)
        if s.count - offset < maxWidth - 3 { offset = s.count - (maxWidth - 3) }
        if offset <= 4 { return bytesToString(s[0..<(maxWidth - 3)]) + "..." }
        if maxWidth < 7 { return nil }
        if offset + maxWidth - 3 < s.count {
            return "..." + (abbreviateFull(bytesToString(s[offset...]), 0, maxWidth - 3) ?? "")
        }
        return "..." + bytesToString(s[(s.count - (maxWidth - 3))...])
    }

    // MARK: - Conversions

    static func registerConversions(into lib: inout FunctionLibrary) {
        lib.add("toString", [.any]) { a, _ in .string(try strval(a[0])) }
        lib.add("toStrings", [.any]) { a, _ in .strings(try strslice(a[0])) }
        lib.add("atoi", [.string]) { a, _ in
            // strconv.Atoi: decimal only, optional sign, no underscores.
            let s = a[0].stringValue
            let body = s.hasPrefix("+") || s.hasPrefix("-") ? s.dropFirst() : Substring(s)
            guard !body.isEmpty, body.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Int64(s) else {
                return .int(0)
            }
            return .int(v, .int)
        }
        lib.add("int", [.any]) { a, _ in .int(toInt64(a[0]), .int) }
        lib.add("int64", [.any]) { a, _ in .int(toInt64(a[0]), .int64) }
        lib.add("float64", [.any]) { a, _ in .float(toFloat64(a[0])) }
        lib.add("toDecimal", [.any]) { a, _ in
            let s = try goSprint([a[0]])
            guard let v = parseOctal(s) else { return .int(0, .int64) }
            return .int(v, .int64)
        }
    }

    /// `strconv.ParseInt(s, 8, 64)`.
    static func parseOctal(_ s: String) -> Int64? {
        let body = s.hasPrefix("+") || s.hasPrefix("-") ? String(s.dropFirst()) : s
        guard !body.isEmpty, body.allSatisfy({ $0 >= "0" && $0 <= "7" }) else { return nil }
        return Int64(s, radix: 8)
    }

    // MARK: - Math

    static func registerMath(into lib: inout FunctionLibrary) {
        lib.add("add1", [.any]) { a, _ in .int(toInt64(a[0]) &+ 1, .int64) }
        lib.add("add", [], variadic: .any) { a, _ in .int(a.reduce(Int64(0)) { $0 &+ toInt64($1) }, .int64) }
        lib.add("sub", [.any, .any]) { a, _ in .int(toInt64(a[0]) &- toInt64(a[1]), .int64) }
        lib.add("mul", [.any], variadic: .any) { a, _ in
            .int(a.dropFirst().reduce(toInt64(a[0])) { $0 &* toInt64($1) }, .int64)
        }
        lib.add("div", [.any, .any]) { a, _ in
            let d = toInt64(a[1])
            if d == 0 { throw TemplateFunctionError("runtime error: integer divide by zero") }
            return .int(toInt64(a[0]).dividedReportingOverflow(by: d).partialValue, .int64)
        }
        lib.add("mod", [.any, .any]) { a, _ in
            let d = toInt64(a[1])
            if d == 0 { throw TemplateFunctionError("runtime error: integer divide by zero") }
            return .int(toInt64(a[0]).remainderReportingOverflow(dividingBy: d).partialValue, .int64)
        }
        let maxFn: @Sendable ([Value], FunctionContext) throws -> Value = { a, _ in
            .int(a.dropFirst().reduce(toInt64(a[0])) { Swift.max($0, toInt64($1)) }, .int64)
        }
        lib.add("max", [.any], variadic: .any, maxFn)
        lib.add("biggest", [.any], variadic: .any, maxFn)
        lib.add("min", [.any], variadic: .any) { a, _ in
            .int(a.dropFirst().reduce(toInt64(a[0])) { Swift.min($0, toInt64($1)) }, .int64)
        }
        lib.add("maxf", [.any], variadic: .any) { a, _ in
            .float(a.dropFirst().reduce(toFloat64(a[0])) { goMax($0, toFloat64($1)) })
        }
        lib.add("minf", [.any], variadic: .any) { a, _ in
            .float(a.dropFirst().reduce(toFloat64(a[0])) { goMin($0, toFloat64($1)) })
        }
        lib.add("floor", [.any]) { a, _ in .float(toFloat64(a[0]).rounded(.down)) }
        lib.add("ceil", [.any]) { a, _ in .float(toFloat64(a[0]).rounded(.up)) }
        lib.add("round", [.any, .int], variadic: .float64) { a, _ in
            let roundOn = a.count > 2 ? toFloat64(a[2]) : 0.5
            let val = toFloat64(a[0])
            let pow = Foundation.pow(10.0, Double(a[1].intValue))
            let digit = pow * val
            let frac = digit - digit.rounded(.towardZero)
            let r = frac >= roundOn ? digit.rounded(.up) : digit.rounded(.down)
            return .float(r / pow)
        }
        lib.add("until", [.int]) { a, ctx in
            let n = a[0].intValue
            return try intList(untilStep(0, n, n < 0 ? -1 : 1, ctx))
        }
        lib.add("untilStep", [.int, .int, .int]) { a, ctx in
            try intList(untilStep(a[0].intValue, a[1].intValue, a[2].intValue, ctx))
        }
        lib.add("seq", [], variadic: .int) { a, ctx in
            let p = a.map(\.intValue)
            var r: [Int] = []
            switch p.count {
            case 1:
                let inc = p[0] < 1 ? -1 : 1
                r = try untilStep(1, p[0] &+ inc, inc, ctx)
            case 2:
                let step = p[1] < p[0] ? -1 : 1
                r = try untilStep(p[0], p[1] &+ step, step, ctx)
            case 3:
                var inc = 1
                if p[2] < p[0] {
                    inc = -1
                    if p[1] > 0 { return .string("") }
                }
                r = try untilStep(p[0], p[2] &+ inc, p[1], ctx)
            default:
                return .string("")
            }
            return .string(r.map(String.init).joined(separator: " "))
        }
        lib.add("add1f", [.any]) { a, _ in .float(decimalOp(a[0], [.int(1)], +)) }
        lib.add("addf", [], variadic: .any) { a, _ in .float(decimalOp(.float(0), a, +)) }
        lib.add("subf", [.any], variadic: .any) { a, _ in .float(decimalOp(a[0], Array(a.dropFirst()), -)) }
        lib.add("mulf", [.any], variadic: .any) { a, _ in .float(decimalOp(a[0], Array(a.dropFirst()), *)) }
        lib.add("divf", [.any], variadic: .any) { a, _ in
            for d in a.dropFirst() where toFloat64(d) == 0 { throw TemplateFunctionError("decimal division by 0") }
            return .float(decimalOp(a[0], Array(a.dropFirst()), isDivision: true, /))
        }
    }

    static func goMax(_ x: Double, _ y: Double) -> Double {
        if x.isInfinite && x > 0 || y.isInfinite && y > 0 { return .infinity }
        if x.isNaN || y.isNaN { return .nan }
        if x == 0 && y == 0 { return x.sign == .minus ? y : x }
        return x > y ? x : y
    }

    static func goMin(_ x: Double, _ y: Double) -> Double {
        if x.isInfinite && x < 0 || y.isInfinite && y < 0 { return -.infinity }
        if x.isNaN || y.isNaN { return .nan }
        if x == 0 && y == 0 { return x.sign == .minus ? x : y }
        return x < y ? x : y
    }

    static func intList(_ v: [Int]) -> Value { .list(v.map { .int($0) }, elem: .int, isNil: false) }

    static func untilStep(_ start: Int, _ stop: Int, _ step: Int, _ ctx: FunctionContext) throws -> [Int] {
        var v: [Int] = []
        if stop < start {
            if step >= 0 { return v }
            let (span, o) = start.subtractingReportingOverflow(stop)
            try checkSize(o ? Int.max : span / Swift.max(1, step.magnitude > UInt(Int.max) ? Int.max : -step), ctx)
            var i = start
            while i > stop {
                v.append(i)
                let (n, o) = i.addingReportingOverflow(step)
                if o { break }
                i = n
            }
            return v
        }
        if step <= 0 { return v }
        let (span, o) = stop.subtractingReportingOverflow(start)
        try checkSize(o ? Int.max : span / step, ctx)
        var i = start
        while i < stop {
            v.append(i)
            let (n, o) = i.addingReportingOverflow(step)
            if o { break }
            i = n
        }
        return v
    }

    /// shopspring/decimal arithmetic as sprig's `*f` functions use it: operands are the shortest
    /// decimal representation of each float64, results are converted back to the nearest float64.
    static func decimalOp(
        _ a: Value, _ rest: [Value], isDivision: Bool = false, _ op: (Decimal, Decimal) -> Decimal
    ) -> Double {
        func dec(_ v: Value) -> Decimal {
            let f = toFloat64(v)
            if f == 0 || !f.isFinite { return 0 }
            return Decimal(string: goFormatFloat(f, "e", -1), locale: Locale(identifier: "en_US_POSIX")) ?? 0
        }
        var acc = dec(a)
        for x in rest {
            acc = op(acc, dec(x))
            if isDivision {
                // shopspring's Div rounds to DivisionPrecision (16) decimal places.
                var rounded = Decimal()
                NSDecimalRound(&rounded, &acc, 16, .plain)
                acc = rounded
            }
        }
        return Double(NSDecimalNumber(decimal: acc).stringValue) ?? 0
    }

    // MARK: - Defaults, JSON

    static func registerDefaults(into lib: inout FunctionLibrary) {
        lib.add("default", [.any], variadic: .any) { a, _ in
            if a.count < 2 || isEmpty(a[1]) { return a[0] }
            return a[1]
        }
        lib.add("empty", [.any]) { a, _ in .bool(isEmpty(a[0])) }
        lib.add("coalesce", [], variadic: .any) { a, _ in a.first { !isEmpty($0) } ?? .null }
        lib.add("all", [], variadic: .any) { a, _ in .bool(a.allSatisfy { !isEmpty($0) }) }
        lib.add("any", [], variadic: .any) { a, _ in .bool(a.contains { !isEmpty($0) }) }
        lib.add("ternary", [.any, .any, .bool]) { a, _ in
            if case .bool(true) = a[2] { return a[0] }
            return a[1]
        }
        lib.add("fromJson", [.string]) { a, _ in (try? Value.parseJSON(a[0].stringValue)) ?? .null }
        lib.add("mustFromJson", [.string]) { a, _ in
            do {
                return try Value.parseJSON(a[0].stringValue)
            } catch {
                throw TemplateFunctionError("\(error)")
            }
        }
        lib.add("toJson", [.any]) { a, _ in .string((try? GoJSONEncoder().encode(a[0])) ?? "") }
        lib.add("mustToJson", [.any]) { a, _ in .string(try jsonOrThrow(GoJSONEncoder(), a[0])) }
        lib.add("toPrettyJson", [.any]) { a, _ in .string((try? GoJSONEncoder(indent: "  ").encode(a[0])) ?? "") }
        lib.add("mustToPrettyJson", [.any]) { a, _ in .string(try jsonOrThrow(GoJSONEncoder(indent: "  "), a[0])) }
        lib.add("toRawJson", [.any]) { a, _ in .string(try jsonOrThrow(GoJSONEncoder(escapeHTML: false), a[0])) }
        lib.add("mustToRawJson", [.any]) { a, _ in .string(try jsonOrThrow(GoJSONEncoder(escapeHTML: false), a[0])) }
    }

    static func jsonOrThrow(_ e: GoJSONEncoder, _ v: Value) throws -> String {
        do {
            return try e.encode(v)
        } catch {
            throw TemplateFunctionError(error.message)
        }
    }

    // MARK: - Lists

    static func registerLists(into lib: inout FunctionLibrary) {
        lib.add("list", [], variadic: .any) { a, _ in .list(a) }
        lib.add("tuple", [], variadic: .any) { a, _ in .list(a) }
        func listOp(
            _ name: String, _ message: String,
            _ body: @escaping @Sendable ([Value], [Value]) throws -> Value, params: [ParameterType] = [.any],
            variadic: ParameterType? = nil, listIndex: Int = 0
        ) -> (String, TemplateFunction, TemplateFunction) {
            let must = TemplateFunction(params, variadic: variadic) { a, _ in
                guard let items = listItems(a[listIndex]) else {
                    throw TemplateFunctionError("\(message) \(try kindForError(a[listIndex]))")
                }
                return try body(items, a)
            }
            return (name, must, must)
        }
        let ops: [(String, TemplateFunction, TemplateFunction)] = [
            listOp("append", "Cannot push on type", { l, a in .list(l + [a[1]]) }, params: [.any, .any]),
            listOp("prepend", "Cannot prepend on type", { l, a in .list([a[1]] + l) }, params: [.any, .any]),
            listOp("first", "Cannot find first on type", { l, _ in l.first ?? .null }),
            listOp("last", "Cannot find last on type", { l, _ in l.last ?? .null }),
            listOp(
                "rest", "Cannot find rest on type",
                { l, _ in l.isEmpty ? .list([], elem: .any, isNil: true) : .list(Array(l.dropFirst())) }),
            listOp(
                "initial", "Cannot find initial on type",
                { l, _ in l.isEmpty ? .list([], elem: .any, isNil: true) : .list(Array(l.dropLast())) }),
            listOp("reverse", "Cannot find reverse on type", { l, _ in .list(l.reversed()) }),
            listOp("compact", "Cannot compact on type", { l, _ in .list(l.filter { !isEmpty($0) }) }),
            listOp(
                "uniq", "Cannot find uniq on type",
                { l, _ in
                    // Hash-based, so long lists stay linear (Value's hash is consistent with ==).
                    var seen = Set<Value>()
                    var out: [Value] = []
                    for v in l where seen.insert(v).inserted { out.append(v) }
                    return .list(out)
                }),
            listOp(
                "without", "Cannot find without on type",
                { l, a in
                    let omit = Set(a.dropFirst())
                    return .list(l.filter { !omit.contains($0) })
                }, variadic: .any),
            listOp(
                "has", "Cannot find has on type", { l, a in .bool(l.contains(a[0])) }, params: [.any, .any],
                listIndex: 1),
            listOp(
                "chunk", "Cannot chunk type",
                { l, a in
                    let size = a[0].intValue
                    if size <= 0 { throw TemplateFunctionError("runtime error: chunk size must be positive") }
                    var out: [Value] = []
                    var i = 0
                    if l.isEmpty { return .list([.list([])], elem: .any, isNil: false) }
                    while i < l.count {
                        let end = l.count - i > size ? i + size : l.count
                        out.append(.list(Array(l[i..<end])))
                        i = end
                    }
                    return .list(out, elem: .any, isNil: false)
                }, params: [.int, .any], listIndex: 1),
            listOp(
                "slice", "list should be type of slice or array but",
                { l, a in
                    if l.isEmpty { return .null }
                    let start = a.count > 1 ? Int(toInt64(a[1])) : 0
                    let end = a.count > 2 ? Int(toInt64(a[2])) : l.count
                    guard start >= 0, start <= end, end <= l.count else {
                        throw TemplateFunctionError("reflect: slice index out of range")
                    }
                    if case .list(_, let e, _) = a[0] { return .list(Array(l[start..<end]), elem: e, isNil: false) }
                    if case .bytes(let b) = a[0] { return .bytes(Array(b[start..<end])) }
                    return .list(Array(l[start..<end]))
                }, variadic: .any),
        ]
        for (name, fn, must) in ops {
            lib[name] = fn
            lib["must" + name.prefix(1).uppercased() + name.dropFirst()] = must
        }
        lib["push"] = lib["append"]
        lib["mustPush"] = lib["mustAppend"]
        // `has` on a nil haystack is false rather than an error.
        lib.add("has", [.any, .any]) { a, _ in
            if a[1].isNilOrMissing { return .bool(false) }
            guard let items = listItems(a[1]) else {
                throw TemplateFunctionError("Cannot find has on type \(a[1].goKindName)")
            }
            return .bool(items.contains(a[0]))
        }
        lib["mustHas"] = lib["has"]
        lib.add("concat", [], variadic: .any) { a, _ in
            var res: [Value] = []
            for l in a {
                guard let items = listItems(l) else {
                    throw TemplateFunctionError("Cannot concat type \(try kindForError(l)) as list")
                }
                res += items
            }
            return .list(res, elem: .any, isNil: res.isEmpty)
        }
        lib.add("sortAlpha", [.any]) { a, _ in
            switch a[0] {
            case .list, .bytes: return .strings(try strslice(a[0]).sorted { $0.goLess($1) })
            default: return .strings([try strval(a[0])])
            }
        }
    }

    // MARK: - Dicts

    static func anyMap(_ v: Value) -> GoMap {
        if case .map(let m) = v { return m }
        return GoMap([:], isNil: true)
    }

    static func registerDicts(into lib: inout FunctionLibrary) {
        lib.add("dict", [], variadic: .any) { a, _ in
            var m: [String: Value] = [:]
            var i = 0
            while i < a.count {
                let key = try strval(a[i])
                m[key] = i + 1 < a.count ? a[i + 1] : .string("")
                i += 2
            }
            return .dictionary(m)
        }
        lib.add("get", [.anyMap, .string]) { a, _ in anyMap(a[0])[a[1].stringValue] ?? .string("") }
        lib.add("set", [.anyMap, .string, .any]) { a, _ in
            let m = anyMap(a[0])
            if m.isNil { throw TemplateFunctionError("assignment to entry in nil map") }
            m.set(a[1].stringValue, a[2])
            return a[0]
        }
        lib.add("unset", [.anyMap, .string]) { a, _ in
            anyMap(a[0]).remove(a[1].stringValue)
            return a[0]
        }
        lib.add("hasKey", [.anyMap, .string]) { a, _ in .bool(anyMap(a[0])[a[1].stringValue] != nil) }
        lib.add("pluck", [.string], variadic: .anyMap) { a, _ in
            .list(a.dropFirst().compactMap { anyMap($0)[a[0].stringValue] })
        }
        lib.add("keys", [], variadic: .anyMap) { a, _ in
            // Go's map order is random; sorted order is one of the orders Go may produce.
            .strings(a.flatMap { Value.sortedKeys(anyMap($0).entries) })
        }
        lib.add("values", [.anyMap]) { a, _ in
            let m = anyMap(a[0]).entries
            return .list(Value.sortedKeys(m).map { m[$0]! })
        }
        lib.add("pick", [.anyMap], variadic: .string) { a, _ in
            let m = anyMap(a[0])
            var res: [String: Value] = [:]
            for k in a.dropFirst() {
                if let v = m[k.stringValue] { res[k.stringValue] = v }
            }
            return .dictionary(res)
        }
        lib.add("omit", [.anyMap], variadic: .string) { a, _ in
            let omit = Set(a.dropFirst().map(\.stringValue))
            return .dictionary(anyMap(a[0]).entries.filter { !omit.contains($0.key) })
        }
        for (name, overwrite, must) in [
            ("merge", false, false), ("mustMerge", false, true), ("mergeOverwrite", true, false),
            ("mustMergeOverwrite", true, true),
        ] {
            lib.add(name, [.anyMap], variadic: .anyMap) { a, _ in
                let dst = anyMap(a[0])
                if dst.isNil {
                    if must { throw TemplateFunctionError("src and dst must be of same type") }
                    return .string("")
                }
                for src in a.dropFirst() { mergeMaps(dst, anyMap(src), overwrite: overwrite, depth: 0) }
                return a[0]
            }
        }
        lib.add("deepCopy", [.any]) { a, _ in
            if a[0].isNilOrMissing { throw TemplateFunctionError("deepCopy error: copy of nil") }
            return try deepCopy(a[0])
        }
        lib.add("mustDeepCopy", [.any]) { a, _ in
            a[0].isNilOrMissing ? .null : try deepCopy(a[0])
        }
        lib.add("dig", [], variadic: .any) { a, _ in
            if a.count < 3 { throw TemplateFunctionError("dig needs at least three arguments") }
            guard case .map(var dict) = a[a.count - 1], dict.elementType == .any else {
                throw TemplateFunctionError(
                    "interface conversion: interface {} is \(a[a.count - 1].goTypeName), not map[string]interface {}")
            }
            let def = a[a.count - 2]
            var keys: [String] = []
            for k in a.dropLast(2) {
                guard case .string(let s) = k else {
                    throw TemplateFunctionError("interface conversion: interface {} is \(k.goTypeName), not string")
                }
                keys.append(s)
            }
            for (i, k) in keys.enumerated() {
                guard let step = dict[k] else { return def }
                if i == keys.count - 1 { return step }
                guard case .map(let next) = step, next.elementType == .any else {
                    throw TemplateFunctionError(
                        "interface conversion: interface {} is \(step.goTypeName), not map[string]interface {}")
                }
                dict = next
            }
            return def
        }
    }

    static func deepCopy(_ v: Value, depth: Int = 0) throws -> Value {
        if depth > 1000 { throw TemplateFunctionError("deep copy failed: value nested too deeply (cycle?)") }
        switch v {
        case .map(let m):
            return .map(
                GoMap(
                    try m.entries.mapValues { try deepCopy($0, depth: depth + 1) }, elementType: m.elementType,
                    isNil: m.isNil))
        case .list(let l, let e, let n):
            return .list(try l.map { try deepCopy($0, depth: depth + 1) }, elem: e, isNil: n)
        case .object(let o): return .object(o.copied())
        default: return v
        }
    }

    /// mergo's map merge as sprig calls it (`Merge` / `MergeWithOverwrite`).
    static func mergeMaps(_ dst: GoMap, _ src: GoMap, overwrite: Bool, depth: Int) {
        guard depth < 64 else { return }
        for (k, s) in src.entries {
            let d = dst[k]
            switch s {
            case .null, .missing:
                if overwrite { dst.set(k, s) }
            case .map(let sm):
                if case .map(let dm)? = d { mergeMaps(dm, sm, overwrite: overwrite, depth: depth + 1) }
                if let d, !isEmpty(d) { continue }
                dst.set(k, s)
            case .list, .bytes:
                if let d, !isEmpty(d) {
                    if overwrite { dst.set(k, s) }
                    continue
                }
                dst.set(k, s)
            default:
                if overwrite || d == nil || isEmpty(d!) { dst.set(k, s) }
            }
        }
    }

    // MARK: - Encodings

    static func registerEncodings(into lib: inout FunctionLibrary) {
        lib.add("b64enc", [.string]) { a, _ in .string(GoBase64.encode(a[0].stringValue.goBytes)) }
        lib.add("b64dec", [.string]) { a, _ in
            switch base64Decode(a[0].stringValue) {
            case .success(let b): .string(bytesToString(b))
            case .failure(let e): .string(e.message)
            }
        }
        lib.add("b32enc", [.string]) { a, _ in .string(base32Encode(a[0].stringValue.goBytes)) }
        lib.add("b32dec", [.string]) { a, _ in
            switch base32Decode(a[0].stringValue) {
            case .success(let b): .string(bytesToString(b))
            case .failure(let e): .string(e.message)
            }
        }
    }

    struct DecodeError: Error {
        var message: String
    }

    /// Go's `base64.StdEncoding.DecodeString`, its error worded as Go's `CorruptInputError`.
    static func base64Decode(_ s: String) -> Result<[UInt8], DecodeError> {
        GoBase64.decode(s.goBytes, urlAlphabet: false).mapError {
            DecodeError(message: "illegal base64 data at input byte \($0.offset)")
        }
    }

    static func base32Decode(_ s: String) -> Result<[UInt8], DecodeError> {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)
        return decodeBlocks(s, table: table, bits: 5, blockChars: 8)
    }

    /// Decodes padded base64/base32 like Go's `DecodeString`, including its error positions
    /// (`illegal base64 data at input byte N`), which sprig returns as the result.
    private static func decodeBlocks(_ s: String, table: [UInt8], bits: Int, blockChars: Int) -> Result<
        [UInt8], DecodeError
    > {
        let name = bits == 6 ? "base64" : "base32"
        var lookup = [Int](repeating: -1, count: 256)
        for (i, c) in table.enumerated() { lookup[Int(c)] = i }
        let input = s.goBytes.filter { $0 != 0x0A && $0 != 0x0D }
        var out: [UInt8] = []
        func fail(_ at: Int) -> Result<[UInt8], DecodeError> {
            .failure(DecodeError(message: "illegal \(name) data at input byte \(at)"))
        }
        let minData = bits == 6 ? 2 : 2
        let validCounts: Set<Int> = bits == 6 ? [2, 3, 4] : [2, 4, 5, 7, 8]
        var i = 0
        while i < input.count {
            var vals: [Int] = []
            var j = 0
            var end = false
            while j < blockChars {
                if i + j >= input.count {
                    return fail(i)
                }
                let c = input[i + j]
                if c == UInt8(ascii: "=") {
                    if j < minData || !validCounts.contains(j) { return fail(i + j) }
                    // The rest of the quantum must be padding.
                    var k = i + j
                    while k < i + blockChars {
                        if k >= input.count { return fail(input.count) }
                        if input[k] != UInt8(ascii: "=") { return fail(k - 1) }
                        k += 1
                    }
                    if k < input.count { return fail(k) }
                    end = true
                    break
                }
                let v = lookup[Int(c)]
                if v < 0 { return fail(i + j) }
                vals.append(v)
                j += 1
            }
            var acc: UInt64 = 0
            for v in vals { acc = (acc << UInt64(bits)) | UInt64(v) }
            let totalBits = vals.count * bits
            let nbytes = totalBits / 8
            acc >>= UInt64(totalBits - nbytes * 8)
            for k in stride(from: nbytes - 1, through: 0, by: -1) { out.append(UInt8((acc >> UInt64(k * 8)) & 0xFF)) }
            if end { break }
            i += blockChars
        }
        return .success(out)
    }

    static func base32Encode(_ bytes: [UInt8]) -> String {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let chunk = Array(bytes[i..<min(i + 5, bytes.count)])
            var acc: UInt64 = 0
            for k in 0..<5 { acc = (acc << 8) | UInt64(k < chunk.count ? chunk[k] : 0) }
            let chars = [0, 2, 4, 5, 7, 8][chunk.count]
            for k in 0..<8 {
                if k < chars {
                    out.append(table[Int((acc >> UInt64(35 - k * 5)) & 31)])
                } else {
                    out.append(UInt8(ascii: "="))
                }
            }
            i += 5
        }
        return bytesToString(out)
    }

    // MARK: - Reflection

    static func registerReflection(into lib: inout FunctionLibrary) {
        lib.add("typeOf", [.any]) { a, _ in .string(a[0].goTypeName) }
        lib.add("typeIs", [.string, .any]) { a, _ in .bool(a[0].stringValue == a[1].goTypeName) }
        lib.add("typeIsLike", [.string, .any]) { a, _ in
            let t = a[1].goTypeName
            return .bool(a[0].stringValue == t || "*" + a[0].stringValue == t)
        }
        lib.add("kindOf", [.any]) { a, _ in .string(a[0].goKindName) }
        lib.add("kindIs", [.string, .any]) { a, _ in .bool(a[0].stringValue == a[1].goKindName) }
        lib.add("deepEqual", [.any, .any]) { a, _ in
            let x: Value = a[0] == .missing ? .null : a[0]
            let y: Value = a[1] == .missing ? .null : a[1]
            return .bool(x == y)
        }
    }

    // MARK: - Paths

    static func registerPaths(into lib: inout FunctionLibrary) {
        for prefix in ["", "os"] {
            func name(_ n: String) -> String { prefix.isEmpty ? n : prefix + n.prefix(1).uppercased() + n.dropFirst() }
            lib.add(name("base"), [.string]) { a, _ in .string(pathBase(a[0].stringValue)) }
            lib.add(name("dir"), [.string]) { a, _ in .string(pathDir(a[0].stringValue)) }
            lib.add(name("clean"), [.string]) { a, _ in .string(pathClean(a[0].stringValue)) }
            lib.add(name("ext"), [.string]) { a, _ in .string(pathExt(a[0].stringValue)) }
            lib.add(name("isAbs"), [.string]) { a, _ in .bool(a[0].stringValue.hasPrefix("/")) }
        }
    }

    /// Go's `path.Clean`.
    static func pathClean(_ path: String) -> String {
        if path.isEmpty { return "." }
        let rooted = path.hasPrefix("/")
        var out: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if let last = out.last, last != ".." {
                    out.removeLast()
                } else if !rooted {
                    out.append(part)
                }
                continue
            }
            out.append(part)
        }
        let joined = out.joined(separator: "/")
        if rooted { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    static func pathBase(_ path: String) -> String {
        if path.isEmpty { return "." }
        var p = Substring(path)
        while p.count > 0 && p.hasSuffix("/") { p = p.dropLast() }
        if let i = p.lastIndex(of: "/") { p = p[p.index(after: i)...] }
        return p.isEmpty ? "/" : String(p)
    }

    static func pathDir(_ path: String) -> String {
        var dir = Substring(path)
        if let i = dir.lastIndex(of: "/") {
            dir = dir[...i]
        } else {
            dir = ""
        }
        return pathClean(String(dir))
    }

    static func pathExt(_ path: String) -> String {
        let b = Array(path.utf8)
        var i = b.count - 1
        while i >= 0 && b[i] != UInt8(ascii: "/") {
            if b[i] == UInt8(ascii: ".") { return bytesToString(b[i...]) }
            i -= 1
        }
        return ""
    }
}

extension Array where Element == UInt8 {
    func hasSuffixBytes(_ s: [UInt8]) -> Bool {
        s.count <= count && Array(self[(count - s.count)...]) == s
    }

    func containsBytes(_ s: [UInt8]) -> Bool {
        if s.isEmpty { return true }
        guard s.count <= count else { return false }
        for i in 0...(count - s.count) where self[i] == s[0] && Array(self[i..<(i + s.count)]) == s { return true }
        return false
    }
}
