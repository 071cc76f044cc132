import ArgumentParser
import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import KubeClient
import KubeModel
import Logging
import ProviderFake
import ProviderKit

/// `external-secrets render`: the Secret an ExternalSecret would produce, offline.
struct Render: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the Secret an ExternalSecret would produce, through the controller's own fetch pipeline, rewrites, decoding and templates (offline, or --live from the real provider).",
        discussion: """
            Provider values come from a values file (--values), or from the data of a fake store. The values file maps \
            remote keys to values, and optionally versions:

              secrets:
                db-password: hunter2                    # remote key -> value
                db: {user: app, password: hunter2}      # a structured value is stored as its JSON (property, extract)
              versions:
                db-password: {"1": old-password}        # remote key -> remoteRef.version -> value

            Values are read as ESO's fake provider reads them: remoteRef.property is a gjson path into a JSON value, \
            dataFrom.extract explodes a JSON object, dataFrom.find matches remote keys by name.regexp and path. \
            Values in the output are redacted unless --show-values. Errors name the field at fault; the exit status \
            is 1 when any ExternalSecret cannot be rendered.

            --live reads the values from the real provider instead: the stores come from the cluster (or from --store \
            files), and their credentials (Secrets, ServiceAccount tokens, CA bundles they refer to) are read from the \
            cluster with the kubeconfig's identity, through the same provider registry the controller uses. Nothing \
            is written to the cluster or the provider.

            KES objects (kubernetes-client.io/v1 ExternalSecret) are rendered as the KES controller (--enable-kes) writes \
            them: their backend configuration from KES's environment variables (AWS_REGION, VAULT_ADDR, ...), their \
            template applied; with --live the namespace's KES guards are read from the cluster and applied.
            """)

    @Option(name: .customShort("f"), help: "ExternalSecret manifests (ESO's or KES's; file, directory or -), with any ConfigMaps and Secrets their templates read; repeatable.")
    var filenames: [String] = []

    @Option(name: .customLong("store"), help: "SecretStore / ClusterSecretStore manifests (file or directory); repeatable.")
    var stores: [String] = []

    @Option(name: .customLong("values"), help: "The values file the stores answer from (see above).")
    var values: String?

    @Flag(name: .customLong("show-values"), help: "Print the Secret's data (base64, as in a Secret manifest) instead of redacting it.")
    var showValues = false

    @Option(name: .customShort("o"), help: "Output format: yaml or json.")
    var output = "yaml"

    @Option(help: "The namespace of objects that name none.")
    var namespace = "default"

    @Flag(help: "Read values from the real provider, with the store's credentials read from the cluster (see above).")
    var live = false

    @Option(help: "With --live: path to a kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then in-cluster).")
    var kubeconfig: String?

    @Option(help: "With --live: the kubeconfig context to use (default: its current context).")
    var context: String?

    @Option(
        name: .customLong("allowed-provider-endpoints"),
        help: "With --live: the controller's flag of the same name (hosts stores may send credentials to); a store it refuses is not used. Unset: anywhere.")
    var allowedProviderEndpoints: String?

    @Option(
        name: .customLong("service-account-token-audience"),
        help: "With --live: the controller's flag of the same name (audience of the ServiceAccount tokens requested for stores that name none). Unset: the API server's.")
    var serviceAccountTokenAudience: String?

    func validate() throws {
        guard !filenames.isEmpty else { throw ValidationError("give the ExternalSecret with -f FILE|DIR|-") }
        guard ["yaml", "json"].contains(output) else { throw ValidationError("-o must be yaml or json") }
        if live && values != nil { throw ValidationError("--live reads the real provider; it cannot be used with --values") }
        if !live && (kubeconfig != nil || context != nil || allowedProviderEndpoints != nil || serviceAccountTokenAudience != nil) {
            throw ValidationError(
                "--kubeconfig, --context, --allowed-provider-endpoints and --service-account-token-audience need --live")
        }
    }

    func run() async throws {
        let documents: [ManifestDocument]
        let storeDocuments: [ManifestDocument]
        let provided: [FakeProviderData]?
        do {
            documents = try ManifestFiles.read(filenames)
            storeDocuments = try ManifestFiles.read(stores)
            provided = try values.map { try RenderValues.read(ManifestFiles.contents(of: $0), source: $0) }
        } catch {
            Self.fail("\(error)")
        }

        var givenStores: [OfflineRenderer.GivenStore] = []
        var configMaps: [ConfigMap] = []
        var secrets: [Secret] = []
        var externalSecrets: [(ExternalSecret, ManifestDocument)] = []
        var kesObjects: [KESExternalSecret] = []
        for document in documents + storeDocuments {
            let kind = document.object["kind"]?.stringValue ?? ""
            let apiVersion = document.object["apiVersion"]?.stringValue ?? ""
            do {
                switch (apiVersion, kind) {
                case (ExternalSecretsAPIGroup.apiVersion, "ExternalSecret"):
                    externalSecrets.append((try document.object.decode(as: ExternalSecret.self), document))
                case (ExternalSecretsAPIGroup.apiVersion, "SecretStore"):
                    let store = try document.object.decode(as: SecretStore.self)
                    givenStores.append(
                        .init(kind: .secretStore, name: store.metadata.name ?? "", namespace: store.metadata.namespace, spec: store.spec))
                case (ExternalSecretsAPIGroup.apiVersion, "ClusterSecretStore"):
                    let store = try document.object.decode(as: ClusterSecretStore.self)
                    givenStores.append(.init(kind: .clusterSecretStore, name: store.metadata.name ?? "", namespace: nil, spec: store.spec))
                case (KESAPIGroup.apiVersion, "ExternalSecret"):
                    kesObjects.append(try document.object.decode(as: KESExternalSecret.self))
                case ("v1", "ConfigMap"): configMaps.append(try document.object.decode(as: ConfigMap.self))
                case ("v1", "Secret"): secrets.append(try document.object.decode(as: Secret.self))
                default:
                    Self.note("\(document.source): document \(document.document) (\(apiVersion) \(kind)) ignored")
                }
            } catch let error as DecodingError {
                let problem = ManifestValidator.problem(decoding: error)
                Self.fail("\(document.source): \(kind) (document \(document.document)): \(problem) (run external-secrets validate)")
            }
        }
        guard !externalSecrets.isEmpty || !kesObjects.isEmpty else {
            Self.fail(
                "no ExternalSecret (external-secrets.io/v1 or kubernetes-client.io/v1) in \(filenames.joined(separator: ", "))")
        }
        for index in externalSecrets.indices where (externalSecrets[index].0.metadata.namespace ?? "").isEmpty {
            externalSecrets[index].0.metadata.namespace = namespace
        }
        for index in kesObjects.indices where (kesObjects[index].metadata.namespace ?? "").isEmpty {
            kesObjects[index].metadata.namespace = namespace
        }
        var kesConfiguration = KESConfiguration()
        if !kesObjects.isEmpty {
            do {
                kesConfiguration = try KESConfiguration.fromProcessEnvironment(ProcessInfo.processInfo.environment)
            } catch {
                Self.fail("KES environment: \(error)")
            }
        }

        var liveSession: LiveProviders?
        var storeFailures: [Int: RenderFailure] = [:]
        if live {
            do {
                let configuration = try ClientConfigurationSource(kubeconfig: kubeconfig, context: context).load()
                liveSession = try LiveProviders(
                    configuration: configuration,
                    allowedProviderEndpoints: allowedProviderEndpoints.map(ProviderEndpointAllowList.init(parsing:)),
                    serviceAccountTokenAudience: serviceAccountTokenAudience.flatMap { $0.isEmpty ? nil : $0 })
            } catch {
                Self.fail("--live: cannot use the kubeconfig: \(error)")
            }
            if stores.isEmpty, let liveSession {
                // The stores as the cluster holds them, each read once.
                var read: Set<String> = []
                for (index, (es, _)) in externalSecrets.enumerated() {
                    do throws(RenderFailure) {
                        givenStores += try await liveSession.stores(of: es, skipping: &read)
                    } catch {
                        storeFailures[index] = error
                    }
                }
            }
        }

        let renderer = OfflineRenderer(stores: givenStores, configMaps: configMaps, secrets: secrets) { [liveSession] context in
            if let liveSession { return try await liveSession.client(for: context) }
            return try await Self.client(for: context, values: provided)
        }
        var rendered: [JSONValue] = []
        var failed = false
        for (index, (es, _)) in externalSecrets.enumerated() {
            let subject = "ExternalSecret \(es.metadata.namespace ?? "")/\(es.metadata.name ?? "")"
            if let failure = storeFailures[index] {
                FileHandle.standardError.write(Data("error: \(subject): \(failure)\n".utf8))
                failed = true
                continue
            }
            do {
                let outcome = try await renderer.render(es)
                for note in outcome.notes { Self.note("\(subject): \(note)") }
                if let secret = outcome.secret {
                    rendered.append(try Self.presentable(secret, showValues: showValues))
                }
            } catch {
                FileHandle.standardError.write(Data("error: \(subject): \(error)\n".utf8))
                failed = true
            }
        }
        for object in kesObjects {
            let subject = "ExternalSecret.kubernetes-client.io \(object.metadata.namespace ?? "")/\(object.metadata.name ?? "")"
            do {
                if let liveSession, let refusal = try await liveSession.kesGuardRefusal(object, configuration: kesConfiguration) {
                    throw RenderFailure(field: "", message: refusal)
                }
                let outcome = try await renderer.render(object, configuration: kesConfiguration)
                for note in outcome.notes { Self.note("\(subject): \(note)") }
                if let secret = outcome.secret {
                    rendered.append(try Self.presentable(secret, showValues: showValues))
                }
            } catch {
                FileHandle.standardError.write(Data("error: \(subject): \(error)\n".utf8))
                failed = true
            }
        }
        if output == "json" {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            let value: JSONValue = rendered.count == 1 ? rendered[0] : ["apiVersion": "v1", "kind": "List", "items": .array(rendered)]
            if !rendered.isEmpty { print(String(decoding: try encoder.encode(value), as: UTF8.self)) }
        } else if !rendered.isEmpty {
            print(try ManifestYAML.render(rendered), terminator: "")
        }
        await liveSession?.close()
        if failed { throw ExitCode(1) }
    }

    /// The client a store answers with: the values file, or the store's own fake data.
    static func client(for context: StoreContext, values: [FakeProviderData]?) async throws -> any SecretsClient {
        var context = context
        if let values {
            context.spec.provider = SecretStoreProvider(fake: FakeProvider(data: values))
        } else if context.spec.provider.fake == nil {
            let provider = context.spec.provider.configuredProviderNames.joined(separator: ", ")
            throw RenderFailure(
                field: "", message: "\(context.displayName) uses provider \(provider): give its values with --values, or read them with --live")
        }
        return try await FakeSecretsProvider().makeClient(for: context, references: NoReferences())
    }

    /// The Secret as JSON, with its values (and the hash of them) redacted unless asked for.
    static func presentable(_ secret: Secret, showValues: Bool) throws -> JSONValue {
        guard case .object(var object) = try JSONValue(encoding: secret) else { return try JSONValue(encoding: secret) }
        object["metadata"] = object["metadata"].map(Self.withoutEmptyFields)
        guard !showValues else { return .object(object) }
        if case .object(let data)? = object["data"] {
            object["data"] = .object(
                Dictionary(uniqueKeysWithValues: data.map { key, _ in (key, .string("<redacted: \(secret.data?[key]?.count ?? 0) bytes>")) }))
        }
        if case .object(var metadata)? = object["metadata"], case .object(var annotations)? = metadata["annotations"],
            annotations[ESONames.dataHashAnnotation] != nil
        {
            annotations[ESONames.dataHashAnnotation] = "<redacted>"
            metadata["annotations"] = .object(annotations)
            object["metadata"] = .object(metadata)
        }
        return .object(object)
    }

    private static func withoutEmptyFields(_ value: JSONValue) -> JSONValue {
        guard case .object(let members) = value else { return value }
        return .object(members.filter { $0.value != .null && $0.value != .object([:]) && $0.value != .array([]) })
    }

    static func note(_ text: String) {
        FileHandle.standardError.write(Data("note: \(text)\n".utf8))
    }

    static func fail(_ text: String) -> Never {
        FileHandle.standardError.write(Data("error: \(text)\n".utf8))
        Foundation.exit(1)
    }
}

