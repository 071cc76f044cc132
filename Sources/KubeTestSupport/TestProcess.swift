import Foundation
import ProcessTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A child process of a test, started with posix_spawn, its output appended to a log file, and
/// stopped by PID; waited for without blocking a thread (see `ChildProcess`). (Foundation's
/// `Process.waitUntilExit` was seen never to return once a child had left background servers behind.)
public final class TestProcess: Sendable {
    public let pid: Int32
    public let logPath: String

    /// Starts `executable` with `arguments`; stdout and stderr go to `logPath`, stdin is /dev/null.
    /// `environment` is added to (and overrides) this process's environment.
    public init(executable: String, arguments: [String], logPath: String, environment: [String: String] = [:]) throws {
        self.pid = try ChildProcess.spawn(
            executable, arguments, stdout: .appending(logPath), stderr: .appending(logPath), environment: environment)
        self.logPath = logPath
    }

    /// Sends `signal` (SIGTERM, SIGKILL, ...).
    public func send(_ signal: Int32) { kill(pid, signal) }

    /// Waits for the process to exit and returns its wait status; nil if it is still running
    /// after `timeout`.
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(3600)) async -> Int32? {
        await ChildProcess.waitForExit(pid, timeout: timeout)
    }

    /// Waits for the process to exit; returns whether it exited with status 0.
    public func succeeds() async -> Bool {
        guard let status = await waitForExit() else { return false }
        return ChildProcess.exitCode(ofWaitStatus: status) == 0
    }

    /// The log written so far.
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Kills the process if it still runs, and reaps it.
    public func stop() async {
        send(SIGKILL)
        await waitForExit(timeout: .seconds(10))
    }
}
