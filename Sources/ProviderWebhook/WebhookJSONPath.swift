import Foundation
public import GoCompat

/// The JSONPath dialect ESO's webhook provider reads `result.jsonPath` with
/// (github.com/PaesslerAG/jsonpath v0.1 over gval's base language), on a JSON document decoded as
/// Go's `json.Unmarshal` into `interface{}` decodes it.
///
/// Supported: `$`, `.name`, `["name"]` / `['name']`, `[n]`, `*` / `[*]`, `..` (recursive descent),
/// unions `[a,b]`, slices `[min:max:step]`, filters `[?(...)]` with `@` paths, string, number
/// and boolean constants, `==`, `!=` and parentheses (gval's base language has no `<` or `&&`).
///
/// Results, as PaesslerAG returns them: a path made only of plain selectors (`.name`, `[n]`,
/// `["name"]`) yields one value and fails on a missing key or index; a path with any of `*`,
/// `..`, a union, a slice or a filter yields the array of every match (in document order, object
/// keys sorted) and never fails, matches that do not resolve being dropped.
///
/// Guarantees: pure; errors name the path and never quote the document.
public enum WebhookJSONPath {
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
        init(_ message: String) { self.message = message }
    }

    /// Evaluates `path` on `document`.
    public static func get(_ path: String, in document: GoJSONValue) throws(Failure) -> GoJSONValue {
        var parser = PathParser(Array(path.utf8))
        let compiled = try parser.parseRoot()
        return try compiled.evaluate(root: document, current: document)
    }
}

// MARK: - Compiled paths

/// One step of a path.
indirect enum PathStep: Sendable {
    /// `.name`, `["name"]`, `[n]`: exactly one child.
    case child(Expression)
    /// `*`, `[*]`
    case wildcard
    /// `..`
    case recursive
    /// `[a, b, ...]`
    case union([Expression])
    /// `[min:max:step]`
    case slice(Expression, Expression, Expression)
    /// `[?(...)]`
    case filter(Expression)

    var isPlain: Bool { if case .child = self { true } else { false } }
}

/// A path from `$` or `@`.
struct CompiledPath: Sendable {
    var fromRoot: Bool
    var steps: [PathStep]

    var isPlain: Bool { steps.allSatisfy(\.isPlain) }

    func evaluate(root: GoJSONValue, current: GoJSONValue) throws(WebhookJSONPath.Failure) -> GoJSONValue {
        let start = fromRoot ? root : current
        if isPlain {
            var value = start
            for case .child(let key) in steps { value = try select(key, in: value, root: root) }
            return value
        }
        var matches: [GoJSONValue] = []
        visit(steps[...], start, root: root) { matches.append($0) }
        return .array(matches)
    }

    /// Every match of `steps` from `value`; selectors that do not resolve drop the match.
    private func visit(
        _ steps: ArraySlice<PathStep>, _ value: GoJSONValue, root: GoJSONValue, _ match: (GoJSONValue) -> Void
    ) {
        guard let step = steps.first else { return match(value) }
        let rest = steps.dropFirst()
        switch step {
        case .child(let key):
            if let child = try? select(key, in: value, root: root) { visit(rest, child, root: root, match) }
        case .wildcard:
            for child in Self.children(of: value) { visit(rest, child, root: root, match) }
        case .recursive:
            Self.descend(value) { visit(rest, $0, root: root, match) }
        case .union(let keys):
            for key in keys {
                if let child = try? select(key, in: value, root: root) { visit(rest, child, root: root, match) }
            }
        case .slice(let minimum, let maximum, let stride):
            guard case .array(let items) = value,
                let low = try? minimum.evaluate(root: root, current: value).intValue,
                let high = try? maximum.evaluate(root: root, current: value).intValue,
                let stepValue = try? stride.evaluate(root: root, current: value).intValue
            else { return }
            let count = items.count
            func clamp(_ n: Int) -> Int { n < 0 ? Swift.max(0, count + n) : Swift.min(n, count) }
            let (from, to) = (clamp(low), clamp(high))
            guard from <= to else { return }
            let step = stepValue == 0 ? 1 : stepValue
            if step > 0 {
                var i = from
                while i < to {
                    visit(rest, items[i], root: root, match)
                    i += step
                }
            } else {
                var i = to - 1
                while i >= from {
                    visit(rest, items[i], root: root, match)
                    i += step
                }
            }
        case .filter(let condition):
            for child in Self.children(of: value) {
                if (try? condition.evaluate(root: root, current: child)) == .bool(true) {
                    visit(rest, child, root: root, match)
                }
            }
        }
    }

    /// The children of an array (in order) or an object (keys sorted bytewise, as Go sorts).
    static func children(of value: GoJSONValue) -> [GoJSONValue] {
        switch value {
        case .array(let items): items
        case .object(let members):
            members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.compactMap { members[$0] }
        default: []
        }
    }

