public import AWSSigV4
public import Foundation
public import HTTPSupport
import NIOHTTP1

/// The operator's own AWS credentials, found as the AWS SDKs find them, first match wins:
/// 1. environment: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`;
/// 2. web identity (IRSA): `AWS_WEB_IDENTITY_TOKEN_FILE` with `AWS_ROLE_ARN` (the token file is
///    read again on every refresh, as the kubelet rotates it);
/// 3. the shared files (`AWS_SHARED_CREDENTIALS_FILE` / `~/.aws/credentials`, `AWS_CONFIG_FILE` /
///    `~/.aws/config`) for profile `AWS_PROFILE` (else `default`): static keys, `role_arn` with
///    `source_profile`, `credential_source = Environment` or `web_identity_token_file`;
/// 4. container credentials (ECS, EKS Pod Identity): `AWS_CONTAINER_CREDENTIALS_FULL_URI` or
///    `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`, with `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` /
///    `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
/// The instance metadata service (EC2 instance roles) is not consulted.
///
/// Wrap it in `CachingCredentialProvider`: every call here resolves and fetches anew.
public struct DefaultCredentialChain: AWSCredentialProvider {
    public var environment: [String: String]
    /// STS for the given source credentials (nil: unsigned, for web identity).
    public var sts: @Sendable ((any AWSCredentialProvider)?) -> STSClient
    /// For container credentials.
    public var transport: any HTTPTransport
    public var readFile: @Sendable (String) -> String?

    public init(
        environment: [String: String], sts: @escaping @Sendable ((any AWSCredentialProvider)?) -> STSClient,
        transport: any HTTPTransport,
        readFile: @escaping @Sendable (String) -> String? = { try? String(contentsOfFile: $0, encoding: .utf8) }
    ) {
        self.environment = environment
        self.sts = sts
        self.transport = transport
        self.readFile = readFile
    }

    static let sessionName = "external-secrets-provider-aws"

    public func credentials() async throws -> AWSCredentials {
        if let credentials = environmentCredentials() { return credentials }
        if let tokenFile = env("AWS_WEB_IDENTITY_TOKEN_FILE"), let role = env("AWS_ROLE_ARN") {
            return try await webIdentity(role: role, tokenFile: tokenFile, sessionName: env("AWS_ROLE_SESSION_NAME"))
        }
        let profile = env("AWS_PROFILE") ?? env("AWS_DEFAULT_PROFILE") ?? "default"
        let files = SharedConfigFiles(
            credentials: readFile(env("AWS_SHARED_CREDENTIALS_FILE") ?? home(".aws/credentials")) ?? "",
            config: readFile(env("AWS_CONFIG_FILE") ?? home(".aws/config")) ?? "")
        if files.hasProfile(profile) {
            return try await profileCredentials(profile, files: files, visited: [])
        }
        if env("AWS_CONTAINER_CREDENTIALS_FULL_URI") != nil || env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != nil {
            return try await containerCredentials()
        }
        throw DefaultChainError(
            """
            no AWS credentials found for the operator: set auth in the store, or give the operator \
            AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a web identity token (AWS_WEB_IDENTITY_TOKEN_FILE \
            and AWS_ROLE_ARN), a shared credentials file or container credentials
            """)
    }

    private func env(_ name: String) -> String? {
        guard let value = environment[name], !value.isEmpty else { return nil }
        return value
    }

    private func home(_ path: String) -> String {
        "\(env("HOME") ?? NSHomeDirectory())/\(path)"
    }

