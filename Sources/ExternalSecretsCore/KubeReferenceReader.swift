public import ExternalSecretsAPI
public import Foundation
public import KubeClient
import KubeModel
public import ProviderKit

/// Reads referenced Secrets, ConfigMaps and ServiceAccount tokens from this cluster with direct GETs
/// (never a cache of every Secret: DESIGN.md invariant 1), after `policy` has decided the namespace.
public struct KubeReferenceReader: ReferenceReader {
    public let client: KubeClient
    public let policy: ReferenceAccessPolicy

    public init(client: KubeClient, policy: ReferenceAccessPolicy) {
        self.client = client
        self.policy = policy
    }

    public func secretValue(_ selector: SecretKeySelector, field: String) async throws -> Data {
        guard let name = selector.name, !name.isEmpty else {
            throw ProviderError.invalidConfiguration("\(field).name is required")
        }
        guard let key = selector.key, !key.isEmpty else {
            throw ProviderError.invalidConfiguration("\(field).key is required")
        }
        let namespace = try policy.namespace(for: selector.namespace, field: field)
        let secret = try await read(field: field, kind: "Secret", namespace: namespace, name: name) {
            try await client.api(Secret.self, namespace: namespace).get(name)
        }
        guard let value = secret.data?[key] else {
            throw ProviderError.invalidConfiguration("\(field): Secret \(namespace)/\(name) has no key \"\(key)\"")
        }
        return value
    }

    public func secret(_ selector: SecretKeySelector, field: String) async throws -> ReferencedSecret {
        guard let name = selector.name, !name.isEmpty else {
            throw ProviderError.invalidConfiguration("\(field).name is required")
        }
        let namespace = try policy.namespace(for: selector.namespace, field: field)
        let secret = try await read(field: field, kind: "Secret", namespace: namespace, name: name) {
            try await client.api(Secret.self, namespace: namespace).get(name)
        }
        return ReferencedSecret(labels: secret.metadata.labels ?? [:], data: secret.data ?? [:])
    }

    public func caBundle(_ provider: CAProvider, field: String) async throws -> Data {
        guard let key = provider.key, !key.isEmpty else {
            throw ProviderError.invalidConfiguration("\(field).key is required")
        }
        let namespace = try policy.namespace(for: provider.namespace, field: field)
        switch provider.type {
        case "Secret":
            return try await secretValue(
                SecretKeySelector(name: provider.name, key: key, namespace: namespace), field: field)
        case "ConfigMap":
            let configMap = try await read(field: field, kind: "ConfigMap", namespace: namespace, name: provider.name) {
                try await client.api(ConfigMap.self, namespace: namespace).get(provider.name)
            }
            if let text = configMap.data?[key] { return Data(text.utf8) }
            if let bytes = configMap.binaryData?[key] { return bytes }
            throw ProviderError.invalidConfiguration(
                "\(field): ConfigMap \(namespace)/\(provider.name) has no key \"\(key)\"")
        default:
            throw ProviderError.invalidConfiguration("\(field).type must be Secret or ConfigMap")
        }
    }

    /// The audiences of a token requested without any (`--service-account-token-audience`);
    /// empty: the API server's own, as ESO requests them.
    public var defaultAudiences: [String] = []

    public func serviceAccountToken(
        _ selector: ServiceAccountSelector, audiences: [String], field: String
    ) async throws -> String {
        let audiences = audiences.isEmpty ? defaultAudiences : audiences
        let namespace = try policy.namespace(for: selector.namespace, field: field)
        let status = try await read(field: field, kind: "ServiceAccount token", namespace: namespace, name: selector.name) {
            try await client.requestToken(
                forServiceAccount: selector.name, in: namespace, audiences: audiences, expirationSeconds: 600)
        }
        return status.token
    }

    public func serviceAccountAnnotations(_ selector: ServiceAccountSelector, field: String) async throws -> [String: String] {
        let namespace = try policy.namespace(for: selector.namespace, field: field)
        let account = try await read(field: field, kind: "ServiceAccount", namespace: namespace, name: selector.name) {
            try await client.api(ServiceAccount.self, namespace: namespace).get(selector.name)
        }
        return account.metadata.annotations ?? [:]
    }

    /// Runs a read and turns Kubernetes errors into provider errors that name the field and object.
    private func read<T>(
        field: String, kind: String, namespace: String, name: String, _ body: () async throws -> T
    ) async throws -> T {
        do {
            return try await body()
        } catch let error as KubeAPIError {
            let object = "\(kind) \(namespace)/\(name)"
            if error.isNotFound { throw ProviderError.invalidConfiguration("\(field): \(object) not found") }
            if error.isForbidden {
                throw ProviderError.accessDenied("\(field): reading \(object) is forbidden for the operator")
            }
            throw ProviderError(.unavailable, "\(field): reading \(object) failed: HTTP \(error.statusCode)")
        }
    }
}
