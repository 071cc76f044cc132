import AWSSigV4
public import Foundation
public import HTTPSupport
public import Logging
import NIOHTTP1
import ProviderKit

/// How failed calls are retried: throttling (HTTP 429, `ThrottlingException`, ...), server errors
/// and connection failures, with capped exponential backoff and full jitter (the AWS SDKs'
/// "standard" mode), or a fixed delay (`retrySettings.retryInterval`).
public struct AWSRetryPolicy: Sendable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// When set, every retry waits this long instead of the jittered backoff.
    public var fixedDelay: Duration?
    /// A number in [0, 1) (injected so tests are deterministic).
    public var random: @Sendable () -> Double
    public var sleep: @Sendable (Duration) async throws -> Void

    public init(
        maxAttempts: Int = 3, baseDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(20),
        fixedDelay: Duration? = nil, random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.fixedDelay = fixedDelay
        self.random = random
        self.sleep = sleep
    }

    /// The wait before retry number `retry` (0 for the first retry).
    public func delay(beforeRetry retry: Int) -> Duration {
        if let fixedDelay { return fixedDelay }
        let exponent = min(retry, 30)
        let ceiling = min(maxDelay, baseDelay * (1 << exponent))
        return ceiling * random()
    }
}

/// Sends signed requests to one AWS service endpoint: the JSON 1.1 protocol (Secrets Manager,
/// SSM) and the query protocol (STS). Retries per `AWSRetryPolicy`; counts calls in ESO's
/// `externalsecret_provider_api_calls_count` metric.
public struct AWSHTTPClient: Sendable {
    public var endpoint: String
    public var region: String
    /// The SigV4 signing name (`secretsmanager`, `ssm`, `sts`).
    public var signingName: String
    /// nil for unsigned calls (`AssumeRoleWithWebIdentity`).
    public var credentials: (any AWSCredentialProvider)?
    public var transport: any HTTPTransport
    public var retry: AWSRetryPolicy
    public var timeout: Duration
    /// ESO's `provider` metric label (`AWS/SecretsManager`, `AWS/ParameterStore`, `AWS/STS`).
    public var metricsProvider: String
    public var now: @Sendable () -> Date
    public var logger: Logger

    public init(
        endpoint: String, region: String, signingName: String, credentials: (any AWSCredentialProvider)?,
        transport: any HTTPTransport, retry: AWSRetryPolicy = AWSRetryPolicy(), timeout: Duration = .seconds(30),
        metricsProvider: String, now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger = Logger(label: "provider-aws")
    ) {
        self.endpoint = endpoint
        self.region = region
        self.signingName = signingName
        self.credentials = credentials
        self.transport = transport
        self.retry = retry
        self.timeout = timeout
        self.metricsProvider = metricsProvider
        self.now = now
        self.logger = logger
    }

    /// A JSON 1.1 call: `X-Amz-Target: <targetPrefix>.<operation>`; the input's lowerCamelCase
    /// properties are sent as AWS's UpperCamelCase members. Returns the response body.
    public func callJSON<Input: Encodable>(targetPrefix: String, operation: String, input: Input) async throws -> Data {
        try await callJSON(
            targetPrefix: targetPrefix, operation: operation, body: Array(try AWSJSON.encoder.encode(input)))
    }

