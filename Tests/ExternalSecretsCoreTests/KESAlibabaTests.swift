import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import KubeModel
import Testing

/// KES `alicloudSecretsManager` objects mapped onto the alibaba provider as KES 8.x read them: the
/// region of `ALICLOUD_ENDPOINT`, the operator's AccessKey (an empty `auth`), `versionStage` as the
/// version.
struct KESAlibabaTests {
    static func object(_ spec: KESExternalSecretSpec) -> KESExternalSecret {
        var object = KESExternalSecret(metadata: ObjectMeta(name: "ali", namespace: "team"), spec: spec)
        object.metadata.uid = "uid-kes"
        return object
    }

    @Test func configurationReadsALICLOUD_ENDPOINT() throws {
        let configuration = try KESConfiguration(environment: [
            "ALICLOUD_ENDPOINT": " https://kms.eu-central-1.aliyuncs.com "
        ])
        #expect(configuration.alicloudEndpoint == "https://kms.eu-central-1.aliyuncs.com")
        #expect(try KESConfiguration(environment: [:]).alicloudEndpoint == nil)
    }

    @Test func anObjectReadsKMSOfTheEndpointsRegionWithTheOperatorsKey() throws {
        let mapped = try KESMapping.map(
            Self.object(
                KESExternalSecretSpec(
                    backendType: .alicloudSecretsManager,
                    data: [
                        KESDataEntry(key: "hello-credentials1", name: "password"),
                        KESDataEntry(key: "hello-credentials2", name: "username", versionStage: "ACSPrevious"),
                        KESDataEntry(key: "db", name: "user", property: "user"),
                    ],
                    dataFrom: ["bundle"])),
            configuration: KESConfiguration(alicloudEndpoint: "https://kms-vpc.cn-hangzhou.aliyuncs.com"))
        #expect(mapped.store.provider.alibaba == AlibabaProvider(regionID: "cn-hangzhou", auth: AlibabaAuth()))
        #expect(mapped.store.provider.configuredProviderNames == ["alibaba"])
        #expect(mapped.storeName.hasPrefix("kes-alicloudsecretsmanager-"))
        let data = mapped.externalSecret.spec.data ?? []
        #expect(
            data.map(\.remoteRef) == [
                ExternalSecretDataRemoteRef(key: "hello-credentials1"),
                ExternalSecretDataRemoteRef(key: "hello-credentials2", version: "ACSPrevious"),
                ExternalSecretDataRemoteRef(key: "db", property: "user"),
            ])
        #expect(
            mapped.externalSecret.spec.dataFrom == [
                ExternalSecretDataFromRemoteRef(extract: ExternalSecretDataRemoteRef(key: "bundle"))
            ])
    }

    @Test(arguments: [
        ("https://kms.cn-hangzhou.aliyuncs.com", "cn-hangzhou"),
        ("http://kms-vpc.ap-southeast-1.aliyuncs.com/", "ap-southeast-1"),
        ("kms.us-west-1.aliyuncs.com", "us-west-1"), ("https://kms.cn-hangzhou.aliyuncs.com:443", "cn-hangzhou"),
    ])
    func endpointsNameTheirRegion(endpoint: String, region: String) throws {
        let mapped = try KESMapping.map(
            Self.object(
                KESExternalSecretSpec(backendType: .alicloudSecretsManager, data: [KESDataEntry(key: "k", name: "n")])),
            configuration: KESConfiguration(alicloudEndpoint: endpoint))
        #expect(mapped.store.provider.alibaba?.regionID == region)
    }

    @Test(
        arguments: [
            (nil, nil, "needs the operator's ALICLOUD_ENDPOINT"),
            ("https://example.com", nil, "is not a KMS endpoint"),
            ("https://kms.evil.com.aliyuncs.com", nil, "is not a KMS endpoint"),
            ("https://kms.cn-hangzhou.aliyuncs.com", "acs:ram::1:role/demo", "spec.roleArn is not supported"),
        ] as [(String?, String?, String)])
    func unusableObjectsAreRefused(endpoint: String?, role: String?, reason: String) {
        let error = #expect(throws: KESMappingError.self) {
            try KESMapping.map(
                Self.object(
                    KESExternalSecretSpec(
                        backendType: .alicloudSecretsManager, data: [KESDataEntry(key: "k", name: "n")], roleArn: role)),
                configuration: KESConfiguration(alicloudEndpoint: endpoint))
        }
        #expect(error?.message.contains(reason) == true, "\(error?.message ?? "no error")")
    }
}