    /// `value` itself, then every descendant depth first.
    static func descend(_ value: GoJSONValue, _ visit: (GoJSONValue) -> Void) {
        visit(value)
        for child in children(of: value) { descend(child, visit) }
    }

    private func select(_ key: Expression, in value: GoJSONValue, root: GoJSONValue) throws(WebhookJSONPath.Failure)
        -> GoJSONValue
    {
        let evaluated = try key.evaluate(root: root, current: value)
        switch value {
        case .array(let items):
            guard let index = evaluated.intValue else {
                throw .init("could not select value, invalid key: expected number")
            }
            guard index >= 0, index < items.count else { throw .init("index \(index) out of bounds") }
            return items[index]
        case .object(let members):
            let name: String
            switch evaluated {
            case .string(let text): name = text
            case .number(let text): name = text
            case .bool(let flag): name = flag ? "true" : "false"
            default: throw .init("could not select value, invalid key: expected string")
            }
            guard let child = members[name] else { throw .init("unknown key \(name)") }
            return child
        default:
            throw .init(
                "unsupported value type \(value.goTypeName) for select, expected map[string]interface{} or []interface{}"
            )
        }
    }
}

/// A gval base-language expression: a constant, a path, a comparison or a parenthesised one.
indirect enum Expression: Sendable {
    case constant(GoJSONValue)
    case path(CompiledPath)
    case equal(Expression, Expression, negated: Bool)

    func evaluate(root: GoJSONValue, current: GoJSONValue) throws(WebhookJSONPath.Failure) -> GoJSONValue {
        switch self {
        case .constant(let value): return value
        case .path(let path): return try path.evaluate(root: root, current: current)
        case .equal(let left, let right, let negated):
            let equal = Self.deepEqual(
                try left.evaluate(root: root, current: current), try right.evaluate(root: root, current: current))
            return .bool(equal != negated)
        }
    }

    /// Go's `reflect.DeepEqual` on decoded JSON: numbers are float64 on both sides.
    static func deepEqual(_ a: GoJSONValue, _ b: GoJSONValue) -> Bool {
        switch (a, b) {
        case (.number(let x), .number(let y)): Double(x) == Double(y)
        case (.array(let x), .array(let y)): x.count == y.count && zip(x, y).allSatisfy { deepEqual($0, $1) }
        case (.object(let x), .object(let y)):
            x.count == y.count && x.allSatisfy { key, value in y[key].map { deepEqual(value, $0) } ?? false }
        default: a == b
        }
    }
}

extension GoJSONValue {
    /// A number as Go's `int` conversion of a float64 sees it.
    var intValue: Int? {
        guard case .number(let text) = self, let value = Double(text), value.isFinite, abs(value) < 1e18 else {
            return nil
        }
        return Int(value)
    }

    /// The Go type `json.Unmarshal` gives this value, for messages.
    var goTypeName: String {
        switch self {
        case .null: "<nil>"
        case .bool: "bool"
        case .number: "float64"
        case .string: "string"
        case .array: "[]interface {}"
        case .object: "map[string]interface {}"
        }
    }
}

// MARK: - Parsing

/// A recursive-descent parser for the dialect above.
struct PathParser {
    let text: [UInt8]
    var position = 0

    init(_ text: [UInt8]) { self.text = text }

    private func failure(_ what: String) -> WebhookJSONPath.Failure {
        .init("parsing error: \(GoQuote.quote(String(decoding: text, as: UTF8.self))) :\(position + 1) - \(what)")
    }

    private mutating func skipSpace() {
        while position < text.count, text[position] == 0x20 || text[position] == 0x09 || text[position] == 0x0A {
            position += 1
        }
    }

    private mutating func peek() -> UInt8? {
        skipSpace()
        return position < text.count ? text[position] : nil
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard peek() == byte else { return false }
        position += 1
        return true
    }

    /// The whole text: one expression (normally a `$` path).
    mutating func parseRoot() throws(WebhookJSONPath.Failure) -> CompiledPath {
        let expression = try parseExpression()
        guard peek() == nil else { throw failure("unexpected \"\(Character(UnicodeScalar(text[position])))\"") }
        guard case .path(let path) = expression else { throw failure("expected a path starting with $") }
        return path
    }

    mutating func parseExpression() throws(WebhookJSONPath.Failure) -> Expression {
        var left = try parseOperand()
        while true {
            if matches("==") {
                left = .equal(left, try parseOperand(), negated: false)
            } else if matches("!=") {
                left = .equal(left, try parseOperand(), negated: true)
            } else {
                return left
            }
        }
    }

    private mutating func matches(_ token: String) -> Bool {
        skipSpace()
        let bytes = Array(token.utf8)
        guard position + bytes.count <= text.count, Array(text[position..<position + bytes.count]) == bytes else {
            return false
        }
        position += bytes.count
        return true
    }

