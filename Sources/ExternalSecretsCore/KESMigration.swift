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
/// Not carried over, each said in a comment: KES's namespace annotation guards (ESO has none; use
/// ClusterSecretStore `conditions`), backends without a provider here, objects that cannot be
/// mapped, documents that are not KES ExternalSecrets (left out).
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
            let mapped: KESMappedObject
            do throws(KESMappingError) {
                mapped = try KESMapping.map(object, configuration: configuration)
            } catch {
                output.append(Document(comments: ["KES ExternalSecret \(label): not converted: \(error.message)"]))
                continue
            }
            if storesPrinted.insert(mapped.storeName).inserted {
                let store = ClusterSecretStore(metadata: ObjectMeta(name: mapped.storeName), spec: mapped.store)
                output.append(
                    Document(
                        comments: [
                            "The KES \(object.spec.backendType?.rawValue ?? "") backend as configured by the operator's environment.",
                            "KES used the operator's own credentials: so does this store (no auth block).",
                        ], object: try? JSONValue(encoding: store)))
            }
            var comments = ["From KES ExternalSecret \(label)."]
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
