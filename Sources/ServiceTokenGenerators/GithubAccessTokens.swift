import Crypto
import ExternalSecretsAPI
import Foundation
import HTTPSupport
import NIOHTTP1
import ProviderKit
import _CryptoExtras

/// ESO's GithubAccessToken, without I/O: the App's JWT, the access token request and the values.
enum GithubAccessTokens {
    static let defaultAPI = "https://api.github.com"
    /// The JWT's lifetime and its backdating against clock skew (ESO: 300 s and 10 s; GitHub
    /// allows at most 600 s).
    static let lifetime: TimeInterval = 300
    static let backdating: TimeInterval = 10

    /// The App's JWT (RS256): `iss` the App ID, `iat` 10 s ago, `exp` in 300 s.
    /// - Throws: when the PEM is not an RSA private key of at least 2048 bits (the message names
    ///   the field, never the key).
    static func appJWT(appID: String, privateKeyPEM: String, now: Date, field: String) throws(ProviderError) -> String {
        let key: _RSA.Signing.PrivateKey
        do {
            key = try _RSA.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
        } catch {
            throw .invalidConfiguration("\(field): not a PEM RSA private key of at least 2048 bits")
        }
        let seconds = Int64(now.timeIntervalSince1970.rounded(.down))
        let header = #"{"alg":"RS256","typ":"JWT"}"#
        let claims =
            #"{"iss":\#(jsonString(appID)),"exp":\#(seconds + Int64(lifetime)),"iat":\#(seconds - Int64(backdating))}"#
        let input = base64URL(Data(header.utf8)) + "." + base64URL(Data(claims.utf8))
        let signature: _RSA.Signing.RSASignature
        do {
            signature = try key.signature(for: Data(input.utf8), padding: .insecurePKCS1v1_5)
        } catch {
            throw ProviderError(.other, "\(field): signing the GitHub App JWT failed")
        }
        return input + "." + base64URL(signature.rawRepresentation)
    }

    /// ESO's request: `POST {url}/app/installations/{installID}/access_tokens`, with the JWT as
    /// bearer, GitHub's v3 media type, and a body only when `permissions` or `repositories` are set.
    static func request(_ spec: GithubAccessTokenSpec, jwt: String) throws(ProviderError) -> HTTPRequest {
        guard !spec.installID.isEmpty, spec.installID.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw .invalidConfiguration("spec.installID must be the installation's numeric ID")
        }
        let base = (spec.url.flatMap { $0.isEmpty ? nil : $0 }) ?? defaultAPI
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Bearer \(jwt)")
        headers.add(name: "Accept", value: "application/vnd.github.v3+json")
        // GitHub refuses requests without a User-Agent (Go's client sends its own).
        headers.add(name: "User-Agent", value: "external-secrets-swift")
        var members: [String] = []
        if let permissions = spec.permissions {
            let pairs = permissions.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\(jsonString($0.value))" }
            members.append(#""permissions":{\#(pairs.joined(separator: ","))}"#)
        }
        if let repositories = spec.repositories, !repositories.isEmpty {
            members.append(#""repositories":[\#(repositories.map(jsonString).joined(separator: ","))]"#)
        }
        var body: [UInt8]?
        if !members.isEmpty {
            body = Array("{\(members.joined(separator: ","))}".utf8)
            headers.add(name: "Content-Type", value: "application/json")
        }
        return HTTPRequest(
            method: .POST, url: "\(base)/app/installations/\(spec.installID)/access_tokens", headers: headers,
            body: body)
    }

    /// ESO's values: `token`, from the answer's `token`.
    static func values(_ response: HTTPResponse) throws(ProviderError) -> SecretData {
        try ServiceResponses.check(response, what: "GitHub access token request")
        struct Answer: Decodable { var token: String? }
        let answer = try ServiceResponses.decode(Answer.self, response.body, what: "GitHub access token request")
        guard let token = answer.token, !token.isEmpty else {
            throw ProviderError(.invalidData, "GitHub access token request: the answer has no token")
        }
        return ["token": Data(token.utf8)]
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// `text` as a JSON string literal.
    static func jsonString(_ text: String) -> String {
        let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
