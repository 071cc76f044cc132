public import Foundation
import HTTPSupport
public import Logging
public import ProviderKit

/// `spec.provider.azurekv`: Azure Key Vault over its REST API (api-version 7.4).
///
/// Authentication (`authType`): `ServicePrincipal` with a client secret or a client certificate
/// (a signed client assertion) from `authSecretRef`; `ManagedIdentity` from the instance metadata
/// service (`identityId`: a user-assigned identity); `WorkloadIdentity` with a ServiceAccount
/// token (TokenRequest, audience `api://AzureADTokenExchange`) or, without `serviceAccountRef`,
/// the operator's own federated token file. Tokens are cached per store client, one request in
/// flight, renewed before they expire.
///
/// Capabilities: `ReadWrite`, as ESO: PushSecret writes secrets tagged
/// `managed-by: external-secrets` and never changes or deletes an object without that tag.
public struct AzureSecretsProvider: SecretsProvider {
    public var name: String { "azurekv" }
    public var capabilities: StoreCapabilities { .readWrite }

    private let makeTransport: TransportFactory
    private let now: @Sendable () -> Date
    private let retry: HTTPRetryPolicy
    private let environment: AzureEnvironment
    private let logger: Logger

    /// - Parameters:
    ///   - environment: the operator's Azure variables (authority host, metadata service,
    ///     federated token file).
    public init(
        transport: @escaping TransportFactory = TransportFactories.asyncHTTPClient,
        now: @escaping @Sendable () -> Date = { Date() }, retry: HTTPRetryPolicy = HTTPRetryPolicy(),
        environment: AzureEnvironment = AzureEnvironment(), logger: Logger = Logger(label: "provider-azure")
    ) {
        self.makeTransport = transport
        self.now = now
        self.retry = retry
        self.environment = environment
        self.logger = logger
    }

    /// Reads depend on the caller's namespace only for a referent ClusterSecretStore (credentials
    /// or ServiceAccount read in each caller's namespace); otherwise every namespace allowed to use
    /// the store reads the same vault with the same identity, so identical reads are shared.
    public func readsDependOnCallerNamespace(_ store: StoreContext) -> Bool {
        guard let settings = try? AzureStoreSettings.resolve(store, authorityHostOverride: environment.authorityHost)
        else { return true }
        return settings.isReferent
    }

    public func validateStore(_ store: StoreContext) throws {
        _ = try AzureStoreSettings.resolve(store, authorityHostOverride: environment.authorityHost)
    }

    public func makeClient(for store: StoreContext, references: any ReferenceReader) async throws -> any SecretsClient {
        let settings = try AzureStoreSettings.resolve(store, authorityHostOverride: environment.authorityHost)
        if settings.isReferent, store.callerNamespace.isEmpty {
            return ReferentStoreClient(credentials: "Azure credentials")
        }
        let made: (transport: any HTTPTransport, shutdown: @Sendable () async throws -> Void)
        do {
            made = try makeTransport(TLSSettings())
        } catch let error as HTTPTransportError {
            throw ProviderError.invalidConfiguration("\(AzureStoreSettings.field): \(error)")
        }
        let session: BearerTokenSession
        do {
            session = try await makeSession(settings, references: references, transport: made.transport)
        } catch {
            try? await made.shutdown()
            throw error
        }
        let client = AzureKeyVaultClient(
            settings: settings, requests: AzureRequests(vaultURL: settings.vaultURL),
            connection: AzureConnection(
                transport: made.transport, session: session, retry: retry, timeout: .seconds(30)),
            shutdown: made.shutdown, logger: logger)
        // Get a token now, so a store with bad credentials fails here, clearly, and is not cached.
        do {
            _ = try await session.token()
        } catch {
            await client.close()
            throw error
        }
        logger.debug(
            "azure key vault store client made",
            metadata: [
                "store": "\(store.displayName)", "principal": "\(session.holder)", "vault": "\(settings.vaultURL)",
            ])
        return client
    }

