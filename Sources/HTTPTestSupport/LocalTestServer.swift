public import Hummingbird
public import HummingbirdCore
import Logging
import ServiceLifecycle

/// An HTTP server a test runs in its own process (Hummingbird), on a free loopback port.
/// `start` returns once the server listens; `stop` shuts it down gracefully.
public final class LocalTestServer: Sendable {
    /// The port it listens on, on 127.0.0.1.
    public let port: Int
    private let group: ServiceGroup

    private init(port: Int, group: ServiceGroup) {
        self.port = port
        self.group = group
    }

    /// `127.0.0.1:<port>`.
    public var host: String { "127.0.0.1:\(port)" }

    /// Serves `router` with `server` (plain HTTP/1.1 by default; `.tls(...)` from HummingbirdTLS
    /// for HTTPS) until `stop`.
    public static func start(
        _ router: Router<BasicRequestContext>, server: HTTPServerBuilder = .http1(), label: String
    ) async throws -> LocalTestServer {
        let logger = Logger(label: label)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let application = Application(
            router: router, server: server,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [application], logger: logger))
        Task { try? await group.run() }
        var bound = 0
        for await port in ports {
            bound = port
            break
        }
        return LocalTestServer(port: bound, group: group)
    }

    public func stop() async {
        await group.triggerGracefulShutdown()
    }
}
