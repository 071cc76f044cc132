public import Foundation
import HTTPSupport
public import Logging
public import ProviderKit

/// `spec.provider.gcpsm`: Google Cloud Secret Manager over its REST API (v1).
///
/// Authentication: a service-account key file in a Secret (`auth.secretRef`), or without `auth`
/// the operator's own key file (`GOOGLE_APPLICATION_CREDENTIALS`): a JWT assertion signed with the
/// key (RS256) exchanged at the key's `token_uri` for an access token, cached per store client and
/// renewed before it expires. Workload Identity and Workload Identity Federation are refused with
/// a clear message (not implemented yet).
///
/// Capabilities: `ReadWrite`, as ESO: PushSecret creates secrets labelled
/// `managed-by: external-secrets` and never changes or deletes one without that label.
public struct GCPSecretsProvider: SecretsProvider {
    public var name: String { "gcpsm" }
    public var capabilities: StoreCapabilities { .readWrite }

    private let makeTransport: TransportFactory
    private let now: @Sendable () -> Date
    private let retry: GCPRetryPolicy
    private let endpoint: String?
    private let defaultCredentialsFile: String?
    private let logger: Logger

    /// The variable naming a Secret Manager endpoint to use instead of Google's (tests, private
    /// endpoints); this operator's own, like ESO's `AWS_SECRETSMANAGER_ENDPOINT` for AWS.
    public static let endpointVariable = "GCP_SECRETMANAGER_ENDPOINT"

    /// - Parameters:
    ///   - endpoint: the Secret Manager endpoint instead of Google's (global or regional).
    ///   - defaultCredentialsFile: the operator's own key file, for stores without `auth`.
    public init(
        transport: @escaping TransportFactory = TransportFactories.asyncHTTPClient,
        now: @escaping @Sendable () -> Date = { Date() }, retry: GCPRetryPolicy = GCPRetryPolicy(),
        endpoint: String? = nil, defaultCredentialsFile: String? = nil,
        logger: Logger = Logger(label: "provider-gcp")
    ) {
        self.makeTransport = transport
        self.now = now
        self.retry = retry
        self.endpoint = endpoint
        self.defaultCredentialsFile = defaultCredentialsFile
        self.logger = logger
    }

    public func validateStore(_ store: StoreContext) throws {
        _ = try GCPStoreSettings.resolve(store)
    }

    public func makeClient(for store: StoreContext, references: any ReferenceReader) async throws -> any SecretsClient {
        let settings = try GCPStoreSettings.resolve(store)
        if settings.isReferent, store.callerNamespace.isEmpty {
            return ReferentStoreClient(credentials: "service-account key")
        }
        let field = "\(GCPStoreSettings.field).auth.secretRef.secretAccessKeySecretRef"
        let keyFile: Data
        switch settings.credentials {
        case .serviceAccountKey(let selector):
            keyFile = try await references.secretValue(selector, field: field)
        case .operatorDefault:
            guard let path = defaultCredentialsFile, !path.isEmpty else {
                throw ProviderError.invalidConfiguration(
                    "\(GCPStoreSettings.field).auth is not set and the operator has no GOOGLE_APPLICATION_CREDENTIALS key file")
            }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ProviderError.invalidConfiguration("GOOGLE_APPLICATION_CREDENTIALS: cannot read \(path)")
            }
            keyFile = data
        }
        let key = try GCPServiceAccountKey.parse(keyFile, field: field)
        var settings2 = settings
        if settings2.projectID.isEmpty { settings2.projectID = key.projectID }
        let made: (transport: any HTTPTransport, shutdown: @Sendable () async throws -> Void)
        do {
            made = try makeTransport(TLSSettings())
        } catch let error as HTTPTransportError {
            throw ProviderError.invalidConfiguration("\(GCPStoreSettings.field): \(error)")
        }
        let session = GCPTokenSession(key: key, transport: made.transport, now: now, timeout: .seconds(30))
        let client = GCPSecretsClient(
            settings: settings2,
            requests: GCPRequests(projectID: settings2.projectID, location: settings2.location, endpointOverride: endpoint),
            connection: GCPConnection(transport: made.transport, session: session, retry: retry, timeout: .seconds(30)),
            shutdown: made.shutdown, logger: logger)
        // Get a token now, so a store with a bad key fails here, clearly, and is not cached.
        do {
            _ = try await session.token()
        } catch {
            await client.close()
            throw error
        }
        logger.debug(
            "gcp store client made",
            metadata: ["store": "\(store.displayName)", "account": "\(key.clientEmail)", "project": "\(settings2.projectID)"])
        return client
    }
}
