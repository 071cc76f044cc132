import ExternalSecretsAPI
import Foundation
import HTTPSupport
import NIOHTTP1
import ProviderKit

/// ESO's QuayAccessToken, without I/O: the robot token exchange request and the values.
enum QuayAccessTokens {
    static let defaultRegistry = "quay.io"

    /// The registry host: `url` without `https://`, `quay.io` if unset (ESO's rule).
    static func registry(_ spec: QuayAccessTokenSpec) -> String {
        let url = (spec.url.flatMap { $0.isEmpty ? nil : $0 }) ?? defaultRegistry
        return url.hasPrefix("https://") ? String(url.dropFirst("https://".count)) : url
    }

    /// Quay's OAuth2 federation exchange: `GET https://{registry}/oauth2/federation/robot/token`
    /// with basic auth `robotAccount:serviceAccountToken`.
    static func request(_ spec: QuayAccessTokenSpec, serviceAccountToken: String) throws(ProviderError) -> HTTPRequest {
        guard !spec.robotAccount.isEmpty else { throw .invalidConfiguration("spec.robotAccount is required") }
        var headers = HTTPHeaders()
        headers.add(
            name: "Authorization",
            value: ServiceHTTP.basicAuthorization(user: spec.robotAccount, password: serviceAccountToken))
        headers.add(name: "Accept", value: "application/json")
        return HTTPRequest(
            method: .GET, url: "https://\(registry(spec))/oauth2/federation/robot/token", headers: headers)
    }

    /// ESO's values: `registry`, `auth` (base64 of `robotAccount:token`) and `expiry` (the
    /// token's `exp` claim, Unix seconds). ESO accepts only 200.
    static func values(_ spec: QuayAccessTokenSpec, _ response: HTTPResponse) throws(ProviderError) -> SecretData {
        let what = "Quay robot token exchange"
        guard response.status.code == 200 else {
            try ServiceResponses.check(response, what: what)
            throw ProviderError(.invalidData, "\(what): unexpected status \(response.status.code)")
        }
        struct Answer: Decodable { var token: String? }
        guard let token = try ServiceResponses.decode(Answer.self, response.body, what: what).token, !token.isEmpty
        else { throw ProviderError(.invalidData, "\(what): token not found in response") }
        let expiry = try expiration(ofJWT: token, what: what)
        return [
            "registry": Data(registry(spec).utf8),
            "auth": Data(Data("\(spec.robotAccount):\(token)".utf8).base64EncodedString().utf8),
            "expiry": Data(expiry.utf8),
        ]
    }

    /// The `exp` claim of a JWT (not verified), as Go's `FormatFloat(exp, 'f', -1, 64)` writes it.
    static func expiration(ofJWT token: String, what: String) throws(ProviderError) -> String {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let payload = base64URLDecode(String(parts[1])),
            (try? JSONSerialization.jsonObject(with: payload)) is [String: Any]
        else { throw ProviderError(.invalidData, "\(what): the token is not a JWT") }
        struct Claims: Decodable { var exp: Double? }
        guard let exp = (try? JSONDecoder().decode(Claims.self, from: payload))?.exp else {
            throw ProviderError(.invalidData, "\(what): exp claim not found or wrong type")
        }
        let value = exp
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    static func base64URLDecode(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
