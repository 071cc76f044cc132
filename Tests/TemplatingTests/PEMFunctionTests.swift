import Foundation
import Templating
import Testing

/// ESO's `filterPEM`, `filterCertChain` and `certSANs` on OpenSSL-made fixtures
/// (Oracle/Fixtures/make-fixtures.sh), with exact expected outputs.
@Suite("ESO PEM functions")
struct PEMFunctionTests {
    private func render(_ text: String, _ input: String) throws -> String {
        try Template(name: "t", text: text, missingKey: .error).render(.stringMap(["in": input]))
    }

    @Test func filterPEMKeepsMatchingBlocksInOrder() throws {
        let mixed = try Fixtures.text("mixed.pem")
        let certs = try Fixtures.text("leaf.crt") + Fixtures.text("intermediate-ca.crt")
        #expect(try render(#"{{ .in | filterPEM "CERTIFICATE" }}"#, mixed) == certs)
        #expect(try render(#"{{ .in | filterPEM "certificate" }}"#, mixed) == certs)
        #expect(try render(#"{{ .in | filterPEM "PRIVATE KEY" }}"#, mixed) == (try Fixtures.text("leaf.key")))
        #expect(try render(#"[{{ .in | filterPEM "FOO" }}]"#, mixed) == "[]")
        #expect(try render(#"[{{ .in | filterPEM "CERTIFICATE" }}]"#, "") == "[]")
        // Text before the first block is ignored, text left over after no match is junk.
        #expect(try render(#"{{ .in | filterPEM "CERTIFICATE" }}"#, "junk" + certs) == certs)
        #expect(throws: TemplateError.self) { try render(#"{{ .in | filterPEM "CERTIFICATE" }}"#, "no pem here") }
        #expect(throws: TemplateError.self) {
            try render(#"{{ .in | filterPEM "FOO" }}"#, (try Fixtures.text("leaf.crt")) + "trailing text")
        }
    }

    @Test(arguments: ["chain.pem", "chain-shuffled.pem"])
    func filterCertChainSplitsAChain(_ file: String) throws {
        let chain = try Fixtures.text(file)
        #expect(try render(#"{{ .in | filterCertChain "leaf" }}"#, chain) == (try Fixtures.text("leaf.crt")))
        #expect(
            try render(#"{{ .in | filterCertChain "intermediate" }}"#, chain)
                == (try Fixtures.text("intermediate-ca.crt")))
        #expect(try render(#"{{ .in | filterCertChain "root" }}"#, chain) == (try Fixtures.text("root-ca.crt")))
        #expect(try render(#"[{{ .in | filterCertChain "other" }}]"#, chain) == "[]")
    }

    @Test func filterCertChainEdgeCases() throws {
        let other = try Fixtures.text("other.crt")
        // A lone self-signed certificate without key identifiers is a root, not a leaf.
        #expect(try render(#"[{{ .in | filterCertChain "leaf" }}]"#, other) == "[]")
        #expect(try render(#"{{ .in | filterCertChain "root" }}"#, other) == other)
        #expect(try render(#"[{{ .in | filterCertChain "intermediate" }}]"#, other) == "[]")
        // A leaf and its issuer without the root: no root, one intermediate.
        let partial = try Fixtures.text("leaf.crt") + Fixtures.text("intermediate-ca.crt")
        #expect(try render(#"[{{ .in | filterCertChain "root" }}]"#, partial) == "[]")
        #expect(
            try render(#"{{ .in | filterCertChain "intermediate" }}"#, partial)
                == (try Fixtures.text("intermediate-ca.crt")))
        for bad in ["disjunct.pem", "mixed.pem"] {
            #expect(throws: TemplateError.self, "\(bad)") {
                try render(#"{{ .in | filterCertChain "leaf" }}"#, try Fixtures.text(bad))
            }
        }
        #expect(throws: TemplateError.self) { try render(#"{{ .in | filterCertChain "leaf" }}"#, "") }
    }

    /// Go 1.19's decoder is quadratic on these (CVE-2025-61723); this one must stay linear.
    @Test func unterminatedAndUnmatchedBlocksStayCheap() throws {
        let begins = String(repeating: "-----BEGIN A-----\n", count: 20_000)
        #expect(throws: TemplateError.self) { try render(#"{{ .in | filterPEM "A" }}"#, begins) }
        // Only the last BEGIN line has an END after it: an empty block.
        #expect(
            try render(#"{{ .in | filterPEM "A" }}"#, begins + "-----END A-----\n")
                == "-----BEGIN A-----\n-----END A-----\n")
        let headers = String(repeating: "-----BEGIN A-----\nk: v\n", count: 20_000) + "-----END B-----\n"
        #expect(throws: TemplateError.self) { try render(#"{{ .in | filterPEM "A" }}"#, headers) }
    }

    @Test func certSANsListsEveryKindInGoOrder() throws {
        #expect(
            try render(#"{{ certSANs .in }}"#, "text before " + (try Fixtures.text("leaf.crt")))
                == "[leaf.example.com www.leaf.example.com 192.0.2.10 2001:db8::1 ops@leaf.example.com spiffe://cluster.local/ns/default/sa/leaf]"
        )
        #expect(try render(#"{{ certSANs .in | len }}"#, try Fixtures.text("root-ca.crt")) == "0")
        #expect(try render(#"{{ index (certSANs .in) 0 }}"#, try Fixtures.text("chain.pem")) == "leaf.example.com")
        #expect(throws: TemplateError.self) { try render(#"{{ certSANs .in }}"#, "nothing") }
        #expect(throws: TemplateError.self) { try render(#"{{ certSANs .in }}"#, try Fixtures.text("leaf.key")) }
    }
}
