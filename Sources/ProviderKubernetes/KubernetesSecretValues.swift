import ExternalSecretsAPI
import Foundation
import GoCompat
import KubeModel
import ProviderKit

/// What ESO's kubernetes provider returns for one Secret, as pure functions of the Secret and
/// the remote reference.
enum KubernetesSecretValues {
    /// `GetSecret`: without `property`, the whole data as a JSON object of strings (or, with
    /// `metadataPolicy: Fetch`, `{"annotations":{...},"labels":{...}}`); with `property`, one value.
    ///
    /// `property` is first an exact data key (`tls.crt`); failing that, `key.path` reads the JSON
    /// path `path` inside the value of `key` (gjson).
    static func value(of secret: Secret, ref: ExternalSecretDataRemoteRef) throws -> [UInt8] {
        let property = ref.property ?? ""
        if ref.metadataPolicy == .fetch {
            return try metadataValue(of: secret, property: property, key: ref.key)
        }
        let data = secret.data ?? [:]
        if property.isEmpty { return GoJSON.encodeStringMap(data) }
        if let value = data[property] { return Array(value) }
        let missing = ProviderError.notFound(
            "property \(property) does not exist in data of secret \"\(ref.key)\"")
        // ESO: a dot that is neither first nor last splits a data key from a JSON path.
        guard let dot = property.firstIndex(of: "."), dot != property.startIndex,
            property.index(after: dot) != property.endIndex
        else { throw missing }
        guard let value = data[String(property[..<dot])] else { throw missing }
        let path = String(property[property.index(after: dot)...])
        guard let found = try evaluate(path, in: value) else {
            throw missing
        }
        return Array(found)
    }

    /// `metadataPolicy: Fetch` with `GetSecret`: `labels` / `annotations` as JSON, one of their
    /// entries, or a JSON path inside an entry (ESO joins the remaining path segments without dots).
    private static func metadataValue(of secret: Secret, property: String, key: String) throws -> [UInt8] {
        let labels = secret.metadata.labels
        let annotations = secret.metadata.annotations
        if property.isEmpty {
            return Array("{\"annotations\":".utf8) + GoJSON.encodeOptionalStringMap(annotations)
                + Array(",\"labels\":".utf8) + GoJSON.encodeOptionalStringMap(labels) + [UInt8(ascii: "}")]
        }
        let missing = ProviderError.notFound("property \(property) does not exist in metadata of secret \"\(key)\"")
        let path = property.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let entries: [String: String]?
        switch path[0] {
        case "labels": entries = labels
        case "annotations": entries = annotations
        default: throw missing
        }
        if path.count == 1 { return GoJSON.encodeOptionalStringMap(entries) }
        guard let value = entries?[path[1]] else { throw missing }
        if path.count == 2 { return Array(value.utf8) }
        let rest = path[2...].joined()
        guard let found = try evaluate(rest, in: Data(value.utf8)) else { throw missing }
        return Array(found)
    }

    /// gjson's `Get(json, path).String()` bytes (strings unquoted, other values as JSON text), or
    /// nil when nothing is at `path` (ESO: `gjson.Get(string(data[key]), path)`). A path using gjson
    /// syntax GJSON does not implement throws `GJSON.UnsupportedPath`.
    private static func evaluate(_ path: String, in json: Data) throws -> Data? {
        guard let result = try GJSON.get(json, path: path) else { return nil }
        return Data(result.stringBytes)
    }

