import ExternalSecretsAPI
import Foundation
import GoCompat
import HTTPSupport
import NIOHTTP1
import ProviderKit
import Templating

/// The data ESO's webhook templates see: `.remoteRef` and one map per store `secrets` entry,
/// all `map[string]map[string]string` as in ESO.
struct WebhookTemplateData: Sendable {
    /// The `.remoteRef` map; absent for the Webhook generator (ESO passes no reference).
    var remoteRef: [String: [UInt8]]?
    /// The keys of each referenced Secret, by `secrets[].name`.
    var secrets: [String: [String: Data]]

    /// `.remoteRef` of a read (ESO's `GetTemplateData`).
    static func read(_ ref: ExternalSecretDataRemoteRef, namespace: String, secrets: [String: [String: Data]]) -> Self {
        WebhookTemplateData(
            remoteRef: [
                "key": Array(ref.key.utf8), "version": Array((ref.version ?? "").utf8),
                "property": Array((ref.property ?? "").utf8), "namespace": Array(namespace.utf8),
            ], secrets: secrets)
    }

    /// `.remoteRef` of a push (ESO's `GetTemplatePushData`): `remoteKey`, `secretKey` when the
    /// entry names one, and the value under the remote key's own name.
    static func push(_ target: PushTarget, value: [UInt8], secrets: [String: [String: Data]]) -> Self {
        var remoteRef: [String: [UInt8]] = ["remoteKey": Array(target.remoteKey.utf8)]
        if let key = target.secretKey, !key.isEmpty { remoteRef["secretKey"] = Array(key.utf8) }
        remoteRef[target.remoteKey] = value
        return WebhookTemplateData(remoteRef: remoteRef, secrets: secrets)
    }

    /// The data of a Webhook generator's request: the secrets only, no `.remoteRef` (ESO's
    /// `GetSecretMap` with a nil reference).
    static func generate(secrets: [String: [String: Data]]) -> Self {
        WebhookTemplateData(remoteRef: nil, secrets: secrets)
    }

    /// `.remoteRef` of a delete: only `remoteKey`, and no secrets (ESO's `DeleteSecret`).
    static func delete(_ target: PushTarget) -> Self {
        WebhookTemplateData(remoteRef: ["remoteKey": Array(target.remoteKey.utf8)], secrets: [:])
    }

    /// The template value; `escaped` applies Go's `url.QueryEscape` to the `.remoteRef` values
    /// (not to the secrets), as ESO does for the URL.
    func value(escaped: Bool) -> Value {
        var outer: [String: Value] = [:]
        for (name, data) in secrets {
            outer[name] = .makeMap(data.mapValues { Value.goString($0) }, elem: .string)
        }
        if let remoteRef {
            let ref = remoteRef.mapValues { bytes -> Value in
                escaped ? .string(GoURLEscaping.queryEscape(String(goBytes: bytes))) : .goString(bytes)
            }
            // A `secrets` entry named remoteRef would be replaced, as in ESO.
            outer["remoteRef"] = .makeMap(ref, elem: .string)
        }
        return .makeMap(outer, elem: .any)
    }
}

/// One request of the webhook provider, built without I/O.
struct WebhookRequestPlan: Sendable, Equatable {
    var method: String
    var url: String
    var headers: [Header]
    var body: [UInt8]

    struct Header: Sendable, Equatable {
        var name: String
        var value: String
    }

    var http: HTTPRequest {
        var headers = HTTPHeaders()
        for header in self.headers { headers.add(name: header.name, value: header.value) }
        return HTTPRequest(
            method: HTTPMethod(rawValue: method), url: url, headers: headers, body: body.isEmpty ? nil : body)
    }
}

/// Renders ESO's webhook templates with ESO's function library.
struct WebhookTemplates: Sendable {
    var environment: RenderEnvironment

    /// ESO's `ExecuteTemplate`: an empty template renders nothing; errors name the field.
    func render(_ text: String, _ data: Value, field: String) throws(ProviderError) -> [UInt8] {
        guard !text.isEmpty else { return [] }
        do {
            let template = try Template(name: "webhooktemplate", text: text, functions: .eso)
            return try template.renderBytes(data, limits: RenderLimits(), environment: environment)
        } catch {
            throw .invalidConfiguration("failed to parse \(field): \(error.description)")
        }
    }

    /// The request of a read (or an existence check): method default GET, URL over escaped
    /// data, body and headers over raw data.
    func readRequest(_ settings: WebhookStoreSettings, data: WebhookTemplateData) throws(ProviderError)
        -> WebhookRequestPlan
    {
        try request(settings, method: settings.method ?? "GET", body: settings.body, data: data)
    }

    /// The request of a push: method default POST; an unset body sends `{{ .remoteRef.<remoteKey> }}`.
    func pushRequest(_ settings: WebhookStoreSettings, target: PushTarget, data: WebhookTemplateData)
        throws(ProviderError) -> WebhookRequestPlan
    {
        let body = settings.body.isEmpty ? "{{ .remoteRef.\(target.remoteKey) }}" : settings.body
        return try request(settings, method: settings.method ?? "POST", body: body, data: data)
    }

    /// The request of a delete: DELETE, the URL over the unescaped remote key, headers, no body.
    func deleteRequest(_ settings: WebhookStoreSettings, data: WebhookTemplateData) throws(ProviderError)
        -> WebhookRequestPlan
    {
        let raw = data.value(escaped: false)
        let url = String(decoding: try render(settings.url, raw, field: "url"), as: UTF8.self)
        return WebhookRequestPlan(method: "DELETE", url: url, headers: try headers(settings, raw), body: [])
    }

    /// The JSONPath of `result.jsonPath`, rendered over raw data.
    func jsonPath(_ settings: WebhookStoreSettings, data: WebhookTemplateData) throws(ProviderError) -> String {
        String(decoding: try render(settings.jsonPath, data.value(escaped: false), field: "json path"), as: UTF8.self)
    }

    private func request(_ settings: WebhookStoreSettings, method: String, body: String, data: WebhookTemplateData)
        throws(ProviderError) -> WebhookRequestPlan
    {
        let raw = data.value(escaped: false)
        let url = String(decoding: try render(settings.url, data.value(escaped: true), field: "url"), as: UTF8.self)
        return WebhookRequestPlan(
            method: method, url: url, headers: try headers(settings, raw), body: try render(body, raw, field: "body"))
    }

    private func headers(_ settings: WebhookStoreSettings, _ raw: Value) throws(ProviderError) -> [WebhookRequestPlan
        .Header]
    {
        var out: [WebhookRequestPlan.Header] = []
        for header in settings.headers {
            let value = try render(header.template, raw, field: "header \(header.name)")
            out.append(.init(name: header.name, value: String(decoding: value, as: UTF8.self)))
        }
        return out
    }
}
