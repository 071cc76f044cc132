import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import KubeModel
import Testing

/// KES `ibmcloudSecretsManager` objects mapped onto the ibm provider as KES 8.x read them: the
/// instance of `IBM_CLOUD_SECRETS_MANAGER_API_ENDPOINT`, the operator's API key (an empty `auth`)
/// or trusted profile, `secretType/key` remote keys in a KES read mode; and `migrate kes`.
struct KESIBMTests {
    static let endpoint = "https://instance.us-south.secrets-manager.appdomain.cloud"
    static let configuration: KESConfiguration = {
        var configuration = KESConfiguration()
        configuration.ibm = IBMSecretsManagerSettings(endpoint: endpoint, apiKeySet: true)
        return configuration
    }()

    static func object(_ spec: KESExternalSecretSpec) -> KESExternalSecret {
        var object = KESExternalSecret(metadata: ObjectMeta(name: "ibm", namespace: "team"), spec: spec)
        object.metadata.uid = "uid-kes"
        return object
    }

    static let entries = [
        KESDataEntry(key: "0b5571f7-21e6-42b7-91c5-3f5ac9793a46", name: "creds", secretType: "username_password"),
        KESDataEntry(key: "db", name: "password", property: "password", secretType: "username_password"),
        KESDataEntry(key: "config", name: "url", property: "payload.url", secretType: "kv"),
        KESDataEntry(key: "token", name: "token", property: "payload", secretType: "arbitrary"),
        KESDataEntry(key: "api", name: "apikey", secretType: "iam_credentials"),
        KESDataEntry(
            key: "blob", name: "blob", property: "payload", version: "2", isBinary: true, secretType: "arbitrary"),
    ]

