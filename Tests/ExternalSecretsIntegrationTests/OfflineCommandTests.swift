import ExternalSecretsAPI
import Foundation
import KubeModel
import OperatorTestSupport
import ProcessTestSupport
import Testing

/// What one run of the `external-secrets` binary printed and how it ended.
struct CommandRun {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs the binary with `arguments` (and `input` on standard input), in `directory`.
func runCommand(
    _ arguments: [String], input: String? = nil, in directory: URL? = nil, environment: [String: String] = [:]
) async throws -> CommandRun {
    let run = try await ChildProcess.run(
        operatorPath, arguments, input: input.map { Data($0.utf8) }, directory: directory?.path,
        environment: environment)
    return CommandRun(status: run.status, stdout: run.stdoutText, stderr: run.stderrText)
}

/// A temporary directory holding `files` (relative path → contents), removed after `body`.
func withFiles<T>(_ files: [String: String], _ body: (URL) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
        "eso-cli-\(UUID().uuidString.prefix(8))")
    defer { try? FileManager.default.removeItem(at: directory) }
    for (path, contents) in files {
        let url = directory.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: url)
    }
    return try await body(directory)
}

/// The offline commands (`validate`, `explain`, `render`) as a user runs them: the binary, files in
/// a temporary directory, golden outputs compared whole, exit statuses.
@Suite struct OfflineCommandTests {
    static let externalSecret = """
        apiVersion: external-secrets.io/v1
        kind: ExternalSecret
        metadata:
          name: db
          namespace: team-a
          labels: {team: a}
        spec:
          refreshInterval: 1h
          secretStoreRef: {name: vault, kind: SecretStore}
          target:
            name: db-credentials
            template:
              type: Opaque
              data:
                dsn: "postgres://{{ .user }}:{{ .password }}@db:5432/app"
                mode: "{{ .cfg_mode }}"
                old: "{{ .old }}"
          data:
          - secretKey: password
            remoteRef: {key: db, property: password}
          - secretKey: user
            remoteRef: {key: db, property: user}
          - secretKey: old
            remoteRef: {key: api-key, version: "1"}
          dataFrom:
          - extract: {key: config}
            rewrite: [{regexp: {source: "(.*)", target: "cfg_$1"}}]
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: unrelated}
        """

    static let store = """
        apiVersion: external-secrets.io/v1
        kind: SecretStore
        metadata: {name: vault, namespace: team-a}
        spec:
          provider:
            vault:
              server: https://vault.example:8200
              path: secret
              version: v2
              auth:
                tokenSecretRef: {name: vault-token, key: token}
        """

    static let values = """
        secrets:
          db: {user: app, password: "\(canary)"}
          config: {mode: prod, replicas: 3}
        versions:
          api-key: {"1": old-key}
        """

    static let invalid = """
        apiVersion: external-secrets.io/v1
        kind: ExternalSecret
        metadata: {name: broken, namespace: team-a}
        spec:
          refreshIntervl: 1h
          secretStoreRef: {name: vault, kind: SecretStor}
          target: {creationPolicy: Merge, deletionPolicy: Delete}
          data:
          - secretKey: password
            remoteRef: {property: password}
          - secretKey: x
            remoteRef: {key: x, decodingStrategy: Base65}
        ---
        apiVersion: external-secrets.io/v1
        kind: ExternalSecret
        metadata: {name: policies, namespace: team-a}
        spec:
          secretStoreRef: {name: vault}
          target: {creationPolicy: Merge, deletionPolicy: Delete}
          data:
          - {secretKey: a, remoteRef: {key: a}}
        ---
        apiVersion: external-secrets.io/v1
        kind: ExternalSecret
        metadata: {name: nodata, namespace: team-a}
        spec:
          secretStoreRef: {name: vault}
        ---
        apiVersion: external-secrets.io/v1
        kind: SecretStore
        metadata: {name: vault2, namespace: team-a}
        spec:
          provider:
            vault: {server: "https://v", path: secret}
        ---
        apiVersion: external-secrets.io/v1beta1
        kind: ExternalSecret
        metadata: {name: old}
        ---
        apiVersion: external-secrets.io/v1
        kind: SecretStore
        metadata: {name: fake, namespace: team-a}
        spec:
          provider:
            fake:
              data:
              - key: ""
                value: "\(canary)"
        ---
        apiVersion: external-secrets.io/v1
        kind: ExternalSecret
        metadata: {name: wrongtype, namespace: team-a}
        spec:
          secretStoreRef: {name: vault}
          data:
          - {secretKey: ["\(canary)"], remoteRef: {key: a}}
        """

