import AWSSigV4
import Foundation
import ProcessTestSupport
import Testing

/// The signer against AWS's documented examples (fixed cases) and a corpus signed by botocore.
@Suite struct SigV4SignerTests {
    static let exampleKey = AWSCredentials(
        accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    static let s3ExampleKey = AWSCredentials(
        accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    /// 2015-08-30T12:36:00Z, the date of AWS's Signature Version 4 test suite.
    static let suiteDate = Date(timeIntervalSince1970: 1_440_938_160)
    /// 2013-05-24T00:00:00Z, the date of the S3 examples.
    static let s3Date = Date(timeIntervalSince1970: 1_369_353_600)

    static func authorization(_ headers: [(name: String, value: String)]) -> String? {
        headers.first { $0.name == "Authorization" }?.value
    }

    // MARK: - AWS's documented examples

    @Test func getVanillaFromTheTestSuite() {
        let signer = SigV4Signer(credentials: Self.exampleKey, region: "us-east-1", service: "service")
        let headers = signer.signHeaders(
            method: "GET", url: "https://example.amazonaws.com/", headers: [], date: Self.suiteDate)
        #expect(
            Self.authorization(headers)
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        )
        #expect(headers.contains { $0.name == "X-Amz-Date" && $0.value == "20150830T123600Z" })
        #expect(headers.contains { $0.name == "Host" && $0.value == "example.amazonaws.com" })
    }

    @Test func postVanillaFromTheTestSuite() {
        let signer = SigV4Signer(credentials: Self.exampleKey, region: "us-east-1", service: "service")
        let headers = signer.signHeaders(
            method: "POST", url: "https://example.amazonaws.com/", headers: [], date: Self.suiteDate)
        #expect(
            Self.authorization(headers)?.hasSuffix(
                "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b") == true)
    }

    /// The IAM `ListUsers` example of the Signature Version 4 documentation.
    @Test func iamListUsersExample() {
        let signer = SigV4Signer(credentials: Self.exampleKey, region: "us-east-1", service: "iam")
        let headers = signer.signHeaders(
            method: "GET", url: "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08",
            headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")], date: Self.suiteDate)
        #expect(
            Self.authorization(headers)
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        )
    }

