import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import KubeClient
import KubeModel
import KubeTestSupport
import OperatorTestSupport
import ProviderKit
import Testing
import VaultTestSupport

/// A value that must never appear in logs, Events or status.
let canary = "canary-\(UUID().uuidString.prefix(12).lowercased())"

func currentBao() throws -> OpenBaoServer {
    try #require(OpenBaoServer.current, "suite must run with the .openBao trait")
}

/// A namespace with the CRDs installed, the operator running for it, and an admin client;
/// the operator is stopped when `body` ends. Before that, every Ready ExternalSecret `body` left
/// must render offline (`render --live`, reading OpenBao) to the Secret the controller wrote,
/// except those in `renderSkipping`.
func withOperator(
    _ prefix: String, renderSkipping: Set<String> = [], arguments: [String] = [],
    _ body: (KubeClient, String, TestProcess) async throws -> Void
) async throws {
    let plane = try currentPlane()
    try await withAdminClient { client in
        try await installCRDs(client)
        let namespace = try await makeNamespace(client, prefix: prefix)
        try await runOperator(plane, name: namespace, arguments: ["--namespace", namespace] + arguments) { process in
            try await body(client, namespace, process)
            let mismatches = try await renderMismatches(plane, client, namespace: namespace, skipping: renderSkipping)
            #expect(mismatches.isEmpty, "render --live differs from the controller: \(mismatches)")
        }
    }
}

// MARK: - Objects

/// A SecretStore for the suite's OpenBao with `auth`, trusting its CA through `caBundle`.
func vaultStore(
    _ name: String, path: String? = "secret", version: VaultKVStoreVersion? = nil, namespace: String? = nil,
    auth: VaultAuth, configure: (inout VaultProvider) -> Void = { _ in }
) throws -> SecretStore {
    let bao = try currentBao()
    var vault = VaultProvider(
        server: bao.address, path: path, version: version, namespace: namespace,
        caBundle: bao.caCertificatePEM.base64EncodedString(), auth: auth)
    configure(&vault)
    return SecretStore(
        metadata: ObjectMeta(name: name), spec: SecretStoreSpec(provider: SecretStoreProvider(vault: vault)))
}

func externalSecret(
    _ name: String, store: String, storeKind: StoreKind = .secretStore, data: [ExternalSecretData]? = nil,
    dataFrom: [ExternalSecretDataFromRemoteRef]? = nil, refreshInterval: String? = nil,
    deletionPolicy: DeletionPolicy? = nil
) -> ExternalSecret {
    ExternalSecret(
        metadata: ObjectMeta(name: name),
        spec: ExternalSecretSpec(
            secretStoreRef: SecretStoreRef(name: store, kind: storeKind),
            target: deletionPolicy.map { ExternalSecretTarget(deletionPolicy: $0) },
            refreshInterval: refreshInterval, data: data, dataFrom: dataFrom))
}

func entry(
    _ secretKey: String, _ remoteKey: String, property: String? = nil, version: String? = nil,
    metadataPolicy: MetadataPolicy? = nil
) -> ExternalSecretData {
    ExternalSecretData(
        secretKey: secretKey,
        remoteRef: ExternalSecretDataRemoteRef(
            key: remoteKey, property: property, version: version, metadataPolicy: metadataPolicy))
}

func secretKey(_ name: String, _ key: String) -> SecretKeySelector { SecretKeySelector(name: name, key: key) }

/// Creates a Secret with string data.
func createSecret(_ client: KubeClient, _ namespace: String, _ name: String, _ data: [String: String]) async throws {
    _ = try await client.api(Secret.self, namespace: namespace).create(
        Secret(metadata: ObjectMeta(name: name), data: data.mapValues { Data($0.utf8) }))
}

// MARK: - Status

/// Waits until the store's Ready condition is `status`; returns its message.
func waitForStore(
    _ client: KubeClient, _ namespace: String, _ name: String, status: String = "True", timeout: Duration = .seconds(60)
) async throws -> String? {
    var message: String?
    let reached = try await eventually(timeout: timeout) {
        let condition = try await client.api(SecretStore.self, namespace: namespace).get(name).status?.conditions?
            .condition(ofType: ESONames.conditionReady)
        message = condition?.message
        return condition?.status == status
    }
    return reached ? message : nil
}

/// Everything a user can see about the ExternalSecrets and stores of `namespace`: statuses and
/// Events, as JSON text.
func visibleText(_ client: KubeClient, _ namespace: String) async throws -> String {
    let externalSecrets = try await client.api(ExternalSecret.self, namespace: namespace).list().items
    let stores = try await client.api(SecretStore.self, namespace: namespace).list().items
    let statuses =
        try externalSecrets.map { try String(decoding: JSONEncoder().encode($0.status), as: UTF8.self) }
        + stores.map { try String(decoding: JSONEncoder().encode($0.status), as: UTF8.self) }
    return (statuses + (try await eventTexts(client, namespace))).joined(separator: "\n")
}

/// A short unique suffix for Vault mounts, roles and policies of one test.
func unique(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.prefix(6).lowercased())" }
