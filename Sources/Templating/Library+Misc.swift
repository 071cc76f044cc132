import Crypto
import Foundation
import GoCompat
import _CryptoExtras

extension Sprig {
    static func registerMisc(into lib: inout FunctionLibrary) {
        lib.add("duration", [.any]) { a, _ in
            var n: Int64 = 0
            switch a[0] {
            case .string(let s): n = parseDecimalInt64(s) ?? 0
            case .int(let i, .int64): n = i
            default: n = 0  // sprig only accepts string and int64
            }
            return .string(GoDuration.string(nanoseconds: n &* 1_000_000_000))
        }
        lib.add("durationRound", [.any]) { a, _ in
            var d: Int64 = 0
            switch a[0] {
            case .string(let s): d = GoDuration.parseNanoseconds(s) ?? 0
            case .int(let i, .int64): d = i
            default: d = 0  // sprig: other types (and time values, not supported here) count as 0
            }
            let u = d.magnitude
            let second: UInt64 = 1_000_000_000
            let units: [(UInt64, String)] = [
                (second * 3600 * 24 * 365, "y"), (second * 3600 * 24 * 30, "mo"), (second * 3600 * 24, "d"),
                (second * 3600, "h"), (second * 60, "m"), (second, "s"),
            ]
            for (size, suffix) in units where u > size { return .string(String(u / size) + suffix) }
            return .string("0s")
        }
        lib.add("urlParse", [.string]) { a, _ in
            let u = try GoURL.parse(a[0].stringValue)
            return .dictionary([
                "scheme": .string(u.scheme), "host": .string(u.host), "hostname": .string(u.hostname),
                "path": .string(u.path), "query": .string(u.rawQuery), "opaque": .string(u.opaque),
                "fragment": .string(u.fragment), "userinfo": .string(u.userinfo),
            ])
        }
        lib.add("urlJoin", [.anyMap]) { a, _ in
            let m = anyMap(a[0])
            func field(_ k: String) throws -> String {
                switch m[k] {
                case .string(let s)?: return s
                case nil: return ""
                case let v?:
                    throw TemplateFunctionError(
                        "unable to parse \(k) key, must be of type string, but \(v.isNilOrMissing ? "invalid" : v.goKindName) found"
                    )
                }
            }
            var u = GoURL()
            u.scheme = try field("scheme")
            u.host = try field("host")
            u.path = try field("path")
            u.rawQuery = try field("query")
            u.opaque = try field("opaque")
            u.fragment = try field("fragment")
            let userinfo = try field("userinfo")
            if !userinfo.isEmpty {
                let temp = try GoURL.parse("proto://\(userinfo)@host")
                u.user = temp.user
            }
            return .string(u.string)
        }
        lib.add("decryptAES", [.string, .string]) { a, _ in
            // ESO's copy returns "" for empty input (sprig 3.2.3 failed on it).
            a[1].stringValue.isEmpty ? .string("") : .string(try decryptAES(a[0].stringValue, a[1].stringValue))
        }
        lib.add("hexdec", [.string]) { a, _ in
            // Inferred from ESO's b64dec/b32dec pattern: Go's hex.DecodeString, errors as the result.
            switch hexDecode(a[0].stringValue) {
            case .success(let b): .string(bytesToString(b))
            case .failure(let e): .string(e.message)
            }
        }
        lib.add("derivePassword", [.uint32, .string, .string, .string, .string]) { a, _ in
            .string(
                try derivePassword(
                    UInt32(truncatingIfNeeded: a[0].intValue), a[1].stringValue, a[2].stringValue, a[3].stringValue,
                    a[4].stringValue))
        }
    }

