import Foundation
import HTTPSupport
import NIOHTTP1
import Synchronization

/// Sends `VaultRequest`s to one server: adds the store's headers, keeps read-your-writes state,
/// and retries what Vault's own client retries (connection failures, 412 under read-your-writes,
/// 429 and 5xx except 501) with a bounded backoff that honours `Retry-After`.
///
/// Guarantees: a request is sent at most `1 + retry.maxRetries` times; the answer returned is the
/// last one (the caller maps its status). Caveat: POSTs are retried too, as Vault's client does;
/// logins and token renewals are safe to repeat.
struct VaultConnection: Sendable {
    let transport: any HTTPTransport
    let server: String
    /// `headers` of the store, plus `X-Vault-Inconsistent` when asked for.
    let headers: [(name: String, value: String)]
    let replication: ReplicationState?
    let retry: VaultStoreSettings.RetryPolicy
    let timeout: Duration
    let sleep: @Sendable (Duration) async throws -> Void

    /// Responses larger than this are refused (a KV secret is at most a few MiB).
    static let maximumBodyBytes = 32 << 20
    /// The time limit of a best-effort call.
    static let quickTimeout: Duration = .seconds(5)
    /// The longest `Retry-After` honoured.
    static let maximumRetryAfter: Duration = .seconds(30)

    init(
        transport: any HTTPTransport, settings: VaultStoreSettings, timeout: Duration = .seconds(60),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.transport = transport
        self.server = settings.server
        var headers = settings.headers.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
        // ESO sends the forwarding header only when both options are on.
        if settings.readYourWrites && settings.forwardInconsistent {
            headers.append((name: "X-Vault-Inconsistent", value: "forward-active-node"))
        }
        self.headers = headers
        self.replication = settings.readYourWrites || settings.forwardInconsistent ? ReplicationState() : nil
        self.retry = settings.retry
        self.timeout = timeout
        self.sleep = sleep
    }

    /// Sends `request` (retrying as described) and returns the final answer. `once` sends it a
    /// single time within `quickTimeout` (best-effort calls such as revoking a token at shutdown).
    func send(_ request: VaultRequest, token: String?, namespace: String?, once: Bool = false) async throws
        -> HTTPResponse
    {
        let maxRetries = once ? 0 : retry.maxRetries
        let timeout = once ? min(timeout, Self.quickTimeout) : timeout
        var attempt = 0
        while true {
            var http = request.http(server: server, token: token, namespace: namespace, headers: headers)
            if let index = replication?.current { http.headers.replaceOrAdd(name: "X-Vault-Index", value: index) }
            let response: HTTPResponse
            do {
                response = try await transport.send(http, timeout: timeout, maxBodyBytes: Self.maximumBodyBytes)
            } catch {
                guard attempt < maxRetries, Self.isRetryable(error) else { throw error }
                attempt += 1
                try await sleep(retry.wait(before: attempt))
                continue
            }
            if let index = response.headers.first(name: "X-Vault-Index"), !index.isEmpty {
                replication?.record(index)
            }
            guard attempt < maxRetries, isRetryable(response.status) else { return response }
            attempt += 1
            try await sleep(wait(before: attempt, response: response))
        }
    }

    private func isRetryable(_ status: HTTPResponseStatus) -> Bool {
        switch status.code {
        case 412: replication != nil
        case 429: true
        case 501: false
        case 500...599: true
        default: false
        }
    }

    private static func isRetryable(_ error: any Error) -> Bool {
        switch error {
        case is CancellationError: false
        case HTTPTransportError.invalidTLSMaterial, HTTPTransportError.invalidURL, HTTPTransportError.bodyTooLarge:
            false
        default: true
        }
    }

    private func wait(before attempt: Int, response: HTTPResponse) -> Duration {
        if response.status.code == 429 || response.status.code == 503,
            let header = response.headers.first(name: "Retry-After"), let seconds = Int(header), seconds >= 0
        {
            return min(.seconds(seconds), Self.maximumRetryAfter)
        }
        return retry.wait(before: attempt)
    }
}

/// The replication state Vault last returned (`X-Vault-Index`), sent back with every request
/// under read-your-writes. Vault Enterprise returns it; OpenBao and single nodes do not.
final class ReplicationState: Sendable {
    private let state = Mutex<String?>(nil)

    var current: String? { state.withLock { $0 } }

    func record(_ index: String) { state.withLock { $0 = index } }
}