    /// The S3 "GET Object" header-signing example (a Range header and x-amz-content-sha256).
    @Test func s3GetObjectExample() {
        let signer = SigV4Signer(credentials: Self.s3ExampleKey, region: "us-east-1", service: "s3")
        let headers = signer.signHeaders(
            method: "GET", url: "https://examplebucket.s3.amazonaws.com/test.txt",
            headers: [
                ("Range", "bytes=0-9"),
                ("x-amz-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ], date: Self.s3Date)
        #expect(
            Self.authorization(headers)
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        )
    }

    /// The S3 presigned URL example.
    @Test func s3PresignedURLExample() {
        let signer = SigV4Signer(credentials: Self.s3ExampleKey, region: "us-east-1", service: "s3")
        let url = signer.presignURL(
            method: "GET", url: "https://examplebucket.s3.amazonaws.com/test.txt", expires: 86400, date: Self.s3Date,
            payloadHash: SigV4Signer.unsignedPayload)
        #expect(url.hasSuffix("&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"))
        #expect(url.contains("X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"))
    }

    // MARK: - Properties

    @Test func aSessionTokenIsSentAndSigned() {
        var credentials = Self.exampleKey
        credentials.sessionToken = "token"
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "sts")
        let headers = signer.signHeaders(
            method: "POST", url: "https://sts.amazonaws.com/", headers: [("X-Amz-Security-Token", "stale")],
            date: Self.suiteDate)
        #expect(headers.filter { $0.name.lowercased() == "x-amz-security-token" }.map(\.value) == ["token"])
        #expect(Self.authorization(headers)?.contains("SignedHeaders=host;x-amz-date;x-amz-security-token") == true)
    }

    @Test func resigningReplacesTheOldAuthorizationAndDate() {
        let signer = SigV4Signer(credentials: Self.exampleKey, region: "us-east-1", service: "service")
        let first = signer.signHeaders(
            method: "GET", url: "https://example.amazonaws.com/", headers: [], date: Self.suiteDate)
        let again = signer.signHeaders(
            method: "GET", url: "https://example.amazonaws.com/", headers: first, date: Self.suiteDate)
        #expect(again.filter { $0.name == "Authorization" }.count == 1)
        #expect(again.filter { $0.name == "X-Amz-Date" }.count == 1)
        #expect(Self.authorization(again) == Self.authorization(first))
    }

    @Test func credentialsNeverPrintTheirSecret() {
        let credentials = AWSCredentials(
            accessKeyID: "AKID", secretAccessKey: "very-secret", sessionToken: "tok-secret")
        #expect(!"\(credentials)".contains("very-secret") && !"\(credentials)".contains("tok-secret"))
        #expect(!String(reflecting: credentials).contains("very-secret"))
    }

    @Test(arguments: [
        ("", "/"), ("/", "/"), ("/a/b/../c", "/a/c"), ("//a//b", "/a/b"), ("/a/./b/", "/a/b/"), ("/..", "/"),
    ])
    func pathNormalization(path: String, expected: String) {
        let signer = SigV4Signer(credentials: Self.exampleKey, region: "r", service: "s")
        // The canonical path shows in the signature only; compare against a request with the
        // normalized path instead.
        let a = signer.signHeaders(
            method: "GET", url: "https://h.example\(path)", headers: [("Host", "h.example")], date: Self.suiteDate)
        let b = signer.signHeaders(
            method: "GET", url: "https://h.example\(expected)", headers: [("Host", "h.example")], date: Self.suiteDate)
        #expect(Self.authorization(a) == Self.authorization(b))
    }

    // MARK: - botocore corpus

    struct Corpus: Decodable {
        var botocore: String
        var cases: [Case]
    }

    struct Case: Decodable, CustomTestStringConvertible, Sendable {
        var name: String
        var kind: String
        var method: String
        var url: String
        var headers: [[String]]
        var bodyHex: String
        var service: String
        var region: String
        var sessionToken: String?
        var date: Int
        var authorization: String?
        var expires: Int?
        var unsignedPayload: Bool?
        var presignedURL: String?
        var testDescription: String { name }
    }

    static let corpus: [Case] = {
        guard
            let url = Bundle.module.url(
                forResource: "botocore-corpus", withExtension: "json", subdirectory: "Resources"),
            let data = try? Data(contentsOf: url), let corpus = try? JSONDecoder().decode(Corpus.self, from: data)
        else { return [] }
        return corpus.cases
    }()

    @Test func corpusIsPresent() {
        #expect(Self.corpus.count >= 25)
    }

    @Test(arguments: corpus)
    func matchesBotocore(_ sample: Case) throws {
        var credentials = Self.exampleKey
        credentials.sessionToken = sample.sessionToken
        let signer = SigV4Signer(credentials: credentials, region: sample.region, service: sample.service)
        let headers = sample.headers.map { (name: $0[0], value: $0[1]) }
        let date = Date(timeIntervalSince1970: TimeInterval(sample.date))
        if sample.kind == "headers" {
            let signed = signer.signHeaders(
                method: sample.method, url: sample.url, headers: headers, body: Self.bytes(hex: sample.bodyHex),
                date: date)
            #expect(Self.authorization(signed) == sample.authorization)
        } else {
            let url = signer.presignURL(
                method: sample.method, url: sample.url, headers: headers, expires: sample.expires ?? 3600, date: date,
                payloadHash: sample.unsignedPayload == true ? SigV4Signer.unsignedPayload : nil)
            let expected = try #require(sample.presignedURL)
            #expect(Self.queryItems(url) == Self.queryItems(expected))
            #expect(url.split(separator: "?").first == expected.split(separator: "?").first)
        }
    }

    static func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return out
    }

    /// The query parameters, decoded and sorted (botocore orders them differently).
    static func queryItems(_ url: String) -> [String] {
        guard let query = url.split(separator: "?", maxSplits: 1).dropFirst().first else { return [] }
        return query.split(separator: "&").map { pair in
            pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                .map { String($0).removingPercentEncoding ?? String($0) }.joined(separator: "=")
        }.sorted()
    }

    /// When botocore is installed, the committed corpus is what the generator prints today.
    @Test(.enabled(if: SigV4SignerTests.botocoreInstalled, "botocore not installed"))
    func committedCorpusIsCurrent() async throws {
        var repository = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { repository.deleteLastPathComponent() }
        let script = repository.appendingPathComponent("scripts/aws-sigv4-corpus.py").path
        let generated = try await ChildProcess.run("python3", [script]).stdoutText
        let committed = try String(
            contentsOf: repository.appendingPathComponent("Tests/AWSSigV4Tests/Resources/botocore-corpus.json"),
            encoding: .utf8)
        struct Names: Decodable {
            struct Entry: Decodable, Equatable {
                var name: String
                var authorization: String?
                var presignedURL: String?
            }
            var cases: [Entry]
        }
        let now = try JSONDecoder().decode(Names.self, from: Data(generated.utf8))
        let then = try JSONDecoder().decode(Names.self, from: Data(committed.utf8))
        #expect(
            now.cases == then.cases,
            "regenerate: python3 scripts/aws-sigv4-corpus.py > Tests/AWSSigV4Tests/Resources/botocore-corpus.json")
    }

    /// (Evaluated once, when the test list is made, before suites run; so it may wait synchronously.)
    static let botocoreInstalled: Bool = (try? run(["python3", "-c", "import botocore"])) != nil

    static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
        return String(decoding: data, as: UTF8.self)
    }
}
