import Foundation
import Testing

@testable import Templating

/// ESO's PKCS #12 functions: OpenSSL-made archives read back to exact PEM, archives written here
/// read back here and by `openssl pkcs12` (Oracle/Fixtures/make-fixtures.sh).
@Suite("ESO PKCS #12 functions")
struct PKCS12FunctionTests {
    private func render(_ text: String, _ data: [String: [UInt8]] = [:]) throws -> String {
        var environment = SeededBytes(seed: 9).environment
        environment.now = { GoTime(seconds: fixedNow) }
        return try Template(name: "t", text: text, missingKey: .error).render(
            .secretData(data), environment: environment)
    }

    private func fixtures(_ names: String...) throws -> [String: [UInt8]] {
        var data: [String: [UInt8]] = [:]
        for name in names {
            data[name.replacingOccurrences(of: ".", with: "_").replacingOccurrences(of: "-", with: "_")] =
                try Fixtures.bytes(name)
        }
        return data
    }

    private func failure(_ text: String, _ data: [String: [UInt8]]) -> String? {
        do {
            _ = try render(text, data)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func readsOpenSSL3Archives() throws {
        let data = try fixtures("leaf-nopass.p12", "leaf-pass.p12", "leaf-plain.p12", "root-aes128.p12")
        let leafKey = try Fixtures.text("leaf.pkcs8.pem")
        let chain = try Fixtures.text("chain.pem")
        #expect(try render("{{ .leaf_nopass_p12 | pkcs12key }}", data) == leafKey)
        #expect(try render("{{ .leaf_nopass_p12 | pkcs12cert }}", data) == chain)
        #expect(try render(#"{{ .leaf_pass_p12 | pkcs12keyPass "s3cr3t" }}"#, data) == leafKey)
        #expect(try render(#"{{ .leaf_pass_p12 | pkcs12certPass "s3cr3t" }}"#, data) == chain)
        // No encryption and no MAC: readable with the empty password only.
        #expect(try render("{{ .leaf_plain_p12 | pkcs12key }}", data) == leafKey)
        #expect(try render("{{ .leaf_plain_p12 | pkcs12cert }}", data) == (try Fixtures.text("leaf.crt")))
        // AES-128 and AES-192 with an HMAC-SHA-1 MAC, RSA key.
        #expect(
            try render(#"{{ .root_aes128_p12 | pkcs12keyPass "s3cr3t" }}"#, data)
                == (try Fixtures.text("root-ca.pkcs8.pem")))
        #expect(
            try render(#"{{ .root_aes128_p12 | pkcs12certPass "s3cr3t" }}"#, data) == (try Fixtures.text("root-ca.crt"))
        )
    }

    @Test func wrongPasswordsAndLegacyCiphersFail() throws {
        let data = try fixtures("leaf-pass.p12", "leaf-nopass.p12", "leaf-plain.p12", "leaf-legacy.p12")
        #expect(
            failure("{{ .leaf_pass_p12 | pkcs12key }}", data)?.contains(
                "unable to decode pkcs12 with password: pkcs12: decryption password incorrect") == true)
        #expect(failure(#"{{ .leaf_nopass_p12 | pkcs12certPass "x" }}"#, data)?.contains("password incorrect") == true)
        #expect(failure(#"{{ .leaf_plain_p12 | pkcs12keyPass "x" }}"#, data)?.contains("no MAC in data") == true)
        let legacy = failure(#"{{ .leaf_legacy_p12 | pkcs12keyPass "s3cr3t" }}"#, data)
        #expect(legacy?.contains("pbeWithSHAAnd40BitRC2-CBC) is not supported") == true, "\(legacy ?? "")")
        #expect(failure("{{ pkcs12key \"not a pfx\" }}", [:]) != nil)
        #expect(failure("{{ .leaf_pass_p12 | pkcs12keyPass \"\\U0001F600\" }}", data)?.contains("UCS-2") == true)
    }

    @Test func writesArchivesThatReadBack() throws {
        let data = try fixtures("leaf.crt", "leaf.key", "chain.pem", "root-ca.crt", "root-ca.key")
        let leafKey = try Fixtures.text("leaf.pkcs8.pem")
        #expect(try render("{{ pemToPkcs12 .leaf_crt .leaf_key | b64dec | pkcs12key }}", data) == leafKey)
        #expect(
            try render("{{ pemToPkcs12 .chain_pem .leaf_key | b64dec | pkcs12cert }}", data)
                == (try Fixtures.text("leaf.crt")))
        #expect(
            try render(#"{{ pemToPkcs12Pass .leaf_crt .leaf_key "pw" | b64dec | pkcs12keyPass "pw" }}"#, data)
                == leafKey)
        #expect(
            try render(#"{{ fullPemToPkcs12 .chain_pem .leaf_key | b64dec | pkcs12cert }}"#, data)
                == (try Fixtures.text("chain.pem")))
        #expect(
            try render(#"{{ fullPemToPkcs12Pass .chain_pem .leaf_key "pw" | b64dec | pkcs12certPass "pw" }}"#, data)
                == (try Fixtures.text("chain.pem")))
        // An RSA key given as PKCS #1 goes in and comes out as PKCS #8.
        let pkcs1 = Array((try GoPrivateKey.parseSprigPEM(Fixtures.text("root-ca.key"))).sprigPEM.utf8)
        var withPKCS1 = data
        withPKCS1["pkcs1"] = pkcs1
        #expect(
            try render(#"{{ pemToPkcs12 .root_ca_crt .pkcs1 | b64dec | pkcs12key }}"#, withPKCS1)
                == (try Fixtures.text("root-ca.pkcs8.pem")))
        for bad in [
            "{{ pemToPkcs12 \"no pem\" .leaf_key }}", "{{ pemToPkcs12 .leaf_crt \"no pem\" }}",
            "{{ pemToPkcs12 .leaf_crt .leaf_crt }}", "{{ fullPemToPkcs12 (printf \"%s\\n\\n\" .chain_pem) .leaf_key }}",
        ] {
            #expect(failure(bad, data) != nil, "\(bad)")
        }
        #expect(throws: TemplateError.self) {
            try Template(name: "t", text: "{{ pemToPkcs12 .leaf_crt .leaf_key }}").render(.secretData(data))
        }
    }

