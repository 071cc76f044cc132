import Foundation
import ProviderKit
import GoCompat

/// The JSON a PushSecret entry writes, in ESO's shapes (pure, tested).
enum PushedJSON {
    /// A whole Secret (`PushValue.allKeys`) as ESO's `esutils.JSONMarshal` writes it: a JSON object of
    /// the values as text (bytes that are not UTF-8 as `\ufffd`), keys sorted, no HTML escaping.
    static func textObject(_ data: SecretData) -> Data {
        Data(GoJSONString.encodeStringMap(data.mapValues { Array($0) }, escapeHTML: false))
    }

    /// A whole Secret as ESO's Parameter Store provider writes it by default: Go marshals `[]byte`
    /// values as base64 strings.
    static func base64Object(_ data: SecretData) -> Data {
        Data(GoJSONString.encodeStringMap(data.mapValues { Array(GoBase64.encode($0).utf8) }, escapeHTML: false))
    }

    // MARK: - One property of a JSON object

    /// What setting a property to a value does to a remote secret.
    enum Merge: Equatable {
        /// The property already holds the value: nothing to write.
        case unchanged
        /// The new content of the remote secret.
        case write(Data)
    }

    /// `existing` (nil or empty: a new object) with `property` set to `value` as a JSON string, as
    /// ESO's `sjson.SetBytes` does: a path of dot-separated keys (`\.` for a literal dot; missing
    /// objects on the way are created), except that a top-level key equal to the whole property is
    /// used as it is, as the read path looks it up first. Every other member keeps its text.
    static func setting(_ property: String, to value: Data, in existing: Data?, remoteKey: String)
        throws(ProviderError) -> Merge
    {
        var object = try parseObject(existing, remoteKey: remoteKey)
        let path = try path(property, in: object)
        let text = String(decoding: value, as: UTF8.self)
        if let current = object.value(at: path[...]), JSONObjectText.string(current) == text {
            return .unchanged
        }
        let encoded = Array(GoJSONString.quote(text, escapeHTML: false).utf8)
        do {
            try object.set(path[...], encoded)
        } catch {
            throw ProviderError(
                .invalidData,
                "the property \"\(property)\" of \"\(remoteKey)\" cannot be set: \(error.description)")
        }
        return .write(Data(object.bytes))
    }

    /// `existing` without `property`; nil when it was not there. An object left empty is `{}`.
    static func removing(_ property: String, from existing: Data?, remoteKey: String) throws(ProviderError) -> Data? {
        var object = try parseObject(existing, remoteKey: remoteKey)
        let path = try path(property, in: object)
        guard object.remove(path[...]) else { return nil }
        return Data(object.bytes)
    }

    /// Whether `existing` is a JSON object with `property`.
    static func contains(_ property: String, in existing: Data) -> Bool {
        guard let object = try? parseObject(existing, remoteKey: ""), let path = try? path(property, in: object) else {
            return false
        }
        return object.value(at: path[...]) != nil
    }

    /// Whether `data` is `{}` (with any whitespace).
    static func isEmptyObject(_ data: Data) -> Bool {
        (try? JSONObjectText(Array(data)))?.members.isEmpty == true
    }

    static func parseObject(_ existing: Data?, remoteKey: String) throws(ProviderError) -> JSONObjectText {
        guard let existing, !existing.allSatisfy({ JSONObjectText.isSpace($0) }) else {
            return JSONObjectText(members: [])
        }
        guard (try? JSONSerialization.jsonObject(with: existing)) is [String: Any],
            let object = try? JSONObjectText(Array(existing))
        else {
            throw ProviderError(
                .invalidData,
                "\"\(remoteKey)\" is not a JSON object, so a property cannot be pushed into it (push without remoteRef.property to replace it)"
            )
        }
        return object
    }

    /// The keys `property` names in `object` (see `setting`).
    static func path(_ property: String, in object: JSONObjectText) throws(ProviderError) -> [String] {
        if object.members.contains(where: { $0.key == property }) { return [property] }
        var keys: [String] = []
        var current = ""
        var escaped = false
        for character in property {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "." {
                keys.append(current)
                current = ""
            } else if character == "*" || character == "?" {
                throw ProviderError.invalidConfiguration(
                    "remoteRef.property \"\(property)\": wildcards (* and ?) cannot be pushed to")
            } else {
                current.append(character)
            }
        }
        if escaped { current.append("\\") }
        keys.append(current)
        return keys
    }
}

/// A JSON object as its members' texts: editing one member keeps the others byte for byte (their
/// order, numbers and escapes), as ESO's sjson does.
struct JSONObjectText: Equatable {
    struct Member: Equatable {
        /// The key as written, quotes included.
        var rawKey: [UInt8]
        var key: String
        /// The value as written.
        var value: [UInt8]
    }

