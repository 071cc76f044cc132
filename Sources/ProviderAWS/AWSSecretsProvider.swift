import AWSSigV4
import ExternalSecretsAPI
public import Foundation
import GoCompat
import HTTPSupport
public import Logging
public import ProviderKit

/// `spec.provider.aws`: AWS Secrets Manager (`service: SecretsManager`) and Systems Manager
/// Parameter Store (`service: ParameterStore`).
///
/// Credentials: static keys from Secrets (`auth.secretRef`, read through the `ReferenceReader`
/// and read again every 5 minutes so a rotated key is picked up), a ServiceAccount token exchanged
/// with STS (`auth.jwt`), or the operator's own (`DefaultCredentialChain`); then `additionalRoles`
/// and `role` assumed in order (role chaining), `role` with `externalID` and session tags. Every
/// step is cached in a `CachingCredentialProvider` (one refresh in flight, refreshed 5 minutes
/// before expiry), and the client is cached per store generation by the core, so STS is called
/// once per credential lifetime, not per reconcile.
///
/// Endpoints: ESO's `AWS_SECRETSMANAGER_ENDPOINT`, `AWS_SSM_ENDPOINT` and `AWS_STS_ENDPOINT`
/// override the regional endpoints for every store.
///
/// Capabilities: `ReadWrite`, as ESO: PushSecret writes to both services (see
/// `SecretsManagerClient+Push` and `ParameterStoreClient+Push`).
public struct AWSSecretsProvider: SecretsProvider {
    public var name: String { "aws" }
    public var capabilities: StoreCapabilities { .readWrite }

    let environment: [String: String]
    let makeTransport: TransportFactory
    let retry: AWSRetryPolicy
    let now: @Sendable () -> Date
    private let readFile: @Sendable (String) -> String?
    let logger: Logger

    /// How long static keys read from a Secret are used before the Secret is read again.
    static let secretRereadInterval: TimeInterval = 300
    /// ESO's session name for web identity and assumed roles.
    static let sessionName = "external-secrets-provider-aws"
    /// The audience of ServiceAccount tokens exchanged with STS (EKS's default).
    static let defaultAudience = "sts.amazonaws.com"
    static let roleARNAnnotation = "eks.amazonaws.com/role-arn"
    static let audienceAnnotation = "eks.amazonaws.com/audience"

