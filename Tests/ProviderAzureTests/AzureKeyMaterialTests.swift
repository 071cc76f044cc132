import Crypto
import ExternalSecretsAPI
import Foundation
import GoCompat
import HTTPSupport
import HTTPTestSupport
import ProviderKit
import Testing
import _CryptoExtras

@testable import ProviderAzure

func bytes(_ value: GoJSONValue?) -> Data {
    guard case .string(let text)? = value else { return Data() }
    return Data(base64Encoded: AzureKeyVaultClient.padded(text)) ?? Data()
}

struct AzureKeyMaterialTests {
    @Test(arguments: [false, true])
    func anRSAKeyBecomesAJWKThatSignsLikeTheKey(pkcs8: Bool) throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let pem = pkcs8 ? key.pkcs8PEMRepresentation : key.pemRepresentation
        let jwk = try AzureKeyMaterial.jsonWebKey(fromPEM: Data(pem.utf8), name: "k")
        guard case .string("RSA")? = jwk["kty"] else { Issue.record("kty"); return }
        #expect(bytes(jwk["n"]).count == 256)
        #expect(bytes(jwk["e"]) == Data([1, 0, 1]))
        // The JWK's private parts rebuild the same key: its signature verifies with the original.
        let rebuilt = try _RSA.Signing.PrivateKey(
            n: bytes(jwk["n"]), e: bytes(jwk["e"]), d: bytes(jwk["d"]), p: bytes(jwk["p"]), q: bytes(jwk["q"]))
        let message = Data("signed".utf8)
        let signature = try rebuilt.signature(for: message, padding: .insecurePKCS1v1_5)
        #expect(key.publicKey.isValidSignature(signature, for: message, padding: .insecurePKCS1v1_5))
        for field in ["dp", "dq", "qi"] { #expect(!bytes(jwk[field]).isEmpty) }
    }

    @Test func anECKeyBecomesAJWKWithItsCurveAndCoordinates() throws {
        let key = P384.Signing.PrivateKey()
        let jwk = try AzureKeyMaterial.jsonWebKey(fromPEM: Data(key.pemRepresentation.utf8), name: "k")
        let point = key.publicKey.x963Representation.dropFirst()
        #expect(jwk["kty"] == .string("EC") && jwk["crv"] == .string("P-384"))
        #expect(bytes(jwk["x"]) + bytes(jwk["y"]) == Data(point))
        #expect(bytes(jwk["d"]) == key.rawRepresentation)
        #expect(
            AzureKeyMaterial.sameKey(
                jwk, ["kty": "EC", "crv": "P-384", "x": jwkText(jwk["x"]), "y": jwkText(jwk["y"])]))
        #expect(!AzureKeyMaterial.sameKey(jwk, ["kty": "EC", "crv": "P-384", "x": "other", "y": jwkText(jwk["y"])]))
    }

    @Test func symmetricKeysAndCertificatesWithoutKeysAreRefusedWithoutQuotingThem() {
        #expect {
            try AzureKeyMaterial.jsonWebKey(fromPEM: Data(canary.utf8), name: "k")
        } throws: { error in
            (error as? ProviderError)?.code == .unsupported && !"\(error)".contains(canary)
        }
        let certificateOnly = PEMBlocks.encode(Data(canary.utf8), label: "CERTIFICATE")
        #expect {
            try AzureKeyMaterial.certificateDER(fromPEM: Data(certificateOnly.utf8), name: "c")
        } throws: { error in
            (error as? ProviderError)?.message.contains("has no private key") == true && !"\(error)".contains(canary)
        }
    }

    @Test func aKeyIsImportedOnceAndNotAgainWhileKeyVaultHoldsIt() async throws {
        let key = P256.Signing.PrivateKey()
        let jwk = try AzureKeyMaterial.jsonWebKey(fromPEM: Data(key.pemRepresentation.utf8), name: "k")
        let held =
            #"{"key": {"kid": "\#(vault)/keys/k/1", "kty": "EC", "crv": "P-256", "x": "\#(jwkText(jwk["x"]))", "y": "\#(jwkText(jwk["y"]))"}, "attributes": {"enabled": true}, "tags": {"managed-by": "external-secrets"}}"#
        let (client, transport) = try await makeClient { request in
            if request.method == .PUT { return json(held) }
            return keyAnswer(held: request.url.contains("/keys/present"), body: held)
        }
        try await client.pushSecret(.value(Data(key.pemRepresentation.utf8)), to: PushTarget(remoteKey: "key/absent"))
        try await client.pushSecret(.value(Data(key.pemRepresentation.utf8)), to: PushTarget(remoteKey: "key/present"))
        let imports = transport.requests.filter { $0.method == .PUT }
        #expect(imports.map(\.url) == ["\(vault)/keys/absent?api-version=7.4"])
        let body = try JSONSerialization.jsonObject(with: Data(imports.first?.body ?? [])) as? [String: Any]
        let sent = body?["key"] as? [String: String]
        #expect(sent?["kty"] == "EC" && sent?["crv"] == "P-256" && sent?["d"] != nil)
        #expect(body?["tags"] as? [String: String] == ["managed-by": "external-secrets"])
    }
}

func jwkText(_ value: GoJSONValue?) -> String {
    if case .string(let text)? = value { return text }
    return ""
}

/// A GET answer: the key bundle when `held`, else Key Vault's 404.
func keyAnswer(held: Bool, body: String) -> ScriptedTransport.Reply {
    held
        ? json(body)
        : vaultError(.notFound, "KeyNotFound", "A key with (name/id) absent was not found in this key vault.")
}
