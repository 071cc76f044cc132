import Foundation
import ProviderKit

/// A Vault token as issued by a login (or read from a Secret).
struct VaultToken: Sendable, Equatable {
    var value: String
    /// Seconds the token lives after `obtainedAt`; 0 means it does not expire.
    var lease: TimeInterval
    var renewable: Bool
    var obtainedAt: Date
}

/// When a cached token is used, renewed or replaced. Pure, so every rule has a plain test.
///
/// - A token from a login is renewed after two thirds of its lease (if renewable), and replaced by
///   a new login once renewal is not possible or fails. A renewal that grants less than half of
///   what was asked (the token nears its max TTL) makes the next due point a new login.
/// - A token read from a Secret is never renewed (it belongs to the user); the Secret is read
///   again every `secretRereadInterval`, so a rotated token is picked up without a store change.
enum TokenSchedule {
    enum Plan: Equatable {
        case use
        case renew
        case replace
    }

    static let renewFraction = 2.0 / 3.0
    static let secretRereadInterval: TimeInterval = 300
    /// A token this close to its end is not used any more (a tenth of the lease for short ones).
    static let expiryMargin: TimeInterval = 5

    static func margin(_ lease: TimeInterval) -> TimeInterval { min(expiryMargin, lease / 10) }

    static func plan(_ token: VaultToken, logsIn: Bool, now: Date) -> Plan {
        let age = now.timeIntervalSince(token.obtainedAt)
        guard logsIn else { return age < secretRereadInterval ? .use : .replace }
        if token.lease <= 0 { return .use }
        if age < token.lease * renewFraction { return .use }
        if token.renewable && age < token.lease - margin(token.lease) { return .renew }
        return .replace
    }

    /// Whether the token may still be sent (a failed renewal or login falls back to it).
    static func isUsable(_ token: VaultToken, logsIn: Bool, now: Date) -> Bool {
        let age = now.timeIntervalSince(token.obtainedAt)
        guard logsIn else { return age < secretRereadInterval }
        return token.lease <= 0 || age < token.lease - margin(token.lease)
    }
}

/// The token of one store client: obtained on first use, renewed or replaced when
/// `TokenSchedule` says so, and dropped when Vault no longer accepts it. At most one login or
/// renewal is in flight; concurrent callers share it. So a client used by any number of
/// ExternalSecrets logs in once and then only when its token must be replaced.
///
/// Guarantees: the token value lives only here and in request headers; it never appears in a
/// log or an error. A replaced login token is revoked (best effort), as is the last one when
/// the client closes, so tokens do not pile up in Vault (ESO#376). A token read from a Secret is
/// never revoked.
actor VaultTokenSession {
    typealias Login = @Sendable () async throws -> VaultToken
    typealias Renew = @Sendable (VaultToken) async throws -> VaultToken
    typealias Revoke = @Sendable (VaultToken) async -> Void

    private let logsIn: Bool
    private let now: @Sendable () -> Date
    private let login: Login
    private let renew: Renew
    private let revoke: Revoke
    private var current: VaultToken?
    private var inFlight: Task<VaultToken, any Error>?
    private var closed = false
    /// How many tokens this session obtained (logins, or reads of a token Secret that gave a
    /// new token), and how many times it kept its token (renewals, or re-reads of an unchanged
    /// token Secret).
    private(set) var logins = 0
    private(set) var renewals = 0

    init(
        logsIn: Bool, now: @escaping @Sendable () -> Date, login: @escaping Login, renew: @escaping Renew,
        revoke: @escaping Revoke
    ) {
        self.logsIn = logsIn
        self.now = now
        self.login = login
        self.renew = renew
        self.revoke = revoke
    }

    /// A token to send now.
    func token() async throws -> String {
        guard !closed else {
            throw ProviderError(
                .unavailable, "the store's Vault client was closed (the store changed); the next attempt uses a new one"
            )
        }
        let plan = current.map { TokenSchedule.plan($0, logsIn: logsIn, now: now()) }
        if plan == .use, let current { return current.value }
        let task: Task<VaultToken, any Error>
        if let inFlight {
            task = inFlight
        } else {
            let previous = current
            let (login, renew) = (self.login, self.renew)
            task = Task {
                if plan == .renew, let previous, let renewed = try? await renew(previous) { return renewed }
                return try await login()
            }
            inFlight = task
        }
        do {
            let issued = try await task.value
            if inFlight == task {
                inFlight = nil
                let previous = current
                current = issued
                if issued.value == previous?.value {
                    renewals += 1
                } else {
                    logins += 1
                    if logsIn, let previous, TokenSchedule.isUsable(previous, logsIn: true, now: now()) {
                        let revoke = self.revoke
                        Task { await revoke(previous) }
                    }
                }
            }
            return issued.value
        } catch {
            if inFlight == task { inFlight = nil }
            // Renewal is early on purpose: while the old token is still good, a failed login
            // (Vault briefly away) does not fail the request. It is tried again next time.
            if let current, TokenSchedule.isUsable(current, logsIn: logsIn, now: now()) { return current.value }
            throw error
        }
    }

    /// Forgets `value` if it is still the current token (Vault no longer accepts it), so the
    /// next `token()` logs in again.
    func invalidate(_ value: String) {
        if current?.value == value { current = nil }
    }

    /// Revokes a login token and forgets it. The session is not used afterwards.
    func close() async {
        closed = true
        inFlight?.cancel()
        inFlight = nil
        if logsIn, let current, TokenSchedule.isUsable(current, logsIn: true, now: now()) { await revoke(current) }
        current = nil
    }
}
