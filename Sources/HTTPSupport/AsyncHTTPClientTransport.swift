import AsyncHTTPClient
import Logging
import NIOCore
public import NIOSSL

/// TLS settings of one HTTP client: which server certificates to trust and which client
/// certificate to present.
public struct TLSSettings: Sendable {
    /// PEM bundle of CA certificates to trust instead of the system roots; nil for system roots.
    public var trustedCAsPEM: [UInt8]?
    /// PEM client certificate chain and private key for mutual TLS.
    public var clientCertificatePEM: [UInt8]?
    public var clientKeyPEM: [UInt8]?
    /// Skip server certificate verification entirely (kubeconfig `insecure-skip-tls-verify`).
    public var insecureSkipVerify: Bool

    public init(
        trustedCAsPEM: [UInt8]? = nil, clientCertificatePEM: [UInt8]? = nil, clientKeyPEM: [UInt8]? = nil,
        insecureSkipVerify: Bool = false
    ) {
        self.trustedCAsPEM = trustedCAsPEM
        self.clientCertificatePEM = clientCertificatePEM
        self.clientKeyPEM = clientKeyPEM
        self.insecureSkipVerify = insecureSkipVerify
    }

    /// The swift-nio-ssl configuration for these settings.
    public func makeTLSConfiguration() throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let trustedCAsPEM {
            do {
                let certificates = try NIOSSLCertificate.fromPEMBytes(trustedCAsPEM)
                guard !certificates.isEmpty else { throw HTTPTransportError.invalidTLSMaterial("empty CA bundle") }
                configuration.trustRoots = .certificates(certificates)
            } catch let error as HTTPTransportError {
                throw error
            } catch {
                throw HTTPTransportError.invalidTLSMaterial("CA bundle is not PEM certificates")
            }
        }
        switch (clientCertificatePEM, clientKeyPEM) {
        case (nil, nil):
            break
        case (let certificate?, let key?):
            do {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMBytes(certificate).map { .certificate($0) }
            } catch {
                throw HTTPTransportError.invalidTLSMaterial("client certificate is not PEM")
            }
            do {
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: key, format: .pem))
            } catch {
                throw HTTPTransportError.invalidTLSMaterial("client key is not a PEM private key")
            }
        default:
            throw HTTPTransportError.invalidTLSMaterial("a client certificate needs both certificate and key")
        }
        if insecureSkipVerify {
            configuration.certificateVerification = .none
        }
        return configuration
    }
}

/// The production transport: AsyncHTTPClient with its own connection pool and TLS settings.
///
/// Call `shutdown()` before releasing it.
public final class AsyncHTTPClientTransport: HTTPTransport {
    private let client: HTTPClient

    /// - Parameters:
    ///   - tls: trust and client-certificate settings.
    ///   - connectTimeout: bound on establishing a connection.
    ///   - retriesFailedConnections: whether requests wait while the pool retries a failed
    ///     connection attempt (refused, reset, TLS handshake closed). AsyncHTTPClient's default
    ///     (true) keeps them waiting, with backoff, until each request's own timeout. With false a
    ///     failed attempt fails the requests waiting for it at once, with its error, so that the
    ///     caller's retry policy and deadline decide (providers: see ``TransportFactories``).
    public init(
        tls: TLSSettings = TLSSettings(), connectTimeout: Duration = .seconds(10), retriesFailedConnections: Bool = true
    ) throws {
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: try tls.makeTLSConfiguration(),
            timeout: .init(connect: .nanoseconds(connectTimeout.nanoseconds)),
            decompression: .disabled
        )
        configuration.httpVersion = .automatic
        configuration.connectionPool.retryConnectionEstablishment = retriesFailedConnections
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func stream(_ request: HTTPRequest, timeout: Duration) async throws -> HTTPStreamingResponse {
        var clientRequest = HTTPClientRequest(url: request.url)
        clientRequest.method = request.method
        clientRequest.headers = request.headers
        if let body = request.body {
            clientRequest.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await client.execute(clientRequest, timeout: .nanoseconds(timeout.nanoseconds))
        let chunks = response.body.map { buffer in Array(buffer.readableBytesView) }
        return HTTPStreamingResponse(status: response.status, headers: response.headers, body: HTTPBody(chunks))
    }

    /// Closes every connection. Requests in flight fail.
    public func shutdown() async throws {
        try await client.shutdown()
    }
}

