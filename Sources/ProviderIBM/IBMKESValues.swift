import Foundation
import GoCompat
import ProviderKit

/// The values GoDaddy KES's `ibmcloudSecretsManager` backend wrote (pure): KES 8.x read Secrets
/// Manager's API v1 and returned `JSON.stringify(resources[0].secret_data)`, or for an
/// `iam_credentials` secret `JSON.stringify(resources[0].api_key)` (the key in quotes); a
/// `property` then picked a lodash path out of that JSON (`JSON.parse`, `_.get`), written as is
/// when a string, as `JSON.stringify` writes it otherwise.
///
/// v1's `secret_data` per type, rebuilt from a v2 secret: `arbitrary` `{"payload"}`,
/// `username_password` `{"password", "username"}`, `imported_cert` and `public_cert`
/// `{"certificate", "intermediate", "private_key"}` (the fields the secret has), `private_cert`
/// `{"ca_chain", "certificate", "issuing_ca", "private_key"}` (likewise), `kv` `{"payload": data}`.
/// Members are in the order v1 (a Go service) wrote them, sorted, as KES's own tests against the
/// service show (`{"password":"p@ssw0rd","username":"johndoe"}`).
enum IBMKESValues {
    /// The secret types of API v1, which KES could name.
    static let secretTypes = [
        "arbitrary", "username_password", "iam_credentials", "imported_cert", "public_cert", "private_cert", "kv",
    ]

    /// What KES's `_get` returned for `secret` (a v2 secret of type `type`), as JSON.
    static func document(of secret: [String: GoJSONValue], type: String, key: String) throws(ProviderError)
        -> GoJSONValue
    {
        func required(_ field: String) throws(ProviderError) -> GoJSONValue {
            guard let value = secret[field] else {
                throw .notFound("key \(field) does not exist in \(type) secret \(GoQuote.quote(key))")
            }
            return value
        }
        func present(_ fields: [String]) -> GoJSONValue {
            .object(fields.reduce(into: [:]) { object, field in object[field] = secret[field] })
        }
        switch type {
        case "arbitrary": return .object(["payload": try required("payload")])
        case "username_password":
            return .object(["username": try required("username"), "password": try required("password")])
        case "iam_credentials": return try required("api_key")
        case "imported_cert", "public_cert":
            _ = try required("certificate")
            return present(["certificate", "intermediate", "private_key"])
        case "private_cert":
            _ = try required("certificate")
            return present(["ca_chain", "certificate", "issuing_ca", "private_key"])
        case "kv": return .object(["payload": try required("data")])
        default:
            throw .invalidConfiguration(
                "unknown secret type \(type) (KES read \(secretTypes.joined(separator: ", ")))")
        }
    }

    /// The Secret value KES wrote: the document's JSON text, or with `property` the value at that
    /// lodash path (KES's error when there is none: "Could not find property P in KEY").
    static func value(of document: GoJSONValue, property: String?, key: String) throws(ProviderError) -> Data {
        guard let property else { return Data(stringify(document)) }
        guard let found = lookUp(property, in: document) else {
            throw .notFound("Could not find property \(property) in \(key)")
        }
        if case .string(let text) = found { return Data(text.utf8) }
        return Data(stringify(found))
    }

    // MARK: - lodash paths

    /// lodash's `_.get(object, path)` where `_.hasIn` holds: a member named `path` itself, else
    /// `path` split as `_.toPath` splits it (`a.b`, `a[0]`, `a["b.c"]`); members of objects and
    /// elements of arrays.
    static func lookUp(_ path: String, in document: GoJSONValue) -> GoJSONValue? {
        if case .object(let members) = document, let member = members[path] { return member }
        var current = document
        for segment in toPath(path) {
            switch current {
            case .object(let members):
                guard let next = members[segment] else { return nil }
                current = next
            case .array(let elements):
                guard let index = arrayIndex(segment), index < elements.count else { return nil }
                current = elements[index]
            default: return nil
            }
        }
        return current
    }

