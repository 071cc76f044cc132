import Foundation
import GoCompat

// Go's `fmt` and `strconv` formatting for template values: `print`, `printf`, `println` and the
// `{{.}}` action all go through here, so output matches Go byte for byte.

// MARK: - strconv

/// Go's `strconv.Quote` (`asciiOnly`: `QuoteToASCII`) of a template string (raw bytes included).
func goQuote(_ s: String, asciiOnly: Bool = false) -> String {
    GoQuote.quote(bytes: s.goBytes, asciiOnly: asciiOnly)
}

/// Decimal digits and decimal-point position of a finite, non-negative double (`0.d1d2... × 10^dp`).
private struct Digits {
    var d: [UInt8]
    var dp: Int
}

/// The shortest digits that round-trip, as Go's `strconv` (and Swift's `description`) produce.
private func shortestDigits(_ v: Double) -> Digits {
    if v == 0 { return Digits(d: [], dp: 0) }
    let desc = "\(v)"  // e.g. "1234.5", "1e-05", "1.2345e+20"
    var mantissa = Substring(desc)
    var exp = 0
    if let e = desc.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        mantissa = desc[..<e]
        exp = Int(desc[desc.index(after: e)...].replacingOccurrences(of: "+", with: "")) ?? 0
    }
    let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
    let intPart = Array(parts[0].utf8)
    let fracPart = parts.count > 1 ? Array(parts[1].utf8) : []
    var digits = intPart + fracPart
    var dp = intPart.count + exp
    while let f = digits.first, f == UInt8(ascii: "0") {
        digits.removeFirst()
        dp -= 1
    }
    while let l = digits.last, l == UInt8(ascii: "0") { digits.removeLast() }
    return Digits(d: digits, dp: dp)
}

/// `n` significant digits, correctly rounded (via the C library's exact `%e`).
private func precisionDigits(_ v: Double, _ n: Int) -> Digits {
    if v == 0 { return Digits(d: Array(repeating: UInt8(ascii: "0"), count: n), dp: 1) }
    let s = String(format: "%.\(max(n - 1, 0))e", v)
    let e = s.firstIndex(of: "e")!
    let mant = s[..<e].replacingOccurrences(of: ".", with: "")
    let exp = Int(s[s.index(after: e)...].replacingOccurrences(of: "+", with: ""))!
    return Digits(d: Array(mant.utf8), dp: exp + 1)
}

private func fmtE(_ neg: Bool, _ digs: Digits, _ prec: Int, _ fmt: Character) -> String {
    var out = neg ? "-" : ""
    let d = digs.d
    out.append(d.isEmpty ? "0" : String(UnicodeScalar(d[0])))
    if prec > 0 {
        out += "."
        var i = 1
        let m = min(d.count, prec + 1)
        if i < m {
            out += String(decoding: d[i..<m], as: UTF8.self)
            i = m
        }
        while i <= prec {
            out += "0"
            i += 1
        }
    }
    out.append(fmt)
    var exp = digs.dp - 1
    if d.isEmpty { exp = 0 }
    out += exp < 0 ? "-" : "+"
    exp = abs(exp)
    out += exp < 10 ? "0\(exp)" : "\(exp)"
    return out
}

private func fmtF(_ neg: Bool, _ digs: Digits, _ prec: Int) -> String {
    var out = neg ? "-" : ""
    let d = digs.d
    if digs.dp > 0 {
        let m = min(d.count, digs.dp)
        out += String(decoding: d[0..<m], as: UTF8.self)
        out += String(repeating: "0", count: digs.dp - m)
    } else {
        out += "0"
    }
    if prec > 0 {
        out += "."
        for i in 1...prec {
            let j = digs.dp + i - 1
            out.append(j >= 0 && j < d.count ? Character(UnicodeScalar(d[j])) : "0")
        }
    }
    return out
}

