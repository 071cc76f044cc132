public import ExternalSecretsAPI
public import Foundation
public import KubeModel
public import ProviderKit
import Synchronization

/// What `external-secrets render` produces for one ExternalSecret: the Secret the controller
/// would create (nil when it would write none), and notes for the person reading (entries skipped
/// because their remote secret is missing, a creation policy that writes nothing, ...).
public struct RenderOutcome: Sendable {
    public var secret: Secret?
    public var notes: [String]
}

/// Why an ExternalSecret cannot be rendered: the field at fault (`spec.data[2].remoteRef.property`;
/// empty when no single field is) and what is wrong. Never holds a value.
public struct RenderFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { field.isEmpty ? message : "\(field): \(message)" }
}

/// Renders ExternalSecrets without a cluster, through the controller's own steps: the checks of
/// ``ExternalSecretValidation``, the ``ExternalSecretFetcher`` (dataFrom then data, extract, find,
/// rewrite, key conversion, decoding, deletionPolicy's handling of missing secrets), the
/// ``SecretTemplateRenderer`` and the ``SecretWritePlanner``'s Secret — only the provider client
/// and the cluster reads differ: stores, and the ConfigMaps and Secrets templates read, are given.
///
/// Caveats: the target Secret is taken not to exist (a `creationPolicy: Merge` target is rendered
/// as an empty Secret receiving the keys); ClusterSecretStore `conditions` and store readiness are
/// not evaluated; generators are not supported (as in the controller).
public struct OfflineRenderer: Sendable {
    /// A store given to the renderer.
    public struct GivenStore: Sendable {
        public var kind: StoreKind
        public var name: String
        /// nil: the namespace of the ExternalSecret that uses it.
        public var namespace: String?
        public var spec: SecretStoreSpec

        public init(kind: StoreKind, name: String, namespace: String?, spec: SecretStoreSpec) {
            self.kind = kind
            self.name = name
            self.namespace = namespace
            self.spec = spec
        }
    }

    public var stores: [GivenStore]
    /// ConfigMaps and Secrets that `templateFrom` may read (only those in the ExternalSecret's
    /// namespace are visible to it, as in the controller).
    public var configMaps: [ConfigMap]
    public var secrets: [Secret]
    /// Makes the client that answers for a store (a values file, the store's own fake data).
    public var client: @Sendable (StoreContext) async throws -> any SecretsClient
    public var now: @Sendable () -> Date
    public var leftDelimiter = ""
    public var rightDelimiter = ""

    public init(
        stores: [GivenStore], configMaps: [ConfigMap] = [], secrets: [Secret] = [],
        now: @escaping @Sendable () -> Date = { Date() },
        client: @escaping @Sendable (StoreContext) async throws -> any SecretsClient
    ) {
        self.stores = stores
        self.configMaps = configMaps
        self.secrets = secrets
        self.now = now
        self.client = client
    }

