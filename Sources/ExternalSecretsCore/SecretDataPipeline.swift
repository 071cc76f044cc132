public import ExternalSecretsAPI
public import Foundation
import GoCompat
public import ProviderKit
public import Templating

/// ESO's fetch pipeline: the pure steps that turn values fetched from a provider into Secret keys
/// and values, in ESO's order.
///
/// - `dataFrom.find` / `dataFrom.extract`: rewrite → key conversion (only when there are no
///   rewrite steps, as in ESO) → key validation (empty keys dropped) → decoding → NUL-byte policy.
/// - `data[]`: decoding of the one value → NUL-byte policy.
///
/// Guarantees: no I/O, no clock of its own (a `rewrite.transform` template reads the one passed
/// in its `RenderEnvironment`); every error is a `ProviderError` whose message names keys,
/// properties, strategies and entry indexes, never a value.
public enum SecretDataPipeline {}

// MARK: - Entry pipelines

extension SecretDataPipeline {
    /// `spec.dataFrom[index].find`: what `getAllSecrets` returned, made into Secret data.
    public static func processFind(
        _ fetched: SecretData, find: ExternalSecretFind, rewrite: [ExternalSecretRewrite]?, index: Int,
        environment: RenderEnvironment = .pure
    ) throws(ProviderError) -> SecretData {
        try processDataFrom(
            fetched, rewrite: rewrite ?? [], conversion: find.conversionStrategy, decoding: find.decodingStrategy,
            nullBytePolicy: find.nullBytePolicy, entry: "spec.dataFrom[\(index)].find", environment: environment)
    }

    /// `spec.dataFrom[index].extract`: what `getSecretMap` returned, made into Secret data.
    public static func processExtract(
        _ fetched: SecretData, extract: ExternalSecretDataRemoteRef, rewrite: [ExternalSecretRewrite]?, index: Int,
        environment: RenderEnvironment = .pure
    ) throws(ProviderError) -> SecretData {
        try processDataFrom(
            fetched, rewrite: rewrite ?? [], conversion: extract.conversionStrategy,
            decoding: extract.decodingStrategy, nullBytePolicy: extract.nullBytePolicy,
            entry: "spec.dataFrom[\(index)].extract", environment: environment)
    }

    /// `spec.dataFrom[index].sourceRef.generatorRef`: what the generator returned, rewritten and
    /// its keys validated, as ESO's `handleGenerateSecrets` (no key conversion, no decoding).
    public static func processGenerated(
        _ generated: SecretData, rewrite steps: [ExternalSecretRewrite]?, index: Int,
        environment: RenderEnvironment = .pure
    ) throws(ProviderError) -> SecretData {
        try withContext("spec.dataFrom[\(index)].sourceRef.generatorRef") { () throws(ProviderError) -> SecretData in
            try validateSecretKeys(try rewrite(generated, steps ?? [], environment: environment))
        }
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
        decoding: DecodingStrategy?, nullBytePolicy: NullBytePolicy?, entry: String, environment: RenderEnvironment
    ) throws(ProviderError) -> SecretData {
        try withContext(entry) { () throws(ProviderError) -> SecretData in
            var data = try rewrite(fetched, steps, environment: environment)
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
                    "invalid secret keys (TIP: use rewrite or conversionStrategy to change keys): key \(GoQuote.quote(String(key.prefix(maxSecretKeyLength)))) \(problem)"
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
                    "error applying decoding strategy \(strategy.rawValue) to data: failed to decode key \(GoQuote.quote(key)) with strategy \(strategy.rawValue): illegal base64 data at input byte \(error.offset)"
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
        throw ProviderError(.invalidData, "fetched secret value for key \(GoQuote.quote(key)) contains null bytes")
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
