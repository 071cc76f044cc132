import ExternalSecretsAPI
import Foundation
import GoCompat
import HTTPSupport
import HTTPTestSupport
import ProviderKit
import ProviderTestSupport
import Testing

@testable import ProviderIBM

/// KES's `ibmcloudSecretsManager` values (pure): v1's `secret_data` rebuilt from a v2 secret,
/// written as `JSON.stringify` wrote it, and `property` as lodash paths.
struct IBMKESValueTests {
    static func fields(_ text: String) throws -> [String: GoJSONValue] {
        guard case .object(let object) = try GoJSONValue.parse(Array(text.utf8)) else { return [:] }
        return object
    }

    static func value(_ type: String, _ secret: String, _ property: String? = nil) throws -> String {
        let document = try IBMKESValues.document(of: try fields(secret), type: type, key: "k")
        return text(try IBMKESValues.value(of: document, property: property, key: "k"))
    }

    @Test(arguments: [
        ("arbitrary", #"{"payload": "s3cr3t", "name": "n"}"#, #"{"payload":"s3cr3t"}"#),
        (
            "username_password", #"{"username": "johndoe", "password": "p@ssw0rd", "rotation": {}}"#,
            #"{"password":"p@ssw0rd","username":"johndoe"}"#
        ),
        ("iam_credentials", #"{"api_key": "key", "ttl": "1800"}"#, #""key""#),
        ("imported_cert", #"{"certificate": "C", "intermediate_included": false}"#, #"{"certificate":"C"}"#),
        (
            "imported_cert", #"{"certificate": "C", "private_key": "K", "intermediate": "I"}"#,
            #"{"certificate":"C","intermediate":"I","private_key":"K"}"#
        ),
        (
            "public_cert",
            #"{"certificate": "C", "intermediate": "I", "private_key": "K", "key_algorithm": "RSA2048"}"#,
            #"{"certificate":"C","intermediate":"I","private_key":"K"}"#
        ),
        (
            "private_cert",
            #"{"certificate": "C", "private_key": "K", "issuing_ca": "CA", "ca_chain": ["CA", "ROOT"], "common_name": "x"}"#,
            #"{"ca_chain":["CA","ROOT"],"certificate":"C","issuing_ca":"CA","private_key":"K"}"#
        ),
        (
            "kv", #"{"data": {"b": 1.50, "a": "<&>", "10": true, "9": null, "nested": {"x": [1e21, 1e-7]}}}"#,
            #"{"payload":{"9":null,"10":true,"a":"<&>","b":1.5,"nested":{"x":[1e+21,1e-7]}}}"#
        ),
    ])
    func eachTypeGivesKESsJSON(type: String, secret: String, expected: String) throws {
        #expect(try Self.value(type, secret) == expected)
    }

    @Test func stringsEscapeAsJavaScriptDoes() throws {
        let secret = #"{"payload": "q\" b\\ \n\t\u0001 \u2028 é <"}"#
        #expect(try Self.value("arbitrary", secret) == #"{"payload":"q\" b\\ \n\t\u0001 "# + "\u{2028} é <\"}")
    }

    @Test func propertiesAreLodashPaths() throws {
        let kv = #"{"data": {"key": "v", "n": 2, "flag": false, "obj": {"a.b": "dotted", "list": ["x", {"y": "z"}]}}}"#
        #expect(try Self.value("kv", kv, "payload.key") == "v")
        #expect(try Self.value("kv", kv, "payload.n") == "2")
        #expect(try Self.value("kv", kv, "payload.flag") == "false")
        #expect(try Self.value("kv", kv, "payload.obj.list[0]") == "x")
        #expect(try Self.value("kv", kv, "payload.obj.list[1].y") == "z")
        #expect(try Self.value("kv", kv, #"payload.obj["a.b"]"#) == "dotted")
        #expect(try Self.value("kv", kv, "payload.obj.list") == #"["x",{"y":"z"}]"#)
        #expect(try Self.value("username_password", #"{"username": "u", "password": "p"}"#, "password") == "p")
        #expect(try Self.value("arbitrary", #"{"payload": "s"}"#, "payload") == "s")
        #expect(try Self.value("imported_cert", #"{"certificate": "C", "private_key": "K"}"#, "private_key") == "K")
        for missing in ["payload.other", "payload.obj.list[2]", "payload.key.deeper", "key"] {
            #expect(throws: ProviderError.self) { try Self.value("kv", kv, missing) }
        }
        do {
            _ = try Self.value("kv", kv, "payload.nope")
            Issue.record("no error")
        } catch let error as ProviderError {
            #expect(error.code == .notFound && error.message == "Could not find property payload.nope in k")
        }
    }

    @Test(arguments: [
        ("a", ["a"]), ("a.b", ["a", "b"]), ("a[0].b", ["a", "0", "b"]), (#"a["b.c"]"#, ["a", "b.c"]),
        ("a['x\\'y']", ["a", "x'y"]), (".a", ["", "a"]), ("a..b", ["a", "", "b"]), ("a.", ["a", ""]),
    ])
    func pathsSplitAsLodashSplitsThem(path: String, segments: [String]) {
        #expect(IBMKESValues.toPath(path) == segments)
    }

    @Test func missingDataFieldsAndUnknownTypesAreErrors() throws {
        #expect(throws: ProviderError.self) { try Self.value("username_password", #"{"username": "u"}"#) }
        #expect(throws: ProviderError.self) { try Self.value("iam_credentials", #"{"ttl": "1"}"#) }
        #expect(throws: ProviderError.self) { try Self.value("service_credentials", #"{"credentials": {}}"#) }
    }
}

/// The KES read modes against a scripted service: by ID (the type checked as v1 did), by name
/// across groups (exactly one secret of that name and type), and the operator's API key.
struct IBMKESClientTests {
    static let operatorKey = IBMOperatorAPIKey(apiKey: canary, iamEndpoint: iam + "/")

    static func kesStore(_ mode: IBMReadMode) -> StoreContext {
        ibmStore(IBMProvider(serviceUrl: service, auth: IBMAuth(), readMode: mode), kind: .clusterSecretStore)
    }

    static func client(_ mode: IBMReadMode, _ api: @escaping @Sendable (HTTPRequest) -> ScriptedTransport.Reply)
        async throws -> (any SecretsClient, ScriptedTransport)
    {
        let transport = ScriptedTransport { request in isToken(request) ? tokenReply : api(request) }
        let provider = IBMSecretsProvider(transport: { _ in (transport, {}) }, operatorAPIKey: operatorKey)
        return (try await provider.makeClient(for: kesStore(mode), references: FakeReferences()), transport)
    }

    @Test func theOperatorsKeyServesOnlyClusterStoresWithAnEmptyAuth() async throws {
        #expect(
            IBMOperatorAPIKey(variables: [
                "IBM_CLOUD_SECRETS_MANAGER_API_APIKEY": canary,
                "IBM_CLOUD_SECRETS_MANAGER_API_AUTH_URL": "https://ignored.example",
            ]) == IBMOperatorAPIKey(apiKey: canary))
        #expect(
            IBMOperatorAPIKey(variables: [
                "IBM_CLOUD_SECRETS_MANAGER_API_APIKEY": canary, "IBM_CLOUD_SECRETS_MANAGER_API_AUTH_TYPE": "IAM",
                "IBM_CLOUD_SECRETS_MANAGER_API_AUTH_URL": "https://iam.example/",
            ])?.iamEndpoint == "https://iam.example")
        #expect(
            IBMOperatorAPIKey(variables: [
                "IBM_CLOUD_SECRETS_MANAGER_API_APIKEY": canary,
                "IBM_CLOUD_SECRETS_MANAGER_API_AUTH_TYPE": "bearerToken",
            ]) == nil)
        #expect(IBMOperatorAPIKey(variables: [:]) == nil)
        #expect(!"\(Self.operatorKey)".contains(canary))

        let (client, transport) = try await Self.client(.kesByID) { _ in
            secret("arbitrary", #""payload": "v""#)
        }
        #expect(text(try await client.getSecret(.init(key: "arbitrary/\(secretID)"))) == #"{"payload":"v"}"#)
        let token = try #require(transport.requests.first)
        #expect(token.url == "\(iam)/identity/token" && form(token)["apikey"] == canary)

        let bare = IBMProvider(serviceUrl: service, auth: IBMAuth(), readMode: .kesByID)
        let withKey = IBMSecretsProvider(operatorAPIKey: Self.operatorKey)
        await expectError(.invalidConfiguration, containing: ["missing auth method"]) {
            try withKey.validateStore(ibmStore(bare))
        }
        await expectError(.invalidConfiguration, containing: ["missing auth method"]) {
            try IBMSecretsProvider().validateStore(ibmStore(bare, kind: .clusterSecretStore))
        }
        #expect(!withKey.readsDependOnCallerNamespace(ibmStore(bare, kind: .clusterSecretStore)))
    }

    @Test func byIDTheTypeMustMatchAsInAPIv1() async throws {
        let (client, transport) = try await Self.client(.kesByID) { request in
            request.url.hasSuffix(secretID)
                ? secret("username_password", #""username": "u", "password": "p""#)
                : serviceError(.notFound, "secret_not_found", "Secret not found")
        }
        #expect(
            text(try await client.getSecret(.init(key: "username_password/\(secretID)")))
                == #"{"password":"p","username":"u"}"#)
        #expect(
            text(try await client.getSecret(.init(key: "username_password/\(secretID)", property: "username"))) == "u")
        #expect(transport.requests.last?.url == "\(service)/api/v2/secrets/\(secretID)")
        await expectError(.notFound, containing: ["No arbitrary secret with ID \(secretID)"]) {
            _ = try await client.getSecret(.init(key: "arbitrary/\(secretID)"))
        }
        await expectError(.notFound, containing: ["missing-id"]) {
            _ = try await client.getSecret(.init(key: "arbitrary/missing-id"))
        }
        await expectError(.invalidConfiguration, containing: ["unknown secret type service_credentials"]) {
            _ = try await client.getSecret(.init(key: "service_credentials/\(secretID)"))
        }
        await expectError(.invalidConfiguration, containing: ["extract"]) {
            _ = try await client.getSecretMap(.init(key: "arbitrary/\(secretID)"))
        }
    }

    @Test func byNameTheOneSecretOfThatNameAndTypeInAnyGroup() async throws {
        let other = "9a1f1f6e-3b4c-4d5e-8f70-112233445566"
        let (client, transport) = try await Self.client(.kesByName) { request in
            if request.url.contains("/api/v2/secrets?") {
                let search = request.url.contains("search=db-creds") ? "db-creds" : "twice"
                let first = request.url.contains("offset=0&")
                let items =
                    search == "db-creds"
                    ? (first
                        ? #"[{"id": "\#(other)", "name": "db-creds-old", "secret_type": "username_password", "secret_group_id": "g1"}]"#
                        : #"[{"id": "\#(secretID)", "name": "db-creds", "secret_type": "username_password", "secret_group_id": "g2"}]"#)
                    : #"[{"id": "\#(secretID)", "name": "twice", "secret_type": "kv"}, {"id": "\#(other)", "name": "twice", "secret_type": "kv"}]"#
                let next =
                    search == "db-creds" && first ? #", "next": {"href": "\#(service)/api/v2/secrets?offset=1"}"# : ""
                let total = search == "db-creds" ? 2 : 2
                return json(#"{"total_count": \#(total), "secrets": \#(items)\#(next)}"#)
            }
            return request.url.hasSuffix(secretID)
                ? secret("username_password", name: "db-creds", #""username": "u", "password": "p""#)
                : serviceError(.notFound, "secret_not_found", "Secret not found")
        }
        #expect(
            text(try await client.getSecret(.init(key: "username_password/db-creds", property: "password"))) == "p")
        let lists = transport.requests.filter { $0.url.contains("/api/v2/secrets?") }.map(\.url)
        #expect(
            lists == [
                "\(service)/api/v2/secrets?offset=0&limit=200&search=db-creds&secret_types=username_password",
                "\(service)/api/v2/secrets?offset=1&limit=200&search=db-creds&secret_types=username_password",
            ])
        await expectError(.notFound, containing: ["No arbitrary secret named db-creds"]) {
            _ = try await client.getSecret(.init(key: "arbitrary/db-creds"))
        }
        await expectError(.invalidData, containing: ["Multiple kv secrets named twice"]) {
            _ = try await client.getSecret(.init(key: "kv/twice"))
        }
    }
}
