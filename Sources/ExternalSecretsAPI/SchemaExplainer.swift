public import KubeModel
import Foundation

/// `kubectl explain` for this operator's kinds, offline: the documentation of a kind or one of its
/// fields, read from the CRDs the operator generates (the same words the API server serves).
///
/// A path is `KIND[.field[.field...]]`: the kind by name, plural, singular or short name, any
/// case (`externalsecret`, `es`, `ExternalSecrets`); list items are entered by the list's name
/// (`es.spec.data.remoteRef`), map values by the map's name.
public enum SchemaExplainer {
    /// The CRD of a kind as a user may write it; nil when no CRD has that name.
    public static func definition(
        named name: String, in definitions: [CustomResourceDefinition] = ExternalSecretsCRDs.all
    ) -> CustomResourceDefinition? {
        let wanted = name.lowercased()
        return definitions.first { crd in
            let names = crd.spec.names
            return ([names.kind, names.plural, names.singular ?? ""] + (names.shortNames ?? [])).contains {
                $0.lowercased() == wanted
            } || "\(names.plural).\(crd.spec.group)" == wanted
        }
    }

    /// The schema of the stored version of `crd`.
    static func schema(of crd: CustomResourceDefinition) -> (version: String, schema: JSONValue)? {
        guard let version = crd.spec.versions.first(where: { $0.storage }) ?? crd.spec.versions.first,
            let schema = version.schema?.openAPIV3Schema
        else { return nil }
        return (version.name, schema)
    }

    /// The explanation of `path`, as `kubectl explain` prints it.
    public static func explain(
        _ path: String, in definitions: [CustomResourceDefinition] = ExternalSecretsCRDs.all
    ) throws(ExplainError) -> String {
        let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let kindName = parts.first, !kindName.isEmpty else { throw ExplainError("give a kind, such as externalsecret") }
        guard let crd = definition(named: kindName, in: definitions), let (version, root) = schema(of: crd) else {
            let kinds = definitions.map(\.spec.names.kind).joined(separator: ", ")
            throw ExplainError("unknown kind \"\(kindName)\"; this operator serves \(kinds)")
        }
        var node = root
        var walked: [String] = []
        var required = false
        for field in parts.dropFirst() {
            let container = elements(of: node)
            guard let child = container["properties"]?[field] else {
                let known = (container["properties"]?.objectValue?.keys.sorted() ?? []).joined(separator: ", ")
                let at = walked.isEmpty ? crd.spec.names.kind : walked.joined(separator: ".")
                throw ExplainError(
                    "field \"\(field)\" does not exist in \(at)" + (known.isEmpty ? "" : "; its fields: \(known)"))
            }
            required = container["required"]?.arrayValue?.contains(.string(field)) ?? false
            node = child
            walked.append(field)
        }

        var out = "KIND:     \(crd.spec.names.kind)\nVERSION:  \(crd.spec.group)/\(version)\n\n"
        if walked.isEmpty {
            out += "DESCRIPTION:\n\(indent(description(of: node, fallback: "\(crd.spec.names.kind) (\(crd.spec.scope))"), by: 5))\n"
        } else {
            out += "FIELD:    \(walked.last!) <\(typeName(node))>\(required ? " -required-" : "")\n\n"
            let fallback = walked == ["metadata"] ? metadataDescription : "<empty>"
            out += "DESCRIPTION:\n\(indent(description(of: node, fallback: fallback), by: 5))\n"
            let facts = constraints(of: node)
            if !facts.isEmpty { out += "\n" + facts.map { indent($0, by: 5) }.joined(separator: "\n") + "\n" }
        }
        let fields = elements(of: node)
        if let properties = fields["properties"]?.objectValue, !properties.isEmpty {
            let requiredFields = Set(fields["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            out += "\nFIELDS:\n"
            for name in properties.keys.sorted() {
                let property = properties[name]!
                out += "   \(name)\t<\(typeName(property))>\(requiredFields.contains(name) ? " -required-" : "")\n"
                let fallback = walked.isEmpty && name == "metadata" ? metadataDescription : "<empty>"
                out += indent(description(of: property, fallback: fallback), by: 5) + "\n"
                let facts = constraints(of: property)
                if !facts.isEmpty { out += facts.map { indent($0, by: 5) }.joined(separator: "\n") + "\n" }
                out += "\n"
            }
        }
        return out
    }

    /// The node whose properties a path continues into: a list's items, a map's values.
    private static func elements(of node: JSONValue) -> JSONValue {
        if let items = node["items"] { return elements(of: items) }
        if node["properties"] == nil, let values = node["additionalProperties"], values.objectValue != nil {
            return elements(of: values)
        }
        return node
    }

    /// kubectl's type words: `Object`, `[]Object`, `map[string]string`, `string`, ...
    static func typeName(_ node: JSONValue) -> String {
        if node["x-kubernetes-int-or-string"] == .bool(true) { return "IntOrString" }
        switch node["type"]?.stringValue {
        case "array": return "[]" + typeName(node["items"] ?? .object([:]))
        case "object":
            if node["properties"] == nil, let values = node["additionalProperties"], values.objectValue != nil {
                return "map[string]\(typeName(values))"
            }
            return "Object"
        case let type?: return type
        case nil: return node["x-kubernetes-preserve-unknown-fields"] == .bool(true) ? "Object" : "<any>"
        }
    }

    private static func description(of node: JSONValue, fallback: String) -> String {
        let text = node["description"]?.stringValue ?? ""
        return text.isEmpty ? fallback : text
    }

    /// What the CRD schema leaves undescribed because the API server defines it.
    static let metadataDescription =
        "Standard object metadata: name, namespace, labels, annotations, owner references (see kubectl explain pod.metadata)."

    /// Defaults, allowed values and limits, one line each.
    private static func constraints(of node: JSONValue) -> [String] {
        var lines: [String] = []
        if let value = node["default"] { lines.append("Default: \(plain(value))") }
        if let allowed = node["enum"]?.arrayValue, !allowed.isEmpty {
            lines.append("Allowed values: \(allowed.map(plain).joined(separator: ", "))")
        }
        if let pattern = node["pattern"]?.stringValue { lines.append("Pattern: \(pattern)") }
        let limits: [(String, String)] = [
            ("minLength", "Minimum length"), ("maxLength", "Maximum length"), ("minItems", "Minimum items"),
            ("maxItems", "Maximum items"),
        ]
        for (key, words) in limits {
            if let value = node[key]?.integerValue { lines.append("\(words): \(value)") }
        }
        return lines
    }

    private static func plain(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return text
        case .integer(let number): return String(number)
        case .double(let number): return String(number)
        case .bool(let flag): return String(flag)
        case .null: return "null"
        case .array, .object:
            return (try? String(decoding: JSONValue.encodeSorted(value), as: UTF8.self)) ?? "…"
        }
    }

    /// Word-wraps `text` at 80 columns, every line indented by `width` spaces.
    static func indent(_ text: String, by width: Int) -> String {
        let pad = String(repeating: " ", count: width)
        var lines: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = ""
            for word in paragraph.split(separator: " ") {
                if !line.isEmpty && pad.count + line.count + 1 + word.count > 80 {
                    lines.append(pad + line)
                    line = ""
                }
                line += line.isEmpty ? String(word) : " " + word
            }
            lines.append(line.isEmpty ? "" : pad + line)
        }
        return lines.joined(separator: "\n")
    }
}

/// A path `explain` cannot follow, in words.
public struct ExplainError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension JSONValue {
    /// JSON text with sorted keys (stable output).
    static func encodeSorted(_ value: JSONValue) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }
}
