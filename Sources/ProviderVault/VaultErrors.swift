import Foundation
import HTTPSupport
import NIOHTTP1
import ProviderKit

/// What a request to Vault was for, in messages.
enum VaultOperation: Sendable, Equatable {
    case read(key: String)
    case readMetadata(key: String)
    case list(path: String)
    case login(method: String, mount: String)
    case tokenLookup
    case tokenRenewal
    case mountCheck(path: String)
    /// A push's read of a secret it may write (KV v1, or a KV v2 version).
    case readBeforeWrite(key: String, path: String)
    /// A push's read of a KV v2 secret's metadata: its version and who manages it.
    case readOwnership(key: String, path: String)
    case write(key: String, path: String)
    case writeMetadata(key: String, path: String)
    case delete(key: String, path: String)
    /// A VaultDynamicSecret's request (`method` as the spec writes it).
    case generate(method: String, path: String)
    /// Revoking or renewing what a VaultDynamicSecret made: a lease, or a token by its accessor.
    case revokeLease
    case renewLease
    case revokeToken
    case renewToken

    var description: String {
        switch self {
        case .read(let key): "read secret \"\(key)\""
        case .readMetadata(let key): "read the metadata of secret \"\(key)\""
        case .list(let path): "list secrets under \"\(path)\""
        case .login(let method, let mount): "log in with the \(method) method at auth/\(mount)"
        case .tokenLookup: "look up the store's Vault token"
        case .tokenRenewal: "renew the store's Vault token"
        case .mountCheck(let path): "check the KV mount \"\(path)\""
        case .readBeforeWrite(let key, _): "read secret \"\(key)\""
        case .readOwnership(let key, _): "read the metadata of secret \"\(key)\""
        case .write(let key, _): "write secret \"\(key)\""
        case .writeMetadata(let key, _): "write the custom metadata of secret \"\(key)\""
        case .delete(let key, _): "delete secret \"\(key)\""
        case .generate(let method, let path): "\(method.isEmpty ? "GET" : method) \"\(path)\""
        case .revokeLease: "revoke the generated secret's lease"
        case .renewLease: "renew the generated secret's lease"
        case .revokeToken: "revoke the generated token (by its accessor)"
        case .renewToken: "renew the generated token (by its accessor)"
        }
    }

    /// What the store's policy must grant for this operation, said when Vault refuses it.
    var policyHint: String? {
        switch self {
        case .readBeforeWrite(_, let path), .readOwnership(_, let path):
            "the store's Vault policy must grant \"read\" on \"\(path)\""
        case .write(_, let path):
            "the store's Vault policy must grant \"create\" and \"update\" on \"\(path)\""
        case .writeMetadata(_, let path):
            "the store's Vault policy must grant \"update\" on \"\(path)\""
        case .delete(_, let path):
            "the store's Vault policy must grant \"delete\" on \"\(path)\""
        case .generate(let method, let path):
            "the generator's Vault policy must grant \"\(Self.capability(of: method))\" on \"\(path)\""
        case .revokeLease:
            "the generator's Vault policy must grant \"update\" on \"sys/leases/revoke\""
        case .renewLease:
            "the generator's Vault policy must grant \"update\" on \"sys/leases/renew\""
        case .revokeToken:
            "the generator's Vault policy must grant \"update\" on \"auth/token/revoke-accessor\""
        case .renewToken:
            "the generator's Vault policy must grant \"update\" on \"auth/token/renew-accessor\""
        default:
            nil
        }
    }

    /// The policy capability a generator's request needs.
    private static func capability(of method: String) -> String {
        switch method {
        case "", "GET": "read"
        case "LIST": "list"
        case "DELETE": "delete"
        default: "update"
        }
    }

    var isLogin: Bool {
        if case .login = self { return true }
        return false
    }
}

/// Turns Vault's answers and transport failures into `ProviderError`s.
///
/// Vault's own error text is kept only after `VaultErrorText.sanitize`: credentials sent with the
/// request are cut out, as is anything that looks like a token, key or JWT; it is one line and
/// short. Messages never carry a response body otherwise. Transport failures are the operator's
/// own diagnostics (error type and case names such as `HTTPClientError.remoteConnectionClosed`)
/// and are kept whole, only cut to one printable line.
struct VaultErrorMapper: Sendable {
    var server: String