/// Go's `strconv.FormatFloat(v, fmt, prec, 64)` for fmt in `e E f g G` (prec -1: shortest).
func goFormatFloat(_ v: Double, _ fmt: Character, _ prec: Int) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v < 0 ? "-Inf" : "+Inf" }
    let neg = v.sign == .minus
    let a = abs(v)
    let shortest = prec < 0
    switch fmt {
    case "f":
        if shortest {
            return fmtF(neg, shortestDigits(a), max(shortestDigits(a).d.count - shortestDigits(a).dp, 0))
        }
        var s = String(format: "%.\(prec)f", a)
        if neg { s = "-" + s }
        return s
    case "e", "E":
        if shortest {
            let d = shortestDigits(a)
            return fmtE(neg, d, max(d.d.count - 1, 0), fmt)
        }
        return fmtE(neg, precisionDigits(a, prec + 1), prec, fmt)
    default:  // g, G
        var digs: Digits
        var p = prec
        if shortest {
            digs = shortestDigits(a)
            p = digs.d.count
        } else {
            if p == 0 { p = 1 }
            digs = precisionDigits(a, p)
            while let l = digs.d.last, l == UInt8(ascii: "0"), digs.d.count > 1 { digs.d.removeLast() }
            if a == 0 { digs = Digits(d: [], dp: 0) }
        }
        var eprec = p
        if eprec > digs.d.count && digs.d.count >= digs.dp { eprec = digs.d.count }
        if shortest { eprec = 6 }
        let exp = digs.dp - 1
        if a == 0 {
            return (neg ? "-" : "") + "0"
        }
        if exp < -4 || exp >= eprec {
            if p > digs.d.count { p = digs.d.count }
            return fmtE(neg, digs, p - 1, fmt == "g" ? "e" : "E")
        }
        if p > digs.dp { p = digs.d.count }
        return fmtF(neg, digs, max(p - digs.dp, 0))
    }
}

// MARK: - fmt

/// Formatting flags of one `%` directive.
struct FormatFlags {
    var plus = false
    var minus = false
    var sharp = false
    var space = false
    var zero = false
    /// `%#v`: Go-syntax representation (Go clears `sharp` and sets this).
    var sharpV = false
    var width: Int?
    var precision: Int?
}

/// A value nested too deeply to print: a map that contains itself (Go's fmt would overflow its
/// stack and crash the process).
struct ValueTooDeep: Error, CustomStringConvertible {
    var description: String { "value nested more than \(GoPrinter.maxDepth) levels deep (does a map contain itself?)" }
}

/// Formats `v` with `%v`-family semantics (Go's `fmt.Sprint` of one operand).
func formatValue(_ v: Value, verb: Character = "v") throws(ValueTooDeep) -> String {
    var p = GoPrinter()
    p.printArg(v, verb: verb, flags: FormatFlags())
    return try p.result()
}

/// Go's `fmt.Sprint`.
func goSprint(_ args: [Value]) throws(ValueTooDeep) -> String {
    var p = GoPrinter()
    var prevString = false
    for (i, a) in args.enumerated() {
        let isString: Bool
        if case .string = a { isString = true } else { isString = false }
        if i > 0 && !isString && !prevString { p.out += " " }
        p.printArg(a, verb: "v", flags: FormatFlags())
        prevString = isString
    }
    return try p.result()
}

/// Go's `fmt.Sprintln`.
func goSprintln(_ args: [Value]) throws(ValueTooDeep) -> String {
    var p = GoPrinter()
    for (i, a) in args.enumerated() {
        if i > 0 { p.out += " " }
        p.printArg(a, verb: "v", flags: FormatFlags())
    }
    p.out += "\n"
    return try p.result()
}

/// Go's `fmt.Sprintf`.
func goSprintf(_ format: String, _ args: [Value]) throws(ValueTooDeep) -> String {
    var p = GoPrinter()
    p.doPrintf(Array(format.unicodeScalars), args)
    return try p.result()
}

struct GoPrinter {
    /// Deepest nesting printed; deeper values (only possible through cycles) fail the print.
    static let maxDepth = 1000
    var out = ""
    private var tooDeep = false

