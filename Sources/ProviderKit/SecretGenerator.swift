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
    /// or a referenced Secret's value.
    func generate(kind: String, spec: JSONValue?, references: any ReferenceReader, now: Date) async throws
        -> SecretData
}

extension SecretGenerator {
    public func controllerClass(kind: String, spec: JSONValue?) -> String? { nil }
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