/// `render --live`: the controller's provider registry, reference reader and credential policy
/// (`StoreCredentialPolicy`: endpoint allow-list, token audience) over a client of the
/// kubeconfig's cluster. Provider clients are made once per store and closed by ``close()``.
final class LiveProviders: Sendable {
    let kube: KubeClient
    let registry: ProviderRegistry
    private let clients = LiveClientCache()
    private let admission: (@Sendable (StoreContext) async throws -> Void)?
    private let serviceAccountTokenAudience: String?

    init(
        configuration: ClientConfiguration, allowedProviderEndpoints: ProviderEndpointAllowList? = nil,
        serviceAccountTokenAudience: String? = nil
    ) throws {
        let logger = Logger(label: "render-live")
        let clock = ContinuousClock()
        let kube = try KubeClient(configuration: configuration, logger: logger)
        self.kube = kube
        admission = allowedProviderEndpoints.map { StoreCredentialPolicy.endpointAdmission($0, client: kube) }
        self.serviceAccountTokenAudience = serviceAccountTokenAudience
        registry = ProviderSet.registry(
            localCluster: configuration, now: { Date() }, sleep: { try await clock.sleep(for: $0) }, clock: clock,
            logger: logger)
    }

    /// The stores `es` names, read from the cluster (those whose `kind/namespace/name` is in `read`
    /// are skipped, and the ones read are added to it). A store that does not exist or cannot be
    /// read fails at the field that names it.
    func stores(
        of es: ExternalSecret, skipping read: inout Set<String>
    ) async throws(RenderFailure) -> [OfflineRenderer.GivenStore] {
        let namespace = es.metadata.namespace ?? "default"
        var found: [OfflineRenderer.GivenStore] = []
        for (field, ref) in OfflineRenderer.storeReferences(of: es) {
            let kind = ref.kind ?? .secretStore
            let name = ref.name ?? ""
            let identity = kind == .clusterSecretStore ? "\(kind.rawValue)/\(name)" : "\(kind.rawValue)/\(namespace)/\(name)"
            guard !read.contains(identity) else { continue }
            let place = kind == .clusterSecretStore ? "the cluster" : "namespace \"\(namespace)\""
            do {
                switch kind {
                case .secretStore:
                    let store = try await kube.api(SecretStore.self, namespace: namespace).get(name)
                    found.append(.init(kind: kind, name: name, namespace: namespace, spec: store.spec))
                case .clusterSecretStore:
                    let store = try await kube.api(ClusterSecretStore.self).get(name)
                    found.append(.init(kind: kind, name: name, namespace: nil, spec: store.spec))
                }
            } catch let error as KubeAPIError where error.isNotFound {
                throw RenderFailure(field: field, message: "\(kind.rawValue) \"\(name)\" does not exist in \(place)")
            } catch {
                throw RenderFailure(field: field, message: "cannot read \(kind.rawValue) \"\(name)\" in \(place): \(error)")
            }
            read.insert(identity)
        }
        return found
    }