    /// `GetSecretMap`: the Secret's data (or, with `metadataPolicy: Fetch`, `labels` and
    /// `annotations` as JSON). With `property`, that entry must hold a JSON object, which is
    /// exploded: each member becomes a key whose value is the member's JSON text — so a string
    /// member keeps its quotes, exactly as ESO returns it.
    static func map(of secret: Secret, ref: ExternalSecretDataRemoteRef) throws -> SecretData {
        let entries: SecretData
        if ref.metadataPolicy == .fetch {
            entries = [
                "labels": Data(GoJSON.encodeOptionalStringMap(secret.metadata.labels)),
                "annotations": Data(GoJSON.encodeOptionalStringMap(secret.metadata.annotations)),
            ]
        } else {
            entries = secret.data ?? [:]
        }
        guard let property = ref.property, !property.isEmpty else { return entries }
        guard let value = entries[property] else {
            throw ProviderError.notFound("property \(property) does not exist in key \(ref.key)")
        }
        let parsed: GoJSON.Value
        do {
            parsed = try GoJSON.parse(Array(value))
        } catch {
            throw ProviderError(
                .invalidData,
                "property \(property) of secret \"\(ref.key)\": failed to unmarshal secret: invalid JSON format")
        }
        switch parsed {
        case .object(let members):
            return members.mapValues { Data(GoJSON.encode($0)) }
        case .null:
            // Go unmarshals `null` into a nil map without error.
            return [:]
        default:
            throw ProviderError(
                .invalidData,
                "property \(property) of secret \"\(ref.key)\": failed to unmarshal secret: invalid JSON format")
        }
    }
}

/// `dataFrom.find` for Secrets: `tags` become a server-side label selector, `name.regexp` an
/// unanchored match on Secret names (Go's `MatchString`). When both are set both apply.
struct SecretQuery {
    var labelSelector: String?
    var namePattern: GoRegexp?

    init(_ find: ExternalSecretFind) throws {
        if let path = find.path, !path.isEmpty {
            throw ProviderError.unsupported(
                "find.path is not supported by the kubernetes provider: Secrets have no path; use find.name or find.tags"
            )
        }
        guard find.name != nil || find.tags != nil else {
            throw ProviderError.invalidConfiguration("find needs name.regexp or tags")
        }
        if let tags = find.tags {
            labelSelector = try Self.labelSelector(tags)
        }
        if let pattern = find.name?.regexp, !pattern.isEmpty {
            do {
                namePattern = try GoRegexp(pattern)
            } catch {
                throw ProviderError.invalidConfiguration(
                    "find.name.regexp \"\(pattern)\" is not a valid regular expression: \(error.message)")
            }
        }
    }

    func matches(name: String) -> Bool {
        guard let namePattern else { return true }
        return namePattern.matchString(name)
    }

    /// `k1=v1,k2=v2` sorted by key, as `labels.SelectorFromSet` prints it; keys and values are
    /// checked as the API server would, so a bad tag is a clear configuration error.
    static func labelSelector(_ tags: [String: String]) throws -> String {
        var requirements: [String] = []
        for key in tags.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            let value = tags[key]!
            guard isQualifiedName(key) else {
                throw ProviderError.invalidConfiguration("find.tags: \"\(key)\" is not a valid label key")
            }
            guard value.isEmpty || isLabelName(value) else {
                throw ProviderError.invalidConfiguration("find.tags[\(key)]: \"\(value)\" is not a valid label value")
            }
            requirements.append("\(key)=\(value)")
        }
        return requirements.joined(separator: ",")
    }

    /// `[prefix/]name`: a DNS-1123 subdomain prefix and a label name.
    static func isQualifiedName(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return isLabelName(text)
        case 2: return isDNSSubdomain(String(parts[0])) && isLabelName(String(parts[1]))
        default: return false
        }
    }

    /// 1–63 of `[A-Za-z0-9_.-]`, starting and ending alphanumeric.
    static func isLabelName(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...63).contains(bytes.count) else { return false }
        func alphanumeric(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        return alphanumeric(bytes.first!) && alphanumeric(bytes.last!)
            && bytes.allSatisfy {
                alphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
            }
    }

    static func isDNSSubdomain(_ text: String) -> Bool {
        guard (1...253).contains(text.utf8.count) else { return false }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy {
            KubernetesStoreSettings.isDNSLabel(String($0))
        }
    }
}
