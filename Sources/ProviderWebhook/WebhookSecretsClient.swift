import ExternalSecretsAPI
import Foundation
import GoCompat
import HTTPSupport
import Logging
import NIOHTTP1
import ProviderKit

/// A client of one webhook store (ESO's `WebHook`). Templates are rendered per call, with the
/// referenced `secrets` read per call through the `ReferenceReader` (a rotated credential is used
/// at once). Throttling (429) and unavailability (502-504) are retried with jittered backoff.
struct WebhookSecretsClient: SecretsClient {
    let settings: WebhookStoreSettings
    let transport: any HTTPTransport
    let shutdown: @Sendable () async throws -> Void
    let references: any ReferenceReader
    /// The namespace of the object using the store (`.remoteRef.namespace`).
    let namespace: String
    let templates: WebhookTemplates
    let retry: HTTPRetryPolicy
    let logger: Logger

    /// Responses larger than this are refused.
    static let maximumBodyBytes = 16 << 20

    // MARK: - Reads

    func getSecret(_ ref: ExternalSecretDataRemoteRef) async throws -> Data {
        let data = WebhookTemplateData.read(ref, namespace: namespace, secrets: try await templateSecrets())
        let body = try await send(try templates.readRequest(settings, data: data), key: ref.key)
        return try WebhookResponses.value(body, jsonPath: try templates.jsonPath(settings, data: data))
    }

    func getSecretMap(_ ref: ExternalSecretDataRemoteRef) async throws -> SecretData {
        let data = WebhookTemplateData.read(ref, namespace: namespace, secrets: try await templateSecrets())
        let jsonPath = try templates.jsonPath(settings, data: data)
        let body = try await send(try templates.readRequest(settings, data: data), key: ref.key)
        return try WebhookResponses.map(body, jsonPath: jsonPath)
    }

    /// The Webhook generator's values (ESO's `GetSecretMap` without a reference): the request
    /// over the secrets, its JSON answer (at `result.jsonPath`) as keys.
    func generate() async throws -> SecretData {
        let data = WebhookTemplateData.generate(secrets: try await templateSecrets())
        let jsonPath = try templates.jsonPath(settings, data: data)
        let body = try await send(try templates.readRequest(settings, data: data), key: nil)
        return try WebhookResponses.map(body, jsonPath: jsonPath)
    }

    func getAllSecrets(_ find: ExternalSecretFind) async throws -> SecretData {
        throw ProviderError.unsupported("the webhook provider does not support dataFrom.find")
    }

    /// ESO's `Validate`: the URL's host must answer. A HEAD request to the host's root stands in
    /// for ESO's TCP dial; any HTTP answer counts. A host written as a template cannot be checked
    /// before a read: `.unknown`.
    func validate() async throws -> StoreValidationResult {
        guard let root = Self.hostRoot(of: settings.url) else {
            if settings.url.contains("{{") { return .unknown }
            throw ProviderError.invalidConfiguration("\(WebhookStoreSettings.field).url: no scheme and host")
        }
        do {
            _ = try await transport.send(
                HTTPRequest(method: .HEAD, url: root), timeout: .seconds(15), maxBodyBytes: 1 << 16)
        } catch {
            throw ProviderError(.unavailable, "webhook host \(root) is not reachable: \(Self.describe(error))")
        }
        return .ready
    }

    /// `scheme://host[:port]/` of a URL template, from the text before its first action.
    static func hostRoot(of template: String) -> String? {
        let fixed = template.range(of: "{{").map { String(template[..<$0.lowerBound]) } ?? template
        guard let schemeEnd = fixed.range(of: "://") else { return nil }
        let rest = fixed[schemeEnd.upperBound...]
        let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        // An empty host, or one that runs into a template action, cannot be checked.
        guard !host.isEmpty, host.count < rest.count || fixed.count == template.count else { return nil }
        return "\(fixed[..<schemeEnd.upperBound])\(host)/"
    }

    // MARK: - PushSecret

    /// ESO's `PushSecret`: the value (one key, or every key as a JSON object of strings) sent
    /// with the push request. ESO's webhook has no managed-by marker: the endpoint decides.
    func pushSecret(_ value: PushValue, to target: PushTarget) async throws {
        guard !target.remoteKey.isEmpty else { throw ProviderError.invalidConfiguration("remote key must be defined") }
        let bytes: [UInt8]
        switch value {
        case .value(let data): bytes = Array(data)
        case .allKeys(let all): bytes = Array(PushedJSON.textObject(all))
        }
        let data = WebhookTemplateData.push(target, value: bytes, secrets: try await templateSecrets())
        _ = try await send(try templates.pushRequest(settings, target: target, data: data), key: target.remoteKey)
    }

