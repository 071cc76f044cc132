import Crypto
import Foundation
import GoCompat
import ProviderKit
import _CryptoExtras

/// A Google service-account key file, as `google.JWTConfigFromJSON` reads it. Its description
/// never shows the private key.
struct GCPServiceAccountKey: Sendable, CustomStringConvertible {
    var clientEmail: String
    var privateKeyID: String
    var projectID: String
    var tokenURI: String
    let signingKey: _RSA.Signing.PrivateKey

    static let defaultTokenURI = "https://oauth2.googleapis.com/token"
    static let cloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"

    var description: String { "service account \(clientEmail) (key \(privateKeyID))" }

    private struct File: Decodable {
        var type: String?
        var client_email: String?
        var private_key: String?
        var private_key_id: String?
        var project_id: String?
        var token_uri: String?
    }

    /// Parses a key file; errors say what is wrong without quoting the file.
    static func parse(_ data: Data, field: String) throws(ProviderError) -> GCPServiceAccountKey {
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: data)
        } catch {
            throw .invalidConfiguration(
                "\(field): failed to process the provided JSON credentials: not a service-account key file (JSON)")
        }
        if let type = file.type, type != "service_account" {
            throw .invalidConfiguration(
                "\(field): failed to process the provided JSON credentials: type \"\(type)\" is not \"service_account\""
            )
        }
        guard let email = file.client_email, !email.isEmpty, let pem = file.private_key, !pem.isEmpty else {
            throw .invalidConfiguration(
                "\(field): failed to process the provided JSON credentials: client_email and private_key are required")
        }
        let key: _RSA.Signing.PrivateKey
        do {
            key = try _RSA.Signing.PrivateKey(pemRepresentation: pem)
        } catch {
            throw .invalidConfiguration(
                "\(field): failed to process the provided JSON credentials: private_key is not an RSA key of 2048 bits or more in PEM"
            )
        }
        return GCPServiceAccountKey(
            clientEmail: email, privateKeyID: file.private_key_id ?? "", projectID: file.project_id ?? "",
            tokenURI: (file.token_uri ?? "").isEmpty ? defaultTokenURI : file.token_uri!, signingKey: key)
    }

    /// The signed JWT assertion of the OAuth 2.0 JWT bearer grant (RFC 7523) as Go's
    /// `golang.org/x/oauth2/jwt` builds it: header `{"alg":"RS256","typ":"JWT","kid":...}`,
    /// claims iss, scope, aud (the token URI), exp (one hour), iat; RS256 (PKCS#1 v1.5, SHA-256).
    func assertion(issuedAt: Date) throws(ProviderError) -> String {
        let iat = Int64(issuedAt.timeIntervalSince1970.rounded(.down))
        var header: [String: GoJSONValue] = ["alg": .string("RS256"), "typ": .string("JWT")]
        if !privateKeyID.isEmpty { header["kid"] = .string(privateKeyID) }
        let claims: [String: GoJSONValue] = [
            "iss": .string(clientEmail), "scope": .string(Self.cloudPlatformScope), "aud": .string(tokenURI),
            "exp": .number(String(iat + 3600)), "iat": .number(String(iat)),
        ]
        let signingInput =
            Self.base64URL(GoJSONValue.object(header).marshal(numbers: .literal)) + "."
            + Self.base64URL(GoJSONValue.object(claims).marshal(numbers: .literal))
        let signature: _RSA.Signing.RSASignature
        do {
            signature = try signingKey.signature(for: Data(signingInput.utf8), padding: .insecurePKCS1v1_5)
        } catch {
            throw ProviderError(.invalidConfiguration, "signing the token request of \(clientEmail) failed")
        }
        return signingInput + "." + Self.base64URL(Array(signature.rawRepresentation))
    }

    static func base64URL(_ bytes: some Collection<UInt8>) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
