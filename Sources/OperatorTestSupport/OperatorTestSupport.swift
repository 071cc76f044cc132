public import ExternalSecretsAPI
public import ExternalSecretsCore
public import Foundation
public import HTTPSupport
public import KubeClient
public import KubeModel
public import KubeTestSupport
import ProcessTestSupport
import Testing

// What every operator-level test suite does: run the `external-secrets` binary as a process
// against the suite's control plane, install the CRDs, and read conditions, Events and metrics.
// Used only by tests.

/// The `external-secrets` binary, built beside the test bundle by `swift build --build-tests`.
public let operatorPath: String = {
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var directory = bundle.deletingLastPathComponent()
    if directory.lastPathComponent.hasSuffix(".xctest") { directory.deleteLastPathComponent() }
    return directory.appendingPathComponent("external-secrets").path
}()

/// Installs this project's CRDs on the control plane (idempotent) and waits until they are served.
public func installCRDs(_ client: KubeClient) async throws {
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
        let externalSecrets = try? await client.api(ExternalSecret.self, namespace: "default").list()
        let pushSecrets = try? await client.api(PushSecret.self, namespace: "default").list()
        return externalSecrets != nil && pushSecrets != nil
    }
}

/// Installs KES's `kubernetes-client.io/v1` ExternalSecret CRD (idempotent) and waits until it
/// is served.
public func installKESCRD(_ client: KubeClient) async throws {
    let crds = client.api(CustomResourceDefinition.self)
    let crd = ExternalSecretsCRDs.kesExternalSecret
    do {
        _ = try await crds.create(crd)
    } catch let error as KubeAPIError where error.isAlreadyExists {}
    let served = try await eventually(timeout: .seconds(30)) {
        (try? await client.api(KESExternalSecret.self, namespace: "default").list()) != nil
    }
    #expect(served, "CRD \(crd.metadata.name ?? "") not served")
}

/// Who the operator runs as in a test.
public enum OperatorIdentity: Sendable, Equatable {
    /// The ServiceAccount the chart installs, with the chart's ClusterRole (every feature on) and
    /// leader-election Role, authenticated by a TokenRequest token: the default, so every
    /// operator test proves the chart grants enough.
    case chartServiceAccount
    /// The chart's ServiceAccount with `kes.enabled` (its KES rules added).
    case chartServiceAccountWithKES
    /// The control plane's administrator.
    case admin
}

/// The namespace of the operator's ServiceAccount in the tests (the chart's release namespace).
public let operatorNamespace = ExternalSecretsManifests.defaultNamespace

/// Creates `identity`'s ServiceAccount and RBAC from the install generator (the chart's rules; the
/// chart tests prove the chart renders the same) on `plane` and writes a kubeconfig holding a
/// TokenRequest token for it; returns its path (the plane's admin kubeconfig for `.admin`).
/// Through `scripts/service-account-kubeconfig.py`.
public func operatorKubeconfig(_ plane: LocalControlPlane, identity: OperatorIdentity) async throws -> String {
    guard identity != .admin else { return plane.kubeconfigPath }
    let kes =
        identity == .chartServiceAccountWithKES
        ? ExternalSecretsManifests.kesIdentity(namespace: operatorNamespace) : []
    return try await serviceAccountKubeconfig(
        plane, creating: ExternalSecretsManifests.identity(namespace: operatorNamespace) + kes,
        namespace: operatorNamespace,
        name: ExternalSecretsManifests.serviceAccountName)
}

/// Creates `objects` on `plane` as its admin (replacing RBAC objects that exist), then writes a
/// kubeconfig holding a TokenRequest token of ServiceAccount `namespace/name`; returns its path.
public func serviceAccountKubeconfig(
    _ plane: LocalControlPlane, creating objects: [JSONValue] = [], namespace: String, name: String
) async throws -> String {
    let id = UUID().uuidString.prefix(8)
    let objectsPath = "\(plane.directory)/identity-\(id).json"
    let kubeconfigPath = "\(plane.directory)/identity-\(id).kubeconfig"
    try JSONEncoder().encode(JSONValue.array(objects)).write(to: URL(fileURLWithPath: objectsPath))
    let run = try await ChildProcess.run(
        "python3",
        [
            "\(LocalControlPlane.repositoryRoot)/scripts/service-account-kubeconfig.py", plane.directory, objectsPath,
            namespace, name, kubeconfigPath,
        ])
    guard run.succeeded else {
        throw OperatorIdentityError(description: "service-account-kubeconfig.py failed: \(run.stderrText)")
    }
    return kubeconfigPath
}

/// The operator's identity could not be set up on the control plane.
public struct OperatorIdentityError: Error, CustomStringConvertible {
    public var description: String
}

