import AWSSigV4
import ExternalSecretsAPI
public import Foundation
import HTTPSupport
public import KubeModel
public import ProviderKit

/// ESO's AWS generators, `ECRAuthorizationToken` and `STSSessionToken`, made with the AWS
/// provider's signing, credential chain (`auth.secretRef`, `auth.jwt`, the operator's own), role
/// assumption and retries.
///
/// - ECRAuthorizationToken: ECR `GetAuthorizationToken` (ECR Public's with `scope: public`); the
///   token, base64 of `user:password`, is split as ESO does into `username` and `password`, with
///   `proxy_endpoint` (private registries only) and `expires_at` (Unix seconds).
/// - STSSessionToken: STS `GetSessionToken` with `requestParameters`; keys `access_key_id`,
///   `secret_access_key`, `session_token` and `expiration` (Unix seconds). `auth.jwt` is refused,
///   as in ESO.
///
/// The Secrets and ServiceAccount of `auth` are read through the `ReferenceReader`, in the
/// namespace of the object using the generator (the access policy refuses another namespace).
/// Endpoints: ESO's `AWS_ECR_ENDPOINT`, `AWS_ECR_PUBLIC_ENDPOINT` and `AWS_STS_ENDPOINT`.
/// Every call makes its own session: nothing is cached between generations (each is a new
/// credential).
public struct AWSGenerators: SecretGenerator {
    private let provider: AWSSecretsProvider

    /// - Parameter provider: the AWS provider whose environment, transport, retries, clock and
    ///   logger the generators use.
    public init(provider: AWSSecretsProvider) {
        self.provider = provider
    }

    /// Whose credentials AWS refused, in error messages.
    static let credentialsOwner = "the generator's"

    public var resources: [ResourceDescriptor] {
        [ECRAuthorizationTokenGenerator.resource, STSSessionTokenGenerator.resource]
    }

    public func generate(kind: String, spec: JSONValue?, references: any ReferenceReader, now: Date) async throws
        -> GeneratedSecret
    {
        GeneratedSecret(data: try await values(kind: kind, spec: spec, references: references))
    }

    /// The values of one generation (neither kind returns state: an ECR token or STS session
    /// cannot be revoked, it expires).
    private func values(kind: String, spec: JSONValue?, references: any ReferenceReader) async throws -> SecretData {
        switch kind {
        case ECRAuthorizationTokenSpec.kind:
            let spec = try Self.decode(ECRAuthorizationTokenSpec.self, spec)
            let source = try AWSGeneratorAuth.credentials(of: spec.auth, region: spec.region, allowJWT: true)
            let isPublic = spec.scope == "public"
            return try await withCredentials(
                region: spec.region, source: source, role: spec.role, references: references
            ) { credentials, transport in
                try await ecrLogin(
                    region: spec.region, isPublic: isPublic, credentials: credentials, transport: transport)
            }
        case STSSessionTokenSpec.kind:
            let spec = try Self.decode(STSSessionTokenSpec.self, spec)
            let source = try AWSGeneratorAuth.credentials(of: spec.auth, region: spec.region, allowJWT: false)
            return try await withCredentials(
                region: spec.region, source: source, role: spec.role, references: references
            ) { credentials, transport in
                try await sessionToken(
                    region: spec.region, parameters: spec.requestParameters, credentials: credentials,
                    transport: transport)
            }
        default:
            throw ProviderError.unsupported("generator kind \(kind) is not run by the AWS generators")
        }
    }

    static func decode<Spec: GeneratorSpec>(_ type: Spec.Type, _ spec: JSONValue?) throws(ProviderError) -> Spec {
        guard let spec else {
            throw .invalidConfiguration("the \(Spec.kind) generator has no spec; spec.region is required")
        }
        do {
            return try spec.decode(as: Spec.self)
        } catch {
            throw .invalidConfiguration("the \(Spec.kind) generator's spec does not match its schema")
        }
    }

    // MARK: - Sessions

    /// Runs `body` with the credential chain of `source` (then `role` assumed) and an HTTP
    /// transport shut down afterwards.
    private func withCredentials(
        region: String, source: AWSStoreSettings.Credentials, role: String?, references: any ReferenceReader,
        _ body: (CachingCredentialProvider, any HTTPTransport) async throws -> SecretData
    ) async throws -> SecretData {
        let made: (transport: any HTTPTransport, shutdown: @Sendable () async throws -> Void)
        do {
            made = try provider.makeTransport(TLSSettings())
        } catch {
            throw ProviderError(.unavailable, "spec: cannot create an HTTP client: \(error)")
        }
        let roles =
            (role.flatMap { $0.isEmpty ? nil : $0 }).map {
                [STSClient.AssumeRoleRequest(roleARN: $0, sessionName: AWSSecretsProvider.sessionName)]
            } ?? []
        do {
            let chain = try await provider.credentialChain(
                region: region, source: source, roles: roles, field: "spec", credentialsOwner: Self.credentialsOwner,
                references: references, transport: made.transport, retry: provider.retry)
            let values = try await body(chain, made.transport)
            try? await made.shutdown()
            return values
        } catch {
            try? await made.shutdown()
            throw error
        }
    }

