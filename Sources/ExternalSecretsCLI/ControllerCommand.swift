import ArgumentParser
import ControllerRuntime
import ExternalSecretsCore
import Foundation
import GoCompat
import KubeClient
import Logging
import Metrics
import Prometheus
import ProviderAWS
import ProviderFake
import ProviderKit
import ProviderKubernetes
import ProviderVault
import ServiceLifecycle
import Synchronization

/// `external-secrets controller`: runs the operator. Flags are ESO's, with ESO's defaults.
struct ControllerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "controller",
        abstract: "Run the operator: sync ExternalSecrets from their stores into Kubernetes Secrets.")

    @Option(help: "Path to a kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then in-cluster).")
    var kubeconfig: String?

    @Option(help: "The kubeconfig context to use.")
    var context: String?

    @Option(help: "Watch only this namespace (default: all namespaces).")
    var namespace = ""

    @Option(help: "Reconcile workers per controller.")
    var concurrent = 1

    @Option(name: .customLong("controller-class"), help: "Handle stores whose spec.controller is empty or equal to this.")
    var controllerClass = "default"

    @Option(name: .customLong("metrics-addr"), help: "Address of the Prometheus /metrics endpoint.")
    var metricsAddress = ":8080"

    @Option(name: .customLong("live-addr"), help: "Address of the /healthz and /readyz endpoints.")
    var liveAddress = ":8082"

    @Option(
        name: .customLong("metrics-per-object"),
        help: "Export the per-object series (externalsecret_*, secretstore_*, clustersecretstore_*, pushsecret_* labelled with name and namespace); false keeps only controller, work queue and provider series.")
    var metricsPerObject = true

    @Flag(name: .customLong("enable-leader-election"), help: "Run controllers only while holding the Lease.")
    var enableLeaderElection = false

    @Option(name: .customLong("leader-election-id"), help: "Name of the leader-election Lease.")
    var leaderElectionID = "external-secrets-controller"

    @Option(
        name: .customLong("leader-election-namespace"),
        help: "Namespace of the Lease (default: the in-cluster namespace, else the kubeconfig's).")
    var leaderElectionNamespace: String?

    @Option(help: "Log level: debug, info, warn or error.")
    var loglevel = "info"

    @Option(
        name: .customLong("log-format"),
        help: "Log format: text (one human-readable line per entry) or json (one JSON object per line: ts, level, logger, msg, controller, namespace, name, reconcileID, error, ...).")
    var logFormat = "text"

    @Option(name: .customLong("client-qps"), help: "Kubernetes API requests per second (0 = unlimited); Events are paced separately with the same qps and burst, as in ESO.")
    var clientQPS: Double = 50

    @Option(name: .customLong("client-burst"), help: "Kubernetes API request burst.")
    var clientBurst = 100

    @Option(name: .customLong("store-requeue-interval"), help: "How often stores are revalidated (Go duration).")
    var storeRequeueInterval = "5m"

    @Option(name: .customLong("enable-flood-gate"), help: "Use only stores whose Ready condition is True.")
    var enableFloodGate = true

    @Option(
        name: .customLong("enable-generator-state"),
        help: "Record what generators create remotely (tokens, leases) in GeneratorStates and clean it up when replaced or no longer used.")
    var enableGeneratorState = true

    @Option(
        name: .customLong("generator-gc-grace-period"),
        help: "How long a replaced generated value's state lives before its clean-up (Go duration).")
    var generatorGCGracePeriod = "2m"

    @Option(
        name: .customLong("generator-cleanup-timeout"),
        help: "How long a failing clean-up of a deleted GeneratorState is retried before it is given up with a Warning Event, so nothing stays in Terminating (Go duration).")
    var generatorCleanUpTimeout = "10m"

    @Option(name: .customLong("enable-secret-store-reconciler"), help: "Validate SecretStores.")
    var enableSecretStoreReconciler = true

    @Option(name: .customLong("enable-cluster-store-reconciler"), help: "Validate ClusterSecretStores.")
    var enableClusterStoreReconciler = true

    @Option(name: .customLong("enable-push-secret-reconciler"), help: "Push Secrets to providers (PushSecret).")
    var enablePushSecretReconciler = true

    @Option(
        name: .customLong("enable-cluster-external-secret-reconciler"),
        help: "Create ExternalSecrets in namespaces for ClusterExternalSecrets (not with --namespace).")
    var enableClusterExternalSecretReconciler = true

    @Option(
        name: .customLong("enable-cluster-push-secret-reconciler"),
        help: "Create PushSecrets in namespaces for ClusterPushSecrets (not with --namespace).")
    var enableClusterPushSecretReconciler = true

    @Option(name: .customLong("template-left-delimiter"), help: "Left delimiter of templates (default {{).")
    var templateLeftDelimiter = "{{"

    @Option(name: .customLong("template-right-delimiter"), help: "Right delimiter of templates (default }}).")
    var templateRightDelimiter = "}}"

    @Option(
        name: .customLong("provider-cache-window"),
        help: "How long identical provider reads are shared across ExternalSecrets (Go duration; 0 shares only reads in flight).")
    var providerCacheWindow = "10s"

    @Option(
        name: .customLong("provider-timeout"),
        help: "Overall deadline of one provider call, its retries and login included (Go duration).")
    var providerTimeout = "20s"

    @Option(
        name: .customLong("reconcile-timeout"),
        help: "Longest one reconcile may run before it is cancelled and retried (Go duration).")
    var reconcileTimeout = "1m"

    @Option(
        name: .customLong("max-concurrent-per-store"),
        help: "Reconciles of one store's objects in flight at once (0 = half of --concurrent, at least 1); one reserve worker beside --concurrent serves stores with nothing in flight.")
    var maxConcurrentPerStore = 0

    @Option(
        name: .customLong("store-failure-threshold"),
        help: "Consecutive failed provider calls (unreachable, timeout, 5xx) that open a store's circuit breaker (0 = never).")
    var storeFailureThreshold = 3

    @Option(
        name: .customLong("store-retry-interval"),
        help: "First pause before a probe call tests an open store; doubles after each failed probe, up to 1m (Go duration).")
    var storeRetryInterval = "5s"

    @Option(
        name: .customLong("service-account-token-file"),
        help: "The operator's own ServiceAccount token, used by Vault Kubernetes logins that name neither a ServiceAccount nor a Secret (as KES's vault backend did).")
    var serviceAccountTokenFile = VaultSecretsProvider.defaultMountedTokenPath

    @Option(
        name: .customLong("allowed-provider-endpoints"),
        help: "Comma-separated hosts (host, host:port, *.domain[:port]) stores may send credentials to (vault.server, webhook.url, kubernetes.server.url); a namespace's external-secrets-swift.io/allowed-provider-endpoints annotation narrows it. Unset: anywhere.")
    var allowedProviderEndpoints: String?

    @Option(
        name: .customLong("service-account-token-audience"),
        help: "Audience of the ServiceAccount tokens requested for stores that name none (not for Kubernetes-provider stores), so that a captured token is useless against the API server; set the Vault role's audience to match. Unset: the API server's.")
    var serviceAccountTokenAudience: String?

    @Flag(
        name: .customLong("enforce-namespace-key-guard"),
        help: "Limit the remote keys ESO ExternalSecrets read by their namespace's externalsecrets.kubernetes-client.io/permitted-key-name annotation (a regular expression), as KES objects always are.")
    var enforceNamespaceKeyGuard = false

    @Flag(
        name: .customLong("enforce-namespace-role-guard"),
        help: "Limit the role ESO ExternalSecrets' stores assume (AWS role, Vault Kubernetes auth role) by their namespace's iam.amazonaws.com/permitted annotation (a regular expression), as KES objects always are.")
    var enforceNamespaceRoleGuard = false

    @Flag(
        name: .customLong("enable-kes"),
        help: "Serve KES's kubernetes-client.io/v1 ExternalSecret (GoDaddy's Kubernetes External Secrets), configured by KES's environment variables (AWS_REGION, VAULT_ADDR, DEFAULT_VAULT_MOUNT_POINT, DEFAULT_VAULT_ROLE, POLLER_INTERVAL_MILLISECONDS, WATCHED_NAMESPACES) or the --kes-* flags.")
    var enableKES = false

    @Option(name: .customLong("kes-poller-interval"), help: "KES: how often each object syncs (Go duration; overrides POLLER_INTERVAL_MILLISECONDS).")
    var kesPollerInterval: String?

    @Option(name: .customLong("kes-aws-region"), help: "KES: the AWS region of objects that name none (overrides AWS_REGION).")
    var kesAWSRegion: String?

    @Option(name: .customLong("kes-vault-addr"), help: "KES: the Vault server of vault objects (overrides VAULT_ADDR).")
    var kesVaultAddress: String?

    @Option(name: .customLong("kes-default-vault-mount-point"), help: "KES: the Vault Kubernetes auth mount of objects that name none (overrides DEFAULT_VAULT_MOUNT_POINT).")
    var kesDefaultVaultMountPoint: String?

    @Option(name: .customLong("kes-default-vault-role"), help: "KES: the Vault Kubernetes auth role of objects that name none (overrides DEFAULT_VAULT_ROLE).")
    var kesDefaultVaultRole: String?

    @Option(name: .customLong("kes-watched-namespaces"), help: "KES: comma-separated namespaces whose objects sync (overrides WATCHED_NAMESPACES; empty: all).")
    var kesWatchedNamespaces: String?

    @Flag(name: .customLong("kes-enforce-namespace-annotations"), help: "KES: a namespace without the guard annotations (iam.amazonaws.com/permitted, externalsecrets.kubernetes-client.io/permitted-key-name) refuses KES objects instead of admitting them (as ENFORCE_NAMESPACE_ANNOTATIONS).")
    var kesEnforceNamespaceAnnotations = false

    /// The KES controller's configuration: KES's environment variables, then the `--kes-*` flags.
    func kesConfiguration(environment: [String: String]) throws -> KESConfiguration {
        var configuration = try KESConfiguration.fromProcessEnvironment(environment)
        if let kesPollerInterval {
            guard let interval = GoDuration.parse(kesPollerInterval), interval > .zero else {
                throw ValidationError("--kes-poller-interval must be a positive duration such as 10s")
            }
            configuration.pollerInterval = interval
        }
        if let kesAWSRegion { configuration.awsRegion = kesAWSRegion }
        if let kesVaultAddress { configuration.vaultAddress = kesVaultAddress }
        if let kesDefaultVaultMountPoint { configuration.defaultVaultMountPoint = kesDefaultVaultMountPoint }
        if let kesDefaultVaultRole { configuration.defaultVaultRole = kesDefaultVaultRole }
        if kesEnforceNamespaceAnnotations { configuration.enforceNamespaceAnnotations = true }
        if let kesWatchedNamespaces {
            configuration.watchedNamespaces = kesWatchedNamespaces.split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        return configuration
    }

    func validate() throws {
        guard Self.logLevel(loglevel) != nil else { throw ValidationError("--loglevel must be debug, info, warn or error") }
        guard ["text", "json"].contains(logFormat) else { throw ValidationError("--log-format must be text or json") }
        guard ListenAddress(parsing: metricsAddress) != nil else { throw ValidationError("--metrics-addr must be host:port") }
        guard ListenAddress(parsing: liveAddress) != nil else { throw ValidationError("--live-addr must be host:port") }
        guard GoDuration.parse(providerCacheWindow).map({ $0 >= .zero }) == true else {
            throw ValidationError("--provider-cache-window must be a duration such as 10s")
        }
        guard concurrent >= 1 else { throw ValidationError("--concurrent must be at least 1") }
        for (flag, value) in [
            ("--provider-timeout", providerTimeout), ("--reconcile-timeout", reconcileTimeout),
            ("--store-retry-interval", storeRetryInterval), ("--generator-gc-grace-period", generatorGCGracePeriod),
            ("--generator-cleanup-timeout", generatorCleanUpTimeout),
        ] {
            guard GoDuration.parse(value).map({ $0 > .zero }) == true else {
                throw ValidationError("\(flag) must be a positive duration such as 20s")
            }
        }
        guard maxConcurrentPerStore >= 0 else { throw ValidationError("--max-concurrent-per-store must be 0 or more") }
        guard GoDuration.parse(storeRequeueInterval).map({ $0 > .zero }) == true else {
            throw ValidationError("--store-requeue-interval must be a positive duration such as 5m")
        }
    }

    static func logLevel(_ text: String) -> Logger.Level? {
        switch text.lowercased() {
        case "debug": .debug
        case "info": .info
        case "warn", "warning": .warning
        case "error": .error
        default: nil
        }
    }

    /// The namespace this pod runs in, from the mounted ServiceAccount, if any.
    static func inClusterNamespace() -> String? {
        let path = InClusterConfig.defaultDirectory + "/namespace"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let namespace = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return namespace.isEmpty ? nil : namespace
    }

    func run() async throws {
        let tunedAllocator = AllocatorTuning.apply()
        let level = Self.logLevel(loglevel) ?? .info
        bootstrapLogging(format: logFormat, level: level)
        let logger = Logger(label: "external-secrets")
        logger.debug("allocator thresholds", metadata: ["fixed": "\(tunedAllocator)"])
        let registry = PrometheusCollectorRegistry()
        let prometheus = PrometheusMetricsFactory(registry: registry)
        let objectSeries = metricsPerObject ? ObjectSeriesRegistry() : nil
        MetricsSystem.bootstrap(PerObjectMetricsFactory(base: prometheus, objectSeries: objectSeries))

        // The process's one clock, made here and passed to every component: `clock` (monotonic)
        // for deadlines, delays, rate limits and caches, `now` (wall clock) for timestamps and
        // expiries. No component of the operator reads a clock of its own.
        let clock = ContinuousClock()
        let now: @Sendable () -> Date = { Date() }
        let sleep: @Sendable (Duration) async throws -> Void = { try await clock.sleep(for: $0) }

        var configuration = try ClientConfigurationSource(kubeconfig: kubeconfig, context: context).load()
        configuration.qps = clientQPS
        configuration.burst = clientBurst
        let client = try KubeClient(configuration: configuration, logger: logger, clock: clock, now: now)

        var options = OperatorOptions(namespace: namespace.isEmpty ? nil : namespace)
        options.controllerClass = controllerClass
        options.concurrent = concurrent
        options.storeRequeueInterval = GoDuration.parse(storeRequeueInterval) ?? .seconds(300)
        options.enableFloodGate = enableFloodGate
        options.enableGeneratorState = enableGeneratorState
        options.generatorGCGracePeriod = GoDuration.parse(generatorGCGracePeriod) ?? .seconds(120)
        options.generatorCleanUpTimeout = GoDuration.parse(generatorCleanUpTimeout) ?? .seconds(600)
        options.enableSecretStoreReconciler = enableSecretStoreReconciler
        options.enableClusterStoreReconciler = enableClusterStoreReconciler
        options.enablePushSecretReconciler = enablePushSecretReconciler
        options.enableClusterExternalSecretReconciler = enableClusterExternalSecretReconciler
        options.enableClusterPushSecretReconciler = enableClusterPushSecretReconciler
        options.providerCacheWindow = GoDuration.parse(providerCacheWindow) ?? .seconds(10)
        options.templateLeftDelimiter = templateLeftDelimiter
        options.templateRightDelimiter = templateRightDelimiter
        options.providerTimeout = GoDuration.parse(providerTimeout) ?? .seconds(20)
        options.reconcileTimeout = GoDuration.parse(reconcileTimeout) ?? .seconds(60)
        options.maxConcurrentPerStore = maxConcurrentPerStore > 0 ? maxConcurrentPerStore : nil
        options.circuitBreaker = CircuitBreakerSettings(
            failureThreshold: storeFailureThreshold, coolDown: GoDuration.parse(storeRetryInterval) ?? .seconds(5))
        options.enforceNamespaceKeyGuard = enforceNamespaceKeyGuard
        options.enforceNamespaceRoleGuard = enforceNamespaceRoleGuard
        options.serviceAccountTokenAudience = serviceAccountTokenAudience.flatMap { $0.isEmpty ? nil : $0 }
        options.allowedProviderEndpoints = allowedProviderEndpoints.map(ProviderEndpointAllowList.init(parsing:))
        if enableKES {
            options.kes = try kesConfiguration(environment: ProcessInfo.processInfo.environment)
        }
        let providers = ProviderSet.registry(
            localCluster: configuration, now: now, sleep: sleep, clock: clock, logger: logger,
            serviceAccountTokenPath: serviceAccountTokenFile)
        let operatorService = ExternalSecretsOperator(
            client: client, registry: providers, options: options, clock: clock, now: now, logger: logger)
        logger.info(
            "starting", metadata: ["version": "\(Version.current)", "providers": "\(providers.names)", "namespace": "\(namespace)"])

        let leading = Mutex(!enableLeaderElection)
        let work: any Service
        if enableLeaderElection {
            let identity = "\(ProcessInfo.processInfo.hostName)_\(UUID().uuidString.prefix(8).lowercased())"
            let leaseNamespace = leaderElectionNamespace ?? Self.inClusterNamespace() ?? configuration.namespace
            let elector = LeaseElector(
                client: client,
                config: LeaderElectionConfig(leaseName: leaderElectionID, namespace: leaseNamespace, identity: identity),
                clock: clock, now: now, logger: logger,
                onLeadershipChange: { isLeader in leading.withLock { $0 = isLeader } })
            work = LeaderElectedService(elector: elector, service: operatorService)
        } else {
            work = operatorService
        }
        // A standby replica is ready (it serves probes and waits for the Lease); the leader is
        // ready once its caches have synced.
        let isReady: @Sendable () -> Bool = { !leading.withLock { $0 } || operatorService.isSynced }
        let render: @Sendable () -> String = { registry.emitToString() + (objectSeries?.emitToString() ?? "") }
        let metrics = ProbeServer(
            address: ListenAddress(parsing: metricsAddress)!, isReady: isReady, renderMetrics: render, logger: logger,
            onListening: { port in logger.info("metrics listening", metadata: ["port": "\(port)"]) })
        let probes = ProbeServer(
            address: ListenAddress(parsing: liveAddress)!, isReady: isReady, logger: logger,
            onListening: { port in logger.info("probes listening", metadata: ["port": "\(port)"]) })
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: metrics), .init(service: probes),
                    .init(
                        service: work, successTerminationBehavior: .gracefullyShutdownGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        // Graceful shutdown (SIGTERM, SIGINT) ends `run` normally: exit status 0. A failure (a lost
        // lease, a service that stopped unexpectedly) is rethrown (exit status 1), after the
        // client is shut down, which AsyncHTTPClient requires before its deinit.
        do {
            try await group.run()
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }
}
