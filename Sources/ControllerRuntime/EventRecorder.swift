public import Foundation
import HTTPSupport
public import KubeClient
public import KubeModel
public import Logging

/// `Normal` or `Warning`, as Events are typed.
public enum EventType: String, Sendable {
    case normal = "Normal"
    case warning = "Warning"
}

/// Records core/v1 Events (what `kubectl describe` shows) with client-go's aggregation, so a hot
/// reconcile loop cannot flood the API server:
/// - a repeat of the same (object, type, reason, message) increments `count` and `lastTimestamp`
///   of the existing Event instead of creating a new one;
/// - each object has a token bucket (burst 25, one token per 5 minutes, as client-go's spam
///   filter); Events past it are dropped and logged at debug level.
///
/// Caveat: messages are written as given; callers must never put secret values in them.
public actor EventRecorder<C: Clock> where C.Duration == Duration {
    private struct Key: Hashable {
        var object: String
        var type: EventType
        var reason: String
        var message: String
    }

    private struct Recorded {
        var name: String
        var namespace: String
        var count: Int32
        var firstTimestamp: KubeTime
    }

    private struct Bucket {
        var tokens: Double
        var last: C.Instant
    }

    private let client: KubeClient
    private let component: String
    private let host: String?
    private let clock: C
    private let now: @Sendable () -> Date
    private let logger: Logger
    private let burst: Double
    private let refillEvery: Duration
    private let maxRemembered: Int
    private var recorded: [Key: Recorded] = [:]
    private var buckets: [String: Bucket] = [:]

    public init(
        client: KubeClient, component: String, host: String? = nil, clock: C,
        now: @escaping @Sendable () -> Date = { Date() }, logger: Logger, burst: Int = 25,
        refillEvery: Duration = .seconds(300), maxRemembered: Int = 4096
    ) {
        self.client = client
        self.component = component
        self.host = host
        self.clock = clock
        self.now = now
        self.logger = logger
        self.burst = Double(burst)
        self.refillEvery = refillEvery
        self.maxRemembered = maxRemembered
    }

    /// An Event waiting to be sent.
    private struct Pending {
        var key: Key
        var reference: ObjectReference
        var timestamp: KubeTime
    }

    /// Events recorded and not yet sent, per sender lane (an object's Events always go to the
    /// same lane, so they are sent in order and aggregate exactly), oldest first from `head`.
    private struct Lane {
        var queue: [Pending] = []
        var head = 0
        var sending = false
        var count: Int { queue.count - head }
    }

    private var lanes = [Lane](repeating: Lane(), count: 4)
    private var flushWaiters: [CheckedContinuation<Void, Never>] = []
    /// Beyond this many queued Events new ones are dropped (client-go's broadcaster holds 1,000;
    /// a first sync of 10,000 ExternalSecrets needs more while the senders catch up).
    private let maxQueued = 10_000

    /// Records an Event about `object` and returns at once: four senders send the queued Events
    /// (each object's in order, so repeats are aggregated exactly as if sent synchronously), off
    /// the reconcile's path, as client-go's broadcaster does. Failures are logged, never thrown:
    /// an Event is never worth failing a reconcile. Caveat: Events still queued when the process
    /// exits are lost.
    public func record(_ type: EventType, reason: String, message: String, about object: some KubeObject) async {
        let reference = ObjectReference(to: object)
        let objectKey = "\(reference.namespace ?? "")/\(reference.kind ?? "")/\(reference.name ?? "")/\(reference.uid ?? "")"
        guard takeToken(for: objectKey) else {
            logger.debug("event dropped by the spam filter", metadata: ["object": "\(objectKey)", "reason": "\(reason)"])
            return
        }
        guard lanes.reduce(0, { $0 + $1.count }) < maxQueued else {
            logger.debug("event dropped: the send queue is full", metadata: ["object": "\(objectKey)", "reason": "\(reason)"])
            return
        }
        var hasher = Hasher()
        hasher.combine(objectKey)
        let lane = Int(UInt(bitPattern: hasher.finalize()) % UInt(lanes.count))
        lanes[lane].queue.append(
            Pending(
                key: Key(object: objectKey, type: type, reason: reason, message: message), reference: reference,
                timestamp: KubeTime(now())))
        guard !lanes[lane].sending else { return }
        lanes[lane].sending = true
        Task { await self.sendQueued(lane: lane) }
    }

    /// Returns once every Event recorded so far has been sent (or has failed).
    public func flush() async {
        guard lanes.contains(where: \.sending) else { return }
        await withCheckedContinuation { flushWaiters.append($0) }
    }

    /// A lane's one sender: sends until the lane's queue is empty.
    private func sendQueued(lane index: Int) async {
        while lanes[index].head < lanes[index].queue.count {
            let next = lanes[index].queue[lanes[index].head]
            lanes[index].head += 1
            if lanes[index].head >= 64, lanes[index].head * 2 >= lanes[index].queue.count {
                lanes[index].queue.removeFirst(lanes[index].head)
                lanes[index].head = 0
            }
            await send(next)
        }
        lanes[index] = Lane()
        guard !lanes.contains(where: \.sending) else { return }
        let waiters = flushWaiters
        flushWaiters = []
        for waiter in waiters { waiter.resume() }
    }

    private func send(_ pending: Pending) async {
        let (key, reference, timestamp) = (pending.key, pending.reference, pending.timestamp)
        let namespace = reference.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        let events = client.api(CoreEvent.self, namespace: namespace)
        do {
            if var previous = recorded[key] {
                previous.count += 1
                do {
                    _ = try await events.patch(
                        previous.name,
                        .merge(["count": .integer(Int64(previous.count)), "lastTimestamp": .string(timestamp.description)]))
                    recorded[key] = previous
                    return
                } catch let error as KubeAPIError where error.isNotFound {
                    recorded[key] = nil  // expired on the server: create a new one below
                }
            }
            var event = CoreEvent(
                metadata: ObjectMeta(
                    name: "\(reference.name ?? "object").\(Self.uniqueSuffix())", namespace: namespace),
                involvedObject: reference, reason: key.reason, message: key.message, type: key.type.rawValue)
            event.count = 1
            event.firstTimestamp = timestamp
            event.lastTimestamp = timestamp
            event.source = EventSource(component: component, host: host)
            event.reportingComponent = component
            event.reportingInstance = host
            let created = try await events.create(event, skippingManagedFields: true)
            remember(key, Recorded(name: created.metadata.name ?? "", namespace: namespace, count: 1, firstTimestamp: timestamp))
        } catch {
            logger.warning(
                "could not record event",
                metadata: ["object": "\(key.object)", "reason": "\(key.reason)", "error": "\(error)"])
        }
    }

    private func takeToken(for object: String) -> Bool {
        let instant = clock.now
        var bucket = buckets[object] ?? Bucket(tokens: burst, last: instant)
        let refill = bucket.last.duration(to: instant).seconds / refillEvery.seconds
        bucket.tokens = min(burst, bucket.tokens + refill)
        bucket.last = instant
        guard bucket.tokens >= 1 else {
            buckets[object] = bucket
            return false
        }
        bucket.tokens -= 1
        buckets[object] = bucket
        if buckets.count > maxRemembered { pruneBuckets(now: instant) }
        return true
    }

    /// Forgets buckets that have refilled (the same as new ones), then, if still more than half
    /// of `maxRemembered` are left, the least recently used down to half (client-go's spam filter
    /// is an LRU of 4,096 objects). Called once per `maxRemembered / 2` new objects at most, so
    /// its cost is spread (filtering every call once 4,096 objects had a bucket took a quarter
    /// of the operator's CPU in a 10,000-object first sync).
    private func pruneBuckets(now instant: C.Instant) {
        buckets = buckets.filter { entry in
            entry.value.tokens + entry.value.last.duration(to: instant).seconds / refillEvery.seconds < burst
        }
        guard buckets.count > maxRemembered / 2 else { return }
        let recent = buckets.sorted { $0.value.last > $1.value.last }.prefix(maxRemembered / 2)
        buckets = Dictionary(uniqueKeysWithValues: recent.map { ($0.key, $0.value) })
    }

    private func remember(_ key: Key, _ value: Recorded) {
        if recorded.count >= maxRemembered { recorded.removeAll(keepingCapacity: true) }
        recorded[key] = value
    }

    /// A suffix making Event names unique, as client-go does with the timestamp in hex.
    private static func uniqueSuffix() -> String {
        String(UInt64(Date().timeIntervalSince1970 * 1_000_000_000), radix: 16) + String(UInt32.random(in: 0...0xFFFF), radix: 16)
    }
}
