import ControllerRuntime
import ExternalSecretsAPI
import Foundation
import KubeClient
import KubeModel
import Metrics
public import ProviderKit

/// How reconcilers get a provider client for a resolved store: the store's provider from the
/// registry, the client cached per store generation, every call under the call guard (deadline
/// and circuit breaker), wrapped in the shared provider-call cache (so a shared read is one
/// guarded call).
public struct ProviderClientSource: Sendable {
    public var registry: ProviderRegistry
    public var clients: ClientManager
    /// Shares reads across objects; nil calls the provider every time.
    public var callCache: ProviderCallCache?
    /// Deadlines and circuit breakers of provider calls; nil: neither.
    public var callGuard: StoreCallGuard?

    public init(
        registry: ProviderRegistry, clients: ClientManager, callCache: ProviderCallCache?,
        callGuard: StoreCallGuard? = nil
    ) {
        self.registry = registry
        self.clients = clients
        self.callCache = callCache
        self.callGuard = callGuard
    }

    /// - Parameter fresh: do not reuse finished reads (see `ProviderCallCache.value`).
    public func client(for store: StoreContext, fresh: Bool) async throws -> any SecretsClient {
        let provider: any SecretsProvider
        do {
            provider = try registry.provider(for: store.spec)
        } catch {
            throw StoreProblem.invalid(message: "\(store.displayName): \(error.message)")
        }
        var client: any SecretsClient
        if let callGuard {
            let clients = self.clients
            client = try await callGuard.build(store) { try await clients.client(for: store, provider: provider) }
            client = GuardedSecretsClient(underlying: client, callGuard: callGuard, store: store)
        } else {
            client = try await clients.client(for: store, provider: provider)
        }
        guard let callCache else { return client }
        return CachingSecretsClient(
            client, cache: callCache, store: store, fresh: fresh,
            sharedAcrossNamespaces: !provider.readsDependOnCallerNamespace(store))
    }
}

/// Reads the ConfigMaps and Secrets a template's `templateFrom` names, in `namespace` only
/// (through the access policy), with direct GETs. `field` names the template in errors.
func readTemplateSources(
    of template: ExternalSecretTemplate, client: KubeClient, namespace: String, field: String
) async throws -> TemplateSources {
    let allowed = try ReferenceAccessPolicy(ownNamespace: namespace).namespace(for: nil, field: field)
    var sources = TemplateSources()
    for entry in template.templateFrom ?? [] {
        if let name = entry.configMap?.name, sources.configMaps[name] == nil,
            let configMap = try await client.api(ConfigMap.self, namespace: allowed).getIfExists(name)
        {
            sources.configMaps[name] = configMap.data ?? [:]
        }
        if let name = entry.secret?.name, sources.secrets[name] == nil,
            let secret = try await client.api(Secret.self, namespace: allowed).getIfExists(name)
        {
            sources.secrets[name] = secret.data ?? [:]
        }
    }
    return sources
}

/// Removes the series of a deleted object, as ESO's `RemoveMetrics` does: its
/// `<kind>_status_condition` gauges for `conditionTypes` and the `gauges` and `counters` labelled
/// with its name and namespace. Without it the metrics registry grows with every object ever seen.
func removeObjectMetrics(
    _ key: ObjectKey, conditionLabel: String, conditionTypes: [String], gauges: [String] = [], counters: [String] = []
) {
    let dimensions = [("name", key.name), ("namespace", key.namespace ?? "")]
    for type in conditionTypes {
        for value in ["True", "False", "Unknown"] {
            Gauge(label: conditionLabel, dimensions: dimensions + [("condition", type), ("status", value)]).destroy()
        }
    }
    for label in gauges { Gauge(label: label, dimensions: dimensions).destroy() }
    for label in counters { Counter(label: label, dimensions: dimensions).destroy() }
}

/// Records ESO's `<kind>_status_condition{name,namespace,condition,status}` gauges: 1 for the
/// condition's status, 0 for the other two.
func recordConditionGauges(_ label: String, name: String, namespace: String, conditions: [StatusCondition]) {
    for condition in conditions {
        for value in ["True", "False", "Unknown"] {
            Gauge(
                label: label,
                dimensions: [("name", name), ("namespace", namespace), ("condition", condition.type), ("status", value)]
            ).record(condition.status == value ? 1 : 0)
        }
    }
}

/// Whether the Ready condition differs in status, reason or message between two condition lists:
/// the transitions that are logged at info or warning level (repeats are logged at debug), so a
/// store that stays down logs one line per object, not one per retry.
func readyConditionChanged(from old: [StatusCondition]?, to new: [StatusCondition]?) -> Bool {
    let before = old?.condition(ofType: ESONames.conditionReady)
    let after = new?.condition(ofType: ESONames.conditionReady)
    return before?.status != after?.status || before?.reason != after?.reason || before?.message != after?.message
}
