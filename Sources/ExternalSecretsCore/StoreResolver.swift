public import ControllerRuntime
public import ExternalSecretsAPI
import KubeClient
public import KubeModel
public import ProviderKit

/// Why a store cannot be used by an ExternalSecret right now.
public enum StoreProblem: Error, Sendable, Hashable, CustomStringConvertible {
    /// The store belongs to another controller class: this operator must not touch the object.
    case otherControllerClass(store: String)
    case notFound(store: String)
    /// The store's Ready condition is not True; `message` is its message (why), if any.
    case notReady(store: String, message: String)
    /// The store has not been validated yet (no Ready condition): wait for it, report nothing.
    case pendingValidation(store: String)
    case denied(message: String)
    case invalid(message: String)

    public var description: String {
        switch self {
        case .otherControllerClass(let store): "store \(store) belongs to another controller class"
        case .notFound(let store): "could not get \(store): not found"
        case .notReady(let store, let message): message.isEmpty ? "\(store) is not ready" : "\(store) is not ready: \(message)"
        case .pendingValidation(let store): "\(store) has not been validated yet"
        case .denied(let message): message
        case .invalid(let message): message
        }
    }
}

/// Finds the store an ExternalSecret (or one of its entries) uses, from the store caches, and
/// applies ESO's gates: controller class, ClusterSecretStore conditions, and the flood gate (only
/// Ready stores are used).
public struct StoreResolver: Sendable {
    public var secretStores: Store<SecretStore>
    public var clusterStores: Store<ClusterSecretStore>
    public var controllerClass: String
    public var floodGate: Bool
    /// Labels of a namespace (for ClusterSecretStore `namespaceSelector` conditions).
    public var namespaceLabels: @Sendable (String) async throws -> [String: String]
    /// False when this operator does not process ClusterSecretStores
    /// (`--enable-cluster-store-reconciler=false`, the chart's scoped mode): they are not watched,
    /// and a reference to one is refused with a message saying so.
    public var clusterStoresEnabled = true

    public init(
        secretStores: Store<SecretStore>, clusterStores: Store<ClusterSecretStore>, controllerClass: String,
        floodGate: Bool, namespaceLabels: @escaping @Sendable (String) async throws -> [String: String]
    ) {
        self.secretStores = secretStores
        self.clusterStores = clusterStores
        self.controllerClass = controllerClass
        self.floodGate = floodGate
        self.namespaceLabels = namespaceLabels
    }

    /// Waits until both store caches hold a full listing.
    public func waitUntilSynced() async {
        await secretStores.waitUntilSynced()
        await clusterStores.waitUntilSynced()
    }

    /// The store `ref` names, as used from `namespace`.
    public func resolve(_ ref: SecretStoreRef, from namespace: String) async throws -> StoreContext {
        let name = ref.name ?? ""
        switch ref.kind ?? .secretStore {
        case .secretStore:
            let display = "SecretStore \"\(name)\""
            guard let store = secretStores.get(ObjectKey(namespace: namespace, name: name)) else {
                throw StoreProblem.notFound(store: display)
            }
            try checkGates(spec: store.spec, status: store.status, display: display)
            return StoreContext(
                kind: .secretStore, name: name, storeNamespace: namespace, callerNamespace: namespace,
                uid: store.metadata.uid ?? "", generation: store.metadata.generation ?? 0, spec: store.spec)
        case .clusterSecretStore:
            let display = "ClusterSecretStore \"\(name)\""
            guard clusterStoresEnabled else { throw StoreProblem.denied(message: Self.clusterStoresDisabled(display)) }
            guard let store = clusterStores.get(ObjectKey(namespace: nil, name: name)) else {
                throw StoreProblem.notFound(store: display)
            }
            try checkGates(spec: store.spec, status: store.status, display: display)
            let admission = ClusterStoreAdmission(conditions: store.spec.conditions)
            let labels = admission.needsNamespaceLabels ? try await namespaceLabels(namespace) : [:]
            guard admission.admits(namespace: namespace, labels: labels) else {
                throw StoreProblem.denied(message: ClusterStoreAdmission.deniedMessage(store: name, namespace: namespace))
            }
            return StoreContext(
                kind: .clusterSecretStore, name: name, storeNamespace: nil, callerNamespace: namespace,
                uid: store.metadata.uid ?? "", generation: store.metadata.generation ?? 0, spec: store.spec)
        }
    }

