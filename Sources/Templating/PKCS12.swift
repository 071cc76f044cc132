import Crypto
import Foundation
import SwiftASN1
import _CryptoExtras

/// PKCS #12 (RFC 7292) files, read and written as ESO's go-pkcs12 (software.sslmate.com/src/
/// go-pkcs12) does, on top of SwiftASN1 and swift-crypto.
///
/// Contract:
/// - `decodeChain` is go-pkcs12's `DecodeChain`: a version-3, password-integrity PFX whose
///   authenticated safe has one or two items (plain `data` or `encryptedData`), at least one
///   certificate bag (the first is the leaf) and exactly one key bag (plain or shrouded). With an
///   empty password it also reads files without a MAC, and MACs made over an empty byte string.
/// - Readable encryption: PBES2 with PBKDF2 (HMAC-SHA-1/256/384/512) and AES-128/192/256-CBC,
///   what OpenSSL 3 writes by default. MACs: HMAC with SHA-1/256/384/512 over the RFC 7292 key
///   derivation.
/// - Refused with an error naming the algorithm: the legacy PKCS #12 PBE ciphers (3DES, RC2,
///   RC4: `openssl pkcs12 -legacy`, OpenSSL 1.x and Java 8 defaults), because swift-crypto has
///   none of them; PBMAC1 (RFC 9579); BER-encoded files; more than 1,000,000 iterations.
/// - `encode` and `encodeTrustStore` write go-pkcs12's `Modern2023` form: PBES2 with
///   PBKDF2-HMAC-SHA-256 (2048 iterations, 16-byte salts) and AES-256-CBC, HMAC-SHA-256 MAC
///   (2048 iterations), readable by OpenSSL 1.1.1+, Java 12+ and go-pkcs12.
enum PKCS12 {
    struct Failure: Error, Equatable {
        var message: String
        init(_ message: String) { self.message = message }
        static let incorrectPassword = Failure("pkcs12: decryption password incorrect")
        static let decryption = Failure("pkcs12: decryption error, incorrect padding")
    }

    struct Decoded {
        var key: GoPrivateKey
        /// DER of the first certificate.
        var certificate: [UInt8]
        /// DER of the other certificates, in file order.
        var caCertificates: [[UInt8]]
    }

    static let maxIterations = 1_000_000

