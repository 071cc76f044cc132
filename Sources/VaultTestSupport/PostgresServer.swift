import Foundation
import ProcessTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A real PostgreSQL server (Debian's `postgresql` package) for one test: `initdb` into a new
/// temporary directory, then the `postgres` executable itself on a free 127.0.0.1 port, stopped
/// by its PID. Clients on TCP authenticate with SCRAM passwords; the superuser is `postgres`
/// with `superuserPassword`.
///
/// As root (PostgreSQL refuses to run as root), both run as the `postgres` system user through
/// `setpriv`, which execs the server: the PID is still the server's.
public final class PostgresServer: Sendable {
    public let directory: String
    public let port: Int
    public let superuserPassword: String
    private let pid: Int32
    private let binaries: String

    /// The directory of PostgreSQL's binaries (the newest installed version), nil when none is.
    public static var binDirectory: String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap(Int.init).sorted()
        guard let version = versions.last else { return nil }
        let directory = "\(root)/\(version)/bin"
        return FileManager.default.isExecutableFile(atPath: "\(directory)/postgres") ? directory : nil
    }

    /// Whether PostgreSQL and `psql` are installed (`scripts/install-deps.sh vault`).
    public static var isAvailable: Bool {
        binDirectory != nil && FileManager.default.isExecutableFile(atPath: "/usr/bin/psql")
    }

    /// Starts a server and waits until it accepts connections.
    public static func start() async throws -> PostgresServer {
        guard let binaries = binDirectory else { throw PostgresError("PostgreSQL is not installed") }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("pg-\(UUID().uuidString.prefix(8))").path
        let data = "\(directory)/data"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let password = "pg-\(UUID().uuidString.prefix(12))"
        try Data(password.utf8).write(to: URL(fileURLWithPath: "\(directory)/pwfile"))
        let asRoot = geteuid() == 0
        if asRoot {
            let chown = try await ChildProcess.run("chown", ["-R", "postgres:postgres", directory])
            guard chown.succeeded else { throw PostgresError("chown failed: \(chown.stderrText)") }
        }
        let initdb = try await ChildProcess.run(
            asRoot ? "setpriv" : "\(binaries)/initdb",
            prefix(asRoot, "\(binaries)/initdb") + [
                "-D", data, "-U", "postgres", "--pwfile=\(directory)/pwfile", "--auth-local=trust",
                "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync",
            ])
        guard initdb.succeeded else { throw PostgresError("initdb failed: \(initdb.stderrText.suffix(2000))") }

        var lastError = ""
        for _ in 0..<3 {
            let port = try freePort()
            let logPath = "\(directory)/postgres.log"
            let pid = try ChildProcess.spawn(
                asRoot ? "setpriv" : "\(binaries)/postgres",
                prefix(asRoot, "\(binaries)/postgres") + [
                    "-D", data, "-k", directory, "-p", "\(port)", "-h", "127.0.0.1", "-c", "fsync=off",
                ],
                stdout: .appending(logPath), stderr: .appending(logPath))
            let server = PostgresServer(
                directory: directory, port: port, superuserPassword: password, pid: pid, binaries: binaries)
            for _ in 0..<100 {
                if let status = try? await server.psql("SELECT 1"), status == "1" { return server }
                if kill(pid, 0) != 0 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            lastError = (try? String(contentsOfFile: logPath, encoding: .utf8))?.suffix(2000).description ?? ""
            await server.stopProcess()
        }
        try? FileManager.default.removeItem(atPath: directory)
        throw PostgresError("postgres did not start: \(lastError)")
    }

    private static func prefix(_ asRoot: Bool, _ executable: String) -> [String] {
        asRoot ? ["--reuid=postgres", "--regid=postgres", "--init-groups", executable] : []
    }

    private init(directory: String, port: Int, superuserPassword: String, pid: Int32, binaries: String) {
        self.directory = directory
        self.port = port
        self.superuserPassword = superuserPassword
        self.pid = pid
        self.binaries = binaries
    }

    /// Vault's `connection_url` for the database plugin, with `{{username}}`/`{{password}}`
    /// templates filled from the connection's `username` and `password`.
    public var vaultConnectionURL: String {
        "postgresql://{{username}}:{{password}}@127.0.0.1:\(port)/postgres?sslmode=disable"
    }

    /// Runs `sql` with `psql` over TCP as `user` (the superuser by default) and returns its
    /// unaligned, tuples-only output, trimmed. Throws when psql fails (such as a refused login).
    public func psql(_ sql: String, user: String = "postgres", password: String? = nil) async throws -> String {
        let run = try await ChildProcess.run(
            "/usr/bin/psql",
            [
                "-h", "127.0.0.1", "-p", "\(port)", "-U", user, "-d", "postgres", "-At", "-v", "ON_ERROR_STOP=1",
                "-c", sql,
            ],
            environment: ["PGPASSWORD": password ?? superuserPassword, "PGCONNECT_TIMEOUT": "5"],
            timeout: .seconds(30))
        guard run.succeeded else {
            throw PostgresError("psql as \(user) failed: \(run.stderrText.prefix(500))")
        }
        return run.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Whether a role named `name` exists (`pg_roles`).
    public func roleExists(_ name: String) async throws -> Bool {
        let escaped = name.replacingOccurrences(of: "'", with: "''")
        return try await psql("SELECT count(*) FROM pg_roles WHERE rolname = '\(escaped)'") == "1"
    }

    /// Stops the server (SIGTERM to its PID, then SIGKILL) and removes its directory.
    public func stop() async {
        await stopProcess()
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func stopProcess() async {
        kill(pid, SIGTERM)
        if await ChildProcess.waitForExit(pid, timeout: .seconds(10)) == nil {
            kill(pid, SIGKILL)
            _ = await ChildProcess.waitForExit(pid, timeout: .seconds(10))
        }
    }

    /// A port that was free a moment ago.
    static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw PostgresError("socket() failed") }
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
        guard bound == 0 else { throw PostgresError("bind() failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        guard named == 0 else { throw PostgresError("getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// PostgreSQL could not be started or a query failed.
public struct PostgresError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
