import ControllerRuntime
import ExternalSecretsAPI
import ExternalSecretsCore
import KubeModel
import ProviderKit
import Testing

/// Store resolution from the caches: ESO's gates (controller class, flood gate, ClusterSecretStore
/// conditions), the class check made before anything is touched, and PushSecret store selection.
struct StoreResolverTests {
    static let ready = SecretStoreStatus(conditions: [StatusCondition(type: ESONames.conditionReady, status: "True")])
    static let failing = SecretStoreStatus(
        conditions: [StatusCondition(type: ESONames.conditionReady, status: "False", message: "bad token")])
    static let fake = SecretStoreProvider(fake: FakeProvider(data: []))

    static func secretStore(
        _ name: String, namespace: String = "team", controller: String? = nil, status: SecretStoreStatus? = ready,
        labels: [String: String]? = nil, generation: Int64 = 1
    ) -> SecretStore {
        var store = SecretStore(
            metadata: ObjectMeta(name: name, namespace: namespace, labels: labels),
            spec: SecretStoreSpec(controller: controller, provider: fake), status: status)
        store.metadata.uid = "uid-\(name)"
        store.metadata.generation = generation
        return store
    }

    static func clusterStore(
        _ name: String, controller: String? = nil, conditions: [ClusterSecretStoreCondition]? = nil,
        labels: [String: String]? = nil
    ) -> ClusterSecretStore {
        var store = ClusterSecretStore(
            metadata: ObjectMeta(name: name, labels: labels),
            spec: SecretStoreSpec(controller: controller, provider: fake, conditions: conditions), status: ready)
        store.metadata.uid = "uid-cluster-\(name)"
        store.metadata.generation = 4
        return store
    }

    static func resolver(
        floodGate: Bool = true, clusterStoresEnabled: Bool = true, namespaceLabels: [String: String] = [:]
    ) -> StoreResolver {
        let (secretStores, secretWriter) = Store<SecretStore>.make()
        secretWriter.apply(
            .restarted([
                secretStore("ours"), secretStore("mine", controller: "default"), secretStore("theirs", controller: "other"),
                secretStore("unvalidated", status: nil), secretStore("broken", status: failing),
                secretStore("elsewhere", namespace: "other-team"),
                secretStore("labelled", labels: ["push": "yes"], generation: 7),
            ]))
        let (clusterStores, clusterWriter) = Store<ClusterSecretStore>.make()
        clusterWriter.apply(
            .restarted([
                clusterStore("shared", labels: ["push": "yes"]), clusterStore("foreign", controller: "other"),
                clusterStore("restricted", conditions: [ClusterSecretStoreCondition(namespaces: ["platform"])]),
                clusterStore(
                    "by-label",
                    conditions: [ClusterSecretStoreCondition(namespaceSelector: LabelSelector(matchLabels: ["tier": "prod"]))]),
            ]))
        var resolver = StoreResolver(
            secretStores: secretStores, clusterStores: clusterStores, controllerClass: "default", floodGate: floodGate,
            namespaceLabels: { _ in namespaceLabels })
        resolver.clusterStoresEnabled = clusterStoresEnabled
        return resolver
    }

    enum Resolution: Equatable, CustomStringConvertible {
        case resolved(kind: StoreKind, uid: String, storeNamespace: String?)
        case problem(StoreProblem)
        var description: String {
            switch self {
            case .resolved(let kind, let uid, let namespace): "\(kind.rawValue) \(uid) in \(namespace ?? "-")"
            case .problem(let problem): "\(problem)"
            }
        }
    }

    static func ref(_ name: String, _ kind: StoreKind = .secretStore) -> SecretStoreRef { SecretStoreRef(name: name, kind: kind) }

    @Test(arguments: [
        (ref("ours"), Resolution.resolved(kind: .secretStore, uid: "uid-ours", storeNamespace: "team")),
        (ref("mine"), .resolved(kind: .secretStore, uid: "uid-mine", storeNamespace: "team")),
        (ref("absent"), .problem(.notFound(store: "SecretStore \"absent\""))),
        // A SecretStore is found only in the caller's namespace.
        (ref("elsewhere"), .problem(.notFound(store: "SecretStore \"elsewhere\""))),
        (ref("theirs"), .problem(.otherControllerClass(store: "SecretStore \"theirs\""))),
        (ref("unvalidated"), .problem(.pendingValidation(store: "SecretStore \"unvalidated\""))),
        (ref("broken"), .problem(.notReady(store: "SecretStore \"broken\"", message: "bad token"))),
        (ref("shared", .clusterSecretStore), .resolved(kind: .clusterSecretStore, uid: "uid-cluster-shared", storeNamespace: nil)),
        (ref("foreign", .clusterSecretStore), .problem(.otherControllerClass(store: "ClusterSecretStore \"foreign\""))),
        (ref("restricted", .clusterSecretStore),
         .problem(.denied(message: ClusterStoreAdmission.deniedMessage(store: "restricted", namespace: "team")))),
        (ref("by-label", .clusterSecretStore),
         .problem(.denied(message: ClusterStoreAdmission.deniedMessage(store: "by-label", namespace: "team")))),
    ])
    func resolvesThroughTheGates(ref: SecretStoreRef, expected: Resolution) async {
        #expect(await Self.resolution(Self.resolver(), ref) == expected)
    }

