import ExternalSecretsAPI
import Foundation
import ProviderKit
import Testing

@testable import ProviderVault

/// The metadata envelope of a PushSecret entry, as JSON text.
private func envelope(_ spec: String?) -> String {
    let specText = spec.map { #","spec":\#($0)"# } ?? ""
    return #"{"apiVersion":"kubernetes.external-secrets.io/v1alpha1","kind":"PushSecretMetadata"\#(specText)}"#
}

/// A push target whose metadata is `json` (nil: none).
private func target(_ key: String, property: String? = nil, metadata json: String? = nil) throws -> PushTarget {
    var target = PushTarget(remoteKey: key, property: property)
    if let json { target.metadata = try decoded(json) }
    return target
}

/// `json` decoded as whatever the context needs (`PushTarget.metadata`'s JSON type).
private func decoded<T: Decodable>(_ json: String) throws -> T {
    try JSONDecoder().decode(T.self, from: Data(json.utf8))
}

/// The pure part of PushSecret: reading the entry's metadata, and planning writes and deletes.
@Suite struct PushPlanTests {
    typealias Object = VaultSecretValues.Object

    func managedV2(_ data: Object?, version: Int = 3, custom: [String: String] = [:]) -> VaultRemoteSecret {
        var custom = custom
        custom[PushManagedMarker.key] = PushManagedMarker.value
        return VaultRemoteSecret(customMetadata: custom, currentVersion: version, data: data)
    }

    static let marker: VaultJSON.Value = .object(["managed-by": .string("external-secrets")])

    @Test(arguments: [
        (nil as String?, [:] as [String: String], VaultPushMetadata.MergePolicy.merge),
        (envelope(nil), [:], .merge),
        (envelope(#"{"customMetadata":{"team":"payments"}}"#), ["team": "payments"], .merge),
        (envelope(#"{"customMetadata":{"a":"1"},"mergePolicy":"Replace"}"#), ["a": "1"], .replace),
        (envelope(#"{"mergePolicy":"Merge"}"#), [:], .merge),
    ])
    func metadataShapesThatAreRead(json: String?, custom: [String: String], policy: VaultPushMetadata.MergePolicy)
        throws
    {
        let parsed = try VaultPushMetadata.parse(try target("db", metadata: json))
        #expect(parsed.customMetadata == custom)
        #expect(parsed.mergePolicy == policy)
    }

    @Test(arguments: [
        (#"["a"]"#, "must be a PushSecretMetadata object"),
        (#"{"apiVersion":"v1","kind":"PushSecretMetadata"}"#, "apiVersion must be"),
        (#"{"apiVersion":"kubernetes.external-secrets.io/v1alpha1","kind":"Other"}"#, "kind must be"),
        (
            #"{"apiVersion":"kubernetes.external-secrets.io/v1alpha1","kind":"PushSecretMetadata","labels":{}}"#,
            #"unknown field "labels""#
        ),
        (envelope(#"{"tags":{"a":"b"}}"#), #"unknown field "tags""#),
        (envelope(#"{"customMetadata":{"a":1}}"#), "customMetadata[a] must be a string"),
        (envelope(#"{"customMetadata":["a"]}"#), "must be a map of strings"),
        (envelope(#"{"customMetadata":{"managed-by":"me"}}"#), "is set by the operator"),
        (envelope(#"{"mergePolicy":"Overwrite"}"#), "Merge or Replace"),
        (envelope(#""x""#), "spec must be an object"),
    ])
    func metadataShapesThatAreRefused(json: String, message: String) throws {
        let pushTarget = try target("db", metadata: json)
        do {
            _ = try VaultPushMetadata.parse(pushTarget)
            Issue.record("expected \(json) to be refused")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test func customMetadataMergesOrReplacesAndAlwaysKeepsTheMarker() {
        let current = ["owner": "ops", "team": "old", "managed-by": "external-secrets"]
        let merge = VaultPushMetadata(customMetadata: ["team": "payments"], mergePolicy: .merge)
        #expect(
            merge.customMetadata(updating: current) == [
                "owner": "ops", "team": "payments", "managed-by": "external-secrets",
            ])
        let replace = VaultPushMetadata(customMetadata: ["team": "payments"], mergePolicy: .replace)
        #expect(replace.customMetadata(updating: current) == ["team": "payments", "managed-by": "external-secrets"])
        #expect(VaultPushMetadata().customMetadata(updating: nil) == ["managed-by": "external-secrets"])
    }

    @Test func aNewKV2SecretIsCreatedWithCheckAndSetZeroAndTheMarker() throws {
        let write = try VaultPushPlan.push(
            .allKeys(["user": Data("app".utf8), "password": Data("pw".utf8)]), to: PushTarget(remoteKey: "db"),
            metadata: VaultPushMetadata(customMetadata: ["team": "a"]), version: .v2, remote: nil)
        #expect(write.data == ["user": .string("app"), "password": .string("pw")])
        #expect(write.checkAndSet == 0)
        #expect(write.customMetadata == ["team": "a", "managed-by": "external-secrets"])
        #expect(write.creates)
    }

    @Test func anUpdateCarriesTheVersionReadAndAnUnchangedSecretNeedsNoWrite() throws {
        let remote = managedV2(["user": .string("app"), "port": .number("5432")], version: 7)
        let changed = try VaultPushPlan.push(
            .value(Data(#"{"user":"app","port":5433}"#.utf8)), to: PushTarget(remoteKey: "db"),
            metadata: VaultPushMetadata(), version: .v2, remote: remote)
        #expect(changed.checkAndSet == 7)
        #expect(changed.data == ["user": .string("app"), "port": .number("5433")])
        #expect(changed.customMetadata == nil && !changed.creates)

        // KV v2 keeps numbers as float64: 5432.0 is what Vault holds already.
        let same = try VaultPushPlan.push(
            .value(Data(#"{"port":5432.0,"user":"app"}"#.utf8)), to: PushTarget(remoteKey: "db"),
            metadata: VaultPushMetadata(), version: .v2, remote: remote)
        #expect(same.isEmpty)
    }

    @Test func aPropertyIsMergedIntoTheOtherFields() throws {
        let remote = managedV2(["user": .string("app"), "password": .string("old")], version: 2)
        let write = try VaultPushPlan.push(
            .value(Data("new".utf8)), to: PushTarget(remoteKey: "db", property: "password"),
            metadata: VaultPushMetadata(), version: .v2, remote: remote)
        #expect(write.data == ["user": .string("app"), "password": .string("new")])
        #expect(write.checkAndSet == 2)
        let unchanged = try VaultPushPlan.push(
            .value(Data("old".utf8)), to: PushTarget(remoteKey: "db", property: "password"),
            metadata: VaultPushMetadata(), version: .v2, remote: remote)
        #expect(unchanged.isEmpty)
        // Every key of the Secret in one field: ESO's JSON object of strings.
        let all = try VaultPushPlan.push(
            .allKeys(["b": Data("2".utf8), "a": Data("1".utf8)]), to: PushTarget(remoteKey: "db", property: "all"),
            metadata: VaultPushMetadata(), version: .v2, remote: remote)
        #expect(all.data?["all"] == .string(#"{"a":"1","b":"2"}"#))
    }

    @Test func aSecretWithoutTheMarkerIsNeverWrittenOrDeleted() throws {
        let foreign = VaultRemoteSecret(customMetadata: ["managed-by": "terraform"], currentVersion: 1, data: nil)
        for version in [VaultKVStoreVersion.v2, .v1] {
            let remote =
                version == .v2 ? foreign : VaultRemoteSecret(data: ["custom_metadata": .string("managed-by")])
            #expect(throws: ProviderError.self) {
                try VaultPushPlan.push(
                    .value(Data("x".utf8)), to: PushTarget(remoteKey: "db", property: "p"),
                    metadata: VaultPushMetadata(), version: version, remote: remote)
            }
            do {
                _ = try VaultPushPlan.delete(PushTarget(remoteKey: "db"), version: version, remote: remote)
                Issue.record("expected notManaged")
            } catch {
                #expect(error.code == .notManaged)
                #expect(error.message.contains("not managed by external-secrets"))
            }
        }
    }

    @Test func metadataOnlyChangesWriteOnlyMetadata() throws {
        let remote = managedV2(["a": .string("1")], version: 4, custom: ["team": "old"])
        let write = try VaultPushPlan.push(
            .value(Data(#"{"a":"1"}"#.utf8)), to: PushTarget(remoteKey: "db"),
            metadata: VaultPushMetadata(customMetadata: ["team": "new"]), version: .v2, remote: remote)
        #expect(write.data == nil)
        #expect(write.customMetadata == ["team": "new", "managed-by": "external-secrets"])
    }

    @Test func kv1KeepsTheMarkerInsideTheSecret() throws {
        let created = try VaultPushPlan.push(
            .value(Data(#"{"user":"app"}"#.utf8)), to: PushTarget(remoteKey: "db"), metadata: VaultPushMetadata(),
            version: .v1, remote: nil)
        #expect(created.data == ["user": .string("app"), "custom_metadata": Self.marker])
        #expect(created.checkAndSet == nil && created.customMetadata == nil)

        let remote = VaultRemoteSecret(data: ["user": .string("app"), "custom_metadata": Self.marker])
        let same = try VaultPushPlan.push(
            .value(Data(#"{"user":"app"}"#.utf8)), to: PushTarget(remoteKey: "db"), metadata: VaultPushMetadata(),
            version: .v1, remote: remote)
        #expect(same.isEmpty)

        for value in [PushValue.value(Data(#"{"custom_metadata":{}}"#.utf8)), .allKeys(["custom_metadata": Data()])] {
            #expect(throws: ProviderError.self) {
                try VaultPushPlan.push(
                    value, to: PushTarget(remoteKey: "db"), metadata: VaultPushMetadata(), version: .v1, remote: nil)
            }
        }
        #expect(throws: ProviderError.self) {
            try VaultPushPlan.push(
                .value(Data("x".utf8)), to: PushTarget(remoteKey: "db"),
                metadata: VaultPushMetadata(customMetadata: ["a": "b"]), version: .v1, remote: nil)
        }
        #expect(
            try VaultPushPlan.delete(PushTarget(remoteKey: "db", property: "user"), version: .v1, remote: remote)
                == .deleteSecret)
    }

    @Test func valuesThatAreNotAJSONObjectOrNotTextAreRefusedWithoutEchoingThem() {
        for value in [PushValue.value(Data(canary.utf8)), .value(Data([0xFF, 0xFE])), .allKeys(["k": Data([0xC3])])] {
            let field: String? = if case .value(let data) = value, data.first == 0xFF { "p" } else { nil }
            do {
                _ = try VaultPushPlan.push(
                    value, to: PushTarget(remoteKey: "db", property: field), metadata: VaultPushMetadata(),
                    version: .v2, remote: nil)
                Issue.record("expected invalidData")
            } catch {
                #expect(error.code == .invalidData)
                #expect(!error.message.contains(canary))
            }
        }
    }

    @Test func deletingAPropertyKeepsTheOthersAndTheLastOneDeletesTheSecret() throws {
        let remote = managedV2(["user": .string("app"), "password": .string("pw")], version: 5)
        #expect(
            try VaultPushPlan.delete(PushTarget(remoteKey: "db", property: "password"), version: .v2, remote: remote)
                == .writeData(["user": .string("app")], checkAndSet: 5))
        let last = managedV2(["password": .string("pw")])
        #expect(
            try VaultPushPlan.delete(PushTarget(remoteKey: "db", property: "password"), version: .v2, remote: last)
                == .deleteSecret)
        #expect(
            try VaultPushPlan.delete(PushTarget(remoteKey: "db", property: "missing"), version: .v2, remote: remote)
                == .nothing)
        #expect(try VaultPushPlan.delete(PushTarget(remoteKey: "db"), version: .v2, remote: nil) == .nothing)
        #expect(try VaultPushPlan.delete(PushTarget(remoteKey: "db"), version: .v2, remote: remote) == .deleteSecret)
    }
}
