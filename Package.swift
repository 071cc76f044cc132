// swift-tools-version: 6.2
import PackageDescription

/// Settings every target of this package is compiled with: Swift 6 language mode (strict
/// concurrency), `any` spelled out for existentials, imports internal unless marked `public import`,
/// and warnings treated as errors.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .treatAllWarnings(as: .error),
]

/// How RE2 (Debian's libre2-dev, for GoCompat's Go regexp) is linked: `libre2.so` by default;
/// `GOCOMPAT_STATIC_RE2=1` links Debian's `libre2.a` into the binary instead (a static image).
let re2Linking: [LinkerSetting] =
    Context.environment["GOCOMPAT_STATIC_RE2"] == "1"
    // libstdc++.a right after libre2.a: a static link resolves archives in command-line order.
    ? [.unsafeFlags(["-Xlinker", "-l:libre2.a", "-Xlinker", "-l:libstdc++.a"])]
    : [.linkedLibrary("re2"), .linkedLibrary("stdc++")]

let package = Package(
    name: "external-secrets-swift",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "external-secrets", targets: ["ExternalSecretsCLI"]),
        .library(name: "KubeClient", targets: ["KubeClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.29.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.25.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.10.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.3.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.5.0"),
    ],
    targets: [
        // MARK: - Go semantics users write into manifests (regexp on RE2, ...)
        // RE2 from Debian's libre2-dev (scripts/install-deps.sh); see re2Linking.
        .target(
            name: "CRE2Shim",
            linkerSettings: re2Linking
        ),
        .target(
            name: "GoCompat",
            dependencies: ["CRE2Shim"],
            exclude: ["README.md"],
            swiftSettings: strictSettings
        ),

        // MARK: - Pure Kubernetes types
        .target(
            name: "KubeModel",
            swiftSettings: strictSettings
        ),

        // MARK: - HTTP boundary
        .target(
            name: "HTTPSupport",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: - AWS Signature Version 4 (pure)
        .target(
            name: "AWSSigV4",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),

        // MARK: - Kubernetes client
        .target(
            name: "KubeClient",
            dependencies: [
                "KubeModel",
                "HTTPSupport",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: - Controller runtime
        .target(
            name: "ControllerRuntime",
            dependencies: [
                "HTTPSupport",
                "KubeClient",
                "KubeModel",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: - ExternalSecret API types (they are the CRD schema)
        .target(
            name: "ExternalSecretsAPI",
            dependencies: ["KubeModel", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),

        // MARK: - The provider contract (protocols, errors, store context, reference reader, value helpers)
        .target(
            name: "ProviderKit",
            dependencies: [
                "ExternalSecretsAPI", "KubeModel", "HTTPSupport", "GoCompat",
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: - ExternalSecret core (reconcilers, store resolution, access policy, sync plan, ESO's names and hashes)
        .target(
            name: "ExternalSecretsCore",
            dependencies: [
                "ExternalSecretsAPI", "KubeModel", "KubeClient", "ControllerRuntime", "HTTPSupport", "Templating",
                "ProviderKit", "GoCompat", "Generators",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: - Providers (one target each; each depends on ProviderKit and lower layers only, never on
        // ExternalSecretsCore or another provider)
        .target(
            name: "ProviderFake",
            dependencies: ["ExternalSecretsAPI", "ProviderKit"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ProviderKubernetes",
            dependencies: [
                "ProviderKit", "ExternalSecretsAPI", "KubeClient", "KubeModel", "HTTPSupport", "GoCompat",
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),

        .target(
            name: "ProviderVault",
            dependencies: [
                "ProviderKit", "ExternalSecretsAPI", "HTTPSupport", "GoCompat",
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),

        .target(
            name: "ProviderAWS",
            dependencies: [
                "AWSSigV4", "ProviderKit", "ExternalSecretsAPI", "HTTPSupport", "GoCompat",
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),

        .target(
            name: "ProviderGCP",
            dependencies: [
                "ProviderKit", "ExternalSecretsAPI", "KubeModel", "HTTPSupport", "GoCompat",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        // MARK: - Generators (values made by the operator: Password, UUID, SSHKey, Fake, MFA)
        .target(
            name: "Generators",
            dependencies: [
                "ProviderKit", "ExternalSecretsAPI", "KubeModel",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ProviderAzure",
            dependencies: [
                "ProviderKit", "ExternalSecretsAPI", "KubeModel", "HTTPSupport", "GoCompat",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ProviderAlibaba",
            dependencies: [
                "ProviderKit", "ExternalSecretsAPI", "KubeModel", "HTTPSupport", "GoCompat",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ProviderIBM",
            dependencies: [
                "ProviderKit", "ExternalSecretsAPI", "KubeModel", "HTTPSupport", "GoCompat",
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ProviderWebhook",
            dependencies: [
                "ProviderKit", "ExternalSecretsAPI", "HTTPSupport", "GoCompat", "Templating",
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        // Generators that ask a service for a token (GithubAccessToken, QuayAccessToken, Grafana).
        .target(
            name: "ServiceTokenGenerators",
            dependencies: [
                "ProviderKit", "ExternalSecretsAPI", "HTTPSupport", "GoCompat", "KubeModel",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: - Go text/template compatible engine (pure)
        .target(
            name: "Templating",
            dependencies: [
                "GoCompat",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: - Executable
        .executableTarget(
            name: "ExternalSecretsCLI",
            dependencies: [
                "ExternalSecretsAPI",
                "ExternalSecretsCore",
                "GoCompat",
                "Generators",
                "ProviderKit",
                "ProviderFake",
                "ProviderKubernetes",
                "ProviderVault",
                "ProviderAWS",
                "ProviderWebhook",
                "ServiceTokenGenerators",
                "ProviderGCP",
                "ProviderAzure",
                "ProviderAlibaba",
                "ProviderIBM",
                "KubeClient",
                "KubeModel",
                "ControllerRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: - Test support (used by tests only)
        .executableTarget(
            name: "SampleController",
            dependencies: [
                "ControllerRuntime", "KubeClient", "KubeModel",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ClockTestSupport",
            swiftSettings: strictSettings
        ),
        .target(
            name: "SeededRandomTestSupport",
            swiftSettings: strictSettings
        ),
        .target(
            name: "HTTPTestSupport",
            dependencies: [
                "HTTPSupport", .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Child processes of tests, waited for without blocking the cooperative pool.
        .target(
            name: "ProcessTestSupport",
            swiftSettings: strictSettings
        ),
        .target(
            name: "KubeTestSupport",
            dependencies: ["KubeClient", "KubeModel", "HTTPSupport", "ProcessTestSupport"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "OperatorTestSupport",
            dependencies: [
                "ExternalSecretsAPI", "ExternalSecretsCore", "KubeClient", "KubeModel", "KubeTestSupport", "HTTPSupport",
                "ProcessTestSupport",
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ProviderTestSupport",
            dependencies: ["ProviderKit", "ExternalSecretsAPI"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "FaultProxyTestSupport",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "GoOracleTestSupport",
            dependencies: ["ProcessTestSupport"],
            exclude: ["oracleio"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "VaultTestSupport",
            dependencies: [
                "KubeTestSupport", "HTTPSupport", "ProcessTestSupport", .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: - Tests
        .testTarget(
            name: "GoCompatTests",
            dependencies: ["GoCompat", "GoOracleTestSupport", "SeededRandomTestSupport"],
            resources: [.copy("Oracle")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "GeneratorsTests",
            dependencies: [
                "Generators", "ExternalSecretsAPI", "ProviderKit", "KubeModel", "SeededRandomTestSupport",
                "ProviderTestSupport",
                "ProcessTestSupport",
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KubeModelTests",
            dependencies: ["KubeModel"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HTTPSupportTests",
            dependencies: ["HTTPSupport", "HTTPTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KubeClientTests",
            dependencies: [
                "KubeClient", "KubeModel", "HTTPSupport", "HTTPTestSupport", "ClockTestSupport", "KubeTestSupport",
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KubeClientIntegrationTests",
            dependencies: [
                "KubeClient", "KubeModel", "KubeTestSupport", "HTTPSupport",
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ControllerRuntimeTests",
            dependencies: [
                "ControllerRuntime", "ClockTestSupport", "HTTPTestSupport", "HTTPSupport", "KubeClient", "KubeModel",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ControllerRuntimeIntegrationTests",
            dependencies: [
                "ControllerRuntime", "KubeClient", "KubeModel", "KubeTestSupport", "SampleController", "HTTPSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ExternalSecretsAPITests",
            dependencies: ["ExternalSecretsAPI", "KubeModel"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ExternalSecretsAPIIntegrationTests",
            dependencies: ["ExternalSecretsAPI", "KubeClient", "KubeModel", "KubeTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ExternalSecretsCoreTests",
            dependencies: [
                "ExternalSecretsCore", "ExternalSecretsAPI", "KubeModel", "ControllerRuntime", "ProviderKit", "GoCompat",
                "SeededRandomTestSupport", "ClockTestSupport", "GoOracleTestSupport", "ProviderTestSupport",
                .product(name: "Logging", package: "swift-log"),
                "ProcessTestSupport",
            ],
            resources: [.copy("Oracle")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ExternalSecretsIntegrationTests",
            dependencies: [
                "ExternalSecretsAPI", "ExternalSecretsCore", "ProviderKit", "KubeClient", "KubeModel", "KubeTestSupport",
                "ExternalSecretsCLI", "HTTPSupport", "OperatorTestSupport", "Generators",
                "ProcessTestSupport", "ProviderFake",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ChartIntegrationTests",
            dependencies: [
                "ExternalSecretsAPI", "KubeClient", "KubeModel", "KubeTestSupport", "ExternalSecretsCLI",
                "OperatorTestSupport",
                "ProcessTestSupport",
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ImageIntegrationTests",
            dependencies: [
                "ExternalSecretsAPI", "KubeClient", "KubeModel", "KubeTestSupport", "OperatorTestSupport",
                "VaultTestSupport",
                "ProcessTestSupport",
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ProviderKubernetesTests",
            dependencies: [
                "ProviderKubernetes", "ProviderKit", "ProviderTestSupport", "ExternalSecretsAPI", "KubeClient",
                "KubeModel", "HTTPSupport", "HTTPTestSupport",
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ProviderKubernetesIntegrationTests",
            dependencies: [
                "ProviderKubernetes", "ProviderKit", "ExternalSecretsCore", "ExternalSecretsAPI", "KubeClient", "KubeModel",
                "KubeTestSupport", "HTTPSupport",
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ProviderVaultTests",
            dependencies: [
                "ProviderVault", "ProviderKit", "ProviderTestSupport", "ExternalSecretsAPI", "HTTPSupport",
                "HTTPTestSupport",
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ProviderVaultIntegrationTests",
            dependencies: [
                "ProviderVault", "ProviderKit", "ProviderTestSupport", "ExternalSecretsCore", "ExternalSecretsAPI",
                "KubeClient", "KubeModel", "KubeTestSupport", "VaultTestSupport", "HTTPSupport", "ExternalSecretsCLI", "OperatorTestSupport",
                "FaultProxyTestSupport",
                "ProcessTestSupport",
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TemplatingTests",
            dependencies: ["ProcessTestSupport", "Templating", "SeededRandomTestSupport", "GoOracleTestSupport"],
            resources: [.copy("Oracle")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "AWSTestSupport",
            dependencies: [
                "AWSSigV4", "ProviderAWS", "HTTPSupport", "KubeTestSupport", "ProcessTestSupport",
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AWSSigV4Tests",
            dependencies: ["ProcessTestSupport", "AWSSigV4"],
            resources: [.copy("Resources")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ProviderAWSTests",
            dependencies: [
                "ProviderAWS", "AWSSigV4", "ProviderKit", "ProviderTestSupport", "ExternalSecretsAPI", "HTTPSupport",
                "HTTPTestSupport",
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ProviderAWSIntegrationTests",
            dependencies: [
                "ProviderAWS", "AWSSigV4", "AWSTestSupport", "ProviderKit", "ExternalSecretsCore", "ExternalSecretsAPI",
                "KubeClient",
                "KubeModel", "KubeTestSupport", "HTTPSupport", "ExternalSecretsCLI", "OperatorTestSupport",
                "ProcessTestSupport",
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ProviderWebhookTests",
            dependencies: [
                "ProviderWebhook", "ProviderKit", "ProviderTestSupport", "ExternalSecretsAPI", "HTTPSupport",
                "HTTPTestSupport", "GoCompat",
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ProviderWebhookIntegrationTests",
            dependencies: [
                "ProviderWebhook", "ProviderKit", "ExternalSecretsCore", "ExternalSecretsAPI", "KubeClient", "KubeModel",
                "KubeTestSupport", "HTTPSupport", "ExternalSecretsCLI", "OperatorTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ServiceTokenGeneratorsTests",
            dependencies: [
                "ServiceTokenGenerators", "ProviderKit", "ProviderTestSupport", "ExternalSecretsAPI", "HTTPSupport",
                "HTTPTestSupport", "KubeModel", "ProcessTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ProviderGCPTests",
            dependencies: [
                "ProviderGCP", "ProviderKit", "ProviderTestSupport", "ExternalSecretsAPI", "HTTPSupport",
                "HTTPTestSupport", "GoCompat", "KubeModel",
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ProviderGCPIntegrationTests",
            dependencies: [
                "ProviderGCP", "ProviderKit", "ProviderTestSupport", "ExternalSecretsCore", "ExternalSecretsAPI",
                "KubeClient", "KubeModel", "KubeTestSupport", "HTTPSupport", "ExternalSecretsCLI", "OperatorTestSupport",
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ProviderAzureTests",
            dependencies: [
                "ProviderAzure", "ProviderKit", "ProviderTestSupport", "ExternalSecretsAPI", "HTTPSupport",
                "HTTPTestSupport", "GoCompat", "KubeModel",
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ProviderAzureIntegrationTests",
            dependencies: [
                "ProviderAzure", "ProviderKit", "ProviderTestSupport", "ExternalSecretsCore", "ExternalSecretsAPI",
                "KubeClient", "KubeModel", "KubeTestSupport", "HTTPSupport", "ExternalSecretsCLI", "OperatorTestSupport",
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                "ProcessTestSupport",
            ],
            swiftSettings: strictSettings
        ),
            .testTarget(
            name: "ProviderAlibabaTests",
            dependencies: [
                "ProviderAlibaba", "ProviderKit", "ProviderTestSupport", "ExternalSecretsAPI", "HTTPSupport",
                "HTTPTestSupport", "GoCompat", "KubeModel",
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ProviderAlibabaIntegrationTests",
            dependencies: [
                "ProviderAlibaba", "ProviderKit", "ProviderTestSupport", "ExternalSecretsCore", "ExternalSecretsAPI",
                "KubeClient", "KubeModel", "KubeTestSupport", "HTTPSupport", "ExternalSecretsCLI", "OperatorTestSupport",
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ProviderIBMTests",
            dependencies: [
                "ProviderIBM", "ProviderKit", "ProviderTestSupport", "ExternalSecretsAPI", "HTTPSupport",
                "HTTPTestSupport", "GoCompat", "KubeModel",
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ProviderIBMIntegrationTests",
            dependencies: [
                "ProviderIBM", "ProviderKit", "ProviderTestSupport", "ExternalSecretsCore", "ExternalSecretsAPI",
                "KubeClient", "KubeModel", "KubeTestSupport", "HTTPSupport", "ExternalSecretsCLI", "OperatorTestSupport",
            ],
            swiftSettings: strictSettings
        ),
    ]
)
