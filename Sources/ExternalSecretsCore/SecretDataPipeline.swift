public import ExternalSecretsAPI
public import Foundation
import GoCompat

/// ESO's fetch pipeline: the pure steps that turn values fetched from a provider into Secret keys
/// and values, in ESO's order.
///
/// - `dataFrom.find` / `dataFrom.extract`: rewrite → key conversion (only when there are no
///   rewrite steps, as in ESO) → key validation (empty keys dropped) → decoding → NUL-byte policy.
/// - `data[]`: decoding of the one value → NUL-byte policy.
///
/// Guarantees: no I/O, no clock; every error is a `ProviderError` whose message names keys,
/// properties, strategies and entry indexes, never a value.
public enum SecretDataPipeline {}

// MARK: - Entry pipelines

extension SecretDataPipeline {
    /// `spec.dataFrom[index].find`: what `getAllSecrets` returned, made into Secret data.
    public static func processFind(
        _ fetched: SecretData, find: ExternalSecretFind, rewrite: [ExternalSecretRewrite]?, index: Int
    ) throws(ProviderError) -> SecretData {
        try processDataFrom(
            fetched, rewrite: rewrite ?? [], conversion: find.conversionStrategy, decoding: find.decodingStrategy,
            nullBytePolicy: find.nullBytePolicy, entry: "spec.dataFrom[\(index)].find")
    }

    /// `spec.dataFrom[index].extract`: what `getSecretMap` returned, made into Secret data.
    public static func processExtract(
        _ fetched: SecretData, extract: ExternalSecretDataRemoteRef, rewrite: [ExternalSecretRewrite]?, index: Int
    ) throws(ProviderError) -> SecretData {
        try processDataFrom(
            fetched, rewrite: rewrite ?? [], conversion: extract.conversionStrategy,
            decoding: extract.decodingStrategy, nullBytePolicy: extract.nullBytePolicy,
            entry: "spec.dataFrom[\(index)].extract")
    }

    /// `spec.data[index]`: the one value `getSecret` returned, decoded and checked.
    public static func processData(_ value: Data, data: ExternalSecretData, index: Int) throws(ProviderError) -> Data {
        let entry = "spec.data[\(index)]"
        let decoded = try withContext(entry) { () throws(ProviderError) in
            try decode(value, data.remoteRef.decodingStrategy, key: data.secretKey)
        }
        try withContext(entry) { () throws(ProviderError) in
            try checkNullBytes(decoded, key: data.secretKey, policy: data.remoteRef.nullBytePolicy)
        }
        return decoded
    }

    /// The shared steps of `find` and `extract` (ESO's handleFindAllSecrets / handleExtractSecrets).
    static func processDataFrom(
        _ fetched: SecretData, rewrite steps: [ExternalSecretRewrite], conversion: ConversionStrategy?,
        decoding: DecodingStrategy?, nullBytePolicy: NullBytePolicy?, entry: String
    ) throws(ProviderError) -> SecretData {
        try withContext(entry) { () throws(ProviderError) -> SecretData in
            var data = try rewrite(fetched, steps)
            // ESO converts keys only when no rewrite is configured: a rewrite replaces conversion.
            if steps.isEmpty {
                data = try convertKeys(data, conversion ?? .default)
            }
            data = try validateSecretKeys(data)
            data = try decode(data, decoding)
            try checkNullBytes(data, policy: nullBytePolicy)
            return data
        }
    }

    /// Prefixes an error's message with the entry it came from, keeping its code.
    static func withContext<T>(_ entry: String, _ body: () throws(ProviderError) -> T) throws(ProviderError) -> T {
        do {
            return try body()
        } catch {
            throw ProviderError(error.code, "\(entry): \(error.message)")
        }
    }
}

// MARK: - Properties

extension SecretDataPipeline {
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
            throw .unsupported("property \(PipelineText.quoted(path)): \(error.description)")
        }
        if let remoteKey {
            throw .notFound("key \(PipelineText.quoted(path)) does not exist in secret \(PipelineText.quoted(remoteKey))")
        }
        throw .notFound("property \(PipelineText.quoted(path)) does not exist")
    }
}

