import Crypto
import Foundation
import SwiftASN1
import _CryptoExtras

extension ESO {
    /// ESO's key helpers: `jwkPublicKeyPem`, `jwkPrivateKeyPem` and `rsaDecrypt`.
    static func registerKeys(into lib: inout FunctionLibrary) {
        lib.add("jwkPublicKeyPem", [.string]) { a, _ in
            switch try JWK.parse(a[0].stringValue) {
            case .publicKey(let der, _): return .string(PEMBlock.encode(type: "PUBLIC KEY", der))
            case .privateKey(let key):
                throw TemplateFunctionError("x509: unsupported public key type: \(key.goTypeName)")
            case .unsupported(let goType): throw TemplateFunctionError("x509: unsupported public key type: \(goType)")
            }
        }
        lib.add("jwkPrivateKeyPem", [.string]) { a, _ in
            switch try JWK.parse(a[0].stringValue) {
            case .privateKey(let key): return .string(PEMBlock.encode(type: "PRIVATE KEY", key.pkcs8DER))
            case .publicKey(_, let goType), .unsupported(let goType):
                throw TemplateFunctionError("x509: unknown key type while marshaling PKCS#8: \(goType)")
            }
        }
        lib.add("rsaDecrypt", [.string, .string, .string, .string]) { a, _ in
            .string(
                try rsaDecrypt(
                    scheme: a[0].stringValue, hash: a[1].stringValue, a[2].stringValue, key: a[3].stringValue))
        }
    }

    /// ESO's `rsaDecrypt`: scheme `None` returns the input, `RSA-OAEP` decrypts it with the PEM
    /// private key, using SHA-1, SHA-256 (also for `None` and unknown names) or SHA-512 for both
    /// the label hash and MGF1, and an empty label.
    static func rsaDecrypt(scheme: String, hash: String, _ input: String, key pem: String) throws -> String {
        switch scheme {
        case "None": return input
        case "RSA-OAEP": break
        default: throw TemplateFunctionError("decryption scheme \(scheme) is not supported")
        }
        guard let block = PEMBlock.decode(pem.goBytes[...]).block else {
            throw TemplateFunctionError("failed to decode PEM block")
        }
        let key: GoPrivateKey
        do {
            key = try GoPrivateKey.parseESO(block.bytes)
        } catch {
            throw TemplateFunctionError("could not parse private key: " + error.message)
        }
        guard case .rsa(let rsa) = key, let pkcs1 = key.pkcs1DER else {
            throw TemplateFunctionError("could not parse RSA private key")
        }
        let failure = TemplateFunctionError("error decrypting data with RSA: crypto/rsa: decryption error")
        let k = rsa.keySizeInBits / 8
        var ciphertext = input.goBytes
        let hashLength = hash == "SHA1" ? 20 : (hash == "SHA512" ? 64 : 32)
        guard ciphertext.count <= k, k >= 2 * hashLength + 2 else { throw failure }
        // Go reads the ciphertext as a number, so shorter inputs have implicit leading zeros.
        ciphertext = [UInt8](repeating: 0, count: k - ciphertext.count) + ciphertext
        do {
            switch hash {
            case "SHA1":
                let decrypter = try _RSA.Encryption.PrivateKey(unsafeDERRepresentation: pkcs1)
                return String(goBytes: try decrypter.decrypt(ciphertext, padding: .PKCS1_OAEP))
            case "SHA512":
                // swift-crypto has no OAEP with SHA-512: BoringSSL's raw (blinded) RSA operation,
                // then EME-OAEP decoding here.
                let raw = try _RSA.BlindSigning.PrivateKey<SHA384>(unsafeDERRepresentation: pkcs1)
                let encoded = Array(try raw.blindSignature(for: ciphertext).rawRepresentation)
                guard let message = OAEP.decode(encoded, hash: SHA512.self) else { throw failure }
                return String(goBytes: message)
            default:
                let decrypter = try _RSA.Encryption.PrivateKey(unsafeDERRepresentation: pkcs1)
                return String(goBytes: try decrypter.decrypt(ciphertext, padding: .PKCS1_OAEP_SHA256))
            }
        } catch {
            throw failure
        }
    }
}

/// EME-OAEP decoding (RFC 8017 §7.1.2 step 3) with an empty label and MGF1 over the same hash.
/// Every check runs on every input and a single failure is reported, as the RFC asks.
enum OAEP {
    static func mgf1<H: HashFunction>(_ seed: [UInt8], length: Int, hash: H.Type) -> [UInt8] {
        var out: [UInt8] = []
        var counter: UInt32 = 0
        while out.count < length {
            let c = [
                UInt8(counter >> 24), UInt8((counter >> 16) & 0xFF), UInt8((counter >> 8) & 0xFF),
                UInt8(counter & 0xFF),
            ]
            out += Array(H.hash(data: seed + c))
            counter += 1
        }
        return Array(out.prefix(length))
    }

    static func decode<H: HashFunction>(_ em: [UInt8], hash: H.Type) -> [UInt8]? {
        let hLen = H.Digest.byteCount
        let k = em.count
        guard k >= 2 * hLen + 2 else { return nil }
        let maskedSeed = Array(em[1...hLen])
        let maskedDB = Array(em[(hLen + 1)...])
        let seed = zip(maskedSeed, mgf1(maskedDB, length: hLen, hash: H.self)).map { $0 ^ $1 }
        let db = zip(maskedDB, mgf1(seed, length: k - hLen - 1, hash: H.self)).map { $0 ^ $1 }
        let labelHash = Array(H.hash(data: [UInt8]()))
        var bad: UInt8 = em[0]
        for i in 0..<hLen { bad |= db[i] ^ labelHash[i] }
        // Find the 0x01 separator after the zero padding without branching on secret bytes.
        var index = 0
        var found: UInt8 = 0
        var invalidPadding: UInt8 = 0
        for i in hLen..<db.count {
            let isOne: UInt8 = db[i] == 1 ? 1 : 0
            let isZero: UInt8 = db[i] == 0 ? 1 : 0
            let first = isOne & ~found & 1
            index = first == 1 ? i : index
            invalidPadding |= ~found & 1 & ~isZero & ~isOne & 1
            found |= isOne
        }
        guard bad == 0, found == 1, invalidPadding == 0 else { return nil }
        return Array(db[(index + 1)...])
    }
}

