/// A semantic version as Masterminds/semver v3 (`NewVersion`, the coercing parser sprig uses)
/// reads, prints and orders it. `1.2` and `v1` are accepted and become `1.2.0` and `1.0.0`.
struct SemanticVersion: Sendable, Hashable {
    var major: UInt64
    var minor: UInt64
    var patch: UInt64
    var pre: String
    var metadata: String
    /// The text it was parsed from (`Original()`).
    var original: String

    /// Why a version did not parse; semver's error texts.
    struct ParseError: Error, Equatable {
        var message: String
        static let invalid = ParseError(message: "Invalid Semantic Version")
        static let segmentStartsZero = ParseError(message: "Version segment starts with 0")
        static let invalidPrerelease = ParseError(message: "Invalid Prerelease string")
        static let invalidMetadata = ParseError(message: "Invalid Metadata string")
    }

    private static func isIdentifierByte(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    /// The end of `ident(.ident)*` starting at `i` (ident = `[0-9A-Za-z-]+`), or nil if none.
    fileprivate static func dottedIdentifiers(_ b: [UInt8], from i: Int) -> Int? {
        var j = i
        while j < b.count, isIdentifierByte(b[j]) { j += 1 }
        guard j > i else { return nil }
        while j + 1 < b.count, b[j] == UInt8(ascii: "."), isIdentifierByte(b[j + 1]) {
            j += 1
            while j < b.count, isIdentifierByte(b[j]) { j += 1 }
        }
        return j
    }

    /// `semver.NewVersion`: `^v?N(.N)?(.N)?(-pre)?(+meta)?$`, then range and identifier checks.
    static func parse(_ text: String) throws(ParseError) -> SemanticVersion {
        let b = text.goBytes
        var i = 0
        if i < b.count, b[i] == UInt8(ascii: "v") { i += 1 }
        func number() throws(ParseError) -> UInt64? {
            let start = i
            while i < b.count, isDigit(b[i]) { i += 1 }
            guard i > start else { return nil }
            guard let n = UInt64(String(decoding: b[start..<i], as: UTF8.self)) else {
                throw ParseError(
                    message:
                        "Error parsing version segment: strconv.ParseUint: parsing \(goQuote(String(decoding: b[start..<i], as: UTF8.self))): value out of range"
                )
            }
            return n
        }
        guard let major = try number() else { throw .invalid }
        var minor: UInt64 = 0
        var patch: UInt64 = 0
        if i + 1 < b.count, b[i] == UInt8(ascii: "."), isDigit(b[i + 1]) {
            i += 1
            minor = try number() ?? 0
            if i + 1 < b.count, b[i] == UInt8(ascii: "."), isDigit(b[i + 1]) {
                i += 1
                patch = try number() ?? 0
            }
        }
        var pre = ""
        var metadata = ""
        if i < b.count, b[i] == UInt8(ascii: "-"), let end = dottedIdentifiers(b, from: i + 1) {
            pre = String(decoding: b[(i + 1)..<end], as: UTF8.self)
            i = end
        }
        if i < b.count, b[i] == UInt8(ascii: "+"), let end = dottedIdentifiers(b, from: i + 1) {
            metadata = String(decoding: b[(i + 1)..<end], as: UTF8.self)
            i = end
        }
        guard i == b.count else { throw .invalid }
        if !pre.isEmpty { try validatePrerelease(pre) }
        return SemanticVersion(
            major: major, minor: minor, patch: patch, pre: pre, metadata: metadata, original: text)
    }

    /// Numeric prerelease identifiers may not have leading zeros.
    static func validatePrerelease(_ p: String) throws(ParseError) {
        for part in p.split(separator: ".", omittingEmptySubsequences: false) {
            let bytes = Array(part.utf8)
            if bytes.allSatisfy(isDigit) {
                if bytes.count > 1 && bytes[0] == UInt8(ascii: "0") { throw .segmentStartsZero }
            } else if !bytes.allSatisfy(isIdentifierByte) {
                throw .invalidPrerelease
            }
        }
    }

    static func validateMetadata(_ m: String) throws(ParseError) {
        for part in m.split(separator: ".", omittingEmptySubsequences: false)
        where !part.utf8.allSatisfy(isIdentifierByte) {
            throw .invalidMetadata
        }
    }

    /// `Version.String()`: the normalized form, without a `v`.
    var string: String {
        var s = "\(major).\(minor).\(patch)"
        if !pre.isEmpty { s += "-" + pre }
        if !metadata.isEmpty { s += "+" + metadata }
        return s
    }

    private var originalVPrefix: String { original.hasPrefix("v") ? "v" : "" }

    private func renamed() -> SemanticVersion {
        var next = self
        next.original = originalVPrefix + next.string
        return next
    }

    func incrementingPatch() -> SemanticVersion {
        var next = self
        if pre.isEmpty { next.patch = patch &+ 1 }
        next.pre = ""
        next.metadata = ""
        return next.renamed()
    }

    func incrementingMinor() -> SemanticVersion {
        var next = self
        next.pre = ""
        next.metadata = ""
        next.patch = 0
        next.minor = minor &+ 1
        return next.renamed()
    }

    func incrementingMajor() -> SemanticVersion {
        var next = self
        next.pre = ""
        next.metadata = ""
        next.patch = 0
        next.minor = 0
        next.major = major &+ 1
        return next.renamed()
    }

    func settingPrerelease(_ p: String) throws(ParseError) -> SemanticVersion {
        if !p.isEmpty { try Self.validatePrerelease(p) }
        var next = self
        next.pre = p
        return next.renamed()
    }

    func settingMetadata(_ m: String) throws(ParseError) -> SemanticVersion {
        if !m.isEmpty { try Self.validateMetadata(m) }
        var next = self
        next.metadata = m
        return next.renamed()
    }

    /// `Version.Compare`: -1, 0 or 1. Build metadata is ignored; a prerelease sorts before its
    /// release.
    func compare(_ o: SemanticVersion) -> Int {
        for (a, b) in [(major, o.major), (minor, o.minor), (patch, o.patch)] where a != b {
            return a < b ? -1 : 1
        }
        if pre.isEmpty && o.pre.isEmpty { return 0 }
        if pre.isEmpty { return 1 }
        if o.pre.isEmpty { return -1 }
        return Self.comparePrerelease(pre, o.pre)
    }

    static func comparePrerelease(_ v: String, _ o: String) -> Int {
        let sparts = v.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let oparts = o.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        for i in 0..<max(sparts.count, oparts.count) {
            let d = comparePrePart(i < sparts.count ? sparts[i] : "", i < oparts.count ? oparts[i] : "")
            if d != 0 { return d }
        }
        return 0
    }

    /// One prerelease identifier against another: numbers numerically and before strings.
    private static func comparePrePart(_ s: String, _ o: String) -> Int {
        if s == o { return 0 }
        if s.isEmpty { return -1 }
        if o.isEmpty { return 1 }
        // strconv.ParseUint: digits only, no sign, in range.
        func number(_ x: String) -> UInt64? { x.utf8.allSatisfy(isDigit) ? UInt64(x) : nil }
        switch (number(s), number(o)) {
        case (nil, nil): return s.goLess(o) ? -1 : 1
        case (nil, _): return 1
        case (_, nil): return -1
        case (let a?, let b?): return a > b ? 1 : -1
        }
    }
}

/// A set of version constraints as Masterminds/semver v3 parses (`NewConstraint`) and checks
/// (`Check`) them: `||`-separated groups of comma- or space-separated comparisons, with `x`/`*`
/// wildcards, `~` and `^` ranges and `a - b` hyphen ranges.
///
/// semver matches constraints with regular expressions; this is a hand-written scanner that
/// accepts the same strings and splits them the same way (the differential oracle checks it).
/// Caveat: constraint strings over 4 KiB are refused, so scanning stays cheap.
struct SemverConstraints: Sendable {
    struct Constraint: Sendable {
        var con: SemanticVersion
        var orig: String
        var op: String
        var minorDirty: Bool
        var patchDirty: Bool
        var dirty: Bool
    }

