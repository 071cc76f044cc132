import ExternalSecretsAPI
import Foundation
import HTTPSupport
import KubeModel
import NIOHTTP1
import ProviderKit

/// ESO's Grafana generator, without I/O: the requests of Grafana's service account HTTP API
/// (`/api/serviceaccounts...`), the state recorded and the values.
enum GrafanaTokens {
    /// How a request authenticates: the `Authorization` header value.
    struct Credentials: Sendable {
        var authorization: String
    }

    /// The API base: the URL (without a trailing `/`) then `/api`, as ESO's client's base path.
    static func apiBase(_ spec: GrafanaSpec) throws(ProviderError) -> String {
        guard let url = URL(string: spec.url), let scheme = url.scheme, scheme == "http" || scheme == "https",
            url.host != nil
        else { throw .invalidConfiguration("spec.url must be an http or https URL") }
        var base = spec.url
        if let query = base.firstIndex(where: { $0 == "?" || $0 == "#" }) { base = String(base[..<query]) }
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/api"
    }

    private static func request(
        _ method: HTTPMethod, _ url: String, _ credentials: Credentials, body: [UInt8]? = nil
    ) -> HTTPRequest {
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: credentials.authorization)
        headers.add(name: "Accept", value: "application/json")
        if body != nil { headers.add(name: "Content-Type", value: "application/json") }
        return HTTPRequest(method: method, url: url, headers: headers, body: body)
    }

    /// `GET /api/serviceaccounts/search?query={name}`.
    static func searchRequest(base: String, name: String, _ credentials: Credentials) -> HTTPRequest {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&+=?#")
        let query = name.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
        return request(.GET, "\(base)/serviceaccounts/search?query=\(query)", credentials)
    }

    /// `POST /api/serviceaccounts` with `{"name", "role"}`.
    static func createAccountRequest(base: String, account: GrafanaServiceAccount, _ credentials: Credentials)
        -> HTTPRequest
    {
        struct Form: Encodable {
            var name: String
            var role: String
        }
        let body = (try? JSONEncoder().encode(Form(name: account.name, role: account.role))) ?? Data()
        return request(.POST, "\(base)/serviceaccounts", credentials, body: Array(body))
    }

    /// `POST /api/serviceaccounts/{id}/tokens` with `{"name", "secondsToLive"}` (omitted when unset).
    static func createTokenRequest(
        base: String, accountID: Int64, tokenName: String, secondsToLive: Int64?, _ credentials: Credentials
    ) -> HTTPRequest {
        struct Command: Encodable {
            var name: String
            var secondsToLive: Int64?
        }
        let ttl = secondsToLive.flatMap { $0 == 0 ? nil : $0 }
        let body = (try? JSONEncoder().encode(Command(name: tokenName, secondsToLive: ttl))) ?? Data()
        return request(.POST, "\(base)/serviceaccounts/\(accountID)/tokens", credentials, body: Array(body))
    }

    /// `DELETE /api/serviceaccounts/{id}/tokens/{tokenID}`.
    static func deleteTokenRequest(base: String, state: State, _ credentials: Credentials) -> HTTPRequest {
        request(.DELETE, "\(base)/serviceaccounts/\(state.id)/tokens/\(state.tokenID)", credentials)
    }

    /// A service account as Grafana answers it.
    struct Account: Decodable, Sendable, Equatable {
        var id: Int64
        var name: String?
        var login: String
    }

    /// The account named `name` in a search answer, if any (exact name, as ESO).
    static func account(named name: String, in response: HTTPResponse) throws(ProviderError) -> Account? {
        let what = "Grafana service account search"
        try ServiceResponses.check(response, what: what)
        struct Page: Decodable { var serviceAccounts: [Account]? }
        return try ServiceResponses.decode(Page.self, response.body, what: what).serviceAccounts?.first {
            $0.name == name
        }
    }

    /// The created account.
    static func createdAccount(_ response: HTTPResponse) throws(ProviderError) -> Account {
        let what = "Grafana service account creation"
        try ServiceResponses.check(response, what: what)
        return try ServiceResponses.decode(Account.self, response.body, what: what)
    }

    /// The created token: its ID and key.
    static func createdToken(_ response: HTTPResponse) throws(ProviderError) -> (id: Int64, key: String) {
        let what = "Grafana service account token creation"
        try ServiceResponses.check(response, what: what)
        struct Token: Decodable {
            var id: Int64
            var key: String
        }
        let token = try ServiceResponses.decode(Token.self, response.body, what: what)
        return (token.id, token.key)
    }

    /// What cleaning up needs, as ESO records it: `{"serviceAccount": {"id", "login", "tokenID"}}`
    /// (identifiers only, never the token).
    struct State: Codable, Sendable, Equatable {
        var id: Int64
        var login: String
        var tokenID: Int64

        var json: JSONValue {
            .object([
                "serviceAccount": .object([
                    "id": .integer(id), "login": .string(login), "tokenID": .integer(tokenID),
                ])
            ])
        }

        init(id: Int64, login: String, tokenID: Int64) {
            self.id = id
            self.login = login
            self.tokenID = tokenID
        }

        /// Reads a recorded state; the error says which member is missing.
        init(_ value: JSONValue) throws(ProviderError) {
            struct Wrapper: Decodable {
                struct Account: Decodable {
                    var id: Int64?
                    var login: String?
                    var tokenID: Int64?
                }
                var serviceAccount: Account?
            }
            let wrapper: Wrapper
            do {
                wrapper = try value.decode(as: Wrapper.self)
            } catch {
                throw .invalidConfiguration(
                    "the Grafana generator's state is not {serviceAccount: {id, login, tokenID}}")
            }
            guard let account = wrapper.serviceAccount, let id = account.id, let tokenID = account.tokenID else {
                throw .invalidConfiguration("the Grafana generator's state has no serviceAccount.id and tokenID")
            }
            self.init(id: id, login: account.login ?? "", tokenID: tokenID)
        }
    }

    /// The DELETE's outcome: 2xx or 404 (already gone) is success.
    static func checkDeleted(_ response: HTTPResponse) throws(ProviderError) {
        guard response.status.code != 404 else { return }
        try ServiceResponses.check(response, what: "Grafana service account token deletion")
    }
}
