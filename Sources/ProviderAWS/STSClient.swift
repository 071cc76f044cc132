public import AWSSigV4
import Foundation

/// The STS calls the provider makes: `AssumeRole` (with external ID and session tags) and
/// `AssumeRoleWithWebIdentity` (IRSA), and the STSSessionToken generator's `GetSessionToken`,
/// over the query protocol.
public struct STSClient: Sendable {
    /// Signed with the caller's credentials for `AssumeRole`; the credentials are ignored for
    /// `AssumeRoleWithWebIdentity`, which is unsigned.
    public var http: AWSHTTPClient

    public init(http: AWSHTTPClient) { self.http = http }

    static let version = "2011-06-15"

    public struct AssumeRoleRequest: Sendable {
        public var roleARN: String
        public var sessionName: String
        public var externalID: String?
        public var tags: [(key: String, value: String)]
        public var transitiveTagKeys: [String]
        public var durationSeconds: Int?

        public init(
            roleARN: String, sessionName: String, externalID: String? = nil, tags: [(key: String, value: String)] = [],
            transitiveTagKeys: [String] = [], durationSeconds: Int? = nil
        ) {
            self.roleARN = roleARN
            self.sessionName = sessionName
            self.externalID = externalID
            self.tags = tags
            self.transitiveTagKeys = transitiveTagKeys
            self.durationSeconds = durationSeconds
        }

        /// The query parameters of the call (pure, tested).
        var parameters: [(String, String)] {
            var parameters = [("RoleArn", roleARN), ("RoleSessionName", sessionName)]
            if let externalID, !externalID.isEmpty { parameters.append(("ExternalId", externalID)) }
            for (index, tag) in tags.enumerated() {
                parameters.append(("Tags.member.\(index + 1).Key", tag.key))
                parameters.append(("Tags.member.\(index + 1).Value", tag.value))
            }
            for (index, key) in transitiveTagKeys.enumerated() {
                parameters.append(("TransitiveTagKeys.member.\(index + 1)", key))
            }
            if let durationSeconds { parameters.append(("DurationSeconds", String(durationSeconds))) }
            return parameters
        }
    }

    public func assumeRole(_ request: AssumeRoleRequest) async throws -> AWSCredentials {
        let xml = try await http.callQuery(action: "AssumeRole", version: Self.version, parameters: request.parameters)
        return try Self.credentials(in: xml, action: "AssumeRole")
    }

    public func assumeRoleWithWebIdentity(roleARN: String, sessionName: String, token: String) async throws
        -> AWSCredentials
    {
        var unsigned = http
        unsigned.credentials = nil
        let xml = try await unsigned.callQuery(
            action: "AssumeRoleWithWebIdentity", version: Self.version,
            parameters: [("RoleArn", roleARN), ("RoleSessionName", sessionName), ("WebIdentityToken", token)])
        return try Self.credentials(in: xml, action: "AssumeRoleWithWebIdentity")
    }

    /// `GetSessionToken`'s parameters (pure, tested): only those set, under AWS's names.
    static func sessionTokenParameters(durationSeconds: Int64?, serialNumber: String?, tokenCode: String?)
        -> [(String, String)]
    {
        var parameters: [(String, String)] = []
        if let durationSeconds { parameters.append(("DurationSeconds", String(durationSeconds))) }
        if let serialNumber, !serialNumber.isEmpty { parameters.append(("SerialNumber", serialNumber)) }
        if let tokenCode, !tokenCode.isEmpty { parameters.append(("TokenCode", tokenCode)) }
        return parameters
    }

    /// Temporary credentials for the caller's own (long-term) credentials (STSSessionToken).
    public func getSessionToken(durationSeconds: Int64? = nil, serialNumber: String? = nil, tokenCode: String? = nil)
        async throws -> AWSCredentials
    {
        let xml = try await http.callQuery(
            action: "GetSessionToken", version: Self.version,
            parameters: Self.sessionTokenParameters(
                durationSeconds: durationSeconds, serialNumber: serialNumber, tokenCode: tokenCode))
        return try Self.credentials(in: xml, action: "GetSessionToken")
    }

    /// The `<Credentials>` of an STS answer.
    static func credentials(in xml: String, action: String) throws -> AWSCredentials {
        guard let block = XMLText.first("Credentials", in: xml),
            let accessKeyID = XMLText.first("AccessKeyId", in: block),
            let secret = XMLText.first("SecretAccessKey", in: block)
        else {
            throw AWSServiceError(
                code: "InvalidSTSResponse", status: 200, message: "\(action) answered without credentials")
        }
        let token = XMLText.first("SessionToken", in: block)
        let expiration = XMLText.first("Expiration", in: block).flatMap(Self.parseDate)
        return AWSCredentials(
            accessKeyID: accessKeyID, secretAccessKey: secret, sessionToken: token, expiration: expiration)
    }

    /// ISO 8601 with or without fractional seconds.
    static func parseDate(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
