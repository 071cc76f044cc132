import ExternalSecretsAPI
import Foundation
import KubeModel
import Testing

/// The CRD schemas and the Swift Codable types describe the same JSON: what the schema lets the
/// API server store decodes into the Swift type and encodes back unchanged, and every Swift field
/// has a place in the schema.
@Suite struct SchemaConsistencyTests {
    struct Kind: Sendable, CustomStringConvertible {
        var name: String
        var schema: @Sendable () -> JSONValue
        /// Decodes and re-encodes with the Swift type.
        var roundTrip: @Sendable (JSONValue) throws -> JSONValue
        /// The Swift value decoded from JSON, for reflection.
        var decoded: @Sendable (JSONValue) throws -> Any
        var description: String { name }

        static func of<T: Codable & OpenAPISchemaDescribed & Sendable>(_ type: T.Type) -> Kind {
            Kind(
                name: "\(type)", schema: { T.openAPISchema.json },
                roundTrip: { try JSONValue(encoding: $0.decode(as: T.self)) },
                decoded: { try $0.decode(as: T.self) })
        }
    }

    static let kinds: [Kind] = [
        .of(ExternalSecret.self), .of(SecretStore.self), .of(ClusterSecretStore.self), .of(PushSecret.self),
    ]

    @Test(arguments: kinds)
    func maximalObjectSurvivesTheSwiftType(kind: Kind) throws {
        let sample = SchemaSamples.maximal(kind.schema())
        let back = try kind.roundTrip(sample)
        let differences = SchemaSamples.differences(sample, back)
        #expect(differences.isEmpty, "schema and Swift type disagree:\n\(differences.joined(separator: "\n"))")
    }

    @Test(arguments: kinds)
    func everySwiftFieldIsInTheSchema(kind: Kind) throws {
        let decoded = try kind.decoded(SchemaSamples.maximal(kind.schema()))
        // ObjectMeta is validated by the API server itself; the CRD declares only its type.
        let missing = SchemaSamples.nilProperties(of: decoded, skipping: [".metadata"])
        #expect(missing.isEmpty, "Swift fields the schema does not declare:\n\(missing.joined(separator: "\n"))")
    }

    @Test(arguments: kinds)
    func everyEnumValueDecodes(kind: Kind) throws {
        let schema = kind.schema()
        var failures: [String] = []
        for (path, values) in SchemaSamples.enums(schema) {
            for value in values {
                let sample = SchemaSamples.maximal(schema, overrides: [path: value])
                do {
                    let differences = SchemaSamples.differences(sample, try kind.roundTrip(sample))
                    if !differences.isEmpty { failures.append("\(path) = \(value): \(differences)") }
                } catch {
                    failures.append("\(path) = \(value): \(error)")
                }
            }
        }
        #expect(failures.isEmpty, "enum values the Swift type does not take:\n\(failures.joined(separator: "\n"))")
    }

    /// An object with only what the schema requires decodes: no Swift field is non-optional unless
    /// the schema makes it required.
    @Test(arguments: kinds)
    func minimalObjectDecodes(kind: Kind) throws {
        let sample = SchemaSamples.minimal(kind.schema())
        #expect(throws: Never.self) { try kind.roundTrip(sample) }
    }

    @Test func sampleOfAProviderWithoutTypesIsKeptAsWritten() throws {
        let schema = SecretStore.openAPISchema.json
        let sample = SchemaSamples.maximal(schema)
        let store = try sample.decode(as: SecretStore.self)
        #expect(store.spec.provider.unsupported["akeyless"] == SchemaSamples.unknownContent)
        #expect(
            store.spec.provider.configuredProviderNames
                == SecretStoreProvider.esoProviders.map(\.name).sorted())
    }
}
