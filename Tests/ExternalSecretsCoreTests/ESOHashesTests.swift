import ExternalSecretsCore
import Foundation
import ProcessTestSupport
import SeededRandomTestSupport
import Testing

@Suite struct SHA3Tests {
    /// Digests computed with Python's `hashlib.sha3_224`, around the 144-byte block boundary.
    @Test(arguments: [
        ("", "6b4e03423667dbb73b6e15454f0eb1abd4597f9a1b078e3f5b5a6bc7"),
        ("abc", "e642824c3f8cf24ad09234ee7d3c766fc9a3a5168d0c94ad73b46fdf"),
        (String(repeating: "a", count: 143), "73b1b22b54f515f626a6abdde6af25cd4801dc6e9dc7fa3f77e1c122"),
        (String(repeating: "a", count: 144), "f9019111996dcf160e284e320fd6d8825cabcd41a5ffdc4c5e9d64b6"),
        (String(repeating: "a", count: 145), "7f0521c84aeacc8a46aba17171acbdd22522509a71c663257fbdee0e"),
        (String(repeating: "a", count: 1000), "2461344b84416db8fe01c2a4966fea019590c231dd5724c1bfc26745"),
    ])
    func knownDigests(input: String, digest: String) {
        #expect(SHA3_224.hex(Array(input.utf8)) == digest)
    }

    /// Random inputs of every length up to three blocks, hashed here and by Python's hashlib.
    @Test func agreesWithPythonHashlib() async throws {
        var generator = SplitMix64(state: 0x5EED)
        let inputs = (0..<300).map { length in (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) } }
        let hexInputs = inputs.map { $0.map { String(format: "%02x", $0) }.joined() }.joined(separator: "\n")
        let run = try await ChildProcess.run(
            "python3",
            [
                "-c",
                "import sys,hashlib\nfor l in sys.stdin.read().split('\\n'): print(hashlib.sha3_224(bytes.fromhex(l)).hexdigest())",
            ], input: Data(hexInputs.utf8))
        let expected = run.stdoutText.split(separator: "\n").map(String.init)
        try #require(expected.count == inputs.count, "python3 must be installed for this test")
        for (input, digest) in zip(inputs, expected) {
            #expect(SHA3_224.hex(input) == digest, "length \(input.count)")
        }
    }
}

@Suite struct ESOHashesTests {
    @Test func dataHashIsOfGosPlusVFormat() {
        // hashlib.sha3_224(b"map[a:[0 255] b:[] password:[115 51 99 114 101 116]]")
        let data: [String: Data] = ["password": Data("s3cret".utf8), "a": Data([0, 255]), "b": Data()]
        #expect(ESOHashes.dataHash(data) == "e55a96ad9323f9209c675bb16971915295ad375198b8b6b51a723389")
    }

    @Test func syncedResourceVersionHashesAnnotationsAndLabels() {
        #expect(
            ESOHashes.syncedResourceVersion(generation: 3, annotations: nil, labels: nil)
                == "3-f47fe3c0b255b6dd8047cdffa772587bb829efe7a1cb70febeda2eb2")
        #expect(
            ESOHashes.metaHash(
                annotations: ["x": "y", "external-secrets.io/force-sync": "1"], labels: ["app": "db"])
                == "b5e408bc30cd806a165b0db0577e17f17632e8865538a231a9f38d67")
    }

    @Test func createdByLabel() {
        #expect(
            ESOHashes.createdBy(namespace: "default", name: "my-es")
                == "b8464376b5fe3535e690594280bfe59b60be2603cb6cbb6d6c8bcbb4")
    }
}
