public import Foundation
public import KubeModel
public import ProviderKit

/// The pure generator kinds (Password, UUID, SSHKey, Fake, MFA) as one `SecretGenerator`: each
/// spec is decoded as a `GeneratorDefinition` and run with the system's random numbers. No I/O
/// except what `references` reads (the MFA seed).
public struct StandardGenerators: SecretGenerator {
    public init() {}

    public var resources: [ResourceDescriptor] {
        GeneratorDefinition.supportedKinds.compactMap(GeneratorDefinition.resource(ofKind:))
    }

    public func controllerClass(kind: String, spec: JSONValue?) -> String? {
        (try? GeneratorDefinition(kind: kind, spec: spec))?.controllerClass
    }

    public func generate(kind: String, spec: JSONValue?, references: any ReferenceReader, now: Date) async throws
        -> GeneratedSecret
    {
        let definition = try GeneratorDefinition(kind: kind, spec: spec)
        var random = SystemRandomNumberGenerator()
        return GeneratedSecret(data: try await definition.generate(references: references, now: now, using: &random))
    }
}