    func result() throws(ValueTooDeep) -> String {
        if tooDeep { throw ValueTooDeep() }
        return out
    }

    // MARK: Padding

    private mutating func pad(_ s: String, _ f: FormatFlags, zeroAllowed: Bool = true) {
        guard let w = f.width, w > 0 else {
            out += s
            return
        }
        let n = w - s.unicodeScalars.count
        if n <= 0 {
            out += s
            return
        }
        if f.minus {
            out += s + String(repeating: " ", count: n)
        } else {
            out += String(repeating: (f.zero && zeroAllowed) ? "0" : " ", count: n) + s
        }
    }

    // MARK: Printf driver

    mutating func doPrintf(_ format: [Unicode.Scalar], _ args: [Value]) {
        var argNum = 0
        var reordered = false
        var i = 0
        let end = format.count
        while i < end {
            let lasti = i
            while i < end && format[i] != "%" { i += 1 }
            if i > lasti { out += String(String.UnicodeScalarView(format[lasti..<i])) }
            if i >= end { break }
            i += 1  // skip %
            var f = FormatFlags()
            flags: while i < end {
                switch format[i] {
                case "#": f.sharp = true
                case "0": f.zero = !f.minus
                case "+": f.plus = true
                case "-":
                    f.minus = true
                    f.zero = false
                case " ": f.space = true
                default: break flags
                }
                i += 1
            }
            var badIndex = false
            // Explicit argument index before the width: %[n]d, %[n]*d.
            func argIndex() {
                guard i < end, format[i] == "[" else { return }
                reordered = true
                var j = i + 1
                var n = 0
                var digits = 0
                while j < end, format[j].isASCII, format[j].value >= 48, format[j].value <= 57 {
                    n = min(n * 10 + Int(format[j].value - 48), 1_000_000)
                    digits += 1
                    j += 1
                }
                if j < end && format[j] == "]" && digits > 0 && n >= 1 && n <= args.count {
                    argNum = n - 1
                    i = j + 1
                } else {
                    badIndex = true
                    if let close = format[i..<end].firstIndex(of: "]") { i = close + 1 } else { i = end }
                }
            }
            argIndex()
            // Width.
            if i < end && format[i] == "*" {
                i += 1
                if argNum < args.count, case .int(let n, _) = args[argNum], n.magnitude < 1_000_000 {
                    f.width = Int(n)
                    if n < 0 {
                        f.minus = true
                        f.zero = false
                        f.width = Int(-n)
                    }
                } else {
                    out += "%!(BADWIDTH)"
                }
                argNum += 1
            } else {
                var n = 0
                var any = false
                while i < end,
                    let d = format[i].properties.numericType == .decimal && format[i].isASCII
                        ? Int(format[i].value - 48) : nil
                {
                    n = min(n * 10 + d, 1_000_000)
                    any = true
                    i += 1
                }
                if any { f.width = n }
            }
            // Precision.
            if i + 1 <= end && i < end && format[i] == "." {
                i += 1
                argIndex()
                if i < end && format[i] == "*" {
                    i += 1
                    if argNum < args.count, case .int(let n, _) = args[argNum], n >= 0, n < 1_000_000 {
                        f.precision = Int(n)
                    } else {
                        out += "%!(BADPREC)"
                    }
                    argNum += 1
                } else {
                    var n = 0
                    while i < end, format[i].isASCII, format[i].value >= 48, format[i].value <= 57 {
                        n = min(n * 10 + Int(format[i].value - 48), 1_000_000)
                        i += 1
                    }
                    f.precision = n
                }
            }
            if !badIndex { argIndex() }
            if i >= end {
                out += "%!(NOVERB)"
                break
            }
            let verb = Character(format[i])
            i += 1
            if verb == "%" {
                out += "%"
                continue
            }
            if badIndex {
                out += "%!\(verb)(BADINDEX)"
                continue
            }
            if argNum >= args.count {
                out += "%!\(verb)(MISSING)"
                continue
            }
            let arg = args[argNum]
            argNum += 1
            if verb == "w" {
                out += "%!w("
                printArg(arg, verb: "v", flags: FormatFlags())
                out += ")"
                continue
            }
            printArg(arg, verb: verb, flags: f)
        }
        if !reordered && argNum < args.count {
            out += "%!(EXTRA "
            for (k, a) in args[argNum...].enumerated() {
                if k > 0 { out += ", " }
                if a.isNilOrMissing {
                    out += "<nil>"
                } else {
                    out += a.goTypeName + "="
                    printArg(a, verb: "v", flags: FormatFlags())
                }
            }
            out += ")"
        }
    }