    @Test func configurationReadsKESsVariables() throws {
        let configuration = try KESConfiguration(environment: [
            "IBM_CLOUD_SECRETS_MANAGER_API_ENDPOINT": " \(Self.endpoint) ",
            "IBM_CLOUD_SECRETS_MANAGER_API_APIKEY": "secret-key",
            "IBM_CLOUD_SECRETS_MANAGER_API_AUTH_TYPE": "container",
            "IBM_CLOUD_SECRETS_MANAGER_API_AUTH_URL": "https://iam.example",
            "IBM_CLOUD_SECRETS_MANAGER_API_IAM_PROFILE_NAME": "kes-profile",
            "IBM_CLOUD_SECRETS_MANAGER_API_CR_TOKEN_FILENAME": "/var/run/token",
        ])
        #expect(
            configuration.ibm
                == IBMSecretsManagerSettings(
                    endpoint: Self.endpoint, authType: "container", apiKeySet: true, authURL: "https://iam.example",
                    profileName: "kes-profile", tokenFile: "/var/run/token"))
        #expect(!"\(configuration)".contains("secret-key"))
        #expect(try KESConfiguration(environment: [:]).ibm == IBMSecretsManagerSettings())
    }

    @Test func dataEntriesReadTypeAndKeyWithTheOperatorsKey() throws {
        let mapped = try KESMapping.map(
            Self.object(KESExternalSecretSpec(backendType: .ibmcloudSecretsManager, data: Self.entries)),
            configuration: Self.configuration)
        #expect(
            mapped.store.provider.ibm == IBMProvider(serviceUrl: Self.endpoint, auth: IBMAuth(), readMode: .kesByID))
        #expect(mapped.storeName.hasPrefix("kes-ibmcloudsecretsmanager-"))
        #expect(
            (mapped.externalSecret.spec.data ?? []).map(\.remoteRef) == [
                ExternalSecretDataRemoteRef(key: "username_password/0b5571f7-21e6-42b7-91c5-3f5ac9793a46"),
                ExternalSecretDataRemoteRef(key: "username_password/db", property: "password"),
                ExternalSecretDataRemoteRef(key: "kv/config", property: "payload.url"),
                ExternalSecretDataRemoteRef(key: "arbitrary/token", property: "payload"),
                ExternalSecretDataRemoteRef(key: "iam_credentials/api"),
                ExternalSecretDataRemoteRef(key: "arbitrary/blob", property: "payload", decodingStrategy: .base64),
            ])
        #expect(mapped.remoteKeys == Self.entries.compactMap(\.key), "the key-name guard sees KES's keys")

        let byName = try KESMapping.map(
            Self.object(
                KESExternalSecretSpec(backendType: .ibmcloudSecretsManager, data: Self.entries, keyByName: true)),
            configuration: Self.configuration)
        #expect(byName.store.provider.ibm?.readMode == .kesByName)
        #expect(byName.storeName != mapped.storeName, "the read mode is part of the implicit store's identity")
    }

    @Test func aContainerAuthTypeIsTheTrustedProfile() throws {
        var configuration = Self.configuration
        configuration.ibm = IBMSecretsManagerSettings(
            endpoint: Self.endpoint, authType: "container", authURL: "https://iam.example", profileID: "Profile-1",
            tokenFile: "/t")
        let mapped = try KESMapping.map(
            Self.object(KESExternalSecretSpec(backendType: .ibmcloudSecretsManager, data: Self.entries)),
            configuration: configuration)
        #expect(
            mapped.store.provider.ibm?.auth
                == IBMAuth(
                    containerAuth: IBMAuthContainerAuth(
                        profile: "Profile-1", tokenLocation: "/t", iamEndpoint: "https://iam.example")))
    }

    @Test(
        arguments: [
            (
                IBMSecretsManagerSettings(apiKeySet: true), nil,
                "needs the operator's IBM_CLOUD_SECRETS_MANAGER_API_ENDPOINT"
            ),
            (
                IBMSecretsManagerSettings(endpoint: endpoint), nil,
                "needs the operator's IBM_CLOUD_SECRETS_MANAGER_API_APIKEY"
            ),
            (
                IBMSecretsManagerSettings(endpoint: endpoint, authType: "bearerToken", apiKeySet: true), nil,
                "AUTH_TYPE bearerToken is not supported"
            ),
            (
                IBMSecretsManagerSettings(endpoint: endpoint, authType: "iam", apiKeySet: true, authURL: "iam.example"),
                nil, "AUTH_URL is not a URL"
            ),
            (
                IBMSecretsManagerSettings(endpoint: endpoint, authType: "container"), nil,
                "needs IBM_CLOUD_SECRETS_MANAGER_API_IAM_PROFILE_NAME"
            ),
            (
                IBMSecretsManagerSettings(endpoint: endpoint, apiKeySet: true), KESDataEntry(key: "k", name: "n"),
                "spec.data[0].secretType is required"
            ),
            (
                IBMSecretsManagerSettings(endpoint: endpoint, apiKeySet: true),
                KESDataEntry(key: "k", name: "n", secretType: "service_credentials"),
                "spec.data[0].secretType service_credentials is not one of"
            ),
        ] as [(IBMSecretsManagerSettings, KESDataEntry?, String)])
    func unusableObjectsAreRefused(settings: IBMSecretsManagerSettings, entry: KESDataEntry?, reason: String) {
        var configuration = KESConfiguration()
        configuration.ibm = settings
        let error = #expect(throws: KESMappingError.self) {
            try KESMapping.map(
                Self.object(
                    KESExternalSecretSpec(
                        backendType: .ibmcloudSecretsManager, data: [entry ?? Self.entries[0]])),
                configuration: configuration)
        }
        #expect(error?.message.contains(reason) == true, "\(error?.message ?? "no error")")
    }

    @Test func dataFromIsRefusedAsKESCouldNotReadIt() {
        for spec in [
            KESExternalSecretSpec(backendType: .ibmcloudSecretsManager, dataFrom: ["k"]),
            KESExternalSecretSpec(
                backendType: .ibmcloudSecretsManager, dataFromWithOptions: [KESDataEntry(key: "k", secretType: "kv")]),
        ] {
            let error = #expect(throws: KESMappingError.self) {
                try KESMapping.map(Self.object(spec), configuration: Self.configuration)
            }
            #expect(error?.message.contains("not supported for backendType ibmcloudSecretsManager") == true)
        }
    }

    @Test func migrationNamesAnAPIKeySecretAndSaysWhatESOReadsDifferently() throws {
        var configuration = KESConfiguration()
        configuration.ibm = IBMSecretsManagerSettings(
            endpoint: Self.endpoint, authType: "iam", authURL: "https://iam.example")
        let document = try JSONValue(
            encoding: Self.object(
                KESExternalSecretSpec(backendType: .ibmcloudSecretsManager, data: Self.entries, keyByName: true)))
        let migrated = KESMigration.migrate([document], configuration: configuration)
        #expect(migrated.count == 2)
        let store = try #require(migrated.first?.object).decode(as: ClusterSecretStore.self)
        #expect(
            store.spec.provider.ibm
                == IBMProvider(
                    serviceUrl: Self.endpoint,
                    auth: IBMAuth(
                        secretRef: IBMAuthSecretRef(
                            secretApiKeySecretRef: KESMigration.ibmAPIKeySecret, iamEndpoint: "https://iam.example"))))
        #expect(migrated[0].comments.contains { $0.contains("IBM_CLOUD_SECRETS_MANAGER_API_APIKEY") })
        let externalSecret = try #require(migrated[1].object).decode(as: ExternalSecret.self)
        #expect(externalSecret.spec.secretStoreRef?.name == store.metadata.name)
        #expect(
            (externalSecret.spec.data ?? []).map(\.remoteRef) == [
                ExternalSecretDataRemoteRef(key: "default/username_password/0b5571f7-21e6-42b7-91c5-3f5ac9793a46"),
                ExternalSecretDataRemoteRef(key: "default/username_password/db", property: "password"),
                ExternalSecretDataRemoteRef(key: "default/kv/config", property: "url"),
                ExternalSecretDataRemoteRef(key: "default/arbitrary/token"),
                ExternalSecretDataRemoteRef(key: "default/iam_credentials/api"),
                ExternalSecretDataRemoteRef(key: "default/arbitrary/blob", decodingStrategy: .base64),
            ])
        #expect(migrated[1].comments.contains { $0.contains("keyByName") })
        #expect(migrated[1].comments.contains { $0.contains("for the keys creds, apikey:") })
        // A second object of the other key mode shares the ESO store (ESO has one read mode).
        let byID = try JSONValue(
            encoding: Self.object(KESExternalSecretSpec(backendType: .ibmcloudSecretsManager, data: [Self.entries[1]])))
        let both = KESMigration.migrate([document, byID], configuration: configuration)
        #expect(both.filter { $0.object?["kind"] == "ClusterSecretStore" }.count == 1)
        #expect(
            try both.last?.object?.decode(as: ExternalSecret.self).spec.data?.first?.remoteRef.key
                == "username_password/db")
    }
}
