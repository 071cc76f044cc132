import GoCompat

/// JSON text byte-identical to what ESO produces with Go's `encoding/json` (through ESO's
/// `JSONMarshal`: HTML escaping off, no trailing newline), and the decoding side of Go's
/// `json.Unmarshal` into `interface{}`.
///
/// The bytes matter: the whole-Secret JSON this provider returns becomes a value of the target
/// Secret, and ESO's data-hash annotation is computed over it. A Secret synced by ESO must hash
/// the same here, or a migration would rewrite every target.
///
/// Go's rules reproduced: object keys sorted by bytes; `"`, `\` and control characters escaped
/// (`\b \f \n \r \t` short, others `\u00xx` in lower-case hex); `<`, `>`, `&` and DEL kept as they
/// are; U+2028 and U+2029 escaped; each byte of invalid UTF-8 becomes `\ufffd`; numbers are
/// `float64` printed in the shortest form that reads back, in exponent form below 1e-6 and from
/// 1e21 up (`1e-7`, `1e+21`).
enum GoJSON {
    /// A JSON value as Go's `json.Unmarshal` into `interface{}` produces it: every number a
    /// `float64` (written back as Go writes one); objects are maps (a repeated key keeps its last
    /// value).
    typealias Value = GoJSONValue
    typealias SyntaxError = GoJSONValue.SyntaxError

    // MARK: - Encoding

    /// `{"key":"value",...}` for a map of byte values, as Go marshals `map[string]string` built
    /// with `string(bytes)`.
    static func encodeStringMap(_ map: [String: some Collection<UInt8>]) -> [UInt8] {
        GoJSONString.encodeStringMap(map, escapeHTML: false)
    }

    /// Go's encoding of a `map[string]string` that may be nil (`null`).
    static func encodeOptionalStringMap(_ map: [String: String]?) -> [UInt8] {
        guard let map else { return Array("null".utf8) }
        return encodeStringMap(map.mapValues { Array($0.utf8) })
    }

    /// `json.Marshal` of a decoded value, HTML escaping off, numbers as `float64`.
    static func encode(_ value: Value) -> [UInt8] {
        value.marshal(numbers: .float64, escapeHTML: false)
    }

    /// Keys in Go's order: byte-wise, not Swift's Unicode collation.
    static func sortedKeys(_ keys: some Sequence<String>) -> [String] { GoJSONString.sortedKeys(keys) }

    // MARK: - Decoding

    /// Go's `json.Unmarshal` into `interface{}`: a number outside float64's range is an error.
    /// Nesting is limited to 512 levels (Go allows 10000) to keep a small task's stack safe.
    static func parse(_ bytes: [UInt8]) throws(SyntaxError) -> Value {
        try GoJSONValue.parse(bytes, numbers: .float64, maxDepth: 512)
    }
}
