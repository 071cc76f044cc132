import Foundation
import ProcessTestSupport
import Templating
import Testing

/// Renders with a seeded random source and a fixed clock (2023-11-14T22:13:20Z).
func renderWithSeed(_ text: String, seed: UInt64 = 1, data: Value = .null) throws -> String {
    var environment = SeededBytes(seed: seed).environment
    environment.now = { GoTime(seconds: fixedNow) }
    return try Template(name: "t", text: text).render(data, environment: environment)
}

let fixedNow: Int64 = 1_700_000_000

/// The committed fixtures under Oracle/Fixtures.
enum Fixtures {
    static let directory = Bundle.module.resourceURL!.appendingPathComponent("Oracle").appendingPathComponent(
        "Fixtures")

    static func text(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }
}

/// Runs `openssl` with `arguments`, feeding `input` on stdin; nil (and a recorded issue) when
/// openssl is missing. Returns stdout followed by stderr, and the exit status.
func openssl(_ arguments: [String], input: [UInt8] = []) async throws -> (output: String, status: Int32)? {
    let candidates = ["/usr/bin/openssl", "/usr/local/bin/openssl", "/bin/openssl"]
    guard let binary = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        Issue.record("openssl not found: run `scripts/install-deps.sh templates`")
        return nil
    }
    let run = try await ChildProcess.run(binary, arguments, input: Data(input))
    return (run.stdoutText + run.stderrText, run.status)
}

/// A temporary file holding `contents`, removed by the caller.
func temporaryFile(_ contents: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("templating-\(UUID().uuidString).pem")
    try contents.write(to: url, atomically: true, encoding: .utf8)
    return url
}
