public import KubeModel
import Foundation

/// One problem of a manifest: the field it concerns (`spec.data[2].remoteRef.key`; empty for the
/// object itself) and what is wrong, in words. Never contains a value of the manifest other than
/// enum-like words the schema allows (a manifest's strings may be secrets: `fake` stores, values).
public struct ManifestProblem: Sendable, Hashable, Codable, CustomStringConvertible {
    public var field: String
    public var message: String
    /// Whether the problem comes from a rule combining fields (a schema `allOf` / `anyOf` /
    /// `oneOf` / `not`); these restate rules the operator also checks with a friendlier message.
    public var isCombinedRule: Bool = false

    public init(field: String, message: String, isCombinedRule: Bool = false) {
        self.field = field
        self.message = message
        self.isCombinedRule = isCombinedRule
    }

    public var description: String { field.isEmpty ? message : "\(field): \(message)" }

    enum CodingKeys: String, CodingKey { case field, message }
}

/// Checks a manifest against a CRD's `openAPIV3Schema` (as JSON) the way the API server would,
/// without a server: types, required fields (a field with a default is not missing), enums,
/// patterns, lengths, item and property counts, int-or-string, nullable, `allOf` / `anyOf` /
/// `oneOf` / `not`. Unlike the server, which silently drops (prunes) fields its schema does not
/// declare, an unknown field is a problem here: a misspelt field is an ignored setting.
///
/// Caveats: `x-kubernetes-validations` (CEL) rules are not evaluated (the operator's own checks,
/// run after this one, cover ESO's); `metadata` is checked only for a name; formats are not
/// checked.
public enum SchemaValidator {
    /// The problems of `object` against `schema` (a CRD version's `openAPIV3Schema`).
    public static func validate(_ object: JSONValue, schema: JSONValue) -> [ManifestProblem] {
        var problems: [ManifestProblem] = []
        let name = object["metadata"]?["name"]?.stringValue ?? ""
        if name.isEmpty && (object["metadata"]?["generateName"]?.stringValue ?? "").isEmpty {
            problems.append(ManifestProblem(field: "metadata.name", message: "required value"))
        }
        var root = schema.objectValue ?? [:]
        // metadata is the API server's to check; here only its name (above).
        if var properties = root["properties"]?.objectValue {
            properties["metadata"] = .object(["type": "object", "x-kubernetes-preserve-unknown-fields": .bool(true)])
            root["properties"] = .object(properties)
        }
        check(object, .object(root), path: "", into: &problems)
        return problems
    }

