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
    /// A freshly fetched token, when it should be replaced, and until when it may still be used
    /// if replacing it fails.
    struct Issued: Sendable {
        var token: String
        var renewAt: Date
        var expiresAt: Date
    }

    typealias Fetch = @Sendable () async throws -> Issued

    private let fetch: Fetch
    private let now: @Sendable () -> Date
    private var cached: Issued?
    private var inFlight: Task<Issued, any Error>?

    /// Starts with a token already fetched (makeClient fetches once, to fail early).
    init(initial: Issued, now: @escaping @Sendable () -> Date, fetch: @escaping Fetch) {
        self.fetch = fetch
        self.now = now
        self.cached = initial
    }

    func token() async throws -> String {
        if let cached, now() < cached.renewAt { return cached.token }
        let task: Task<Issued, any Error>
        if let inFlight {
            task = inFlight
        } else {
            task = Task { try await fetch() }
            inFlight = task
        }
        do {
            let issued = try await task.value
            // Only the fetch still current is kept: after clear() the client stays empty.
            if inFlight == task {
                cached = issued
                inFlight = nil
            }
            return issued.token
        } catch {
            if inFlight == task { inFlight = nil }
            // Renewal is early on purpose: while the old token is valid, a failed renewal (the
            // operator's API server briefly away) does not fail the read. It is tried again next time.
            if let cached, now() < cached.expiresAt { return cached.token }
            throw error
        }
    }

    func invalidate() async { cached = nil }

    /// Forgets the token (client closed).
    func clear() {
        cached = nil
        inFlight?.cancel()
        inFlight = nil
    }
}

/// When to renew a ServiceAccount token: after 80% of its lifetime (as the kubelet does for
/// projected tokens). The lifetime is `exp - iat` from the JWT, counted from when the token was
/// fetched, so a clock skew between the operator and the API server moves nothing. A token whose
/// claims cannot be read is renewed after `fallbackLifetime`.
enum TokenLifetime {
    static let renewFraction = 0.8
    /// The lifetime assumed for a token without readable claims. The reference reader asks the
    /// TokenRequest API for 600 s; this stays well inside that.
    static let fallbackLifetime: TimeInterval = 300
    /// Never renew more often than this, whatever the claims say.
    static let minimumRenewalInterval: TimeInterval = 30

    static func issued(_ token: String, fetchedAt: Date) -> RefreshingToken.Issued {
        var lifetime = fallbackLifetime
        if let claims = claims(of: token), let expiry = claims.exp {
            lifetime = expiry - (claims.iat ?? fetchedAt.timeIntervalSince1970)
        }
        let renewAfter = max(lifetime * renewFraction, minimumRenewalInterval)
        return RefreshingToken.Issued(
            token: token, renewAt: fetchedAt.addingTimeInterval(renewAfter),
            expiresAt: fetchedAt.addingTimeInterval(max(lifetime, renewAfter)))
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
