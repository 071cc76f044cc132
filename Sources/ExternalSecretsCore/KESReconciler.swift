public import ControllerRuntime
public import ExternalSecretsAPI
public import Foundation
public import KubeClient
public import KubeModel
public import Logging
import ProviderKit

/// When a KES object syncs next (pure): KES polled every object every
/// `POLLER_INTERVAL_MILLISECONDS`; here the schedule lives on the object (`status.lastSync`,
/// `status.observedGeneration`), so a restart with nothing due costs no provider call.
public enum KESRefresh {
    /// `status.status` after a successful sync, as KES wrote it.
    public static let success = "SUCCESS"

    /// The time to wait before the next sync; nil: sync now. An object syncs now when it was
    /// never synced, its spec changed since (generation), its Secret is gone after a success, or
    /// `interval` has passed since its last sync.
    public static func wait(
        status: KESExternalSecretStatus?, generation: Int64?, targetExists: Bool, interval: Duration, now: Date
    ) -> Duration? {
        guard let status, let lastSyncText = status.lastSync, let lastSync = parse(lastSyncText) else { return nil }
        if status.observedGeneration != generation { return nil }
        if status.status == success && !targetExists { return nil }
        let elapsed = Duration.milliseconds(Int64(now.timeIntervalSince(lastSync) * 1000))
        if elapsed >= interval || elapsed < .zero { return nil }
        return interval - elapsed
    }

    static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}

/// Reconciles one KES `kubernetes-client.io/v1` ExternalSecret: maps it onto ESO's model
/// (``KESMapping``), applies the namespace's tenant guards (``KESNamespaceGuard``), fetches
/// through the same providers, client cache, call guard and provider-call cache as ESO objects,
/// and writes the Secret named after it, owned by it, with the ESO planner (``TargetSecretWriter``).
/// Status: `status.status` (`SUCCESS` or why not), `status.lastSync`, `status.observedGeneration`.
///
/// Guarantees: a failure (provider, guard, mapping) leaves the Secret as it is; no value reaches
/// status, Events or logs; a steady state writes no Secret (the status's `lastSync` is written at
/// each poll, as KES did).
public final class KESReconciler<C: Clock>: Sendable where C.Duration == Duration {
    public struct Dependencies: Sendable {
        public var client: KubeClient
        public var providers: ProviderClientSource
        /// The cache of Secrets carrying the managed label.
        public var managedSecrets: Store<Secret>
        public var events: EventRecorder<C>
        public var now: @Sendable () -> Date
        public var configuration: KESConfiguration
        /// The annotations of a namespace (for the tenant guards).
        public var namespaceAnnotations: @Sendable (String) async throws -> [String: String]
        public var ownStatusWrites: OwnWrites?
        public var ownSecretWrites: OwnWrites?

        public init(
            client: KubeClient, providers: ProviderClientSource, managedSecrets: Store<Secret>, events: EventRecorder<C>,
            now: @escaping @Sendable () -> Date, configuration: KESConfiguration,
            namespaceAnnotations: @escaping @Sendable (String) async throws -> [String: String],
            ownStatusWrites: OwnWrites? = nil, ownSecretWrites: OwnWrites? = nil
        ) {
            self.client = client
            self.providers = providers
            self.managedSecrets = managedSecrets
            self.events = events
            self.now = now
            self.configuration = configuration
            self.namespaceAnnotations = namespaceAnnotations
            self.ownStatusWrites = ownStatusWrites
            self.ownSecretWrites = ownSecretWrites
        }
    }

    let dependencies: Dependencies
    private let logger: Logger

    public init(dependencies: Dependencies, logger: Logger) {
        self.dependencies = dependencies
        self.logger = logger
    }

