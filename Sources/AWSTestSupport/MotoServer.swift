public import AWSSigV4
public import Foundation
public import HTTPSupport
public import KubeTestSupport
import NIOHTTP1
import ProcessTestSupport
public import ProviderAWS

#if canImport(Glibc)
    import Glibc
#endif

/// A moto server (PyPI `moto`, with `flask` and `flask-cors`) for one test suite: started by its
/// real Python executable on a free port of 127.0.0.1, stopped by PID.
///
/// Requests go through the same signer and HTTP client the provider uses. Moto accepts any
/// signature until `enableAuthentication()`; after that, only the keys of IAM users created here
/// (or of moto's root account, `MotoServer.rootCredentials`) work, and IAM policies apply.
public final class MotoServer: Sendable {
    public let port: Int
    public let process: TestProcess
    public let directory: String
    public let transport: AsyncHTTPClientTransport
    /// The file moto records requests into (see `startRecording()`).
    public let recordingPath: String

    public var endpoint: String { "http://127.0.0.1:\(port)" }
    public static let region = "us-east-1"
    public static let accountID = "123456789012"

    /// Credentials moto accepts before `enableAuthentication()`.
    public static let anyCredentials = AWSCredentials(
        accessKeyID: "AKIAEXAMPLEADMIN000", secretAccessKey: "admin-secret")

    /// Whether `python3 -m moto.server` can run here. (Evaluated once, when the test list is
    /// made, before suites run; so it may wait synchronously.)
    public static let isAvailable: Bool = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import moto.server, flask, flask_cors"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }()

