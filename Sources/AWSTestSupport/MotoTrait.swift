public import Testing

/// A suite trait that starts one moto server for the whole suite and always stops it.
///
///     @Suite(.moto) struct MyTests {
///         @Test func something() async throws { let moto = try #require(MotoServer.current) }
///     }
public struct MotoTrait: SuiteTrait, TestScoping {
    public var isRecursive: Bool { false }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let server = try await MotoServer.start()
        do {
            try await MotoServer.$current.withValue(server) { try await function() }
            await server.stop()
        } catch {
            await server.stop()
            throw error
        }
    }
}

extension Trait where Self == MotoTrait {
    /// Runs the suite against its own moto server.
    public static var moto: Self { MotoTrait() }
}

extension MotoServer {
    /// The moto server of the suite being run (set by `.moto`).
    @TaskLocal public static var current: MotoServer?
}
