import ExternalSecretsAPI
import Foundation
import ProviderKit

/// A store's `spec.provider.kubernetes` block, checked and resolved without I/O.
///
/// The rules are ESO's webhook rules for this provider, plus the ones ESO leaves to fail later
/// (both `auth` and `authRef`, neither, an empty reference):
/// - exactly one of `auth` (with exactly one of `token`, `serviceAccount`, `cert`) or `authRef`;
/// - every Secret reference has a name and a key;
/// - a SecretStore's references name no other namespace; a ClusterSecretStore's token and client
///   certificate references name their namespace (ESO: "cluster scope requires namespace");
/// - `caProvider.namespace` is required on a ClusterSecretStore and forbidden on a SecretStore;
/// - `caBundle` is base64 of PEM; `server.url` is an http(s) URL or a bare `host[:port]`.
struct KubernetesStoreSettings: Sendable, Equatable {
    /// Which API server the store talks to.
    enum Server: Sendable, Equatable {
        /// The operator's own cluster (`server.url` unset or `kubernetes.default`).
        case local
        /// An explicit URL, normalised to `https://host[:port]` when it had no scheme.
        case remote(String)
    }

    /// Where the server's CA bundle comes from.
    enum CertificateAuthority: Sendable, Equatable {
        /// The operator's own CA for `.local`, the system roots otherwise.
        case unset
        case bundle([UInt8])
        case provider(CAProvider)
    }

    enum Credentials: Sendable, Equatable {
        case token(SecretKeySelector)
        case serviceAccount(ServiceAccountSelector)
        case certificate(certificate: SecretKeySelector, key: SecretKeySelector)
        /// A kubeconfig in a Secret; it names its own server and CA.
        case kubeconfig(SecretKeySelector)
    }

    var server: Server
    var certificateAuthority: CertificateAuthority
    var credentials: Credentials
    var remoteNamespace: String
    /// A ClusterSecretStore whose credentials live in the namespace of each ExternalSecret
    /// (ESO's "referent" authentication): it cannot be checked without one.
    var isReferent: Bool

    static let field = "spec.provider.kubernetes"
    static let defaultRemoteNamespace = "default"
    /// The `server.url` default of ESO's CRD: the cluster the operator runs in.
    static let localServerNames: Set<String> = [
        "kubernetes.default", "https://kubernetes.default", "kubernetes.default.svc",
        "https://kubernetes.default.svc", "kubernetes.default.svc.cluster.local",
        "https://kubernetes.default.svc.cluster.local",
    ]

    /// Resolves `store`'s provider block or throws `ProviderError.invalidConfiguration` naming the
    /// field at fault.
    static func resolve(_ store: StoreContext) throws(ProviderError) -> KubernetesStoreSettings {
        guard let spec = store.spec.provider.kubernetes else {
            throw .invalidConfiguration("\(field) is not set")
        }
        let rules = NamespaceRules(store: store)

        let credentials: Credentials
        switch (spec.auth, spec.authRef) {
        case (nil, nil):
            throw .invalidConfiguration("\(field): one of auth or authRef is required")
        case (.some, .some):
            throw .invalidConfiguration("\(field): auth and authRef are mutually exclusive; set only one")
        case (nil, let authRef?):
            try requireNameAndKey(authRef, field: "\(field).authRef")
            try rules.referent(authRef.namespace, field: "\(field).authRef")
            credentials = .kubeconfig(authRef)
        case (let auth?, nil):
            credentials = try resolveAuth(auth, rules: rules)
        }

        var server = Server.local
        var certificateAuthority = CertificateAuthority.unset
        if let serverSpec = spec.server {
            server = try resolveServer(serverSpec.url)
            if let bundle = serverSpec.caBundle, !bundle.isEmpty {
                certificateAuthority = .bundle(try StoreSettingChecks.caBundle(bundle, field: "\(field).server.caBundle"))
            } else if let provider = serverSpec.caProvider {
                certificateAuthority = .provider(
                    try StoreSettingChecks.caProvider(provider, storeKind: rules.kind, field: "\(field).server.caProvider"))
            }
        }

        let remoteNamespace = spec.remoteNamespace.flatMap { $0.isEmpty ? nil : $0 } ?? defaultRemoteNamespace
        guard isDNSLabel(remoteNamespace) else {
            throw .invalidConfiguration(
                "\(field).remoteNamespace: \"\(remoteNamespace)\" is not a valid namespace name")
        }

        return KubernetesStoreSettings(
            server: server, certificateAuthority: certificateAuthority, credentials: credentials,
            remoteNamespace: remoteNamespace, isReferent: store.kind == .clusterSecretStore && isReferent(spec.auth))
    }

