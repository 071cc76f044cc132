public import KubeModel

// MARK: - Structural schema nodes

/// One node of an OpenAPI v3 schema as a Kubernetes CRD accepts it (`apiextensions.k8s.io/v1`
/// `JSONSchemaProps`), rendered to JSON by `json`.
///
/// The type is built so that a schema made from it is *structural*: every node that can hold data
/// has a type (or is int-or-string / preserve-unknown-fields), and the logical junctors (`allOf`,
/// `anyOf`, `oneOf`, `not`) hold `SchemaValidation`s, which cannot carry a type, description,
/// default, nullable or `x-kubernetes-*` extension. `structuralErrors()` checks the one remaining
/// rule: a property named inside a junctor must also be declared outside it.
public struct OpenAPISchema: Sendable, Hashable {
    /// The JSON types a node can have.
    public enum DataType: String, Sendable, Hashable {
        case object, array, string, integer, number, boolean
    }

    /// The formats Kubernetes validates or documents.
    public enum Format: String, Sendable, Hashable {
        case int32, int64, byte
        case dateTime = "date-time"
    }

    /// `x-kubernetes-map-type`: whether server-side apply treats an object as one value.
    public enum MapType: String, Sendable, Hashable {
        case atomic, granular
    }

    /// `x-kubernetes-list-type`: how server-side apply merges a list.
    public enum ListType: String, Sendable, Hashable {
        case atomic, set, map
    }

    public var type: DataType?
    public var description: String?
    public var format: Format?
    public var properties: [String: OpenAPISchema] = [:]
    public var required: [String] = []
    /// `items` (at most one element; an array because a struct cannot hold itself directly).
    private var itemsStorage: [OpenAPISchema] = []
    /// `additionalProperties` (at most one element).
    private var additionalPropertiesStorage: [OpenAPISchema] = []
    /// `enum`: the only values allowed.
    public var allowedValues: [JSONValue] = []
    /// `default`: applied by the API server when the field is absent.
    public var defaultValue: JSONValue?
    public var pattern: String?
    public var minLength: Int?
    public var maxLength: Int?
    public var minItems: Int?
    public var maxItems: Int?
    public var minProperties: Int?
    public var maxProperties: Int?
    /// `minimum` / `maximum`: inclusive bounds of an integer.
    public var minimum: Int?
    public var maximum: Int?
    public var isNullable = false
    /// `x-kubernetes-preserve-unknown-fields`: the server keeps fields the schema does not name.
    public var preservesUnknownFields = false
    /// `x-kubernetes-int-or-string`: the value is an integer or a string.
    public var isIntOrString = false
    public var mapType: MapType?
    public var listType: ListType?
    public var allOf: [SchemaValidation] = []
    public var anyOf: [SchemaValidation] = []
    public var oneOf: [SchemaValidation] = []
    /// `not` (at most one element).
    private var notStorage: [SchemaValidation] = []

    public init(type: DataType?, description: String?) {
        self.type = type
        self.description = description
    }

    /// The schema of the array's elements.
    public var items: OpenAPISchema? {
        get { itemsStorage.first }
        set { itemsStorage = newValue.map { [$0] } ?? [] }
    }

    /// The schema of every value of a map (an object whose keys are not fixed).
    public var additionalProperties: OpenAPISchema? {
        get { additionalPropertiesStorage.first }
        set { additionalPropertiesStorage = newValue.map { [$0] } ?? [] }
    }

    /// A validation the value must *not* satisfy.
    public var not: SchemaValidation? {
        get { notStorage.first }
        set { notStorage = newValue.map { [$0] } ?? [] }
    }
}

// MARK: - Building nodes

extension OpenAPISchema {
    /// An object with fixed properties; `required` names the properties that must be present.
    public static func object(
        _ description: String, properties: [String: OpenAPISchema], required: [String] = []
    ) -> OpenAPISchema {
        var schema = OpenAPISchema(type: .object, description: description)
        schema.properties = properties
        schema.required = required
        return schema
    }

