/// Go's `encoding/base64`: `StdEncoding` and `URLEncoding` (padded) and their `Raw` forms
/// (unpadded). Decoding is Go's non-strict `DecodeString`: `\r` and `\n` are skipped anywhere.
public enum GoBase64 {
    public struct CorruptInput: Error, Hashable {
        /// Go's `CorruptInputError`: the offset of the offending byte.
        public var offset: Int
    }

    /// Go's `EncodeToString` (`urlAlphabet`: `-_` for `+/`; `padded: false`: the `Raw` encodings).
    public static func encode(_ bytes: some Collection<UInt8>, urlAlphabet: Bool = false, padded: Bool = true) -> String {
        let table = Array(
            (urlAlphabet
                ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/").utf8)
        let src = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((src.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= src.count {
            let n = UInt32(src[i]) << 16 | UInt32(src[i + 1]) << 8 | UInt32(src[i + 2])
            out += [table[Int(n >> 18) & 63], table[Int(n >> 12) & 63], table[Int(n >> 6) & 63], table[Int(n) & 63]]
            i += 3
        }
        let rest = src.count - i
        if rest > 0 {
            let n = UInt32(src[i]) << 16 | (rest == 2 ? UInt32(src[i + 1]) << 8 : 0)
            out += [table[Int(n >> 18) & 63], table[Int(n >> 12) & 63]]
            if rest == 2 { out.append(table[Int(n >> 6) & 63]) }
            if padded { out += Array(repeating: UInt8(ascii: "="), count: 3 - rest) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func table(url: Bool) -> [UInt8] {
        var map = [UInt8](repeating: 0xFF, count: 256)
        let alphabet = Array(
            (url
                ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/").utf8)
        for (i, c) in alphabet.enumerated() { map[Int(c)] = UInt8(i) }
        return map
    }

    private static let stdMap = table(url: false)
    private static let urlMap = table(url: true)

    /// Go's padded `DecodeString`.
    public static func decode(_ src: [UInt8], urlAlphabet: Bool) -> Result<[UInt8], CorruptInput> {
        let map = urlAlphabet ? urlMap : stdMap
        var out: [UInt8] = []
        out.reserveCapacity(src.count / 4 * 3)
        var si = 0
        while si < src.count {
            switch quantum(src, &si, map) {
            case .failure(let e): return .failure(e)
            case .success(let (bytes, trailing)):
                out.append(contentsOf: bytes)
                if let trailing { return .failure(CorruptInput(offset: trailing)) }
            }
        }
        return .success(out)
    }

    private static func isNewline(_ c: UInt8) -> Bool { c == 0x0A || c == 0x0D }

    /// Go's decodeQuantum: up to four symbols (newlines skipped) into up to three bytes. The
    /// second result is the offset of trailing garbage after padding, which fails the decode.
    private static func quantum(
        _ src: [UInt8], _ si: inout Int, _ map: [UInt8]
    ) -> Result<([UInt8], Int?), CorruptInput> {
        var dbuf = [UInt8](repeating: 0, count: 4)
        var dlen = 4
        var trailing: Int?
        var j = 0
        while j < 4 {
            if src.count == si {
                if j == 0 { return .success(([], nil)) }
                return .failure(CorruptInput(offset: si - j))  // padding required
            }
            let c = src[si]
            si += 1
            let v = map[Int(c)]
            if v != 0xFF {
                dbuf[j] = v
                j += 1
                continue
            }
            if isNewline(c) { continue }
            if c != UInt8(ascii: "=") { return .failure(CorruptInput(offset: si - 1)) }
            // Padding.
            switch j {
            case 0, 1:
                return .failure(CorruptInput(offset: si - 1))
            case 2:
                while si < src.count && isNewline(src[si]) { si += 1 }
                if si == src.count { return .failure(CorruptInput(offset: src.count)) }
                if src[si] != UInt8(ascii: "=") { return .failure(CorruptInput(offset: si - 1)) }
                si += 1
            default:
                break
            }
            while si < src.count && isNewline(src[si]) { si += 1 }
            if si < src.count { trailing = si }
            dlen = j
            break
        }
        let val = UInt32(dbuf[0]) << 18 | UInt32(dbuf[1]) << 12 | UInt32(dbuf[2]) << 6 | UInt32(dbuf[3])
        let bytes = [UInt8(truncatingIfNeeded: val >> 16), UInt8(truncatingIfNeeded: val >> 8), UInt8(truncatingIfNeeded: val)]
        return .success((Array(bytes.prefix(dlen - 1)), trailing))
    }
}
