import GoCompat
import Synchronization

/// The Go integer types a template value can carry. Go's `int`, `int64` and `uint8` print the
/// same but are distinct types: a function declared with an `int` parameter rejects an `int64`.
public enum GoIntType: Sendable, Hashable {
    case int
    case int64
    case uint8
    /// Go `uint64` (semver's `Major`...); the payload holds the bit pattern.
    case uint64

    var name: String {
        switch self {
        case .int: "int"
        case .int64: "int64"
        case .uint8: "uint8"
        case .uint64: "uint64"
        }
    }

    var isUnsigned: Bool { self == .uint8 || self == .uint64 }
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
    /// A `time.Time` (from `now`, `toDate`, `dateModify`).
    case time(GoTime)
    /// A `map[string]T`; ranged and printed in sorted key order, as Go's fmt and template do.
    /// Maps are references, as in Go: `set`, `unset` and `merge` change them in place.
    case map(GoMap)
    /// A value of a Go struct or pointer type that a function returned (sprig's `certificate`,
    /// semver's `*Version`): templates read its fields and call its methods.
    case object(GoObject)
}

extension Value {
    /// Deep equality like Go's `reflect.DeepEqual` on these types. Maps are compared by content;
    /// past 1000 levels (only reachable through maps that contain themselves) values compare unequal
    /// unless identical.
    public static func == (lhs: Value, rhs: Value) -> Bool { equal(lhs, rhs, depth: 0) }

    static func equal(_ lhs: Value, _ rhs: Value, depth: Int) -> Bool {
        switch (lhs, rhs) {
        case (.missing, .missing), (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.int(let a, let t), .int(let b, let u)): return a == b && t == u
        case (.float(let a), .float(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.bytes(let a), .bytes(let b)): return a == b
        case (.time(let a), .time(let b)): return a == b
        case (.object(let a), .object(let b)): return a.deepEquals(b)
        case (.list(let a, let e, let n), .list(let b, let f, let m)):
            guard e == f, n == m, a.count == b.count, depth < 1000 else { return false }
            return zip(a, b).allSatisfy { equal($0, $1, depth: depth + 1) }
        case (.map(let a), .map(let b)):
            if a === b { return true }
            guard depth < 1000 else { return false }
            return GoMap.equal(a, b, depth: depth + 1)
        default: return false
        }
    }

    /// Shallow for containers, consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .missing: hasher.combine(0)
        case .null: hasher.combine(1)
        case .bool(let b): hasher.combine(b)
        case .int(let i, let t):
            hasher.combine(i)
            hasher.combine(t)
        case .float(let f): hasher.combine(f)
        case .string(let s): hasher.combine(s)
        case .bytes(let b): hasher.combine(b)
        case .time(let t): hasher.combine(t)
        case .object(let o): hasher.combine(o.typeName)
        case .list(let l, let e, _):
            hasher.combine(l.count)
            hasher.combine(e)
        case .map(let m): hasher.combine(m)
        }
    }

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
        case .time: "time.Time"
        case .object(let o): o.typeName
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
        case .time: "struct"
        case .object(let o): o.isPointer ? "ptr" : "struct"
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
        case .time, .object: true  // structs and non-nil pointers are always true
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
        m.keys.sorted { $0.goLess($1) }
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
        if !self.utf8.contains(0xF4) && !other.utf8.contains(0xF4) {
            return self.utf8.lexicographicallyPrecedes(other.utf8)
        }
        return self.goBytes.lexicographicallyPrecedes(other.goBytes)
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

    public static func == (lhs: GoMap, rhs: GoMap) -> Bool { equal(lhs, rhs, depth: 0) }

    static func equal(_ lhs: GoMap, _ rhs: GoMap, depth: Int) -> Bool {
        if lhs === rhs { return true }
        guard lhs.elementType == rhs.elementType, lhs.isNil == rhs.isNil else { return false }
        let l = lhs.entries
        let r = rhs.entries
        guard l.count == r.count else { return false }
        for (k, v) in l {
            guard let w = r[k], Value.equal(v, w, depth: depth + 1) else { return false }
        }
        return true
    }

    /// Shallow, so hashing a map that contains itself terminates.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(elementType)
        hasher.combine(count)
    }
}

// MARK: - Go strings are bytes