    /// Why a ClusterSecretStore reference cannot be used when cluster stores are off.
    public static func clusterStoresDisabled(_ display: String) -> String {
        "\(display) cannot be used: this operator does not process ClusterSecretStores (--enable-cluster-store-reconciler=false)"
    }

    /// The key of a store in the operator's store indexes: `SecretStore/<namespace>/<name>` or
    /// `ClusterSecretStore/<name>`, for a store named from `namespace`.
    public static func indexKey(kind: StoreKind, name: String, namespace: String) -> String {
        switch kind {
        case .secretStore: "SecretStore/\(namespace)/\(name)"
        case .clusterSecretStore: "ClusterSecretStore/\(name)"
        }
    }

    /// The metadata of a store named from `namespace`, from the caches.
    public func cachedMetadata(kind: StoreKind, name: String, namespace: String) -> ObjectMeta? {
        switch kind {
        case .secretStore: secretStores.get(ObjectKey(namespace: namespace, name: name))?.metadata
        case .clusterSecretStore: clusterStores.get(ObjectKey(namespace: nil, name: name))?.metadata
        }
    }

    /// The generation of a store named from `namespace`, from the caches (0 when not cached).
    public func generation(kind: StoreKind, name: String, namespace: String) -> Int64 {
        cachedMetadata(kind: kind, name: name, namespace: namespace)?.generation ?? 0
    }

    /// Whether this operator handles stores of `spec` (ESO: an empty class means any controller).
    public func handles(_ spec: SecretStoreSpec) -> Bool {
        let storeClass = spec.controller ?? ""
        return storeClass.isEmpty || storeClass == controllerClass
    }

    /// The first of `refs` (used from `namespace`) whose cached store belongs to another
    /// controller class, as `SecretStore "name"`; nil when none does. An object reading such a
    /// store is another operator's: it must not be touched at all, not even by a finalizer, so
    /// this is asked before anything else. A store not in the caches is not judged here (its
    /// resolution reports it).
    public func storeOfOtherClass(_ refs: [SecretStoreRef], from namespace: String) -> String? {
        for ref in refs {
            let name = ref.name ?? ""
            switch ref.kind ?? .secretStore {
            case .secretStore:
                if let store = secretStores.get(ObjectKey(namespace: namespace, name: name)), !handles(store.spec) {
                    return "SecretStore \"\(name)\""
                }
            case .clusterSecretStore:
                if let store = clusterStores.get(ObjectKey(namespace: nil, name: name)), !handles(store.spec) {
                    return "ClusterSecretStore \"\(name)\""
                }
            }
        }
        return nil
    }

    private func checkGates(spec: SecretStoreSpec, status: SecretStoreStatus?, display: String) throws {
        guard handles(spec) else { throw StoreProblem.otherControllerClass(store: display) }
        if floodGate {
            guard let ready = status?.conditions?.condition(ofType: ESONames.conditionReady) else {
                throw StoreProblem.pendingValidation(store: display)
            }
            guard ready.status == "True" else { throw StoreProblem.notReady(store: display, message: ready.message ?? "") }
        }
    }
}

extension ExternalSecret {
    /// Every store reference of the ExternalSecret: `secretStoreRef` and the entries' `sourceRef`s.
    public var storeRefs: [SecretStoreRef] {
        var refs = [spec.secretStoreRef].compactMap { $0 }
        refs += (spec.data ?? []).compactMap { $0.sourceRef?.storeRef }
        refs += (spec.dataFrom ?? []).compactMap { $0.sourceRef?.storeRef }
        return refs
    }
}
