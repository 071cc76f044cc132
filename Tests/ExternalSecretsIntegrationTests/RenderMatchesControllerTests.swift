import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import KubeClient
import KubeModel
import KubeTestSupport
import OperatorTestSupport
import Testing

/// (ExternalSecretSyncTests, sharing its control plane.) `external-secrets render` goes through
/// the controller's own steps: for each case the controller syncs, the offline render of the same
/// ExternalSecret (as the server holds it) and store equals the Secret the controller wrote.
extension ExternalSecretSyncTests {
    static let renderCases: [String] = [
        // data: whole value, a property, a version, Base64 decoding, a target name, the
        // ExternalSecret's own labels and annotations copied.
        """
        apiVersion: external-secrets.io/v1
        kind: ExternalSecret
        metadata: {name: plain, labels: {team: a}, annotations: {note: copied}}
        spec:
          secretStoreRef: {name: fake}
          target: {name: plain-target}
          data:
          - {secretKey: whole, remoteRef: {key: db}}
          - {secretKey: password, remoteRef: {key: db, property: password}}
          - {secretKey: old, remoteRef: {key: token, version: "1"}}
          - {secretKey: decoded, remoteRef: {key: encoded, decodingStrategy: Base64}}
        """,
        // dataFrom: extract with a regexp rewrite, then find by name; data wins over dataFrom.
        """
        apiVersion: external-secrets.io/v1
        kind: ExternalSecret
        metadata: {name: datafrom}
        spec:
          secretStoreRef: {name: fake}
          dataFrom:
          - extract: {key: db}
            rewrite: [{regexp: {source: "(.*)", target: "db_$1"}}]
          - find: {name: {regexp: "^tok"}}
          data:
          - {secretKey: db_user, remoteRef: {key: token}}
        """,
        // A template: data, labels and annotations, type; mergePolicy Merge keeps fetched keys.
        """
        apiVersion: external-secrets.io/v1
        kind: ExternalSecret
        metadata: {name: templated}
        spec:
          secretStoreRef: {name: fake}
          target:
            template:
              type: kubernetes.io/basic-auth
              mergePolicy: Merge
              metadata: {labels: {rendered: "yes"}, annotations: {kind: basic}}
              data:
                username: "{{ .user | upper }}"
                password: "{{ .password }}-{{ .user | b64enc }}"
          dataFrom:
          - extract: {key: db}
        """,
        // Decoding: Auto on data, Base64 on a find; an immutable target.
        """
        apiVersion: external-secrets.io/v1
        kind: ExternalSecret
        metadata: {name: decoding}
        spec:
          secretStoreRef: {name: fake}
          target: {immutable: true}
          data:
          - {secretKey: auto, remoteRef: {key: encoded, decodingStrategy: Auto}}
          - {secretKey: plain, remoteRef: {key: token}}
          dataFrom:
          - find: {name: {regexp: "^enc"}, decodingStrategy: Base64}
            rewrite: [{regexp: {source: "^enc(.*)", target: "found_$1"}}]
        """,
        // A transform rewrite (a template over each key), then a template that reads the rewritten keys.
        """
        apiVersion: external-secrets.io/v1
        kind: ExternalSecret
        metadata: {name: transformed}
        spec:
          secretStoreRef: {name: fake}
          target:
            template:
              data:
                summary: "{{ .key_user }}:{{ .key_password | sha256sum }}"
          dataFrom:
          - extract: {key: db}
            rewrite: [{transform: {template: "key_{{ .value }}"}}]
        """,
        // Template keys from a literal templateFrom, with the default mergePolicy (Replace).
        """
        apiVersion: external-secrets.io/v1
        kind: ExternalSecret
        metadata: {name: literal}
        spec:
          secretStoreRef: {name: fake}
          target:
            template:
              templateFrom:
              - literal: "config.json: '{{ dict `u` .user `p` .password | toJson }}'"
          dataFrom:
          - extract: {key: db}
        """,
    ]

    @Test func offlineRenderEqualsTheSecretTheControllerWrote() async throws {
        let storeData = [
            FakeProviderData(key: "db", value: #"{"user":"app","password":"\#(canary)"}"#),
            FakeProviderData(key: "token", value: "token-\(canary)"),
            FakeProviderData(key: "token", value: "old-\(canary)", version: "1"),
            FakeProviderData(key: "encoded", value: Data("bin-\(canary)".utf8).base64EncodedString()),
        ]
        try await withOperator("render", storeData: storeData) { client, namespace, process in
            let externalSecrets = client.api(ExternalSecret.self, namespace: namespace)
            for text in Self.renderCases {
                _ = try await externalSecrets.create(try #require(ManifestYAML.parse(text).first).decode(as: ExternalSecret.self))
            }
            let store = try await client.api(SecretStore.self, namespace: namespace).get("fake")
            for text in Self.renderCases {
                let name = try #require(ManifestYAML.parse(text).first?["metadata"]?["name"]?.stringValue)
                #expect(try await waitForReady(client, namespace, name), "log: \(process.log.suffix(3000))")
                let es = try await externalSecrets.get(name)
                let written = try await client.api(Secret.self, namespace: namespace).get(SecretWritePlanner.targetName(of: es))

                let run = try await withFiles([
                    "es.json": String(decoding: try JSONEncoder().encode(es), as: UTF8.self),
                    "store.json": String(decoding: try JSONEncoder().encode(store), as: UTF8.self),
                ]) { directory in
                    try await runCommand(
                        ["render", "-f", "es.json", "--store", "store.json", "--show-values", "-o", "json"], in: directory)
                }
                #expect(run.status == 0, "\(name): \(run.stderr)")
                let rendered = try JSONDecoder().decode(Secret.self, from: Data(run.stdout.utf8))
                // Compared as Data (printed as byte counts), never as text.
                #expect(rendered.data == written.data, "\(name): data differs")
                #expect(rendered.type == written.type, "\(name)")
                #expect(rendered.metadata.labels == written.metadata.labels, "\(name)")
                #expect(rendered.metadata.annotations == written.metadata.annotations, "\(name)")
                #expect(rendered.metadata.ownerReferences == written.metadata.ownerReferences, "\(name)")
                #expect(rendered.metadata.name == written.metadata.name && rendered.metadata.namespace == namespace)
                #expect(rendered.immutable == written.immutable)
                #expect(!run.stderr.contains(canary))
            }
        }
    }
}
