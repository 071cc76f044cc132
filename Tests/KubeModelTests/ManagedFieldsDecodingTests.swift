import Foundation
import KubeModel
import Testing

/// Caches drop `managedFields`; a decoder told so never decodes them, and decodes the rest of the
/// metadata exactly as the synthesized decoding did.
@Suite struct ManagedFieldsDecodingTests {
    static let secret = Data(
        #"""
        {"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","namespace":"n","uid":"u","resourceVersion":"7",
        "generation":2,"creationTimestamp":"2026-01-02T03:04:05Z","labels":{"a":"b"},"annotations":{"c":"d"},
        "ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"o","uid":"ou","controller":true}],
        "finalizers":["f"],"managedFields":[{"manager":"m","operation":"Update","apiVersion":"v1",
        "time":"2026-01-02T03:04:05Z","fieldsType":"FieldsV1","fieldsV1":{"f:data":{"f:k":{}}}}]},
        "data":{"k":"dg=="},"type":"Opaque"}
        """#.utf8)

    @Test func skippedOnlyWhenAsked() throws {
        let full = try KubeJSON.decoder.decode(Secret.self, from: Self.secret)
        let lean = try KubeJSON.decoder(skippingManagedFields: true).decode(Secret.self, from: Self.secret)
        #expect(full.metadata.managedFields?.first?.manager == "m")
        #expect(full.metadata.managedFields?.first?.fieldsV1 != nil)
        #expect(lean.metadata.managedFields == nil)
        var expected = full
        expected.metadata.managedFields = nil
        #expect(lean == expected)
        #expect(lean.metadata.ownerReferences?.first?.controller == true)
        #expect(lean.metadata.generation == 2 && lean.metadata.creationTimestamp != nil)
    }

    @Test func encodingRoundTripsTheDecodedMetadata() throws {
        let full = try KubeJSON.decoder.decode(Secret.self, from: Self.secret)
        let again = try KubeJSON.decoder.decode(Secret.self, from: KubeJSON.encoder.encode(full))
        #expect(again == full)
    }
}