    @Test func opensslReadsWrittenArchives() async throws {
        let data = try fixtures("chain.pem", "leaf.key")
        let pfx = Array(Data(base64Encoded: try render(#"{{ fullPemToPkcs12Pass .chain_pem .leaf_key "pw" }}"#, data))!)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("templating-\(UUID().uuidString).p12")
        try Data(pfx).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        guard let info = try await openssl(["pkcs12", "-info", "-in", file.path, "-passin", "pass:pw", "-nokeys"])
        else {
            return
        }
        #expect(info.status == 0)
        #expect(info.output.contains("subject=CN = leaf.example.com"))
        #expect(info.output.contains("subject=CN = Templating Test Root CA"))
        guard let keys = try await openssl(["pkcs12", "-in", file.path, "-passin", "pass:pw", "-nocerts", "-nodes"])
        else {
            return
        }
        #expect(keys.status == 0)
        #expect(keys.output.contains(try Fixtures.text("leaf.pkcs8.pem")))
        guard let wrong = try await openssl(["pkcs12", "-info", "-in", file.path, "-passin", "pass:nope", "-noout"])
        else {
            return
        }
        #expect(wrong.status != 0)
    }

    @Test func opensslReadsWrittenTrustStores() async throws {
        let data = try fixtures("chain.pem")
        for (template, password) in [
            ("{{ pemTruststoreToPKCS12 .chain_pem }}", ""), (#"{{ pemTruststoreToPKCS12Pass .chain_pem "pw" }}"#, "pw"),
        ] {
            let pfx = Array(Data(base64Encoded: try render(template, data))!)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent(
                "templating-\(UUID().uuidString).p12")
            try Data(pfx).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            guard
                let info = try await openssl([
                    "pkcs12", "-info", "-in", file.path, "-passin", "pass:\(password)", "-nokeys",
                ])
            else {
                return
            }
            #expect(info.status == 0)
            #expect(info.output.components(separatedBy: "Certificate bag").count == 4)
            #expect(info.output.contains("friendlyName: CN=Templating Test Intermediate CA"))
            #expect(
                info.output.contains("2.16.840.1.113894.746875.1.1: <Unsupported tag 6>")
                    || info.output.contains("2.16.840.1.113894.746875.1.1"))
            // A trust store has no key, which ESO's reader requires.
            #expect(throws: TemplateError.self) { try render("{{ \(template) | b64dec | pkcs12cert }}", data) }
        }
        #expect(throws: TemplateError.self) { try render("{{ pemTruststoreToPKCS12 \"junk\" }}", data) }
    }

    @Test func pkcs12KeyDerivationMatchesRFC7292() {
        // golang.org/x/crypto/pkcs12's pbkdf_test vector: the 3DES key for "sesame", salt FF..FF,
        // 2048 iterations of SHA-1.
        let password = Array(try! PKCS12.bmpPassword("sesame"))
        let salt: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
        let key = PKCS12.deriveKey(digest: .sha1, password: password, salt: salt, iterations: 2048, id: 1, length: 24)
        #expect(
            key == [
                0x7C, 0xD9, 0xFD, 0x3E, 0x2B, 0x3B, 0xE7, 0x69, 0x1A, 0x44, 0xE3, 0xBE, 0xF0, 0xF9, 0xEA, 0x0F, 0xB9,
                0xB8, 0x97, 0xD4, 0xE3, 0x25, 0xD9, 0xD1,
            ])
    }
}
