import Crypto
import Foundation
import SwiftASN1
import Testing
import X509
import _CryptoExtras

@testable import Templating

/// Property checks for sprig's random key and certificate generators: what they return parses,
/// has the requested names, key type and validity, and signatures verify.
@Suite("Key and certificate generation")
struct CertificateFunctionTests {
    static let separator = "\n--8<--\n"

    /// Renders `text` whose output is several values joined by the separator.
    private func parts(_ text: String, seed: UInt64 = 1) throws -> [String] {
        try renderWithSeed(text, seed: seed).components(separatedBy: Self.separator)
    }

    private func certificate(_ pem: String) throws -> Certificate {
        let block = try #require(PEMBlock.decode(pem.goBytes[...]).block)
        #expect(block.type == "CERTIFICATE")
        return try Certificate(derEncoded: block.bytes)
    }

    private func name(_ cn: String) throws -> DistinguishedName { try DistinguishedName { CommonName(cn) } }

    // MARK: genPrivateKey

    @Test func ecdsaAndEd25519KeysParseAndFollowTheSeed() async throws {
        let ec = try renderWithSeed(#"{{ genPrivateKey "ecdsa" }}"#)
        #expect(ec.hasPrefix("-----BEGIN EC PRIVATE KEY-----\n"))
        guard case .p256 = try GoPrivateKey.parseSprigPEM(ec) else {
            Issue.record("not a P-256 key")
            return
        }
        #expect(try renderWithSeed(#"{{ genPrivateKey "ecdsa" }}"#) == ec)
        #expect(try renderWithSeed(#"{{ genPrivateKey "ecdsa" }}"#, seed: 2) != ec)

        let ed = try renderWithSeed(#"{{ genPrivateKey "ed25519" }}"#)
        #expect(ed.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        guard case .ed25519 = try GoPrivateKey.parseSprigPEM(ed) else {
            Issue.record("not an Ed25519 key")
            return
        }
        if let result = try await openssl(["pkey", "-noout", "-text"], input: Array(ed.utf8)) {
            #expect(result.status == 0)
            #expect(result.output.contains("ED25519 Private-Key"))
        }
        if let result = try await openssl(["ec", "-noout", "-text"], input: Array(ec.utf8)) {
            #expect(result.status == 0)
            #expect(result.output.contains("prime256v1"))
        }
    }

    @Test func rsaKeysAre4096BitPKCS1() async throws {
        for type in ["rsa", ""] {
            let pem = try renderWithSeed("{{ genPrivateKey \"\(type)\" }}")
            #expect(pem.hasPrefix("-----BEGIN RSA PRIVATE KEY-----\n"))
            guard case .rsa(let key) = try GoPrivateKey.parseSprigPEM(pem) else {
                Issue.record("not an RSA key")
                return
            }
            #expect(key.keySizeInBits == 4096)
            if type == "rsa", let result = try await openssl(["rsa", "-noout", "-check"], input: Array(pem.utf8)) {
                #expect(result.status == 0)
                #expect(result.output.contains("RSA key ok"))
            }
        }
    }

    @Test func unknownAndUnsupportedKeyTypes() throws {
        #expect(try renderWithSeed(#"{{ genPrivateKey "foo" }}"#) == "Unknown type foo")
        #expect(throws: TemplateError.self) { try renderWithSeed(#"{{ genPrivateKey "dsa" }}"#) }
        #expect(throws: TemplateError.self) {
            try Template(name: "t", text: #"{{ genPrivateKey "ecdsa" }}"#).render(.null)
        }
    }

    // MARK: Certificates

    @Test func genCAIsASelfSignedRSACertificateAuthority() throws {
        let p = try parts(
            #"{{ $ca := genCA "my-ca" 365 }}{{ $ca.Cert }}"# + Self.separator + "{{ $ca.Key }}" + Self.separator
                + "{{ typeOf $ca }}")
        let ca = try certificate(p[0])
        #expect(ca.subject == (try name("my-ca")))
        #expect(ca.issuer == ca.subject)
        #expect(ca.notValidBefore == Date(timeIntervalSince1970: TimeInterval(fixedNow)))
        #expect(ca.notValidAfter == Date(timeIntervalSince1970: TimeInterval(fixedNow + 365 * 86_400)))
        #expect(try ca.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: nil))
        let usage = try #require(try ca.extensions.keyUsage)
        #expect(usage.keyCertSign && usage.digitalSignature && usage.keyEncipherment)
        #expect(try ca.extensions.extendedKeyUsage == ExtendedKeyUsage([.serverAuth, .clientAuth]))
        #expect(try ca.extensions.subjectKeyIdentifier?.keyIdentifier.count == 20)
        #expect(try ca.extensions.authorityKeyIdentifier == nil)
        #expect(ca.signatureAlgorithm == .sha256WithRSAEncryption)
        #expect(ca.publicKey.isValidSignature(ca.signature, for: ca))
        guard case .rsa(let key) = try GoPrivateKey.parseSprigPEM(p[1]) else {
            Issue.record("CA key is not RSA")
            return
        }
        #expect(key.keySizeInBits == 2048)
        #expect(Certificate.PublicKey(key.publicKey) == ca.publicKey)
        #expect(p[2] == "sprig.certificate")
    }

    @Test func selfSignedCertificateCarriesNamesAndIsNoCA() async throws {
        let p = try parts(
            #"{{ $c := genSelfSignedCert "foo.example" (list "10.0.0.1" "::1" "::ffff:192.0.2.7") (list "foo.example" "*.bar.example") 30 }}{{ $c.Cert }}"#
                + Self.separator + "{{ $c.Key }}")
        let cert = try certificate(p[0])
        #expect(cert.subject == (try name("foo.example")))
        #expect(cert.notValidAfter == Date(timeIntervalSince1970: TimeInterval(fixedNow + 30 * 86_400)))
        #expect(try cert.extensions.basicConstraints == .notCertificateAuthority)
        #expect(try cert.extensions.keyUsage?.keyCertSign == false)
        #expect(try cert.extensions.subjectKeyIdentifier == nil)
        let sans = try #require(try cert.extensions.subjectAlternativeNames).map { $0 }
        #expect(
            sans == [
                .dnsName("foo.example"), .dnsName("*.bar.example"),
                .ipAddress(ASN1OctetString(contentBytes: [10, 0, 0, 1])),
                .ipAddress(ASN1OctetString(contentBytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
                .ipAddress(ASN1OctetString(contentBytes: [192, 0, 2, 7])),
            ])
        #expect(cert.publicKey.isValidSignature(cert.signature, for: cert))
        if let result = try await openssl(["x509", "-noout", "-ext", "subjectAltName"], input: Array(p[0].utf8)) {
            #expect(result.status == 0)
            #expect(
                result.output.contains(
                    "DNS:foo.example, DNS:*.bar.example, IP Address:10.0.0.1, IP Address:0:0:0:0:0:0:0:1"))
        }
    }

    @Test func signedCertificateVerifiesAgainstItsCA() async throws {
        let p = try parts(
            #"{{ $ca := genCA "issuing-ca" 100 }}{{ $c := genSignedCert "leaf" nil (list "leaf.example") 10 $ca }}"#
                + "{{ $ca.Cert }}" + Self.separator + "{{ $c.Cert }}" + Self.separator + "{{ $c.Key }}")
        let ca = try certificate(p[0])
        let leaf = try certificate(p[1])
        #expect(leaf.subject == (try name("leaf")))
        #expect(leaf.issuer == ca.subject)
        #expect(
            try leaf.extensions.authorityKeyIdentifier?.keyIdentifier
                == ca.extensions.subjectKeyIdentifier?.keyIdentifier)
        #expect(ca.publicKey.isValidSignature(leaf.signature, for: leaf))
        #expect(!leaf.publicKey.isValidSignature(leaf.signature, for: leaf))
        #expect(leaf.serialNumber != ca.serialNumber)
        let caFile = try temporaryFile(p[0])
        defer { try? FileManager.default.removeItem(at: caFile) }
        if let result = try await openssl(
            ["verify", "-CAfile", caFile.path, "-attime", String(fixedNow + 60)], input: Array(p[1].utf8))
        {
            #expect(result.status == 0, "\(result.output)")
        }
    }

