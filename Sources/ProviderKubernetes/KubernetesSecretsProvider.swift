import ExternalSecretsAPI
public import Foundation
import HTTPSupport
public import KubeClient
public import Logging
public import ProviderKit

/// `spec.provider.kubernetes`: Secrets of one namespace of this cluster or another one.
///
/// The store authenticates with its own credentials — a token Secret, a ServiceAccount token
/// from the TokenRequest API, a client certificate, or a kubeconfig in a Secret (`authRef`) —
/// never with the operator's, even when it reads the operator's own cluster (`server.url` unset or
/// `kubernetes.default`). Every credential and CA bundle is read through the `ReferenceReader`.
///
/// Capabilities: `ReadWrite`, as ESO. PushSecret writes Secrets of the remote namespace labelled
/// `app.kubernetes.io/managed-by: external-secrets`, and never changes or deletes one without it.
public struct KubernetesSecretsProvider: SecretsProvider {
    public var name: String { "kubernetes" }
    public var capabilities: StoreCapabilities { .readWrite }

    private let localCluster: ClientConfiguration
    private let makeTransport: TransportFactory
    private let now: @Sendable () -> Date
    /// Makes a store's KubeClient on the operator's clock and wall clock.
    private let makeKubeClient:
        @Sendable (ClientConfiguration, any HTTPTransport, _ shutdown: @escaping @Sendable () async throws -> Void) ->
        KubeClient
    private let logger: Logger

    /// How long a token read from a Secret (`auth.token`) is used before the Secret is read again,
    /// so a rotated token is picked up without a store change.
    static let tokenSecretRereadInterval: TimeInterval = 300

    /// - Parameters:
    ///   - localCluster: the operator's own API server. Only its URL and its CA trust are used, for
    ///     stores without `server.url`; its credentials never are.
    ///   - transport: the HTTP transport of each store client (AsyncHTTPClient by default).
    ///   - now: wall-clock time, for token renewal.
    ///   - clock: the store clients' clock (rate limit, retries); the operator passes its one clock.
    public init<C: Clock>(
        localCluster: ClientConfiguration,
        transport: @escaping TransportFactory = TransportFactories.asyncHTTPClient,
        now: @escaping @Sendable () -> Date = { Date() }, clock: C = ContinuousClock(),
        logger: Logger = Logger(label: "provider-kubernetes")
    ) where C.Duration == Duration {
        self.localCluster = localCluster
        self.makeTransport = transport
        self.now = now
        self.logger = logger
        self.makeKubeClient = { configuration, transport, shutdown in
            KubeClient(
                configuration: configuration, transport: transport, logger: logger, clock: clock, now: now,
                shutdown: shutdown)
        }
    }

    public func validateStore(_ store: StoreContext) throws {
        _ = try KubernetesStoreSettings.resolve(store)
    }

    public func makeClient(for store: StoreContext, references: any ReferenceReader) async throws -> any SecretsClient {
        let settings = try KubernetesStoreSettings.resolve(store)
        if settings.isReferent, store.callerNamespace.isEmpty {
            return ReferentStoreClient()
        }
        let connection = try await connection(for: settings, references: references)
        let made: (transport: any HTTPTransport, shutdown: @Sendable () async throws -> Void)
        do {
            made = try makeTransport(connection.tls)
        } catch let error as HTTPTransportError {
            throw ProviderError.invalidConfiguration("\(KubernetesStoreSettings.field): \(error)")
        }
        var configuration = ClientConfiguration(
            server: connection.server, tls: connection.tls, authentication: connection.authentication,
            namespace: settings.remoteNamespace)
        configuration.qps = localCluster.qps
        configuration.burst = localCluster.burst
        let transport: any HTTPTransport =
            connection.tokens.map { BearerTokenTransport(inner: made.transport, tokens: $0) } ?? made.transport
        let kube = makeKubeClient(configuration, transport, made.shutdown)
        logger.debug(
            "kubernetes store client made",
            metadata: [
                "store": "\(store.displayName)", "server": "\(connection.server)",
                "namespace": "\(settings.remoteNamespace)",
            ])
        return KubernetesSecretsClient(
            kube: kube, namespace: settings.remoteNamespace, isReferentClusterStore: settings.isReferent,
            tokens: connection.tokens, logger: logger)
    }

    // MARK: - Connection

