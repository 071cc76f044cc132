public import Foundation
import ProcessTestSupport

/// A committed differential oracle: a directory `Tests/<target>/Oracle` holding `oracle.go`, the
/// cases in `corpus.json` (sections of case lists) and `expected.json` (what Go printed for them,
/// section by section in corpus order). One runner for every oracle of the project.
///
/// The Go programs run in GOPATH mode with Debian's Go libraries (`/usr/share/gocode`) and share
/// their JSON I/O through the package `oracleio` beside this file, which they import by a
/// relative path; so they run in the source tree, not in a test bundle's copy.
public struct GoOracle: Sendable {
    /// The oracle directory in the source tree.
    public let directory: URL

    /// The oracle of test target `testTarget` (`Tests/<testTarget>/Oracle`).
    public init(testTarget: String) {
        directory = Self.packageRoot.appendingPathComponent("Tests").appendingPathComponent(testTarget)
            .appendingPathComponent("Oracle")
    }

    public var corpusURL: URL { directory.appendingPathComponent("corpus.json") }
    public var expectedURL: URL { directory.appendingPathComponent("expected.json") }

    /// Where Debian installs Go libraries (gjson, sprig) for GOPATH mode.
    public static let gopath = "/usr/share/gocode"

    /// The `go` binary (on PATH, else Debian's and upstream's usual places); nil when Go is absent.
    public static let goBinary: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let directories = path.split(separator: ":").map(String.init) + ["/usr/lib/go/bin", "/usr/local/go/bin"]
        return directories.map { $0 + "/go" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Whether Go and the GOPATH libraries at `libraries` (paths under `gopath`, e.g.
    /// `src/github.com/tidwall/gjson`) are installed, so the oracle can run here.
    public static func canRun(needing libraries: [String] = []) -> Bool {
        goBinary != nil && libraries.allSatisfy { FileManager.default.fileExists(atPath: gopath + "/" + $0) }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Runs `go run oracle.go corpus.json` in the oracle directory and returns what it printed
    /// (waiting without blocking a thread: `go run` compiles for seconds).
    public func run() async throws -> Data {
        guard let go = Self.goBinary else { throw Failure(description: "`go` not found: run scripts/install-deps.sh") }
        var environment = ["GO111MODULE": "off", "GOPATH": Self.gopath]
        if ProcessInfo.processInfo.environment["GOCACHE"] == nil {
            environment["GOCACHE"] =
                FileManager.default.temporaryDirectory.appendingPathComponent("go-oracle-cache").path
        }
        let result = try await ChildProcess.run(
            go, ["run", "oracle.go", "corpus.json"], directory: directory.path, environment: environment)
        guard result.succeeded else {
            throw Failure(description: "go run oracle.go failed (\(result.status)): \(result.stderrText)")
        }
        return result.stdout
    }

    /// The committed `expected.json`.
    public func committedExpectations() throws -> Data { try Data(contentsOf: expectedURL) }

    /// Section `section` of `corpus.json` paired, in order, with the same section of
    /// `expected.json`. Stops the test process when the files cannot be read or do not pair up
    /// (`name` and `expectedName` must agree): the suites cannot run without them.
    public func load<Case: Decodable, Expected: Decodable>(
        _ section: String, _: Case.Type, _: Expected.Type,
        name: (Case) -> String, expectedName: (Expected) -> String
    ) -> [(Case, Expected)] {
        do {
            let cases = try Self.decode(section, [Case].self, from: corpusURL)
            let results = try Self.decode(section, [Expected].self, from: expectedURL)
            precondition(cases.count == results.count, "\(section) of expected.json is stale: regenerate it")
            for (c, e) in zip(cases, results) {
                precondition(name(c) == expectedName(e), "expected.json is out of order at \(name(c)): regenerate it")
            }
            return Array(zip(cases, results))
        } catch {
            preconditionFailure("cannot read the oracle in \(directory.path): \(error)")
        }
    }

    private static func decode<Value: Decodable>(_ section: String, _: Value.Type, from url: URL) throws -> Value {
        let decoder = JSONDecoder()
        decoder.userInfo[Section<Value>.name] = section
        return try decoder.decode(Section<Value>.self, from: Data(contentsOf: url)).value
    }

    /// The package root, from this file's place in `Sources/GoOracleTestSupport`.
    private static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
}

/// One member of a JSON object, its key given by the decoder's `userInfo`.
private struct Section<Value: Decodable>: Decodable {
    static var name: CodingUserInfoKey { CodingUserInfoKey(rawValue: "GoOracle.section")! }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    var value: Value

    init(from decoder: any Decoder) throws {
        let key = Key(stringValue: decoder.userInfo[Self.name] as? String ?? "")
        value = try decoder.container(keyedBy: Key.self).decode(Value.self, forKey: key)
    }
}

extension GoOracle {
    /// A byte string in an oracle's output (`oracleio.Bytes` in Go): text when valid UTF-8, else base64.
    public struct Bytes: Decodable, Sendable, Hashable {
        public var text: String?
        public var base64: String?

        public var bytes: [UInt8] {
            if let text { return Array(text.utf8) }
            return [UInt8](Data(base64Encoded: base64 ?? "") ?? Data())
        }

        /// The bytes as a Swift string (invalid UTF-8 repaired to U+FFFD, as Swift does).
        public var string: String { String(decoding: bytes, as: UTF8.self) }
    }
}
