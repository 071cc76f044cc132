import Crypto
import ExternalSecretsAPI
import Foundation
import HTTPSupport
import HTTPTestSupport
import KubeModel
import NIOHTTP1
import ProviderKit
import ProviderTestSupport
import Synchronization
import Testing
import _CryptoExtras

@testable import ServiceTokenGenerators

/// A value that must never show up in an error description.
let canary = "CANARY-token-91c4"

/// One RSA key for every test (generating one takes a while).
let appKey: _RSA.Signing.PrivateKey = {
    do { return try _RSA.Signing.PrivateKey(keySize: .bits2048) } catch {
        fatalError("RSA key generation failed: \(error)")
    }
}()

let now = Date(timeIntervalSince1970: 1_700_000_000)

/// The generators over a scripted transport.
func generators(
    _ transport: any HTTPTransport, timeout: Duration = .seconds(5), maxBytes: Int = 1 << 20
) -> ServiceTokenGenerators {
    ServiceTokenGenerators(
        transport: { _ in (transport, {}) }, requestTimeout: timeout, maxResponseBytes: maxBytes,
        tokenName: { "token-name-1" })
}

func json(_ object: Any) -> [UInt8] {
    Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data())
}

func spec<S: Encodable>(_ value: S) throws -> JSONValue {
    try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
}

extension HTTPRequest {
    var bodyObject: [String: Any]? {
        body.flatMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] }
    }
}

/// What a GitHub App JWT says, checked as GitHub checks it: three base64url parts, RS256 header,
/// a valid signature with the App's public key.
struct VerifiedJWT {
    var header: [String: Any]
    var claims: [String: Any]

    static func verify(_ token: String, with key: _RSA.Signing.PublicKey) -> VerifiedJWT? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let headerData = decode(parts[0]), let claimsData = decode(parts[1]),
            let signatureData = decode(parts[2]),
            let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any],
            let claims = try? JSONSerialization.jsonObject(with: claimsData) as? [String: Any]
        else { return nil }
        let signature = _RSA.Signing.RSASignature(rawRepresentation: signatureData)
        guard
            key.isValidSignature(signature, for: Data("\(parts[0]).\(parts[1])".utf8), padding: .insecurePKCS1v1_5)
        else { return nil }
        return VerifiedJWT(header: header, claims: claims)
    }

    static func decode(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }

    /// A JWT with these claims, unsigned (Quay's answer is only read, not verified).
    static func unsigned(_ claims: [String: Any]) -> String {
        func part(_ data: [UInt8]) -> String {
            Data(data).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        return part(json(["alg": "RS256"])) + "." + part(json(claims)) + ".c2ln"
    }
}

/// A transport whose answers never come (a hung server).
final class HungTransport: HTTPTransport {
    func stream(_ request: HTTPRequest, timeout: Duration) async throws -> HTTPStreamingResponse {
        try await Task.sleep(for: .seconds(3600))
        throw CancellationError()
    }
}

/// A transport answering 200 with an endless body made on demand, counting the chunks read.
final class EndlessBodyTransport: HTTPTransport {
    static let chunkSize = 64 << 10
    let pulled = Atomic<Int>(0)

    var chunksRead: Int { pulled.load(ordering: .relaxed) }

    func stream(_ request: HTTPRequest, timeout: Duration) async throws -> HTTPStreamingResponse {
        let chunks = AsyncStream<[UInt8]> { [self] () async -> [UInt8]? in
            // 1 GiB in all, never held at once.
            guard self.pulled.add(1, ordering: .relaxed).newValue <= (1 << 30) / Self.chunkSize else { return nil }
            return [UInt8](repeating: UInt8(ascii: "a"), count: Self.chunkSize)
        }
        return HTTPStreamingResponse(status: .ok, body: HTTPBody(chunks))
    }
}