    /// Starts moto and waits until it answers.
    public static func start(name: String = "moto") async throws -> MotoServer {
        let python = try await runPython(["-c", "import sys;print(sys.executable)"]).trimmingCharacters(
            in: .whitespacesAndNewlines)
        let port = try freePort()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "eso-swift-\(name)-\(UUID().uuidString.prefix(8))"
        ).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let recording = "\(directory)/recording.jsonl"
        // A watchdog loaded by Python at start-up (sitecustomize) stops moto when this test
        // process is gone, so a crashed test run leaves no server behind.
        try watchdog.write(toFile: "\(directory)/sitecustomize.py", atomically: true, encoding: .utf8)
        let process = try TestProcess(
            executable: python, arguments: ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)],
            logPath: "\(directory)/moto.log",
            environment: [
                "MOTO_RECORDER_FILEPATH": recording, "AWS_DEFAULT_REGION": region, "PYTHONPATH": directory,
                "ESO_TEST_OWNER_PID": String(ProcessInfo.processInfo.processIdentifier),
            ])
        let server = MotoServer(port: port, process: process, directory: directory, recordingPath: recording)
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let response = try? await server.raw(.GET, "/moto-api/data.json"), response.status == .ok {
                return server
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        await server.stop()
        throw MotoError("moto did not start on port \(port): \(process.log.suffix(2000))")
    }

    static let watchdog = """
        import os, threading, time
        _owner = int(os.environ.get("ESO_TEST_OWNER_PID", "0"))
        def _watch():
            while True:
                time.sleep(1)
                try:
                    os.kill(_owner, 0)
                except OSError:
                    os._exit(0)
        if _owner:
            threading.Thread(target=_watch, daemon=True).start()
        """

    private init(port: Int, process: TestProcess, directory: String, recordingPath: String) {
        self.port = port
        self.process = process
        self.directory = directory
        self.recordingPath = recordingPath
        self.transport = try! AsyncHTTPClientTransport()
    }

    /// Stops moto by its PID and removes its directory.
    public func stop() async {
        await process.stop()
        try? await transport.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }

    // MARK: - moto's own API

    /// Switches signature and IAM policy checking on (`POST /moto-api/reset-auth`, body `0`).
    public func enableAuthentication() async throws {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain")
        let response = try await transport.send(
            HTTPRequest(method: .POST, url: "\(endpoint)/moto-api/reset-auth", headers: headers, body: Array("0".utf8)),
            timeout: .seconds(30))
        guard response.status == .ok else { throw MotoError("reset-auth answered \(response.status.code)") }
    }

    /// Starts recording requests (into `recordingPath`), after clearing earlier records.
    public func startRecording() async throws {
        _ = try await raw(.POST, "/moto-api/recorder/reset-recording")
        _ = try await raw(.POST, "/moto-api/recorder/start-recording")
    }

    public func stopRecording() async throws {
        _ = try await raw(.POST, "/moto-api/recorder/stop-recording")
    }

    /// The `X-Amz-Target` (JSON protocol) or `Action` (query protocol) of every recorded request,
    /// else its URL.
    public func recordedOperations() -> [String] {
        guard let text = try? String(contentsOfFile: recordingPath, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line -> String? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                return nil
            }
            let headers = (object["headers"] as? [String: Any]) ?? [:]
            if let target = headers.first(where: { $0.key.lowercased() == "x-amz-target" })?.value as? String {
                return target
            }
            var body = (object["body"] as? String) ?? ""
            if object["body_encoded"] as? Bool == true, let data = Data(base64Encoded: body) {
                body = String(decoding: data, as: UTF8.self)
            }
            for pair in body.split(separator: "&") where pair.hasPrefix("Action=") {
                return String(pair.dropFirst(7))
            }
            return (object["url"] as? String) ?? ""
        }
    }

    private func raw(_ method: HTTPMethod, _ path: String) async throws -> HTTPResponse {
        try await transport.send(HTTPRequest(method: method, url: "\(endpoint)\(path)"), timeout: .seconds(10))
    }

    // MARK: - AWS calls

    /// An AWS client for `service` (`secretsmanager`, `ssm`, `sts`, `iam`) signed with `credentials`.
    public func client(_ service: String, credentials: AWSCredentials = MotoServer.anyCredentials) -> AWSHTTPClient {
        AWSHTTPClient(
            endpoint: endpoint, region: Self.region, signingName: service,
            credentials: StaticCredentialProvider(credentials), transport: transport,
            retry: AWSRetryPolicy(maxAttempts: 1), metricsProvider: "test")
    }

    /// A JSON 1.1 call; returns the decoded JSON object.
    @discardableResult
    public func json(
        _ service: String, _ target: String, _ operation: String, _ input: [String: Any],
        credentials: AWSCredentials = MotoServer.anyCredentials
    ) async throws -> [String: Any] {
        let data = try await client(service, credentials: credentials).callJSON(
            targetPrefix: target, operation: operation, body: Array(try JSONSerialization.data(withJSONObject: input)))
        return (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    /// A query-protocol call (IAM, STS); returns the XML.
    @discardableResult
    public func query(
        _ service: String, _ action: String, version: String, _ parameters: [(String, String)],
        credentials: AWSCredentials = MotoServer.anyCredentials
    ) async throws -> String {
        try await client(service, credentials: credentials).callQuery(
            action: action, version: version, parameters: parameters)
    }

    // MARK: - Fixtures

    public func createSecret(_ name: String, string: String? = nil, binary: Data? = nil, tags: [String: String] = [:])
        async throws -> String
    {
        var input: [String: Any] = ["Name": name]
        if let string { input["SecretString"] = string }
        if let binary { input["SecretBinary"] = binary.base64EncodedString() }
        if !tags.isEmpty { input["Tags"] = tags.sorted { $0.key < $1.key }.map { ["Key": $0.key, "Value": $0.value] } }
        let output = try await json("secretsmanager", "secretsmanager", "CreateSecret", input)
        return output["VersionId"] as? String ?? ""
    }

    /// Puts a new value; returns its version id.
    public func putSecretValue(_ name: String, string: String, stages: [String]? = nil) async throws -> String {
        var input: [String: Any] = ["SecretId": name, "SecretString": string]
        if let stages { input["VersionStages"] = stages }
        let output = try await json("secretsmanager", "secretsmanager", "PutSecretValue", input)
        return output["VersionId"] as? String ?? ""
    }

    public func putParameter(_ name: String, value: String, type: String = "String", tags: [String: String] = [:])
        async throws
    {
        var input: [String: Any] = ["Name": name, "Value": value, "Type": type, "Overwrite": true]
        if !tags.isEmpty {
            input["Overwrite"] = false
            input["Tags"] = tags.sorted { $0.key < $1.key }.map { ["Key": $0.key, "Value": $0.value] }
        }
        try await json("ssm", "AmazonSSM", "PutParameter", input)
    }

    public func labelParameterVersion(_ name: String, version: Int, labels: [String]) async throws {
        try await json(
            "ssm", "AmazonSSM", "LabelParameterVersion", ["Name": name, "ParameterVersion": version, "Labels": labels])
    }

    /// Creates an IAM user with an inline policy and an access key.
    public func createUser(_ name: String, policy: String) async throws -> AWSCredentials {
        try await query("iam", "CreateUser", version: "2010-05-08", [("UserName", name)])
        try await query(
            "iam", "PutUserPolicy", version: "2010-05-08",
            [("UserName", name), ("PolicyName", "\(name)-policy"), ("PolicyDocument", policy)])
        let xml = try await query("iam", "CreateAccessKey", version: "2010-05-08", [("UserName", name)])
        guard let id = Self.xmlText("AccessKeyId", in: xml), let secret = Self.xmlText("SecretAccessKey", in: xml)
        else {
            throw MotoError("CreateAccessKey answered without a key")
        }
        return AWSCredentials(accessKeyID: id, secretAccessKey: secret)
    }

    /// Creates an IAM role with a trust policy and an inline policy; returns its ARN.
    public func createRole(_ name: String, trustPolicy: String, policy: String) async throws -> String {
        let xml = try await query(
            "iam", "CreateRole", version: "2010-05-08", [("RoleName", name), ("AssumeRolePolicyDocument", trustPolicy)])
        try await query(
            "iam", "PutRolePolicy", version: "2010-05-08",
            [("RoleName", name), ("PolicyName", "\(name)-policy"), ("PolicyDocument", policy)])
        return Self.xmlText("Arn", in: xml) ?? "arn:aws:iam::\(Self.accountID):role/\(name)"
    }

    /// A policy document allowing `actions` on every resource.
    public static func allow(_ actions: [String]) -> String {
        let list = actions.map { "\"\($0)\"" }.joined(separator: ",")
        return #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[\#(list)],"Resource":"*"}]}"#
    }

    /// A trust policy letting `principalARN` assume the role, optionally only with an external ID.
    public static func trust(_ principalARN: String, externalID: String? = nil) -> String {
        let condition = externalID.map { #","Condition":{"StringEquals":{"sts:ExternalId":"\#($0)"}}"# } ?? ""
        return
            #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"\#(principalARN)"},"Action":["sts:AssumeRole","sts:TagSession"]\#(condition)}]}"#
    }

    static func xmlText(_ name: String, in xml: String) -> String? {
        guard let start = xml.range(of: "<\(name)>"), let end = xml[start.upperBound...].range(of: "</\(name)>") else {
            return nil
        }
        return String(xml[start.upperBound..<end.lowerBound])
    }

    // MARK: - Process helpers

    static func runPython(_ arguments: [String]) async throws -> String {
        let run = try await ChildProcess.run("python3", arguments)
        guard run.succeeded else { throw MotoError("python3 \(arguments.first ?? "") failed") }
        return run.stdoutText
    }

    /// A port that was free a moment ago (bind to port 0, read it, close).
    static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw MotoError("socket() failed") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw MotoError("bind() failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        guard named == 0 else { throw MotoError("getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

public struct MotoError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