    /// An object with arbitrary keys whose values all follow `values` (`additionalProperties`).
    public static func map(_ description: String, values: OpenAPISchema) -> OpenAPISchema {
        var schema = OpenAPISchema(type: .object, description: description)
        schema.additionalProperties = values
        return schema
    }

    /// A map of strings to strings, as labels and annotations are.
    public static func stringMap(_ description: String) -> OpenAPISchema {
        map(description, values: .string(nil))
    }

    /// An object whose content the server keeps without checking it
    /// (`x-kubernetes-preserve-unknown-fields`).
    public static func unknownFields(_ description: String) -> OpenAPISchema {
        var schema = OpenAPISchema(type: .object, description: description)
        schema.preservesUnknownFields = true
        return schema
    }

    /// Any JSON value, kept as written (`x-kubernetes-preserve-unknown-fields` without a type).
    public static func anyValue(_ description: String) -> OpenAPISchema {
        var schema = OpenAPISchema(type: nil, description: description)
        schema.preservesUnknownFields = true
        return schema
    }

    /// An array whose elements follow `items`.
    public static func array(_ description: String?, of items: OpenAPISchema) -> OpenAPISchema {
        var schema = OpenAPISchema(type: .array, description: description)
        schema.items = items
        return schema
    }

    public static func string(_ description: String?, format: Format? = nil) -> OpenAPISchema {
        var schema = OpenAPISchema(type: .string, description: description)
        schema.format = format
        return schema
    }

    /// A string limited to `values`.
    public static func string(_ description: String?, allowing values: [String]) -> OpenAPISchema {
        var schema = OpenAPISchema(type: .string, description: description)
        schema.allowedValues = values.map { .string($0) }
        return schema
    }

    /// A string limited to the raw values of a Swift enum, in declaration order.
    public static func string<Values: CaseIterable & RawRepresentable>(
        _ description: String?, allowing values: Values.Type
    ) -> OpenAPISchema where Values.RawValue == String {
        string(description, allowing: values.allCases.map(\.rawValue))
    }

    public static func integer(_ description: String?, format: Format? = nil) -> OpenAPISchema {
        var schema = OpenAPISchema(type: .integer, description: description)
        schema.format = format
        return schema
    }

    public static func boolean(_ description: String?) -> OpenAPISchema {
        OpenAPISchema(type: .boolean, description: description)
    }

    /// An integer or a string (`x-kubernetes-int-or-string`), written as Kubernetes writes it:
    /// with `anyOf: [{type: integer}, {type: string}]` and no type of its own.
    public static func intOrString(_ description: String) -> OpenAPISchema {
        var schema = OpenAPISchema(type: nil, description: description)
        schema.isIntOrString = true
        return schema
    }
}

// MARK: - Modifiers

extension OpenAPISchema {
    /// This node with another description (the field's own words instead of the type's).
    public func described(_ description: String) -> OpenAPISchema {
        with { $0.description = description }
    }

    /// This node with a default the API server fills in when the field is absent.
    public func defaulted(_ value: JSONValue) -> OpenAPISchema {
        with { $0.defaultValue = value }
    }

    public func pattern(_ pattern: String) -> OpenAPISchema {
        with { $0.pattern = pattern }
    }

    public func length(min: Int? = nil, max: Int? = nil) -> OpenAPISchema {
        with {
            $0.minLength = min
            $0.maxLength = max
        }
    }

    public func items(min: Int? = nil, max: Int? = nil) -> OpenAPISchema {
        with {
            $0.minItems = min
            $0.maxItems = max
        }
    }

    /// This integer node bounded by `min` and `max` (both inclusive).
    public func bounded(min: Int? = nil, max: Int? = nil) -> OpenAPISchema {
        with {
            $0.minimum = min
            $0.maximum = max
        }
    }

