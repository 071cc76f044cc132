import ExternalSecretsAPI
import Foundation
import HTTPSupport
import HTTPTestSupport
import KubeModel
import NIOHTTP1
import ProviderKit
import ProviderKubernetes
import Testing

private func bytes(_ text: String) -> Data { Data(text.utf8) }

/// Reads against a scripted API server: request paths and selectors, and ESO's encodings.
@Suite struct ReadTests {
    private func client(_ transport: ScriptedTransport) async throws -> any SecretsClient {
        try await provider(transport).makeClient(for: tokenStore(), references: tokenReferences())
    }

    @Test func wholeSecretIsAJSONObjectOfStringsLikeGo() async throws {
        let transport = ScriptedTransport(replies: [
            secretReply(
                "db",
                data: [
                    "password": bytes("p\"w\\d<&>\n\t"), "user": bytes("admin"), "Zeta": bytes(""),
                    "bin": Data([0x00, 0xFF, 0x41, 0xE2, 0x80, 0xA8]),
                ])
        ])
        let value = try await client(transport).getSecret(ExternalSecretDataRemoteRef(key: "db"))
        #expect(
            String(decoding: value, as: UTF8.self)
                == #"{"Zeta":"","bin":"\u0000\ufffdA\u2028","password":"p\"w\\d<&>\n\t","user":"admin"}"#)
        let request = try #require(transport.requests.first)
        #expect(request.method == .GET)
        #expect(request.url == "https://remote.example:6443/api/v1/namespaces/remote/secrets/db")
        #expect(request.authorization == "Bearer store-token")
    }

    @Test func emptySecretIsAnEmptyObject() async throws {
        let transport = ScriptedTransport(replies: [secretReply("empty", data: [:])])
        let value = try await client(transport).getSecret(ExternalSecretDataRemoteRef(key: "empty"))
        #expect(value == bytes("{}"))
    }

    @Test func propertyIsAnExactKeyFirstEvenWithDots() async throws {
        let transport = ScriptedTransport { _ in
            secretReply("tls", data: ["tls.crt": bytes("CERT"), "tls": bytes(#"{"crt":"wrong"}"#)])
        }
        let client = try await client(transport)
        #expect(
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "tls", property: "tls.crt")) == bytes("CERT"))
    }

    @Test func dottedPropertyReadsAGJSONPathInsideTheKey() async throws {
        let transport = ScriptedTransport { _ in
            secretReply("app", data: ["config": bytes(#"{"db":{"host":"h","port":5432},"list":["a","b"]}"#)])
        }
        let client = try await client(transport)
        let value = try await client.getSecret(ExternalSecretDataRemoteRef(key: "app", property: "config.db.host"))
        #expect(value == bytes("h"))
        #expect(
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "app", property: "config.db"))
                == bytes(#"{"host":"h","port":5432}"#))
        #expect(try await client.getSecret(ExternalSecretDataRemoteRef(key: "app", property: "config.list.#")) == bytes("2"))

        let missing = await providerError {
            _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "app", property: "config.nope"))
        }
        #expect(missing?.code == .notFound)
    }

