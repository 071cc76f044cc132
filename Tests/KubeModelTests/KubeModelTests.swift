import Foundation
import KubeModel
import Testing

@Suite struct SecretTests {
    @Test func binaryDataRoundTripsAsBase64() throws {
        let bytes = Data([0, 1, 2, 0xFF, 0xFE, 10, 13])
        let secret = Secret(metadata: ObjectMeta(name: "s", namespace: "ns"), data: ["bin": bytes], type: "Opaque")
        let json = try KubeJSON.encoder.encode(secret)
        let text = String(decoding: json, as: UTF8.self)
        #expect(text.contains("\"bin\":\"AAEC//4KDQ==\""))
        let decoded = try KubeJSON.decoder.decode(Secret.self, from: json)
        #expect(decoded.data?["bin"] == bytes)
        #expect(decoded == secret)
    }

    @Test func descriptionNamesKeysButNeverValues() {
        let canary = "canary-value-5f1e"
        let secret = Secret(
            metadata: ObjectMeta(name: "db", namespace: "prod"), data: ["password": Data(canary.utf8)],
            stringData: ["token": canary])
        for text in [secret.description, String(reflecting: secret), "\(secret)", dumped(secret)] {
            #expect(!text.contains(canary))
            #expect(text.contains("password"))
        }
    }

    @Test func tokenRequestDescriptionHidesToken() throws {
        let json = #"{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","metadata":{},"spec":{"audiences":["a"]},"status":{"token":"canary-token-77","expirationTimestamp":"2026-01-02T03:04:05Z"}}"#
        let request = try KubeJSON.decoder.decode(TokenRequest.self, from: Data(json.utf8))
        #expect(request.status?.token == "canary-token-77")
        #expect(!"\(request)".contains("canary-token-77"))
        #expect(!dumped(request).contains("canary-token-77"))
    }

    private func dumped(_ value: some Any) -> String {
        var text = ""
        dump(value, to: &text)
        return text
    }
}

@Suite struct TimeTests {
    @Test(arguments: [
        ("2026-11-23T09:30:00Z", 1_795_426_200.0),
        ("2026-11-23T10:30:00+01:00", 1_795_426_200.0),
        ("2026-11-23T09:30:00.250000Z", 1_795_426_200.25),
        ("1970-01-01T00:00:00Z", 0.0),
    ])
    func parsesRFC3339(text: String, epoch: Double) throws {
        let time = try KubeJSON.decoder.decode(KubeTime.self, from: Data("\"\(text)\"".utf8))
        #expect(abs(time.date.timeIntervalSince1970 - epoch) < 0.000_001)
    }

    @Test(arguments: ["", "2026-11-23", "2026-11-23 09:30:00Z", "2026-13-01T00:00:00", "yesterday"])
    func rejectsMalformedTimes(text: String) {
        #expect(throws: DecodingError.self) {
            try KubeJSON.decoder.decode(KubeTime.self, from: Data("\"\(text)\"".utf8))
        }
    }

    @Test func formatsSecondsAndMicroseconds() {
        let date = Date(timeIntervalSince1970: 1_795_426_200.123456)
        #expect(KubeTime(date).description == "2026-11-23T09:30:00Z")
        #expect(MicroTime(date).description == "2026-11-23T09:30:00.123456Z")
    }
}

@Suite struct JSONValueTests {
    @Test func integersStayIntegers() throws {
        let text = #"{"a":1,"b":1.5,"c":[true,null,"x"],"d":{"e":-7}}"#
        let value = try KubeJSON.decoder.decode(JSONValue.self, from: Data(text.utf8))
        #expect(value["a"] == .integer(1))
        #expect(value["b"] == .double(1.5))
        #expect(String(decoding: try KubeJSON.encoder.encode(value), as: UTF8.self) == text)
    }

    @Test func dynamicObjectKeepsEveryMember() throws {
        let text = #"{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w","namespace":"ns"},"spec":{"size":3},"status":{"ready":true}}"#
        let object = try KubeJSON.decoder.decode(DynamicObject.self, from: Data(text.utf8))
        #expect(object.metadata.name == "w")
        #expect(object["spec"]?["size"] == .integer(3))
        #expect(String(decoding: try KubeJSON.encoder.encode(object), as: UTF8.self) == text)
    }

    @Test func emptyListItemsDecodeAsEmpty() throws {
        let text = #"{"kind":"SecretList","apiVersion":"v1","metadata":{"resourceVersion":"42"},"items":null}"#
        let list = try KubeJSON.decoder.decode(ObjectList<Secret>.self, from: Data(text.utf8))
        #expect(list.items.isEmpty)
        #expect(list.metadata.resourceVersion == "42")
    }
}

@Suite struct WatchEventTests {
    @Test func decodesEveryEventType() throws {
        let decoder = KubeJSON.decoder
        let added = try WatchEvent<ConfigMap>.decode(
            frame: Data(#"{"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"5"},"data":{"k":"v"}}}"#.utf8),
            using: decoder)
        #expect(added.object?.data?["k"] == "v")
        #expect(added.resourceVersion == "5")

        let bookmark = try WatchEvent<ConfigMap>.decode(
            frame: Data(#"{"type":"BOOKMARK","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"resourceVersion":"99"}}}"#.utf8),
            using: decoder)
        guard case .bookmark(let version) = bookmark else {
            Issue.record("expected a bookmark")
            return
        }
        #expect(version == "99")

        let error = try WatchEvent<ConfigMap>.decode(
            frame: Data(#"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 1 (200)","reason":"Expired","code":410}}"#.utf8),
            using: decoder)
        guard case .error(let status) = error else {
            Issue.record("expected an error event")
            return
        }
        #expect(status.code == 410)

        #expect(throws: WatchFrameError.self) {
            try WatchEvent<ConfigMap>.decode(frame: Data(#"{"type":"WHAT","object":{}}"#.utf8), using: decoder)
        }
    }
}
