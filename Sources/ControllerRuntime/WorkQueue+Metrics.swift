import Metrics

/// The metrics of one work queue, named like client-go's workqueue metrics that ESO exports, with
/// the queue's name as the `name` dimension.
struct WorkQueueMetrics: Sendable {
    /// Ready keys, all lanes.
    let depth: Gauge
    /// Keys that became ready or dirty (an add of a key already waiting is not counted).
    let adds: Counter
    /// Calls to `requeueAfterFailure`.
    let retries: Counter
    /// From becoming ready to being handed out.
    let queueDuration: Timer
    /// From being handed out to `done`.
    let workDuration: Timer

    enum Label {
        static let depth = "workqueue_depth"
        static let adds = "workqueue_adds_total"
        static let retries = "workqueue_retries_total"
        static let queueDuration = "workqueue_queue_duration_seconds"
        static let workDuration = "workqueue_work_duration_seconds"
    }

    init(name: String, factory: any MetricsFactory) {
        let dimensions = [("name", name)]
        depth = Gauge(label: Label.depth, dimensions: dimensions, factory: factory)
        adds = Counter(label: Label.adds, dimensions: dimensions, factory: factory)
        retries = Counter(label: Label.retries, dimensions: dimensions, factory: factory)
        queueDuration = Timer(label: Label.queueDuration, dimensions: dimensions, factory: factory)
        workDuration = Timer(label: Label.workDuration, dimensions: dimensions, factory: factory)
    }
}
