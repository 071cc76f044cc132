package import Foundation

/// What `json.Unmarshal(data, &map[string]json.RawMessage{})` accepts and yields, plus ESO's
/// per-value step (a string is unquoted, anything else kept raw).
package enum GoJSONObject {
    /// Why the JSON was refused; never quotes the input.
    package struct Failure: Error {
        package var reason: String
    }

    /// The top-level members of a JSON object: strings unquoted, `null` empty, others raw (a
    /// repeated key keeps its last value); the document `null` has none.
    package static func explode(_ json: [UInt8]) throws(Failure) -> [String: Data] {
        let members: [GoJSONValue.RawMember]?
        do {
            members = try GoJSONValue.rawMembers(json)
        } catch {
            throw Failure(reason: error.reason)
        }
        var out: [String: Data] = [:]
        for member in members ?? [] {
            switch member.value.first {
            case UInt8(ascii: "\""):
                out[member.key] = Data(GoJSONObjectText.string(member.value)?.utf8 ?? "".utf8)
            case UInt8(ascii: "n"):
                out[member.key] = Data()  // unmarshalling null into a string: ""
            default:
                out[member.key] = Data(member.value)
            }
        }
        return out
    }
}

/// A JSON object as its members' texts: editing one member keeps the others byte for byte (their
/// order, numbers, spacing inside them and escapes), as tidwall's `sjson` (ESO's pushes) does.
/// Written back compactly between members (`{"a":1,"b":{ "c" : 2 }}`).
public struct GoJSONObjectText: Sendable, Equatable {
    public typealias Member = GoJSONValue.RawMember

    /// Why an edit could not be made (a member on the path is not an object).
    public struct EditError: Error, CustomStringConvertible {
        public var description: String
    }

    public var members: [Member]

    public init(members: [Member] = []) { self.members = members }

    /// The members of a JSON object text; nil for the document `null`. Invalid JSON and any other
    /// value throw (`GoJSONValue.rawMembers`).
    public static func parse(_ bytes: some Collection<UInt8>) throws(GoJSONValue.SyntaxError) -> GoJSONObjectText? {
        try GoJSONValue.rawMembers(bytes).map(GoJSONObjectText.init(members:))
    }

    /// The object as compact text: `{`, members as `key:value` joined by `,`, `}`.
    public var bytes: [UInt8] {
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
    public static func string(_ value: [UInt8]) -> String? {
        guard value.first == UInt8(ascii: "\""), case .string(let text)? = try? GoJSONValue.parse(value) else {
            return nil
        }
        return text
    }

    /// The text of the member at `path` (keys of nested objects; the first member of a repeated
    /// key); nil when there is none.
    public func value(at path: ArraySlice<String>) -> [UInt8]? {
        guard let key = path.first, let member = members.first(where: { $0.key == key }) else { return nil }
        if path.count == 1 { return member.value }
        guard let child = try? Self.parse(member.value) else { return nil }
        return child.value(at: path.dropFirst())
    }

    /// Sets the member at `path` to the JSON text `value`, creating missing objects on the way
    /// (appended last); throws when a member on the way holds something else than an object.
    public mutating func set(_ path: ArraySlice<String>, _ value: [UInt8]) throws(EditError) {
        guard let key = path.first else { return }
        let index = members.firstIndex { $0.key == key }
        if path.count == 1 {
            if let index {
                members[index].value = value
            } else {
                members.append(Member(rawKey: Self.rawKey(key), key: key, value: value))
            }
            return
        }
        var child = GoJSONObjectText()
        if let index {
            guard members[index].value.first == UInt8(ascii: "{"), let parsed = try? Self.parse(members[index].value)
            else {
                throw EditError(description: "\"\(key)\" holds a value that is not an object")
            }
            child = parsed
        }
        try child.set(path.dropFirst(), value)
        if let index {
            members[index].value = child.bytes
        } else {
            members.append(Member(rawKey: Self.rawKey(key), key: key, value: child.bytes))
        }
    }

    /// Removes the member at `path`, and objects on the way that it leaves empty. False when there
    /// was no such member.
    public mutating func remove(_ path: ArraySlice<String>) -> Bool {
        guard let key = path.first, let index = members.firstIndex(where: { $0.key == key }) else { return false }
        if path.count == 1 {
            members.remove(at: index)
            return true
        }
        guard var child = try? Self.parse(members[index].value), child.remove(path.dropFirst()) else {
            return false
        }
        if child.members.isEmpty {
            members.remove(at: index)
        } else {
            members[index].value = child.bytes
        }
        return true
    }

    /// A new key as sjson writes it (no HTML escaping).
    private static func rawKey(_ key: String) -> [UInt8] { Array(GoJSONString.quote(key, escapeHTML: false).utf8) }
}
