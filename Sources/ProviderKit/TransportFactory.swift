public import HTTPSupport

/// Makes the HTTP transport of one store client, with the store's TLS settings, and the function
/// that shuts it down. Every provider takes one (tests pass a scripted transport).
///
/// Contract: the client that received the transport calls `shutdown` once, from its `close()`,
/// after its own sessions are released; the transport is not used afterwards.
public typealias TransportFactory =
    @Sendable (_ tls: TLSSettings) throws -> (
        transport: any HTTPTransport, shutdown: @Sendable () async throws -> Void
    )

/// The transport factories this binary ships.
public enum TransportFactories {
    /// The production transport: an AsyncHTTPClient pool with the store's TLS settings
    /// (`TLSSettings()`: the system roots). A failed connection attempt fails its requests at once
    /// rather than being retried by the pool until the provider deadline: a server that refuses
    /// or drops connections is then reported after the provider's own retries (seconds), counts
    /// against the store's circuit breaker, and does not hold a worker for the whole deadline.
    public static let asyncHTTPClient: TransportFactory = { tls in
        let transport = try AsyncHTTPClientTransport(tls: tls, retriesFailedConnections: false)
        return (transport, { try await transport.shutdown() })
    }
}
