import Foundation
import GoOracleTestSupport
import Testing

extension GoOracle {
    /// This target's oracle (`Oracle/README.md`): Go's standard library on the GoCompat corpus.
    static let goCompat = GoOracle(testTarget: "GoCompatTests")
}

@Suite struct GoOracleFileTests {
    /// Re-runs the Go oracle and checks the committed `expected.json` is what Go prints today.
    @Test(.enabled(if: GoOracle.canRun())) func committedExpectationsAreCurrent() async throws {
        let live = try await GoOracle.goCompat.run()
        #expect(
            try live == GoOracle.goCompat.committedExpectations(),
            "expected.json is stale: regenerate it (Oracle/README.md)")
    }
}
