import ControllerRuntime
import Foundation
import KubeModel
import Logging
import Metrics
import Synchronization
import Testing

/// Lines written by a handler, collected for assertions.
private final class Lines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

private let fixedTime = Date(timeIntervalSince1970: 1_796_472_000.123)  // 2026-12-05T12:00:00.123Z

private func logger(_ lines: Lines, provider: Logger.MetadataProvider? = .reconcileContext) -> Logger {
    Logger(label: "external-secrets") { label in
        var handler = JSONLogHandler(label: label, metadataProvider: provider, now: { fixedTime }, write: lines.append)
        handler.logLevel = .trace
        return handler
    }
}

private func object(_ line: String) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
}

@Suite struct JSONLogHandlerTests {
    @Test func writesOneJSONObjectPerLineWithControllerRuntimesFieldsFirst() throws {
        let lines = Lines()
        logger(lines).warning("sync failed", metadata: ["zeta": "1", "error": "store \"a\" unreachable", "alpha": "2"])
        let line = try #require(lines.all.first)
        #expect(
            line
                == #"{"ts":"2026-12-05T12:00:00.123Z","level":"warn","logger":"external-secrets","msg":"sync failed","alpha":"2","error":"store \"a\" unreachable","zeta":"1"}"#
                + "\n")
    }

    @Test func addsTheReconcileContextOfTheCurrentTask() async throws {
        let lines = Lines()
        let log = logger(lines)
        let context = ReconcileContext(controller: "externalsecret", namespace: "team-a", name: "db", reconcileID: "r-1")
        await ReconcileContext.$current.withValue(context) {
            log.info("secret updated", metadata: ["secret": "db"])
            // Child tasks inherit it (provider calls run in task groups).
            await withTaskGroup(of: Void.self) { group in
                group.addTask { log.debug("provider call") }
            }
        }
        log.info("outside")
        let all = lines.all
        #expect(all.count == 3)
        #expect(
            all[0].hasPrefix(
                #"{"ts":"2026-12-05T12:00:00.123Z","level":"info","logger":"external-secrets","msg":"secret updated","controller":"externalsecret","namespace":"team-a","name":"db","reconcileID":"r-1","secret":"db"}"#
            ))
        let child = try object(all[1])
        #expect(child["reconcileID"] as? String == "r-1" && child["level"] as? String == "debug")
        let outside = try object(all[2])
        #expect(outside["controller"] == nil && outside["reconcileID"] == nil)
    }

    @Test func aClusterScopedObjectHasNoNamespaceField() async throws {
        let lines = Lines()
        let context = ReconcileContext(controller: "clustersecretstore", namespace: nil, name: "vault", reconcileID: "r-2")
        ReconcileContext.$current.withValue(context) { logger(lines).info("store validated") }
        let fields = try object(try #require(lines.all.first))
        #expect(fields["namespace"] == nil)
        #expect(fields["name"] as? String == "vault")
    }

    @Test(arguments: [
        (Logger.Level.trace, "trace"), (.debug, "debug"), (.info, "info"), (.notice, "info"), (.warning, "warn"),
        (.error, "error"), (.critical, "error"),
    ])
    func levelsHaveZapsNames(level: Logger.Level, name: String) throws {
        let lines = Lines()
        logger(lines).log(level: level, "x")
        #expect(try object(try #require(lines.all.first))["level"] as? String == name)
    }

    @Test func escapesEverythingThatCouldBreakALine() throws {
        let lines = Lines()
        let nasty = "quote \" backslash \\ newline \n cr \r tab \t nul \u{0} bell \u{7} del \u{7F} ls \u{2028} é ✓"
        logger(lines).error("\(nasty)", metadata: [nasty: .string(nasty)])
        let all = lines.all
        #expect(all.count == 1)
        let line = try #require(all.first)
        #expect(line.filter { $0 == "\n" }.count == 1 && line.hasSuffix("\n"))
        let fields = try object(line)
        #expect(fields["msg"] as? String == nasty)
        #expect(fields[nasty] as? String == nasty)
    }

    @Test func nestedMetadataStaysNestedAndErrorsBecomeTheErrorField() throws {
        struct Refused: Error, CustomStringConvertible { var description: String { "refused" } }
        let lines = Lines()
        logger(lines).log(
            level: .error, "failed", error: Refused(),
            metadata: ["keys": ["a", "b"], "store": ["kind": "SecretStore", "name": "s"]])
        let fields = try object(try #require(lines.all.first))
        #expect(fields["keys"] as? [String] == ["a", "b"])
        #expect(fields["store"] as? [String: String] == ["kind": "SecretStore", "name": "s"])
        #expect(fields["error"] as? String == "refused")
    }

    @Test func explicitMetadataWinsOverTheLoggersAndTheProviders() async throws {
        let lines = Lines()
        var log = logger(lines)
        log[metadataKey: "component"] = "base"
        let context = ReconcileContext(controller: "externalsecret", namespace: "a", name: "db", reconcileID: "r")
        ReconcileContext.$current.withValue(context) {
            log.info("x", metadata: ["name": "explicit"])
        }
        let fields = try object(try #require(lines.all.first))
        #expect(fields["component"] as? String == "base")
        #expect(fields["name"] as? String == "explicit")
    }
}

@Suite struct FailureTransitionsTests {
    @Test func logsTheFirstFailureEachNewErrorAndOneRecovery() {
        var transitions = FailureTransitions()
        let key = ObjectKey(namespace: "a", name: "db")
        let other = ObjectKey(namespace: "a", name: "other")
        #expect(transitions.succeeded(key) == false)  // never failed: nothing to report
        #expect(transitions.failed(key, message: "unreachable") == true)
        #expect(transitions.failed(key, message: "unreachable") == false)
        #expect(transitions.failed(key, message: "unreachable") == false)
        #expect(transitions.failed(other, message: "unreachable") == true)  // per key
        #expect(transitions.failed(key, message: "denied") == true)
        #expect(transitions.failingCount == 2)
        #expect(transitions.succeeded(key) == true)
        #expect(transitions.succeeded(key) == false)
        #expect(transitions.failed(key, message: "denied") == true)  // failing again after a success
        transitions.forget(key)
        transitions.forget(other)
        #expect(transitions.failingCount == 0)
    }
}

@Suite struct ListProgressTests {
    @Test func reportsEachPageOfAPagedListingWithTheServersTotal() {
        var progress = ListProgress(kind: "ExternalSecret")
        #expect(progress.pageListed(items: 500, remaining: 9_500, isFirstPage: true, hasMore: true) == "synced 500 of 10,000 ExternalSecrets")
        #expect(progress.pageListed(items: 500, remaining: 9_000, isFirstPage: false, hasMore: true) == "synced 1,000 of 10,000 ExternalSecrets")
        // Without remainingItemCount (a filtered list) the first total is kept.
        #expect(progress.pageListed(items: 500, remaining: nil, isFirstPage: false, hasMore: true) == "synced 1,500 of 10,000 ExternalSecrets")
        #expect(progress.pageListed(items: 8_500, remaining: nil, isFirstPage: false, hasMore: false) == "synced 10,000 of 10,000 ExternalSecrets")
        // A relist starts again from zero.
        #expect(progress.pageListed(items: 2, remaining: 1, isFirstPage: true, hasMore: true) == "synced 2 of 3 ExternalSecrets")
        #expect(progress.listed == 2)
    }

    @Test func saysNothingForAListingOfOnePageAndSoFarWithoutATotal() {
        var progress = ListProgress(kind: "Secret")
        #expect(progress.pageListed(items: 42, remaining: nil, isFirstPage: true, hasMore: false) == nil)
        #expect(progress.pageListed(items: 500, remaining: nil, isFirstPage: true, hasMore: true) == "synced 500 Secrets so far")
        #expect(progress.pageListed(items: 1, remaining: nil, isFirstPage: false, hasMore: false) == "synced 501 of 501 Secrets")
    }

    @Test(arguments: [(0, "0"), (7, "7"), (999, "999"), (1_000, "1,000"), (4_210, "4,210"), (1_234_567, "1,234,567"), (-1_000, "-1,000")])
    func groupsThousands(number: Int, text: String) {
        #expect(ListProgress.grouped(number) == text)
    }
}

@Suite struct PerObjectMetricsFactoryTests {
    /// Records what reaches the base factory.
    private final class Recording: MetricsFactory, @unchecked Sendable {
        // @unchecked: `made` is guarded by its Mutex.
        let made = Mutex<[String]>([])
        func record(_ label: String) -> NOOPMetricsHandler {
            made.withLock { $0.append(label) }
            return NOOPMetricsHandler.instance
        }
        func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler { record(label) }
        func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
            record(label)
        }
        func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler { record(label) }
        func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
            record(label)
        }
        func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler { record(label) }
        func destroyCounter(_ handler: any CounterHandler) {}
        func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
        func destroyMeter(_ handler: any MeterHandler) {}
        func destroyRecorder(_ handler: any RecorderHandler) {}
        func destroyTimer(_ handler: any TimerHandler) {}
    }

    /// Makes one series of each shape through `factory`.
    private func recordEveryShape(_ factory: some MetricsFactory) {
        let object = [("name", "db"), ("namespace", "team-a")]
        Counter(label: "externalsecret_sync_calls_total", dimensions: object, factory: factory).increment(by: 3)
        Gauge(label: "externalsecret_status_condition", dimensions: object + [("condition", "Ready")], factory: factory)
            .record(1)
        Gauge(label: "clustersecretstore_status_condition", dimensions: [("name", "vault"), ("namespace", "")], factory: factory)
            .record(0.25)
        Gauge(label: "workqueue_depth", dimensions: [("name", "externalsecret")], factory: factory).record(0)
        Counter(label: "controller_runtime_reconcile_total", dimensions: [("controller", "x")], factory: factory).increment()
        Timer(label: "controller_runtime_reconcile_time_seconds", dimensions: [("controller", "x")], factory: factory)
            .recordNanoseconds(1)
        Counter(
            label: "externalsecret_provider_api_calls_count", dimensions: [("provider", "fake"), ("call", "GetSecret")],
            factory: factory
        ).increment()
    }

    private let sharedSeries = [
        "workqueue_depth", "controller_runtime_reconcile_total", "controller_runtime_reconcile_time_seconds",
        "externalsecret_provider_api_calls_count",
    ]

    @Test func perObjectSeriesGoToTheirOwnRegistryAndTheRestToTheBase() {
        let base = Recording()
        let objectSeries = ObjectSeriesRegistry()
        recordEveryShape(PerObjectMetricsFactory(base: base, objectSeries: objectSeries))
        #expect(base.made.withLock { $0 } == sharedSeries)
        #expect(
            objectSeries.emitToString() == """
                # TYPE clustersecretstore_status_condition gauge
                clustersecretstore_status_condition{name="vault",namespace=""} 0.25
                # TYPE externalsecret_status_condition gauge
                externalsecret_status_condition{name="db",namespace="team-a",condition="Ready"} 1
                # TYPE externalsecret_sync_calls_total counter
                externalsecret_sync_calls_total{name="db",namespace="team-a"} 3

                """)
    }

    @Test func withoutARegistryPerObjectSeriesAreDropped() {
        let base = Recording()
        recordEveryShape(PerObjectMetricsFactory(base: base, objectSeries: nil))
        #expect(base.made.withLock { $0 } == sharedSeries)
    }

    @Test func aSeriesIsFoundAgainAndRemovedOnlyByItsOwnHandle() {
        let objectSeries = ObjectSeriesRegistry()
        let factory = PerObjectMetricsFactory(base: Recording(), objectSeries: objectSeries)
        let object = [("name", "a\"b\\c\nd"), ("namespace", "n")]
        let first = Counter(label: "pushsecret_sync_calls_total", dimensions: object, factory: factory)
        first.increment()
        Counter(label: "pushsecret_sync_calls_total", dimensions: object, factory: factory).increment()
        #expect(objectSeries.emitToString().contains(#"pushsecret_sync_calls_total{name="a\"b\\c\nd",namespace="n"} 2"#))

        first.destroy()
        #expect(objectSeries.count == 0)
        #expect(objectSeries.emitToString() == "")
        // A series made again is not removed by the first handle, which keeps working unexported.
        let second = Counter(label: "pushsecret_sync_calls_total", dimensions: object, factory: factory)
        first.increment()
        first.destroy()
        #expect(objectSeries.count == 1)
        second.destroy()
        #expect(objectSeries.count == 0)
    }

    @Test(arguments: [(1.0, "1"), (-3.0, "-3"), (0.5, "0.5"), (1e20, "1e+20"), (Double.infinity, "+Inf"), (Double.nan, "NaN")])
    func valuesAreWrittenAsPrometheusReadsThem(value: Double, text: String) {
        #expect(ObjectSeriesRegistry.format(value) == text)
    }
}
