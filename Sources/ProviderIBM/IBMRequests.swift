import Foundation
import GoCompat
import HTTPSupport
import NIOHTTP1
import ProviderKit

/// Secrets Manager v2's REST requests and IAM's token requests, built without I/O.
struct IBMRequests: Sendable {
    /// The instance's endpoint, without a trailing `/`.
    var serviceURL: String

    /// Page size of `GET /api/v2/secrets` (the service's default; at most 1000).
    static let pageSize = 200

    /// `GET /api/v2/secrets/{id}`: a secret with its data.
    func getSecret(id: String) -> HTTPRequest {
        request("/api/v2/secrets/\(Self.segment(id))")
    }

    /// `GET /api/v2/secret_groups/{group}/secret_types/{type}/secrets/{name}`: a secret by name.
    func getSecretByName(group: String, type: String, name: String) -> HTTPRequest {
        request(
            "/api/v2/secret_groups/\(Self.segment(group))/secret_types/\(Self.segment(type))/secrets/\(Self.segment(name))"
        )
    }

    /// `GET /api/v2/secrets/{id}/versions/{version}` (a version ID, `current` or `previous`).
    func getVersion(secretID: String, version: String) -> HTTPRequest {
        request("/api/v2/secrets/\(Self.segment(secretID))/versions/\(Self.segment(version))")
    }

    /// `GET /api/v2/secrets?offset&limit[&groups][&match_all_labels]`: a page of secret metadata.
    func listSecrets(offset: Int, groups: [String], labels: [String]) -> HTTPRequest {
        var query = [("offset", String(offset)), ("limit", String(Self.pageSize))]
        if !groups.isEmpty { query.append(("groups", groups.joined(separator: ","))) }
        if !labels.isEmpty { query.append(("match_all_labels", labels.joined(separator: ","))) }
        return request(
            "/api/v2/secrets?" + query.map { "\($0.0)=\(IBMTokenRequests.formEscape($0.1))" }.joined(separator: "&"))
    }

    /// `GET /api/v2/secrets?offset&limit&search&secret_types`: a page of the secrets of `type`
    /// whose name, ID, description or labels contain `text` (KES's lookup by name).
    func searchSecrets(_ text: String, type: String, offset: Int) -> HTTPRequest {
        let query = [
            ("offset", String(offset)), ("limit", String(Self.pageSize)), ("search", text), ("secret_types", type),
        ]
        return request(
            "/api/v2/secrets?" + query.map { "\($0.0)=\(IBMTokenRequests.formEscape($0.1))" }.joined(separator: "&"))
    }

    /// `GET /api/v2/secret_groups`: the secret groups (the `default` group is not listed).
    func listSecretGroups() -> HTTPRequest {
        request("/api/v2/secret_groups")
    }

    /// `POST /api/v2/secrets`: a new `arbitrary` secret in a group, with labels.
    func createArbitrarySecret(name: String, groupID: String, payload: String, labels: [String]) -> HTTPRequest {
        let body = GoJSONValue.object([
            "secret_type": .string("arbitrary"), "name": .string(name), "secret_group_id": .string(groupID),
            "payload": .string(payload), "labels": .array(labels.map { .string($0) }),
        ])
        return request("/api/v2/secrets", method: .POST, body: body)
    }

    /// `POST /api/v2/secrets/{id}/versions`: a new version of an `arbitrary` secret.
    func createVersion(secretID: String, payload: String) -> HTTPRequest {
        request(
            "/api/v2/secrets/\(Self.segment(secretID))/versions", method: .POST,
            body: .object(["payload": .string(payload)]))
    }

    /// `DELETE /api/v2/secrets/{id}`.
    func deleteSecret(id: String) -> HTTPRequest {
        request("/api/v2/secrets/\(Self.segment(id))", method: .DELETE)
    }

    private func request(_ path: String, method: HTTPMethod = .GET, body: GoJSONValue? = nil) -> HTTPRequest {
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: "application/json")
        if body != nil { headers.add(name: "Content-Type", value: "application/json") }
        return HTTPRequest(
            method: method, url: serviceURL + path, headers: headers,
            body: body.map { $0.marshal(numbers: .literal, escapeHTML: false) })
    }

    /// One path segment, percent-encoded (a name may hold any character but `/`).
    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}

/// IAM's token requests (`POST {iam}/identity/token`), as IBM's SDK cores send them.
enum IBMTokenRequests {
    static let apiKeyGrant = "urn:ibm:params:oauth:grant-type:apikey"
    static let computeResourceGrant = "urn:ibm:params:oauth:grant-type:cr-token"

    /// The API-key grant (`IamAuthenticator`).
    static func apiKey(iamEndpoint: String, apiKey: String) -> HTTPRequest {
        form(iamEndpoint, [("grant_type", apiKeyGrant), ("apikey", apiKey), ("response_type", "cloud_iam")])
    }

    /// The compute-resource token grant of a trusted profile (`ContainerAuthenticator`): a profile
    /// ID (`Profile-...`) as `profile_id`, anything else as `profile_name`.
    static func trustedProfile(iamEndpoint: String, profile: String, computeResourceToken: String) -> HTTPRequest {
        let profileField = profile.hasPrefix("Profile-") ? "profile_id" : "profile_name"
        return form(
            iamEndpoint,
            [
                ("grant_type", computeResourceGrant), ("cr_token", computeResourceToken), (profileField, profile),
                ("response_type", "cloud_iam"),
            ])
    }

    private static func form(_ iamEndpoint: String, _ fields: [(String, String)]) -> HTTPRequest {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        headers.add(name: "Accept", value: "application/json")
        let body = fields.map { "\(formEscape($0.0))=\(formEscape($0.1))" }.joined(separator: "&")
        return HTTPRequest(
            method: .POST, url: "\(iamEndpoint)/identity/token", headers: headers, body: Array(body.utf8))
    }

    /// IAM's answer: the token and its expiry (`expires_in` seconds from `issued`). A refusal
    /// names `refused` and IAM's `errorCode`/`errorMessage` (never the credential).
    static func token(from response: HTTPResponse, issued: Date, refused: String) throws -> (
        token: String, expiry: Date
    ) {
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        guard response.status == .ok, let token = object?["access_token"] as? String, !token.isEmpty else {
            let code = object?["errorCode"] as? String
            let message = (object?["errorMessage"] as? String).map { String($0.prefix(300)) }
            let reason = [code, message].compactMap { $0 }.joined(separator: ": ")
            let text = "\(refused): " + (reason.isEmpty ? "HTTP \(response.status.code)" : reason)
            switch response.status.code {
            case 429: throw ProviderError(.throttled, text)
            case 500...599: throw ProviderError(.unavailable, text)
            default: throw ProviderError.accessDenied(text)
            }
        }
        let seconds = (object?["expires_in"] as? NSNumber)?.doubleValue ?? 3600
        return (token, issued.addingTimeInterval(seconds))
    }

    static func formEscape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: formUnreserved) ?? text
    }

    private static let formUnreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
