import Templating
import Testing

/// Tracks which of ESO 2.9's template functions (docs/TEMPLATES.md) the library offers, so the
/// remaining work of issue 5 stays explicit.
@Suite("ESO function coverage")
struct FunctionCoverageTests {
    static let esoFunctions: Set<String> = [
        "hello", "ago", "date", "dateInZone", "dateModify", "duration", "durationRound", "htmlDate", "htmlDateInZone",
        "mustDateModify", "mustToDate", "now", "toDate", "unixEpoch", "abbrev", "abbrevboth", "trunc", "trim", "upper",
        "lower", "title", "untitle", "substr", "repeat", "trimall", "trimAll", "trimSuffix", "trimPrefix", "nospace",
        "initials", "randAlphaNum", "randAlpha", "randAscii", "randNumeric", "swapcase", "shuffle", "snakecase",
        "camelcase", "kebabcase", "wrap", "wrapWith", "contains", "hasPrefix", "hasSuffix", "quote", "squote", "cat",
        "indent", "nindent", "replace", "plural", "sha1sum", "sha256sum", "sha512sum", "adler32sum", "toString", "atoi",
        "int64", "int", "float64", "seq", "toDecimal", "split", "splitList", "splitn", "toStrings", "until",
        "untilStep", "add1", "add", "sub", "div", "mod", "mul", "randInt", "add1f", "addf", "subf", "divf", "mulf",
        "biggest", "max", "min", "maxf", "minf", "ceil", "floor", "round", "join", "sortAlpha", "default", "empty",
        "coalesce", "all", "any", "compact", "mustCompact", "fromJson", "toJson", "toPrettyJson", "toRawJson",
        "mustFromJson", "mustToJson", "mustToPrettyJson", "mustToRawJson", "ternary", "deepCopy", "mustDeepCopy",
        "typeOf", "typeIs", "typeIsLike", "kindOf", "kindIs", "deepEqual", "base", "dir", "clean", "ext", "isAbs",
        "osBase", "osClean", "osDir", "osExt", "osIsAbs", "b64enc", "b64dec", "b32enc", "b32dec", "hexdec", "tuple",
        "list", "dict", "get", "set", "unset", "hasKey", "pluck", "keys", "pick", "omit", "merge", "mergeOverwrite",
        "mustMerge", "mustMergeOverwrite", "values", "append", "mustAppend", "prepend", "mustPrepend", "first",
        "mustFirst", "rest", "mustRest", "last", "mustLast", "initial", "mustInitial", "reverse", "mustReverse", "uniq",
        "mustUniq", "without", "mustWithout", "has", "mustHas", "slice", "mustSlice", "concat", "dig", "chunk",
        "mustChunk", "bcrypt", "htpasswd", "genPrivateKey", "derivePassword", "buildCustomCert", "genCA",
        "genCAWithKey", "genSelfSignedCert", "genSelfSignedCertWithKey", "genSignedCert", "genSignedCertWithKey",
        "encryptAES", "decryptAES", "randBytes", "uuidv4", "semver", "semverCompare", "fail", "regexMatch",
        "mustRegexMatch", "regexFindAll", "mustRegexFindAll", "regexFind", "mustRegexFind", "regexReplaceAll",
        "mustRegexReplaceAll", "regexReplaceAllLiteral", "mustRegexReplaceAllLiteral", "regexSplit", "mustRegexSplit",
        "regexQuoteMeta", "urlParse", "urlJoin",
        // ESO's own
        "pkcs12key", "pkcs12keyPass", "pkcs12cert", "pkcs12certPass", "pemToPkcs12", "pemToPkcs12Pass",
        "fullPemToPkcs12", "fullPemToPkcs12Pass", "pemTruststoreToPKCS12", "pemTruststoreToPKCS12Pass", "filterPEM",
        "filterCertChain", "certSANs", "jwkPublicKeyPem", "jwkPrivateKeyPem", "toYaml", "fromYaml", "rsaDecrypt",
    ]

    /// Not implemented yet: nothing (issue 5 is done).
    static let notYetImplemented: Set<String> = []

    /// sprig names ESO also accepts that TEMPLATES.md does not list.
    static let extraAliases: Set<String> = ["push", "mustPush", "date_in_zone", "date_modify", "must_date_modify"]

    @Test func implementedSetIsExactlyESOMinusTheTrackedGaps() {
        let implemented = Set(FunctionLibrary.eso.functions.keys)
        let expected = Self.esoFunctions.subtracting(Self.notYetImplemented).union(Self.extraAliases)
        #expect(implemented.subtracting(expected).sorted() == [], "functions ESO does not offer")
        #expect(expected.subtracting(implemented).sorted() == [], "functions ESO offers that are missing")
    }

    @Test func removedFunctionsStayRemoved() {
        for name in ["env", "expandenv", "getHostByName"] {
            #expect(FunctionLibrary.eso[name] == nil)
        }
    }
}
