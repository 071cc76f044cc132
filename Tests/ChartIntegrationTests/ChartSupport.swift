import ExternalSecretsAPI
import Foundation
import KubeModel
import KubeTestSupport
import ProcessTestSupport
import Testing

/// The chart under test and Helm's own library (PyPI helm-python-sdk) through `scripts/chart.py`.
enum Chart {
    static let root = LocalControlPlane.repositoryRoot
    static let directory = "\(root)/\(ExternalSecretsManifests.chartDirectory)"
    /// The Kubernetes version of the local control plane (what `helm install` would discover).
    static let kubeVersion = "v1.20.2"

    /// The values files the tests install: defaults, scoped mode, every option set.
    enum Values: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case defaults = "-"
        case scoped = "ci/scoped-values.yaml"
        case all = "ci/all-values.yaml"

        var path: String { self == .defaults ? "-" : "\(Chart.directory)/\(rawValue)" }
        var testDescription: String { self == .defaults ? "default values" : rawValue }
    }

    struct Rendered {
        var documents: [JSONValue]
        var notes: String

        func objects(kind: String) -> [JSONValue] { documents.filter { $0["kind"]?.stringValue == kind } }
        func object(kind: String) throws -> JSONValue { try #require(objects(kind: kind).first, "no \(kind)") }
    }

    /// `helm template` as `helm install --namespace external-secrets` does against the control plane;
    /// `apiVersions` are extra group/version/Kind the cluster is taken to serve.
    static func render(_ values: Values, apiVersions: [String] = []) async throws -> Rendered {
        try await render(valuesPath: values.path, apiVersions: apiVersions)
    }

    /// Renders with a values file written from `values` (JSON is YAML).
    static func render(_ values: JSONValue, apiVersions: [String] = []) async throws -> Rendered {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("values-\(UUID().uuidString).json")
        try JSONEncoder().encode(values).write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        return try await render(valuesPath: path.path, apiVersions: apiVersions)
    }

    private static func render(valuesPath: String, apiVersions: [String]) async throws -> Rendered {
        let (status, output) = try await python(
            ["render", directory, valuesPath, ExternalSecretsManifests.defaultNamespace, kubeVersion] + apiVersions)
        try #require(status == 0, "chart.py render failed:\n\(output)")
        let notes = output.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { $0.hasPrefix("# NOTES") }.map { $0.dropFirst(8) }.joined(separator: "\n")
        return Rendered(documents: try ManifestYAML.parse(output), notes: notes)
    }

    /// `helm lint --strict` with `values`; the report as text and whether it passed.
    static func lint(_ values: Values) async throws -> (passed: Bool, report: String) {
        let (status, output) = try await python(["lint", directory, values.path])
        return (status == 0, output)
    }

    /// `scripts/chart.py` with `arguments`: its exit status and what it printed (standard
    /// output, then standard error).
    static func python(_ arguments: [String]) async throws -> (Int32, String) {
        let run = try await ChildProcess.run("python3", ["\(root)/scripts/chart.py"] + arguments)
        return (run.status, run.stdoutText + run.stderrText)
    }
}

extension JSONValue {
    /// The members of an array, or none.
    var items: [JSONValue] { arrayValue ?? [] }
}