    @Test func withKeyVariantsUseAndReturnTheGivenKey() throws {
        let p = try parts(
            #"{{ $ecKey := genPrivateKey "ecdsa" }}{{ $edKey := genPrivateKey "ed25519" }}"#
                + #"{{ $ca := genCAWithKey "ec-ca" 5 $ecKey }}{{ $self := genSelfSignedCertWithKey "ed" nil nil 5 $edKey }}"#
                + #"{{ $leaf := genSignedCertWithKey "leaf" nil nil 5 $ca $edKey }}"#
                + "{{ eq $ca.Key $ecKey }} {{ eq $self.Key $edKey }} {{ eq $leaf.Key $edKey }}" + Self.separator
                + "{{ $ca.Cert }}" + Self.separator + "{{ $self.Cert }}" + Self.separator + "{{ $leaf.Cert }}")
        #expect(p[0] == "true true true")
        let ca = try certificate(p[1])
        let selfSigned = try certificate(p[2])
        let leaf = try certificate(p[3])
        #expect(ca.signatureAlgorithm == .ecdsaWithSHA256)
        #expect(selfSigned.signatureAlgorithm == .ed25519)
        #expect(selfSigned.publicKey.isValidSignature(selfSigned.signature, for: selfSigned))
        #expect(leaf.signatureAlgorithm == .ecdsaWithSHA256)
        #expect(ca.publicKey.isValidSignature(leaf.signature, for: leaf))
        #expect(leaf.publicKey == selfSigned.publicKey)
    }