// MARK: - Extract (JSON object → keys)

extension SecretDataPipeline {
    /// ESO's `JSONToSecretDataMap` (what providers' `getSecretMap` does with a JSON value): the
    /// top-level keys of a JSON object; string values unquoted, every other value kept as its raw
    /// JSON text exactly as written (numbers, nested objects, `true`), `null` as an empty value.
    /// The JSON must be valid as Go's `encoding/json` reads it; the document `null` gives no keys.
    /// Duplicate keys: the last one wins. Errors never echo the value.
    public static func explodeJSONObject(_ value: Data, remoteKey: String? = nil) throws(ProviderError) -> SecretData {
        let what = remoteKey.map { "secret \(PipelineText.quoted($0))" } ?? "the value"
        do throws(GoJSONObject.Failure) {
            return try GoJSONObject.explode([UInt8](value))
        } catch {
            throw ProviderError(.invalidData, "unable to unmarshal \(what): \(error.reason)")
        }
    }
}

// MARK: - Key conversion

extension SecretDataPipeline {
    /// ESO's key conversion of one key. `Default`: every character that is not a Unicode letter or
    /// number (Go's `unicode.IsLetter` / `IsNumber`), `-`, `.` or `_` becomes `_`. `Unicode`: such a
    /// character becomes `_U%04x_` of its code point (`_U1f600_` above U+FFFF).
    public static func convertKey(_ key: String, _ strategy: ConversionStrategy) -> String {
        var out = ""
        for scalar in key.unicodeScalars {
            if isKeyCharacter(scalar) {
                out.unicodeScalars.append(scalar)
                continue
            }
            switch strategy {
            case .default:
                out += "_"
            case .unicode:
                let hex = String(scalar.value, radix: 16)
                out += "_U" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + "_"
            }
        }
        return out
    }

    /// ESO's `ConvertKeys`: every key converted. Two keys that convert to the same key are an
    /// error naming that key, as in ESO (which detects it whatever its map order).
    public static func convertKeys(_ data: SecretData, _ strategy: ConversionStrategy) throws(ProviderError) -> SecretData {
        var out: SecretData = [:]
        for key in PipelineText.sorted(data.keys) {
            let converted = convertKey(key, strategy)
            if out[converted] != nil {
                throw ProviderError(
                    .invalidData,
                    "error applying conversion strategy \(strategy.rawValue) to keys: secret name collision during conversion: \(converted)"
                )
            }
            out[converted] = data[key]
        }
        return out
    }

    /// Go's `unicode.IsLetter || unicode.IsNumber || - . _`.
    static func isKeyCharacter(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "-" || scalar == "." || scalar == "_" { return true }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .decimalNumber, .letterNumber, .otherNumber:
            return true
        default:
            return false
        }
    }
}

// MARK: - Key validation

extension SecretDataPipeline {
    /// The longest Secret key Kubernetes accepts.
    public static let maxSecretKeyLength = 253

    /// Checks every key against Kubernetes' Secret key rule (`[-._a-zA-Z0-9]+`, at most 253
    /// characters, not `.`, `..` or starting with `..`) and drops empty keys, as ESO's
    /// `ValidateKeys` does (an empty key means "not present upstream").
    ///
    /// ESO itself lets Unicode letters and `.`/`..` through and the API server then rejects the
    /// Secret; refusing them here fails the same sync, earlier and with the key named.
    public static func validateSecretKeys(_ data: SecretData) throws(ProviderError) -> SecretData {
        var out = data
        for key in PipelineText.sorted(data.keys) {
            if key.isEmpty {
                out[key] = nil
                continue
            }
            if let problem = secretKeyProblem(key) {
                throw ProviderError(
                    .invalidData,
                    "invalid secret keys (TIP: use rewrite or conversionStrategy to change keys): key \(PipelineText.quoted(String(key.prefix(maxSecretKeyLength)))) \(problem)"
                )
            }
        }
        return out
    }

