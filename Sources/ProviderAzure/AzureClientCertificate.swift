import Crypto
import Foundation
import GoCompat
import ProviderKit
import _CryptoExtras

/// A service principal's certificate with its RSA private key (PEM, as ESO's
/// `loadCertificateFromBytes` reads it), and the client assertion it signs. Its description never
/// shows the key.
struct AzureClientCertificate: Sendable, CustomStringConvertible {
    /// The certificate (DER).
    let certificateDER: Data
    let signingKey: _RSA.Signing.PrivateKey

    var description: String { "client certificate \(thumbprint)" }

    /// `x5t`: the base64url SHA-1 thumbprint of the certificate, which Entra ID looks the
    /// credential up by.
    var thumbprint: String { Self.base64URL(Array(Insecure.SHA1.hash(data: certificateDER))) }

    /// Parses PEM holding a `CERTIFICATE` block and a `PRIVATE KEY` or `RSA PRIVATE KEY` block.
    /// Errors say what is missing, never quoting the input.
    static func parse(_ pem: Data, field: String) throws(ProviderError) -> AzureClientCertificate {
        let blocks = PEMBlocks.parse(String(decoding: pem, as: UTF8.self))
        guard let certificate = blocks.first(where: { $0.label == "CERTIFICATE" }) else {
            throw .invalidConfiguration("\(field): failed to decode certificate: no CERTIFICATE block in PEM")
        }
        guard let key = blocks.first(where: { $0.label == "PRIVATE KEY" || $0.label == "RSA PRIVATE KEY" }) else {
            throw .invalidConfiguration("\(field): failed to decode certificate: no RSA private key block in PEM")
        }
        let signingKey: _RSA.Signing.PrivateKey
        do {
            signingKey = try _RSA.Signing.PrivateKey(derRepresentation: key.der)
        } catch {
            throw .invalidConfiguration(
                "\(field): failed to decode certificate: the private key is not an RSA key of 2048 bits or more")
        }
        return AzureClientCertificate(certificateDER: certificate.der, signingKey: signingKey)
    }

    /// The client assertion (RFC 7523) Entra ID's certificate credentials take: header
    /// `{"alg":"RS256","typ":"JWT","x5t":...}`; claims aud (the token endpoint), iss and sub (the
    /// client ID), jti, nbf and exp (ten minutes); RS256 (PKCS#1 v1.5, SHA-256).
    func assertion(clientID: String, audience: String, issuedAt: Date, id: String) throws(ProviderError) -> String {
        let now = Int64(issuedAt.timeIntervalSince1970.rounded(.down))
        let header: [String: GoJSONValue] = [
            "alg": .string("RS256"), "typ": .string("JWT"), "x5t": .string(thumbprint),
        ]
        let claims: [String: GoJSONValue] = [
            "aud": .string(audience), "iss": .string(clientID), "sub": .string(clientID), "jti": .string(id),
            "nbf": .number(String(now)), "exp": .number(String(now + 600)),
        ]
        let signingInput =
            Self.base64URL(GoJSONValue.object(header).marshal(numbers: .literal)) + "."
            + Self.base64URL(GoJSONValue.object(claims).marshal(numbers: .literal))
        let signature: _RSA.Signing.RSASignature
        do {
            signature = try signingKey.signature(for: Data(signingInput.utf8), padding: .insecurePKCS1v1_5)
        } catch {
            throw ProviderError(.invalidConfiguration, "signing the client assertion of \(clientID) failed")
        }
        return signingInput + "." + Self.base64URL(Array(signature.rawRepresentation))
    }

    static func base64URL(_ bytes: some Collection<UInt8>) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

/// The blocks of a PEM text (`-----BEGIN LABEL-----` ... `-----END LABEL-----`), decoded. Pure.
enum PEMBlocks {
    struct Block: Sendable {
        var label: String
        var der: Data
    }

    static func parse(_ text: String) -> [Block] {
        var blocks: [Block] = []
        var label: String?
        var body = ""
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("-----BEGIN "), line.hasSuffix("-----") {
                label = String(line.dropFirst("-----BEGIN ".count).dropLast(5))
                body = ""
            } else if line.hasPrefix("-----END "), let current = label {
                if let der = Data(base64Encoded: body) { blocks.append(Block(label: current, der: der)) }
                label = nil
            } else if label != nil, !line.contains(":") {
                body += line
            }
        }
        return blocks
    }

    /// PEM text of one block, 64 characters a line.
    static func encode(_ der: Data, label: String) -> String {
        let base64 = der.base64EncodedString()
        var lines: [Substring] = []
        var index = base64.startIndex
        while index < base64.endIndex {
            let end = base64.index(index, offsetBy: 64, limitedBy: base64.endIndex) ?? base64.endIndex
            lines.append(base64[index..<end])
            index = end
        }
        return "-----BEGIN \(label)-----\n" + lines.joined(separator: "\n") + "\n-----END \(label)-----\n"
    }
}
