import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A child process of a test, started with posix_spawn, its output appended to a log file, and
/// stopped by PID. (Foundation's `Process.waitUntilExit` was seen never to return once a child
/// had left background servers behind.)
public final class TestProcess: Sendable {
    public let pid: Int32
    public let logPath: String

    /// Starts `executable` with `arguments`; stdout and stderr go to `logPath`, stdin is /dev/null.
    /// `environment` is added to (and overrides) this process's environment.
    public init(executable: String, arguments: [String], logPath: String, environment: [String: String] = [:]) throws {
        let command = "exec \"$0\" \"$@\" >>\"\(logPath)\" 2>&1 </dev/null"
        let argv = ["/bin/bash", "-c", command, executable] + arguments
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var pid: pid_t = 0
        var cEnvironment: [UnsafeMutablePointer<CChar>?] = []
        if !environment.isEmpty {
            var merged = ProcessInfo.processInfo.environment
            merged.merge(environment) { _, new in new }
            cEnvironment = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        }
        defer { for pointer in cEnvironment { free(pointer) } }
        let spawned =
            cEnvironment.isEmpty
            ? posix_spawn(&pid, "/bin/bash", nil, nil, &cArguments, environ)
            : posix_spawn(&pid, "/bin/bash", nil, nil, &cArguments, &cEnvironment)
        guard spawned == 0 else {
            throw ControlPlaneError(description: "\(executable) could not be started: errno \(spawned)")
        }
        self.pid = pid
        self.logPath = logPath
    }

    /// Sends `signal` (SIGTERM, SIGKILL, ...).
    public func send(_ signal: Int32) { kill(pid, signal) }

    /// Waits for the process to exit and returns its wait status; nil if it is still running
    /// after `timeout`.
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(3600)) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while true {
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid || (result == -1 && errno == ECHILD) { return status }
            if ContinuousClock.now >= deadline { return nil }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Blocks until the process exits; returns whether it exited with status 0.
    public func waitSynchronously() -> Bool {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return (status & 0x7F) == 0 && ((status >> 8) & 0xFF) == 0
    }

    /// The log written so far.
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Kills the process if it still runs, and reaps it.
    public func stop() async {
        send(SIGKILL)
        await waitForExit(timeout: .seconds(10))
    }
}