    /// ESO's `DeleteSecret`: DELETE to the URL; 404 means already gone.
    func deleteSecret(_ target: PushTarget) async throws {
        let request = try templates.deleteRequest(settings, data: .delete(target))
        do {
            _ = try await send(request, key: target.remoteKey, what: "delete endpoint")
        } catch let error as ProviderError where error.isNotFound {
            return
        }
    }

    /// ESO's `SecretExists`: the read request for the remote key; 404 means no.
    func secretExists(_ target: PushTarget) async throws -> Bool {
        let ref = ExternalSecretDataRemoteRef(key: target.remoteKey)
        let data = WebhookTemplateData.read(ref, namespace: namespace, secrets: try await templateSecrets())
        do {
            _ = try await send(try templates.readRequest(settings, data: data), key: target.remoteKey)
            return true
        } catch let error as ProviderError where error.isNotFound {
            return false
        }
    }

    func close() async {
        try? await shutdown()
    }

    // MARK: - I/O

    /// The keys of every `secrets` entry, checked as ESO checks them: in a ClusterSecretStore the
    /// reference names its namespace, and the Secret carries `external-secrets.io/type: webhook`.
    func templateSecrets() async throws -> [String: [String: Data]] {
        var out: [String: [String: Data]] = [:]
        for (index, entry) in settings.secrets.enumerated() {
            let field = "\(settings.fieldPath).secrets[\(index)].secretRef"
            let name = entry.secretRef.name ?? ""
            if settings.storeKind == .clusterSecretStore, (entry.secretRef.namespace ?? "").isEmpty {
                throw ProviderError.invalidConfiguration("no namespace on ClusterScoped webhook secret \(name)")
            }
            let secret = try await references.secret(entry.secretRef, field: field)
            guard let type = secret.labels[Self.typeLabel] else {
                throw ProviderError.invalidConfiguration(
                    "secret \(name) does not contain needed label '\(Self.typeLabel): webhook'. Update secret label to use it with webhook"
                )
            }
            guard type == "webhook" else {
                throw ProviderError.invalidConfiguration("secret \(name): secret type is not 'webhook'")
            }
            out[entry.name, default: [:]].merge(secret.data) { _, new in new }
        }
        return out
    }

    /// The label a Secret needs before the webhook provider reads it (ESO's rule).
    static let typeLabel = "external-secrets.io/type"

    /// Sends `plan` (retrying throttling and unavailability), checks the status, returns the body.
    /// `key` is the remote key in messages (nil for the generator).
    func send(_ plan: WebhookRequestPlan, key: String?, what: String = "endpoint") async throws -> [UInt8] {
        let subject = key.map { " for \(GoQuote.quote($0))" } ?? ""
        let remote = key.map { " (remote key \(GoQuote.quote($0)))" } ?? ""
        var attempt = 0
        while true {
            let response: HTTPResponse
            do {
                response = try await transport.send(
                    plan.http, timeout: settings.timeout, maxBodyBytes: Self.maximumBodyBytes)
            } catch let error as CancellationError {
                throw error
            } catch {
                WebhookMetrics.request(failed: true)
                let reason =
                    Self.isTimeout(error)
                    ? "request timed out after \(GoDuration.string(settings.timeout))" : Self.describe(error)
                throw ProviderError(.unavailable, "failed to call \(what)\(subject): \(reason)")
            }
            do throws(ProviderError) {
                try WebhookResponses.check(response, what: what)
                WebhookMetrics.request(failed: false)
                return response.body
            } catch {
                WebhookMetrics.request(failed: true)
                guard error.code == .throttled || error.code == .unavailable, attempt < retry.maxRetries else {
                    throw ProviderError(error.code, "\(error.message)\(remote)")
                }
                attempt += 1
                logger.debug(
                    "webhook endpoint asked to retry",
                    metadata: ["key": "\(key ?? "")", "status": "\(response.status.code)", "attempt": "\(attempt)"])
                try await retry.sleep(
                    retry.wait(before: attempt, retryAfter: response.headers.first(name: "Retry-After")))
            }
        }
    }

    /// Whether the request ran out of time: our transport's deadline, or the HTTP client's own
    /// (AsyncHTTPClient's `deadlineExceeded` / `readTimeout`, whichever fires first).
    static func isTimeout(_ error: any Error) -> Bool {
        if case HTTPTransportError.timedOut = error { return true }
        let text = String(describing: error)
        return text.contains("deadlineExceeded") || text.contains("readTimeout")
    }

    /// A transport error in words, without the request (its URL may carry a templated secret).
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as HTTPTransportError:
            if case .invalidURL = error { return "invalid URL" }
            return error.description
        default:
            return String(describing: type(of: error)) + ": " + String(describing: error).prefix(200)
        }
    }
}

/// ESO's `externalsecret_provider_api_calls_count` for the webhook provider.
enum WebhookMetrics {
    static func request(failed: Bool) {
        ProviderCallMetric.count(provider: "Webhook", call: "HTTPRequest", failed: failed)
    }
}
