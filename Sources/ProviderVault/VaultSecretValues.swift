import ExternalSecretsAPI
import Foundation
import GoCompat
import ProviderKit

/// The pure part of reading: what ESO's Vault provider makes of Vault's answers. No I/O; errors
/// name keys and properties, never values.
enum VaultSecretValues {
    typealias Object = [String: VaultJSON.Value]

    /// The metadata keys ESO copies from a KV v2 metadata read, besides `custom_metadata`.
    static let systemMetadataKeys = ["created_time", "current_version", "delete_version_after"]

    // MARK: - Responses

    /// The secret of a read: for v1 the response's `data`, for v2 its `data.data`. A v2 secret
    /// whose current version is deleted (`data.data` null) does not exist.
    static func secretData(_ body: [UInt8], version: VaultKVStoreVersion, key: String) throws(ProviderError) -> Object {
        guard case .object(let response) = try parse(body, key: key) else {
            throw ProviderError(.invalidData, "secret \"\(key)\": Vault's answer is not a JSON object")
        }
        let data: Object
        switch response["data"] {
        case .object(let members)?: data = members
        case nil, .null?: throw .notFound("secret \"\(key)\" not found")
        default: throw ProviderError(.invalidData, "secret \"\(key)\": Vault's answer has no data object")
        }
        guard version == .v2 else { return data }
        switch data["data"] {
        case .object(let secret)?: return secret
        case nil:
            throw ProviderError(
                .invalidData, "secret \"\(key)\": failed to find data field (is the store's version right?)")
        case .null?: throw .notFound("secret \"\(key)\" not found (its current version is deleted)")
        default: throw ProviderError(.invalidData, "secret \"\(key)\": data field is not a JSON object")
        }
    }

    /// The metadata ESO exposes for a KV v2 secret: the system keys and `custom_metadata`, each
    /// value as Go's `%v` prints it. (Custom metadata wins over a system key of the same name.)
    static func metadata(_ body: [UInt8], key: String) throws(ProviderError) -> [String: String] {
        guard case .object(let response) = try parse(body, key: key), case .object(let data)? = response["data"] else {
            throw .notFound("metadata of secret \"\(key)\" not found")
        }
        var metadata: [String: String] = [:]
        for name in systemMetadataKeys {
            if let value = data[name], value != .null { metadata[name] = goPrint(value) }
        }
        if case .object(let custom)? = data["custom_metadata"] {
            for (name, value) in custom { metadata[name] = goPrint(value) }
        }
        return metadata
    }

    /// What a push needs from a KV v2 metadata read: the current version (0 when none was ever
    /// written) and the custom metadata.
    static func ownership(_ body: [UInt8], key: String) throws(ProviderError) -> VaultRemoteSecret {
        guard case .object(let response) = try parse(body, key: key), case .object(let data)? = response["data"] else {
            throw ProviderError(.invalidData, "metadata of secret \"\(key)\": Vault's answer has no data object")
        }
        var remote = VaultRemoteSecret()
        switch data["current_version"] {
        case .number(let text)?:
            guard let version = Int(text), version >= 0 else {
                throw ProviderError(
                    .invalidData, "metadata of secret \"\(key)\": current_version is not a version number")
            }
            remote.currentVersion = version
        case nil, .null?:
            break
        default:
            throw ProviderError(.invalidData, "metadata of secret \"\(key)\": current_version is not a number")
        }
        if case .object(let custom)? = data["custom_metadata"] {
            for (name, value) in custom { remote.customMetadata[name] = goPrint(value) }
        }
        return remote
    }

    /// The capabilities per path of a `sys/capabilities-self` answer; nil when it has none.
    static func capabilities(_ body: [UInt8]) -> [String: [String]]? {
        guard case .object(let response)? = try? VaultJSON.parse(body), case .object(let data)? = response["data"]
        else {
            return nil
        }
        var result: [String: [String]] = [:]
        for (path, value) in data {
            guard case .array(let items) = value else { continue }
            result[path] = items.compactMap {
                if case .string(let capability) = $0 { return capability }
                return nil
            }
        }
        return result
    }

    /// The names in a LIST answer (`data.keys`); folders end in `/`.
    static func listedKeys(_ body: [UInt8], path: String) throws(ProviderError) -> [String] {
        guard case .object(let response) = try parse(body, key: path) else {
            throw ProviderError(.invalidData, "list of \"\(path)\": Vault's answer is not a JSON object")
        }
        guard case .object(let data)? = response["data"], case .array(let keys)? = data["keys"] else { return [] }
        return keys.compactMap {
            if case .string(let name) = $0 { return name }
            return nil
        }
    }

    private static func parse(_ body: [UInt8], key: String) throws(ProviderError) -> VaultJSON.Value {
        do {
            return try VaultJSON.parse(body)
        } catch {
            throw ProviderError(.invalidData, "secret \"\(key)\": Vault's answer is not valid JSON (\(error.reason))")
        }
    }

    /// Go's `fmt.Sprintf("%v", v)` for the scalar values metadata holds.
    private static func goPrint(_ value: VaultJSON.Value) -> String {
        switch value {
        case .string(let text): text
        case .number(let text): text
        case .bool(let flag): flag ? "true" : "false"
        case .null: "<nil>"
        case .array, .object: String(decoding: VaultJSON.marshal(value, numbers: .literal), as: UTF8.self)
        }
    }

    // MARK: - Values

    /// ESO's `getSecretValue`: the whole secret as JSON without a property; with one, the
    /// top-level key of that name if there is one, else the gjson path in the JSON.
    static func value(of secret: Object, property: String?, key: String) throws(ProviderError) -> Data {
        let json = VaultJSON.marshal(.object(secret), numbers: .literal)
        guard let property, !property.isEmpty else { return Data(json) }
        if let member = secret[property] { return byteValue(member, numbers: .literal) }
        return try SecretValues.property(property, of: Data(json), remoteKey: key)
    }

    /// ESO's `GetSecretMap`: the value `getSecret` returns, decoded as a JSON object, each member
    /// as `GetByteValue` writes it (numbers as Go `float64`s).
    static func map(of value: Data, key: String, property: String?) throws(ProviderError) -> SecretData {
        let what =
            property.flatMap { $0.isEmpty ? nil : "property \"\($0)\" of secret \"\(key)\"" } ?? "secret \"\(key)\""
        let parsed: VaultJSON.Value
        do {
            parsed = try VaultJSON.parse(value)
        } catch {
            throw ProviderError(.invalidData, "\(what) is not a JSON object: \(error.reason)")
        }
        switch parsed {
        case .object(let members):
            return members.mapValues { byteValue($0, numbers: .float64) }
        case .null:
            return [:]
        default:
            throw ProviderError(.invalidData, "\(what) is not a JSON object")
        }
    }

    /// ESO's `GetByteValue`: strings as they are, numbers as text, `true`/`false`, null empty,
    /// objects and arrays as JSON.
    static func byteValue(_ value: VaultJSON.Value, numbers: VaultJSON.Numbers) -> Data {
        switch value {
        case .string(let text): Data(text.utf8)
        case .number(let text):
            switch numbers {
            case .literal: Data(text.utf8)
            case .float64: Data(GoJSONNumber.plain(Double(text) ?? 0).utf8)  // strconv.FormatFloat(f, 'f', -1, 64)
            }
        case .bool(let flag): Data((flag ? "true" : "false").utf8)
        case .null: Data()
        case .array, .object: Data(VaultJSON.marshal(value, numbers: numbers))
        }
    }
}