    private static func join(_ path: String, _ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    /// Applies one schema node (a full node or a junctor's value validation) to `value`.
    static func check(_ value: JSONValue, _ schemaValue: JSONValue, path: String, into problems: inout [ManifestProblem]) {
        guard let schema = schemaValue.objectValue else { return }
        if value == .null {
            // The server drops null fields that are not nullable (they read as absent).
            return
        }
        if schema["x-kubernetes-int-or-string"] == .bool(true) {
            switch value {
            case .integer, .string: break
            default:
                problems.append(ManifestProblem(field: path, message: "must be an integer or a string, not \(kind(of: value))"))
                return
            }
        } else if let type = schema["type"]?.stringValue, !matches(value, type: type) {
            problems.append(ManifestProblem(field: path, message: "must be \(article(type)), not \(kind(of: value))"))
            return
        }

        if let allowed = schema["enum"]?.arrayValue, !allowed.isEmpty, !allowed.contains(value) {
            let words = allowed.compactMap(\.stringValue)
            let list = words.count == allowed.count ? words.joined(separator: ", ") : "the allowed values"
            problems.append(ManifestProblem(field: path, message: "must be one of: \(list)"))
        }
        if case .string(let text) = value {
            if let pattern = schema["pattern"]?.stringValue, !matches(text, pattern: pattern) {
                problems.append(ManifestProblem(field: path, message: "must match the pattern \(pattern)"))
            }
            let count = text.unicodeScalars.count
            if let min = schema["minLength"]?.integerValue, count < min {
                problems.append(ManifestProblem(field: path, message: "must be at least \(min) characters long"))
            }
            if let max = schema["maxLength"]?.integerValue, count > max {
                problems.append(ManifestProblem(field: path, message: "must be at most \(max) characters long"))
            }
        }
        if case .integer(let number) = value {
            if let min = schema["minimum"]?.integerValue, number < min {
                problems.append(ManifestProblem(field: path, message: "must be greater than or equal to \(min)"))
            }
            if let max = schema["maximum"]?.integerValue, number > max {
                problems.append(ManifestProblem(field: path, message: "must be less than or equal to \(max)"))
            }
        }
        if case .array(let items) = value {
            if let min = schema["minItems"]?.integerValue, items.count < min {
                problems.append(ManifestProblem(field: path, message: "must have at least \(min) items"))
            }
            if let max = schema["maxItems"]?.integerValue, items.count > max {
                problems.append(ManifestProblem(field: path, message: "must have at most \(max) items"))
            }
            if let itemSchema = schema["items"] {
                for (index, item) in items.enumerated() {
                    check(item, itemSchema, path: "\(path)[\(index)]", into: &problems)
                }
            }
        }
        if case .object(let members) = value {
            checkObject(members, schema: schema, path: path, into: &problems)
        }
        checkJunctors(value, schema: schema, path: path, into: &problems)
    }

    private static func checkObject(
        _ members: [String: JSONValue], schema: [String: JSONValue], path: String, into problems: inout [ManifestProblem]
    ) {
        let properties = schema["properties"]?.objectValue
        let present = members.filter { $0.value != .null }
        for name in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where present[name] == nil {
            // The server fills in a default before it checks required fields.
            if properties?[name]?["default"] == nil {
                problems.append(ManifestProblem(field: join(path, name), message: "required value"))
            }
        }
        if let min = schema["minProperties"]?.integerValue, present.count < min {
            problems.append(ManifestProblem(field: path, message: "must have at least \(min) fields"))
        }
        if let max = schema["maxProperties"]?.integerValue, present.count > max {
            problems.append(ManifestProblem(field: path, message: "must have at most \(max) fields"))
        }
        let preservesUnknown = schema["x-kubernetes-preserve-unknown-fields"] == .bool(true)
        let additional = schema["additionalProperties"]
        for name in members.keys.sorted() {
            let member = members[name]!
            let field = join(path, name)
            if let property = properties?[name] {
                check(member, property, path: field, into: &problems)
            } else if let additional, additional.objectValue != nil {
                check(member, additional, path: path.isEmpty ? name : "\(path)[\(quoted(name))]", into: &problems)
            } else if properties != nil && !preservesUnknown && schema["type"]?.stringValue == "object" {
                problems.append(ManifestProblem(field: field, message: "unknown field"))
            }
        }
    }

    /// `allOf` / `anyOf` / `oneOf` / `not`: value validations on the same node.
    private static func checkJunctors(
        _ value: JSONValue, schema: [String: JSONValue], path: String, into problems: inout [ManifestProblem]
    ) {
        func failures(_ branch: JSONValue) -> [ManifestProblem] {
            var found: [ManifestProblem] = []
            check(value, branch, path: path, into: &found)
            return found
        }
        for branch in schema["allOf"]?.arrayValue ?? [] {
            problems += failures(branch).map { combined($0) }
        }
        if let branches = schema["anyOf"]?.arrayValue, !branches.isEmpty,
            !branches.contains(where: { failures($0).isEmpty })
        {
            problems.append(
                ManifestProblem(
                    field: path, message: "must satisfy at least one of: \(branches.map(summary).joined(separator: "; "))",
                    isCombinedRule: true))
        }
        if let branches = schema["oneOf"]?.arrayValue, !branches.isEmpty,
            branches.filter({ failures($0).isEmpty }).count != 1
        {
            problems.append(
                ManifestProblem(
                    field: path, message: "must satisfy exactly one of: \(branches.map(summary).joined(separator: "; "))",
                    isCombinedRule: true))
        }
        if let negated = schema["not"], failures(negated).isEmpty {
            problems.append(ManifestProblem(field: path, message: "not allowed: \(summary(negated))", isCombinedRule: true))
        }
    }

    private static func combined(_ problem: ManifestProblem) -> ManifestProblem {
        ManifestProblem(field: problem.field, message: problem.message, isCombinedRule: true)
    }

    /// A value validation in words: `extract is set`, `deletionPolicy is Delete and creationPolicy is one of Merge, None`.
    static func summary(_ validation: JSONValue) -> String {
        guard let node = validation.objectValue else { return "a rule" }
        var parts: [String] = []
        let constrained = Set((node["properties"]?.objectValue ?? [:]).filter { $0.value["enum"] != nil }.keys)
        // "x is set" says nothing more when x must also have one of some values.
        for name in node["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where !constrained.contains(name) {
            parts.append("\(name) is set")
        }
        if let allowed = node["enum"]?.arrayValue {
            let words = allowed.map { $0.stringValue ?? "\($0)" }
            parts.append(words.count == 1 ? "the value is \(words[0])" : "the value is one of \(words.joined(separator: ", "))")
        }
        for (name, property) in (node["properties"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            if let allowed = property["enum"]?.arrayValue {
                let words = allowed.map { $0.stringValue ?? "\($0)" }
                parts.append(words.count == 1 ? "\(name) is \(words[0])" : "\(name) is one of \(words.joined(separator: ", "))")
            } else {
                parts.append("\(name): \(summary(property))")
            }
        }
        if let pattern = node["pattern"]?.stringValue { parts.append("the value matches \(pattern)") }
        for key in ["anyOf", "allOf", "oneOf"] {
            if let branches = node[key]?.arrayValue {
                let joiner = key == "allOf" ? " and " : " or "
                parts.append("(" + branches.map(summary).joined(separator: joiner) + ")")
            }
        }
        if let negated = node["not"] { parts.append("not (\(summary(negated)))") }
        return parts.isEmpty ? "a rule" : parts.joined(separator: " and ")
    }

    private static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("integer", .integer):
            return true
        case ("number", .integer), ("number", .double): return true
        case ("integer", .double(let number)): return number.rounded() == number
        default: return false
        }
    }

    private static func matches(_ text: String, pattern: String) -> Bool {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return true }
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    private static func kind(of value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .integer: "an integer"
        case .double: "a number"
        case .string: "a string"
        case .array: "a list"
        case .object: "an object"
        }
    }

    private static func article(_ type: String) -> String {
        switch type {
        case "object": "an object"
        case "array": "a list"
        case "integer": "an integer"
        default: "a \(type)"
        }
    }

    private static func quoted(_ key: String) -> String {
        "\"" + key.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