/// Runs the operator as a process against `plane`, with its metrics and probes on free ports and
/// a debug log under the plane's directory (`name` is part of the log's file name). It runs as
/// `identity`: by default the chart's ServiceAccount, never as an administrator unless asked.
public func startOperator(
    _ plane: LocalControlPlane, name: String, arguments: [String] = [], environment: [String: String] = [:],
    identity: OperatorIdentity = .chartServiceAccount
) async throws -> TestProcess {
    let kubeconfig = try await operatorKubeconfig(plane, identity: identity)
    return try TestProcess(
        executable: operatorPath,
        arguments: [
            "controller", "--kubeconfig", kubeconfig, "--metrics-addr",
            "127.0.0.1:0", "--live-addr", "127.0.0.1:0", "--loglevel", "debug",
        ] + arguments,
        logPath: "\(plane.directory)/operator-\(name)-\(UUID().uuidString.prefix(6)).log",
        environment: environment)
}

/// Runs the operator (as `startOperator` does) while `body` runs, and stops it afterwards, also
/// when `body` throws. Returns the stopped process, whose log can still be read.
@discardableResult
public func runOperator(
    _ plane: LocalControlPlane, name: String, arguments: [String] = [], environment: [String: String] = [:],
    identity: OperatorIdentity = .chartServiceAccount, _ body: (TestProcess) async throws -> Void
) async throws -> TestProcess {
    let process = try await startOperator(
        plane, name: name, arguments: arguments, environment: environment, identity: identity)
    do {
        try await body(process)
        await process.stop()
    } catch {
        await process.stop()
        throw error
    }
    return process
}

/// Reads, changes and replaces an object, again from a fresh read when the operator wrote it in
/// between (409 Conflict): tests edit objects whose status the operator keeps writing.
public func update<Object: KubeResource>(
    _ api: ResourceAPI<Object>, _ name: String, _ change: (inout Object) -> Void
) async throws {
    for attempt in 1...10 {
        var object = try await api.get(name)
        change(&object)
        do {
            _ = try await api.replace(object)
            return
        } catch let error as KubeAPIError where error.isConflict && attempt < 10 {
            continue
        }
    }
}

/// The Ready condition of an ExternalSecret, read from the server.
public func readyCondition(_ client: KubeClient, _ namespace: String, _ name: String) async throws -> StatusCondition? {
    try await client.api(ExternalSecret.self, namespace: namespace).get(name).status?.conditions?
        .condition(ofType: ESONames.conditionReady)
}

/// Waits until the ExternalSecret's Ready condition has `status` and `reason`.
public func waitForReady(
    _ client: KubeClient, _ namespace: String, _ name: String, status: String = "True",
    reason: String = ESOReason.secretSynced, timeout: Duration = .seconds(60)
) async throws -> Bool {
    try await eventually(timeout: timeout) {
        let condition = try await readyCondition(client, namespace, name)
        return condition?.status == status && condition?.reason == reason
    }
}

/// Waits until the PushSecret's Ready condition has `status` (and, when given, a message
/// containing `message`).
public func waitForPushReady(
    _ client: KubeClient, _ namespace: String, _ name: String, status: String = "True", message: String? = nil,
    timeout: Duration = .seconds(60)
) async throws -> Bool {
    try await eventually(timeout: timeout) {
        let ps = try await client.api(PushSecret.self, namespace: namespace).get(name)
        let ready = ps.status?.conditions?.condition(ofType: ESONames.conditionReady)
        guard ready?.status == status else { return false }
        return message.map { ready?.message?.contains($0) == true } ?? true
    }
}

/// Every Event reason and message recorded in `namespace`.
public func eventTexts(_ client: KubeClient, _ namespace: String) async throws -> [String] {
    try await client.api(CoreEvent.self, namespace: namespace).list().items.map {
        "\($0.reason ?? "") \($0.message ?? "")"
    }
}

/// Bytes as text, for comparisons (never print a secret value).
public func string(_ data: Data?) -> String? { data.map { String(decoding: $0, as: UTF8.self) } }

/// The operator's /metrics text, from the port its log reports (waiting for the log line).
public func scrapeMetrics(_ process: TestProcess) async throws -> String {
    let response = try await get(process, "/metrics", listening: "metrics listening")
    return String(decoding: response.body, as: UTF8.self)
}

