import Foundation

/// JSON coders for AWS's JSON 1.1 protocol: Swift's lowerCamelCase properties are AWS's
/// UpperCamelCase members (`secretId` ↔ `SecretId`); `Data` is base64, as AWS sends blobs.
enum AWSJSON {
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .custom { path in Key(path.last!.stringValue, capitalized: true) }
        encoder.outputFormatting = .sortedKeys
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .custom { path in Key(path.last!.stringValue, capitalized: false) }
        return decoder
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }

        init(_ name: String, capitalized: Bool) {
            guard let first = name.first else {
                stringValue = name
                return
            }
            stringValue = (capitalized ? first.uppercased() : first.lowercased()) + name.dropFirst()
        }

        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
