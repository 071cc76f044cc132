import Foundation
import GoCompat
import SeededRandomTestSupport
import Testing

@Suite struct GJSONTests {
    static let doc = Data(
        """
        {"name": {"first": "Tom", "last": "Anderson"}, "age": 37, "children": ["Sara", "Alex", "Jack"],
         "fav.movie": "Deer Hunter", "n": 1.50, "obj": { "a" : [1, 2 ,3] }, "nil": null, "t": true}
        """.utf8)

    /// (path, gjson's String(), raw text); nil when the path does not exist.
    @Test(arguments: [
        ("name.first", "Tom", "\"Tom\""),
        ("name", #"{"first": "Tom", "last": "Anderson"}"#, #"{"first": "Tom", "last": "Anderson"}"#),
        ("age", "37", "37"),
        ("n", "1.5", "1.50"),
        ("children.#", "3", "3"),
        ("children.2", "Jack", "\"Jack\""),
        ("child*.0", "Sara", "\"Sara\""),
        ("c?ildren.1", "Alex", "\"Alex\""),
        (#"fav\.movie"#, "Deer Hunter", "\"Deer Hunter\""),
        ("obj.a", "[1, 2 ,3]", "[1, 2 ,3]"),
        ("obj.a.#", "3", "3"),
        ("nil", "", "null"),
        ("t", "true", "true"),
        ("name|last", "Anderson", "\"Anderson\""),
    ])
    func finds(path: String, string: String, raw: String) throws {
        let result = try #require(try GJSON.get(Self.doc, path: path))
        #expect(result.exists)
        #expect(result.stringValue == string)
        #expect(result.rawText == raw)
    }

    @Test(arguments: ["missing", "fav.movie", "name.first.x", "children.3", "children.-1", "name.", ""])
    func missing(path: String) throws {
        #expect(try GJSON.get(Self.doc, path: path) == nil)
    }

    @Test func collectsAcrossArrays() throws {
        let json = Data(#"{"friends":[{"first":"Dale","age":44},{"first":"Roger"},{"age":47}]}"#.utf8)
        #expect(try GJSON.get(json, path: "friends.#.first")?.stringValue == #"["Dale","Roger"]"#)
        #expect(try GJSON.get(json, path: "friends.#.age")?.stringValue == "[44,47]")
        #expect(try GJSON.get(json, path: "friends.#.none")?.stringValue == "[]")
    }

    /// Syntax gjson has and this implementation refuses rather than answering differently.
    @Test(arguments: [
        "@reverse", "children|@reverse", "children.@reverse", "!true", "[name.first,age]", "{name.first}",
        "..0", #"friends.#(first=="Dale").age"#, "children.#(==\"Sara\")", "friends.#.first|0",
    ])
    func refusesUnsupportedSyntax(path: String) {
        let json = Data(#"{"children":["Sara"],"friends":[{"first":"Dale"}],"name":{"first":"T"}}"#.utf8)
        #expect(throws: GJSON.UnsupportedPath.self) { try GJSON.get(json, path: path) }
    }

    /// A key that merely starts like special syntax is a plain key, as in gjson.
    @Test func plainKeysThatLookSpecial() throws {
        let json = Data(##"{"@home":1,"!x":2,"#(y":3}"##.utf8)
        #expect(try GJSON.get(json, path: "@home")?.stringValue == "1")
        #expect(try GJSON.get(json, path: "!x")?.stringValue == "2")
        #expect(try GJSON.get(json, path: "#(y")?.stringValue == "3")
    }

    /// Malformed and hostile input gives gjson's answer or nothing, never a crash.
    @Test func survivesMalformedInput() throws {
        var generator = SplitMix64(state: 7)
        let alphabet = Array(#"{}[]":,\ .-+0123456789aeflnrstu#*?|"#.utf8) + [0xFF, 0xC3, 0x00]
        let paths = ["a", "a.b", "0", "#", "#.a", "a.#.b", "*", "a?", "a.1.b", #"a\.b"#]
        for length in 0..<400 {
            let json = Data((0..<(length % 60)).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
            for path in paths {
                _ = try GJSON.get(json, path: path)
            }
        }
        let deep = Data((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)).utf8)
        #expect(try GJSON.get(deep, path: "0.0.0")?.rawText.count == 199_994)
        #expect(try GJSON.get(Data(), path: "a") == nil)
    }
}
