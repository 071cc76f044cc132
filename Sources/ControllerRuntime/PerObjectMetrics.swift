public import Metrics
import Synchronization

/// The metrics factory of the operator: per-object series — every counter, gauge or meter whose
/// dimensions include both `name` and `namespace`, ESO's `externalsecret_*`, `secretstore_*`,
/// `clustersecretstore_*` and `pushsecret_*` series, one set per object — are kept in
/// `objectSeries` (or dropped when it is nil, `--metrics-per-object=false`); every other metric
/// (controller, work queue, provider call, leader election series) and any per-object histogram
/// goes to `base` unchanged.
///
/// Why not all in `base`: swift-prometheus' registry copies a metric's whole label-set dictionary
/// each time it adds a series, so creating the series of n objects costs O(n²) time (about
/// 150 million entry copies for ESO's condition gauges at 10,000 ExternalSecrets) and leaves a
/// class, a label array and a pre-rendered buffer per series. ``ObjectSeriesRegistry`` adds in
/// place and keeps one rendered label string and one value per series.
public struct PerObjectMetricsFactory: MetricsFactory {
    public let base: any MetricsFactory
    /// Where per-object series go; nil drops them.
    public let objectSeries: ObjectSeriesRegistry?

    public init(base: any MetricsFactory, objectSeries: ObjectSeriesRegistry?) {
        self.base = base
        self.objectSeries = objectSeries
    }

    /// Whether a metric with these dimensions is a per-object series.
    public static func isPerObject(_ dimensions: [(String, String)]) -> Bool {
        dimensions.contains { $0.0 == "name" } && dimensions.contains { $0.0 == "namespace" }
    }

    private func perObject(_ label: String, _ dimensions: [(String, String)], _ kind: ObjectSeriesRegistry.Kind)
        -> ObjectSeriesRegistry.Series?
    {
        guard Self.isPerObject(dimensions) else { return nil }
        return objectSeries?.series(label, dimensions: dimensions, kind: kind)
    }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        guard Self.isPerObject(dimensions) else { return base.makeCounter(label: label, dimensions: dimensions) }
        return perObject(label, dimensions, .counter) ?? NOOPMetricsHandler.instance
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        guard Self.isPerObject(dimensions) else {
            return base.makeFloatingPointCounter(label: label, dimensions: dimensions)
        }
        return perObject(label, dimensions, .counter) ?? NOOPMetricsHandler.instance
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        guard Self.isPerObject(dimensions) else { return base.makeMeter(label: label, dimensions: dimensions) }
        return perObject(label, dimensions, .gauge) ?? NOOPMetricsHandler.instance
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard Self.isPerObject(dimensions) else {
            return base.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate)
        }
        guard !aggregate else {
            return objectSeries == nil
                ? NOOPMetricsHandler.instance : base.makeRecorder(label: label, dimensions: dimensions, aggregate: true)
        }
        return perObject(label, dimensions, .gauge) ?? NOOPMetricsHandler.instance
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        guard Self.isPerObject(dimensions), objectSeries == nil else {
            return base.makeTimer(label: label, dimensions: dimensions)
        }
        return NOOPMetricsHandler.instance
    }

    public func destroyCounter(_ handler: any CounterHandler) { destroy(handler) { base.destroyCounter($0) } }

    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        destroy(handler) { base.destroyFloatingPointCounter($0) }
    }

    public func destroyMeter(_ handler: any MeterHandler) { destroy(handler) { base.destroyMeter($0) } }

    public func destroyRecorder(_ handler: any RecorderHandler) { destroy(handler) { base.destroyRecorder($0) } }

    public func destroyTimer(_ handler: any TimerHandler) { destroy(handler) { base.destroyTimer($0) } }

    private func destroy<Handler>(_ handler: Handler, inBase: (Handler) -> Void) {
        switch handler {
        case let series as ObjectSeriesRegistry.Series: objectSeries?.remove(series)
        case is NOOPMetricsHandler: break
        default: inBase(handler)
        }
    }
}

/// Per-object counters and gauges, exported in Prometheus' text format next to the main
/// registry's output.
///
/// Guarantees: adding, finding and removing a series costs O(1) whatever the number of series;
/// a series handle keeps working after its series was removed but is no longer exported (as
/// swift-prometheus' handles); removing a handle removes its series only when the series was not
/// made again since (a stale handle never removes a newer one).
public final class ObjectSeriesRegistry: Sendable {
    public enum Kind: Sendable {
        case counter
        case gauge

