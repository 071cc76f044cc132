/// JSON merge patches (RFC 7386), the `application/merge-patch+json` body the API server applies.
///
/// Guarantees: `JSONMergePatch.diff(from: a, to: b)` applied to `a` with `apply` gives `b`,
/// except where RFC 7386 cannot express `b`: a member whose new value is JSON `null` is sent as a
/// removal (a merge patch cannot set a member to null), and arrays are replaced whole. A nil diff
/// means the two documents are equal, so a caller can skip the write.
public enum JSONMergePatch {
    /// The smallest merge patch turning `old` into `new`, or nil when they are equal. Object members
    /// missing from `new` become `null`; changed non-object values (and arrays) are sent whole.
    public static func diff(from old: JSONValue?, to new: JSONValue) -> JSONValue? {
        guard case .object(let newMembers) = new, case .object(let oldMembers)? = old else {
            // Not `old == new ? nil : new`: JSONValue is ExpressibleByNilLiteral, so that `nil`
            // would be JSON null.
            if old == new { return Optional.none }
            return new
        }
        var patch: [String: JSONValue] = [:]
        for (key, value) in newMembers {
            if case .null = value {
                if oldMembers[key] != nil { patch[key] = .null }
                continue
            }
            if let change = diff(from: oldMembers[key], to: value) { patch[key] = change }
        }
        for key in oldMembers.keys where newMembers[key] == nil { patch[key] = .null }
        if patch.isEmpty { return Optional.none }
        return .object(patch)
    }

    /// `patch` applied to `target` as the API server applies a merge patch (RFC 7386 section 2).
    public static func apply(_ patch: JSONValue, to target: JSONValue?) -> JSONValue {
        guard case .object(let patchMembers) = patch else { return patch }
        var result: [String: JSONValue]
        if case .object(let members)? = target { result = members } else { result = [:] }
        for (key, value) in patchMembers {
            if case .null = value {
                result[key] = nil
            } else {
                result[key] = apply(value, to: result[key])
            }
        }
        return .object(result)
    }
}
