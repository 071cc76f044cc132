import Crypto
import Foundation
import GoCompat
import ProviderKit

/// What a PushSecret sends to `key/NAME` and `cert/NAME`, turned into what Key Vault imports, as
/// ESO's `getKeyFromValue` + `jwk.FromRaw` and `getCertificateFromValue` do. Pure; errors never
/// quote the value.
enum AzureKeyMaterial {
    /// A private key in PEM (`PRIVATE KEY` PKCS#8, `RSA PRIVATE KEY` PKCS#1, `EC PRIVATE KEY`
    /// SEC 1) as a JSON Web Key with its private parts (RSA: n, e, d, p, q, dp, dq, qi; EC: crv,
    /// x, y, d). Symmetric keys (no PEM) are refused: Key Vault never reads them back, so a push
    /// could not tell an unchanged one.
    static func jsonWebKey(fromPEM value: Data, name: String) throws(ProviderError) -> [String: GoJSONValue] {
        let text = String(decoding: value, as: UTF8.self)
        guard let block = PEMBlocks.parse(text).first else {
            throw .unsupported(
                "could not load private key \(name): not PEM; symmetric keys are not pushed by this operator")
        }
        switch block.label {
        case "RSA PRIVATE KEY":
            return try rsa(pkcs1: block.der, name: name)
        case "PRIVATE KEY":
            if let pkcs1 = try? DER.rsaPKCS1(fromPKCS8: block.der) { return try rsa(pkcs1: pkcs1, name: name) }
            return try ec(text, name: name)
        case "EC PRIVATE KEY":
            return try ec(text, name: name)
        default:
            throw ProviderError(
                .invalidData, "could not load private key \(name): key type \(block.label) is not supported")
        }
    }

    private static func rsa(pkcs1: Data, name: String) throws(ProviderError) -> [String: GoJSONValue] {
        guard let integers = try? DER.sequenceOfIntegers(pkcs1), integers.count >= 9 else {
            throw ProviderError(.invalidData, "could not load private key \(name): not an RSA private key")
        }
        let fields = ["n", "e", "d", "p", "q", "dp", "dq", "qi"]
        var key: [String: GoJSONValue] = ["kty": .string("RSA")]
        for (index, field) in fields.enumerated() {
            key[field] = .string(AzureClientCertificate.base64URL(integers[index + 1]))
        }
        return key
    }

    private static func ec(_ pem: String, name: String) throws(ProviderError) -> [String: GoJSONValue] {
        let curve: String
        let x963: Data
        if let key = try? P256.Signing.PrivateKey(pemRepresentation: pem) {
            (curve, x963) = ("P-256", key.x963Representation)
        } else if let key = try? P384.Signing.PrivateKey(pemRepresentation: pem) {
            (curve, x963) = ("P-384", key.x963Representation)
        } else if let key = try? P521.Signing.PrivateKey(pemRepresentation: pem) {
            (curve, x963) = ("P-521", key.x963Representation)
        } else {
            throw ProviderError(
                .invalidData, "could not load private key \(name): not an RSA or EC (P-256, P-384, P-521) private key")
        }
        // 04 || X || Y || D, each the curve's size.
        let size = (x963.count - 1) / 3
        let bytes = Array(x963.dropFirst())
        return [
            "kty": .string("EC"), "crv": .string(curve),
            "x": .string(AzureClientCertificate.base64URL(bytes[0..<size])),
            "y": .string(AzureClientCertificate.base64URL(bytes[size..<2 * size])),
            "d": .string(AzureClientCertificate.base64URL(bytes[2 * size..<3 * size])),
        ]
    }

    /// Whether the key Key Vault holds is the public part of `pushed` (ESO's `equalKeys`: kty and
    /// n, e, or crv, x, y).
    static func sameKey(_ pushed: [String: GoJSONValue], _ held: [String: Any]) -> Bool {
        func text(_ value: GoJSONValue?) -> String? { if case .string(let text)? = value { text } else { nil } }
        guard text(pushed["kty"]) == held["kty"] as? String else { return false }
        let fields = text(pushed["kty"]) == "RSA" ? ["n", "e"] : ["crv", "x", "y"]
        return fields.allSatisfy { text(pushed[$0]) != nil && text(pushed[$0]) == held[$0] as? String }
    }

    /// The DER of the first certificate of a PEM holding a certificate and its private key (what
    /// Key Vault imports as `application/x-pem-file`).
    static func certificateDER(fromPEM value: Data, name: String) throws(ProviderError) -> Data {
        let blocks = PEMBlocks.parse(String(decoding: value, as: UTF8.self))
        guard let certificate = blocks.first(where: { $0.label == "CERTIFICATE" }) else {
            throw .unsupported(
                "value from secret is not a valid certificate for \(name): this operator pushes PEM (certificate and private key); PKCS#12 and DER are not supported"
            )
        }
        guard blocks.contains(where: { $0.label.hasSuffix("PRIVATE KEY") }) else {
            throw ProviderError(
                .invalidData,
                "value from secret for certificate \(name) has no private key: Key Vault imports a certificate with its key"
            )
        }
        return certificate.der
    }
}

/// The little DER reading the RSA key formats need.
enum DER {
    struct Malformed: Error {}

    /// One element: tag and content, and what follows it.
    static func element(_ bytes: ArraySlice<UInt8>) throws(Malformed) -> (
        tag: UInt8, content: ArraySlice<UInt8>, rest: ArraySlice<UInt8>
    ) {
        var index = bytes.startIndex
        guard index < bytes.endIndex else { throw Malformed() }
        let tag = bytes[index]
        index += 1
        guard index < bytes.endIndex else { throw Malformed() }
        var length = Int(bytes[index])
        index += 1
        if length & 0x80 != 0 {
            let count = length & 0x7f
            guard count > 0, count <= 4, index + count <= bytes.endIndex else { throw Malformed() }
            length = 0
            for _ in 0..<count {
                length = length << 8 | Int(bytes[index])
                index += 1
            }
        }
        guard length >= 0, index + length <= bytes.endIndex else { throw Malformed() }
        return (tag, bytes[index..<index + length], bytes[(index + length)...])
    }

    /// The unsigned big-endian integers of a SEQUENCE of INTEGERs (leading zero bytes dropped).
    static func sequenceOfIntegers(_ der: Data) throws(Malformed) -> [[UInt8]] {
        let sequence = try element(ArraySlice(der))
        guard sequence.tag == 0x30 else { throw Malformed() }
        var rest = sequence.content
        var out: [[UInt8]] = []
        while !rest.isEmpty {
            let item = try element(rest)
            guard item.tag == 0x02 else { throw Malformed() }
            var value = Array(item.content)
            while value.count > 1, value[0] == 0 { value.removeFirst() }
            out.append(value)
            rest = item.rest
        }
        return out
    }

    /// The PKCS#1 key inside a PKCS#8 `PrivateKeyInfo` whose algorithm is rsaEncryption.
    static func rsaPKCS1(fromPKCS8 der: Data) throws(Malformed) -> Data {
        let info = try element(ArraySlice(der))
        guard info.tag == 0x30 else { throw Malformed() }
        let version = try element(info.content)
        let algorithm = try element(version.rest)
        let oid = try element(algorithm.content)
        let rsaEncryption: [UInt8] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]
        guard version.tag == 0x02, algorithm.tag == 0x30, oid.tag == 0x06, Array(oid.content) == rsaEncryption else {
            throw Malformed()
        }
        let key = try element(algorithm.rest)
        guard key.tag == 0x04 else { throw Malformed() }
        return Data(key.content)
    }
}