    struct EditError: Error, CustomStringConvertible {
        var description: String
    }

    var members: [Member]

    init(members: [Member]) { self.members = members }

    /// Parses the members of a JSON object text (already known to be valid JSON).
    init(_ bytes: [UInt8]) throws(EditError) {
        var scanner = Scanner(bytes: bytes)
        members = try scanner.object()
        scanner.skipSpace()
        guard scanner.index == bytes.count else { throw EditError(description: "text after the object") }
    }

    var bytes: [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (index, member) in members.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out += member.rawKey
            out.append(UInt8(ascii: ":"))
            out += member.value
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// The decoded text of a JSON string value; nil for any other value.
    static func string(_ value: [UInt8]) -> String? {
        guard value.first == UInt8(ascii: "\"") else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(value), options: .fragmentsAllowed)) as? String
    }

    func value(at path: ArraySlice<String>) -> [UInt8]? {
        guard let key = path.first, let member = members.first(where: { $0.key == key }) else { return nil }
        if path.count == 1 { return member.value }
        guard let child = try? JSONObjectText(member.value) else { return nil }
        return child.value(at: path.dropFirst())
    }

    mutating func set(_ path: ArraySlice<String>, _ value: [UInt8]) throws(EditError) {
        guard let key = path.first else { return }
        let index = members.firstIndex { $0.key == key }
        if path.count == 1 {
            if let index {
                members[index].value = value
            } else {
                members.append(
                    Member(rawKey: Array(GoJSONString.quote(key, escapeHTML: false).utf8), key: key, value: value))
            }
            return
        }
        var child = JSONObjectText(members: [])
        if let index {
            guard members[index].value.first == UInt8(ascii: "{"),
                let parsed = try? JSONObjectText(members[index].value)
            else {
                throw EditError(description: "\"\(key)\" holds a value that is not an object")
            }
            child = parsed
        }
        try child.set(path.dropFirst(), value)
        if let index {
            members[index].value = child.bytes
        } else {
            members.append(
                Member(rawKey: Array(GoJSONString.quote(key, escapeHTML: false).utf8), key: key, value: child.bytes))
        }
    }

    /// Removes the member at `path`, and objects on the way that it leaves empty. False when there
    /// was no such member.
    mutating func remove(_ path: ArraySlice<String>) -> Bool {
        guard let key = path.first, let index = members.firstIndex(where: { $0.key == key }) else { return false }
        if path.count == 1 {
            members.remove(at: index)
            return true
        }
        guard var child = try? JSONObjectText(members[index].value), child.remove(path.dropFirst()) else {
            return false
        }
        if child.members.isEmpty {
            members.remove(at: index)
        } else {
            members[index].value = child.bytes
        }
        return true
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// Finds where members and values start and end; the text was validated before.
    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        mutating func skipSpace() {
            while index < bytes.count, JSONObjectText.isSpace(bytes[index]) { index += 1 }
        }

        mutating func expect(_ character: Character) throws(EditError) {
            skipSpace()
            guard index < bytes.count, bytes[index] == character.asciiValue! else {
                throw EditError(description: "expected \"\(character)\"")
            }
            index += 1
        }

        mutating func object() throws(EditError) -> [Member] {
            try expect("{")
            var members: [Member] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return members
            }
            while true {
                skipSpace()
                let keyStart = index
                try skipString()
                let rawKey = Array(bytes[keyStart..<index])
                guard let key = JSONObjectText.string(rawKey) else { throw EditError(description: "bad key") }
                try expect(":")
                skipSpace()
                let valueStart = index
                try skipValue()
                members.append(Member(rawKey: rawKey, key: key, value: Array(bytes[valueStart..<index])))
                skipSpace()
                guard index < bytes.count else { throw EditError(description: "unterminated object") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect("}")
                return members
            }
        }

        mutating func skipString() throws(EditError) {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw EditError(description: "expected a string")
            }
            index += 1
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\\"): index += 2
                case UInt8(ascii: "\""):
                    index += 1
                    return
                default: index += 1
                }
            }
            throw EditError(description: "unterminated string")
        }

        mutating func skipValue() throws(EditError) {
            guard index < bytes.count else { throw EditError(description: "missing value") }
            switch bytes[index] {
            case UInt8(ascii: "\""):
                try skipString()
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                while index < bytes.count {
                    switch bytes[index] {
                    case UInt8(ascii: "\""):
                        try skipString()
                        continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
                    default: break
                    }
                    index += 1
                    if depth == 0 { return }
                }
                throw EditError(description: "unterminated value")
            default:
                let start = index
                while index < bytes.count, !JSONObjectText.isSpace(bytes[index]),
                    ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]")].contains(bytes[index])
                {
                    index += 1
                }
                if index == start { throw EditError(description: "missing value") }
            }
        }
    }
}
