import Crypto
public import Foundation

/// AWS Signature Version 4 (`AWS4-HMAC-SHA256`) as a pure value: no clock, no I/O. The date is
/// passed to every call, so a signature is a function of its inputs and tests can pin it.
///
/// The canonical request follows AWS's specification as botocore implements it (the reference
/// the tests compare against): the path has its dot segments and repeated slashes removed and is
/// percent-encoded again (every service but S3 signs the path encoded twice); query parameters
/// are decoded, encoded with AWS's unreserved set and sorted by key, then value; header values are
/// trimmed with inner whitespace collapsed; hop-by-hop headers and `user-agent` are not signed.
public struct SigV4Signer: Sendable {
    public var credentials: AWSCredentials
    public var region: String
    /// The signing name of the service: `secretsmanager`, `ssm`, `sts`, `s3`, ...
    public var service: String
    /// Whether the path is percent-encoded again for the canonical request. True for every service
    /// but S3, which signs the path as sent.
    public var encodesPathTwice: Bool

    public init(credentials: AWSCredentials, region: String, service: String, encodesPathTwice: Bool? = nil) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.encodesPathTwice = encodesPathTwice ?? (service != "s3")
    }

    /// The payload hash that tells AWS the body is not signed (S3 presigned URLs).
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    /// Headers never signed (botocore's list): hop-by-hop headers, `expect`, `user-agent`,
    /// `x-amzn-trace-id`. A proxy or client library may change them on the way.
    public static let unsignedHeaders: Set<String> = [
        "authorization", "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
        "trailer", "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
    ]

    // MARK: - Header signing

    /// Signs a request: returns `headers` with `Authorization`, `X-Amz-Date`, `X-Amz-Security-Token`
    /// (temporary credentials) and `Host` (when absent) set. An `x-amz-content-sha256` header, if
    /// present, is used as the payload hash instead of hashing `body`.
    public func signHeaders(
        method: String, url: String, headers: [(name: String, value: String)], body: [UInt8] = [], date: Date
    ) -> [(name: String, value: String)] {
        let timestamp = Self.timestamp(date)
        var headers = headers.filter {
            let name = $0.name.lowercased()
            return name != "authorization" && name != "x-amz-date"
                && !(credentials.sessionToken != nil && name == "x-amz-security-token")
        }
        let parts = SplitURL(url)
        if !headers.contains(where: { $0.name.lowercased() == "host" }) {
            headers.append(("Host", parts.hostHeader))
        }
        headers.append(("X-Amz-Date", timestamp))
        if let token = credentials.sessionToken {
            headers.append(("X-Amz-Security-Token", token))
        }
        let payloadHash =
            headers.last(where: { $0.name.lowercased() == "x-amz-content-sha256" })?.value ?? Self.hexSHA256(body)
        let canonical = canonicalRequest(
            method: method, parts: parts, query: Self.canonicalQuery(parts.query), headers: headers,
            payloadHash: payloadHash)
        let signature = self.signature(canonicalRequest: canonical.text, timestamp: timestamp)
        let authorization =
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope(timestamp)), SignedHeaders=\(canonical.signedHeaders), Signature=\(signature)"
        headers.append(("Authorization", authorization))
        return headers
    }

    // MARK: - Presigned URLs

    /// A presigned URL (query-string authentication) valid for `expires` seconds from `date`. Only
    /// the host and the given `headers` are signed; the caller must send those headers unchanged.
    /// `payloadHash` defaults to the hash of an empty body; S3 uses `unsignedPayload`.
    public func presignURL(
        method: String, url: String, headers: [(name: String, value: String)] = [], expires: Int, date: Date,
        payloadHash: String? = nil
    ) -> String {
        let timestamp = Self.timestamp(date)
        let parts = SplitURL(url)
        var headers = headers.filter { $0.name.lowercased() != "authorization" }
        if !headers.contains(where: { $0.name.lowercased() == "host" }) {
            headers.append(("Host", parts.hostHeader))
        }
        let signedHeaders = Self.signedHeaderNames(headers)
        var parameters = Self.decodedQuery(parts.query)
        parameters.append(("X-Amz-Algorithm", "AWS4-HMAC-SHA256"))
        parameters.append(("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope(timestamp))"))
        parameters.append(("X-Amz-Date", timestamp))
        parameters.append(("X-Amz-Expires", String(expires)))
        parameters.append(("X-Amz-SignedHeaders", signedHeaders.joined(separator: ";")))
        if let token = credentials.sessionToken {
            parameters.append(("X-Amz-Security-Token", token))
        }
        let query = parameters.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        let canonical = canonicalRequest(
            method: method, parts: parts, query: Self.canonicalQuery(query), headers: headers,
            payloadHash: payloadHash ?? Self.hexSHA256([]))
        let signature = self.signature(canonicalRequest: canonical.text, timestamp: timestamp)
        return
            "\(parts.scheme)://\(parts.authority)\(parts.path.isEmpty ? "/" : parts.path)?\(query)&X-Amz-Signature=\(signature)"
    }

    // MARK: - Pieces (internal, tested)

    struct CanonicalRequest {
        var text: String
        var signedHeaders: String
    }

    func canonicalRequest(
        method: String, parts: SplitURL, query: String, headers: [(name: String, value: String)], payloadHash: String
    ) -> CanonicalRequest {
        var byName: [String: [String]] = [:]
        for (name, value) in headers {
            let lowered = name.lowercased()
            guard !Self.unsignedHeaders.contains(lowered) else { continue }
            byName[lowered, default: []].append(Self.trimAll(value))
        }
        let names = byName.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(byName[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let path =
            encodesPathTwice
            ? Self.encodePath(Self.normalizedPath(parts.path)) : (parts.path.isEmpty ? "/" : parts.path)
        let text = [method.uppercased(), path, query, canonicalHeaders, signedHeaders, payloadHash].joined(
            separator: "\n")
        return CanonicalRequest(text: text, signedHeaders: signedHeaders)
    }

    func stringToSign(canonicalRequest: String, timestamp: String) -> String {
        ["AWS4-HMAC-SHA256", timestamp, scope(timestamp), Self.hexSHA256(Array(canonicalRequest.utf8))]
            .joined(separator: "\n")
    }

    func signature(canonicalRequest: String, timestamp: String) -> String {
        let day = String(timestamp.prefix(8))
        let secret = SymmetricKey(data: Array("AWS4\(credentials.secretAccessKey)".utf8))
        let dateKey = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Array(day.utf8), using: secret)))
        let regionKey = SymmetricKey(
            data: Data(HMAC<SHA256>.authenticationCode(for: Array(region.utf8), using: dateKey)))
        let serviceKey = SymmetricKey(
            data: Data(HMAC<SHA256>.authenticationCode(for: Array(service.utf8), using: regionKey)))
        let signingKey = SymmetricKey(
            data: Data(HMAC<SHA256>.authenticationCode(for: Array("aws4_request".utf8), using: serviceKey)))
        let toSign = stringToSign(canonicalRequest: canonicalRequest, timestamp: timestamp)
        return Self.hex(HMAC<SHA256>.authenticationCode(for: Array(toSign.utf8), using: signingKey))
    }

    func scope(_ timestamp: String) -> String {
        "\(timestamp.prefix(8))/\(region)/\(service)/aws4_request"
    }

    static func signedHeaderNames(_ headers: [(name: String, value: String)]) -> [String] {
        Set(headers.map { $0.name.lowercased() }).subtracting(unsignedHeaders).sorted()
    }

    /// `YYYYMMDD'T'HHMMSS'Z'` in UTC.
    public static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func pad(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return
            "\(pad(c.year, 4))\(pad(c.month, 2))\(pad(c.day, 2))T\(pad(c.hour, 2))\(pad(c.minute, 2))\(pad(c.second, 2))Z"
    }

    /// Lowercase hex SHA-256 of `bytes`.
    public static func hexSHA256(_ bytes: [UInt8]) -> String {
        hex(SHA256.hash(data: bytes))
    }

    static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: - Encoding

    /// Percent-encodes every byte outside AWS's unreserved set (`A-Z a-z 0-9 - _ . ~`).
    public static func encode(_ text: String, keepingSlash: Bool = false) -> String {
        var out: [UInt8] = []
        let digits = Array("0123456789ABCDEF".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: "/") where keepingSlash:
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(digits[Int(byte >> 4)])
                out.append(digits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func encodePath(_ path: String) -> String { encode(path, keepingSlash: true) }

    /// RFC 3986 dot-segment removal, with repeated slashes collapsed (as AWS requires).
    static func normalizedPath(_ path: String) -> String {
        guard !path.isEmpty else { return "/" }
        var output: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) where segment != "." {
            if segment == ".." {
                if !output.isEmpty { output.removeLast() }
            } else {
                output.append(segment)
            }
        }
        let first = path.hasPrefix("/") ? "/" : ""
        let last = path.hasSuffix("/") && !output.isEmpty ? "/" : ""
        return first + output.joined(separator: "/") + last
    }

    /// Query pairs percent-decoded (`+` stays a plus sign), in order.
    static func decodedQuery(_ query: String) -> [(String, String)] {
        guard !query.isEmpty else { return [] }
        return query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0])
            let value = parts.count > 1 ? String(parts[1]) : ""
            return (key.removingPercentEncoding ?? key, value.removingPercentEncoding ?? value)
        }
    }

    /// The canonical query string: pairs re-encoded, sorted by encoded key, then encoded value.
    static func canonicalQuery(_ query: String) -> String {
        let encoded: [(key: String, value: String)] = decodedQuery(query).map { pair in
            (key: encode(pair.0), value: encode(pair.1))
        }
        let sorted = encoded.sorted { (a: (key: String, value: String), b: (key: String, value: String)) -> Bool in
            a.key == b.key ? a.value < b.value : a.key < b.key
        }
        return sorted.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
    }

    static func trimAll(_ value: String) -> String {
        let whitespace: Set<Character> = [" ", "\t", "\n", "\r", "\u{0B}", "\u{0C}"]
        return value.split(whereSeparator: { whitespace.contains($0) }).joined(separator: " ")
    }
}