    public func render(_ es: ExternalSecret) async throws(RenderFailure) -> RenderOutcome {
        var es = es
        let namespace = es.metadata.namespace ?? "default"
        es.metadata.namespace = namespace
        do {
            try ExternalSecretValidation.validate(es.spec)
        } catch {
            let problem = ManifestValidator.problem(error.message)
            throw RenderFailure(field: problem.field, message: problem.message)
        }
        let contexts = try resolveStores(of: es, namespace: namespace)
        let calls = FailedCall(es: es)
        let makeClient = client
        let fetcher = ExternalSecretFetcher(templateEnvironment: .eso(now: now)) { ref in
            let key = Self.storeKey(ref, defaultKind: .secretStore)
            guard let context = contexts[key] else { throw RenderFailure(field: "", message: "store \(key) was not given") }
            return FieldTrackingClient(underlying: try await makeClient(context), calls: calls)
        }

        var notes: [String] = []
        let fetched: FetchResult
        do {
            fetched = try await fetcher.fetch(es)
        } catch let failure as RenderFailure {
            throw failure
        } catch {
            let message = ExternalSecretReconciler<ContinuousClock>.describe(error)
            // Pipeline errors name their entry (`spec.data[1]: ...`); provider errors get the
            // field of the call that failed.
            let problem = ManifestValidator.problem(message)
            if !problem.field.isEmpty { throw RenderFailure(field: problem.field, message: problem.message) }
            throw RenderFailure(field: calls.field(for: error) ?? "", message: message)
        }
        notes += fetched.missing.map { ESOMessage.remoteSecretMissing($0) }

        var rendered: RenderedTarget?
        if let template = es.spec.target?.template {
            let renderer = SecretTemplateRenderer(
                limits: .budgeted(maxOutputBytes: 1 << 20, timeBudget: .seconds(2), clock: ContinuousClock()),
                leftDelimiter: leftDelimiter, rightDelimiter: rightDelimiter, environment: .eso(now: now))
            do {
                rendered = try renderer.render(template, data: fetched.data, sources: templateSources(of: template, namespace: namespace))
            } catch {
                let problem = ManifestValidator.problem(error.message)
                throw RenderFailure(field: problem.field.isEmpty ? "spec.target.template" : problem.field, message: problem.message)
            }
        }

        let creation = es.spec.target?.creationPolicy ?? .owner
        let targetName = SecretWritePlanner.targetName(of: es)
        // Offline the target is taken not to exist; a Merge target is shown as an empty Secret
        // receiving the keys.
        let existing = creation == .merge ? Secret(metadata: ObjectMeta(name: targetName, namespace: namespace)) : nil
        if creation == .merge { notes.append("creationPolicy Merge: these keys would be merged into the existing Secret \"\(targetName)\"") }
        let plan: SecretWritePlan
        do {
            plan = try SecretWritePlanner.plan(for: es, data: fetched.data, rendered: rendered, existing: existing)
        } catch {
            throw RenderFailure(field: "spec.target", message: error.message)
        }
        switch plan.write {
        case .create(let secret), .update(let secret):
            var secret = secret
            secret.apiVersion = "v1"
            secret.kind = "Secret"
            return RenderOutcome(secret: secret, notes: notes)
        case .delete, .none:
            return RenderOutcome(secret: nil, notes: notes + ["no Secret would be written: \(plan.message)"])
        }
    }

    /// A KES `kubernetes-client.io/v1` ExternalSecret rendered as the KES controller writes it:
    /// mapped by ``KESMapping`` (with `configuration`, KES's environment) onto its implicit store
    /// and an ESO ExternalSecret, fetched through the same pipeline, KES's template (or `type`)
    /// applied, and the Secret planned with the KES object as its owner. The implicit store's
    /// client comes from `client`; `stores` are not used. The namespace guards
    /// (``KESNamespaceGuard``) need the namespace's annotations and are the caller's.
    public func render(
        _ object: KESExternalSecret, configuration: KESConfiguration
    ) async throws(RenderFailure) -> RenderOutcome {
        var object = object
        let namespace = object.metadata.namespace ?? "default"
        object.metadata.namespace = namespace
        let mapped: KESMappedObject
        do throws(KESMappingError) {
            mapped = try KESMapping.map(object, configuration: configuration)
        } catch {
            throw RenderFailure(field: "", message: error.message)
        }
        let context = mapped.storeContext(callerNamespace: namespace)
        let calls = FailedCall(es: mapped.externalSecret)
        let makeClient = client
        let fetcher = ExternalSecretFetcher(templateEnvironment: .eso(now: now)) { _ in
            FieldTrackingClient(underlying: try await makeClient(context), calls: calls)
        }
        let fetched: FetchResult
        do {
            fetched = try await fetcher.fetch(mapped.externalSecret)
        } catch {
            // Fields are those of the ESO equivalent (`migrate kes` prints it).
            let message = ExternalSecretReconciler<ContinuousClock>.describe(error)
            throw RenderFailure(field: "", message: message)
        }
        let rendered: RenderedTarget
        if let template = mapped.template {
            do throws(KESTemplate.Problem) {
                rendered = try template.render(over: fetched.data, defaultType: mapped.secretType)
            } catch {
                throw RenderFailure(field: "spec.template", message: error.message)
            }
        } else {
            rendered = RenderedTarget(data: fetched.data, type: mapped.secretType)
        }
        let plan: SecretWritePlan
        do {
            plan = try SecretWritePlanner.plan(
                for: mapped.externalSecret, data: fetched.data, rendered: rendered, existing: nil, owner: mapped.owner)
        } catch {
            throw RenderFailure(field: "", message: error.message)
        }
        let notes = fetched.missing.map { ESOMessage.remoteSecretMissing($0) }
        switch plan.write {
        case .create(let secret), .update(let secret):
            var secret = secret
            secret.apiVersion = "v1"
            secret.kind = "Secret"
            return RenderOutcome(secret: secret, notes: notes)
        case .delete, .none:
            return RenderOutcome(secret: nil, notes: notes + ["no Secret would be written: \(plan.message)"])
        }
    }

