import Foundation
import Generators
import KubeClient
import Logging
import ProviderAWS
import ProviderAlibaba
import ProviderAzure
import ProviderFake
import ProviderGCP
import ProviderIBM
import ProviderKit
import ProviderKubernetes
import ProviderVault
import ProviderWebhook
import ServiceTokenGenerators

/// The providers and generator kinds this binary offers, in one list for the controller and the
/// offline commands (which use only `validateStore`, no I/O).
enum ProviderSet {
    static func registry(
        localCluster: ClientConfiguration, now: @escaping @Sendable () -> Date,
        sleep: @escaping @Sendable (Duration) async throws -> Void, clock: ContinuousClock, logger: Logger,
        serviceAccountTokenPath: String = VaultSecretsProvider.defaultMountedTokenPath
    ) -> ProviderRegistry {
        let environment = ProcessInfo.processInfo.environment
        let aws = AWSSecretsProvider(retry: AWSRetryPolicy(sleep: sleep), now: now, logger: logger)
        let webhook = WebhookSecretsProvider(now: now, retry: HTTPRetryPolicy(sleep: sleep), logger: logger)
        let vault = VaultSecretsProvider(
            now: now, sleep: sleep, mountedTokenPath: serviceAccountTokenPath, logger: logger)
        return ProviderRegistry(
            [
                FakeSecretsProvider(),
                KubernetesSecretsProvider(localCluster: localCluster, now: now, clock: clock, logger: logger),
                vault,
                aws,
                webhook,
                GCPSecretsProvider(
                    now: now, retry: HTTPRetryPolicy(sleep: sleep),
                    endpoint: environment[GCPSecretsProvider.endpointVariable],
                    defaultCredentialsFile: environment["GOOGLE_APPLICATION_CREDENTIALS"],
                    tokenEndpoints: GCPEndpoints(
                        sts: environment[GCPSecretsProvider.stsEndpointVariable],
                        iamCredentials: environment[GCPSecretsProvider.iamCredentialsEndpointVariable]),
                    logger: logger),
                AzureSecretsProvider(
                    now: now, retry: HTTPRetryPolicy(sleep: sleep),
                    environment: AzureEnvironment(variables: environment),
                    logger: logger),
                AlibabaSecretsProvider(
                    now: now, retry: HTTPRetryPolicy(sleep: sleep), endpoints: AlibabaEndpoints(variables: environment),
                    operatorAccessKey: AlibabaOperatorAccessKey(variables: environment), logger: logger),
                IBMSecretsProvider(
                    now: now, retry: HTTPRetryPolicy(sleep: sleep),
                    operatorAPIKey: IBMOperatorAPIKey(variables: environment), logger: logger),
            ],
            // The generator kinds: the pure ones, then those that call a provider's API.
            generators: [
                StandardGenerators(), AWSGenerators(provider: aws), WebhookSecretGenerators(provider: webhook),
                ServiceTokenGenerators(logger: logger), VaultGenerators(provider: vault),
            ])
    }
}

/// The registry of the offline commands: the same providers, never connected.
enum OfflineProviders {
    static var registry: ProviderRegistry {
        ProviderSet.registry(
            localCluster: ClientConfiguration(server: "https://offline.invalid", tls: .init(), authentication: .none),
            now: { Date() }, sleep: { try await Task.sleep(for: $0) }, clock: ContinuousClock(),
            logger: Logger(label: "offline"))
    }
}