/// Go strings are byte sequences; Swift strings are Unicode. A Go string that is not valid UTF-8
/// (binary secret data such as a keystore) is carried losslessly: every byte that is not part of
/// valid UTF-8 becomes the private-use scalar U+10FF00 + byte, and turns back into that byte
/// whenever the engine needs Go's bytes (output, `len`, `b64enc`, hashes, slicing...).
/// Caveat: text that really contains U+10FF00...U+10FFFF is itself escaped byte by byte on the way
/// in, so it also round-trips.
extension String {
    /// Builds a string from Go string bytes (see the type-level note).
    public init(goBytes bytes: some Collection<UInt8>) {
        let array = Array(bytes)
        if !array.contains(0xF4), let valid = String(validating: array, as: UTF8.self) {
            self = valid
            return
        }
        var scalars = String.UnicodeScalarView()
        var i = 0
        func raw(_ b: UInt8) { scalars.append(Unicode.Scalar(0x10FF00 + UInt32(b))!) }
        while i < array.count {
            // Invalid bytes (width 1) and real scalars from U+10FF00 up are kept as escaped bytes.
            let (scalar, length) = GoUTF8.scalar(array, at: i)
            if let scalar, scalar.value < 0x10FF00 {
                scalars.append(scalar)
            } else {
                for k in 0..<length { raw(array[i + k]) }
            }
            i += length
        }
        self = String(scalars)
    }


    /// One rune of a Go string as `for range` and `utf8.DecodeRune` see it.
    enum GoRune: Equatable {
        /// A valid UTF-8 sequence (U+10FF00...U+10FFFF included: text that really holds them).
        case scalar(Unicode.Scalar)
        /// A byte that starts no valid sequence: Go's RuneError of width 1.
        case invalid(UInt8)
    }

    /// Appends a real scalar so that it stands for its own UTF-8 bytes: U+10FF00...U+10FFFF are
    /// escaped byte by byte, as `init(goBytes:)` does.
    mutating func appendGoRune(_ scalar: Unicode.Scalar) {
        guard scalar.value >= 0x10FF00 else {
            unicodeScalars.append(scalar)
            return
        }
        for byte in String(scalar).utf8 { unicodeScalars.append(Unicode.Scalar(0x10FF00 + UInt32(byte))!) }
    }

    /// The runes of the Go string this string stands for, decoded from its bytes as Go does, so
    /// escaped bytes that together form valid UTF-8 are one rune, as in Go.
    var goRunes: [GoRune] {
        if !self.utf8.contains(0xF4) { return self.unicodeScalars.map { .scalar($0) } }
        let bytes = goBytes
        var runes: [GoRune] = []
        var i = 0
        while i < bytes.count {
            if case (let scalar?, let length) = GoUTF8.scalar(bytes, at: i) {
                runes.append(.scalar(scalar))
                i += length
            } else {
                runes.append(.invalid(bytes[i]))
                i += 1
            }
        }
        return runes
    }

    /// The Go string bytes this string stands for (see `init(goBytes:)`).
    public var goBytes: [UInt8] {
        if !self.utf8.contains(0xF4) { return Array(self.utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(self.utf8.count)
        for scalar in self.unicodeScalars {
            if scalar.value >= 0x10FF00 {
                out.append(UInt8(scalar.value - 0x10FF00))
            } else {
                out.append(contentsOf: String(scalar).utf8)
            }
        }
        return out
    }

    /// Go's `len` of the string.
    var goByteCount: Int {
        self.utf8.contains(0xF4) ? goBytes.count : self.utf8.count
    }

    /// The raw byte a scalar stands for, when it is one of the escaped non-UTF-8 bytes.
    static func rawByte(_ scalar: Unicode.Scalar) -> UInt8? {
        scalar.value >= 0x10FF00 ? UInt8(scalar.value - 0x10FF00) : nil
    }
}

extension Value {
    /// A Go string from raw bytes, preserving bytes that are not valid UTF-8.
    public static func goString(_ bytes: some Collection<UInt8>) -> Value { .string(String(goBytes: bytes)) }

    /// ESO's template data: the secret's `map[string][]byte` as the `map[string]string` ESO passes.
    public static func secretData(_ data: [String: [UInt8]]) -> Value {
        .map(GoMap(data.mapValues { .string(String(goBytes: $0)) }, elementType: .string))
    }
}
