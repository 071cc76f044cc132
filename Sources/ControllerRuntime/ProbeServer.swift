import Hummingbird
public import Logging
import NIOCore
public import ServiceLifecycle

/// An HTTP listen address in ESO's flag form: `:8080` (every interface) or `host:port`.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `:8080`, `0.0.0.0:8080` or `127.0.0.1:0`; nil for anything else.
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        let host = String(text[..<colon])
        self.init(host: host.isEmpty ? "0.0.0.0" : host, port: port)
    }

    public var description: String { "\(host):\(port)" }
}

/// The always-on HTTP endpoints of the operator (they run whether or not this replica leads):
/// `/healthz` (the process is alive), `/readyz` (caches synced; 503 before) and, when a
/// renderer is given, `/metrics` in the Prometheus text format.
public struct ProbeServer: Service {
    let address: ListenAddress
    let isReady: @Sendable () -> Bool
    let renderMetrics: (@Sendable () -> String)?
    let logger: Logger
    let onListening: @Sendable (Int) async -> Void

    /// - Parameters:
    ///   - renderMetrics: the metrics backend's exposition (the executable picks the backend).
    ///   - onListening: told the bound port once the server listens (useful with port 0).
    public init(
        address: ListenAddress, isReady: @escaping @Sendable () -> Bool,
        renderMetrics: (@Sendable () -> String)? = nil, logger: Logger,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.address = address
        self.isReady = isReady
        self.renderMetrics = renderMetrics
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let router = Router()
        router.get("healthz") { _, _ in "ok" }
        let isReady = self.isReady
        router.get("readyz") { _, _ -> Response in
            isReady()
                ? Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "ok")))
                : Response(
                    status: .serviceUnavailable, body: ResponseBody(byteBuffer: ByteBuffer(string: "caches not synced")))
        }
        if let renderMetrics {
            router.get("metrics") { _, _ -> Response in
                Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: renderMetrics())))
            }
        }
        let onListening = self.onListening
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(address.host, port: address.port)),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
        // `run()`, not `runService()`: the latter starts a ServiceGroup of its own that catches
        // SIGTERM itself, so the server stopped before the operator's group told it to and the
        // group reported it as failed (exit status 1 on every rollout). `run()` follows the
        // graceful shutdown of the group this service runs in.
        try await application.run()
    }
}
