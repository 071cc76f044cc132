import ExternalSecretsAPI
import Foundation
import KubeClient
import KubeModel
import KubeTestSupport
import OperatorTestSupport
import ProcessTestSupport
import Testing
import VaultTestSupport

/// Where `make image` wrote the image (its OCI layout and docker-archive).
let imageDirectory = ProcessInfo.processInfo.environment["IMAGE_DIR"]

/// The container image `make image` built (IMAGE_DIR, set by `make image`; the static release
/// build is too slow for every `make test`): its configuration as skopeo reads it, and the binary
/// of its unpacked root filesystem running in that filesystem (chroot, as user 65532) against the
/// local control plane and OpenBao, reaching both by host name as in a pod.
@Suite(.enabled(if: imageDirectory != nil, "IMAGE_DIR is set by `make image`"), .controlPlane, .serialized)
struct ImageTests {
    static let directory = imageDirectory
    static let version: String = {
        let source = try? String(
            contentsOfFile:
                "\(LocalControlPlane.repositoryRoot)/Sources/ExternalSecretsCLI/ExternalSecretsCommand.swift",
            encoding: .utf8)
        return source?.firstMatch(of: /static let current = "([^"]+)"/).map { String($0.1) } ?? ""
    }()

    var layout: String { "oci:\(Self.directory ?? "")/oci:\(Self.version)" }

    @Test func skopeoShowsUserEntrypointAndLabels() async throws {
        let config = try JSONValue(decodingJSON: await run("/usr/bin/skopeo", ["inspect", "--config", layout]))
        let settings = try #require(config["config"])
        #expect(settings["User"] == "65532:65532")
        #expect(settings["Entrypoint"] == ["/bin/external-secrets"])
        let labels = try #require(settings["Labels"])
        #expect(labels["org.opencontainers.image.version"] == .string(Self.version))
        #expect(labels["org.opencontainers.image.revision"]?.stringValue?.isEmpty == false)
        #expect(labels["org.opencontainers.image.source"]?.stringValue?.hasPrefix("https://") == true)
        #expect(labels["org.opencontainers.image.licenses"] != nil)
        #expect(config["os"] == "linux" && config["architecture"] == "amd64")
        // The docker-archive holds the same image under its name.
        let archive = try JSONValue(
            decodingJSON: await run(
                "/usr/bin/skopeo", ["inspect", "docker-archive:\(Self.directory ?? "")/external-secrets.tar"]))
        #expect(archive["Labels"]?["org.opencontainers.image.version"] == .string(Self.version))
    }

    /// Unpacks the image into a fresh directory; returns its root filesystem.
    func unpack() async throws -> String {
        let bundle = FileManager.default.temporaryDirectory.appendingPathComponent("image-\(UUID().uuidString)").path
        _ = try await run(
            "/usr/bin/umoci", ["unpack", "--image", "\(Self.directory ?? "")/oci:\(Self.version)", bundle])
        return "\(bundle)/rootfs"
    }

    @Test func rootFilesystemHoldsOnlyWhatTheOperatorNeeds() async throws {
        let rootfs = try await unpack()
        defer {
            try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: rootfs).deletingLastPathComponent().path)
        }
        let passwd = try String(contentsOfFile: "\(rootfs)/etc/passwd", encoding: .utf8)
        #expect(passwd.contains("nonroot:x:65532:65532:"))
        #expect(try String(contentsOfFile: "\(rootfs)/etc/group", encoding: .utf8).contains("nonroot:x:65532:"))
        // Host names: /etc/hosts before DNS, with the services built into the static libc only.
        let nsswitch = try String(contentsOfFile: "\(rootfs)/etc/nsswitch.conf", encoding: .utf8)
        #expect(nsswitch.split(separator: "\n").contains("hosts: files dns"))
        let bundle = try String(contentsOfFile: "\(rootfs)/etc/ssl/certs/ca-certificates.crt", encoding: .utf8)
        #expect(bundle.components(separatedBy: "BEGIN CERTIFICATE").count > 100)
        let top = try FileManager.default.contentsOfDirectory(atPath: rootfs).sorted()
        #expect(top == ["bin", "etc", "tmp"])
        // Nothing but the binary runs it: `version` inside the image's filesystem, as nonroot.
        let command = try inImage(rootfs, ["version"])
        let output = try await run(command[0], Array(command.dropFirst()))
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "external-secrets \(Self.version)")
    }

    /// The fake provider, the API server named as in-cluster configuration names it
    /// (`kubernetes.default.svc`, a name its serving certificate holds), found in /etc/hosts
    /// (a pod's `hostAliases`). The cluster DNS is never asked: /etc/nsswitch.conf puts files first.
    @Test func binaryFromTheImageSyncsFromTheFakeProviderFindingTheAPIServerInEtcHosts() async throws {
        let plane = try currentPlane()
        try await withAdminClient { client in
            try await installCRDs(client)
            let namespace = try await makeNamespace(client, prefix: "image-fake")
            _ = try await client.api(SecretStore.self, namespace: namespace).create(
                SecretStore(
                    metadata: ObjectMeta(name: "fake"),
                    spec: SecretStoreSpec(
                        provider: SecretStoreProvider(
                            fake: FakeProvider(data: [FakeProviderData(key: "db", value: "from-the-image")])))))
            let dns = try await ClusterDNS.start(records: [:], directory: plane.directory)
            defer { Task { await dns.stop() } }
            let resolver = PodResolverFiles(
                hostAliases: [("127.0.0.1", [Self.apiServerName])], nameserver: dns.address, namespace: namespace)
            try await withOperatorInImage(plane, namespace: namespace, resolver: resolver) { process in
                try await createExternalSecret(client, namespace, store: "fake", key: "db")
                #expect(try await waitForReady(client, namespace, "db"), "\(process.log.suffix(3000))")
            }
            let secret = try await client.api(Secret.self, namespace: namespace).get("db")
            #expect(string(secret.data?["password"]) == "from-the-image")
            #expect(!dns.queriedNames.contains { $0.hasPrefix(Self.apiServerName) }, "\(dns.log)")
        }
    }

    /// OpenBao (KV v2, token auth) as `localhost` from the kubelet's /etc/hosts, the API server as
    /// `kubernetes.default.svc` known only to the cluster DNS: the resolver walks the pod's search
    /// list (`ndots:5`) to `kubernetes.default.svc.cluster.local`, as in a real pod.
    @Test func binaryFromTheImageSyncsFromOpenBaoFindingTheAPIServerThroughClusterDNS() async throws {
        let plane = try currentPlane()
        let bao = try await OpenBaoServer.start()
        do {
            try await withAdminClient { client in
                try await installCRDs(client)
                let namespace = try await makeNamespace(client, prefix: "image-bao")
                try await bao.writeKV2("image/db", ["password": "from-openbao"])
                _ = try await client.api(Secret.self, namespace: namespace).create(
                    Secret(metadata: ObjectMeta(name: "bao-token"), stringData: ["token": bao.rootToken]))
                let port = try #require(URLComponents(string: bao.address)?.port)
                _ = try await client.api(SecretStore.self, namespace: namespace).create(
                    SecretStore(
                        metadata: ObjectMeta(name: "bao"),
                        spec: SecretStoreSpec(
                            provider: SecretStoreProvider(
                                vault: VaultProvider(
                                    server: "https://localhost:\(port)", path: "secret", version: .v2,
                                    caBundle: bao.caCertificatePEM.base64EncodedString(),
                                    auth: VaultAuth(tokenSecretRef: SecretKeySelector(name: "bao-token", key: "token")))
                            ))))
                let dns = try await ClusterDNS.start(
                    records: ["\(Self.apiServerName).\(ClusterDNS.domain)": "127.0.0.1"], directory: plane.directory)
                defer { Task { await dns.stop() } }
                let resolver = PodResolverFiles(nameserver: dns.address, namespace: namespace)
                try await withOperatorInImage(plane, namespace: namespace, resolver: resolver) { process in
                    try await createExternalSecret(
                        client, namespace, store: "bao", key: "image/db", property: "password")
                    #expect(try await waitForReady(client, namespace, "db"), "\(process.log.suffix(3000))")
                }
                let secret = try await client.api(Secret.self, namespace: namespace).get("db")
                #expect(string(secret.data?["password"]) == "from-openbao")
                let asked = dns.queriedNames
                #expect(asked.contains("\(Self.apiServerName).\(ClusterDNS.domain)"), "\(dns.log)")
                #expect(!asked.contains { $0.hasPrefix("localhost") }, "localhost is in /etc/hosts: \(dns.log)")
            }
        } catch {
            await bao.stop()
            throw error
        }
        await bao.stop()
    }

    /// The name in-cluster configuration gives the API server, and its serving certificate holds.
    static let apiServerName = "kubernetes.default.svc"

    /// Creates ExternalSecret `db` in `namespace`: Secret key `password` from `key` (`property`)
    /// of SecretStore `store`.
    func createExternalSecret(
        _ client: KubeClient, _ namespace: String, store: String, key: String, property: String? = nil
    ) async throws {
        _ = try await client.api(ExternalSecret.self, namespace: namespace).create(
            ExternalSecret(
                metadata: ObjectMeta(name: "db"),
                spec: ExternalSecretSpec(
                    secretStoreRef: SecretStoreRef(name: store, kind: .secretStore),
                    data: [
                        ExternalSecretData(
                            secretKey: "password", remoteRef: ExternalSecretDataRemoteRef(key: key, property: property))
                    ])))
    }

    /// Unpacks the image and runs its binary as the operator for `namespace` while `body` runs,
    /// as a pod would: the chart's ServiceAccount's kubeconfig (CA and token copied into the
    /// image's /tmp) naming the API server `https://kubernetes.default.svc:PORT`, and `resolver`'s
    /// /etc/hosts and /etc/resolv.conf. Stops the process and removes the root filesystem after.
    func withOperatorInImage(
        _ plane: LocalControlPlane, namespace: String, resolver: PodResolverFiles,
        _ body: (TestProcess) async throws -> Void
    ) async throws {
        let rootfs = try await unpack()
        defer {
            try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: rootfs).deletingLastPathComponent().path)
        }
        try resolver.write(into: rootfs)
        let kubeconfigPath = try await operatorKubeconfig(plane, identity: .chartServiceAccount)
        var kubeconfig =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: kubeconfigPath))) as? [String: Any] ?? [:]
        try FileManager.default.copyItem(atPath: plane.servingCAPath, toPath: "\(rootfs)/tmp/ca.crt")
        var clusters = kubeconfig["clusters"] as? [[String: Any]] ?? []
        var cluster = clusters.first?["cluster"] as? [String: Any] ?? [:]
        let port = try #require(URLComponents(string: plane.server)?.port)
        cluster["server"] = "https://\(Self.apiServerName):\(port)"
        cluster["certificate-authority"] = "/tmp/ca.crt"
        clusters[0]["cluster"] = cluster
        kubeconfig["clusters"] = clusters
        try JSONSerialization.data(withJSONObject: kubeconfig).write(
            to: URL(fileURLWithPath: "\(rootfs)/tmp/kubeconfig"))
        for file in ["ca.crt", "kubeconfig"] {
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: "\(rootfs)/tmp/\(file)")
        }
        let command = try inImage(
            rootfs,
            [
                "controller", "--kubeconfig", "/tmp/kubeconfig", "--namespace", namespace, "--metrics-addr",
                "127.0.0.1:0", "--live-addr", "127.0.0.1:0", "--loglevel", "debug",
            ])
        let process = try TestProcess(
            executable: command[0], arguments: Array(command.dropFirst()),
            logPath: "\(plane.directory)/operator-image-\(namespace).log")
        do {
            try await body(process)
            await process.stop()
        } catch {
            await process.stop()
            throw error
        }
    }

    /// The command that runs the image's entrypoint with `arguments` as a container runtime would:
    /// root filesystem the image's (chroot), user 65532:65532, its own /proc (the Swift runtime
    /// reads it) in a private mount namespace, which goes away with the process.
    func inImage(_ rootfs: String, _ arguments: [String]) throws -> [String] {
        try FileManager.default.createDirectory(atPath: "\(rootfs)/proc", withIntermediateDirectories: true)
        return [
            "/usr/bin/unshare", "--mount", "--fork", "--kill-child=SIGTERM", "/bin/sh", "-c",
            #"mount -t proc proc "$0/proc" && exec chroot --userspec=65532:65532 "$0" /bin/external-secrets "$@""#,
            rootfs,
        ] + arguments
    }

    /// Runs a tool and returns its standard output; fails on a non-zero exit.
    func run(_ executable: String, _ arguments: [String]) async throws -> String {
        let run = try await ChildProcess.run(executable, arguments)
        try #require(run.succeeded, "\(executable) \(arguments.joined(separator: " ")): \(run.stderrText)")
        return run.stdoutText
    }
}

extension JSONValue {
    init(decodingJSON text: String) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }
}
