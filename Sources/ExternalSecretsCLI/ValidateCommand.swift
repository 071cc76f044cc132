import ArgumentParser
import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import KubeModel

/// `external-secrets validate`: checks manifests offline, for CI pipelines.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check manifests against the CRD schemas and the rules the operator applies, without a cluster.",
        discussion: """
            Every object of the groups external-secrets.io and generators.external-secrets.io is checked against the \
            CRD schema this operator installs (types, required fields, enums, patterns, unknown fields) and then \
            against the rules ESO's admission webhook and CEL rules apply (policy combinations, dataFrom sources, \
            refused Secret types, store provider settings). KES's kubernetes-client.io/v1 ExternalSecret is checked \
            against its CRD schema and the KES controller's checks (the operator's environment, AWS_REGION, VAULT_ADDR, \
            DEFAULT_VAULT_ROLE, is taken as set). Objects of other groups are skipped. Exit status: 0 when \
            every object is valid, 1 when any object is invalid or a file cannot be read.
            """)

    @Option(name: .customShort("f"), help: "A file, a directory (its .yaml, .yml and .json files, recursively) or - for standard input; repeatable.")
    var filenames: [String] = []

    @Option(name: .customShort("o"), help: "Output format: text or json.")
    var output = "text"

    func validate() throws {
        guard !filenames.isEmpty else { throw ValidationError("give the manifests with -f FILE|DIR|-") }
        guard ["text", "json"].contains(output) else { throw ValidationError("-o must be text or json") }
    }

    func run() throws {
        let validator = ManifestValidator(registry: OfflineProviders.registry)
        var reports: [ManifestObjectReport] = []
        var skipped = 0
        for path in filenames {
            let files: [String]
            do {
                files = try ManifestFiles.files(at: path)
            } catch let error as ManifestFileError {
                reports.append(Self.fileReport(error))
                continue
            }
            for file in files {
                let documents: [ManifestDocument]
                do {
                    documents = try ManifestFiles.parse(try ManifestFiles.contents(of: file), source: file)
                } catch let error as ManifestFileError {
                    reports.append(Self.fileReport(error))
                    continue
                }
                for document in documents {
                    guard let problems = validator.validate(document.object) else {
                        skipped += 1
                        continue
                    }
                    let object = document.object
                    reports.append(
                        ManifestObjectReport(
                            source: document.source, document: document.document,
                            apiVersion: object["apiVersion"]?.stringValue ?? "", kind: object["kind"]?.stringValue ?? "",
                            namespace: object["metadata"]?["namespace"]?.stringValue,
                            name: object["metadata"]?["name"]?.stringValue ?? "", problems: problems))
                }
            }
        }
        let invalid = reports.filter { !$0.isValid }.count
        if output == "json" {
            print(try Self.json(reports: reports, skipped: skipped))
        } else {
            for report in reports {
                let subject = report.kind.isEmpty ? report.source : "\(report.source): \(report.objectName)"
                if report.isValid {
                    print("\(subject): valid")
                } else {
                    for problem in report.problems { print("\(subject): \(problem)") }
                }
            }
            let objects = reports.filter { !$0.kind.isEmpty }.count
            print("\(objects) object\(objects == 1 ? "" : "s") checked, \(invalid) invalid, \(skipped) of other kinds skipped")
        }
        if invalid > 0 { throw ExitCode(1) }
    }

    /// A file that cannot be read or parsed, reported like an invalid object (kind empty).
    static func fileReport(_ error: ManifestFileError) -> ManifestObjectReport {
        ManifestObjectReport(
            source: error.source, document: 0, apiVersion: "", kind: "", namespace: nil, name: "",
            problems: [ManifestProblem(field: "", message: error.reason)])
    }

    /// `{"valid": bool, "skipped": n, "objects": [...]}` with sorted keys (stable for tools and tests).
    static func json(reports: [ManifestObjectReport], skipped: Int) throws -> String {
        struct Output: Encodable {
            var valid: Bool
            var skipped: Int
            var objects: [ManifestObjectReport]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let output = Output(valid: reports.allSatisfy(\.isValid), skipped: skipped, objects: reports)
        return String(decoding: try encoder.encode(output), as: UTF8.self)
    }
}

/// `external-secrets explain`: field documentation from the CRDs, offline.
struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the documentation of a kind or field, from the CRDs this operator installs (like kubectl explain).",
        discussion: "Examples: explain externalsecret; explain es.spec.data.remoteRef; explain secretstore.spec.provider.vault.auth")

    @Argument(help: "KIND[.field[.field...]]: a kind by name, plural, singular or short name.")
    var path: String

    func run() throws {
        do {
            print(try SchemaExplainer.explain(path), terminator: "")
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