/// A URL split as Python's `urlsplit` splits it: the raw (still percent-encoded) path and query.
struct SplitURL {
    var scheme: String
    /// `host[:port]` as written, without user info.
    var authority: String
    var host: String
    var port: Int?
    var path: String
    var query: String

    init(_ url: String) {
        var rest = Substring(url)
        if let range = rest.range(of: "://") {
            scheme = rest[..<range.lowerBound].lowercased()
            rest = rest[range.upperBound...]
        } else {
            scheme = ""
        }
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        self.authority = String(authority)
        rest = rest[authorityEnd...]
        if let question = rest.firstIndex(of: "?") {
            path = String(rest[..<question])
            query = String(rest[rest.index(after: question)...])
        } else {
            path = String(rest)
            query = ""
        }
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = String(authority[...close]).lowercased()
            let after = authority[authority.index(after: close)...]
            port = after.hasPrefix(":") ? Int(after.dropFirst()) : nil
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon]).lowercased()
            port = Int(authority[authority.index(after: colon)...])
        } else {
            host = authority.lowercased()
            port = nil
        }
    }

    /// The `Host` header: lowercase host, with the port unless it is the scheme's default.
    var hostHeader: String {
        guard let port else { return host }
        if (scheme == "http" && port == 80) || (scheme == "https" && port == 443) { return host }
        return "\(host):\(port)"
    }
}
