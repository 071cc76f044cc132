public import ServiceLifecycle

/// Runs `service` only while `elector` holds the lease (controllers need the lease; probes and
/// metrics do not). Graceful shutdown stops the service, then releases the lease. Losing the
/// lease ends `run` with `LeaderElectionLost`, which should end the process.
public struct LeaderElectedService<C: Clock>: Service where C.Duration == Duration {
    let elector: LeaseElector<C>
    let service: any Service

    public init(elector: LeaseElector<C>, service: any Service) {
        self.elector = elector
        self.service = service
    }

    public func run() async throws {
        let service = self.service
        try await cancelWhenGracefulShutdown {
            try await elector.run { try await service.run() }
        }
    }
}
