import ExternalSecretsAPI
import Foundation
import GoCompat
import ProviderKit

/// A store's `spec.provider.vault` block, checked and resolved without I/O.
///
/// ESO's webhook rules, plus the ones ESO leaves to fail later:
/// - `server` is an http(s) URL without credentials, query or fragment;
/// - exactly one login method is set (ESO silently uses the first of several, in a fixed order;
///   here two methods are a configuration error), and it is one this operator implements;
/// - every Secret reference has a name and a key (keys with ESO's defaults excepted);
/// - a SecretStore's references name no other namespace; `caProvider.namespace` is required on a
///   ClusterSecretStore and forbidden on a SecretStore;
/// - `caBundle` is base64 of PEM; `tls` sets both or neither of its references;
/// - `retrySettings.retryInterval` is a Go duration.
struct VaultStoreSettings: Sendable, Equatable {
    enum CertificateAuthority: Sendable, Equatable {
        /// The system's trusted roots.
        case unset
        case bundle([UInt8])
        case provider(CAProvider)
    }

    /// A client certificate and key, both in Secrets.
    struct ClientCertificate: Sendable, Equatable {
        var certificate: SecretKeySelector
        var key: SecretKeySelector
    }

    /// How a login method obtains the JWT it presents.
    enum JWTSource: Sendable, Equatable {
        /// A TokenRequest for a ServiceAccount, renewed with every login.
        case serviceAccount(ServiceAccountSelector, audiences: [String], expirationSeconds: Int64)
        /// A token held in a Secret, read at every login.
        case secret(SecretKeySelector)
        /// The operator's own mounted ServiceAccount token (Kubernetes method only).
        case mountedToken
    }

    enum Auth: Sendable, Equatable {
        /// A Vault token held in a Secret; never renewed or revoked here (it belongs to the user).
        case token(SecretKeySelector)
        case appRole(mount: String, roleID: RoleID, secretID: SecretKeySelector)
        case kubernetes(mount: String, role: String, jwt: JWTSource)
        case jwt(mount: String, role: String, jwt: JWTSource)
        case userPass(mount: String, username: String, password: SecretKeySelector)
        case ldap(mount: String, username: String, password: SecretKeySelector)
        case cert(mount: String, role: String?, certificate: ClientCertificate)

        enum RoleID: Sendable, Equatable {
            case inline(String)
            case secret(SecretKeySelector)
        }

        /// The method's name for messages and metrics (`approle`, `kubernetes`, ...).
        var method: String {
            switch self {
            case .token: "token"
            case .appRole: "approle"
            case .kubernetes: "kubernetes"
            case .jwt: "jwt"
            case .userPass: "userpass"
            case .ldap: "ldap"
            case .cert: "cert"
            }
        }

        /// Whether the token comes from a login (and so is renewed, and revoked when the
        /// client closes) rather than from the user.
        var logsIn: Bool {
            if case .token = self { return false }
            return true
        }
    }

    /// Retries of one request on 412 (read-your-writes), 429, 5xx and connection failures.
    struct RetryPolicy: Sendable, Equatable {
        var maxRetries: Int
        var minimumWait: Duration
        var maximumWait: Duration

        /// Vault's Go client: two retries, waits between 1 and 1.5 seconds.
        static let vaultDefault = RetryPolicy(maxRetries: 2, minimumWait: .seconds(1), maximumWait: .milliseconds(1500))

        /// The wait before retry `attempt` (1-based): doubling from the minimum, capped.
        func wait(before attempt: Int) -> Duration {
            var wait = minimumWait
            for _ in 1..<max(attempt, 1) where wait < maximumWait { wait = wait * 2 }
            return min(wait, maximumWait)
        }
    }

    var server: String
    /// The KV mount path without surrounding slashes; nil when every key names its mount.
    var mountPath: String?
    var version: VaultKVStoreVersion
    /// The Vault namespace of the secrets.
    var namespace: String?
    /// The Vault namespace logins and token calls go to.
    var authNamespace: String?
    var certificateAuthority: CertificateAuthority
    /// Mutual TLS (`tls`), or the certificate of the `cert` login method.
    var clientCertificate: ClientCertificate?
    var headers: [String: String]
    var readYourWrites: Bool
    var forwardInconsistent: Bool
    var auth: Auth
    /// A ClusterSecretStore whose credentials come from the namespace of each ExternalSecret
    /// (ESO's "referent" authentication): it cannot be checked without one.
    var isReferent: Bool
    var retry: RetryPolicy