    private func http(
        endpoint: String, region: String, signingName: String, metricsProvider: String,
        credentials: CachingCredentialProvider, transport: any HTTPTransport
    ) -> AWSHTTPClient {
        AWSHTTPClient(
            endpoint: endpoint, region: region, signingName: signingName, credentials: credentials,
            transport: transport, retry: provider.retry, metricsProvider: metricsProvider, now: provider.now,
            logger: provider.logger)
    }

    // MARK: - ECRAuthorizationToken

    private func ecrLogin(
        region: String, isPublic: Bool, credentials: CachingCredentialProvider, transport: any HTTPTransport
    ) async throws -> SecretData {
        let call = ECRLogin.call(isPublic: isPublic, region: region, environment: provider.environment)
        let service = AWSJSONService(
            http: http(
                endpoint: call.endpoint, region: region, signingName: call.signingName,
                metricsProvider: call.metricsProvider, credentials: credentials, transport: transport),
            targetPrefix: call.targetPrefix,
            errors: AWSErrorMapper(
                serviceName: call.serviceName, region: region, credentialsOwner: Self.credentialsOwner))
        if isPublic {
            let output: ECRLogin.PublicOutput = try await service.call(
                "GetAuthorizationToken", ECRLogin.Input(), key: nil)
            guard let data = output.authorizationData else {
                throw ProviderError(.invalidData, "ECR Public GetAuthorizationToken answered without authorizationData")
            }
            return try ECRLogin.values(of: data, serviceName: call.serviceName, withProxyEndpoint: false)
        }
        let output: ECRLogin.PrivateOutput = try await service.call("GetAuthorizationToken", ECRLogin.Input(), key: nil)
        let entries = output.authorizationData ?? []
        guard entries.count == 1 else {
            throw ProviderError(
                .invalidData,
                "ECR GetAuthorizationToken: unexpected number of authorization tokens: expected 1, found \(entries.count)"
            )
        }
        return try ECRLogin.values(of: entries[0], serviceName: call.serviceName, withProxyEndpoint: true)
    }

    // MARK: - STSSessionToken

    private func sessionToken(
        region: String, parameters: STSSessionTokenRequestParameters?, credentials: CachingCredentialProvider,
        transport: any HTTPTransport
    ) async throws -> SecretData {
        let sts = STSClient(
            http: http(
                endpoint: AWSEndpoints.sts(region: region, environment: provider.environment), region: region,
                signingName: "sts", metricsProvider: "AWS/STS", credentials: credentials, transport: transport))
        let token: AWSCredentials
        do {
            token = try await sts.getSessionToken(
                durationSeconds: parameters?.sessionDuration, serialNumber: parameters?.serialNumber,
                tokenCode: parameters?.tokenCode)
        } catch {
            throw AWSErrorMapper(serviceName: "STS", region: region, credentialsOwner: Self.credentialsOwner).map(
                error, operation: "GetSessionToken", key: nil)
        }
        return try SessionTokenValues.values(of: token)
    }
}

/// A generator's `region` and `auth`, checked: the credentials source, as the AWS provider's.
enum AWSGeneratorAuth {
    static func credentials(of auth: AWSAuth?, region: String, allowJWT: Bool) throws(ProviderError)
        -> AWSStoreSettings.Credentials
    {
        guard AWSEndpoints.isValidRegion(region) else {
            throw .invalidConfiguration("spec.region \"\(region)\" is not an AWS region")
        }
        if let jwt = auth?.jwt, auth?.secretRef == nil {
            guard allowJWT else {
                throw .invalidConfiguration(
                    "spec.auth.jwt cannot be used for STS session tokens (GetSessionToken needs long-term credentials); use spec.auth.secretRef"
                )
            }
            guard let serviceAccount = jwt.serviceAccountRef, !serviceAccount.name.isEmpty else {
                throw .invalidConfiguration("spec.auth.jwt needs serviceAccountRef")
            }
            return .serviceAccount(serviceAccount)
        }
        guard let secretRef = auth?.secretRef else { return .operatorDefault }
        if auth?.jwt != nil, !allowJWT {
            throw .invalidConfiguration(
                "spec.auth.jwt cannot be used for STS session tokens (GetSessionToken needs long-term credentials); use spec.auth.secretRef"
            )
        }
        guard let id = secretRef.accessKeyIDSecretRef, let secret = secretRef.secretAccessKeySecretRef else {
            throw .invalidConfiguration("spec.auth.secretRef needs accessKeyIDSecretRef and secretAccessKeySecretRef")
        }
        let selectors =
            [("accessKeyIDSecretRef", id), ("secretAccessKeySecretRef", secret)]
            + (secretRef.sessionTokenSecretRef.map { [("sessionTokenSecretRef", $0)] } ?? [])
        for (name, selector) in selectors {
            guard let selectorName = selector.name, !selectorName.isEmpty else {
                throw .invalidConfiguration("spec.auth.secretRef.\(name).name is required")
            }
            guard let key = selector.key, !key.isEmpty else {
                throw .invalidConfiguration("spec.auth.secretRef.\(name).key is required")
            }
        }
        return .secretRef(accessKeyID: id, secretAccessKey: secret, sessionToken: secretRef.sessionTokenSecretRef)
    }
}

