public import Foundation
import GoCompat

/// The JSON a PushSecret entry writes, in ESO's shapes, shared by the providers that push JSON
/// (pure, tested).
public enum PushedJSON {
    /// A whole Secret (`PushValue.allKeys`) as ESO's `esutils.JSONMarshal` writes it: a JSON object of
    /// the values as text (bytes that are not UTF-8 as `\ufffd`), keys sorted, no HTML escaping.
    public static func textObject(_ data: SecretData) -> Data {
        Data(GoJSONString.encodeStringMap(data.mapValues { Array($0) }, escapeHTML: false))
    }

    /// A whole Secret as ESO's Parameter Store provider writes it by default: Go marshals `[]byte`
    /// values as base64 strings.
    public static func base64Object(_ data: SecretData) -> Data {
        Data(GoJSONString.encodeStringMap(data.mapValues { Array(GoBase64.encode($0).utf8) }, escapeHTML: false))
    }

    // MARK: - One property of a JSON object

    /// What setting a property to a value does to a remote secret.
    public enum Merge: Equatable, Sendable {
        /// The property already holds the value: nothing to write.
        case unchanged
        /// The new content of the remote secret.
        case write(Data)
    }

    /// `existing` (nil or empty: a new object) with `property` set to `value` as a JSON string, as
    /// ESO's `sjson.SetBytes` does: a path of dot-separated keys (`\.` for a literal dot; missing
    /// objects on the way are created), except that a top-level key equal to the whole property is
    /// used as it is, as the read path looks it up first. Every other member keeps its text.
    public static func setting(_ property: String, to value: Data, in existing: Data?, remoteKey: String)
        throws(ProviderError) -> Merge
    {
        var object = try parseObject(existing, remoteKey: remoteKey)
        let path = try path(property, in: object)
        let text = String(decoding: value, as: UTF8.self)
        if let current = object.value(at: path[...]), GoJSONObjectText.string(current) == text {
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
    public static func removing(_ property: String, from existing: Data?, remoteKey: String) throws(ProviderError) -> Data? {
        var object = try parseObject(existing, remoteKey: remoteKey)
        let path = try path(property, in: object)
        guard object.remove(path[...]) else { return nil }
        return Data(object.bytes)
    }

    /// Whether `existing` is a JSON object with `property`.
    public static func contains(_ property: String, in existing: Data) -> Bool {
        guard let object = try? parseObject(existing, remoteKey: ""), let path = try? path(property, in: object) else {
            return false
        }
        return object.value(at: path[...]) != nil
    }

    /// Whether `data` is `{}` (with any whitespace).
    public static func isEmptyObject(_ data: Data) -> Bool {
        (try? GoJSONObjectText.parse(data))?.members.isEmpty == true
    }

    static func parseObject(_ existing: Data?, remoteKey: String) throws(ProviderError) -> GoJSONObjectText {
        guard let existing, !existing.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) else {
            return GoJSONObjectText()
        }
        guard let object = try? GoJSONObjectText.parse(existing) else {
            throw ProviderError(
                .invalidData,
                "\"\(remoteKey)\" is not a JSON object, so a property cannot be pushed into it (push without remoteRef.property to replace it)"
            )
        }
        return object
    }

    /// The keys `property` names in `object` (see `setting`).
    static func path(_ property: String, in object: GoJSONObjectText) throws(ProviderError) -> [String] {
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
