import Foundation
import GoCompat
import HTTPSupport
import NIOHTTP1

/// Secret Manager's REST (v1) requests, built without I/O.
struct GCPRequests: Sendable {
    /// `https://secretmanager.googleapis.com`, the regional `https://secretmanager.L.rep.googleapis.com`,
    /// or an override (tests, private endpoints).
    var endpoint: String
    var projectID: String
    var location: String

    init(projectID: String, location: String, endpointOverride: String?) {
        self.projectID = projectID
        self.location = location
        if let endpointOverride, !endpointOverride.isEmpty {
            endpoint = endpointOverride.hasSuffix("/") ? String(endpointOverride.dropLast()) : endpointOverride
        } else if location.isEmpty {
            endpoint = "https://secretmanager.googleapis.com"
        } else {
            endpoint = "https://secretmanager.\(location).rep.googleapis.com"
        }
    }

    /// `projects/P` or `projects/P/locations/L` (ESO's `getParentName`).
    var parent: String { location.isEmpty ? "projects/\(projectID)" : "projects/\(projectID)/locations/\(location)" }

    /// `projects/P[/locations/L]/secrets/KEY` (ESO's `getName`).
    func secretName(_ key: String) -> String { "\(parent)/secrets/\(key)" }

    func access(_ key: String, version: String) -> HTTPRequest {
        get("\(Self.path(secretName(key)))/versions/\(Self.segment(version)):access")
    }

    /// Accesses a version by its full resource name (from a version list).
    func access(versionName: String) -> HTTPRequest { get("\(Self.path(versionName)):access") }

    func getSecret(_ key: String) -> HTTPRequest { get(Self.path(secretName(key))) }

    func listSecrets(filter: String?, pageToken: String?) -> HTTPRequest {
        var query: [(String, String)] = []
        if let filter, !filter.isEmpty { query.append(("filter", filter)) }
        if let pageToken, !pageToken.isEmpty { query.append(("pageToken", pageToken)) }
        return get("\(Self.path(parent))/secrets", query: query)
    }

    func listEnabledVersions(_ key: String, pageToken: String?) -> HTTPRequest {
        var query = [("filter", "state:ENABLED")]
        if let pageToken, !pageToken.isEmpty { query.append(("pageToken", pageToken)) }
        return get("\(Self.path(secretName(key)))/versions", query: query)
    }

    /// CreateSecret: `labels` and `topics` as given; the replication only for a global secret.
    func createSecret(_ key: String, labels: [String: String], topics: [String], replication: GoJSONValue?)
        -> HTTPRequest
    {
        var secret: [String: GoJSONValue] = ["labels": .object(labels.mapValues { .string($0) })]
        if let replication { secret["replication"] = replication }
        if !topics.isEmpty { secret["topics"] = .array(topics.map { .object(["name": .string($0)]) }) }
        return request(.POST, "\(Self.path(parent))/secrets", query: [("secretId", key)], body: .object(secret))
    }

    func addVersion(_ key: String, data: Data) -> HTTPRequest {
        request(
            .POST, "\(Self.path(secretName(key))):addVersion", query: [],
            body: .object(["payload": .object(["data": .string(data.base64EncodedString())])]))
    }

    /// UpdateSecret with mask `labels,annotations` (what ESO updates), guarded by the etag read.
    func updateMetadata(_ key: String, etag: String, labels: [String: String], annotations: [String: String])
        -> HTTPRequest
    {
        request(
            .PATCH, Self.path(secretName(key)), query: [("updateMask", "labels,annotations")],
            body: .object([
                "name": .string(secretName(key)), "etag": .string(etag),
                "labels": .object(labels.mapValues { .string($0) }),
                "annotations": .object(annotations.mapValues { .string($0) }),
            ]))
    }

    func deleteSecret(_ key: String, etag: String) -> HTTPRequest {
        request(.DELETE, Self.path(secretName(key)), query: etag.isEmpty ? [] : [("etag", etag)], body: nil)
    }

    // MARK: - Building

    private func get(_ path: String, query: [(String, String)] = []) -> HTTPRequest {
        request(.GET, path, query: query, body: nil)
    }

    private func request(_ method: HTTPMethod, _ path: String, query: [(String, String)], body: GoJSONValue?)
        -> HTTPRequest
    {
        var url = "\(endpoint)/v1/\(path)"
        if !query.isEmpty {
            url += "?" + query.map { "\(Self.queryEscape($0.0))=\(Self.queryEscape($0.1))" }.joined(separator: "&")
        }
        var headers = HTTPHeaders()
        var bytes: [UInt8]?
        if let body {
            headers.add(name: "Content-Type", value: "application/json")
            bytes = body.marshal(numbers: .literal, escapeHTML: false)
        }
        return HTTPRequest(method: method, url: url, headers: headers, body: bytes)
    }

    /// A resource name with each segment escaped.
    static func path(_ name: String) -> String {
        name.split(separator: "/", omittingEmptySubsequences: false).map { segment(String($0)) }.joined(separator: "/")
    }

    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    static func queryEscape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
