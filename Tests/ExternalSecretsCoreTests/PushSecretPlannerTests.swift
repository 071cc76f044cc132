import ControllerRuntime
import ExternalSecretsAPI
import Foundation
import KubeModel
import ProviderKit
import Testing

@testable import ExternalSecretsCore

/// The pure part of PushSecret: which writes a spec makes, what is deleted later, and what the
/// status records (never a value).
@Suite struct PushSecretPlannerTests {
    let source: SecretData = ["password": Data("pw".utf8), "user": Data("app".utf8), "db_U002e_host": Data("h".utf8)]
    let fake = PushStore(kind: .secretStore, name: "fake", labels: ["team": "a"])
    let cluster = PushStore(kind: .clusterSecretStore, name: "shared", labels: ["team": "b"])

    func spec(data: [PushSecretData]? = nil, dataTo: [PushSecretDataTo]? = nil) -> PushSecretSpec {
        PushSecretSpec(
            secretStoreRefs: [PushSecretStoreRef(name: "fake")],
            selector: PushSecretSelector(secret: PushSecretSecretSelector(name: "source")), data: data, dataTo: dataTo)
    }

    func push(_ key: String?, _ remote: String, property: String? = nil, conversion: PushSecretConversionStrategy? = nil)
        -> PushSecretData
    {
        PushSecretData(
            match: PushSecretMatch(secretKey: key, remoteRef: PushSecretRemoteRef(remoteKey: remote, property: property)),
            conversionStrategy: conversion)
    }

    @Test func dataEntriesPushOneKeyAllKeysOrAProperty() throws {
        let entries = try PushSecretPlanner.entries(
            for: spec(data: [push("password", "r/pw"), push(nil, "r/all"), push("user", "r/json", property: "user")]),
            source: source, stores: [fake, cluster])
        #expect(entries.count == 6)
        #expect(entries.map(\.statusKey) == ["r/pw", "r/all", "r/json/user", "r/pw", "r/all", "r/json/user"])
        #expect(entries[0].value == .value(Data("pw".utf8)))
        #expect(entries[1].value == .allKeys(source))
        #expect(entries[2].target == PushTarget(remoteKey: "r/json", property: "user", secretKey: "user"))
        let synced = PushSecretPlanner.synced(entries)
        #expect(Set(synced.keys) == ["SecretStore/fake", "ClusterSecretStore/shared"])
        #expect(synced["SecretStore/fake"]?["r/json/user"] == push("user", "r/json", property: "user"))
    }

