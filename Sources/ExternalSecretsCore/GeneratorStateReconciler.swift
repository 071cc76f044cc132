public import ControllerRuntime
public import ExternalSecretsAPI
public import Foundation
public import KubeClient
import KubeModel
public import Logging
public import ProviderKit

/// Reconciles one GeneratorState: renews it while it lives (a lease that expires unless
/// renewed), deletes it at its garbage-collection deadline, and on deletion (its deadline, its
/// owner's deletion through Kubernetes' garbage collector, or a user's) runs its generator's
/// clean-up (revokes the token or the lease) before letting it go.
///
/// Guarantees: the clean-up runs before the finalizer is removed, and is retried with backoff
/// while it fails (the failure is in the state's Ready condition, never a value); the
/// generator is looked up by the kind in the state's `spec.resource`, its spec is the one it had
/// at generation time, and what it references is read in the state's namespace through the
/// access policy. Caveats: a state whose kind this operator does not run cannot be cleaned up:
/// its finalizer is removed with a Warning Event saying so (keeping it would only hold the
/// namespace in Terminating); a clean-up that still fails `cleanUpTimeout` after the deletion
/// began (the credentials it needs are gone with their namespace, the service is down for good)
/// is given up the same way, so no state, and no namespace, stays in Terminating for ever.
public final class GeneratorStateReconciler<C: Clock>: Sendable where C.Duration == Duration {
    private let client: KubeClient
    private let generators: GeneratorRegistry
    private let events: EventRecorder<C>
    private let now: @Sendable () -> Date
    private let cleanUpTimeout: Duration
    private let logger: Logger

    /// - Parameter cleanUpTimeout: how long after its deletion began a failing clean-up is
    ///   retried before it is given up (`--generator-cleanup-timeout`).
    public init(
        client: KubeClient, generators: GeneratorRegistry, events: EventRecorder<C>, now: @escaping @Sendable () -> Date,
        cleanUpTimeout: Duration = .seconds(600), logger: Logger
    ) {
        self.client = client
        self.generators = generators
        self.events = events
        self.now = now
        self.cleanUpTimeout = cleanUpTimeout
        self.logger = logger
    }

    public func reconcile(_ state: GeneratorState) async throws -> ReconcileAction {
        let finalizer = Finalizer(name: GeneratorStateNames.finalizer, client: client)
        return try await finalizer.run(
            state, needed: true, deleted: .awaitChange, cleanUp: { try await cleanUp(state) }
        ) {
            try await maintain(state)
        }
    }

    // MARK: - Life

    /// Deletes a state past its deadline (its deletion then runs the clean-up), renews one due
    /// for renewal, and comes back at whichever is next.
    private func maintain(_ state: GeneratorState) async throws -> ReconcileAction {
        let now = now()
        if let deadline = state.spec.garbageCollectionDeadline?.date, deadline <= now {
            do {
                try await api(state).delete(
                    state.metadata.name ?? "", options: DeleteOptions(preconditions: .init(uid: state.metadata.uid)))
                logger.debug("generator state reached its deadline", metadata: ["generatorstate": "\(ObjectKey(state))"])
            } catch let error as KubeAPIError where error.isNotFound || error.isConflict {}
            return .awaitChange
        }
        var current = state.spec.state
        if let run = resolve(state), let due = run.generator.renewal(kind: run.kind, state: current), due <= now {
            do {
                current = try await run.generator.renew(
                    kind: run.kind, spec: run.spec, state: current, references: references(of: state), now: now)
            } catch {
                try await reportFailure(of: state, "could not renew generator state", error)
                throw error
            }
            _ = try await api(state).patch(
                state.metadata.name ?? "",
                .merge([
                    "metadata": ["resourceVersion": .string(state.metadata.resourceVersion ?? "")],
                    "spec": ["state": current],
                ]))
        }
        let renewal = resolve(state).flatMap { $0.generator.renewal(kind: $0.kind, state: current) }
        let next = [state.spec.garbageCollectionDeadline?.date, renewal].compactMap { $0 }.min()
        guard let next else { return .awaitChange }
        return .requeue(after: .seconds(max(1, next.timeIntervalSince(now))))
    }

    // MARK: - Clean-up

    private func cleanUp(_ state: GeneratorState) async throws {
        guard let run = resolve(state) else {
            let kind = state.spec.resource["kind"]?.stringValue ?? "(none)"
            let message =
                "generator kind \(kind) is not run by this operator: what the state records was not cleaned up"
            await events.record(.warning, reason: GeneratorStateNames.reasonError, message: message, about: state)
            logger.warning("\(message)", metadata: ["generatorstate": "\(ObjectKey(state))"])
            return
        }
        do {
            try await run.generator.cleanup(
                kind: run.kind, spec: run.spec, state: state.spec.state, references: references(of: state), now: now())
        } catch {
            if let deleting = state.metadata.deletionTimestamp?.date,
                now().timeIntervalSince(deleting) >= cleanUpTimeout.timeInterval
            {
                let message =
                    "gave up cleaning up generator state \(cleanUpTimeout) after its deletion began; what it records may still be live: \(ExternalSecretReconciler<C>.describe(error))"
                await events.record(.warning, reason: GeneratorStateNames.reasonError, message: message, about: state)
                logger.warning("\(message)", metadata: ["generatorstate": "\(ObjectKey(state))"])
                return
            }
            try await reportFailure(of: state, "could not cleanup generator state", error)
            throw error
        }
        logger.debug("generator state cleaned up", metadata: ["generatorstate": "\(ObjectKey(state))", "kind": "\(run.kind)"])
    }

    // MARK: - Support

    private struct Run {
        var kind: String
        var generator: any SecretGenerator
        var spec: JSONValue?
    }

    /// The generator of the kind `spec.resource` names, with the spec it had.
    private func resolve(_ state: GeneratorState) -> Run? {
        guard let kind = state.spec.resource["kind"]?.stringValue, let generator = generators.generator(ofKind: kind)
        else { return nil }
        return Run(kind: kind, generator: generator, spec: state.spec.resource["spec"])
    }

    private func references(of state: GeneratorState) -> KubeReferenceReader {
        KubeReferenceReader(client: client, policy: ReferenceAccessPolicy(ownNamespace: state.metadata.namespace ?? ""))
    }

    private func api(_ state: GeneratorState) -> ResourceAPI<GeneratorState> {
        client.api(GeneratorState.self, namespace: state.metadata.namespace)
    }

    /// Sets the Ready condition to False with ESO's wording (`<what>: <error>`); the error text is
    /// the sanitized provider message.
    private func reportFailure(of state: GeneratorState, _ what: String, _ error: any Error) async throws {
        let message = "\(what): \(ExternalSecretReconciler<C>.describe(error))"
        var conditions = state.status?.conditions ?? []
        conditions.set(
            StatusCondition(
                type: GeneratorStateNames.conditionReady, status: "False", reason: GeneratorStateNames.reasonError,
                message: message, lastTransitionTime: KubeTime(now())))
        guard conditions != state.status?.conditions else { return }
        do {
            _ = try await api(state).patch(
                state.metadata.name ?? "",
                .merge(["status": ["conditions": try JSONValue(encoding: conditions)]]))
        } catch let error as KubeAPIError where error.isNotFound {}
        logger.warning("\(what)", metadata: ["generatorstate": "\(ObjectKey(state))", "error": "\(message)"])
    }
}