/// GET `path` from the operator's server whose log line `listening` ("metrics listening",
/// "probes listening") reports its port, waiting for that line.
public func get(_ process: TestProcess, _ path: String, listening: String) async throws -> HTTPResponse {
    let port = try await listeningPort(process, listening)
    let transport = try AsyncHTTPClientTransport()
    do {
        let response = try await transport.send(
            HTTPRequest(method: .GET, url: "http://127.0.0.1:\(port)\(path)"), timeout: .seconds(10))
        try await transport.shutdown()
        return response
    } catch {
        try? await transport.shutdown()
        throw error
    }
}

/// The port in the operator's log line containing `message`, in the text format (`port=8080`) or
/// the JSON one (`"port":"8080"`); waits for the line.
public func listeningPort(_ process: TestProcess, _ message: String) async throws -> Int {
    var port: Int?
    _ = try await eventually(timeout: .seconds(30)) {
        port = process.log.split(separator: "\n").first { $0.contains(message) }.flatMap { line in
            for marker in ["port=", "\"port\":\""] {
                if let range = line.range(of: marker) {
                    return Int(String(line[range.upperBound...].prefix { $0.isASCII && $0.isNumber }))
                }
            }
            return nil
        }
        return port != nil
    }
    return try #require(port, "no \"\(message)\" line in the operator's log")
}

/// Waits until ExternalSecret `namespace/name` has gone through `count` complete syncs (fetch
/// and write decision) that began after this call: the positive signal an assertion that
/// something did *not* change waits for, so that it cannot pass before the operator looked.
/// `externalsecret_sync_calls_total` counts a sync when it begins and one key's syncs never
/// overlap, so `count + 1` more begun syncs mean `count` finished ones. False on timeout.
public func waitForCompletedSyncs(
    _ process: TestProcess, namespace: String, name: String, count: Int = 1, timeout: Duration = .seconds(30)
) async throws -> Bool {
    let labels = ["namespace": namespace, "name": name]
    let baseline = metricSum(try await scrapeMetrics(process), "externalsecret_sync_calls_total", labels: labels)
    return try await eventually(timeout: timeout) {
        metricSum(try await scrapeMetrics(process), "externalsecret_sync_calls_total", labels: labels)
            >= baseline + Double(count + 1)
    }
}

/// Waits until controller `controller` has finished at least `count` reconciles (with `result`,
/// when given) as `controller_runtime_reconcile_total` reports them. False on timeout.
public func waitForReconciles(
    _ process: TestProcess, controller: String, result: String? = nil, atLeast count: Int = 1,
    timeout: Duration = .seconds(30)
) async throws -> Bool {
    var labels = ["controller": controller]
    labels["result"] = result
    return try await eventually(timeout: timeout) {
        metricSum(try await scrapeMetrics(process), "controller_runtime_reconcile_total", labels: labels)
            >= Double(count)
    }
}

/// The sum of the samples of metric `name` whose labels include `labels`, read from Prometheus
/// text (0 when there is none).
public func metricSum(_ text: String, _ name: String, labels: [String: String] = [:]) -> Double {
    var sum = 0.0
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
            continue
        }
        let series = line[..<space]
        let metric = series.prefix { $0 != "{" }
        guard metric == name else { continue }
        let found = prometheusLabels(series.dropFirst(metric.count))
        if labels.allSatisfy({ found[$0.key] == $0.value }) { sum += value }
    }
    return sum
}

/// Every sample of a Prometheus text exposition: metric name, labels (values as written) and
/// value.
public func prometheusSamples(_ text: String) -> [(name: String, labels: [String: String], value: Double)] {
    text.split(separator: "\n").compactMap { line in
        guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "),
            let value = Double(line[line.index(after: space)...])
        else { return nil }
        let series = line[..<space]
        let metric = series.prefix { $0 != "{" }
        return (String(metric), prometheusLabels(series.dropFirst(metric.count)), value)
    }
}

/// The labels of a Prometheus series (`{a="1",b="x\"y"}`), values as written (escapes kept).
func prometheusLabels(_ text: Substring) -> [String: String] {
    var found: [String: String] = [:]
    var rest = text.drop(while: { $0 == "{" })
    while let equals = rest.firstIndex(of: "=") {
        let name = rest[..<equals].trimmingPrefix(",")
        rest = rest[rest.index(after: equals)...]
        guard rest.first == "\"" else { break }
        rest = rest.dropFirst()
        var value = ""
        var escaped = false
        while let character = rest.popFirst(), escaped || character != "\"" {
            value.append(character)
            escaped = !escaped && character == "\\"
        }
        found[String(name)] = value
    }
    return found
}

/// Whether a wait status (from `TestProcess.waitForExit`) is a normal exit with status 0.
public func exitedCleanly(_ status: Int32?) -> Bool {
    guard let status else { return false }
    return (status & 0x7F) == 0 && ((status >> 8) & 0xFF) == 0
}
