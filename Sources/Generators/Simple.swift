public import ExternalSecretsAPI
import Foundation
public import ProviderKit

/// ESO's UUID generator: a random (version 4) UUID in lower-case hex under the key `uuid`.
public enum UUIDGeneration {
    public static func generate(using random: inout some RandomNumberGenerator) -> SecretData {
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &random) }
        bytes[6] = (bytes[6] & 0x0f) | 0x40  // version 4
        bytes[8] = (bytes[8] & 0x3f) | 0x80  // RFC 4122 variant
        let uuid = UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9],
                bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
        return ["uuid": Data(uuid.uuidString.lowercased().utf8)]
    }
}

/// ESO's Fake generator: the spec's `data`, as it is.
public enum FakeGeneration {
    public static func generate(_ spec: FakeSpec) -> SecretData {
        (spec.data ?? [:]).mapValues { Data($0.utf8) }
    }
}
