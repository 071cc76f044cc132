import Crypto
import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// A private key as Go's `crypto/x509` parses and marshals it, for the algorithms swift-crypto
/// has: RSA, ECDSA on P-256/P-384/P-521, Ed25519 and X25519.
///
/// Caveats: DSA keys, ECDSA on P-224 and multi-prime RSA keys are refused with an error (Go
/// reads them); RSA keys must be at least 1024 bits.
enum GoPrivateKey {
    case rsa(_RSA.Signing.PrivateKey)
    case p256(P256.Signing.PrivateKey)
    case p384(P384.Signing.PrivateKey)
    case p521(P521.Signing.PrivateKey)
    case ed25519(Curve25519.Signing.PrivateKey)
    case x25519(Curve25519.KeyAgreement.PrivateKey)

    /// A key that could not be parsed or marshaled; the text follows Go's where it matters.
    struct Failure: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    enum OID {
        static let rsaEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 1, 1]
        static let ecPublicKey: ASN1ObjectIdentifier = [1, 2, 840, 10045, 2, 1]
        static let ed25519: ASN1ObjectIdentifier = [1, 3, 101, 112]
        static let x25519: ASN1ObjectIdentifier = [1, 3, 101, 110]
        static let p224: ASN1ObjectIdentifier = [1, 3, 132, 0, 33]
        static let p256: ASN1ObjectIdentifier = [1, 2, 840, 10045, 3, 1, 7]
        static let p384: ASN1ObjectIdentifier = [1, 3, 132, 0, 34]
        static let p521: ASN1ObjectIdentifier = [1, 3, 132, 0, 35]
    }

    /// Go's `%T` of the key.
    var goTypeName: String {
        switch self {
        case .rsa: "*rsa.PrivateKey"
        case .p256, .p384, .p521: "*ecdsa.PrivateKey"
        case .ed25519: "ed25519.PrivateKey"
        case .x25519: "*ecdh.PrivateKey"
        }
    }

    // MARK: - Parsing

    /// `x509.ParsePKCS1PrivateKey`.
    static func parsePKCS1(_ der: [UInt8]) throws(Failure) -> GoPrivateKey {
        // Go tells the formats apart: PKCS #1 is a sequence of integers (version, modulus, ...).
        guard let root = try? DER.parse(der), case .constructed(let collection) = root.content,
            case let children = Array(collection), children.count >= 9,
            children.prefix(9).allSatisfy({ $0.identifier == .integer })
        else {
            if isPKCS8Shaped(der) {
                throw Failure(
                    "x509: failed to parse private key (use ParsePKCS8PrivateKey instead for this key format)")
            }
            if (try? parseSEC1(der, curve: nil)) != nil {
                throw Failure("x509: failed to parse private key (use ParseECPrivateKey instead for this key format)")
            }
            throw Failure("x509: failed to parse private key")
        }
        if children.count > 9 { throw Failure("x509: multi-prime RSA keys are not supported here") }
        do {
            return .rsa(try _RSA.Signing.PrivateKey(unsafeDERRepresentation: der))
        } catch {
            throw Failure("x509: invalid RSA private key: \(error)")
        }
    }

    /// `x509.ParsePKCS8PrivateKey`.
    static func parsePKCS8(_ der: [UInt8]) throws(Failure) -> GoPrivateKey {
        let parsed: (algorithm: ASN1ObjectIdentifier, parameters: ASN1Node?, key: ArraySlice<UInt8>)
        do {
            parsed = try DER.sequence(try DER.parse(der), identifier: .sequence) { nodes in
                _ = try Int(derEncoded: &nodes)
                let (algorithm, parameters) = try DER.sequence(nodes.next()!, identifier: .sequence) { alg in
                    (try ASN1ObjectIdentifier(derEncoded: &alg), alg.next())
                }
                let key = try ASN1OctetString(derEncoded: &nodes).bytes
                while nodes.next() != nil {}
                return (algorithm, parameters, key)
            }
        } catch {
            if (try? parseSEC1(der, curve: nil)) != nil {
                throw Failure("x509: failed to parse private key (use ParseECPrivateKey instead for this key format)")
            }
            throw Failure("x509: failed to parse private key: \(error)")
        }
        switch parsed.algorithm {
        case OID.rsaEncryption:
            do {
                return try parsePKCS1(Array(parsed.key))
            } catch {
                throw Failure("x509: failed to parse RSA private key embedded in PKCS#8: \(error.message)")
            }
        case OID.ecPublicKey:
            guard let parameters = parsed.parameters, let curve = try? ASN1ObjectIdentifier(derEncoded: parameters)
            else { throw Failure("x509: failed to parse EC private key embedded in PKCS#8: missing curve") }
            do {
                return try parseSEC1(Array(parsed.key), curve: curve)
            } catch {
                throw Failure("x509: failed to parse EC private key embedded in PKCS#8: \(error.message)")
            }
        case OID.ed25519, OID.x25519:
            guard let inner = try? ASN1OctetString(derEncoded: DER.parse(Array(parsed.key))).bytes,
                inner.count == 32
            else { throw Failure("x509: invalid curve private key length") }
            do {
                if parsed.algorithm == OID.ed25519 {
                    return .ed25519(try Curve25519.Signing.PrivateKey(rawRepresentation: inner))
                }
                return .x25519(try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: inner))
            } catch {
                throw Failure("x509: invalid curve private key: \(error)")
            }
        default:
            throw Failure("x509: PKCS#8 wrapping contained private key with unknown algorithm: \(parsed.algorithm)")
        }
    }

    /// A sequence whose second element is a sequence (an AlgorithmIdentifier), as in PKCS #8.
    private static func isPKCS8Shaped(_ der: [UInt8]) -> Bool {
        guard let root = try? DER.parse(der), case .constructed(let collection) = root.content else { return false }
        let children = Array(collection)
        return children.count >= 3 && children[0].identifier == .integer && children[1].identifier == .sequence
    }

    /// `x509.ParseECPrivateKey` (SEC 1); `curve` is the one PKCS #8 named, if any.
    static func parseSEC1(_ der: [UInt8], curve: ASN1ObjectIdentifier?) throws(Failure) -> GoPrivateKey {
        let parsed: (version: Int, key: ArraySlice<UInt8>, curve: ASN1ObjectIdentifier?)
        do {
            parsed = try DER.sequence(try DER.parse(der), identifier: .sequence) { nodes in
                let version = try Int(derEncoded: &nodes)
                let key = try ASN1OctetString(derEncoded: &nodes).bytes
                let named = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                    try ASN1ObjectIdentifier(derEncoded: $0)
                }
                _ = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 1, tagClass: .contextSpecific) {
                    try ASN1BitString(derEncoded: $0)
                }
                return (version, key, named)
            }
        } catch {
            throw Failure("x509: failed to parse EC private key: \(error)")
        }
        guard parsed.version == 1 else { throw Failure("x509: unknown EC private key version \(parsed.version)") }
        guard let oid = curve ?? parsed.curve else {
            throw Failure("x509: failed to parse EC private key: missing curve")
        }
        // Go accepts leading zero padding and pads short keys.
        func scalar(_ size: Int) throws(Failure) -> [UInt8] {
            var k = Array(parsed.key)
            while k.count > size, k.first == 0 { k.removeFirst() }
            guard k.count <= size else { throw Failure("x509: invalid private key length") }
            return [UInt8](repeating: 0, count: size - k.count) + k
        }
        do {
            switch oid {
            case OID.p256: return .p256(try P256.Signing.PrivateKey(rawRepresentation: try scalar(32)))
            case OID.p384: return .p384(try P384.Signing.PrivateKey(rawRepresentation: try scalar(48)))
            case OID.p521: return .p521(try P521.Signing.PrivateKey(rawRepresentation: try scalar(66)))
            case OID.p224: throw Failure("x509: P-224 keys are not supported here")
            default: throw Failure("x509: unknown elliptic curve")
            }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure("x509: invalid elliptic curve private key value")
        }
    }

    /// sprig's `parsePrivateKeyPEM`: the first PEM block, read by its type.
    static func parseSprigPEM(_ text: String) throws(Failure) -> GoPrivateKey {
        guard let block = PEMBlock.decode(text.goBytes[...]).block else { throw Failure("no PEM data in input") }
        if block.type == "PRIVATE KEY" {
            do {
                return try parsePKCS8(block.bytes)
            } catch {
                throw Failure("decoding PEM as PKCS#8: \(error.message)")
            }
        }
        guard block.type.hasSuffix(" PRIVATE KEY") else {
            throw Failure("no private key data in PEM block of type \(block.type)")
        }
        switch block.type.dropLast(12) {
        case "RSA":
            do {
                return try parsePKCS1(block.bytes)
            } catch {
                throw Failure("parsing RSA private key from PEM: \(error.message)")
            }
        case "EC":
            do {
                return try parseSEC1(block.bytes, curve: nil)
            } catch {
                throw Failure("parsing EC private key from PEM: \(error.message)")
            }
        case "DSA":
            throw Failure("parsing DSA private key from PEM: DSA keys are not supported here")
        default:
            throw Failure("invalid private key type \(block.type)")
        }
    }

    /// ESO's `parsePrivateKey`: PKCS #1, else PKCS #8, else SEC 1.
    static func parseESO(_ der: [UInt8]) throws(Failure) -> GoPrivateKey {
        if let k = try? parsePKCS1(der) { return k }
        if let k = try? parsePKCS8(der) { return k }
        if let k = try? parseSEC1(der, curve: nil) { return k }
        throw Failure("unable to parse private key type")
    }

    // MARK: - Marshaling

    private static func serialize(_ body: (inout DER.Serializer) throws -> Void) -> [UInt8] {
        var coder = DER.Serializer()
        // Serializing well-formed values into memory cannot fail.
        try! body(&coder)
        return coder.serializedBytes
    }

    /// The EC scalar and uncompressed public point.
    private var ecParts: (curve: ASN1ObjectIdentifier, scalar: [UInt8], point: [UInt8])? {
        switch self {
        case .p256(let k): (OID.p256, Array(k.rawRepresentation), Array(k.publicKey.x963Representation))
        case .p384(let k): (OID.p384, Array(k.rawRepresentation), Array(k.publicKey.x963Representation))
        case .p521(let k): (OID.p521, Array(k.rawRepresentation), Array(k.publicKey.x963Representation))
        default: nil
        }
    }

    private static func sec1(_ parts: (curve: ASN1ObjectIdentifier, scalar: [UInt8], point: [UInt8]), withCurve: Bool)
        -> [UInt8]
    {
        serialize { coder in
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(1)
                try coder.serialize(ASN1OctetString(contentBytes: parts.scalar[...]))
                if withCurve {
                    try coder.serialize(parts.curve, explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific)
                }
                try coder.serialize(
                    ASN1BitString(bytes: parts.point[...]), explicitlyTaggedWithTagNumber: 1, tagClass: .contextSpecific
                )
            }
        }
    }

    /// `x509.MarshalPKCS1PrivateKey` (RSA keys only).
    var pkcs1DER: [UInt8]? {
        if case .rsa(let k) = self { return Array(k.derRepresentation) }
        return nil
    }

    /// `x509.MarshalECPrivateKey` (ECDSA keys only).
    var sec1DER: [UInt8]? { ecParts.map { Self.sec1($0, withCurve: true) } }

    /// `x509.MarshalPKCS8PrivateKey`.
    var pkcs8DER: [UInt8] {
        let algorithm: ASN1ObjectIdentifier
        var parameters: ((inout DER.Serializer) throws -> Void)? = nil
        let inner: [UInt8]
        switch self {
        case .rsa(let k):
            algorithm = OID.rsaEncryption
            parameters = { try $0.serialize(ASN1Null()) }
            inner = Array(k.derRepresentation)
        case .p256, .p384, .p521:
            let parts = ecParts!
            algorithm = OID.ecPublicKey
            parameters = { try $0.serialize(parts.curve) }
            inner = Self.sec1(parts, withCurve: false)
        case .ed25519(let k):
            algorithm = OID.ed25519
            inner = Self.serialize { try $0.serialize(ASN1OctetString(contentBytes: Array(k.rawRepresentation)[...])) }
        case .x25519(let k):
            algorithm = OID.x25519
            inner = Self.serialize { try $0.serialize(ASN1OctetString(contentBytes: Array(k.rawRepresentation)[...])) }
        }
        return Self.serialize { coder in
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(0)
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    try coder.serialize(algorithm)
                    try parameters?(&coder)
                }
                try coder.serialize(ASN1OctetString(contentBytes: inner[...]))
            }
        }
    }

    /// `x509.MarshalPKIXPublicKey` of the public half.
    var publicKeyDER: [UInt8] {
        switch self {
        case .rsa(let k): return Array(k.publicKey.derRepresentation)
        case .p256(let k): return Array(k.publicKey.derRepresentation)
        case .p384(let k): return Array(k.publicKey.derRepresentation)
        case .p521(let k): return Array(k.publicKey.derRepresentation)
        case .ed25519(let k): return Self.curve25519PublicKeyDER(OID.ed25519, Array(k.publicKey.rawRepresentation))
        case .x25519(let k): return Self.curve25519PublicKeyDER(OID.x25519, Array(k.publicKey.rawRepresentation))
        }
    }

    static func curve25519PublicKeyDER(_ oid: ASN1ObjectIdentifier, _ key: [UInt8]) -> [UInt8] {
        serialize { coder in
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.appendConstructedNode(identifier: .sequence) { try $0.serialize(oid) }
                try coder.serialize(ASN1BitString(bytes: key[...]))
            }
        }
    }

    /// sprig's `pemBlockForKey`: PKCS #1 for RSA, SEC 1 for ECDSA, PKCS #8 otherwise.
    var sprigPEM: String {
        if let der = pkcs1DER { return PEMBlock.encode(type: "RSA PRIVATE KEY", der) }
        if let der = sec1DER { return PEMBlock.encode(type: "EC PRIVATE KEY", der) }
        return PEMBlock.encode(type: "PRIVATE KEY", pkcs8DER)
    }

    // MARK: - Certificates

    /// The key for swift-certificates, which signs with what Go's `CreateCertificate` picks:
    /// SHA-256 with RSA, ECDSA with the curve's hash, pure Ed25519.
    var signer: (key: Certificate.PrivateKey, algorithm: Certificate.SignatureAlgorithm)? {
        switch self {
        case .rsa(let k): (Certificate.PrivateKey(k), .sha256WithRSAEncryption)
        case .p256(let k): (Certificate.PrivateKey(k), .ecdsaWithSHA256)
        case .p384(let k): (Certificate.PrivateKey(k), .ecdsaWithSHA384)
        case .p521(let k): (Certificate.PrivateKey(k), .ecdsaWithSHA512)
        case .ed25519(let k): (Certificate.PrivateKey(k), .ed25519)
        case .x25519: nil
        }
    }
}