    public func properties(min: Int? = nil, max: Int? = nil) -> OpenAPISchema {
        with {
            $0.minProperties = min
            $0.maxProperties = max
        }
    }

    /// This node accepting `null` as well (the field is then treated as absent).
    public func nullable() -> OpenAPISchema {
        with { $0.isNullable = true }
    }

    public func mapType(_ type: MapType) -> OpenAPISchema {
        with { $0.mapType = type }
    }

    public func listType(_ type: ListType) -> OpenAPISchema {
        with { $0.listType = type }
    }

    /// This node, which must also satisfy every one of `validations`.
    public func allOf(_ validations: SchemaValidation...) -> OpenAPISchema {
        with { $0.allOf += validations }
    }

    /// This node, which must also satisfy at least one of `validations`.
    public func anyOf(_ validations: SchemaValidation...) -> OpenAPISchema {
        with { $0.anyOf += validations }
    }

    /// This node, which must also satisfy exactly one of `validations`.
    public func oneOf(_ validations: SchemaValidation...) -> OpenAPISchema {
        with { $0.oneOf += validations }
    }

    /// This node, which must *not* satisfy `validation`.
    public func not(_ validation: SchemaValidation) -> OpenAPISchema {
        with { $0.not = validation }
    }

    private func with(_ change: (inout OpenAPISchema) -> Void) -> OpenAPISchema {
        var copy = self
        change(&copy)
        return copy
    }
}

// MARK: - Value validations (inside allOf / anyOf / oneOf / not)

/// A value validation: the part of a schema Kubernetes allows inside `allOf`, `anyOf`, `oneOf`
/// and `not` of a structural schema. It constrains values; it never declares a field, a type, a
/// default or a description.
public struct SchemaValidation: Sendable, Hashable {
    public var properties: [String: SchemaValidation] = [:]
    public var required: [String] = []
    public var allowedValues: [JSONValue] = []
    public var pattern: String?
    public var minLength: Int?
    public var maxLength: Int?
    public var minItems: Int?
    public var maxItems: Int?
    public var minProperties: Int?
    public var maxProperties: Int?
    private var itemsStorage: [SchemaValidation] = []
    public var allOf: [SchemaValidation] = []
    public var anyOf: [SchemaValidation] = []
    public var oneOf: [SchemaValidation] = []
    private var notStorage: [SchemaValidation] = []

    public init(
        required: [String] = [], properties: [String: SchemaValidation] = [:], allowedValues: [JSONValue] = [],
        minItems: Int? = nil
    ) {
        self.required = required
        self.properties = properties
        self.allowedValues = allowedValues
        self.minItems = minItems
    }

    public var items: SchemaValidation? {
        get { itemsStorage.first }
        set { itemsStorage = newValue.map { [$0] } ?? [] }
    }

    public var not: SchemaValidation? {
        get { notStorage.first }
        set { notStorage = newValue.map { [$0] } ?? [] }
    }

    /// Satisfied when every one of `names` is present.
    public static func required(_ names: String...) -> SchemaValidation {
        SchemaValidation(required: names)
    }

    /// Satisfied when the value is one of `values`.
    public static func allowing(_ values: String...) -> SchemaValidation {
        SchemaValidation(allowedValues: values.map { .string($0) })
    }

    /// Satisfied when `validation` is not.
    public static func not(_ validation: SchemaValidation) -> SchemaValidation {
        var result = SchemaValidation()
        result.not = validation
        return result
    }

    /// Satisfied when at least one of `validations` is.
    public static func anyOf(_ validations: SchemaValidation...) -> SchemaValidation {
        var result = SchemaValidation()
        result.anyOf = validations
        return result
    }

    /// Satisfied when every one of `validations` is.
    public static func allOf(_ validations: SchemaValidation...) -> SchemaValidation {
        var result = SchemaValidation()
        result.allOf = validations
        return result
    }
}

