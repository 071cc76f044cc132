public import KubeModel
import Yams

/// Multi-document YAML as kubectl reads and writes manifests, converted to and from `JSONValue`.
public enum ManifestYAML {
    /// Renders `documents` as YAML documents each starting with `---`: keys sorted, multi-line
    /// strings as literal blocks, strings that would read as another type quoted. The same input
    /// always gives the same text.
    public static func render(_ documents: [JSONValue]) throws -> String {
        try Yams.serialize(
            nodes: documents.map(node), indent: 2, width: -1, allowUnicode: true, explicitStart: true,
            sortKeys: true)
    }

    /// Renders Encodable objects (CRDs, typed manifests) as YAML documents, as `render(_:)` does.
    public static func render(objects: [some Encodable]) throws -> String {
        try render(objects.map { try JSONValue(encoding: $0) })
    }

    /// Parses every non-empty document of `text`. Scalars resolve as YAML 1.1 does for
    /// Kubernetes (`true`, `1`, `1.5`, `null`); timestamps and anything else stay strings.
    /// A syntax error is a `ManifestYAMLError` naming the line, column and problem, never the
    /// text around it (a manifest may hold secret values); an error in any document fails the
    /// whole text (Yams's sequence would otherwise just end there).
    public static func parse(_ text: String) throws -> [JSONValue] {
        var documents: [JSONValue] = []
        var nodes: [Node] = []
        do {
            var sequence = try Yams.compose_all(yaml: text)
            while let node = sequence.next() { nodes.append(node) }
            if let error = sequence.error { throw error }
        } catch let error as YamlError {
            switch error {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
                .composer(_, let problem, let mark, _):
                throw ManifestYAMLError(description: "line \(mark.line), column \(mark.column): \(problem)")
            default:
                throw ManifestYAMLError(description: "not valid YAML")
            }
        }
        for node in nodes {
            let value = try json(node)
            if value != .null { documents.append(value) }
        }
        return documents
    }

    // MARK: - Conversion

    private static func node(_ value: JSONValue) -> Node {
        switch value {
        case .null:
            return Node("null", Tag(.null))
        case .bool(let bool):
            return Node(bool ? "true" : "false", Tag(.bool))
        case .integer(let integer):
            return Node(String(integer), Tag(.int))
        case .double(let double):
            return Node(double.description, Tag(.float))
        case .string(let string):
            if string.contains("\n") && !string.hasSuffix(" ") && !string.contains(" \n") {
                return Node(string, Tag(.str), .literal)
            }
            return .scalar(string.represented())
        case .array(let elements):
            return .sequence(Node.Sequence(elements.map(node)))
        case .object(let members):
            let pairs = members.sorted { $0.key < $1.key }.map { (Node.scalar($0.key.represented()), node($0.value)) }
            return .mapping(Node.Mapping(pairs))
        }
    }

    private static func json(_ node: Node) throws -> JSONValue {
        switch node {
        case .scalar(let scalar):
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: return .null
            case .bool: return node.bool.map(JSONValue.bool) ?? .string(scalar.string)
            case .int: return node.int.map { .integer(Int64($0)) } ?? .string(scalar.string)
            case .float: return node.float.map(JSONValue.double) ?? .string(scalar.string)
            default: return .string(scalar.string)
            }
        case .sequence(let sequence):
            return .array(try sequence.map(json))
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard let name = key.string else {
                    throw ManifestYAMLError(description: "a mapping key is not a string")
                }
                members[name] = try json(value)
            }
            return .object(members)
        case .alias:
            throw ManifestYAMLError(description: "YAML aliases are not supported in manifests")
        }
    }
}

/// A manifest could not be read as YAML.
public struct ManifestYAMLError: Error, CustomStringConvertible {
    public var description: String
}
