public import Foundation
import HTTPSupport
public import Logging
public import ProviderKit

/// `spec.provider.gcpsm`: Google Cloud Secret Manager over its REST API (v1).
///
/// Authentication: a service-account key file in a Secret (`auth.secretRef`), or without `auth`
/// the operator's own key file (`GOOGLE_APPLICATION_CREDENTIALS`): a JWT assertion signed with the
/// key (RS256) exchanged at the key's `token_uri` for an access token; or GKE Workload Identity
/// (`auth.workloadIdentity`: a ServiceAccount token exchanged at Google's STS, then the annotated
/// Google service account's token); or Workload Identity Federation with a ServiceAccount
/// (`serviceAccountRef` + `audience`, optionally `gcpServiceAccountEmail`; `credConfig` and
/// `awsSecurityCredentials` are refused with a clear message). Tokens are cached per store client
/// and renewed before they expire.
///
/// Capabilities: `ReadWrite`, as ESO: PushSecret creates secrets labelled
/// `managed-by: external-secrets` and never changes or deletes one without that label.
public struct GCPSecretsProvider: SecretsProvider {
    public var name: String { "gcpsm" }
    public var capabilities: StoreCapabilities { .readWrite }

    private let makeTransport: TransportFactory
    private let now: @Sendable () -> Date
    private let retry: HTTPRetryPolicy
    private let endpoint: String?
    private let defaultCredentialsFile: String?
    private let tokenEndpoints: GCPEndpoints
    private let logger: Logger

    /// The variable naming a Secret Manager endpoint to use instead of Google's (tests, private
    /// endpoints); this operator's own, like ESO's `AWS_SECRETSMANAGER_ENDPOINT` for AWS.
    public static let endpointVariable = "GCP_SECRETMANAGER_ENDPOINT"
    /// The variables naming the STS and IAM Credentials endpoints (Workload Identity), likewise.
    public static let stsEndpointVariable = "GCP_STS_ENDPOINT"
    public static let iamCredentialsEndpointVariable = "GCP_IAMCREDENTIALS_ENDPOINT"

    /// - Parameters:
    ///   - endpoint: the Secret Manager endpoint instead of Google's (global or regional).
    ///   - defaultCredentialsFile: the operator's own key file, for stores without `auth`.
    ///   - tokenEndpoints: Google's Security Token Service and IAM Credentials (Workload Identity).
    public init(
        transport: @escaping TransportFactory = TransportFactories.asyncHTTPClient,
        now: @escaping @Sendable () -> Date = { Date() }, retry: HTTPRetryPolicy = HTTPRetryPolicy(),
        endpoint: String? = nil, defaultCredentialsFile: String? = nil, tokenEndpoints: GCPEndpoints = GCPEndpoints(),
        logger: Logger = Logger(label: "provider-gcp")
    ) {
        self.tokenEndpoints = tokenEndpoints
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
        let made: (transport: any HTTPTransport, shutdown: @Sendable () async throws -> Void)
        do {
            made = try makeTransport(TLSSettings())
        } catch let error as HTTPTransportError {
            throw ProviderError.invalidConfiguration("\(GCPStoreSettings.field): \(error)")
        }
        var resolved = settings
        let session: BearerTokenSession
        let transport = made.transport
        let (now, endpoints) = (self.now, self.tokenEndpoints)
        switch settings.credentials {
        case .workloadIdentity(let identity):
            session = BearerTokenSession(holder: "ServiceAccount \(identity.serviceAccount.name)", renewalMargin: gcpTokenRenewalMargin, now: now) {
                try await GCPTokenRequests.workloadIdentity(
                    identity, references: references, endpoints: endpoints, transport: transport, now: now,
                    timeout: .seconds(30))
            }
        case .federation(let federation):
            session = BearerTokenSession(holder: "ServiceAccount \(federation.serviceAccount.name)", renewalMargin: gcpTokenRenewalMargin, now: now) {
                try await GCPTokenRequests.federation(
                    federation, references: references, endpoints: endpoints, transport: transport, now: now,
                    timeout: .seconds(30))
            }
        case .serviceAccountKey, .operatorDefault:
            let keyFile: Data
            do {
                keyFile = try await self.keyFile(settings.credentials, references: references, field: field)
            } catch {
                try? await made.shutdown()
                throw error
            }
            let key: GCPServiceAccountKey
            do {
                key = try GCPServiceAccountKey.parse(keyFile, field: field)
            } catch {
                try? await made.shutdown()
                throw error
            }
            if resolved.projectID.isEmpty { resolved.projectID = key.projectID }
            session = BearerTokenSession(holder: key.clientEmail, renewalMargin: gcpTokenRenewalMargin, now: now) {
                try await GCPTokenRequests.serviceAccountKey(key, transport: transport, now: now, timeout: .seconds(30))
            }
        }
        let client = GCPSecretsClient(
            settings: resolved,
            requests: GCPRequests(
                projectID: resolved.projectID, location: resolved.location, endpointOverride: endpoint),
            connection: GCPConnection(transport: made.transport, session: session, retry: retry, timeout: .seconds(30)),
            shutdown: made.shutdown, logger: logger)
        // Get a token now, so a store with bad credentials fails here, clearly, and is not cached.
        do {
            _ = try await session.token()
        } catch {
            await client.close()
            throw error
        }
        logger.debug(
            "gcp store client made",
            metadata: [
                "store": "\(store.displayName)", "account": "\(session.holder)", "project": "\(resolved.projectID)",
            ])
        return client
    }

    /// The service-account key file: from the store's Secret, or the operator's own.
    private func keyFile(_ credentials: GCPStoreSettings.Credentials, references: any ReferenceReader, field: String)
        async throws -> Data
    {
        switch credentials {
        case .serviceAccountKey(let selector):
            return try await references.secretValue(selector, field: field)
        case .operatorDefault, .workloadIdentity, .federation:
            guard let path = defaultCredentialsFile, !path.isEmpty else {
                throw ProviderError.invalidConfiguration(
                    "\(GCPStoreSettings.field).auth is not set and the operator has no GOOGLE_APPLICATION_CREDENTIALS key file"
                )
            }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ProviderError.invalidConfiguration("GOOGLE_APPLICATION_CREDENTIALS: cannot read \(path)")
            }
            return data
        }
    }
}
