public import Foundation
import HTTPSupport
public import Logging
public import ProviderKit

/// `spec.provider.ibm`: IBM Cloud Secrets Manager over its REST API (v2).
///
/// Authentication: an API key from `auth.secretRef.secretApiKeySecretRef` exchanged for IAM tokens
/// (grant `urn:ibm:params:oauth:grant-type:apikey`), or a trusted profile (`auth.containerAuth`):
/// the pod's compute-resource token file, re-read for each token (grant
/// `urn:ibm:params:oauth:grant-type:cr-token`). Tokens are cached per store client, one request
/// in flight, renewed before they expire.
///
/// Capabilities: `ReadWrite` (ESO's IBM provider is read-only): PushSecret writes `arbitrary`
/// secrets labelled `managed-by:external-secrets` and never changes or deletes a secret without
/// that label.
public struct IBMSecretsProvider: SecretsProvider {
    public var name: String { "ibm" }
    public var capabilities: StoreCapabilities { .readWrite }

    private let makeTransport: TransportFactory
    private let now: @Sendable () -> Date
    private let retry: HTTPRetryPolicy
    private let operatorAPIKey: IBMOperatorAPIKey?
    private let logger: Logger

    /// - Parameter operatorAPIKey: the operator's own API key (KES's variables), which a
    ///   ClusterSecretStore with an empty `auth` uses.
    public init(
        transport: @escaping TransportFactory = TransportFactories.asyncHTTPClient,
        now: @escaping @Sendable () -> Date = { Date() }, retry: HTTPRetryPolicy = HTTPRetryPolicy(),
        operatorAPIKey: IBMOperatorAPIKey? = nil, logger: Logger = Logger(label: "provider-ibm")
    ) {
        self.makeTransport = transport
        self.now = now
        self.retry = retry
        self.operatorAPIKey = operatorAPIKey
        self.logger = logger
    }

    private func resolve(_ store: StoreContext) throws(ProviderError) -> IBMStoreSettings {
        try IBMStoreSettings.resolve(store, operatorAPIKey: operatorAPIKey != nil)
    }

    /// Reads depend on the caller's namespace only for a referent ClusterSecretStore (an API-key
    /// Secret without namespace, read in each caller's namespace).
    public func readsDependOnCallerNamespace(_ store: StoreContext) -> Bool {
        guard let settings = try? resolve(store) else { return true }
        return settings.isReferent
    }

    public func validateStore(_ store: StoreContext) throws {
        _ = try resolve(store)
    }

    public func makeClient(for store: StoreContext, references: any ReferenceReader) async throws -> any SecretsClient {
        let settings = try resolve(store)
        if settings.isReferent, store.callerNamespace.isEmpty {
            return ReferentStoreClient(credentials: "IBM Cloud API key")
        }
        let made: (transport: any HTTPTransport, shutdown: @Sendable () async throws -> Void)
        do {
            made = try makeTransport(TLSSettings())
        } catch let error as HTTPTransportError {
            throw ProviderError.invalidConfiguration("\(IBMStoreSettings.field): \(error)")
        }
        var retry = self.retry
        if let configured = settings.retry {
            retry.maxRetries = configured.maxRetries
            retry.maximum = configured.maximumWait
        }
        let session: BearerTokenSession
        do {
            session = try await makeSession(settings, references: references, transport: made.transport, retry: retry)
        } catch {
            try? await made.shutdown()
            throw error
        }
        let client = IBMSecretsManagerClient(
            settings: settings, requests: IBMRequests(serviceURL: settings.serviceURL),
            connection: IBMConnection(transport: made.transport, session: session, retry: retry, timeout: .seconds(30)),
            shutdown: made.shutdown, logger: logger)
        // Get a token now, so a store with bad credentials fails here, clearly, and is not cached.
        do {
            _ = try await session.token()
        } catch {
            await client.close()
            throw error
        }
        logger.debug(
            "ibm secrets manager store client made",
            metadata: [
                "store": "\(store.displayName)", "identity": "\(session.holder)", "service": "\(settings.serviceURL)",
            ])
        return client
    }

    private func makeSession(
        _ settings: IBMStoreSettings, references: any ReferenceReader, transport: any HTTPTransport,
        retry: HTTPRetryPolicy
    ) async throws -> BearerTokenSession {
        let now = self.now
        let timeout = Duration.seconds(30)
        let apiKey: String
        let iamEndpoint: String
        let refused: String
        let holder: String
        switch settings.credentials {
        case .apiKey(let selector, let endpoint):
            let field = "\(IBMStoreSettings.field).auth.secretRef.secretApiKeySecretRef"
            apiKey = String(decoding: try await references.secretValue(selector, field: field), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            guard !apiKey.isEmpty else {
                throw ProviderError.invalidConfiguration("\(field): the API key is empty")
            }
            iamEndpoint = endpoint
            refused = "IBM Cloud IAM \(iamEndpoint) refused the API key of Secret \(selector.name ?? "")"
            holder = "API key"
        case .operatorAPIKey:
            guard let key = operatorAPIKey else { throw ProviderError.invalidConfiguration("missing auth method") }
            apiKey = key.apiKey
            iamEndpoint = key.iamEndpoint
            refused =
                "IBM Cloud IAM \(iamEndpoint) refused the operator's API key (\(IBMOperatorAPIKey.apiKeyVariable))"
            holder = "the operator's API key"
        case .trustedProfile(let profile, let tokenLocation, let iamEndpoint):
            // ESO's ValidateStore opens the file; here a client needs it readable now.
            guard FileManager.default.isReadableFile(atPath: tokenLocation) else {
                throw ProviderError.invalidConfiguration("cannot read container auth token \(tokenLocation)")
            }
            let refused =
                "IBM Cloud IAM \(iamEndpoint) refused the compute-resource token for trusted profile \(profile)"
            return BearerTokenSession(holder: profile, renewalMargin: ibmTokenRenewalMargin, now: now) {
                let issued = now()
                // Re-read per token: the kubelet rotates the projected token.
                guard let data = FileManager.default.contents(atPath: tokenLocation) else {
                    throw ProviderError.invalidConfiguration("cannot read container auth token \(tokenLocation)")
                }
                let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                let response = try await BearerTokenConnection.sendTokenRequest(
                    IBMTokenRequests.trustedProfile(
                        iamEndpoint: iamEndpoint, profile: profile, computeResourceToken: token),
                    transport: transport, retry: retry, timeout: timeout, refused: refused)
                return try IBMTokenRequests.token(from: response, issued: issued, refused: refused)
            }
        }
        return BearerTokenSession(holder: holder, renewalMargin: ibmTokenRenewalMargin, now: now) {
            let issued = now()
            let response = try await BearerTokenConnection.sendTokenRequest(
                IBMTokenRequests.apiKey(iamEndpoint: iamEndpoint, apiKey: apiKey), transport: transport,
                retry: retry, timeout: timeout, refused: refused)
            return try IBMTokenRequests.token(from: response, issued: issued, refused: refused)
        }
    }
}
