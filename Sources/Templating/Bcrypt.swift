/// bcrypt as golang.org/x/crypto/bcrypt computes it: `$2a$`, a two-digit cost, 22 characters of
/// salt and 31 of hash, in bcrypt's base64 alphabet.
///
/// Guarantees: hashes verify with any bcrypt implementation (checked against x/crypto's and
/// OpenBSD's test vectors). Caveats: only the `$2a$` form is produced; `verify` also reads
/// `$2b$`/`$2y$` (same algorithm) but not the buggy `$2x$`.
enum Bcrypt {
    /// x/crypto's `DefaultCost`, which sprig uses.
    static let defaultCost = 10

    /// Passwords longer than this are refused (x/crypto's `ErrPasswordTooLong`).
    static let maxPasswordLength = 72

    struct Failure: Error, Equatable {
        var message: String
    }

    private static let alphabet = Array("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    /// Base64 with bcrypt's alphabet and no padding.
    static func encode(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let b0 = UInt32(bytes[i])
            let b1 = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0
            let b2 = i + 2 < bytes.count ? UInt32(bytes[i + 2]) : 0
            let v = b0 << 16 | b1 << 8 | b2
            let chars = min(4, (bytes.count - i) * 8 / 6 + 1)
            for k in 0..<chars { out.append(alphabet[Int((v >> UInt32(18 - 6 * k)) & 0x3F)]) }
            i += 3
        }
        return out
    }

    static func decode(_ text: some Collection<UInt8>) throws(Failure) -> [UInt8] {
        var value: UInt32 = 0
        var bits = 0
        var out: [UInt8] = []
        for c in text {
            guard let d = alphabet.firstIndex(of: c) else {
                throw Failure(message: "illegal base64 data")
            }
            value = value << 6 | UInt32(d)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((value >> UInt32(bits)) & 0xFF))
            }
        }
        return out
    }

    /// The hash of `password` with a 16-byte `salt` at `cost` (2^cost rounds), as `$2a$...`.
    static func hash(password: [UInt8], salt: [UInt8], cost: Int) throws(Failure) -> String {
        guard password.count <= maxPasswordLength else {
            throw Failure(message: "bcrypt: password length exceeds 72 bytes")
        }
        guard (4...31).contains(cost) else {
            throw Failure(message: "crypto/bcrypt: cost \(cost) is outside allowed range (4,31)")
        }
        precondition(salt.count == 16)
        let encodedSalt = encode(salt)
        let digest = encode(Array(eksBlowfish(password: password, salt: salt, cost: cost).prefix(23)))
        let costText = cost < 10 ? "0\(cost)" : "\(cost)"
        return "$2a$" + costText + "$" + String(decoding: encodedSalt + digest, as: UTF8.self)
    }

    /// Whether `hashed` (a `$2a$`/`$2b$`/`$2y$` hash) is the hash of `password`.
    static func verify(password: [UInt8], hashed: String) -> Bool {
        let b = Array(hashed.utf8)
        guard b.count == 60, b[0] == UInt8(ascii: "$"), b[1] == UInt8(ascii: "2"),
            [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "y")].contains(b[2]), b[3] == UInt8(ascii: "$"),
            b[6] == UInt8(ascii: "$"), let cost = Int(String(decoding: b[4..<6], as: UTF8.self)),
            let salt = try? decode(b[7..<29]), salt.count == 16,
            let recomputed = try? hash(password: password, salt: salt, cost: cost)
        else { return false }
        // Constant-time comparison of the hash part.
        var diff: UInt8 = 0
        for (x, y) in zip(Array(recomputed.utf8)[7...], b[7...]) { diff |= x ^ y }
        return diff == 0
    }

    /// EksBlowfish: the expensive key schedule, then "OrpheanBeholderScryDoubt" encrypted 64 times.
    private static func eksBlowfish(password: [UInt8], salt: [UInt8], cost: Int) -> [UInt8] {
        // C implementations include the terminating NUL in the key.
        let key = password + [0]
        var state = Blowfish()
        state.expand(key: key, salt: salt)
        for _ in 0..<(1 << cost) {
            state.expand(key: key)
            state.expand(key: salt)
        }
        var words: [UInt32] = Array("OrpheanBeholderScryDoubt".utf8).chunks(of: 4).map {
            $0.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        }
        for i in stride(from: 0, to: 6, by: 2) {
            for _ in 0..<64 { (words[i], words[i + 1]) = state.encrypt(words[i], words[i + 1]) }
        }
        return words.flatMap { w in [UInt8(w >> 24), UInt8((w >> 16) & 0xFF), UInt8((w >> 8) & 0xFF), UInt8(w & 0xFF)] }
    }
}

extension Array {
    /// Consecutive slices of `size` elements (the last may be shorter).
    fileprivate func chunks(of size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
