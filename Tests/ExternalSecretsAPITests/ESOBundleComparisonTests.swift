import ExternalSecretsAPI
import Foundation
import KubeModel
import Testing

/// ESO's CRD bundle (reference data outside this repository), read once.
enum ESOBundle {
    /// `ESO_CRD_BUNDLE`, else `<repo>/../shared/eso/crds/bundle.yaml`, else
    /// `/work/shared/eso/crds/bundle.yaml`: the first that exists.
    static let path: String? = {
        var repository = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { repository.deleteLastPathComponent() }
        let candidates: [String?] = [
            ProcessInfo.processInfo.environment["ESO_CRD_BUNDLE"],
            repository.deletingLastPathComponent().appendingPathComponent("shared/eso/crds/bundle.yaml").path,
            "/work/shared/eso/crds/bundle.yaml",
        ]
        return candidates.compactMap { $0 }.first { FileManager.default.fileExists(atPath: $0) }
    }()

    /// ESO's CRDs by kind.
    static let definitions: Result<[String: JSONValue], any Error> = Result {
        guard let path else { return [:] }
        let documents = try ManifestYAML.parse(String(contentsOfFile: path, encoding: .utf8))
        var byKind: [String: JSONValue] = [:]
        for document in documents where document["kind"] == "CustomResourceDefinition" {
            if let kind = document["spec"]?["names"]?["kind"]?.stringValue { byKind[kind] = document }
        }
        return byKind
    }

    static func definition(of kind: String) throws -> JSONValue {
        try #require(try definitions.get()[kind], "ESO's bundle has no CRD for \(kind)")
    }
}

/// Our CRDs accept what ESO's accept: every field of ESO's v1 ExternalSecret, SecretStore and
/// ClusterSecretStore exists here with the same type and the same constraints, defaults and enums;
/// names, scope and printer columns are the same. All differences are reported at once.
@Suite(.enabled(if: ESOBundle.path != nil, "ESO's CRD bundle not found: set ESO_CRD_BUNDLE to its bundle.yaml"))
struct ESOBundleComparisonTests {
    static let kinds = [
        "ExternalSecret", "SecretStore", "ClusterSecretStore", "PushSecret", "ClusterExternalSecret", "ClusterPushSecret",
    ] + generatorKinds

    /// The kinds of `generators.external-secrets.io` served here.
    static let generatorKinds = [
        "Password", "UUID", "SSHKey", "Fake", "MFA", "ECRAuthorizationToken", "STSSessionToken", "ClusterGenerator",
        "GeneratorState", "Webhook", "GithubAccessToken", "QuayAccessToken", "Grafana", "VaultDynamicSecret",
    ]

    /// The version each kind is served as.
    static func version(of kind: String) -> String {
        if generatorKinds.contains(kind) { return GeneratorsAPIGroup.version }
        return kind.hasSuffix("PushSecret") ? ExternalSecretsAPIGroup.alphaVersion : ExternalSecretsAPIGroup.version
    }

    static func ours(_ kind: String) throws -> JSONValue {
        let crd = try #require(ExternalSecretsCRDs.all.first { $0.spec.names.kind == kind })
        return try JSONValue(encoding: crd)
    }

