import Foundation
import GoCompat
import HTTPSupport
import NIOHTTP1
import ProviderKit

/// How long before its expiry an Entra ID token for Key Vault is renewed (azure-identity's margin).
let azureTokenRenewalMargin: TimeInterval = 300

/// The token requests of each way to authenticate, built and sent without caching (the session
/// caches).
enum AzureTokenRequests {
    /// The Microsoft identity platform's client-credentials grant (v2.0 endpoint, scope
    /// `RESOURCE/.default`), as azure-identity sends it.
    static func clientCredentials(
        authorityHost: String, tenantID: String, clientID: String, scope: String, credential: ClientCredential
    ) -> HTTPRequest {
        var form = [("client_id", clientID), ("grant_type", "client_credentials"), ("scope", scope)]
        switch credential {
        case .secret(let secret): form.append(("client_secret", secret))
        case .assertion(let assertion):
            form.append(("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"))
            form.append(("client_assertion", assertion))
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        headers.add(name: "Accept", value: "application/json")
        let body = form.map { "\(formEscape($0.0))=\(formEscape($0.1))" }.joined(separator: "&")
        return HTTPRequest(
            method: .POST, url: tokenEndpoint(authorityHost: authorityHost, tenantID: tenantID), headers: headers,
            body: Array(body.utf8))
    }

    /// `AUTHORITY/TENANT/oauth2/v2.0/token`.
    static func tokenEndpoint(authorityHost: String, tenantID: String) -> String {
        "\(authorityHost)/\(AzureRequests.segment(tenantID))/oauth2/v2.0/token"
    }

    /// The instance metadata service's token request (`Metadata: true`), for `resource`.
    static func managedIdentity(endpoint: String, resource: String, clientID: String?) -> HTTPRequest {
        var query = [("api-version", "2018-02-01"), ("resource", resource)]
        if let clientID { query.append(("client_id", clientID)) }
        var headers = HTTPHeaders()
        headers.add(name: "Metadata", value: "true")
        let url =
            "\(endpoint)/metadata/identity/oauth2/token?"
            + query.map { "\(formEscape($0.0))=\(formEscape($0.1))" }.joined(separator: "&")
        return HTTPRequest(method: .GET, url: url, headers: headers)
    }

    /// What proves the client's identity in a client-credentials grant.
    enum ClientCredential: Sendable {
        case secret(String)
        /// A signed JWT: the certificate's assertion, or a federated (ServiceAccount) token.
        case assertion(String)
    }

    /// An answer of the token endpoint or of the metadata service: the token and its expiry.
    /// `expires_in` is a number (Entra) or a string (the metadata service).
    static func token(from response: HTTPResponse, issued: Date, refused: String) throws -> (
        token: String, expiry: Date
    ) {
        let object: [String: Any]? =
            (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        guard response.status == .ok, let token = object?["access_token"] as? String, !token.isEmpty else {
            let error = object?["error"] as? String
            // Entra's descriptions name the tenant, client and reason (AADSTS codes), never the secret.
            let description = (object?["error_description"] as? String).map {
                String($0.split(separator: "\r\n").first ?? Substring($0)).prefix(300)
            }
            let reason = [error, description.map(String.init)].compactMap { $0 }.joined(separator: ": ")
            let text = "\(refused): " + (reason.isEmpty ? "HTTP \(response.status.code)" : reason)
            switch response.status.code {
            case 429: throw ProviderError(.throttled, text)
            case 500...599: throw ProviderError(.unavailable, text)
            default: throw ProviderError.accessDenied(text)
            }
        }
        let seconds: TimeInterval
        if let text = object?["expires_in"] as? String {
            seconds = TimeInterval(text) ?? 3600
        } else {
            seconds = AzureJSON.int64(object?["expires_in"]).map(TimeInterval.init) ?? 3600
        }
        return (token, issued.addingTimeInterval(seconds))
    }

    static func formEscape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: formUnreserved) ?? text
    }

    private static let formUnreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
