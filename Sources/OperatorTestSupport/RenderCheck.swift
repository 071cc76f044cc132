import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
public import KubeClient
import KubeModel
public import KubeTestSupport
import ProcessTestSupport

/// What `external-secrets render --live` printed for one ExternalSecret, next to the Secret the
/// controller wrote. Descriptions name fields, never values.
public struct RenderComparison: Sendable, CustomStringConvertible {
    public var name: String
    /// The fields that differ (`data`, `data[key]`, `type`, `labels`, ...), or why the render failed.
    public var differences: [String]
    public var description: String { "\(name): \(differences.joined(separator: ", "))" }
}

/// The offline pipeline checked against the controller, for every case an operator suite leaves
/// behind: for each ExternalSecret of `namespace` that is Ready, `render --live` (stores and
/// credentials read from the cluster with `plane`'s admin kubeconfig, values from the real
/// provider) must print the Secret the controller wrote. Returns the ExternalSecrets where it did
/// not (empty when all agree); a disagreement is looked at again for up to `settle`, since the
/// controller may be refreshing a Secret while it is read.
///
/// Compared: `data`, `type`, labels, annotations, owner references and `immutable`; with
/// `creationPolicy` Merge or CreateOrMerge only that every rendered key is in the Secret with the
/// rendered value (the rest of that Secret is someone else's). Not compared, and not counted:
/// ExternalSecrets named in `skipping` (the caller says why, e.g. a template reading the clock),
/// ones with `creationPolicy: None` (no Secret) and ones using a generator (a new value each time).
/// `environment` reaches the render process (provider endpoints the operator also gets).
public func renderMismatches(
    _ plane: LocalControlPlane, _ client: KubeClient, namespace: String, environment: [String: String] = [:],
    skipping: Set<String> = [], settle: Duration = .seconds(15)
) async throws -> [RenderComparison] {
    var mismatches: [RenderComparison] = []
    let externalSecrets = try await client.api(ExternalSecret.self, namespace: namespace).list().items
    for listed in externalSecrets.sorted(by: { $0.metadata.name ?? "" < $1.metadata.name ?? "" }) {
        let name = listed.metadata.name ?? ""
        guard !skipping.contains(name), listed.spec.target?.creationPolicy != CreationPolicy.none,
            !usesGenerator(listed)
        else { continue }
        let deadline = ContinuousClock.now + settle
        while true {
            guard let es = try? await client.api(ExternalSecret.self, namespace: namespace).get(name),
                es.status?.conditions?.condition(ofType: ESONames.conditionReady)?.status == "True"
            else { break }
            let comparison = try await compareRender(plane, client, es, environment: environment)
            if comparison.differences.isEmpty { break }
            if ContinuousClock.now >= deadline {
                mismatches.append(comparison)
                break
            }
            try await Task.sleep(for: .milliseconds(500))
        }
    }
    return mismatches
}

private func usesGenerator(_ es: ExternalSecret) -> Bool {
    (es.spec.dataFrom ?? []).contains { $0.sourceRef?.generatorRef != nil }
}

