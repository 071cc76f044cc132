import Foundation
import GoCompat
import HTTPSupport
import NIOHTTP1

/// One RPC call of an Alibaba Cloud API: the action, its parameters in the query and in a form
/// body, as the official SDKs place them (`SecretData` in the body, everything else in the query).
struct AlibabaCall: Sendable, Hashable {
    var action: String
    var query: [Parameter] = []
    var form: [Parameter] = []

    struct Parameter: Sendable, Hashable {
        var name: String
        var value: String
        init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }
}

/// KMS (2016-01-20) and STS (2015-04-01) RPC requests, built without I/O.
enum AlibabaRequests {
    static let kmsVersion = "2016-01-20"
    static let stsVersion = "2015-04-01"
    /// ListSecrets' largest page.
    static let pageSize = 100

    // MARK: - KMS actions

    /// `GetSecretValue`: the secret's current version, a version ID, or a version stage.
    static func getSecretValue(_ name: String, versionID: String? = nil, versionStage: String? = nil) -> AlibabaCall {
        var query = [AlibabaCall.Parameter("SecretName", name)]
        if let versionID, !versionID.isEmpty { query.append(.init("VersionId", versionID)) }
        if let versionStage, !versionStage.isEmpty { query.append(.init("VersionStage", versionStage)) }
        return AlibabaCall(action: "GetSecretValue", query: query)
    }

    /// `ListSecrets` page `page` (from 1) with each secret's tags.
    static func listSecrets(page: Int, pageSize: Int = pageSize) -> AlibabaCall {
        AlibabaCall(
            action: "ListSecrets",
            query: [.init("FetchTags", "true"), .init("PageNumber", String(page)), .init("PageSize", String(pageSize))])
    }

    /// `DescribeSecret` with its tags.
    static func describeSecret(_ name: String) -> AlibabaCall {
        AlibabaCall(action: "DescribeSecret", query: [.init("SecretName", name), .init("FetchTags", "true")])
    }

    /// `CreateSecret` of a generic secret (text), its first version `versionID`, with `tags`.
    static func createSecret(_ name: String, value: Data, versionID: String, tags: [String: String]) -> AlibabaCall {
        let tagList = GoJSONValue.array(
            tags.sorted { $0.key < $1.key }.map {
                .object(["TagKey": .string($0.key), "TagValue": .string($0.value)])
            })
        return AlibabaCall(
            action: "CreateSecret",
            query: [
                .init("SecretName", name), .init("VersionId", versionID), .init("SecretDataType", "text"),
                .init("Tags", String(decoding: tagList.marshal(numbers: .literal, escapeHTML: false), as: UTF8.self)),
            ],
            form: [.init("SecretData", String(decoding: value, as: UTF8.self))])
    }

    /// `PutSecretValue`: a new version `versionID`, which becomes `ACSCurrent`.
    static func putSecretValue(_ name: String, value: Data, versionID: String) -> AlibabaCall {
        AlibabaCall(
            action: "PutSecretValue",
            query: [.init("SecretName", name), .init("VersionId", versionID), .init("SecretDataType", "text")],
            form: [.init("SecretData", String(decoding: value, as: UTF8.self))])
    }

    /// `DeleteSecret` at once (no recovery window), so that a later push may create the name again.
    static func deleteSecret(_ name: String) -> AlibabaCall {
        AlibabaCall(
            action: "DeleteSecret", query: [.init("SecretName", name), .init("ForceDeleteWithoutRecovery", "true")])
    }

    // MARK: - STS

    /// `AssumeRoleWithOIDC` (anonymous: the OIDC token is the credential).
    static func assumeRoleWithOIDC(
        providerArn: String, roleArn: String, token: String, sessionName: String, durationSeconds: Int = 3600
    ) -> AlibabaCall {
        AlibabaCall(
            action: "AssumeRoleWithOIDC",
            query: [
                .init("OIDCProviderArn", providerArn), .init("RoleArn", roleArn), .init("OIDCToken", token),
                .init("RoleSessionName", sessionName), .init("DurationSeconds", String(durationSeconds)),
            ])
    }

    // MARK: - Building

    /// A signed `POST /` of `call` to `endpoint` (a base URL): the query carries the parameters
    /// and the `x-acs-*` headers the action and version.
    static func signed(
        _ call: AlibabaCall, endpoint: String, version: String, credentials: AlibabaCredentials, date: Date,
        nonce: String
    ) -> HTTPRequest {
        let query = call.query.map { ($0.name, $0.value) }
        let body = formBody(call.form)
        var own = ["x-acs-action": call.action, "x-acs-version": version, "accept": "application/json"]
        if body != nil { own["content-type"] = "application/x-www-form-urlencoded" }
        let headers = AlibabaSigner.signedHeaders(
            method: "POST", host: hostHeader(endpoint), query: query, headers: own, body: body ?? [],
            credentials: credentials, date: date, nonce: nonce)
        return HTTPRequest(
            method: .POST, url: url(endpoint, query: query), headers: HTTPHeaders(headers.map { ($0.0, $0.1) }),
            body: body)
    }

    /// An anonymous RPC request (STS `AssumeRoleWithOIDC`): the parameters and the common ones
    /// (`Action`, `Version`, `Format`, `Timestamp`, `SignatureNonce`) in the query, no signature.
    static func anonymous(_ call: AlibabaCall, endpoint: String, version: String, date: Date, nonce: String)
        -> HTTPRequest
    {
        let query =
            [
                ("Action", call.action), ("Format", "JSON"), ("Version", version),
                ("Timestamp", AlibabaSigner.timestamp(date)), ("SignatureNonce", nonce),
            ] + call.query.map { ($0.name, $0.value) }
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: hostHeader(endpoint))
        headers.add(name: "Accept", value: "application/json")
        headers.add(name: "x-acs-action", value: call.action)
        headers.add(name: "x-acs-version", value: version)
        return HTTPRequest(method: .POST, url: url(endpoint, query: query), headers: headers)
    }

    static func url(_ endpoint: String, query: [(String, String)]) -> String {
        "\(endpoint)/?"
            + query.map { "\(AlibabaSigner.encode($0.0))=\(AlibabaSigner.encode($0.1))" }.joined(separator: "&")
    }

    /// `application/x-www-form-urlencoded`, names sorted (as the SDKs write it); nil without fields.
    static func formBody(_ form: [AlibabaCall.Parameter]) -> [UInt8]? {
        guard !form.isEmpty else { return nil }
        return Array(
            form.sorted { $0.name < $1.name }.map {
                "\(AlibabaSigner.encode($0.name))=\(AlibabaSigner.encode($0.value))"
            }
            .joined(separator: "&").utf8)
    }

    /// The `Host` header of a base URL: the host, with the port when it is not the scheme's default.
    static func hostHeader(_ endpoint: String) -> String {
        guard let components = URLComponents(string: endpoint), let host = components.host else { return endpoint }
        let defaultPort = components.scheme == "http" ? 80 : 443
        if let port = components.port, port != defaultPort { return "\(host):\(port)" }
        return host
    }
}
