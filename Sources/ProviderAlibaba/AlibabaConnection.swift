import Foundation
import GoCompat
import HTTPSupport
import ProviderKit

/// The credentials every call of a store client signs with.
///
/// Guarantees: one fetch in flight at a time, shared by every caller waiting; temporary
/// credentials are renewed `renewalMargin` before they expire, or at once after the service
/// refused them (`invalidate`), never per call. Caveat: a failed fetch is not cached; the next call
/// tries again. (ProviderKit's `BearerTokenSession` holds one token string; this holds a key pair
/// and a security token.)
actor AlibabaCredentialSession {
    private enum State {
        case empty
        case valid(AlibabaCredentials, expiry: Date)
        case refreshing(Task<(AlibabaCredentials, Date), any Error>)
    }

    typealias Fetch = @Sendable () async throws -> (AlibabaCredentials, Date)

    private var state = State.empty
    private let fetch: Fetch
    private let now: @Sendable () -> Date
    private let renewalMargin: TimeInterval
    /// Who the credentials are for (an AccessKey ID, a role ARN), for logs and messages.
    nonisolated let holder: String

    init(holder: String, renewalMargin: TimeInterval, now: @escaping @Sendable () -> Date, fetch: @escaping Fetch) {
        self.holder = holder
        self.renewalMargin = renewalMargin
        self.now = now
        self.fetch = fetch
    }

    /// A session over a fixed AccessKey (it never expires).
    static func fixed(_ credentials: AlibabaCredentials) -> AlibabaCredentialSession {
        AlibabaCredentialSession(holder: credentials.accessKeyID, renewalMargin: 0, now: { Date() }) {
            (credentials, .distantFuture)
        }
    }

    func credentials() async throws -> AlibabaCredentials {
        switch state {
        case .valid(let credentials, let expiry) where expiry.timeIntervalSince(now()) > renewalMargin:
            return credentials
        case .refreshing(let task):
            return try await task.value.0
        default:
            let task = Task { [fetch] in try await fetch() }
            state = .refreshing(task)
            do {
                let (fresh, expiry) = try await task.value
                state = .valid(fresh, expiry: expiry)
                return fresh
            } catch {
                state = .empty
                throw error
            }
        }
    }

    /// Forgets `credentials` (the service said they expired), unless newer ones replaced them.
    func invalidate(_ credentials: AlibabaCredentials) {
        if case .valid(let current, _) = state, current == credentials { state = .empty }
    }
}

/// Temporary credentials are renewed this long before they expire (the SDKs' credential
/// providers renew 180 s before; STS issues them for an hour).
let alibabaCredentialRenewalMargin: TimeInterval = 300

/// Sends signed KMS calls: throttling (`Throttling*` codes, 429) and unavailability (503,
/// `ServiceUnavailable*`) and unanswered requests are retried with jittered exponential backoff;
/// an expired security token is renewed once.
struct AlibabaConnection: Sendable {
    let transport: any HTTPTransport
    let session: AlibabaCredentialSession
    let endpoint: String
    let retry: HTTPRetryPolicy
    let timeout: Duration
    let now: @Sendable () -> Date

    static let maximumBodyBytes = 8 << 20

