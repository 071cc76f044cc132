import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import KubeClient
import KubeModel
import KubeTestSupport
import OperatorTestSupport
import Testing

/// The Webhook generator through the operator (a process on the real control plane) against the
/// secrets API served by the test: a ClusterGenerator and a namespaced Webhook generator, their
/// Secrets read in the ExternalSecret's namespace, and an endpoint error in the status.
@Suite(.controlPlane, .serialized)
struct WebhookGeneratorOperatorTests {
    static func generated(_ name: String, kind: String, generator: String) -> ExternalSecret {
        ExternalSecret(
            metadata: ObjectMeta(name: name),
            spec: ExternalSecretSpec(
                refreshInterval: "1h",
                dataFrom: [
                    ExternalSecretDataFromRemoteRef(
                        sourceRef: StoreSourceRef(generatorRef: GeneratorRef(kind: kind, name: generator)))
                ]))
    }

    @Test func anExternalSecretGetsTheWebhookAnswerThroughAClusterGenerator() async throws {
        let plane = try currentPlane()
        let token = "token-\(UUID().uuidString.prefix(8))"
        let server = SecretsAPIServer(token: token, values: ["db": ["user": "app", "password": "pw-\(canary)"]])
        try await server.start()
        defer { Task { await server.stop() } }
        try await withAdminClient { client in
            try await installCRDs(client)
            let namespace = try await makeNamespace(client, prefix: "webhook-gen")
            let secrets = client.api(Secret.self, namespace: namespace)
            _ = try await secrets.create(
                Secret(
                    metadata: ObjectMeta(name: "hook-auth", labels: ["external-secrets.io/type": "webhook"]),
                    data: ["token": Data(token.utf8)]))
            let clusterName = "\(namespace)-hook"
            _ = try await client.api(ClusterGenerator.self).create(
                ClusterGenerator(
                    metadata: ObjectMeta(name: clusterName),
                    spec: ClusterGeneratorSpec(
                        kind: "Webhook",
                        generator: [
                            "webhookSpec": [
                                "url": .string("\(server.url)/secrets/db"),
                                "headers": ["Authorization": "Bearer {{ .auth.token }}"],
                                "result": ["jsonPath": "$.data"],
                                "secrets": [["name": "auth", "secretRef": ["name": "hook-auth"]]],
                            ]
                        ])))
            _ = try await client.api(WebhookGenerator.self, namespace: namespace).create(
                WebhookGenerator(
                    metadata: ObjectMeta(name: "broken"),
                    spec: WebhookSpec(url: "\(server.url)/status/500", result: WebhookResult(jsonPath: "$.data"))))
            let externalSecrets = client.api(ExternalSecret.self, namespace: namespace)
            _ = try await externalSecrets.create(
                Self.generated("made", kind: "ClusterGenerator", generator: clusterName))
            _ = try await externalSecrets.create(Self.generated("broken", kind: "Webhook", generator: "broken"))

            try await runOperator(plane, name: "webhook-gen", arguments: ["--namespace", namespace]) { process in
                #expect(try await waitForReady(client, namespace, "made"), "\(process.log.suffix(3000))")
                #expect(
                    try await secrets.get("made").data == [
                        "user": Data("app".utf8), "password": Data("pw-\(canary)".utf8),
                    ])

                #expect(
                    try await waitForReady(
                        client, namespace, "broken", status: "False", reason: ESOReason.secretSyncedError),
                    "\(process.log.suffix(2000))")
                let message = try await readyCondition(client, namespace, "broken")?.message ?? ""
                #expect(message.contains("500"), "\(message)")
                #expect(try await secrets.getIfExists("broken") == nil)

                #expect(!process.log.contains(canary), "the operator log contains a generated value")
                #expect(!process.log.contains(token), "the operator log contains the bearer token")
                #expect(
                    try await eventTexts(client, namespace).allSatisfy { !$0.contains(canary) && !$0.contains(token) })
            }
            try await client.api(ClusterGenerator.self).delete(clusterName)
        }
    }
}
