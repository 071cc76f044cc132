public import Foundation
import GoCompat

/// What ESO's providers do with a fetched JSON value, shared by every provider: read
/// `remoteRef.property` from it (gjson) and explode it into keys (`dataFrom.extract`).
///
/// Guarantees: pure; every error is a `ProviderError` whose message names the path or the remote
/// key, never the value.
public enum SecretValues {}

// MARK: - Properties

extension SecretValues {
    /// The value of `remoteRef.property` in a fetched JSON value, as ESO's providers compute it:
    /// when the path contains a `.`, it is first tried as one literal key (every `.` escaped), then
    /// as a gjson path; the result is gjson's `String()` (strings unquoted, objects as raw JSON).
    /// A missing property is `ProviderError.notFound`, naming the path (and `remoteKey` if given).
    public static func property(_ path: String, of value: Data, remoteKey: String? = nil) throws(ProviderError) -> Data {
        let json = [UInt8](value)
        do throws(GJSON.UnsupportedPath) {
            if path.contains(".") {
                let literal = try GJSON.get(json, path: Array(path.replacingOccurrences(of: ".", with: "\\.").utf8))
                if literal.exists { return Data(literal.stringBytes) }
            }
            let result = try GJSON.get(json, path: Array(path.utf8))
            if result.exists { return Data(result.stringBytes) }
        } catch {
            throw .unsupported("property \(GoQuote.quote(path)): \(error.description)")
        }
        if let remoteKey {
            throw .notFound("key \(GoQuote.quote(path)) does not exist in secret \(GoQuote.quote(remoteKey))")
        }
        throw .notFound("property \(GoQuote.quote(path)) does not exist")
    }
}

// MARK: - Extract (JSON object → keys)

extension SecretValues {
    /// ESO's `JSONToSecretDataMap` (what providers' `getSecretMap` does with a JSON value): the
    /// top-level keys of a JSON object; string values unquoted, every other value kept as its raw
    /// JSON text exactly as written (numbers, nested objects, `true`), `null` as an empty value.
    /// The JSON must be valid as Go's `encoding/json` reads it; the document `null` gives no keys.
    /// Duplicate keys: the last one wins. Errors never echo the value.
    public static func explodeJSONObject(_ value: Data, remoteKey: String? = nil) throws(ProviderError) -> SecretData {
        let what = remoteKey.map { "secret \(GoQuote.quote($0))" } ?? "the value"
        do throws(GoJSONObject.Failure) {
            return try GoJSONObject.explode([UInt8](value))
        } catch {
            throw ProviderError(.invalidData, "unable to unmarshal \(what): \(error.reason)")
        }
    }
}