    /// Why `key` is not a valid Secret key, or nil.
    public static func secretKeyProblem(_ key: String) -> String? {
        let bytes = Array(key.utf8)
        if bytes.isEmpty { return "is empty" }
        if bytes.count > maxSecretKeyLength {
            return "has length \(bytes.count) but max is \(maxSecretKeyLength)"
        }
        for b in bytes {
            let ok =
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: "_")
            if !ok { return "has invalid characters, only alphanumeric, '-', '.' and '_' are allowed" }
        }
        if key == "." || key == ".." { return "must not be '\(key)'" }
        if key.hasPrefix("..") { return "must not start with '..'" }
        return nil
    }
}

// MARK: - Decoding

extension SecretDataPipeline {
    /// ESO's `Decode` of one value. `None`: unchanged. `Base64` / `Base64URL`: Go's padded
    /// standard / URL alphabet (`\r` and `\n` skipped anywhere, trailing bits not checked).
    /// `Auto`: Base64, else Base64URL, else the value unchanged. Errors name the key and strategy.
    public static func decode(_ value: Data, _ strategy: DecodingStrategy?, key: String) throws(ProviderError) -> Data {
        let strategy = strategy ?? DecodingStrategy.none
        switch strategy {
        case .none:
            return value
        case .base64, .base64URL:
            switch GoBase64.decode([UInt8](value), urlAlphabet: strategy == .base64URL) {
            case .success(let bytes):
                return Data(bytes)
            case .failure(let error):
                throw ProviderError(
                    .invalidData,
                    "error applying decoding strategy \(strategy.rawValue) to data: failed to decode key \(PipelineText.quoted(key)) with strategy \(strategy.rawValue): illegal base64 data at input byte \(error.offset)"
                )
            }
        case .auto:
            let bytes = [UInt8](value)
            if case .success(let out) = GoBase64.decode(bytes, urlAlphabet: false) { return Data(out) }
            if case .success(let out) = GoBase64.decode(bytes, urlAlphabet: true) { return Data(out) }
            return value
        }
    }

    /// ESO's `DecodeMap`: every value decoded; the first failing key (in key order) is reported.
    public static func decode(_ data: SecretData, _ strategy: DecodingStrategy?) throws(ProviderError) -> SecretData {
        if (strategy ?? DecodingStrategy.none) == DecodingStrategy.none { return data }
        var out: SecretData = [:]
        for key in PipelineText.sorted(data.keys) {
            out[key] = try decode(data[key]!, strategy, key: key)
        }
        return out
    }
}

// MARK: - NUL bytes

extension SecretDataPipeline {
    /// `nullBytePolicy: Fail`: a fetched value containing a NUL byte is an error naming its key.
    public static func checkNullBytes(_ value: Data, key: String, policy: NullBytePolicy?) throws(ProviderError) {
        guard policy == .fail, value.contains(0) else { return }
        throw ProviderError(.invalidData, "fetched secret value for key \(PipelineText.quoted(key)) contains null bytes")
    }

    /// The map form: the first offending key in sorted order is reported, as ESO does.
    public static func checkNullBytes(_ data: SecretData, policy: NullBytePolicy?) throws(ProviderError) {
        guard policy == .fail else { return }
        for key in PipelineText.sorted(data.keys) {
            try checkNullBytes(data[key]!, key: key, policy: policy)
        }
    }
}

// MARK: - Helpers

extension PipelineText {
    /// Keys in Go's `sort.Strings` order (byte order, not Swift's Unicode order).
    static func sorted(_ keys: some Sequence<String>) -> [String] {
        keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Go's `%q` for names in messages.
    static func quoted(_ s: String) -> String { GoQuote.quote(s) }
}

// MARK: - Go's encoding/json for map[string]json.RawMessage

/// What `json.Unmarshal(data, &map[string]json.RawMessage{})` accepts and yields, plus ESO's
/// per-value step (a string is unquoted, anything else kept raw).
enum GoJSONObject {
    struct Failure: Error {
        var reason: String
    }

