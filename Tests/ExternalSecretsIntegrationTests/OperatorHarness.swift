import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import HTTPSupport
import KubeClient
import KubeModel
import KubeTestSupport
import OperatorTestSupport
import ProviderKit
import Testing

/// A value that must never appear in logs, Events or status.
let canary = "canary-\(UUID().uuidString.prefix(12).lowercased())"

/// A SecretStore with the fake provider serving `data`.
func fakeStore(_ name: String, data: [FakeProviderData], validationResult: Int? = nil) -> SecretStore {
    SecretStore(
        metadata: ObjectMeta(name: name),
        spec: SecretStoreSpec(provider: SecretStoreProvider(fake: FakeProvider(data: data, validationResult: validationResult))))
}

func externalSecret(
    _ name: String, store: String = "fake", storeKind: StoreKind = .secretStore, target: ExternalSecretTarget? = nil,
    data: [ExternalSecretData]? = nil, dataFrom: [ExternalSecretDataFromRemoteRef]? = nil, refreshInterval: String? = nil,
    annotations: [String: String]? = nil
) -> ExternalSecret {
    ExternalSecret(
        metadata: ObjectMeta(name: name, annotations: annotations),
        spec: ExternalSecretSpec(
            secretStoreRef: SecretStoreRef(name: store, kind: storeKind), target: target,
            refreshInterval: refreshInterval, data: data, dataFrom: dataFrom))
}

func entry(_ secretKey: String, _ remoteKey: String, property: String? = nil) -> ExternalSecretData {
    ExternalSecretData(secretKey: secretKey, remoteRef: ExternalSecretDataRemoteRef(key: remoteKey, property: property))
}