    /// The token session of the store's credentials; what it reads from Kubernetes (client ID,
    /// secret, certificate, ServiceAccount) is read here, once per client.
    private func makeSession(
        _ settings: AzureStoreSettings, references: any ReferenceReader, transport: any HTTPTransport
    ) async throws -> BearerTokenSession {
        let (now, retry, cloud) = (self.now, self.retry, settings.cloud)
        let field = AzureStoreSettings.field
        let timeout = Duration.seconds(30)
        @Sendable func text(_ data: Data) -> String {
            String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        switch settings.credentials {
        case .servicePrincipal(let clientIDRef, let secret, let tenantID):
            let clientID = text(try await references.secretValue(clientIDRef, field: "\(field).authSecretRef.clientId"))
            let endpoint = AzureTokenRequests.tokenEndpoint(authorityHost: cloud.authorityHost, tenantID: tenantID)
            let refused = "Entra ID refused the service principal \(clientID) of tenant \(tenantID)"
            switch secret {
            case .clientSecret(let selector):
                let clientSecret = text(
                    try await references.secretValue(selector, field: "\(field).authSecretRef.clientSecret"))
                return BearerTokenSession(holder: clientID, renewalMargin: azureTokenRenewalMargin, now: now) {
                    let issued = now()
                    let request = AzureTokenRequests.clientCredentials(
                        authorityHost: cloud.authorityHost, tenantID: tenantID, clientID: clientID, scope: cloud.scope,
                        credential: .secret(clientSecret))
                    let response = try await BearerTokenConnection.sendTokenRequest(
                        request, transport: transport, retry: retry, timeout: timeout, refused: refused)
                    return try AzureTokenRequests.token(from: response, issued: issued, refused: refused)
                }
            case .clientCertificate(let selector):
                let certificateField = "\(field).authSecretRef.clientCertificate"
                let certificate = try AzureClientCertificate.parse(
                    try await references.secretValue(selector, field: certificateField), field: certificateField)
                return BearerTokenSession(holder: clientID, renewalMargin: azureTokenRenewalMargin, now: now) {
                    let issued = now()
                    let assertion = try certificate.assertion(
                        clientID: clientID, audience: endpoint, issuedAt: issued, id: UUID().uuidString.lowercased())
                    let request = AzureTokenRequests.clientCredentials(
                        authorityHost: cloud.authorityHost, tenantID: tenantID, clientID: clientID, scope: cloud.scope,
                        credential: .assertion(assertion))
                    let response = try await BearerTokenConnection.sendTokenRequest(
                        request, transport: transport, retry: retry, timeout: timeout, refused: refused)
                    return try AzureTokenRequests.token(from: response, issued: issued, refused: refused)
                }
            }
        case .managedIdentity(let clientID):
            let metadataService = environment.metadataService
            let refused =
                "the instance metadata service refused a token for the managed identity\(clientID.map { " \($0)" } ?? "")"
            return BearerTokenSession(holder: clientID ?? "managed identity", renewalMargin: azureTokenRenewalMargin, now: now) {
                let issued = now()
                let request = AzureTokenRequests.managedIdentity(
                    endpoint: metadataService, resource: cloud.keyVaultResource, clientID: clientID)
                let response = try await BearerTokenConnection.sendTokenRequest(
                    request, transport: transport, retry: retry, timeout: timeout, refused: refused)
                return try AzureTokenRequests.token(from: response, issued: issued, refused: refused)
            }
        case .workloadIdentity(let identity):
            let (clientID, tenantID) = try await workloadIdentityIDs(identity, references: references)
            let accountField = "\(field).serviceAccountRef"
            let audiences = [AzureStoreSettings.WorkloadIdentity.audience] + (identity.serviceAccount.audiences ?? [])
            let refused =
                "Entra ID refused the token of ServiceAccount \(identity.serviceAccount.name) for client \(clientID) of tenant \(tenantID)"
            return BearerTokenSession(holder: clientID, renewalMargin: azureTokenRenewalMargin, now: now) {
                let issued = now()
                let federated: String
                do {
                    federated = try await references.serviceAccountToken(
                        identity.serviceAccount, audiences: audiences, field: accountField)
                } catch let error as ProviderError {
                    throw ProviderError(error.code, "unable to fetch ServiceAccount token: \(error.message)")
                }
                let request = AzureTokenRequests.clientCredentials(
                    authorityHost: cloud.authorityHost, tenantID: tenantID, clientID: clientID, scope: cloud.scope,
                    credential: .assertion(federated))
                let response = try await BearerTokenConnection.sendTokenRequest(
                    request, transport: transport, retry: retry, timeout: timeout, refused: refused)
                return try AzureTokenRequests.token(from: response, issued: issued, refused: refused)
            }
        case .operatorWorkloadIdentity:
            guard let clientID = environment.clientID, let tenantID = environment.tenantID,
                let tokenFile = environment.federatedTokenFile
            else {
                throw ProviderError.invalidConfiguration(
                    "missing environment variables. AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE must be set"
                )
            }
            let refused = "Entra ID refused the operator's federated token for client \(clientID) of tenant \(tenantID)"
            return BearerTokenSession(holder: clientID, renewalMargin: azureTokenRenewalMargin, now: now) {
                let issued = now()
                // The file is re-read per token: the kubelet rotates it.
                guard let data = FileManager.default.contents(atPath: tokenFile) else {
                    throw ProviderError.invalidConfiguration("unable to read token file \(tokenFile)")
                }
                let request = AzureTokenRequests.clientCredentials(
                    authorityHost: cloud.authorityHost, tenantID: tenantID, clientID: clientID, scope: cloud.scope,
                    credential: .assertion(text(data)))
                let response = try await BearerTokenConnection.sendTokenRequest(
                    request, transport: transport, retry: retry, timeout: timeout, refused: refused)
                return try AzureTokenRequests.token(from: response, issued: issued, refused: refused)
            }
        }
    }

    /// ESO's client and tenant ID lookup for workload identity: the client ID from
    /// `authSecretRef.clientId` or the ServiceAccount's `azure.workload.identity/client-id`
    /// annotation (not both); the tenant ID from `authSecretRef.tenantId`, else `tenantId`, or the
    /// annotation `azure.workload.identity/tenant-id` (not both), else `AZURE_TENANT_ID`.
    private func workloadIdentityIDs(_ identity: AzureStoreSettings.WorkloadIdentity, references: any ReferenceReader)
        async throws -> (clientID: String, tenantID: String)
    {
        let field = AzureStoreSettings.field
        let annotations = try await references.serviceAccountAnnotations(
            identity.serviceAccount, field: "\(field).serviceAccountRef")
        func text(_ data: Data) -> String {
            String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var clientID = ""
        if let selector = identity.clientID {
            clientID = text(try await references.secretValue(selector, field: "\(field).authSecretRef.clientId"))
        }
        if let annotated = annotations[AzureStoreSettings.WorkloadIdentity.clientIDAnnotation] {
            guard clientID.isEmpty else {
                throw ProviderError.invalidConfiguration(
                    "multiple clientID found. Check secretRef and serviceAccountRef")
            }
            clientID = annotated
        }
        guard !clientID.isEmpty else {
            throw ProviderError.invalidConfiguration(
                "missing clientID: either serviceAccountRef or service account annotation '\(AzureStoreSettings.WorkloadIdentity.clientIDAnnotation)' is missing"
            )
        }
        var tenantID = ""
        if let selector = identity.tenantIDSecret {
            tenantID = text(try await references.secretValue(selector, field: "\(field).authSecretRef.tenantId"))
        }
        if tenantID.isEmpty, let fromSpec = identity.tenantID { tenantID = fromSpec }
        if let annotated = annotations[AzureStoreSettings.WorkloadIdentity.tenantIDAnnotation] {
            guard tenantID.isEmpty else {
                throw ProviderError.invalidConfiguration(
                    "multiple tenantID found. Check secretRef, 'spec.provider.azurekv.tenantId', and serviceAccountRef")
            }
            tenantID = annotated
        }
        if tenantID.isEmpty, let fromEnvironment = environment.tenantID { tenantID = fromEnvironment }
        guard !tenantID.isEmpty else { throw ProviderError.invalidConfiguration("missing tenantID in store config") }
        return (clientID, tenantID)
    }
}

/// The operator's Azure environment variables, read by `main` (the names azure-identity and the
/// Azure Workload Identity webhook use).
public struct AzureEnvironment: Sendable, Hashable {
    /// `AZURE_AUTHORITY_HOST`: the Entra authority host instead of the cloud's.
    public var authorityHost: String?
    /// `AZURE_POD_IDENTITY_AUTHORITY_HOST`, else `http://169.254.169.254`: the metadata service.
    public var metadataService: String
    /// `AZURE_CLIENT_ID`, `AZURE_TENANT_ID`, `AZURE_FEDERATED_TOKEN_FILE`: the operator's own
    /// workload identity.
    public var clientID: String?
    public var tenantID: String?
    public var federatedTokenFile: String?

    public init(
        authorityHost: String? = nil, metadataService: String? = nil, clientID: String? = nil, tenantID: String? = nil,
        federatedTokenFile: String? = nil
    ) {
        func nonEmpty(_ text: String?) -> String? { text.flatMap { $0.isEmpty ? nil : $0 } }
        self.authorityHost = nonEmpty(authorityHost)
        var service = nonEmpty(metadataService) ?? "http://169.254.169.254"
        while service.hasSuffix("/") { service.removeLast() }
        self.metadataService = service
        self.clientID = nonEmpty(clientID)
        self.tenantID = nonEmpty(tenantID)
        self.federatedTokenFile = nonEmpty(federatedTokenFile)
    }

    /// The variables of `environment` (a process environment).
    public init(variables environment: [String: String]) {
        self.init(
            authorityHost: environment["AZURE_AUTHORITY_HOST"],
            metadataService: environment["AZURE_POD_IDENTITY_AUTHORITY_HOST"], clientID: environment["AZURE_CLIENT_ID"],
            tenantID: environment["AZURE_TENANT_ID"], federatedTokenFile: environment["AZURE_FEDERATED_TOKEN_FILE"])
    }
}