    /// - Parameters:
    ///   - environment: the operator's environment: endpoint overrides and the default chain's
    ///     variables.
    ///   - transport: the HTTP transport of each store client (AsyncHTTPClient by default), made
    ///     with the system roots (`TLSSettings()`).
    ///   - retry: retries of throttled and failed calls; a store's `retrySettings` override the
    ///     attempts and the delay.
    ///   - now: wall-clock time, for signing and credential expiry.
    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        transport: @escaping TransportFactory = TransportFactories.asyncHTTPClient,
        retry: AWSRetryPolicy = AWSRetryPolicy(), now: @escaping @Sendable () -> Date = { Date() },
        readFile: @escaping @Sendable (String) -> String? = { try? String(contentsOfFile: $0, encoding: .utf8) },
        logger: Logger = Logger(label: "provider-aws")
    ) {
        self.environment = environment
        self.makeTransport = transport
        self.retry = retry
        self.now = now
        self.readFile = readFile
        self.logger = logger
    }

    public func validateStore(_ store: StoreContext) throws {
        _ = try AWSStoreSettings.resolve(store)
    }

    public func makeClient(for store: StoreContext, references: any ReferenceReader) async throws -> any SecretsClient {
        let settings = try AWSStoreSettings.resolve(store)
        if settings.isReferent, store.callerNamespace.isEmpty {
            return ReferentStoreClient(credentials: "AWS credentials")
        }
        let made: (transport: any HTTPTransport, shutdown: @Sendable () async throws -> Void)
        do {
            made = try makeTransport(TLSSettings())
        } catch {
            throw ProviderError(.unavailable, "\(AWSStoreSettings.field): cannot create an HTTP client: \(error)")
        }
        let retry = storeRetry(store.spec.retrySettings)
        let credentials = try await credentialChain(
            region: settings.region, source: settings.credentials, roles: settings.roleRequests(store: store),
            field: AWSStoreSettings.field, references: references, transport: made.transport, retry: retry)
        let endpoint: String
        let signingName: String
        let metricsProvider: String
        switch settings.service {
        case .secretsManager:
            endpoint = AWSEndpoints.secretsManager(region: settings.region, environment: environment)
            (signingName, metricsProvider) = ("secretsmanager", "AWS/SecretsManager")
        case .parameterStore:
            endpoint = AWSEndpoints.ssm(region: settings.region, environment: environment)
            (signingName, metricsProvider) = ("ssm", "AWS/ParameterStore")
        }
        let http = AWSHTTPClient(
            endpoint: endpoint, region: settings.region, signingName: signingName, credentials: credentials,
            transport: made.transport, retry: retry, metricsProvider: metricsProvider, now: now, logger: logger)
        logger.debug(
            "aws store client made",
            metadata: ["store": "\(store.displayName)", "endpoint": "\(endpoint)", "region": "\(settings.region)"])
        let validation: @Sendable () async throws -> Void = { _ = try await credentials.credentials() }
        let inner: any SecretsClient =
            switch settings.service {
            case .secretsManager:
                SecretsManagerClient(
                    http: http, prefix: settings.prefix, deletion: settings.deletion, validation: validation,
                    logger: logger)
            case .parameterStore:
                ParameterStoreClient(http: http, prefix: settings.prefix, validation: validation, logger: logger)
            }
        return ClosingClient(inner: inner, shutdown: made.shutdown)
    }

    // MARK: - Credentials

    /// A credential chain (a store's, or a generator's): base credentials from `source`, then each
    /// role of `roles` assumed in turn. `field` is the manifest field of the auth block, for
    /// error messages (`spec.provider.aws`, `spec`); `credentialsOwner` says whose credentials AWS
    /// refused (`the store's`, `the generator's`).
    func credentialChain(
        region: String, source: AWSStoreSettings.Credentials, roles: [STSClient.AssumeRoleRequest], field: String,
        credentialsOwner: String = "the store's", references: any ReferenceReader, transport: any HTTPTransport,
        retry: AWSRetryPolicy
    ) async throws -> CachingCredentialProvider {
        let stsEndpoint = AWSEndpoints.sts(region: region, environment: environment)
        let now = now
        let logger = logger
        let sts: @Sendable ((any AWSCredentialProvider)?) -> STSClient = { source in
            STSClient(
                http: AWSHTTPClient(
                    endpoint: stsEndpoint, region: region, signingName: "sts", credentials: source,
                    transport: transport,
                    retry: retry, metricsProvider: "AWS/STS", now: now, logger: logger))
        }
        let errors = AWSErrorMapper(serviceName: "STS", region: region, credentialsOwner: credentialsOwner)
        var chain: CachingCredentialProvider
        switch source {
        case .secretRef(let idSelector, let secretSelector, let tokenSelector):
            let read: @Sendable () async throws -> AWSCredentials = {
                func text(_ selector: SecretKeySelector, _ name: String) async throws -> String {
                    let bytes = try await references.secretValue(selector, field: "\(field).auth.secretRef.\(name)")
                    return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                }
                let id = try await text(idSelector, "accessKeyIDSecretRef")
                let secret = try await text(secretSelector, "secretAccessKeySecretRef")
                var token: String?
                if let tokenSelector { token = try await text(tokenSelector, "sessionTokenSecretRef") }
                guard !id.isEmpty, !secret.isEmpty else {
                    throw ProviderError.invalidConfiguration(
                        "\(field).auth.secretRef: the access key ID or secret access key is empty")
                }
                return AWSCredentials(
                    accessKeyID: id, secretAccessKey: secret, sessionToken: token.flatMap { $0.isEmpty ? nil : $0 })
            }
            chain = CachingCredentialProvider(
                ClosureCredentialProvider(read), rereadInterval: Self.secretRereadInterval, now: now)
        case .serviceAccount(let serviceAccount):
            let exchange: @Sendable () async throws -> AWSCredentials = {
                let fieldName = "\(field).auth.jwt.serviceAccountRef"
                let annotations = try await references.serviceAccountAnnotations(serviceAccount, field: fieldName)
                guard let role = annotations[Self.roleARNAnnotation], !role.isEmpty else {
                    throw ProviderError.invalidConfiguration(
                        "\(fieldName): ServiceAccount \"\(serviceAccount.name)\" has no \(Self.roleARNAnnotation) annotation naming the IAM role"
                    )
                }
                let audiences =
                    [annotations[Self.audienceAnnotation] ?? Self.defaultAudience] + (serviceAccount.audiences ?? [])
                let token = try await references.serviceAccountToken(
                    serviceAccount, audiences: audiences, field: fieldName)
                do {
                    return try await sts(nil).assumeRoleWithWebIdentity(
                        roleARN: role, sessionName: Self.sessionName, token: token)
                } catch {
                    throw errors.map(error, operation: "AssumeRoleWithWebIdentity", key: role)
                }
            }
            chain = CachingCredentialProvider(ClosureCredentialProvider(exchange), now: now)
        case .operatorDefault:
            let defaults = DefaultCredentialChain(
                environment: environment, sts: sts, transport: transport, readFile: readFile)
            let resolve: @Sendable () async throws -> AWSCredentials = {
                do {
                    return try await defaults.credentials()
                } catch {
                    throw errors.map(error, operation: "the operator's credentials", key: nil)
                }
            }
            chain = CachingCredentialProvider(ClosureCredentialProvider(resolve), now: now)
        }
        for request in roles {
            let source = chain
            let assume: @Sendable () async throws -> AWSCredentials = {
                do {
                    return try await sts(source).assumeRole(request)
                } catch {
                    throw errors.map(error, operation: "AssumeRole", key: request.roleARN)
                }
            }
            chain = CachingCredentialProvider(ClosureCredentialProvider(assume), now: now)
        }
        return chain
    }

    /// ESO's `retrySettings`: `maxRetries` attempts in all, `retryInterval` between them.
    func storeRetry(_ settings: SecretStoreRetrySettings?) -> AWSRetryPolicy {
        var policy = retry
        guard let settings else { return policy }
        if let maxRetries = settings.maxRetries { policy.maxAttempts = max(1, Int(maxRetries)) }
        if let interval = settings.retryInterval, let duration = GoDuration.parse(interval), duration > .zero {
            policy.fixedDelay = duration
        }
        return policy
    }
}

/// A store client that shuts its HTTP transport down on `close()`.
struct ClosingClient: SecretsClient {
    var inner: any SecretsClient
    var shutdown: @Sendable () async throws -> Void

    func getSecret(_ ref: ExternalSecretDataRemoteRef) async throws -> Data { try await inner.getSecret(ref) }
    func getSecretMap(_ ref: ExternalSecretDataRemoteRef) async throws -> SecretData {
        try await inner.getSecretMap(ref)
    }
    func getAllSecrets(_ find: ExternalSecretFind) async throws -> SecretData { try await inner.getAllSecrets(find) }
    func validate() async throws -> StoreValidationResult { try await inner.validate() }
    func pushSecret(_ value: PushValue, to target: PushTarget) async throws {
        try await inner.pushSecret(value, to: target)
    }
    func deleteSecret(_ target: PushTarget) async throws { try await inner.deleteSecret(target) }
    func secretExists(_ target: PushTarget) async throws -> Bool { try await inner.secretExists(target) }

    func close() async {
        await inner.close()
        try? await shutdown()
    }
}