    private mutating func badVerb(_ verb: Character, _ v: Value) {
        out += "%!\(verb)("
        if v.isNilOrMissing {
            out += "<nil>"
        } else {
            out += v.goTypeName + "="
            printArg(v, verb: "v", flags: FormatFlags())
        }
        out += ")"
    }

    // MARK: Values

    mutating func printArg(_ v: Value, verb: Character, flags: FormatFlags, depth: Int = 0) {
        if depth > Self.maxDepth || tooDeep {
            tooDeep = true
            return
        }
        var f = flags
        if verb == "v" && f.sharp {
            f.sharp = false
            f.sharpV = true
        }
        if verb == "T" {
            pad(v.goTypeName, f)
            return
        }
        switch v {
        case .missing, .null:
            switch verb {
            case "T", "v": pad("<nil>", f, zeroAllowed: false)
            default: badVerb(verb, v)
            }
        case .time(let t):
            // time.Time is a fmt.Stringer.
            switch verb {
            case "v", "s", "q", "x", "X": fmtString(t.goString, verb: verb, f, original: v)
            default: badVerb(verb, v)
            }
        case .bool(let b):
            switch verb {
            case "t", "v": pad(b ? "true" : "false", f, zeroAllowed: false)
            default: badVerb(verb, v)
            }
        case .int(let i, let t):
            if f.sharpV && t.isUnsigned {
                out += "0x" + String(UInt64(bitPattern: i), radix: 16)
            } else {
                fmtInteger(i, unsigned: t.isUnsigned, verb: verb, f, original: v)
            }
        case .float(let d):
            fmtFloatVerb(d, verb: verb, f, original: v)
        case .string(let s):
            if f.sharpV {
                pad(goQuote(s), f)
            } else {
                fmtString(s, verb: verb, f, original: v)
            }
        case .bytes(let b):
            switch verb {
            case "s", "q", "x", "X":
                fmtString(String(goBytes: b), verb: verb, f, original: v, bytes: b)
            default:
                printList(b.map { .int(Int64($0), .uint8) }, isMap: false, verb: verb, f, depth: depth)
            }
        case .list(let items, _, _):
            printList(items, isMap: false, verb: verb, f, depth: depth)
        case .object(let o):
            printObject(o, verb: verb, f, depth: depth)
        case .map(let box):
            let m = box.entries
            if f.sharpV {
                out += v.goTypeName
                out += "{"
                for (k, key) in Value.sortedKeys(m).enumerated() {
                    if k > 0 { out += ", " }
                    out += goQuote(key) + ":"
                    printArg(m[key]!, verb: verb, flags: f, depth: depth + 1)
                }
                out += "}"
                return
            }
            out += "map["
            for (k, key) in Value.sortedKeys(m).enumerated() {
                if k > 0 { out += " " }
                printArg(.string(key), verb: verb, flags: f, depth: depth + 1)
                out += ":"
                printArg(m[key]!, verb: verb, flags: f, depth: depth + 1)
            }
            out += "]"
        }
    }