    static func resolution(_ resolver: StoreResolver, _ ref: SecretStoreRef, from namespace: String = "team") async -> Resolution {
        do {
            let store = try await resolver.resolve(ref, from: namespace)
            #expect(store.callerNamespace == namespace)
            return .resolved(kind: store.kind, uid: store.uid, storeNamespace: store.storeNamespace)
        } catch let problem as StoreProblem {
            return .problem(problem)
        } catch {
            Issue.record("unexpected error \(error)")
            return .problem(.invalid(message: "\(error)"))
        }
    }

    @Test func theFloodGateOffUsesStoresNotReady() async {
        let resolver = Self.resolver(floodGate: false)
        #expect(await Self.resolution(resolver, Self.ref("broken")) == .resolved(kind: .secretStore, uid: "uid-broken", storeNamespace: "team"))
        #expect(await Self.resolution(resolver, Self.ref("unvalidated")) == .resolved(kind: .secretStore, uid: "uid-unvalidated", storeNamespace: "team"))
        // The controller class is checked whatever the flood gate says.
        #expect(await Self.resolution(resolver, Self.ref("theirs")) == .problem(.otherControllerClass(store: "SecretStore \"theirs\"")))
    }

    @Test func clusterStoreConditionsAdmitByNamespaceNameAndLabels() async {
        let labelled = Self.resolver(namespaceLabels: ["tier": "prod"])
        #expect(
            await Self.resolution(labelled, Self.ref("by-label", .clusterSecretStore))
                == .resolved(kind: .clusterSecretStore, uid: "uid-cluster-by-label", storeNamespace: nil))
        #expect(
            await Self.resolution(Self.resolver(), Self.ref("restricted", .clusterSecretStore), from: "platform")
                == .resolved(kind: .clusterSecretStore, uid: "uid-cluster-restricted", storeNamespace: nil))
    }

    @Test func clusterStoresOffAreRefusedWithTheFlagNamed() async {
        let resolution = await Self.resolution(Self.resolver(clusterStoresEnabled: false), Self.ref("shared", .clusterSecretStore))
        #expect(resolution == .problem(.denied(message: StoreResolver.clusterStoresDisabled("ClusterSecretStore \"shared\""))))
    }

    // MARK: - Controller class first

    /// An ExternalSecret reading any store of another class is another operator's: the check
    /// runs on every reference (secretStoreRef and sourceRefs) before anything is written.
    @Test(arguments: [
        ([ref("ours")], String?.none),
        ([ref("ours"), ref("shared", .clusterSecretStore)], nil),
        ([ref("theirs")], "SecretStore \"theirs\""),
        ([ref("ours"), ref("foreign", .clusterSecretStore)], "ClusterSecretStore \"foreign\""),
        // A store not cached is not judged here: its resolution says it is missing.
        ([ref("absent")], nil),
        ([ref("elsewhere")], nil),
    ])
    func storeOfOtherClass(refs: [SecretStoreRef], expected: String?) {
        #expect(Self.resolver().storeOfOtherClass(refs, from: "team") == expected)
    }

    @Test func everyStoreReferenceOfAnExternalSecretIsChecked() {
        var es = Fixture.externalSecret(deletion: .delete)
        es.metadata.namespace = "team"
        es.spec.secretStoreRef = Self.ref("ours")
        #expect(Self.resolver().storeOfOtherClass(es.storeRefs, from: "team") == nil)
        es.spec.data?[0].sourceRef = StoreSourceRef(storeRef: Self.ref("theirs"))
        #expect(Self.resolver().storeOfOtherClass(es.storeRefs, from: "team") == "SecretStore \"theirs\"")
    }

    // MARK: - PushSecret stores

    @Test(arguments: [
        ([PushSecretStoreRef(name: "ours")], ["SecretStore/ours"]),
        // Named and selected stores, each once, sorted by kind and name.
        ([PushSecretStoreRef(name: "ours"), PushSecretStoreRef(labelSelector: LabelSelector(matchLabels: ["push": "yes"])),
          PushSecretStoreRef(name: "labelled")],
         ["SecretStore/labelled", "SecretStore/ours"]),
        ([PushSecretStoreRef(kind: .clusterSecretStore, labelSelector: LabelSelector(matchLabels: ["push": "yes"])),
          PushSecretStoreRef(name: "ours")],
         ["ClusterSecretStore/shared", "SecretStore/ours"]),
        // A named store not cached is still listed: resolving it reports it.
        ([PushSecretStoreRef(name: "absent")], ["SecretStore/absent"]),
        ([PushSecretStoreRef(labelSelector: LabelSelector(matchLabels: ["push": "no"]))], []),
    ])
    func pushStoresAreNamedOrSelected(refs: [PushSecretStoreRef], expected: [String]) {
        #expect(Self.resolver().pushStores(refs, from: "team").map(\.statusKey) == expected)
    }

    @Test func pushStoresCarryTheirLabelsAndNamedOnesTheirGenerations() {
        let resolver = Self.resolver()
        let selector = PushSecretStoreRef(labelSelector: LabelSelector(matchLabels: ["push": "yes"]))
        #expect(resolver.pushStores([selector], from: "team") == [PushStore(kind: .secretStore, name: "labelled", labels: ["push": "yes"])])
        let refs = [PushSecretStoreRef(name: "labelled"), PushSecretStoreRef(name: "shared", kind: .clusterSecretStore),
                    PushSecretStoreRef(name: "absent"), selector]
        #expect(
            resolver.pushStoreGenerations(refs, from: "team")
                == ["SecretStore/labelled": "7", "ClusterSecretStore/shared": "4", "SecretStore/absent": "0"])
    }
}
