import ExternalSecretsAPI
import Foundation
import KubeModel
import OperatorTestSupport
import Testing

/// `external-secrets migrate kes`: the binary converts KES manifests into ESO manifests that the
/// operator's own `validate` accepts.
struct MigrateCommandTests {
    static let kes = """
        apiVersion: kubernetes-client.io/v1
        kind: ExternalSecret
        metadata:
          name: my-secret
          namespace: team
        spec:
          backendType: secretsManager
          data:
          - key: prod/db-password
            name: password
          template:
            stringData:
              url: "postgres://app:<%= data.password %>@db"
        ---
        apiVersion: kubernetes-client.io/v1
        kind: ExternalSecret
        metadata:
          name: legacy
        spec:
          backendType: ibmcloudSecretsManager
          data: [{key: k, name: n}]
        """

    @Test func migrateKESPrintsValidESOManifests() async throws {
        let run = try await runCommand(["migrate", "kes", "-f", "-", "--aws-region", "eu-west-1"], input: Self.kes)
        #expect(run.status == 0, "\(run.stderr)")
        let documents = try ManifestYAML.parse(run.stdout)
        #expect(documents.map { $0["kind"]?.stringValue ?? "" } == ["ClusterSecretStore", "ExternalSecret"])
        #expect(documents[1]["metadata"]?["name"] == "my-secret" && documents[1]["metadata"]?["namespace"] == "team")
        #expect(documents[0]["spec"]?["provider"]?["aws"]?["region"] == "eu-west-1")
        #expect(
            documents[1]["spec"]?["target"]?["template"]?["data"]?["url"]
                == #"postgres://app:{{ index . "password" }}@db"#)
        #expect(
            run.stdout.contains(
                "# KES ExternalSecret legacy: not converted: backendType ibmcloudSecretsManager needs the operator's IBM_CLOUD_SECRETS_MANAGER_API_ENDPOINT"
            ), "\(run.stdout)")
        let validation = try await runCommand(["validate", "-f", "-"], input: run.stdout)
        #expect(validation.status == 0, "\(validation.stdout)\(validation.stderr)")
    }

    /// An `ibmcloudSecretsManager` object: an `ibm` store whose API key is a Secret reference, ESO's
    /// key formats; the output passes `validate`.
    @Test func migrateKESConvertsTheIBMBackend() async throws {
        let kes = """
            apiVersion: kubernetes-client.io/v1
            kind: ExternalSecret
            metadata: {name: ibm, namespace: team}
            spec:
              backendType: ibmcloudSecretsManager
              data:
              - {key: 0b5571f7-21e6-42b7-91c5-3f5ac9793a46, name: password, property: password, secretType: username_password}
              - {key: 0b5571f7-21e6-42b7-91c5-3f5ac9793a46, name: creds, secretType: username_password}
            """
        let run = try await runCommand(
            ["migrate", "kes", "-f", "-"], input: kes,
            environment: [
                "IBM_CLOUD_SECRETS_MANAGER_API_ENDPOINT": "https://i.us-south.secrets-manager.appdomain.cloud"
            ])
        #expect(run.status == 0, "\(run.stderr)")
        let documents = try ManifestYAML.parse(run.stdout)
        #expect(documents.map { $0["kind"]?.stringValue ?? "" } == ["ClusterSecretStore", "ExternalSecret"])
        #expect(
            documents[0]["spec"]?["provider"]?["ibm"]?["auth"]?["secretRef"]?["secretApiKeySecretRef"]?["name"]
                == "ibm-secrets-manager-api-key")
        #expect(
            documents[1]["spec"]?["data"]?.arrayValue?.first?["remoteRef"]?["key"]
                == "username_password/0b5571f7-21e6-42b7-91c5-3f5ac9793a46")
        #expect(run.stdout.contains("for the keys creds:"), "\(run.stdout)")
        let validation = try await runCommand(["validate", "-f", "-"], input: run.stdout)
        #expect(validation.status == 0, "\(validation.stdout)\(validation.stderr)")
    }

    @Test func migrateKESNeedsInput() async throws {
        let run = try await runCommand(["migrate", "kes"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("-f"))
    }
}
