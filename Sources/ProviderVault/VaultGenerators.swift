import ExternalSecretsAPI
public import Foundation
import GoCompat
import HTTPSupport
public import KubeModel
import Logging
public import ProviderKit

/// ESO's `VaultDynamicSecret` generator: one request to a secrets engine of HashiCorp Vault or
/// OpenBao (`database/creds/<role>`, `pki/issue/<role>`, `auth/token/create` ...) made with the
/// Vault provider's connection, login methods, TLS and retries; the answer's `data` (or `auth`,
/// or the whole answer, by `resultType`) becomes the keys, as ESO maps it.
///
/// Beyond ESO, what a generation made is undone and kept alive:
/// - `generate` returns as state the answer's lease (`lease_id`) or the created token's
///   accessor, with the lease's duration, renewability and issue time (never a value);
/// - `cleanup` revokes it (`sys/leases/revoke`, `auth/token/revoke-accessor`); a lease or
///   token already gone is success. ESO never revokes (ESO#2198): its leases pile up until
///   they expire;
/// - `renewal` is two thirds of the lease after it was issued or last renewed, and `renew`
///   extends it (`sys/leases/renew`, `auth/token/renew-accessor`) by Vault's default increment.
///
/// Caveat (Vault's lease model): a lease belongs to the token that created it and is revoked
/// with it. With a login method (AppRole, Kubernetes ...) each generation logs in and keeps its
/// login token unrevoked, so the credentials live at most as long as that token's TTL, renewed
/// or not; with `tokenSecretRef` they live as long as the user's token. Cleanup and renewal log
/// in afresh and revoke their own login token afterwards.
///
/// The Secrets and ServiceAccounts `spec.provider` names are read through the `ReferenceReader`,
/// in the namespace of the object using the generator.
public struct VaultGenerators: SecretGenerator {
    private let provider: VaultSecretsProvider

    /// - Parameter provider: the Vault provider whose transport, clock, retry waits, mounted
    ///   ServiceAccount token and logger the generator uses.
    public init(provider: VaultSecretsProvider) {
        self.provider = provider
    }

    public var resources: [ResourceDescriptor] { [VaultDynamicSecretGenerator.resource] }

    public func controllerClass(kind: String, spec: JSONValue?) -> String? {
        guard kind == VaultDynamicSecretSpec.kind, let controller = spec?["controller"]?.stringValue,
            !controller.isEmpty
        else { return nil }
        return controller
    }

    public func generate(kind: String, spec: JSONValue?, references: any ReferenceReader, now: Date) async throws
        -> GeneratedSecret
    {
        try await Self.renamingFields {
            let spec = try Self.decode(kind: kind, spec)
            let call = try VaultDynamicSecrets.call(of: spec)
            let client = try await connect(spec, references: references)
            let response: HTTPResponse
            do {
                response = try await client.exchange(
                    call.request, operation: call.operation, call: call.metric, success: 200...299)
            } catch {
                await client.release()
                throw error
            }
            // The login token stays: the credentials made with it are revoked with it.
            await client.release()
            let status = response.status.code
            guard (200...299).contains(status) || (status == 404 && call.notFoundIsEmpty) else {
                throw client.failure(response, request: call.request, operation: call.operation)
            }
            guard let secret = try VaultDynamicSecrets.secret(status: response.status, body: response.body, call: call)
            else {
                guard spec.allowEmptyResponse == true else {
                    throw ProviderError(
                        .invalidData,
                        "\(call.operation.description): Vault answered without content (HTTP \(status)); set spec.allowEmptyResponse to accept that"
                    )
                }
                return GeneratedSecret(data: [:])
            }
            let state = VaultDynamicSecrets.state(of: secret, issuedAt: now)
            provider.logger.debug(
                "vault dynamic secret generated",
                metadata: [
                    "path": "\(spec.path)", "method": "\(spec.method ?? "GET")",
                    "lease": "\(state.map { "\($0.leaseDuration)s" } ?? "none")",
                    "renewable": "\(state?.renewable ?? false)",
                ])
            return GeneratedSecret(
                data: VaultDynamicSecrets.values(of: secret, resultType: spec.resultType ?? .data), state: state?.json)
        }
    }

    public func cleanup(kind: String, spec: JSONValue?, state: JSONValue, references: any ReferenceReader, now: Date)
        async throws
    {
        try await Self.renamingFields {
            let (spec, _, call) = try await leaseCall(kind: kind, spec: spec, state: state, references: references, renew: false)
            let (client, request, operation, response) = call
            if (200...299).contains(response.status.code) { return }
            guard VaultDynamicSecrets.isAlreadyGone(status: response.status, body: response.body) else {
                throw client.failure(response, request: request, operation: operation)
            }
            provider.logger.debug(
                "vault dynamic secret already revoked or expired", metadata: ["path": "\(spec.path)"])
        }
    }

    public func renewal(kind: String, state: JSONValue) -> Date? {
        guard kind == VaultDynamicSecretSpec.kind else { return nil }
        return (try? VaultDynamicSecrets.LeaseState.decode(state))?.renewal
    }

