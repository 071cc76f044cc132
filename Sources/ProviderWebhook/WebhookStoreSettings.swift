import ExternalSecretsAPI
import Foundation
import GoCompat
import ProviderKit

/// `spec.provider.webhook` checked and resolved, without I/O.
struct WebhookStoreSettings: Sendable {
    static let field = "spec.provider.webhook"

    /// The time limit of one request when the store sets none (ESO has none; the operator's
    /// provider deadline bounds the whole call anyway).
    static let defaultTimeout: Duration = .seconds(30)

    enum CertificateAuthority: Sendable, Hashable {
        case unset
        case bundle([UInt8])
        case provider(CAProvider)
    }

    var url: String
    /// The method as written; nil means ESO's default for the operation (GET to read, POST to push).
    var method: String?
    /// Header templates, sorted by name (Go adds them in map order; the order carries no meaning).
    var headers: [(name: String, template: String)]
    var body: String
    var jsonPath: String
    var timeout: Duration
    var secrets: [WebhookSecret]
    var certificateAuthority: CertificateAuthority
    var storeKind: StoreKind
    /// The manifest path of these settings, for error messages (`spec` for the Webhook generator).
    var fieldPath: String = WebhookStoreSettings.field

    static func resolve(_ store: StoreContext) throws(ProviderError) -> WebhookStoreSettings {
        guard let spec = store.spec.provider.webhook else {
            throw .invalidConfiguration("\(field) is missing")
        }
        guard !spec.url.isEmpty else { throw .invalidConfiguration("\(field).url is required") }
        if spec.auth?.ntlm != nil {
            throw .unsupported("\(field).auth.ntlm: NTLM authentication is not supported by this operator")
        }
        var timeout = defaultTimeout
        if let text = spec.timeout, !text.isEmpty {
            guard let parsed = GoDuration.parse(text), parsed > .zero else {
                throw .invalidConfiguration("\(field).timeout: invalid duration \(GoQuote.quote(text))")
            }
            timeout = parsed
        }
        var authority = CertificateAuthority.unset
        if let bundle = spec.caBundle, !bundle.isEmpty {
            authority = .bundle(try StoreSettingChecks.caBundle(bundle, field: "\(field).caBundle"))
        } else if let provider = spec.caProvider {
            authority = .provider(
                try StoreSettingChecks.caProvider(provider, storeKind: store.kind, field: "\(field).caProvider"))
        }
        for (index, secret) in (spec.secrets ?? []).enumerated() {
            guard !secret.name.isEmpty else {
                throw .invalidConfiguration("\(field).secrets[\(index)].name is required")
            }
            guard let name = secret.secretRef.name, !name.isEmpty else {
                throw .invalidConfiguration("\(field).secrets[\(index)].secretRef.name is required")
            }
        }
        return WebhookStoreSettings(
            url: spec.url, method: spec.method.flatMap { $0.isEmpty ? nil : $0 },
            headers: (spec.headers ?? [:]).sorted { $0.key < $1.key }.map { (name: $0.key, template: $0.value) },
            body: spec.body ?? "", jsonPath: spec.result?.jsonPath ?? "", timeout: timeout,
            secrets: spec.secrets ?? [], certificateAuthority: authority, storeKind: store.kind)
    }

    /// The Webhook generator's spec, checked as a store's (ESO builds the same request from it):
    /// its Secrets are read in the namespace of the object using the generator.
    static func resolve(generator spec: WebhookSpec) throws(ProviderError) -> WebhookStoreSettings {
        let field = "spec"
        guard !spec.url.isEmpty else { throw .invalidConfiguration("\(field).url is required") }
        if spec.auth?.ntlm != nil {
            throw .unsupported("\(field).auth.ntlm: NTLM authentication is not supported by this operator")
        }
        var timeout = defaultTimeout
        if let text = spec.timeout, !text.isEmpty {
            guard let parsed = GoDuration.parse(text), parsed > .zero else {
                throw .invalidConfiguration("\(field).timeout: invalid duration \(GoQuote.quote(text))")
            }
            timeout = parsed
        }
        var authority = CertificateAuthority.unset
        if let bundle = spec.caBundle, !bundle.isEmpty {
            authority = .bundle(try StoreSettingChecks.caBundle(bundle, field: "\(field).caBundle"))
        } else if let provider = spec.caProvider {
            var local = provider
            local.namespace = nil
            authority = .provider(
                try StoreSettingChecks.caProvider(local, storeKind: .secretStore, field: "\(field).caProvider"))
        }
        var secrets: [WebhookSecret] = []
        for (index, secret) in (spec.secrets ?? []).enumerated() {
            guard !secret.name.isEmpty else {
                throw .invalidConfiguration("\(field).secrets[\(index)].name is required")
            }
            guard let name = secret.secretRef.name, !name.isEmpty else {
                throw .invalidConfiguration("\(field).secrets[\(index)].secretRef.name is required")
            }
            secrets.append(WebhookSecret(name: secret.name, secretRef: SecretKeySelector(name: name)))
        }
        return WebhookStoreSettings(
            url: spec.url, method: spec.method.flatMap { $0.isEmpty ? nil : $0 },
            headers: (spec.headers ?? [:]).sorted { $0.key < $1.key }.map { (name: $0.key, template: $0.value) },
            body: spec.body ?? "", jsonPath: spec.result?.jsonPath ?? "", timeout: timeout, secrets: secrets,
            certificateAuthority: authority, storeKind: .secretStore, fieldPath: field)
    }
}
