import ExternalSecretsAPI
import Foundation
import HTTPSupport
import Logging
import ProviderKit

/// Obtains, renews, checks and revokes the Vault token of one store client, with the store's
/// login method. Credentials are read through the `ReferenceReader` at every login (never kept),
/// so a rotated secret id, password or JWT is used by the next login.
struct VaultAuthenticator: Sendable {
    let settings: VaultStoreSettings
    let connection: VaultConnection
    let references: any ReferenceReader
    let errors: VaultErrorMapper
    let now: @Sendable () -> Date
    let mountedTokenPath: String
    let logger: Logger

    /// A login request and the credentials it carries (cut out of any error text).
    struct LoginRequest {
        var request: VaultRequest
        var secrets: [String]
    }

    // MARK: - Login

    /// Logs in (or reads the token Secret) and returns the token.
    func login() async throws -> VaultToken {
        let field = "\(VaultStoreSettings.field).auth"
        if case .token(let selector) = settings.auth {
            let token = try await text(selector, field: "\(field).tokenSecretRef")
            logger.debug("vault token read from its Secret", metadata: ["secret": "\(selector.name ?? "")"])
            return VaultToken(value: token, lease: 0, renewable: false, obtainedAt: now())
        }
        let login = try await loginRequest()
        let operation = operation(for: settings.auth)
        let started = now()
        let response: HTTPResponse
        do {
            response = try await connection.send(login.request, token: nil, namespace: settings.authNamespace)
        } catch {
            VaultMetrics.call(.login, failed: true)
            throw errors.failure(error, operation: operation)
        }
        guard response.status.code == 200 else {
            VaultMetrics.call(.login, failed: true)
            throw errors.failure(
                status: response.status, body: response.body, operation: operation, secrets: login.secrets)
        }
        VaultMetrics.call(.login, failed: false)
        let token = try Self.issuedToken(response.body, obtainedAt: started, operation: operation, errors: errors)
        logger.info(
            "logged in to vault",
            metadata: [
                "method": "\(settings.auth.method)", "server": "\(settings.server)", "lease": "\(Int(token.lease))s",
                "renewable": "\(token.renewable)",
            ])
        return token
    }

    /// The login request of the store's method, with its credentials read now.
    func loginRequest() async throws -> LoginRequest {
        let field = "\(VaultStoreSettings.field).auth"
        switch settings.auth {
        case .token:
            preconditionFailure("a token Secret needs no login")
        case .appRole(let mount, let roleID, let secretIDRef):
            let role: String
            switch roleID {
            case .inline(let value): role = value
            case .secret(let selector): role = try await text(selector, field: "\(field).appRole.roleRef")
            }
            let secretID = try await text(secretIDRef, field: "\(field).appRole.secretRef")
            return LoginRequest(
                request: .post("auth/\(mount)/login", json: ["role_id": role, "secret_id": secretID]),
                secrets: [role, secretID])
        case .kubernetes(let mount, let role, let source):
            let jwt = try await jwt(source, field: "\(field).kubernetes")
            return LoginRequest(
                request: .post("auth/\(mount)/login", json: ["role": role, "jwt": jwt]), secrets: [jwt])
        case .jwt(let mount, let role, let source):
            let jwt = try await jwt(source, field: "\(field).jwt")
            return LoginRequest(
                request: .post("auth/\(mount)/login", json: ["role": role, "jwt": jwt]), secrets: [jwt])
        case .userPass(let mount, let username, let passwordRef):
            let password = try await text(passwordRef, field: "\(field).userPass.secretRef", trimming: false)
            return LoginRequest(
                request: .post("auth/\(mount)/login/\(username)", json: ["password": password]), secrets: [password])
        case .ldap(let mount, let username, let passwordRef):
            let password = try await text(passwordRef, field: "\(field).ldap.secretRef", trimming: false)
            return LoginRequest(
                request: .post("auth/\(mount)/login/\(username)", json: ["password": password]), secrets: [password])
        case .cert(let mount, let role, _):
            // The certificate itself is presented in the TLS handshake.
            return LoginRequest(
                request: .post("auth/\(mount)/login", json: role.map { ["name": $0] } ?? [:]), secrets: [])
        }
    }

    private func operation(for auth: VaultStoreSettings.Auth) -> VaultOperation {
        switch auth {
        case .token: .tokenLookup
        case .appRole(let mount, _, _): .login(method: "approle", mount: mount)
        case .kubernetes(let mount, _, _): .login(method: "kubernetes", mount: mount)
        case .jwt(let mount, _, _): .login(method: "jwt", mount: mount)
        case .userPass(let mount, _, _): .login(method: "userpass", mount: mount)
        case .ldap(let mount, _, _): .login(method: "ldap", mount: mount)
        case .cert(let mount, _, _): .login(method: "cert", mount: mount)
        }
    }

