import Foundation
import Testing

@testable import Templating

/// ESO's `jwkPublicKeyPem`, `jwkPrivateKeyPem` and `rsaDecrypt` on fixtures made by OpenSSL and
/// Python's `cryptography` (Oracle/Fixtures/make-fixtures.sh); PEM outputs are compared with what
/// OpenSSL writes for the same keys, which is byte for byte what Go's x509 marshals.
@Suite("ESO JWK and RSA functions")
struct KeyFunctionTests {
    private func render(_ text: String, _ data: [String: [UInt8]]) throws -> String {
        try Template(name: "t", text: text, missingKey: .error).render(.secretData(data))
    }

    @Test(arguments: [
        ("jwk-rsa-public.json", "root-ca.pub.pem"), ("jwk-ec-public.json", "leaf.pub.pem"),
        ("jwk-ed25519-public.json", "other.pub.pem"),
    ])
    func publicJWKsBecomePKIXPEM(_ jwk: String, _ pem: String) throws {
        let out = try render("{{ .jwk | jwkPublicKeyPem }}", ["jwk": try Fixtures.bytes(jwk)])
        #expect(out == (try Fixtures.text(pem)))
        // A public key has no PKCS #8 form.
        #expect(throws: TemplateError.self) {
            try render("{{ .jwk | jwkPrivateKeyPem }}", ["jwk": try Fixtures.bytes(jwk)])
        }
    }

    @Test(arguments: [
        ("jwk-rsa-private.json", "root-ca.pkcs8.pem"), ("jwk-ec-private.json", "leaf.pkcs8.pem"),
        ("jwk-ed25519-private.json", "other.pkcs8.pem"),
    ])
    func privateJWKsBecomePKCS8PEM(_ jwk: String, _ pem: String) throws {
        let out = try render("{{ .jwk | jwkPrivateKeyPem }}", ["jwk": try Fixtures.bytes(jwk)])
        #expect(out == (try Fixtures.text(pem)))
        // As in ESO (x509.MarshalPKIXPublicKey of a private key), a private JWK has no PUBLIC KEY form.
        #expect(throws: TemplateError.self) {
            try render("{{ .jwk | jwkPublicKeyPem }}", ["jwk": try Fixtures.bytes(jwk)])
        }
    }

    @Test func unusableJWKsFail() {
        for jwk in [
            "not json", "[]", #"{"kty":"oct","k":"c2VjcmV0"}"#, #"{"kty":"OKP","crv":"X25519","x":"AAAA"}"#,
            #"{"kty":"XYZ"}"#, #"{"kty":"RSA","n":"AQAB"}"#, #"{"kty":"EC","crv":"P-192","x":"AA","y":"AA"}"#,
            #"{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}"#, #"{"kty":"RSA","n":"!!","e":"AQAB"}"#,
        ] {
            for function in ["jwkPublicKeyPem", "jwkPrivateKeyPem"] {
                #expect(throws: TemplateError.self, "\(function) \(jwk)") {
                    try render("{{ .jwk | \(function) }}", ["jwk": Array(jwk.utf8)])
                }
            }
        }
    }

    @Test(arguments: [
        ("SHA1", "oaep-sha1.bin"), ("SHA256", "oaep-sha256.bin"), ("SHA512", "oaep-sha512.bin"),
        ("None", "oaep-sha256.bin"), ("whatever", "oaep-sha256.bin"),
    ])
    func rsaDecryptReadsOpenSSLsOAEP(_ hash: String, _ file: String) throws {
        let data = [
            "c": try Fixtures.bytes(file), "pkcs8": try Fixtures.bytes("root-ca.key"),
            "pkcs1": Array((try GoPrivateKey.parseSprigPEM(Fixtures.text("root-ca.key"))).sprigPEM.utf8),
        ]
        let plaintext = try Fixtures.text("oaep-plaintext.txt")
        #expect(try render("{{ rsaDecrypt \"RSA-OAEP\" \"\(hash)\" .c .pkcs8 }}", data) == plaintext)
        #expect(try render("{{ rsaDecrypt \"RSA-OAEP\" \"\(hash)\" .c .pkcs1 }}", data) == plaintext)
    }

    @Test func rsaDecryptFailures() throws {
        let data = [
            "c": try Fixtures.bytes("oaep-sha256.bin"), "key": try Fixtures.bytes("root-ca.key"),
            "ec": try Fixtures.bytes("leaf.key"), "short": Array("abc".utf8),
        ]
        #expect(try render(#"{{ rsaDecrypt "None" "SHA1" .short .key }}"#, data) == "abc")
        for bad in [
            #"{{ rsaDecrypt "RSA-OAEP" "SHA1" .c .key }}"#, #"{{ rsaDecrypt "RSA-OAEP" "SHA512" .c .key }}"#,
            #"{{ rsaDecrypt "RSA-OAEP" "SHA256" .short .key }}"#, #"{{ rsaDecrypt "RSA-PKCS1" "SHA256" .c .key }}"#,
            #"{{ rsaDecrypt "RSA-OAEP" "SHA256" .c .ec }}"#, #"{{ rsaDecrypt "RSA-OAEP" "SHA256" .c "no pem" }}"#,
            #"{{ rsaDecrypt "RSA-OAEP" "SHA256" (printf "%s%s" .c .c) .key }}"#,
        ] {
            #expect(throws: TemplateError.self, "\(bad)") { try render(bad, data) }
        }
    }
}
