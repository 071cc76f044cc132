import Synchronization

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
    /// Maps are references, as in Go: `set`, `unset` and `merge` change them in place.
    case map(GoMap)
}

extension Value {
    /// A Go `int`.
    public static func int(_ v: Int) -> Value { .int(Int64(v), .int) }
    /// A `[]interface{}`.
    public static func list(_ items: [Value]) -> Value { .list(items, elem: .any, isNil: false) }
    /// A `map[string]interface{}`.
    public static func dictionary(_ entries: [String: Value]) -> Value { .map(GoMap(entries)) }
    /// A map with an explicit element type.
    public static func makeMap(_ entries: [String: Value], elem: GoElementType, isNil: Bool = false) -> Value {
        .map(GoMap(entries, elementType: elem, isNil: isNil))
    }
    /// A `[]string`.
    public static func strings(_ items: [String]) -> Value {
        .list(items.map { .string($0) }, elem: .string, isNil: false)
    }
    /// A `map[string]string`, the shape of ESO's secret data.
    public static func stringMap(_ entries: [String: String]) -> Value {
        .map(GoMap(entries.mapValues { .string($0) }, elementType: .string))
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
        case .map(let m): "map[string]" + m.elementType.name
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
        case .map(let m): m.count > 0
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

/// The storage of a Go map. A reference type like Go's maps, guarded by a mutex so a value shared
/// between renders stays memory-safe.
public final class GoMap: Sendable, Hashable {
    public let elementType: GoElementType
    /// A typed nil map (prints `map[]`, compares equal to nil).
    public let isNil: Bool
    private let storage: Mutex<[String: Value]>

    public init(_ entries: [String: Value], elementType: GoElementType = .any, isNil: Bool = false) {
        self.elementType = elementType
        self.isNil = isNil
        self.storage = Mutex(entries)
    }

    /// A snapshot of the entries.
    public var entries: [String: Value] { storage.withLock { $0 } }
    public var count: Int { storage.withLock { $0.count } }
    public subscript(key: String) -> Value? { storage.withLock { $0[key] } }

    func set(_ key: String, _ value: Value) { storage.withLock { $0[key] = value } }
    func remove(_ key: String) { storage.withLock { _ = $0.removeValue(forKey: key) } }

    public static func == (lhs: GoMap, rhs: GoMap) -> Bool {
        lhs === rhs || (lhs.elementType == rhs.elementType && lhs.isNil == rhs.isNil && lhs.entries == rhs.entries)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(elementType)
        hasher.combine(entries)
    }
}
