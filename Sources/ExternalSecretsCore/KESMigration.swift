public import ExternalSecretsAPI
import Foundation
public import KubeModel

/// `external-secrets migrate kes`: KES manifests converted to the ESO manifests that produce the
/// same Secrets (pure). Each KES ExternalSecret becomes a ClusterSecretStore (KES's backends used
/// the operator's own credentials for every namespace; one store per backend configuration,
/// printed once) and an `external-secrets.io/v1` ExternalSecret of the same name, with
/// `creationPolicy: Owner` and the poller interval as `refreshInterval`. A KES template becomes
/// an ESO template (`<%= data.x %>` → `{{ .x }}`, mergePolicy Merge, as KES merged it).
///
/// `ibmcloudSecretsManager` becomes an `ibm` store whose API key is a Secret reference (ESO has no
/// operator-wide key; see ``ibmMigration``), with ESO's key formats and properties where they give
/// KES's values.
///
/// Not carried over, each said in a comment: KES's namespace annotation guards (ESO has none; use
/// ClusterSecretStore `conditions`), IBM values whose KES shape ESO does not give, objects that
/// cannot be mapped, documents that are not KES ExternalSecrets (left out).
public enum KESMigration {
    /// One output document: comments, and the object (nil: only the comments).
    public struct Document: Sendable, Hashable {
        public var comments: [String]
        public var object: JSONValue?

        public init(comments: [String] = [], object: JSONValue? = nil) {
            self.comments = comments
            self.object = object
        }
    }

    public static func migrate(_ documents: [JSONValue], configuration: KESConfiguration) -> [Document] {
        var output: [Document] = []
        var storesPrinted: Set<String> = []
        for document in documents {
            guard document["apiVersion"]?.stringValue == KESAPIGroup.apiVersion,
                document["kind"]?.stringValue == "ExternalSecret"
            else { continue }
            let name = document["metadata"]?["name"]?.stringValue ?? ""
            let namespace = document["metadata"]?["namespace"]?.stringValue
            let label = namespace.map { "\($0)/\(name)" } ?? name
            let object: KESExternalSecret
            do {
                object = try JSONDecoder().decode(KESExternalSecret.self, from: JSONEncoder().encode(document))
            } catch {
                output.append(Document(comments: ["KES ExternalSecret \(label): not converted: it does not decode as KES's schema"]))
                continue
            }
            var mapped: KESMappedObject
            var ibmConfiguration = configuration
            // The operator's API key is not carried over (the store names a Secret instead).
            ibmConfiguration.ibm.apiKeySet = true
            do throws(KESMappingError) {
                mapped = try KESMapping.map(object, configuration: ibmConfiguration)
            } catch {
                output.append(Document(comments: ["KES ExternalSecret \(label): not converted: \(error.message)"]))
                continue
            }
            var comments = ["From KES ExternalSecret \(label)."]
            var storeComments = [
                "The KES \(object.spec.backendType?.rawValue ?? "") backend as configured by the operator's environment.",
                "KES used the operator's own credentials: so does this store (no auth block).",
            ]
            if object.spec.backendType == .ibmcloudSecretsManager {
                let migration = ibmMigration(
                    mapped, keyByName: object.spec.keyByName ?? false, configuration: configuration)
                mapped = migration.mapped
                storeComments =
                    ["The KES ibmcloudSecretsManager backend as configured by the operator's environment."]
                    + migration.storeComments
                comments += migration.comments
            }
            if storesPrinted.insert(mapped.storeName).inserted {
                let store = ClusterSecretStore(metadata: ObjectMeta(name: mapped.storeName), spec: mapped.store)
                output.append(Document(comments: storeComments, object: try? JSONValue(encoding: store)))
            }
            var externalSecret = mapped.externalSecret
            externalSecret.metadata.uid = nil
            externalSecret.metadata.labels = object.metadata.labels
            externalSecret.metadata.annotations = object.metadata.annotations
            if let template = mapped.template {
                externalSecret.spec.target?.template = esoTemplate(template, type: mapped.secretType)
            } else if let type = mapped.secretType {
                externalSecret.spec.target?.template = ExternalSecretTemplate(type: type, mergePolicy: .merge)
            }
            if mapped.roleArn != nil || !mapped.remoteKeys.isEmpty {
                comments.append(
                    "KES's namespace annotations \(KESNamespaceGuard.permittedRoleAnnotation) and \(KESNamespaceGuard.permittedKeyAnnotation) have no ESO equivalent; limit the store with its conditions instead.")
            }
            output.append(Document(comments: comments, object: try? JSONValue(encoding: externalSecret)))
        }
        return output
    }

    /// The Secret the migrated `ibm` stores read the operator's API key from (KES read it from
    /// `IBM_CLOUD_SECRETS_MANAGER_API_APIKEY`; ESO has no operator-wide key).
    public static let ibmAPIKeySecret = SecretKeySelector(
        name: "ibm-secrets-manager-api-key", key: "apikey", namespace: "external-secrets")

