public import Foundation
public import HTTPSupport
public import KubeModel
public import Logging
import NIOHTTP1

/// A client of one Kubernetes API server.
///
/// Every request goes through the client-side rate limit, carries the bearer token of the
/// configured authentication (re-fetched once after a 401), and is retried when the server
/// answers 429 Too Many Requests, after the delay it asks for (at most `maxThrottleRetries` times).
/// Errors keep the server's `Status` (`KubeAPIError`).
public final class KubeClient: Sendable {
    /// The configuration this client was made from.
    public let configuration: ClientConfiguration
    private let transport: any HTTPTransport
    private let tokenProvider: (any BearerTokenProvider)?
    /// Waits for a token of the client-side rate limit (a `ClientRateLimiter` on the client's clock).
    private let acquireRateLimitToken: @Sendable () async throws -> Void
    /// Time since this client was made, on its clock (for request durations in logs).
    private let elapsed: @Sendable () -> Duration
    private let shutdownTransport: @Sendable () async throws -> Void
    private let sleep: @Sendable (Duration) async throws -> Void
    let logger: Logger
    /// Bound on waiting for a response head, and on a whole non-streaming exchange.
    public let requestTimeout: Duration
    public let maxThrottleRetries: Int

    /// A client over `transport` (tests pass a scripted one).
    /// - Parameters:
    ///   - clock: times the rate limit, token-file re-reads and server-requested delays; the
    ///     operator passes its one clock (the default is for tests and tools).
    ///   - now: wall-clock time, for the expiry of exec-plugin tokens.
    ///   - sleep: waits out a server-requested delay (default: `clock`; tests inject one that
    ///     records it).
    ///   - shutdown: releases the transport.
    public init<C: Clock>(
        configuration: ClientConfiguration, transport: any HTTPTransport, logger: Logger = Logger(label: "kube-client"),
        requestTimeout: Duration = .seconds(30), maxThrottleRetries: Int = 3,
        clock: C = ContinuousClock(), now: @escaping @Sendable () -> Date = { Date() },
        sleep: (@Sendable (Duration) async throws -> Void)? = nil,
        shutdown: @escaping @Sendable () async throws -> Void = {}
    ) where C.Duration == Duration {
        self.sleep = sleep ?? { try await clock.sleep(for: $0) }
        self.configuration = configuration
        self.transport = transport
        self.logger = logger
        self.requestTimeout = requestTimeout
        self.maxThrottleRetries = maxThrottleRetries
        self.shutdownTransport = shutdown
        let rateLimiter = ClientRateLimiter(qps: configuration.qps, burst: configuration.burst, clock: clock)
        self.acquireRateLimitToken = { try await rateLimiter.acquire() }
        let start = clock.now
        self.elapsed = { start.duration(to: clock.now) }
        switch configuration.authentication {
        case .none: tokenProvider = nil
        case .bearerToken(let token): tokenProvider = StaticTokenProvider(token)
        case .tokenFile(let path): tokenProvider = FileTokenProvider(path: path, clock: clock)
        case .exec(let exec): tokenProvider = ExecTokenProvider(config: exec, now: now)
        }
    }

    /// A client over the same connections, credentials and clock with a client-side rate limit of
    /// its own (the same qps and burst), as client-go gives each clientset made from one config:
    /// controller-runtime's event recorder is such a clientset, so Events never wait behind the
    /// reconciles' requests (nor they behind Events). Its `shutdown()` does nothing: the
    /// connections are this client's.
    public func withOwnRateLimit<C: Clock>(clock: C) -> KubeClient where C.Duration == Duration {
        KubeClient(sharing: self, rateLimiter: ClientRateLimiter(qps: configuration.qps, burst: configuration.burst, clock: clock))
    }

    private init<C: Clock>(sharing other: KubeClient, rateLimiter: ClientRateLimiter<C>) where C.Duration == Duration {
        configuration = other.configuration
        transport = other.transport
        tokenProvider = other.tokenProvider
        acquireRateLimitToken = { try await rateLimiter.acquire() }
        elapsed = other.elapsed
        shutdownTransport = {}
        sleep = other.sleep
        logger = other.logger
        requestTimeout = other.requestTimeout
        maxThrottleRetries = other.maxThrottleRetries
    }

