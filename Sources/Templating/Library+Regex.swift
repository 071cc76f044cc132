import Foundation

/// Go's `regexp` API on top of NSRegularExpression: Go's match iteration (empty-match rules),
/// `$name` / `${n}` replacement templates and `Split`. Patterns are RE2 syntax; the few RE2-only
/// spellings (`(?P<name>`) are translated.
/// Caveat: ICU accepts some syntax RE2 rejects (backreferences, lookaround), and `$` without `(?m)`
/// also matches before a final newline in ICU.
struct GoRegex {
    let regex: NSRegularExpression
    let groupNames: [Int: String]

    init(_ pattern: String) throws(TemplateFunctionError) {
        var translated = pattern.replacingOccurrences(of: "(?P<", with: "(?<")
        if translated.isEmpty { translated = "(?:)" }
        do {
            regex = try NSRegularExpression(pattern: translated, options: [])
        } catch {
            throw TemplateFunctionError("error parsing regexp: invalid syntax: `\(pattern)`")
        }
        groupNames = GoRegex.scanGroupNames(translated)
    }

    /// Capture group index → name, by scanning the pattern's parentheses.
    static func scanGroupNames(_ p: String) -> [Int: String] {
        let c = Array(p.unicodeScalars)
        var names: [Int: String] = [:]
        var index = 0
        var i = 0
        var inClass = false
        while i < c.count {
            let ch = c[i]
            if ch == "\\" {
                if i + 1 < c.count && c[i + 1] == "Q" {
                    // \Q...\E literal
                    i += 2
                    while i + 1 < c.count && !(c[i] == "\\" && c[i + 1] == "E") { i += 1 }
                    i += 2
                    continue
                }
                i += 2
                continue
            }
            if inClass {
                if ch == "]" { inClass = false }
                i += 1
                continue
            }
            if ch == "[" {
                inClass = true
                i += 1
                if i < c.count && c[i] == "^" { i += 1 }
                if i < c.count && c[i] == "]" { i += 1 }
                continue
            }
            if ch == "(" {
                if i + 1 < c.count && c[i + 1] == "?" {
                    if i + 2 < c.count && c[i + 2] == "<" && i + 3 < c.count && c[i + 3] != "=" && c[i + 3] != "!" {
                        index += 1
                        var j = i + 3
                        var name = ""
                        while j < c.count && c[j] != ">" {
                            name.unicodeScalars.append(c[j])
                            j += 1
                        }
                        names[index] = name
                    }
                } else {
                    index += 1
                }
            }
            i += 1
        }
        return names
    }

    /// A match as UTF-16 offsets per group (nil: group did not participate).
    typealias Match = [Range<Int>?]

    private func match(_ ns: NSString, from pos: Int) -> Match? {
        guard pos <= ns.length else { return nil }
        let range = NSRange(location: pos, length: ns.length - pos)
        guard
            let m = regex.firstMatch(
                in: ns as String, options: [.withTransparentBounds, .withoutAnchoringBounds], range: range)
        else { return nil }
        return (0..<m.numberOfRanges).map { g in
            let r = m.range(at: g)
            return r.location == NSNotFound ? nil : r.location..<(r.location + r.length)
        }
    }

    private static func width(_ ns: NSString, at pos: Int) -> Int {
        guard pos < ns.length else { return 1 }
        let u = ns.character(at: pos)
        return (u >= 0xD800 && u < 0xDC00 && pos + 1 < ns.length) ? 2 : 1
    }

    /// Go's `allMatches`: successive non-overlapping matches; an empty match right after a
    /// previous match is dropped.
    func allMatches(_ s: String, _ n: Int) -> [Match] {
        let ns = s as NSString
        var out: [Match] = []
        var pos = 0
        var prevEnd = -1
        let limit = n < 0 ? ns.length + 1 : n
        while out.count < limit && pos <= ns.length {
            guard let m = match(ns, from: pos), let whole = m[0] else { break }
            var accept = true
            if whole.upperBound == pos {
                if whole.lowerBound == prevEnd { accept = false }
                pos += Self.width(ns, at: pos)
            } else {
                pos = whole.upperBound
            }
            prevEnd = whole.upperBound
            if accept { out.append(m) }
        }
        return out
    }

    func find(_ s: String) -> String {
        guard let m = allMatches(s, 1).first, let r = m[0] else { return "" }
        return (s as NSString).substring(with: NSRange(location: r.lowerBound, length: r.count))
    }

    func findAll(_ s: String, _ n: Int) -> Value {
        if n == 0 { return .list([], elem: .string, isNil: true) }
        let ns = s as NSString
        let ms = allMatches(s, n)
        if ms.isEmpty { return .list([], elem: .string, isNil: true) }
        return .strings(ms.map { ns.substring(with: NSRange(location: $0[0]!.lowerBound, length: $0[0]!.count)) })
    }

