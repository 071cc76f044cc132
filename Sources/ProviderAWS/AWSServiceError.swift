import Foundation
import GoCompat
import ProviderKit

/// An error answer of an AWS API: the error code (`ResourceNotFoundException`, `AccessDenied`,
/// ...), the HTTP status, and a sanitized message.
///
/// AWS error text can carry things that must not reach a condition or a log: a signature mismatch
/// answer quotes the whole canonical request (headers, the session token included). So the
/// message is kept only for access-denied codes, whose text names the principal, the action and
/// the resource, and even then credentials-like text is cut out. Every other code is reported by
/// its code and status only.
public struct AWSServiceError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: String
    public var status: Int
    /// Sanitized text, or nil when the code's text is not shown.
    public var message: String?
    /// Whether AWS said the secret is scheduled for deletion (Secrets Manager answers
    /// `InvalidRequestException` then; ESO treats it as not found).
    public var isMarkedForDeletion = false

    public init(code: String, status: Int, message: String?) {
        self.code = code
        self.status = status
        self.message = message
    }

    public var description: String {
        "\(code) (HTTP \(status))\(message.map { ": \($0)" } ?? "")"
    }

    /// Builds the error from a response: the code from `x-amzn-ErrorType`, a JSON `__type` /
    /// `code`, or an XML `<Code>`; the message (for access-denied codes only) from JSON
    /// `message` / `Message` or XML `<Message>`.
    public static func from(status: Int, headers: [(String, String)], body: [UInt8]) -> AWSServiceError {
        var code: String?
        var rawMessage: String?
        if let header = headers.first(where: { $0.0.lowercased() == "x-amzn-errortype" })?.1, !header.isEmpty {
            code = header
        }
        let text = String(decoding: body.prefix(64 << 10), as: UTF8.self)
        if text.trimmingCharacters(in: .whitespaces).hasPrefix("<") {
            code = code ?? XMLText.first("Code", in: text)
            rawMessage = XMLText.first("Message", in: text)
        } else if case .object(let object)? = try? GoJSONValue.parse(body) {
            func string(_ key: String) -> String? {
                if case .string(let text)? = object[key] { text } else { nil }
            }
            code = code ?? string("__type") ?? string("code") ?? string("Code")
            rawMessage = string("message") ?? string("Message")
        }
        let cleaned = cleanCode(code) ?? fallbackCode(status: status)
        let message = accessDeniedCodes.contains(cleaned) ? rawMessage.map(sanitize) : nil
        var error = AWSServiceError(code: cleaned, status: status, message: message)
        // AWS says "was marked for deletion"; moto also "currently marked deleted".
        error.isMarkedForDeletion =
            rawMessage.map { $0.contains("marked for deletion") || $0.contains("marked deleted") } ?? false
        return error
    }

    /// `com.amazonaws.x#Code`, `Code:http://...` and the like reduced to `Code`.
    static func cleanCode(_ code: String?) -> String? {
        guard var code, !code.isEmpty else { return nil }
        if let hash = code.lastIndex(of: "#") { code = String(code[code.index(after: hash)...]) }
        if let colon = code.firstIndex(of: ":") { code = String(code[..<colon]) }
        let letters = code.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_") }
        return letters.isEmpty ? nil : String(letters.prefix(80))
    }

    static func fallbackCode(status: Int) -> String {
        switch status {
        case 429: "TooManyRequests"
        case 403: "Forbidden"
        case 404: "NotFound"
        case 500...599: "ServiceUnavailable"
        default: "HTTP\(status)"
        }
    }

    /// Keeps the first line, drops anything after a `Credential=` or `Signature=`, masks
    /// access key IDs and cuts long text.
    static func sanitize(_ message: String) -> String {
        var line = message.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        for marker in ["Credential=", "Signature=", "SignedHeaders=", "X-Amz-Security-Token"] {
            if let range = line.range(of: marker) { line = String(line[..<range.lowerBound]) + "[redacted]" }
        }
        line = accessKeyID.replaceAllString(line, "${1}****")
        if line.count > 300 { line = String(line.prefix(300)) + "…" }
        return line
    }

    /// An access key ID (`AKIA...` for a user's, `ASIA...` for temporary ones), its prefix kept.
    private static let accessKeyID = try! GoRegexp("(AKIA|ASIA|AROA|AIDA)[A-Z0-9]{12,}")

    // MARK: - Classes of codes

    static let accessDeniedCodes: Set<String> = [
        "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException",
    ]

    /// Codes that mean the credentials themselves were refused.
    static let credentialCodes: Set<String> = [
        "UnrecognizedClientException", "InvalidSignatureException", "SignatureDoesNotMatch", "IncompleteSignature",
        "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException", "MissingAuthenticationToken",
        "MissingAuthenticationTokenException", "InvalidAccessKeyId", "AuthFailure", "RequestExpired",
    ]

    static let throttlingCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException", "TransactionInProgressException", "RequestLimitExceeded",
        "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
        "EC2ThrottledException", "TooManyRequests",
    ]

    static let transientCodes: Set<String> = [
        "InternalServiceError", "InternalServiceErrorException", "InternalFailure", "InternalError",
        "ServiceUnavailable", "ServiceUnavailableException", "RequestTimeout", "RequestTimeoutException",
    ]

    var isThrottling: Bool { status == 429 || Self.throttlingCodes.contains(code) }

    /// Worth retrying: throttling and server-side failures.
    var isRetryable: Bool {
        isThrottling || Self.transientCodes.contains(code) || [500, 502, 503, 504].contains(status)
    }

    var isAccessDenied: Bool { Self.accessDeniedCodes.contains(code) || Self.credentialCodes.contains(code) }
}

/// The text of simple XML elements, as AWS query-protocol answers (STS, IAM) carry them.
enum XMLText {
    /// The text of the first `<name>...</name>`, entities decoded; nil if absent.
    static func first(_ name: String, in xml: String) -> String? {
        all(name, in: xml).first
    }

    static func all(_ name: String, in xml: String) -> [String] {
        var results: [String] = []
        var rest = xml[...]
        let open = "<\(name)>"
        let close = "</\(name)>"
        while let start = rest.range(of: open), let end = rest[start.upperBound...].range(of: close) {
            results.append(unescape(String(rest[start.upperBound..<end.lowerBound])))
            rest = rest[end.upperBound...]
        }
        return results
    }

    static func unescape(_ text: String) -> String {
        guard text.contains("&") else { return text }
        return text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&#xD;", with: "\r").replacingOccurrences(of: "&#xA;", with: "\n")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