    /// The error for a non-success `status`. `secrets` are the credentials the request carried.
    func failure(
        status: HTTPResponseStatus, body: [UInt8], operation: VaultOperation, secrets: [String] = []
    ) -> ProviderError {
        let detail = VaultErrorText.detail(body: body, secrets: secrets)
        let said = detail.map { ": \($0)" } ?? ""
        let what = operation.description
        if operation.isLogin, [400, 401, 403].contains(status.code) {
            return .accessDenied("\(what): Vault refused the login (HTTP \(status.code))\(said)")
        }
        switch status.code {
        case 401, 403:
            let hint = operation.policyHint.map { "; \($0)" } ?? ""
            return .accessDenied("\(what): permission denied by Vault at \(server) (HTTP \(status.code))\(said)\(hint)")
        case 404:
            return .notFound("\(what): not found")
        case 412:
            return ProviderError(
                .unavailable, "\(what): the Vault node has not caught up with earlier writes (HTTP 412); retried")
        case 429:
            return ProviderError(.throttled, "\(what): Vault at \(server) kept answering 429 Too Many Requests\(said)")
        case 503 where detail?.localizedCaseInsensitiveContains("sealed") == true:
            return ProviderError(.unavailable, "\(what): Vault at \(server) is sealed")
        case 500...599:
            return ProviderError(.unavailable, "\(what): Vault at \(server) failed (HTTP \(status.code))\(said)")
        default:
            return ProviderError(.other, "\(what): Vault at \(server) answered HTTP \(status.code)\(said)")
        }
    }

    /// The error for a request that got no answer.
    func failure(_ error: any Error, operation: VaultOperation) -> any Error {
        switch error {
        case is CancellationError, is ProviderError:
            return error
        case HTTPTransportError.timedOut(let after):
            return ProviderError(
                .unavailable, "\(operation.description): Vault at \(server) did not answer within \(after)")
        case HTTPTransportError.invalidTLSMaterial(let what):
            return ProviderError.invalidConfiguration("\(VaultStoreSettings.field): \(what)")
        default:
            return ProviderError(
                .unavailable,
                "\(operation.description): cannot reach Vault at \(server): \(VaultErrorText.transport(error))")
        }
    }

    /// A success whose body is not what Vault sends.
    func undecodable(_ operation: VaultOperation, _ why: String) -> ProviderError {
        ProviderError(.invalidData, "\(operation.description): Vault's answer could not be read: \(why)")
    }
}

/// Sanitizing of text that came from Vault or from a transport failure.
///
/// Values are redacted, diagnostics are not: text from a response body may echo anything (a
/// token, a secret value), so token-like runs are cut out of it; the description of a transport
/// error is built by the HTTP stack from connection state and names no request or response
/// content, so it is only made one short printable line.
enum VaultErrorText {
    static let maximumLength = 200

    /// Vault's `errors` array from a response body, sanitized; nil when there is nothing to say.
    static func detail(body: [UInt8], secrets: [String]) -> String? {
        guard case .object(let members)? = try? VaultJSON.parse(body), case .array(let errors)? = members["errors"]
        else {
            return nil
        }
        let texts = errors.compactMap { value -> String? in
            if case .string(let text) = value { return text }
            return nil
        }
        let joined = sanitize(texts.joined(separator: "; "), secrets: secrets)
        return joined.isEmpty ? nil : joined
    }

    /// One line of at most `maximumLength` characters of printable ASCII, without `secrets`, and
    /// with every token-like run (20 or more characters of letters, digits and `+/=._-`) replaced.
    static func sanitize(_ text: String, secrets: [String]) -> String {
        var text = text
        for secret in secrets where secret.count >= 4 {
            text = text.replacingOccurrences(of: secret, with: "[redacted]")
        }
        return printableLine(text, redactingTokens: true)
    }

    /// Transport failures describe connections and TLS handshakes, not requests: the error's
    /// type and case names stay readable.
    static func transport(_ error: any Error) -> String {
        printableLine(String(describing: error), redactingTokens: false)
    }

    /// One line of at most `maximumLength` characters of printable ASCII; with `redactingTokens`,
    /// every run of 20 or more token characters (letters, digits, `+/=._-`) becomes `[redacted]`.
    private static func printableLine(_ text: String, redactingTokens: Bool) -> String {
        var out = ""
        var run = ""
        func flushRun() {
            out += redactingTokens && run.count >= 20 ? "[redacted]" : run
            run = ""
        }
        for character in text {
            guard character.isASCII, let scalar = character.unicodeScalars.first, scalar.value >= 0x20,
                scalar.value < 0x7F
            else {
                flushRun()
                out.append(" ")
                continue
            }
            if character.isLetter || character.isNumber || "+/=._-".contains(character) {
                run.append(character)
            } else {
                flushRun()
                out.append(character)
            }
        }
        flushRun()
        out = out.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        return out.count > maximumLength ? String(out.prefix(maximumLength)) + "…" : out
    }
}