    /// The version of `crd` this operator serves (v1, or v1alpha1 for PushSecret).
    static func v1(_ crd: JSONValue) throws -> JSONValue {
        let kind = crd["spec"]?["names"]?["kind"]?.stringValue ?? ""
        let version = version(of: kind)
        return try #require(
            crd["spec"]?["versions"]?.arrayValue?.first { $0["name"] == .string(version) }, "no \(version) version")
    }

    /// Schema keywords that decide what an object may contain, compared node by node.
    /// (Descriptions are ours; junctors are compared as a whole by `deliberateDifferences`.)
    static let comparedKeywords = [
        "type", "format", "enum", "default", "pattern", "minLength", "maxLength", "minItems", "maxItems",
        "minProperties", "maxProperties", "minimum", "maximum", "required", "nullable", "x-kubernetes-int-or-string",
        "x-kubernetes-preserve-unknown-fields", "x-kubernetes-map-type", "x-kubernetes-list-type",
        "x-kubernetes-list-map-keys", "x-kubernetes-validations",
    ]

    /// Where ours differs from ESO on purpose, by `path keyword`, with the reason.
    static let deliberateDifferences: [String: String] = [
        " required": "spec is required: ESO's webhook refuses objects without data/dataFrom or a provider",
        ".spec.dataFrom[].rewrite[].merge.into default": "Kubernetes 1.20 refuses default \"\" (reads it as null)",
        ".status.binding.name default": "Kubernetes 1.20 refuses default \"\" (reads it as null)",
        ".spec.dataTo[] x-kubernetes-validations":
            "Kubernetes 1.20 does not know CEL; the same rules are structural validations (allOf) here",
        ".spec.dataTo[].rewrite[] x-kubernetes-validations":
            "Kubernetes 1.20 does not know CEL; the same rule is a structural validation (oneOf) here",
        // The same differences where ClusterExternalSecret and ClusterPushSecret embed those specs.
        ".spec.externalSecretSpec.dataFrom[].rewrite[].merge.into default":
            "Kubernetes 1.20 refuses default \"\" (reads it as null)",
        ".spec.pushSecretSpec.dataTo[] x-kubernetes-validations":
            "Kubernetes 1.20 does not know CEL; the same rules are structural validations (allOf) here",
        ".spec.pushSecretSpec.dataTo[].rewrite[] x-kubernetes-validations":
            "Kubernetes 1.20 does not know CEL; the same rule is a structural validation (oneOf) here",
        ".spec.provider.aws.customSessionTags x-kubernetes-validations":
            "Kubernetes 1.20 refuses CEL rules under server-side apply; the controller refuses the reserved keys",
    ]

    @Test(arguments: kinds)
    func everyESOFieldExistsWithTheSameShape(kind: String) throws {
        let theirs = try Self.v1(ESOBundle.definition(of: kind))["schema"]?["openAPIV3Schema"] ?? [:]
        let ours = try Self.v1(Self.ours(kind))["schema"]?["openAPIV3Schema"] ?? [:]
        var problems: [String] = []
        Self.compare(theirs: theirs, ours: ours, path: "", problems: &problems)
        // ESO 2.0 dropped the alibaba provider from v1; it is served here with ESO 1.x's shape
        // (compared with the bundle's v1beta1 below).
        problems.removeAll { $0 == ".spec.provider.alibaba: not in ESO's schema" }
        #expect(problems.isEmpty, "\(kind) differs from ESO's v1 schema:\n\(problems.joined(separator: "\n"))")
    }

    /// `spec.provider.alibaba` has the shape ESO 1.x gave it (the bundle keeps it in v1beta1).
    @Test(arguments: ["SecretStore", "ClusterSecretStore"])
    func alibabaHasESO1xShape(kind: String) throws {
        let crd = try ESOBundle.definition(of: kind)
        let beta = try #require(crd["spec"]?["versions"]?.arrayValue?.first { $0["name"] == "v1beta1" })
        func alibaba(_ version: JSONValue) -> JSONValue? {
            version["schema"]?["openAPIV3Schema"]?["properties"]?["spec"]?["properties"]?["provider"]?["properties"]?[
                "alibaba"]
        }
        let theirs = try #require(alibaba(beta), "ESO's v1beta1 \(kind) has no alibaba block")
        let ours = try #require(alibaba(try Self.v1(Self.ours(kind))))
        var problems: [String] = []
        Self.compare(theirs: theirs, ours: ours, path: ".spec.provider.alibaba", problems: &problems)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    static func compare(
        theirs: JSONValue, ours: JSONValue, path: String, problems: inout [String],
        allowing allowed: [String: String] = deliberateDifferences
    ) {
        // Anything below a preserve-unknown-fields block of ours is accepted as written.
        if ours["x-kubernetes-preserve-unknown-fields"] == true && ours["properties"] == nil
            && theirs["x-kubernetes-preserve-unknown-fields"] != true
        {
            if theirs["type"] != ours["type"] {
                problems.append("\(path): type \(show(theirs["type"])) vs \(show(ours["type"]))")
            }
            return
        }
        for keyword in comparedKeywords where allowed["\(path) \(keyword)"] == nil {
            let (a, b) = (normalized(theirs[keyword], keyword), normalized(ours[keyword], keyword))
            if a != b { problems.append("\(path): \(keyword) ESO \(show(a)), ours \(show(b))") }
        }
        // ESO's only junctor here is int-or-string's anyOf; ours adds value validations, which
        // the integration tests exercise against the API server.
        if theirs["anyOf"] != nil && theirs["x-kubernetes-int-or-string"] == nil {
            problems.append("\(path): ESO has value validations (anyOf) this test does not compare")
        }
        for junctor in ["allOf", "oneOf", "not"] where theirs[junctor] != nil {
            problems.append("\(path): ESO has value validations (\(junctor)) this test does not compare")
        }
        let theirProperties = theirs["properties"]?.objectValue ?? [:]
        let ourProperties = ours["properties"]?.objectValue ?? [:]
        for name in Set(theirProperties.keys).union(ourProperties.keys).sorted() {
            switch (theirProperties[name], ourProperties[name]) {
            case (let a?, let b?):
                compare(theirs: a, ours: b, path: "\(path).\(name)", problems: &problems, allowing: allowed)
            case (_?, nil): problems.append("\(path).\(name): missing here")
            case (nil, _?): problems.append("\(path).\(name): not in ESO's schema")
            case (nil, nil): break
            }
        }
        for (member, suffix) in [("items", "[]"), ("additionalProperties", "{}")] {
            switch (theirs[member], ours[member]) {
            case (let a?, let b?):
                compare(theirs: a, ours: b, path: path + suffix, problems: &problems, allowing: allowed)
            case (_?, nil): problems.append("\(path)\(suffix): missing here")
            case (nil, _?): problems.append("\(path)\(suffix): not in ESO's schema")
            case (nil, nil): break
            }
        }
    }

    /// Sets are compared as sets (enum and required order carries no meaning).
    static func normalized(_ value: JSONValue?, _ keyword: String) -> JSONValue? {
        guard keyword == "enum" || keyword == "required", let elements = value?.arrayValue else { return value }
        return .array(elements.sorted { "\($0)" < "\($1)" })
    }

    static func show(_ value: JSONValue?) -> String {
        guard let value else { return "-" }
        return (try? String(decoding: KubeJSON.encoder.encode(value), as: UTF8.self)) ?? "\(value)"
    }

    /// Every allowed difference still is one (the list does not outlive its reasons).
    @Test func deliberateDifferencesAreStillDifferences() throws {
        var problems: [String] = []
        for kind in Self.kinds {
            let theirs = try Self.v1(ESOBundle.definition(of: kind))["schema"]?["openAPIV3Schema"] ?? [:]
            let ours = try Self.v1(Self.ours(kind))["schema"]?["openAPIV3Schema"] ?? [:]
            Self.compare(theirs: theirs, ours: ours, path: "", problems: &problems, allowing: [:])
        }
        for entry in Self.deliberateDifferences.keys.sorted() {
            let space = try #require(entry.lastIndex(of: " "))
            let prefix = "\(entry[..<space]): \(entry[entry.index(after: space)...]) "
            #expect(problems.contains { $0.hasPrefix(prefix) }, "\(entry) is no longer a difference")
        }
    }

    /// The comparison itself finds what it is meant to find (so a pass is not vacuous).
    @Test func comparisonReportsMissingFieldsAndChangedConstraints() throws {
        let theirs = try Self.v1(ESOBundle.definition(of: "ExternalSecret"))["schema"]?["openAPIV3Schema"] ?? [:]
        var ours = ExternalSecret.openAPISchema
        ours.properties["spec"]?.properties["target"]?.properties["immutable"] = nil
        ours.properties["spec"]?.properties["refreshInterval"]?.defaultValue = "1h"
        ours.properties["spec"]?.properties["target"]?.properties["creationPolicy"]?.allowedValues.removeLast()
        ours.properties["spec"]?.properties["extra"] = .string("x")
        var problems: [String] = []
        Self.compare(theirs: theirs, ours: ours.json, path: "", problems: &problems)
        #expect(
            problems == [
                #".spec.extra: not in ESO's schema"#,
                #".spec.refreshInterval: default ESO "1h0m0s", ours "1h""#,
                #".spec.target.creationPolicy: enum ESO ["CreateOrMerge","Merge","None","Orphan","Owner"], ours ["Merge","None","Orphan","Owner"]"#,
                ".spec.target.immutable: missing here",
            ])
    }

    @Test(arguments: kinds)
    func namesScopeColumnsAndLabelsMatch(kind: String) throws {
        let theirs = try ESOBundle.definition(of: kind)
        let ours = try Self.ours(kind)
        #expect(ours["metadata"]?["name"] == theirs["metadata"]?["name"])
        #expect(ours["metadata"]?["labels"] == theirs["metadata"]?["labels"])
        #expect(ours["spec"]?["group"] == theirs["spec"]?["group"])
        #expect(ours["spec"]?["names"] == theirs["spec"]?["names"])
        #expect(ours["spec"]?["scope"] == theirs["spec"]?["scope"])
        let (theirV1, ourV1) = (try Self.v1(theirs), try Self.v1(ours))
        #expect(ourV1["served"] == theirV1["served"] && ourV1["storage"] == theirV1["storage"])
        #expect(ourV1["subresources"] == theirV1["subresources"])
        #expect(ourV1["additionalPrinterColumns"] == theirV1["additionalPrinterColumns"])
    }

    /// ESO's other versions are neither served nor stored, so leaving them out serves the same API.
    @Test(arguments: kinds)
    func esoServesNoOtherVersion(kind: String) throws {
        let versions = try ESOBundle.definition(of: kind)["spec"]?["versions"]?.arrayValue ?? []
        let others = versions.filter { $0["name"] != .string(Self.version(of: kind)) }
        #expect(others.allSatisfy { $0["served"] == false && $0["storage"] == false })
    }
}
