public import Foundation
import HTTPSupport
public import Logging
public import ProviderKit

/// `spec.provider.alibaba`: Alibaba Cloud KMS Secrets Manager over its RPC API (2016-01-20), every
/// call signed with signature V3 (`ACS3-HMAC-SHA256`) as the official SDKs sign.
///
/// Authentication: an AccessKey from `auth.secretRef`, or RRSA (`auth.rrsa`): the OIDC token file
/// (re-read at each exchange) exchanged through STS `AssumeRoleWithOIDC` for temporary
/// credentials, cached per store client, one exchange in flight, renewed before they expire.
///
/// Capabilities: `ReadWrite`. ESO's provider was read-only; here PushSecret writes generic
/// secrets tagged `managed-by: external-secrets` and never changes or deletes one without the tag.
public struct AlibabaSecretsProvider: SecretsProvider {
    public var name: String { "alibaba" }
    public var capabilities: StoreCapabilities { .readWrite }

    private let makeTransport: TransportFactory
    private let now: @Sendable () -> Date
    private let retry: HTTPRetryPolicy
    private let endpoints: AlibabaEndpoints
    private let operatorAccessKey: AlibabaOperatorAccessKey?
    private let logger: Logger

    /// - Parameters:
    ///   - endpoints: KMS and STS base URLs instead of the region's (tests).
    ///   - operatorAccessKey: the operator's own AccessKey (KES's variables), which a
    ///     ClusterSecretStore without credentials uses.
    public init(
        transport: @escaping TransportFactory = TransportFactories.asyncHTTPClient,
        now: @escaping @Sendable () -> Date = { Date() }, retry: HTTPRetryPolicy = HTTPRetryPolicy(),
        endpoints: AlibabaEndpoints = AlibabaEndpoints(), operatorAccessKey: AlibabaOperatorAccessKey? = nil,
        logger: Logger = Logger(label: "provider-alibaba")
    ) {
        self.makeTransport = transport
        self.now = now
        self.retry = retry
        self.endpoints = endpoints
        self.operatorAccessKey = operatorAccessKey
        self.logger = logger
    }

    private func resolve(_ store: StoreContext) throws(ProviderError) -> AlibabaStoreSettings {
        try AlibabaStoreSettings.resolve(store, operatorAccessKey: operatorAccessKey != nil)
    }

    /// Reads depend on the caller's namespace only for a referent ClusterSecretStore (AccessKey
    /// Secrets read in each caller's namespace).
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
            return ReferentStoreClient(credentials: "Alibaba AccessKey")
        }
        let made: (transport: any HTTPTransport, shutdown: @Sendable () async throws -> Void)
        do {
            made = try makeTransport(TLSSettings())
        } catch let error as HTTPTransportError {
            throw ProviderError.invalidConfiguration("\(AlibabaStoreSettings.field): \(error)")
        }
        let session: AlibabaCredentialSession
        do {
            session = try await makeSession(settings, references: references, transport: made.transport)
            // Get credentials now, so a store whose RRSA exchange fails is reported here, clearly.
            _ = try await session.credentials()
        } catch {
            try? await made.shutdown()
            throw error
        }
        let connection = AlibabaConnection(
            transport: made.transport, session: session, endpoint: endpoints.kmsURL(region: settings.regionID),
            retry: retry, timeout: .seconds(30), now: now)
        logger.debug(
            "alibaba kms store client made",
            metadata: [
                "store": "\(store.displayName)", "principal": "\(session.holder)", "region": "\(settings.regionID)",
            ])
        return AlibabaKMSClient(
            settings: settings, connection: connection, shutdown: made.shutdown, logger: logger,
            newVersionID: { UUID().uuidString.lowercased() })
    }

    private func makeSession(
        _ settings: AlibabaStoreSettings, references: any ReferenceReader, transport: any HTTPTransport
    ) async throws -> AlibabaCredentialSession {
        let field = AlibabaStoreSettings.field
        @Sendable func text(_ data: Data) -> String {
            String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        switch settings.credentials {
        case .accessKey(let idSelector, let secretSelector):
            let id: String
            let secret: String
            do {
                id = text(
                    try await references.secretValue(idSelector, field: "\(field).auth.secretRef.accessKeyIDSecretRef"))
            } catch let error as ProviderError {
                throw ProviderError(error.code, "could not fetch AccessKeyID secret: \(error.message)")
            }
            do {
                secret = text(
                    try await references.secretValue(
                        secretSelector, field: "\(field).auth.secretRef.accessKeySecretSecretRef"))
            } catch let error as ProviderError {
                throw ProviderError(error.code, "could not fetch AccessKeySecret secret: \(error.message)")
            }
            return .fixed(AlibabaCredentials(accessKeyID: id, accessKeySecret: secret))
        case .operatorAccessKey:
            guard let key = operatorAccessKey else {
                throw ProviderError.invalidConfiguration("missing alibaba auth provider")
            }
            return .fixed(AlibabaCredentials(accessKeyID: key.id, accessKeySecret: key.secret))
        case .rrsa(let rrsa):
            let (now, retry) = (self.now, self.retry)
            let endpoint = endpoints.stsURL(region: settings.regionID)
            let refused = "failed to create Alibaba OIDC credentials for role \(rrsa.roleArn)"
            return AlibabaCredentialSession(
                holder: rrsa.roleArn, renewalMargin: alibabaCredentialRenewalMargin, now: now
            ) {
                // The file is re-read per exchange: the kubelet rotates it.
                guard let data = FileManager.default.contents(atPath: rrsa.oidcTokenFilePath) else {
                    throw ProviderError.invalidConfiguration(
                        "\(refused): unable to read OIDC token file \(rrsa.oidcTokenFilePath)")
                }
                let call = AlibabaRequests.assumeRoleWithOIDC(
                    providerArn: rrsa.oidcProviderArn, roleArn: rrsa.roleArn, token: text(data),
                    sessionName: rrsa.sessionName)
                return try await AlibabaConnection.assumeRole(
                    call, endpoint: endpoint, transport: transport, retry: retry, timeout: .seconds(30), now: now,
                    refused: refused)
            }
        }
    }
}