    static func explode(_ json: [UInt8]) throws(Failure) -> SecretData {
        var scanner = GoJSONScanner(bytes: json)
        scanner.skipSpace()
        let start = scanner.i
        guard let end = scanner.skipValue(), scanner.afterSpace() == json.count else {
            throw Failure(reason: scanner.error ?? "invalid JSON")
        }
        let top = json[start..<end]
        if top.elementsEqual("null".utf8) { return [:] }
        guard top.first == UInt8(ascii: "{") else {
            throw Failure(reason: "the value is not a JSON object")
        }
        var out: SecretData = [:]
        var p = GoJSONScanner(bytes: json)
        p.i = start + 1
        while true {
            p.skipSpace()
            if p.bytes[p.i] == UInt8(ascii: "}") { break }
            let keyStart = p.i
            let keyEnd = p.skipValue()!
            let key = GoJSONScanner.unquote(json[(keyStart + 1)..<(keyEnd - 1)])
            p.skipSpace()
            p.i += 1  // ':'
            p.skipSpace()
            let valueStart = p.i
            let valueEnd = p.skipValue()!
            let raw = json[valueStart..<valueEnd]
            switch raw.first {
            case UInt8(ascii: "\""):
                out[String(decoding: key, as: UTF8.self)] = Data(GoJSONScanner.unquote(raw.dropFirst().dropLast()))
            case UInt8(ascii: "n"):
                out[String(decoding: key, as: UTF8.self)] = Data()  // unmarshalling null into a string: ""
            default:
                out[String(decoding: key, as: UTF8.self)] = Data(raw)
            }
            p.skipSpace()
            if p.bytes[p.i] == UInt8(ascii: ",") {
                p.i += 1
                continue
            }
            break
        }
        return out
    }
}

/// A validating scanner with Go's `encoding/json` syntax rules, iterative so deep nesting cannot
/// exhaust the stack (Go's limit of 10000 levels applies).
struct GoJSONScanner {
    let bytes: [UInt8]
    var i = 0
    var error: String?

    init(bytes: [UInt8]) { self.bytes = bytes }

    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }

    mutating func skipSpace() {
        while i < bytes.count && Self.isSpace(bytes[i]) { i += 1 }
    }

    mutating func afterSpace() -> Int {
        skipSpace()
        return i
    }

    private mutating func fail(_ reason: String) -> Int? {
        if error == nil { error = reason }
        return nil
    }

    /// Skips one value (with nested ones), returning the index after it, or nil when invalid.
    mutating func skipValue() -> Int? {
        // Containers still open: `{` expects a key next, `:` a value after a key, `[` a value.
        enum Open { case object, array }
        var stack: [Open] = []
        while true {
            skipSpace()
            guard i < bytes.count else { return fail("unexpected end of JSON input") }
            // One scalar or the start of a container.
            switch bytes[i] {
            case UInt8(ascii: "{"):
                guard stack.count < 10000 else { return fail("exceeded max depth") }
                i += 1
                skipSpace()
                if i < bytes.count && bytes[i] == UInt8(ascii: "}") {
                    i += 1
                } else {
                    guard scanKey() else { return nil }
                    stack.append(.object)
                    continue
                }
            case UInt8(ascii: "["):
                guard stack.count < 10000 else { return fail("exceeded max depth") }
                i += 1
                skipSpace()
                if i < bytes.count && bytes[i] == UInt8(ascii: "]") {
                    i += 1
                } else {
                    stack.append(.array)
                    continue
                }
            case UInt8(ascii: "\""):
                guard scanString() else { return nil }
            case UInt8(ascii: "t"):
                guard scanLiteral("true") else { return nil }
            case UInt8(ascii: "f"):
                guard scanLiteral("false") else { return nil }
            case UInt8(ascii: "n"):
                guard scanLiteral("null") else { return nil }
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard scanNumber() else { return nil }
            default:
                return fail("invalid character looking for beginning of value")
            }
            // After a complete value: close containers or move to the next element.
            while true {
                guard let top = stack.last else { return i }
                skipSpace()
                guard i < bytes.count else { return fail("unexpected end of JSON input") }
                let c = bytes[i]
                if c == UInt8(ascii: ",") {
                    i += 1
                    if top == .object {
                        skipSpace()
                        guard scanKey() else { return nil }
                    }
                    break
                }
                if (top == .object && c == UInt8(ascii: "}")) || (top == .array && c == UInt8(ascii: "]")) {
                    i += 1
                    stack.removeLast()
                    continue
                }
                return fail("invalid character after \(top == .object ? "object key:value pair" : "array element")")
            }
        }
    }

