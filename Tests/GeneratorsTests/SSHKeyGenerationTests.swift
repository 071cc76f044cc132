import ExternalSecretsAPI
import Foundation
import Generators
import ProcessTestSupport
import ProviderKit
import SeededRandomTestSupport
import Testing

/// OpenSSH's key tool, which the tests use as the judge of the keys.
private let sshKeygen = "/usr/bin/ssh-keygen"

/// The keys are checked by OpenSSH itself: `ssh-keygen -y` derives the public key from the
/// private key file, `ssh-keygen -l` reads the public key's type, size and comment.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: sshKeygen), "ssh-keygen not installed"))
struct SSHKeyGenerationTests {
    static func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let run = try await ChildProcess.run(sshKeygen, arguments)
        return (run.status, run.stdoutText + run.stderrText)
    }

    /// Writes the key pair into a fresh directory (private key mode 0600, as ssh-keygen requires).
    static func write(_ values: SecretData) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sshkey-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let privateKey = directory.appendingPathComponent("id")
        let privateKeyData = try #require(values["privateKey"])
        let created = FileManager.default.createFile(
            atPath: privateKey.path, contents: privateKeyData, attributes: [.posixPermissions: 0o600])
        try #require(created)
        try #require(values["publicKey"]).write(to: directory.appendingPathComponent("id.pub"))
        return directory
    }

    @Test(arguments: [
        (SSHKeySpec(keyType: .ed25519, comment: "deploy@example"), "256", "ED25519"),
        (SSHKeySpec(keyType: .rsa, comment: "rsa key"), "2048", "RSA"),
        (SSHKeySpec(comment: ""), "2048", "RSA"),
        (SSHKeySpec(keyType: .rsa, keySize: 3072), "3072", "RSA"),
        (SSHKeySpec(keyType: .ecdsa), "256", "ECDSA"),
        (SSHKeySpec(keyType: .ecdsa, keySize: 384, comment: "c"), "384", "ECDSA"),
        (SSHKeySpec(keyType: .ecdsa, keySize: 521), "521", "ECDSA"),
    ])
    func openSSHReadsBothKeys(spec: SSHKeySpec, bits: String, type: String) async throws {
        var random = SplitMix64(state: 11)
        let values = try SSHKeyGeneration.generate(spec, using: &random)
        #expect(values.keys.sorted() == ["privateKey", "publicKey"])
        let directory = try Self.write(values)
        defer { try? FileManager.default.removeItem(at: directory) }
        let privatePath = directory.appendingPathComponent("id").path

        let fingerprint = try await Self.run(["-l", "-f", "\(privatePath).pub"])
        #expect(fingerprint.status == 0, "\(fingerprint.output)")
        let comment = spec.comment.flatMap { $0.isEmpty ? nil : $0 } ?? "no comment"
        #expect(fingerprint.output.hasPrefix("\(bits) SHA256:"))
        #expect(fingerprint.output.hasSuffix(" \(comment) (\(type))\n"))

        // The public key derived from the private key is the one written (type and blob).
        let derived = try await Self.run(["-y", "-f", privatePath])
        #expect(derived.status == 0, "ssh-keygen -y failed")
        let written = String(decoding: try #require(values["publicKey"]), as: UTF8.self)
        let fields = { (line: String) in line.split(separator: " ").prefix(2).joined(separator: " ") }
        #expect(fields(derived.output) == fields(written))
        // The private key has the same fingerprint, and holds the comment too (without one,
        // ssh-keygen shows the file name instead).
        let privateFingerprint = try await Self.run(["-l", "-f", privatePath])
        #expect(fields(privateFingerprint.output) == fields(fingerprint.output))
        if spec.comment?.isEmpty == false {
            #expect(privateFingerprint.output == fingerprint.output)
        }
    }

    @Test func keysDifferEachTime() throws {
        var random = SplitMix64(state: 11)
        let first = try SSHKeyGeneration.generate(SSHKeySpec(keyType: .ed25519), using: &random)
        let second = try SSHKeyGeneration.generate(SSHKeySpec(keyType: .ed25519), using: &random)
        #expect(first["privateKey"] != second["privateKey"] && first["publicKey"] != second["publicKey"])
    }

    @Test(arguments: [1024, 2047, 2052, 8200])
    func rsaSizesOutsideWhatOpenSSHAndBoringSSLAcceptAreRefused(bits: Int) {
        var random = SplitMix64(state: 11)
        #expect(throws: ProviderError.self) {
            try SSHKeyGeneration.generate(SSHKeySpec(keyType: .rsa, keySize: bits), using: &random)
        }
    }
}
