import Crypto
public import ExternalSecretsAPI
public import Foundation
public import ProviderKit

/// ESO's MFA generator: the time-based one-time password (RFC 6238) of a base32 seed, under
/// `token`, and the seconds it stays valid under `timeLeft`.
///
/// Differences from ESO: `algorithm` is honoured (ESO always uses SHA-1); `length` above 10 is
/// refused (the value has 31 bits); the seed may carry `=` padding.
public enum MFAGeneration {
    /// The HMAC hashes `algorithm` may name.
    public enum Algorithm: String, CaseIterable, Sendable {
        case sha1, sha256, sha512
    }

    /// The seed's Secret is read by the caller (in the consumer's namespace); `now` is used unless
    /// the spec pins `when`.
    public static func generate(_ spec: MFASpec, seed: Data, now: Date) throws(ProviderError) -> SecretData {
        let length = (spec.length ?? 0) > 0 ? spec.length! : 6
        guard length <= 10 else { throw .invalidConfiguration("spec.length must be at most 10, not \(length)") }
        let period = (spec.timePeriod ?? 0) > 0 ? spec.timePeriod! : 30
        let name = (spec.algorithm ?? "sha1").lowercased()
        guard let algorithm = Algorithm(rawValue: name) else {
            throw .invalidConfiguration(
                "spec.algorithm must be one of \(Algorithm.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let cleaned = String(decoding: seed, as: UTF8.self).replacingOccurrences(of: " ", with: "")
        guard let key = Base32.decode(cleaned), !key.isEmpty else {
            throw ProviderError(.invalidData, "the MFA seed is not base32")
        }
        let time = Int64((spec.when?.date ?? now).timeIntervalSince1970.rounded(.down))
        let counter = UInt64(max(0, time) / Int64(period))
        let timeLeft = Int64(period) - time % Int64(period)
        let token = code(key: key, counter: counter, digits: length, algorithm: algorithm)
        return ["token": Data(token.utf8), "timeLeft": Data(String(timeLeft).utf8)]
    }

    /// RFC 4226's HOTP value of `counter`, zero-padded to `digits`.
    public static func code(key: Data, counter: UInt64, digits: Int, algorithm: Algorithm) -> String {
        let message = withUnsafeBytes(of: counter.bigEndian) { Data($0) }
        let symmetricKey = SymmetricKey(data: key)
        let mac: [UInt8] =
            switch algorithm {
            case .sha1: Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: symmetricKey))
            case .sha256: Array(HMAC<SHA256>.authenticationCode(for: message, using: symmetricKey))
            case .sha512: Array(HMAC<SHA512>.authenticationCode(for: message, using: symmetricKey))
            }
        let offset = Int(mac[mac.count - 1] & 0x0f)
        let value =
            (UInt64(mac[offset]) & 0x7f) << 24 | UInt64(mac[offset + 1]) << 16 | UInt64(mac[offset + 2]) << 8
            | UInt64(mac[offset + 3])
        var modulus: UInt64 = 1
        for _ in 0..<digits { modulus *= 10 }
        let text = String(value % modulus)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
