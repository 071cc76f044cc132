public import Foundation

/// ESO's hashes, reproduced byte for byte so that a Secret last written by ESO is recognised as
/// up to date (ESO-BEHAVIOUR.md: "Names on the managed Secret" and "When ESO refreshes").
public enum ESOHashes {
    /// `reconcile.external-secrets.io/data-hash`: SHA3-224 hex of Go's `fmt.Sprintf("%+v", data)`
    /// for a `map[string][]byte`.
    public static func dataHash(_ data: [String: Data]) -> String {
        SHA3_224.hex(Array(goFormat(bytesMap: data).utf8))
    }

    /// The hash part of `status.syncedResourceVersion`: SHA3-224 hex of Go's `%+v` of
    /// `struct{annotations, labels map[string]string}`.
    public static func metaHash(annotations: [String: String]?, labels: [String: String]?) -> String {
        let text = "{annotations:\(goFormat(stringMap: annotations ?? [:])) labels:\(goFormat(stringMap: labels ?? [:]))}"
        return SHA3_224.hex(Array(text.utf8))
    }

    /// `status.syncedResourceVersion`: `<generation>-<metaHash>`.
    public static func syncedResourceVersion(
        generation: Int64, annotations: [String: String]?, labels: [String: String]?
    ) -> String {
        "\(generation)-\(metaHash(annotations: annotations, labels: labels))"
    }

    /// `reconcile.external-secrets.io/created-by`: SHA3-224 hex of `namespace/name`.
    public static func createdBy(namespace: String, name: String) -> String {
        SHA3_224.hex(Array("\(namespace)/\(name)".utf8))
    }

    /// Go's `%+v` of a `map[string][]byte`: `map[a:[104 105] b:[]]`, keys in byte order.
    static func goFormat(bytesMap: [String: Data]) -> String {
        let entries = bytesMap.keys.sorted(by: goLess).map { key in
            "\(key):[" + bytesMap[key, default: Data()].map(String.init).joined(separator: " ") + "]"
        }
        return "map[" + entries.joined(separator: " ") + "]"
    }

    /// Go's `%+v` of a `map[string]string`: `map[a:b c:d]`, keys in byte order.
    static func goFormat(stringMap: [String: String]) -> String {
        "map[" + stringMap.keys.sorted(by: goLess).map { "\($0):\(stringMap[$0, default: ""])" }.joined(separator: " ") + "]"
    }

    /// Go sorts map keys by their bytes.
    private static func goLess(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }
}
