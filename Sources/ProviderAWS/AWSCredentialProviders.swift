public import AWSSigV4
public import Foundation

/// Where AWS credentials come from. Implementations may do I/O (read a Secret, call STS); cache
/// them with `CachingCredentialProvider`.
public protocol AWSCredentialProvider: Sendable {
    func credentials() async throws -> AWSCredentials
}

/// Fixed credentials.
public struct StaticCredentialProvider: AWSCredentialProvider {
    public var value: AWSCredentials

    public init(_ value: AWSCredentials) { self.value = value }

    public func credentials() async throws -> AWSCredentials { value }
}

/// Credentials computed by a closure (a Secret read, an STS call).
public struct ClosureCredentialProvider: AWSCredentialProvider {
    private let body: @Sendable () async throws -> AWSCredentials

    public init(_ body: @escaping @Sendable () async throws -> AWSCredentials) { self.body = body }

    public func credentials() async throws -> AWSCredentials { try await body() }
}

/// Caches the credentials of another provider and fetches new ones before they expire, with at most
/// one fetch in flight: callers arriving during a fetch wait for it.
///
/// Guarantees: temporary credentials are refreshed `refreshMargin` before `expiration`;
/// credentials without an expiry are fetched again every `rereadInterval` (when set), so a rotated
/// key in a Secret is picked up. Caveat: if a refresh fails while the cached credentials have not
/// expired yet, those are returned and the next call tries again.
public actor CachingCredentialProvider: AWSCredentialProvider {
    private enum State {
        case empty
        case cached(AWSCredentials, refreshAt: Date)
        case fetching(Task<AWSCredentials, any Error>, id: UInt64, stale: AWSCredentials?)
    }

    private let source: any AWSCredentialProvider
    private let refreshMargin: TimeInterval
    private let rereadInterval: TimeInterval?
    private let now: @Sendable () -> Date
    private var state = State.empty
    private var nextID: UInt64 = 0

    /// The number of fetches from the source so far (for tests and debugging).
    public private(set) var fetchCount = 0

    public init(
        _ source: any AWSCredentialProvider, refreshMargin: TimeInterval = 300, rereadInterval: TimeInterval? = nil,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.source = source
        self.refreshMargin = refreshMargin
        self.rereadInterval = rereadInterval
        self.now = now
    }

    public func credentials() async throws -> AWSCredentials {
        switch state {
        case .cached(let credentials, let refreshAt) where now() < refreshAt:
            return credentials
        case .cached(let credentials, _):
            return try await fetch(stale: credentials)
        case .fetching(let task, _, _):
            return try await task.value
        case .empty:
            return try await fetch(stale: nil)
        }
    }

    /// Forgets the cached credentials (after AWS refused them); the next call fetches.
    public func invalidate() {
        if case .cached = state { state = .empty }
    }

    private func fetch(stale: AWSCredentials?) async throws -> AWSCredentials {
        nextID += 1
        let id = nextID
        fetchCount += 1
        let source = source
        let task = Task { try await source.credentials() }
        state = .fetching(task, id: id, stale: stale)
        do {
            let credentials = try await task.value
            if case .fetching(_, let current, _) = state, current == id {
                state = .cached(credentials, refreshAt: refreshTime(for: credentials))
            }
            return credentials
        } catch {
            let stillValid = stale.flatMap { credentials in
                credentials.expiration.map { now() < $0 } ?? true ? credentials : nil
            }
            if case .fetching(_, let current, _) = state, current == id {
                // Retry on the next call, not before.
                state = stillValid.map { .cached($0, refreshAt: now()) } ?? .empty
            }
            if let stillValid { return stillValid }
            throw error
        }
    }

    private func refreshTime(for credentials: AWSCredentials) -> Date {
        if let expiration = credentials.expiration {
            let lifetime = expiration.timeIntervalSince(now())
            // Short-lived credentials are refreshed at half their life rather than never used.
            return expiration.addingTimeInterval(-min(refreshMargin, max(0, lifetime / 2)))
        }
        if let rereadInterval { return now().addingTimeInterval(rereadInterval) }
        return .distantFuture
    }
}
