import ExternalSecretsAPI
import Foundation
import HTTPSupport
import HTTPTestSupport
import NIOHTTP1
import ProviderKit
import ProviderTestSupport
import Testing

@testable import ProviderAWS

/// Decodes JSON text into whatever type the context asks for (`PushTarget.metadata`).
func decoded<T: Decodable>(_ text: String) throws -> T {
    try JSONDecoder().decode(T.self, from: Data(text.utf8))
}

func target(_ key: String, property: String? = nil, metadata spec: String? = nil) throws -> PushTarget {
    var target = PushTarget(remoteKey: key, property: property)
    if let spec {
        target.metadata = try decoded(
            #"{"apiVersion":"kubernetes.external-secrets.io/v1alpha1","kind":"PushSecretMetadata","spec":\#(spec)}"#)
    }
    return target
}

extension HTTPRequest {
    var operation: String { String(target.split(separator: ".").last ?? "") }
    /// `SecretBinary` (base64) or `SecretString` of a write, as bytes.
    var writtenSecret: Data? {
        if let binary = bodyJSON["SecretBinary"] as? String { return Data(base64Encoded: binary) }
        return (bodyJSON["SecretString"] as? String).map { Data($0.utf8) }
    }
    var tagMap: [String: String] {
        let tags = bodyJSON["Tags"] as? [[String: String]] ?? []
        return Dictionary(tags.map { ($0["Key"] ?? "", $0["Value"] ?? "") }, uniquingKeysWith: { _, last in last })
    }
}

let notFoundSM = json(.badRequest, #"{"__type":"ResourceNotFoundException","message":"not found"}"#)
let managedTags = #"[{"Key":"managed-by","Value":"external-secrets"}]"#

func describeReply(tags: String = managedTags, version: String? = "v1", extra: String = "") -> ScriptedTransport.Reply {
    let versions = version.map { #","VersionIdsToStages":{"\#($0)":["AWSCURRENT"]}"# } ?? ""
    return json(
        .ok,
        #"{"ARN":"arn:aws:secretsmanager:us-east-1:1:secret:db-AbCdEf","Name":"db","Tags":\#(tags)\#(versions)\#(extra)}"#
    )
}

func secretValueReply(binary: Data? = nil, string: String? = nil, version: String = "v1") -> ScriptedTransport.Reply {
    var object: [String: Any] = ["Name": "db", "VersionId": version]
    if let binary { object["SecretBinary"] = binary.base64EncodedString() }
    if let string { object["SecretString"] = string }
    let data = try! JSONSerialization.data(withJSONObject: object)
    return json(.ok, String(decoding: data, as: UTF8.self))
}

// MARK: - Secrets Manager requests

@Suite struct SecretsManagerPushTests {
    func client(_ transport: ScriptedTransport, secretsManager: AWSSecretsManagerSettings? = nil) async throws
        -> any SecretsClient
    {
        var aws = AWSProvider(service: .secretsManager, region: "us-east-1", auth: keysRef, prefix: "app/")
        aws.secretsManager = secretsManager
        return try await provider(transport).makeClient(
            for: store(aws), references: FakeReferences(secrets: keySecrets))
    }

    @Test func aNewSecretIsCreatedTaggedInTwoCalls() async throws {
        let transport = ScriptedTransport(replies: [
            notFoundSM, json(.ok, #"{"ARN":"arn:x","Name":"app/db","VersionId":"c1"}"#),
        ])
        let client = try await client(transport)
        try await client.pushSecret(
            .value(Data(canary.utf8)), to: try target("db", metadata: #"{"tags":{"team":"a"},"description":"d"}"#))
        #expect(transport.requests.map(\.operation) == ["DescribeSecret", "CreateSecret"])
        let create = transport.requests[1]
        #expect(create.bodyJSON["Name"] as? String == "app/db")
        #expect(create.writtenSecret == Data(canary.utf8))
        #expect(create.bodyJSON["SecretString"] == nil)
        #expect(create.tagMap == ["managed-by": "external-secrets", "team": "a"])
        #expect(create.bodyJSON["Description"] as? String == "d")
        #expect(create.bodyJSON["KmsKeyId"] as? String == "alias/aws/secretsmanager")
        #expect((create.bodyJSON["ClientRequestToken"] as? String)?.count == 36)
    }

    @Test func aSecretWithoutTheTagIsNeitherReadNorWritten() async throws {
        let transport = ScriptedTransport(replies: [describeReply(tags: #"[{"Key":"team","Value":"a"}]"#)])
        let client = try await client(transport)
        let error = await #expect(throws: ProviderError.self) {
            try await client.pushSecret(.value(Data(canary.utf8)), to: try target("db"))
        }
        #expect(error?.code == .notManaged)
        #expect(error?.message.contains("\"app/db\"") == true && error?.message.contains(canary) == false)
        #expect(transport.requests.map(\.operation) == ["DescribeSecret"])

        let deleteTransport = ScriptedTransport(replies: [describeReply(tags: "[]")])
        let deleteError = await #expect(throws: ProviderError.self) {
            try await self.client(deleteTransport).deleteSecret(try target("db"))
        }
        #expect(deleteError?.code == .notManaged)
        #expect(deleteTransport.requests.map(\.operation) == ["DescribeSecret"])
    }

    @Test func anUnchangedValueIsNotWrittenAndTheNextPushCostsOneCall() async throws {
        let transport = ScriptedTransport(replies: [
            describeReply(), secretValueReply(binary: Data(canary.utf8)), describeReply(),
        ])
        let client = try await client(transport)
        try await client.pushSecret(.value(Data(canary.utf8)), to: try target("db"))
        try await client.pushSecret(.value(Data(canary.utf8)), to: try target("db"))
        #expect(transport.requests.map(\.operation) == ["DescribeSecret", "GetSecretValue", "DescribeSecret"])
    }

    @Test func aChangedValueIsOnePutSecretValue() async throws {
        let transport = ScriptedTransport(replies: [
            describeReply(), secretValueReply(binary: Data("old".utf8)), json(.ok, #"{"VersionId":"v2"}"#),
            describeReply(version: "v2"), describeReply(version: "v2"), json(.ok, #"{"VersionId":"v3"}"#),
        ])
        let client = try await client(transport)
        try await client.pushSecret(.value(Data(canary.utf8)), to: try target("db"))
        #expect(transport.requests.map(\.operation) == ["DescribeSecret", "GetSecretValue", "PutSecretValue"])
        let put = transport.requests[2]
        #expect(put.bodyJSON["SecretId"] as? String == "app/db")
        #expect(put.writtenSecret == Data(canary.utf8))
        #expect(put.bodyJSON["ClientRequestToken"] as? String != nil)
        // The version just written is known: pushing it again reads nothing, and a new value
        // replaces it without reading the old one.
        try await client.pushSecret(.value(Data(canary.utf8)), to: try target("db"))
        #expect(transport.requests.count == 4)
        try await client.pushSecret(.value(Data("v3".utf8)), to: try target("db"))
        #expect(transport.requests.map(\.operation).suffix(2) == ["DescribeSecret", "PutSecretValue"])
        #expect(transport.requests.last?.writtenSecret == Data("v3".utf8))
    }

    @Test func aNewFormatIsAWrite() async throws {
        let transport = ScriptedTransport(replies: [
            describeReply(), secretValueReply(binary: Data("v".utf8)), json(.ok, #"{"VersionId":"v2"}"#),
        ])
        try await client(transport).pushSecret(
            .value(Data("v".utf8)), to: try target("db", metadata: #"{"secretPushFormat":"string"}"#))
        #expect(transport.requests.last?.bodyJSON["SecretString"] as? String == "v")
        #expect(transport.requests.last?.bodyJSON["SecretBinary"] == nil)
    }

    @Test func aPropertyIsMergedIntoTheObject() async throws {
        let transport = ScriptedTransport(replies: [
            describeReply(), secretValueReply(string: #"{"user":"u","port":5432}"#),
            json(.ok, #"{"VersionId":"v2"}"#), describeReply(),
            secretValueReply(string: #"{"user":"u","port":5432,"password":"\#(canary)"}"#, version: "v3"),
        ])
        let client = try await client(transport)
        try await client.pushSecret(.value(Data(canary.utf8)), to: try target("db", property: "password"))
        let put = try #require(transport.requests.last)
        #expect(put.writtenSecret == Data(#"{"user":"u","port":5432,"password":"\#(canary)"}"#.utf8))
        // Another writer made v3 with the same property: read, found equal, not written.
        try await client.pushSecret(.value(Data(canary.utf8)), to: try target("db", property: "password"))
        #expect(transport.requests.map(\.operation).suffix(2) == ["DescribeSecret", "GetSecretValue"])
    }

    @Test func allKeysAreAJSONObjectOfStrings() async throws {
        let transport = ScriptedTransport(replies: [notFoundSM, json(.ok, #"{"VersionId":"c1"}"#)])
        try await client(transport).pushSecret(
            .allKeys(["user": Data("u".utf8), "pass": Data("p&<".utf8)]),
            to: try target("db", metadata: #"{"secretPushFormat":"string"}"#))
        #expect(transport.requests[1].bodyJSON["SecretString"] as? String == #"{"pass":"p&<","user":"u"}"#)
    }

    @Test func tagsAndReplicasFollowTheMetadata() async throws {
        let transport = ScriptedTransport(replies: [
            describeReply(
                tags: #"[{"Key":"managed-by","Value":"external-secrets"},{"Key":"old","Value":"1"}]"#,
                extra: #","ReplicationStatus":[{"Region":"eu-west-1","Status":"InSync"}]"#),
            json(.ok, "{}"), json(.ok, "{}"), json(.ok, "{}"), json(.ok, "{}"),
            secretValueReply(binary: Data("v".utf8)),
        ])
        try await client(transport).pushSecret(
            .value(Data("v".utf8)),
            to: try target("db", metadata: #"{"tags":{"team":"a"},"replicationLocations":["eu-central-1"]}"#))
        #expect(
            transport.requests.map(\.operation) == [
                "DescribeSecret", "UntagResource", "TagResource", "RemoveRegionsFromReplication",
                "ReplicateSecretToRegions", "GetSecretValue",
            ])
        #expect(transport.requests[1].bodyJSON["TagKeys"] as? [String] == ["old"])
        #expect(transport.requests[2].tagMap == ["team": "a"])
        #expect(transport.requests[3].bodyJSON["RemoveReplicaRegions"] as? [String] == ["eu-west-1"])
    }

    @Test func aSecretScheduledForDeletionIsRestored() async throws {
        let transport = ScriptedTransport(replies: [
            describeReply(extra: #","DeletedDate":1800000000.5"#), json(.ok, "{}"),
            secretValueReply(binary: Data("old".utf8)), json(.ok, #"{"VersionId":"v2"}"#),
        ])
        try await client(transport).pushSecret(.value(Data("new".utf8)), to: try target("db"))
        #expect(
            transport.requests.map(\.operation) == [
                "DescribeSecret", "RestoreSecret", "GetSecretValue", "PutSecretValue",
            ])
    }

    @Test func deletionHonoursTheStoreSettings() async throws {
        let transport = ScriptedTransport(replies: [describeReply(), json(.ok, "{}")])
        try await client(transport, secretsManager: AWSSecretsManagerSettings(forceDeleteWithoutRecovery: true))
            .deleteSecret(try target("db"))
        #expect(transport.requests.map(\.operation) == ["DescribeSecret", "DeleteSecret"])
        #expect(transport.requests[1].bodyJSON["ForceDeleteWithoutRecovery"] as? Bool == true)
        #expect(transport.requests[1].bodyJSON["RecoveryWindowInDays"] == nil)

        let window = ScriptedTransport(replies: [describeReply(), json(.ok, "{}")])
        try await client(window, secretsManager: AWSSecretsManagerSettings(recoveryWindowInDays: 7))
            .deleteSecret(try target("db"))
        #expect(window.requests[1].bodyJSON["RecoveryWindowInDays"] as? Int == 7)
        #expect(window.requests[1].bodyJSON["ForceDeleteWithoutRecovery"] == nil)

        let missing = ScriptedTransport(replies: [notFoundSM])
        try await client(missing).deleteSecret(try target("db"))
        #expect(missing.requests.count == 1)

        let pending = ScriptedTransport(replies: [describeReply(extra: #","DeletedDate":1800000000"#)])
        try await client(pending).deleteSecret(try target("db"))
        #expect(pending.requests.count == 1)
    }

    @Test func deletingAPropertyRewritesOrDeletes() async throws {
        let transport = ScriptedTransport(replies: [
            describeReply(), secretValueReply(string: #"{"a":"1","b":"2"}"#), json(.ok, #"{"VersionId":"v2"}"#),
        ])
        try await client(transport).deleteSecret(try target("db", property: "a"))
        #expect(transport.requests.map(\.operation) == ["DescribeSecret", "GetSecretValue", "PutSecretValue"])
        // Stored as SecretString before: still a SecretString.
        #expect(transport.requests[2].bodyJSON["SecretString"] as? String == #"{"b":"2"}"#)

        let last = ScriptedTransport(replies: [
            describeReply(), secretValueReply(string: #"{"a":"1"}"#), json(.ok, "{}"),
        ])
        try await client(last).deleteSecret(try target("db", property: "a"))
        #expect(last.requests.map(\.operation) == ["DescribeSecret", "GetSecretValue", "DeleteSecret"])

        let absent = ScriptedTransport(replies: [describeReply(), secretValueReply(string: #"{"b":"2"}"#)])
        try await client(absent).deleteSecret(try target("db", property: "a"))
        #expect(absent.requests.count == 2)
    }

    @Test func existence() async throws {
        let transport = ScriptedTransport { request in
            let id = request.bodyJSON["SecretId"] as? String
            switch (request.operation, id) {
            case ("DescribeSecret", "app/db"): return describeReply()
            case ("DescribeSecret", "app/empty"): return describeReply(version: nil)
            case ("DescribeSecret", "app/pending"): return describeReply(extra: #","DeletedDate":1800000000"#)
            case ("GetSecretValue", "app/db"): return secretValueReply(string: #"{"a":"1"}"#)
            default: return notFoundSM
            }
        }
        let client = try await client(transport)
        #expect(try await client.secretExists(try target("db")))
        #expect(try await !client.secretExists(try target("empty")))
        #expect(try await !client.secretExists(try target("pending")))
        #expect(try await !client.secretExists(try target("other")))
        // The value is read only to look for a property.
        #expect(!transport.requests.contains { $0.operation == "GetSecretValue" })
        #expect(try await client.secretExists(try target("db", property: "a")))
        #expect(try await !client.secretExists(try target("db", property: "b")))
        #expect(try await !client.secretExists(try target("other", property: "a")))
    }

    @Test func aDeniedWriteNamesTheCallAndThePermission() async throws {
        let transport = ScriptedTransport(replies: [
            describeReply(), secretValueReply(binary: Data("old".utf8)),
            json(
                .badRequest,
                #"{"__type":"AccessDeniedException","Message":"User: arn:aws:iam::1:user/ro is not authorized to perform: secretsmanager:PutSecretValue on resource: app/db"}"#
            ),
        ])
        let error = await #expect(throws: ProviderError.self) {
            try await self.client(transport).pushSecret(.value(Data(canary.utf8)), to: try target("db"))
        }
        #expect(error?.code == .accessDenied)
        #expect(error?.message.contains("PutSecretValue \"app/db\"") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("IAM permission secretsmanager:PutSecretValue") == true)
        #expect(error?.message.contains(canary) == false)
    }

    @Test func badMetadataFailsBeforeAnyCall() async throws {
        let transport = ScriptedTransport(replies: [])
        await #expect(throws: ProviderError.self) {
            try await self.client(transport).pushSecret(
                .value(Data("v".utf8)), to: try target("db", metadata: #"{"secretType":"SecureString"}"#))
        }
        await #expect(throws: ProviderError.self) {
            try await self.client(transport).pushSecret(
                .value(Data([0xff])), to: try target("db", metadata: #"{"secretPushFormat":"string"}"#))
        }
        #expect(transport.requests.isEmpty)
    }
}

// MARK: - Parameter Store requests

@Suite struct ParameterStorePushTests {
    static let missing = json(.badRequest, #"{"__type":"InvalidResourceId"}"#)
    static let managed = json(.ok, #"{"TagList":[{"Key":"managed-by","Value":"external-secrets"}]}"#)

    func client(_ transport: ScriptedTransport) async throws -> any SecretsClient {
        try await provider(transport).makeClient(
            for: store(AWSProvider(service: .parameterStore, region: "us-east-1", auth: keysRef)),
            references: FakeReferences(secrets: keySecrets))
    }

    static func parameter(_ value: String, type: String = "String") -> ScriptedTransport.Reply {
        let data = try! JSONSerialization.data(withJSONObject: [
            "Parameter": ["Name": "/p", "Value": value, "Type": type, "Version": 1]
        ])
        return json(.ok, String(decoding: data, as: UTF8.self))
    }

    @Test func aNewParameterIsCreatedWithItsTagsInOneWrite() async throws {
        let transport = ScriptedTransport(replies: [Self.missing, json(.ok, #"{"Version":1,"Tier":"Advanced"}"#)])
        try await client(transport).pushSecret(
            .value(Data(canary.utf8)),
            to: try target(
                "/p",
                metadata:
                    #"{"secretType":"SecureString","kmsKeyID":"alias/k","tier":{"type":"Advanced"},"tags":{"team":"a"}}"#
            ))
        #expect(transport.requests.map(\.operation) == ["ListTagsForResource", "PutParameter"])
        let put = transport.requests[1].bodyJSON
        #expect(put["Name"] as? String == "/p")
        #expect(put["Value"] as? String == canary)
        #expect(put["Type"] as? String == "SecureString")
        #expect(put["KeyId"] as? String == "alias/k")
        #expect(put["Tier"] as? String == "Advanced")
        #expect(put["Overwrite"] as? Bool == false)
        #expect(transport.requests[1].tagMap == ["managed-by": "external-secrets", "team": "a"])
    }

    @Test func anUnmanagedParameterIsNeitherReadNorWritten() async throws {
        let transport = ScriptedTransport(replies: [json(.ok, #"{"TagList":[]}"#)])
        let error = await #expect(throws: ProviderError.self) {
            try await self.client(transport).pushSecret(.value(Data(canary.utf8)), to: try target("/p"))
        }
        #expect(error?.code == .notManaged)
        #expect(transport.requests.map(\.operation) == ["ListTagsForResource"])
    }

    @Test func unchangedIsTwoReadsAndChangedOverwritesWithoutTags() async throws {
        let transport = ScriptedTransport(replies: [
            Self.managed, Self.parameter(canary), Self.managed, Self.parameter("old"), json(.ok, #"{"Version":2}"#),
        ])
        let client = try await client(transport)
        try await client.pushSecret(.value(Data(canary.utf8)), to: try target("/p"))
        #expect(transport.requests.map(\.operation) == ["ListTagsForResource", "GetParameter"])
        try await client.pushSecret(.value(Data(canary.utf8)), to: try target("/p"))
        let put = try #require(transport.requests.last).bodyJSON
        #expect(put["Overwrite"] as? Bool == true)
        #expect(put["Tags"] == nil)
        #expect(put["Type"] as? String == "String" && put["KeyId"] == nil)
    }

    @Test func aNewTypeIsAWriteAndTagsAreSynced() async throws {
        let transport = ScriptedTransport(replies: [
            json(.ok, #"{"TagList":[{"Key":"managed-by","Value":"external-secrets"},{"Key":"x","Value":"1"}]}"#),
            Self.parameter("v"), json(.ok, #"{"Version":2}"#), json(.ok, "{}"), json(.ok, "{}"),
        ])
        try await client(transport).pushSecret(
            .value(Data("v".utf8)), to: try target("/p", metadata: #"{"secretType":"SecureString","tags":{"y":"2"}}"#))
        #expect(
            transport.requests.map(\.operation) == [
                "ListTagsForResource", "GetParameter", "PutParameter", "RemoveTagsFromResource", "AddTagsToResource",
            ])
        #expect(transport.requests[3].bodyJSON["TagKeys"] as? [String] == ["x"])
        #expect(transport.requests[4].tagMap == ["y": "2"])
    }

    @Test func wholeSecretsAreBase64JSONUnlessEncodeAsDecoded() async throws {
        let transport = ScriptedTransport(replies: [Self.missing, json(.ok, "{}"), Self.missing, json(.ok, "{}")])
        let client = try await client(transport)
        try await client.pushSecret(.allKeys(["k": Data("v".utf8)]), to: try target("/p"))
        #expect(transport.requests[1].bodyJSON["Value"] as? String == #"{"k":"dg=="}"#)
        try await client.pushSecret(
            .allKeys(["k": Data("v".utf8)]), to: try target("/p", metadata: #"{"encodeAsDecoded":true}"#))
        #expect(transport.requests[3].bodyJSON["Value"] as? String == #"{"k":"v"}"#)
    }

    @Test func propertiesAndDeletion() async throws {
        let transport = ScriptedTransport(replies: [
            Self.managed, Self.parameter(#"{"a":"1"}"#), json(.ok, #"{"Version":2}"#),
            Self.managed, Self.parameter(#"{"a":"1","b":"2"}"#), json(.ok, #"{"Version":3}"#),
            Self.managed, Self.parameter(#"{"a":"1"}"#), json(.ok, "{}"),
            Self.missing,
        ])
        let client = try await client(transport)
        try await client.pushSecret(.value(Data("2".utf8)), to: try target("/p", property: "b"))
        #expect(transport.requests[2].bodyJSON["Value"] as? String == #"{"a":"1","b":"2"}"#)
        try await client.deleteSecret(try target("/p", property: "b"))
        #expect(transport.requests[5].bodyJSON["Value"] as? String == #"{"a":"1"}"#)
        try await client.deleteSecret(try target("/p", property: "a"))
        #expect(transport.requests[8].operation == "DeleteParameter")
        try await client.deleteSecret(try target("/p"))
        #expect(transport.requests.count == 10)
    }

    @Test func existenceReadsNoValueWithoutAProperty() async throws {
        let transport = ScriptedTransport(replies: [
            Self.managed, Self.missing, Self.parameter(#"{"a":"1"}"#), Self.parameter(#"{"a":"1"}"#),
        ])
        let client = try await client(transport)
        #expect(try await client.secretExists(try target("/p")))
        #expect(try await !client.secretExists(try target("/q")))
        #expect(try await client.secretExists(try target("/p", property: "a")))
        #expect(try await !client.secretExists(try target("/p", property: "b")))
        #expect(
            transport.requests.map(\.operation) == [
                "ListTagsForResource", "ListTagsForResource", "GetParameter", "GetParameter",
            ])
    }

    @Test func textOnly() async throws {
        let transport = ScriptedTransport(replies: [Self.missing, Self.missing])
        let client = try await client(transport)
        let binary = await #expect(throws: ProviderError.self) {
            try await client.pushSecret(.value(Data([0xff, 0xfe])), to: try target("/p"))
        }
        #expect(binary?.code == .invalidData)
        await #expect(throws: ProviderError.self) { try await client.pushSecret(.value(Data()), to: try target("/p")) }
    }
}
