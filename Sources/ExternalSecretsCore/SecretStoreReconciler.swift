public import ControllerRuntime
public import ExternalSecretsAPI
public import Foundation
public import KubeClient
public import KubeModel
public import Logging
import Metrics
import ProviderKit

/// SecretStore and ClusterSecretStore, seen the same way by the store reconciler.
public protocol SecretStoreObject: KubeResource, Equatable {
    static var storeKind: StoreKind { get }
    var spec: SecretStoreSpec { get }
    var status: SecretStoreStatus? { get set }
}

extension SecretStore: SecretStoreObject {
    public static var storeKind: StoreKind { .secretStore }
}

extension ClusterSecretStore: SecretStoreObject {
    public static var storeKind: StoreKind { .clusterSecretStore }
}

/// Validates a store and reports it in `status.conditions` (Ready, with ESO's reasons) and
/// `status.capabilities`; revalidates every `requeueInterval` (ESO's `--store-requeue-interval`).
/// Stores of another controller class are not touched.
///
/// Retry rule: only a spec the provider refuses on its own (`validateStore`: no I/O) waits for
/// the next spec change or revalidation interval. Every later failure (a referenced Secret
/// missing or lacking its key, credentials refused, the provider unreachable) is reported and
/// retried with backoff, as ESO does, because it can heal without a spec change; the operator
/// also revalidates at once when a Secret the store refers to appears or changes
/// (`StoreReferences`, wired in `ExternalSecretsOperator`).
///
/// Isolation: the validation's client and call come from `providers` like every other provider
/// call, so they run under the provider deadline and the store's circuit breaker. While the
/// breaker is open the store reports Ready=False with the breaker's message, without a call, and
/// comes back when a probe may be made (it is then the probe: ExternalSecrets of a store that is
/// not Ready do not call it, by the flood gate); the breaker closing or opening wakes the store.
public final class SecretStoreReconciler<Store: SecretStoreObject, C: Clock>: Sendable where C.Duration == Duration {
    private let client: KubeClient
    private let providers: ProviderClientSource
    private let events: EventRecorder<C>
    private let controllerClass: String
    private let requeueInterval: Duration
    private let now: @Sendable () -> Date
    private let logger: Logger
    private let ownStatusWrites: OwnWrites?

    /// - Parameters:
    ///   - providers: where validation clients come from (give it the operator's call guard and
    ///     no call cache: a validation must reach the server).
    ///   - ownStatusWrites: the store controller's record of its own status patches, so that
    ///     their watch events do not validate the store once more (give the controller the same).
    public init(
        client: KubeClient, providers: ProviderClientSource, events: EventRecorder<C>,
        controllerClass: String, requeueInterval: Duration, now: @escaping @Sendable () -> Date, logger: Logger,
        ownStatusWrites: OwnWrites? = nil
    ) {
        self.ownStatusWrites = ownStatusWrites
        self.client = client
        self.providers = providers
        self.events = events
        self.controllerClass = controllerClass
        self.requeueInterval = requeueInterval
        self.now = now
        self.logger = logger
    }

    public func reconcile(_ store: Store) async throws -> ReconcileAction {
        let storeClass = store.spec.controller ?? ""
        guard storeClass.isEmpty || storeClass == controllerClass else { return .awaitChange }
        if store.metadata.deletionTimestamp != nil {
            await providers.clients.forget(storeUID: store.metadata.uid ?? "")
            return .awaitChange
        }
        let context = StoreContext(
            kind: Store.storeKind, name: store.metadata.name ?? "", storeNamespace: store.metadata.namespace,
            callerNamespace: store.metadata.namespace ?? "", uid: store.metadata.uid ?? "",
            generation: store.metadata.generation ?? 0, spec: store.spec)

        let condition: StatusCondition
        var capabilities: StoreCapabilities?
        var eventType = EventType.normal
        // Set once the spec alone passed: failures after this point can heal without a spec change.
        var specAccepted = false
        // Set when the store's circuit breaker refused the call: come back when a probe may go.
        var breakerRetry: Duration?
        do {
            let provider = try providers.registry.provider(for: store.spec)
            capabilities = provider.capabilities
            try provider.validateStore(context)
            specAccepted = true
            let providerClient = try await providers.client(for: context, fresh: true)
            switch try await providerClient.validate() {
            case .ready:
                condition = ready("True", ESOReason.storeValid, ESOMessage.storeValidated)
            case .unknown:
                condition = ready("True", ESOReason.storeValidationUnknown, ESOMessage.storeValidationUnknown)
            }
        } catch let error as ProviderError where error.code == .invalidConfiguration || error.code == .unsupported {
            condition = ready("False", ESOReason.storeInvalidProviderConfig, error.message)
            eventType = .warning
        } catch let error as StoreUnavailable {
            condition = ready("False", ESOReason.storeValidationFailed, error.message)
            eventType = .warning
            breakerRetry = error.retryAfter
        } catch {
            condition = ready("False", ESOReason.storeValidationFailed, ExternalSecretReconciler<C>.describe(error))
            eventType = .warning
        }
        // A validation cut short by shutdown says nothing about the store.
        try Task.checkCancellation()

        var status = store.status ?? SecretStoreStatus()
        let previous = status.conditions?.condition(ofType: ESONames.conditionReady)
        var conditions = status.conditions ?? []
        conditions.set(condition)
        status.conditions = conditions
        status.capabilities = capabilities?.rawValue ?? status.capabilities
        try await StatusWriter<Store>(client: client, ownWrites: ownStatusWrites).write(status, old: store.status, of: store)
        if previous?.status != condition.status || previous?.reason != condition.reason || previous?.message != condition.message {
            await events.record(eventType, reason: condition.reason ?? "", message: condition.message ?? "", about: store)
            logger.info(
                "store validated",
                metadata: [
                    "store": "\(Store.storeKind.rawValue)/\(store.qualifiedName)", "ready": "\(condition.status)",
                    "reason": "\(condition.reason ?? "")",
                ])
        }
        let metric = Store.storeKind == .secretStore ? "secretstore_status_condition" : "clustersecretstore_status_condition"
        recordConditionGauges(
            metric, name: store.metadata.name ?? "", namespace: store.metadata.namespace ?? "", conditions: [condition])
        if let breakerRetry {
            // Retrying sooner would only be refused again without a call; a closing breaker
            // wakes the store before this.
            return .requeue(after: breakerRetry)
        }
        if condition.status != "True" && specAccepted {
            // Not a problem of the spec itself (a referenced Secret not there yet, credentials,
            // network, permissions): retry with backoff rather than waiting a whole revalidation
            // interval.
            throw StoreProblem.invalid(message: condition.message ?? "")
        }
        return .requeue(after: requeueInterval)
    }

    private func ready(_ status: String, _ reason: String, _ message: String) -> StatusCondition {
        StatusCondition(
            type: ESONames.conditionReady, status: status, reason: reason, message: message,
            lastTransitionTime: KubeTime(now()))
    }
}