    @Test func dottedPropertyWhoseFirstPartIsNoKeyIsMissing() async throws {
        let transport = ScriptedTransport { _ in secretReply("app", data: ["config": bytes(#"{"db":"x"}"#)]) }
        let client = try await client(transport)
        let missing = await providerError {
            _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "app", property: "other.db"))
        }
        #expect(missing?.code == .notFound)
        #expect(missing?.message == #"property other.db does not exist in data of secret "app""#)
    }

    @Test func binaryPropertyIsReturnedAsBytes() async throws {
        let binary = Data([0x00, 0xFF, 0x00, 0xFF, 0xAC, 0xAB, 0x28, 0x21])
        let transport = ScriptedTransport { _ in secretReply("bin", data: ["bindata": binary]) }
        #expect(
            try await client(transport).getSecret(ExternalSecretDataRemoteRef(key: "bin", property: "bindata"))
                == binary)
    }

    @Test func missingSecretAndMissingKeyAreNotFound() async throws {
        let transport = ScriptedTransport { request in
            request.path.hasSuffix("/gone")
                ? statusReply(404, "NotFound", message: #"secrets \"gone\" not found"#)
                : secretReply("db", data: ["user": bytes(canary)])
        }
        let client = try await client(transport)
        let gone = await providerError { _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "gone")) }
        #expect(gone?.code == .notFound)
        #expect(gone?.message == #"Secret "gone" not found in namespace "remote""#)
        let noKey = await providerError {
            _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db", property: "pass"))
        }
        #expect(noKey?.code == .notFound)
        #expect(noKey?.message.contains(canary) == false)
        let goneMap = await providerError {
            _ = try await client.getSecretMap(ExternalSecretDataRemoteRef(key: "gone"))
        }
        #expect(goneMap?.isNotFound == true)
    }

    @Test func versionIsRefusedBeforeAnyRequest() async throws {
        let transport = ScriptedTransport(replies: [])
        let client = try await client(transport)
        let error = await providerError {
            _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db", version: "2"))
        }
        #expect(error?.code == .unsupported)
        #expect(error?.message.contains("remoteRef.version") == true)
        #expect(transport.requests.isEmpty)
    }

    @Test func metadataPolicyFetchReadsLabelsAndAnnotations() async throws {
        let transport = ScriptedTransport { request in
            request.path.hasSuffix("/bare")
                ? secretReply("bare", data: [:])
                : secretReply("db", data: ["k": bytes("v")], labels: ["dev": "<seb>"], annotations: ["date": "today"])
        }
        let client = try await client(transport)
        func get(_ key: String, _ property: String? = nil) async throws -> String {
            String(
                decoding: try await client.getSecret(
                    ExternalSecretDataRemoteRef(key: key, property: property, metadataPolicy: .fetch)), as: UTF8.self)
        }
        #expect(try await get("db") == #"{"annotations":{"date":"today"},"labels":{"dev":"<seb>"}}"#)
        #expect(try await get("bare") == #"{"annotations":null,"labels":null}"#)
        #expect(try await get("db", "labels") == #"{"dev":"<seb>"}"#)
        #expect(try await get("db", "labels.dev") == "<seb>")
        let missing = await providerError { _ = try await get("db", "spec") }
        #expect(missing?.message == #"property spec does not exist in metadata of secret "db""#)

        let map = try await client.getSecretMap(ExternalSecretDataRemoteRef(key: "db", metadataPolicy: .fetch))
        #expect(map == ["annotations": bytes(#"{"date":"today"}"#), "labels": bytes(#"{"dev":"<seb>"}"#)])
        let labels = try await client.getSecretMap(
            ExternalSecretDataRemoteRef(key: "db", property: "labels", metadataPolicy: .fetch))
        #expect(labels == ["dev": bytes(#""<seb>""#)])
    }

    @Test func secretMapIsTheDataAndAPropertyIsExplodedLikeESO() async throws {
        let config =
            #"{"host":"db","port":5432,"ratio":0.5,"big":1e21,"tiny":0.0000001,"on":true,"none":null,"list":[1,"a"],"nested":{"b":1,"a":"<x>"}}"#
        let transport = ScriptedTransport { _ in
            secretReply(
                "app", data: ["config": bytes(config), "user": bytes("admin"), "bad": bytes("{\"a\":\"\(canary)")])
        }
        let client = try await client(transport)
        let map = try await client.getSecretMap(ExternalSecretDataRemoteRef(key: "app"))
        #expect(map["user"] == bytes("admin"))
        #expect(map.keys.sorted() == ["bad", "config", "user"])

        let exploded = try await client.getSecretMap(ExternalSecretDataRemoteRef(key: "app", property: "config"))
        #expect(
            exploded.mapValues { String(decoding: $0, as: UTF8.self) } == [
                "host": #""db""#, "port": "5432", "ratio": "0.5", "big": "1e+21", "tiny": "1e-7", "on": "true",
                "none": "null", "list": #"[1,"a"]"#, "nested": #"{"a":"<x>","b":1}"#,
            ])