    static let field = "spec.provider.vault"

    static func resolve(_ store: StoreContext) throws(ProviderError) -> VaultStoreSettings {
        guard let spec = store.spec.provider.vault else { throw .invalidConfiguration("\(field) is not set") }
        return try resolve(
            spec, rules: NamespaceRules(store: store), retrySettings: store.spec.retrySettings,
            isClusterStore: store.kind == .clusterSecretStore)
    }

    /// The settings of a VaultDynamicSecret generator's `spec.provider`: as a SecretStore's, with
    /// every reference read in the namespace of the object using the generator (the reader's
    /// access policy decides about a `namespace` a reference names). Messages name fields as
    /// `spec.provider.vault...`; the generator renames them.
    static func resolveGenerator(_ spec: VaultProvider, retrySettings: SecretStoreRetrySettings?) throws(ProviderError)
        -> VaultStoreSettings
    {
        try resolve(
            spec, rules: NamespaceRules(kind: .secretStore, storeNamespace: nil), retrySettings: retrySettings,
            isClusterStore: false)
    }

    private static func resolve(
        _ spec: VaultProvider, rules: NamespaceRules, retrySettings: SecretStoreRetrySettings?, isClusterStore: Bool
    ) throws(ProviderError) -> VaultStoreSettings {
        let server = try resolveServer(spec.server)
        let mountPath = spec.path.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "/")) }
            .flatMap { $0.isEmpty ? nil : $0 }

        guard let authSpec = spec.auth else {
            throw .invalidConfiguration(
                "\(field).auth is required: set one login method (tokenSecretRef, appRole, kubernetes, jwt, userPass, ldap or cert)"
            )
        }
        let auth = try resolveAuth(authSpec, rules: rules)

        var clientCertificate: ClientCertificate?
        if let tls = spec.tls, tls.certSecretRef != nil || tls.keySecretRef != nil {
            guard var certificate = tls.certSecretRef, var key = tls.keySecretRef else {
                throw .invalidConfiguration("\(field).tls: certSecretRef and keySecretRef must be set together")
            }
            if certificate.key?.isEmpty ?? true { certificate.key = "tls.crt" }
            if key.key?.isEmpty ?? true { key.key = "tls.key" }
            try rules.reference(certificate, field: "\(field).tls.certSecretRef")
            try rules.reference(key, field: "\(field).tls.keySecretRef")
            clientCertificate = ClientCertificate(certificate: certificate, key: key)
        }
        if case .cert(_, _, let certificate) = auth {
            guard server.hasPrefix("https://") else {
                throw .invalidConfiguration(
                    "\(field).auth.cert needs an https server: the certificate is presented in the TLS handshake")
            }
            // ESO presents the login certificate on every connection, instead of `tls`.
            clientCertificate = certificate
        }

        var certificateAuthority = CertificateAuthority.unset
        if let bundle = spec.caBundle, !bundle.isEmpty {
            certificateAuthority = .bundle(try StoreSettingChecks.caBundle(bundle, field: "\(field).caBundle"))
        } else if let provider = spec.caProvider {
            certificateAuthority = .provider(
                    try StoreSettingChecks.caProvider(provider, storeKind: rules.kind, field: "\(field).caProvider"))
        }

        let namespace = spec.namespace.flatMap { $0.isEmpty ? nil : $0 }
        let authNamespace = authSpec.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? namespace

        var headers: [String: String] = [:]
        for (name, value) in spec.headers ?? [:] {
            guard isToken(name) else {
                throw .invalidConfiguration("\(field).headers: \"\(name)\" is not a valid header name")
            }
            guard !value.contains(where: { $0 == "\r" || $0 == "\n" }) else {
                throw .invalidConfiguration("\(field).headers[\(name)]: the value may not contain line breaks")
            }
            let lowered = name.lowercased()
            guard lowered != "x-vault-token", lowered != "x-vault-namespace" else {
                throw .invalidConfiguration("\(field).headers: \(name) is set by the operator; use auth and namespace")
            }
            headers[name] = value
        }

        return VaultStoreSettings(
            server: server, mountPath: mountPath, version: spec.version ?? .v2, namespace: namespace,
            authNamespace: authNamespace, certificateAuthority: certificateAuthority,
            clientCertificate: clientCertificate, headers: headers, readYourWrites: spec.readYourWrites ?? false,
            forwardInconsistent: spec.forwardInconsistent ?? false, auth: auth,
            isReferent: isClusterStore && isReferent(spec),
            retry: try resolveRetry(retrySettings))
    }

    // MARK: - Auth

    private static func resolveAuth(_ auth: VaultAuth, rules: NamespaceRules) throws(ProviderError) -> Auth {
        let field = "\(field).auth"
        var set: [String] = []
        if auth.tokenSecretRef != nil { set.append("tokenSecretRef") }
        if auth.appRole != nil { set.append("appRole") }
        if auth.kubernetes != nil { set.append("kubernetes") }
        if auth.ldap != nil { set.append("ldap") }
        if auth.userPass != nil { set.append("userPass") }
        if auth.jwt != nil { set.append("jwt") }
        if auth.cert != nil { set.append("cert") }
        if auth.iam != nil { set.append("iam") }
        if auth.gcp != nil { set.append("gcp") }
        guard set.count == 1 else {
            if set.isEmpty {
                throw .invalidConfiguration(
                    "\(field): one login method is required (tokenSecretRef, appRole, kubernetes, jwt, userPass, ldap or cert)"
                )
            }
            throw .invalidConfiguration(
                "\(field): exactly one login method may be set, found \(set.joined(separator: ", "))")
        }

        if let selector = auth.tokenSecretRef {
            try rules.reference(selector, field: "\(field).tokenSecretRef")
            return .token(selector)
        }
        if let appRole = auth.appRole {
            let roleID: Auth.RoleID
            if let inline = appRole.roleId?.trimmingCharacters(in: .whitespacesAndNewlines), !inline.isEmpty {
                roleID = .inline(inline)
            } else if let roleRef = appRole.roleRef {
                try rules.reference(roleRef, field: "\(field).appRole.roleRef")
                roleID = .secret(roleRef)
            } else {
                throw .invalidConfiguration("\(field).appRole: neither roleId nor roleRef is set")
            }
            try rules.reference(appRole.secretRef, field: "\(field).appRole.secretRef")
            return .appRole(
                mount: try mount(appRole.path, default: "approle", field: "\(field).appRole.path"), roleID: roleID,
                secretID: appRole.secretRef)
        }
        if let kubernetes = auth.kubernetes {
            let field = "\(field).kubernetes"
            let role = kubernetes.role.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !role.isEmpty else { throw .invalidConfiguration("\(field).role is required") }
            let jwt: JWTSource
            if let serviceAccount = kubernetes.serviceAccountRef {
                guard !serviceAccount.name.isEmpty else {
                    throw .invalidConfiguration("\(field).serviceAccountRef.name is required")
                }
                try rules.namespace(serviceAccount.namespace, field: "\(field).serviceAccountRef")
                jwt = .serviceAccount(serviceAccount, audiences: serviceAccount.audiences ?? [], expirationSeconds: 600)
            } else if var secret = kubernetes.secretRef {
                if secret.key?.isEmpty ?? true { secret.key = "token" }
                try rules.reference(secret, field: "\(field).secretRef")
                jwt = .secret(secret)
            } else {
                jwt = .mountedToken
            }
            return .kubernetes(
                mount: try mount(kubernetes.mountPath, default: "kubernetes", field: "\(field).mountPath"), role: role,
                jwt: jwt)
        }
        if let jwtAuth = auth.jwt {
            let field = "\(field).jwt"
            let jwt: JWTSource
            if let secret = jwtAuth.secretRef {
                try rules.reference(secret, field: "\(field).secretRef")
                jwt = .secret(secret)
            } else if let token = jwtAuth.kubernetesServiceAccountToken {
                let serviceAccount = token.serviceAccountRef
                guard !serviceAccount.name.isEmpty else {
                    throw .invalidConfiguration(
                        "\(field).kubernetesServiceAccountToken.serviceAccountRef.name is required")
                }
                try rules.namespace(
                    serviceAccount.namespace, field: "\(field).kubernetesServiceAccountToken.serviceAccountRef")
                let expiration = token.expirationSeconds ?? 600
                guard expiration >= 600 else {
                    // The TokenRequest API refuses shorter tokens.
                    throw .invalidConfiguration(
                        "\(field).kubernetesServiceAccountToken.expirationSeconds must be at least 600")
                }
                // ESO: the ServiceAccount's audiences plus the deprecated field's (default `vault`).
                let audiences = (serviceAccount.audiences ?? []) + (token.audiences ?? ["vault"])
                jwt = .serviceAccount(serviceAccount, audiences: audiences, expirationSeconds: expiration)
            } else {
                throw .invalidConfiguration("\(field): neither secretRef nor kubernetesServiceAccountToken is set")
            }
            let role = (jwtAuth.role ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            return .jwt(mount: try mount(jwtAuth.path, default: "jwt", field: "\(field).path"), role: role, jwt: jwt)
        }
        if let userPass = auth.userPass {
            let (username, password) = try credentials(
                userPass.username, userPass.secretRef, rules: rules, field: "\(field).userPass")
            return .userPass(
                mount: try mount(userPass.path, default: "userpass", field: "\(field).userPass.path"),
                username: username, password: password)
        }
        if let ldap = auth.ldap {
            let (username, password) = try credentials(
                ldap.username, ldap.secretRef, rules: rules, field: "\(field).ldap")
            return .ldap(
                mount: try mount(ldap.path, default: "ldap", field: "\(field).ldap.path"), username: username,
                password: password)
        }
        if let cert = auth.cert {
            let field = "\(field).cert"
            guard let certificate = cert.clientCert else {
                throw .invalidConfiguration("\(field).clientCert is required")
            }
            guard let key = cert.secretRef else {
                throw .invalidConfiguration("\(field).secretRef (the private key) is required")
            }
            try rules.reference(certificate, field: "\(field).clientCert")
            try rules.reference(key, field: "\(field).secretRef")
            let role = cert.vaultRole.flatMap { $0.isEmpty ? nil : $0 }
            return .cert(
                mount: try mount(cert.path, default: "cert", field: "\(field).path"), role: role,
                certificate: ClientCertificate(certificate: certificate, key: key))
        }
        let method = auth.iam != nil ? "iam (AWS)" : "gcp"
        throw .unsupported(
            "\(field).\(auth.iam != nil ? "iam" : "gcp"): the \(method) login method is not supported by this operator yet"
        )
    }

    private static func credentials(
        _ username: String, _ password: SecretKeySelector?, rules: NamespaceRules, field: String
    ) throws(ProviderError) -> (String, SecretKeySelector) {
        let username = username.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !username.isEmpty else { throw .invalidConfiguration("\(field).username is required") }
        guard let password else { throw .invalidConfiguration("\(field).secretRef (the password) is required") }
        try rules.reference(password, field: "\(field).secretRef")
        return (username, password)
    }

    /// A login method's mount path: the default when unset, no surrounding slashes, no `..`.
    private static func mount(_ path: String?, default fallback: String, field: String) throws(ProviderError) -> String
    {
        let trimmed = (path ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "/ "))
        let mount = trimmed.isEmpty ? fallback : trimmed
        guard !mount.split(separator: "/").contains("..") else {
            throw .invalidConfiguration("\(field): \"\(mount)\" may not contain \"..\"")
        }
        return mount
    }

    /// ESO's `isReferentSpec`: some credential reference leaves its namespace to the caller.
    private static func isReferent(_ spec: VaultProvider) -> Bool {
        guard let auth = spec.auth else { return false }
        var namespaces: [String?] = []
        if let selector = auth.tokenSecretRef { namespaces.append(selector.namespace) }
        if let appRole = auth.appRole {
            namespaces.append(appRole.secretRef.namespace)
            if let roleRef = appRole.roleRef, (appRole.roleId ?? "").isEmpty { namespaces.append(roleRef.namespace) }
        }
        if let kubernetes = auth.kubernetes {
            if let serviceAccount = kubernetes.serviceAccountRef {
                namespaces.append(serviceAccount.namespace)
            } else if let secret = kubernetes.secretRef {
                namespaces.append(secret.namespace)
            }
        }
        if let ldap = auth.ldap { namespaces.append(ldap.secretRef?.namespace) }
        if let userPass = auth.userPass { namespaces.append(userPass.secretRef?.namespace) }
        if let jwt = auth.jwt {
            if let secret = jwt.secretRef {
                namespaces.append(secret.namespace)
            } else if let token = jwt.kubernetesServiceAccountToken {
                namespaces.append(token.serviceAccountRef.namespace)
            }
        }
        if let cert = auth.cert {
            namespaces.append(cert.clientCert?.namespace)
            namespaces.append(cert.secretRef?.namespace)
        }
        if let tls = spec.tls {
            if let certificate = tls.certSecretRef { namespaces.append(certificate.namespace) }
            if let key = tls.keySecretRef { namespaces.append(key.namespace) }
        }
        return namespaces.contains { $0 == nil || $0 == "" }
    }

    // MARK: - Server, CA, retries

    static func resolveServer(_ url: String) throws(ProviderError) -> String {
        let field = "\(field).server"
        let url = url.trimmingCharacters(in: .whitespaces)
        guard !url.isEmpty else { throw .invalidConfiguration("\(field) is required") }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "https" || scheme == "http", let host = components.host, !host.isEmpty
        else {
            throw .invalidConfiguration("\(field): \"\(url)\" is not an http(s) URL")
        }
        guard components.user == nil, components.password == nil, components.query == nil, components.fragment == nil
        else {
            throw .invalidConfiguration("\(field): the URL may not carry credentials, a query or a fragment")
        }
        var normalised = url
        while normalised.hasSuffix("/") { normalised.removeLast() }
        return normalised
    }

    private static func resolveRetry(_ settings: SecretStoreRetrySettings?) throws(ProviderError) -> RetryPolicy {
        guard let settings else { return .vaultDefault }
        // ESO: with retrySettings, an unset maxRetries means no retries.
        var policy = RetryPolicy(
            maxRetries: Int(max(settings.maxRetries ?? 0, 0)), minimumWait: RetryPolicy.vaultDefault.minimumWait,
            maximumWait: RetryPolicy.vaultDefault.maximumWait)
        policy.maxRetries = min(policy.maxRetries, 10)
        if let interval = settings.retryInterval, !interval.isEmpty {
            guard let wait = GoDuration.parse(interval), wait >= .zero else {
                throw .invalidConfiguration(
                    "spec.retrySettings.retryInterval: \"\(interval)\" is not a duration such as 10s")
            }
            policy.minimumWait = wait
            policy.maximumWait = wait
        }
        return policy
    }

    /// An HTTP header name (RFC 9110 token).
    private static func isToken(_ name: String) -> Bool {
        !name.isEmpty
            && name.unicodeScalars.allSatisfy {
                $0.isASCII
                    && ($0.properties.isAlphabetic || ("0"..."9").contains($0)
                        || "!#$%&'*+-.^_`|~".unicodeScalars.contains($0))
            }
    }

    /// ESO's namespace rules for references (`ValidateReferent...Selector`): only a SecretStore
    /// is restricted, to its own namespace.
    struct NamespaceRules {
        var kind: StoreKind
        var storeNamespace: String?

        init(store: StoreContext) {
            kind = store.kind
            storeNamespace = store.storeNamespace
        }

        /// `storeNamespace` nil (a generator's references): namespaces are left to the reader.
        init(kind: StoreKind, storeNamespace: String?) {
            self.kind = kind
            self.storeNamespace = storeNamespace
        }

        func namespace(_ namespace: String?, field: String) throws(ProviderError) {
            if kind == .secretStore, let storeNamespace, let namespace, !namespace.isEmpty, namespace != storeNamespace
            {
                throw .invalidConfiguration(
                    "\(field): namespace should either be empty or match the namespace of the SecretStore for a namespaced SecretStore"
                )
            }
        }

        func reference(_ selector: SecretKeySelector, field: String) throws(ProviderError) {
            guard let name = selector.name, !name.isEmpty else {
                throw .invalidConfiguration("\(field).name is required")
            }
            guard let key = selector.key, !key.isEmpty else { throw .invalidConfiguration("\(field).key is required") }
            try namespace(selector.namespace, field: field)
        }
    }
}