    // MARK: - validate

    @Test func validateSaysValidAndSkipsOtherKinds() async throws {
        let run = try await withFiles(["dir/es.yaml": Self.externalSecret, "dir/store.yaml": Self.store]) { directory in
            try await runCommand(["validate", "-f", "dir"], in: directory)
        }
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.stdout == """
                dir/es.yaml: ExternalSecret team-a/db: valid
                dir/store.yaml: SecretStore team-a/vault: valid
                2 objects checked, 0 invalid, 1 of other kinds skipped

                """)
    }

    @Test func validateNamesEveryProblemsFieldAndFails() async throws {
        let run = try await withFiles(["bad.yaml": Self.invalid]) { directory in
            try await runCommand(["validate", "-f", "bad.yaml"], in: directory)
        }
        #expect(run.status == 1)
        #expect(
            run.stdout == """
                bad.yaml: ExternalSecret team-a/broken: spec.data[0].remoteRef.key: required value
                bad.yaml: ExternalSecret team-a/broken: spec.data[1].remoteRef.decodingStrategy: must be one of: Auto, Base64, Base64URL, None
                bad.yaml: ExternalSecret team-a/broken: spec.refreshIntervl: unknown field
                bad.yaml: ExternalSecret team-a/broken: spec.secretStoreRef.kind: must be one of: SecretStore, ClusterSecretStore
                bad.yaml: ExternalSecret team-a/broken: spec.target: not allowed: creationPolicy is one of Merge, None and deletionPolicy is Delete
                bad.yaml: ExternalSecret team-a/policies: spec.target.deletionPolicy: Delete cannot be used with spec.target.creationPolicy Merge
                bad.yaml: ExternalSecret team-a/nodata: either spec.data or spec.dataFrom must be set
                bad.yaml: SecretStore team-a/vault2: spec.provider.vault.auth: is required: set one login method (tokenSecretRef, appRole, kubernetes, jwt, userPass, ldap or cert)
                bad.yaml: ExternalSecret old: apiVersion: external-secrets.io/v1beta1 is not served for ExternalSecret; use external-secrets.io/v1
                bad.yaml: SecretStore team-a/fake: spec.provider.fake.data[0].key: must not be empty
                bad.yaml: ExternalSecret team-a/wrongtype: spec.data[0].secretKey: must be a string, not a list
                7 objects checked, 7 invalid, 0 of other kinds skipped

                """, "\(run.stdout)")
        #expect(!run.stdout.contains(canary) && !run.stderr.contains(canary))
    }

    @Test func validateReadsStandardInputAndWritesJSON() async throws {
        let run = try await runCommand(
            ["validate", "-f", "-", "-o", "json"], input: Self.invalid + "\n---\n" + Self.store)
        #expect(run.status == 1)
        let output = try #require(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(output["valid"] as? Bool == false)
        let objects = try #require(output["objects"] as? [[String: Any]])
        #expect(objects.count == 8)
        #expect(objects.map { $0["source"] as? String } == Array(repeating: "-", count: 8))
        #expect(objects.map { $0["document"] as? Int } == Array(1...8))
        #expect(objects.last?["name"] as? String == "vault" && (objects.last?["problems"] as? [Any])?.isEmpty == true)
        let first = try #require(objects.first?["problems"] as? [[String: String]])
        #expect(first.first == ["field": "spec.data[0].remoteRef.key", "message": "required value"])
        #expect(!run.stdout.contains(canary))
    }

    @Test func validateReportsAnUnparsableFileWithoutItsText() async throws {
        let run = try await runCommand(["validate", "-f", "-"], input: "a: [\n  \"\(canary)\"\nb: {\n")
        #expect(run.status == 1)
        #expect(run.stdout.hasPrefix("-: not valid YAML: line "))
        #expect(!run.stdout.contains(canary) && !run.stderr.contains(canary))
        let missing = try await runCommand(["validate", "-f", "/nonexistent/es.yaml"])
        #expect(missing.status == 1 && missing.stdout.hasPrefix("/nonexistent/es.yaml: no such file or directory"))
        let unknownKind = try await runCommand(
            ["validate", "-f", "-"],
            input: "apiVersion: external-secrets.io/v1\nkind: SecretSink\nmetadata: {name: x}\n")
        #expect(
            unknownKind.status == 1
                && unknownKind.stdout.contains("SecretSink x: kind: SecretSink is not served by this operator"))
        #expect(try await runCommand(["validate"]).status == 64)  // usage error
    }

    static let kes = """
        apiVersion: kubernetes-client.io/v1
        kind: ExternalSecret
        metadata: {name: legacy, namespace: team-a}
        spec:
          backendType: secretsManager
          data:
          - {key: prod/db, name: password, property: password}
          dataFrom: [prod/config]
        ---
        apiVersion: kubernetes-client.io/v1
        kind: ExternalSecret
        metadata: {name: misspelt, namespace: team-a}
        spec:
          backendTyp: vault
          kvVersion: "2"
          data:
          - {key: secret/data/db, name: ["\(canary)"]}
        ---
        apiVersion: kubernetes-client.io/v1
        kind: ExternalSecret
        metadata: {name: unnamed, namespace: team-a}
        spec:
          backendType: vault
          data:
          - {key: secret/data/db, property: password}
        ---
        apiVersion: kubernetes-client.io/v1
        kind: ExternalSecret
        metadata: {name: azure, namespace: team-a}
        spec:
          backendType: azureKeyVault
          keyVaultName: kv
          data:
          - {key: db, name: password}
        ---
        apiVersion: kubernetes-client.io/v1
        kind: ExternalSecret
        metadata: {name: gcp, namespace: team-a}
        spec:
          backendType: gcpSecretsManager
          data:
          - {key: db, name: password}
        ---
        apiVersion: kubernetes-client.io/v1
        kind: ExternalSecret
        metadata: {name: paths, namespace: team-a}
        spec:
          backendType: secretsManager
          data:
          - {path: /prod/, name: all}
        ---
        apiVersion: kubernetes-client.io/v2
        kind: ExternalSecret
        metadata: {name: future, namespace: team-a}
        spec: {backendType: vault}
        """

    /// KES objects are checked against KES's CRD schema and the KES controller's own checks, with
    /// field paths, alongside ESO's kinds (and never confused with ESO's ExternalSecret).
    @Test func validateChecksKESExternalSecrets() async throws {
        let run = try await withFiles(["kes.yaml": Self.kes, "es.yaml": Self.externalSecret]) { directory in
            try await runCommand(["validate", "-f", "kes.yaml", "-f", "es.yaml"], in: directory)
        }
        #expect(run.status == 1)
        #expect(
            run.stdout == """
                kes.yaml: ExternalSecret.kubernetes-client.io team-a/legacy: valid
                kes.yaml: ExternalSecret.kubernetes-client.io team-a/misspelt: spec.backendTyp: unknown field
                kes.yaml: ExternalSecret.kubernetes-client.io team-a/misspelt: spec.data[0].name: must be a string, not a list
                kes.yaml: ExternalSecret.kubernetes-client.io team-a/misspelt: spec.kvVersion: must be an integer, not a string
                kes.yaml: ExternalSecret.kubernetes-client.io team-a/unnamed: spec.data[0].name: is required
                kes.yaml: ExternalSecret.kubernetes-client.io team-a/azure: valid
                kes.yaml: ExternalSecret.kubernetes-client.io team-a/gcp: spec.projectId: is required for backendType gcpSecretsManager
                kes.yaml: ExternalSecret.kubernetes-client.io team-a/paths: spec.data[0].path: is supported for backendType systemManager only
                kes.yaml: ExternalSecret.kubernetes-client.io team-a/future: apiVersion: kubernetes-client.io/v2 is not served for ExternalSecret; use kubernetes-client.io/v1
                es.yaml: ExternalSecret team-a/db: valid
                8 objects checked, 5 invalid, 1 of other kinds skipped

                """, "\(run.stdout)")
        #expect(!run.stdout.contains(canary) && !run.stderr.contains(canary))
    }

    // MARK: - explain

    @Test func explainPrintsTheCRDsDocumentation() async throws {
        let run = try await runCommand(["explain", "es.spec.data.remoteRef.decodingStrategy"])
        #expect(run.status == 0)
        #expect(
            run.stdout == """
                KIND:     ExternalSecret
                VERSION:  external-secrets.io/v1

                FIELD:    decodingStrategy <string>

                DESCRIPTION:
                     How the value is decoded before it is written. `Base64`, `Base64URL`,
                     `Auto` (base64 of either alphabet if the value is valid base64, else as is)
                     or `None` (the default).

                     Allowed values: Auto, Base64, Base64URL, None

                """, "\(run.stdout)")
        let kind = try await runCommand(["explain", "ExternalSecrets"])
        #expect(kind.status == 0 && kind.stdout.contains("FIELDS:\n   apiVersion\t<string>"))
        #expect(kind.stdout.contains("   spec\t<Object> -required-"))
        let list = try await runCommand(["explain", "secretstore.spec.provider.vault.auth.appRole"])
        #expect(list.status == 0 && list.stdout.contains("FIELD:    appRole <Object>"))
        let wrong = try await runCommand(["explain", "es.spec.dat"])
        #expect(wrong.status == 1)
        #expect(
            wrong.stderr
                == "error: field \"dat\" does not exist in spec; its fields: data, dataFrom, refreshInterval, refreshPolicy, secretStoreRef, syncWindows, target\n"
        )
    }

    // MARK: - render

    @Test func renderPrintsTheSecretWithValuesRedacted() async throws {
        let run = try await withFiles([
            "es.yaml": Self.externalSecret, "store.yaml": Self.store, "values.yaml": Self.values,
        ]) { directory in
            try await runCommand(
                ["render", "-f", "es.yaml", "--store", "store.yaml", "--values", "values.yaml"], in: directory)
        }
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.stdout == """
                ---
                apiVersion: v1
                data:
                  dsn: '<redacted: \(34 + canary.count - 7) bytes>'
                  mode: '<redacted: 4 bytes>'
                  old: '<redacted: 7 bytes>'
                kind: Secret
                metadata:
                  annotations:
                    reconcile.external-secrets.io/data-hash: <redacted>
                  labels:
                    reconcile.external-secrets.io/created-by: c7d0bd38cd56c8c15593aee43a4d993d349bf4b2f1e738e457215340
                    reconcile.external-secrets.io/managed: 'true'
                  name: db-credentials
                  namespace: team-a
                type: Opaque

                """, "\(run.stdout)")
        #expect(!run.stdout.contains(canary) && !run.stderr.contains(canary))
    }

    @Test func renderShowsValuesWhenAsked() async throws {
        let run = try await withFiles([
            "es.yaml": Self.externalSecret, "store.yaml": Self.store, "values.yaml": Self.values,
        ]) { directory in
            try await runCommand(
                [
                    "render", "-f", "es.yaml", "--store", "store.yaml", "--values", "values.yaml", "--show-values",
                    "-o", "json",
                ],
                in: directory)
        }
        #expect(run.status == 0, "\(run.stderr)")
        let secret = try JSONDecoder().decode(KubeModel.Secret.self, from: Data(run.stdout.utf8))
        #expect(secret.data?["dsn"] == Data("postgres://app:\(canary)@db:5432/app".utf8))
        #expect(secret.data?["mode"] == Data("prod".utf8))
        #expect(secret.data?["old"] == Data("old-key".utf8))
        #expect(secret.metadata.annotations?["reconcile.external-secrets.io/data-hash"]?.count == 56)
    }

    @Test func renderErrorsNameTheFieldAndFail() async throws {
        let cases: [(String, String, [String], String)] = [
            (
                "a property the value does not have",
                Self.externalSecret.replacingOccurrences(of: "property: user}", with: "property: usr}"),
                ["--values", "values.yaml"],
                "error: ExternalSecret team-a/db: spec.data[1].remoteRef.property: property \"usr\" does not exist\n"
            ),
            (
                "a version the values do not have",
                Self.externalSecret.replacingOccurrences(of: "version: \"1\"", with: "version: \"2\""),
                ["--values", "values.yaml"],
                "error: ExternalSecret team-a/db: spec.data[2].remoteRef.version: secret \"api-key\" version \"2\" not found\n"
            ),
            (
                "a store that was not given",
                Self.externalSecret.replacingOccurrences(of: "name: vault, kind", with: "name: other, kind"),
                ["--values", "values.yaml"],
                "error: ExternalSecret team-a/db: spec.secretStoreRef: SecretStore \"other\" was not given (--store)\n"
            ),
            (
                "a template that fails",
                Self.externalSecret.replacingOccurrences(
                    of: "{{ .cfg_mode }}", with: "{{ .cfg_mode | nosuchfunction }}"),
                ["--values", "values.yaml"],
                ""
            ),
            (
                "a real provider without values",
                Self.externalSecret, [],
                "error: ExternalSecret team-a/db: SecretStore/team-a/vault uses provider vault: give its values with --values, or read them with --live\n"
            ),
        ]
        for (what, es, arguments, expected) in cases {
            let run = try await withFiles(["es.yaml": es, "store.yaml": Self.store, "values.yaml": Self.values]) {
                directory in
                try await runCommand(["render", "-f", "es.yaml", "--store", "store.yaml"] + arguments, in: directory)
            }
            #expect(run.status == 1, "\(what)")
            #expect(run.stdout.isEmpty, "\(what)")
            if expected.isEmpty {
                #expect(
                    run.stderr.hasPrefix("error: ExternalSecret team-a/db: spec.target.template"),
                    "\(what): \(run.stderr)")
            } else {
                #expect(run.stderr == expected, "\(what)")
            }
            #expect(!run.stderr.contains(canary), "\(what)")
        }
    }

    /// A KES object renders as the KES controller writes it: KES's environment (AWS_REGION) for
    /// the backend, `property`, `dataFrom`, the template merged in, the KES object as owner.
    @Test func renderWritesKESObjectsAsTheKESController() async throws {
        let kes = """
            apiVersion: kubernetes-client.io/v1
            kind: ExternalSecret
            metadata: {name: legacy, namespace: team-a, uid: 0d5f1c9e-0000-4000-8000-000000000001}
            spec:
              backendType: secretsManager
              data:
              - {key: db, name: password, property: password}
              dataFrom: [config]
              template:
                type: kubernetes.io/basic-auth
                metadata: {labels: {team: db}}
                stringData: {username: "<%= data.mode %>-user"}
            """
        let run = try await withFiles(["kes.yaml": kes, "values.yaml": Self.values]) { directory in
            try await runCommand(
                ["render", "-f", "kes.yaml", "--values", "values.yaml", "--show-values", "-o", "json"], in: directory,
                environment: ["AWS_REGION": "eu-west-1"])
        }
        #expect(run.status == 0, "\(run.stderr)")
        let secret = try JSONDecoder().decode(KubeModel.Secret.self, from: Data(run.stdout.utf8))
        #expect(
            secret.data == [
                "password": Data(canary.utf8), "mode": Data("prod".utf8), "replicas": Data("3".utf8),
                "username": Data("prod-user".utf8),
            ])
        #expect(secret.type == "kubernetes.io/basic-auth")
        #expect(secret.metadata.name == "legacy" && secret.metadata.namespace == "team-a")
        #expect(secret.metadata.labels?["team"] == "db")
        let owner = secret.metadata.ownerReferences?.first
        #expect(owner?.apiVersion == "kubernetes-client.io/v1" && owner?.kind == "ExternalSecret")
        #expect(owner?.name == "legacy" && owner?.controller == true)

        // An object the KES controller refuses: its status message, exit 1.
        let refused = try await withFiles([
            "kes.yaml": kes.replacingOccurrences(of: "backendType: secretsManager", with: "backendType: vault\n  kvVersion: 3"),
            "values.yaml": Self.values,
        ]) {
            try await runCommand(
                ["render", "-f", "kes.yaml", "--values", "values.yaml"], in: $0,
                environment: ["VAULT_ADDR": "https://vault.example", "DEFAULT_VAULT_ROLE": "reader"])
        }
        #expect(refused.status == 1)
        #expect(
            refused.stderr == "error: ExternalSecret.kubernetes-client.io team-a/legacy: spec.kvVersion must be 1 or 2\n",
            "\(refused.stderr)")
        #expect(!run.stderr.contains(canary) && !refused.stderr.contains(canary))
    }

    @Test func renderSkipsMissingSecretsUnderDeletionPolicyDeleteAndSaysSo() async throws {
        let es = """
            apiVersion: external-secrets.io/v1
            kind: ExternalSecret
            metadata: {name: partial}
            spec:
              secretStoreRef: {name: fake}
              target: {deletionPolicy: Delete}
              data:
              - {secretKey: present, remoteRef: {key: present}}
              - {secretKey: absent, remoteRef: {key: absent}}
            """
        let store = """
            apiVersion: external-secrets.io/v1
            kind: SecretStore
            metadata: {name: fake}
            spec: {provider: {fake: {data: [{key: present, value: "\(canary)"}]}}}
            """
        let run = try await withFiles(["es.yaml": es, "store.yaml": store]) { directory in
            try await runCommand(
                ["render", "-f", "es.yaml", "--store", "store.yaml", "--namespace", "apps"], in: directory)
        }
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.stderr
                == "note: ExternalSecret apps/partial: remote secret of spec.data[1] (absent) does not exist; skipped\n"
        )
        #expect(run.stdout.contains("  present: '<redacted: \(canary.count) bytes>'"))
        #expect(run.stdout.contains("  namespace: apps"))
        #expect(!run.stdout.contains("absent"))
    }

    @Test func renderReadsTemplateFromObjectsGivenWithF() async throws {
        let files = """
            apiVersion: external-secrets.io/v1
            kind: ExternalSecret
            metadata: {name: app, namespace: apps}
            spec:
              secretStoreRef: {name: fake}
              target:
                template:
                  templateFrom:
                  - configMap:
                      name: app-template
                      items: [{key: config.yaml}]
              data:
              - {secretKey: password, remoteRef: {key: db, property: password}}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: app-template, namespace: apps}
            data:
              config.yaml: |
                db:
                  password: {{ .password | quote }}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: app-template, namespace: elsewhere}
            data: {config.yaml: "wrong namespace"}
            ---
            apiVersion: external-secrets.io/v1
            kind: SecretStore
            metadata: {name: fake, namespace: apps}
            spec: {provider: {fake: {data: [{key: db, value: '{"password":"\(canary)"}'}]}}}
            """
        let run = try await withFiles(["app.yaml": files]) { directory in
            try await runCommand(["render", "-f", "app.yaml", "--show-values", "-o", "json"], in: directory)
        }
        #expect(run.status == 0, "\(run.stderr)")
        let secret = try JSONDecoder().decode(KubeModel.Secret.self, from: Data(run.stdout.utf8))
        #expect(secret.data == ["config.yaml": Data("db:\n  password: \"\(canary)\"\n".utf8)])

        // The template's ConfigMap must be in the ExternalSecret's namespace, as in the controller.
        let elsewhere = try await withFiles([
            "app.yaml": files.replacingOccurrences(
                of: "name: app-template, namespace: apps", with: "name: app-template, namespace: other")
        ]) { directory in
            try await runCommand(["render", "-f", "app.yaml"], in: directory)
        }
        #expect(elsewhere.status == 1)
        #expect(
            elsewhere.stderr.hasPrefix(
                "error: ExternalSecret apps/app: spec.target.template.templateFrom[0].configMap: ConfigMap \"app-template\" not found"
            ), "\(elsewhere.stderr)")
    }
}
