import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import KubeClient
import KubeModel
import KubeTestSupport
import OperatorTestSupport
import Testing

/// A label matcher of a PromQL vector selector (`controller=~"secretstore"`).
struct LabelMatcher: Hashable, CustomStringConvertible {
    var name: String
    var op: String
    var value: String

    var description: String { "\(name)\(op)\"\(value)\"" }

    /// Whether a series with `labels` satisfies this matcher (Prometheus semantics: a missing
    /// label is the empty string; regular expressions are fully anchored). A Grafana template
    /// variable (`$controller`) stands for any value: the dashboard offers every value the
    /// variable's query finds, and repeats panels over them.
    func matches(_ labels: [String: String]) -> Bool {
        let actual = labels[name] ?? ""
        let pattern = value.contains("$") ? ".*" : value
        switch op {
        case "=": return value.contains("$") ? Self.fullMatch(pattern, actual) : actual == value
        case "!=": return actual != value
        case "=~": return Self.fullMatch(pattern, actual)
        case "!~": return !Self.fullMatch(pattern, actual)
        default: return false
        }
    }

    private static func fullMatch(_ pattern: String, _ text: String) -> Bool {
        guard let regex = try? NSRegularExpression(pattern: "^(?:\(pattern))$") else { return false }
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}

/// A PromQL vector selector: a metric name and its label matchers.
struct MetricSelector: Hashable, CustomStringConvertible {
    var metric: String
    var matchers: [LabelMatcher]

    var description: String { "\(metric){\(matchers.map(\.description).joined(separator: ","))}" }

    func matches(name: String, labels: [String: String]) -> Bool {
        name == metric && matchers.allSatisfy { $0.matches(labels) }
    }
}

/// The vector selectors of a PromQL expression (enough of PromQL for dashboards: functions,
/// aggregations with `by` / `without`, range durations, binary operators, numbers). Grafana's
/// `label_values(selector, label)` yields its selector.
enum PromQLSelectors {
    static let keywords: Set<String> = [
        "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset",
    ]

    static func selectors(in expression: String) -> [MetricSelector] {
        var text = Substring(expression)
        if text.hasPrefix("label_values("), let comma = text.lastIndex(of: ",") {
            text = text[text.index(text.startIndex, offsetBy: "label_values(".count)..<comma]
        }
        var found: [MetricSelector] = []
        var rest = text
        func isIdentifierStart(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c == "_" || c == ":") }
        func isIdentifier(_ c: Character) -> Bool { isIdentifierStart(c) || (c.isASCII && c.isNumber) }
        while let c = rest.first {
            if c == "[" {
                rest = rest.drop { $0 != "]" }.dropFirst()
            } else if c == "\"" {
                rest = rest.dropFirst().drop { $0 != "\"" }.dropFirst()
            } else if isIdentifierStart(c) {
                let identifier = String(rest.prefix(while: isIdentifier))
                rest = rest.dropFirst(identifier.count)
                let next = rest.drop { $0 == " " || $0 == "\n" }.first
                if identifier == "by" || identifier == "without" || identifier == "on" || identifier == "ignoring" {
                    rest = rest.drop { $0 != ")" }.dropFirst()  // the label list
                } else if next == "(" || keywords.contains(identifier) {
                    continue  // a function or a keyword
                } else {
                    var matchers: [LabelMatcher] = []
                    if next == "{" {
                        rest = rest.drop { $0 != "{" }.dropFirst()
                        matchers = parseMatchers(&rest)
                    }
                    found.append(MetricSelector(metric: identifier, matchers: matchers))
                }
            } else if c.isNumber {
                rest = rest.drop { $0.isNumber || $0 == "." }
            } else {
                rest = rest.dropFirst()
            }
        }
        return found
    }

    /// Parses `name op "value", ...}` and consumes the closing brace.
    private static func parseMatchers(_ rest: inout Substring) -> [LabelMatcher] {
        var matchers: [LabelMatcher] = []
        while true {
            rest = rest.drop { $0 == " " || $0 == "," || $0 == "\n" }
            if rest.first == "}" || rest.isEmpty {
                rest = rest.dropFirst()
                return matchers
            }
            let name = String(rest.prefix { $0 != "=" && $0 != "!" && $0 != " " })
            rest = rest.dropFirst(name.count).drop { $0 == " " }
            let op = String(rest.prefix { $0 == "=" || $0 == "!" || $0 == "~" })
            rest = rest.dropFirst(op.count).drop { $0 == " " }.dropFirst()  // opening quote
            var value = ""
            while let character = rest.popFirst(), character != "\"" {
                if character == "\\", let escaped = rest.popFirst() { value.append(escaped) } else { value.append(character) }
            }
            matchers.append(LabelMatcher(name: name, op: op, value: value))
        }
    }
}

@Suite struct PromQLSelectorsTests {
    @Test func findsEachSelectorOfADashboardQuery() {
        let expr = """
            histogram_quantile(0.99,
              sum(rate(controller_runtime_reconcile_time_seconds_bucket{service=~"external-secrets.*"}[5m])) by (le)
            ) / sum(increase(externalsecret_sync_calls_error[15m])) by (name, namespace) > 0
            """
        #expect(
            PromQLSelectors.selectors(in: expr).map(\.description) == [
                #"controller_runtime_reconcile_time_seconds_bucket{service=~"external-secrets.*"}"#,
                "externalsecret_sync_calls_error{}",
            ])
        #expect(
            PromQLSelectors.selectors(
                in: #"label_values(controller_runtime_active_workers{service=~".*external-secrets.*"},  controller)"#
            ).map(\.description) == [#"controller_runtime_active_workers{service=~".*external-secrets.*"}"#])
        #expect(PromQLSelectors.selectors(in: "x{a=\"1\", b!=\"2\",c!~\"3\"}").first?.matchers.map(\.op) == ["=", "!=", "!~"])
    }

