import Foundation
import ProviderKit
import Testing

@testable import ProviderAWS

func metadataJSON(_ spec: String) -> Data {
    Data(#"{"apiVersion":"kubernetes.external-secrets.io/v1alpha1","kind":"PushSecretMetadata","spec":\#(spec)}"#.utf8)
}

@Suite struct PushMetadataTests {
    @Test func secretsManagerDefaultsAreESOs() throws {
        let defaults = try SecretsManagerPushMetadata(nil)
        #expect(defaults.format == .binary)
        #expect(defaults.kmsKeyID == "alias/aws/secretsmanager")
        #expect(defaults.description == "secret 'managed-by:external-secrets'")
        #expect(defaults.tags == nil && defaults.creationTags == ["managed-by": "external-secrets"])
    }

    @Test func secretsManagerFieldsAreMatchedIgnoringCase() throws {
        let metadata = try SecretsManagerPushMetadata(
            metadataJSON(
                #"{"secretPushFormat":"string","kmsKeyID":"alias/mine","description":"d","tags":{"team":"a"},"replicationLocations":["eu-west-1"]}"#
            ))
        #expect(metadata.format == .string)
        #expect(metadata.kmsKeyID == "alias/mine")
        #expect(metadata.description == "d")
        #expect(metadata.creationTags == ["team": "a", "managed-by": "external-secrets"])
        #expect(metadata.replicationLocations == ["eu-west-1"])
    }

    @Test(arguments: [
        (#"{"secretPushFormat":"yaml"}"#, "secretPushFormat must be \"binary\" or \"string\""),
        (#"{"kmsKeyId":"k","colour":"red"}"#, "unknown field \"colour\""),
        (#"{"tags":{"managed-by":"me"}}"#, "cannot set the \"managed-by\" tag"),
        (#"{"tags":{"a":1}}"#, "metadata.spec.tags.a must be a string"),
        (
            #"{"resourcePolicy":{"policySourceRef":{"kind":"ConfigMap","name":"p","key":"k"}}}"#,
            "resourcePolicy is not supported"
        ),
        (#"{"replicationLocations":["moon"]}"#, "not an AWS region"),
    ])
    func secretsManagerRefusesOtherShapes(spec: String, message: String) {
        #expect {
            try SecretsManagerPushMetadata(metadataJSON(spec))
        } throws: { error in
            let error = error as? ProviderError
            return error?.code == .invalidConfiguration && error?.message.contains(message) == true
        }
    }

    @Test func theEnvelopeIsChecked() {
        for document in [
            #"{"apiVersion":"v1","kind":"PushSecretMetadata","spec":{}}"#,
            #"{"apiVersion":"kubernetes.external-secrets.io/v1alpha1","kind":"Other","spec":{}}"#,
            #"{"apiVersion":"kubernetes.external-secrets.io/v1alpha1","kind":"PushSecretMetadata","extra":1}"#,
            #"{"secretPushFormat":"string"}"#, #"["x"]"#,
        ] {
            #expect(throws: ProviderError.self, "\(document)") {
                try SecretsManagerPushMetadata(Data(document.utf8))
            }
        }
        #expect(throws: Never.self) { try SecretsManagerPushMetadata(Data("null".utf8)) }
    }

    @Test func parameterStoreFields() throws {
        let defaults = try ParameterStorePushMetadata(nil)
        #expect(defaults.type == .string && defaults.tier == .standard && !defaults.encodeAsDecoded)
        let metadata = try ParameterStorePushMetadata(
            metadataJSON(
                #"{"secretType":"SecureString","kmsKeyId":"alias/k","tier":{"type":"Advanced","policies":[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2030-01-01T00:00:00.000Z"}}]},"encodeAsDecoded":true,"tags":{"t":"1"}}"#
            ))
        #expect(metadata.type == .secureString)
        #expect(metadata.kmsKeyID == "alias/k")
        #expect(metadata.tier == .advanced)
        #expect(
            metadata.policies
                == #"[{"Attributes":{"Timestamp":"2030-01-01T00:00:00.000Z"},"Type":"Expiration","Version":"1.0"}]"#)
        #expect(metadata.encodeAsDecoded)
        #expect(metadata.creationTags == ["t": "1", "managed-by": "external-secrets"])
        for spec in [
            #"{"secretType":"Binary"}"#, #"{"tier":{"type":"Premium"}}"#, #"{"tier":{"policies":[]}}"#,
            #"{"encodeAsDecoded":"yes"}"#, #"{"secretPushFormat":"string"}"#,
        ] {
            #expect(throws: ProviderError.self, "\(spec)") { try ParameterStorePushMetadata(metadataJSON(spec)) }
        }
    }
}

@Suite struct PushedJSONTests {
    @Test func wholeSecretsAreGoJSON() {
        let data: SecretData = ["b": Data("<&>\u{2028}\n\u{8}".utf8), "a": Data([0xff, 0x41])]
        // Go's encoder writes a byte that is not UTF-8 as the escape `\ufffd`.
        #expect(PushedJSON.textObject(data) == Data(#"{"a":"\ufffdA","b":"<&>\u2028\n\b"}"#.utf8))
        #expect(PushedJSON.base64Object(["k": Data([0, 1, 2])]) == Data(#"{"k":"AAEC"}"#.utf8))
    }

    @Test func settingAPropertyKeepsTheOtherMembersAsWritten() throws {
        let existing = Data(#"{ "z": 1.50, "a" : {"x":[1, 2]}, "p": "old" }"#.utf8)
        let merged = try PushedJSON.setting("p", to: Data("new".utf8), in: existing, remoteKey: "db")
        #expect(merged == .write(Data(#"{"z":1.50,"a":{"x":[1, 2]},"p":"new"}"#.utf8)))
        let added = try PushedJSON.setting("q", to: Data("v\"".utf8), in: existing, remoteKey: "db")
        #expect(added == .write(Data(#"{"z":1.50,"a":{"x":[1, 2]},"p":"old","q":"v\""}"#.utf8)))
        #expect(try PushedJSON.setting("p", to: Data("old".utf8), in: existing, remoteKey: "db") == .unchanged)
        // A number is not the string "1.50": written as a string, as ESO's sjson does.
        #expect(try PushedJSON.setting("z", to: Data("1.50".utf8), in: existing, remoteKey: "db") != .unchanged)
    }

    @Test func dottedPropertiesAreSJSONPaths() throws {
        #expect(
            try PushedJSON.setting("tls.crt", to: Data("c".utf8), in: nil, remoteKey: "db")
                == .write(Data(#"{"tls":{"crt":"c"}}"#.utf8)))
        #expect(
            try PushedJSON.setting(#"tls\.crt"#, to: Data("c".utf8), in: Data(), remoteKey: "db")
                == .write(Data(#"{"tls.crt":"c"}"#.utf8)))
        // A literal top-level key wins, as on the read path.
        #expect(
            try PushedJSON.setting("tls.crt", to: Data("d".utf8), in: Data(#"{"tls.crt":"c"}"#.utf8), remoteKey: "db")
                == .write(Data(#"{"tls.crt":"d"}"#.utf8)))
        #expect(PushedJSON.contains("tls.crt", in: Data(#"{"tls":{"crt":"c"}}"#.utf8)))
        #expect(!PushedJSON.contains("tls.key", in: Data(#"{"tls":{"crt":"c"}}"#.utf8)))
        #expect(throws: ProviderError.self) {
            try PushedJSON.setting("a.b", to: Data("c".utf8), in: Data(#"{"a":"text"}"#.utf8), remoteKey: "db")
        }
        #expect(throws: ProviderError.self) {
            try PushedJSON.setting("a*", to: Data("c".utf8), in: nil, remoteKey: "db")
        }
    }

    @Test func aPropertyNeedsAJSONObject() {
        for existing in ["plain text", "[1,2]", #""s""#, "{broken"] {
            #expect(throws: ProviderError.self, "\(existing)") {
                try PushedJSON.setting("p", to: Data("v".utf8), in: Data(existing.utf8), remoteKey: "db")
            }
        }
    }

    @Test func removingAPropertyPrunesEmptyObjects() throws {
        let existing = Data(#"{"a":{"b":"1"},"c":"2"}"#.utf8)
        #expect(try PushedJSON.removing("a.b", from: existing, remoteKey: "db") == Data(#"{"c":"2"}"#.utf8))
        #expect(try PushedJSON.removing("x", from: existing, remoteKey: "db") == nil)
        let last = try #require(try PushedJSON.removing("c", from: Data(#"{"c":"2"}"#.utf8), remoteKey: "db"))
        #expect(PushedJSON.isEmptyObject(last))
    }

    @Test func tagPlans() {
        let plan = TagPlan(
            current: ["managed-by": "external-secrets", "old": "x", "team": "a"],
            desired: ["managed-by": "external-secrets", "team": "b", "new": "y"])
        #expect(plan.set == ["team": "b", "new": "y"])
        #expect(plan.remove == ["old"])
    }
}
