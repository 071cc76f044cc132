public import ExternalSecretsAPI
public import Foundation
public import ProviderKit

/// ESO's Password generator (sethvargo/go-password's algorithm as ESO calls it): `length`
/// characters of which `digits` are digits and `symbols` come from `symbolCharacters`, the rest
/// letters (lower case, plus upper case unless `noUpper`); unless `allowRepeat`, no character
/// occurs twice. Each class is drawn uniformly; the characters end in a uniformly random order
/// (go-password inserts each at a random position, which gives the same distribution).
///
/// Guarantees: pure apart from `random`; bounded time and memory (`length` at most
/// `maximumLength`; every draw terminates even when a class runs out of unused characters);
/// errors name the fields, never a generated value.
public enum PasswordGeneration {
    /// The longest password made. ESO has no bound (and hangs on very long ones).
    public static let maximumLength = 65_536
    /// ESO's default symbols.
    public static let defaultSymbolCharacters = #"~!@#$%^&*()_+`-={}|[]\:"<>?,./"#
    /// go-password's own symbols, which it uses when ESO passes `symbolCharacters: ""`.
    static let goPasswordSymbols = "!@#$%,-."
    static let lowerLetters = Array("abcdefghijklmnopqrstuvwxyz")
    static let upperLetters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    static let digitCharacters = Array("0123456789")

    /// The settings a spec means once ESO's defaults are applied and the bounds checked.
    struct Settings: Equatable {
        var length: Int
        var digits: Int
        var symbols: Int
        var symbolCharacters: [Character]
        var noUpper: Bool
        var allowRepeat: Bool
        var encoding: PasswordEncoding
        var keys: [String]
    }

    static func settings(_ spec: PasswordSpec) throws(ProviderError) -> Settings {
        let length = spec.length ?? 24
        guard (1...maximumLength).contains(length) else {
            throw .invalidConfiguration("spec.length must be between 1 and \(maximumLength), not \(length)")
        }
        // ESO: int(float32(length) * 0.25), which is length / 4 for these lengths.
        let digits = spec.digits ?? length / 4
        let symbols = spec.symbols ?? length / 4
        guard digits >= 0 else { throw .invalidConfiguration("spec.digits must not be negative, not \(digits)") }
        guard symbols >= 0 else { throw .invalidConfiguration("spec.symbols must not be negative, not \(symbols)") }
        guard digits <= length - symbols else {
            throw .invalidConfiguration(
                "spec.digits (\(digits)) and spec.symbols (\(symbols)) add up to more than spec.length (\(length))")
        }
        let keys = spec.secretKeys.flatMap { $0.isEmpty ? nil : $0 } ?? ["password"]
        guard !keys.contains(""), Set(keys).count == keys.count else {
            throw .invalidConfiguration("spec.secretKeys must be non-empty and unique")
        }
        let symbolText = spec.symbolCharacters.map { $0.isEmpty ? goPasswordSymbols : $0 } ?? defaultSymbolCharacters
        return Settings(
            length: length, digits: digits, symbols: symbols, symbolCharacters: Array(symbolText),
            noUpper: spec.noUpper ?? false, allowRepeat: spec.allowRepeat ?? false,
            encoding: spec.encoding ?? .raw, keys: keys)
    }

    /// One password per key of `spec.secretKeys` (`password` if unset), encoded per `spec.encoding`.
    public static func generate(
        _ spec: PasswordSpec, using random: inout some RandomNumberGenerator
    ) throws(ProviderError) -> SecretData {
        let settings = try settings(spec)
        var values: SecretData = [:]
        for key in settings.keys {
            values[key] = encode(try password(settings, using: &random), as: settings.encoding)
        }
        return values
    }

    static func password(_ settings: Settings, using random: inout some RandomNumberGenerator) throws(ProviderError)
        -> String
    {
        let letters = lowerLetters + (settings.noUpper ? [] : upperLetters)
        let classes: [(name: String, characters: [Character], count: Int)] = [
            ("letters", letters, settings.length - settings.digits - settings.symbols),
            ("digits", digitCharacters, settings.digits),
            ("symbols", settings.symbolCharacters, settings.symbols),
        ]
        var chosen: [Character] = []
        chosen.reserveCapacity(settings.length)
        var used = Set<Character>()
        for (name, characters, count) in classes {
            if !settings.allowRepeat && count > Set(characters).subtracting(used).count {
                throw .invalidConfiguration(
                    "cannot choose \(count) \(name) without repeating a character; set spec.allowRepeat or ask for fewer"
                )
            }
            for _ in 0..<count {
                // Drawing among the unused characters is the same as go-password's redraw on a repeat.
                let candidates = settings.allowRepeat ? characters : characters.filter { !used.contains($0) }
                if candidates.isEmpty { throw .invalidConfiguration("spec.symbolCharacters is empty") }
                let character = candidates[Int.random(in: 0..<candidates.count, using: &random)]
                chosen.append(character)
                used.insert(character)
            }
        }
        chosen.shuffle(using: &random)
        return String(chosen)
    }

    /// ESO's encodings: Go's `base64.StdEncoding`, `base64.URLEncoding` (padded), `base32.StdEncoding`
    /// (padded), lower-case hex, or the bytes as they are.
    public static func encode(_ password: String, as encoding: PasswordEncoding) -> Data {
        let bytes = Data(password.utf8)
        switch encoding {
        case .raw: return bytes
        case .base64: return Data(bytes.base64EncodedString().utf8)
        case .base64url:
            let text = bytes.base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_")
            return Data(text.utf8)
        case .base32: return Data(Base32.encode(bytes).utf8)
        case .hex: return Data(bytes.map { String(format: "%02x", $0) }.joined().utf8)
        }
    }
}

/// RFC 4648 base32 with the standard alphabet, as Go's `base32.StdEncoding`.
public enum Base32 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// The padded encoding of `bytes`.
    public static func encode(_ bytes: Data) -> String {
        var output: [UInt8] = []
        let input = [UInt8](bytes)
        var index = 0
        while index < input.count {
            let chunk = Array(input[index..<min(index + 5, input.count)])
            var block = [UInt8](repeating: 0, count: 5)
            block.replaceSubrange(0..<chunk.count, with: chunk)
            let value = block.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let symbols = [2, 4, 5, 7, 8][chunk.count - 1]
            for position in 0..<8 {
                if position < symbols {
                    output.append(alphabet[Int((value >> UInt64(35 - 5 * position)) & 31)])
                } else {
                    output.append(UInt8(ascii: "="))
                }
            }
            index += 5
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The bytes of base32 `text` (upper or lower case, padding optional); nil if it is not base32.
    public static func decode(_ text: String) -> Data? {
        var bits: UInt64 = 0
        var bitCount = 0
        var output = Data()
        for byte in text.uppercased().utf8 where byte != UInt8(ascii: "=") {
            guard let value = alphabet.firstIndex(of: byte) else { return nil }
            bits = (bits << 5) | UInt64(value)
            bitCount += 5
            if bitCount >= 8 {
                bitCount -= 8
                output.append(UInt8((bits >> UInt64(bitCount)) & 0xff))
            }
        }
        return output
    }
}
