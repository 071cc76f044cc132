public import ServiceLifecycle

/// Runs `service` only while `elector` holds the lease (controllers need the lease; probes and
/// metrics do not). Graceful shutdown reaches the service (which returns once drained), then the
/// lease is released and `run` returns normally; a standby replica returns at once. Losing the
/// lease ends `run` with `LeaderElectionLost`, which should end the process.
public struct LeaderElectedService<C: Clock>: Service where C.Duration == Duration {
    let elector: LeaseElector<C>
    let service: any Service

    public init(elector: LeaseElector<C>, service: any Service) {
        self.elector = elector
        self.service = service
    }

    public func run() async throws {
        // Not `cancelWhenGracefulShutdown`: that cancelled the service instead of letting it drain,
        // and the CancellationError made the group report a failure (exit status 1).
        let service = self.service
        try await elector.run { try await service.run() }
    }
}
