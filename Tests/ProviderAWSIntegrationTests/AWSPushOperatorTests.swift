import AWSSigV4
import AWSTestSupport
import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import KubeClient
import KubeModel
import KubeTestSupport
import OperatorTestSupport
import ProviderKit
import Testing

/// PushSecret end to end: the operator as a process on the real control plane pushes Kubernetes
/// Secrets to Secrets Manager and Parameter Store on moto (signature checking on), follows changes,
/// deletes what it wrote when the PushSecret goes, and refuses a remote secret it did not create.
extension AWSOperatorTests {
    static func pushSecret(_ name: String, store: String, data: [PushSecretData]) -> PushSecret {
        PushSecret(
            metadata: ObjectMeta(name: name),
            spec: PushSecretSpec(
                secretStoreRefs: [PushSecretStoreRef(name: store, kind: .secretStore)], deletionPolicy: .delete,
                selector: PushSecretSelector(secret: PushSecretSecretSelector(name: "source")), data: data))
    }

    static func push(_ secretKey: String, to remoteKey: String, property: String? = nil, metadata: String? = nil)
        throws -> PushSecretData
    {
        PushSecretData(
            match: PushSecretMatch(
                secretKey: secretKey, remoteRef: PushSecretRemoteRef(remoteKey: remoteKey, property: property)),
            metadata: try metadata.map {
                try JSONDecoder().decode(
                    JSONValue.self,
                    from: Data(
                        #"{"apiVersion":"kubernetes.external-secrets.io/v1alpha1","kind":"PushSecretMetadata","spec":\#($0)}"#
                            .utf8))
            })
    }

    @Test func pushSecretsToSecretsManagerAndParameterStore() async throws {
        try await withOperator("aws-push") { setup in
            let (client, namespace, moto, reader) = (setup.client, setup.namespace, setup.moto, setup.fixture.reader)
            let secrets = client.api(Secret.self, namespace: namespace)
            let pushSecrets = client.api(PushSecret.self, namespace: namespace)
            func secretValue(_ name: String) async throws -> Data? {
                let output = try await moto.json(
                    "secretsmanager", "secretsmanager", "GetSecretValue", ["SecretId": name], credentials: reader)
                if let binary = output["SecretBinary"] as? String { return Data(base64Encoded: binary) }
                return (output["SecretString"] as? String).map { Data($0.utf8) }
            }
            func secretGone(_ name: String) async -> Bool {
                (try? await moto.json(
                    "secretsmanager", "secretsmanager", "DescribeSecret", ["SecretId": name], credentials: reader))
                    == nil
            }
            func parameter(_ name: String) async throws -> [String: Any]? {
                let output = try? await moto.json(
                    "ssm", "AmazonSSM", "GetParameter", ["Name": name, "WithDecryption": true], credentials: reader)
                return output?["Parameter"] as? [String: Any]
            }

            // A store that deletes at once, and a secret someone else made.
            var force = AWSProvider(service: .secretsManager, region: MotoServer.region, auth: Self.auth("aws"))
            force.secretsManager = AWSSecretsManagerSettings(forceDeleteWithoutRecovery: true)
            _ = try await client.api(SecretStore.self, namespace: namespace).create(
                SecretStore(
                    metadata: ObjectMeta(name: "sm-force"),
                    spec: SecretStoreSpec(provider: SecretStoreProvider(aws: force))
                ))
            let theirs = "theirs/\(namespace)"
            try await moto.json(
                "secretsmanager", "secretsmanager", "CreateSecret",
                ["Name": theirs, "SecretString": "their-value", "Tags": [["Key": "team", "Value": "other"]]],
                credentials: reader)

            _ = try await secrets.create(
                Secret(
                    metadata: ObjectMeta(name: "source"),
                    data: ["password": Data(canary.utf8), "user": Data("app".utf8)]))
            let single = "pushed/\(namespace)/password"
            let merged = "pushed/\(namespace)/creds"
            let parameterName = "/pushed/\(namespace)/password"
            _ = try await pushSecrets.create(
                Self.pushSecret(
                    "to-sm", store: "sm-force",
                    data: [
                        try Self.push("password", to: single),
                        try Self.push(
                            "user", to: merged, property: "user", metadata: #"{"secretPushFormat":"string"}"#),
                        try Self.push(
                            "password", to: merged, property: "password", metadata: #"{"secretPushFormat":"string"}"#),
                    ]))
            _ = try await pushSecrets.create(
                Self.pushSecret(
                    "to-ssm", store: "ssm",
                    data: [try Self.push("password", to: parameterName, metadata: #"{"secretType":"SecureString"}"#)]))
            _ = try await pushSecrets.create(
                Self.pushSecret("to-theirs", store: "sm", data: [try Self.push("password", to: theirs)]))

            for name in ["to-sm", "to-ssm"] {
                #expect(try await waitForPushReady(client, namespace, name), "\(name): \(setup.process.log.suffix(3000))")
            }
            #expect(try await secretValue(single) == Data(canary.utf8))
            #expect(try await secretValue(merged) == Data(#"{"user":"app","password":"\#(canary)"}"#.utf8))
            var stored = try await parameter(parameterName)
            #expect(stored?["Type"] as? String == "SecureString" && stored?["Value"] as? String == canary)

            // A remote secret without the managed-by tag: Ready False naming it, and left as it was.
            #expect(
                try await waitForPushReady(client, namespace, "to-theirs", status: "False", message: theirs),
                "\(setup.process.log.suffix(3000))")
            let refused = try await pushSecrets.get("to-theirs").status?.conditions?.condition(ofType: "Ready")
            #expect(refused?.message?.contains("not created by a PushSecret") == true, "\(refused?.message ?? "")")
            #expect(try await secretValue(theirs) == Data("their-value".utf8))

            // The source changes: the operator's watch on source Secrets pushes the new value.
            let rotated = "rotated-\(canary)"
            var source = try await secrets.get("source")
            source.data?["password"] = Data(rotated.utf8)
            _ = try await secrets.replace(source)
            #expect(
                try await eventually { try await secretValue(single) == Data(rotated.utf8) },
                "\(setup.process.log.suffix(3000))")
            #expect(
                try await eventually {
                    try await secretValue(merged) == Data(#"{"user":"app","password":"\#(rotated)"}"#.utf8)
                })
            #expect(try await eventually { try await parameter(parameterName)?["Value"] as? String == rotated })
            stored = try await parameter(parameterName)
            #expect(stored?["Version"] as? Int == 2)

            // Deleting the PushSecrets deletes what they wrote (forceDeleteWithoutRecovery: gone at
            // once), and nothing else.
            for name in ["to-sm", "to-ssm", "to-theirs"] { try await pushSecrets.delete(name) }
            for name in ["to-sm", "to-ssm", "to-theirs"] {
                #expect(
                    try await eventually { try await pushSecrets.getIfExists(name) == nil },
                    "\(name): \(setup.process.log.suffix(3000))")
            }
            #expect(await secretGone(single))
            #expect(await secretGone(merged))
            #expect(try await parameter(parameterName) == nil)
            #expect(try await secretValue(theirs) == Data("their-value".utf8))

            #expect(!setup.process.log.contains(canary), "the operator log shows a secret value")
            #expect(try await !eventTexts(client, namespace).joined().contains(canary), "an Event shows a secret value")
        }
    }
}
