import Foundation
public import HTTPSupport

/// Requests to an HTTP API that takes a bearer token from a ``BearerTokenSession`` (GCP Secret
/// Manager, Azure Key Vault, IBM Secrets Manager): a 401 renews the token once; throttling
/// (429), unavailability (503) and requests that got no answer are retried with the policy's
/// jittered backoff (or the server's `Retry-After`, bounded). One definition for every such
/// provider; each keeps its own call metric and error mapping.
public struct BearerTokenConnection: Sendable {
    public let transport: any HTTPTransport
    public let session: BearerTokenSession
    public let retry: HTTPRetryPolicy
    public let timeout: Duration
    /// The service's name in the error of a request that never got an answer
    /// (`"Key Vault did not answer: request timed out after 30 seconds"`).
    public let service: String
    public let maximumBodyBytes: Int

    public init(
        transport: any HTTPTransport, session: BearerTokenSession, retry: HTTPRetryPolicy, timeout: Duration,
        service: String, maximumBodyBytes: Int = 32 << 20
    ) {
        self.transport = transport
        self.session = session
        self.retry = retry
        self.timeout = timeout
        self.service = service
        self.maximumBodyBytes = maximumBodyBytes
    }

    /// Sends `request` with the session's token and returns the final answer (any status); the
    /// caller maps errors. `record` is told the outcome of every attempt: the answer, or nil when
    /// none came (for the provider's call metric).
    public func send(_ request: HTTPRequest, record: (HTTPResponse?) -> Void) async throws -> HTTPResponse {
        var attempt = 0
        var renewed = false
        while true {
            let token = try await session.token()
            var authorized = request
            authorized.headers.replaceOrAdd(name: "Authorization", value: "Bearer \(token)")
            let response: HTTPResponse
            do {
                response = try await transport.send(authorized, timeout: timeout, maxBodyBytes: maximumBodyBytes)
            } catch let error as CancellationError {
                throw error
            } catch {
                record(nil)
                guard attempt < retry.maxRetries else {
                    throw ProviderError(.unavailable, "\(service) did not answer: \(TransportFailure.describe(error, timeout))")
                }
                attempt += 1
                try await retry.sleep(retry.wait(before: attempt, retryAfter: nil))
                continue
            }
            record(response)
            if response.status.code == 401, !renewed {
                renewed = true
                await session.invalidate(token)
                continue
            }
            guard Self.isRetried(response), attempt < retry.maxRetries else { return response }
            attempt += 1
            try await retry.sleep(retry.wait(before: attempt, retryAfter: response.headers.first(name: "Retry-After")))
        }
    }

    /// Sends a token request (no bearer token), retrying throttling, unavailability and
    /// unanswered requests likewise; `refused` starts the error of a request never answered.
    public static func sendTokenRequest(
        _ request: HTTPRequest, transport: any HTTPTransport, retry: HTTPRetryPolicy, timeout: Duration,
        refused: String
    ) async throws -> HTTPResponse {
        var attempt = 0
        while true {
            let response: HTTPResponse
            do {
                response = try await transport.send(request, timeout: timeout, maxBodyBytes: 1 << 20)
            } catch let error as CancellationError {
                throw error
            } catch {
                guard attempt < retry.maxRetries else {
                    throw ProviderError(.unavailable, "\(refused): no answer: \(TransportFailure.describe(error, timeout))")
                }
                attempt += 1
                try await retry.sleep(retry.wait(before: attempt, retryAfter: nil))
                continue
            }
            guard isRetried(response), attempt < retry.maxRetries else { return response }
            attempt += 1
            try await retry.sleep(retry.wait(before: attempt, retryAfter: response.headers.first(name: "Retry-After")))
        }
    }

    /// Throttling and unavailability, the answers worth another try.
    static func isRetried(_ response: HTTPResponse) -> Bool {
        response.status.code == 429 || response.status.code == 503
    }
}

/// How a request that got no answer is reported.
public enum TransportFailure {
    /// A transport failure in words: a timeout (ours or the HTTP client's own deadline) as such,
    /// anything else as the HTTP stack describes it (connection state, never request content).
    public static func describe(_ error: any Error, _ timeout: Duration) -> String {
        if case HTTPTransportError.timedOut = error { return "request timed out after \(timeout)" }
        let text = String(describing: error)
        if text.contains("deadlineExceeded") || text.contains("readTimeout") {
            return "request timed out after \(timeout)"
        }
        return String(text.prefix(300))
    }
}
