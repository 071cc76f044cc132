import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import KubeModel
import ProviderKit
import Testing

/// KES (`kubernetes-client.io/v1`) support, the pure parts: configuration from KES's environment,
/// the mapping onto ESO's model, templates, namespace guards, the poll schedule and the Secret's
/// owner.
struct KESTests {
    static let configuration = KESConfiguration(
        awsRegion: "eu-west-1", vaultAddress: "http://127.0.0.1:8200", defaultVaultMountPoint: "k8s",
        defaultVaultRole: "reader")

    static func object(_ spec: KESExternalSecretSpec, name: String = "my-secret") -> KESExternalSecret {
        var object = KESExternalSecret(metadata: ObjectMeta(name: name, namespace: "team"), spec: spec)
        object.metadata.uid = "uid-kes"
        object.metadata.generation = 3
        return object
    }

    // MARK: - Configuration

    @Test func configurationComesFromKESVariables() throws {
        let configuration = try KESConfiguration(environment: [
            "AWS_DEFAULT_REGION": "us-east-2", "VAULT_ADDR": "https://vault:8200", "DEFAULT_VAULT_MOUNT_POINT": "kube",
            "DEFAULT_VAULT_ROLE": "kes", "POLLER_INTERVAL_MILLISECONDS": "2500", "WATCHED_NAMESPACES": "a, b,,c",
        ])
        #expect(configuration.awsRegion == "us-east-2")
        #expect(configuration.vaultAddress == "https://vault:8200")
        #expect(configuration.defaultVaultMountPoint == "kube")
        #expect(configuration.defaultVaultRole == "kes")
        #expect(configuration.pollerInterval == .milliseconds(2500))
        #expect(configuration.watchedNamespaces == ["a", "b", "c"])
        #expect(configuration.watches(namespace: "b") && !configuration.watches(namespace: "d"))
    }

    @Test func awsRegionWinsOverDefaultRegionAndDefaultsApply() throws {
        let configuration = try KESConfiguration(environment: ["AWS_REGION": "eu-central-1", "AWS_DEFAULT_REGION": "x"])
        #expect(configuration.awsRegion == "eu-central-1")
        #expect(configuration.pollerInterval == .seconds(10))
        #expect(configuration.watches(namespace: "any"))
    }