    @Test func buildCustomCertChecksAndReturnsItsInputs() throws {
        let out = try renderWithSeed(
            #"{{ $ca := genCA "x" 1 }}{{ $c := buildCustomCert ($ca.Cert | b64enc) ($ca.Key | b64enc) }}"#
                + "{{ eq $c.Cert $ca.Cert }} {{ eq $c.Key $ca.Key }} {{ eq $c $ca }}")
        #expect(out == "true true true")
        for bad in [
            #"{{ buildCustomCert "%%%" "" }}"#, #"{{ buildCustomCert ("no pem" | b64enc) "" }}"#,
            #"{{ $ca := genCA "x" 1 }}{{ buildCustomCert ($ca.Cert | b64enc) ("junk" | b64enc) }}"#,
        ] {
            #expect(throws: TemplateError.self) { try renderWithSeed(bad) }
        }
    }

    @Test func certificateValuesPrintAndEncodeLikeGoStructs() throws {
        let out = try renderWithSeed(
            #"{{ $c := buildCustomCert (b64enc .cert) (b64enc .key) }}{{ $c | toJson | fromJson | keys | sortAlpha }} {{ kindOf $c }} {{ printf "%.12v" $c.Cert }}"#,
            data: .dictionary([
                "cert": .string(try Fixtures.text("leaf.crt")), "key": .string(try Fixtures.text("leaf.key")),
            ]))
        #expect(out == "[Cert Key] struct -----BEGIN C")
    }

    @Test func badArgumentsFailLikeSprig() {
        for bad in [
            #"{{ genSelfSignedCert "x" (list "300.1.1.1") nil 1 }}"#, #"{{ genSelfSignedCert "x" (list 1) nil 1 }}"#,
            #"{{ genSelfSignedCert "x" nil (list 1) 1 }}"#,
            #"{{ genSignedCert "x" nil nil 1 (dict "Cert" "" "Key" "") }}"#,
            #"{{ genSignedCert "x" nil nil 1 nil }}"#, #"{{ genSelfSignedCert "x" (list "01.2.3.4") nil 1 }}"#,
            #"{{ genCAWithKey "x" 1 "not a key" }}"#,
        ] {
            #expect(throws: TemplateError.self, "\(bad)") { try renderWithSeed(bad) }
        }
        // Without a clock there is no validity period.
        #expect(throws: TemplateError.self) {
            try Template(name: "t", text: #"{{ genCA "x" 1 }}"#).render(
                .null, environment: SeededBytes(seed: 1).environment)
        }
    }

    @Test(
        arguments: [
            ("10.1.2.3", [10, 1, 2, 3]), ("::", [UInt8](repeating: 0, count: 16)),
            (
                "2001:db8::8a2e:370:7334",
                [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0x8a, 0x2e, 0x03, 0x70, 0x73, 0x34]
            ),
            ("::ffff:10.0.0.1", [10, 0, 0, 1]), ("1:2:3:4:5:6:7:8", [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]),
            ("::1.2.3.4", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]),
        ] as [(String, [UInt8])])
    func goParseIPAccepts(_ text: String, _ bytes: [UInt8]) {
        #expect(Sprig.parseGoIP(text) == bytes)
    }

    @Test(arguments: [
        "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.1.1.1", "1:2:3:4:5:6:7:8:9", "1::2::3", ":1::", "::g",
        "fe80::1%eth0", "1:2:3:4:5:6:7::",
    ])
    func goParseIPRejects(_ text: String) {
        // Go accepts "1:2:3:4:5:6:7::" (the ellipsis may stand for one group).
        if text == "1:2:3:4:5:6:7::" {
            #expect(Sprig.parseGoIP(text) == [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 0])
        } else {
            #expect(Sprig.parseGoIP(text) == nil)
        }
    }
}
