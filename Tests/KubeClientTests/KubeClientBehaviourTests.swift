import ClockTestSupport
import Foundation
import HTTPSupport
import HTTPTestSupport
import KubeTestSupport
import KubeModel
import NIOHTTP1
import Synchronization
import Testing

@testable import KubeClient

private func statusBody(_ code: Int, _ reason: String, _ message: String) -> [UInt8] {
    Array(#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"\#(message)","reason":"\#(reason)","code":\#(code)}"#.utf8)
}

/// Records the delays a client asked to sleep, without sleeping.
private final class SleepRecorder: Sendable {
    private let delays = Mutex<[Duration]>([])
    var recorded: [Duration] { delays.withLock { $0 } }
    func record(_ delay: Duration) { delays.withLock { $0.append(delay) } }
}

private func client(
    _ transport: ScriptedTransport, authentication: ClientConfiguration.Authentication = .bearerToken("t"),
    sleeps: SleepRecorder = SleepRecorder(), clock: ManualClock = ManualClock()
) -> KubeClient {
    var configuration = ClientConfiguration(
        server: "https://api.test:6443", tls: TLSSettings(), authentication: authentication)
    configuration.qps = 0
    return KubeClient(
        configuration: configuration, transport: transport, clock: clock,
        sleep: { duration in sleeps.record(duration) })
}

@Suite struct ErrorMappingTests {
    /// Which predicate each status must answer true.
    enum Expectation: String, Sendable, CaseIterable {
        case notFound, conflict, alreadyExists, gone, forbidden, invalid, internalError

        func holds(for error: KubeAPIError) -> Bool {
            switch self {
            case .notFound: error.isNotFound
            case .conflict: error.isConflict
            case .alreadyExists: error.isAlreadyExists
            case .gone: error.isGone
            case .forbidden: error.isForbidden
            case .invalid: error.isInvalid
            case .internalError: error.isInternalError
            }
        }
    }

    @Test(arguments: [
        (404, "NotFound", Expectation.notFound),
        (409, "Conflict", .conflict),
        (409, "AlreadyExists", .alreadyExists),
        (410, "Expired", .gone),
        (403, "Forbidden", .forbidden),
        (422, "Invalid", .invalid),
        (500, "InternalError", .internalError),
    ])
    func statusBecomesTypedError(code: Int, reason: String, expectation: Expectation) async throws {
        let transport = ScriptedTransport(replies: [
            .respond(HTTPResponseStatus(statusCode: code), body: statusBody(code, reason, "secrets \\\"db\\\" problem"))
        ])
        let error = await apiError { _ = try await client(transport).api(Secret.self, namespace: "ns").get("db") }
        #expect(error.map(expectation.holds) == true)
        for other in Expectation.allCases where other != expectation {
            #expect(error.map(other.holds) == false, "\(other) should not hold for \(code) \(reason)")
        }
        #expect(error?.status?.reason == reason)
        #expect(error?.description == "GET /api/v1/namespaces/ns/secrets/db: \(code) \(reason): secrets \"db\" problem")
    }

    @Test func conflictIsNotAlreadyExists() {
        let error = KubeAPIError(statusCode: 409, status: Status(reason: "AlreadyExists", code: 409), request: "POST /x")
        #expect(!error.isConflict)
        #expect(error.isAlreadyExists)
    }

    @Test func nonStatusBodyStillMapsByCode() async throws {
        let transport = ScriptedTransport(replies: [.respond(.forbidden, body: Array("<html>".utf8))])
        let error = await apiError { _ = try await client(transport).api(Secret.self, namespace: "ns").get("db") }
        #expect(error?.isForbidden == true)
        #expect(error?.status == nil)
    }

    @Test func getIfExistsTurnsNotFoundIntoNil() async throws {
        let transport = ScriptedTransport(replies: [.respond(.notFound, body: statusBody(404, "NotFound", "gone"))])
        #expect(try await client(transport).api(Secret.self, namespace: "ns").getIfExists("db") == nil)
    }
}

@Suite struct RetryTests {
    @Test func tooManyRequestsIsRetriedAfterTheDelayAsked() async throws {
        let transport = ScriptedTransport(replies: [
            .respond(.tooManyRequests, headers: ["Retry-After": "3"], body: statusBody(429, "TooManyRequests", "slow")),
            .respond(.tooManyRequests, body: statusBody(429, "TooManyRequests", "slow")),
            .respond(.ok, body: Array(#"{"metadata":{"name":"db"}}"#.utf8)),
        ])
        let sleeps = SleepRecorder()
        let secret = try await client(transport, sleeps: sleeps).api(Secret.self, namespace: "ns").get("db")
        #expect(secret.metadata.name == "db")
        #expect(sleeps.recorded == [.seconds(3), .seconds(1)])
        #expect(transport.requests.count == 3)
    }

    @Test func tooManyRequestsGivesUpAfterTheRetryBudget() async throws {
        let transport = ScriptedTransport { _ in
            .respond(.tooManyRequests, body: statusBody(429, "TooManyRequests", "slow"))
        }
        let error = await apiError { _ = try await client(transport).api(Secret.self, namespace: "ns").get("db") }
        #expect(error?.isTooManyRequests == true)
        #expect(transport.requests.count == 4)
    }

    @Test func unauthorizedRereadsARotatedTokenFileOnce() async throws {
        let directory = try TemporaryDirectory()
        let tokenPath = try directory.write("token", "old-token")
        let transport = ScriptedTransport { request in
            request.headers.first(name: "Authorization") == "Bearer new-token"
                ? .respond(.ok, body: Array(#"{"metadata":{"name":"db"}}"#.utf8))
                : .respond(.unauthorized, body: statusBody(401, "Unauthorized", "Unauthorized"))
        }
        let kube = client(transport, authentication: ClientConfiguration.Authentication.tokenFile(path: tokenPath))
        let error = await apiError { _ = try await kube.api(Secret.self, namespace: "ns").get("db") }
        #expect(error?.isUnauthorized == true)
        #expect(transport.requests.count == 2)

        try directory.write("token", "new-token\n")
        _ = try await kube.api(Secret.self, namespace: "ns").get("db")
        #expect(transport.requests.last?.headers.first(name: "Authorization") == "Bearer new-token")
    }

    /// A rotated token file is picked up within a minute of the client's clock, without a 401.
    @Test func theTokenFileIsRereadEveryMinuteOfTheClientsClock() async throws {
        let directory = try TemporaryDirectory()
        let tokenPath = try directory.write("token", "old-token")
        let transport = ScriptedTransport { _ in .respond(.ok, body: Array(#"{"metadata":{"name":"db"}}"#.utf8)) }
        let clock = ManualClock()
        let kube = client(transport, authentication: .tokenFile(path: tokenPath), clock: clock)
        var sent: [String?] = []
        for advance in [Duration.zero, .seconds(59), .seconds(1)] {
            clock.advance(by: advance)
            _ = try await kube.api(Secret.self, namespace: "ns").get("db")
            sent.append(transport.requests.last?.headers.first(name: "Authorization"))
            try directory.write("token", "new-token")
        }
        #expect(sent == ["Bearer old-token", "Bearer old-token", "Bearer new-token"])
    }
}

@Suite struct ListAndWatchTests {
    @Test func listAllFollowsContinueTokens() async throws {
        let transport = ScriptedTransport(replies: [
            .respond(.ok, body: Array(#"{"metadata":{"resourceVersion":"10","continue":"p2"},"items":[{"metadata":{"name":"a"}}]}"#.utf8)),
            .respond(.ok, body: Array(#"{"metadata":{"resourceVersion":"11","continue":""},"items":[{"metadata":{"name":"b"}}]}"#.utf8)),
        ])
        let list = try await client(transport).api(ConfigMap.self, namespace: "ns").listAll(
            ListOptions(labelSelector: "x=y"), pageSize: 1)
        #expect(list.items.map { $0.metadata.name } == ["a", "b"])
        #expect(list.metadata.resourceVersion == "10")
        #expect(transport.requests.map { $0.url } == [
            "https://api.test:6443/api/v1/namespaces/ns/configmaps?labelSelector=x%3Dy&limit=1",
            "https://api.test:6443/api/v1/namespaces/ns/configmaps?labelSelector=x%3Dy&limit=1&continue=p2",
        ])
    }

    @Test func watchDecodesEventsSplitAcrossChunks() async throws {
        let stream = """
            {"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"1"}}}
            {"type":"MODIFIED","object":{"metadata":{"name":"a","resourceVersion":"2"}}}
            {"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"3"}}}
            {"type":"DELETED","object":{"metadata":{"name":"a","resourceVersion":"4"}}}

            """
        let bytes = Array(stream.utf8)
        let chunks = stride(from: 0, to: bytes.count, by: 7).map { Array(bytes[$0..<min($0 + 7, bytes.count)]) }
        let transport = ScriptedTransport(replies: [.stream(.ok, chunks: chunks)])
        var seen: [String] = []
        for try await event in try await client(transport).api(ConfigMap.self, namespace: "ns").watch() {
            switch event {
            case .added(let object): seen.append("added \(object.metadata.name ?? "")")
            case .modified(let object): seen.append("modified \(object.metadata.resourceVersion ?? "")")
            case .deleted(let object): seen.append("deleted \(object.metadata.name ?? "")")
            case .bookmark(let version): seen.append("bookmark \(version)")
            case .error(let status): seen.append("error \(status.code ?? 0)")
            }
        }
        #expect(seen == ["added a", "modified 2", "bookmark 3", "deleted a"])
    }

    @Test func watchRefusedUpFrontThrowsGone() async throws {
        let transport = ScriptedTransport(replies: [.respond(.gone, body: statusBody(410, "Expired", "too old"))])
        let error = await apiError {
            _ = try await client(transport).api(ConfigMap.self, namespace: "ns").watch(WatchOptions(resourceVersion: "1"))
        }
        #expect(error?.isGone == true)
    }

    @Test func metadataOnlyAsksForPartialObjectMetadata() async throws {
        let transport = ScriptedTransport(replies: [
            .respond(.ok, body: Array(#"{"kind":"PartialObjectMetadataList","metadata":{},"items":[{"metadata":{"name":"a"}}]}"#.utf8))
        ])
        let list = try await client(transport).metadataAPI(Secret.resource, namespace: "ns").list()
        #expect(list.items.first?.metadata.name == "a")
        #expect(
            transport.requests.first?.headers.first(name: "Accept")
                == "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1")
    }
}

@Suite struct RateLimiterTests {
    @Test func burstThenSteadyRate() async throws {
        let clock = ManualClock()
        let limiter = ClientRateLimiter(qps: 10, burst: 3, clock: clock)
        #expect(await limiter.reserve() == .zero)
        #expect(await limiter.reserve() == .zero)
        #expect(await limiter.reserve() == .zero)
        #expect(await limiter.reserve() == .milliseconds(100))
        #expect(await limiter.reserve() == .milliseconds(200))
        clock.advance(by: .seconds(1))
        // 2 tokens were owed; 10 refilled; the bucket holds at most the burst of 3.
        #expect(await limiter.reserve() == .zero)
        #expect(await limiter.reserve() == .zero)
        #expect(await limiter.reserve() == .zero)
        #expect(await limiter.reserve() == .milliseconds(100))
        clock.advance(by: .milliseconds(50))
        #expect(await limiter.reserve() == .milliseconds(150))
    }

    /// As client-go gives each clientset made from one config its own limiter: the copy's
    /// requests never wait for tokens the original spent (the manual clock never refills them).
    @Test func aClientWithItsOwnRateLimitDoesNotWaitForTheOriginalsTokens() async throws {
        let secret = Array(#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"}}"#.utf8)
        let transport = ScriptedTransport(replies: [.respond(.ok, body: secret), .respond(.ok, body: secret)])
        var configuration = ClientConfiguration(
            server: "https://api.test:6443", tls: TLSSettings(), authentication: .bearerToken("t"))
        configuration.qps = 1
        configuration.burst = 1
        let clock = ManualClock()
        let original = KubeClient(configuration: configuration, transport: transport, clock: clock)
        _ = try await original.api(Secret.self, namespace: "ns").get("s")  // spends the only token
        let events = original.withOwnRateLimit(clock: clock)
        let answered = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                _ = try await events.api(Secret.self, namespace: "ns").get("s")
                return true
            }
            group.addTask {
                try await Task.sleep(for: .seconds(20))  // real time: a shared limiter waits forever
                return false
            }
            let first = try await group.next() ?? false
            group.cancelAll()
            return first
        }
        #expect(answered, "the copy waited for the original's rate limit")
        #expect(transport.requests.count == 2)
    }

    @Test func zeroQPSDisablesLimiting() async {
        let limiter = ClientRateLimiter(qps: 0, burst: 1, clock: ManualClock())
        for _ in 0..<100 { #expect(await limiter.reserve() == .zero) }
    }
}

@Suite struct ExecPluginTests {
    @Test func runsThePluginAndCachesItsToken() async throws {
        let directory = try TemporaryDirectory()
        let counter = "\(directory.path)/runs"
        let plugin = try directory.write(
            "plugin.sh",
            """
            #!/bin/sh
            echo run >> \(counter)
            case "$KUBERNETES_EXEC_INFO" in *ExecCredential*) ;; *) exit 3 ;; esac
            echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"from-plugin-'"$PLUGIN_SUFFIX"'","expirationTimestamp":"2999-01-01T00:00:00Z"}}'
            """, executable: true)
        let provider = ExecTokenProvider(
            config: ExecCredentialConfig(
                apiVersion: "client.authentication.k8s.io/v1", command: plugin, args: [], env: ["PLUGIN_SUFFIX": "x"],
                workingDirectory: directory.path))
        #expect(try await provider.token() == "from-plugin-x")
        #expect(try await provider.token() == "from-plugin-x")
        #expect(try String(contentsOfFile: counter, encoding: .utf8) == "run\n")
        await provider.invalidate()
        _ = try await provider.token()
        #expect(try String(contentsOfFile: counter, encoding: .utf8) == "run\nrun\n")
    }

    @Test func failingPluginIsAClearError() async throws {
        let directory = try TemporaryDirectory()
        let plugin = try directory.write("fail.sh", "#!/bin/sh\necho secret-ish >&2\nexit 7\n", executable: true)
        let provider = ExecTokenProvider(
            config: ExecCredentialConfig(
                apiVersion: "client.authentication.k8s.io/v1", command: plugin, args: [], env: [:], workingDirectory: nil))
        do {
            _ = try await provider.token()
            Issue.record("expected an error")
        } catch let error as KubeClientError {
            #expect(error.description.contains("exited with status 7"))
            #expect(!error.description.contains("secret-ish"))
        }
    }
}