    @Test func aMissingKeyIsNamedWithoutItsValue() {
        #expect(throws: InvalidSpec("secret key token does not exist")) {
            try PushSecretPlanner.entries(for: spec(data: [push("token", "r")]), source: source, stores: [fake])
        }
    }

    @Test func reverseUnicodeUndoesTheExternalSecretKeyConversion() throws {
        #expect(PushSecretPlanner.reverseUnicode("db_U002e_host") == "db.host")
        #expect(PushSecretPlanner.reverseUnicode("a_U00zz_b_U0041_") == "a_U00zz_bA")
        #expect(PushSecretPlanner.reverseUnicode("plain_key") == "plain_key")
        let entries = try PushSecretPlanner.entries(
            for: spec(data: [push("db.host", "r", conversion: .reverseUnicode)]), source: source, stores: [fake])
        #expect(entries.first?.value == .value(Data("h".utf8)))
        #expect(throws: InvalidSpec.self) {
            try PushSecretPlanner.convertKeys(["a_U002e_": Data(), "a.": Data()], .reverseUnicode)
        }
    }

    @Test func dataToPushesMatchedKeysPerKeyOrBundled() throws {
        let perKey = PushSecretDataTo(
            storeRef: PushSecretStoreRef(labelSelector: LabelSelector(matchLabels: ["team": "a"])),
            match: PushSecretDataToMatch(regexp: "^(password|user)$"),
            rewrite: [PushSecretRewrite(regexp: RewriteRegexp(source: "^(.*)$", target: "app/$1"))])
        let bundled = PushSecretDataTo(
            storeRef: PushSecretStoreRef(name: "shared", kind: .clusterSecretStore), remoteKey: "app/bundle")
        let entries = try PushSecretPlanner.entries(
            for: spec(dataTo: [perKey, bundled]), source: source, stores: [fake, cluster])
        #expect(entries.map(\.store.name) == ["fake", "fake", "shared"])
        #expect(entries.map(\.statusKey) == ["app/password", "app/user", "app/bundle"])
        #expect(entries[0].record.match.secretKey == "password")
        #expect(entries[2].value == .allKeys(source))
    }

    @Test func staleEntriesAreOnlyThoseOfStoresStillListed() {
        let previous: [String: [String: PushSecretData]] = [
            "SecretStore/fake": ["a": push("a", "a"), "b": push("b", "b")],
            "SecretStore/removed": ["c": push("c", "c")],
        ]
        let current: [String: [String: PushSecretData]] = ["SecretStore/fake": ["a": push("a", "a")]]
        let stale = PushSecretPlanner.staleEntries(
            previous: previous, current: current, listedStores: ["SecretStore/fake"])
        #expect(stale == ["SecretStore/fake": ["b": push("b", "b")]])
        #expect(PushSecretPlanner.abandonedStores(previous: previous, listedStores: ["SecretStore/fake"]) == ["SecretStore/removed"])
    }

    @Test func aGeneratorAloneIsASource() throws {
        try PushSecretPlanner.validate(
            PushSecretSpec(
                secretStoreRefs: [PushSecretStoreRef(name: "x")],
                selector: PushSecretSelector(generatorRef: GeneratorRef(kind: "Password", name: "p"))))
    }

    @Test(arguments: [
        (
            PushSecretSpec(secretStoreRefs: [PushSecretStoreRef()], selector: PushSecretSelector(secret: .init(name: "s"))),
            "spec.secretStoreRefs[0] must have a name or a labelSelector"
        ),
        (
            PushSecretSpec(
                secretStoreRefs: [PushSecretStoreRef(name: "x")],
                selector: PushSecretSelector(
                    secret: .init(name: "s"), generatorRef: GeneratorRef(kind: "Password", name: "p"))),
            "spec.selector must set exactly one of secret and generatorRef"
        ),
        (
            PushSecretSpec(
                secretStoreRefs: [PushSecretStoreRef(name: "x")], selector: PushSecretSelector(secret: .init(name: "s")),
                dataTo: [PushSecretDataTo(storeRef: PushSecretStoreRef(name: "x"), remoteKey: "k", rewrite: [.init(transform: .init(template: "x"))])]),
            "spec.dataTo[0]: remoteKey and rewrite are mutually exclusive: rewrite is only supported in per-key mode (without remoteKey)"
        ),
        (
            PushSecretSpec(
                secretStoreRefs: [PushSecretStoreRef(name: "x")], selector: PushSecretSelector(secret: .init(name: "s")),
                dataTo: [PushSecretDataTo(remoteKey: "k")]),
            "spec.dataTo[0]: storeRef must specify either name or labelSelector"
        ),
    ])
    func validationNamesTheField(spec: PushSecretSpec, message: String) {
        #expect(throws: InvalidSpec(message)) { try PushSecretPlanner.validate(spec) }
    }

    @Test func statusPatchNullsWhatIsGone() throws {
        var old = PushSecretStatus()
        old.syncedPushSecrets = [
            "SecretStore/a": ["x": push("x", "x"), "y": push("y", "y")], "SecretStore/b": ["z": push("z", "z")],
        ]
        var new = old
        new.syncedPushSecrets = ["SecretStore/a": ["x": push("x", "x")]]
        let patch = try #require(try StatusWriter<PushSecret>.patch(from: old, to: new))
        #expect(patch["syncedPushSecrets"]?["SecretStore/b"] == .null)
        #expect(patch["syncedPushSecrets"]?["SecretStore/a"]?["y"] == .null)
        // Unchanged entries are not sent again.
        #expect(patch["syncedPushSecrets"]?["SecretStore/a"]?["x"] == nil)
        #expect(try StatusWriter<PushSecret>.patch(from: new, to: new) == nil)
    }

    @Test func storeStatusKeysRoundTrip() {
        #expect(PushStore(statusKey: "ClusterSecretStore/shared")?.kind == .clusterSecretStore)
        #expect(PushStore(statusKey: "SecretStore/fake")?.name == "fake")
        #expect(PushStore(statusKey: "Nope/x") == nil)
        #expect(PushStore(statusKey: "SecretStore/") == nil)
    }
}
