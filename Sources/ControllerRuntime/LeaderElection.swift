public import Foundation
import HTTPSupport
public import KubeClient
public import KubeModel
public import Logging
import Metrics
import ServiceLifecycle

/// Settings of leader election on a coordination.k8s.io/v1 Lease (client-go's defaults).
public struct LeaderElectionConfig: Sendable {
    public var leaseName: String
    public var namespace: String
    /// This replica's identity, written as the holder (hostname plus a random suffix).
    public var identity: String
    /// How long a lease stays valid after its last renewal, for the other replicas.
    public var leaseDuration: Duration
    /// How long the leader keeps trying to renew before it gives up leadership.
    public var renewDeadline: Duration
    /// How often to try to acquire or renew.
    public var retryPeriod: Duration

    public init(
        leaseName: String, namespace: String, identity: String, leaseDuration: Duration = .seconds(15),
        renewDeadline: Duration = .seconds(10), retryPeriod: Duration = .seconds(2)
    ) {
        self.leaseName = leaseName
        self.namespace = namespace
        self.identity = identity
        self.leaseDuration = leaseDuration
        self.renewDeadline = renewDeadline
        self.retryPeriod = retryPeriod
    }
}

/// The decision of one leader-election round, made without I/O.
///
/// Like client-go, expiry is judged by when *this replica* last saw the lease change (a local,
/// monotonic observation), never by comparing the holder's written timestamps with our clock, so
/// clock skew between nodes cannot cause two leaders.
public enum LeaseDecision: Equatable, Sendable {
    /// No Lease exists: create it with us as holder.
    case create(LeaseSpec)
    /// Write this spec (acquire an expired or released lease, or renew ours) with the read
    /// resourceVersion as precondition.
    case update(LeaseSpec)
    /// Another replica holds a valid lease.
    case wait(holder: String)

    /// Decides what to do with the `current` Lease.
    /// - Parameters:
    ///   - observedUnchangedFor: how long ago this replica first saw the lease's current
    ///     holder/renewTime (nil if it changed just now or was never seen).
    ///   - now: wall-clock time written into the lease.
    public static func decide(
        current: LeaseSpec?, exists: Bool, identity: String, leaseDuration: Duration,
        observedUnchangedFor: Duration?, now: Date
    ) -> LeaseDecision {
        let seconds = Int32(leaseDuration.components.seconds)
        guard exists, let current else {
            return .create(
                LeaseSpec(
                    holderIdentity: identity, leaseDurationSeconds: seconds, acquireTime: MicroTime(now),
                    renewTime: MicroTime(now), leaseTransitions: 0))
        }
        let holder = current.holderIdentity ?? ""
        if holder == identity {
            var renewed = current
            renewed.renewTime = MicroTime(now)
            renewed.leaseDurationSeconds = seconds
            return .update(renewed)
        }
        let heldFor = Duration.seconds(Int64(current.leaseDurationSeconds ?? seconds))
        let expired = holder.isEmpty || (observedUnchangedFor.map { $0 >= heldFor } ?? false)
        guard expired else { return .wait(holder: holder) }
        return .update(
            LeaseSpec(
                holderIdentity: identity, leaseDurationSeconds: seconds, acquireTime: MicroTime(now),
                renewTime: MicroTime(now), leaseTransitions: (current.leaseTransitions ?? 0) + (holder.isEmpty ? 0 : 1)))
    }
}

/// Runs leader election: `whileLeading` runs only while this replica holds the Lease.
///
/// Guarantees: `whileLeading` starts after the Lease was written with us as holder; it is
/// cancelled as soon as a renewal has failed for `renewDeadline` (before any other replica can
/// consider the lease expired, since `renewDeadline < leaseDuration`); on graceful shutdown the
/// lease is released (holder cleared) so another replica takes over at once. Graceful shutdown
/// reaches `whileLeading` (it runs in this task's tree) and is expected to make it return; a
/// standby replica stops waiting for the lease at once and `run` returns normally.
/// Caveat: after losing the lease, `run` throws `LeaderElectionLost`; the process should exit.
public struct LeaseElector<C: Clock>: Sendable where C.Duration == Duration {
    let client: KubeClient
    let config: LeaderElectionConfig
    let clock: C
    /// Bounds each renewal (a cancelled bound is forgotten at once).
    let renewalTimer: DeadlineTimer<C>
    let now: @Sendable () -> Date
    let logger: Logger
    let onLeadershipChange: @Sendable (Bool) -> Void

    public init(
        client: KubeClient, config: LeaderElectionConfig, clock: C, now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger, onLeadershipChange: @escaping @Sendable (Bool) -> Void = { _ in }
    ) {
        self.client = client
        self.config = config
        self.clock = clock
        self.renewalTimer = DeadlineTimer(clock: clock)
        self.now = now
        self.logger = logger
        self.onLeadershipChange = onLeadershipChange
    }

    /// Leadership was lost while leading.
    public struct LeaderElectionLost: Error, CustomStringConvertible {
        public var description: String
    }

    private struct Observation {
        var holder: String?
        var renewTime: MicroTime?
        var since: C.Instant
    }

    /// Waits to acquire the lease, runs `whileLeading` while renewing it, and returns when
    /// `whileLeading` returns (after releasing the lease) or throws when leadership is lost.
    /// Returns without leading when graceful shutdown comes while it waits for the lease.
    public func run(whileLeading: @escaping @Sendable () async throws -> Void) async throws {
        do {
            try await cancelWhenGracefulShutdown { try await self.acquire() }
        } catch is CancellationError where Task.isShuttingDownGracefully {
            logger.info(
                "shutting down before acquiring the lease", metadata: ["lease": "\(config.namespace)/\(config.leaseName)"])
            return
        }
        try await lead(whileLeading)
    }

