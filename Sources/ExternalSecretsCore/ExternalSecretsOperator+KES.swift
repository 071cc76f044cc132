import ControllerRuntime
import ExternalSecretsAPI
import Foundation
import KubeClient
import KubeModel
import Logging
import ProviderKit

extension ExternalSecretsOperator {
    /// The KES (`kubernetes-client.io/v1` ExternalSecret) controller, run with `--enable-kes`.
    ///
    /// It shares the operator's provider clients, call guard, provider-call cache, Event recorder
    /// and managed-Secret cache: a KES object is one more reader of the same pipeline. Relations:
    /// a change or deletion of a Secret it owns wakes it (its own writes excepted); everything
    /// else is its periodic poll (`POLLER_INTERVAL_MILLISECONDS`).
    static func kesController(
        client: KubeClient, configuration: KESConfiguration, providers: ProviderClientSource,
        managedSecrets: Reflector<Secret, C>, events: EventRecorder<C>, options: OperatorOptions, clock: C,
        now: @escaping @Sendable () -> Date, queueDrains: WorkQueueDrains, logger: Logger
    ) -> Controller<KESExternalSecret, C> {
        let ownStatusWrites = OwnWrites()
        let ownSecretWrites = OwnWrites()
        let reconciler = KESReconciler(
            dependencies: .init(
                client: client, providers: providers, managedSecrets: managedSecrets.store, events: events, now: now,
                configuration: configuration,
                namespaceAnnotations: { name in
                    try await client.api(Namespace.self).get(name).metadata.annotations ?? [:]
                },
                ownStatusWrites: ownStatusWrites, ownSecretWrites: ownSecretWrites),
            logger: logger)
        let controller = Controller(
            name: "kes-externalsecret", api: client.api(KESExternalSecret.self, namespace: options.namespace),
            workers: options.concurrent, clock: clock, logger: logger,
            reconcileTimeout: options.reconcileTimeout, shutdownGracePeriod: options.shutdownGracePeriod,
            ownWrites: ownStatusWrites, queueDrains: queueDrains
        ) { object in
            await managedSecrets.store.waitUntilSynced()
            try Task.checkCancellation()
            return try await reconciler.reconcile(object)
        }
        controller.watches(managedSecrets, ownWrites: ownSecretWrites, writer: Self.owningKESExternalSecret) { change in
            guard let secret = change.new ?? change.old, let owner = Self.owningKESExternalSecret(secret) else { return [] }
            return [owner]
        }
        return controller
    }

    /// The KES ExternalSecret a managed Secret's controller owner reference names, if any.
    static func owningKESExternalSecret(_ secret: Secret) -> ObjectKey? {
        secret.metadata.ownerReferences?
            .first { $0.controller == true && $0.kind == "ExternalSecret" && $0.apiVersion == KESAPIGroup.apiVersion }
            .map { ObjectKey(namespace: secret.metadata.namespace, name: $0.name) }
    }
}
