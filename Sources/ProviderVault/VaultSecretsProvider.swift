import ExternalSecretsAPI
public import Foundation
import HTTPSupport
public import Logging
public import ProviderKit

/// `spec.provider.vault`: a KV engine (v1 or v2) of HashiCorp Vault or OpenBao.
///
/// One client per store generation (and caller namespace) holds one Vault token: it logs in on
/// first use, renews the token after two thirds of its lease, and logs in again only when renewal
/// is impossible or Vault stops accepting the token — never per reconcile (ESO#376). Every
/// credential, CA bundle and ServiceAccount token is read through the `ReferenceReader`.
///
/// Login methods: token Secret, AppRole, Kubernetes, JWT/OIDC, userpass, LDAP, TLS certificate.
/// AWS IAM and GCP logins are accepted in the schema and reported as unsupported.
///
/// Capabilities: `ReadWrite`, as ESO: PushSecret writes KV v1 and v2 secrets that carry ESO's
/// managed-by marker, and never changes or deletes one without it (`VaultSecretsClient+Push`).
public struct VaultSecretsProvider: SecretsProvider {
    public var name: String { "vault" }
    public var capabilities: StoreCapabilities { .readWrite }

    private let makeTransport: TransportFactory
    let now: @Sendable () -> Date
    private let sleep: @Sendable (Duration) async throws -> Void
    private let mountedTokenPath: String
    let logger: Logger

    /// Where a pod's ServiceAccount token is mounted (Kubernetes login without a reference).
    public static let defaultMountedTokenPath = "/var/run/secrets/kubernetes.io/serviceaccount/token"

    /// - Parameters:
    ///   - transport: the HTTP transport of each store client (AsyncHTTPClient by default).
    ///   - now: wall-clock time, for token renewal.
    ///   - sleep: waits between retries (tests pass one that returns at once).
    ///   - mountedTokenPath: the operator's own ServiceAccount token, for Kubernetes login
    ///     without `serviceAccountRef` or `secretRef`.
    public init(
        transport: @escaping TransportFactory = TransportFactories.asyncHTTPClient,
        now: @escaping @Sendable () -> Date = { Date() },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        mountedTokenPath: String = VaultSecretsProvider.defaultMountedTokenPath,
        logger: Logger = Logger(label: "provider-vault")
    ) {
        self.makeTransport = transport
        self.now = now
        self.sleep = sleep
        self.mountedTokenPath = mountedTokenPath
        self.logger = logger
    }

    public func validateStore(_ store: StoreContext) throws {
        _ = try VaultStoreSettings.resolve(store)
    }

    public func makeClient(for store: StoreContext, references: any ReferenceReader) async throws -> any SecretsClient {
        let settings = try VaultStoreSettings.resolve(store)
        if settings.isReferent, store.callerNamespace.isEmpty {
            return ReferentStoreClient()
        }
        let client = try await connect(settings, references: references)
        logger.debug(
            "vault store client made",
            metadata: [
                "store": "\(store.displayName)", "server": "\(settings.server)", "method": "\(settings.auth.method)",
            ])
        return client
    }

    /// A client of `settings`' server, logged in (so bad credentials fail here, clearly).
    func connect(_ settings: VaultStoreSettings, references: any ReferenceReader) async throws -> VaultSecretsClient {
        let tls = try await tlsSettings(settings, references: references)
        let made: (transport: any HTTPTransport, shutdown: @Sendable () async throws -> Void)
        do {
            made = try makeTransport(tls)
        } catch let error as HTTPTransportError {
            throw ProviderError.invalidConfiguration("\(VaultStoreSettings.field): \(error)")
        }
        let connection = VaultConnection(transport: made.transport, settings: settings, sleep: sleep)
        let authenticator = VaultAuthenticator(
            settings: settings, connection: connection, references: references,
            errors: VaultErrorMapper(server: settings.server), now: now, mountedTokenPath: mountedTokenPath,
            logger: logger)
        let client = VaultSecretsClient(
            settings: settings, connection: connection, authenticator: authenticator, shutdown: made.shutdown,
            logger: logger)
        // Log in now, so a store with bad credentials fails here, clearly, and is not cached.
        do {
            _ = try await client.session.token()
        } catch {
            await client.close()
            throw error
        }
        return client
    }

    /// Trust and client certificate: the CA bundle or provider, and the `tls` block or the
    /// `cert` login method's certificate.
    private func tlsSettings(_ settings: VaultStoreSettings, references: any ReferenceReader) async throws
        -> TLSSettings
    {
        let field = VaultStoreSettings.field
        var tls = TLSSettings()
        switch settings.certificateAuthority {
        case .unset:
            break
        case .bundle(let pem):
            tls.trustedCAsPEM = pem
        case .provider(let provider):
            tls.trustedCAsPEM = Array(try await references.caBundle(provider, field: "\(field).caProvider"))
        }
        if let certificate = settings.clientCertificate {
            let prefix: String
            if case .cert = settings.auth { prefix = "\(field).auth.cert" } else { prefix = "\(field).tls" }
            let isLogin = prefix.hasSuffix(".cert")
            tls.clientCertificatePEM = Array(
                try await references.secretValue(
                    certificate.certificate, field: isLogin ? "\(prefix).clientCert" : "\(prefix).certSecretRef"))
            tls.clientKeyPEM = Array(
                try await references.secretValue(
                    certificate.key, field: isLogin ? "\(prefix).secretRef" : "\(prefix).keySecretRef"))
        }
        return tls
    }
}
