import AWSSigV4
import ExternalSecretsAPI
import Foundation
import HTTPSupport
import HTTPTestSupport
import NIOHTTP1
import ProviderKit
import ProviderTestSupport
import Synchronization
import Testing

@testable import ProviderAWS

@Suite struct SecretsManagerReadTests {
    func client(_ transport: ScriptedTransport, prefix: String? = nil) async throws -> any SecretsClient {
        try await provider(transport).makeClient(
            for: store(AWSProvider(service: .secretsManager, region: "us-east-1", auth: keysRef, prefix: prefix)),
            references: FakeReferences(secrets: keySecrets))
    }

    @Test(
        arguments: [
            (nil, #"{"SecretId":"db","VersionStage":"AWSCURRENT"}"#),
            ("", #"{"SecretId":"db","VersionStage":"AWSCURRENT"}"#),
            ("AWSPREVIOUS", #"{"SecretId":"db","VersionStage":"AWSPREVIOUS"}"#),
            (
                "uuid/123e4567-e89b-12d3-a456-426614174000",
                #"{"SecretId":"db","VersionId":"123e4567-e89b-12d3-a456-426614174000"}"#
            ),
        ] as [(String?, String)])
    func versionSelection(version: String?, body: String) throws {
        let input = SecretsManagerClient.getSecretValueInput(key: "db", version: version)
        #expect(String(decoding: try AWSJSON.encoder.encode(input), as: UTF8.self) == body)
    }

    @Test func propertyPrefixAndBinary() async throws {
        let transport = ScriptedTransport { request in
            let id = request.bodyJSON["SecretId"] as? String
            if id == "app/db" {
                return json(
                    .ok, #"{"Name":"app/db","SecretString":"{\"user\":\"u\",\"nested\":{\"a.b\":\"x\",\"n\":1}}"}"#)
            }
            return json(.ok, #"{"Name":"app/bin","SecretBinary":"AAEC/w=="}"#)
        }
        let client = try await client(transport, prefix: "app/")
        #expect(try await client.getSecret(ExternalSecretDataRemoteRef(key: "db", property: "user")) == Data("u".utf8))
        #expect(
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "db", property: "nested.n")) == Data("1".utf8))
        #expect(try await client.getSecret(ExternalSecretDataRemoteRef(key: "bin")) == Data([0, 1, 2, 255]))
        let map = try await client.getSecretMap(ExternalSecretDataRemoteRef(key: "db"))
        #expect(map["user"] == Data("u".utf8))
        #expect(map["nested"] == Data(#"{"a.b":"x","n":1}"#.utf8))
        let missing = await #expect(throws: ProviderError.self) {
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "db", property: "nope"))
        }
        #expect(missing?.isNotFound == true)
    }

    @Test func notFoundNamesTheKeyAndVersion() async throws {
        let transport = ScriptedTransport { _ in
            json(
                .badRequest,
                #"{"__type":"ResourceNotFoundException","message":"Secrets Manager can't find the specified secret."}"#)
        }
        let client = try await client(transport)
        let error = await #expect(throws: ProviderError.self) {
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "db", version: "AWSPREVIOUS"))
        }
        #expect(error?.isNotFound == true)
        #expect(error?.message.contains("\"db\"") == true && error?.message.contains("AWSPREVIOUS") == true)
    }

    @Test func metadataFetchReturnsTagsAsGoJSON() async throws {
        let transport = ScriptedTransport { request in
            #expect(request.target == "secretsmanager.DescribeSecret")
            return json(.ok, #"{"Name":"db","Tags":[{"Key":"team","Value":"a<b"},{"Key":"env","Value":"prod"}]}"#)
        }
        let client = try await client(transport)
        let tags = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db", metadataPolicy: .fetch))
        #expect(String(decoding: tags, as: UTF8.self) == #"{"env":"prod","team":"a\u003cb"}"#)
        let one = try await client.getSecret(
            ExternalSecretDataRemoteRef(key: "db", property: "env", metadataPolicy: .fetch))
        #expect(one == Data("prod".utf8))
    }

    @Test func findListsThenReadsInBatchesOfTwenty() async throws {
        let names = (0..<45).map { "app/key-\($0)" } + ["other/x", "app/untagged"]
        let transport = ScriptedTransport { request in
            let body = request.bodyJSON
            switch request.target {
            case "secretsmanager.ListSecrets":
                let token = body["NextToken"] as? String
                let page = token == nil ? Array(names.prefix(30)) : Array(names.dropFirst(30))
                let list = page.map { name -> String in
                    let tags =
                        name == "app/untagged" ? "[]" : #"[{"Key":"team","Value":"a"},{"Key":"teamx","Value":"a"}]"#
                    return #"{"Name":"\#(name)","Tags":\#(tags)}"#
                }.joined(separator: ",")
                return json(.ok, #"{"SecretList":[\#(list)]\#(token == nil ? #","NextToken":"p2""# : "")}"#)
            case "secretsmanager.BatchGetSecretValue":
                let ids = body["SecretIdList"] as? [String] ?? []
                let values = ids.map { #"{"Name":"\#($0)","SecretString":"v-\#($0)"}"# }.joined(separator: ",")
                return json(.ok, #"{"SecretValues":[\#(values)],"Errors":[]}"#)
            default:
                return json(.badRequest, #"{"__type":"Unexpected"}"#)
            }
        }
        let client = try await client(transport)
        let found = try await client.getAllSecrets(
            ExternalSecretFind(path: "app/", name: FindName(regexp: "key-[0-9]+$"), tags: ["team": "a"]))
        #expect(found.count == 45)
        #expect(found["app/key-7"] == Data("v-app/key-7".utf8))
        let batches = transport.requests.filter { $0.target == "secretsmanager.BatchGetSecretValue" }
        #expect(batches.map { ($0.bodyJSON["SecretIdList"] as? [String] ?? []).count } == [20, 20, 5])
        let list = try #require(transport.requests.first { $0.target == "secretsmanager.ListSecrets" })
        let filters = list.bodyJSON["Filters"] as? [[String: Any]] ?? []
        #expect(
            filters.map { "\($0["Key"] ?? "")=\(($0["Values"] as? [String])?.first ?? "")" } == [
                "tag-key=team", "tag-value=a", "name=app/",
            ])
    }

    @Test func findNeedsACriterion() async throws {
        let client = try await client(ScriptedTransport(replies: []))
        await #expect(throws: ProviderError.self) { try await client.getAllSecrets(ExternalSecretFind()) }
        await #expect(throws: ProviderError.self) {
            try await client.getAllSecrets(ExternalSecretFind(name: FindName(regexp: "(")))
        }
    }
}

@Suite struct ParameterStoreReadTests {
    func client(_ transport: ScriptedTransport) async throws -> any SecretsClient {
        try await provider(transport).makeClient(
            for: store(AWSProvider(service: .parameterStore, region: "us-east-1", auth: keysRef)),
            references: FakeReferences(secrets: keySecrets))
    }

    @Test func getParameterDecryptsAndSelectsVersions() async throws {
        let transport = ScriptedTransport { request in
            let name = request.bodyJSON["Name"] as? String ?? ""
            #expect(request.bodyJSON["WithDecryption"] as? Bool == true)
            if name == "/missing" { return json(.badRequest, #"{"__type":"ParameterNotFound"}"#) }
            return json(.ok, #"{"Parameter":{"Name":"\#(name)","Value":"{\"k\":\"\#(name)\"}"}}"#)
        }
        let client = try await client(transport)
        #expect(
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "/app/db", property: "k"))
                == Data("/app/db".utf8))
        #expect(
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "/app/db", property: "k", version: "3"))
                == Data("/app/db:3".utf8))
        #expect(
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "/app/db", property: "k", version: "prod"))
                == Data("/app/db:prod".utf8))
        let error = await #expect(throws: ProviderError.self) {
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "/missing"))
        }
        #expect(error?.isNotFound == true)
        #expect(
            transport.requests.allSatisfy {
                $0.target == "AmazonSSM.GetParameter" && $0.url == "https://ssm.us-east-1.amazonaws.com/"
            })
    }

    @Test func findByNameUsesGetParametersByPath() async throws {
        let transport = ScriptedTransport { request in
            let token = request.bodyJSON["NextToken"] as? String
            #expect(request.target == "AmazonSSM.GetParametersByPath")
            #expect(request.bodyJSON["Path"] as? String == "/app")
            #expect(request.bodyJSON["Recursive"] as? Bool == true)
            if token == nil {
                return json(
                    .ok,
                    #"{"Parameters":[{"Name":"/app/db/user","Value":"u"},{"Name":"/app/cache","Value":"c"}],"NextToken":"n"}"#
                )
            }
            return json(.ok, #"{"Parameters":[{"Name":"/app/db/pass","Value":"p"}]}"#)
        }
        let found = try await client(transport).getAllSecrets(
            ExternalSecretFind(path: "/app", name: FindName(regexp: "/db/")))
        #expect(found == ["/app/db/user": Data("u".utf8), "/app/db/pass": Data("p".utf8)])
    }

    @Test func findByTagsDescribesThenReadsInBatchesOfTen() async throws {
        let names = (0..<23).map { "/tagged/p\($0)" }
        let transport = ScriptedTransport { request in
            switch request.target {
            case "AmazonSSM.DescribeParameters":
                let filters = request.bodyJSON["ParameterFilters"] as? [[String: Any]] ?? []
                #expect(filters.first?["Key"] as? String == "tag:team")
                #expect(filters.first?["Option"] as? String == "Equals")
                return json(.ok, #"{"Parameters":[\#(names.map { #"{"Name":"\#($0)"}"# }.joined(separator: ","))]}"#)
            case "AmazonSSM.GetParameters":
                let asked = request.bodyJSON["Names"] as? [String] ?? []
                return json(
                    .ok,
                    #"{"Parameters":[\#(asked.map { #"{"Name":"\#($0)","Value":"v"}"# }.joined(separator: ","))],"InvalidParameters":[]}"#
                )
            default:
                return json(.badRequest, #"{"__type":"Unexpected"}"#)
            }
        }
        let found = try await client(transport).getAllSecrets(ExternalSecretFind(tags: ["team": "a"]))
        #expect(found.count == 23)
        #expect(
            transport.requests.filter { $0.target == "AmazonSSM.GetParameters" }.map {
                ($0.bodyJSON["Names"] as? [String] ?? []).count
            } == [10, 10, 3])
    }

    @Test func deniedGetParametersByPathFallsBackToDescribeParameters() async throws {
        let transport = ScriptedTransport { request in
            switch request.target {
            case "AmazonSSM.GetParametersByPath":
                return json(.badRequest, #"{"__type":"AccessDeniedException","message":"no"}"#)
            case "AmazonSSM.DescribeParameters":
                return json(.ok, #"{"Parameters":[{"Name":"/a/x"},{"Name":"/a/y"}]}"#)
            default:
                return json(.ok, #"{"Parameters":[{"Name":"/a/x","Value":"1"}]}"#)
            }
        }
        let found = try await client(transport).getAllSecrets(
            ExternalSecretFind(path: "/a", name: FindName(regexp: "x$")))
        #expect(found == ["/a/x": Data("1".utf8)])
    }

    @Test func metadataFetchListsTags() async throws {
        let transport = ScriptedTransport { request in
            #expect(request.target == "AmazonSSM.ListTagsForResource")
            #expect(request.bodyJSON["ResourceType"] as? String == "Parameter")
            return json(.ok, #"{"TagList":[{"Key":"owner","Value":"me"}]}"#)
        }
        let tags = try await client(transport).getSecret(ExternalSecretDataRemoteRef(key: "/p", metadataPolicy: .fetch))
        #expect(tags == Data(#"{"owner":"me"}"#.utf8))
    }
}