    @Test func matchesWithPrometheusSemantics() {
        let matcher = LabelMatcher(name: "controller", op: "=~", value: "secretstore")
        #expect(matcher.matches(["controller": "secretstore"]))
        #expect(!matcher.matches(["controller": "clustersecretstore"]))  // anchored
        #expect(LabelMatcher(name: "x", op: "=", value: "").matches([:]))  // absent is empty
        #expect(LabelMatcher(name: "controller", op: "=", value: "$controller").matches(["controller": "any"]))
    }

    /// Every query of the fixture yields at least one selector (the parser understood it).
    @Test func everyDashboardQueryHasSelectors() {
        for query in ESODashboard.queries {
            #expect(!PromQLSelectors.selectors(in: query.expr).isEmpty, "\(query.panel)")
        }
        #expect(ESODashboard.queries.count == 25)
    }
}

/// (ExternalSecretSyncTests, sharing its control plane.) ESO's Grafana dashboard works unchanged
/// on this operator: every metric selector of every panel query matches a series of a real
/// scrape of /metrics after syncs (one ExternalSecret synced, one failing at the provider).
extension ExternalSecretSyncTests {
    /// The label Prometheus adds to every series it scrapes through the chart's ServiceMonitor
    /// (the Service's name), which the dashboard's queries filter on.
    static let scrapeTargetLabels = ["service": "external-secrets-metrics"]

    /// Panels of ESO's admission webhook: this operator has none (validation is in the CRD schema
    /// and the controller), so these selectors must match nothing rather than fake series.
    static func isWebhookSelector(_ selector: MetricSelector) -> Bool {
        selector.metric.hasPrefix("controller_runtime_webhook_")
    }

    /// Selectors that only per-object series can answer (`--metrics-per-object=false` drops them).
    static let perObjectMetrics: Set<String> = ["externalsecret_status_condition", "externalsecret_sync_calls_error"]

    /// Runs the scenario and returns the scraped samples, each with the scrape's target labels.
    func dashboardScrape(_ prefix: String, arguments: [String]) async throws -> [(name: String, labels: [String: String])] {
        var samples: [(name: String, labels: [String: String])] = []
        try await withOperator(prefix, storeData: [FakeProviderData(key: "db", value: canary)], arguments: arguments) {
            client, namespace, process in
            let externalSecrets = client.api(ExternalSecret.self, namespace: namespace)
            _ = try await externalSecrets.create(externalSecret("good", data: [entry("password", "db")]))
            _ = try await externalSecrets.create(externalSecret("broken", data: [entry("password", "missing")]))
            #expect(try await waitForReady(client, namespace, "good"), "log: \(process.log.suffix(3000))")
            #expect(try await waitForReady(client, namespace, "broken", status: "False", reason: ESOReason.secretSyncedError))
            #expect(try await waitForReconciles(process, controller: "externalsecret", result: "error"))
            let text = try await scrapeMetrics(process)
            #expect(!text.contains(canary))
            samples = prometheusSamples(text).map { ($0.name, $0.labels.merging(Self.scrapeTargetLabels) { own, _ in own }) }
        }
        return samples
    }

    func unmatched(
        _ samples: [(name: String, labels: [String: String])], skipping skip: (MetricSelector) -> Bool
    ) -> [String] {
        var missing: [String] = []
        for query in ESODashboard.queries {
            for selector in PromQLSelectors.selectors(in: query.expr) where !skip(selector) {
                if !samples.contains(where: { selector.matches(name: $0.name, labels: $0.labels) }) {
                    missing.append("\(query.panel): \(selector)")
                }
            }
        }
        return missing
    }

    /// The operator of these tests is namespace-scoped (`--namespace`), where the cluster-scoped
    /// ClusterExternalSecret is not served, so its panel stays empty here; ClusterExternalSecretTests
    /// scrapes that controller's series from a cluster-wide operator.
    static func isClusterExternalSecret(_ selector: MetricSelector) -> Bool {
        selector.matchers.contains { $0.name == "controller" && $0.value == "clusterexternalsecret" }
    }

    @Test func everyPanelOfESOsDashboardFindsItsSeries() async throws {
        let samples = try await dashboardScrape("dashboard", arguments: [])
        #expect(
            unmatched(samples) { Self.isWebhookSelector($0) || Self.isClusterExternalSecret($0) } == [],
            "series: \(Set(samples.map(\.name)).sorted())")
        // No webhook here: its panels stay empty instead of showing invented series.
        #expect(!samples.contains { $0.name.hasPrefix("controller_runtime_webhook_") })
    }

    @Test func withoutPerObjectSeriesOnlyThePerObjectPanelsAreEmpty() async throws {
        let samples = try await dashboardScrape("dashboard-lean", arguments: ["--metrics-per-object=false"])
        #expect(!samples.contains { $0.labels["name"] != nil && $0.labels["namespace"] != nil })
        #expect(
            unmatched(samples) {
                Self.isWebhookSelector($0) || Self.isClusterExternalSecret($0) || Self.perObjectMetrics.contains($0.metric)
            } == [])
        for metric in Self.perObjectMetrics {
            #expect(!samples.contains { $0.name == metric }, "\(metric) exported although per-object series are off")
        }
    }
}
