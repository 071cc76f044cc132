import ExternalSecretsAPI
import ExternalSecretsCore
import Testing

/// Where stores may send credentials: the cluster-wide list, narrowed by a namespace annotation.
struct ProviderEndpointAllowListTests {
    static func vault(_ server: String) -> SecretStoreSpec {
        SecretStoreSpec(provider: SecretStoreProvider(vault: VaultProvider(server: server)))
    }

    static func webhook(_ url: String) -> SecretStoreSpec {
        SecretStoreSpec(provider: SecretStoreProvider(webhook: WebhookProvider(url: url)))
    }

    static let list = ProviderEndpointAllowList(parsing: "vault.internal:8200, *.corp.example, 127.0.0.1")

    @Test(arguments: [
        ("https://vault.internal:8200", true),
        ("https://vault.internal:8201", false),
        ("https://VAULT.internal:8200/v1", true),
        ("https://a.corp.example", true),
        ("https://a.b.corp.example:9443/x", true),
        ("https://corp.example", false),
        ("https://evilcorp.example", false),
        ("https://127.0.0.1:8200", true),
        ("https://user@127.0.0.1:1/", true),
        ("https://attacker.example", false),
        ("https://127.0.0.1.attacker.example", false),
    ])
    func clusterListAdmitsVaultServers(server: String, admitted: Bool) {
        #expect((Self.list.refusal(for: Self.vault(server), namespaceAnnotations: [:]) == nil) == admitted)
    }

    @Test func namespaceAnnotationNarrowsTheClusterList() {
        let narrowed = [ProviderEndpointAllowList.namespaceAnnotation: "a.corp.example"]
        #expect(Self.list.refusal(for: Self.vault("https://a.corp.example"), namespaceAnnotations: narrowed) == nil)
        let refusal = Self.list.refusal(for: Self.vault("https://b.corp.example"), namespaceAnnotations: narrowed)
        #expect(refusal?.contains("not allowed in this namespace") == true)
        // The annotation cannot widen the cluster list.
        let widened = [ProviderEndpointAllowList.namespaceAnnotation: "attacker.example"]
        #expect(Self.list.refusal(for: Self.vault("https://attacker.example"), namespaceAnnotations: widened) != nil)
    }

    @Test func webhookURLsWithATemplatedHostAreRefusedAndOthersChecked() {
        #expect(
            Self.list.refusal(for: Self.webhook("https://a.corp.example/{{ .remoteRef.key }}"), namespaceAnnotations: [:])
                == nil)
        #expect(Self.list.refusal(for: Self.webhook("https://{{ .remoteRef.key }}.x/"), namespaceAnnotations: [:]) != nil)
        #expect(Self.list.refusal(for: Self.webhook("http://attacker.example/"), namespaceAnnotations: [:]) != nil)
    }

    /// Azure's vault URL receives the access token and a custom cloud's Active Directory endpoint
    /// the client secret; a federated GCP store's external token endpoint receives the
    /// ServiceAccount token: all three are checked.
    @Test func azureAndFederatedGCPEndpointsAreChecked() {
        let azure = SecretStoreSpec(
            provider: SecretStoreProvider(azurekv: AzureKVProvider(vaultUrl: "https://kv.corp.example")))
        #expect(Self.list.refusal(for: azure, namespaceAnnotations: [:]) == nil)
        let stolen = SecretStoreSpec(
            provider: SecretStoreProvider(
                azurekv: AzureKVProvider(
                    vaultUrl: "https://kv.corp.example",
                    customCloudConfig: AzureCustomCloudConfig(activeDirectoryEndpoint: "https://login.attacker.example/"))))
        #expect(
            Self.list.refusal(for: stolen, namespaceAnnotations: [:])?
                .contains("spec.provider.azurekv.customCloudConfig.activeDirectoryEndpoint") == true)
        let elsewhere = SecretStoreSpec(
            provider: SecretStoreProvider(azurekv: AzureKVProvider(vaultUrl: "https://attacker.example")))
        #expect(Self.list.refusal(for: elsewhere, namespaceAnnotations: [:])?.contains("spec.provider.azurekv.vaultUrl") == true)
        let federated = SecretStoreSpec(
            provider: SecretStoreProvider(
                gcpsm: GCPSMProvider(
                    auth: GCPSMAuth(
                        workloadIdentityFederation: GCPWorkloadIdentityFederation(
                            externalTokenEndpoint: "https://token.attacker.example/exchange")),
                    projectID: "p")))
        #expect(
            Self.list.refusal(for: federated, namespaceAnnotations: [:])?
                .contains("workloadIdentityFederation.externalTokenEndpoint") == true)
    }

    @Test func storesWithoutStoreChosenEndpointsAreNotLimited() {
        let aws = SecretStoreSpec(provider: SecretStoreProvider(aws: AWSProvider(service: .secretsManager, region: "eu-west-1")))
        #expect(ProviderEndpointAllowList.endpoints(of: aws).isEmpty)
        #expect(ProviderEndpointAllowList(patterns: []).refusal(for: aws, namespaceAnnotations: [:]) == nil)
        #expect(ProviderEndpointAllowList(patterns: []).refusal(for: Self.vault("https://x"), namespaceAnnotations: [:]) != nil)
    }
}
