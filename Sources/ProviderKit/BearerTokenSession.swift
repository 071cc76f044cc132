public import Foundation

/// One bearer token (OAuth 2.0 access token) shared by every call of a store client.
///
/// Guarantees: one token request in flight at a time, shared by every caller waiting; the token is
/// renewed `renewalMargin` before it expires, or at once after the service refused it
/// (`invalidate`), never per call. Caveat: a failed token request is not cached; the next call
/// tries again.
public actor BearerTokenSession {
    private enum State {
        case empty
        case valid(token: String, expiry: Date)
        case refreshing(Task<(token: String, expiry: Date), any Error>)
    }

    /// Gets a fresh token and its expiry.
    public typealias Fetch = @Sendable () async throws -> (token: String, expiry: Date)

    private var state = State.empty
    private let fetch: Fetch
    private let now: @Sendable () -> Date
    private let renewalMargin: TimeInterval
    /// Who the tokens are for (an account, a client ID), for logs and messages.
    public nonisolated let holder: String

    public init(
        holder: String, renewalMargin: TimeInterval, now: @escaping @Sendable () -> Date, fetch: @escaping Fetch
    ) {
        self.holder = holder
        self.renewalMargin = renewalMargin
        self.now = now
        self.fetch = fetch
    }

    /// A valid access token.
    public func token() async throws -> String {
        switch state {
        case .valid(let token, let expiry) where expiry.timeIntervalSince(now()) > renewalMargin:
            return token
        case .refreshing(let task):
            return try await task.value.token
        default:
            let task = Task { [fetch] in try await fetch() }
            state = .refreshing(task)
            do {
                let fresh = try await task.value
                state = .valid(token: fresh.token, expiry: fresh.expiry)
                return fresh.token
            } catch {
                state = .empty
                throw error
            }
        }
    }

    /// Forgets `token` (the service answered 401 with it), unless a newer one replaced it already.
    public func invalidate(_ token: String) {
        if case .valid(let current, _) = state, current == token { state = .empty }
    }
}
