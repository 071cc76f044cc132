import Crypto
import Foundation
import SwiftASN1
import X509
import _CryptoExtras

extension Sprig {
    /// sprig's key and certificate generators. They need the render's random source (keys,
    /// serial numbers) and clock (validity); without them they fail.
    ///
    /// Caveats: RSA primes come from BoringSSL's generator (the system's CSPRNG), not from the
    /// injected source, which only has to be present; ECDSA and Ed25519 keys and serials are
    /// drawn from the injected source. `genPrivateKey "dsa"` fails: swift-crypto has no DSA.
    static func registerCertificates(into lib: inout FunctionLibrary) {
        lib.add("genPrivateKey", [.string]) { a, ctx in
            switch a[0].stringValue {
            case "", "rsa": return .string(try generateKey(.rsa(bits: 4096), ctx).sprigPEM)
            case "ecdsa": return .string(try generateKey(.p256, ctx).sprigPEM)
            case "ed25519": return .string(try generateKey(.ed25519, ctx).sprigPEM)
            case "dsa": throw TemplateFunctionError("genPrivateKey: DSA keys are not supported")
            default: return .string("Unknown type " + a[0].stringValue)
            }
        }
        lib.add("buildCustomCert", [.string, .string]) { a, _ in
            .object(try buildCustomCertificate(a[0].stringValue, a[1].stringValue))
        }
        lib.add("genCA", [.string, .int]) { a, ctx in
            .object(try issue(cn: a[0].stringValue, days: a[1].intValue, isCA: true, key: nil, ctx: ctx))
        }
        lib.add("genCAWithKey", [.string, .int, .string]) { a, ctx in
            let key = try pemKey(a[2].stringValue)
            return .object(try issue(cn: a[0].stringValue, days: a[1].intValue, isCA: true, key: key, ctx: ctx))
        }
        lib.add("genSelfSignedCert", [.string, .anyList, .anyList, .int]) { a, ctx in
            .object(
                try issue(
                    cn: a[0].stringValue, ips: try netIPs(a[1]), dnsNames: try dnsNames(a[2]), days: a[3].intValue,
                    isCA: false, key: nil, ctx: ctx))
        }
        lib.add("genSelfSignedCertWithKey", [.string, .anyList, .anyList, .int, .string]) { a, ctx in
            let key = try pemKey(a[4].stringValue)
            return .object(
                try issue(
                    cn: a[0].stringValue, ips: try netIPs(a[1]), dnsNames: try dnsNames(a[2]), days: a[3].intValue,
                    isCA: false, key: key, ctx: ctx))
        }
        let certificateType = ParameterType.named("sprig.certificate")
        lib.add("genSignedCert", [.string, .anyList, .anyList, .int, certificateType]) { a, ctx in
            .object(
                try issue(
                    cn: a[0].stringValue, ips: try netIPs(a[1]), dnsNames: try dnsNames(a[2]), days: a[3].intValue,
                    isCA: false, key: nil, signedBy: a[4], ctx: ctx))
        }
        lib.add("genSignedCertWithKey", [.string, .anyList, .anyList, .int, certificateType, .string]) { a, ctx in
            let key = try pemKey(a[5].stringValue)
            return .object(
                try issue(
                    cn: a[0].stringValue, ips: try netIPs(a[1]), dnsNames: try dnsNames(a[2]), days: a[3].intValue,
                    isCA: false, key: key, signedBy: a[4], ctx: ctx))
        }
    }

    // MARK: - Keys

    enum KeyKind {
        case rsa(bits: Int)
        case p256
        case ed25519
    }

    /// A new private key. RSA needs only the presence of a random source (see the caveat above).
    static func generateKey(_ kind: KeyKind, _ ctx: FunctionContext) throws -> GoPrivateKey {
        switch kind {
        case .rsa(let bits):
            _ = try ctx.random(0)
            return .rsa(try _RSA.Signing.PrivateKey(keySize: .init(bitCount: bits)))
        case .p256:
            // Rejection sampling: a 32-byte draw at or above the group order is retried.
            for _ in 0..<64 {
                let scalar = try ctx.random(32)
                if scalar.count == 32, let key = try? P256.Signing.PrivateKey(rawRepresentation: scalar) {
                    return .p256(key)
                }
            }
            throw TemplateFunctionError("failed to generate private key: random source gave no valid P-256 scalar")
        case .ed25519:
            let seed = try ctx.random(32)
            guard seed.count == 32 else { throw TemplateFunctionError("random source returned too few bytes") }
            return .ed25519(try Curve25519.Signing.PrivateKey(rawRepresentation: seed))
        }
    }

    static func pemKey(_ text: String) throws -> GoPrivateKey {
        do {
            return try GoPrivateKey.parseSprigPEM(text)
        } catch {
            throw TemplateFunctionError("parsing private key: " + error.message)
        }
    }

    // MARK: - Template arguments

