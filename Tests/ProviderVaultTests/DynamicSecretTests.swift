import ExternalSecretsAPI
import Foundation
import GoCompat
import KubeModel
import NIOHTTP1
import ProviderKit
import Testing

@testable import ProviderVault

/// The pure part of the VaultDynamicSecret generator: requests, ESO's key mapping, lease state.
struct VaultDynamicSecretPureTests {
    static let provider = VaultProvider(server: "https://vault.example")

    func spec(
        _ path: String, method: String? = nil, parameters: JSONValue? = nil, get: [String: [String]]? = nil
    ) -> VaultDynamicSecretSpec {
        VaultDynamicSecretSpec(
            provider: Self.provider, path: path, method: method, parameters: parameters, getParameters: get)
    }

    func object(_ text: String) throws -> [String: VaultJSON.Value] {
        guard case .object(let members) = try VaultJSON.parse(Array(text.utf8)) else {
            throw ProviderError(.invalidData, "not an object")
        }
        return members
    }

    func text(_ data: Data?) -> String? { data.map { String(decoding: $0, as: UTF8.self) } }

    @Test func methodsAreSentAsVaultsClientSendsThem() throws {
        let get = try VaultDynamicSecrets.call(of: spec("/database/creds/app/", get: ["b": ["2", "1"], "a": ["x"]]))
        #expect(get.request.method == .GET && get.request.path == "database/creds/app")
        #expect(get.request.query.map { "\($0.name)=\($0.value)" } == ["a=x", "b=2", "b=1"])
        #expect(get.notFoundIsEmpty && get.metric == .readSecretData)
        let list = try VaultDynamicSecrets.call(of: spec("kv", method: "LIST"))
        #expect(list.request.query.map(\.value) == ["true"] && list.notFoundIsEmpty)
        let delete = try VaultDynamicSecrets.call(of: spec("kv/x", method: "DELETE"))
        #expect(delete.request.method == .DELETE && !delete.notFoundIsEmpty)
        // Anything else is a write with PUT, parameters re-encoded as Go would (float64 numbers).
        let parameters: JSONValue = ["common_name": "a<b", "ttl": 600, "big": .double(1e21)]
        let write = try VaultDynamicSecrets.call(of: spec("pki/issue/web", method: "POST", parameters: parameters))
        #expect(write.request.method == .PUT)
        #expect(text(write.request.body.map { Data($0) }) == #"{"big":1e+21,"common_name":"a\u003cb","ttl":600}"#)
        // ESO compares methods as written: lower-case get writes.
        #expect(try VaultDynamicSecrets.call(of: spec("x", method: "get")).request.method == .PUT)
        #expect(try VaultDynamicSecrets.call(of: spec("x", method: "PUT")).request.body == Array("{}".utf8))
        #expect(throws: ProviderError.self) {
            try VaultDynamicSecrets.call(of: spec("x", method: "POST", parameters: [1]))
        }
        #expect(throws: ProviderError.self) { try VaultDynamicSecrets.call(of: spec("/")) }
    }

    @Test func answersWithoutContentAreNil() throws {
        let read = try VaultDynamicSecrets.call(of: spec("kv/x"))
        #expect(try VaultDynamicSecrets.secret(status: .noContent, body: [], call: read) == nil)
        #expect(
            try VaultDynamicSecrets.secret(status: .notFound, body: Array(#"{"errors":[]}"#.utf8), call: read) == nil)
        let warned = try VaultDynamicSecrets.secret(
            status: .notFound, body: Array(#"{"warnings":["w"],"data":null}"#.utf8), call: read)
        #expect(warned != nil)
        #expect(throws: ProviderError.self) {
            try VaultDynamicSecrets.secret(status: .ok, body: Array("not json".utf8), call: read)
        }
    }

    @Test func keysAreESOsForEachResultType() throws {
        let answer = try object(
            #"""
            {"request_id":"r1","lease_id":"db/creds/app/abc","lease_duration":3600,"renewable":true,
             "data":{"username":"u","n":1.50,"flag":false,"none":null,"list":[1,"<"],"obj":{"z":1,"a":2}},
             "warnings":null,"auth":null,"mount_type":"database","token_type":"service"}
            """#)
        let data = VaultDynamicSecrets.values(of: answer, resultType: .data)
        #expect(text(data["username"]) == "u")
        #expect(text(data["n"]) == "1.50", "Data keeps numbers as Vault sent them (json.Number)")
        #expect(text(data["flag"]) == "false" && data["none"] == Data())
        #expect(text(data["list"]) == #"[1,"\u003c"]"#)
        #expect(text(data["obj"]) == #"{"a":2,"z":1}"#)

        let raw = VaultDynamicSecrets.values(of: answer, resultType: .raw)
        #expect(
            raw.keys.sorted() == [
                "data", "lease_duration", "lease_id", "mount_type", "renewable", "request_id", "warnings",
            ])
        #expect(text(raw["lease_duration"]) == "3600" && text(raw["renewable"]) == "true")
        #expect(text(raw["data"])?.contains(#""n":1.5,"#) == true, "Raw numbers went through float64")
        #expect(raw["warnings"] == Data())
        #expect(VaultDynamicSecrets.values(of: answer, resultType: .auth).isEmpty)

        let token = try object(
            #"{"auth":{"client_token":"s.x","accessor":"acc","policies":["default"],"lease_duration":60,"renewable":true,"num_uses":0}}"#
        )
        let auth = VaultDynamicSecrets.values(of: token, resultType: .auth)
        #expect(auth["num_uses"] == nil, "only the fields of Go's SecretAuth")
        #expect(text(auth["orphan"]) == "false" && text(auth["entity_id"]) == "" && auth["metadata"] == Data())
        #expect(text(auth["policies"]) == #"["default"]"# && text(auth["lease_duration"]) == "60")
    }

    @Test func leasesAndTokensAreTheStateAndRenewalIsAtTwoThirds() throws {
        let issued = Date(timeIntervalSince1970: 1_800_000_000.7)
        let lease = try #require(
            VaultDynamicSecrets.state(
                of: try object(
                    #"{"lease_id":"db/creds/app/abc","lease_duration":3600,"renewable":true,"data":{"password":"p"}}"#),
                issuedAt: issued))
        #expect(lease.leaseID == "db/creds/app/abc" && lease.tokenAccessor == nil)
        #expect(lease.renewal == Date(timeIntervalSince1970: 1_800_000_000 + 2400))
        let json = lease.json
        #expect(json["leaseID"] == "db/creds/app/abc" && json["issuedAt"] == "2027-01-15T08:00:00Z")
        #expect(try VaultDynamicSecrets.LeaseState.decode(json) == lease)
        #expect(!String(decoding: try JSONEncoder().encode(json), as: UTF8.self).contains("\"p\""))

        let token = try #require(
            VaultDynamicSecrets.state(
                of: try object(#"{"lease_id":"","auth":{"accessor":"acc","lease_duration":60,"renewable":false}}"#),
                issuedAt: issued))
        #expect(token.tokenAccessor == "acc" && token.renewal == nil, "not renewable: never renewed")
        #expect(VaultDynamicSecrets.state(of: try object(#"{"lease_id":"","data":{}}"#), issuedAt: issued) == nil)

        // A renewal moves the issue time and takes Vault's new duration; at the max TTL Vault
        // says not renewable and renewals stop.
        let renewedAt = issued.addingTimeInterval(2400)
        let renewed = VaultDynamicSecrets.renewed(
            lease, answer: try object(#"{"lease_id":"db/creds/app/abc","lease_duration":1800,"renewable":true}"#),
            renewedAt: renewedAt)
        #expect(renewed.leaseDuration == 1800 && renewed.issuedAt.date == renewedAt.addingTimeInterval(-0.7))
        #expect(renewed.renewal == renewedAt.addingTimeInterval(1200 - 0.7))
        let capped = VaultDynamicSecrets.renewed(
            lease, answer: try object(#"{"lease_duration":0,"renewable":false}"#), renewedAt: renewedAt)
        #expect(capped.renewal == nil)

        #expect(throws: ProviderError.self) { try VaultDynamicSecrets.LeaseState.decode(["leaseID": 1]) }
        #expect(throws: ProviderError.self) {
            try VaultDynamicSecrets.LeaseState.decode(
                [
                    "leaseID": "a", "tokenAccessor": "b", "leaseDuration": 1, "renewable": true,
                    "issuedAt": "2027-01-15T08:00:00Z",
                ])
        }
        let generators = VaultGenerators(provider: VaultSecretsProvider())
        #expect(generators.renewal(kind: "VaultDynamicSecret", state: json) == lease.renewal)
        #expect(generators.renewal(kind: "VaultDynamicSecret", state: "garbage") == nil)
        #expect(generators.renewal(kind: "Password", state: json) == nil)
        #expect(generators.controllerClass(kind: "VaultDynamicSecret", spec: ["controller": "team-b"]) == "team-b")
        #expect(generators.controllerClass(kind: "VaultDynamicSecret", spec: ["controller": ""]) == nil)
    }

    @Test func goneLeasesAndFieldNames() {
        #expect(
            VaultDynamicSecrets.isAlreadyGone(
                status: .badRequest, body: Array(#"{"errors":["invalid lease ID"]}"#.utf8)))
        #expect(
            VaultDynamicSecrets.isAlreadyGone(status: .badRequest, body: Array(#"{"errors":["lease not found"]}"#.utf8))
        )
        #expect(
            !VaultDynamicSecrets.isAlreadyGone(status: .badRequest, body: Array(#"{"errors":["missing lease"]}"#.utf8)))
        #expect(!VaultDynamicSecrets.isAlreadyGone(status: .forbidden, body: Array(#"{"errors":["not found"]}"#.utf8)))
        #expect(
            VaultGenerators.renamed("spec.provider.vault.auth.tokenSecretRef.name is required")
                == "spec.provider.auth.tokenSecretRef.name is required")
    }
}
