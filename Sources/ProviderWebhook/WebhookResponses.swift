import Foundation
import GoCompat
import HTTPSupport
import ProviderKit

/// What ESO's webhook provider makes of a response, without I/O.
///
/// Guarantees: errors name the status, the JSONPath or the Go type, never a value of the body.
enum WebhookResponses {
    /// ESO's `executeRequest` status rule: 404 is "not found" (drives `deletionPolicy`), any
    /// other status outside 2xx is an error naming it. 401/403 are access denied, 429 throttled,
    /// 502-504 unavailable, so the operator's retry and status words fit; 304 (which ESO treats
    /// as "keep the current value") is an error here.
    static func check(_ response: HTTPResponse, what: String = "endpoint") throws(ProviderError) {
        let status = response.status
        switch status.code {
        case 200..<300: return
        case 404: throw .notFound("\(what) answered 404 Not Found: the secret does not exist")
        case 401, 403: throw .accessDenied("\(what) gave error \(status.code) \(status.reasonPhrase)")
        case 429: throw ProviderError(.throttled, "\(what) gave error \(status.code) \(status.reasonPhrase)")
        case 502, 503, 504:
            throw ProviderError(.unavailable, "\(what) gave error \(status.code) \(status.reasonPhrase)")
        default: throw ProviderError(.other, "\(what) gave error \(status.code) \(status.reasonPhrase)")
        }
    }

    /// The response body as `json.Unmarshal` into `interface{}` reads it.
    static func parse(_ body: [UInt8], what: String = "response json") throws(ProviderError) -> GoJSONValue {
        do {
            return try GoJSONValue.parse(body, numbers: .float64)
        } catch {
            throw ProviderError(.invalidData, "failed to parse \(what): \(error.reason)")
        }
    }

    /// ESO's `GetSecret`: the whole body without a JSONPath; with one, the selected value as
    /// `extractSecretData` turns it into bytes.
    static func value(_ body: [UInt8], jsonPath: String) throws(ProviderError) -> Data {
        guard !jsonPath.isEmpty else { return Data(body) }
        let document = try parse(body)
        let selected: GoJSONValue
        do {
            selected = try WebhookJSONPath.get(jsonPath, in: document)
        } catch {
            throw ProviderError(.invalidData, "failed to get response path \(jsonPath): \(error.message)")
        }
        return try extract(selected)
    }

    /// ESO's `extractSecretData`: one value as bytes. Numbers are written with no decimals
    /// (`FormatFloat(v, 'f', 0, 64)`), an array gives its first element, an object its JSON.
    static func extract(_ value: GoJSONValue) throws(ProviderError) -> Data {
        switch value {
        case .bool(let flag): return Data((flag ? "true" : "false").utf8)
        case .null: return Data()
        case .number(let text): return Data(String(format: "%.0f", Double(text) ?? 0).utf8)
        case .string(let text): return Data(text.utf8)
        case .array(let items):
            guard let first = items.first else {
                throw ProviderError(.invalidData, "filter worked but didn't get any result")
            }
            return try extract(first)
        case .object: return Data(value.marshal(numbers: .float64))
        }
    }

    /// ESO's `GetSecretMap`: the body (or the value at the JSONPath; a string is parsed as JSON
    /// again) must be an object; each value becomes bytes as `GetByteValue` does.
    static func map(_ body: [UInt8], jsonPath: String) throws(ProviderError) -> SecretData {
        var document = try parse(body)
        if !jsonPath.isEmpty {
            do {
                document = try WebhookJSONPath.get(jsonPath, in: document)
            } catch {
                throw ProviderError(.invalidData, "failed to get response path \(jsonPath): \(error.message)")
            }
        }
        if case .string(let text) = document {
            document = try parse(Array(text.utf8), what: "response json from jsonpath")
        }
        guard case .object(let members) = document else {
            throw ProviderError(.invalidData, "failed to get response (wrong type: \(document.goTypeName))")
        }
        var out: SecretData = [:]
        for (key, member) in members {
            switch member {
            case .string(let text): out[key] = Data(text.utf8)
            case .number(let text): out[key] = Data(GoJSONNumber.plain(Double(text) ?? 0).utf8)
            case .bool(let flag): out[key] = Data((flag ? "true" : "false").utf8)
            case .null: out[key] = Data()
            case .array, .object: out[key] = Data(member.marshal(numbers: .float64))
            }
        }
        return out
    }
}
