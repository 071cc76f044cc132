import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import KubeModel
import Testing

/// What lets the operator follow stores: the Secrets a store refers to (revalidate it when one
/// appears) and the store generations kept in `status.syncedResourceVersion` (refresh after a
/// store edit, also after a restart).
struct StoreFollowingTests {
    static let vault = SecretStoreProvider(
        vault: VaultProvider(
            server: "https://vault:8200", caProvider: CAProvider(type: "Secret", name: "vault-ca", key: "ca.crt"),
            auth: VaultAuth(tokenSecretRef: SecretKeySelector(name: "vault-token", key: "token", namespace: "elsewhere"))))
    static let aws = SecretStoreProvider(
        aws: AWSProvider(
            service: .secretsManager, region: "eu-west-1",
            auth: AWSAuth(
                secretRef: AWSAuthSecretRef(
                    accessKeyIDSecretRef: SecretKeySelector(name: "aws", key: "id", namespace: "creds"),
                    secretAccessKeySecretRef: SecretKeySelector(name: "aws", key: "secret", namespace: "creds")))))
    static let kubernetes = SecretStoreProvider(
        kubernetes: KubernetesProvider(
            server: KubernetesServer(url: "https://remote", caProvider: CAProvider(type: "ConfigMap", name: "ca")),
            auth: KubernetesAuth(serviceAccount: ServiceAccountSelector(name: "reader"))))
    static let untyped = SecretStoreProvider(
        unsupported: ["gcpsm": ["auth": ["secretRef": ["secretAccessKeySecretRef": ["name": "gcp", "key": "sa.json"]]]]])
    static let fake = SecretStoreProvider(fake: FakeProvider(data: [FakeProviderData(key: "name", value: "key")]))

    @Test(arguments: [
        // A SecretStore's references are in its own namespace, whatever they say (ESO's rule).
        (vault, "team", ["team/vault-ca", "team/vault-token"]),
        // A ClusterSecretStore's references name their namespace; without one they are not indexed.
        (vault, nil, ["elsewhere/vault-token"]),
        (aws, nil, ["creds/aws"]),
        (aws, "team", ["team/aws"]),
        // ConfigMaps and ServiceAccounts are not Secrets.
        (kubernetes, "team", []),
        // Provider blocks without a typed model are walked too.
        (untyped, "team", ["team/gcp"]),
        (fake, "team", []),
    ] as [(SecretStoreProvider, String?, [String])])
    func secretsAStoreRefersTo(provider: SecretStoreProvider, storeNamespace: String?, expected: [String]) {
        #expect(StoreReferences.secrets(of: SecretStoreSpec(provider: provider), storeNamespace: storeNamespace) == expected)
    }

    @Test func syncedVersionKeepsESOsPartAndTheInputsHash() {
        let eso = ESOHashes.syncedResourceVersion(generation: 3, annotations: ["a": "b"], labels: nil)
        // ESO's own text (and an empty one) has no inputs part: unknown, so nothing is refreshed.
        let written = SyncedVersion(parsing: eso)
        #expect(written == SyncedVersion(metadata: eso, inputs: nil))
        #expect(written.text == eso)
        #expect(!written.inputsChanged(current: ["SecretStore/ns/a": "7"]))
        #expect(SyncedVersion(parsing: "") == SyncedVersion(metadata: ""))

        let generations = ["SecretStore/ns/a": "7", "ClusterSecretStore/b": "2"]
        let ours = SyncedVersion(metadata: eso, inputs: SyncedVersion.inputsHash(generations))
        #expect(ours.text.hasPrefix(eso + ";from="))
        #expect(SyncedVersion(parsing: ours.text) == ours)
        #expect(!ours.inputsChanged(current: ["ClusterSecretStore/b": "2", "SecretStore/ns/a": "7"]))
        #expect(ours.inputsChanged(current: ["SecretStore/ns/a": "8", "ClusterSecretStore/b": "2"]))
        #expect(ours.inputsChanged(current: ["SecretStore/ns/a": "7"]))
        #expect(SyncedVersion.inputsHash(generations).count == 16)
    }

    /// The suffix changes nothing in ESO's refresh decision (the table of RefreshScheduleTests,
    /// with and without it).
    @Test(arguments: RefreshScheduleTests.History.allCases, [RefreshPolicy?.none, .createdOnce, .onChange])
    func theInputsSuffixLeavesESOsRefreshDecisionAlone(history: RefreshScheduleTests.History, policy: RefreshPolicy?) throws {
        let es = RefreshScheduleTests.externalSecret(policy: policy, interval: "1h", history: history)
        var suffixed = es
        if let version = es.status?.syncedResourceVersion {
            suffixed.status?.syncedResourceVersion =
                SyncedVersion(metadata: version, inputs: SyncedVersion.inputsHash(["SecretStore/ns/a": "1"])).text
        }
        let interval = try RefreshSchedule.interval(of: es.spec)
        #expect(
            RefreshSchedule.isRefreshDue(suffixed, interval: interval, now: RefreshScheduleTests.now)
                == RefreshSchedule.isRefreshDue(es, interval: interval, now: RefreshScheduleTests.now))
    }
}
