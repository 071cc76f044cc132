import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import GoOracleTestSupport
import ProviderKit
import Templating
import Testing

/// A value no production message may ever contain.
private let secretValue = "hunter2-TOP-SECRET"

private func bytes(_ s: String) -> Data { Data(s.utf8) }

private func text(_ data: SecretData) -> [String: String] {
    data.mapValues { String(decoding: $0, as: UTF8.self) }
}

/// The error `body` throws, which must be a `ProviderError`.
private func providerError(_ body: () throws -> Void) -> ProviderError? {
    do {
        try body()
        return nil
    } catch let error as ProviderError {
        return error
    } catch {
        Issue.record("not a ProviderError: \(error)")
        return nil
    }
}

// MARK: - Properties

@Suite struct PropertyTests {
    static let value = bytes(#"{"db.password":"\#(secretValue)","db":{"password":"nested","port":5432},"list":[1,2]}"#)

    @Test(arguments: [
        ("db.password", secretValue),  // the literal dotted key wins, as in ESO's providers
        ("db.port", "5432"),
        ("db", #"{"password":"nested","port":5432}"#),
        ("list.#", "2"),
        (#"db\.password"#, secretValue),
    ])
    func finds(path: String, expected: String) throws {
        #expect(try SecretValues.property(path, of: Self.value) == bytes(expected))
    }

    @Test func missingIsNotFoundAndNamesThePath() {
        let error = providerError { _ = try SecretValues.property("db.user", of: Self.value, remoteKey: "app/db") }
        #expect(error?.isNotFound == true)
        #expect(error?.message == #"key "db.user" does not exist in secret "app/db""#)
        #expect(error?.message.contains(secretValue) == false)
    }

    @Test func notJSONIsNotFound() {
        let error = providerError { _ = try SecretValues.property("a", of: bytes(secretValue)) }
        #expect(error?.isNotFound == true)
        #expect(error?.message == #"property "a" does not exist"#)
    }

    @Test func unsupportedSyntaxIsUnsupported() {
        let error = providerError { _ = try SecretValues.property("list|@reverse", of: Self.value) }
        #expect(error?.code == .unsupported)
        #expect(error?.message.contains(secretValue) == false)
    }

    @Test(arguments: PipelineOracle.gjsonCases)
    func matchesESOProviders(_ c: PipelineOracle.GJSONCase) throws {
        do {
            let value = try SecretValues.property(c.path, of: c.json)
            #expect([UInt8](value) == c.expected.property?.bytes)
        } catch {
            #expect(c.expected.property == nil, "\(error)")
            #expect(error.isNotFound)
        }
    }
}

// MARK: - Extract

@Suite struct ExplodeJSONObjectTests {
    @Test func keepsNonStringsAsRawJSON() throws {
        let data = try SecretValues.explodeJSONObject(
            bytes(#" {"s":"a\nb","n":1.50,"e":1E+2,"o":{ "k" : [1, 2] },"t":true,"z":null,"u":"\u00e9"} "#))
        #expect(
            text(data) == [
                "s": "a\nb", "n": "1.50", "e": "1E+2", "o": #"{ "k" : [1, 2] }"#, "t": "true", "z": "", "u": "é",
            ])
    }

    @Test(arguments: ["null", " null\n", "{}"])
    func emptyDocuments(json: String) throws {
        #expect(try SecretValues.explodeJSONObject(bytes(json)).isEmpty)
    }

    @Test(arguments: [
        "[\"\(secretValue)\"]", "\"\(secretValue)\"", "42", "{\"a\":\"\(secretValue)\"", "{\"a\":\(secretValue)}",
        "{\"a\":1} \(secretValue)", "",
    ])
    func rejectsWhatGoRejectsWithoutEchoingIt(json: String) {
        let error = providerError { _ = try SecretValues.explodeJSONObject(bytes(json), remoteKey: "app") }
        #expect(error?.code == .invalidData)
        #expect(error?.message.hasPrefix(#"unable to unmarshal secret "app": "#) == true)
        #expect(error?.message.contains(secretValue) == false)
        #expect(error?.message.contains("TOP") == false)
    }

    @Test func deepNestingIsBoundedNotFatal() {
        let deep = "{\"a\":" + String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000) + "}"
        #expect(throws: ProviderError.self) { try SecretValues.explodeJSONObject(bytes(deep)) }
    }

    @Test(arguments: PipelineOracle.extractCases)
    func matchesESO(_ c: PipelineOracle.ExtractCase) {
        do {
            let data = try SecretValues.explodeJSONObject(c.json)
            #expect(c.expected.error == nil)
            #expect(data.mapValues { [UInt8]($0) } == (c.expected.data ?? [:]).mapValues(\.bytes))
        } catch {
            #expect(c.expected.error != nil, "\(error)")
        }
    }
}

// MARK: - Key conversion

@Suite struct ConvertKeyTests {
    @Test(arguments: [
        ("path/to/my-secret", "path_to_my-secret", "path_U002f_to_U002f_my-secret"),
        ("key-ok_1.2", "key-ok_1.2", "key-ok_1.2"),
        ("naïve_日本語", "naïve_日本語", "naïve_日本語"),  // Unicode letters stay, as in ESO
        ("a😀b", "a_b", "a_U1f600_b"),  // above U+FFFF: five hex digits
        ("tab\t", "tab_", "tab_U0009_"),
        ("", "", ""),
    ])
    func converts(key: String, defaultKey: String, unicodeKey: String) {
        #expect(SecretDataPipeline.convertKey(key, .default) == defaultKey)
        #expect(SecretDataPipeline.convertKey(key, .unicode) == unicodeKey)
    }

    @Test func collisionIsAnErrorNamingTheKey() throws {
        let error = providerError {
            _ = try SecretDataPipeline.convertKeys(["a/b": bytes(secretValue), "a_b": bytes("x")], .default)
        }
        #expect(
            error?.message
                == "error applying conversion strategy Default to keys: secret name collision during conversion: a_b")
        #expect(try SecretDataPipeline.convertKeys(["a/b": bytes("1"), "a_b": bytes("2")], .unicode).count == 2)
        #expect(try SecretDataPipeline.convertKeys([:], .default).isEmpty)
    }

    @Test(arguments: PipelineOracle.convertCases)
    func matchesESO(_ c: PipelineOracle.ConvertCase) {
        #expect(SecretDataPipeline.convertKey(c.key, .default) == c.expected.default)
        #expect(SecretDataPipeline.convertKey(c.key, .unicode) == c.expected.unicode)
    }
}

// MARK: - Key validation

@Suite struct ValidateSecretKeysTests {
    @Test(arguments: ["a", "A-Z.z_0", ".env", "a..b", String(repeating: "k", count: 253)])
    func accepts(key: String) throws {
        #expect(SecretDataPipeline.secretKeyProblem(key) == nil)
        #expect(try SecretDataPipeline.validateSecretKeys([key: bytes("v")]).keys.sorted() == [key])
    }

    @Test(arguments: [
        ("a/b", "has invalid characters", #""a/b""#), ("é", "has invalid characters", #""é""#),
        ("a b", "has invalid characters", #""a b""#), ("a\u{0}b", "has invalid characters", #""a\x00b""#),
        (".", "must not be '.'", #"".""#), ("..", "must not be '..'", #""..""#), ("..a", "must not start with '..'", #""..a""#),
        (String(repeating: "k", count: 254), "has length 254 but max is 253", "\"" + String(repeating: "k", count: 253) + "\""),
    ])
    func rejectsNamingTheKey(key: String, problem: String, quoted: String) {
        let error = providerError { _ = try SecretDataPipeline.validateSecretKeys([key: bytes(secretValue), "ok": bytes("v")]) }
        #expect(error?.code == .invalidData)
        #expect(error?.message.contains(problem) == true)
        #expect(error?.message.contains("key \(quoted) ") == true, "\(error?.message ?? "no error")")
        #expect(error?.message.contains(secretValue) == false)
    }

    @Test func dropsEmptyKeysAsESODoes() throws {
        #expect(try SecretDataPipeline.validateSecretKeys(["": bytes("v"), "k": bytes("w")]).keys.sorted() == ["k"])
    }
}

// MARK: - Decoding

@Suite struct DecodeTests {
    @Test(arguments: [
        (DecodingStrategy.none, "aGk=", "aGk="),
        (.base64, "aGk=", "hi"),
        (.base64, "aGk=\n", "hi"),  // Go skips newlines
        (.base64URL, "Pz8-", "??>"),
        (.auto, "aGk=", "hi"),
        (.auto, "Pz8-", "??>"),  // not standard base64, so base64url
        (.auto, "aGk", "aGk"),  // unpadded: neither decodes, kept as is
        (.auto, "plain text", "plain text"),
        (.base64, "", ""),
    ])
    func decodes(strategy: DecodingStrategy, input: String, output: String) throws {
        #expect(try SecretDataPipeline.decode(bytes(input), strategy, key: "k") == bytes(output))
    }

    @Test func nilStrategyIsNone() throws {
        #expect(try SecretDataPipeline.decode(bytes("aGk="), nil, key: "k") == bytes("aGk="))
    }

    @Test(arguments: [(DecodingStrategy.base64, "Pz8-", 3), (.base64URL, "a+b/", 1), (.base64, "aGk", 0), (.base64, "aGk==", 4)])
    func failureNamesKeyStrategyAndOffset(strategy: DecodingStrategy, input: String, offset: Int) {
        let error = providerError { _ = try SecretDataPipeline.decode(bytes(input), strategy, key: "tls.crt") }
        #expect(
            error?.message
                == "error applying decoding strategy \(strategy.rawValue) to data: failed to decode key \"tls.crt\" with strategy \(strategy.rawValue): illegal base64 data at input byte \(offset)"
        )
        #expect(error?.code == .invalidData)
    }

    @Test func mapFormReportsTheFirstKeyInOrder() {
        let error = providerError {
            _ = try SecretDataPipeline.decode(["b": bytes("!!"), "a": bytes("??"), "c": bytes("aGk=")], .base64)
        }
        #expect(error?.message.contains("key \"a\"") == true)
    }

    @Test(arguments: PipelineOracle.base64Cases)
    func matchesGo(_ c: PipelineOracle.Base64Case) throws {
        for (strategy, expected) in [(DecodingStrategy.base64, c.expected.base64), (.base64URL, c.expected.base64url)] {
            do {
                let out = try SecretDataPipeline.decode(Data(c.input.utf8), strategy, key: "k")
                #expect([UInt8](out) == expected.output?.bytes, "\(strategy)")
            } catch {
                #expect(expected.errorOffset != nil, "\(strategy): \(error)")
                #expect(error.message.hasSuffix("at input byte \(expected.errorOffset ?? -1)"))
            }
        }
        #expect(try [UInt8](SecretDataPipeline.decode(Data(c.input.utf8), .auto, key: "k")) == c.expected.auto.bytes)
    }
}

// MARK: - NUL bytes

@Suite struct NullBytePolicyTests {
    @Test func failNamesTheFirstKey() {
        let data: SecretData = ["zeta": Data([0x41, 0, 0x42]), "alpha": Data([0x43, 0, 0x44]), "ok": bytes("v")]
        let error = providerError { try SecretDataPipeline.checkNullBytes(data, policy: .fail) }
        #expect(error?.message == #"fetched secret value for key "alpha" contains null bytes"#)
    }

    @Test(arguments: [NullBytePolicy.ignore, nil])
    func otherwiseAllowed(policy: NullBytePolicy?) throws {
        try SecretDataPipeline.checkNullBytes(["k": Data([0])], policy: policy)
        try SecretDataPipeline.checkNullBytes(Data([0]), key: "k", policy: policy)
    }
}

// MARK: - Rewrite

@Suite struct RewriteTests {
    static func regexp(_ source: String, _ target: String) -> ExternalSecretRewrite {
        ExternalSecretRewrite(regexp: RewriteRegexp(source: source, target: target))
    }

    static func transform(_ template: String) -> ExternalSecretRewrite {
        ExternalSecretRewrite(transform: RewriteTransform(template: template))
    }

    @Test(arguments: [
        ("^path/to/(.*)$", "$1", "path/to/db", "db"),
        ("(a)", "$1x", "a", ""),  // $1x is the group named "1x"
        ("(a)", "${1}x", "a", "ax"),
        ("(?P<env>[a-z]+)-(?P<name>.*)", "${name}.$env", "prod-db", "db.prod"),
        ("(?<env>[a-z]+)-(?<name>.*)", "${name}.$env", "prod-db", "db.prod"),  // Go 1.22 syntax
        ("a", "$$", "aXa", "$X$"),
        ("x", "y", "abc", "abc"),  // no match: unchanged
        ("\\w+", "W", "héllo", "WéW"),  // RE2's \w is ASCII
    ])
    func regexpRewritesKeys(source: String, target: String, key: String, expected: String) throws {
        let out = try SecretDataPipeline.rewrite([key: bytes("v")], [Self.regexp(source, target)])
        #expect(text(out) == [expected: "v"])
    }

    @Test func stepsApplyInOrder() throws {
        let steps = [Self.regexp("^app/", ""), Self.transform("{{ .value | upper }}"), Self.regexp("/", "_")]
        let out = try SecretDataPipeline.rewrite(["app/db/user": bytes("u"), "app/db/pass": bytes("p")], steps)
        #expect(text(out) == ["DB_USER": "u", "DB_PASS": "p"])
    }

    @Test func collisionsKeepTheGreatestOriginalKey() throws {
        let out = try SecretDataPipeline.rewrite(["a1": bytes("1"), "a2": bytes("2")], [Self.regexp("\\d", "")])
        #expect(text(out) == ["a": "2"])
    }

    @Test func transformToEmptyKeyIsDroppedByValidation() throws {
        let out = try SecretDataPipeline.rewrite(["drop": bytes("x"), "keep": bytes("y")], [
            Self.transform(#"{{ if ne .value "drop" }}{{ .value }}{{ end }}"#)
        ])
        #expect(text(out) == ["": "x", "keep": "y"])
        #expect(try text(SecretDataPipeline.validateSecretKeys(out)) == ["keep": "y"])
    }

    /// ESO's transform has sprig's `now`: the operator's clock comes in the environment.
    @Test func transformSeesTheInjectedClock() throws {
        let steps = [Self.transform(#"{{ .value }}-{{ now | date "2006-01-02" }}"#)]
        let environment = RenderEnvironment.eso(now: { Date(timeIntervalSince1970: 1_700_000_000) })
        let out = try SecretDataPipeline.rewrite(["db": bytes("v")], steps, environment: environment)
        #expect(out.keys.sorted() == ["db-2023-11-14"])
        let find = try SecretDataPipeline.processFind(
            ["db": bytes("v")], find: ExternalSecretFind(), rewrite: steps, index: 0, environment: environment)
        #expect(find.keys.sorted() == ["db-2023-11-14"])
        let pure = providerError { _ = try SecretDataPipeline.rewrite(["db": bytes("v")], steps) }
        #expect(pure?.message.contains("no clock") == true)
    }

    @Test func transformUsesESOFunctions() throws {
        let out = try SecretDataPipeline.rewrite(["db/pass": bytes("v")], [
            Self.transform(#"{{ .value | replace "/" "_" | b64enc | lower }}"#)
        ])
        #expect(out.keys.sorted() == ["zgjfcgfzcw=="])
    }

    @Test(arguments: [
        ([RewriteTests.regexp("(", "x")], "failed rewrite operation[0]: regexp failed with failed to compile"),
        (
            [RewriteTests.regexp("a", "b"), RewriteTests.transform("{{ .value")],
            "failed rewrite operation[1]: transform failed with failed to parse template"
        ),
        (
            [RewriteTests.transform("{{ fail .value }}")],
            "failed rewrite operation[0]: transform failed with failed to execute template for key \"k\""
        ),
        ([RewriteTests.regexp("(?=a)", "")], "invalid or unsupported Perl syntax"),
    ])
    func invalidStepsNameTheirIndex(steps: [ExternalSecretRewrite], message: String) {
        let error = providerError { _ = try SecretDataPipeline.rewrite(["k": bytes(secretValue)], steps) }
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "no error")")
        #expect(error?.message.contains(secretValue) == false)
    }

    @Test(arguments: PipelineOracle.regexpCases)
    func matchesGoRegexp(_ c: PipelineOracle.RegexpCase) {
        do {
            let out = try SecretDataPipeline.rewrite([c.input: bytes("v")], [Self.regexp(c.source, c.target)])
            #expect(c.expected.error == nil)
            #expect(out.keys.sorted() == [c.expected.output ?? "<error>"])
        } catch {
            #expect(c.expected.error != nil, "\(error)")
        }
    }
}

// MARK: - Merge

@Suite struct RewriteMergeTests {
    static func merge(
        strategy: String? = nil, into: String? = nil, priority: [String]? = nil, priorityPolicy: String? = nil,
        conflictPolicy: String? = nil
    ) -> [ExternalSecretRewrite] {
        [
            ExternalSecretRewrite(
                merge: RewriteMerge(
                    into: into, priority: priority, priorityPolicy: priorityPolicy, conflictPolicy: conflictPolicy,
                    strategy: strategy))
        ]
    }

    static let input: SecretData = [
        "a": bytes(#"{"user":"alice","port":5432,"big":1e21,"tls":true,"none":null,"opts":{"z":1,"a":"<&>"},"list":[1,"x"]}"#),
        "b": bytes(#"{"pass":"s3cret"}"#),
    ]

    @Test func extractHoistsEntries() throws {
        let out = try SecretDataPipeline.rewrite(Self.input, Self.merge())
        #expect(
            text(out) == [
                "user": "alice", "port": "5432", "big": "1000000000000000000000", "tls": "true", "none": "",
                "opts": #"{"a":"\u003c\u0026\u003e","z":1}"#, "list": #"[1,"x"]"#, "pass": "s3cret",
            ])
    }

    @Test func jsonStrategyAddsTheMergedObject() throws {
        let out = try SecretDataPipeline.rewrite(Self.input, Self.merge(strategy: "JSON", into: "merged"))
        #expect(out["a"] == Self.input["a"])
        #expect(
            text(out)["merged"]
                == #"{"big":1e+21,"list":[1,"x"],"none":null,"opts":{"a":"<&>","z":1},"pass":"s3cret","port":5432,"tls":true,"user":"alice"}"#
        )
    }

    @Test func conflictsAreErrorsUnlessIgnored() throws {
        let data: SecretData = ["a": bytes(#"{"k":"1","x":"1"}"#), "b": bytes(#"{"k":"2","x":"2"}"#)]
        let error = providerError { _ = try SecretDataPipeline.rewrite(data, Self.merge()) }
        #expect(error?.message.hasSuffix("merge failed with conflicts: k, x") == true)
        #expect(try text(SecretDataPipeline.rewrite(data, Self.merge(conflictPolicy: "Ignore"))) == ["k": "2", "x": "2"])
        // Priority keys are merged last, so they win.
        #expect(
            try text(SecretDataPipeline.rewrite(data, Self.merge(priority: ["a"], conflictPolicy: "Ignore")))
                == ["k": "1", "x": "1"])
    }

    @Test func missingPriorityKey() throws {
        let data: SecretData = ["a": bytes(#"{"k":"1"}"#)]
        let error = providerError { _ = try SecretDataPipeline.rewrite(data, Self.merge(priority: ["nope"])) }
        #expect(error?.message.hasSuffix(#"merge failed with key "nope" not found in input map"#) == true)
        #expect(
            try text(SecretDataPipeline.rewrite(data, Self.merge(priority: ["nope"], priorityPolicy: "IgnoreNotFound")))
                == ["k": "1"])
    }

    @Test func invalidInput() {
        let notJSON = providerError { _ = try SecretDataPipeline.rewrite(["a": bytes(secretValue)], Self.merge()) }
        #expect(notJSON?.message.contains(#"the value of key "a" is not a JSON object"#) == true)
        #expect(notJSON?.message.contains(secretValue) == false)
        let noInto = providerError { _ = try SecretDataPipeline.rewrite(["a": bytes("{}")], Self.merge(strategy: "JSON")) }
        #expect(noInto?.message.hasSuffix("merge failed with missing 'into' field") == true)
    }
}

// MARK: - Entry pipelines

@Suite struct EntryPipelineTests {
    @Test func findConvertsWithoutRewrite() throws {
        let find = ExternalSecretFind(conversionStrategy: .default, decodingStrategy: .base64)
        let out = try SecretDataPipeline.processFind(["app/db": bytes("aGk=")], find: find, rewrite: nil, index: 0)
        #expect(text(out) == ["app_db": "hi"])
    }

    /// ESO skips the conversion strategy whenever rewrite steps are present.
    @Test func rewriteReplacesConversion() throws {
        let find = ExternalSecretFind(conversionStrategy: .unicode)
        let rewrite = [ExternalSecretRewrite(regexp: RewriteRegexp(source: "^app/", target: ""))]
        let out = try SecretDataPipeline.processFind(["app/db": bytes("v")], find: find, rewrite: rewrite, index: 0)
        #expect(text(out) == ["db": "v"])
        let error = providerError {
            _ = try SecretDataPipeline.processFind(["app/x/y": bytes("v")], find: find, rewrite: rewrite, index: 2)
        }
        #expect(error?.message.hasPrefix("spec.dataFrom[2].find: invalid secret keys") == true)
        #expect(error?.message.contains(#""x/y""#) == true)
    }

    @Test func keysAreValidatedBeforeValuesAreDecoded() {
        let extract = ExternalSecretDataRemoteRef(key: "k", decodingStrategy: .base64)
        let rewrite = [ExternalSecretRewrite(regexp: RewriteRegexp(source: "^x", target: "y"))]
        let error = providerError {
            _ = try SecretDataPipeline.processExtract(["bad key": bytes("!!")], extract: extract, rewrite: rewrite, index: 1)
        }
        #expect(error?.message.hasPrefix("spec.dataFrom[1].extract: invalid secret keys") == true)
        // Without a rewrite, Default conversion makes the key valid, and decoding is what fails.
        let converted = providerError {
            _ = try SecretDataPipeline.processExtract(["bad key": bytes("!!")], extract: extract, rewrite: nil, index: 1)
        }
        #expect(converted?.message.contains(#"failed to decode key "bad_key" with strategy Base64"#) == true)
    }

    @Test func nullBytesAreCheckedAfterDecoding() throws {
        let find = ExternalSecretFind(decodingStrategy: .base64)
        var failing = find
        failing.nullBytePolicy = .fail
        // "QQBC" is "A\0B" once decoded.
        #expect(try SecretDataPipeline.processFind(["k": bytes("QQBC")], find: find, rewrite: nil, index: 0)["k"] == Data([0x41, 0, 0x42]))
        let error = providerError {
            _ = try SecretDataPipeline.processFind(["k": bytes("QQBC")], find: failing, rewrite: nil, index: 3)
        }
        #expect(error?.message == #"spec.dataFrom[3].find: fetched secret value for key "k" contains null bytes"#)
    }

    @Test func dataDecodesOneValue() throws {
        let ref = ExternalSecretDataRemoteRef(key: "remote", decodingStrategy: .auto, nullBytePolicy: .fail)
        let entry = ExternalSecretData(secretKey: "tls.crt", remoteRef: ref)
        #expect(try SecretDataPipeline.processData(bytes("aGk="), data: entry, index: 0) == bytes("hi"))
        let error = providerError { _ = try SecretDataPipeline.processData(bytes("QQBC"), data: entry, index: 4) }
        #expect(error?.message == #"spec.data[4]: fetched secret value for key "tls.crt" contains null bytes"#)
        var strict = entry
        strict.remoteRef.decodingStrategy = .base64
        let decodeError = providerError { _ = try SecretDataPipeline.processData(bytes(secretValue), data: strict, index: 5) }
        #expect(decodeError?.message.hasPrefix("spec.data[5]: error applying decoding strategy Base64 to data") == true)
        #expect(decodeError?.message.contains(secretValue) == false)
    }

    @Test func emptyInputsStayEmpty() throws {
        #expect(try SecretDataPipeline.processFind([:], find: ExternalSecretFind(), rewrite: nil, index: 0).isEmpty)
        #expect(
            try SecretDataPipeline.processExtract([:], extract: ExternalSecretDataRemoteRef(key: "k"), rewrite: [], index: 0)
                .isEmpty)
    }
}

// MARK: - Differential oracle

/// The committed corpus and what Go (ESO's code, gjson 1.14.4) produced for it; see Oracle/README.md.
enum PipelineOracle {
    typealias Bytes = GoOracle.Bytes

    /// A case or a result, paired by name.
    protocol Named: Decodable, Sendable {
        var name: String { get }
    }

    /// A corpus case that carries Go's result once loaded.
    protocol Case: Named {
        associatedtype Expected: Named
        var expected: Expected! { get set }
    }

    struct GJSONCase: Case, CustomTestStringConvertible {
        struct Expected: Named {
            var name: String
            var exists: Bool
            var string: Bytes
            var raw: Bytes
            var property: Bytes?
        }
        var name: String
        var jsonText: String
        var jsonBase64: String?
        var path: String
        var expected: Expected!
        var json: Data { jsonBase64.flatMap { Data(base64Encoded: $0) } ?? Data(jsonText.utf8) }
        var testDescription: String { name }
        enum CodingKeys: String, CodingKey { case name, jsonText = "json", jsonBase64, path }
    }

    struct Base64Case: Case, CustomTestStringConvertible {
        struct Decoded: Decodable, Sendable {
            var output: Bytes?
            var errorOffset: Int?
        }
        struct Expected: Named {
            var name: String
            var base64: Decoded
            var base64url: Decoded
            var auto: Bytes
        }
        var name: String
        var input: String
        var expected: Expected!
        var testDescription: String { name }
        enum CodingKeys: String, CodingKey { case name, input }
    }

    struct RegexpCase: Case, CustomTestStringConvertible {
        struct Expected: Named {
            var name: String
            var output: String?
            var error: String?
        }
        var name: String
        var source: String
        var target: String
        var input: String
        var expected: Expected!
        var testDescription: String { name }
        enum CodingKeys: String, CodingKey { case name, source, target, input }
    }

    struct ExtractCase: Case, CustomTestStringConvertible {
        struct Expected: Named {
            var name: String
            var data: [String: Bytes]?
            var error: String?
        }
        var name: String
        var jsonText: String
        var jsonBase64: String?
        var expected: Expected!
        var json: Data { jsonBase64.flatMap { Data(base64Encoded: $0) } ?? Data(jsonText.utf8) }
        var testDescription: String { name }
        enum CodingKeys: String, CodingKey { case name, jsonText = "json", jsonBase64 }
    }

    struct ConvertCase: Case, CustomTestStringConvertible {
        struct Expected: Named {
            var name: String
            var `default`: String
            var unicode: String
        }
        var name: String
        var key: String
        var expected: Expected!
        var testDescription: String { name }
        enum CodingKeys: String, CodingKey { case name, key }
    }

    static let oracle = GoOracle(testTarget: "ExternalSecretsCoreTests")

    /// Section `section` of the corpus, each case with Go's result attached.
    static func cases<C: Case>(_ section: String, _: C.Type) -> [C] {
        oracle.load(section, C.self, C.Expected.self, name: \.name, expectedName: \.name).map { pair in
            var c = pair.0
            c.expected = pair.1
            return c
        }
    }

    static let gjsonCases = cases("gjson", GJSONCase.self)
    static let base64Cases = cases("base64", Base64Case.self)
    static let regexpCases = cases("regexp", RegexpCase.self)
    static let extractCases = cases("extract", ExtractCase.self)
    static let convertCases = cases("convert", ConvertCase.self)

    static let goAvailable = GoOracle.canRun(needing: ["src/github.com/tidwall/gjson/gjson.go"])
}

@Suite struct PipelineOracleTests {
    @Test func corpusIsLoaded() {
        #expect(PipelineOracle.gjsonCases.count > 100)
        #expect(PipelineOracle.regexpCases.count > 50)
    }

    /// Re-runs the Go oracle when Go and gjson are installed and checks the committed file is current.
    @Test(.enabled(if: PipelineOracle.goAvailable)) func committedExpectationsAreCurrent() async throws {
        let live = try await PipelineOracle.oracle.run()
        #expect(
            try live == PipelineOracle.oracle.committedExpectations(),
            "expected.json is stale: regenerate it (Oracle/README.md)")
    }
}