    /// Go's `hex.DecodeString`, with its error texts.
    static func hexDecode(_ s: String) -> Result<[UInt8], DecodeError> {
        let b = s.goBytes
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x41...0x46: c - 0x41 + 10
            case 0x61...0x66: c - 0x61 + 10
            default: nil
            }
        }
        func invalid(_ c: UInt8) -> DecodeError {
            let r = Int64(c)
            let scalar = Unicode.Scalar(UInt32(c)).map { GoQuote.isPrint($0) ? " " + GoQuote.quoteRune(r) : "" } ?? ""
            return DecodeError(message: "encoding/hex: invalid byte: U+" + String(format: "%04X", Int(c)) + scalar)
        }
        var out: [UInt8] = []
        var i = 0
        while i + 1 < b.count {
            guard let hi = nibble(b[i]) else { return .failure(invalid(b[i])) }
            guard let lo = nibble(b[i + 1]) else { return .failure(invalid(b[i + 1])) }
            out.append(hi << 4 | lo)
            i += 2
        }
        if b.count % 2 == 1 {
            if nibble(b[b.count - 1]) == nil { return .failure(invalid(b[b.count - 1])) }
            return .failure(DecodeError(message: "encoding/hex: odd length hex string"))
        }
        return .success(out)
    }

    /// `strconv.ParseInt(s, 10, 64)`.
    static func parseDecimalInt64(_ s: String) -> Int64? {
        let body = s.hasPrefix("+") || s.hasPrefix("-") ? s.dropFirst() : Substring(s)
        guard !body.isEmpty, body.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int64(s)
    }

    /// sprig's `decryptAES`: AES-256-CBC, key = password zero-padded to 32 bytes, IV prefix,
    /// the last byte's value stripped as padding.
    static func decryptAES(_ password: String, _ crypt64: String) throws -> String {
        var key = [UInt8](repeating: 0, count: 32)
        for (i, b) in password.goBytes.prefix(32).enumerated() { key[i] = b }
        let crypt: [UInt8]
        switch base64Decode(crypt64) {
        case .success(let b): crypt = b
        case .failure(let e): throw TemplateFunctionError(e.message)
        }
        guard crypt.count >= 16 else { throw TemplateFunctionError("runtime error: slice bounds out of range") }
        let body = Array(crypt[16...])
        guard body.count % 16 == 0 else { throw TemplateFunctionError("crypto/cipher: input not full blocks") }
        guard !body.isEmpty else { throw TemplateFunctionError("runtime error: index out of range [-1]") }
        let plain = try [UInt8](
            AES._CBC.decrypt(
                body, using: SymmetricKey(data: key), iv: AES._CBC.IV(ivBytes: crypt[0..<16]), noPadding: true))
        let pad = Int(plain[plain.count - 1])
        guard pad <= plain.count else { throw TemplateFunctionError("runtime error: slice bounds out of range") }
        return bytesToString(plain[0..<(plain.count - pad)])
    }

    static let passwordTemplates: [String: [String]] = [
        "maximum": ["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
        "long": [
            "CvcvnoCvcvCvcv", "CvcvCvcvnoCvcv", "CvcvCvcvCvcvno", "CvccnoCvcvCvcv", "CvccCvcvnoCvcv", "CvccCvcvCvcvno",
            "CvcvnoCvccCvcv", "CvcvCvccnoCvcv", "CvcvCvccCvcvno", "CvcvnoCvcvCvcc", "CvcvCvcvnoCvcc", "CvcvCvcvCvccno",
            "CvccnoCvccCvcv", "CvccCvccnoCvcv", "CvccCvccCvcvno", "CvcvnoCvccCvcc", "CvcvCvccnoCvcc", "CvcvCvccCvccno",
            "CvccnoCvcvCvcc", "CvccCvcvnoCvcc", "CvccCvcvCvccno",
        ],
        "medium": ["CvcnoCvc", "CvcCvcno"],
        "short": ["Cvcn"],
        "basic": ["aaanaaan", "aannaaan", "aaannaaa"],
        "pin": ["nnnn"],
    ]

    static let templateCharacters: [Character: [UInt8]] = [
        "V": Array("AEIOU".utf8), "C": Array("BCDFGHJKLMNPQRSTVWXYZ".utf8), "v": Array("aeiou".utf8),
        "c": Array("bcdfghjklmnpqrstvwxyz".utf8), "A": Array("AEIOUBCDFGHJKLMNPQRSTVWXYZ".utf8),
        "a": Array("AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz".utf8), "n": Array("0123456789".utf8),
        "o": Array("@&%?,=[]_:-+*$#!'^~;()/.".utf8),
        "x": Array("AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()".utf8),
    ]

    /// sprig's `derivePassword` (the Master Password algorithm: scrypt N=32768 r=8 p=2).
    static func derivePassword(_ counter: UInt32, _ type: String, _ password: String, _ user: String, _ site: String)
        throws
        -> String
    {
        guard let templates = passwordTemplates[type] else { return "cannot find password template \(type)" }
        let seedPrefix = Array("com.lyndir.masterpassword".utf8)
        func be32(_ v: UInt32) -> [UInt8] {
            [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
        }
        let salt = seedPrefix + be32(UInt32(truncatingIfNeeded: user.goByteCount)) + user.goBytes
        let key = try KDF.Scrypt.deriveKey(
            from: password.goBytes, salt: salt, outputByteCount: 64, rounds: 32768, blockSize: 8, parallelism: 2)
        let message = seedPrefix + be32(UInt32(truncatingIfNeeded: site.goByteCount)) + site.goBytes + be32(counter)
        let seed = Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
        let temp = Array(templates[Int(seed[0]) % templates.count])
        var out: [UInt8] = []
        for (i, element) in temp.enumerated() {
            let chars = templateCharacters[element]!
            out.append(chars[Int(seed[i + 1]) % chars.count])
        }
        return bytesToString(out)
    }
}

/// The parts of Go's `net/url` that `urlParse` and `urlJoin` expose.
struct GoURL {
    var scheme = ""
    var opaque = ""
    var user: (name: String, password: String?)? = nil
    var host = ""
    var path = ""
    var rawQuery = ""
    var fragment = ""

    var userinfo: String {
        guard let user else { return "" }
        var s = Self.escape(user.name, mode: .userPassword)
        if let p = user.password { s += ":" + Self.escape(p, mode: .userPassword) }
        return s
    }

    var hostname: String {
        let (h, _) = Self.splitHostPort(host)
        return h
    }

    static func splitHostPort(_ hostPort: String) -> (String, String) {
        var host = Substring(hostPort)
        var port = ""
        if let colon = host.lastIndex(of: ":"), host[colon...].allSatisfy({ $0 == ":" || ($0.isASCII && $0.isNumber) })
        {
            port = String(host[host.index(after: colon)...])
            host = host[..<colon]
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        return (String(host), port)
    }

    struct ParseError: Error { var message: String }

    static func parse(_ raw: String) throws(TemplateFunctionError) -> GoURL {
        func fail(_ m: String) -> TemplateFunctionError {
            TemplateFunctionError("unable to parse url: parse \(goQuote(raw)): \(m)")
        }
        var rest = Substring(raw)
        var u = GoURL()
        var frag = ""
        if let hash = rest.firstIndex(of: "#") {
            frag = String(rest[rest.index(after: hash)...])
            rest = rest[..<hash]
        }
        if raw.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            throw fail("net/url: invalid control character in URL")
        }
        if rest.isEmpty && frag.isEmpty && raw.isEmpty { return u }
        if rest == "*" {
            u.path = "*"
            return u
        }
        // Scheme.
        var i = rest.startIndex
        var schemeEnd: Substring.Index? = nil
        while i < rest.endIndex {
            let c = rest[i]
            if c.isASCII && c.isLetter {
            } else if c.isASCII && (c.isNumber || c == "+" || c == "-" || c == ".") {
                if i == rest.startIndex { break }
            } else if c == ":" {
                if i == rest.startIndex { throw fail("missing protocol scheme") }
                schemeEnd = i
                break
            } else {
                break
            }
            i = rest.index(after: i)
        }
        if let schemeEnd {
            u.scheme = rest[..<schemeEnd].lowercased()
            rest = rest[rest.index(after: schemeEnd)...]
        }
        if rest.hasSuffix("?") && rest.filter({ $0 == "?" }).count == 1 {
            rest = rest.dropLast()
        } else if let q = rest.firstIndex(of: "?") {
            u.rawQuery = String(rest[rest.index(after: q)...])
            rest = rest[..<q]
        }
        if !rest.hasPrefix("/") {
            if !u.scheme.isEmpty {
                u.opaque = String(rest)
                u.fragment = try unescapeOrFail(frag, .fragment, fail)
                return u
            }
            if let colon = rest.firstIndex(of: ":"), rest.firstIndex(of: "/").map({ colon < $0 }) ?? true {
                throw fail("first path segment in URL cannot contain colon")
            }
        }
        if (!u.scheme.isEmpty || !rest.hasPrefix("///")) && rest.hasPrefix("//") {
            var authority = rest.dropFirst(2)
            var after: Substring = ""
            if let slash = authority.firstIndex(of: "/") {
                after = authority[slash...]
                authority = authority[..<slash]
            }
            var hostPart = authority
            if let at = authority.lastIndex(of: "@") {
                let info = authority[..<at]
                hostPart = authority[authority.index(after: at)...]
                guard info.allSatisfy({ validUserinfo($0) }) else { throw fail("net/url: invalid userinfo") }
                if let colon = info.firstIndex(of: ":") {
                    u.user = (
                        try unescapeOrFail(String(info[..<colon]), .userPassword, fail),
                        try unescapeOrFail(String(info[info.index(after: colon)...]), .userPassword, fail)
                    )
                } else {
                    u.user = (try unescapeOrFail(String(info), .userPassword, fail), nil)
                }
            }
            u.host = try parseHost(String(hostPart), fail)
            rest = after
        }
        u.path = try unescapeOrFail(String(rest), .path, fail)
        u.fragment = try unescapeOrFail(frag, .fragment, fail)
        return u
    }

    static func validUserinfo(_ c: Character) -> Bool {
        if c.isASCII && (c.isLetter || c.isNumber) { return true }
        return "-._:~!$&'()*+,;=%@".contains(c)
    }

    static func parseHost(_ host: String, _ fail: (String) -> TemplateFunctionError) throws(TemplateFunctionError)
        -> String
    {
        if host.hasPrefix("[") {
            guard let close = host.lastIndex(of: "]") else { throw fail("missing ']' in host") }
            let port = host[host.index(after: close)...]
            if !port.isEmpty && !(port.hasPrefix(":") && port.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber })) {
                throw fail("invalid port \(goQuote(String(port))) after host")
            }
            return try unescapeOrFail(host, .host, fail)
        }
        if let colon = host.lastIndex(of: ":") {
            let port = host[colon...]
            if !port.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber }) {
                throw fail("invalid port \(goQuote(String(port))) after host")
            }
        }
        return try unescapeOrFail(host, .host, fail)
    }

    enum Mode { case path, host, userPassword, fragment, queryComponent }

    static func unescapeOrFail(_ s: String, _ mode: Mode, _ fail: (String) -> TemplateFunctionError)
        throws(TemplateFunctionError)
        -> String
    {
        let b = Array(s.utf8)
        var out: [UInt8] = []
        var i = 0
        func hexv(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x41...0x46: c - 0x41 + 10
            case 0x61...0x66: c - 0x61 + 10
            default: nil
            }
        }
        while i < b.count {
            if b[i] == UInt8(ascii: "%") {
                guard i + 2 < b.count, let h = hexv(b[i + 1]), let l = hexv(b[i + 2]) else {
                    let bad = String(decoding: b[i..<min(i + 3, b.count)], as: UTF8.self)
                    throw fail("invalid URL escape \(goQuote(bad))")
                }
                out.append(h << 4 | l)
                i += 3
                continue
            }
            if mode == .host && b[i] < 0x80 && !validHostByte(b[i]) {
                throw fail("invalid character \(goQuote(String(UnicodeScalar(b[i])))) in host name")
            }
            out.append(b[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func validHostByte(_ c: UInt8) -> Bool {
        let ch = Character(UnicodeScalar(c))
        if ch.isLetter || ch.isNumber { return true }
        return "!$&'()*+,;=:[]<>\"-._~%".contains(ch)
    }

    /// Go's `shouldEscape` for the modes `String()` uses.
    static func shouldEscape(_ c: UInt8, _ mode: Mode) -> Bool {
        let ch = Character(UnicodeScalar(c))
        if c < 0x80 && (ch.isLetter || ch.isNumber) { return false }
        if mode == .host {
            return !"!$&'()*+,;=:[]<>\"".contains(ch) && !"-_.~".contains(ch)
        }
        switch ch {
        case "-", "_", ".", "~": return false
        case "$", "&", "+", ",", "/", ":", ";", "=", "?", "@":
            switch mode {
            case .path: return ch == "?"
            case .userPassword: return ch == "@" || ch == "/" || ch == "?" || ch == ":"
            case .fragment: return false
            default: return true
            }
        default: break
        }
        if mode == .fragment {
            if "!()*".contains(ch) { return false }
        }
        return true
    }

    static func escape(_ s: String, mode: Mode) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for c in s.utf8 {
            if shouldEscape(c, mode) {
                out += [UInt8(ascii: "%"), hex[Int(c >> 4)], hex[Int(c & 0xF)]]
            } else {
                out.append(c)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Go's `URL.String` for URLs without RawPath/RawFragment.
    var string: String {
        var buf = ""
        if !scheme.isEmpty { buf += scheme + ":" }
        if !opaque.isEmpty {
            buf += opaque
        } else {
            if !scheme.isEmpty || !host.isEmpty || user != nil {
                if !host.isEmpty || !path.isEmpty || user != nil { buf += "//" }
                if user != nil { buf += userinfo + "@" }
                if !host.isEmpty { buf += Self.escape(host, mode: .host) }
            }
            let p = Self.escape(path, mode: .path).replacingOccurrences(of: "%2F", with: "/")
            if !p.isEmpty && !p.hasPrefix("/") && !host.isEmpty { buf += "/" }
            if buf.isEmpty, let colon = p.firstIndex(of: ":"), p.firstIndex(of: "/").map({ colon < $0 }) ?? true {
                buf += "./"
            }
            buf += p
        }
        if !rawQuery.isEmpty { buf += "?" + rawQuery }
        if !fragment.isEmpty { buf += "#" + Self.escape(fragment, mode: .fragment) }
        return buf
    }
}
