import KubeModel
import Testing

@Suite struct JSONMergePatchTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var old: JSONValue?
        var new: JSONValue
        var patch: JSONValue?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "equal objects need no patch", old: ["a": 1, "b": ["c": "x"]], new: ["a": 1, "b": ["c": "x"]], patch: nil),
        Case(name: "changed scalar", old: ["a": 1, "b": 2], new: ["a": 1, "b": 3], patch: ["b": 3]),
        Case(name: "removed member becomes null", old: ["a": 1, "b": 2], new: ["a": 1], patch: ["b": .null]),
        Case(name: "added member", old: ["a": 1], new: ["a": 1, "b": ["c": true]], patch: ["b": ["c": true]]),
        Case(
            name: "nested removal keeps siblings", old: ["s": ["store1": ["k1": 1, "k2": 2], "store2": ["k": 1]]],
            new: ["s": ["store1": ["k1": 1]]], patch: ["s": ["store1": ["k2": .null], "store2": .null]]),
        Case(name: "arrays are replaced whole", old: ["l": [1, 2, 3]], new: ["l": [1, 2]], patch: ["l": [1, 2]]),
        Case(name: "object replacing a scalar is sent whole", old: ["a": "x"], new: ["a": ["b": 1]], patch: ["a": ["b": 1]]),
        Case(name: "no old document", old: nil, new: ["a": 1], patch: ["a": 1]),
        Case(name: "null member of new is a removal", old: ["a": 1, "b": 2], new: ["a": 1, "b": .null], patch: ["b": .null]),
        Case(name: "null member absent before needs nothing", old: ["a": 1], new: ["a": 1, "b": .null], patch: nil),
    ]

    @Test(arguments: cases) func diff(_ c: Case) {
        #expect(JSONMergePatch.diff(from: c.old, to: c.new) == c.patch)
    }

    /// The diff applied as the API server applies it gives the new document back (members whose
    /// new value is null are absent, as a merge patch defines).
    @Test(arguments: cases) func diffAppliedGivesNew(_ c: Case) {
        let patched = c.patch.map { JSONMergePatch.apply($0, to: c.old) } ?? c.old
        #expect(patched == Self.withoutNullMembers(c.new))
    }

    static func withoutNullMembers(_ value: JSONValue) -> JSONValue {
        guard case .object(let members) = value else { return value }
        return .object(members.filter { $0.value != .null }.mapValues(withoutNullMembers))
    }
}
