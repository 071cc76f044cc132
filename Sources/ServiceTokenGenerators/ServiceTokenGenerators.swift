import ExternalSecretsAPI
public import Foundation
import HTTPSupport
public import KubeModel
public import Logging
public import ProviderKit

/// ESO's generators that ask a service for a token: `GithubAccessToken` (a GitHub App
/// installation token, key `token`), `QuayAccessToken` (a Quay robot token exchanged for a
/// ServiceAccount token: `registry`, `auth`, `expiry`) and `Grafana` (a new token of a Grafana
/// service account, created when missing: `login`, `token`).
///
/// Contracts:
/// - The Secrets (the App's private key, Grafana's credentials) and the ServiceAccount token are
///   read through the `ReferenceReader`, in the namespace of the object using the generator.
/// - Every request has a deadline (`requestTimeout`) and a response size limit
///   (`maxResponseBytes`): a hung or oversized answer is an error naming the call.
/// - Errors (`ProviderError`) name the generator's fields and the service's status and message,
///   never a token, a key or a password.
/// - Only Grafana returns state (the service account's id and login and the token's id, never
///   the token); its `cleanup` deletes the token, and a token already gone is success. GitHub
///   and Quay tokens expire on their own (ESO does not revoke them either).
public struct ServiceTokenGenerators: SecretGenerator {
    private let makeTransport: TransportFactory
    private let requestTimeout: Duration
    private let maxResponseBytes: Int
    private let tokenName: @Sendable () -> String
    private let logger: Logger

