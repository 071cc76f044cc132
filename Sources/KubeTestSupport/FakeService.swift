import Foundation
import HTTPSupport

/// An in-repo fake of a vendor's HTTP API (`scripts/*-fake.py`: GCP Secret Manager, Azure Key
/// Vault, IBM Secrets Manager, Alibaba KMS) run for a suite: Python binds 127.0.0.1 port 0 and
/// prints `listening PORT`; the process is stopped by its PID. One definition of the start-up,
/// the test controls (`/fake/...`) and the probe for the Python packages the pins need.
public enum FakeService {
    /// A fake that did not start, or a control that failed.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Starts `python3 scripts/<script> --port 0 <arguments>`, its log in `directory/fake.log`,
    /// and waits (30 s) for the port it prints. `name` names the fake in the error.
    public static func start(
        script: String, arguments: [String], directory: String, name: String
    ) async throws -> (process: TestProcess, port: Int) {
        let process = try TestProcess(
            executable: "/usr/bin/env",
            arguments: ["python3", "\(LocalControlPlane.repositoryRoot)/scripts/\(script)", "--port", "0"] + arguments,
            logPath: "\(directory)/fake.log")
        var port: Int?
        _ = try await eventually(timeout: .seconds(30)) {
            port = process.log.split(separator: "\n").first { $0.hasPrefix("listening ") }
                .flatMap { Int($0.dropFirst("listening ".count)) }
            return port != nil
        }
        guard let port else {
            await process.stop()
            throw Failure(description: "the \(name) fake did not start: \(process.log.suffix(2000))")
        }
        return (process, port)
    }

    /// POSTs (with `body`) or GETs a test control `/fake/<path>` of the fake at `endpoint` and
    /// answers its JSON object.
    public static func control(_ endpoint: String, _ path: String, body: [String: Any]? = nil) async throws -> [String: Any] {
        let transport = try AsyncHTTPClientTransport()
        defer { Task { try? await transport.shutdown() } }
        let request = HTTPRequest(
            method: body == nil ? .GET : .POST, url: "\(endpoint)/fake/\(path)",
            body: try body.map { Array(try JSONSerialization.data(withJSONObject: $0)) })
        let response = try await transport.send(request, timeout: .seconds(10))
        return (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:]
    }

    /// Runs a pin, `python3 scripts/<script>` (the vendor's official client driven against the
    /// fake, which the script starts itself), for up to `timeout`; answers its exit status (nil:
    /// it did not finish and was killed) and its output.
    public static func runPin(_ script: String, timeout: Duration) async throws -> (status: Int32?, log: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "eso-swift-pin-\(UUID().uuidString.prefix(8))"
        ).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let process = try TestProcess(
            executable: "/usr/bin/env", arguments: ["python3", "\(LocalControlPlane.repositoryRoot)/scripts/\(script)"],
            logPath: "\(directory)/pin.log")
        let status = await process.waitForExit(timeout: timeout)
        if status == nil { await process.stop() }
        return (status, process.log)
    }

    /// Whether `python3 -c "import <modules>"` succeeds (the vendor clients the pins drive).
    /// For `static let`s evaluated when the test list is made, before suites run: it waits
    /// synchronously.
    public static func pythonCanImport(_ modules: String) -> Bool {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", "import \(modules)"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return false }
        probe.waitUntilExit()
        return probe.terminationStatus == 0
    }
}
