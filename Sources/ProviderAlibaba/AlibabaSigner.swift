import Crypto
import Foundation

/// An AccessKey, or the temporary credentials STS issued (with a security token).
struct AlibabaCredentials: Sendable, Hashable, CustomStringConvertible {
    var accessKeyID: String
    var accessKeySecret: String
    var securityToken: String?

    /// The AccessKey ID only: never the secret or the token.
    var description: String { "AlibabaCredentials(\(accessKeyID))" }
}

/// Alibaba Cloud's request signature V3, `ACS3-HMAC-SHA256`, as the official SDKs
/// (`alibabacloud-tea-openapi`) sign RPC calls by default: a pure value, time and nonce passed in.
///
/// Canonical request = METHOD, path, the query sorted by name with names and values
/// percent-encoded (RFC 3986 unreserved characters kept), the signed headers (`host`, every
/// `x-acs-*`, `content-type`) as `name:value` lines, their names joined by `;`, and the hex SHA-256
/// of the body; the signature is the hex HMAC-SHA256, keyed by the AccessKey secret, of
/// `ACS3-HMAC-SHA256\nHEX(SHA256(canonical request))`.
enum AlibabaSigner {
    static let algorithm = "ACS3-HMAC-SHA256"

    /// The headers to send with a request, `Authorization` included. `headers` are the request's
    /// own (`x-acs-action`, `x-acs-version`, `content-type`, ...), names in lower case.
    static func signedHeaders(
        method: String, host: String, path: String = "/", query: [(String, String)], headers: [String: String],
        body: [UInt8], credentials: AlibabaCredentials, date: Date, nonce: String
    ) -> [(String, String)] {
        var all = headers
        all["host"] = host
        all["x-acs-date"] = timestamp(date)
        all["x-acs-signature-nonce"] = nonce
        all["x-acs-content-sha256"] = hex(SHA256.hash(data: body))
        if let token = credentials.securityToken, !token.isEmpty {
            all["x-acs-security-token"] = token
            all["x-acs-accesskey-id"] = credentials.accessKeyID
        }
        let signed = all.keys.filter { $0 == "host" || $0 == "content-type" || $0.hasPrefix("x-acs-") }.sorted()
        let canonical = canonicalRequest(
            method: method, path: path, query: query, headers: all, signed: signed,
            payloadHash: all["x-acs-content-sha256"]!)
        let signature = self.signature(canonicalRequest: canonical, secret: credentials.accessKeySecret)
        var out = all.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        out.append(
            (
                "Authorization",
                "\(algorithm) Credential=\(credentials.accessKeyID),SignedHeaders=\(signed.joined(separator: ";")),Signature=\(signature)"
            ))
        return out
    }

    static func canonicalRequest(
        method: String, path: String, query: [(String, String)], headers: [String: String], signed: [String],
        payloadHash: String
    ) -> String {
        let canonicalHeaders = signed.map { "\($0):\((headers[$0] ?? "").trimmingCharacters(in: .whitespaces))\n" }
            .joined()
        return [
            method, path, canonicalQuery(query), canonicalHeaders, signed.joined(separator: ";"), payloadHash,
        ].joined(separator: "\n")
    }

    static func signature(canonicalRequest: String, secret: String) -> String {
        let stringToSign = "\(algorithm)\n\(hex(SHA256.hash(data: Array(canonicalRequest.utf8))))"
        let mac = HMAC<SHA256>.authenticationCode(
            for: Array(stringToSign.utf8), using: SymmetricKey(data: Array(secret.utf8)))
        return hex(mac)
    }

    /// The query sorted by encoded name, `name=value` pairs joined by `&`.
    static func canonicalQuery(_ query: [(String, String)]) -> String {
        let encoded: [(name: String, value: String)] = query.map { (encode($0.0), encode($0.1)) }
        let sorted = encoded.sorted { left, right in
            left.name != right.name ? left.name < right.name : left.value < right.value
        }
        return sorted.map { pair in pair.name + "=" + pair.value }.joined(separator: "&")
    }

    /// RFC 3986 percent-encoding: letters, digits and `-_.~` kept, every other UTF-8 byte as `%XX`.
    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            if unreserved.contains(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    private static let unreserved: Set<UInt8> = Set(
        Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~".utf8))

    /// `2024-01-02T03:04:05Z`.
    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