    /// - Parameters:
    ///   - transport: the HTTP transport of each generation (AsyncHTTPClient by default).
    ///   - requestTimeout: the time limit of one request.
    ///   - maxResponseBytes: the largest answer accepted.
    ///   - tokenName: the name of a new Grafana token (a random UUID, as ESO).
    public init(
        transport: @escaping TransportFactory = TransportFactories.asyncHTTPClient,
        requestTimeout: Duration = .seconds(30), maxResponseBytes: Int = 1 << 20,
        tokenName: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() },
        logger: Logger = Logger(label: "service-token-generators")
    ) {
        self.makeTransport = transport
        self.requestTimeout = requestTimeout
        self.maxResponseBytes = maxResponseBytes
        self.tokenName = tokenName
        self.logger = logger
    }

    public var resources: [ResourceDescriptor] {
        [GithubAccessTokenGenerator.resource, QuayAccessTokenGenerator.resource, GrafanaGenerator.resource]
    }

    public func generate(kind: String, spec: JSONValue?, references: any ReferenceReader, now: Date) async throws
        -> GeneratedSecret
    {
        switch kind {
        case GithubAccessTokenSpec.kind:
            let spec = try Self.decode(GithubAccessTokenSpec.self, spec, required: "spec.appID")
            let field = "spec.auth.privateKey.secretRef"
            let pem = try await references.secretValue(spec.auth.privateKey.secretRef, field: field)
            let jwt = try GithubAccessTokens.appJWT(
                appID: spec.appID, privateKeyPEM: String(decoding: pem, as: UTF8.self), now: now, field: field)
            let request = try GithubAccessTokens.request(spec, jwt: jwt)
            return try await withHTTP { http in
                GeneratedSecret(
                    data: try GithubAccessTokens.values(
                        try await http.send(request, what: "GitHub access token request")))
            }
        case QuayAccessTokenSpec.kind:
            let spec = try Self.decode(QuayAccessTokenSpec.self, spec, required: "spec.robotAccount")
            let token = try await references.serviceAccountToken(
                spec.serviceAccountRef, audiences: spec.serviceAccountRef.audiences ?? [],
                field: "spec.serviceAccountRef")
            let request = try QuayAccessTokens.request(spec, serviceAccountToken: token)
            return try await withHTTP { http in
                GeneratedSecret(
                    data: try QuayAccessTokens.values(
                        spec, try await http.send(request, what: "Quay robot token exchange")))
            }
        case GrafanaSpec.kind:
            let spec = try Self.decode(GrafanaSpec.self, spec, required: "spec.url")
            let base = try GrafanaTokens.apiBase(spec)
            let credentials = try await Self.grafanaCredentials(spec, references: references)
            return try await withHTTP { http in
                try await grafanaToken(spec, base: base, credentials: credentials, http: http)
            }
        default:
            throw ProviderError.unsupported("generator kind \(kind) is not run by the service token generators")
        }
    }

    /// Deletes the Grafana token of `state` (`DELETE /api/serviceaccounts/{id}/tokens/{tokenID}`),
    /// authenticated with the generator's spec at generation time; 404 (already gone) is success.
    /// GitHub and Quay have nothing to undo.
    public func cleanup(kind: String, spec: JSONValue?, state: JSONValue, references: any ReferenceReader, now: Date)
        async throws
    {
        guard kind == GrafanaSpec.kind else { return }
        let recorded = try GrafanaTokens.State(state)
        let spec = try Self.decode(GrafanaSpec.self, spec, required: "spec.url")
        let base = try GrafanaTokens.apiBase(spec)
        let credentials = try await Self.grafanaCredentials(spec, references: references)
        let request = GrafanaTokens.deleteTokenRequest(base: base, state: recorded, credentials)
        try await withHTTP { http in
            try GrafanaTokens.checkDeleted(
                try await http.send(request, what: "Grafana service account token deletion"))
        }
        logger.debug(
            "deleted a Grafana service account token",
            metadata: ["serviceAccount": "\(recorded.id)", "token": "\(recorded.tokenID)"])
    }

    // MARK: - Grafana

    private func grafanaToken(
        _ spec: GrafanaSpec, base: String, credentials: GrafanaTokens.Credentials, http: ServiceHTTP
    ) async throws -> GeneratedSecret {
        let account: GrafanaTokens.Account
        let found = try GrafanaTokens.account(
            named: spec.serviceAccount.name,
            in: try await http.send(
                GrafanaTokens.searchRequest(base: base, name: spec.serviceAccount.name, credentials),
                what: "Grafana service account search"))
        if let found {
            account = found
        } else {
            account = try GrafanaTokens.createdAccount(
                try await http.send(
                    GrafanaTokens.createAccountRequest(base: base, account: spec.serviceAccount, credentials),
                    what: "Grafana service account creation"))
        }
        let token = try GrafanaTokens.createdToken(
            try await http.send(
                GrafanaTokens.createTokenRequest(
                    base: base, accountID: account.id, tokenName: tokenName(),
                    secondsToLive: spec.serviceAccount.secondsToLive, credentials),
                what: "Grafana service account token creation"))
        let state = GrafanaTokens.State(id: account.id, login: account.login, tokenID: token.id)
        return GeneratedSecret(
            data: ["login": Data(account.login.utf8), "token": Data(token.key.utf8)], state: state.json)
    }

    /// ESO's rule: `auth.token` (a bearer token) if set, else `auth.basic`; neither is an error.
    static func grafanaCredentials(_ spec: GrafanaSpec, references: any ReferenceReader) async throws
        -> GrafanaTokens.Credentials
    {
        if let token = spec.auth.token {
            let value = try await references.secretValue(
                try selector(token, field: "spec.auth.token"), field: "spec.auth.token")
            return GrafanaTokens.Credentials(authorization: "Bearer \(String(decoding: value, as: UTF8.self))")
        }
        if let basic = spec.auth.basic {
            let field = "spec.auth.basic.password"
            let password = try await references.secretValue(try selector(basic.password, field: field), field: field)
            return GrafanaTokens.Credentials(
                authorization: ServiceHTTP.basicAuthorization(
                    user: basic.username, password: String(decoding: password, as: UTF8.self)))
        }
        throw ProviderError.invalidConfiguration("spec.auth: no auth configuration found (token or basic)")
    }

    private static func selector(_ key: GrafanaSecretKey, field: String) throws(ProviderError) -> SecretKeySelector {
        guard let name = key.name, !name.isEmpty else { throw .invalidConfiguration("\(field).name is required") }
        guard let secretKey = key.key, !secretKey.isEmpty else {
            throw .invalidConfiguration("\(field).key is required")
        }
        return SecretKeySelector(name: name, key: secretKey)
    }

    // MARK: - Shared

    /// Runs `body` with a bounded HTTP client (system trust roots), shut down afterwards.
    private func withHTTP<T>(_ body: (ServiceHTTP) async throws -> T) async throws -> T {
        let made: (transport: any HTTPTransport, shutdown: @Sendable () async throws -> Void)
        do {
            made = try makeTransport(TLSSettings())
        } catch {
            throw ProviderError(.unavailable, "spec: cannot create an HTTP client: \(error)")
        }
        let http = ServiceHTTP(transport: made.transport, timeout: requestTimeout, maxBodyBytes: maxResponseBytes)
        do {
            let result = try await body(http)
            try? await made.shutdown()
            return result
        } catch {
            try? await made.shutdown()
            throw error
        }
    }

    static func decode<Spec: GeneratorSpec>(_ type: Spec.Type, _ spec: JSONValue?, required: String)
        throws(ProviderError) -> Spec
    {
        guard let spec else {
            throw .invalidConfiguration("the \(Spec.kind) generator has no spec; \(required) is required")
        }
        do {
            return try spec.decode(as: Spec.self)
        } catch {
            throw .invalidConfiguration("the \(Spec.kind) generator's spec does not match its schema")
        }
    }
}