    @Test(arguments: ["0", "-5", "ten"]) func invalidPollerIntervalIsRefused(_ text: String) {
        #expect(throws: KESConfiguration.InvalidVariable.self) {
            try KESConfiguration(environment: ["POLLER_INTERVAL_MILLISECONDS": text])
        }
    }

    // MARK: - Mapping

    /// The seed's manifest: Secrets Manager, the region from the operator's environment.
    @Test func seedManifestMapsToSecretsManagerRead() throws {
        let mapped = try KESMapping.map(
            Self.object(
                KESExternalSecretSpec(
                    backendType: .secretsManager, data: [KESDataEntry(key: "prod/db-password", name: "password")])),
            configuration: Self.configuration)
        #expect(mapped.store.provider.aws == AWSProvider(service: .secretsManager, region: "eu-west-1"))
        #expect(mapped.externalSecret.spec.data == [
            ExternalSecretData(secretKey: "password", remoteRef: ExternalSecretDataRemoteRef(key: "prod/db-password"))
        ])
        #expect(mapped.externalSecret.spec.target?.name == "my-secret")
        #expect(mapped.externalSecret.spec.target?.creationPolicy == .owner)
        #expect(mapped.owner == SecretOwner(apiVersion: "kubernetes-client.io/v1", kind: "ExternalSecret", name: "my-secret", uid: "uid-kes"))
        #expect(mapped.remoteKeys == ["prod/db-password"])
        #expect(mapped.storeName.hasPrefix("kes-secretsmanager-"))
        let context = mapped.storeContext(callerNamespace: "team")
        #expect(context.spec == mapped.store && context.callerNamespace == "team" && context.uid == mapped.storeName)
    }

    @Test func sameConfigurationSharesOneStoreAndAnotherDoesNot() throws {
        let spec = KESExternalSecretSpec(backendType: .secretsManager, data: [KESDataEntry(key: "k", name: "n")])
        var other = spec
        other.roleArn = "arn:aws:iam::123456789012:role/reader"
        let first = try KESMapping.map(Self.object(spec, name: "a"), configuration: Self.configuration)
        let second = try KESMapping.map(Self.object(spec, name: "b"), configuration: Self.configuration)
        let third = try KESMapping.map(Self.object(other, name: "c"), configuration: Self.configuration)
        #expect(first.storeName == second.storeName)
        #expect(first.storeName != third.storeName)
        #expect(third.store.provider.aws?.role == other.roleArn && third.roleArn == other.roleArn)
    }

    @Test func versionsPropertiesAndDataFromCarryOver() throws {
        let mapped = try KESMapping.map(
            Self.object(
                KESExternalSecretSpec(
                    backendType: .secretsManager,
                    data: [
                        KESDataEntry(key: "db", name: "previous", property: "password", versionStage: "AWSPREVIOUS"),
                        KESDataEntry(key: "db", name: "pinned", version: "0123-abcd"),
                    ],
                    dataFrom: ["bundle"], dataFromWithOptions: [KESDataEntry(key: "old-bundle", versionStage: "AWSPREVIOUS")],
                    region: "ap-south-1")),
            configuration: Self.configuration)
        #expect(mapped.store.provider.aws?.region == "ap-south-1")
        #expect(mapped.externalSecret.spec.data?.map(\.remoteRef) == [
            ExternalSecretDataRemoteRef(key: "db", property: "password", version: "AWSPREVIOUS"),
            ExternalSecretDataRemoteRef(key: "db", version: "uuid/0123-abcd"),
        ])
        #expect(mapped.externalSecret.spec.dataFrom?.map(\.extract) == [
            ExternalSecretDataRemoteRef(key: "bundle"), ExternalSecretDataRemoteRef(key: "old-bundle", version: "AWSPREVIOUS"),
        ])
        #expect(mapped.remoteKeys == ["db", "db", "bundle", "old-bundle"])
    }

    @Test(arguments: [(false, "^/app/db/[^/]+$"), (true, "^/app/db/")])
    func systemManagerPathReadsParametersUnderIt(recursive: Bool, expectedPattern: String) throws {
        let mapped = try KESMapping.map(
            Self.object(
                KESExternalSecretSpec(
                    backendType: .systemManager, data: [KESDataEntry(path: "/app/db/", recursive: recursive)])),
            configuration: Self.configuration)
        #expect(mapped.store.provider.aws?.service == .parameterStore)
        let entry = try #require(mapped.externalSecret.spec.dataFrom?.first)
        #expect(entry.find?.path == "/app/db")
        #expect(entry.find?.name?.regexp == expectedPattern)
        #expect(entry.rewrite == [ExternalSecretRewrite(regexp: RewriteRegexp(source: "^.*/([^/]+)$", target: "$1"))])
    }

    @Test func vaultUsesTheOperatorsDefaultsAndOwnToken() throws {
        let mapped = try KESMapping.map(
            Self.object(KESExternalSecretSpec(backendType: .vault, data: [KESDataEntry(key: "secret/data/db", name: "p", property: "password")])),
            configuration: Self.configuration)
        let vault = try #require(mapped.store.provider.vault)
        #expect(vault.server == "http://127.0.0.1:8200")
        #expect(vault.version == .v2)
        #expect(vault.auth?.kubernetes == VaultKubernetesAuth(mountPath: "k8s", role: "reader"))
        let own = try KESMapping.map(
            Self.object(
                KESExternalSecretSpec(
                    backendType: .vault, data: [KESDataEntry(key: "kv/db", name: "p")], vaultMountPoint: "other",
                    vaultRole: "writer", kvVersion: 1)),
            configuration: Self.configuration)
        #expect(own.store.provider.vault?.auth?.kubernetes == VaultKubernetesAuth(mountPath: "other", role: "writer"))
        #expect(own.store.provider.vault?.version == .v1)
    }

    @Test(arguments: [
        (KESExternalSecretSpec(data: [KESDataEntry(key: "k", name: "n")]), "spec.backendType is required"),
        (KESExternalSecretSpec(backendType: .azureKeyVault, data: [KESDataEntry(key: "k", name: "n")]), "spec.keyVaultName is required"),
        (KESExternalSecretSpec(backendType: .secretsManager), "at least one key"),
        (KESExternalSecretSpec(backendType: .secretsManager, data: [KESDataEntry(key: "k")]), "spec.data[0].name"),
        (KESExternalSecretSpec(backendType: .secretsManager, data: [KESDataEntry(path: "/p")]), "systemManager only"),
        (KESExternalSecretSpec(backendType: .vault, data: [KESDataEntry(key: "k", name: "n")], kvVersion: 3), "kvVersion"),
        (KESExternalSecretSpec(backendType: .gcpSecretsManager, data: [KESDataEntry(key: "k", name: "n")]), "projectId"),
        (
            KESExternalSecretSpec(
                backendType: .secretsManager, data: [KESDataEntry(key: "k", name: "n")],
                template: ["stringData": ["x": "<%= require('fs') %>"]]), "spec.template: stringData.x"
        ),
    ])
    func unusableObjectsAreRefusedWithAReason(spec: KESExternalSecretSpec, reason: String) {
        let error = #expect(throws: KESMappingError.self) {
            try KESMapping.map(Self.object(spec), configuration: Self.configuration)
        }
        #expect(error?.message.contains(reason) == true, "\(error?.message ?? "no error")")
    }

    @Test func regionIsRequiredSomewhere() {
        #expect(throws: KESMappingError.self) {
            try KESMapping.map(
                Self.object(KESExternalSecretSpec(backendType: .secretsManager, data: [KESDataEntry(key: "k", name: "n")])),
                configuration: KESConfiguration())
        }
    }

    // MARK: - Templates

    @Test func templateInterpolatesFetchedValuesAndMergesMetadata() throws {
        let template = try KESTemplate(
            parsing: [
                "metadata": ["labels": ["app": "db"], "annotations": ["note": "kes"]],
                "type": "kubernetes.io/basic-auth",
                "stringData": ["url": "postgres://app:<%= data.password %>@db/<%=data['db-name']%>"],
            ])
        let rendered = try template.render(
            over: ["password": Data("pw".utf8), "db-name": Data("main".utf8)], defaultType: "Opaque")
        #expect(rendered.data["url"] == Data("postgres://app:pw@db/main".utf8))
        #expect(rendered.data["password"] == Data("pw".utf8))
        #expect(rendered.labels == ["app": "db"] && rendered.annotations == ["note": "kes"])
        #expect(rendered.type == "kubernetes.io/basic-auth")
        let plain = try KESTemplate(parsing: ["data": ["fixed": "text"]]).render(over: [:], defaultType: "Opaque")
        #expect(plain.type == "Opaque" && plain.data["fixed"] == Data("text".utf8))
    }

    @Test(arguments: [
        "<% for (;;) {} %>", "<%- data.x %>", "<%= data.x.toUpperCase() %>", "<%= process.env.HOME %>",
        "<%= data['a' + 'b'] %>", "<%= data.x", "<%= yaml.dump(data) %>",
    ])
    func codeInTemplatesIsNeverRun(_ text: String) {
        #expect(throws: KESTemplate.Problem.self) { try KESTemplate(parsing: ["stringData": ["k": .string(text)]]) }
    }

    @Test func interpolatingAKeyNotFetchedIsRefused() throws {
        let template = try KESTemplate(parsing: ["stringData": ["k": "<%= data.missing %>"]])
        #expect(throws: KESTemplate.Problem.self) { try template.render(over: ["other": Data()], defaultType: nil) }
    }

    // MARK: - Namespace guards

    @Test func namespaceAnnotationsGuardRolesAndKeys() {
        let guardrail = KESNamespaceGuard(namespaceAnnotations: [
            KESNamespaceGuard.permittedRoleAnnotation: "^arn:aws:iam::123456789012:role/team-.*$",
            KESNamespaceGuard.permittedKeyAnnotation: "^team/",
        ])
        #expect(guardrail.refusal(roleArn: nil, remoteKeys: ["team/db"], namespace: "t") == nil)
        #expect(guardrail.refusal(roleArn: "arn:aws:iam::123456789012:role/team-a", remoteKeys: ["team/db"], namespace: "t") == nil)
        let role = guardrail.refusal(roleArn: "arn:aws:iam::123456789012:role/admin", remoteKeys: ["team/db"], namespace: "t")
        #expect(role?.contains("does not allow to assume role arn:aws:iam::123456789012:role/admin") == true)
        let key = guardrail.refusal(roleArn: nil, remoteKeys: ["team/db", "prod/db"], namespace: "t")
        #expect(key?.contains("does not allow to read key prod/db") == true)
        #expect(KESNamespaceGuard(namespaceAnnotations: [:]).refusal(roleArn: "any", remoteKeys: ["any"], namespace: "t") == nil)
        let broken = KESNamespaceGuard(namespaceAnnotations: [KESNamespaceGuard.permittedKeyAnnotation: "("])
        #expect(broken.refusal(roleArn: nil, remoteKeys: ["k"], namespace: "t") != nil)
    }

    /// ENFORCE_NAMESPACE_ANNOTATIONS (set, whatever its value): missing annotations refuse, with
    /// KES's messages; an empty role expression admits every role.
    @Test func enforcedNamespaceAnnotationsRefuseWhatIsMissing() throws {
        #expect(try KESConfiguration(environment: ["ENFORCE_NAMESPACE_ANNOTATIONS": ""]).enforceNamespaceAnnotations)
        #expect(try !KESConfiguration(environment: [:]).enforceNamespaceAnnotations)
        let none = KESNamespaceGuard(namespaceAnnotations: [:], enforce: true)
        #expect(none.refusal(roleArn: nil, remoteKeys: ["k"], namespace: "t") == "Namespace annotation is required")
        let other = KESNamespaceGuard(namespaceAnnotations: ["team": "a"], enforce: true)
        #expect(
            other.refusal(roleArn: nil, remoteKeys: ["k"], namespace: "t")
                == "Missing required annotation externalsecrets.kubernetes-client.io/permitted-key-name on namespace t")
        let keysOnly = KESNamespaceGuard(
            namespaceAnnotations: [KESNamespaceGuard.permittedKeyAnnotation: "^k"], enforce: true)
        #expect(keysOnly.refusal(roleArn: nil, remoteKeys: ["k"], namespace: "t") == nil)
        #expect(
            keysOnly.refusal(roleArn: "reader", remoteKeys: ["k"], namespace: "t")
                == "Missing required annotation iam.amazonaws.com/permitted on namespace t")
        let anyRole = KESNamespaceGuard(
            namespaceAnnotations: [
                KESNamespaceGuard.permittedKeyAnnotation: "^k", KESNamespaceGuard.permittedRoleAnnotation: "",
            ], enforce: true)
        #expect(anyRole.refusal(roleArn: "reader", remoteKeys: ["k"], namespace: "t") == nil)
    }

    /// KES checked `roleArn || vaultRole` against the role annotation; so does the mapping.
    @Test func vaultRoleIsTheRoleTheGuardChecks() throws {
        let vault = try KESMapping.map(
            Self.object(
                KESExternalSecretSpec(
                    backendType: .vault, data: [KESDataEntry(key: "secret/data/db", name: "p")], vaultRole: "admin")),
            configuration: KESConfiguration(vaultAddress: "https://vault:8200", defaultVaultRole: "kes"))
        #expect(vault.roleArn == "admin")
        let defaulted = try KESMapping.map(
            Self.object(KESExternalSecretSpec(backendType: .vault, data: [KESDataEntry(key: "secret/data/db", name: "p")])),
            configuration: KESConfiguration(vaultAddress: "https://vault:8200", defaultVaultRole: "kes"))
        #expect(defaulted.roleArn == nil)
    }

    /// azureKeyVault: KES's vault URL and cloud names; the operator's identity as KES's
    /// DefaultAzureCredential found it (workload identity, else a managed identity); a client
    /// secret in the environment is refused.
    @Test func azureKeyVaultMapsOntoTheOperatorsAzureIdentity() throws {
        let object = Self.object(
            KESExternalSecretSpec(
                backendType: .azureKeyVault, data: [KESDataEntry(key: "db-password", name: "password")],
                keyVaultName: "team-kv"))
        let managed = try KESMapping.map(object, configuration: KESConfiguration(environment: ["AZURE_CLIENT_ID": "id-1"]))
        #expect(managed.store.provider.azurekv?.vaultUrl == "https://team-kv.vault.azure.net")
        #expect(managed.store.provider.azurekv?.authType == "ManagedIdentity")
        #expect(managed.store.provider.azurekv?.identityId == "id-1")
        #expect(managed.store.provider.azurekv?.environmentType == "PublicCloud")
        #expect(managed.externalSecret.spec.data?.first?.remoteRef.key == "db-password")
        let federated = try KESMapping.map(
            object,
            configuration: KESConfiguration(environment: [
                "AZURE_FEDERATED_TOKEN_FILE": "/var/run/token", "AZURE_CLIENT_SECRET": "x",
                "AZURE_ENVIRONMENT": "AzureChinaCloud", "AZURE_KEY_VAULT_DNS_SUFFIX": "vault.azure.cn",
            ]))
        #expect(federated.store.provider.azurekv?.authType == "WorkloadIdentity")
        #expect(federated.store.provider.azurekv?.environmentType == "ChinaCloud")
        #expect(federated.store.provider.azurekv?.vaultUrl == "https://team-kv.vault.azure.cn")
        #expect(throws: KESMappingError.self) {
            try KESMapping.map(object, configuration: KESConfiguration(environment: ["AZURE_CLIENT_SECRET": "x"]))
        }
        #expect(throws: KESMappingError.self) {
            try KESMapping.map(object, configuration: KESConfiguration(environment: ["AZURE_ENVIRONMENT": "Mars"]))
        }
    }

    /// The role an ESO store assumes, for `--enforce-namespace-role-guard`.
    @Test func storeRolesForTheESORoleGuard() {
        let aws = SecretStoreSpec(
            provider: SecretStoreProvider(aws: AWSProvider(service: .secretsManager, region: "r", role: "arn:role/x")))
        #expect(KESNamespaceGuard.role(of: aws) == "arn:role/x")
        let vault = SecretStoreSpec(
            provider: SecretStoreProvider(
                vault: VaultProvider(server: "https://v", auth: VaultAuth(kubernetes: VaultKubernetesAuth(mountPath: "k", role: "r")))))
        #expect(KESNamespaceGuard.role(of: vault) == "r")
        #expect(KESNamespaceGuard.role(of: SecretStoreSpec(provider: SecretStoreProvider(fake: FakeProvider(data: [])))) == nil)
    }

    // MARK: - Poll schedule

    @Test func pollScheduleFollowsStatus() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        let synced = KESExternalSecretStatus(
            status: KESRefresh.success, lastSync: KubeTime(now.addingTimeInterval(-4)).description, observedGeneration: 3)
        let interval = Duration.seconds(10)
        #expect(KESRefresh.wait(status: nil, generation: 3, targetExists: false, interval: interval, now: now) == nil)
        #expect(KESRefresh.wait(status: synced, generation: 3, targetExists: true, interval: interval, now: now) == .seconds(6))
        #expect(KESRefresh.wait(status: synced, generation: 4, targetExists: true, interval: interval, now: now) == nil)
        #expect(KESRefresh.wait(status: synced, generation: 3, targetExists: false, interval: interval, now: now) == nil)
        #expect(
            KESRefresh.wait(status: synced, generation: 3, targetExists: true, interval: interval, now: now.addingTimeInterval(7))
                == nil)
        var failed = synced
        failed.status = "not allowed"
        #expect(KESRefresh.wait(status: failed, generation: 3, targetExists: false, interval: interval, now: now) == .seconds(6))
    }

    // MARK: - Owner

    @Test func kesObjectOwnsItsSecretAndRefusesOneAnESOObjectControls() throws {
        let mapped = try KESMapping.map(
            Self.object(KESExternalSecretSpec(backendType: .secretsManager, data: [KESDataEntry(key: "k", name: "password")])),
            configuration: Self.configuration)
        let plan = try SecretWritePlanner.plan(
            for: mapped.externalSecret, data: ["password": Data("v".utf8)], existing: nil, owner: mapped.owner)
        guard case .create(let secret) = plan.write else {
            Issue.record("expected a create")
            return
        }
        #expect(secret.metadata.name == "my-secret")
        #expect(secret.metadata.ownerReferences == [
            OwnerReference(
                apiVersion: "kubernetes-client.io/v1", kind: "ExternalSecret", name: "my-secret", uid: "uid-kes",
                controller: true, blockOwnerDeletion: true)
        ])
        var esoOwned = secret
        esoOwned.metadata.ownerReferences = [
            OwnerReference(
                apiVersion: "external-secrets.io/v1", kind: "ExternalSecret", name: "my-secret", uid: "uid-eso",
                controller: true, blockOwnerDeletion: true)
        ]
        #expect(throws: SyncRefusal.self) {
            try SecretWritePlanner.plan(
                for: mapped.externalSecret, data: ["password": Data("v".utf8)], existing: esoOwned, owner: mapped.owner)
        }
    }

    // MARK: - Migration

    @Test func migrationPrintsOneStorePerConfigurationAndTheExternalSecrets() throws {
        let documents = try ManifestYAML.parse(
            """
            apiVersion: kubernetes-client.io/v1
            kind: ExternalSecret
            metadata: {name: my-secret, namespace: team}
            spec:
              backendType: secretsManager
              data:
              - {key: prod/db-password, name: password}
            ---
            apiVersion: kubernetes-client.io/v1
            kind: ExternalSecret
            metadata: {name: other, namespace: team}
            spec:
              backendType: secretsManager
              dataFrom: [prod/bundle]
            ---
            apiVersion: kubernetes-client.io/v1
            kind: ExternalSecret
            metadata: {name: azure}
            spec:
              backendType: azureKeyVault
              data: [{key: k, name: n}]
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: unrelated}
            """)
        let migrated = KESMigration.migrate(documents, configuration: Self.configuration)
        let objects = migrated.compactMap(\.object)
        #expect(objects.map { $0["kind"]?.stringValue ?? "" } == ["ClusterSecretStore", "ExternalSecret", "ExternalSecret"])
        let store = try JSONDecoder().decode(ClusterSecretStore.self, from: JSONEncoder().encode(objects[0]))
        #expect(store.spec.provider.aws == AWSProvider(service: .secretsManager, region: "eu-west-1"))
        let first = try JSONDecoder().decode(ExternalSecret.self, from: JSONEncoder().encode(objects[1]))
        #expect(first.apiVersion == "external-secrets.io/v1")
        #expect(first.metadata.name == "my-secret" && first.metadata.namespace == "team" && first.metadata.uid == nil)
        #expect(first.spec.secretStoreRef == SecretStoreRef(name: store.metadata.name, kind: .clusterSecretStore))
        #expect(first.spec.refreshInterval == "10s")
        #expect(migrated.contains { $0.object == nil && $0.comments.contains { $0.contains("azure") && $0.contains("keyVaultName is required") } })
        let text = try KESMigration.render(migrated)
        #expect(text.contains("# From KES ExternalSecret team/my-secret."))
        #expect(try ManifestYAML.parse(text).count == 3)
    }

    /// The ESO template a KES template migrates to renders the same Secret data with ESO's engine.
    @Test func migratedTemplateRendersLikeTheKESTemplate() throws {
        let template = try KESTemplate(
            parsing: [
                "metadata": ["labels": ["app": "db"]],
                "stringData": ["url": "u={{x}} p=<%= data.password %>/<%= data['db-name'] %>"],
            ])
        let fetched: SecretData = ["password": Data("pw".utf8), "db-name": Data("main".utf8)]
        let kes = try template.render(over: fetched, defaultType: nil)
        let eso = try SecretTemplateRenderer().render(
            KESMigration.esoTemplate(template, type: nil), data: fetched, sources: TemplateSources())
        #expect(eso.data == kes.data)
        #expect(eso.labels == kes.labels)
        #expect(kes.data["url"] == Data("u={{x}} p=pw/main".utf8))
    }

    /// An empty rewrite target stays an empty string through JSONValue (never null).
    @Test func emptyRewriteTargetSurvivesEncoding() throws {
        let rewrite = ExternalSecretRewrite(regexp: RewriteRegexp(source: "^.*/", target: ""))
        let value = try JSONValue(encoding: rewrite)
        #expect(value["regexp"]?["target"] == .string(""))
        #expect(try value.decode(as: ExternalSecretRewrite.self) == rewrite)
    }

    /// The migrated `path` entry's rewrite keeps its target through decoding and encoding.
    @Test func migratedPathEntryKeepsItsRewriteTarget() throws {
        let documents = try ManifestYAML.parse(
            """
            apiVersion: kubernetes-client.io/v1
            kind: ExternalSecret
            metadata: {name: p}
            spec:
              backendType: systemManager
              data:
              - {path: /app/db}
            """)
        let object = try #require(KESMigration.migrate(documents, configuration: Self.configuration).last?.object)
        let es = try JSONDecoder().decode(ExternalSecret.self, from: JSONEncoder().encode(object))
        let encoded = try JSONValue(encoding: es)
        let target = encoded["spec"]?["dataFrom"]?.arrayValue?.first?["rewrite"]?.arrayValue?.first?["regexp"]?["target"]
        #expect(target == .string("$1"), "\(String(describing: target))")
    }

    /// The opt-in guard for ESO objects: gets of refused keys fail without reaching the store,
    /// finds keep admitted keys only, a namespace without the annotation is not limited.
    @Test func keyGuardLimitsAStoreClient() async throws {
        let store = FixedClient(
            values: ["team/db": "v", "prod/db": "p"], maps: ["team/map": ["k": "v"]], found: ["team/a": "1", "prod/b": "2"])
        let guarded = KESNamespaceGuard(namespaceAnnotations: [KESNamespaceGuard.permittedKeyAnnotation: "^team/"])
            .limiting(store, namespace: "t")
        #expect(try await guarded.getSecret(ExternalSecretDataRemoteRef(key: "team/db")) == Data("v".utf8))
        let refused = await #expect(throws: ProviderError.self) {
            try await guarded.getSecret(ExternalSecretDataRemoteRef(key: "prod/db"))
        }
        #expect(refused?.code == .accessDenied && refused?.message.contains("prod/db") == true)
        #expect(try await guarded.getSecretMap(ExternalSecretDataRemoteRef(key: "team/map")) == ["k": Data("v".utf8)])
        #expect(try await guarded.getAllSecrets(ExternalSecretFind(path: "/")) == ["team/a": Data("1".utf8)])
        let open = KESNamespaceGuard(namespaceAnnotations: [:]).limiting(store, namespace: "t")
        #expect(try await open.getSecret(ExternalSecretDataRemoteRef(key: "prod/db")) == Data("p".utf8))
        let broken = KESNamespaceGuard(namespaceAnnotations: [KESNamespaceGuard.permittedKeyAnnotation: "("])
            .limiting(store, namespace: "t")
        await #expect(throws: ProviderError.self) { try await broken.getSecret(ExternalSecretDataRemoteRef(key: "team/db")) }
    }
}
