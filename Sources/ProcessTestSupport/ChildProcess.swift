public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Child processes of tests, spawned with `posix_spawnp` and waited for without blocking a thread.
///
/// Contract: nothing here blocks a thread of Swift's cooperative pool. Tests run suites in
/// parallel on a pool as wide as the machine (two threads here); one `Process.waitUntilExit` or
/// `readDataToEndOfFile` while a control plane starts, a Python client runs or `go run` compiles
/// stalls every other suite for that long, and their timeouts then fail for no reason of their
/// own. So output goes to files (never pipes, which a grandchild left behind can hold open), and
/// exit is polled with `waitpid(WNOHANG)` between `Task.sleep`s.
public enum ChildProcess {
    /// Where a child's standard output or error goes.
    public enum Output: Sendable {
        /// Appended to the file at this path (created if missing).
        case appending(String)
        /// The file at this path, truncated first.
        case truncating(String)
        /// Discarded.
        case null
    }

    /// Starts `executable` (a path, or a name looked up in `PATH`) with `arguments`, standard
    /// input from `inputPath` (default /dev/null), in `directory` (default: this process's), with
    /// `environment` added to (and overriding) this process's. Returns the child's PID.
    public static func spawn(
        _ executable: String, _ arguments: [String], inputPath: String? = nil, stdout: Output, stderr: Output,
        directory: String? = nil, environment: [String: String] = [:]
    ) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inputPath ?? "/dev/null", O_RDONLY, 0)
        for (descriptor, output) in [(Int32(1), stdout), (Int32(2), stderr)] {
            switch output {
            case .appending(let path):
                posix_spawn_file_actions_addopen(&actions, descriptor, path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            case .truncating(let path):
                posix_spawn_file_actions_addopen(&actions, descriptor, path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            case .null:
                posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", O_WRONLY, 0)
            }
        }
        // posix_spawn_file_actions_addchdir_np is not visible through Glibc here: a shell changes
        // directory, then becomes the child.
        let argv =
            directory.map { ["/bin/sh", "-c", #"cd -- "$0" && exec "$@""#, $0, executable] + arguments }
            ?? [executable] + arguments
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { _, new in new }
        var cEnvironment = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in cEnvironment { free(pointer) } }

        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, argv[0], &actions, nil, &cArguments, &cEnvironment)
        guard spawned == 0 else {
            throw ChildProcessError(description: "\(executable) could not be started: errno \(spawned)")
        }
        return pid
    }

    /// Waits for `pid` to exit, polling; returns its raw wait status, or nil if it still runs
    /// after `timeout`. (A PID that is not this process's child counts as exited.)
    public static func waitForExit(_ pid: Int32, timeout: Duration = .seconds(3600)) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        var pause = Duration.milliseconds(5)
        while true {
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid || (result == -1 && errno == ECHILD) { return status }
            if ContinuousClock.now >= deadline { return nil }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(50))
        }
    }

    /// The exit code of a raw wait status: the code if the child exited, 128 + the signal if a
    /// signal ended it (as a shell reports it).
    public static func exitCode(ofWaitStatus status: Int32) -> Int32 {
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    /// Runs `executable` to completion with `input` on its standard input and returns what it
    /// printed. After `timeout` the child is killed and this throws.
    public static func run(
        _ executable: String, _ arguments: [String], input: Data? = nil, directory: String? = nil,
        environment: [String: String] = [:], timeout: Duration = .seconds(600)
    ) async throws -> ChildProcessResult {
        let base = FileManager.default.temporaryDirectory
            .appendingPathComponent("child-\(UUID().uuidString.prefix(8))").path
        let (inputPath, outPath, errPath) = (base + ".in", base + ".out", base + ".err")
        defer { for path in [inputPath, outPath, errPath] { try? FileManager.default.removeItem(atPath: path) } }
        if let input { try input.write(to: URL(fileURLWithPath: inputPath)) }
        let pid = try spawn(
            executable, arguments, inputPath: input == nil ? nil : inputPath, stdout: .truncating(outPath),
            stderr: .truncating(errPath), directory: directory, environment: environment)
        guard let status = await waitForExit(pid, timeout: timeout) else {
            kill(pid, SIGKILL)
            _ = await waitForExit(pid, timeout: .seconds(10))
            throw ChildProcessError(
                description: "\(executable) \(arguments.first ?? "") did not finish within \(timeout)")
        }
        return ChildProcessResult(
            status: exitCode(ofWaitStatus: status),
            stdout: (try? Data(contentsOf: URL(fileURLWithPath: outPath))) ?? Data(),
            stderr: (try? Data(contentsOf: URL(fileURLWithPath: errPath))) ?? Data())
    }
}

/// What a finished child process printed and how it ended.
public struct ChildProcessResult: Sendable {
    /// The exit code (128 + the signal if a signal ended it).
    public var status: Int32
    public var stdout: Data
    public var stderr: Data

    public var succeeded: Bool { status == 0 }
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// A child process could not be started or did not finish in time.
public struct ChildProcessError: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}

/// At most `limit` heavy test servers (a control plane, an OpenBao) start at a time in this test
/// process. Waiting for a server's start no longer blocks a thread, so every suite that needs one
/// would otherwise boot its etcd and kube-apiserver at the same moment, and on two cores those
/// boots (seconds of CPU each) starve everything else; queued starts wait without a thread.
public actor ServerStartGate {
    public static let shared = ServerStartGate(limit: 2)

    private let limit: Int
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init(limit: Int) { self.limit = limit }

    /// Runs `start` once fewer than `limit` starts are running.
    public func withPermit<T: Sendable>(_ start: @Sendable () async throws -> T) async throws -> T {
        if running >= limit {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            running += 1
        }
        defer { release() }
        return try await start()
    }

    private func release() {
        if waiting.isEmpty {
            running -= 1
        } else {
            // The permit passes straight to the first waiter.
            waiting.removeFirst().resume()
        }
    }
}
