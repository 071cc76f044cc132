import Foundation
import Testing

@testable import Templating

@Suite("bcrypt and htpasswd")
struct BcryptTests {
    /// (password, hash): OpenBSD's and OpenWall's vectors, x/crypto's own, and hashes made by
    /// x/crypto's GenerateFromPassword; every one checked with x/crypto's CompareHashAndPassword.
    static let vectors: [([UInt8], String)] = [
        (Array("U*U".utf8), "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"),
        (Array("U*U*".utf8), "$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK"),
        (Array("U*U*U".utf8), "$2a$05$XXXXXXXXXXXXXXXXXXXXXOAcXxm9kjPGEMsLznoKqmqw7tc8WCx4a"),
        ([], "$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy"),
        (
            Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8),
            "$2a$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui"
        ),
        ([0xA3], "$2a$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq"),
        (Array("allmine".utf8), "$2a$10$XajjQvNhvvRt5GSeFk1xFeyqRrsxkhBkUiQeg0dt.wU1qD4aFDcga"),
        ([], "$2a$04$WBhmg/oXs5tZGxJpMuSFhuSqi1So3qQAP.DsQGCvpKVTLfCPgX90y"),
        (Array("a".utf8), "$2a$04$lew//zIMlqzccQOphiMHy.WBt6WXs51dO782WEUBfzptru8RwSkJ2"),
        (Array("password".utf8), "$2a$05$FUdnt2v/6XgjMTFNIsWLgeNc/BilIOEOus54CPUEM8vscHeSszy0m"),
        ([0xFF, 0xA3, 0x34], "$2a$04$.VDynvx5fNvNfCuRgfJTPezZvhGebkeYA1azJYCPLXjBVL29XyDKC"),
        (Array("héllo wörld".utf8), "$2a$06$a2e7PcVYHD1DVsaCJrdvk.0ZpIUeL0uBoc4IfhRmUmZ8lb3ylyERa"),
    ]

    @Test(arguments: 0..<vectors.count)
    func reproducesKnownHashes(_ index: Int) throws {
        let (password, expected) = Self.vectors[index]
        let b = Array(expected.utf8)
        let salt = try Bcrypt.decode(b[7..<29])
        #expect(
            try Bcrypt.hash(password: password, salt: salt, cost: Int(String(decoding: b[4..<6], as: UTF8.self))!)
                == expected)
        #expect(Bcrypt.verify(password: password, hashed: expected))
        #expect(!Bcrypt.verify(password: password + [0x21], hashed: expected))
    }

    @Test func saltEncodingRoundTrips() throws {
        let salt: [UInt8] = (0..<16).map { UInt8($0 * 17) }
        #expect(Bcrypt.encode(salt).count == 22)
        #expect(try Bcrypt.decode(Bcrypt.encode(salt)) == salt)
    }

    @Test func templateBcryptIsCost10AndVerifies() throws {
        let out = try Template(name: "t", text: #"{{ bcrypt "s3cr3t" }}"#).render(
            .null, environment: SeededBytes(seed: 7).environment)
        #expect(out.hasPrefix("$2a$10$"))
        #expect(out.utf8.count == 60)
        #expect(Bcrypt.verify(password: Array("s3cr3t".utf8), hashed: out))
        // Go's x/crypto made this one; same password, different salt.
        #expect(
            Bcrypt.verify(
                password: Array("s3cr3t".utf8), hashed: "$2a$10$m3GHXDcfiTkzSllY2U5dq.8c36w/FwQZ6OCJT4E76eXAPabCV7Hga"))
    }

    @Test func tooLongPasswordsAreReportedAsTheResult() throws {
        let out = try Template(name: "t", text: #"{{ bcrypt (repeat 73 "x") }}"#).render(
            .null, environment: SeededBytes(seed: 7).environment)
        #expect(out == "failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes")
    }

    @Test func htpasswdTakesESOsHashAlgorithmLiteral() throws {
        let env = SeededBytes(seed: 3).environment
        func render(_ text: String) throws -> String {
            try Template(name: "t", text: text).render(.null, environment: env)
        }
        // Apache's {SHA}: base64 of SHA-1 ("password" is the classic example).
        #expect(try render(#"{{ htpasswd "alice" "password" "sha" }}"#) == "alice:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=")
        let line = try render(#"{{ htpasswd "bob" "hunter2" "bcrypt" }}"#)
        #expect(line.hasPrefix("bob:$2a$10$"))
        #expect(Bcrypt.verify(password: Array("hunter2".utf8), hashed: String(line.dropFirst(4))))
        #expect(try render(#"{{ htpasswd "bob" "x" "other" }}"#).hasPrefix("bob:$2a$10$"))
        #expect(try render(#"{{ htpasswd "a:b" "x" "sha" }}"#) == "invalid username: a:b")
        // sprig 3.2.3's two-argument form and non-literal algorithms fail, as in ESO.
        #expect(throws: TemplateError.self) { try render(#"{{ htpasswd "bob" "x" }}"#) }
        #expect(throws: TemplateError.self) { try render(#"{{ htpasswd "bob" "x" ("sha" | lower) }}"#) }
    }

    @Test func withoutARandomSourceBcryptFails() {
        #expect(throws: TemplateError.self) { try Template(name: "t", text: #"{{ bcrypt "x" }}"#).render(.null) }
    }
}
