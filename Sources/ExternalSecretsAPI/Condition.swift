public import KubeModel

/// A status condition as ESO writes them (`type`, `status`, `reason`, `message`,
/// `lastTransitionTime`).
public struct StatusCondition: Codable, Sendable, Hashable {
    public var type: String
    /// `True`, `False` or `Unknown`.
    public var status: String
    public var reason: String?
    public var message: String?
    public var lastTransitionTime: KubeTime?

    public init(
        type: String, status: String, reason: String? = nil, message: String? = nil,
        lastTransitionTime: KubeTime? = nil
    ) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.lastTransitionTime = lastTransitionTime
    }
}

extension [StatusCondition] {
    /// The condition of the given type, if present.
    public func condition(ofType type: String) -> StatusCondition? {
        first { $0.type == type }
    }

    /// Sets `condition`, replacing one of the same type. `lastTransitionTime` is kept when the
    /// status did not change, as Kubernetes conventions require.
    public mutating func set(_ condition: StatusCondition) {
        var condition = condition
        if let index = firstIndex(where: { $0.type == condition.type }) {
            if self[index].status == condition.status {
                condition.lastTransitionTime = self[index].lastTransitionTime ?? condition.lastTransitionTime
            }
            self[index] = condition
        } else {
            append(condition)
        }
    }
}