// MARK: - Rendering

extension OpenAPISchema {
    /// The node as the `openAPIV3Schema` JSON of a CRD.
    public var json: JSONValue {
        var members: [String: JSONValue] = [:]
        if let type { members["type"] = .string(type.rawValue) }
        if let description { members["description"] = .string(description) }
        if let format { members["format"] = .string(format.rawValue) }
        if !properties.isEmpty { members["properties"] = .object(properties.mapValues(\.json)) }
        if !required.isEmpty { members["required"] = .array(required.sorted().map { .string($0) }) }
        if let items { members["items"] = items.json }
        if let additionalProperties { members["additionalProperties"] = additionalProperties.json }
        if !allowedValues.isEmpty { members["enum"] = .array(allowedValues) }
        if let defaultValue { members["default"] = defaultValue }
        if let pattern { members["pattern"] = .string(pattern) }
        if let minLength { members["minLength"] = .integer(Int64(minLength)) }
        if let maxLength { members["maxLength"] = .integer(Int64(maxLength)) }
        if let minItems { members["minItems"] = .integer(Int64(minItems)) }
        if let maxItems { members["maxItems"] = .integer(Int64(maxItems)) }
        if let minProperties { members["minProperties"] = .integer(Int64(minProperties)) }
        if let maxProperties { members["maxProperties"] = .integer(Int64(maxProperties)) }
        if let minimum { members["minimum"] = .integer(Int64(minimum)) }
        if let maximum { members["maximum"] = .integer(Int64(maximum)) }
        if isNullable { members["nullable"] = true }
        if preservesUnknownFields { members["x-kubernetes-preserve-unknown-fields"] = true }
        if let mapType { members["x-kubernetes-map-type"] = .string(mapType.rawValue) }
        if let listType { members["x-kubernetes-list-type"] = .string(listType.rawValue) }
        var anyOf = anyOf.map(\.json)
        if isIntOrString {
            members["x-kubernetes-int-or-string"] = true
            // The one pattern Kubernetes allows with types inside a junctor.
            anyOf.insert(contentsOf: [["type": "integer"], ["type": "string"]], at: 0)
        }
        if !allOf.isEmpty { members["allOf"] = .array(allOf.map(\.json)) }
        if !anyOf.isEmpty { members["anyOf"] = .array(anyOf) }
        if !oneOf.isEmpty { members["oneOf"] = .array(oneOf.map(\.json)) }
        if let not { members["not"] = not.json }
        return .object(members)
    }
}

extension SchemaValidation {
    /// The validation as schema JSON.
    public var json: JSONValue {
        var members: [String: JSONValue] = [:]
        if !properties.isEmpty { members["properties"] = .object(properties.mapValues(\.json)) }
        if !required.isEmpty { members["required"] = .array(required.map { .string($0) }) }
        if let items { members["items"] = items.json }
        if !allowedValues.isEmpty { members["enum"] = .array(allowedValues) }
        if let pattern { members["pattern"] = .string(pattern) }
        if let minLength { members["minLength"] = .integer(Int64(minLength)) }
        if let maxLength { members["maxLength"] = .integer(Int64(maxLength)) }
        if let minItems { members["minItems"] = .integer(Int64(minItems)) }
        if let maxItems { members["maxItems"] = .integer(Int64(maxItems)) }
        if let minProperties { members["minProperties"] = .integer(Int64(minProperties)) }
        if let maxProperties { members["maxProperties"] = .integer(Int64(maxProperties)) }
        if !allOf.isEmpty { members["allOf"] = .array(allOf.map(\.json)) }
        if !anyOf.isEmpty { members["anyOf"] = .array(anyOf.map(\.json)) }
        if !oneOf.isEmpty { members["oneOf"] = .array(oneOf.map(\.json)) }
        if let not { members["not"] = not.json }
        return .object(members)
    }
}

// MARK: - Checks