    func environmentCredentials() -> AWSCredentials? {
        guard let id = env("AWS_ACCESS_KEY_ID") ?? env("AWS_ACCESS_KEY"),
            let secret = env("AWS_SECRET_ACCESS_KEY") ?? env("AWS_SECRET_KEY")
        else { return nil }
        return AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: env("AWS_SESSION_TOKEN"))
    }

    private func webIdentity(role: String, tokenFile: String, sessionName: String?) async throws -> AWSCredentials {
        guard let token = readFile(tokenFile)?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty else {
            throw DefaultChainError("the web identity token file \(tokenFile) cannot be read or is empty")
        }
        return try await sts(nil).assumeRoleWithWebIdentity(
            roleARN: role, sessionName: sessionName ?? Self.sessionName, token: token)
    }

    private func profileCredentials(_ name: String, files: SharedConfigFiles, visited: Set<String>) async throws
        -> AWSCredentials
    {
        guard !visited.contains(name) else {
            throw DefaultChainError("AWS profile \(name) refers to itself through source_profile")
        }
        let profile = files.profile(name)
        guard let role = profile["role_arn"] else {
            guard let id = profile["aws_access_key_id"], let secret = profile["aws_secret_access_key"] else {
                throw DefaultChainError("AWS profile \(name) has neither keys nor role_arn")
            }
            return AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: profile["aws_session_token"])
        }
        if let tokenFile = profile["web_identity_token_file"] {
            return try await webIdentity(role: role, tokenFile: tokenFile, sessionName: profile["role_session_name"])
        }
        let source: AWSCredentials
        if let sourceProfile = profile["source_profile"] {
            source = try await profileCredentials(sourceProfile, files: files, visited: visited.union([name]))
        } else if profile["credential_source"] == "Environment", let credentials = environmentCredentials() {
            source = credentials
        } else {
            throw DefaultChainError(
                "AWS profile \(name) has role_arn but no usable source_profile or credential_source")
        }
        return try await sts(StaticCredentialProvider(source)).assumeRole(
            STSClient.AssumeRoleRequest(
                roleARN: role, sessionName: profile["role_session_name"] ?? Self.sessionName,
                externalID: profile["external_id"]))
    }

    private func containerCredentials() async throws -> AWSCredentials {
        let url =
            env("AWS_CONTAINER_CREDENTIALS_FULL_URI")
            ?? "http://169.254.170.2\(env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") ?? "")"
        var headers = HTTPHeaders()
        if let file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
            let token = readFile(file)?.trimmingCharacters(in: .whitespacesAndNewlines)
        {
            headers.add(name: "Authorization", value: token)
        } else if let token = env("AWS_CONTAINER_AUTHORIZATION_TOKEN") {
            headers.add(name: "Authorization", value: token)
        }
        let response: HTTPResponse
        do {
            response = try await transport.send(
                HTTPRequest(method: .GET, url: url, headers: headers), timeout: .seconds(5))
        } catch {
            throw DefaultChainError("container credentials endpoint \(url) cannot be reached")
        }
        struct Answer: Decodable {
            var accessKeyId: String
            var secretAccessKey: String
            var token: String?
            var expiration: String?
        }
        guard response.status == .ok, let answer = try? AWSJSON.decoder.decode(Answer.self, from: Data(response.body))
        else {
            throw DefaultChainError(
                "container credentials endpoint \(url) answered HTTP \(response.status.code) without credentials")
        }
        return AWSCredentials(
            accessKeyID: answer.accessKeyId, secretAccessKey: answer.secretAccessKey, sessionToken: answer.token,
            expiration: answer.expiration.flatMap(STSClient.parseDate))
    }
}

/// The operator's own credentials could not be found or fetched.
public struct DefaultChainError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// The AWS shared credentials and config files (INI): `[name]` sections in the credentials file,
/// `[profile name]` (or `[default]`) in the config file; the credentials file wins per key.
struct SharedConfigFiles: Sendable {
    var sections: [String: [String: String]] = [:]

    init(credentials: String, config: String) {
        for (name, values) in Self.parse(config) {
            let profile =
                name.hasPrefix("profile ") ? String(name.dropFirst(8)).trimmingCharacters(in: .whitespaces) : name
            sections[profile, default: [:]].merge(values) { _, new in new }
        }
        for (name, values) in Self.parse(credentials) {
            sections[name, default: [:]].merge(values) { _, new in new }
        }
    }

    func hasProfile(_ name: String) -> Bool { !(sections[name] ?? [:]).isEmpty }

    func profile(_ name: String) -> [String: String] { sections[name] ?? [:] }

    static func parse(_ text: String) -> [(String, [String: String])] {
        var result: [(String, [String: String])] = []
        var current: String?
        var values: [String: String] = [:]
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                if let current { result.append((current, values)) }
                current = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                values = [:]
                continue
            }
            guard current != nil, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            values[key] = value
        }
        if let current { result.append((current, values)) }
        return result
    }
}
