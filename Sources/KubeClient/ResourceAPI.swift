import Foundation
public import KubeModel
import Yams

/// The operations on one kind of object, in one namespace (or across all / cluster-scoped).
///
/// Typed for compile-time kinds (`client.api(Secret.self, namespace: "ns")`), dynamic for kinds
/// known at run time, metadata-only for caches that need no spec.
public struct ResourceAPI<Object: KubeObject>: Sendable {
    let client: KubeClient
    public let resource: ResourceDescriptor
    public let namespace: String?
    /// Objects are requested as `PartialObjectMetadata` (reads and watches only).
    public let metadataOnly: Bool

    init(client: KubeClient, resource: ResourceDescriptor, namespace: String?, metadataOnly: Bool = false) {
        self.client = client
        self.resource = resource
        self.namespace = namespace
        self.metadataOnly = metadataOnly
    }

    private func withAccept(_ request: KubeRequest, list: Bool) -> KubeRequest {
        guard metadataOnly else { return request }
        var request = request
        let kind = list ? "PartialObjectMetadataList" : "PartialObjectMetadata"
        request.headers.append(("Accept", "application/json;as=\(kind);g=meta.k8s.io;v=v1"))
        return request
    }

    private func encode(_ object: Object) throws -> [UInt8] {
        var object = object
        if object.apiVersion == nil { object.apiVersion = resource.apiVersion }
        if object.kind == nil { object.kind = resource.kind }
        return Array(try KubeJSON.encoder.encode(object))
    }

    private func objectNamespace(_ object: Object) -> String? {
        resource.namespaced ? (object.metadata.namespace ?? namespace) : nil
    }

    private func requireName(_ object: Object) throws -> String {
        guard let name = object.metadata.name, !name.isEmpty else {
            throw KubeClientError("\(resource): object has no metadata.name")
        }
        return name
    }

    // MARK: - Reads

    /// The object `name`; throws a `KubeAPIError` with `isNotFound` when it does not exist.
    public func get(_ name: String) async throws -> Object {
        try await client.send(
            withAccept(RequestBuilder.get(resource, namespace: namespace, name: name), list: false),
            decoding: Object.self)
    }

    /// The object `name`, or nil when it does not exist.
    public func getIfExists(_ name: String) async throws -> Object? {
        do {
            return try await get(name)
        } catch let error as KubeAPIError where error.isNotFound {
            return nil
        }
    }

    /// One page of objects (all of them when `options.limit` is nil).
    public func list(_ options: ListOptions = ListOptions()) async throws -> ObjectList<Object> {
        try await client.send(
            withAccept(RequestBuilder.list(resource, namespace: namespace, options: options), list: true),
            decoding: ObjectList<Object>.self, skippingManagedFields: options.skipManagedFields)
    }

    /// Every object, fetched in pages of `pageSize`. The result's resourceVersion is the first
    /// page's, which is where a watch should start.
    public func listAll(_ options: ListOptions = ListOptions(), pageSize: Int = 500) async throws -> ObjectList<Object> {
        var options = options
        options.limit = pageSize
        var first = try await list(options)
        var token = first.metadata.continue
        while let next = token, !next.isEmpty {
            options.continueToken = next
            let page = try await list(options)
            first.items.append(contentsOf: page.items)
            token = page.metadata.continue
        }
        first.metadata.continue = nil
        return first
    }

    /// Opens a watch; the stream ends when the server closes it. A resourceVersion that is too old
    /// fails here or arrives as an `.error` event with code 410 (`KubeAPIError.isGone`).
    public func watch(_ options: WatchOptions = WatchOptions()) async throws -> WatchStream<Object> {
        let request = withAccept(RequestBuilder.watch(resource, namespace: namespace, options: options), list: false)
        let response = try await client.stream(request)
        return WatchStream(body: response.body, request: request.summary, skipManagedFields: options.skipManagedFields)
    }

    // MARK: - Writes

    /// Creates `object` (in its own namespace, else this API's) and returns the stored object
    /// (without `managedFields` when `skippingManagedFields`: for writers that use only its version).
    public func create(
        _ object: Object, fieldManager: String? = nil, skippingManagedFields: Bool = false
    ) async throws -> Object {
        try await client.send(
            RequestBuilder.create(
                resource, namespace: objectNamespace(object), body: encode(object), fieldManager: fieldManager),
            decoding: Object.self, skippingManagedFields: skippingManagedFields)
    }

    /// Replaces `object`. Its `metadata.resourceVersion` is the precondition: a stale one fails
    /// with `isConflict`.
    public func replace(
        _ object: Object, fieldManager: String? = nil, skippingManagedFields: Bool = false
    ) async throws -> Object {
        try await client.send(
            RequestBuilder.replace(
                resource, namespace: objectNamespace(object), name: requireName(object), body: encode(object),
                fieldManager: fieldManager),
            decoding: Object.self, skippingManagedFields: skippingManagedFields)
    }

    /// Patches object `name`.
    public func patch(_ name: String, _ patch: Patch, fieldManager: String? = nil) async throws -> Object {
        try await client.send(
            RequestBuilder.patch(resource, namespace: namespace, name: name, patch: patch, fieldManager: fieldManager),
            decoding: Object.self)
    }

    /// Server-side apply of `object` as `fieldManager`. Without `force`, a field owned by another
    /// manager with a different value fails with `isConflict`.
    public func apply(_ object: Object, fieldManager: String, force: Bool = false) async throws -> Object {
        try await client.send(
            RequestBuilder.apply(
                resource, namespace: objectNamespace(object), name: requireName(object), body: encode(object),
                fieldManager: fieldManager, force: force),
            decoding: Object.self)
    }

    /// Deletes object `name`. Returns nothing: the server answers either the object (with a
    /// deletionTimestamp when finalizers hold it) or a Status.
    public func delete(_ name: String, options: DeleteOptions = DeleteOptions()) async throws {
        try await client.send(RequestBuilder.delete(resource, namespace: namespace, name: name, options: options))
    }

    // MARK: - Status subresource

    /// The object through its status subresource.
    public func getStatus(_ name: String) async throws -> Object {
        try await client.send(
            RequestBuilder.get(resource, namespace: namespace, name: name, subresource: "status"),
            decoding: Object.self)
    }

    /// Replaces the status of `object` (other changes are ignored by the server).
    public func replaceStatus(_ object: Object, fieldManager: String? = nil) async throws -> Object {
        try await client.send(
            RequestBuilder.replace(
                resource, namespace: objectNamespace(object), name: requireName(object), body: encode(object),
                subresource: "status", fieldManager: fieldManager),
            decoding: Object.self)
    }

    /// Patches the status of object `name`.
    public func patchStatus(
        _ name: String, _ patch: Patch, fieldManager: String? = nil, skippingManagedFields: Bool = false
    ) async throws -> Object {
        try await client.send(
            RequestBuilder.patch(
                resource, namespace: namespace, name: name, patch: patch, subresource: "status",
                fieldManager: fieldManager),
            decoding: Object.self, skippingManagedFields: skippingManagedFields)
    }

    /// Server-side apply of the status of `object`.
    public func applyStatus(_ object: Object, fieldManager: String, force: Bool = false) async throws -> Object {
        try await client.send(
            RequestBuilder.apply(
                resource, namespace: objectNamespace(object), name: requireName(object), body: encode(object),
                fieldManager: fieldManager, force: force, subresource: "status"),
            decoding: Object.self)
    }
}
