import Foundation
public import KubeClient
import KubeModel
import Testing

/// The suite's control plane, or a recorded failure when the suite runs without `.controlPlane`.
public func currentPlane() throws -> LocalControlPlane {
    try #require(LocalControlPlane.current, "suite must run with the .controlPlane trait")
}

/// Runs `body` with an admin client of the suite's control plane, shutting the client down after.
public func withAdminClient<T>(
    context: String = "local", _ body: (KubeClient) async throws -> T
) async throws -> T {
    let client = try currentPlane().client(context: context)
    do {
        let result = try await body(client)
        try await client.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        throw error
    }
}

/// Creates a namespace with a unique name for one test.
public func makeNamespace(_ client: KubeClient, prefix: String) async throws -> String {
    let name = "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    _ = try await client.api(Namespace.self).create(Namespace(metadata: ObjectMeta(name: name)))
    return name
}

/// Polls `condition` every 200 ms until it is true or `timeout` passes.
public func eventually(
    timeout: Duration = .seconds(30), _ condition: () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(200))
    }
    return try await condition()
}

/// Runs `body` and returns the `KubeAPIError` it throws (nil, and a recorded issue, if none).
public func apiError(_ body: () async throws -> Void) async -> KubeAPIError? {
    do {
        try await body()
        Issue.record("expected a KubeAPIError")
    } catch let error as KubeAPIError {
        return error
    } catch {
        Issue.record("expected a KubeAPIError, got \(error)")
    }
    return nil
}