    /// A client with its own AsyncHTTPClient connection pool. Call `shutdown()` when done.
    /// - Parameters:
    ///   - clock: the operator's one clock (the default is for tests and tools).
    ///   - now: the operator's wall clock.
    public convenience init<C: Clock>(
        configuration: ClientConfiguration, logger: Logger = Logger(label: "kube-client"), clock: C = ContinuousClock(),
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws where C.Duration == Duration {
        let transport = try AsyncHTTPClientTransport(tls: configuration.tls)
        self.init(
            configuration: configuration, transport: transport, logger: logger, clock: clock, now: now,
            shutdown: { try await transport.shutdown() })
    }

    /// Closes the connection pool.
    public func shutdown() async throws { try await shutdownTransport() }

    // MARK: - Resource APIs

    /// Typed access to one kind, in `namespace` (nil: all namespaces, or a cluster-scoped kind).
    public func api<T: KubeResource>(_ type: T.Type, namespace: String? = nil) -> ResourceAPI<T> {
        ResourceAPI(client: self, resource: T.resource, namespace: namespace)
    }

    /// Access to a kind known only at run time, as `DynamicObject`s.
    public func dynamicAPI(_ resource: ResourceDescriptor, namespace: String? = nil) -> ResourceAPI<DynamicObject> {
        ResourceAPI(client: self, resource: resource, namespace: namespace)
    }

    /// Metadata-only access to a kind: objects arrive as `PartialObjectMetadata` (no spec, no data),
    /// which keeps caches of large objects small.
    public func metadataAPI(_ resource: ResourceDescriptor, namespace: String? = nil)
        -> ResourceAPI<PartialObjectMetadata>
    {
        ResourceAPI(client: self, resource: resource, namespace: namespace, metadataOnly: true)
    }

    /// Asks the TokenRequest API for a token of ServiceAccount `name` in `namespace`.
    public func requestToken(
        forServiceAccount name: String, in namespace: String, audiences: [String], expirationSeconds: Int64? = nil
    ) async throws -> TokenRequestStatus {
        let body = TokenRequest(spec: TokenRequestSpec(audiences: audiences, expirationSeconds: expirationSeconds))
        let request = RequestBuilder.create(
            ServiceAccount.resource, namespace: namespace, body: Array(try KubeJSON.encoder.encode(body)),
            subresourceOf: name, subresource: "token")
        let response: TokenRequest = try await send(request, decoding: TokenRequest.self)
        guard let status = response.status else {
            throw KubeClientError("\(request.summary): the server issued no token")
        }
        return status
    }

    // MARK: - Transport

    /// Sends `request` and decodes a successful answer as `type` (without `managedFields` when
    /// `skippingManagedFields`).
    public func send<T: Decodable>(
        _ request: KubeRequest, decoding type: T.Type, skippingManagedFields: Bool = false
    ) async throws -> T {
        let response = try await send(request)
        do {
            return try KubeJSON.decoder(skippingManagedFields: skippingManagedFields).decode(type, from: Data(response.body))
        } catch {
            throw KubeClientError("\(request.summary): undecodable \(type) response: \(error)")
        }
    }

    /// Sends `request`; a non-2xx answer becomes a `KubeAPIError`.
    @discardableResult
    public func send(_ request: KubeRequest) async throws -> HTTPResponse {
        try await perform(request) { httpRequest in
            try await self.transport.send(httpRequest, timeout: self.requestTimeout)
        }
    }

    /// Sends `request` and returns the response as it streams (watch). A non-2xx answer is read
    /// (bounded) and thrown as a `KubeAPIError`.
    public func stream(_ request: KubeRequest) async throws -> HTTPStreamingResponse {
        try await perform(request) { httpRequest in
            let response = try await self.transport.stream(httpRequest, timeout: self.requestTimeout)
            if response.status.code >= 300 {
                return try await response.collect(upTo: 1 << 20).streamed()
            }
            return response
        }
    }

    private func perform<R: ResponseHead>(
        _ request: KubeRequest, exchange: (HTTPRequest) async throws -> R
    ) async throws -> R {
        var throttled = 0
        var reauthenticated = false
        while true {
            try await acquireRateLimitToken()
            let httpRequest = try await httpRequest(for: request)
            let start = elapsed()
            let response = try await exchange(httpRequest)
            let code = Int(response.status.code)
            logger.debug(
                "kube request",
                metadata: [
                    "verb": "\(request.method.rawValue)", "path": "\(request.path)", "status": "\(code)",
                    "duration": "\(elapsed() - start)",
                ])
            if (200..<300).contains(code) { return response }
            let error = try await apiError(request: request, response: response)
            if code == 401, !reauthenticated, let tokenProvider {
                reauthenticated = true
                await tokenProvider.invalidate()
                continue
            }
            if error.isTooManyRequests, throttled < maxThrottleRetries {
                throttled += 1
                let delay = Duration.seconds(min(max(error.retryAfterSeconds ?? 1, 1), 30))
                logger.info(
                    "throttled by the API server; retrying",
                    metadata: ["path": "\(request.path)", "retryAfter": "\(delay)", "attempt": "\(throttled)"])
                try await sleep(delay)
                continue
            }
            throw error
        }
    }

    private func httpRequest(for request: KubeRequest) async throws -> HTTPRequest {
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: "application/json")
        headers.add(name: "User-Agent", value: "external-secrets-swift")
        for (name, value) in request.headers { headers.replaceOrAdd(name: name, value: value) }
        if let tokenProvider {
            headers.add(name: "Authorization", value: "Bearer \(try await tokenProvider.token())")
        }
        let base = configuration.server.hasSuffix("/") ? String(configuration.server.dropLast()) : configuration.server
        return HTTPRequest(method: request.method, url: base + request.pathAndQuery, headers: headers, body: request.body)
    }

    private func apiError(request: KubeRequest, response: some ResponseHead) async throws -> KubeAPIError {
        let body = try await response.bodyBytes()
        let status = try? KubeJSON.decoder.decode(Status.self, from: Data(body))
        let retryAfter = response.headers.first(name: "Retry-After").flatMap { Int($0) }
        return KubeAPIError(
            statusCode: Int(response.status.code), status: status?.kind == "Status" ? status : nil,
            request: request.summary, retryAfterSeconds: retryAfter)
    }
}

/// What the retry loop needs of a buffered or streaming response.
protocol ResponseHead {
    var status: HTTPResponseStatus { get }
    var headers: HTTPHeaders { get }
    func bodyBytes() async throws -> [UInt8]
}

extension HTTPResponse: ResponseHead {
    func bodyBytes() async throws -> [UInt8] { body }
}

extension HTTPStreamingResponse: ResponseHead {
    func bodyBytes() async throws -> [UInt8] { try await collect(upTo: 1 << 20).body }
}

extension HTTPResponse {
    /// This buffered response as a streaming one (for error answers to a watch).
    func streamed() -> HTTPStreamingResponse {
        HTTPStreamingResponse(status: status, headers: headers, body: HTTPBody(chunks: [body]))
    }
}