    /// `SecretStore/name` or `ClusterSecretStore/name`.
    static func storeKey(_ ref: SecretStoreRef, defaultKind: StoreKind) -> String {
        "\((ref.kind ?? defaultKind).rawValue)/\(ref.name ?? "")"
    }

    /// The stores `es` reads from, each with the field that names it: `spec.secretStoreRef` (when
    /// an entry has no `sourceRef.storeRef` of its own), then each entry's `sourceRef.storeRef`.
    public static func storeReferences(of es: ExternalSecret) -> [(field: String, ref: SecretStoreRef)] {
        var references: [(field: String, ref: SecretStoreRef)] = []
        for (index, entry) in (es.spec.dataFrom ?? []).enumerated() {
            if let ref = entry.sourceRef?.storeRef { references.append(("spec.dataFrom[\(index)].sourceRef.storeRef", ref)) }
        }
        for (index, entry) in (es.spec.data ?? []).enumerated() {
            if let ref = entry.sourceRef?.storeRef { references.append(("spec.data[\(index)].sourceRef.storeRef", ref)) }
        }
        let usesDefault =
            (es.spec.dataFrom ?? []).contains { $0.sourceRef?.storeRef == nil }
            || (es.spec.data ?? []).contains { $0.sourceRef?.storeRef == nil }
        if usesDefault, let ref = es.spec.secretStoreRef { references.insert(("spec.secretStoreRef", ref), at: 0) }
        return references
    }

    /// Every store the ExternalSecret names, by `kind/name`; a store not given (or a SecretStore
    /// of another namespace) fails at the field that names it.
    private func resolveStores(of es: ExternalSecret, namespace: String) throws(RenderFailure) -> [String: StoreContext] {
        let references = Self.storeReferences(of: es)
        var contexts: [String: StoreContext] = [:]
        for (field, ref) in references {
            let kind = ref.kind ?? .secretStore
            let name = ref.name ?? ""
            let candidates = stores.filter { $0.kind == kind && $0.name == name }
            guard let store = candidates.first(where: { kind == .clusterSecretStore || ($0.namespace ?? namespace) == namespace })
            else {
                let elsewhere = candidates.compactMap(\.namespace).first
                throw RenderFailure(
                    field: field,
                    message: elsewhere.map { "\(kind.rawValue) \"\(name)\" is in namespace \"\($0)\", not \"\(namespace)\"" }
                        ?? "\(kind.rawValue) \"\(name)\" was not given (--store)")
            }
            contexts[Self.storeKey(ref, defaultKind: .secretStore)] = StoreContext(
                kind: kind, name: name, storeNamespace: kind == .clusterSecretStore ? nil : namespace,
                callerNamespace: namespace, uid: "offline/\(kind.rawValue)/\(name)", generation: 1, spec: store.spec)
        }
        return contexts
    }

