public import Testing

/// A suite trait that starts one `LocalControlPlane` for the whole suite and always stops it,
/// whether the suite's tests pass, fail or throw.
///
///     @Suite(.controlPlane) struct MyTests {
///         @Test func something() async throws { let plane = try #require(LocalControlPlane.current) }
///     }
public struct ControlPlaneTrait: SuiteTrait, TestScoping {
    public var isRecursive: Bool { false }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let plane = try await LocalControlPlane.start()
        do {
            try await LocalControlPlane.$current.withValue(plane) {
                try await function()
            }
        } catch {
            await plane.stop()
            throw error
        }
        await plane.stop()
    }
}

extension Trait where Self == ControlPlaneTrait {
    /// Runs the suite against its own real local control plane.
    public static var controlPlane: Self { ControlPlaneTrait() }
}

extension LocalControlPlane {
    /// The control plane of the suite being run (set by `.controlPlane`).
    @TaskLocal public static var current: LocalControlPlane?
}
