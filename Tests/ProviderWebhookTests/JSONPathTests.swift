import GoCompat
import Testing

@testable import ProviderWebhook

/// ESO's JSONPath dialect (PaesslerAG/jsonpath v0.1 over gval's base language).
struct JSONPathTests {
    static let document = #"""
        {"data": {"password": "pw", "user": "app", "n": 42.5, "ok": true, "none": null,
                  "my-key": "dashed", "nested": {"a": {"b": "deep"}}},
         "items": [{"name": "a", "value": "1", "n": 1}, {"name": "b", "value": "2", "n": 2},
                   {"name": "c", "value": "3", "n": 3}],
         "b": {"name": "x"}, "a": {"name": "y"}}
        """#

    func get(_ path: String) throws -> GoJSONValue {
        try WebhookJSONPath.get(path, in: try GoJSONValue.parse(Array(Self.document.utf8), numbers: .float64))
    }

    func strings(_ value: GoJSONValue) -> [String] {
        guard case .array(let items) = value else { return [] }
        return items.map { if case .string(let s) = $0 { s } else { "\($0)" } }
    }

    @Test(arguments: [
        ("$.data.password", GoJSONValue.string("pw")),
        ("$['data'][\"user\"]", .string("app")),
        ("$.data[\"my-key\"]", .string("dashed")),
        ("$.items[1].value", .string("2")),
        ("$.data.nested.a.b", .string("deep")),
        ("$.data.ok", .bool(true)),
        ("$.data.none", .null),
    ])
    func plainPathsYieldOneValue(path: String, expected: GoJSONValue) throws {
        #expect(try get(path) == expected)
    }

    @Test func theRootIsTheDocument() throws {
        guard case .object(let members) = try get("$") else {
            Issue.record("not an object")
            return
        }
        #expect(Set(members.keys) == ["data", "items", "b", "a"])
    }

    @Test(arguments: [
        ("$.data.missing", "unknown key missing"),
        ("$.items[7]", "index 7 out of bounds"),
        ("$.items[-1]", "index -1 out of bounds"),
        ("$.data.password.x", "unsupported value type string"),
    ])
    func plainPathsFailOnWhatIsMissing(path: String, message: String) {
        #expect {
            try get(path)
        } throws: { error in
            (error as? WebhookJSONPath.Failure)?.message.contains(message) == true
        }
    }

    @Test func ambiguousPathsYieldEveryMatchAndDropMisses() throws {
        #expect(strings(try get("$.items[*].value")) == ["1", "2", "3"])
        #expect(strings(try get("$.items.*.name")) == ["a", "b", "c"])
        // Object keys in sorted order, as PaesslerAG visits them.
        #expect(strings(try get("$[\"b\",\"a\"].name")) == ["x", "y"])
        #expect(strings(try get("$.*.name")) == ["y", "x"])
        #expect(strings(try get("$.items[0,2,9].value")) == ["1", "3"])
        #expect(strings(try get("$.items[1:].value")) == ["2", "3"])
        #expect(strings(try get("$.items[:2].value")) == ["1", "2"])
        #expect(strings(try get("$.items[-1:].value")) == ["3"])
        #expect(strings(try get("$.items[::-1].value")) == ["3", "2", "1"])
        #expect(strings(try get("$.data..b")) == ["deep"])
        #expect(strings(try get("$..name")) == ["y", "x", "a", "b", "c"])
        #expect(strings(try get("$.nothing[*]")) == [])
    }

    @Test func filtersCompareWithEqualsAndNotEquals() throws {
        #expect(strings(try get(#"$.items[?(@.name == "b")].value"#)) == ["2"])
        #expect(strings(try get(#"$.items[?(@.name != "b")].value"#)) == ["1", "3"])
        #expect(strings(try get(#"$.items[?(@.n == 3)].name"#)) == ["c"])
        #expect(strings(try get(#"$.items[?(@.missing == "x")].name"#)) == [])
    }

    @Test(arguments: ["data", "$.", "$[", "$.items[1:2,3]", "$.items[?(@.n < 2)]"])
    func malformedPathsAreErrors(path: String) {
        #expect(throws: WebhookJSONPath.Failure.self) { try get(path) }
    }
}
