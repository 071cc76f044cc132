import ExternalSecretsAPI
import Foundation
import ProviderKit
import Testing

@testable import ProviderVault

/// ESO's path building (`buildPath` / `buildMetadataPath`), with ESO's own examples.
@Suite struct PathTests {
    @Test(arguments: [
        // (mount, version, key, data path)
        ("secret/path", "v2", "foo", "secret/path/data/foo"),
        ("secret/path", "v1", "foo", "secret/path/foo"),
        ("secret/path", "v2", "secret/path/foo", "secret/path/data/foo"),
        ("secret/path", "v2", "secret/path/data/foo", "secret/path/data/foo"),
        ("secret/path", "v1", "secret/path/foo", "secret/path/foo"),
        ("", "v2", "secret/path/foo", "secret/data/path/foo"),
        ("", "v2", "secret/path/data/foo", "secret/path/data/foo"),
        ("", "v1", "secret/path/foo", "secret/path/foo"),
        ("secret", "v2", "team/db", "secret/data/team/db"),
    ])
    func dataPaths(mount: String, version: String, key: String, expected: String) throws {
        let paths = VaultPaths(
            mountPath: mount.isEmpty ? nil : mount, version: try #require(VaultKVStoreVersion(rawValue: version)))
        #expect(paths.dataPath(key) == expected)
    }

    @Test func metadataPaths() throws {
        #expect(try VaultPaths(mountPath: "secret", version: .v2).metadataPath("team/db") == "secret/metadata/team/db")
        #expect(
            try VaultPaths(mountPath: "secret", version: .v2).metadataPath("secret/data/db") == "secret/metadata/db")
        #expect(try VaultPaths(mountPath: "secret", version: .v2).metadataPath("") == "secret/metadata/")
        #expect(try VaultPaths(mountPath: "kv", version: .v1).metadataPath("team/") == "kv/team/")
        #expect(try VaultPaths(mountPath: nil, version: .v2).metadataPath("secret/data/db") == "secret/metadata/db")
        #expect(throws: ProviderError.self) { try VaultPaths(mountPath: nil, version: .v2).metadataPath("secret/db") }
    }

    @Test func requestsCarryTokenNamespaceAndEscapedPath() {
        let request = VaultRequest.get("secret/data/a b", query: [("version", "3")])
            .http(server: "https://v:8200", token: "t", namespace: "ns1", headers: [("X-Extra", "1")])
        #expect(request.url == "https://v:8200/v1/secret/data/a%20b?version=3")
        #expect(request.headers.first(name: "X-Vault-Token") == "t")
        #expect(request.headers.first(name: "X-Vault-Namespace") == "ns1")
        #expect(request.headers.first(name: "X-Vault-Request") == "true")
        #expect(request.headers.first(name: "X-Extra") == "1")
        let list = VaultRequest.list("secret/metadata/").http(
            server: "http://v", token: nil, namespace: nil, headers: [])
        #expect(list.url == "http://v/v1/secret/metadata/?list=true")
        #expect(
            list.headers.first(name: "X-Vault-Token") == nil && list.headers.first(name: "X-Vault-Namespace") == nil)
    }
}

/// Go's `json.Marshal` and float formatting, checked against the output of Go's own
/// `encoding/json` and `strconv` for the same inputs.
@Suite struct VaultJSONTests {
    @Test(arguments: [
        // (literal, strconv.FormatFloat 'f' -1, json.Marshal of the float64)
        ("1e21", "1000000000000000000000", "1e+21"),
        ("1.5", "1.5", "1.5"),
        ("0.30000000000000004", "0.30000000000000004", "0.30000000000000004"),
        ("1e-7", "0.0000001", "1e-7"),
        ("123456789012345678", "123456789012345680", "123456789012345680"),
        ("1e20", "100000000000000000000", "100000000000000000000"),
        ("0.000001", "0.000001", "0.000001"),
        ("1.5e-7", "0.00000015", "1.5e-7"),
        ("-0", "-0", "-0"),
        ("10", "10", "10"),
        ("1.0", "1", "1"),
        ("12345678901234567890", "12345678901234567000", "12345678901234567000"),
        (
            "1.7976931348623157e308", "1797693134862315" + "7" + String(repeating: "0", count: 292),
            "1.7976931348623157e+308"
        ),
        ("-2.5e-10", "-0.00000000025", "-2.5e-10"),
        ("100", "100", "100"),
    ])
    func floatsAsGoPrintsThem(literal: String, plain: String, json: String) throws {
        #expect(Double(literal) != nil)
        #expect(VaultSecretValues.byteValue(.number(literal), numbers: .float64) == Data(plain.utf8))
        #expect(String(decoding: VaultJSON.marshal(.number(literal), numbers: .float64), as: UTF8.self) == json)
    }

