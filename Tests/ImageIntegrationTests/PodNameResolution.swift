import Foundation
import KubeTestSupport

// Name resolution as a pod sees it: the files the kubelet mounts into every container
// (/etc/hosts, /etc/resolv.conf) and a DNS server standing in for the cluster's.

/// The kubelet's /etc/hosts and /etc/resolv.conf for a pod in `namespace`, written into an
/// unpacked root filesystem (the kubelet bind-mounts them; a copy is the same to the binary).
struct PodResolverFiles {
    /// The pod's `spec.hostAliases`: extra /etc/hosts lines, address then names.
    var hostAliases: [(address: String, names: [String])] = []
    /// The cluster DNS server's address (`nameserver`; glibc always asks port 53).
    var nameserver: String
    /// The pod's namespace, first in the search list.
    var namespace: String

    /// /etc/hosts as the kubelet writes it (`pkg/kubelet/kubelet_pods.go`), with `hostAliases`.
    var hosts: String {
        var text = """
            # Kubernetes-managed hosts file.
            127.0.0.1\tlocalhost
            ::1\tlocalhost ip6-localhost ip6-loopback
            fe00::0\tip6-localnet
            fe00::0\tip6-mcastprefix

            """
        if !hostAliases.isEmpty {
            text += "\n# Entries added by HostAliases.\n"
            for alias in hostAliases { text += "\(alias.address)\t\(alias.names.joined(separator: "\t"))\n" }
        }
        return text
    }

    /// /etc/resolv.conf of a pod with the default `ClusterFirst` DNS policy.
    var resolvConf: String {
        """
        search \(namespace).svc.\(ClusterDNS.domain) svc.\(ClusterDNS.domain) \(ClusterDNS.domain)
        nameserver \(nameserver)
        options ndots:5

        """
    }

    /// Writes both files into `rootfs/etc`, readable by the image's user.
    func write(into rootfs: String) throws {
        for (name, text) in [("hosts", hosts), ("resolv.conf", resolvConf)] {
            let path = "\(rootfs)/etc/\(name)"
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        }
    }
}

/// A DNS server in the cluster DNS's place: Debian's dnsmasq on port 53 of a random 127.x.y.z
/// address (glibc's resolver asks port 53 only; loopback answers on all of 127/8, so parallel
/// runs do not collide), answering `records` and NXDOMAIN for every other name, as CoreDNS does
/// for names it does not know. It forwards nothing and reads neither /etc/hosts nor
/// /etc/resolv.conf, and logs every query.
///
/// Guarantees: `stop()` kills exactly the process this instance started.
final class ClusterDNS: Sendable {
    /// The cluster domain of the search list.
    static let domain = "cluster.local"

    let address: String
    private let process: TestProcess

    private init(address: String, process: TestProcess) {
        self.address = address
        self.process = process
    }

    /// Starts dnsmasq answering `records` (fully qualified name: IPv4 address), its log in
    /// `directory`; waits until it serves. Tries three addresses before giving up.
    static func start(records: [String: String], directory: String) async throws -> ClusterDNS {
        var failures: [String] = []
        for _ in 1...3 {
            let address = "127.\(Int.random(in: 54...250)).\(Int.random(in: 1...250)).\(Int.random(in: 1...250))"
            let process = try TestProcess(
                executable: "/usr/sbin/dnsmasq",
                arguments: [
                    "--keep-in-foreground", "--log-facility=-", "--log-queries", "--no-resolv", "--no-hosts",
                    "--bind-interfaces", "--listen-address=\(address)", "--port=53", "--local=/#/",
                ] + records.sorted { $0.key < $1.key }.map { "--host-record=\($0.key),\($0.value)" },
                logPath: "\(directory)/dnsmasq-\(address).log")
            let server = ClusterDNS(address: address, process: process)
            // dnsmasq binds its socket before it logs "dnsmasq[PID]: started"; a fatal error
            // (such as the address being taken) is logged as "dnsmasq: ..." before it exits.
            _ = try await eventually(timeout: .seconds(10)) {
                process.log.contains("started, version") || process.log.contains("dnsmasq: ")
            }
            if process.log.contains("started, version") { return server }
            failures.append(process.log.suffix(500).description)
            await server.stop()
        }
        throw ClusterDNSError(description: "dnsmasq did not start:\n\(failures.joined(separator: "\n"))")
    }

    func stop() async { await process.stop() }

    /// The names asked for so far (any record type), in order, e.g.
    /// `kubernetes.default.svc.ns.svc.cluster.local`.
    var queriedNames: [String] {
        process.log.split(separator: "\n").compactMap { line in
            line.firstMatch(of: /query\[[A-Z0-9]+\] (\S+) from/).map { String($0.1) }
        }
    }

    /// The log so far (for failure messages).
    var log: String { process.log }
}

/// The DNS server could not be started.
struct ClusterDNSError: Error, CustomStringConvertible {
    var description: String
}