    public func reconcile(_ object: KESExternalSecret) async throws -> ReconcileAction {
        let namespace = object.metadata.namespace ?? ""
        let name = object.metadata.name ?? ""
        guard dependencies.configuration.watches(namespace: namespace), object.metadata.deletionTimestamp == nil else {
            return .awaitChange
        }
        let interval = dependencies.configuration.pollerInterval
        let exists = dependencies.managedSecrets.get(ObjectKey(namespace: namespace, name: name)) != nil
        if let wait = KESRefresh.wait(
            status: object.status, generation: object.metadata.generation, targetExists: exists, interval: interval,
            now: dependencies.now())
        {
            return .requeue(after: wait)
        }

        let mapped: KESMappedObject
        do throws(KESMappingError) {
            mapped = try KESMapping.map(object, configuration: dependencies.configuration)
        } catch {
            // Only a spec change can fix it.
            try await report(error.message, of: object, warning: true)
            return .awaitChange
        }
        do {
            let guardrail = KESNamespaceGuard(
                namespaceAnnotations: try await dependencies.namespaceAnnotations(namespace),
                enforce: dependencies.configuration.enforceNamespaceAnnotations)
            if let refusal = guardrail.refusal(of: mapped, name: name, namespace: namespace) {
                try await report(refusal, of: object, warning: true)
                return .requeue(after: interval)
            }
            try await sync(object, mapped: mapped)
        } catch let error where Task.isCancelled {
            throw error
        } catch {
            try await report(ExternalSecretReconciler<C>.describe(error), of: object, warning: true)
            return .requeue(after: interval)
        }
        return .requeue(after: interval)
    }

    private func sync(_ object: KESExternalSecret, mapped: KESMappedObject) async throws {
        let namespace = object.metadata.namespace ?? ""
        let store = mapped.storeContext(callerNamespace: namespace)
        let providers = dependencies.providers
        let fetcher = ExternalSecretFetcher(templateEnvironment: .eso(now: dependencies.now)) { _ in
            try await providers.client(for: store, fresh: false)
        }
        let fetched = try await fetcher.fetch(mapped.externalSecret)
        let rendered: RenderedTarget
        if let template = mapped.template {
            do throws(KESTemplate.Problem) {
                rendered = try template.render(over: fetched.data, defaultType: mapped.secretType)
            } catch {
                throw SyncRefusal("spec.template: \(error.message)")
            }
        } else {
            rendered = RenderedTarget(data: fetched.data, type: mapped.secretType)
        }
        let plan = try await TargetSecretWriter(
            client: dependencies.client, managedSecrets: dependencies.managedSecrets,
            ownSecretWrites: dependencies.ownSecretWrites
        ).write(
            of: mapped.externalSecret, named: object.metadata.name ?? "", data: fetched.data, rendered: rendered,
            owner: mapped.owner)
        if let event = plan.event {
            await dependencies.events.record(.normal, reason: event.reason, message: event.message, about: object)
            logger.info(
                "\(event.message)", metadata: ["kes-externalsecret": "\(namespace)/\(object.metadata.name ?? "")"])
        }
        try await writeStatus(KESRefresh.success, of: object)
    }

    /// Reports a failure in `status.status` (and a Warning Event when it is new).
    private func report(_ message: String, of object: KESExternalSecret, warning: Bool) async throws {
        if object.status?.status != message {
            await dependencies.events.record(.warning, reason: ESOEventReason.updateFailed, message: message, about: object)
            logger.warning(
                "KES sync failed",
                metadata: [
                    "kes-externalsecret": "\(object.metadata.namespace ?? "")/\(object.metadata.name ?? "")",
                    "error": "\(message)",
                ])
        }
        try await writeStatus(message, of: object)
    }

    private func writeStatus(_ text: String, of object: KESExternalSecret) async throws {
        let status = KESExternalSecretStatus(
            status: text, lastSync: KubeTime(dependencies.now()).description,
            observedGeneration: object.metadata.generation)
        try await StatusWriter<KESExternalSecret>(client: dependencies.client, ownWrites: dependencies.ownStatusWrites)
            .write(status, old: object.status, of: object)
    }
}