    /// An `ibmcloudSecretsManager` object in ESO's terms: the store in ESO's read mode, named
    /// without it, the operator's API key as ``ibmAPIKeySecret`` (a trusted profile carries over
    /// as is); remote keys in ESO's formats (`TYPE/ID`; by name `default/TYPE/NAME`, ESO needing
    /// the group KES did not); KES properties as ESO's where the values agree (``ibmESORef``), and
    /// a comment naming the Secret keys whose KES value ESO does not give.
    static func ibmMigration(_ mapped: KESMappedObject, keyByName: Bool, configuration: KESConfiguration) -> (
        mapped: KESMappedObject, storeComments: [String], comments: [String]
    ) {
        var mapped = mapped
        var storeComments: [String] = []
        var comments: [String] = []
        if var provider = mapped.store.provider.ibm {
            provider.readMode = .eso
            if provider.auth.secretRef == nil && provider.auth.containerAuth == nil {
                let settings = configuration.ibm
                provider.auth = IBMAuth(
                    secretRef: IBMAuthSecretRef(
                        secretApiKeySecretRef: ibmAPIKeySecret,
                        iamEndpoint: settings.authType == nil ? nil : settings.authURL))
                let secret = "\(ibmAPIKeySecret.namespace ?? "")/\(ibmAPIKeySecret.name ?? "")"
                storeComments.append(
                    """
                    KES used the operator's IBM_CLOUD_SECRETS_MANAGER_API_APIKEY: put that API key in the Secret \
                    \(secret) (key \(ibmAPIKeySecret.key ?? "")), or name another one here.
                    """)
            } else {
                storeComments.append("KES used the operator's trusted profile: so does this store.")
            }
            mapped.store.provider.ibm = provider
            mapped.storeName = "kes-ibmcloudsecretsmanager-\(KESMapping.hash(of: mapped.store))"
            mapped.externalSecret.spec.secretStoreRef = SecretStoreRef(
                name: mapped.storeName, kind: .clusterSecretStore)
        }
        var differing: [String] = []
        mapped.externalSecret.spec.data = mapped.externalSecret.spec.data?.map { entry in
            var entry = entry
            let (ref, agrees) = ibmESORef(entry.remoteRef, keyByName: keyByName)
            entry.remoteRef = ref
            if !agrees { differing.append(entry.secretKey) }
            return entry
        }
        if keyByName {
            comments.append(
                """
                keyByName: KES found each secret by name in any secret group; ESO's keys name the group: default \
                is assumed, change it where a secret is in another group.
                """)
        }
        if !differing.isEmpty {
            comments.append(
                """
                ESO's ibm provider does not give KES's value (the JSON of the secret's data, or a quoted API key) \
                for the keys \(differing.joined(separator: ", ")): change those entries (a property per field) or \
                the Secret's consumers.
                """)
        }
        return (mapped, storeComments, comments)
    }

    /// A KES-mode remote ref (`TYPE/KEY`, a lodash `property`) as ESO's ibm provider reads it, and
    /// whether ESO then gives the value KES gave: `arbitrary` with property `payload`; a field of
    /// `username_password` or a certificate named as its property; `kv` with `payload.PATH` (ESO's
    /// property `PATH`, plain dotted names only).
    static func ibmESORef(_ ref: ExternalSecretDataRemoteRef, keyByName: Bool) -> (ExternalSecretDataRemoteRef, Bool) {
        let parts = ref.key.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return (ref, false) }
        let (type, key) = (parts[0], parts[1])
        var result = ExternalSecretDataRemoteRef(
            key: keyByName ? "default/\(type)/\(key)" : "\(type)/\(key)", decodingStrategy: ref.decodingStrategy)
        let property = ref.property
        let fields: [String: [String]] = [
            "username_password": ["username", "password"],
            "imported_cert": ["certificate", "intermediate", "private_key"],
            "public_cert": ["certificate", "intermediate", "private_key"],
            "private_cert": ["certificate", "private_key", "issuing_ca"],
        ]
        switch type {
        case "arbitrary":
            return (result, property == "payload")
        case "kv":
            guard let property, property.hasPrefix("payload."),
                !property.contains("["), !property.dropFirst("payload.".count).isEmpty
            else {
                result.property = property
                return (result, false)
            }
            result.property = String(property.dropFirst("payload.".count))
            return (result, true)
        default:
            result.property = property
            guard let property, let names = fields[type] else { return (result, false) }
            return (result, names.contains(property))
        }
    }

    /// The ESO template equivalent to a KES template: the same metadata and type, `data` entries
    /// as Go templates reading the fetched keys, merged over the fetched data.
    public static func esoTemplate(_ template: KESTemplate, type: String?) -> ExternalSecretTemplate {
        var data: [String: String] = [:]
        for entry in template.entries {
            data[entry.key] = entry.segments.map { segment in
                switch segment {
                case .text(let text): text.replacingOccurrences(of: "{{", with: "{{ \"{{\" }}")
                case .value(let name): "{{ index . \(goQuoted(name)) }}"
                }
            }.joined()
        }
        let metadata =
            template.labels.isEmpty && template.annotations.isEmpty
            ? nil
            : ExternalSecretTemplateMetadata(
                annotations: template.annotations.isEmpty ? nil : template.annotations,
                labels: template.labels.isEmpty ? nil : template.labels)
        return ExternalSecretTemplate(
            type: template.type ?? type, engineVersion: "v2", metadata: metadata, mergePolicy: .merge,
            data: data.isEmpty ? nil : data)
    }

    /// A Go string literal of `text`.
    static func goQuoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    /// The documents as YAML, each preceded by its comments.
    public static func render(_ documents: [Document]) throws -> String {
        var text = ""
        for document in documents {
            for comment in document.comments { text += "# \(comment)\n" }
            if let object = document.object {
                text += try ManifestYAML.render([object])
            }
        }
        return text
    }
}