    /// A struct or pointer: its `String()` for the string verbs (fmt's Stringer rule), otherwise
    /// its fields as `{a b}`, `{A:a B:b}` (`%+v`) or `pkg.T{A:"a", B:"b"}` (`%#v`).
    private mutating func printObject(_ o: GoObject, verb: Character, _ f: FormatFlags, depth: Int) {
        if !f.sharpV, "vsxXq".contains(verb), let s = o.stringerValue {
            fmtString(s, verb: verb, f, original: .object(o))
            return
        }
        let plusV = verb == "v" && f.plus
        var inner = f
        inner.plus = false
        if o.isPointer { out += "&" }
        if f.sharpV { out += o.structTypeName }
        out += "{"
        for (k, field) in o.fields.enumerated() {
            if k > 0 { out += f.sharpV ? ", " : " " }
            if plusV || f.sharpV { out += field.name + ":" }
            printArg(field.value, verb: verb, flags: inner, depth: depth + 1)
        }
        out += "}"
    }

    private mutating func printList(_ items: [Value], isMap: Bool, verb: Character, _ f: FormatFlags, depth: Int) {
        if f.sharpV {
            out += "[]interface {}{"
            for (k, item) in items.enumerated() {
                if k > 0 { out += ", " }
                printArg(item, verb: verb, flags: f, depth: depth + 1)
            }
            out += "}"
            return
        }
        out += "["
        for (k, item) in items.enumerated() {
            if k > 0 { out += " " }
            printArg(item, verb: verb, flags: f, depth: depth + 1)
        }
        out += "]"
    }

    private mutating func fmtInteger(_ i: Int64, unsigned: Bool, verb: Character, _ f: FormatFlags, original: Value) {
        switch verb {
        case "v", "d": integer(i, unsigned: unsigned, base: 10, verb: verb, f)
        case "b": integer(i, unsigned: unsigned, base: 2, verb: verb, f)
        case "o", "O": integer(i, unsigned: unsigned, base: 8, verb: verb, f)
        case "x": integer(i, unsigned: unsigned, base: 16, verb: verb, f)
        case "X": integer(i, unsigned: unsigned, base: 16, verb: verb, f, upper: true)
        case "c":
            let s = (i >= 0 && i <= 0x10FFFF) ? Unicode.Scalar(UInt32(i)).map { String($0) } ?? "\u{FFFD}" : "\u{FFFD}"
            pad(s, f)
        case "q": pad(GoQuote.quoteRune(i, asciiOnly: f.plus), f)
        case "U":
            var s = "U+" + pad(String(UInt64(bitPattern: i), radix: 16, uppercase: true), 4)
            if f.sharp, i >= 0, i <= 0x10FFFF, let sc = Unicode.Scalar(UInt32(i)), GoQuote.isPrint(sc) {
                s += " '" + String(sc) + "'"
            }
            pad(s, f)
        default: badVerb(verb, original)
        }
    }

    private func pad(_ s: String, _ n: Int) -> String {
        String(repeating: "0", count: max(0, n - s.count)) + s
    }

    private mutating func integer(
        _ value: Int64, unsigned: Bool, base: Int, verb: Character, _ f: FormatFlags, upper: Bool = false
    ) {
        let negative = !unsigned && value < 0
        let u = unsigned ? UInt64(bitPattern: value) : value.magnitude
        var prec = 0
        if let p = f.precision {
            prec = p
            if prec == 0 && u == 0 {
                var g = f
                g.zero = false
                pad("", g)
                return
            }
        } else if f.zero, let w = f.width {
            prec = w
            if negative || f.plus || f.space { prec -= 1 }
        }
        var digits = String(u, radix: base, uppercase: upper)
        if digits.count < prec { digits = String(repeating: "0", count: prec - digits.count) + digits }
        if f.sharp {
            switch base {
            case 2: digits = "0b" + digits
            case 8: if !digits.hasPrefix("0") { digits = "0" + digits }
            case 16: digits = (upper ? "0X" : "0x") + digits
            default: break
            }
        }
        if verb == "O" { digits = "0o" + digits }
        if negative {
            digits = "-" + digits
        } else if f.plus {
            digits = "+" + digits
        } else if f.space {
            digits = " " + digits
        }
        var g = f
        g.zero = false
        pad(digits, g)
    }

