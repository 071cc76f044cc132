import ExternalSecretsAPI
import Foundation
import HTTPSupport
import NIOHTTP1
import ProviderKit

/// One request to Vault's HTTP API, as a pure value: a method, a path below `/v1/`, a query and
/// a JSON body. Which token and namespace go with it is decided when it is sent.
struct VaultRequest: Sendable, Equatable {
    var method: HTTPMethod
    /// The API path without `/v1/`, such as `secret/data/db`.
    var path: String
    var query: [(name: String, value: String)] = []
    var body: [UInt8]?

    static func == (lhs: VaultRequest, rhs: VaultRequest) -> Bool {
        lhs.method == rhs.method && lhs.path == rhs.path && lhs.body == rhs.body
            && lhs.query.map { "\($0.name)=\($0.value)" } == rhs.query.map { "\($0.name)=\($0.value)" }
    }

    static func get(_ path: String, query: [(name: String, value: String)] = []) -> VaultRequest {
        VaultRequest(method: .GET, path: path, query: query)
    }

    /// Vault's LIST, sent as Vault's own client sends it: GET with `list=true`.
    static func list(_ path: String) -> VaultRequest {
        VaultRequest(method: .GET, path: path, query: [("list", "true")])
    }

    static func post(_ path: String, json: [String: String]) -> VaultRequest {
        VaultRequest(method: .POST, path: path, body: VaultJSON.marshal(stringMap: json))
    }

    /// A write of `body`; numbers are sent as they were read.
    static func post(_ path: String, body: VaultJSON.Value) -> VaultRequest {
        VaultRequest(method: .POST, path: path, body: VaultJSON.marshal(body, numbers: .literal))
    }

    static func delete(_ path: String) -> VaultRequest {
        VaultRequest(method: .DELETE, path: path)
    }

    /// The HTTP request to `server` with the token, namespace and extra headers given.
    func http(
        server: String, token: String?, namespace: String?, headers: [(name: String, value: String)]
    ) -> HTTPRequest {
        var url = server + "/v1/" + Self.escapePath(path)
        if !query.isEmpty {
            url +=
                "?" + query.map { "\(Self.escapeQuery($0.name))=\(Self.escapeQuery($0.value))" }.joined(separator: "&")
        }
        var httpHeaders = HTTPHeaders()
        for header in headers { httpHeaders.add(name: header.name, value: header.value) }
        if let token, !token.isEmpty { httpHeaders.replaceOrAdd(name: "X-Vault-Token", value: token) }
        if let namespace, !namespace.isEmpty { httpHeaders.replaceOrAdd(name: "X-Vault-Namespace", value: namespace) }
        httpHeaders.replaceOrAdd(name: "X-Vault-Request", value: "true")
        if body != nil { httpHeaders.replaceOrAdd(name: "Content-Type", value: "application/json") }
        return HTTPRequest(method: method, url: url, headers: httpHeaders, body: body)
    }

    private static let pathAllowed: CharacterSet = {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#;")
        return allowed
    }()

    private static let queryAllowed: CharacterSet = {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return allowed
    }()

    static func escapePath(_ path: String) -> String {
        path.addingPercentEncoding(withAllowedCharacters: pathAllowed) ?? path
    }

    static func escapeQuery(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: queryAllowed) ?? text
    }
}

/// Where secrets live in a KV engine, as ESO builds the paths from the store's `path` and
/// `version` and a remote key (ESO's `buildPath` and `buildMetadataPath`).
///
/// - With a mount path, a key may repeat it (`secret/db` or, for v2, `secret/data/db`); it is
///   stripped, then the mount (and `data` for v2) is put in front.
/// - Without one, the first segment of the key is the mount; for v2 `data` is inserted after it
///   unless the key already has a `/data/` segment.
struct VaultPaths: Sendable, Equatable {
    var mountPath: String?
    var version: VaultKVStoreVersion

    /// The path to read the secret at `key`.
    func dataPath(_ key: String) -> String {
        guard let mountPath else {
            guard version == .v2, !key.contains("/data/") else { return key }
            var segments = key.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            segments.insert("data", at: 1)
            return segments.joined(separator: "/")
        }
        let rest = relative(key)
        return version == .v2 ? "\(mountPath)/data/\(rest)" : "\(mountPath)/\(rest)"
    }

    /// The path of the secret's metadata (v2) or, for v1, of the secret itself (used to list).
    func metadataPath(_ key: String) throws(ProviderError) -> String {
        guard let mountPath else {
            guard version == .v2 else { return key }
            guard key.contains("/data/") else {
                throw .invalidConfiguration(
                    "\(VaultStoreSettings.field).path is not set and the key \"\(key)\" has no /data/ segment: cannot find its metadata"
                )
            }
            return key.replacingOccurrences(
                of: "/data/", with: "/metadata/", options: [], range: key.range(of: "/data/"))
        }
        let rest = relative(key)
        return version == .v2 ? "\(mountPath)/metadata/\(rest)" : "\(mountPath)/\(rest)"
    }

    /// `key` without a leading `<mount>/` (and, for v2, `data/` after it).
    private func relative(_ key: String) -> String {
        guard let mountPath, key.hasPrefix(mountPath + "/") else { return key }
        var rest = String(key.dropFirst(mountPath.count + 1))
        if version == .v2, rest.hasPrefix("data/") { rest = String(rest.dropFirst(5)) }
        return rest
    }
}
