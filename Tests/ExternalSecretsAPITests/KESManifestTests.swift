import ExternalSecretsAPI
import Foundation
import KubeModel
import Testing

/// KES's `kubernetes-client.io/v1` ExternalSecret: its CRD, the committed copy, and the RBAC
/// and flag the install manifest carries only when KES is asked for.
@Suite struct KESManifestTests {
    @Test func committedKESCRDIsCurrent() throws {
        try ManifestTests().expectCurrent(
            "config/crds/kubernetes-client.io_v1.yaml", generated: ExternalSecretsManifests.kesCRDYAML(),
            command: "manifests crds --kes")
    }

    @Test func crdHasKESNamesAndPrinterColumns() throws {
        let crd = ExternalSecretsCRDs.kesExternalSecret
        #expect(crd.metadata.name == "externalsecrets.kubernetes-client.io")
        #expect(crd.spec.group == "kubernetes-client.io")
        #expect(crd.spec.names.kind == "ExternalSecret" && crd.spec.names.shortNames == ["es"])
        let version = try #require(crd.spec.versions.first)
        #expect(version.name == "v1" && version.served && version.storage)
        let columns = (version.additionalPrinterColumns ?? []).map { "\($0["name"]?.stringValue ?? "")=\($0["jsonPath"]?.stringValue ?? "")" }
        #expect(columns == ["Last Sync=.status.lastSync", "status=.status.status", "Age=.metadata.creationTimestamp"])
    }

    /// The seed's manifest, as users wrote it for KES, decodes into the types.
    @Test func seedManifestDecodes() throws {
        let yaml = """
            apiVersion: kubernetes-client.io/v1
            kind: ExternalSecret
            metadata:
              name: my-secret
            spec:
              backendType: secretsManager
              data:
              - key: prod/db-password
                name: password
            """
        let documents = try ManifestYAML.parse(yaml)
        let object = try JSONDecoder().decode(KESExternalSecret.self, from: JSONEncoder().encode(try #require(documents.first)))
        #expect(object.spec.backendType == .secretsManager)
        #expect(object.spec.data == [KESDataEntry(key: "prod/db-password", name: "password")])
    }

    @Test func installCarriesKESOnlyWhenAskedFor() throws {
        let plain = try ExternalSecretsManifests.install()
        let withKES = try ExternalSecretsManifests.install(kes: true)
        func kesCRDs(_ documents: [JSONValue]) -> Int {
            documents.filter { $0["metadata"]?["name"] == "externalsecrets.kubernetes-client.io" }.count
        }
        func grantsKES(_ documents: [JSONValue]) -> Bool {
            documents.contains { document in
                document["kind"] == "ClusterRole"
                    && (document["rules"]?.arrayValue ?? []).contains { $0["apiGroups"] == ["kubernetes-client.io"] }
            }
        }
        func args(_ documents: [JSONValue]) -> [JSONValue] {
            documents.first { $0["kind"] == "Deployment" }?["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?
                .first?["args"]?.arrayValue ?? []
        }
        #expect(kesCRDs(plain) == 0 && !grantsKES(plain) && !args(plain).contains("--enable-kes"))
        #expect(kesCRDs(withKES) == 1 && grantsKES(withKES) && args(withKES).contains("--enable-kes"))
    }
}
