/// `coordination.k8s.io/v1` Lease, the lock of leader election.
public struct Lease: KubeResource, Hashable {
    public static let resource = ResourceDescriptor(
        group: "coordination.k8s.io", version: "v1", kind: "Lease", plural: "leases", namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: LeaseSpec?

    public init(metadata: ObjectMeta, spec: LeaseSpec? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.spec = spec
    }
}

/// `coordination.k8s.io/v1` LeaseSpec.
public struct LeaseSpec: Codable, Sendable, Hashable {
    public var holderIdentity: String?
    public var leaseDurationSeconds: Int32?
    public var acquireTime: MicroTime?
    public var renewTime: MicroTime?
    public var leaseTransitions: Int32?

    public init(
        holderIdentity: String? = nil, leaseDurationSeconds: Int32? = nil, acquireTime: MicroTime? = nil,
        renewTime: MicroTime? = nil, leaseTransitions: Int32? = nil
    ) {
        self.holderIdentity = holderIdentity
        self.leaseDurationSeconds = leaseDurationSeconds
        self.acquireTime = acquireTime
        self.renewTime = renewTime
        self.leaseTransitions = leaseTransitions
    }
}