    /// The provider client of `context`, made as the controller makes it: the registry's provider
    /// for the store's spec, with references read from the cluster under ESO's namespace rules.
    func client(for context: StoreContext) async throws -> any SecretsClient {
        let key = "\(context.kind.rawValue)/\(context.storeNamespace ?? "")/\(context.name)/\(context.callerNamespace)"
        if let client = await clients.client(for: key) { return client }
        let provider = try registry.provider(for: context.spec)
        try await admission?(context)
        let client = try await provider.makeClient(
            for: context,
            references: StoreCredentialPolicy.referenceReader(
                for: context, client: kube, serviceAccountTokenAudience: serviceAccountTokenAudience))
        await clients.store(client, for: key)
        return client
    }

    /// Why the KES controller would refuse `object` in its namespace (the namespace's
    /// `iam.amazonaws.com/permitted` and permitted-key-name annotations, read from the cluster);
    /// nil when it would not.
    func kesGuardRefusal(_ object: KESExternalSecret, configuration: KESConfiguration) async throws -> String? {
        guard let mapped = try? KESMapping.map(object, configuration: configuration) else { return nil }
        let namespace = object.metadata.namespace ?? "default"
        let annotations = try await kube.api(Namespace.self).get(namespace).metadata.annotations ?? [:]
        return KESNamespaceGuard(namespaceAnnotations: annotations, enforce: configuration.enforceNamespaceAnnotations)
            .refusal(of: mapped, name: object.metadata.name ?? "", namespace: namespace)
    }

