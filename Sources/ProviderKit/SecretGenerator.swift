public import Foundation
public import KubeModel

/// A family of generator kinds (`generators.external-secrets.io`): makes values from a generator's
/// spec, as ESO's `Generator` interface. Generators are values registered explicitly, beside the
/// providers, in the `ProviderRegistry` built by `main`; the core looks a kind up there instead of
/// knowing every kind.
///
/// Pure generators (Password, UUID, ...) live in the Generators target; generators that call a
/// remote API (ECR, STS) live beside their provider and reuse its clients.
public protocol SecretGenerator: Sendable {
    /// The namespaced resources of the kinds this generator runs (`generatorRef.kind` and
    /// ClusterGenerator `spec.kind` name them by `kind`).
    var resources: [ResourceDescriptor] { get }

    /// The controller class a generator of `kind` with `spec` is meant for (ESO's Fake
    /// `spec.controller`), if any: an ExternalSecret using it belongs to another operator then.
    /// Default: none.
    func controllerClass(kind: String, spec: JSONValue?) -> String?

    /// Makes the values of a generator of `kind` whose spec is `spec` (absent when the object has
    /// none). What the spec references (credentials, seeds) is read through `references`, in the
    /// namespace of the object using the generator; `now` is the wall-clock time.
    ///
    /// Guarantees: errors (`ProviderError`) name the generator's fields, never a generated value
    /// or a referenced Secret's value. A generator that creates something remote (a token, a
    /// lease) returns what undoing it needs as `state`; the caller records that state (a
    /// GeneratorState) before the values are used and calls `cleanup` with it once they are
    /// replaced or no longer wanted.
    func generate(kind: String, spec: JSONValue?, references: any ReferenceReader, now: Date) async throws
        -> GeneratedSecret

    /// Undoes a generation whose `state` `generate` returned (revokes the token or the lease),
    /// with the generator's spec at generation time; references are read in the namespace of
    /// the object that used it. Must be idempotent: a state already undone (the remote object
    /// is gone) is success. Default: nothing to undo.
    func cleanup(kind: String, spec: JSONValue?, state: JSONValue, references: any ReferenceReader, now: Date)
        async throws

    /// When `state` should next be renewed (a lease that expires unless renewed), nil when it
    /// needs no renewal. Pure: reads nothing but the state. Default: never.
    func renewal(kind: String, state: JSONValue) -> Date?

    /// Renews `state` (extends the lease), returning the state to record from now on.
    /// Called only when `renewal` returned a date that has passed. Default: the state unchanged.
    func renew(kind: String, spec: JSONValue?, state: JSONValue, references: any ReferenceReader, now: Date)
        async throws -> JSONValue
}

/// What one generation made: the values, and what undoing it later needs.
public struct GeneratedSecret: Sendable, Hashable {
    /// The generated values, by key.
    public var data: SecretData
    /// What `SecretGenerator.cleanup` needs to undo this generation (a lease id, a token id),
    /// nil when there is nothing to undo. Written to a GeneratorState, which tenants may read:
    /// it must never hold a generated value or a credential.
    public var state: JSONValue?

    public init(data: SecretData, state: JSONValue? = nil) {
        self.data = data
        self.state = state
    }
}

extension SecretGenerator {
    public func controllerClass(kind: String, spec: JSONValue?) -> String? { nil }

    public func cleanup(kind: String, spec: JSONValue?, state: JSONValue, references: any ReferenceReader, now: Date)
        async throws
    {}

    public func renewal(kind: String, state: JSONValue) -> Date? { nil }

    public func renew(kind: String, spec: JSONValue?, state: JSONValue, references: any ReferenceReader, now: Date)
        async throws -> JSONValue
    { state }
}

/// The generator kinds this binary runs, by kind, in registration order.
public struct GeneratorRegistry: Sendable {
    private var byKind: [String: (generator: any SecretGenerator, resource: ResourceDescriptor)] = [:]
    /// The kinds, in the order they were registered (first registration of a kind wins).
    public private(set) var kinds: [String] = []

    public init(_ generators: [any SecretGenerator]) {
        for generator in generators {
            for resource in generator.resources where byKind[resource.kind] == nil {
                byKind[resource.kind] = (generator, resource)
                kinds.append(resource.kind)
            }
        }
    }

    /// The generator running `kind`, if registered.
    public func generator(ofKind kind: String) -> (any SecretGenerator)? { byKind[kind]?.generator }

    /// The namespaced resource of `kind`, if registered.
    public func resource(ofKind kind: String) -> ResourceDescriptor? { byKind[kind]?.resource }
}
