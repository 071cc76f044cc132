public import KubeClient
public import KubeModel

/// Writes the status subresource of objects of one kind: a JSON merge patch holding exactly what
/// differs between the status the object has and the status wanted (`JSONMergePatch.diff`).
///
/// Guarantees: no request when the two are equal (a steady state costs no write); members that
/// are gone from the wanted status are removed on the server (sent as null), so maps such as
/// PushSecret's `syncedPushSecrets` shrink as they should; arrays (conditions) are sent whole.
/// Caveat: the diff is taken against the object as the caller read it (usually the cache); a
/// member another writer added since then is left alone unless the wanted status sets it.
public struct StatusWriter<Object: KubeResource>: Sendable {
    private let client: KubeClient
    private let ownWrites: OwnWrites?

    /// - Parameter ownWrites: where the version each patch produced is recorded (the controller's,
    ///   so the watch event of this write wakes nothing).
    public init(client: KubeClient, ownWrites: OwnWrites? = nil) {
        self.client = client
        self.ownWrites = ownWrites
    }

    /// Patches the status of `object` from `old` to `new`. Returns whether a request was made.
    @discardableResult
    public func write<Status: Encodable & Equatable>(_ new: Status, old: Status?, of object: Object) async throws -> Bool {
        guard let patch = try Self.patch(from: old, to: new) else { return false }
        let api = client.api(Object.self, namespace: object.metadata.namespace)
        let name = object.metadata.name ?? ""
        let request = { try await api.patchStatus(name, .merge(["status": patch]), skippingManagedFields: true) }
        if let ownWrites {
            _ = try await ownWrites.writing(ObjectKey(namespace: object.metadata.namespace, name: name), request)
        } else {
            _ = try await request()
        }
        return true
    }

    /// The `status` member of the merge patch turning `old` into `new`, or nil when they are equal.
    public static func patch<Status: Encodable & Equatable>(from old: Status?, to new: Status) throws -> JSONValue? {
        guard new != old else { return nil }
        return JSONMergePatch.diff(from: try old.map { try JSONValue(encoding: $0) }, to: try JSONValue(encoding: new))
    }
}