    public func renew(kind: String, spec: JSONValue?, state: JSONValue, references: any ReferenceReader, now: Date)
        async throws -> JSONValue
    {
        try await Self.renamingFields {
            let (_, lease, call) = try await leaseCall(kind: kind, spec: spec, state: state, references: references, renew: true)
            let (client, request, operation, response) = call
            guard (200...299).contains(response.status.code) else {
                if VaultDynamicSecrets.isAlreadyGone(status: response.status, body: response.body) {
                    throw ProviderError.notFound(
                        "\(operation.description): it no longer exists in Vault (expired or revoked); the secret must be generated again"
                    )
                }
                throw client.failure(response, request: request, operation: operation)
            }
            let answer: [String: VaultJSON.Value]?
            if case .object(let members)? = try? VaultJSON.parse(response.body) {
                answer = members
            } else {
                answer = nil
            }
            return VaultDynamicSecrets.renewed(lease, answer: answer, renewedAt: now).json
        }
    }

    // MARK: - Helpers

    /// Revokes (`renew` false) or renews the lease of `state` with a login of its own, which is
    /// closed (its token revoked: nothing was made with it) before the answer is returned. The
    /// closed client still describes a failure.
    private func leaseCall(
        kind: String, spec: JSONValue?, state: JSONValue, references: any ReferenceReader, renew: Bool
    ) async throws -> (
        spec: VaultDynamicSecretSpec, lease: VaultDynamicSecrets.LeaseState,
        call: (client: VaultSecretsClient, request: VaultRequest, operation: VaultOperation, response: HTTPResponse)
    ) {
        let spec = try Self.decode(kind: kind, spec)
        let lease = try VaultDynamicSecrets.LeaseState.decode(state)
        let (request, operation, metric) = Self.leaseRequest(lease, renew: renew)
        let client = try await connect(spec, references: references)
        let response: HTTPResponse
        do {
            response = try await client.exchange(request, operation: operation, call: metric, success: 200...299)
        } catch {
            await client.close()
            throw error
        }
        await client.close()
        return (spec, lease, (client, request, operation, response))
    }

    /// The request revoking or renewing `lease`: `sys/leases/...` for a lease, the token's
    /// `...-accessor` endpoint for a token. Renewal asks for no increment: Vault applies the
    /// lease's default TTL (capped by its maximum).
    static func leaseRequest(_ lease: VaultDynamicSecrets.LeaseState, renew: Bool)
        -> (VaultRequest, VaultOperation, VaultMetrics.Call)
    {
        let metric: VaultMetrics.Call = renew ? .renewLease : .revokeLease
        if let leaseID = lease.leaseID, !leaseID.isEmpty {
            let body = VaultJSON.marshal(stringMap: ["lease_id": leaseID])
            return (
                VaultRequest(method: .PUT, path: renew ? "sys/leases/renew" : "sys/leases/revoke", body: body),
                renew ? .renewLease : .revokeLease, metric
            )
        }
        let body = VaultJSON.marshal(stringMap: ["accessor": lease.tokenAccessor ?? ""])
        return (
            VaultRequest(
                method: .PUT, path: renew ? "auth/token/renew-accessor" : "auth/token/revoke-accessor", body: body),
            renew ? .renewToken : .revokeToken, metric
        )
    }

    private func connect(_ spec: VaultDynamicSecretSpec, references: any ReferenceReader) async throws
        -> VaultSecretsClient
    {
        let settings = try VaultStoreSettings.resolveGenerator(spec.provider, retrySettings: spec.retrySettings)
        return try await provider.connect(settings, references: references)
    }

    static func decode(kind: String, _ spec: JSONValue?) throws(ProviderError) -> VaultDynamicSecretSpec {
        guard kind == VaultDynamicSecretSpec.kind else {
            throw .unsupported("generator kind \(kind) is not run by the Vault generator")
        }
        guard let spec else {
            throw .invalidConfiguration(
                "the VaultDynamicSecret generator has no spec; spec.provider and spec.path are required")
        }
        do {
            return try spec.decode(as: VaultDynamicSecretSpec.self)
        } catch {
            throw .invalidConfiguration(
                "the VaultDynamicSecret generator's spec does not match its schema (spec.provider.server and spec.path are required)"
            )
        }
    }

    /// Runs `body`, naming the provider's fields as a generator spec has them: the store's
    /// `spec.provider.vault` is the generator's `spec.provider`.
    static func renamingFields<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch var error as ProviderError {
            error.message = renamed(error.message)
            throw error
        }
    }

    static func renamed(_ message: String) -> String {
        message.replacingOccurrences(of: "\(VaultStoreSettings.field).", with: "spec.provider.")
            .replacingOccurrences(of: VaultStoreSettings.field, with: "spec.provider")
            .replacingOccurrences(of: "the store's Vault token", with: "the generator's Vault token")
    }
}