    /// Sends `call` and returns the final answer (any status); the caller maps errors.
    func send(_ call: AlibabaCall) async throws -> HTTPResponse {
        var attempt = 0
        var renewed = false
        while true {
            let credentials = try await session.credentials()
            let request = AlibabaRequests.signed(
                call, endpoint: endpoint, version: AlibabaRequests.kmsVersion, credentials: credentials, date: now(),
                nonce: UUID().uuidString.lowercased())
            let response: HTTPResponse
            do {
                response = try await transport.send(request, timeout: timeout, maxBodyBytes: Self.maximumBodyBytes)
            } catch let error as CancellationError {
                throw error
            } catch {
                AlibabaMetrics.call(call.action, failed: true)
                guard attempt < retry.maxRetries else {
                    throw ProviderError(
                        .unavailable, "KMS \(endpoint) did not answer: \(TransportFailure.describe(error, timeout))")
                }
                attempt += 1
                try await retry.sleep(retry.wait(before: attempt, retryAfter: nil))
                continue
            }
            let ok = (200..<300).contains(response.status.code)
            let code = ok ? "" : AlibabaErrors.details(response).code
            AlibabaMetrics.call(call.action, failed: !ok && code != AlibabaErrors.notFoundCode)
            if !ok, credentials.securityToken != nil, !renewed, AlibabaErrors.isExpiredToken(code) {
                renewed = true
                await session.invalidate(credentials)
                continue
            }
            guard !ok, AlibabaErrors.isRetryable(status: response.status.code, code: code), attempt < retry.maxRetries
            else { return response }
            attempt += 1
            try await retry.sleep(retry.wait(before: attempt, retryAfter: response.headers.first(name: "Retry-After")))
        }
    }

    /// STS `AssumeRoleWithOIDC` (anonymous), retried as KMS calls are; answers the credentials and
    /// their expiry.
    static func assumeRole(
        _ call: AlibabaCall, endpoint: String, transport: any HTTPTransport, retry: HTTPRetryPolicy,
        timeout: Duration, now: @Sendable () -> Date, refused: String
    ) async throws -> (AlibabaCredentials, Date) {
        var attempt = 0
        while true {
            let request = AlibabaRequests.anonymous(
                call, endpoint: endpoint, version: AlibabaRequests.stsVersion, date: now(),
                nonce: UUID().uuidString.lowercased())
            let response: HTTPResponse
            do {
                response = try await transport.send(request, timeout: timeout, maxBodyBytes: 1 << 20)
            } catch let error as CancellationError {
                throw error
            } catch {
                guard attempt < retry.maxRetries else {
                    throw ProviderError(
                        .unavailable, "\(refused): STS did not answer: \(TransportFailure.describe(error, timeout))")
                }
                attempt += 1
                try await retry.sleep(retry.wait(before: attempt, retryAfter: nil))
                continue
            }
            if (200..<300).contains(response.status.code) {
                return try AlibabaErrors.stsCredentials(response, refused: refused)
            }
            let code = AlibabaErrors.details(response).code
            guard AlibabaErrors.isRetryable(status: response.status.code, code: code), attempt < retry.maxRetries else {
                throw AlibabaErrors.error(response, action: call.action, doing: refused)
            }
            attempt += 1
            try await retry.sleep(retry.wait(before: attempt, retryAfter: response.headers.first(name: "Retry-After")))
        }
    }
}

/// ESO's `externalsecret_provider_api_calls_count` for Alibaba KMS.
enum AlibabaMetrics {
    static func call(_ action: String, failed: Bool) {
        ProviderCallMetric.count(provider: "Alibaba/KMS", call: action, failed: failed)
    }
}

/// Alibaba Cloud's JSON error body (`Code`, `Message`, `RequestId`, `HostId`, and for a RAM
/// refusal `AccessDeniedDetail`) as a `ProviderError`. The request ID is left out, as ESO's
/// `SanitizeErr` does (it changes per call, so status would change at every refresh); KMS's
/// messages name the secret and the action, never a value; they are cut at 500 characters all the
/// same.
enum AlibabaErrors {
    static let notFoundCode = "Forbidden.ResourceNotFound"

    static func details(_ response: HTTPResponse) -> (code: String, message: String, deniedAction: String?) {
        struct Body: Decodable {
            struct Denied: Decodable {
                var authAction: String?
            }
            var code: String?
            var message: String?
            var accessDeniedDetail: Denied?
        }
        let body = try? AlibabaJSON.decode(Body.self, from: response.body)
        let message = (body?.message ?? response.status.reasonPhrase).replacingOccurrences(of: "\r\n", with: " ")
        return (body?.code ?? "", String(message.prefix(500)), body?.accessDeniedDetail?.authAction)
    }

