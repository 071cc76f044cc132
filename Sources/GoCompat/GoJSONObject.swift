package import Foundation

/// What `json.Unmarshal(data, &map[string]json.RawMessage{})` accepts and yields, plus ESO's
/// per-value step (a string is unquoted, anything else kept raw).
package enum GoJSONObject {
    /// Why the JSON was refused, in Go's words; never quotes the input.
    package struct Failure: Error {
        package var reason: String
    }

    /// The top-level members of a JSON object: strings unquoted, `null` empty, others raw.
    package static func explode(_ json: [UInt8]) throws(Failure) -> [String: Data] {
        var scanner = GoJSONScanner(bytes: json)
        scanner.skipSpace()
        let start = scanner.i
        guard let end = scanner.skipValue(), scanner.afterSpace() == json.count else {
            throw Failure(reason: scanner.error ?? "invalid JSON")
        }
        let top = json[start..<end]
        if top.elementsEqual("null".utf8) { return [:] }
        guard top.first == UInt8(ascii: "{") else {
            throw Failure(reason: "the value is not a JSON object")
        }
        var out: [String: Data] = [:]
        var p = GoJSONScanner(bytes: json)
        p.i = start + 1
        while true {
            p.skipSpace()
            if p.bytes[p.i] == UInt8(ascii: "}") { break }
            let keyStart = p.i
            let keyEnd = p.skipValue()!
            let key = GoJSONScanner.unquote(json[(keyStart + 1)..<(keyEnd - 1)])
            p.skipSpace()
            p.i += 1  // ':'
            p.skipSpace()
            let valueStart = p.i
            let valueEnd = p.skipValue()!
            let raw = json[valueStart..<valueEnd]
            switch raw.first {
            case UInt8(ascii: "\""):
                out[String(decoding: key, as: UTF8.self)] = Data(GoJSONScanner.unquote(raw.dropFirst().dropLast()))
            case UInt8(ascii: "n"):
                out[String(decoding: key, as: UTF8.self)] = Data()  // unmarshalling null into a string: ""
            default:
                out[String(decoding: key, as: UTF8.self)] = Data(raw)
            }
            p.skipSpace()
            if p.bytes[p.i] == UInt8(ascii: ",") {
                p.i += 1
                continue
            }
            break
        }
        return out
    }
}

/// A validating scanner with Go's `encoding/json` syntax rules, iterative so deep nesting cannot
/// exhaust the stack (Go's limit of 10000 levels applies).
struct GoJSONScanner {
    let bytes: [UInt8]
    var i = 0
    var error: String?

