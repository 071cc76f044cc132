import Foundation
import GoCompat
import HTTPSupport
import NIOHTTP1

/// Key Vault's REST requests (api-version 7.4), built without I/O.
struct AzureRequests: Sendable {
    static let apiVersion = "7.4"

    /// The vault's base URL, without a trailing `/`.
    var vaultURL: String

    /// The three kinds of Key Vault object ESO reads (`secret/`, `cert/`, `key/`).
    enum ObjectKind: String, Sendable {
        case secret
        case certificate = "cert"
        case key

        /// The collection in the URL path.
        var collection: String {
            switch self {
            case .secret: "secrets"
            case .certificate: "certificates"
            case .key: "keys"
            }
        }

        /// The access-policy word Key Vault uses in its messages.
        var noun: String {
            switch self {
            case .secret: "secret"
            case .certificate: "certificate"
            case .key: "key"
            }
        }
    }

    /// `GET /{secrets|certificates|keys}/NAME[/VERSION]`.
    func get(_ kind: ObjectKind, _ name: String, version: String = "") -> HTTPRequest {
        var path = "/\(kind.collection)/\(Self.segment(name))"
        if !version.isEmpty { path += "/\(Self.segment(version))" }
        return request(.GET, path)
    }

    /// `GET /secrets` (page size `maxresults`), or the `nextLink` of the previous page.
    func listSecrets(nextLink: String?) -> HTTPRequest {
        if let nextLink, !nextLink.isEmpty { return HTTPRequest(method: .GET, url: nextLink) }
        return request(.GET, "/secrets", query: [("maxresults", "25")])
    }

    /// `PUT /secrets/NAME` (SetSecret): a new version with these tags, content type and expiry.
    func setSecret(_ name: String, value: Data, contentType: String?, expires: Int64?, tags: [String: String])
        -> HTTPRequest
    {
        var attributes: [String: GoJSONValue] = ["enabled": .bool(true)]
        if let expires { attributes["exp"] = .number(String(expires)) }
        var body: [String: GoJSONValue] = [
            "value": .string(String(decoding: value, as: UTF8.self)),
            "tags": .object(tags.mapValues { .string($0) }),
            "attributes": .object(attributes),
        ]
        if let contentType { body["contentType"] = .string(contentType) }
        return request(.PUT, "/secrets/\(Self.segment(name))", body: .object(body))
    }

    /// `PUT /keys/NAME` (ImportKey) of a JSON Web Key, enabled.
    func importKey(_ name: String, key: [String: GoJSONValue], tags: [String: String]) -> HTTPRequest {
        request(
            .PUT, "/keys/\(Self.segment(name))",
            body: .object([
                "key": .object(key), "tags": .object(tags.mapValues { .string($0) }),
                "attributes": .object(["enabled": .bool(true)]),
            ]))
    }

    /// `POST /certificates/NAME/import` of a PEM certificate with its key (base64, as the SDKs send it).
    func importCertificate(_ name: String, pem: Data, tags: [String: String]) -> HTTPRequest {
        request(
            .POST, "/certificates/\(Self.segment(name))/import",
            body: .object([
                "value": .string(pem.base64EncodedString()), "tags": .object(tags.mapValues { .string($0) }),
                "policy": .object(["secret_props": .object(["contentType": .string("application/x-pem-file")])]),
            ]))
    }

    /// `DELETE /{secrets|certificates|keys}/NAME`.
    func delete(_ kind: ObjectKind, _ name: String) -> HTTPRequest {
        request(.DELETE, "/\(kind.collection)/\(Self.segment(name))")
    }

    // MARK: - Building

    private func request(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: GoJSONValue? = nil
    ) -> HTTPRequest {
        let items = [("api-version", Self.apiVersion)] + query
        let url =
            vaultURL + path + "?" + items.map { "\(Self.segment($0.0))=\(Self.segment($0.1))" }.joined(separator: "&")
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: "application/json")
        var bytes: [UInt8]?
        if let body {
            headers.add(name: "Content-Type", value: "application/json")
            bytes = body.marshal(numbers: .literal, escapeHTML: false)
        }
        return HTTPRequest(method: method, url: url, headers: headers, body: bytes)
    }

    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
