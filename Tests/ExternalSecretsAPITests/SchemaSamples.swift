import ExternalSecretsAPI
import Foundation
import KubeModel

/// Objects generated from a rendered CRD schema, to check the schema against the Swift types.
enum SchemaSamples {
    /// The fixed content put into preserve-unknown-fields blocks.
    static let unknownContent: JSONValue = ["server": "https://example.com", "nested": ["list": [1, "two", true]]]

    /// An object with every property the schema declares set: the first enum value, a date for
    /// date-times, base64 for bytes, one element per array, one entry per map, `300` for
    /// int-or-string. `overrides` replaces the value at a path (`.spec.data[].secretKey`).
    static func maximal(_ schema: JSONValue, path: String = "", overrides: [String: JSONValue] = [:]) -> JSONValue {
        if let override = overrides[path] { return override }
        if path == ".metadata" { return ["name": "sample", "namespace": "default"] }
        if schema["x-kubernetes-int-or-string"] == true { return 300 }
        if schema["x-kubernetes-preserve-unknown-fields"] == true && schema["properties"] == nil {
            return unknownContent
        }
        if let first = schema["enum"]?.arrayValue?.first { return first }
        switch schema["type"]?.stringValue {
        case "object":
            if let properties = schema["properties"]?.objectValue {
                return .object(
                    properties.reduce(into: [:]) { result, property in
                        result[property.key] = maximal(
                            property.value, path: "\(path).\(property.key)", overrides: overrides)
                    })
            }
            if let values = schema["additionalProperties"] {
                return ["key-1": maximal(values, path: "\(path){}", overrides: overrides)]
            }
            return [:]
        case "array":
            return [maximal(schema["items"] ?? [:], path: "\(path)[]", overrides: overrides)]
        case "integer":
            return 3
        case "number":
            return .double(1.5)
        case "boolean":
            return true
        case "string":
            switch schema["format"]?.stringValue {
            case "date-time": return "2024-05-06T07:08:09Z"
            case "byte": return .string(Data("sample bytes".utf8).base64EncodedString())
            default:
                return .string(
                    "sample\(path.replacingOccurrences(of: "[]", with: "").replacingOccurrences(of: "{}", with: ""))")
            }
        default:
            return .null
        }
    }

    /// An object with only the required properties set, recursively.
    static func minimal(_ schema: JSONValue, path: String = "") -> JSONValue {
        if path == ".metadata" { return ["name": "sample"] }
        guard schema["type"] == "object", let properties = schema["properties"]?.objectValue else {
            return maximal(schema, path: path)
        }
        let required = Set(schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        return .object(
            properties.filter { required.contains($0.key) || path.isEmpty && $0.key == "metadata" }
                .reduce(into: [:]) { result, property in
                    result[property.key] = minimal(property.value, path: "\(path).\(property.key)")
                })
    }

    /// Every node of the schema with an `enum`, with its path and values.
    static func enums(_ schema: JSONValue, path: String = "") -> [(path: String, values: [JSONValue])] {
        var found: [(String, [JSONValue])] = []
        if let values = schema["enum"]?.arrayValue { found.append((path, values)) }
        for (name, property) in (schema["properties"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            found += enums(property, path: "\(path).\(name)")
        }
        if let items = schema["items"] { found += enums(items, path: "\(path)[]") }
        if let values = schema["additionalProperties"] { found += enums(values, path: "\(path){}") }
        return found
    }

    /// The paths at which `a` and `b` differ, with both values.
    static func differences(_ a: JSONValue, _ b: JSONValue, path: String = "") -> [String] {
        switch (a, b) {
        case (.object(let left), .object(let right)):
            return Set(left.keys).union(right.keys).sorted().flatMap { key in
                differences(left[key] ?? .null, right[key] ?? .null, path: "\(path).\(key)")
            }
        case (.array(let left), .array(let right)) where left.count == right.count:
            return zip(left, right).enumerated().flatMap { index, pair in
                differences(pair.0, pair.1, path: "\(path)[\(index)]")
            }
        default:
            return a == b ? [] : ["\(path): \(a) vs \(b)"]
        }
    }

    /// The stored properties of `value` (recursively) that are nil: fields of the Swift type that
    /// a sample did not fill, i.e. that its schema does not declare. `skipping` names subtrees to
    /// leave out.
    static func nilProperties(of value: Any, path: String = "", skipping: Set<String> = []) -> [String] {
        if skipping.contains(path) { return [] }
        switch value {
        case is String, is Bool, is Int, is Int32, is Int64, is Double, is JSONValue, is KubeTime, is IntOrString:
            return []
        default:
            break
        }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            guard let wrapped = mirror.children.first?.value else { return [path] }
            return nilProperties(of: wrapped, path: path, skipping: skipping)
        case .collection:
            return mirror.children.flatMap { nilProperties(of: $0.value, path: "\(path)[]", skipping: skipping) }
        case .dictionary:
            return mirror.children.flatMap { entry in
                let pair = Mirror(reflecting: entry.value).children.map(\.value)
                return pair.count == 2 ? nilProperties(of: pair[1], path: "\(path){}", skipping: skipping) : []
            }
        case .struct:
            return mirror.children.flatMap { child in
                nilProperties(of: child.value, path: "\(path).\(child.label ?? "?")", skipping: skipping)
            }
        default:
            return []
        }
    }
}