    private mutating func fmtFloatVerb(_ d: Double, verb: Character, _ f: FormatFlags, original: Value) {
        switch verb {
        case "v": floatFmt(d, "g", -1, f)
        case "e", "E", "f", "g", "G": floatFmt(d, verb, verb == "f" || verb == "e" || verb == "E" ? 6 : -1, f)
        case "F": floatFmt(d, "f", 6, f)
        default: badVerb(verb, original)
        }
    }

    private mutating func floatFmt(_ v: Double, _ verb: Character, _ defaultPrec: Int, _ f: FormatFlags) {
        let prec = f.precision ?? defaultPrec
        var num = goFormatFloat(v, verb, prec)
        if num.hasPrefix("-") || num.hasPrefix("+") {
            // keep
        } else {
            num = "+" + num
        }
        if f.space && num.hasPrefix("+") && !f.plus {
            num = " " + num.dropFirst()
        }
        if num.dropFirst().hasPrefix("I") || num.dropFirst().hasPrefix("N") {
            var g = f
            g.zero = false
            if num.dropFirst().hasPrefix("N") && !f.space && !f.plus { num = String(num.dropFirst()) }
            pad(num, g)
            return
        }
        if f.sharp {
            var digits = 0
            if verb == "g" || verb == "G" { digits = prec == -1 ? 6 : prec }
            var body = num
            var tail = ""
            if let e = body.firstIndex(where: { $0 == "e" || $0 == "E" }) {
                tail = String(body[e...])
                body = String(body[..<e])
            }
            var sawNonzero = false
            for c in body.dropFirst() where c != "." {
                if c != "0" { sawNonzero = true }
                if sawNonzero { digits -= 1 }
            }
            if !body.contains(".") {
                if body.count == 2 && body.last == "0" { digits -= 1 }
                body += "."
            }
            while digits > 0 {
                body += "0"
                digits -= 1
            }
            num = body + tail
        }
        if f.plus || !num.hasPrefix("+") {
            if f.zero, let w = f.width, w > num.count {
                out += String(num.first!)
                out += String(repeating: "0", count: w - num.count)
                out += num.dropFirst()
                return
            }
            pad(num, f)
            return
        }
        pad(String(num.dropFirst()), f)
    }

    private mutating func fmtString(
        _ s: String, verb: Character, _ f: FormatFlags, original: Value, bytes: [UInt8]? = nil
    ) {
        switch verb {
        case "v", "s":
            var str = s
            if let p = f.precision {
                str = String(String.UnicodeScalarView(s.unicodeScalars.prefix(p)))
            }
            pad(str, f)
        case "q":
            var str = s
            if let p = f.precision { str = String(String.UnicodeScalarView(s.unicodeScalars.prefix(p))) }
            if f.sharp && !str.contains("`") && str.unicodeScalars.allSatisfy({ $0 == "\t" || GoQuote.isPrint($0) }) {
                pad("`" + str + "`", f)
            } else {
                pad(goQuote(str, asciiOnly: f.plus), f)
            }
        case "x", "X":
            var b = bytes ?? s.goBytes
            if let p = f.precision, p < b.count { b = Array(b.prefix(p)) }
            let digits = Array((verb == "x" ? "0123456789abcdef" : "0123456789ABCDEF").utf8)
            var r: [UInt8] = []
            for (k, c) in b.enumerated() {
                if f.space && k > 0 { r.append(0x20) }
                if f.sharp && (f.space || k == 0) {
                    r.append(0x30)
                    r.append(verb == "x" ? 0x78 : 0x58)
                }
                r.append(digits[Int(c >> 4)])
                r.append(digits[Int(c & 0xF)])
            }
            pad(String(decoding: r, as: UTF8.self), f)
        default:
            badVerb(verb, original)
        }
    }
}
