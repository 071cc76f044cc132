import ExternalSecretsAPI
import Foundation
import HTTPSupport
import Logging
import ProviderKit

// MARK: - PushSecret

/// PushSecret on a KV engine: read what is there, plan the writes (`VaultPushPlan`), write.
///
/// KV v2: the marker is the custom metadata `managed-by: external-secrets` (ESO's). A new secret
/// is created with check-and-set 0 (only if nothing is there), then its metadata is written; an
/// update carries check-and-set = the version read, so a concurrent writer is never clobbered:
/// Vault refuses the write and the push fails with a retryable error. Before creating, the
/// token's capabilities on both paths are checked (`sys/capabilities-self`, when the token may
/// ask), so a policy that allows the data write but not the metadata write fails before
/// anything is written.
///
/// KV v1: the marker is a `custom_metadata` field inside the secret (ESO's); there is no
/// check-and-set, so a concurrent write between the read and the write is not detected.
///
/// Caveat: a KV v2 secret created by a write whose metadata write then fails (say, a policy
/// without `sys/capabilities-self` that refuses the metadata path) exists without the marker,
/// and later pushes refuse it; the error says so.
extension VaultSecretsClient {
    func pushSecret(_ value: PushValue, to target: PushTarget) async throws {
        let key = try Self.checkedKey(target.remoteKey)
        let metadata = try VaultPushMetadata.parse(target)
        let remote = try await remoteSecret(key)
        let write = try VaultPushPlan.push(
            value, to: target, metadata: metadata, version: settings.version, remote: remote)
        guard !write.isEmpty else {
            logger.debug("vault push: remote secret unchanged", metadata: ["key": "\(target)"])
            return
        }
        if write.creates { try await checkCreateCapabilities(key) }
        if let data = write.data {
            try await writeData(key, data, checkAndSet: write.checkAndSet)
        }
        if let customMetadata = write.customMetadata {
            try await writeCustomMetadata(key, customMetadata, afterCreating: write.creates)
        }
        logger.debug(
            "vault push: remote secret written",
            metadata: [
                "key": "\(target)", "created": "\(remote == nil)", "data": "\(write.data != nil)",
                "customMetadata": "\(write.customMetadata != nil)",
            ])
    }

    func deleteSecret(_ target: PushTarget) async throws {
        let key = try Self.checkedKey(target.remoteKey)
        let remote = try await remoteSecret(key)
        switch try VaultPushPlan.delete(target, version: settings.version, remote: remote) {
        case .nothing:
            logger.debug("vault delete: nothing to delete", metadata: ["key": "\(target)"])
        case .writeData(let data, let checkAndSet):
            try await writeData(key, data, checkAndSet: checkAndSet)
            logger.debug("vault delete: property removed", metadata: ["key": "\(target)"])
        case .deleteSecret:
            // KV v2: the metadata path deletes every version and the metadata.
            let path = settings.version == .v2 ? try paths.metadataPath(key) : paths.dataPath(key)
            do {
                _ = try await send(
                    .delete(path), operation: .delete(key: key, path: path), call: .deleteSecret, success: 200...299)
            } catch let error as ProviderError where error.isNotFound {}
            logger.debug("vault delete: secret deleted", metadata: ["key": "\(target)"])
        }
    }

    func secretExists(_ target: PushTarget) async throws -> Bool {
        let key = try Self.checkedKey(target.remoteKey)
        let secret: VaultSecretValues.Object
        do {
            secret = try await readSecret(
                key, version: nil, operation: .readBeforeWrite(key: key, path: paths.dataPath(key)))
        } catch let error as ProviderError where error.isNotFound {
            return false
        }
        guard let field = target.field else { return true }
        do {
            _ = try VaultSecretValues.value(of: secret, property: field, key: key)
            return true
        } catch  where error.isNotFound {
            return false
        }
    }

    // MARK: - Steps

    /// What is at `key`; nil when nothing is. The data of a KV v2 secret without the marker is
    /// not read (it is not ours to look at).
    private func remoteSecret(_ key: String) async throws -> VaultRemoteSecret? {
        let dataPath = paths.dataPath(key)
        switch settings.version {
        case .v1:
            do {
                let data = try await readSecret(
                    key, version: nil, operation: .readBeforeWrite(key: key, path: dataPath))
                return VaultRemoteSecret(data: data)
            } catch let error as ProviderError where error.isNotFound {
                return nil
            }
        case .v2:
            let metadataPath = try paths.metadataPath(key)
            let response: HTTPResponse
            do {
                response = try await send(
                    .get(metadataPath), operation: .readOwnership(key: key, path: metadataPath),
                    call: .readSecretData)
            } catch let error as ProviderError where error.isNotFound {
                return nil
            }
            var remote = try VaultSecretValues.ownership(response.body, key: key)
            guard remote.currentVersion > 0, VaultPushPlan.isManaged(remote, version: .v2) else { return remote }
            do {
                remote.data = try await readSecret(
                    key, version: String(remote.currentVersion),
                    operation: .readBeforeWrite(key: key, path: dataPath))
            } catch let error as ProviderError where error.isNotFound {
                remote.data = nil  // the current version is deleted or destroyed
            }
            return remote
        }
    }