    init(bytes: [UInt8]) { self.bytes = bytes }

    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }

    mutating func skipSpace() {
        while i < bytes.count && Self.isSpace(bytes[i]) { i += 1 }
    }

    mutating func afterSpace() -> Int {
        skipSpace()
        return i
    }

    private mutating func fail(_ reason: String) -> Int? {
        if error == nil { error = reason }
        return nil
    }

    /// Skips one value (with nested ones), returning the index after it, or nil when invalid.
    mutating func skipValue() -> Int? {
        // Containers still open: `{` expects a key next, `:` a value after a key, `[` a value.
        enum Open { case object, array }
        var stack: [Open] = []
        while true {
            skipSpace()
            guard i < bytes.count else { return fail("unexpected end of JSON input") }
            // One scalar or the start of a container.
            switch bytes[i] {
            case UInt8(ascii: "{"):
                guard stack.count < 10000 else { return fail("exceeded max depth") }
                i += 1
                skipSpace()
                if i < bytes.count && bytes[i] == UInt8(ascii: "}") {
                    i += 1
                } else {
                    guard scanKey() else { return nil }
                    stack.append(.object)
                    continue
                }
            case UInt8(ascii: "["):
                guard stack.count < 10000 else { return fail("exceeded max depth") }
                i += 1
                skipSpace()
                if i < bytes.count && bytes[i] == UInt8(ascii: "]") {
                    i += 1
                } else {
                    stack.append(.array)
                    continue
                }
            case UInt8(ascii: "\""):
                guard scanString() else { return nil }
            case UInt8(ascii: "t"):
                guard scanLiteral("true") else { return nil }
            case UInt8(ascii: "f"):
                guard scanLiteral("false") else { return nil }
            case UInt8(ascii: "n"):
                guard scanLiteral("null") else { return nil }
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard scanNumber() else { return nil }
            default:
                return fail("invalid character looking for beginning of value")
            }
            // After a complete value: close containers or move to the next element.
            while true {
                guard let top = stack.last else { return i }
                skipSpace()
                guard i < bytes.count else { return fail("unexpected end of JSON input") }
                let c = bytes[i]
                if c == UInt8(ascii: ",") {
                    i += 1
                    if top == .object {
                        skipSpace()
                        guard scanKey() else { return nil }
                    }
                    break
                }
                if (top == .object && c == UInt8(ascii: "}")) || (top == .array && c == UInt8(ascii: "]")) {
                    i += 1
                    stack.removeLast()
                    continue
                }
                return fail("invalid character after \(top == .object ? "object key:value pair" : "array element")")
            }
        }
    }

    /// A key string and its colon.
    private mutating func scanKey() -> Bool {
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else {
            _ = fail("invalid character looking for beginning of object key string")
            return false
        }
        guard scanString() else { return false }
        skipSpace()
        guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else {
            _ = fail("invalid character after object key")
            return false
        }
        i += 1
        return true
    }

    private mutating func scanLiteral(_ word: String) -> Bool {
        let w = Array(word.utf8)
        guard i + w.count <= bytes.count, Array(bytes[i..<(i + w.count)]) == w else {
            _ = fail("invalid character in literal")
            return false
        }
        i += w.count
        return true
    }

    private mutating func scanString() -> Bool {
        i += 1
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return true
            }
            if c < 0x20 {
                _ = fail("invalid character in string literal")
                return false
            }
            if c == UInt8(ascii: "\\") {
                i += 1
                guard i < bytes.count else { break }
                switch bytes[i] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    i += 1
                case UInt8(ascii: "u"):
                    guard i + 4 < bytes.count, bytes[(i + 1)...(i + 4)].allSatisfy({ PipelineText.hexValue($0) != nil }) else {
                        _ = fail("invalid character in \\u hexadecimal character escape")
                        return false
                    }
                    i += 5
                default:
                    _ = fail("invalid character in string escape code")
                    return false
                }
                continue
            }
            i += 1
        }
        _ = fail("unexpected end of JSON input")
        return false
    }

    private mutating func scanNumber() -> Bool {
        func digit() -> Bool { i < bytes.count && bytes[i] >= 0x30 && bytes[i] <= 0x39 }
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard digit() else { return fail("invalid character in numeric literal") != nil }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            while digit() { i += 1 }
        }
        if i < bytes.count && bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard digit() else { return fail("invalid character after decimal point in numeric literal") != nil }
            while digit() { i += 1 }
        }
        if i < bytes.count && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")) {
            i += 1
            if i < bytes.count && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) { i += 1 }
            guard digit() else { return fail("invalid character in exponent of numeric literal") != nil }
            while digit() { i += 1 }
        }
        return true
    }

    /// Go's unquote of a valid string body: escapes decoded, a lone or mismatched surrogate and
    /// every byte that is not UTF-8 replaced by U+FFFD.
    static func unquote(_ body: ArraySlice<UInt8>) -> [UInt8] {
        let s = Array(body)
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var r = 0
        func u4(_ at: Int) -> UInt32? {
            guard at + 6 <= s.count, s[at] == UInt8(ascii: "\\"), s[at + 1] == UInt8(ascii: "u") else { return nil }
            var n: UInt32 = 0
            for c in s[(at + 2)..<(at + 6)] {
                guard let d = PipelineText.hexValue(c) else { return nil }
                n = n << 4 | UInt32(d)
            }
            return n
        }
        while r < s.count {
            let c = s[r]
            if c == UInt8(ascii: "\\") {
                let e = s[r + 1]
                switch e {
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var rr = u4(r) ?? 0xFFFD
                    r += 6
                    if rr >= 0xD800 && rr < 0xE000 {
                        if rr < 0xDC00, let rr1 = u4(r), rr1 >= 0xDC00 && rr1 < 0xE000 {
                            rr = 0x10000 + ((rr - 0xD800) << 10) + (rr1 - 0xDC00)
                            r += 6
                        } else {
                            rr = 0xFFFD
                        }
                    }
                    PipelineText.appendUTF8(rr, to: &out)
                    continue
                default: out.append(e)
                }
                r += 2
                continue
            }
            if c < 0x80 {
                out.append(c)
                r += 1
                continue
            }
            let (rune, size) = GoUTF8.decodeRune(s[r...])
            if rune == GoUTF8.runeError && size == 1 {
                out.append(contentsOf: [0xEF, 0xBF, 0xBD])
            } else {
                out.append(contentsOf: s[r..<(r + size)])
            }
            r += size
        }
        return out
    }
}

