import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import HTTPSupport
import KubeClient
import KubeModel
import KubeTestSupport
import OperatorTestSupport
import ProcessTestSupport
import ProviderAzure
import ProviderKit
import ProviderTestSupport
import Testing

/// A value that must never show up in a log, an Event or a status.
let canary = "CANARY-azure-op-5c2a"

/// The `azurekv` provider against the fake of Key Vault and Entra ID
/// (scripts/azure-keyvault-fake.py, pinned by AzureFakePinTests): first the provider's client
/// alone, then the operator as a process on the real control plane (ExternalSecrets with data,
/// extract and find; PushSecret; a denied permission; throttling; workload and managed identity).
@Suite(
    .enabled(if: AzureFakeServer.isAvailable, "scripts/install-deps.sh azure installs the Python packages"),
    .controlPlane, .serialized)
struct AzureOperatorTests {
    static let admin = AzureFakeServer.Principal(
        clientID: "admin-app", secret: "admin-\(canary)",
        permissions: ["secrets": ["*"], "certificates": ["*"], "keys": ["*"]])
    static let reader = AzureFakeServer.Principal(
        clientID: "reader-app", secret: "reader-secret", permissions: ["secrets": ["get"]])

    static func servicePrincipal(_ fake: AzureFakeServer, secretName: String) -> AzureKVProvider {
        AzureKVProvider(
            vaultUrl: fake.endpoint, tenantId: fake.tenant, authType: "ServicePrincipal",
            authSecretRef: AzureKVAuth(
                clientId: SecretKeySelector(name: secretName, key: "client-id"),
                clientSecret: SecretKeySelector(name: secretName, key: "client-secret")))
    }

    /// A store client of the provider on its own, against `fake`.
    static func client(_ fake: AzureFakeServer, _ principal: AzureFakeServer.Principal) async throws
        -> any SecretsClient
    {
        let provider = AzureSecretsProvider(environment: AzureEnvironment(authorityHost: fake.endpoint))
        let store = StoreContext.fixture(
            SecretStoreProvider(azurekv: servicePrincipal(fake, secretName: "azure")), name: "azure")
        return try await provider.makeClient(
            for: store,
            references: FakeReferences(secrets: [
                "azure/client-id": principal.clientID, "azure/client-secret": principal.secret ?? "",
            ]))
    }