/// ECR's and ECR Public's `GetAuthorizationToken`: where it is sent and how its answer becomes
/// ESO's keys (pure, tested).
enum ECRLogin {
    static let endpointVariable = "AWS_ECR_ENDPOINT"
    static let publicEndpointVariable = "AWS_ECR_PUBLIC_ENDPOINT"

    struct Call: Equatable {
        var endpoint: String
        var signingName: String
        var targetPrefix: String
        var serviceName: String
        var metricsProvider: String
    }

    static func call(isPublic: Bool, region: String, environment: [String: String]) -> Call {
        if isPublic {
            return Call(
                endpoint: nonEmpty(environment[publicEndpointVariable])
                    ?? "https://api.ecr-public.\(region).\(AWSEndpoints.domain(region))",
                signingName: "ecr-public", targetPrefix: "SpencerFrontendService", serviceName: "ECR Public",
                metricsProvider: "AWS/ECRPublic")
        }
        return Call(
            endpoint: nonEmpty(environment[endpointVariable])
                ?? "https://api.ecr.\(region).\(AWSEndpoints.domain(region))",
            signingName: "ecr", targetPrefix: "AmazonEC2ContainerRegistry_V20150921", serviceName: "ECR",
            metricsProvider: "AWS/ECR")
    }

    private static func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }

    /// `GetAuthorizationToken` takes no parameters here (ESO asks for the caller's registry).
    struct Input: Encodable {}

    struct AuthorizationData: Decodable {
        var authorizationToken: String?
        /// Seconds since 1970 (a JSON number, possibly fractional).
        var expiresAt: Double?
        var proxyEndpoint: String?
    }

    struct PrivateOutput: Decodable {
        var authorizationData: [AuthorizationData]?
    }

    struct PublicOutput: Decodable {
        var authorizationData: AuthorizationData?
    }

    /// ESO's keys: the token (base64 of `user:password`) split at its one `:`; `expires_at` in
    /// whole Unix seconds; `proxy_endpoint` for private registries.
    ///
    /// Guarantees: errors never contain the token or a part of it.
    static func values(of data: AuthorizationData, serviceName: String, withProxyEndpoint: Bool)
        throws(ProviderError) -> SecretData
    {
        guard let token = data.authorizationToken, let decoded = Data(base64Encoded: token) else {
            throw ProviderError(
                .invalidData, "\(serviceName) GetAuthorizationToken: the token is missing or not base64")
        }
        let parts = decoded.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw ProviderError(
                .invalidData, "\(serviceName) GetAuthorizationToken: unexpected token format (not user:password)")
        }
        guard let expiresAt = data.expiresAt, expiresAt.isFinite else {
            throw ProviderError(.invalidData, "\(serviceName) GetAuthorizationToken answered without expiresAt")
        }
        var values: SecretData = [
            "username": Data(parts[0]), "password": Data(parts[1]),
            "expires_at": Data(String(Int64(expiresAt.rounded(.down))).utf8),
        ]
        if withProxyEndpoint {
            guard let proxyEndpoint = data.proxyEndpoint else {
                throw ProviderError(.invalidData, "\(serviceName) GetAuthorizationToken answered without proxyEndpoint")
            }
            values["proxy_endpoint"] = Data(proxyEndpoint.utf8)
        }
        return values
    }
}

/// STS `GetSessionToken`'s credentials as ESO's keys (pure, tested).
enum SessionTokenValues {
    static func values(of credentials: AWSCredentials) throws(ProviderError) -> SecretData {
        guard let sessionToken = credentials.sessionToken, let expiration = credentials.expiration else {
            throw ProviderError(.invalidData, "STS GetSessionToken answered without a session token or expiration")
        }
        return [
            "access_key_id": Data(credentials.accessKeyID.utf8),
            "secret_access_key": Data(credentials.secretAccessKey.utf8),
            "session_token": Data(sessionToken.utf8),
            "expiration": Data(String(Int64(expiration.timeIntervalSince1970.rounded(.down))).utf8),
        ]
    }
}