    /// Where and how a store client connects: server, TLS trust and client certificate, and a
    /// static (kubeconfig) or refreshing bearer token.
    private struct Connection {
        var server: String
        var tls: TLSSettings
        var authentication = ClientConfiguration.Authentication.none
        var tokens: RefreshingToken?
    }

    private func connection(for settings: KubernetesStoreSettings, references: any ReferenceReader) async throws
        -> Connection
    {
        let field = KubernetesStoreSettings.field
        if case .kubeconfig(let selector) = settings.credentials {
            // The kubeconfig names its own server and CA; `server` is ignored, as in ESO.
            let text = try await references.secretValue(selector, field: "\(field).authRef")
            let kubeconfig = try InlineKubeConfig.parse(
                String(decoding: text, as: UTF8.self), field: "\(field).authRef")
            var connection = Connection(server: kubeconfig.server, tls: kubeconfig.tls)
            if let token = kubeconfig.bearerToken { connection.authentication = .bearerToken(token) }
            return connection
        }
        var connection: Connection
        switch settings.server {
        case .local:
            // The operator's trust, never its client certificate or token.
            connection = Connection(
                server: localCluster.server,
                tls: TLSSettings(
                    trustedCAsPEM: localCluster.tls.trustedCAsPEM,
                    insecureSkipVerify: localCluster.tls.insecureSkipVerify))
        case .remote(let url):
            connection = Connection(server: url, tls: TLSSettings())
        }
        switch settings.certificateAuthority {
        case .unset:
            break
        case .bundle(let pem):
            connection.tls.trustedCAsPEM = pem
            connection.tls.insecureSkipVerify = false
        case .provider(let provider):
            connection.tls.trustedCAsPEM = Array(
                try await references.caBundle(provider, field: "\(field).server.caProvider"))
            connection.tls.insecureSkipVerify = false
        }
        switch settings.credentials {
        case .token(let selector):
            connection.tokens = try await tokenFromSecret(selector, references: references)
        case .serviceAccount(let serviceAccount):
            connection.tokens = try await serviceAccountToken(serviceAccount, references: references)
        case .certificate(let certificate, let key):
            connection.tls.clientCertificatePEM = Array(
                try await references.secretValue(certificate, field: "\(field).auth.cert.clientCert"))
            connection.tls.clientKeyPEM = Array(
                try await references.secretValue(key, field: "\(field).auth.cert.clientKey"))
        case .kubeconfig:
            break  // returned above
        }
        return connection
    }

    // MARK: - Tokens

    /// `auth.token`: the Secret is read now (a missing one fails the client) and again every few
    /// minutes or after a 401, so rotating the token needs no store change.
    private func tokenFromSecret(_ selector: SecretKeySelector, references: any ReferenceReader) async throws
        -> RefreshingToken
    {
        let field = "\(KubernetesStoreSettings.field).auth.token.bearerToken"
        let now = now
        let fetch: RefreshingToken.Fetch = {
            let bytes = try await references.secretValue(selector, field: field)
            let token = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else { throw ProviderError.invalidConfiguration("\(field): the token is empty") }
            // No expiry is known: once due, the Secret must be read again before the token is used.
            let renewAt = now().addingTimeInterval(Self.tokenSecretRereadInterval)
            return RefreshingToken.Issued(token: token, renewAt: renewAt, expiresAt: renewAt)
        }
        return RefreshingToken(initial: try await fetch(), now: now, fetch: fetch)
    }

    /// `auth.serviceAccount`: a TokenRequest through the reader, renewed at 80% of its lifetime.
    private func serviceAccountToken(_ serviceAccount: ServiceAccountSelector, references: any ReferenceReader)
        async throws -> RefreshingToken
    {
        let field = "\(KubernetesStoreSettings.field).auth.serviceAccount"
        let now = now
        let logger = logger
        let fetch: RefreshingToken.Fetch = {
            let token = try await references.serviceAccountToken(
                serviceAccount, audiences: serviceAccount.audiences ?? [], field: field)
            let issued = TokenLifetime.issued(token, fetchedAt: now())
            logger.debug(
                "service account token issued",
                metadata: ["serviceAccount": "\(serviceAccount.name)", "renewAt": "\(issued.renewAt)"])
            return issued
        }
        return RefreshingToken(initial: try await fetch(), now: now, fetch: fetch)
    }
}
