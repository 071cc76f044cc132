import ExternalSecretsAPI
import Foundation
import GoCompat
import HTTPSupport
import Logging
import ProviderKit

/// Reads and writes a KV engine of one Vault server with the store's token, with ESO's semantics
/// for keys, versions, properties, `metadataPolicy: Fetch` and `find`; PushSecret writes are in
/// `VaultSecretsClient+Push.swift`.
final class VaultSecretsClient: SecretsClient {
    let settings: VaultStoreSettings
    let paths: VaultPaths
    private let connection: VaultConnection
    private let authenticator: VaultAuthenticator
    let session: VaultTokenSession
    let errors: VaultErrorMapper
    private let shutdown: @Sendable () async throws -> Void
    let logger: Logger

    /// Secrets read for one `find`, at most; a larger match is refused rather than loaded.
    static let maximumFindResults = 5000

    init(
        settings: VaultStoreSettings, connection: VaultConnection, authenticator: VaultAuthenticator,
        shutdown: @escaping @Sendable () async throws -> Void, logger: Logger
    ) {
        self.settings = settings
        self.paths = VaultPaths(mountPath: settings.mountPath, version: settings.version)
        self.connection = connection
        self.authenticator = authenticator
        self.errors = authenticator.errors
        self.shutdown = shutdown
        self.logger = logger
        self.session = VaultTokenSession(
            logsIn: settings.auth.logsIn, now: authenticator.now, login: { try await authenticator.login() },
            renew: { try await authenticator.renew($0) }, revoke: { await authenticator.revoke($0) })
    }

    // MARK: - SecretsClient

    func getSecret(_ ref: ExternalSecretDataRemoteRef) async throws -> Data {
        if ref.metadataPolicy == .fetch {
            let metadata = try await readMetadata(ref.key)
            let object = metadata.mapValues { VaultJSON.Value.string($0) }
            return try VaultSecretValues.value(of: object, property: ref.property, key: ref.key)
        }
        let secret = try await readSecret(ref.key, version: ref.version)
        return try VaultSecretValues.value(of: secret, property: ref.property, key: ref.key)
    }

    func getSecretMap(_ ref: ExternalSecretDataRemoteRef) async throws -> SecretData {
        let value = try await getSecret(ref)
        return try VaultSecretValues.map(of: value, key: ref.key, property: ref.property)
    }

    func getAllSecrets(_ find: ExternalSecretFind) async throws -> SecretData {
        if settings.version == .v1, find.tags != nil {
            throw ProviderError.unsupported("find.tags needs KV version v2: a KV v1 secret has no custom metadata")
        }
        var namePattern: GoRegexp?
        if let pattern = find.name?.regexp {
            do {
                namePattern = try GoRegexp(pattern)
            } catch {
                throw ProviderError.invalidConfiguration(
                    "find.name.regexp \"\(pattern)\" is not a valid regular expression: \(error.message)")
            }
        }
        let searchPath = find.path.flatMap { $0.isEmpty ? nil : $0 + "/" } ?? ""
        let candidates = try await listRecursively(searchPath)
        logger.debug("vault find listed secrets", metadata: ["path": "\(searchPath)", "count": "\(candidates.count)"])

        var found: SecretData = [:]
        for name in candidates {
            if let namePattern {
                // ESO: with a name pattern, tags are not looked at.
                guard namePattern.matchString(name) else { continue }
            } else if let tags = find.tags, !tags.isEmpty {
                let metadata: [String: String]
                do {
                    metadata = try await readMetadata(name)
                } catch let error as ProviderError where error.isNotFound {
                    continue
                }
                guard tags.allSatisfy({ metadata[$0.key] == $0.value }) else { continue }
            }
            guard found.count < Self.maximumFindResults else {
                throw ProviderError.unsupported(
                    "find matched more than \(Self.maximumFindResults) secrets under \"\(searchPath)\"; narrow find.path, name or tags"
                )
            }
            do {
                let secret = try await readSecret(name, version: nil)
                found[name] = try VaultSecretValues.value(of: secret, property: nil, key: name)
            } catch let error as ProviderError where error.isNotFound {
                continue  // listed but deleted: skipped, as ESO does
            }
        }
        return found
    }

    func validate() async throws -> StoreValidationResult {
        if settings.isReferent { return .unknown }
        let token = try await session.token()
        try await authenticator.lookup(token)
        try await checkMount()
        return .ready
    }

    func close() async {
        await session.close()
        try? await shutdown()
    }

    /// Shuts the connection down without revoking the login token: what was created with the
    /// token (a VaultDynamicSecret's lease) lives as long as the token, since Vault revokes a
    /// token's leases with it. The token expires with its TTL.
    func release() async {
        try? await shutdown()
    }

    // MARK: - Reads

    /// The data of the secret at `key` (a version of it, for v2); `operation` names the read in
    /// errors (a plain read by default).
    func readSecret(_ key: String, version: String?, operation: VaultOperation? = nil) async throws
        -> VaultSecretValues.Object
    {
        guard !key.isEmpty else { throw ProviderError.invalidConfiguration("remoteRef.key must name a secret") }
        var query: [(name: String, value: String)] = []
        if let version, !version.isEmpty {
            guard settings.version == .v2 else {
                throw ProviderError.unsupported("remoteRef.version needs KV version v2: KV v1 keeps no versions")
            }
            query.append(("version", version))
        }
        let path = paths.dataPath(key)
        let response = try await send(
            .get(path, query: query), operation: operation ?? .read(key: key), call: .readSecretData)
        return try VaultSecretValues.secretData(response.body, version: settings.version, key: key)
    }