/// A JSON Web Key as lestrrat-go/jwx v2's `jwk.ParseKey` reads it, and the Go key type its
/// `Raw` gives: RSA (`n`, `e`, and `d`, `p`, `q` for a private key), EC on P-256/P-384/P-521
/// (`crv`, `x`, `y`, `d`) and OKP Ed25519 (`crv`, `x`, `d`).
///
/// Caveats: `oct` keys and OKP X25519 keys parse but have no PEM form (jwx's own Go types, which
/// x509 cannot marshal); RSA private keys need `p` and `q`.
enum JWK {
    enum Key {
        /// A public key as SubjectPublicKeyInfo DER, with its Go type.
        case publicKey(der: [UInt8], goType: String)
        case privateKey(GoPrivateKey)
        /// A key x509 cannot marshal, by its Go type.
        case unsupported(goType: String)
    }

    static func parse(_ text: String) throws -> Key {
        guard case .map(let object) = try? Value.parseJSON(text), !object.isNil else {
            throw TemplateFunctionError("failed to unmarshal JSON into key hint")
        }
        let fields = object.entries
        func string(_ name: String) -> String? {
            if case .string(let s)? = fields[name] { return s }
            return nil
        }
        func bytes(_ name: String) throws -> [UInt8]? {
            guard let s = string(name) else { return nil }
            guard let b = base64URLDecode(s) else {
                throw TemplateFunctionError("failed to decode field \(goQuote(name)): illegal base64 data")
            }
            return b
        }
        func required(_ name: String) throws -> [UInt8] {
            guard let b = try bytes(name) else { throw TemplateFunctionError("required field \(name) is missing") }
            return b
        }
        do {
            switch string("kty") {
            case "RSA":
                let n = try required("n")
                let e = try required("e")
                if let d = try bytes("d") {
                    let key = try _RSA.Signing.PrivateKey(n: n, e: e, d: d, p: try required("p"), q: try required("q"))
                    return .privateKey(.rsa(key))
                }
                return .publicKey(
                    der: Array(try _RSA.Signing.PublicKey(n: n, e: e).derRepresentation), goType: "*rsa.PublicKey")
            case "EC":
                let x = try required("x")
                let y = try required("y")
                let d = try bytes("d")
                let point = [0x04] + x + y
                switch string("crv") {
                case "P-256":
                    if let d { return .privateKey(.p256(try P256.Signing.PrivateKey(rawRepresentation: d))) }
                    return .publicKey(
                        der: Array(try P256.Signing.PublicKey(x963Representation: point).derRepresentation),
                        goType: "*ecdsa.PublicKey")
                case "P-384":
                    if let d { return .privateKey(.p384(try P384.Signing.PrivateKey(rawRepresentation: d))) }
                    return .publicKey(
                        der: Array(try P384.Signing.PublicKey(x963Representation: point).derRepresentation),
                        goType: "*ecdsa.PublicKey")
                case "P-521":
                    if let d { return .privateKey(.p521(try P521.Signing.PrivateKey(rawRepresentation: d))) }
                    return .publicKey(
                        der: Array(try P521.Signing.PublicKey(x963Representation: point).derRepresentation),
                        goType: "*ecdsa.PublicKey")
                default:
                    throw TemplateFunctionError("invalid curve algorithm \(string("crv") ?? "")")
                }
            case "OKP":
                let x = try required("x")
                let d = try bytes("d")
                switch string("crv") {
                case "Ed25519":
                    if let d {
                        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: d)
                        guard Array(key.publicKey.rawRepresentation) == x else {
                            throw TemplateFunctionError("invalid Ed25519 key: public key does not match")
                        }
                        return .privateKey(.ed25519(key))
                    }
                    guard x.count == 32 else { throw TemplateFunctionError("invalid Ed25519 public key length") }
                    return .publicKey(
                        der: GoPrivateKey.curve25519PublicKeyDER(GoPrivateKey.OID.ed25519, x),
                        goType: "ed25519.PublicKey")
                case "X25519":
                    return .unsupported(goType: d == nil ? "x25519.PublicKey" : "x25519.PrivateKey")
                default:
                    throw TemplateFunctionError("invalid curve algorithm \(string("crv") ?? "")")
                }
            case "oct":
                _ = try required("k")
                return .unsupported(goType: "[]uint8")
            case let kty?:
                throw TemplateFunctionError("invalid key type from JSON (\(kty))")
            case nil:
                throw TemplateFunctionError("invalid key type from JSON ()")
            }
        } catch let error as TemplateFunctionError {
            throw error
        } catch {
            throw TemplateFunctionError("failed to parse key: \(error)")
        }
    }

    /// Base64url or standard base64, padded or not, as jwx accepts.
    static func base64URLDecode(_ s: String) -> [UInt8]? {
        var t = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while t.hasSuffix("=") { t.removeLast() }
        if t.utf8.count % 4 == 1 { return nil }
        t += String(repeating: "=", count: (4 - t.utf8.count % 4) % 4)
        guard case .success(let bytes) = Sprig.base64Decode(t) else { return nil }
        return bytes
    }
}