    private mutating func parseOperand() throws(WebhookJSONPath.Failure) -> Expression {
        guard let byte = peek() else { throw failure("unexpected EOF") }
        switch byte {
        case UInt8(ascii: "$"), UInt8(ascii: "@"):
            position += 1
            return .path(CompiledPath(fromRoot: byte == UInt8(ascii: "$"), steps: try parseSteps()))
        case UInt8(ascii: "("):
            position += 1
            let inner = try parseExpression()
            guard consume(UInt8(ascii: ")")) else { throw failure("expected \")\"") }
            return inner
        case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "`"):
            return .constant(.string(try parseString()))
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .constant(.number(parseNumber()))
        default:
            let word = parseIdentifier()
            switch word {
            case "true": return .constant(.bool(true))
            case "false": return .constant(.bool(false))
            case "": throw failure("unexpected \"\(Character(UnicodeScalar(byte)))\"")
            default: throw failure("unknown parameter \(word)")
            }
        }
    }

    private mutating func parseSteps() throws(WebhookJSONPath.Failure) -> [PathStep] {
        var steps: [PathStep] = []
        while position < text.count {
            switch text[position] {
            case UInt8(ascii: "."):
                position += 1
                if position < text.count, text[position] == UInt8(ascii: ".") {
                    position += 1
                    steps.append(.recursive)
                    if position < text.count, text[position] == UInt8(ascii: "[") { continue }
                }
                if position < text.count, text[position] == UInt8(ascii: "*") {
                    position += 1
                    steps.append(.wildcard)
                    continue
                }
                let name = parseIdentifier()
                guard !name.isEmpty else { throw failure("expected JSON select") }
                steps.append(.child(.constant(.string(name))))
            case UInt8(ascii: "["):
                position += 1
                steps.append(try parseBracket())
            default:
                return steps
            }
        }
        return steps
    }

    private mutating func parseBracket() throws(WebhookJSONPath.Failure) -> PathStep {
        if consume(UInt8(ascii: "*")) {
            guard consume(UInt8(ascii: "]")) else { throw failure("expected \"]\"") }
            return .wildcard
        }
        if consume(UInt8(ascii: "?")) {
            let condition = try parseExpression()
            guard consume(UInt8(ascii: "]")) else { throw failure("expected \"]\"") }
            return .filter(condition)
        }
        var keys: [Expression?] = []
        var separator: UInt8?
        var current: Expression?
        while true {
            guard let byte = peek() else { throw failure("unexpected EOF") }
            switch byte {
            case UInt8(ascii: "]"):
                position += 1
                keys.append(current)
                if separator == UInt8(ascii: ":") {
                    guard keys.count <= 3 else {
                        throw failure("range query has at least the parameter [min:max:step]")
                    }
                    let defaults: [GoJSONValue] = [.number("0"), .number(String(Int32.max)), .number("1")]
                    let parts = (0..<3).map { i in (i < keys.count ? keys[i] : nil) ?? .constant(defaults[i]) }
                    return .slice(parts[0], parts[1], parts[2])
                }
                let present = keys.compactMap { $0 }
                guard present.count == keys.count, !present.isEmpty else { throw failure("expected a key") }
                return present.count == 1 ? .child(present[0]) : .union(present)
            case UInt8(ascii: ":"), UInt8(ascii: ","):
                position += 1
                if let separator, separator != byte { throw failure("mixed separators in JSON bracket") }
                separator = byte
                keys.append(current)
                current = nil
            default:
                guard current == nil else { throw failure("expected JSON bracket separator") }
                current = try parseExpression()
            }
        }
    }

    private mutating func parseIdentifier() -> String {
        let start = position
        while position < text.count {
            let byte = text[position]
            let isLetter =
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || byte == UInt8(ascii: "_") || byte >= 0x80
            let isDigit = (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            guard isLetter || (isDigit && position > start) else { break }
            position += 1
        }
        return String(decoding: text[start..<position], as: UTF8.self)
    }

    private mutating func parseNumber() -> String {
        let start = position
        if text[position] == UInt8(ascii: "-") { position += 1 }
        while position < text.count,
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(text[position]) || text[position] == UInt8(ascii: ".")
        {
            position += 1
        }
        return String(decoding: text[start..<position], as: UTF8.self)
    }

    private mutating func parseString() throws(WebhookJSONPath.Failure) -> String {
        let quote = text[position]
        position += 1
        var bytes: [UInt8] = []
        while position < text.count {
            let byte = text[position]
            position += 1
            if byte == quote { return String(decoding: bytes, as: UTF8.self) }
            if byte == UInt8(ascii: "\\"), quote != UInt8(ascii: "`"), position < text.count {
                let escaped = text[position]
                position += 1
                switch escaped {
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "t"): bytes.append(0x09)
                default: bytes.append(escaped)
                }
                continue
            }
            bytes.append(byte)
        }
        throw failure("literal not terminated")
    }
}
