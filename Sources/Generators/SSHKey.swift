import Crypto
public import ExternalSecretsAPI
import Foundation
public import ProviderKit
import _CryptoExtras

/// ESO's SSHKey generator: `privateKey` in OpenSSH's format (unencrypted, `BEGIN OPENSSH PRIVATE
/// KEY`) and `publicKey` as an authorized_keys line, both with `comment`.
///
/// `rsa` (the default; 2048 bits unless `keySize`, refused below 2048 or above 8192 or when not a
/// multiple of 8), `ecdsa` (P-256 unless `keySize` is 384 or 521, as ESO) or `ed25519`. Ed25519
/// and ECDSA keys come from `random`; RSA keys from BoringSSL's generator.
public enum SSHKeyGeneration {
    public static func generate(
        _ spec: SSHKeySpec, using random: inout some RandomNumberGenerator
    ) throws(ProviderError) -> SecretData {
        let comment = spec.comment ?? ""
        let key: OpenSSHKey
        switch spec.keyType ?? .rsa {
        case .rsa: key = try rsaKey(bits: spec.keySize ?? 2048)
        case .ed25519: key = try ed25519Key(using: &random)
        case .ecdsa: key = try ecdsaKey(bits: spec.keySize ?? 256, using: &random)
        }
        let checkValue = UInt32.random(in: 0...UInt32.max, using: &random)
        return [
            "privateKey": Data(key.privateKeyPEM(comment: comment, check: checkValue).utf8),
            "publicKey": Data(key.authorizedKeysLine(comment: comment).utf8),
        ]
    }

    static func rsaKey(bits: Int) throws(ProviderError) -> OpenSSHKey {
        guard (2048...8192).contains(bits), bits % 8 == 0 else {
            throw .invalidConfiguration("spec.keySize for rsa must be a multiple of 8 from 2048 to 8192, not \(bits)")
        }
        let der: Data
        do {
            der = try _RSA.Signing.PrivateKey(keySize: .init(bitCount: bits)).derRepresentation
        } catch {
            throw ProviderError(.other, "RSA key generation failed")
        }
        // PKCS#1 RSAPrivateKey: version, n, e, d, p, q, dp, dq, qinv.
        guard let fields = DERIntegers.sequence(der), fields.count >= 9 else {
            throw ProviderError(.other, "RSA key generation returned an unexpected encoding")
        }
        let (n, e, d, p, q, qinv) = (fields[1], fields[2], fields[3], fields[4], fields[5], fields[8])
        var publicPart = SSHWire()
        publicPart.string("ssh-rsa")
        publicPart.mpint(e)
        publicPart.mpint(n)
        var privatePart = SSHWire()
        privatePart.string("ssh-rsa")
        for value in [n, e, d, qinv, p, q] { privatePart.mpint(value) }
        return OpenSSHKey(type: "ssh-rsa", publicBlob: publicPart.bytes, privateFields: privatePart.bytes)
    }

    static func ed25519Key(using random: inout some RandomNumberGenerator) throws(ProviderError) -> OpenSSHKey {
        let seed = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
        let key: Curve25519.Signing.PrivateKey
        do { key = try Curve25519.Signing.PrivateKey(rawRepresentation: seed) } catch {
            throw ProviderError(.other, "Ed25519 key generation failed")
        }
        let publicKey = [UInt8](key.publicKey.rawRepresentation)
        var publicPart = SSHWire()
        publicPart.string("ssh-ed25519")
        publicPart.string(publicKey)
        var privatePart = SSHWire()
        privatePart.string("ssh-ed25519")
        privatePart.string(publicKey)
        privatePart.string(seed + publicKey)
        return OpenSSHKey(type: "ssh-ed25519", publicBlob: publicPart.bytes, privateFields: privatePart.bytes)
    }

    static func ecdsaKey(bits: Int, using random: inout some RandomNumberGenerator) throws(ProviderError)
        -> OpenSSHKey
    {
        let curve: String
        let scalarSize: Int
        switch bits {
        case 384: (curve, scalarSize) = ("nistp384", 48)
        case 521: (curve, scalarSize) = ("nistp521", 66)
        default: (curve, scalarSize) = ("nistp256", 32)
        }
        // A random scalar is a valid key unless it is zero or not below the group order;
        // redraw then (the chance is below 2^-32 per draw).
        for _ in 0..<64 {
            var scalar = (0..<scalarSize).map { _ in UInt8.random(in: 0...255, using: &random) }
            if curve == "nistp521" { scalar[0] &= 0x01 }
            let point: Data
            do {
                switch curve {
                case "nistp384":
                    point = try P384.Signing.PrivateKey(rawRepresentation: scalar).publicKey.x963Representation
                case "nistp521":
                    point = try P521.Signing.PrivateKey(rawRepresentation: scalar).publicKey.x963Representation
                default: point = try P256.Signing.PrivateKey(rawRepresentation: scalar).publicKey.x963Representation
                }
            } catch {
                continue
            }
            let type = "ecdsa-sha2-\(curve)"
            var publicPart = SSHWire()
            publicPart.string(type)
            publicPart.string(curve)
            publicPart.string([UInt8](point))
            var privatePart = SSHWire()
            privatePart.string(type)
            privatePart.string(curve)
            privatePart.string([UInt8](point))
            privatePart.mpint(scalar)
            return OpenSSHKey(type: type, publicBlob: publicPart.bytes, privateFields: privatePart.bytes)
        }
        throw ProviderError(.other, "ECDSA key generation found no valid scalar")
    }
}