    /// A key string and its colon.
    private mutating func scanKey() -> Bool {
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else {
            _ = fail("invalid character looking for beginning of object key string")
            return false
        }
        guard scanString() else { return false }
        skipSpace()
        guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else {
            _ = fail("invalid character after object key")
            return false
        }
        i += 1
        return true
    }

    private mutating func scanLiteral(_ word: String) -> Bool {
        let w = Array(word.utf8)
        guard i + w.count <= bytes.count, Array(bytes[i..<(i + w.count)]) == w else {
            _ = fail("invalid character in literal")
            return false
        }
        i += w.count
        return true
    }

    private mutating func scanString() -> Bool {
        i += 1
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return true
            }
            if c < 0x20 {
                _ = fail("invalid character in string literal")
                return false
            }
            if c == UInt8(ascii: "\\") {
                i += 1
                guard i < bytes.count else { break }
                switch bytes[i] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    i += 1
                case UInt8(ascii: "u"):
                    guard i + 4 < bytes.count, bytes[(i + 1)...(i + 4)].allSatisfy({ PipelineText.hexValue($0) != nil }) else {
                        _ = fail("invalid character in \\u hexadecimal character escape")
                        return false
                    }
                    i += 5
                default:
                    _ = fail("invalid character in string escape code")
                    return false
                }
                continue
            }
            i += 1
        }
        _ = fail("unexpected end of JSON input")
        return false
    }

    private mutating func scanNumber() -> Bool {
        func digit() -> Bool { i < bytes.count && bytes[i] >= 0x30 && bytes[i] <= 0x39 }
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard digit() else { return fail("invalid character in numeric literal") != nil }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            while digit() { i += 1 }
        }
        if i < bytes.count && bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard digit() else { return fail("invalid character after decimal point in numeric literal") != nil }
            while digit() { i += 1 }
        }
        if i < bytes.count && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")) {
            i += 1
            if i < bytes.count && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) { i += 1 }
            guard digit() else { return fail("invalid character in exponent of numeric literal") != nil }
            while digit() { i += 1 }
        }
        return true
    }

    /// Go's unquote of a valid string body: escapes decoded, a lone or mismatched surrogate and
    /// every byte that is not UTF-8 replaced by U+FFFD.
    static func unquote(_ body: ArraySlice<UInt8>) -> [UInt8] {
        let s = Array(body)
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var r = 0
        func u4(_ at: Int) -> UInt32? {
            guard at + 6 <= s.count, s[at] == UInt8(ascii: "\\"), s[at + 1] == UInt8(ascii: "u") else { return nil }
            var n: UInt32 = 0
            for c in s[(at + 2)..<(at + 6)] {
                guard let d = PipelineText.hexValue(c) else { return nil }
                n = n << 4 | UInt32(d)
            }
            return n
        }
        while r < s.count {
            let c = s[r]
            if c == UInt8(ascii: "\\") {
                let e = s[r + 1]
                switch e {
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var rr = u4(r) ?? 0xFFFD
                    r += 6
                    if rr >= 0xD800 && rr < 0xE000 {
                        if rr < 0xDC00, let rr1 = u4(r), rr1 >= 0xDC00 && rr1 < 0xE000 {
                            rr = 0x10000 + ((rr - 0xD800) << 10) + (rr1 - 0xDC00)
                            r += 6
                        } else {
                            rr = 0xFFFD
                        }
                    }
                    PipelineText.appendUTF8(rr, to: &out)
                    continue
                default: out.append(e)
                }
                r += 2
                continue
            }
            if c < 0x80 {
                out.append(c)
                r += 1
                continue
            }
            let (rune, size) = GoUTF8.decodeRune(s[r...])
            if rune == GoUTF8.runeError && size == 1 {
                out.append(contentsOf: [0xEF, 0xBF, 0xBD])
            } else {
                out.append(contentsOf: s[r..<(r + size)])
            }
            r += size
        }
        return out
    }
}