    private func readMetadata(_ key: String) async throws -> [String: String] {
        guard settings.version == .v2 else {
            throw ProviderError.unsupported("metadataPolicy Fetch needs KV version v2: KV v1 keeps no metadata")
        }
        let path = try paths.metadataPath(key)
        let response = try await send(.get(path), operation: .readMetadata(key: key), call: .readSecretData)
        return try VaultSecretValues.metadata(response.body, key: key)
    }

    /// Every secret below `prefix` (which is empty or ends in `/`), by path relative to the
    /// mount, depth first as ESO lists them.
    private func listRecursively(_ prefix: String) async throws -> [String] {
        let path = try paths.metadataPath(prefix)
        let response = try await send(.list(path), operation: .list(path: prefix), call: .listSecrets)
        var secrets: [String] = []
        for name in try VaultSecretValues.listedKeys(response.body, path: prefix) {
            let full = prefix + name
            if name.hasSuffix("/") {
                secrets += try await listRecursively(full)
            } else {
                secrets.append(full)
            }
            guard secrets.count <= Self.maximumFindResults * 4 else {
                throw ProviderError.unsupported(
                    "find lists more than \(Self.maximumFindResults * 4) secrets under \"\(prefix)\"; narrow find.path")
            }
        }
        return secrets
    }

    /// ESO's mount check: the store's `path` is a KV mount of the configured version. A mount
    /// the token may not inspect is not an error (as in ESO).
    private func checkMount() async throws {
        guard let mount = settings.mountPath else { return }
        guard let response = try? await authorized(.get("sys/internal/ui/mounts/\(mount)")) else { return }
        switch response.status.code {
        case 200:
            break
        case 400, 404:
            throw ProviderError.invalidConfiguration(
                "\(VaultStoreSettings.field).path: Vault has no mount \"\(mount)\"")
        default:
            return
        }
        guard case .object(let body)? = try? VaultJSON.parse(response.body), case .object(let data)? = body["data"]
        else {
            return
        }
        guard case .string(let type)? = data["type"], type == "kv" || type == "generic" else {
            throw ProviderError.invalidConfiguration(
                "\(VaultStoreSettings.field).path: mount \"\(mount)\" is not a KV secrets engine")
        }
        var isV2 = false
        if case .object(let options)? = data["options"], case .string(let version)? = options["version"] {
            isV2 = version == "2"
        }
        if isV2 != (settings.version == .v2) {
            throw ProviderError.invalidConfiguration(
                "\(VaultStoreSettings.field).path: mount \"\(mount)\" uses KV version \(isV2 ? "v2" : "v1") but the store is configured for \(settings.version.rawValue)"
            )
        }
    }

    // MARK: - Sending

    /// Sends `request` with the store's token and namespace; a 403 for a token Vault no longer
    /// knows logs in again (once) and resends.
    func authorized(_ request: VaultRequest) async throws -> HTTPResponse {
        let token = try await session.token()
        let response = try await connection.send(request, token: token, namespace: settings.namespace)
        guard response.status.code == 403 else { return response }
        // Vault answers 403 both to a path the policy refuses and to a token it does not know.
        guard await !authenticator.isAccepted(token) else { return response }
        await session.invalidate(token)
        let fresh = try await session.token()
        guard fresh != token else {
            throw ProviderError.accessDenied("the store's Vault token is invalid or expired")
        }
        logger.info("vault refused the store's token; logged in again", metadata: ["server": "\(settings.server)"])
        return try await connection.send(request, token: fresh, namespace: settings.namespace)
    }

    /// `authorized`, with a non-success answer turned into a `ProviderError`. Reads succeed with
    /// 200 only; writes and deletes pass `success: 200...299` (Vault answers 204 to most).
    /// `secrets` are values the request carried, cut out of any error text.
    func send(
        _ request: VaultRequest, operation: VaultOperation, call: VaultMetrics.Call,
        success: ClosedRange<UInt> = 200...200, secrets: [String] = []
    ) async throws -> HTTPResponse {
        let response = try await exchange(request, operation: operation, call: call, success: success)
        guard success.contains(response.status.code) else {
            throw failure(response, request: request, operation: operation, secrets: secrets)
        }
        return response
    }

    /// `authorized`, counted in the metrics; the answer whatever its status.
    func exchange(
        _ request: VaultRequest, operation: VaultOperation, call: VaultMetrics.Call, success: ClosedRange<UInt>
    ) async throws -> HTTPResponse {
        let response: HTTPResponse
        do {
            response = try await authorized(request)
        } catch {
            VaultMetrics.call(call, failed: true)
            throw errors.failure(error, operation: operation)
        }
        VaultMetrics.call(call, failed: !success.contains(response.status.code))
        return response
    }

    /// The error for a non-success answer to `request`, logged at debug level (without values).
    func failure(_ response: HTTPResponse, request: VaultRequest, operation: VaultOperation, secrets: [String] = [])
        -> ProviderError
    {
        let failure = errors.failure(
            status: response.status, body: response.body, operation: operation, secrets: secrets)
        logger.debug(
            "vault request failed",
            metadata: [
                "method": "\(request.method.rawValue)", "path": "\(request.path)", "status": "\(response.status.code)",
                "error": "\(failure.message)",
            ])
        return failure
    }
}
