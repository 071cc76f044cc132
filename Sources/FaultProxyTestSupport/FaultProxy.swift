import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A TCP proxy on 127.0.0.1 between a client under test and a real server, whose behaviour a
/// test switches at runtime to play a failing server. Used only by tests.
///
/// Guarantees: a mode applies to every connection accepted after it was set; setting a mode
/// closes every connection open until then (pooled keep-alive connections included), so the
/// client's next request meets the new mode. `stop()` closes the listener and every connection.
/// Caveat: no back-pressure in `pass` mode (test traffic is small).
public final class FaultProxy: Sendable {
    /// How the proxy treats a connection.
    public enum Mode: String, Sendable, CaseIterable {
        /// Relay bytes both ways to the upstream server.
        case pass
        /// Accept, read and discard, never answer, never close: a hung server.
        case hang
        /// Accept and close at once: nothing listens (or the server resets connections).
        case refuse
        /// Complete TLS with the upstream's own certificate and answer every request with
        /// `503 Service Unavailable` (needs `serverTLS`).
        case unavailable
    }

    /// The port the proxy listens on.
    public let port: Int
    private let channel: any Channel
    private let shared: Shared

    struct State {
        var mode: Mode = .pass
        var open: [ObjectIdentifier: any Channel] = [:]
        var accepted: [Mode: Int] = [:]
    }

    /// The state the listener's connections share.
    final class Shared: Sendable {
        let state = Mutex(State())
    }

    /// Starts a proxy to `upstreamHost:upstreamPort` in `pass` mode.
    ///
    /// - Parameter serverTLS: PEM certificate chain and key to serve TLS with in `unavailable`
    ///   mode (for a TLS upstream, its own certificate, so clients trust the answer).
    public init(upstreamHost: String, upstreamPort: Int, serverTLS: (certificatePEM: [UInt8], keyPEM: [UInt8])? = nil)
        async throws
    {
        let shared = Shared()
        let tls: NIOSSLContext?
        if let serverTLS {
            let configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMBytes(serverTLS.certificatePEM).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: serverTLS.keyPEM, format: .pem)))
            tls = try NIOSSLContext(configuration: configuration)
        } else {
            tls = nil
        }
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { inbound in
                let mode = shared.state.withLock { state -> Mode in
                    state.accepted[state.mode, default: 0] += 1
                    state.open[ObjectIdentifier(inbound)] = inbound
                    return state.mode
                }
                inbound.closeFuture.whenComplete { _ in
                    _ = shared.state.withLock { $0.open.removeValue(forKey: ObjectIdentifier(inbound)) }
                }
                return Self.setUp(inbound, mode: mode, tls: tls, upstream: (upstreamHost, upstreamPort))
            }
        self.channel = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        self.port = channel.localAddress?.port ?? 0
        self.shared = shared
    }

    /// The current mode; setting it closes every open connection.
    public var mode: Mode {
        get { shared.state.withLock { $0.mode } }
        set {
            let open = shared.state.withLock { state -> [any Channel] in
                state.mode = newValue
                defer { state.open.removeAll() }
                return Array(state.open.values)
            }
            for channel in open { channel.close(promise: nil) }
        }
    }

    /// Connections accepted in each mode since the proxy started.
    public func accepted(in mode: Mode) -> Int { shared.state.withLock { $0.accepted[mode, default: 0] } }

    /// Stops listening and closes every connection.
    public func stop() async {
        mode = .refuse
        try? await channel.close()
    }

    private static func setUp(
        _ inbound: any Channel, mode: Mode, tls: NIOSSLContext?, upstream: (host: String, port: Int)
    ) -> EventLoopFuture<Void> {
        switch mode {
        case .refuse:
            return inbound.close()
        case .hang:
            return inbound.eventLoop.makeCompletedFuture { try inbound.pipeline.syncOperations.addHandler(Discard()) }
        case .unavailable:
            guard let tls else { return inbound.close() }
            return inbound.eventLoop.makeCompletedFuture {
                let pipeline = inbound.pipeline.syncOperations
                try pipeline.addHandler(NIOSSLServerHandler(context: tls))
                try pipeline.configureHTTPServerPipeline()
                try pipeline.addHandler(ServiceUnavailable())
            }
        case .pass:
            return ClientBootstrap(group: inbound.eventLoop)
                .channelInitializer { outbound in
                    outbound.eventLoop.makeCompletedFuture {
                        try outbound.pipeline.syncOperations.addHandler(Relay(partner: inbound))
                    }
                }
                .connect(host: upstream.host, port: upstream.port)
                .flatMapThrowing { outbound in
                    inbound.closeFuture.whenComplete { _ in outbound.close(promise: nil) }
                    try inbound.pipeline.syncOperations.addHandler(Relay(partner: outbound))
                }
        }
    }
}

/// Writes what one side reads to the other side; closes the other side when this one closes.
private final class Relay: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let partner: any Channel

    init(partner: any Channel) { self.partner = partner }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner.writeAndFlush(unwrapInboundIn(data), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// Reads and drops everything; answers nothing.
private final class Discard: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// Answers every HTTP request with 503 and Vault's error body shape, then closes.
private final class ServiceUnavailable: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data) else { return }
        let body = ByteBuffer(string: #"{"errors":["fault proxy: service unavailable"]}"#)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: "\(body.readableBytes)")
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .serviceUnavailable, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
