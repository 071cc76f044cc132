public import ExternalSecretsAPI
import Foundation
public import KubeModel
public import ProviderKit

/// What `external-secrets validate` says about one object of a manifest.
public struct ManifestObjectReport: Sendable, Hashable, Codable {
    /// Where the object came from: a file path (`-` for standard input).
    public var source: String
    /// Its position among the documents of that file (1-based; items of a `List` count as
    /// documents).
    public var document: Int
    public var apiVersion: String
    public var kind: String
    public var namespace: String?
    public var name: String
    public var problems: [ManifestProblem]

    public init(
        source: String, document: Int, apiVersion: String, kind: String, namespace: String?, name: String,
        problems: [ManifestProblem]
    ) {
        self.source = source
        self.document = document
        self.apiVersion = apiVersion
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.problems = problems
    }

    public var isValid: Bool { problems.isEmpty }

    /// `ExternalSecret team-a/db` (or `ClusterSecretStore vault`); a KES object's kind carries its
    /// group, `ExternalSecret.kubernetes-client.io team-a/db`, as kubectl names it.
    public var objectName: String {
        let group = apiVersion.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
        let qualifiedKind = group == KESAPIGroup.group ? "\(kind).\(group)" : kind
        return "\(qualifiedKind) \(namespace.map { "\($0)/" } ?? "")\(name.isEmpty ? "<no name>" : name)"
    }
}

/// Checks manifests offline the way the API server and this operator would: against the CRD
/// schema the operator installs (``SchemaValidator``), then against the rules ESO's admission
/// webhook and CEL rules apply, which this operator checks in its controllers
/// (``ExternalSecretValidation``, ``PushSecretPlanner/validate(_:)``, each store provider's
/// `validateStore`, which does no I/O).
///
/// KES's `kubernetes-client.io/v1` ExternalSecret is checked against its CRD schema and then by
/// ``KESMapping`` (the checks the KES controller makes before any provider call). Checks that
/// depend on the operator's environment (`AWS_REGION`, `VAULT_ADDR`, `DEFAULT_VAULT_ROLE`) are
/// not made offline: the environment is taken to provide them.
///
/// Objects of other API groups are not this operator's: ``validate(_:)`` returns nil for them.
/// An `external-secrets.io` object of a kind or version this operator does not serve is a
/// problem (it would not be synced).
public struct ManifestValidator: Sendable {
    public var definitions: [CustomResourceDefinition]
    public var registry: ProviderRegistry

    public init(
        registry: ProviderRegistry,
        definitions: [CustomResourceDefinition] = ExternalSecretsCRDs.all + [ExternalSecretsCRDs.kesExternalSecret]
    ) {
        self.registry = registry
        self.definitions = definitions
    }

    /// The API groups whose objects are checked.
    public static let groups: Set<String> = [
        ExternalSecretsAPIGroup.group, "generators.external-secrets.io", KESAPIGroup.group,
    ]

    /// The KES environment assumed offline: every variable a backend may need is taken as set, so
    /// that only the objects' own fields are judged.
    static let assumedKESEnvironment: KESConfiguration = {
        var configuration = KESConfiguration(
            awsRegion: "assumed-offline", vaultAddress: "https://assumed-offline.invalid",
            defaultVaultRole: "assumed-offline", alicloudEndpoint: "https://kms.assumed-offline.aliyuncs.com")
        configuration.ibm = IBMSecretsManagerSettings(endpoint: "https://assumed-offline.invalid", apiKeySet: true)
        return configuration
    }()

    /// The problems of `object`, or nil when it is not one of this operator's API groups.
    public func validate(_ object: JSONValue) -> [ManifestProblem]? {
        let apiVersion = object["apiVersion"]?.stringValue ?? ""
        let kind = object["kind"]?.stringValue ?? ""
        let parts = apiVersion.split(separator: "/", maxSplits: 1).map(String.init)
        let group = parts.count == 2 ? parts[0] : ""
        guard Self.groups.contains(group) else { return nil }
        guard let crd = definitions.first(where: { $0.spec.group == group && $0.spec.names.kind == kind }) else {
            let served = definitions.filter { $0.spec.group == group }.map(\.spec.names.kind).joined(separator: ", ")
            return [ManifestProblem(field: "kind", message: "\(kind) is not served by this operator (it serves \(served))")]
        }
        let version = parts[1]
        guard let served = crd.spec.versions.first(where: { $0.name == version && $0.served }),
            let schema = served.schema?.openAPIV3Schema
        else {
            let versions = crd.spec.versions.filter(\.served).map { "\(group)/\($0.name)" }.joined(separator: ", ")
            return [ManifestProblem(field: "apiVersion", message: "\(apiVersion) is not served for \(kind); use \(versions)")]
        }
        let schemaProblems = SchemaValidator.validate(object, schema: schema)
        if schemaProblems.contains(where: { !$0.isCombinedRule }) { return schemaProblems }
        // The schema's field types hold, so the object decodes; the operator's own checks say in
        // words what the schema's combined rules (allOf / anyOf / not) say in logic, so those are
        // shown only when the operator's checks find nothing.
        let ruleProblems = group == KESAPIGroup.group ? kesRules(object) : rules(object, kind: kind, scope: crd.spec.scope)
        return ruleProblems.isEmpty ? schemaProblems : ruleProblems
    }

