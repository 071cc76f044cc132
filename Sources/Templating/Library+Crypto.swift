import Crypto
import Foundation
import GoCompat

extension Sprig {
    /// sprig's password hashes: `bcrypt` and `htpasswd`. Salts come from the render's random
    /// source; without one they fail.
    static func registerPasswordHashes(into lib: inout FunctionLibrary) {
        lib.add("bcrypt", [.string]) { a, ctx in .string(try bcrypt(a[0].stringValue, ctx)) }
        // ESO's copy (sprig after 3.3) takes a hash algorithm: "sha" gives Apache's {SHA} form,
        // anything else bcrypt. Its Go type is sprig.HashAlgorithm, so only a literal converts.
        lib.add("htpasswd", [.string, .string, .namedString("sprig.HashAlgorithm")]) { a, ctx in
            let user = a[0].stringValue
            if user.contains(":") { return .string("invalid username: " + user) }
            if a[2].stringValue == "sha" {
                let digest = Insecure.SHA1.hash(data: a[1].stringValue.goBytes)
                return .string(user + ":{SHA}" + GoBase64.encode(Array(digest)))
            }
            return .string(user + ":" + (try bcrypt(a[1].stringValue, ctx)))
        }
    }

    /// sprig's `bcrypt`: x/crypto's hash at the default cost; its failures become the result text.
    static func bcrypt(_ password: String, _ ctx: FunctionContext) throws -> String {
        let salt = try ctx.random(16)
        guard salt.count == 16 else { throw TemplateFunctionError("random source returned too few bytes") }
        do {
            return try Bcrypt.hash(password: password.goBytes, salt: salt, cost: Bcrypt.defaultCost)
        } catch {
            return "failed to encrypt string with bcrypt: " + error.message
        }
    }
}
