import GoCompat
/// Go's predefined template functions (`text/template/funcs.go`). A function library may shadow
/// any of them, as sprig shadows `slice`.
enum Builtins {
    static let library: FunctionLibrary = {
        var lib = FunctionLibrary()
        // `and` and `or` short-circuit, so the executor evaluates them itself; these only declare them.
        lib.add("and", [.reflectValue], variadic: .reflectValue) { _, _ in .missing }
        lib.add("or", [.reflectValue], variadic: .reflectValue) { _, _ in .missing }
        lib.add("not", [.reflectValue]) { a, _ in .bool(!a[0].truth) }
        lib.add("len", [.reflectValue]) { a, _ in try length(a[0]) }
        lib.add("index", [.reflectValue], variadic: .reflectValue) { a, _ in try index(a[0], Array(a.dropFirst())) }
        lib.add("slice", [.reflectValue], variadic: .reflectValue) { a, _ in try slice(a[0], Array(a.dropFirst())) }
        lib.add("print", [], variadic: .any) { a, _ in .string(try goSprint(a)) }
        lib.add("println", [], variadic: .any) { a, _ in .string(try goSprintln(a)) }
        lib.add("printf", [.string], variadic: .any) { a, _ in
            guard case .string(let f) = a[0] else { return .string("") }
            return .string(try goSprintf(f, Array(a.dropFirst())))
        }
        lib.add("html", [], variadic: .any) { a, _ in .string(htmlEscape(try evalArgs(a))) }
        lib.add("js", [], variadic: .any) { a, _ in .string(jsEscape(try evalArgs(a))) }
        lib.add("urlquery", [], variadic: .any) { a, _ in .string(queryEscape(try evalArgs(a))) }
        lib.add("call", [.reflectValue], variadic: .reflectValue) { a, _ in
            if a[0].isNilOrMissing { throw TemplateFunctionError("call of nil") }
            throw TemplateFunctionError("non-function of type \(a[0].goTypeName)")
        }
        lib.add("eq", [.reflectValue], variadic: .reflectValue) { a, _ in
            .bool(try eq(a[0], Array(a.dropFirst())))
        }
        lib.add("ne", [.reflectValue, .reflectValue]) { a, _ in .bool(!(try eq(a[0], [a[1]]))) }
        lib.add("lt", [.reflectValue, .reflectValue]) { a, _ in .bool(try lt(a[0], a[1])) }
        lib.add("le", [.reflectValue, .reflectValue]) { a, _ in
            let l = try lt(a[0], a[1])
            return .bool(l ? true : try eq(a[0], [a[1]]))
        }
        lib.add("gt", [.reflectValue, .reflectValue]) { a, _ in
            let l = try lt(a[0], a[1])
            return .bool(l ? false : !(try eq(a[0], [a[1]])))
        }
        lib.add("ge", [.reflectValue, .reflectValue]) { a, _ in .bool(!(try lt(a[0], a[1]))) }
        return lib
    }()

    // MARK: - len, index, slice

    static func length(_ v: Value) throws -> Value {
        switch v {
        case .null: throw TemplateFunctionError("len of nil pointer")
        case .missing: throw TemplateFunctionError("len of untyped nil")
        case .string(let s): return .int(s.goByteCount)
        case .bytes(let b): return .int(b.count)
        case .list(let l, _, _): return .int(l.count)
        case .map(let m): return .int(m.count)
        default: throw TemplateFunctionError("len of type \(v.goTypeName)")
        }
    }

    private static func indexArg(_ index: Value, cap: Int) throws -> Int {
        switch index {
        case .int(let x, _):
            if x < 0 || x > Int64(cap) { throw TemplateFunctionError("index out of range: \(x)") }
            return Int(x)
        case .missing, .null:
            throw TemplateFunctionError("cannot index slice/array with nil")
        default:
            throw TemplateFunctionError("cannot index slice/array with type \(index.goTypeName)")
        }
    }

    static func index(_ item: Value, _ indexes: [Value]) throws -> Value {
        var item = item
        if item.isNilOrMissing { throw TemplateFunctionError("index of untyped nil") }
        for index in indexes {
            switch item {
            case .null, .missing:
                throw TemplateFunctionError("index of nil pointer")
            case .list(let l, _, _):
                let x = try indexArg(index, cap: l.count)
                guard x < l.count else { throw TemplateFunctionError("reflect: slice index out of range") }
                item = l[x]
            case .string(let s):
                let b = s.goBytes
                let x = try indexArg(index, cap: b.count)
                guard x < b.count else { throw TemplateFunctionError("reflect: string index out of range") }
                item = .int(Int64(b[x]), .uint8)
            case .bytes(let b):
                let x = try indexArg(index, cap: b.count)
                guard x < b.count else { throw TemplateFunctionError("reflect: slice index out of range") }
                item = .int(Int64(b[x]), .uint8)
            case .map(let m):
                let elem = m.elementType
                switch index {
                case .string(let k): item = m[k] ?? Value.zero(of: elem)
                case .missing, .null: throw TemplateFunctionError("value is nil; should be of type string")
                default: throw TemplateFunctionError("value has type \(index.goTypeName); should be string")
                }
            default:
                throw TemplateFunctionError("can't index item of type \(item.goTypeName)")
            }
        }
        return item
    }