    private func rules(_ object: JSONValue, kind: String, scope: String) -> [ManifestProblem] {
        do {
            switch kind {
            case ExternalSecret.resource.kind:
                try ExternalSecretValidation.validate(try object.decode(as: ExternalSecret.self).spec)
            case PushSecret.resource.kind:
                try PushSecretPlanner.validate(try object.decode(as: PushSecret.self).spec)
            case SecretStore.resource.kind:
                let store = try object.decode(as: SecretStore.self)
                try validateStore(kind: .secretStore, metadata: store.metadata, spec: store.spec)
            case ClusterSecretStore.resource.kind:
                let store = try object.decode(as: ClusterSecretStore.self)
                try validateStore(kind: .clusterSecretStore, metadata: store.metadata, spec: store.spec)
            default:
                break
            }
        } catch let error as InvalidSpec {
            return [Self.problem(error.message)]
        } catch let error as ProviderError {
            return [Self.problem(error.message)]
        } catch let error as DecodingError {
            return [Self.problem(decoding: error)]
        } catch {
            return [ManifestProblem(field: "", message: "\(error)")]
        }
        return []
    }

    /// KES's checks, as the KES controller makes them before any provider call.
    private func kesRules(_ object: JSONValue) -> [ManifestProblem] {
        do {
            _ = try KESMapping.map(try object.decode(as: KESExternalSecret.self), configuration: Self.assumedKESEnvironment)
        } catch let error as KESMappingError {
            if error.message.hasPrefix("backendType ") {
                return [ManifestProblem(field: "spec.backendType", message: String(error.message.dropFirst("backendType ".count)))]
            }
            return [Self.problem(error.message)]
        } catch let error as DecodingError {
            return [Self.problem(decoding: error)]
        } catch {
            return [ManifestProblem(field: "", message: "\(error)")]
        }
        return []
    }

    private func validateStore(kind: StoreKind, metadata: ObjectMeta, spec: SecretStoreSpec) throws {
        let provider = try registry.provider(for: spec)
        try provider.validateStore(
            StoreContext(
                kind: kind, name: metadata.name ?? "", storeNamespace: metadata.namespace,
                callerNamespace: metadata.namespace ?? "default", uid: "", generation: 0, spec: spec))
    }

    /// A message of the operator's checks, its leading field path (`spec.data[0].sourceRef: ...`)
    /// made the problem's field.
    public static func problem(_ message: String) -> ManifestProblem {
        guard message.hasPrefix("spec.") || message.hasPrefix("metadata.") else {
            return ManifestProblem(field: "", message: message)
        }
        let end = message.firstIndex { $0 == " " || $0 == ":" } ?? message.endIndex
        var field = String(message[..<end])
        var rest = message[end...].drop { $0 == ":" || $0 == " " }
        if field.hasSuffix(",") {
            field.removeLast()
            rest = message[end...].drop { $0 == " " }
        }
        return ManifestProblem(field: field, message: String(rest))
    }

    /// A decoding failure, at the path the decoder reached (never the value).
    public static func problem(decoding error: DecodingError) -> ManifestProblem {
        let context: DecodingError.Context
        switch error {
        case .typeMismatch(_, let found), .valueNotFound(_, let found), .keyNotFound(_, let found),
            .dataCorrupted(let found):
            context = found
        @unknown default:
            return ManifestProblem(field: "", message: "cannot be read")
        }
        var path = ""
        for key in context.codingPath {
            if let index = key.intValue { path += "[\(index)]" } else { path += path.isEmpty ? key.stringValue : ".\(key.stringValue)" }
        }
        if case .keyNotFound(let key, _) = error {
            path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            return ManifestProblem(field: path, message: "required value")
        }
        return ManifestProblem(field: path, message: "has a type or value this operator cannot read")
    }
}
