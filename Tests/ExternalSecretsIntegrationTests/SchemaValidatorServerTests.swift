import ExternalSecretsAPI
import Foundation
import KubeClient
import KubeModel
import KubeTestSupport
import OperatorTestSupport
import Testing

/// (ExternalSecretSyncTests, sharing its control plane.) `validate`'s schema check agrees with the
/// real API server: for each manifest, the server refuses it exactly when SchemaValidator finds a
/// problem (other than an unknown field, which the server drops silently instead).
extension ExternalSecretSyncTests {
    static let schemaCases: [(what: String, yaml: String)] = [
        ("valid", "spec: {secretStoreRef: {name: s}, data: [{secretKey: a, remoteRef: {key: a}}]}"),
        ("missing remote key", "spec: {secretStoreRef: {name: s}, data: [{secretKey: a, remoteRef: {property: p}}]}"),
        ("unknown decoding", "spec: {secretStoreRef: {name: s}, data: [{secretKey: a, remoteRef: {key: a, decodingStrategy: Base65}}]}"),
        ("neither data nor dataFrom", "spec: {secretStoreRef: {name: s}}"),
        ("empty data", "spec: {secretStoreRef: {name: s}, data: []}"),
        ("Delete with Merge", "spec: {secretStoreRef: {name: s}, target: {creationPolicy: Merge, deletionPolicy: Delete}, data: [{secretKey: a, remoteRef: {key: a}}]}"),
        ("Merge deletion with Orphan", "spec: {secretStoreRef: {name: s}, target: {creationPolicy: Orphan, deletionPolicy: Merge}, data: [{secretKey: a, remoteRef: {key: a}}]}"),
        ("token Secret type", "spec: {secretStoreRef: {name: s}, target: {template: {type: kubernetes.io/service-account-token}}, data: [{secretKey: a, remoteRef: {key: a}}]}"),
        ("secretKey a list", "spec: {secretStoreRef: {name: s}, data: [{secretKey: [a], remoteRef: {key: a}}]}"),
        ("store kind unknown", "spec: {secretStoreRef: {name: s, kind: Vault}, data: [{secretKey: a, remoteRef: {key: a}}]}"),
        ("dataFrom with two sources", "spec: {secretStoreRef: {name: s}, dataFrom: [{extract: {key: a}, find: {path: p}}]}"),
        ("dataFrom with none", "spec: {secretStoreRef: {name: s}, dataFrom: [{rewrite: []}]}"),
        ("refresh interval a number", "spec: {secretStoreRef: {name: s}, refreshInterval: 5, data: [{secretKey: a, remoteRef: {key: a}}]}"),
        ("find by name", "spec: {secretStoreRef: {name: s}, dataFrom: [{find: {name: {regexp: '^a'}}}]}"),
    ]

    @Test func schemaVerdictsAgreeWithTheAPIServer() async throws {
        try await withAdminClient { client in
            try await installCRDs(client)
            let namespace = try await makeNamespace(client, prefix: "schema")
            let api = client.dynamicAPI(ExternalSecret.resource, namespace: namespace)
            let schema = try #require(ExternalSecretsCRDs.externalSecret.spec.versions.first?.schema?.openAPIV3Schema)
            var refusals = 0
            for (index, testCase) in Self.schemaCases.enumerated() {
                let spec = try #require(ManifestYAML.parse(testCase.yaml).first?["spec"])
                let name = "case-\(index)"
                let object: JSONValue = [
                    "apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
                    "metadata": ["name": .string(name), "namespace": .string(namespace)], "spec": spec,
                ]
                let problems = SchemaValidator.validate(object, schema: schema)
                var refused = false
                do {
                    _ = try await api.create(try object.decode(as: DynamicObject.self))
                } catch let error as KubeAPIError where error.isInvalid || error.statusCode == 400 {
                    refused = true
                }
                if refused { refusals += 1 }
                #expect(refused == !problems.isEmpty, "\(testCase.what): server refused: \(refused), validate: \(problems)")
            }
            #expect(refusals >= 8)  // the table exercises refusals, not only acceptance
        }
    }
}