    enum OID {
        static let data: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 7, 1]
        static let encryptedData: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 7, 6]
        static let keyBag: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 12, 10, 1, 1]
        static let shroudedKeyBag: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 12, 10, 1, 2]
        static let certBag: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 12, 10, 1, 3]
        static let x509Certificate: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 9, 22, 1]
        static let friendlyName: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 9, 20]
        static let localKeyID: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 9, 21]
        static let javaTrustStore: ASN1ObjectIdentifier = [2, 16, 840, 1, 113_894, 746_875, 1, 1]
        static let anyExtendedKeyUsage: ASN1ObjectIdentifier = [2, 5, 29, 37, 0]
        static let pbes2: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 5, 13]
        static let pbkdf2: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 5, 12]
        static let pbmac1: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 5, 14]
        static let hmacWithSHA1: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 2, 7]
        static let hmacWithSHA256: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 2, 9]
        static let hmacWithSHA384: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 2, 10]
        static let hmacWithSHA512: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 2, 11]
        static let aes128CBC: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 1, 2]
        static let aes192CBC: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 1, 22]
        static let aes256CBC: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 1, 42]
        static let sha1: ASN1ObjectIdentifier = [1, 3, 14, 3, 2, 26]
        static let sha256: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 1]
        static let sha384: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 2]
        static let sha512: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 3]
        /// The PKCS #12 PBE algorithms (RFC 7292 appendix C), none of which swift-crypto offers.
        static let legacyPBE: [ASN1ObjectIdentifier: String] = [
            [1, 2, 840, 113_549, 1, 12, 1, 1]: "pbeWithSHAAnd128BitRC4",
            [1, 2, 840, 113_549, 1, 12, 1, 2]: "pbeWithSHAAnd40BitRC4",
            [1, 2, 840, 113_549, 1, 12, 1, 3]: "pbeWithSHAAnd3-KeyTripleDES-CBC",
            [1, 2, 840, 113_549, 1, 12, 1, 4]: "pbeWithSHAAnd2-KeyTripleDES-CBC",
            [1, 2, 840, 113_549, 1, 12, 1, 5]: "pbeWithSHAAnd128BitRC2-CBC",
            [1, 2, 840, 113_549, 1, 12, 1, 6]: "pbeWithSHAAnd40BitRC2-CBC",
        ]
    }

    // MARK: - Passwords

    /// go-pkcs12's `bmpStringZeroTerminated`: UTF-16BE plus two zero bytes; characters outside
    /// the Basic Multilingual Plane are refused.
    static func bmpPassword(_ password: String) throws(Failure) -> [UInt8] {
        var out: [UInt8] = []
        for scalar in password.unicodeScalars {
            // A byte that is not UTF-8 reads as U+FFFD in Go.
            let value = String.rawByte(scalar) != nil ? 0xFFFD : scalar.value
            guard value <= 0xFFFF else {
                throw Failure("pkcs12: string contains characters that cannot be encoded in UCS-2")
            }
            out += [UInt8(value >> 8), UInt8(value & 0xFF)]
        }
        return out + [0, 0]
    }

    // MARK: - Hash functions by OID

    enum Digest {
        case sha1, sha256, sha384, sha512

        init?(hashOID oid: ASN1ObjectIdentifier) {
            switch oid {
            case OID.sha1: self = .sha1
            case OID.sha256: self = .sha256
            case OID.sha384: self = .sha384
            case OID.sha512: self = .sha512
            default: return nil
            }
        }

        init?(hmacOID oid: ASN1ObjectIdentifier) {
            switch oid {
            case OID.hmacWithSHA1: self = .sha1
            case OID.hmacWithSHA256: self = .sha256
            case OID.hmacWithSHA384: self = .sha384
            case OID.hmacWithSHA512: self = .sha512
            default: return nil
            }
        }

        /// Output size u and block size v of RFC 7292 appendix B.
        var sizes: (u: Int, v: Int) {
            switch self {
            case .sha1: (20, 64)
            case .sha256: (32, 64)
            case .sha384: (48, 128)
            case .sha512: (64, 128)
            }
        }

        func hash(_ data: [UInt8]) -> [UInt8] {
            switch self {
            case .sha1: Array(Insecure.SHA1.hash(data: data))
            case .sha256: Array(SHA256.hash(data: data))
            case .sha384: Array(SHA384.hash(data: data))
            case .sha512: Array(SHA512.hash(data: data))
            }
        }

        func hmac(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
            let k = SymmetricKey(data: key)
            switch self {
            case .sha1: return Array(HMAC<Insecure.SHA1>.authenticationCode(for: data, using: k))
            case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: data, using: k))
            case .sha384: return Array(HMAC<SHA384>.authenticationCode(for: data, using: k))
            case .sha512: return Array(HMAC<SHA512>.authenticationCode(for: data, using: k))
            }
        }

        var pbkdf2: KDF.Insecure.PBKDF2.HashFunction {
            switch self {
            case .sha1: .insecureSHA1
            case .sha256: .sha256
            case .sha384: .sha384
            case .sha512: .sha512
            }
        }
    }

    /// RFC 7292 appendix B.2: derives `length` bytes for purpose `id` (1 key, 2 IV, 3 MAC).
    static func deriveKey(
        digest: Digest, password: [UInt8], salt: [UInt8], iterations: Int, id: UInt8, length: Int
    ) -> [UInt8] {
        let (u, v) = digest.sizes
        func fill(_ bytes: [UInt8]) -> [UInt8] {
            guard !bytes.isEmpty else { return [] }
            let n = v * ((bytes.count + v - 1) / v)
            return (0..<n).map { bytes[$0 % bytes.count] }
        }
        let d = [UInt8](repeating: id, count: v)
        var i = fill(salt) + fill(password)
        var out: [UInt8] = []
        while out.count < length {
            var a = digest.hash(d + i)
            for _ in 1..<max(iterations, 1) { a = digest.hash(a) }
            out += a
            // I_j = (I_j + B + 1) mod 2^(8v), B being A repeated to v bytes.
            let b = (0..<v).map { a[$0 % u] }
            for block in stride(from: 0, to: i.count, by: v) {
                var carry: UInt16 = 1
                for k in stride(from: v - 1, through: 0, by: -1) {
                    let sum = UInt16(i[block + k]) + UInt16(b[k]) + carry
                    i[block + k] = UInt8(sum & 0xFF)
                    carry = sum >> 8
                }
            }
        }
        return Array(out.prefix(length))
    }

    // MARK: - ASN.1 helpers

    /// Runs `body`, reporting any failure other than a `Failure` as unreadable `what`.
    private static func reading<T>(_ what: String, _ body: () throws -> T) throws(Failure) -> T {
        do {
            return try body()
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure("pkcs12: error reading \(what): \(error)")
        }
    }

    private static func parse<T>(_ bytes: [UInt8], _ what: String, _ body: (ASN1Node) throws -> T)
        throws(Failure) -> T
    {
        try reading(what) { try body(try DER.parse(bytes)) }
    }

    /// The next node of a sequence, which must be there.
    private static func next(_ nodes: inout ASN1NodeCollection.Iterator) throws -> ASN1Node {
        guard let node = nodes.next() else { throw Failure("pkcs12: truncated structure") }
        return node
    }

    /// An AlgorithmIdentifier: the OID and the parameters, if any.
    private static func algorithm(_ nodes: inout ASN1NodeCollection.Iterator) throws -> (
        ASN1ObjectIdentifier, ASN1Node?
    ) {
        try algorithm(try next(&nodes))
    }

    private static func algorithm(_ node: ASN1Node) throws -> (ASN1ObjectIdentifier, ASN1Node?) {
        try DER.sequence(node, identifier: .sequence) { alg in
            let oid = try ASN1ObjectIdentifier(derEncoded: &alg)
            let parameters = alg.next()
            return (oid, parameters)
        }
    }

    private static func serialize(_ body: (inout DER.Serializer) throws -> Void) rethrows -> [UInt8] {
        var coder = DER.Serializer()
        try body(&coder)
        return coder.serializedBytes
    }

    // MARK: - Decoding

    /// go-pkcs12's `DecodeChain`.
    static func decodeChain(_ pfx: [UInt8], password: String) throws(Failure) -> Decoded {
        var encodedPassword = try bmpPassword(password)
        let (version, authSafe, mac) = try parse(pfx, "P12 data") { root in
            try DER.sequence(root, identifier: .sequence) { nodes -> (Int, [UInt8], ASN1Node?) in
                let version = try Int(derEncoded: &nodes)
                let contentType: ASN1ObjectIdentifier
                var content: [UInt8] = []
                (contentType, content) = try DER.sequence(try next(&nodes), identifier: .sequence) { ci in
                    let type = try ASN1ObjectIdentifier(derEncoded: &ci)
                    let body = try DER.optionalExplicitlyTagged(&ci, tagNumber: 0, tagClass: .contextSpecific) {
                        Array(try ASN1OctetString(derEncoded: $0).bytes)
                    }
                    return (type, body ?? [])
                }
                guard contentType == OID.data else {
                    throw Failure("pkcs12: only password-protected PFX is implemented")
                }
                return (version, content, nodes.next())
            }
        }
        guard version == 3 else { throw Failure("pkcs12: can only decode v3 PFX PDU's") }

        let emptyPassword = encodedPassword == [0, 0]
        if let mac {
            do {
                try verifyMAC(mac, authSafe, password: encodedPassword)
            } catch let error where error == .incorrectPassword && emptyPassword {
                // Some writers use an empty byte string for the empty password.
                encodedPassword = []
                try verifyMAC(mac, authSafe, password: encodedPassword)
            }
        } else if !emptyPassword {
            throw Failure("pkcs12: no MAC in data")
        }

        let contentInfos: [(ASN1ObjectIdentifier, ASN1Node?)] = try parse(authSafe, "authenticated safe") { root in
            try DER.sequence(root, identifier: .sequence) { nodes in
                var items: [(ASN1ObjectIdentifier, ASN1Node?)] = []
                while let node = nodes.next() {
                    items.append(
                        try DER.sequence(node, identifier: .sequence) { ci in
                            let type = try ASN1ObjectIdentifier(derEncoded: &ci)
                            let content = try DER.optionalExplicitlyTagged(
                                &ci, tagNumber: 0, tagClass: .contextSpecific
                            ) { $0 }
                            return (type, content)
                        })
                }
                return items
            }
        }
        guard (1...2).contains(contentInfos.count) else {
            throw Failure(
                "pkcs12: expected between 1 and 2 items in the authenticated safe, but this file has \(contentInfos.count)"
            )
        }

        var bags: [(id: ASN1ObjectIdentifier, value: ASN1Node)] = []
        for (type, content) in contentInfos {
            let data: [UInt8]
            switch type {
            case OID.data:
                data = try reading("safe contents") {
                    guard let content else { throw Failure("pkcs12: missing content") }
                    return Array(try ASN1OctetString(derEncoded: content).bytes)
                }
            case OID.encryptedData:
                guard let content else { throw Failure("pkcs12: missing content") }
                data = try decryptEncryptedData(content, password: encodedPassword)
            default:
                throw Failure("pkcs12: only data and encryptedData content types are supported in authenticated safe")
            }
            bags += try parse(data, "safe contents") { root in
                try DER.sequence(root, identifier: .sequence) { nodes in
                    var found: [(id: ASN1ObjectIdentifier, value: ASN1Node)] = []
                    while let node = nodes.next() {
                        found.append(
                            try DER.sequence(node, identifier: .sequence) { bag in
                                let id = try ASN1ObjectIdentifier(derEncoded: &bag)
                                let value = try DER.explicitlyTagged(&bag, tagNumber: 0, tagClass: .contextSpecific) {
                                    $0
                                }
                                _ = bag.next()  // attributes
                                return (id, value)
                            })
                    }
                    return found
                }
            }
        }

        var key: GoPrivateKey? = nil
        var certificate: [UInt8]? = nil
        var caCertificates: [[UInt8]] = []
        for bag in bags {
            switch bag.id {
            case OID.certBag:
                let der = try reading("certificate bag") {
                    try DER.sequence(bag.value, identifier: .sequence) { nodes -> [UInt8] in
                        let certID = try ASN1ObjectIdentifier(derEncoded: &nodes)
                        guard certID == OID.x509Certificate else {
                            throw Failure("pkcs12: unsupported certificate type \(certID)")
                        }
                        return try DER.explicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                            Array(try ASN1OctetString(derEncoded: $0).bytes)
                        }
                    }
                }
                if certificate == nil { certificate = der } else { caCertificates.append(der) }
            case OID.keyBag, OID.shroudedKeyBag:
                if key != nil { throw Failure("pkcs12: expected exactly one key bag") }
                var pkcs8 = try reading("key bag") {
                    var serializer = DER.Serializer()
                    serializer.serialize(bag.value)
                    return serializer.serializedBytes
                }
                if bag.id == OID.shroudedKeyBag {
                    pkcs8 = try decryptShroudedKey(bag.value, password: encodedPassword)
                }
                do {
                    key = try GoPrivateKey.parsePKCS8(pkcs8)
                } catch {
                    throw Failure(error.message)
                }
            default:
                continue
            }
        }
        guard let certificate else { throw Failure("pkcs12: certificate missing") }
        guard let key else { throw Failure("pkcs12: private key missing") }
        return Decoded(key: key, certificate: certificate, caCertificates: caCertificates)
    }

    /// Checks the PFX MAC: HMAC over the authenticated safe with a key derived (ID 3) from the
    /// BMP password.
    private static func verifyMAC(_ macData: ASN1Node, _ authSafe: [UInt8], password: [UInt8]) throws(Failure) {
        let (digestOID, expected, salt, iterations) = try reading("MAC") {
            try DER.sequence(macData, identifier: .sequence) { nodes in
                let (oid, expected) = try DER.sequence(try next(&nodes), identifier: .sequence) { info in
                    let (oid, _) = try algorithm(&info)
                    return (oid, Array(try ASN1OctetString(derEncoded: &info).bytes))
                }
                let salt = Array(try ASN1OctetString(derEncoded: &nodes).bytes)
                let iterations = try nodes.next().map { try Int(derEncoded: $0) } ?? 1
                return (oid, expected, salt, iterations)
            }
        }
        if digestOID == OID.pbmac1 { throw Failure("pkcs12: PBMAC1 (RFC 9579) MACs are not supported") }
        guard let digest = Digest(hashOID: digestOID) else {
            throw Failure("pkcs12: unknown digest algorithm: \(digestOID)")
        }
        guard (1...maxIterations).contains(iterations) else {
            throw Failure("pkcs12: MAC iteration count \(iterations) is out of range")
        }
        let key = deriveKey(
            digest: digest, password: password, salt: salt, iterations: iterations, id: 3, length: digest.sizes.u)
        let actual = digest.hmac(key: key, authSafe)
        guard actual.count == expected.count, zip(actual, expected).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0 else {
            throw .incorrectPassword
        }
    }

    /// EncryptedData { version 0, EncryptedContentInfo { type, algorithm, [0] IMPLICIT bytes } }.
    private static func decryptEncryptedData(_ content: ASN1Node, password: [UInt8]) throws(Failure) -> [UInt8] {
        let (version, algorithmID, parameters, ciphertext) = try reading("encrypted data") {
            try DER.sequence(content, identifier: .sequence) { nodes in
                let version = try Int(derEncoded: &nodes)
                let inner = try DER.sequence(try next(&nodes), identifier: .sequence) { eci in
                    _ = try ASN1ObjectIdentifier(derEncoded: &eci)
                    let (oid, parameters) = try algorithm(&eci)
                    let bytes =
                        try DER.optionalImplicitlyTagged(
                            &eci, tag: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)
                        ) as ASN1OctetString?
                    return (oid, parameters, Array(bytes?.bytes ?? []))
                }
                return (version, inner.0, inner.1, inner.2)
            }
        }
        guard version == 0 else { throw Failure("pkcs12: only version 0 of EncryptedData is supported") }
        return try decrypt(algorithmID, parameters, ciphertext, password: password)
    }

    /// EncryptedPrivateKeyInfo { algorithm, encryptedData } → PKCS #8 bytes.
    private static func decryptShroudedKey(_ value: ASN1Node, password: [UInt8]) throws(Failure) -> [UInt8] {
        let (algorithmID, parameters, ciphertext) = try reading("shrouded key bag") {
            try DER.sequence(value, identifier: .sequence) { nodes in
                let (oid, parameters) = try algorithm(&nodes)
                return (oid, parameters, Array(try ASN1OctetString(derEncoded: &nodes).bytes))
            }
        }
        return try decrypt(algorithmID, parameters, ciphertext, password: password)
    }

    /// PBES2 decryption; the PKCS #12 PBE ciphers are refused.
    private static func decrypt(
        _ algorithmID: ASN1ObjectIdentifier, _ parameters: ASN1Node?, _ ciphertext: [UInt8], password: [UInt8]
    ) throws(Failure) -> [UInt8] {
        if let name = OID.legacyPBE[algorithmID] {
            throw Failure(
                "pkcs12: algorithm \(algorithmID) (\(name)) is not supported: swift-crypto has no legacy PKCS #12 ciphers; re-export the file with AES (OpenSSL 3's default)"
            )
        }
        guard algorithmID == OID.pbes2 else { throw Failure("pkcs12: algorithm \(algorithmID) is not supported") }
        guard let parameters else { throw Failure("pkcs12: missing PBES2 parameters") }
        let (salt, iterations, keyLength, prf, cipher, iv) = try reading("PBES2 parameters") {
            try DER.sequence(parameters, identifier: .sequence) { nodes in
                let (kdf, kdfParameters) = try algorithm(&nodes)
                guard kdf == OID.pbkdf2, let kdfParameters else {
                    throw Failure("pkcs12: kdf algorithm \(kdf) is not supported")
                }
                let (salt, iterations, keyLength, prf) = try DER.sequence(kdfParameters, identifier: .sequence) {
                    p -> ([UInt8], Int, Int?, ASN1ObjectIdentifier) in
                    guard let saltNode = p.next(), saltNode.identifier == .octetString else {
                        throw Failure("pkcs12: only octet string salts are supported for pbkdf2")
                    }
                    let salt = Array(try ASN1OctetString(derEncoded: saltNode).bytes)
                    let iterations = try Int(derEncoded: &p)
                    var keyLength: Int? = nil
                    var prf = OID.hmacWithSHA1
                    while let node = p.next() {
                        if node.identifier == .integer {
                            keyLength = try Int(derEncoded: node)
                        } else {
                            prf = try algorithm(node).0
                        }
                    }
                    return (salt, iterations, keyLength, prf)
                }
                let (cipher, cipherParameters) = try algorithm(&nodes)
                guard let cipherParameters else { throw Failure("pkcs12: missing IV") }
                let iv = Array(try ASN1OctetString(derEncoded: cipherParameters).bytes)
                return (salt, iterations, keyLength, prf, cipher, iv)
            }
        }
        let aesKeyLength: Int
        switch cipher {
        case OID.aes128CBC: aesKeyLength = 16
        case OID.aes192CBC: aesKeyLength = 24
        case OID.aes256CBC: aesKeyLength = 32
        default: throw Failure("pkcs12: pbes2 algorithm \(cipher) is not supported")
        }
        if let keyLength, keyLength != aesKeyLength { throw Failure("pkcs12: invalid PBKDF2 key length \(keyLength)") }
        guard let digest = Digest(hmacOID: prf) else { throw Failure("pkcs12: PBKDF2 PRF \(prf) is not supported") }
        guard (1...maxIterations).contains(iterations) else {
            throw Failure("pkcs12: PBKDF2 iteration count \(iterations) is out of range")
        }
        guard iv.count == 16 else { throw Failure("pkcs12: invalid AES-CBC IV") }
        guard !ciphertext.isEmpty else { throw Failure("pkcs12: empty encrypted data") }
        guard ciphertext.count % 16 == 0 else { throw Failure("pkcs12: input is not a multiple of the block size") }
        // PBES2 takes the password as UTF-8 (RFC 8018), not as the BMP string the MAC uses.
        let utf8Password = utf8(fromBMP: password)
        do {
            let key = try KDF.Insecure.PBKDF2.deriveKey(
                from: utf8Password, salt: salt, using: digest.pbkdf2, outputByteCount: aesKeyLength,
                unsafeUncheckedRounds: iterations)
            let plain = Array(
                try AES._CBC.decrypt(ciphertext, using: key, iv: AES._CBC.IV(ivBytes: iv), noPadding: true))
            let pad = Int(plain.last!)
            guard pad > 0, pad <= 16, plain.suffix(pad).allSatisfy({ Int($0) == pad }) else { throw Failure.decryption }
            return Array(plain.dropLast(pad))
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure("pkcs12: \(error)")
        }
    }

    /// The UTF-8 bytes of a zero-terminated BMP string (empty for an empty password).
    private static func utf8(fromBMP bmp: [UInt8]) -> [UInt8] {
        var units: [UInt16] = []
        var i = 0
        while i + 1 < bmp.count {
            let u = UInt16(bmp[i]) << 8 | UInt16(bmp[i + 1])
            if u == 0 { break }
            units.append(u)
            i += 2
        }
        return Array(String(decoding: units, as: UTF16.self).utf8)
    }

    // MARK: - Encoding

    /// Draws random bytes for salts and IVs.
    typealias Random = (Int) throws -> [UInt8]

    static let iterations = 2048

    /// go-pkcs12 `Modern2023.Encode`: the certificates in an encrypted safe, the shrouded key in a
    /// plain one; the key and the first certificate carry the certificate's SHA-1 as local key ID.
    static func encode(
        key: GoPrivateKey, certificate: [UInt8], caCertificates: [[UInt8]], password: String, random: Random
    ) throws -> [UInt8] {
        let bmp = try bmpPassword(password)
        let localKeyID = attribute(OID.localKeyID) {
            try $0.serialize(ASN1OctetString(contentBytes: Array(Insecure.SHA1.hash(data: certificate))[...]))
        }
        var certBags = [try certBag(certificate, attributes: [localKeyID])]
        for ca in caCertificates { certBags.append(try certBag(ca, attributes: [])) }
        let shrouded = try encryptPBES2(key.pkcs8DER, password: password, random: random)
        let keyBag = try safeBag(OID.shroudedKeyBag, value: shrouded, attributes: [localKeyID])
        let safes = [
            try encryptedContentInfo(safeContents(certBags), password: password, random: random),
            try dataContentInfo(safeContents([keyBag])),
        ]
        return try pfx(authenticatedSafe: safes, bmpPassword: bmp, random: random)
    }

    /// go-pkcs12 `Modern2023.EncodeTrustStore`: every certificate marked as a Java trust anchor for
    /// any purpose and named by its subject, in one encrypted safe.
    static func encodeTrustStore(
        _ certificates: [(der: [UInt8], friendlyName: String)], password: String, random: Random
    ) throws -> [UInt8] {
        let bmp = try bmpPassword(password)
        let trusted = attribute(OID.javaTrustStore) { try $0.serialize(OID.anyExtendedKeyUsage) }
        var bags: [[UInt8]] = []
        for (der, name) in certificates {
            let nameBytes = Array(try bmpPassword(name).dropLast(2))
            let friendlyName = attribute(OID.friendlyName) { coder in
                coder.appendPrimitiveNode(identifier: .bmpString) { $0.append(contentsOf: nameBytes) }
            }
            bags.append(try certBag(der, attributes: [trusted, friendlyName]))
        }
        let safes = [try encryptedContentInfo(safeContents(bags), password: password, random: random)]
        return try pfx(authenticatedSafe: safes, bmpPassword: bmp, random: random)
    }

    /// An Attribute: SEQUENCE { OID, SET { value } }, DER-encoded.
    private static func attribute(_ oid: ASN1ObjectIdentifier, _ value: (inout DER.Serializer) throws -> Void)
        -> [UInt8]
    {
        // Serializing into memory cannot fail for these values.
        try! serialize { coder in
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(oid)
                try coder.appendConstructedNode(identifier: .set) { try value(&$0) }
            }
        }
    }

    private static func certBag(_ der: [UInt8], attributes: [[UInt8]]) throws -> [UInt8] {
        let value = try serialize { coder in
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(OID.x509Certificate)
                try coder.serialize(
                    ASN1OctetString(contentBytes: der[...]), explicitlyTaggedWithTagNumber: 0,
                    tagClass: .contextSpecific)
            }
        }
        return try safeBag(OID.certBag, value: value, attributes: attributes)
    }

    /// SafeBag { bagId, [0] EXPLICIT value, SET OF attributes (omitted when empty) }.
    private static func safeBag(_ id: ASN1ObjectIdentifier, value: [UInt8], attributes: [[UInt8]]) throws -> [UInt8] {
        try serialize { coder in
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(id)
                try coder.appendConstructedNode(
                    identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)
                ) {
                    try $0.serialize(ASN1Any(derEncoded: value))
                }
                if !attributes.isEmpty {
                    try coder.appendConstructedNode(identifier: .set) { coder in
                        for a in attributes.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                            try coder.serialize(ASN1Any(derEncoded: a))
                        }
                    }
                }
            }
        }
    }

    private static func safeContents(_ bags: [[UInt8]]) throws -> [UInt8] {
        try serialize { coder in
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                for bag in bags { try coder.serialize(ASN1Any(derEncoded: bag)) }
            }
        }
    }

    /// The PBES2 AlgorithmIdentifier and ciphertext of `plaintext`.
    private static func pbes2(_ plaintext: [UInt8], password: String, random: Random) throws -> (
        algorithm: [UInt8], ciphertext: [UInt8]
    ) {
        let salt = try random(16)
        let iv = try random(16)
        guard salt.count == 16, iv.count == 16 else { throw Failure("random source returned too few bytes") }
        let key = try KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.goBytes), salt: salt, using: .sha256, outputByteCount: 32,
            unsafeUncheckedRounds: iterations)
        let pad = 16 - plaintext.count % 16
        let ciphertext = Array(
            try AES._CBC.encrypt(
                plaintext + [UInt8](repeating: UInt8(pad), count: pad), using: key, iv: AES._CBC.IV(ivBytes: iv),
                noPadding: true))
        let algorithm = try serialize { coder in
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(OID.pbes2)
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    try coder.appendConstructedNode(identifier: .sequence) { coder in
                        try coder.serialize(OID.pbkdf2)
                        try coder.appendConstructedNode(identifier: .sequence) { coder in
                            try coder.serialize(ASN1OctetString(contentBytes: salt[...]))
                            try coder.serialize(iterations)
                            try coder.appendConstructedNode(identifier: .sequence) { coder in
                                try coder.serialize(OID.hmacWithSHA256)
                                try coder.serialize(ASN1Null())
                            }
                        }
                    }
                    try coder.appendConstructedNode(identifier: .sequence) { coder in
                        try coder.serialize(OID.aes256CBC)
                        try coder.serialize(ASN1OctetString(contentBytes: iv[...]))
                    }
                }
            }
        }
        return (algorithm, ciphertext)
    }

    /// EncryptedPrivateKeyInfo for a shrouded key bag.
    private static func encryptPBES2(_ pkcs8: [UInt8], password: String, random: Random) throws -> [UInt8] {
        let (algorithm, ciphertext) = try pbes2(pkcs8, password: password, random: random)
        return try serialize { coder in
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(ASN1Any(derEncoded: algorithm))
                try coder.serialize(ASN1OctetString(contentBytes: ciphertext[...]))
            }
        }
    }

    private static func dataContentInfo(_ content: [UInt8]) throws -> [UInt8] {
        try serialize { coder in
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(OID.data)
                try coder.serialize(
                    ASN1OctetString(contentBytes: content[...]), explicitlyTaggedWithTagNumber: 0,
                    tagClass: .contextSpecific)
            }
        }
    }

    private static func encryptedContentInfo(_ content: [UInt8], password: String, random: Random) throws -> [UInt8] {
        let (algorithm, ciphertext) = try pbes2(content, password: password, random: random)
        return try serialize { coder in
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(OID.encryptedData)
                try coder.appendConstructedNode(
                    identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)
                ) {
                    coder in
                    try coder.appendConstructedNode(identifier: .sequence) { coder in
                        try coder.serialize(0)
                        try coder.appendConstructedNode(identifier: .sequence) { coder in
                            try coder.serialize(OID.data)
                            try coder.serialize(ASN1Any(derEncoded: algorithm))
                            coder.appendPrimitiveNode(
                                identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)
                            ) { $0.append(contentsOf: ciphertext) }
                        }
                    }
                }
            }
        }
    }

    /// PFX { 3, data(authenticated safe), MacData (HMAC-SHA-256) }.
    private static func pfx(authenticatedSafe safes: [[UInt8]], bmpPassword: [UInt8], random: Random) throws -> [UInt8]
    {
        let authSafe = try serialize { coder in
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                for safe in safes { try coder.serialize(ASN1Any(derEncoded: safe)) }
            }
        }
        let salt = try random(16)
        guard salt.count == 16 else { throw Failure("random source returned too few bytes") }
        let macKey = deriveKey(
            digest: .sha256, password: bmpPassword, salt: salt, iterations: iterations, id: 3, length: 32)
        let mac = Digest.sha256.hmac(key: macKey, authSafe)
        return try serialize { coder in
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(3)
                try coder.serialize(ASN1Any(derEncoded: try dataContentInfo(authSafe)))
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    try coder.appendConstructedNode(identifier: .sequence) { coder in
                        try coder.appendConstructedNode(identifier: .sequence) { coder in
                            try coder.serialize(OID.sha256)
                            try coder.serialize(ASN1Null())
                        }
                        try coder.serialize(ASN1OctetString(contentBytes: mac[...]))
                    }
                    try coder.serialize(ASN1OctetString(contentBytes: salt[...]))
                    try coder.serialize(iterations)
                }
            }
        }
    }
}