    @Test func marshalSortsKeysEscapesHTMLAndKeepsNumberLiterals() throws {
        let value = try VaultJSON.parse(
            Array(#"{"b":"<a&b>\u2028","a":1.50,"c":[true,null,"\b\f\u0001\u007f"],"é":{"z":1,"y":2e3}}"#.utf8))
        let expected =
            #"{"a":1.50,"b":"\u003ca\u0026b\u003e\u2028","c":[true,null,"\b\f\u0001"# + "\u{7f}"
            + #""],"é":{"y":2e3,"z":1}}"#
        #expect(String(decoding: VaultJSON.marshal(value, numbers: .literal), as: UTF8.self) == expected)
        let floats =
            #"{"a":1.5,"b":"\u003ca\u0026b\u003e\u2028","c":[true,null,"\b\f\u0001"# + "\u{7f}"
            + #""],"é":{"y":2000,"z":1}}"#
        #expect(String(decoding: VaultJSON.marshal(value, numbers: .float64), as: UTF8.self) == floats)
    }

    @Test func surrogatePairsAndLoneSurrogates() throws {
        #expect(try VaultJSON.parse(Array(#""\ud83d\ude00""#.utf8)) == .string("😀"))
        #expect(try VaultJSON.parse(Array(#""\ud83dx""#.utf8)) == .string("\u{FFFD}x"))
    }

    @Test(arguments: [#"{"a":}"#, #"{"a":1"#, "[1,]", "01", "1.", "\"\u{01}\"", "tru", #"{"a":1} x"#])
    func invalidJSONIsRefusedWithoutQuotingIt(text: String) {
        #expect(throws: VaultJSON.SyntaxError.self) { try VaultJSON.parse(Array(text.utf8)) }
    }
}

/// What ESO makes of secret data: whole JSON, top-level keys, gjson paths, `extract` maps,
/// metadata.
@Suite struct SecretValueTests {
    static let secret: VaultSecretValues.Object = {
        guard
            case .object(let members) = try! VaultJSON.parse(
                Array(
                    #"{"user":"app","password":"p@ss<1>","port":5432,"ratio":1.50,"tls":true,"none":null,"nested":{"b":{"c":"deep"},"a":[1,2]},"a.b":"dotted"}"#
                        .utf8))
        else { fatalError() }
        return members
    }()

    func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }

    @Test func wholeSecretIsGoMarshalledJSON() throws {
        let value = try VaultSecretValues.value(of: Self.secret, property: nil, key: "db")
        #expect(
            text(value)
                == #"{"a.b":"dotted","nested":{"a":[1,2],"b":{"c":"deep"}},"none":null,"password":"p@ss\u003c1\u003e","port":5432,"ratio":1.50,"tls":true,"user":"app"}"#
        )
    }

    @Test(arguments: [
        ("user", "app"), ("password", "p@ss<1>"), ("port", "5432"), ("ratio", "1.50"), ("tls", "true"), ("none", ""),
        ("nested", #"{"a":[1,2],"b":{"c":"deep"}}"#), ("a.b", "dotted"), ("nested.b.c", "deep"), ("nested.a.1", "2"),
        ("nested.b", #"{"c":"deep"}"#),
    ])
    func properties(property: String, expected: String) throws {
        #expect(text(try VaultSecretValues.value(of: Self.secret, property: property, key: "db")) == expected)
    }

    @Test func missingPropertyIsNotFoundAndNamesNoValue() {
        do {
            _ = try VaultSecretValues.value(of: Self.secret, property: "nested.x", key: "db")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .notFound)
            #expect(!error.message.contains("deep") && !error.message.contains("p@ss"))
        }
    }

    @Test func extractMapsMembersAsGoDoesAfterUnmarshal() throws {
        let whole = try VaultSecretValues.value(of: Self.secret, property: nil, key: "db")
        let map = try VaultSecretValues.map(of: whole, key: "db", property: nil)
        #expect(
            map.mapValues(text) == [
                "user": "app", "password": "p@ss<1>", "port": "5432", "ratio": "1.5", "tls": "true", "none": "",
                "nested": #"{"a":[1,2],"b":{"c":"deep"}}"#, "a.b": "dotted",
            ])
        let nested = try VaultSecretValues.map(
            of: VaultSecretValues.value(of: Self.secret, property: "nested", key: "db"), key: "db", property: "nested")
        #expect(nested.mapValues(text) == ["a": "[1,2]", "b": #"{"c":"deep"}"#])
        #expect(throws: ProviderError.self) {
            try VaultSecretValues.map(of: Data("app".utf8), key: "db", property: "user")
        }
    }

    @Test func kv2DataAndDeletedVersions() throws {
        let read = Array(ScriptedVault.kv2(#"{"k":"v"}"#).utf8)
        #expect(try VaultSecretValues.secretData(read, version: .v2, key: "db") == ["k": .string("v")])
        let deleted = Array(#"{"data":{"data":null,"metadata":{"deletion_time":"2024-01-01T00:00:00Z"}}}"#.utf8)
        #expect(throws: ProviderError.notFound("secret \"db\" not found (its current version is deleted)")) {
            try VaultSecretValues.secretData(deleted, version: .v2, key: "db")
        }
        let v1 = Array(#"{"data":{"k":"v"}}"#.utf8)
        #expect(try VaultSecretValues.secretData(v1, version: .v1, key: "db") == ["k": .string("v")])
        #expect(throws: ProviderError.self) { try VaultSecretValues.secretData(v1, version: .v2, key: "db") }
    }

    @Test func metadataHasSystemKeysAndCustomMetadata() throws {
        let body = Array(
            #"{"data":{"created_time":"2024-01-02T03:04:05Z","current_version":3,"delete_version_after":"0s","max_versions":0,"custom_metadata":{"team":"a","env":"prod"}}}"#
                .utf8)
        #expect(
            try VaultSecretValues.metadata(body, key: "db") == [
                "created_time": "2024-01-02T03:04:05Z", "current_version": "3", "delete_version_after": "0s",
                "team": "a",
                "env": "prod",
            ])
    }
}

/// When a token is used, renewed or replaced.
@Suite struct TokenScheduleTests {
    static let start = Date(timeIntervalSince1970: 1_000_000)

    func token(lease: TimeInterval, renewable: Bool = true) -> VaultToken {
        VaultToken(value: "t", lease: lease, renewable: renewable, obtainedAt: Self.start)
    }

    @Test(arguments: [
        // (lease, renewable, seconds later, plan)
        (3600.0, true, 0.0, TokenSchedule.Plan.use),
        (3600, true, 2399, .use),
        (3600, true, 2400, .renew),
        (3600, true, 3594, .renew),
        (3600, true, 3596, .replace),
        (3600, false, 2400, .replace),
        (0, false, 1e9, .use),
        (30, true, 25, .renew),
        (30, true, 28, .replace),
        (15, true, 10, .renew),
        (15, true, 13.6, .replace),
    ])
    func loginTokens(lease: Double, renewable: Bool, later: Double, plan: TokenSchedule.Plan) {
        #expect(
            TokenSchedule.plan(token(lease: lease, renewable: renewable), logsIn: true, now: Self.start + later) == plan
        )
    }

    @Test func tokensFromSecretsAreReadAgainEveryFiveMinutesAndNeverRenewed() {
        let token = token(lease: 0, renewable: false)
        #expect(TokenSchedule.plan(token, logsIn: false, now: Self.start + 299) == .use)
        #expect(TokenSchedule.plan(token, logsIn: false, now: Self.start + 300) == .replace)
    }
}

/// Sanitizing Vault's error text.
@Suite struct ErrorTextTests {
    @Test func credentialsAndTokenLikeRunsAreCutOut() {
        let text = VaultErrorText.sanitize(
            "invalid secret id \(canary) for token hvs.CAESIJr3XyzAbCdEfGhIjKlMnOpQrStUv and role \"web\"\nsecond line",
            secrets: [canary])
        #expect(!text.contains(canary))
        #expect(!text.contains("CAESI"))
        #expect(text == #"invalid secret id [redacted] for token [redacted] and role "web" second line"#)
    }

    @Test func errorsArrayIsReadAndBounded() {
        let long = String(repeating: "word ", count: 100)
        let body = Array(#"{"errors":["permission denied","\#(long)"]}"#.utf8)
        let detail = VaultErrorText.detail(body: body, secrets: [])
        #expect(detail?.hasPrefix("permission denied; word word") == true)
        #expect((detail?.count ?? 0) <= VaultErrorText.maximumLength + 1)
        #expect(VaultErrorText.detail(body: Array("not json".utf8), secrets: []) == nil)
    }
}
