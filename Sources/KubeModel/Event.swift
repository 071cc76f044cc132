/// `v1.Event` (core group), the Event kind `kubectl describe` shows.
public struct CoreEvent: KubeResource, Hashable {
    public static let resource = ResourceDescriptor(
        group: "", version: "v1", kind: "Event", plural: "events", namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var involvedObject: ObjectReference
    public var reason: String?
    public var message: String?
    /// `Normal` or `Warning`.
    public var type: String?
    public var count: Int32?
    public var firstTimestamp: KubeTime?
    public var lastTimestamp: KubeTime?
    public var source: EventSource?
    public var eventTime: MicroTime?
    public var action: String?
    public var reportingComponent: String?
    public var reportingInstance: String?

    public init(
        metadata: ObjectMeta, involvedObject: ObjectReference, reason: String?, message: String?,
        type: String?
    ) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.involvedObject = involvedObject
        self.reason = reason
        self.message = message
        self.type = type
    }
}

/// `v1.EventSource`.
public struct EventSource: Codable, Sendable, Hashable {
    public var component: String?
    public var host: String?

    public init(component: String? = nil, host: String? = nil) {
        self.component = component
        self.host = host
    }
}

/// `events.k8s.io/v1` Event.
public struct EventsV1Event: KubeResource, Hashable {
    public static let resource = ResourceDescriptor(
        group: "events.k8s.io", version: "v1", kind: "Event", plural: "events", namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    /// Required by the API server.
    public var eventTime: MicroTime
    public var regarding: ObjectReference?
    public var related: ObjectReference?
    public var note: String?
    public var reason: String?
    /// `Normal` or `Warning`.
    public var type: String?
    public var action: String?
    public var reportingController: String?
    public var reportingInstance: String?
    public var series: EventSeries?
    public var deprecatedCount: Int32?

    public init(
        metadata: ObjectMeta, eventTime: MicroTime, regarding: ObjectReference?, reason: String?,
        note: String?, type: String?, action: String?, reportingController: String?, reportingInstance: String?
    ) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.eventTime = eventTime
        self.regarding = regarding
        self.reason = reason
        self.note = note
        self.type = type
        self.action = action
        self.reportingController = reportingController
        self.reportingInstance = reportingInstance
    }
}

/// `events.k8s.io/v1` EventSeries: repeats of one Event.
public struct EventSeries: Codable, Sendable, Hashable {
    public var count: Int32
    public var lastObservedTime: MicroTime

    public init(count: Int32, lastObservedTime: MicroTime) {
        self.count = count
        self.lastObservedTime = lastObservedTime
    }
}