    static func slice(_ item: Value, _ indexes: [Value]) throws -> Value {
        if item.isNilOrMissing { throw TemplateFunctionError("slice of untyped nil") }
        if indexes.count > 3 { throw TemplateFunctionError("too many slice indexes: \(indexes.count)") }
        let count: Int
        switch item {
        case .string(let s):
            if indexes.count == 3 { throw TemplateFunctionError("cannot 3-index slice a string") }
            count = s.goByteCount
        case .list(let l, _, _): count = l.count
        case .bytes(let b): count = b.count
        default: throw TemplateFunctionError("can't slice item of type \(item.goTypeName)")
        }
        var idx = [0, count, 0]
        for (i, index) in indexes.enumerated() {
            idx[i] = try indexArg(index, cap: count)
        }
        if idx[0] > idx[1] { throw TemplateFunctionError("invalid slice index: \(idx[0]) > \(idx[1])") }
        if indexes.count == 3 && idx[1] > idx[2] {
            throw TemplateFunctionError("invalid slice index: \(idx[1]) > \(idx[2])")
        }
        switch item {
        case .string(let s): return .string(String(goBytes: s.goBytes[idx[0]..<idx[1]]))
        case .list(let l, let e, _): return .list(Array(l[idx[0]..<idx[1]]), elem: e, isNil: false)
        case .bytes(let b): return .bytes(Array(b[idx[0]..<idx[1]]))
        default: return item
        }
    }

    // MARK: - Comparison

    private enum BasicKind { case invalid, bool, int, uint, float, string }

    private static func basicKind(_ v: Value) -> BasicKind {
        switch v {
        case .bool: .bool
        case .int(_, .uint8), .int(_, .uint64): .uint
        case .int: .int
        case .float: .float
        case .string: .string
        default: .invalid
        }
    }

    /// Go's comparison of an integer of either signedness with another: -1, 0 or 1.
    private static func compareIntegers(_ a: Value, _ b: Value) -> Int {
        guard case .int(let x, let tx) = a, case .int(let y, let ty) = b else { return 0 }
        switch (tx.isUnsigned, ty.isUnsigned) {
        case (false, false): return x < y ? -1 : (x == y ? 0 : 1)
        case (true, true):
            let (u, v) = (UInt64(bitPattern: x), UInt64(bitPattern: y))
            return u < v ? -1 : (u == v ? 0 : 1)
        case (false, true):
            if x < 0 { return -1 }
            let (u, v) = (UInt64(x), UInt64(bitPattern: y))
            return u < v ? -1 : (u == v ? 0 : 1)
        case (true, false):
            if y < 0 { return 1 }
            let (u, v) = (UInt64(bitPattern: x), UInt64(y))
            return u < v ? -1 : (u == v ? 0 : 1)
        }
    }

    private static func isNil(_ v: Value) -> Bool {
        switch v {
        case .missing, .null: true
        case .list(_, _, let n): n
        case .map(let m): m.isNil
        default: false
        }
    }

    private static func reflectKind(_ v: Value) -> String {
        switch v {
        case .missing, .null: "invalid"
        case .list, .bytes: "slice"
        case .map: "map"
        default: v.goKindName
        }
    }

    static func eq(_ a: Value, _ others: [Value]) throws -> Bool {
        let arg1: Value = a == .null ? .missing : a
        if others.isEmpty { throw TemplateFunctionError("missing argument for comparison") }
        let k1 = basicKind(arg1)
        for o in others {
            let arg: Value = o == .null ? .missing : o
            let k2 = basicKind(arg)
            var truth = false
            if k1 != k2 {
                switch (k1, k2) {
                case (.int, .uint), (.uint, .int): truth = compareIntegers(arg1, arg) == 0
                default:
                    if arg1 != .missing && arg != .missing {
                        throw TemplateFunctionError("incompatible types for comparison")
                    }
                }
            } else {
                switch (arg1, arg) {
                case (.bool(let x), .bool(let y)): truth = x == y
                case (.float(let x), .float(let y)): truth = x == y
                case (.int(let x, _), .int(let y, _)): truth = x == y
                case (.string(let x), .string(let y)): truth = x == y
                case (.time(let x), .time(let y)): truth = x == y  // comparable structs
                case (.object(let x), .object(let y)) where x.isPointer == y.isPointer: truth = x.goEquals(y)
                case (.object, .time), (.time, .object): truth = false  // structs of different types
                default:
                    let r1 = reflectKind(arg1)
                    let r2 = reflectKind(arg)
                    if r1 != r2 && r1 != "invalid" && r2 != "invalid" {
                        throw TemplateFunctionError("non-comparable types")
                    }
                    if isNil(arg1) || isNil(arg) {
                        truth = isNil(arg) == isNil(arg1)
                    } else {
                        throw TemplateFunctionError("non-comparable type \(arg.goTypeName)")
                    }
                }
            }
            if truth { return true }
        }
        return false
    }