    func split(_ s: String, _ n: Int) -> Value {
        if n == 0 { return .list([], elem: .string, isNil: true) }
        if regex.pattern != "(?:)" && s.isEmpty { return .strings([""]) }
        let ns = s as NSString
        var parts: [String] = []
        var beg = 0
        var end = 0
        for m in allMatches(s, n) {
            if n > 0 && parts.count == n - 1 { break }
            let whole = m[0]!
            end = whole.lowerBound
            if whole.upperBound != 0 { parts.append(ns.substring(with: NSRange(location: beg, length: end - beg))) }
            beg = whole.upperBound
        }
        if end != ns.length { parts.append(ns.substring(from: beg)) }
        return .strings(parts)
    }

    /// Go's `ReplaceAllString` (`literal`: `ReplaceAllLiteralString`).
    func replaceAll(_ s: String, _ repl: String, literal: Bool) -> String {
        let ns = s as NSString
        var out = ""
        var lastEnd = 0
        var searchPos = 0
        while searchPos <= ns.length {
            guard let m = match(ns, from: searchPos), let whole = m[0] else { break }
            out += ns.substring(with: NSRange(location: lastEnd, length: max(0, whole.lowerBound - lastEnd)))
            if whole.upperBound > lastEnd || whole.lowerBound == 0 {
                out += literal ? repl : expand(repl, ns, m)
            }
            lastEnd = whole.upperBound
            let w = Self.width(ns, at: searchPos)
            if searchPos + w > whole.upperBound {
                searchPos += w
            } else if searchPos + 1 > whole.upperBound {
                searchPos += 1
            } else {
                searchPos = whole.upperBound
            }
        }
        if lastEnd < ns.length { out += ns.substring(from: lastEnd) }
        return out
    }

    /// Go's `Regexp.expand` for `$1`, `${1}`, `$name`, `${name}` and `$$`.
    private func expand(_ template: String, _ ns: NSString, _ m: Match) -> String {
        var out = ""
        var t = Array(template.unicodeScalars)[...]
        func group(_ i: Int) -> String {
            guard i < m.count, let r = m[i] else { return "" }
            return ns.substring(with: NSRange(location: r.lowerBound, length: r.count))
        }
        while let dollar = t.firstIndex(of: "$") {
            out.unicodeScalars.append(contentsOf: t[t.startIndex..<dollar])
            t = t[(dollar + 1)...]
            if t.first == "$" {
                out += "$"
                t = t.dropFirst()
                continue
            }
            // extract
            var rest = t
            var brace = false
            if rest.first == "{" {
                brace = true
                rest = rest.dropFirst()
            }
            var name = ""
            while let c = rest.first, c == "_" || c.properties.isAlphabetic || c.properties.numericType == .decimal {
                name.unicodeScalars.append(c)
                rest = rest.dropFirst()
            }
            var ok = !name.isEmpty
            if ok && brace {
                if rest.first == "}" {
                    rest = rest.dropFirst()
                } else {
                    ok = false
                }
            }
            if !ok {
                out += "$"
                continue
            }
            t = rest
            if name.unicodeScalars.allSatisfy({ $0.value >= 0x30 && $0.value <= 0x39 }) {
                if let num = Int(name), num < 100_000_000 { out += group(num) }
            } else if let idx = groupNames.filter({ $0.value == name }).keys.min() {
                out += group(idx)
            }
        }
        out.unicodeScalars.append(contentsOf: t)
        return out
    }

    /// Go's `regexp.QuoteMeta`.
    static func quoteMeta(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            if "\\.+*?()|[]{}^$".unicodeScalars.contains(c) { out += "\\" }
            out.unicodeScalars.append(c)
        }
        return out
    }
}

extension Sprig {
    static func registerRegex(into lib: inout FunctionLibrary) {
        lib.add("regexMatch", [.string, .string]) { a, _ in
            guard let re = try? GoRegex(a[0].stringValue) else { return .bool(false) }
            return .bool(!re.allMatches(a[1].stringValue, 1).isEmpty)
        }
        lib.add("mustRegexMatch", [.string, .string]) { a, _ in
            .bool(!(try GoRegex(a[0].stringValue)).allMatches(a[1].stringValue, 1).isEmpty)
        }
        for prefix in ["", "must"] {
            func name(_ n: String) -> String { prefix.isEmpty ? n : prefix + n.prefix(1).uppercased() + n.dropFirst() }
            lib.add(name("regexFindAll"), [.string, .string, .int]) { a, _ in
                try GoRegex(a[0].stringValue).findAll(a[1].stringValue, a[2].intValue)
            }
            lib.add(name("regexFind"), [.string, .string]) { a, _ in
                .string(try GoRegex(a[0].stringValue).find(a[1].stringValue))
            }
            lib.add(name("regexReplaceAll"), [.string, .string, .string]) { a, _ in
                .string(try GoRegex(a[0].stringValue).replaceAll(a[1].stringValue, a[2].stringValue, literal: false))
            }
            lib.add(name("regexReplaceAllLiteral"), [.string, .string, .string]) { a, _ in
                .string(try GoRegex(a[0].stringValue).replaceAll(a[1].stringValue, a[2].stringValue, literal: true))
            }
            lib.add(name("regexSplit"), [.string, .string, .int]) { a, _ in
                try GoRegex(a[0].stringValue).split(a[1].stringValue, a[2].intValue)
            }
        }
        lib.add("regexQuoteMeta", [.string]) { a, _ in .string(GoRegex.quoteMeta(a[0].stringValue)) }
    }
}