    /// Writes the secret's data; on KV v2 with check-and-set `checkAndSet`.
    private func writeData(_ key: String, _ data: VaultSecretValues.Object, checkAndSet: Int?) async throws {
        let path = paths.dataPath(key)
        let body: VaultJSON.Value
        switch settings.version {
        case .v1:
            body = .object(data)
        case .v2:
            body = .object([
                "data": .object(data), "options": .object(["cas": .number(String(checkAndSet ?? 0))]),
            ])
        }
        let request = VaultRequest.post(path, body: body)
        let operation = VaultOperation.write(key: key, path: path)
        let response = try await exchange(request, operation: operation, call: .writeSecretData, success: 200...299)
        guard (200...299).contains(response.status.code) else {
            if response.status.code == 400,
                VaultErrorText.detail(body: response.body, secrets: [])?.contains("check-and-set") == true
            {
                throw Self.checkAndSetMismatch(key, expected: checkAndSet ?? 0)
            }
            throw failure(response, request: request, operation: operation, secrets: Self.strings(in: .object(data)))
        }
    }

    /// Writes a KV v2 secret's custom metadata (Vault replaces the whole map).
    private func writeCustomMetadata(_ key: String, _ customMetadata: [String: String], afterCreating: Bool)
        async throws
    {
        let path = try paths.metadataPath(key)
        let body = VaultJSON.Value.object([
            "custom_metadata": .object(customMetadata.mapValues { .string($0) })
        ])
        do {
            _ = try await send(
                .post(path, body: body), operation: .writeMetadata(key: key, path: path), call: .writeSecretData,
                success: 200...299)
        } catch let error as ProviderError where afterCreating {
            throw ProviderError(
                error.code,
                "\(error.message); secret \"\(key)\" was created without its \(PushManagedMarker.key) marker, so later pushes refuse it: fix the cause, delete the secret in Vault and push again"
            )
        }
    }

    /// Before creating a KV v2 secret: may the token create the data and then write the
    /// metadata? Asked with `sys/capabilities-self`; when the token may not ask, the writes
    /// themselves tell.
    private func checkCreateCapabilities(_ key: String) async throws {
        let dataPath = paths.dataPath(key)
        let metadataPath = try paths.metadataPath(key)
        let request = VaultRequest.post(
            "sys/capabilities-self", body: .object(["paths": .array([.string(dataPath), .string(metadataPath)])]))
        let response: HTTPResponse
        do {
            response = try await authorized(request)
        } catch let error as CancellationError {
            throw error
        } catch {
            VaultMetrics.call(.capabilitiesSelf, failed: true)
            return
        }
        VaultMetrics.call(.capabilitiesSelf, failed: response.status.code != 200)
        guard response.status.code == 200, let capabilities = VaultSecretValues.capabilities(response.body) else {
            logger.debug(
                "vault push: capabilities not checked", metadata: ["status": "\(response.status.code)"])
            return
        }
        func grants(_ path: String, _ capability: String) -> Bool {
            guard let granted = capabilities[path] else { return true }
            return granted.contains("root") || granted.contains(capability)
        }
        var missing: [String] = []
        if !grants(dataPath, "create") { missing.append("\"create\" on \"\(dataPath)\"") }
        if !grants(metadataPath, "update") { missing.append("\"update\" on \"\(metadataPath)\"") }
        guard missing.isEmpty else {
            throw ProviderError.accessDenied(
                "create secret \"\(key)\": Vault at \(settings.server) would refuse it; the store's Vault policy must grant \(missing.joined(separator: " and ")) (nothing was written)"
            )
        }
    }

    // MARK: - Helpers

    /// The remote key, refused when empty or when it has `.` or `..` segments (which would
    /// leave the KV path).
    static func checkedKey(_ key: String) throws(ProviderError) -> String {
        guard !key.isEmpty else { throw .invalidConfiguration("remoteRef.remoteKey must name a secret") }
        guard !key.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0 == "." || $0 == ".." })
        else {
            throw .invalidConfiguration("remoteRef.remoteKey \"\(key)\" may not have \".\" or \"..\" path segments")
        }
        return key
    }

    static func checkAndSetMismatch(_ key: String, expected: Int) -> ProviderError {
        let what =
            expected == 0
            ? "another writer created it while this push was creating it"
            : "it changed in Vault after version \(expected) was read"
        return ProviderError(
            .conflict,
            "write secret \"\(key)\": Vault refused the check-and-set write because \(what); nothing was overwritten, the push is retried"
        )
    }

    /// Every string in `value`, to cut out of error text.
    static func strings(in value: VaultJSON.Value) -> [String] {
        switch value {
        case .string(let text): [text]
        case .array(let items): items.flatMap(strings(in:))
        case .object(let members): members.values.flatMap(strings(in:))
        case .null, .bool, .number: []
        }
    }
}