    /// Closes every provider client and the cluster client.
    func close() async {
        for client in await clients.all() { await client.close() }
        try? await kube.shutdown()
    }
}

/// The provider clients `render --live` made, by store and caller namespace.
actor LiveClientCache {
    private var clients: [String: any SecretsClient] = [:]

    func client(for key: String) -> (any SecretsClient)? { clients[key] }
    func store(_ client: any SecretsClient, for key: String) { clients[key] = client }
    func all() -> [any SecretsClient] { Array(clients.values) }
}

/// References to cluster objects cannot be read offline.
struct NoReferences: ReferenceReader {
    private func refuse(_ field: String) -> ProviderError {
        ProviderError.unsupported("\(field): cluster objects cannot be read offline")
    }
    func secretValue(_ selector: SecretKeySelector, field: String) async throws -> Data { throw refuse(field) }
    func caBundle(_ provider: CAProvider, field: String) async throws -> Data { throw refuse(field) }
    func serviceAccountToken(_ selector: ServiceAccountSelector, audiences: [String], field: String) async throws -> String {
        throw refuse(field)
    }
}

/// The values file of `render`: `secrets` (remote key → value) and `versions` (remote key →
/// version → value); structured values are stored as their JSON text.
enum RenderValues {
    static func read(_ text: String, source: String) throws -> [FakeProviderData] {
        let documents: [JSONValue]
        do {
            documents = try ManifestYAML.parse(text)
        } catch {
            throw ValuesFileError(description: "\(source): \(error)")
        }
        guard documents.count <= 1, case .object(let root)? = documents.first ?? .object([:]) else {
            throw ValuesFileError(description: "\(source): must be one mapping with the keys secrets and versions")
        }
        for key in root.keys where key != "secrets" && key != "versions" {
            throw ValuesFileError(description: "\(source): \(key): unknown key (the file has secrets and versions)")
        }
        var data: [FakeProviderData] = []
        if let secrets = root["secrets"] {
            guard case .object(let entries) = secrets else {
                throw ValuesFileError(description: "\(source): secrets must map remote keys to values")
            }
            for key in entries.keys.sorted() {
                data.append(FakeProviderData(key: key, value: try valueText(of: entries[key]!, at: "\(source): secrets.\(key)")))
            }
        }
        if let versions = root["versions"] {
            guard case .object(let entries) = versions else {
                throw ValuesFileError(description: "\(source): versions must map remote keys to versions")
            }
            for key in entries.keys.sorted() {
                guard case .object(let byVersion) = entries[key]! else {
                    throw ValuesFileError(description: "\(source): versions.\(key) must map versions to values")
                }
                for version in byVersion.keys.sorted() {
                    data.append(
                        FakeProviderData(
                            key: key, value: try valueText(of: byVersion[version]!, at: "\(source): versions.\(key).\(version)"),
                            version: version))
                }
            }
        }
        return data
    }

    /// A string as it is; numbers and booleans as written; mappings and lists as JSON (sorted keys).
    static func valueText(of value: JSONValue, at field: String) throws -> String {
        switch value {
        case .string(let text): return text
        case .integer(let number): return String(number)
        case .double(let number): return String(number)
        case .bool(let flag): return String(flag)
        case .null: throw ValuesFileError(description: "\(field): null is not a value")
        case .array, .object:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        }
    }
}

struct ValuesFileError: Error, CustomStringConvertible {
    var description: String
}