    private func jwt(_ source: VaultStoreSettings.JWTSource, field: String) async throws -> String {
        switch source {
        case .serviceAccount(let serviceAccount, let audiences, _):
            let field = "\(field).serviceAccountRef"
            return try await references.serviceAccountToken(serviceAccount, audiences: audiences, field: field)
        case .secret(let selector):
            return try await text(selector, field: "\(field).secretRef")
        case .mountedToken:
            guard let data = FileManager.default.contents(atPath: mountedTokenPath) else {
                throw ProviderError.invalidConfiguration(
                    "\(field): neither serviceAccountRef nor secretRef is set, and the operator has no mounted ServiceAccount token at \(mountedTokenPath)"
                )
            }
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    private func text(_ selector: SecretKeySelector, field: String, trimming: Bool = true) async throws -> String {
        let bytes = try await references.secretValue(selector, field: field)
        let text = String(decoding: bytes, as: UTF8.self)
        let value = trimming ? text.trimmingCharacters(in: .whitespacesAndNewlines) : text
        guard !value.isEmpty else { throw ProviderError.invalidConfiguration("\(field): the value is empty") }
        return value
    }

    /// `auth.client_token`, `auth.lease_duration` and `auth.renewable` of a login or renewal.
    static func issuedToken(
        _ body: [UInt8], obtainedAt: Date, operation: VaultOperation, errors: VaultErrorMapper
    ) throws -> VaultToken {
        guard case .object(let members)? = try? VaultJSON.parse(body), case .object(let auth)? = members["auth"],
            case .string(let token)? = auth["client_token"], !token.isEmpty
        else {
            throw errors.undecodable(operation, "it holds no auth.client_token")
        }
        var lease: TimeInterval = 0
        if case .number(let text)? = auth["lease_duration"], let seconds = Double(text) { lease = max(seconds, 0) }
        var renewable = false
        if case .bool(let flag)? = auth["renewable"] { renewable = flag }
        return VaultToken(value: token, lease: lease, renewable: renewable, obtainedAt: obtainedAt)
    }

    // MARK: - Token calls

    /// `auth/token/renew-self` for the token's own lease again.
    func renew(_ token: VaultToken) async throws -> VaultToken {
        let increment = max(Int(token.lease.rounded()), 1)
        let request = VaultRequest.post("auth/token/renew-self", json: ["increment": "\(increment)s"])
        let started = now()
        let response: HTTPResponse
        do {
            response = try await connection.send(request, token: token.value, namespace: settings.authNamespace)
        } catch {
            VaultMetrics.call(.renewSelf, failed: true)
            throw errors.failure(error, operation: .tokenRenewal)
        }
        guard response.status.code == 200 else {
            VaultMetrics.call(.renewSelf, failed: true)
            let failure = errors.failure(
                status: response.status, body: response.body, operation: .tokenRenewal, secrets: [token.value])
            logger.debug("vault token renewal refused; logging in again", metadata: ["reason": "\(failure.message)"])
            throw failure
        }
        VaultMetrics.call(.renewSelf, failed: false)
        var renewed = try Self.issuedToken(response.body, obtainedAt: started, operation: .tokenRenewal, errors: errors)
        guard renewed.value == token.value else {
            throw errors.undecodable(.tokenRenewal, "the renewal returned another token")
        }
        if renewed.lease < Double(increment) / 2 {
            // Close to its max TTL: use what is left, then log in again rather than renew.
            renewed.renewable = false
        }
        logger.debug("vault token renewed", metadata: ["lease": "\(Int(renewed.lease))s"])
        return renewed
    }

    /// Whether Vault still accepts `token` (`auth/token/lookup-self`). Only a refusal says no;
    /// any other failure is not taken as proof that the token is bad.
    func isAccepted(_ token: String) async -> Bool {
        guard
            let response = try? await connection.send(
                .get("auth/token/lookup-self"), token: token, namespace: settings.authNamespace, once: true)
        else { return true }
        VaultMetrics.call(.lookupSelf, failed: response.status.code != 200)
        return response.status.code != 403 && response.status.code != 401
    }

    /// Checks the token with `auth/token/lookup-self` and throws what Vault said if it refuses.
    func lookup(_ token: String) async throws {
        let response: HTTPResponse
        do {
            response = try await connection.send(
                .get("auth/token/lookup-self"), token: token, namespace: settings.authNamespace)
        } catch {
            VaultMetrics.call(.lookupSelf, failed: true)
            throw errors.failure(error, operation: .tokenLookup)
        }
        VaultMetrics.call(.lookupSelf, failed: response.status.code != 200)
        guard response.status.code == 200 else {
            if response.status.code == 403 || response.status.code == 401 {
                throw ProviderError.accessDenied(
                    "the store's Vault token is invalid or expired (lookup-self was refused)")
            }
            throw errors.failure(
                status: response.status, body: response.body, operation: .tokenLookup, secrets: [token])
        }
    }

    /// `auth/token/revoke-self`, best effort (the token expires anyway).
    func revoke(_ token: VaultToken) async {
        let response = try? await connection.send(
            VaultRequest(method: .POST, path: "auth/token/revoke-self"), token: token.value,
            namespace: settings.authNamespace, once: true)
        VaultMetrics.call(.revokeSelf, failed: response?.status.code != 204 && response?.status.code != 200)
        logger.debug(
            "vault token revoked", metadata: ["status": "\(response.map { "\($0.status.code)" } ?? "no answer")"])
    }
}