    /// sprig's `getNetIPs`: every element must be a string Go's `net.ParseIP` accepts.
    static func netIPs(_ v: Value) throws -> [[UInt8]] {
        guard case .list(let items, _, _) = v else { return [] }
        return try items.map { item in
            guard case .string(let s) = item else {
                throw TemplateFunctionError("error parsing ip: \(try formatValue(item)) is not a string")
            }
            guard let ip = parseGoIP(s) else { throw TemplateFunctionError("error parsing ip: " + s) }
            return ip
        }
    }

    /// sprig's `getAlternateDNSStrs`.
    static func dnsNames(_ v: Value) throws -> [String] {
        guard case .list(let items, _, _) = v else { return [] }
        return try items.map { item in
            guard case .string(let s) = item else {
                throw TemplateFunctionError(
                    "error processing alternate dns name: \(try formatValue(item)) is not a string")
            }
            return s
        }
    }

    /// Go's `net.ParseIP` followed by `To4` where possible, as x509 encodes addresses: 4 bytes for
    /// IPv4 (also when written as `::ffff:a.b.c.d`), 16 for IPv6. nil when Go would return nil.
    static func parseGoIP(_ s: String) -> [UInt8]? {
        func parseV4(_ s: Substring) -> [UInt8]? {
            let parts = s.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4 else { return nil }
            var out: [UInt8] = []
            for p in parts {
                guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
                if p.count > 1 && p.first == "0" { return nil }  // Go rejects leading zeros
                guard let n = Int(p), n <= 255 else { return nil }
                out.append(UInt8(n))
            }
            return out
        }
        if !s.contains(":") { return parseV4(s[...]) }
        // IPv6: up to eight 16-bit groups, one "::", optionally ending in dotted IPv4.
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawEllipsis = false
        var rest = Substring(s)
        if rest.hasPrefix("::") {
            sawEllipsis = true
            rest = rest.dropFirst(2)
        } else if rest.hasPrefix(":") {
            return nil
        }
        while !rest.isEmpty {
            if rest.contains("."), !rest.contains(":") {
                guard let v4 = parseV4(rest) else { return nil }
                let groups = [UInt16(v4[0]) << 8 | UInt16(v4[1]), UInt16(v4[2]) << 8 | UInt16(v4[3])]
                if sawEllipsis { tail += groups } else { head += groups }
                rest = ""
                break
            }
            let end = rest.firstIndex(of: ":") ?? rest.endIndex
            let group = rest[..<end]
            guard !group.isEmpty, group.count <= 4, let n = UInt16(group, radix: 16) else { return nil }
            if sawEllipsis { tail.append(n) } else { head.append(n) }
            rest = rest[end...]
            if rest.hasPrefix("::") {
                guard !sawEllipsis else { return nil }
                sawEllipsis = true
                rest = rest.dropFirst(2)
            } else if rest.hasPrefix(":") {
                rest = rest.dropFirst()
                if rest.isEmpty { return nil }
            }
        }
        let total = head.count + tail.count
        if sawEllipsis ? total > 7 : total != 8 { return nil }
        let groups = head + [UInt16](repeating: 0, count: 8 - total) + tail
        let bytes = groups.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return Array(bytes[12...])
        }
        return bytes
    }

    // MARK: - Certificates

    /// sprig's `buildCustomCertificate`: checks base64 PEM inputs and returns them decoded.
    static func buildCustomCertificate(_ b64cert: String, _ b64key: String) throws -> GoObject {
        guard case .success(let cert) = base64Decode(b64cert) else {
            throw TemplateFunctionError("unable to decode base64 certificate")
        }
        guard case .success(let key) = base64Decode(b64key) else {
            throw TemplateFunctionError("unable to decode base64 private key")
        }
        guard let block = PEMBlock.decode(cert[...]).block else {
            throw TemplateFunctionError("unable to decode certificate")
        }
        do {
            _ = try Certificate(derEncoded: block.bytes)
        } catch {
            throw TemplateFunctionError("error parsing certificate: decodedCert.Bytes: \(error)")
        }
        do {
            _ = try GoPrivateKey.parseSprigPEM(String(goBytes: key))
        } catch {
            throw TemplateFunctionError("error parsing private key: " + error.message)
        }
        return .certificate(cert: String(goBytes: cert), key: String(goBytes: key))
    }

    /// Creates a certificate as sprig's `getBaseCertTemplate` + `getCertAndKey` do with Go's
    /// `x509.CreateCertificate`: a random 128-bit serial, subject CN only, valid from now for
    /// `days` days, key usage digital signature and key encipherment (plus certificate signing
    /// for a CA), extended key usage server and client auth, basic constraints, and the DNS and IP
    /// names as SANs. A CA gets a subject key identifier (Go 1.25's: SHA-256 of the public key,
    /// cut to 20 bytes); a certificate signed by a CA with one names it as authority key.
    /// Self-signed unless `signedBy` (a `certificate`) is given; a new RSA-2048 key unless `key` is.
    static func issue(
        cn: String, ips: [[UInt8]] = [], dnsNames: [String] = [], days: Int, isCA: Bool, key: GoPrivateKey?,
        signedBy parent: Value? = nil, ctx: FunctionContext
    ) throws -> GoObject {
        // The parent is checked before anything is generated, as in sprig.
        var signer: (key: GoPrivateKey, certificate: Certificate)? = nil
        if let parent {
            guard case .object(let object) = parent, case .certificate(let cert, let key) = object.kind else {
                throw TemplateFunctionError("unable to decode certificate")
            }
            guard let block = PEMBlock.decode(cert.goBytes[...]).block else {
                throw TemplateFunctionError("unable to decode certificate")
            }
            let parsed: Certificate
            do {
                parsed = try Certificate(derEncoded: block.bytes)
            } catch {
                throw TemplateFunctionError("error parsing certificate: decodedSignerCert.Bytes: \(error)")
            }
            do {
                signer = (try GoPrivateKey.parseSprigPEM(key), parsed)
            } catch {
                throw TemplateFunctionError("error parsing private key: " + error.message)
            }
        }
        let subjectKey = try key ?? generateKey(.rsa(bits: 2048), ctx)

        var serial = try ctx.random(16)
        guard serial.count == 16 else { throw TemplateFunctionError("random source returned too few bytes") }
        while serial.count > 1, serial[0] == 0 { serial.removeFirst() }
        let now = try ctx.currentTime()
        let notBefore = Date(timeIntervalSince1970: TimeInterval(now.seconds))
        // time.Hour * 24 * time.Duration(days), with Go's wrapping int64 arithmetic.
        let validity = Int64(86_400_000_000_000) &* Int64(days)
        var afterSeconds = now.seconds &+ validity / 1_000_000_000
        if Int64(now.nanoseconds) + validity % 1_000_000_000 < 0 { afterSeconds -= 1 }
        if Int64(now.nanoseconds) + validity % 1_000_000_000 >= 1_000_000_000 { afterSeconds += 1 }
        let notAfter = Date(timeIntervalSince1970: TimeInterval(afterSeconds))

        let subject: DistinguishedName = cn.isEmpty ? DistinguishedName() : try DistinguishedName { CommonName(cn) }
        let issuer = signer?.certificate.subject ?? subject
        guard let signing = (signer?.key ?? subjectKey).signer, let subjectSigner = subjectKey.signer else {
            throw TemplateFunctionError("error creating certificate: x509: only RSA, ECDSA and Ed25519 keys supported")
        }
        let publicKey = subjectSigner.key.publicKey
        let keyBytes = subjectPublicKeyBytes(subjectKey.publicKeyDER)

        var usage = KeyUsage(digitalSignature: true, keyEncipherment: true)
        if isCA { usage.keyCertSign = true }
        var extensions = Certificate.Extensions()
        try extensions.append(Certificate.Extension(usage, critical: true))
        try extensions.append(
            Certificate.Extension(try ExtendedKeyUsage([.serverAuth, .clientAuth]), critical: false))
        try extensions.append(
            Certificate.Extension(
                isCA ? BasicConstraints.isCertificateAuthority(maxPathLength: nil) : .notCertificateAuthority,
                critical: true))
        if isCA {
            let ski = Array(SHA256.hash(data: keyBytes).prefix(20))
            try extensions.append(Certificate.Extension(SubjectKeyIdentifier(keyIdentifier: ski[...]), critical: false))
        }
        if let signer, issuer != subject, let parentSKI = try signer.certificate.extensions.subjectKeyIdentifier {
            try extensions.append(
                Certificate.Extension(
                    AuthorityKeyIdentifier(keyIdentifier: parentSKI.keyIdentifier), critical: false))
        }
        if !dnsNames.isEmpty || !ips.isEmpty {
            let names =
                dnsNames.map { GeneralName.dnsName($0) }
                + ips.map { GeneralName.ipAddress(ASN1OctetString(contentBytes: $0[...])) }
            try extensions.append(Certificate.Extension(SubjectAlternativeNames(names), critical: subject.isEmpty))
        }

        let certificate: Certificate
        do {
            certificate = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(bytes: serial), publicKey: publicKey,
                notValidBefore: notBefore, notValidAfter: notAfter, issuer: issuer, subject: subject,
                signatureAlgorithm: signing.algorithm, extensions: extensions, issuerPrivateKey: signing.key)
        } catch {
            throw TemplateFunctionError("error creating certificate: \(error)")
        }
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return .certificate(
            cert: PEMBlock.encode(type: "CERTIFICATE", serializer.serializedBytes), key: subjectKey.sprigPEM)
    }

    /// The subjectPublicKey bits of a SubjectPublicKeyInfo, which Go hashes for key identifiers.
    static func subjectPublicKeyBytes(_ spki: [UInt8]) -> [UInt8] {
        guard
            let bits = try? DER.sequence(
                DER.parse(spki), identifier: .sequence,
                { nodes -> ASN1BitString in
                    _ = nodes.next()
                    return try ASN1BitString(derEncoded: &nodes)
                })
        else { return spki }
        return Array(bits.bytes)
    }
}