        let notJSON = await providerError {
            _ = try await client.getSecretMap(ExternalSecretDataRemoteRef(key: "app", property: "bad"))
        }
        #expect(notJSON?.code == .invalidData)
        #expect(notJSON?.message.contains(canary) == false)
        let scalar = await providerError {
            _ = try await client.getSecretMap(ExternalSecretDataRemoteRef(key: "app", property: "user"))
        }
        #expect(scalar?.code == .invalidData)
        let missing = await providerError {
            _ = try await client.getSecretMap(ExternalSecretDataRemoteRef(key: "app", property: "nope"))
        }
        #expect(missing?.code == .notFound)
    }

    @Test func findByNameFiltersAListOfTheRemoteNamespace() async throws {
        let transport = ScriptedTransport { _ in
            secretList([
                Secret(metadata: ObjectMeta(name: "db-main"), data: ["u": bytes("1")]),
                Secret(metadata: ObjectMeta(name: "other"), data: ["u": bytes("2")]),
                Secret(metadata: ObjectMeta(name: "my-db"), data: [:]),
            ])
        }
        let found = try await client(transport).getAllSecrets(ExternalSecretFind(name: FindName(regexp: "db")))
        #expect(found == ["db-main": bytes(#"{"u":"1"}"#), "my-db": bytes("{}")])
        let anchored = try await client(transport).getAllSecrets(ExternalSecretFind(name: FindName(regexp: "^db-")))
        #expect(Array(anchored.keys) == ["db-main"])
        let request = try #require(transport.requests.first)
        #expect(request.path == "/api/v1/namespaces/remote/secrets")
        #expect(!request.query.contains("labelSelector"))
    }

    @Test func findByTagsIsAServerSideLabelSelectorAndPagesAreFollowed() async throws {
        let transport = ScriptedTransport { request in
            request.query.contains("continue=")
                ? secretList([Secret(metadata: ObjectMeta(name: "page-2"), data: ["k": bytes("2")])])
                : secretList(
                    [Secret(metadata: ObjectMeta(name: "page-1"), data: ["k": bytes("1")])], continueToken: "next")
        }
        let found = try await client(transport).getAllSecrets(
            ExternalSecretFind(name: FindName(regexp: "page"), tags: ["tier": "front", "app": "web"]))
        #expect(found == ["page-1": bytes(#"{"k":"1"}"#), "page-2": bytes(#"{"k":"2"}"#)])
        let first = try #require(transport.requests.first)
        #expect(first.query.contains("labelSelector=app%3Dweb%2Ctier%3Dfront"))
        #expect(transport.requests.count == 2)
    }

    @Test func findRefusesPathBadTagsAndBadPatternsWithoutRequests() async throws {
        let transport = ScriptedTransport(replies: [])
        let client = try await client(transport)
        let path = await providerError { _ = try await client.getAllSecrets(ExternalSecretFind(path: "/team")) }
        #expect(path?.code == .unsupported)
        let nothing = await providerError { _ = try await client.getAllSecrets(ExternalSecretFind()) }
        #expect(nothing?.code == .invalidConfiguration)
        let pattern = await providerError {
            _ = try await client.getAllSecrets(ExternalSecretFind(name: FindName(regexp: "([")))
        }
        #expect(pattern?.code == .invalidConfiguration)
        let tag = await providerError { _ = try await client.getAllSecrets(ExternalSecretFind(tags: ["app": "a b"])) }
        #expect(tag?.code == .invalidConfiguration)
        #expect(transport.requests.isEmpty)
    }
}
