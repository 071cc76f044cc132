import ArgumentParser
import ControllerRuntime
import Foundation
import KubeClient
import KubeModel
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import UnixSignals

/// A small controller used by the controller-runtime integration tests and the memory benchmark:
/// for every ConfigMap labelled `sample=true` it keeps a `<name>-mirror` ConfigMap with the same
/// data, written by server-side apply under the field manager `sample-<identity>`.
@main
struct SampleControllerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample-controller", subcommands: [Run.self, Seed.self], defaultSubcommand: Run.self)
}

struct Run: AsyncParsableCommand {
    @Option var kubeconfig: String
    @Option var namespace: String
    @Option var labelSelector = "sample=true"
    @Option var identity = "sample"
    @Flag var leaderElect = false
    @Option var leaseDurationSeconds = 15
    @Option var renewDeadlineSeconds = 10
    @Option var retryPeriodSeconds = 2
    @Option var probeAddr = "127.0.0.1:0"
    @Option var workers = 2
    /// Cache only metadata (PartialObjectMetadata); reconciles then write nothing.
    @Flag var metadataOnly = false
    /// Exit once the cache has synced (memory benchmark).
    @Flag var exitWhenSynced = false

    func run() async throws {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        var logger = Logger(label: "sample-controller")
        logger.logLevel = .info
        logger[metadataKey: "identity"] = "\(identity)"
        let client = try KubeClient(configuration: KubeConfigLoader.load(paths: [kubeconfig]), logger: logger)
        let options = WatcherOptions(labelSelector: labelSelector, watchTimeoutSeconds: 60)
        let clock = ContinuousClock()

        if metadataOnly {
            let controller = Controller(
                name: "sample", api: client.metadataAPI(ConfigMap.resource, namespace: namespace),
                watcherOptions: options, workers: workers, clock: clock, logger: logger
            ) { _ in .awaitChange }
            try await runController(controller, client: client, registry: registry, logger: logger)
        } else {
            let manager = "sample-\(identity)"
            let configMaps = client.api(ConfigMap.self, namespace: namespace)
            // A mirror carries the name of its source; changing or deleting a mirror wakes the source.
            let mirrorLabel = "sample-mirror-of"
            let mirrors = Controller<ConfigMap, ContinuousClock>.relatedWatch(
                api: configMaps, options: WatcherOptions(labelSelector: mirrorLabel, watchTimeoutSeconds: 60),
                clock: clock, logger: logger
            ) { mirror in
                mirror.metadata.labels?[mirrorLabel].map { [ObjectKey(namespace: mirror.metadata.namespace, name: $0)] } ?? []
            }
            let controller = Controller(
                name: "sample", api: configMaps, watcherOptions: options, workers: workers, clock: clock,
                logger: logger, relatedWatches: [mirrors]
            ) { source in
                if exitWhenSynced { return .awaitChange }
                let name = source.metadata.name ?? ""
                let mirror = ConfigMap(
                    metadata: ObjectMeta(
                        name: "\(name)-mirror", namespace: source.metadata.namespace, labels: [mirrorLabel: name]),
                    data: source.data ?? [:])
                _ = try await configMaps.apply(mirror, fieldManager: manager, force: true)
                return .awaitChange
            }
            try await runController(controller, client: client, registry: registry, logger: logger)
        }
        try await client.shutdown()
    }

    private func runController<Object: KubeObject>(
        _ controller: Controller<Object, ContinuousClock>, client: KubeClient, registry: PrometheusCollectorRegistry,
        logger: Logger
    ) async throws {
        if exitWhenSynced {
            await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await controller.run() }
                await controller.store.waitUntilSynced()
                print("synced \(controller.store.count) objects")
                group.cancelAll()
            }
            return
        }
        guard let address = ListenAddress(parsing: probeAddr) else {
            throw ValidationError("--probe-addr must be host:port")
        }
        let probes = ProbeServer(
            address: address, isReady: { controller.store.isSynced }, renderMetrics: { registry.emitToString() },
            logger: logger, onListening: { port in logger.info("probes listening", metadata: ["port": "\(port)"]) })
        let work: any Service
        if leaderElect {
            let elector = LeaseElector(
                client: client,
                config: LeaderElectionConfig(
                    leaseName: "sample-controller", namespace: namespace, identity: identity,
                    leaseDuration: .seconds(leaseDurationSeconds), renewDeadline: .seconds(renewDeadlineSeconds),
                    retryPeriod: .seconds(retryPeriodSeconds)),
                clock: ContinuousClock(), logger: logger)
            work = LeaderElectedService(elector: elector, service: controller)
        } else {
            work = controller
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: probes),
                    .init(service: work, successTerminationBehavior: .gracefullyShutdownGroup,
                          failureTerminationBehavior: .gracefullyShutdownGroup),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// Creates `count` labelled ConfigMaps with `bytes` of data each in `namespace`, creating the
/// namespace if needed (benchmark set-up).
struct Seed: AsyncParsableCommand {
    @Option var kubeconfig: String
    @Option var namespace: String
    @Option var count = 10_000
    @Option var bytes = 2048
    @Option var concurrency = 32

    func run() async throws {
        let client = try KubeClient(configuration: {
            var configuration = try KubeConfigLoader.load(paths: [kubeconfig])
            configuration.qps = 0
            return configuration
        }())
        if try await client.api(Namespace.self).getIfExists(namespace) == nil {
            _ = try await client.api(Namespace.self).create(Namespace(metadata: ObjectMeta(name: namespace)))
        }
        let configMaps = client.api(ConfigMap.self, namespace: namespace)
        let payload = String(repeating: "x", count: bytes)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    for index in stride(from: worker, to: count, by: concurrency) {
                        _ = try await configMaps.create(
                            ConfigMap(
                                metadata: ObjectMeta(name: "seed-\(index)", labels: ["sample": "true"]),
                                data: ["payload": payload]))
                    }
                }
            }
            try await group.waitForAll()
        }
        try await client.shutdown()
        print("created \(count) ConfigMaps in \(namespace)")
    }
}