    private func templateSources(of template: ExternalSecretTemplate, namespace: String) -> TemplateSources {
        var sources = TemplateSources()
        for entry in template.templateFrom ?? [] {
            if let name = entry.configMap?.name,
                let configMap = configMaps.first(where: { $0.metadata.name == name && ($0.metadata.namespace ?? namespace) == namespace })
            {
                sources.configMaps[name] = configMap.data ?? [:]
            }
            if let name = entry.secret?.name,
                let secret = secrets.first(where: { $0.metadata.name == name && ($0.metadata.namespace ?? namespace) == namespace })
            {
                sources.secrets[name] = secret.data ?? [:]
            }
        }
        return sources
    }
}

/// The field of the provider call that failed last, found by matching the call's reference with
/// the ExternalSecret's entries (the fetcher passes them on unchanged).
final class FailedCall: Sendable {
    private let es: ExternalSecret
    private let last = Mutex<(error: String, field: String)?>(nil)

    init(es: ExternalSecret) { self.es = es }

    func record(_ error: any Error, field: String) {
        last.withLock { $0 = ("\(error)", field) }
    }

    func field(for error: any Error) -> String? {
        last.withLock { $0?.error == "\(error)" ? $0?.field : nil }
    }

    /// `spec.data[i].remoteRef.<key or property>` for a `getSecret` of `ref`.
    func field(getSecret ref: ExternalSecretDataRemoteRef, error: any Error) -> String {
        let index = (es.spec.data ?? []).firstIndex { $0.remoteRef == ref }
        let entry = index.map { "spec.data[\($0)].remoteRef" } ?? "spec.data"
        return entry + Self.part(of: ref, error: error)
    }

    /// `spec.dataFrom[i].extract.<key or property>` for a `getSecretMap` of `ref`.
    func field(getSecretMap ref: ExternalSecretDataRemoteRef, error: any Error) -> String {
        let index = (es.spec.dataFrom ?? []).firstIndex { $0.extract == ref }
        let entry = index.map { "spec.dataFrom[\($0)].extract" } ?? "spec.dataFrom"
        return entry + Self.part(of: ref, error: error)
    }

    func field(getAllSecrets find: ExternalSecretFind) -> String {
        let index = (es.spec.dataFrom ?? []).firstIndex { $0.find == find }
        return index.map { "spec.dataFrom[\($0)].find" } ?? "spec.dataFrom"
    }

    /// `.property` when the error is about the property (its path is in the message), else `.key`.
    private static func part(of ref: ExternalSecretDataRemoteRef, error: any Error) -> String {
        if let property = ref.property, !property.isEmpty, "\(error)".contains(property) { return ".property" }
        if let version = ref.version, !version.isEmpty, "\(error)".contains("version") { return ".version" }
        return ".key"
    }
}

/// A client that notes the field of a failed call and rethrows the error unchanged (the fetcher
/// needs the provider's own error: a "not found" feeds deletionPolicy).
struct FieldTrackingClient: SecretsClient {
    let underlying: any SecretsClient
    let calls: FailedCall

    func getSecret(_ ref: ExternalSecretDataRemoteRef) async throws -> Data {
        do { return try await underlying.getSecret(ref) } catch {
            calls.record(error, field: calls.field(getSecret: ref, error: error))
            throw error
        }
    }

    func getSecretMap(_ ref: ExternalSecretDataRemoteRef) async throws -> SecretData {
        do { return try await underlying.getSecretMap(ref) } catch {
            calls.record(error, field: calls.field(getSecretMap: ref, error: error))
            throw error
        }
    }

    func getAllSecrets(_ find: ExternalSecretFind) async throws -> SecretData {
        do { return try await underlying.getAllSecrets(find) } catch {
            calls.record(error, field: calls.field(getAllSecrets: find))
            throw error
        }
    }

    func validate() async throws -> StoreValidationResult { try await underlying.validate() }

    func close() async { await underlying.close() }
}