extension OpenAPISchema {
    /// The places where this schema breaks a rule of structural schemas that the types here do not
    /// already rule out, as `path: problem` lines; empty for a structural schema.
    ///
    /// Checked: every data node has a type (unless int-or-string or preserve-unknown-fields); a
    /// property or item named inside a junctor is declared outside it; `required` names declared
    /// properties; a default and every enum value have the node's type; no default is the empty
    /// string (Kubernetes 1.20 refuses the CRD then).
    public func structuralErrors(path: String = "") -> [String] {
        var errors: [String] = []
        if type == nil && !isIntOrString && !preservesUnknownFields {
            errors.append("\(path): no type")
        }
        if type == .array && items == nil { errors.append("\(path): array without items") }
        if type != .object && (!properties.isEmpty || additionalProperties != nil) {
            errors.append("\(path): properties on a node that is not an object")
        }
        if !properties.isEmpty && additionalProperties != nil {
            errors.append("\(path): both properties and additionalProperties")
        }
        for name in required where properties[name] == nil && !preservesUnknownFields {
            errors.append("\(path): required \(name) is not a declared property")
        }
        for value in allowedValues + (defaultValue.map { [$0] } ?? []) where !matchesType(value) {
            let text = (try? KubeJSON.encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "?"
            errors.append("\(path): value \(text) does not have type \(type?.rawValue ?? "-")")
        }
        if defaultValue == .string("") {
            errors.append("\(path): an empty-string default, which Kubernetes 1.20 reads as null and refuses")
        }
        let junctors = allOf + anyOf + oneOf + (not.map { [$0] } ?? [])
        for validation in junctors {
            errors += validation.undeclaredPaths(in: self, path: path)
        }
        for (name, property) in properties.sorted(by: { $0.key < $1.key }) {
            errors += property.structuralErrors(path: "\(path).\(name)")
        }
        if let items { errors += items.structuralErrors(path: "\(path)[]") }
        if let additionalProperties { errors += additionalProperties.structuralErrors(path: "\(path){}") }
        return errors
    }

    private func matchesType(_ value: JSONValue) -> Bool {
        switch (type, value) {
        case (.string, .string), (.integer, .integer), (.boolean, .bool), (.object, .object), (.array, .array):
            return true
        case (.number, .integer), (.number, .double):
            return true
        case (nil, _):
            return isIntOrString || preservesUnknownFields
        default:
            return false
        }
    }
}

extension SchemaValidation {
    fileprivate func undeclaredPaths(in skeleton: OpenAPISchema, path: String) -> [String] {
        var errors: [String] = []
        for name in required
        where skeleton.properties[name] == nil && skeleton.additionalProperties == nil
            && !skeleton.preservesUnknownFields
        {
            errors.append("\(path).\(name): required in a junctor but not declared outside it")
        }
        for (name, validation) in properties.sorted(by: { $0.key < $1.key }) {
            if let declared = skeleton.properties[name] ?? skeleton.additionalProperties {
                errors += validation.undeclaredPaths(in: declared, path: "\(path).\(name)")
            } else if !skeleton.preservesUnknownFields {
                errors.append("\(path).\(name): named in a junctor but not declared outside it")
            }
        }
        if let items {
            if let declared = skeleton.items {
                errors += items.undeclaredPaths(in: declared, path: "\(path)[]")
            } else {
                errors.append("\(path)[]: items in a junctor but not declared outside it")
            }
        }
        for validation in allOf + anyOf + oneOf + (not.map { [$0] } ?? []) {
            errors += validation.undeclaredPaths(in: skeleton, path: path)
        }
        return errors
    }
}

/// A type whose JSON form has an OpenAPI schema, used to build the CRD of the kind it belongs to.
public protocol OpenAPISchemaDescribed {
    /// The schema of the type's JSON form, with the type's own description.
    static var openAPISchema: OpenAPISchema { get }
}
