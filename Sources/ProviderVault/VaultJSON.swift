import Foundation
import GoCompat

/// JSON as ESO's Vault provider sees it, and the bytes it produces from it.
///
/// Vault's Go client decodes responses with `UseNumber`, so a number keeps the text Vault sent;
/// ESO then re-encodes secret data with Go's `json.Marshal` (keys sorted by bytes, `<`, `>`, `&`,
/// U+2028 and U+2029 escaped as `\u003c` ...). `dataFrom.extract` decodes those bytes once more
/// with plain `json.Unmarshal`, which turns every number into a `float64`. Both renderings are
/// reproduced here, byte for byte, because the bytes become Secret values and ESO's data hash
/// is computed over them: a Secret synced by ESO must come out identical.
enum VaultJSON {
    /// A decoded JSON value. Numbers keep their literal text.
    typealias Value = GoJSONValue
    /// How numbers are written back.
    typealias Numbers = GoJSONValue.Numbers
    typealias SyntaxError = GoJSONValue.SyntaxError

    static func parse(_ bytes: some Collection<UInt8>) throws(SyntaxError) -> Value {
        try GoJSONValue.parse(bytes)
    }

    /// Go's `json.Marshal` (HTML escaping on).
    static func marshal(_ value: Value, numbers: Numbers) -> [UInt8] {
        value.marshal(numbers: numbers)
    }

    /// `map[string]string` marshalled, as ESO does with fetched metadata.
    static func marshal(stringMap: [String: String]) -> [UInt8] {
        GoJSONString.encodeStringMap(stringMap.mapValues { Array($0.utf8) }, escapeHTML: true)
    }

    /// Go sorts map keys as byte strings.
    static func sortedKeys(_ keys: some Sequence<String>) -> [String] { GoJSONString.sortedKeys(keys) }
}
