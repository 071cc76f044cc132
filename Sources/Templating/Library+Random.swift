import Crypto
import Foundation
import GoCompat
import _CryptoExtras

extension Sprig {
    /// sprig's random functions. They draw bytes only from the render's injected random source
    /// (`RenderEnvironment`); without one they fail rather than reach for the system.
    static func registerRandom(into lib: inout FunctionLibrary) {
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".unicodeScalars)
        let digits = Array("0123456789".unicodeScalars)
        let ascii = (32...126).map { Unicode.Scalar(UInt8($0)) }
        for (name, alphabet) in [
            ("randAlphaNum", letters + digits), ("randAlpha", letters), ("randNumeric", digits), ("randAscii", ascii),
        ] {
            lib.add(name, [.int]) { a, ctx in
                let count = a[0].intValue
                if count <= 0 { return .string("") }  // goutils errors on negative counts; sprig returns ""
                try checkSize(count, ctx)
                var out = String.UnicodeScalarView()
                for _ in 0..<count { out.append(alphabet[try uniform(alphabet.count, ctx)]) }
                return .string(String(out))
            }
        }
        lib.add("randInt", [.int, .int]) { a, ctx in
            let (span, overflow) = a[1].intValue.subtractingReportingOverflow(a[0].intValue)
            if overflow || span <= 0 { throw TemplateFunctionError("invalid argument to Intn") }
            return .int(a[0].intValue + (try uniform(span, ctx)))
        }
        lib.add("randBytes", [.int]) { a, ctx in
            let count = a[0].intValue
            if count < 0 { throw TemplateFunctionError("runtime error: makeslice: len out of range") }
            try checkSize(count, ctx)
            return .string(GoBase64.encode(try ctx.random(count)))
        }
        lib.add("uuidv4", []) { _, ctx in
            var b = try ctx.random(16)
            guard b.count == 16 else { throw TemplateFunctionError("random source returned too few bytes") }
            b[6] = (b[6] & 0x0F) | 0x40
            b[8] = (b[8] & 0x3F) | 0x80
            let h = hex(b)
            let c = Array(h)
            return .string(
                String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-"
                    + String(c[20..<32]))
        }
        lib.add("shuffle", [.string]) { a, ctx in
            var scalars = runes(a[0].stringValue)
            if scalars.count > 1 {
                for i in stride(from: scalars.count - 1, to: 0, by: -1) {
                    scalars.swapAt(i, try uniform(i + 1, ctx))
                }
            }
            return .string(String(String.UnicodeScalarView(scalars)))
        }
        lib.add("encryptAES", [.string, .string]) { a, ctx in
            let plaintext = a[1].stringValue.goBytes
            if plaintext.isEmpty { return .string("") }
            var key = [UInt8](repeating: 0, count: 32)
            for (i, b) in a[0].stringValue.goBytes.prefix(32).enumerated() { key[i] = b }
            let pad = 16 - plaintext.count % 16
            let padded = plaintext + [UInt8](repeating: UInt8(pad), count: pad)
            let iv = try ctx.random(16)
            guard iv.count == 16 else { throw TemplateFunctionError("random source returned too few bytes") }
            let sealed = try AES._CBC.encrypt(
                padded, using: SymmetricKey(data: key), iv: AES._CBC.IV(ivBytes: iv), noPadding: true)
            return .string(GoBase64.encode(iv + [UInt8](sealed)))
        }
    }

    /// A uniform integer in 0..<bound from the injected random source (rejection sampling).
    static func uniform(_ bound: Int, _ ctx: FunctionContext) throws -> Int {
        precondition(bound > 0)
        let limit = UInt64.max - UInt64.max % UInt64(bound)
        while true {
            let bytes = try ctx.random(8)
            guard bytes.count == 8 else { throw TemplateFunctionError("random source returned too few bytes") }
            let v = bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            if v < limit { return Int(v % UInt64(bound)) }
        }
    }
}
