import Foundation
import Templating
import Testing

private func render(
    _ text: String, _ data: Value = .dictionary([:]), limits: RenderLimits = RenderLimits(),
    missingKey: MissingKeyPolicy = .invalid
) throws(TemplateError) -> String {
    try Template(name: "t", text: text, missingKey: missingKey).render(data, limits: limits)
}

@Suite("Engine")
struct EngineTests {
    // MARK: - Limits

    @Test func outputLimitStopsRender() {
        #expect {
            try render("{{range until 1000}}0123456789{{end}}", limits: RenderLimits(maxOutputBytes: 100))
        } throws: { ($0 as? TemplateError)?.kind == .limitExceeded }
    }

    @Test func stepBudgetStopsRender() {
        #expect {
            try render("{{range until 1000}}{{range until 1000}}x{{end}}{{end}}", limits: RenderLimits(maxSteps: 5_000))
        } throws: { ($0 as? TemplateError)?.kind == .limitExceeded }
    }

    @Test func injectedAbortStopsRender() {
        #expect {
            try render("{{range until 100000}}{{end}}", limits: RenderLimits(shouldAbort: { true }))
        } throws: { error in
            guard let e = error as? TemplateError else { return false }
            return e.kind == .limitExceeded && e.description.contains("time budget")
        }
    }

    @Test func recursionDepthIsBounded() {
        #expect {
            try render(#"{{define "r"}}{{template "r" .}}{{end}}{{template "r" .}}"#)
        } throws: { ($0 as? TemplateError)?.kind == .limitExceeded }
    }

    @Test func valueSizeLimitBoundsFunctions() {
        #expect {
            try render(#"{{ repeat 100000000 "x" | len }}"#)
        } throws: { ($0 as? TemplateError) != nil }
        #expect {
            try render(#"{{ until 100000000 | len }}"#)
        } throws: { ($0 as? TemplateError) != nil }
    }

    @Test func doublingAValueInALoopHitsTheValueLimit() {
        #expect {
            try render(#"{{ $x := "ab" }}{{ range until 100 }}{{ $x = print $x $x }}{{ end }}{{ len $x }}"#)
        } throws: { ($0 as? TemplateError)?.kind == .limitExceeded }
    }

    @Test func uniqOfALongListIsFast() throws {
        #expect(try render("{{ until 60000 | uniq | len }}") == "60000")
    }

    @Test func deepParenNestingFailsCleanly() {
        let text = "{{" + String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000) + "}}"
        #expect(throws: TemplateError.self) { try render(text) }
    }

    @Test func deepControlNestingFailsCleanly() {
        let text = String(repeating: "{{if 1}}", count: 20_000) + String(repeating: "{{end}}", count: 20_000)
        #expect(throws: TemplateError.self) { try render(text) }
        let json = String(repeating: "[", count: 50_000) + String(repeating: "]", count: 50_000)
        #expect(throws: JSONError.self) { try Value.parseJSON(json) }
    }

    @Test func nestingJustInsideTheLimitsRenders() throws {
        let ifs = String(repeating: "{{if 1}}", count: 150) + "x" + String(repeating: "{{end}}", count: 150)
        #expect(try render(ifs) == "x")
        let parens = "{{" + String(repeating: "(", count: 150) + "1" + String(repeating: ")", count: 150) + "}}"
        #expect(try render(parens) == "1")
        let deepJSON = String(repeating: "[", count: 900) + String(repeating: "]", count: 900)
        #expect(try render("{{ fromJson .j | toJson | len }}", .stringMap(["j": deepJSON])) == "1800")
        #expect(try render("{{ fromJson .j | print | len }}", .stringMap(["j": deepJSON])) == "1800")
        #expect(
            try render("{{ $x := fromJson .j }}{{ deepEqual $x (fromJson .j) }}", .stringMap(["j": deepJSON])) == "true"
        )
        #expect(
            try render(#"{{define "r"}}{{if .}}{{template "r" (rest .)}}{{end}}{{end}}{{template "r" (until 150)}}ok"#)
                == "ok")
    }

    // MARK: - Errors

    @Test func executionErrorsCarryNameLineAndColumn() throws {
        do {
            _ = try render("line1\n  {{ .a.b }}", .dictionary(["a": .string("x")]))
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .execution)
            #expect(error.templateName == "t")
            #expect(error.line == 2)
            #expect(error.description.hasPrefix("template: t:2:"))
            #expect(error.description.contains("can't evaluate field b in type string"))
        }
    }

    @Test func parseErrorsCarryLine() {
        do {
            _ = try render("a\nb\n{{ if }}")
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .parse)
            #expect(error.line == 3)
            #expect(error.description.hasPrefix("template: t:3:"))
        }
    }

    @Test func missingKeyErrorMatchesESOOption() {
        #expect(throws: TemplateError.self) {
            try render("{{ .nope }}", .stringMap(["a": "b"]), missingKey: .error)
        }
        #expect((try? render("{{ .a }}", .stringMap(["a": "b"]), missingKey: .error)) == "b")
    }

    // MARK: - Go 1.23 syntax beyond the 1.19 oracle

    @Test(arguments: [
        (#"{{with .a}}A={{.}}{{else with .b}}B={{.}}{{else}}none{{end}}"#, ["b": "2"], "B=2"),
        (#"{{with .a}}A={{.}}{{else with .b}}B={{.}}{{else}}none{{end}}"#, ["a": "1"], "A=1"),
        (#"{{with .a}}A={{.}}{{else with .b}}B={{.}}{{else}}none{{end}}"#, [:], "none"),
    ])
    func elseWith(_ text: String, _ data: [String: String], _ expected: String) throws {
        #expect(try render(text, .stringMap(data)) == expected)
    }

    @Test(arguments: [
        ("{{range 3}}[{{.}}]{{end}}", "[0][1][2]"),
        ("{{range $i := 2}}{{$i}}{{end}}", "01"),
        ("{{range 0}}x{{else}}none{{end}}", "none"),
        ("{{range -2}}x{{else}}none{{end}}", "none"),
        ("{{range (add 1 1)}}{{printf \"%T\" .}}{{end}}", "int64int64"),
        ("{{range 5}}{{if eq . 2}}{{break}}{{end}}{{.}}{{end}}", "01"),
    ])
    func rangeOverInteger(_ text: String, _ expected: String) throws {
        #expect(try render(text) == expected)
    }

    @Test func rangeOverIntegerRejectsTwoVariables() {
        #expect(throws: TemplateError.self) { try render("{{range $i, $v := 3}}{{end}}") }
    }

    @Test func rangeOverHugeIntegerStopsAtStepBudget() {
        #expect {
            try render("{{range 1000000000000}}{{end}}", limits: RenderLimits(maxSteps: 10_000))
        } throws: { ($0 as? TemplateError)?.kind == .limitExceeded }
    }

    /// Go 1.22+ encoding/json writes \b and \f short (the Go 1.19 oracle writes \u0008, \u000c).
    @Test func toJsonEscapesBackspaceAndFormFeedLikeCurrentGo() throws {
        #expect(try render(#"{{ toJson "a\bb\fc\u0001" }}"#) == #""a\bb\fc\u0001""#)
    }

    // MARK: - Data model

    @Test func stringDataLikeESO() throws {
        let data = Value.stringMap(["username": "admin", "tls.crt": "CERT"])
        #expect(try render(#"{{ .username }}/{{ index . "tls.crt" }}"#, data) == "admin/CERT")
        // map[string]string is not map[string]interface{}: sprig's dict functions reject it, as in Go.
        #expect(throws: TemplateError.self) { try render(#"{{ hasKey . "username" }}"#, data) }
    }

    @Test func binarySecretDataKeepsItsBytes() throws {
        let keystore: [UInt8] = [0x30, 0x82, 0xFF, 0x00, 0xC3, 0x28, 0xF4, 0x8F, 0xBC, 0x80, 0x0A]
        let data = Value.secretData(["p12": keystore, "user": Array("admin".utf8)])
        let t = try Template(name: "t", text: "{{ .p12 }}", missingKey: .error)
        #expect(try t.renderBytes(data) == keystore)
        let encoded = try Template(name: "t", text: "{{ .p12 | b64enc }}|{{ len .p12 }}|{{ .user }}").render(data)
        #expect(encoded == Data(keystore).base64EncodedString() + "|11|admin")
        let decoded = try Template(name: "t", text: "{{ .b | b64dec }}").renderBytes(
            .stringMap(["b": Data(keystore).base64EncodedString()]))
        #expect(decoded == keystore)
    }

    @Test(arguments: [
        [UInt8](), [0xFF], [0xE2, 0x82], [0xF4, 0x8F, 0xBF, 0xBF], Array("héllo".utf8), [0xED, 0xA0, 0x80],
    ])
    func goBytesRoundTrip(_ bytes: [UInt8]) {
        #expect(String(goBytes: bytes).goBytes == bytes)
    }

    /// `set` can make a map contain itself. Go's fmt would overflow its stack and kill the process;
    /// here every recursive operation is bounded and fails or answers instead.
    @Test func selfContainingMapsFailCleanly() throws {
        let cycle = #"{{ $d := dict "a" 1 }}{{ $_ := set $d "self" $d }}"#
        for tail in [
            "{{ $d }}", "{{ print $d }}", "{{ printf \"%v\" $d }}", "{{ mustToJson $d }}", "{{ deepCopy $d }}",
            "{{ toString $d }}", "{{ quote $d }}", "{{ html $d }}", "{{ list $d | join \",\" }}",
        ] {
            #expect(throws: TemplateError.self, "\(tail)") { try render(cycle + tail) }
        }
        #expect(try render(cycle + "{{ toJson $d }}|{{ toYaml $d }}") == "|")
        let two = #"{{ $a := dict }}{{ $b := dict }}{{ $_ := set $a "x" $b }}{{ $_ := set $b "x" $a }}"#
        #expect(try render(two + "{{ has $a (list $b) }} {{ deepEqual $a $b }} {{ len $a }}") == "false false 1")
    }

    @Test func mapsAreReferences() throws {
        #expect(try render(#"{{ $d := dict "a" 1 }}{{ $e := $d }}{{ $_ := set $d "b" 2 }}{{ $e }}"#) == "map[a:1 b:2]")
    }

    @Test func jsonNumbersDecodeAsGoDoes() throws {
        #expect(try Value.parseJSON("[1, 1.5]") == .list([.float(1), .float(1.5)]))
        #expect(try Value.parseJSON("[1, 1.5]", numbers: .integersAsInt) == .list([.int(1), .float(1.5)]))
        #expect(throws: JSONError.self) { try Value.parseJSON("[1,]") }
    }

    @Test func customFunctionLibraryPlugsIn() throws {
        var lib = FunctionLibrary.eso
        lib["shout"] = TemplateFunction([.string]) { args, _ in
            guard case .string(let s) = args[0] else { return .null }
            return .string(s.uppercased() + "!")
        }
        let t = try Template(name: "t", text: #"{{ shout "hi" }}"#, functions: lib)
        #expect(try t.render(.null) == "HI!")
        #expect(throws: TemplateError.self) {
            try Template(name: "t", text: "{{ shout 1 }}", functions: lib).render(.null)
        }
    }

    @Test func removedSprigFunctionsAreUndefined() {
        for name in ["env", "expandenv", "getHostByName"] {
            #expect(throws: TemplateError.self) { try render("{{ \(name) \"x\" }}") }
        }
    }

    // MARK: - Functions outside the sprig 3.2.3 oracle

    @Test func sha512sum() throws {
        #expect(
            try render(#"{{ sha512sum "abc" }}"#)
                == "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        )
    }

    /// ESO's camelcase is xstrings' ToPascalCase; these are xstrings' documented examples.
    @Test(arguments: [
        ("some_words", "SomeWords"), ("http_server", "HttpServer"), ("no_https", "NoHttps"),
        ("_complex__case_", "_Complex_Case_"), ("some words", "SomeWords"), ("GOLANG_IS_GREAT", "GolangIsGreat"),
        ("helloWorld", "HelloWorld"), ("a", "A"), ("", ""),
    ])
    func camelcaseIsPascalCase(_ input: String, _ expected: String) throws {
        #expect(try render("{{ camelcase .s }}", .stringMap(["s": input])) == expected)
    }

    @Test(arguments: [
        ("68656c6c6f", "hello"), ("48454C4C4F", "HELLO"), ("", ""), ("abc", "encoding/hex: odd length hex string"),
        ("zz", "encoding/hex: invalid byte: U+007A 'z'"), ("0g", "encoding/hex: invalid byte: U+0067 'g'"),
    ])
    func hexdec(_ input: String, _ expected: String) throws {
        #expect(try render("{{ hexdec .s }}", .stringMap(["s": input])) == expected)
    }

    @Test func decryptAESOfEmptyIsEmpty() throws {
        #expect(try render(#"{{ decryptAES "k" "" }}"#) == "")
    }

    @Test func toYamlSortsKeysAndTrimsNewline() throws {
        let out = try render(#"{{ dict "b" 1 "a" (list "x" "y") "c" (dict "d" true) | toYaml }}"#)
        // go-yaml v2 reads a bare y as a boolean, so it quotes the string "y".
        #expect(out == "a:\n- x\n- \"y\"\nb: 1\nc:\n  d: true")
    }

    @Test func toYamlFollowsGoYAMLv2Choices() throws {
        // Natural key order, ambiguous strings double-quoted, integral floats as integers.
        let out = try render(
            #"{{ dict "a10" 1 "a2" 2.0 "b" "true" "c" "" "d" "plain" "e" 1.5 "f" "x: y" | toYaml }}"#)
        #expect(out == "a2: 2\na10: 1\nb: \"true\"\nc: \"\"\nd: plain\ne: 1.5\nf: 'x: y'")
        #expect(try render(#"{{ "multi\nline\n" | toYaml }}"#) == "|\n  multi\n  line")
        #expect(try render("{{ list | toYaml }}") == "[]")
        #expect(try render("{{ toYaml .missing }}") == "null")
    }

    @Test func fromYamlDecodesLikeJSON() throws {
        #expect(try render("{{ (fromYaml \"a: 1\\nb: [x, y]\").b }}") == "[x y]")
        #expect(try render("{{ printf \"%T\" (fromYaml \"a: 1\").a }}") == "float64")
        #expect(try render("{{ (fromYaml \"- a\").Error | empty | not }}") == "true")
    }
}

@Suite("Dates (injected clock)")
struct DateTests {
    /// 2024-02-29 13:04:05.123456789 UTC.
    static let fixed = GoTime(seconds: 1_709_211_845, nanoseconds: 123_456_789)

    private func render(_ text: String) throws -> String {
        try Template(name: "t", text: text).render(.null, environment: RenderEnvironment(now: { Self.fixed }))
    }

    @Test(arguments: [
        (#"{{ now | date "2006-01-02T15:04:05.000Z07:00" }}"#, "2024-02-29T13:04:05.123Z"),
        (#"{{ now | date "Mon Jan _2 3:04PM 2006 MST" }}"#, "Thu Feb 29 1:04PM 2024 UTC"),
        ("{{ now }}", "2024-02-29 13:04:05.123456789 +0000 UTC"),
        ("{{ now | unixEpoch }}", "1709211845"),
        (#"{{ now | dateModify "-24h" | htmlDate }}"#, "2024-02-28"),
        (#"{{ toDate "2006-01-02" "2024-03-01" | ago }}"#, "-10h55m55s"),
        (#"{{ date "2006" "not a time" }}"#, "2024"),
        ("{{ now | typeOf }} {{ now | kindOf }}", "time.Time struct"),
        ("{{ now | toJson }}", #""2024-02-29T13:04:05.123456789Z""#),
    ])
    func datesUseTheInjectedClock(_ text: String, _ expected: String) throws {
        #expect(try render(text) == expected)
    }

    @Test func withoutAClockNowFails() {
        #expect(throws: TemplateError.self) { try Template(name: "t", text: "{{ now }}").render(.null) }
        #expect(throws: TemplateError.self) { try Template(name: "t", text: #"{{ date "2006" "x" }}"#).render(.null) }
    }

    @Test func namedZonesNeedATimeZoneDatabase() {
        #expect(throws: TemplateError.self) { try render(#"{{ dateInZone "15:04" 0 "Europe/Paris" }}"#) }
    }
}