/// A key pair in OpenSSH's wire format: the public key blob and the private key's fields
/// (type name first, comment not included).
struct OpenSSHKey {
    var type: String
    var publicBlob: [UInt8]
    var privateFields: [UInt8]

    func authorizedKeysLine(comment: String) -> String {
        let line = "\(type) \(Data(publicBlob).base64EncodedString())"
        return (comment.isEmpty ? line : "\(line) \(comment)") + "\n"
    }

    /// PROTOCOL.key: "openssh-key-v1", cipher and KDF `none`, one key; the private section
    /// starts with the check value twice and is padded 1, 2, 3, ... to a multiple of 8.
    func privateKeyPEM(comment: String, check: UInt32) -> String {
        var section = SSHWire()
        section.uint32(check)
        section.uint32(check)
        section.bytes += privateFields
        section.string(Array(comment.utf8))
        var padding: UInt8 = 1
        while section.bytes.count % 8 != 0 {
            section.bytes.append(padding)
            padding += 1
        }
        var body = SSHWire()
        body.bytes = Array("openssh-key-v1".utf8) + [0]
        body.string("none")
        body.string("none")
        body.string([UInt8]())
        body.uint32(1)
        body.string(publicBlob)
        body.string(section.bytes)
        let base64 = Data(body.bytes).base64EncodedString()
        var lines: [String] = ["-----BEGIN OPENSSH PRIVATE KEY-----"]
        var start = base64.startIndex
        while start < base64.endIndex {
            let end = base64.index(start, offsetBy: 70, limitedBy: base64.endIndex) ?? base64.endIndex
            lines.append(String(base64[start..<end]))
            start = end
        }
        lines.append("-----END OPENSSH PRIVATE KEY-----")
        return lines.joined(separator: "\n") + "\n"
    }
}

/// RFC 4251 encodings: uint32, string, mpint.
struct SSHWire {
    var bytes: [UInt8] = []

    mutating func uint32(_ value: UInt32) {
        bytes += withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    mutating func string(_ value: [UInt8]) {
        uint32(UInt32(value.count))
        bytes += value
    }

    mutating func string(_ value: String) { string(Array(value.utf8)) }

    /// A non-negative integer given as big-endian magnitude: leading zeros dropped, one zero byte
    /// added when the top bit is set.
    mutating func mpint(_ magnitude: [UInt8]) {
        var value = Array(magnitude.drop { $0 == 0 })
        if let first = value.first, first & 0x80 != 0 { value.insert(0, at: 0) }
        string(value)
    }
}

/// Just enough DER to read a SEQUENCE of INTEGERs (PKCS#1 RSAPrivateKey).
enum DERIntegers {
    /// The magnitudes of the INTEGERs of the outer SEQUENCE; nil if `der` is not one.
    static func sequence(_ der: Data) -> [[UInt8]]? {
        let bytes = [UInt8](der)
        var index = 0
        guard let (tag, length) = header(bytes, &index), tag == 0x30, index + length <= bytes.count else { return nil }
        var integers: [[UInt8]] = []
        let end = index + length
        while index < end {
            guard let (tag, length) = header(bytes, &index), tag == 0x02, index + length <= end else { return nil }
            integers.append(Array(bytes[index..<index + length]))
            index += length
        }
        return integers
    }

    private static func header(_ bytes: [UInt8], _ index: inout Int) -> (UInt8, Int)? {
        guard index + 2 <= bytes.count else { return nil }
        let tag = bytes[index]
        var length = Int(bytes[index + 1])
        index += 2
        if length & 0x80 != 0 {
            let count = length & 0x7f
            guard count <= 4, index + count <= bytes.count else { return nil }
            length = bytes[index..<index + count].reduce(0) { $0 << 8 | Int($1) }
            index += count
        }
        return (tag, length)
    }
}