    /// A JSON 1.1 call with a body serialized by the caller.
    public func callJSON(targetPrefix: String, operation: String, body: [UInt8]) async throws -> Data {
        let headers = [
            ("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "\(targetPrefix).\(operation)"),
        ]
        return try await send(operation: operation, headers: headers, body: body)
    }

    /// A query-protocol call (`Action=...&Version=...` form body). Returns the XML body.
    public func callQuery(action: String, version: String, parameters: [(String, String)]) async throws -> String {
        let pairs = [("Action", action), ("Version", version)] + parameters
        let body = pairs.map { "\(SigV4Signer.encode($0.0))=\(SigV4Signer.encode($0.1))" }.joined(separator: "&")
        let headers = [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")]
        let data = try await send(operation: action, headers: headers, body: Array(body.utf8))
        return String(decoding: data, as: UTF8.self)
    }

    private var url: String {
        let trimmed = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        let afterScheme = trimmed.range(of: "://").map { trimmed[$0.upperBound...] } ?? trimmed[...]
        return afterScheme.contains("/") ? trimmed : trimmed + "/"
    }

    private func send(operation: String, headers: [(String, String)], body: [UInt8]) async throws -> Data {
        var attempt = 0
        while true {
            do {
                let data = try await sendOnce(operation: operation, headers: headers, body: body)
                count(operation, "success")
                return data
            } catch let error as AWSServiceError {
                count(operation, "error")
                if error.isRetryable, attempt + 1 < retry.maxAttempts {
                    let delay = retry.delay(beforeRetry: attempt)
                    logger.debug(
                        "retrying AWS call",
                        metadata: [
                            "operation": "\(operation)", "code": "\(error.code)", "attempt": "\(attempt + 1)",
                            "delay": "\(delay)",
                        ])
                    attempt += 1
                    try await retry.sleep(delay)
                    continue
                }
                if error.isAccessDenied, AWSServiceError.credentialCodes.contains(error.code),
                    let cache = credentials as? CachingCredentialProvider
                {
                    await cache.invalidate()
                }
                throw error
            } catch let error as AWSTransportFailure {
                count(operation, "error")
                if attempt + 1 < retry.maxAttempts {
                    let delay = retry.delay(beforeRetry: attempt)
                    attempt += 1
                    try await retry.sleep(delay)
                    continue
                }
                throw error
            }
        }
    }

    private func sendOnce(operation: String, headers: [(String, String)], body: [UInt8]) async throws -> Data {
        var signed = headers
        if let credentials {
            let signer = SigV4Signer(
                credentials: try await credentials.credentials(), region: region, service: signingName)
            signed = signer.signHeaders(
                method: "POST", url: url, headers: headers.map { (name: $0.0, value: $0.1) }, body: body, date: now()
            ).map { ($0.name, $0.value) }
        } else {
            signed.append(("Host", SplitHost.header(of: url)))
        }
        var httpHeaders = HTTPHeaders()
        for (name, value) in signed { httpHeaders.add(name: name, value: value) }
        let response: HTTPResponse
        do {
            response = try await transport.send(
                HTTPRequest(method: .POST, url: url, headers: httpHeaders, body: body), timeout: timeout)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw AWSTransportFailure(endpoint: endpoint, detail: Self.transportDetail(error))
        }
        guard (200..<300).contains(Int(response.status.code)) else {
            throw AWSServiceError.from(
                status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                body: response.body)
        }
        return Data(response.body)
    }

    private func count(_ call: String, _ status: String) {
        // ESO's label for DescribeParameters (its constant drops the plural).
        let call = call == "DescribeParameters" ? "DescribeParameter" : call
        ProviderCallMetric.count(provider: metricsProvider, call: call, failed: status != "success")
    }

    /// Transport errors describe connections, not requests; their first line, bounded.
    static func transportDetail(_ error: any Error) -> String {
        let line = String(describing: error).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return line.count > 200 ? String(line.prefix(200)) + "…" : line
    }
}

/// The endpoint could not be reached (connection refused, TLS failure, timeout).
public struct AWSTransportFailure: Error, Sendable, CustomStringConvertible {
    public var endpoint: String
    public var detail: String
    public var description: String { "cannot reach \(endpoint): \(detail)" }
}

enum SplitHost {
    /// The Host header for `url` (lowercase host, port unless default).
    static func header(of url: String) -> String {
        var rest = Substring(url)
        var scheme = "https"
        if let range = rest.range(of: "://") {
            scheme = rest[..<range.lowerBound].lowercased()
            rest = rest[range.upperBound...]
        }
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        let lowered = authority.lowercased()
        if scheme == "https", lowered.hasSuffix(":443") { return String(lowered.dropLast(4)) }
        if scheme == "http", lowered.hasSuffix(":80") { return String(lowered.dropLast(3)) }
        return lowered
    }
}
