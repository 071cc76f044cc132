/// Go's `unicode/utf8` decoding, byte for byte: shortest forms only, no surrogates, nothing above
/// U+10FFFF. The one decoder of Go strings (byte strings that need not be UTF-8) in this package.
package enum GoUTF8 {
    package static let runeError: Int32 = 0xFFFD

    /// utf8.DecodeRune: (rune, width); invalid → (RuneError, 1); empty → (RuneError, 0).
    package static func decodeRune(_ s: ArraySlice<UInt8>) -> (Int32, Int) {
        guard let b0 = s.first else { return (runeError, 0) }
        if b0 < 0x80 { return (Int32(b0), 1) }
        var need = 0
        var lo: UInt8 = 0x80
        var hi: UInt8 = 0xBF
        var value: UInt32
        switch b0 {
        case 0xC2...0xDF: need = 1; value = UInt32(b0 & 0x1F)
        case 0xE0: need = 2; lo = 0xA0; value = UInt32(b0 & 0x0F)
        case 0xE1...0xEC, 0xEE...0xEF: need = 2; value = UInt32(b0 & 0x0F)
        case 0xED: need = 2; hi = 0x9F; value = UInt32(b0 & 0x0F)
        case 0xF0: need = 3; lo = 0x90; value = UInt32(b0 & 0x07)
        case 0xF1...0xF3: need = 3; value = UInt32(b0 & 0x07)
        case 0xF4: need = 3; hi = 0x8F; value = UInt32(b0 & 0x07)
        default: return (runeError, 1)
        }
        guard s.count > need else { return (runeError, 1) }
        for k in 1...need {
            let c = s[s.startIndex + k]
            let (l, h) = k == 1 ? (lo, hi) : (UInt8(0x80), UInt8(0xBF))
            guard c >= l && c <= h else { return (runeError, 1) }
            value = value << 6 | UInt32(c & 0x3F)
        }
        return (Int32(value), need + 1)
    }

    /// The scalar starting at `i` and its width, or nil and width 1 where the byte at `i` starts
    /// no valid sequence (Go's `RuneError, 1`; an encoded U+FFFD is a scalar).
    package static func scalar(_ bytes: [UInt8], at i: Int) -> (Unicode.Scalar?, Int) {
        let (rune, width) = decodeRune(bytes[i...])
        if rune == runeError && width == 1 { return (nil, 1) }
        return (Unicode.Scalar(UInt32(rune)), width)
    }

    /// utf8.DecodeLastRune.
    package static func decodeLastRune(_ s: ArraySlice<UInt8>) -> (Int32, Int) {
        guard let last = s.last else { return (runeError, 0) }
        if last < 0x80 { return (Int32(last), 1) }
        // Back up over at most 3 continuation bytes to a start byte.
        var start = s.endIndex - 1
        let limit = max(s.startIndex, s.endIndex - 4)
        while start > limit && (s[start] & 0xC0) == 0x80 { start -= 1 }
        let (r, size) = decodeRune(s[start...])
        if start + size != s.endIndex { return (runeError, 1) }
        return (r, size)
    }
}