    /// A self-signed certificate with its RSA key, in PEM (openssl).
    static func certificateAndKey(_ directory: String) async throws -> (certificate: String, both: String) {
        _ = try await ChildProcess.run(
            "openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(directory)/key.pem", "-out",
                "\(directory)/cert.pem", "-subj", "/CN=azure-test", "-days", "1",
            ])
        let certificate = try String(contentsOfFile: "\(directory)/cert.pem", encoding: .utf8)
        let key = try String(contentsOfFile: "\(directory)/key.pem", encoding: .utf8)
        return (certificate, certificate + key)
    }

    /// `openssl rsa -noout -modulus` of DIRECTORY/key.pem, upper-case hex.
    static func opensslModulus(_ directory: String) async throws -> String {
        let text = try await ChildProcess.run("openssl", ["rsa", "-noout", "-modulus", "-in", "\(directory)/key.pem"])
            .stdoutText
        return text.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "Modulus=", with: "")
    }

    static func hex(base64URL text: String) -> String {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return (Data(base64Encoded: base64) ?? Data()).map { String(format: "%02X", $0) }.joined()
    }

    @Test func theProviderReadsFindsAndPushesAgainstTheFake() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "eso-swift-azure-cert-\(UUID().uuidString.prefix(8))"
        ).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (certificate, certificateAndKey) = try await Self.certificateAndKey(directory)
        let certificateApp = AzureFakeServer.Principal(
            clientID: "cert-app", certificatePEM: certificate, permissions: ["secrets": ["get", "list"]])
        let fake = try await AzureFakeServer.start(
            principals: [Self.admin, Self.reader, certificateApp],
            managedIdentities: ["system": ["secrets": ["get"]], "uami-1": ["secrets": ["get", "list"]]])
        defer { Task { await fake.stop() } }
        let client = try await Self.client(fake, Self.admin)
        defer { Task { await client.close() } }

        let metadata: JSONValue = [
            "kind": "PushSecretMetadata", "spec": ["contentType": "application/json", "tags": ["team": "a"]],
        ]
        try await client.pushSecret(
            .value(Data(#"{"user":"app","password":"\#(canary)"}"#.utf8)),
            to: PushTarget(remoteKey: "db-creds", metadata: metadata))
        for index in 0..<27 {
            try await client.pushSecret(.value(Data("v\(index)".utf8)), to: PushTarget(remoteKey: "app-\(index)"))
        }
        try await client.pushSecret(.value(Data("pw".utf8)), to: PushTarget(remoteKey: "db-creds", property: "extra"))
        #expect(try await fake.control("secrets/db-creds")["versions"] as? Int == 2)
        // The same value again writes no version.
        try await client.pushSecret(.value(Data("v1".utf8)), to: PushTarget(remoteKey: "app-1"))
        #expect(try await fake.control("secrets/app-1")["versions"] as? Int == 1)

        #expect(
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "db-creds", property: "password"))
                == Data(canary.utf8))
        #expect(
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "secret/db-creds", property: "extra"))
                == Data("pw".utf8))
        #expect(
            try await client.getSecret(
                ExternalSecretDataRemoteRef(key: "db-creds", property: "managed-by", metadataPolicy: .fetch))
                == Data("external-secrets".utf8))
        // find pages over nextLink (25 a page).
        let found = try await client.getAllSecrets(ExternalSecretFind(name: FindName(regexp: "^app-")))
        #expect(found.count == 27 && found["app-26"] == Data("v26".utf8))
        let tagged = try await client.getAllSecrets(ExternalSecretFind(tags: ["team": "a"]))
        #expect(Set(tagged.keys) == ["db-creds"])
        #expect(try await client.secretExists(PushTarget(remoteKey: "app-1")))
        try await client.deleteSecret(PushTarget(remoteKey: "app-1"))
        #expect(try await !client.secretExists(PushTarget(remoteKey: "app-1")))
        await #expect {
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "app-1"))
        } throws: { error in
            (error as? ProviderError)?.isNotFound == true
        }

        // A certificate with its key: imported once, read back as DER (cert/) and as the PEM Key
        // Vault keeps in its secret (secret/); an RSA key: imported once, read back as its public JWK.
        let certificateDER = try #require(firstCertificateDER(certificate))
        for _ in 0..<2 {
            try await client.pushSecret(.value(Data(certificateAndKey.utf8)), to: PushTarget(remoteKey: "cert/tls"))
        }
        #expect(try await fake.control("certificates/tls")["versions"] as? Int == 1)
        #expect(try await client.getSecret(ExternalSecretDataRemoteRef(key: "cert/tls")) == certificateDER)
        #expect(
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "secret/tls")) == Data(certificateAndKey.utf8))
        let keyPEM = try String(contentsOfFile: "\(directory)/key.pem", encoding: .utf8)
        for _ in 0..<2 {
            try await client.pushSecret(.value(Data(keyPEM.utf8)), to: PushTarget(remoteKey: "key/signing"))
        }
        #expect(try await fake.control("keys/signing")["versions"] as? Int == 1)
        let modulus = try await client.getSecret(ExternalSecretDataRemoteRef(key: "key/signing", property: "n"))
        #expect(
            Self.hex(base64URL: String(decoding: modulus, as: UTF8.self)) == (try await Self.opensslModulus(directory)))
        try await client.deleteSecret(PushTarget(remoteKey: "cert/tls"))
        #expect(try await !client.secretExists(PushTarget(remoteKey: "cert/tls")))

        // The reader may read, not write: the error names the vault and the permission.
        let reader = try await Self.client(fake, Self.reader)
        #expect(try await reader.getSecret(ExternalSecretDataRemoteRef(key: "app-2")) == Data("v2".utf8))
        await #expect {
            try await reader.pushSecret(.value(Data("x".utf8)), to: PushTarget(remoteKey: "app-2"))
        } throws: { error in
            guard let error = error as? ProviderError else { return false }
            return error.code == .accessDenied && error.message.contains("does not have secrets set permission")
                && error.message.contains(fake.endpoint)
        }
        await reader.close()

        // A vault under Azure RBAC: the refusal names the data action the role lacks.
        let rbacVault = try await AzureFakeServer.start(principals: [Self.reader], rbac: true)
        defer { Task { await rbacVault.stop() } }
        let rbacReader = try await Self.client(rbacVault, Self.reader)
        await #expect {
            _ = try await rbacReader.getAllSecrets(ExternalSecretFind(name: FindName(regexp: ".*")))
        } throws: { error in
            guard let error = error as? ProviderError else { return false }
            return error.code == .accessDenied
                && error.message.contains("Action: 'Microsoft.KeyVault/vaults/secrets/readMetadata/action'")
                && error.message.contains(rbacVault.endpoint)
        }
        await rbacReader.close()

        // A client certificate: the signed assertion verifies against the registered certificate.
        let certificateStore = AzureKVProvider(
            vaultUrl: fake.endpoint, tenantId: fake.tenant,
            authSecretRef: AzureKVAuth(
                clientId: SecretKeySelector(name: "azure", key: "client-id"),
                clientCertificate: SecretKeySelector(name: "azure", key: "tls.pem")))
        let provider = AzureSecretsProvider(environment: AzureEnvironment(authorityHost: fake.endpoint))
        let certificateClient = try await provider.makeClient(
            for: StoreContext.fixture(SecretStoreProvider(azurekv: certificateStore), name: "azure"),
            references: FakeReferences(secrets: ["azure/client-id": "cert-app", "azure/tls.pem": certificateAndKey]))
        #expect(try await certificateClient.getSecret(ExternalSecretDataRemoteRef(key: "app-3")) == Data("v3".utf8))
        await certificateClient.close()

        // Managed identity through the metadata service, system- and user-assigned.
        let identities = AzureSecretsProvider(environment: AzureEnvironment(metadataService: fake.endpoint))
        for identity in [nil, "uami-1"] {
            let store = AzureKVProvider(vaultUrl: fake.endpoint, authType: "ManagedIdentity", identityId: identity)
            let managed = try await identities.makeClient(
                for: StoreContext.fixture(SecretStoreProvider(azurekv: store), name: "azure"),
                references: FakeReferences())
            #expect(try await managed.getSecret(ExternalSecretDataRemoteRef(key: "app-4")) == Data("v4".utf8))
            await managed.close()
        }
    }

    @Test func everyFeatureThroughTheOperator() async throws {
        let plane = try currentPlane()
        try await withAdminClient { client in
            try await installCRDs(client)
            let namespace = try await makeNamespace(client, prefix: "azure")
            let issuer = try String(contentsOfFile: "\(plane.directory)/sa.pub", encoding: .utf8)
            let federated = AzureFakeServer.Principal(
                clientID: "wi-app", federated: ["system:serviceaccount:\(namespace):azure-wi"],
                permissions: ["secrets": ["get"]])
            let fake = try await AzureFakeServer.start(
                principals: [Self.admin, Self.reader, federated], managedIdentities: ["system": ["secrets": ["get"]]],
                issuers: [issuer])
            defer { Task { await fake.stop() } }
            let seed = try await Self.client(fake, Self.admin)
            try await seed.pushSecret(
                .value(Data(#"{"user":"app","password":"\#(canary)"}"#.utf8)), to: PushTarget(remoteKey: "db-creds"))
            try await seed.pushSecret(.value(Data("one".utf8)), to: PushTarget(remoteKey: "app-one"))
            try await seed.pushSecret(.value(Data("two".utf8)), to: PushTarget(remoteKey: "app-two"))
            await seed.close()

            let secrets = client.api(Secret.self, namespace: namespace)
            for (name, principal) in [("azure-admin", Self.admin), ("azure-reader", Self.reader)] {
                _ = try await secrets.create(
                    Secret(
                        metadata: ObjectMeta(name: name),
                        data: [
                            "client-id": Data(principal.clientID.utf8),
                            "client-secret": Data((principal.secret ?? "").utf8),
                        ]))
            }
            _ = try await secrets.create(
                Secret(metadata: ObjectMeta(name: "source"), data: ["token": Data("pushed-\(canary)".utf8)]))
            _ = try await client.api(ServiceAccount.self, namespace: namespace).create(
                ServiceAccount(
                    metadata: ObjectMeta(
                        name: "azure-wi",
                        annotations: [
                            "azure.workload.identity/client-id": "wi-app",
                            "azure.workload.identity/tenant-id": fake.tenant,
                        ])))
            let stores: [(String, AzureKVProvider)] = [
                ("azure", Self.servicePrincipal(fake, secretName: "azure-admin")),
                ("azure-reader", Self.servicePrincipal(fake, secretName: "azure-reader")),
                (
                    "azure-wi",
                    AzureKVProvider(
                        vaultUrl: fake.endpoint, authType: "WorkloadIdentity",
                        serviceAccountRef: ServiceAccountSelector(name: "azure-wi"))
                ),
                ("azure-mi", AzureKVProvider(vaultUrl: fake.endpoint, authType: "ManagedIdentity")),
            ]
            for (name, provider) in stores {
                _ = try await client.api(SecretStore.self, namespace: namespace).create(
                    SecretStore(
                        metadata: ObjectMeta(name: name),
                        spec: SecretStoreSpec(provider: SecretStoreProvider(azurekv: provider))))
            }
            func externalSecret(
                _ name: String, store: String = "azure", data: [ExternalSecretData]? = nil,
                dataFrom: [ExternalSecretDataFromRemoteRef]? = nil
            ) -> ExternalSecret {
                ExternalSecret(
                    metadata: ObjectMeta(name: name),
                    spec: ExternalSecretSpec(
                        secretStoreRef: SecretStoreRef(name: store, kind: .secretStore), refreshInterval: "1h",
                        data: data, dataFrom: dataFrom))
            }
            let one = [ExternalSecretData(secretKey: "one", remoteRef: ExternalSecretDataRemoteRef(key: "app-one"))]
            let externalSecrets = client.api(ExternalSecret.self, namespace: namespace)
            for object in [
                externalSecret(
                    "data",
                    data: [
                        ExternalSecretData(
                            secretKey: "password",
                            remoteRef: ExternalSecretDataRemoteRef(key: "db-creds", property: "password"))
                    ] + one),
                externalSecret(
                    "extract",
                    dataFrom: [ExternalSecretDataFromRemoteRef(extract: ExternalSecretDataRemoteRef(key: "db-creds"))]),
                externalSecret(
                    "find",
                    dataFrom: [
                        ExternalSecretDataFromRemoteRef(find: ExternalSecretFind(name: FindName(regexp: "^app-")))
                    ]),
                externalSecret("workload", store: "azure-wi", data: one),
                externalSecret("managed", store: "azure-mi", data: one),
                // The reader lacks the list permission.
                externalSecret(
                    "denied", store: "azure-reader",
                    dataFrom: [ExternalSecretDataFromRemoteRef(find: ExternalSecretFind(name: FindName(regexp: ".*")))]),
                externalSecret(
                    "missing",
                    data: [ExternalSecretData(secretKey: "x", remoteRef: ExternalSecretDataRemoteRef(key: "nope"))]),
            ] {
                _ = try await externalSecrets.create(object)
            }

            try await runOperator(
                plane, name: "azure", arguments: ["--namespace", namespace],
                environment: [
                    "AZURE_AUTHORITY_HOST": fake.endpoint, "AZURE_POD_IDENTITY_AUTHORITY_HOST": fake.endpoint,
                ]
            ) { process in
                for name in ["data", "extract", "find", "workload", "managed"] {
                    #expect(try await waitForReady(client, namespace, name), "\(name): \(process.log.suffix(3000))")
                }
                #expect(
                    try await secrets.get("data").data == ["password": Data(canary.utf8), "one": Data("one".utf8)])
                #expect(
                    try await secrets.get("extract").data == ["user": Data("app".utf8), "password": Data(canary.utf8)])
                #expect(
                    try await secrets.get("find").data == ["app-one": Data("one".utf8), "app-two": Data("two".utf8)])
                #expect(try await secrets.get("workload").data == ["one": Data("one".utf8)])
                #expect(try await secrets.get("managed").data == ["one": Data("one".utf8)])

                for (name, words) in [("denied", "does not have secrets list permission"), ("missing", "nope")] {
                    #expect(
                        try await waitForReady(
                            client, namespace, name, status: "False", reason: ESOReason.secretSyncedError),
                        "\(name): \(process.log.suffix(2000))")
                    let message = try await readyCondition(client, namespace, name)?.message ?? ""
                    #expect(message.contains(words), "\(name): \(message)")
                }

                // PushSecret: created tagged, then deleted with the PushSecret.
                let pushSecrets = client.api(PushSecret.self, namespace: namespace)
                _ = try await pushSecrets.create(
                    PushSecret(
                        metadata: ObjectMeta(name: "push"),
                        spec: PushSecretSpec(
                            secretStoreRefs: [PushSecretStoreRef(name: "azure", kind: .secretStore)],
                            deletionPolicy: .delete,
                            selector: PushSecretSelector(secret: PushSecretSecretSelector(name: "source")),
                            data: [
                                PushSecretData(
                                    match: PushSecretMatch(
                                        secretKey: "token", remoteRef: PushSecretRemoteRef(remoteKey: "pushed")))
                            ])))
                #expect(try await waitForPushReady(client, namespace, "push"), "\(process.log.suffix(3000))")
                let check = try await Self.client(fake, Self.admin)
                #expect(
                    try await check.getSecret(ExternalSecretDataRemoteRef(key: "pushed"))
                        == Data("pushed-\(canary)".utf8))
                #expect(
                    try await check.getSecret(
                        ExternalSecretDataRemoteRef(key: "pushed", property: "managed-by", metadataPolicy: .fetch))
                        == Data("external-secrets".utf8))
                try await pushSecrets.delete("push")
                #expect(
                    try await eventually(timeout: .seconds(30)) {
                        (try? await check.secretExists(PushTarget(remoteKey: "pushed"))) == false
                    }, "the pushed secret was not deleted: \(process.log.suffix(2000))")

                // Throttling: the fake answers 429 twice; a forced refresh still syncs.
                let before = try await externalSecrets.get("extract").status?.syncedResourceVersion
                _ = try await fake.control("throttle", body: ["count": 2, "status": 429])
                try await update(externalSecrets, "extract") { $0.metadata.annotations = ["force-sync": "1"] }
                #expect(
                    try await eventually(timeout: .seconds(30)) {
                        let status = try await externalSecrets.get("extract").status
                        return status?.syncedResourceVersion != before
                            && status?.conditions?.condition(ofType: "Ready")?.status == "True"
                    }, "\(process.log.suffix(2000))")
                #expect(
                    try await fake.control("throttle")["remaining"] as? Int == 0,
                    "the throttled answers were not all sent")
                await check.close()

                let metrics = try await scrapeMetrics(process)
                #expect(
                    metrics.contains(
                        #"externalsecret_provider_api_calls_count{provider="Azure/KeyVault",call="GetSecret",status="success"}"#
                    ))
                #expect(!process.log.contains(canary), "the operator log contains a secret value")
                #expect(try await eventTexts(client, namespace).allSatisfy { !$0.contains(canary) })
                let mismatches = try await renderMismatches(
                    plane, client, namespace: namespace, environment: [
                        "AZURE_AUTHORITY_HOST": fake.endpoint, "AZURE_POD_IDENTITY_AUTHORITY_HOST": fake.endpoint,
                    ])
                #expect(mismatches.isEmpty, "render --live differs from the controller: \(mismatches)")
            }
        }
    }
}

/// The DER of the first CERTIFICATE block of `pem`.
func firstCertificateDER(_ pem: String) -> Data? {
    var body = ""
    var inside = false
    for line in pem.split(whereSeparator: \.isNewline) {
        if line.hasPrefix("-----BEGIN CERTIFICATE-----") {
            inside = true
        } else if line.hasPrefix("-----END CERTIFICATE-----") {
            return Data(base64Encoded: body)
        } else if inside {
            body += line
        }
    }
    return nil
}
