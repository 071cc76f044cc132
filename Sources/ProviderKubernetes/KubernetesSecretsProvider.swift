public import ExternalSecretsCore
public import Foundation
public import HTTPSupport
public import KubeClient
public import Logging
import ExternalSecretsAPI

/// `spec.provider.kubernetes`: Secrets of one namespace of this cluster or another one.
///
/// The store authenticates with its own credentials — a token Secret, a ServiceAccount token
/// from the TokenRequest API, a client certificate, or a kubeconfig in a Secret (`authRef`) —
/// never with the operator's, even when it reads the operator's own cluster (`server.url` unset or
/// `kubernetes.default`). Every credential and CA bundle is read through the `ReferenceReader`.
///
/// Capabilities: `ReadOnly`. ESO reports `ReadWrite`; PushSecret to this provider is not
/// implemented yet, and a store must not advertise what it cannot do.
public struct KubernetesSecretsProvider: SecretsProvider {
    /// Reads the JSON path `path` (gjson syntax) inside `json` and returns gjson's
    /// `Result.String()` bytes (strings unquoted, other values as JSON text), or nil when nothing
    /// is at that path. Used for `property: key.path` when `key.path` is not itself a data key.
    public typealias PropertyPathEvaluator = @Sendable (_ path: String, _ json: Data) throws -> Data?

    /// Makes the HTTP transport of one store client, and the function that shuts it down.
    public typealias TransportFactory = @Sendable (_ tls: TLSSettings) throws -> (
        transport: any HTTPTransport, shutdown: @Sendable () async throws -> Void
    )

    public var name: String { "kubernetes" }
    public var capabilities: StoreCapabilities { .readOnly }

    private let localCluster: ClientConfiguration
    private let propertyPath: PropertyPathEvaluator?
    private let makeTransport: TransportFactory
    private let now: @Sendable () -> Date
    private let logger: Logger

    /// How long a token read from a Secret (`auth.token`) is used before the Secret is read again,
    /// so a rotated token is picked up without a store change.
    static let tokenSecretRereadInterval: TimeInterval = 300

    /// - Parameters:
    ///   - localCluster: the operator's own API server. Only its URL and its CA trust are used, for
    ///     stores without `server.url`; its credentials never are.
    ///   - propertyPath: JSON paths inside values (`property: key.path`); without one, such a
    ///     property fails as unsupported while exact keys (`tls.crt`) keep working.
    ///   - transport: the HTTP transport of each store client (AsyncHTTPClient by default).
    ///   - now: wall-clock time, for token renewal.
    public init(
        localCluster: ClientConfiguration, propertyPath: PropertyPathEvaluator? = nil,
        transport: @escaping TransportFactory = KubernetesSecretsProvider.asyncHTTPClientTransport,
        now: @escaping @Sendable () -> Date = { Date() }, logger: Logger = Logger(label: "provider-kubernetes")
    ) {
        self.localCluster = localCluster
        self.propertyPath = propertyPath
        self.makeTransport = transport
        self.now = now
        self.logger = logger
    }

    /// The production transport: an AsyncHTTPClient pool with the store's TLS settings.
    public static let asyncHTTPClientTransport: TransportFactory = { tls in
        let transport = try AsyncHTTPClientTransport(tls: tls)
        return (transport, { try await transport.shutdown() })
    }

    public func validateStore(_ store: StoreContext) throws {
        _ = try KubernetesStoreSettings.resolve(store)
    }

    public func makeClient(for store: StoreContext, references: any ReferenceReader) async throws -> any SecretsClient {
        let settings = try KubernetesStoreSettings.resolve(store)
        if settings.isReferent, store.callerNamespace.isEmpty {
            return ReferentClusterStoreClient()
        }
        let field = KubernetesStoreSettings.field
        var server: String
        var tls: TLSSettings
        var authentication = ClientConfiguration.Authentication.none
        var tokens: RefreshingToken?

        if case .kubeconfig(let selector) = settings.credentials {
            let text = try await references.secretValue(selector, field: "\(field).authRef")
            let kubeconfig = try InlineKubeConfig.parse(String(decoding: text, as: UTF8.self), field: "\(field).authRef")
            server = kubeconfig.server
            tls = kubeconfig.tls
            if let token = kubeconfig.bearerToken { authentication = .bearerToken(token) }
        } else {
            switch settings.server {
            case .local:
                server = localCluster.server
                // The operator's trust, never its client certificate.
                tls = TLSSettings(
                    trustedCAsPEM: localCluster.tls.trustedCAsPEM, insecureSkipVerify: localCluster.tls.insecureSkipVerify)
            case .remote(let url):
                server = url
                tls = TLSSettings()
            }
            switch settings.certificateAuthority {
            case .unset:
                break
            case .bundle(let pem):
                tls.trustedCAsPEM = pem
                tls.insecureSkipVerify = false
            case .provider(let provider):
                tls.trustedCAsPEM = Array(try await references.caBundle(provider, field: "\(field).server.caProvider"))
                tls.insecureSkipVerify = false
            }
            switch settings.credentials {
            case .token(let selector):
                tokens = try await tokenFromSecret(selector, references: references)
            case .serviceAccount(let serviceAccount):
                tokens = try await serviceAccountToken(serviceAccount, references: references)
            case .certificate(let certificate, let key):
                tls.clientCertificatePEM = Array(
                    try await references.secretValue(certificate, field: "\(field).auth.cert.clientCert"))
                tls.clientKeyPEM = Array(try await references.secretValue(key, field: "\(field).auth.cert.clientKey"))
            case .kubeconfig:
                preconditionFailure("handled above")
            }
        }

        let made: (transport: any HTTPTransport, shutdown: @Sendable () async throws -> Void)
        do {
            made = try makeTransport(tls)
        } catch let error as HTTPTransportError {
            throw ProviderError.invalidConfiguration("\(field): \(error)")
        }
        var configuration = ClientConfiguration(
            server: server, tls: tls, authentication: authentication, namespace: settings.remoteNamespace)
        configuration.qps = localCluster.qps
        configuration.burst = localCluster.burst
        let transport: any HTTPTransport = tokens.map { BearerTokenTransport(inner: made.transport, tokens: $0) } ?? made.transport
        let kube = KubeClient(configuration: configuration, transport: transport, logger: logger, shutdown: made.shutdown)
        logger.debug(
            "kubernetes store client made",
            metadata: ["store": "\(store.displayName)", "server": "\(server)", "namespace": "\(settings.remoteNamespace)"])
        return KubernetesSecretsClient(
            kube: kube, namespace: settings.remoteNamespace, isReferentClusterStore: settings.isReferent,
            propertyPath: propertyPath, tokens: tokens, logger: logger)
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
            return RefreshingToken.Issued(token: token, renewAt: now().addingTimeInterval(Self.tokenSecretRereadInterval))
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
            let renewAt = TokenLifetime.renewalTime(of: token, fetchedAt: now())
            logger.debug(
                "service account token issued",
                metadata: ["serviceAccount": "\(serviceAccount.name)", "renewAt": "\(renewAt)"])
            return RefreshingToken.Issued(token: token, renewAt: renewAt)
        }
        return RefreshingToken(initial: try await fetch(), now: now, fetch: fetch)
    }
}
