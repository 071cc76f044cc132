public import Foundation
import HTTPSupport
public import Logging
public import ProviderKit
import Templating

/// `spec.provider.webhook`: any HTTP API (ESO's webhook provider). URL, headers, body and
/// `result.jsonPath` are Go templates over `.remoteRef` and the store's `secrets`, rendered with
/// ESO's template functions; `result.jsonPath` selects the value with ESO's JSONPath dialect.
///
/// Capabilities: `ReadWrite`, as ESO. Not supported: `dataFrom.find` (ESO neither), NTLM
/// authentication (refused with a clear message), ESO's 304 Not Modified "keep the value".
public struct WebhookSecretsProvider: SecretsProvider {
    public var name: String { "webhook" }
    public var capabilities: StoreCapabilities { .readWrite }

    private let makeTransport: TransportFactory
    private let now: @Sendable () -> Date
    private let retry: HTTPRetryPolicy
    private let logger: Logger

    /// - Parameters:
    ///   - transport: the HTTP transport of each store client (AsyncHTTPClient by default).
    ///   - now: wall-clock time, for template functions such as `now`.
    ///   - retry: how throttled or unavailable answers are retried.
    public init(
        transport: @escaping TransportFactory = TransportFactories.asyncHTTPClient,
        now: @escaping @Sendable () -> Date = { Date() }, retry: HTTPRetryPolicy = HTTPRetryPolicy(),
        logger: Logger = Logger(label: "provider-webhook")
    ) {
        self.makeTransport = transport
        self.now = now
        self.retry = retry
        self.logger = logger
    }

    public func validateStore(_ store: StoreContext) throws {
        _ = try WebhookStoreSettings.resolve(store)
    }

    public func makeClient(for store: StoreContext, references: any ReferenceReader) async throws -> any SecretsClient {
        try await client(
            WebhookStoreSettings.resolve(store), namespace: store.callerNamespace, references: references)
    }

    /// A client of `settings` (a store's, or the Webhook generator's): its transport trusts the
    /// settings' CA; `namespace` is `.remoteRef.namespace`. The caller closes it.
    func client(_ settings: WebhookStoreSettings, namespace: String, references: any ReferenceReader) async throws
        -> WebhookSecretsClient
    {
        var tls = TLSSettings()
        switch settings.certificateAuthority {
        case .unset: break
        case .bundle(let pem): tls.trustedCAsPEM = pem
        case .provider(let provider):
            tls.trustedCAsPEM = Array(
                try await references.caBundle(provider, field: "\(settings.fieldPath).caProvider"))
        }
        let made: (transport: any HTTPTransport, shutdown: @Sendable () async throws -> Void)
        do {
            made = try makeTransport(tls)
        } catch let error as HTTPTransportError {
            throw ProviderError.invalidConfiguration("\(settings.fieldPath): \(error)")
        }
        let now = self.now
        let environment = RenderEnvironment(
            randomBytes: RenderEnvironment.systemRandom.randomBytes,
            now: {
                let interval = now().timeIntervalSince1970
                let whole = interval.rounded(.down)
                return GoTime(seconds: Int64(whole), nanoseconds: Int32(min(999_999_999, (interval - whole) * 1e9)))
            })
        return WebhookSecretsClient(
            settings: settings, transport: made.transport, shutdown: made.shutdown, references: references,
            namespace: namespace, templates: WebhookTemplates(environment: environment), retry: retry,
            logger: logger)
    }
}
