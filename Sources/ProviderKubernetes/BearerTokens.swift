import Foundation
import HTTPSupport
import KubeClient
import NIOHTTP1

/// A bearer token fetched on demand and fetched again once it is due for renewal, or after the
/// server refused it. At most one fetch is in flight; concurrent callers share its result.
///
/// Guarantees: the token lives only in this actor and in request headers; it is dropped when the
/// client is closed. Caveats: a fetch that fails is not cached, so the next request retries it.
actor RefreshingToken: BearerTokenProvider {
    /// A freshly fetched token and the moment it should be replaced.
    struct Issued: Sendable {
        var token: String
        var renewAt: Date
    }

    typealias Fetch = @Sendable () async throws -> Issued

    private let fetch: Fetch
    private let now: @Sendable () -> Date
    private var cached: Issued?
    private var inFlight: Task<Issued, any Error>?

    init(now: @escaping @Sendable () -> Date, fetch: @escaping Fetch) {
        self.fetch = fetch
        self.now = now
    }

    /// Starts with a token already fetched (makeClient fetches once to fail early).
    init(initial: Issued, now: @escaping @Sendable () -> Date, fetch: @escaping Fetch) {
        self.fetch = fetch
        self.now = now
        self.cached = initial
    }

    func token() async throws -> String {
        if let cached, now() < cached.renewAt { return cached.token }
        if let inFlight { return try await inFlight.value.token }
        let task = Task { try await fetch() }
        inFlight = task
        defer { inFlight = nil }
        let issued = try await task.value
        cached = issued
        return issued.token
    }

    func invalidate() async { cached = nil }

    /// Forgets the token (client closed).
    func clear() {
        cached = nil
        inFlight?.cancel()
        inFlight = nil
    }
}

/// When to renew a ServiceAccount token: at 80% of its lifetime (as the kubelet does for
/// projected tokens), read from the JWT's `iat` and `exp` claims. A token whose claims cannot be
/// read is renewed after `fallbackLifetime`.
enum TokenLifetime {
    static let renewFraction = 0.8
    /// The lifetime assumed for a token without readable claims. The reference reader asks the
    /// TokenRequest API for 600 s; renewing after 4 minutes stays well inside that.
    static let fallbackLifetime: TimeInterval = 240

    static func renewalTime(of token: String, fetchedAt: Date) -> Date {
        guard let claims = claims(of: token), let expiry = claims.exp else {
            return fetchedAt.addingTimeInterval(fallbackLifetime)
        }
        let issued = claims.iat.map { Date(timeIntervalSince1970: $0) } ?? fetchedAt
        let expires = Date(timeIntervalSince1970: expiry)
        let lifetime = expires.timeIntervalSince(issued)
        guard lifetime > 0 else { return fetchedAt }
        return issued.addingTimeInterval(lifetime * renewFraction)
    }

    private struct Claims: Decodable {
        var exp: Double?
        var iat: Double?
    }

    /// The `exp` and `iat` claims of a JWT, read without verifying it (the API server does that).
    private static func claims(of token: String) -> Claims? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var payload = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while payload.count % 4 != 0 { payload += "=" }
        guard let data = Data(base64Encoded: payload) else { return nil }
        return try? JSONDecoder().decode(Claims.self, from: data)
    }
}

/// Middleware that sets `Authorization: Bearer` from a token provider and, when the server
/// answers 401, renews the token and sends the request once more.
struct BearerTokenTransport: HTTPTransport {
    let inner: any HTTPTransport
    let tokens: any BearerTokenProvider

    func stream(_ request: HTTPRequest, timeout: Duration) async throws -> HTTPStreamingResponse {
        var request = request
        request.headers.replaceOrAdd(name: "Authorization", value: "Bearer \(try await tokens.token())")
        let response = try await inner.stream(request, timeout: timeout)
        guard response.status == .unauthorized else { return response }
        // The refusal's body is small; read it so the connection can be reused.
        _ = try? await response.collect(upTo: 64 << 10)
        await tokens.invalidate()
        request.headers.replaceOrAdd(name: "Authorization", value: "Bearer \(try await tokens.token())")
        return try await inner.stream(request, timeout: timeout)
    }
}
