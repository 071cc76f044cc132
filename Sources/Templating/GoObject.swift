/// A value of a Go struct type, or of a pointer to one, that a template function returned.
/// Templates reach its exported fields and its methods as Go's `text/template` does, and it
/// prints, compares and encodes to JSON like the Go type.
///
/// Two Go types exist here: sprig's `certificate` (exported fields `Cert` and `Key`), returned by
/// `genCA` and friends, and Masterminds/semver's `Version`: `semver` returns a `*Version`, its
/// `Inc*`/`Set*` methods return `Version` values (whose method set lacks the pointer methods).
///
/// Caveats: pointers print as `&{...}` wherever Go would print an address (only reachable with
/// verbs such as `%d` on a pointer inside a list); semver's mutating methods (`UnmarshalJSON`,
/// `UnmarshalText`, `Scan`) are not offered.
public struct GoObject: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        case certificate(cert: String, key: String)
        case semverVersion(SemanticVersion)
    }

    /// Gives a pointer its identity: Go's `eq` compares pointers, `deepEqual` what they point to.
    final class Pointer: Sendable {}

    let kind: Kind
    /// Non-nil for a pointer to the struct.
    let pointer: Pointer?

    init(_ kind: Kind, pointer: Bool) {
        self.kind = kind
        self.pointer = pointer ? Pointer() : nil
    }

    /// sprig's `certificate{Cert, Key}`.
    static func certificate(cert: String, key: String) -> GoObject {
        GoObject(.certificate(cert: cert, key: key), pointer: false)
    }

    /// A `*semver.Version`.
    static func semver(_ v: SemanticVersion) -> GoObject { GoObject(.semverVersion(v), pointer: true) }

    var isPointer: Bool { pointer != nil }

    /// The struct's Go type name, without the pointer star.
    var structTypeName: String {
        switch kind {
        case .certificate: "sprig.certificate"
        case .semverVersion: "semver.Version"
        }
    }

    /// Go's `%T` spelling.
    var typeName: String { (isPointer ? "*" : "") + structTypeName }

    public static func == (lhs: GoObject, rhs: GoObject) -> Bool { lhs.deepEquals(rhs) }

    public func hash(into hasher: inout Hasher) { hasher.combine(typeName) }

    /// `reflect.DeepEqual`: same type, equal contents (pointers compare what they point to).
    func deepEquals(_ other: GoObject) -> Bool {
        isPointer == other.isPointer && kind == other.kind
    }

    /// Go's `==` as `eq` applies it: pointers by identity, structs field by field.
    func goEquals(_ other: GoObject) -> Bool {
        if let p = pointer, let q = other.pointer { return p === q }
        return !isPointer && !other.isPointer && kind == other.kind
    }

    /// A copy as `deepCopy` (copystructure) makes it: a pointer is copied into a new pointer.
    func copied() -> GoObject { GoObject(kind, pointer: isPointer) }

    // MARK: - Fields and methods

    struct Field {
        var name: String
        var value: Value
        var exported: Bool
    }

    /// The struct's fields in declaration order.
    var fields: [Field] {
        switch kind {
        case .certificate(let cert, let key):
            return [
                Field(name: "Cert", value: .string(cert), exported: true),
                Field(name: "Key", value: .string(key), exported: true),
            ]
        case .semverVersion(let v):
            return [
                Field(name: "major", value: .int(Int64(bitPattern: v.major), .uint64), exported: false),
                Field(name: "minor", value: .int(Int64(bitPattern: v.minor), .uint64), exported: false),
                Field(name: "patch", value: .int(Int64(bitPattern: v.patch), .uint64), exported: false),
                Field(name: "pre", value: .string(v.pre), exported: false),
                Field(name: "metadata", value: .string(v.metadata), exported: false),
                Field(name: "original", value: .string(v.original), exported: false),
            ]
        }
    }

    /// What `.name` finds on this value, in Go's order: a method of the value's method set, then a
    /// struct field.
    enum Member {
        case method(TemplateFunction)
        case field(Value)
        case unexportedField
        case none
    }

    func member(_ name: String) -> Member {
        if let m = method(name) { return .method(m) }
        if let f = fields.first(where: { $0.name == name }) { return f.exported ? .field(f.value) : .unexportedField }
        return .none
    }

    private func method(_ name: String) -> TemplateFunction? {
        switch kind {
        case .certificate: return nil
        case .semverVersion(let v): return Self.semverMethod(name, v, onPointer: isPointer)
        }
    }

    /// The result of the type's `String() string` method, when it has one in its method set.
    var stringerValue: String? {
        switch kind {
        case .certificate: nil
        case .semverVersion(let v): v.string
        }
    }

    /// What `encoding/json` writes for the value: a `Marshaler`'s JSON, or the exported fields.
    enum JSONForm {
        case string(String)
        case object([(String, Value)])
    }

    var jsonForm: JSONForm {
        switch kind {
        case .certificate(let cert, let key): .object([("Cert", .string(cert)), ("Key", .string(key))])
        case .semverVersion(let v): .string(v.string)  // Version.MarshalJSON
        }
    }

    // MARK: - semver.Version's methods

    private static let versionPointer = ParameterType.named("*semver.Version")

    /// Masterminds/semver v3's `Version` methods. Value-receiver methods are in the method set of
    /// both `Version` and `*Version`; pointer-receiver ones only of `*Version`.
    private static func semverMethod(_ name: String, _ v: SemanticVersion, onPointer: Bool) -> TemplateFunction? {
        func niladic(_ result: @escaping @Sendable () throws -> Value) -> TemplateFunction {
            TemplateFunction([]) { _, _ in try result() }
        }
        @Sendable func other(_ arg: Value) throws -> SemanticVersion {
            guard case .object(let o) = arg, case .semverVersion(let w) = o.kind else {
                throw TemplateFunctionError("runtime error: invalid memory address or nil pointer dereference")
            }
            return w
        }
        func comparison(_ test: @escaping @Sendable (Int) -> Bool) -> TemplateFunction? {
            guard onPointer else { return nil }
            return TemplateFunction([versionPointer]) { a, _ in .bool(test(v.compare(try other(a[0])))) }
        }
        @Sendable func version(_ w: SemanticVersion) -> Value { .object(GoObject(.semverVersion(w), pointer: false)) }
        @Sendable func number(_ n: UInt64) -> Value { .int(Int64(bitPattern: n), .uint64) }
        switch name {
        case "String": return niladic { .string(v.string) }
        case "Major": return niladic { number(v.major) }
        case "Minor": return niladic { number(v.minor) }
        case "Patch": return niladic { number(v.patch) }
        case "Prerelease": return niladic { .string(v.pre) }
        case "Metadata": return niladic { .string(v.metadata) }
        case "IncPatch": return niladic { version(v.incrementingPatch()) }
        case "IncMinor": return niladic { version(v.incrementingMinor()) }
        case "IncMajor": return niladic { version(v.incrementingMajor()) }
        case "SetPrerelease":
            return TemplateFunction([.string]) { a, _ in version(try v.settingPrerelease(a[0].stringValue)) }
        case "SetMetadata":
            return TemplateFunction([.string]) { a, _ in version(try v.settingMetadata(a[0].stringValue)) }
        case "MarshalJSON": return niladic { .bytes(Array(GoJSONEncoder().quote(v.string).utf8)) }
        case "MarshalText": return niladic { .bytes(Array(v.string.utf8)) }
        case "Value": return niladic { .string(v.string) }
        case "Original": return onPointer ? niladic { .string(v.original) } : nil
        case "Compare":
            guard onPointer else { return nil }
            return TemplateFunction([versionPointer]) { a, _ in .int(v.compare(try other(a[0]))) }
        case "LessThan": return comparison { $0 < 0 }
        case "GreaterThan": return comparison { $0 > 0 }
        case "Equal": return comparison { $0 == 0 }
        // Added in semver 3.3, which ESO builds with (sprig 3.2.3 pinned 3.2.0).
        case "LessThanEqual": return comparison { $0 <= 0 }
        case "GreaterThanEqual": return comparison { $0 >= 0 }
        default: return nil
        }
    }
}
