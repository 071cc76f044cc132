public import Metrics

/// A metrics factory that drops per-object series (`--metrics-per-object=false`): every metric
/// whose dimensions include both `name` and `namespace` — ESO's `externalsecret_*`,
/// `secretstore_*`, `clustersecretstore_*` and `pushsecret_*` series, one set per object — is
/// given a no-op handler; every other metric (controller, work queue, provider call, leader
/// election series) goes to `base` unchanged.
///
/// Why: at 10,000 ExternalSecrets the per-object series are about 60,000 (see the README), which
/// some Prometheus installations refuse or pay for. ESO always exports them.
public struct PerObjectMetricsFilter: MetricsFactory {
    public let base: any MetricsFactory

    public init(base: any MetricsFactory) { self.base = base }

    /// Whether a metric with these dimensions is a per-object series.
    public static func isPerObject(_ dimensions: [(String, String)]) -> Bool {
        dimensions.contains { $0.0 == "name" } && dimensions.contains { $0.0 == "namespace" }
    }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        Self.isPerObject(dimensions) ? NOOPMetricsHandler.instance : base.makeCounter(label: label, dimensions: dimensions)
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        Self.isPerObject(dimensions)
            ? NOOPMetricsHandler.instance : base.makeFloatingPointCounter(label: label, dimensions: dimensions)
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        Self.isPerObject(dimensions) ? NOOPMetricsHandler.instance : base.makeMeter(label: label, dimensions: dimensions)
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        Self.isPerObject(dimensions)
            ? NOOPMetricsHandler.instance : base.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate)
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        Self.isPerObject(dimensions) ? NOOPMetricsHandler.instance : base.makeTimer(label: label, dimensions: dimensions)
    }

    public func destroyCounter(_ handler: any CounterHandler) {
        if !(handler is NOOPMetricsHandler) { base.destroyCounter(handler) }
    }

    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if !(handler is NOOPMetricsHandler) { base.destroyFloatingPointCounter(handler) }
    }

    public func destroyMeter(_ handler: any MeterHandler) {
        if !(handler is NOOPMetricsHandler) { base.destroyMeter(handler) }
    }

    public func destroyRecorder(_ handler: any RecorderHandler) {
        if !(handler is NOOPMetricsHandler) { base.destroyRecorder(handler) }
    }

    public func destroyTimer(_ handler: any TimerHandler) {
        if !(handler is NOOPMetricsHandler) { base.destroyTimer(handler) }
    }
}
