import ExternalSecretsAPI
import Foundation
import KubeClient
import KubeModel
import KubeTestSupport
import OperatorTestSupport
import Testing

/// Where `make image` wrote the image (its OCI layout and docker-archive).
let imageDirectory = ProcessInfo.processInfo.environment["IMAGE_DIR"]

/// The container image `make image` built (IMAGE_DIR, set by `make image`; the static release
/// build is too slow for every `make test`): its configuration as skopeo reads it, and the binary
/// of its unpacked root filesystem running in that filesystem (chroot, as user 65532) against the
/// local control plane.
@Suite(.enabled(if: imageDirectory != nil, "IMAGE_DIR is set by `make image`"), .controlPlane, .serialized)
struct ImageTests {
    static let directory = imageDirectory
    static let version: String = {
        let source = try? String(
            contentsOfFile: "\(LocalControlPlane.repositoryRoot)/Sources/ExternalSecretsCLI/ExternalSecretsCommand.swift",
            encoding: .utf8)
        return source?.firstMatch(of: /static let current = "([^"]+)"/).map { String($0.1) } ?? ""
    }()

    var layout: String { "oci:\(Self.directory ?? "")/oci:\(Self.version)" }

    @Test func skopeoShowsUserEntrypointAndLabels() throws {
        let config = try JSONValue(decodingJSON: run("/usr/bin/skopeo", ["inspect", "--config", layout]))
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
            decodingJSON: run("/usr/bin/skopeo", ["inspect", "docker-archive:\(Self.directory ?? "")/external-secrets.tar"]))
        #expect(archive["Labels"]?["org.opencontainers.image.version"] == .string(Self.version))
    }

    /// Unpacks the image into a fresh directory; returns its root filesystem.
    func unpack() throws -> String {
        let bundle = FileManager.default.temporaryDirectory.appendingPathComponent("image-\(UUID().uuidString)").path
        _ = try run("/usr/bin/umoci", ["unpack", "--image", "\(Self.directory ?? "")/oci:\(Self.version)", bundle])
        return "\(bundle)/rootfs"
    }

    @Test func rootFilesystemHoldsOnlyWhatTheOperatorNeeds() throws {
        let rootfs = try unpack()
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: rootfs).deletingLastPathComponent().path) }
        let passwd = try String(contentsOfFile: "\(rootfs)/etc/passwd", encoding: .utf8)
        #expect(passwd.contains("nonroot:x:65532:65532:"))
        #expect(try String(contentsOfFile: "\(rootfs)/etc/group", encoding: .utf8).contains("nonroot:x:65532:"))
        let bundle = try String(contentsOfFile: "\(rootfs)/etc/ssl/certs/ca-certificates.crt", encoding: .utf8)
        #expect(bundle.components(separatedBy: "BEGIN CERTIFICATE").count > 100)
        let top = try FileManager.default.contentsOfDirectory(atPath: rootfs).sorted()
        #expect(top == ["bin", "etc", "tmp"])
        // Nothing but the binary runs it: `version` inside the image's filesystem, as nonroot.
        let command = try inImage(rootfs, ["version"])
        let output = try run(command[0], Array(command.dropFirst()))
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "external-secrets \(Self.version)")
    }

    @Test func binaryFromTheImageSyncsAnExternalSecret() async throws {
        let plane = try currentPlane()
        let rootfs = try unpack()
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: rootfs).deletingLastPathComponent().path) }
        try await withAdminClient { client in
            try await installCRDs(client)
            // The chart's ServiceAccount's kubeconfig, moved into the image's /tmp with its CA.
            let kubeconfigPath = try operatorKubeconfig(plane, identity: .chartServiceAccount)
            var kubeconfig = try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: kubeconfigPath))) as? [String: Any] ?? [:]
            try FileManager.default.copyItem(atPath: plane.servingCAPath, toPath: "\(rootfs)/tmp/ca.crt")
            var clusters = kubeconfig["clusters"] as? [[String: Any]] ?? []
            var cluster = clusters.first?["cluster"] as? [String: Any] ?? [:]
            cluster["certificate-authority"] = "/tmp/ca.crt"
            clusters[0]["cluster"] = cluster
            kubeconfig["clusters"] = clusters
            try JSONSerialization.data(withJSONObject: kubeconfig).write(to: URL(fileURLWithPath: "\(rootfs)/tmp/kubeconfig"))
            for file in ["ca.crt", "kubeconfig"] {
                try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: "\(rootfs)/tmp/\(file)")
            }

            let namespace = try await makeNamespace(client, prefix: "image")
            let command = try inImage(
                rootfs,
                [
                    "controller", "--kubeconfig", "/tmp/kubeconfig", "--namespace", namespace, "--metrics-addr",
                    "127.0.0.1:0", "--live-addr", "127.0.0.1:0", "--loglevel", "debug",
                ])
            let process = try TestProcess(
                executable: command[0], arguments: Array(command.dropFirst()),
                logPath: "\(plane.directory)/operator-image.log")
            do {
                _ = try await client.api(SecretStore.self, namespace: namespace).create(
                    SecretStore(
                        metadata: ObjectMeta(name: "fake"),
                        spec: SecretStoreSpec(
                            provider: SecretStoreProvider(
                                fake: FakeProvider(data: [FakeProviderData(key: "db", value: "from-the-image")])))))
                _ = try await client.api(ExternalSecret.self, namespace: namespace).create(
                    ExternalSecret(
                        metadata: ObjectMeta(name: "db"),
                        spec: ExternalSecretSpec(
                            secretStoreRef: SecretStoreRef(name: "fake", kind: .secretStore),
                            data: [
                                ExternalSecretData(secretKey: "password", remoteRef: ExternalSecretDataRemoteRef(key: "db"))
                            ])))
                #expect(try await waitForReady(client, namespace, "db"), "\(process.log)")
                let secret = try await client.api(Secret.self, namespace: namespace).get("db")
                #expect(string(secret.data?["password"]) == "from-the-image")
                await process.stop()
            } catch {
                await process.stop()
                throw error
            }
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
    func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(
            process.terminationStatus == 0,
            "\(executable) \(arguments.joined(separator: " ")): \(String(decoding: message, as: UTF8.self))")
        return String(decoding: data, as: UTF8.self)
    }
}

extension JSONValue {
    init(decodingJSON text: String) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }
}