private func compareRender(
    _ plane: LocalControlPlane, _ client: KubeClient, _ es: ExternalSecret, environment: [String: String]
) async throws -> RenderComparison {
    let name = es.metadata.name ?? ""
    let namespace = es.metadata.namespace ?? ""
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("render-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    try JSONEncoder().encode(es).write(to: directory.appendingPathComponent("es.json"))
    let run = try await ChildProcess.run(
        operatorPath,
        ["render", "--live", "--kubeconfig", plane.kubeconfigPath, "-f", "es.json", "--show-values", "-o", "json"],
        directory: directory.path, environment: environment)
    guard run.succeeded else {
        // The error names fields and keys, never values (the command's own contract).
        return RenderComparison(name: name, differences: ["render failed (\(run.status)): \(run.stderrText.suffix(600))"])
    }
    // No output: the render writes no Secret (e.g. every key deleted under deletionPolicy Delete).
    let rendered = run.stdout.isEmpty ? nil : try JSONDecoder().decode(Secret.self, from: run.stdout)
    let written = try await client.api(Secret.self, namespace: namespace).getIfExists(SecretWritePlanner.targetName(of: es))
    guard let rendered, let written else {
        if rendered == nil && written == nil { return RenderComparison(name: name, differences: []) }
        return RenderComparison(
            name: name, differences: [rendered == nil ? "the render writes no Secret" : "the controller's Secret is missing"])
    }

    var differences: [String] = []
    let renderedData = rendered.data ?? [:]
    let writtenData = written.data ?? [:]
    switch es.spec.target?.creationPolicy {
    case .merge?, .createOrMerge?:
        for (key, value) in renderedData where writtenData[key] != value { differences.append("data[\(key)]") }
    default:
        if renderedData != writtenData {
            let keys = Set(renderedData.keys).union(writtenData.keys).sorted()
            differences += keys.filter { renderedData[$0] != writtenData[$0] }.map { "data[\($0)]" }
        }
        if rendered.type != written.type { differences.append("type") }
        if rendered.metadata.labels != written.metadata.labels { differences.append("labels") }
        if rendered.metadata.annotations != written.metadata.annotations { differences.append("annotations") }
        if rendered.metadata.ownerReferences != written.metadata.ownerReferences { differences.append("ownerReferences") }
        if (rendered.immutable ?? false) != (written.immutable ?? false) { differences.append("immutable") }
    }
    return RenderComparison(name: name, differences: differences)
}

/// ``renderMismatches(_:_:namespace:environment:skipping:settle:)`` for KES objects: for each
/// `kubernetes-client.io/v1` ExternalSecret of `namespace` whose last sync succeeded,
/// `render --live` (KES's variables in `environment`, the namespace's guards read from the
/// cluster) must print the Secret the KES controller wrote (`data`, `type`, labels, owner
/// references, as the KES suites compare them). Returns the objects where it did not.
public func kesRenderMismatches(
    _ plane: LocalControlPlane, _ client: KubeClient, namespace: String, environment: [String: String] = [:],
    settle: Duration = .seconds(15)
) async throws -> [RenderComparison] {
    var mismatches: [RenderComparison] = []
    let objects = client.api(KESExternalSecret.self, namespace: namespace)
    for listed in try await objects.list().items.sorted(by: { $0.metadata.name ?? "" < $1.metadata.name ?? "" }) {
        let name = listed.metadata.name ?? ""
        let deadline = ContinuousClock.now + settle
        while true {
            guard let object = try? await objects.get(name), object.status?.status == KESRefresh.success else { break }
            let comparison = try await compareKESRender(plane, client, object, environment: environment)
            if comparison.differences.isEmpty { break }
            if ContinuousClock.now >= deadline {
                mismatches.append(comparison)
                break
            }
            try await Task.sleep(for: .milliseconds(500))
        }
    }
    return mismatches
}

private func compareKESRender(
    _ plane: LocalControlPlane, _ client: KubeClient, _ object: KESExternalSecret, environment: [String: String]
) async throws -> RenderComparison {
    let name = object.metadata.name ?? ""
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
        "render-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    try JSONEncoder().encode(object).write(to: directory.appendingPathComponent("kes.json"))
    let run = try await ChildProcess.run(
        operatorPath,
        ["render", "--live", "--kubeconfig", plane.kubeconfigPath, "-f", "kes.json", "--show-values", "-o", "json"],
        directory: directory.path, environment: environment)
    guard run.succeeded else {
        return RenderComparison(
            name: name, differences: ["render failed (\(run.status)): \(run.stderrText.suffix(600))"])
    }
    guard let rendered = try? JSONDecoder().decode(Secret.self, from: run.stdout) else {
        return RenderComparison(name: name, differences: ["the render printed no Secret"])
    }
    guard let written = try await client.api(Secret.self, namespace: object.metadata.namespace ?? "").getIfExists(name)
    else { return RenderComparison(name: name, differences: ["the controller's Secret is missing"]) }
    var differences: [String] = []
    let renderedData = rendered.data ?? [:]
    let writtenData = written.data ?? [:]
    differences += Set(renderedData.keys).union(writtenData.keys).sorted()
        .filter { renderedData[$0] != writtenData[$0] }.map { "data[\($0)]" }
    if rendered.type != written.type { differences.append("type") }
    if rendered.metadata.labels != written.metadata.labels { differences.append("labels") }
    if rendered.metadata.ownerReferences != written.metadata.ownerReferences { differences.append("ownerReferences") }
    return RenderComparison(name: name, differences: differences)
}
