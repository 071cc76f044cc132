public import ExternalSecretsAPI
import Foundation

/// Where stores may send credentials (pure): an allow-list of provider endpoints, cluster-wide
/// (`--allowed-provider-endpoints`) and narrowed per namespace by the annotation
/// `external-secrets-swift.io/allowed-provider-endpoints` on the namespace of the object using
/// the store. Without it a tenant who may create a SecretStore can point `server` / `url` at a
/// server it runs and receive the token its store names. Checked when a store's client is built,
/// i.e. before any login or request (``ClientManager``). Off unless the flag is given.
///
/// Patterns (comma-separated): `host`, `host:port`, `*.domain` or `*.domain:port`; a pattern
/// without a port admits any port. Endpoints checked: `vault.server`, `webhook.url` (a URL whose
/// host is a template is refused), `kubernetes.server.url`, `azurekv.vaultUrl` (the access token
/// goes there) and `azurekv.customCloudConfig.activeDirectoryEndpoint` (the client secret or
/// assertion goes there), `gcpsm.auth.workloadIdentityFederation.externalTokenEndpoint` (the
/// ServiceAccount token goes there). AWS endpoints are the operator's own settings (environment),
/// not the store's, and are not checked.
public struct ProviderEndpointAllowList: Sendable, Hashable {
    public static let namespaceAnnotation = "external-secrets-swift.io/allowed-provider-endpoints"

    /// The cluster-wide patterns.
    public var patterns: [String]

    public init(patterns: [String]) {
        self.patterns = patterns
    }

    /// Parses a comma-separated list.
    public init(parsing text: String) {
        self.init(patterns: Self.split(text))
    }

    /// The endpoints a store's provider block sends credentials to, with their field.
    public static func endpoints(of spec: SecretStoreSpec) -> [(field: String, url: String)] {
        var endpoints: [(String, String)] = []
        if let vault = spec.provider.vault { endpoints.append(("spec.provider.vault.server", vault.server)) }
        if let webhook = spec.provider.webhook { endpoints.append(("spec.provider.webhook.url", webhook.url)) }
        if let url = spec.provider.kubernetes?.server?.url, !url.isEmpty {
            endpoints.append(("spec.provider.kubernetes.server.url", url))
        }
        if let azure = spec.provider.azurekv {
            endpoints.append(("spec.provider.azurekv.vaultUrl", azure.vaultUrl))
            if let directory = azure.customCloudConfig?.activeDirectoryEndpoint, !directory.isEmpty {
                endpoints.append(("spec.provider.azurekv.customCloudConfig.activeDirectoryEndpoint", directory))
            }
        }
        if let url = spec.provider.gcpsm?.auth?.workloadIdentityFederation?.externalTokenEndpoint, !url.isEmpty {
            endpoints.append(("spec.provider.gcpsm.auth.workloadIdentityFederation.externalTokenEndpoint", url))
        }
        return endpoints
    }

    /// Why `spec` may not be used from a namespace with `namespaceAnnotations`; nil when every
    /// endpoint it names is admitted by the cluster-wide list and, when the namespace has the
    /// annotation, by the namespace's list too.
    public func refusal(for spec: SecretStoreSpec, namespaceAnnotations: [String: String]) -> String? {
        let narrowed = namespaceAnnotations[Self.namespaceAnnotation].map(Self.split)
        for (field, url) in Self.endpoints(of: spec) {
            guard let (host, port) = Self.authority(of: url) else {
                return "\(field): the endpoint's host cannot be determined (a templated host is not allowed while provider endpoints are limited)"
            }
            let endpoint = port.map { "\(host):\($0)" } ?? host
            guard Self.admits(patterns, host: host, port: port) else {
                return "\(field): endpoint \(endpoint) is not in the operator's allowed provider endpoints (--allowed-provider-endpoints)"
            }
            if let narrowed, !Self.admits(narrowed, host: host, port: port) {
                return "\(field): endpoint \(endpoint) is not allowed in this namespace (annotation \(Self.namespaceAnnotation))"
            }
        }
        return nil
    }

    /// The host (lower-cased) and explicit port of a URL; nil when it has no literal host.
    static func authority(of url: String) -> (host: String, port: String?)? {
        guard let scheme = url.range(of: "://") else { return nil }
        var authority = Substring(url[scheme.upperBound...])
        if let end = authority.firstIndex(where: { "/?#".contains($0) }) { authority = authority[..<end] }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        guard !authority.isEmpty, !authority.contains("{"), !authority.contains("}") else { return nil }
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            let host = String(authority[...close]).lowercased()
            let rest = authority[authority.index(after: close)...]
            return (host, rest.hasPrefix(":") ? String(rest.dropFirst()) : nil)
        }
        if let colon = authority.lastIndex(of: ":") {
            return (String(authority[..<colon]).lowercased(), String(authority[authority.index(after: colon)...]))
        }
        return (String(authority).lowercased(), nil)
    }

    static func admits(_ patterns: [String], host: String, port: String?) -> Bool {
        patterns.contains { pattern in
            var patternHost = pattern.lowercased()
            var patternPort: String?
            if !patternHost.hasSuffix("]"), let colon = patternHost.lastIndex(of: ":") {
                patternPort = String(patternHost[patternHost.index(after: colon)...])
                patternHost = String(patternHost[..<colon])
            }
            if let patternPort, patternPort != port { return false }
            if patternHost.hasPrefix("*.") {
                return host.hasSuffix(String(patternHost.dropFirst(1))) && host.count > patternHost.count - 1
            }
            return host == patternHost
        }
    }

    private static func split(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
