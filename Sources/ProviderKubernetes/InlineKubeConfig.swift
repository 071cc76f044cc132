import Foundation
import HTTPSupport
import KubeClient
import ProviderKit

/// A kubeconfig read from a Secret (`authRef`), resolved to its current context.
///
/// Only inline material is accepted. A kubeconfig in a Secret is written by whoever may write
/// that Secret, and is run by the operator: file paths (`token-file`, `certificate-authority`,
/// `client-key`, ...) would read the operator's own files — its ServiceAccount token among them —
/// and `exec` or `auth-provider` would run commands in the operator's process. Both are refused,
/// unlike ESO, which hands the bytes to client-go.
struct InlineKubeConfig {
    var server: String
    var tls: TLSSettings
    var bearerToken: String?

    /// Parses `text`; `field` names the Secret reference in errors. Errors never quote the file.
    static func parse(_ text: String, field: String) throws(ProviderError) -> InlineKubeConfig {
        let file: KubeConfigFile
        do {
            file = try KubeConfigFile.decode(yaml: text)
        } catch {
            throw .invalidConfiguration("\(field): the Secret does not hold a kubeconfig")
        }
        guard let contextName = file.currentContext, !contextName.isEmpty else {
            throw .invalidConfiguration("\(field): the kubeconfig has no current-context")
        }
        guard let context = file.contexts?.first(where: { $0.name == contextName })?.item else {
            throw .invalidConfiguration("\(field): the kubeconfig has no context named \"\(contextName)\"")
        }
        guard let clusterName = context.cluster,
            let cluster = file.clusters?.first(where: { $0.name == clusterName })?.item
        else {
            throw .invalidConfiguration("\(field): the kubeconfig's current context names no known cluster")
        }
        guard let server = cluster.server, server.hasPrefix("https://") || server.hasPrefix("http://") else {
            throw .invalidConfiguration("\(field): clusters[\(clusterName)].server is not an http(s) URL")
        }
        let refusedClusterFields = [
            ("certificate-authority", cluster.certificateAuthority), ("tls-server-name", cluster.tlsServerName),
            ("proxy-url", cluster.proxyURL),
        ]
        if let refused = refusedClusterFields.first(where: { $0.1 != nil }) {
            throw .invalidConfiguration(
                "\(field): clusters[\(clusterName)].\(refused.0) is not supported in a kubeconfig read from a Secret")
        }
        var tls = TLSSettings(insecureSkipVerify: cluster.insecureSkipTLSVerify ?? false)
        tls.trustedCAsPEM = try decode(
            cluster.certificateAuthorityData, field: "\(field): clusters[\(clusterName)].certificate-authority-data")

        var bearerToken: String?
        if let userName = context.user, !userName.isEmpty {
            guard let user = file.users?.first(where: { $0.name == userName })?.item else {
                throw .invalidConfiguration("\(field): the kubeconfig has no user named \"\(userName)\"")
            }
            let refusedUserFields: [(String, Bool)] = [
                ("tokenFile", user.tokenFile != nil), ("client-certificate", user.clientCertificate != nil),
                ("client-key", user.clientKey != nil), ("exec", user.exec != nil),
                ("auth-provider", user.authProvider != nil), ("username", user.username != nil),
                ("password", user.password != nil),
            ]
            if let refused = refusedUserFields.first(where: { $0.1 }) {
                throw .invalidConfiguration(
                    "\(field): users[\(userName)].\(refused.0) is not allowed in a kubeconfig read from a Secret; use inline token or client-certificate-data and client-key-data"
                )
            }
            tls.clientCertificatePEM = try decode(
                user.clientCertificateData, field: "\(field): users[\(userName)].client-certificate-data")
            tls.clientKeyPEM = try decode(user.clientKeyData, field: "\(field): users[\(userName)].client-key-data")
            guard (tls.clientCertificatePEM == nil) == (tls.clientKeyPEM == nil) else {
                throw .invalidConfiguration(
                    "\(field): users[\(userName)] needs both client-certificate-data and client-key-data")
            }
            bearerToken = user.token.flatMap { $0.isEmpty ? nil : $0 }
        }
        return InlineKubeConfig(
            server: server.hasSuffix("/") ? String(server.dropLast()) : server, tls: tls, bearerToken: bearerToken)
    }

    private static func decode(_ base64: String?, field: String) throws(ProviderError) -> [UInt8]? {
        guard let base64, !base64.isEmpty else { return nil }
        guard let data = Data(base64Encoded: base64.filter { !$0.isWhitespace }) else {
            throw .invalidConfiguration("\(field) is not valid base64")
        }
        return Array(data)
    }
}
