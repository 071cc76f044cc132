public import ControllerRuntime
public import Foundation
public import KubeClient
public import ProviderKit

extension PushSecretReconciler {
    /// What a PushSecret reconcile reads and writes through.
    public struct Dependencies: Sendable {
        public var client: KubeClient
        public var resolver: StoreResolver
        public var registry: ProviderRegistry
        public var clients: ClientManager
        public var events: EventRecorder<C>
        public var now: @Sendable () -> Date
        public var renderer: @Sendable () -> SecretTemplateRenderer
        /// The ExternalSecrets' call cache: a push drops the store's cached reads.
        public var callCache: ProviderCallCache?
        /// Deadlines and circuit breakers of provider calls; nil: neither.
        public var callGuard: StoreCallGuard?
        /// The resourceVersion of a Secret as the operator's watch last saw it (nil: unknown or
        /// absent). A source Secret whose version moved since the last push is pushed at once.
        public var sourceVersion: @Sendable (ObjectKey) -> String?
        /// Where the versions of this controller's own status patches are recorded, so that their
        /// watch events wake nothing (``OwnWrites``); nil: not recorded.
        public var ownStatusWrites: OwnWrites?
        /// Where the state of a `selector.generatorRef`'s generation is recorded; nil: not recorded.
        public var generatorStates: GeneratorStateSettings?

        public init(
            client: KubeClient, resolver: StoreResolver, registry: ProviderRegistry, clients: ClientManager,
            events: EventRecorder<C>, now: @escaping @Sendable () -> Date,
            renderer: @escaping @Sendable () -> SecretTemplateRenderer = { SecretTemplateRenderer() },
            callCache: ProviderCallCache? = nil, sourceVersion: @escaping @Sendable (ObjectKey) -> String? = { _ in nil },
            callGuard: StoreCallGuard? = nil, ownStatusWrites: OwnWrites? = nil
        ) {
            self.ownStatusWrites = ownStatusWrites
            self.callGuard = callGuard
            self.sourceVersion = sourceVersion
            self.client = client
            self.resolver = resolver
            self.registry = registry
            self.clients = clients
            self.events = events
            self.now = now
            self.renderer = renderer
            self.callCache = callCache
        }
    }

    /// The source Secret does not exist (ESO's message).
    struct SourceMissing: Error, CustomStringConvertible {
        var name: String
        var description: String { "\(PushSecretNames.messageSourceMissing): Secret \"\(name)\" not found" }
    }
}
