public import ExternalSecretsAPI
import KubeModel

extension StoreResolver {
    /// The stores `refs` name or select by labels, used from `namespace`, from the caches:
    /// sorted by kind and name, each once. A named store not cached is listed (its resolution
    /// reports it); a label selector selects SecretStores of `namespace` or ClusterSecretStores.
    public func pushStores(_ refs: [PushSecretStoreRef], from namespace: String) -> [PushStore] {
        var stores: [PushStore] = []
        for ref in refs {
            let kind = ref.kind ?? .secretStore
            if let name = ref.name {
                let labels = cachedMetadata(kind: kind, name: name, namespace: namespace)?.labels
                stores.append(PushStore(kind: kind, name: name, labels: labels ?? [:]))
            } else if let selector = ref.labelSelector {
                let candidates: [ObjectMeta] =
                    switch kind {
                    case .secretStore: secretStores.list().map(\.metadata).filter { $0.namespace == namespace }
                    case .clusterSecretStore: clusterStores.list().map(\.metadata)
                    }
                for metadata in candidates where selector.matches(metadata.labels ?? [:]) {
                    stores.append(PushStore(kind: kind, name: metadata.name ?? "", labels: metadata.labels ?? [:]))
                }
            }
        }
        var seen = Set<String>()
        return stores.sorted { ($0.kind.rawValue, $0.name) < ($1.kind.rawValue, $1.name) }
            .filter { seen.insert($0.statusKey).inserted }
    }

    /// The generations of the stores `refs` name (not those selected by labels), by `Kind/name`,
    /// from the caches (0 for a store not cached).
    public func pushStoreGenerations(_ refs: [PushSecretStoreRef], from namespace: String) -> [String: String] {
        var generations: [String: String] = [:]
        for ref in refs {
            guard let name = ref.name else { continue }
            let kind = ref.kind ?? .secretStore
            generations[PushStore(kind: kind, name: name).statusKey] = String(generation(kind: kind, name: name, namespace: namespace))
        }
        return generations
    }
}