    static func isRetryable(status: UInt, code: String) -> Bool {
        status == 429 || status == 503 || code.hasPrefix("Throttling") || code.hasPrefix("ServiceUnavailable")
    }

    static func isExpiredToken(_ code: String) -> Bool {
        code.hasPrefix("InvalidSecurityToken") || code == "SecurityTokenExpired"
    }

    /// An error answer: `Forbidden.ResourceNotFound` (404) is "not found" (it feeds
    /// `deletionPolicy`); other `Forbidden.*`, 401/403 and signature or key errors are access
    /// denied, naming the permission (`kms:ACTION`) the caller lacks; throttling and 5xx as such.
    static func error(_ response: HTTPResponse, action: String, doing what: String) -> ProviderError {
        let (code, message, deniedAction) = details(response)
        var text = "\(what): \(code.isEmpty ? "HTTP \(response.status.code)" : code): \(message)"
        if code == notFoundCode || (code.isEmpty && response.status.code == 404) { return .notFound(text) }
        if code.hasPrefix("Forbidden") || response.status.code == 401 || response.status.code == 403
            || code.hasPrefix("InvalidAccessKeyId") || code.hasPrefix("SignatureDoesNotMatch")
            || code.hasPrefix("IncompleteSignature") || code.hasPrefix("InvalidSecurityToken")
        {
            if code.hasPrefix("Forbidden") {
                text += " (missing permission \(deniedAction ?? "kms:\(action)"))"
            }
            return .accessDenied(text)
        }
        if isRetryable(status: response.status.code, code: code) {
            return ProviderError(response.status.code == 503 ? .unavailable : .throttled, text)
        }
        if code.hasPrefix("Rejected.ResourceExist") { return ProviderError(.conflict, text) }
        if response.status.code >= 500 { return ProviderError(.unavailable, text) }
        return ProviderError(.other, text)
    }

    /// STS's answer to `AssumeRoleWithOIDC`: `Credentials.{AccessKeyId, AccessKeySecret,
    /// SecurityToken, Expiration}`.
    static func stsCredentials(_ response: HTTPResponse, refused: String) throws(ProviderError) -> (
        AlibabaCredentials, Date
    ) {
        struct Body: Decodable {
            struct Credentials: Decodable {
                var accessKeyId: String
                var accessKeySecret: String
                var securityToken: String
                var expiration: String
            }
            var credentials: Credentials
        }
        guard let body = try? AlibabaJSON.decode(Body.self, from: response.body) else {
            throw ProviderError(.invalidData, "\(refused): STS answered without credentials")
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        guard let expiry = formatter.date(from: body.credentials.expiration) else {
            throw ProviderError(.invalidData, "\(refused): STS answered an expiration that is not a time")
        }
        return (
            AlibabaCredentials(
                accessKeyID: body.credentials.accessKeyId, accessKeySecret: body.credentials.accessKeySecret,
                securityToken: body.credentials.securityToken),
            expiry
        )
    }
}

/// Decodes Alibaba Cloud's JSON answers, whose members are PascalCase (`SecretData`,
/// `AccessDeniedDetail`), into camelCase Swift properties.
enum AlibabaJSON {
    static func decode<T: Decodable>(_ type: T.Type, from body: [UInt8]) throws -> T {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .custom { path in
            let key = path.last!.stringValue
            return CamelKey(stringValue: key.prefix(1).lowercased() + key.dropFirst())
        }
        return try decoder.decode(type, from: Data(body))
    }

    private struct CamelKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// `Tags.Tag[]` of DescribeSecret and ListSecrets.
    struct TagList: Decodable {
        struct Tag: Decodable {
            var tagKey: String
            var tagValue: String
        }
        var tag: [Tag]?

        var dictionary: [String: String] {
            Dictionary((tag ?? []).map { ($0.tagKey, $0.tagValue) }, uniquingKeysWith: { _, last in last })
        }
    }
}