        var typeName: String {
            switch self {
            case .counter: "counter"
            case .gauge: "gauge"
            }
        }
    }

    /// One series: its value, and where it is filed (for removal).
    public final class Series: CounterHandler, FloatingPointCounterHandler, RecorderHandler, MeterHandler, Sendable {
        let family: String
        /// The rendered label set, `name="db",namespace="team-a"`.
        let labels: String
        /// The value's bit pattern (a Double).
        private let bits = Atomic<UInt64>(0)

        init(family: String, labels: String) {
            self.family = family
            self.labels = labels
        }

        public var value: Double { Double(bitPattern: bits.load(ordering: .relaxed)) }

        private func store(_ value: Double) { bits.store(value.bitPattern, ordering: .relaxed) }

        private func add(_ amount: Double) {
            var current = bits.load(ordering: .relaxed)
            while true {
                let next = (Double(bitPattern: current) + amount).bitPattern
                let (exchanged, original) = bits.compareExchange(
                    expected: current, desired: next, ordering: .relaxed)
                if exchanged { return }
                current = original
            }
        }

        public func increment(by amount: Int64) { add(Double(amount)) }
        public func increment(by amount: Double) { add(amount) }
        public func decrement(by amount: Double) { add(-amount) }
        public func reset() { store(0) }
        public func record(_ value: Int64) { store(Double(value)) }
        public func record(_ value: Double) { store(value) }
        public func set(_ value: Int64) { store(Double(value)) }
        public func set(_ value: Double) { store(value) }
    }

    private struct Family {
        var kind: Kind
        var series: [String: Series] = [:]
    }

    private let families = Mutex<[String: Family]>([:])

    public init() {}

    /// The series of `label` with `dimensions`, made when missing. A label keeps the kind it was
    /// first made with.
    public func series(_ label: String, dimensions: [(String, String)], kind: Kind) -> Series {
        let labels = Self.render(dimensions)
        return families.withLock { families in
            // In place: `families[label, default:]` and `.series[labels]` mutate the stored
            // dictionaries without copying them.
            if let existing = families[label]?.series[labels] { return existing }
            let made = Series(family: label, labels: labels)
            families[label, default: Family(kind: kind)].series[labels] = made
            return made
        }
    }

    /// Removes `series` unless its label set was made again since.
    public func remove(_ series: Series) {
        families.withLock { families in
            guard families[series.family]?.series[series.labels] === series else { return }
            families[series.family]?.series[series.labels] = nil
            if families[series.family]?.series.isEmpty == true { families[series.family] = nil }
        }
    }

    /// How many series are exported.
    public var count: Int { families.withLock { $0.values.reduce(0) { $0 + $1.series.count } } }

    /// Every series in Prometheus' text exposition format (version 0.0.4), families sorted by
    /// name and series by label set, so that scrapes are stable.
    public func emitToString() -> String {
        let snapshot = families.withLock { $0 }
        var text = ""
        for (label, family) in snapshot.sorted(by: { $0.key < $1.key }) {
            text += "# TYPE \(label) \(family.kind.typeName)\n"
            for (labels, series) in family.series.sorted(by: { $0.key < $1.key }) {
                text += "\(label){\(labels)} \(Self.format(series.value))\n"
            }
        }
        return text
    }

    /// `name="value",...` with Prometheus' escapes (backslash, double quote, line feed).
    static func render(_ dimensions: [(String, String)]) -> String {
        var text = ""
        for (index, (name, value)) in dimensions.enumerated() {
            if index > 0 { text += "," }
            text += name
            text += "=\""
            for character in value.unicodeScalars {
                switch character {
                case "\\": text += "\\\\"
                case "\"": text += "\\\""
                case "\n": text += "\\n"
                default: text.unicodeScalars.append(character)
                }
            }
            text += "\""
        }
        return text
    }

    /// Integral values as integers (counters read `5`, not `5.0`), others as Prometheus floats.
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 9_007_199_254_740_992 { return String(Int64(value)) }
        return "\(value)"
    }
}