    /// Returns once this replica holds the lease.
    private func acquire() async throws {
        var observation: Observation?
        while true {
            try Task.checkCancellation()
            do {
                if try await tryAcquireOrRenew(observation: &observation) { break }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                // A standby replica rides out API server hiccups; it only retries.
                logger.warning("could not read or write the lease; retrying", metadata: ["error": "\(error)"])
            }
            try await clock.sleep(for: config.retryPeriod)
        }
    }

    /// Runs `whileLeading` while renewing the lease; releases it when `whileLeading` ends.
    private func lead(_ whileLeading: @escaping @Sendable () async throws -> Void) async throws {
        logger.info("became leader", metadata: ["lease": "\(config.namespace)/\(config.leaseName)"])
        let leaderGauge = Gauge(label: "leader_election_master_status", dimensions: [("name", config.leaseName)])
        leaderGauge.record(1)
        onLeadershipChange(true)
        defer {
            leaderGauge.record(0)
            onLeadershipChange(false)
        }

        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await whileLeading()
                return true
            }
            group.addTask {
                try await renewLoop()
                return false
            }
            do {
                let finishedWork = try await group.next() ?? true
                group.cancelAll()
                if finishedWork {
                    await releaseIgnoringCancellation()
                } else {
                    throw LeaderElectionLost(description: "lost the lease \(config.namespace)/\(config.leaseName)")
                }
            } catch {
                group.cancelAll()
                if !(error is LeaderElectionLost) { await releaseIgnoringCancellation() }
                throw error
            }
        }
    }

    /// Renews every retryPeriod; returns (leadership lost) once renewals failed for renewDeadline.
    private func renewLoop() async throws {
        var lastRenewal = clock.now
        var observation: Observation?
        while true {
            try await clock.sleep(for: config.retryPeriod)
            let renewed: Bool
            do {
                // Bounded by what is left of the renew deadline (as controller-runtime's renew
                // context): an API call that hangs must not keep a deposed leader running.
                let left = config.renewDeadline - lastRenewal.duration(to: clock.now)
                renewed = try await renewing(within: max(left, config.retryPeriod), observation: observation)
                    .map { observation = $0.observation; return $0.renewed } ?? false
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                logger.warning("lease renewal failed", metadata: ["error": "\(error)"])
                renewed = false
            }
            if renewed {
                lastRenewal = clock.now
            } else if lastRenewal.duration(to: clock.now) >= config.renewDeadline {
                logger.error(
                    "leadership lost: could not renew the lease within the renew deadline",
                    metadata: ["lease": "\(config.namespace)/\(config.leaseName)"])
                return
            }
        }
    }

    /// One `tryAcquireOrRenew` round that may take at most `limit`; nil when it did not finish
    /// in time (it is cancelled).
    private func renewing(within limit: Duration, observation: Observation?) async throws
        -> (renewed: Bool, observation: Observation?)?
    {
        try await renewalTimer.run(timeout: limit) {
            var observed = observation
            let renewed = try await self.tryAcquireOrRenew(observation: &observed)
            return (renewed, observed)
        }
    }

    /// One round: true when we hold the lease afterwards.
    private func tryAcquireOrRenew(observation: inout Observation?) async throws -> Bool {
        let leases = client.api(Lease.self, namespace: config.namespace)
        let existing = try await leases.getIfExists(config.leaseName)
        let spec = existing?.spec
        let instant = clock.now
        if observation == nil || observation?.holder != spec?.holderIdentity || observation?.renewTime != spec?.renewTime {
            observation = Observation(holder: spec?.holderIdentity, renewTime: spec?.renewTime, since: instant)
        }
        let unchangedFor = observation.map { $0.since.duration(to: instant) }
        let decision = LeaseDecision.decide(
            current: spec, exists: existing != nil, identity: config.identity, leaseDuration: config.leaseDuration,
            observedUnchangedFor: unchangedFor, now: now())
        do {
            switch decision {
            case .create(let spec):
                _ = try await leases.create(
                    Lease(metadata: ObjectMeta(name: config.leaseName, namespace: config.namespace), spec: spec))
                return true
            case .update(let spec):
                guard var lease = existing else { return false }
                lease.spec = spec
                _ = try await leases.replace(lease)
                return true
            case .wait:
                return false
            }
        } catch let error as KubeAPIError where error.isConflict || error.isAlreadyExists {
            // Another replica wrote first.
            return false
        }
    }

    /// Releases the lease even when the surrounding task is being cancelled (graceful shutdown
    /// cancels it, and the release must still reach the server).
    private func releaseIgnoringCancellation() async {
        await Task { await release() }.value
    }

    /// Clears the holder so another replica can take over without waiting for expiry.
    private func release() async {
        let leases = client.api(Lease.self, namespace: config.namespace)
        do {
            guard var lease = try await leases.getIfExists(config.leaseName),
                lease.spec?.holderIdentity == config.identity
            else { return }
            lease.spec?.holderIdentity = ""
            lease.spec?.leaseDurationSeconds = 1
            lease.spec?.renewTime = MicroTime(now())
            _ = try await leases.replace(lease)
            logger.info("released the lease", metadata: ["lease": "\(config.namespace)/\(config.leaseName)"])
        } catch {
            logger.warning("could not release the lease", metadata: ["error": "\(error)"])
        }
    }
}