    static func lt(_ a: Value, _ b: Value) throws -> Bool {
        let k1 = basicKind(a)
        let k2 = basicKind(b)
        if k1 == .invalid || k2 == .invalid { throw TemplateFunctionError("invalid type for comparison") }
        if k1 != k2 {
            switch (k1, k2) {
            case (.int, .uint), (.uint, .int): return compareIntegers(a, b) < 0
            default: throw TemplateFunctionError("incompatible types for comparison")
            }
        }
        switch (a, b) {
        case (.bool, .bool): throw TemplateFunctionError("invalid type for comparison")
        case (.float(let x), .float(let y)): return x < y
        case (.int, .int): return compareIntegers(a, b) < 0
        case (.string(let x), .string(let y)): return x.goLess(y)
        default: throw TemplateFunctionError("invalid type for comparison")
        }
    }

    // MARK: - Escapers

    /// Go's `evalArgs` for html/js/urlquery: a lone string as is, otherwise `fmt.Sprint`.
    static func evalArgs(_ args: [Value]) throws -> String {
        if args.count == 1, case .string(let s) = args[0] { return s }
        return try goSprint(args.map { $0.isNilOrMissing ? .string("<no value>") : $0 })
    }

    static func htmlEscape(_ s: String) -> String {
        var out: [UInt8] = []
        for c in s.goBytes {
            switch c {
            case 0: out.append(contentsOf: Array("\u{FFFD}".utf8))
            case UInt8(ascii: "\""): out.append(contentsOf: Array("&#34;".utf8))
            case UInt8(ascii: "'"): out.append(contentsOf: Array("&#39;".utf8))
            case UInt8(ascii: "&"): out.append(contentsOf: Array("&amp;".utf8))
            case UInt8(ascii: "<"): out.append(contentsOf: Array("&lt;".utf8))
            case UInt8(ascii: ">"): out.append(contentsOf: Array("&gt;".utf8))
            default: out.append(c)
            }
        }
        return String(goBytes: out)
    }

    /// Go's `template.JSEscapeString`: runes decoded from the string's bytes; a byte that is not
    /// UTF-8 decodes to U+FFFD, which is printable, so Go copies the byte itself.
    static func jsEscape(_ s: String) -> String {
        var out = ""
        let hex = Array("0123456789ABCDEF")
        for rune in s.goRunes {
            guard case .scalar(let scalar) = rune else {
                if case .invalid(let byte) = rune { out.unicodeScalars.append(Unicode.Scalar(0x10FF00 + UInt32(byte))!) }
                continue
            }
            switch scalar {
            case "\\": out += "\\\\"
            case "'": out += "\\'"
            case "\"": out += "\\\""
            case "<": out += "\\u003C"
            case ">": out += "\\u003E"
            case "&": out += "\\u0026"
            case "=": out += "\\u003D"
            default:
                if scalar.value < 0x20 {
                    out += "\\u00" + String(hex[Int(scalar.value >> 4)]) + String(hex[Int(scalar.value & 0xF)])
                } else if scalar.value >= 0x80 && !GoQuote.isPrint(scalar) {
                    let h = String(scalar.value, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: max(0, 4 - h.count)) + h
                } else {
                    out.appendGoRune(scalar)
                }
            }
        }
        return out
    }

    /// Go's `url.QueryEscape`.
    static func queryEscape(_ s: String) -> String {
        var out: [UInt8] = []
        let hex = Array("0123456789ABCDEF".utf8)
        for c in s.goBytes {
            switch c {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.append(c)
            case UInt8(ascii: " "):
                out.append(UInt8(ascii: "+"))
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(c >> 4)])
                out.append(hex[Int(c & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Go's URL escaping, for callers that build URLs from templates (the webhook provider escapes
/// template data as ESO does).
public enum GoURLEscaping {
    /// Go's `url.QueryEscape`: bytes other than letters, digits and `-_.~` as `%XX`, space as `+`.
    public static func queryEscape(_ s: String) -> String { Builtins.queryEscape(s) }
}
