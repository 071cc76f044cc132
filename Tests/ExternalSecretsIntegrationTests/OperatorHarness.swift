import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import HTTPSupport
import KubeClient
import KubeModel
import KubeTestSupport
import Testing

/// The `external-secrets` binary, built beside this test bundle by `swift build --build-tests`.
let operatorPath: String = {
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var directory = bundle.deletingLastPathComponent()
    if directory.lastPathComponent.hasSuffix(".xctest") { directory.deleteLastPathComponent() }
    return directory.appendingPathComponent("external-secrets").path
}()

/// A value that must never appear in logs, Events or status.
let canary = "canary-\(UUID().uuidString.prefix(12).lowercased())"

/// Installs this project's CRDs on the suite's control plane (idempotent) and waits until they are
/// served.
func installCRDs(_ client: KubeClient) async throws {
    let crds = client.api(CustomResourceDefinition.self)
    for crd in ExternalSecretsCRDs.all {
        do {
            _ = try await crds.create(crd)
        } catch let error as KubeAPIError where error.isAlreadyExists {}
    }
    for crd in ExternalSecretsCRDs.all {
        let established = try await eventually(timeout: .seconds(30)) {
            try await crds.get(crd.metadata.name ?? "").isEstablished
        }
        #expect(established, "CRD \(crd.metadata.name ?? "") not established")
    }
    // The API server serves new CRDs a moment after Established.
    _ = try await eventually(timeout: .seconds(30)) {
        (try? await client.api(ExternalSecret.self, namespace: "default").list()) != nil
    }
}

/// Runs the operator as a process against the suite's control plane.
func startOperator(_ plane: LocalControlPlane, name: String, arguments: [String] = []) throws -> TestProcess {
    try TestProcess(
        executable: operatorPath,
        arguments: [
            "controller", "--kubeconfig", plane.kubeconfigPath, "--metrics-addr", "127.0.0.1:0",
            "--live-addr", "127.0.0.1:0", "--loglevel", "debug",
        ] + arguments,
        logPath: "\(plane.directory)/operator-\(name)-\(UUID().uuidString.prefix(6)).log")
}

/// A SecretStore with the fake provider serving `data`.
func fakeStore(_ name: String, data: [FakeProviderData], validationResult: Int? = nil) -> SecretStore {
    SecretStore(
        metadata: ObjectMeta(name: name),
        spec: SecretStoreSpec(provider: SecretStoreProvider(fake: FakeProvider(data: data, validationResult: validationResult))))
}

func externalSecret(
    _ name: String, store: String = "fake", storeKind: StoreKind = .secretStore, target: ExternalSecretTarget? = nil,
    data: [ExternalSecretData]? = nil, dataFrom: [ExternalSecretDataFromRemoteRef]? = nil, refreshInterval: String? = nil,
    annotations: [String: String]? = nil
) -> ExternalSecret {
    ExternalSecret(
        metadata: ObjectMeta(name: name, annotations: annotations),
        spec: ExternalSecretSpec(
            secretStoreRef: SecretStoreRef(name: store, kind: storeKind), target: target,
            refreshInterval: refreshInterval, data: data, dataFrom: dataFrom))
}

func entry(_ secretKey: String, _ remoteKey: String, property: String? = nil) -> ExternalSecretData {
    ExternalSecretData(secretKey: secretKey, remoteRef: ExternalSecretDataRemoteRef(key: remoteKey, property: property))
}

/// The Ready condition of an ExternalSecret, read from the server.
func readyCondition(_ client: KubeClient, _ namespace: String, _ name: String) async throws -> StatusCondition? {
    try await client.api(ExternalSecret.self, namespace: namespace).get(name).status?.conditions?
        .condition(ofType: ESONames.conditionReady)
}

/// Waits until the ExternalSecret's Ready condition has `status` and `reason`.
func waitForReady(
    _ client: KubeClient, _ namespace: String, _ name: String, status: String = "True",
    reason: String = ESOReason.secretSynced, timeout: Duration = .seconds(30)
) async throws -> Bool {
    try await eventually(timeout: timeout) {
        let condition = try await readyCondition(client, namespace, name)
        return condition?.status == status && condition?.reason == reason
    }
}

/// Every Event message and reason recorded in `namespace`.
func eventTexts(_ client: KubeClient, _ namespace: String) async throws -> [String] {
    try await client.api(CoreEvent.self, namespace: namespace).list().items.map {
        "\($0.reason ?? "") \($0.message ?? "")"
    }
}

func string(_ data: Data?) -> String? { data.map { String(decoding: $0, as: UTF8.self) } }

/// The operator's /metrics text, from the port its log reports.
func scrapeMetrics(_ process: TestProcess) async throws -> String {
    let line = try #require(process.log.split(separator: "\n").first { $0.contains("metrics listening") })
    let port = try #require(line.firstMatch(of: /port=(\d+)/)?.1)
    let transport = try AsyncHTTPClientTransport()
    do {
        let response = try await transport.send(
            HTTPRequest(method: .GET, url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(10))
        try await transport.shutdown()
        return String(decoding: response.body, as: UTF8.self)
    } catch {
        try? await transport.shutdown()
        throw error
    }
}
