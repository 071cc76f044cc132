import ExternalSecretsAPI
import ExternalSecretsCore
import KubeModel
import ProviderKit
import Testing

@Suite struct AccessPolicyTests {
    static func store(_ kind: StoreKind, storeNamespace: String?, caller: String) -> StoreContext {
        StoreContext(
            kind: kind, name: "s", storeNamespace: storeNamespace, callerNamespace: caller, uid: "u", generation: 1,
            spec: SecretStoreSpec(provider: SecretStoreProvider()))
    }

    /// (store kind, reference namespace, expected namespace or nil when refused)
    @Test(arguments: [
        (StoreKind.secretStore, String?.none, String?.some("team-a")),
        (.secretStore, "team-a", "team-a"),
        (.secretStore, "kube-system", nil),
        (.secretStore, "", "team-a"),
        (.clusterSecretStore, nil, "team-a"),
        (.clusterSecretStore, "shared", "shared"),
    ])
    func storeReferences(kind: StoreKind, requested: String?, expected: String?) {
        let policy = ReferenceAccessPolicy(
            store: Self.store(kind, storeNamespace: kind == .secretStore ? "team-a" : nil, caller: "team-a"))
        let resolved = try? policy.namespace(for: requested, field: "spec.provider.x.auth.secretRef")
        #expect(resolved == expected)
    }

    @Test func ownReferencesStayInTheOwnNamespace() throws {
        let policy = ReferenceAccessPolicy(ownNamespace: "team-a")
        #expect(try policy.namespace(for: nil, field: "templateFrom") == "team-a")
        #expect(throws: ProviderError.self) { try policy.namespace(for: "team-b", field: "templateFrom") }
    }

    @Test func refusalNamesTheFieldAndNamespace() {
        let policy = ReferenceAccessPolicy(store: Self.store(.secretStore, storeNamespace: "team-a", caller: "team-a"))
        #expect {
            try policy.namespace(for: "kube-system", field: "spec.provider.kubernetes.auth.token.bearerToken")
        } throws: { error in
            let text = "\(error)"
            return text.contains("kube-system") && text.contains("spec.provider.kubernetes.auth.token.bearerToken")
        }
    }

    /// (conditions, namespace, namespace labels, admitted)
    @Test(arguments: [
        ([ClusterSecretStoreCondition](), "any", [String: String](), true),
        ([ClusterSecretStoreCondition(namespaces: ["a"])], "a", [:], true),
        ([ClusterSecretStoreCondition(namespaces: ["a"])], "b", [:], false),
        ([ClusterSecretStoreCondition(namespaceRegexes: ["^team-"])], "team-x", [:], true),
        ([ClusterSecretStoreCondition(namespaceRegexes: ["^team-"])], "ops", [:], false),
        ([ClusterSecretStoreCondition(namespaceRegexes: ["("])], "team-x", [:], false),
        ([ClusterSecretStoreCondition(namespaceSelector: LabelSelector(matchLabels: ["tier": "prod"]))], "p", ["tier": "prod"], true),
        ([ClusterSecretStoreCondition(namespaceSelector: LabelSelector(matchLabels: ["tier": "prod"]))], "d", ["tier": "dev"], false),
        ([ClusterSecretStoreCondition(namespaces: ["a"]), ClusterSecretStoreCondition(namespaceRegexes: ["^b"])], "bb", [:], true),
    ])
    func clusterStoreConditions(
        conditions: [ClusterSecretStoreCondition], namespace: String, labels: [String: String], admitted: Bool
    ) {
        #expect(ClusterStoreAdmission(conditions: conditions).admits(namespace: namespace, labels: labels) == admitted)
    }

    @Test func deniedMessageIsESOs() {
        #expect(
            ClusterStoreAdmission.deniedMessage(store: "css", namespace: "ns")
                == #"using cluster store "css" is not allowed from namespace "ns": denied by spec.condition"#)
    }

    @Test(arguments: [
        (ExternalSecretTarget(creationPolicy: .merge, deletionPolicy: .delete), false),
        (ExternalSecretTarget(creationPolicy: CreationPolicy.none, deletionPolicy: .merge), false),
        (ExternalSecretTarget(creationPolicy: .owner, deletionPolicy: .delete), true),
        (ExternalSecretTarget(template: ExternalSecretTemplate(type: "kubernetes.io/service-account-token")), false),
        (ExternalSecretTarget(template: ExternalSecretTemplate(type: "bootstrap.kubernetes.io/token")), false),
        (ExternalSecretTarget(template: ExternalSecretTemplate(type: "kubernetes.io/tls")), true),
    ])
    func webhookRules(target: ExternalSecretTarget, valid: Bool) {
        let spec = ExternalSecretSpec(
            secretStoreRef: SecretStoreRef(name: "s"), target: target,
            data: [ExternalSecretData(secretKey: "k", remoteRef: ExternalSecretDataRemoteRef(key: "r"))])
        #expect(((try? ExternalSecretValidation.validate(spec)) != nil) == valid)
    }

    @Test func providerRegistryExplainsUnsupportedAndAmbiguousBlocks() {
        let registry = ProviderRegistry([])
        let vault = SecretStoreSpec(provider: SecretStoreProvider(unsupported: ["vault": ["server": "https://v"]]))
        #expect(throws: ProviderError.unsupported("provider \"vault\" is not supported by this operator")) {
            try registry.provider(for: vault)
        }
        let none = SecretStoreSpec(provider: SecretStoreProvider())
        #expect(throws: ProviderError.invalidConfiguration("spec.provider has no provider configured")) {
            try registry.provider(for: none)
        }
    }
}