    struct ParseError: Error { var message: String }

    var groups: [[Constraint]]

    static let maxLength = 4096

    // MARK: Scanning

    /// RE2's `\s`.
    private static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0C || c == 0x0D }
    private static func isXByte(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "x") || c == UInt8(ascii: "X") || c == UInt8(ascii: "*")
            || c == UInt8(ascii: "|")
    }
    private static func isOpByte(_ c: UInt8) -> Bool { "=!<>~^".utf8.contains(c) }
    private static let ops: Set<String> = ["", "=", "!=", ">", "<", ">=", "=>", "<=", "=<", "~", "~>", "^"]

    /// The parts of one constraint version (`cvRegex`): `v?X(.X)?(.X)?(-pre)?(+meta)?` with
    /// X = `[0-9|xX*]+`, matched greedily from `i`.
    struct VersionText {
        var end: Int
        var whole: String
        var first: String
        /// `.X` with its dot, or "".
        var second: String
        var third: String
        /// `-pre` with its dash, or "".
        var prerelease: String
    }

    static func matchVersion(_ b: [UInt8], at start: Int) -> VersionText? {
        var i = start
        if i < b.count, b[i] == UInt8(ascii: "v") { i += 1 }
        func run(_ from: Int) -> Int {
            var j = from
            while j < b.count, isXByte(b[j]) { j += 1 }
            return j
        }
        let firstStart = i
        i = run(i)
        guard i > firstStart else { return nil }
        let first = String(decoding: b[firstStart..<i], as: UTF8.self)
        var parts = ["", ""]
        for k in 0..<2 {
            guard i + 1 < b.count, b[i] == UInt8(ascii: "."), isXByte(b[i + 1]) else { break }
            let e = run(i + 1)
            parts[k] = String(decoding: b[i..<e], as: UTF8.self)
            i = e
        }
        var prerelease = ""
        if i < b.count, b[i] == UInt8(ascii: "-"), let e = SemanticVersion.dottedIdentifiers(b, from: i + 1) {
            prerelease = String(decoding: b[i..<e], as: UTF8.self)
            i = e
        }
        if i < b.count, b[i] == UInt8(ascii: "+"), let e = SemanticVersion.dottedIdentifiers(b, from: i + 1) {
            i = e
        }
        return VersionText(
            end: i, whole: String(decoding: b[start..<i], as: UTF8.self), first: first, second: parts[0],
            third: parts[1], prerelease: prerelease)
    }

    /// `rewriteRange`: every `a - b` becomes `>= a, <= b`.
    static func rewriteRanges(_ text: String) -> String {
        let b = Array(text.utf8)
        var out = b
        var p = 0
        while p < b.count {
            var q = p
            while q < b.count, isSpace(b[q]) { q += 1 }
            guard let lower = matchVersion(b, at: q) else {
                p = q + 1
                continue
            }
            var i = lower.end
            let gapStart = i
            while i < b.count, isSpace(b[i]) { i += 1 }
            guard i > gapStart, i < b.count, b[i] == UInt8(ascii: "-") else {
                p = q + 1
                continue
            }
            i += 1
            let gap2 = i
            while i < b.count, isSpace(b[i]) { i += 1 }
            guard i > gap2, let upper = matchVersion(b, at: i) else {
                p = q + 1
                continue
            }
            i = upper.end
            while i < b.count, isSpace(b[i]) { i += 1 }
            // Go replaces the first occurrence of the matched text, wherever it is.
            if let r = firstRange(of: b[p..<i], in: out) {
                out.replaceSubrange(r, with: Array(">= \(lower.whole), <= \(upper.whole)".utf8))
            }
            p = i
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func firstRange(of needle: ArraySlice<UInt8>, in haystack: [UInt8]) -> Range<Int>? {
        guard !needle.isEmpty, needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)] == needle {
            return start..<(start + needle.count)
        }
        return nil
    }

    /// `strings.Split(s, "||")`.
    private static func splitAlternatives(_ s: String) -> [String] {
        let b = Array(s.utf8)
        var parts: [String] = []
        var start = 0
        var i = 0
        while i + 1 < b.count {
            if b[i] == UInt8(ascii: "|") && b[i + 1] == UInt8(ascii: "|") {
                parts.append(String(decoding: b[start..<i], as: UTF8.self))
                i += 2
                start = i
            } else {
                i += 1
            }
        }
        parts.append(String(decoding: b[start...], as: UTF8.self))
        return parts
    }

    /// `NewConstraint`.
    static func parse(_ text: String) throws(ParseError) -> SemverConstraints {
        guard text.utf8.count <= maxLength else {
            throw ParseError(message: "constraint longer than \(maxLength) bytes")
        }
        let rewritten = rewriteRanges(text)
        var groups: [[Constraint]] = []
        for segment in splitAlternatives(rewritten) {
            groups.append(try parseGroup(segment))
        }
        return SemverConstraints(groups: groups)
    }

    /// One `||` alternative: comparisons joined by commas or whitespace.
    private static func parseGroup(_ segment: String) throws(ParseError) -> [Constraint] {
        let b = Array(segment.utf8)
        let improper = ParseError(message: "improper constraint: \(segment)")
        var i = 0
        while i < b.count, isSpace(b[i]) { i += 1 }
        var result: [Constraint] = []
        while true {
            let opStart = i
            while i < b.count, isOpByte(b[i]) { i += 1 }
            let op = String(decoding: b[opStart..<i], as: UTF8.self)
            guard ops.contains(op) else { throw improper }
            while i < b.count, isSpace(b[i]) { i += 1 }
            guard let version = matchVersion(b, at: i) else { throw improper }
            result.append(try constraint(op: op, version))
            i = version.end
            let spaceStart = i
            while i < b.count, isSpace(b[i]) { i += 1 }
            if i == b.count { return result }
            if b[i] == UInt8(ascii: ",") {
                i += 1
                while i < b.count, isSpace(b[i]) { i += 1 }
            } else if i == spaceStart {
                throw improper
            }
        }
    }

    private static func isX(_ s: String) -> Bool { s == "x" || s == "X" || s == "*" }

    /// `parseConstraint`: wildcards become zeros and mark the constraint dirty.
    private static func constraint(op: String, _ v: VersionText) throws(ParseError) -> Constraint {
        var text = v.whole
        var minorDirty = false
        var patchDirty = false
        var dirty = false
        if isX(v.first) {
            text = "0.0.0" + v.prerelease
            dirty = true
        } else if v.second.isEmpty || isX(String(v.second.dropFirst())) {
            minorDirty = true
            dirty = true
            text = v.first + ".0.0" + v.prerelease
        } else if v.third.isEmpty || isX(String(v.third.dropFirst())) {
            dirty = true
            patchDirty = true
            text = v.first + v.second + ".0" + v.prerelease
        }
        guard let con = try? SemanticVersion.parse(text) else {
            throw ParseError(message: "constraint Parser Error")
        }
        return Constraint(
            con: con, orig: v.whole, op: op, minorDirty: minorDirty, patchDirty: patchDirty, dirty: dirty)
    }

    // MARK: Checking

    /// `Constraints.Check`: some group whose constraints all hold.
    func check(_ v: SemanticVersion) -> Bool {
        groups.contains { group in group.allSatisfy { Self.holds($0, for: v) } }
    }

    private static func holds(_ c: Constraint, for v: SemanticVersion) -> Bool {
        // A prerelease satisfies only constraints that mention a prerelease (semver issue 21).
        let prereleaseExcluded = !v.pre.isEmpty && c.con.pre.isEmpty
        switch c.op {
        case "", "=":
            if prereleaseExcluded { return false }
            return c.dirty ? tilde(c, v) : v.compare(c.con) == 0
        case "!=": return notEqual(c, v)
        case ">":
            if prereleaseExcluded { return false }
            if !c.dirty { return v.compare(c.con) == 1 }
            if v.major != c.con.major { return v.major > c.con.major }
            if c.minorDirty { return false }
            if c.patchDirty { return v.minor > c.con.minor }
            return v.compare(c.con) == 1
        case "<":
            if prereleaseExcluded { return false }
            return v.compare(c.con) < 0
        case ">=", "=>":
            if prereleaseExcluded { return false }
            return v.compare(c.con) >= 0
        case "<=", "=<":
            if prereleaseExcluded { return false }
            if !c.dirty { return v.compare(c.con) <= 0 }
            if v.major > c.con.major { return false }
            if v.major == c.con.major && v.minor > c.con.minor && !c.minorDirty { return false }
            return true
        case "~", "~>":
            if prereleaseExcluded { return false }
            return tilde(c, v)
        case "^":
            if prereleaseExcluded { return false }
            return caret(c, v)
        default:
            return false
        }
    }

    private static func notEqual(_ c: Constraint, _ v: SemanticVersion) -> Bool {
        if c.dirty {
            if !v.pre.isEmpty && c.con.pre.isEmpty { return false }
            if c.con.major != v.major { return true }
            if c.con.minor != v.minor && !c.minorDirty { return true }
            if c.minorDirty { return false }
            if c.con.patch != v.patch && !c.patchDirty { return true }
            if c.patchDirty {
                if !v.pre.isEmpty || !c.con.pre.isEmpty {
                    return SemanticVersion.comparePrerelease(v.pre, c.con.pre) != 0
                }
                return false
            }
        }
        return v.compare(c.con) != 0
    }

    /// `~1.2.3` is `>=1.2.3 <1.3.0`; `~1` is `>=1.0.0 <2.0.0`.
    private static func tilde(_ c: Constraint, _ v: SemanticVersion) -> Bool {
        if !v.pre.isEmpty && c.con.pre.isEmpty { return false }
        if v.compare(c.con) < 0 { return false }
        if c.con.major == 0 && c.con.minor == 0 && c.con.patch == 0 && !c.minorDirty && !c.patchDirty {
            return true
        }
        if v.major != c.con.major { return false }
        if v.minor != c.con.minor && !c.minorDirty { return false }
        return true
    }

    /// `^1.2.3` is `>=1.2.3 <2.0.0`; `^0.2.3` is `>=0.2.3 <0.3.0`; `^0.0.3` is `=0.0.3`.
    private static func caret(_ c: Constraint, _ v: SemanticVersion) -> Bool {
        if v.compare(c.con) < 0 { return false }
        if c.con.major > 0 || c.minorDirty { return v.major == c.con.major }
        if c.con.major == 0 && v.major > 0 { return false }
        if c.con.minor > 0 || c.patchDirty { return v.minor == c.con.minor }
        if c.con.minor == 0 && v.minor > 0 { return false }
        return c.con.patch == v.patch
    }
}