    private static func resolveAuth(_ auth: KubernetesAuth, rules: NamespaceRules) throws(ProviderError) -> Credentials
    {
        let field = "\(field).auth"
        let methods = [auth.token != nil, auth.serviceAccount != nil, auth.cert != nil].filter { $0 }.count
        guard methods == 1 else {
            throw .invalidConfiguration(
                "\(field): exactly one of token, serviceAccount or cert is required, found \(methods)")
        }
        if let token = auth.token {
            try requireNameAndKey(token.bearerToken, field: "\(field).token.bearerToken")
            try rules.credential(token.bearerToken.namespace, field: "\(field).token.bearerToken")
            return .token(token.bearerToken)
        }
        if let serviceAccount = auth.serviceAccount {
            guard !serviceAccount.name.isEmpty else {
                throw .invalidConfiguration("\(field).serviceAccount.name is required")
            }
            try rules.referent(serviceAccount.namespace, field: "\(field).serviceAccount")
            return .serviceAccount(serviceAccount)
        }
        let cert = auth.cert!
        try requireNameAndKey(cert.clientCert, field: "\(field).cert.clientCert")
        try rules.credential(cert.clientCert.namespace, field: "\(field).cert.clientCert")
        try requireNameAndKey(cert.clientKey, field: "\(field).cert.clientKey")
        try rules.referent(cert.clientKey.namespace, field: "\(field).cert.clientKey")
        return .certificate(certificate: cert.clientCert, key: cert.clientKey)
    }

    /// ESO's `isReferentSpec`: some credential reference leaves its namespace to the caller.
    private static func isReferent(_ auth: KubernetesAuth?) -> Bool {
        guard let auth else { return false }
        if let cert = auth.cert, cert.clientCert.namespace == nil || cert.clientKey.namespace == nil { return true }
        if let serviceAccount = auth.serviceAccount, serviceAccount.namespace == nil { return true }
        if let token = auth.token, token.bearerToken.namespace == nil { return true }
        return false
    }

    static func resolveServer(_ url: String?) throws(ProviderError) -> Server {
        let url = (url ?? "").trimmingCharacters(in: .whitespaces)
        if url.isEmpty || localServerNames.contains(url.lowercased()) { return .local }
        let field = "\(field).server.url"
        let normalised = url.contains("://") ? url : "https://\(url)"
        guard let components = URLComponents(string: normalised), let scheme = components.scheme?.lowercased(),
            scheme == "https" || scheme == "http", let host = components.host, !host.isEmpty
        else {
            throw .invalidConfiguration("\(field): \"\(url)\" is not an http(s) URL or host[:port]")
        }
        guard components.user == nil, components.password == nil, components.query == nil, components.fragment == nil
        else {
            throw .invalidConfiguration("\(field): the URL may not carry credentials, a query or a fragment")
        }
        return .remote(normalised.hasSuffix("/") ? String(normalised.dropLast()) : normalised)
    }

    private static func requireNameAndKey(_ selector: SecretKeySelector, field: String) throws(ProviderError) {
        guard let name = selector.name, !name.isEmpty else { throw .invalidConfiguration("\(field).name is required") }
        guard let key = selector.key, !key.isEmpty else { throw .invalidConfiguration("\(field).key is required") }
    }

    /// A DNS-1123 label (namespace names).
    static func isDNSLabel(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...63).contains(bytes.count) else { return false }
        func alphanumeric(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        return alphanumeric(bytes.first!) && alphanumeric(bytes.last!)
            && bytes.allSatisfy { alphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    /// ESO's namespace rules for references, per store kind.
    private struct NamespaceRules {
        var kind: StoreKind
        var storeNamespace: String?

        init(store: StoreContext) {
            kind = store.kind
            storeNamespace = store.storeNamespace
        }

        private static let foreignNamespace =
            "namespace should either be empty or match the namespace of the SecretStore for a namespaced SecretStore"

        /// ESO's `ValidateSecretSelector`: a ClusterSecretStore must name the namespace.
        func credential(_ namespace: String?, field: String) throws(ProviderError) {
            if kind == .clusterSecretStore, namespace == nil {
                throw .invalidConfiguration("\(field): cluster scope requires namespace")
            }
            try referent(namespace, field: field)
        }

        /// ESO's `ValidateReferent...Selector`: only a SecretStore is restricted.
        func referent(_ namespace: String?, field: String) throws(ProviderError) {
            if kind == .secretStore, let namespace, namespace != storeNamespace {
                throw .invalidConfiguration("\(field): \(Self.foreignNamespace)")
            }
        }
    }
}
