/// The Go integer types a template value can carry. Go's `int`, `int64` and `uint8` print the
/// same but are distinct types: a function declared with an `int` parameter rejects an `int64`.
public enum GoIntType: Sendable, Hashable {
    case int
    case int64
    case uint8

    var name: String {
        switch self {
        case .int: "int"
        case .int64: "int64"
        case .uint8: "uint8"
        }
    }
}

/// The static element type of a Go slice or map, as far as templates can observe it.
public enum GoElementType: Sendable, Hashable {
    /// `interface{}`
    case any
    case string
    case int
    case float64
    case bool

    var name: String {
        switch self {
        case .any: "interface {}"
        case .string: "string"
        case .int: "int"
        case .float64: "float64"
        case .bool: "bool"
        }
    }
}

/// A template value: the JSON-like subset of Go values that ESO templates see, with enough Go type
/// information (`int` vs `int64` vs `float64`, `[]string` vs `[]interface{}`) to print, compare and
/// type-check like Go's `text/template` does.
public enum Value: Sendable, Hashable {
    /// Go's invalid `reflect.Value`: a missing map key. Prints as `<no value>`.
    case missing
    /// A nil `interface{}` (JSON `null`). Prints as `<nil>`.
    case null
    case bool(Bool)
    case int(Int64, GoIntType)
    case float(Double)
    case string(String)
    /// `[]byte`
    case bytes([UInt8])
    /// A slice; `isNil` marks a typed nil slice (prints `[]`, is empty, compares as nil).
    case list([Value], elem: GoElementType, isNil: Bool)
    /// A `map[string]T`; ranged and printed in sorted key order, as Go's fmt and template do.
    case map([String: Value], elem: GoElementType, isNil: Bool)
}

extension Value {
    /// A Go `int`.
    public static func int(_ v: Int) -> Value { .int(Int64(v), .int) }
    /// A `[]interface{}`.
    public static func list(_ items: [Value]) -> Value { .list(items, elem: .any, isNil: false) }
    /// A `map[string]interface{}`.
    public static func map(_ entries: [String: Value]) -> Value { .map(entries, elem: .any, isNil: false) }
    /// A `[]string`.
    public static func strings(_ items: [String]) -> Value {
        .list(items.map { .string($0) }, elem: .string, isNil: false)
    }
    /// A `map[string]string`, the shape of ESO's secret data.
    public static func stringMap(_ entries: [String: String]) -> Value {
        .map(entries.mapValues { .string($0) }, elem: .string, isNil: false)
    }

    /// Treats `.null` and `.missing` alike.
    var isNilOrMissing: Bool {
        switch self {
        case .missing, .null: true
        default: false
        }
    }

    /// Go's `%T` spelling of the dynamic type.
    var goTypeName: String {
        switch self {
        case .missing, .null: "<nil>"
        case .bool: "bool"
        case .int(_, let t): t.name
        case .float: "float64"
        case .string: "string"
        case .bytes: "[]uint8"
        case .list(_, let e, _): "[]" + e.name
        case .map(_, let e, _): "map[string]" + e.name
        }
    }

    /// Go's `reflect.Kind` spelling.
    var goKindName: String {
        switch self {
        case .missing, .null: "invalid"
        case .bool: "bool"
        case .int(_, let t): t.name
        case .float: "float64"
        case .string: "string"
        case .bytes, .list: "slice"
        case .map: "map"
        }
    }

    /// Go's template truthiness: the zero value of its type is false.
    var truth: Bool {
        switch self {
        case .missing, .null: false
        case .bool(let b): b
        case .int(let i, _): i != 0
        case .float(let f): f != 0
        case .string(let s): !s.isEmpty
        case .bytes(let b): !b.isEmpty
        case .list(let l, _, _): !l.isEmpty
        case .map(let m, _, _): !m.isEmpty
        }
    }

    /// The element type that a value of this dynamic type would have inside a typed container.
    var elementType: GoElementType {
        switch self {
        case .string: .string
        case .int(_, .int): .int
        case .float: .float64
        case .bool: .bool
        default: .any
        }
    }

    /// Map entries in Go's sorted key order.
    static func sortedKeys(_ m: [String: Value]) -> [String] {
        m.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// The zero value of an element type, as Go's `index` returns for a missing map key.
    static func zero(of elem: GoElementType) -> Value {
        switch elem {
        case .any: .null
        case .string: .string("")
        case .int: .int(0, .int)
        case .float64: .float(0)
        case .bool: .bool(false)
        }
    }
}

extension String {
    /// Byte-wise ordering, as Go compares strings.
    func goLess(_ other: String) -> Bool {
        Array(self.utf8).lexicographicallyPrecedes(Array(other.utf8))
    }
}