    /// lodash's `stringToPath` (its `rePropName`): runs of characters other than `.`, `[`, `]`;
    /// bracketed names (`[0]`, `["b.c"]`, `\\` escapes in quotes); an empty name where a `.` or
    /// `[]` is followed by another or by the end, and for a leading `.`.
    static func toPath(_ path: String) -> [String] {
        let characters = Array(path)
        var segments: [String] = []
        if characters.first == "." { segments.append("") }
        func separator(at index: Int) -> Int? {
            guard index < characters.count else { return nil }
            if characters[index] == "." { return 1 }
            if characters[index] == "[", index + 1 < characters.count, characters[index + 1] == "]" { return 2 }
            return nil
        }
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character != ".", character != "[", character != "]" {
                var end = index
                while end < characters.count, !".[]".contains(characters[end]) { end += 1 }
                segments.append(String(characters[index..<end]))
                index = end
                continue
            }
            if character == "[", let (name, close) = bracketed(characters, at: index) {
                segments.append(name)
                index = close + 1
                continue
            }
            if let width = separator(at: index),
                index + width == characters.count || separator(at: index + width) != nil
            {
                segments.append("")
            }
            index += 1
        }
        return segments
    }

    /// The name in the brackets opening at `open`, and where they close.
    private static func bracketed(_ characters: [Character], at open: Int) -> (String, Int)? {
        let first = open + 1
        guard first < characters.count else { return nil }
        let quote = characters[first]
        if quote == "\"" || quote == "'" {
            var name = ""
            var index = first + 1
            while index < characters.count {
                let character = characters[index]
                if character == "\\", index + 1 < characters.count {
                    name.append(characters[index + 1])
                    index += 2
                    continue
                }
                if character == quote {
                    guard index + 1 < characters.count, characters[index + 1] == "]" else { return nil }
                    return (name, index + 1)
                }
                name.append(character)
                index += 1
            }
            return nil
        }
        // `[^"'][^[]*\]`: up to the last `]` before the next `[`.
        var limit = first
        while limit < characters.count, characters[limit] != "[" { limit += 1 }
        guard let close = characters[first..<limit].lastIndex(of: "]"), close > first else { return nil }
        return (String(characters[first..<close]), close)
    }

    /// A canonical array index (`0`, `12`; not `01`, `-1`, `1.0`).
    private static func arrayIndex(_ text: String) -> Int? {
        guard let value = Int(text), value >= 0, String(value) == text else { return nil }
        return value
    }

    // MARK: - JSON.stringify

    /// `JSON.stringify` of the value as `JSON.parse` read it: members with canonical integer
    /// names first in numeric order, then the others in the order received (sorted, v1's order);
    /// numbers as JavaScript writes a double; strings escaping only `"`, `\` and control
    /// characters.
    static func stringify(_ value: GoJSONValue) -> [UInt8] {
        var out: [UInt8] = []
        append(value, to: &out)
        return out
    }

    private static func append(_ value: GoJSONValue, to out: inout [UInt8]) {
        switch value {
        case .null: out += Array("null".utf8)
        case .bool(let flag): out += Array((flag ? "true" : "false").utf8)
        case .number(let text):
            let number = Double(text) ?? 0
            out += Array((number.isFinite ? GoJSONNumber.format(number == 0 ? 0 : number) : "null").utf8)
        case .string(let text): appendString(text, to: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                append(element, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, key) in memberOrder(members.keys).enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                appendString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                append(members[key]!, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// JavaScript's own-property order for `keys`: array-index names (below 2³²−1) ascending,
    /// then the rest sorted by bytes.
    static func memberOrder(_ keys: some Sequence<String>) -> [String] {
        func index(_ key: String) -> UInt64? {
            guard let value = UInt64(key), value < 4_294_967_295, String(value) == key else { return nil }
            return value
        }
        let all = Array(keys)
        let indexes = all.compactMap { key in index(key).map { (key, $0) } }.sorted { $0.1 < $1.1 }.map(\.0)
        let names = GoJSONString.sortedKeys(all.filter { index($0) == nil })
        return indexes + names
    }

    private static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x08: out += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case 0x0C: out += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
