// MARK: - Syntax tree

/// A parsed number literal, with the interpretations Go's parser allows for it.
struct NumberLiteral: Sendable {
    var text: String
    var int: Int64?
    var float: Double?
}

/// An operand of a command (Go's `parse.Node` subset that can appear in a pipeline).
indirect enum Operand: Sendable {
    case field([String], pos: Int)
    case chain(Operand, [String], pos: Int)
    case identifier(String, pos: Int)
    case dot(pos: Int)
    case nilLiteral(pos: Int)
    case variable([String], pos: Int)
    case bool(Bool, pos: Int)
    case number(NumberLiteral, pos: Int)
    case string(String, pos: Int)
    case pipe(Pipeline)

    var pos: Int {
        switch self {
        case .field(_, let p), .chain(_, _, let p), .identifier(_, let p), .dot(let p), .nilLiteral(let p),
            .variable(_, let p), .bool(_, let p), .number(_, let p), .string(_, let p):
            p
        case .pipe(let pipe): pipe.pos
        }
    }

    /// Source-like text for error messages (`at <...>`).
    var description: String {
        switch self {
        case .field(let idents, _): idents.map { "." + $0 }.joined()
        case .chain(let node, let fields, _): "(\(node.description))" + fields.map { "." + $0 }.joined()
        case .identifier(let name, _): name
        case .dot: "."
        case .nilLiteral: "nil"
        case .variable(let idents, _): idents.joined(separator: ".")
        case .bool(let b, _): b ? "true" : "false"
        case .number(let n, _): n.text
        case .string(let s, _): goQuote(s)
        case .pipe(let p): "(\(p.description))"
        }
    }
}

struct Command: Sendable {
    var args: [Operand]
    var pos: Int
    var description: String { args.map(\.description).joined(separator: " ") }
}

struct Pipeline: Sendable {
    var pos: Int
    var isAssign = false
    var decls: [String] = []
    var cmds: [Command] = []

    var description: String {
        var s = ""
        if !decls.isEmpty { s = decls.joined(separator: ", ") + (isAssign ? " = " : " := ") }
        return s + cmds.map(\.description).joined(separator: " | ")
    }
}

indirect enum Node: Sendable {
    case text([UInt8])
    case action(Pipeline, pos: Int)
    case ifNode(Pipeline, ListNode, ListNode?, pos: Int)
    case withNode(Pipeline, ListNode, ListNode?, pos: Int)
    case rangeNode(Pipeline, ListNode, ListNode?, pos: Int)
    case template(String, Pipeline?, pos: Int)
    case breakNode(pos: Int)
    case continueNode(pos: Int)
    case comment
    case list(ListNode)

    /// Go's `parse.IsEmptyTree`.
    var isEmpty: Bool {
        switch self {
        case .comment: true
        case .list(let l): l.nodes.allSatisfy(\.isEmpty)
        case .text(let t):
            t.allSatisfy { Lexer.isSpaceByte($0) || $0 == 0x0B || $0 == 0x0C || $0 == 0x85 || $0 == 0xA0 }
        default: false
        }
    }
}

struct ListNode: Sendable {
    var nodes: [Node] = []
    var isEmpty: Bool { Node.list(self).isEmpty }
}

// MARK: - Parser

/// Internal marker for a parse failure at a byte offset.
struct ParseFailure: Error {
    var message: String
    var pos: Int
    var line: Int
}

/// A port of Go's recursive-descent `parse.Tree`.
struct Parser {
    private var tokens: [Token]
    private var index = 0
    private var vars: [String] = ["$"]
    private var rangeDepth = 0
    private var nesting = 0
    private let hasFunction: (String) -> Bool
    private let maxNesting: Int
    /// Templates defined so far (`define` and `block`), in parse order.
    private(set) var definitions: [(name: String, root: ListNode)] = []

    init(tokens: [Token], hasFunction: @escaping (String) -> Bool, maxNesting: Int) {
        self.tokens = tokens
        self.hasFunction = hasFunction
        self.maxNesting = maxNesting
    }

    // MARK: Token stream

    private mutating func next() -> Token {
        let t = tokens[min(index, tokens.count - 1)]
        index += 1
        if t.kind == .error { fail(t.text, t) }
        return t
    }

    private mutating func backup(_ n: Int = 1) { index -= n }

    private mutating func nextNonSpace() -> Token {
        var t = next()
        while t.kind == .space { t = next() }
        return t
    }

    private mutating func peek() -> Token {
        let t = next()
        backup()
        return t
    }

    private mutating func peekNonSpace() -> Token {
        let t = nextNonSpace()
        backup()
        return t
    }

    /// Errors are thrown as Swift errors; `fail` records one and `check` rethrows it.
    private var failure: ParseFailure?

    private mutating func fail(_ message: String, _ token: Token? = nil) {
        if failure == nil {
            let t = token ?? tokens[max(0, min(index - 1, tokens.count - 1))]
            failure = ParseFailure(message: message, pos: t.pos, line: t.line)
        }
    }

    private func check() throws(ParseFailure) {
        if let failure { throw failure }
    }

    private mutating func expect(_ kind: TokenKind, _ context: String) throws(ParseFailure) -> Token {
        let t = nextNonSpace()
        try check()
        if t.kind != kind { fail("unexpected \(describe(t)) in \(context)", t) }
        try check()
        return t
    }

    private func describe(_ t: Token) -> String {
        switch t.kind {
        case .eof: "EOF"
        case .rightDelim: "\"\(t.text)\""
        case .space: "space"
        default: "\"\(t.text)\""
        }
    }

    // MARK: Top level

    /// Parses a whole template text; returns the root list.
    mutating func parse() throws(ParseFailure) -> ListNode {
        var root = ListNode()
        while peek().kind != .eof {
            try check()
            if peek().kind == .leftDelim {
                let save = index
                _ = next()
                if nextNonSpace().kind == .define {
                    try check()
                    try parseDefinition()
                    continue
                }
                index = save
            }
            try check()
            let n = try textOrAction()
            switch n {
            case .some(.end), .some(.elseClause): fail("unexpected \(n!.description)")
            case .some(.node(let node)): root.nodes.append(node)
            case .none: break
            }
            try check()
        }
        try check()
        return root
    }

    private enum Item {
        case node(Node)
        case end
        case elseClause(isIf: Bool, isWith: Bool)

        var description: String {
            switch self {
            case .node: "node"
            case .end: "{{end}}"
            case .elseClause: "{{else}}"
            }
        }
    }

    private mutating func parseDefinition() throws(ParseFailure) {
        let t = nextNonSpace()
        try check()
        guard t.kind == .string || t.kind == .rawString else {
            fail("unexpected \(describe(t)) in define clause", t)
            try check()
            return
        }
        let name = try unquote(t)
        _ = try expect(.rightDelim, "define clause")
        let savedVars = vars
        let savedDepth = rangeDepth
        vars = ["$"]
        rangeDepth = 0
        let (list, end) = try itemList()
        vars = savedVars
        rangeDepth = savedDepth
        if case .end = end {} else { fail("unexpected \(end.description) in define clause") }
        try check()
        definitions.append((name, list))
    }

    private mutating func itemList() throws(ParseFailure) -> (ListNode, Item) {
        var list = ListNode()
        while peekNonSpace().kind != .eof {
            try check()
            let n = try textOrAction()
            switch n {
            case .some(.end), .some(.elseClause): return (list, n!)
            case .some(.node(let node)): list.nodes.append(node)
            case .none: break
            }
        }
        try check()
        fail("unexpected EOF")
        try check()
        return (list, .end)
    }

    private mutating func textOrAction() throws(ParseFailure) -> Item? {
        let t = nextNonSpace()
        try check()
        switch t.kind {
        case .text:
            return .node(.text(Array(t.text.utf8)))
        case .leftDelim:
            return try action()
        default:
            fail("unexpected \(describe(t)) in input", t)
            try check()
            return nil
        }
    }

    private mutating func action() throws(ParseFailure) -> Item {
        let t = nextNonSpace()
        try check()
        switch t.kind {
        case .block: return .node(try blockControl())
        case .breakKeyword, .continueKeyword:
            let r = nextNonSpace()
            try check()
            let word = t.kind == .breakKeyword ? "break" : "continue"
            if r.kind != .rightDelim { fail("unexpected \(describe(r)) in {{\(word)}}", r) }
            if rangeDepth == 0 { fail("{{\(word)}} outside {{range}}", t) }
            try check()
            return .node(t.kind == .breakKeyword ? .breakNode(pos: t.pos) : .continueNode(pos: t.pos))
        case .elseKeyword:
            let p = peekNonSpace()
            try check()
            if p.kind == .ifKeyword { return .elseClause(isIf: true, isWith: false) }
            if p.kind == .with { return .elseClause(isIf: false, isWith: true) }
            _ = try expect(.rightDelim, "else")
            return .elseClause(isIf: false, isWith: false)
        case .end:
            _ = try expect(.rightDelim, "end")
            return .end
        case .ifKeyword: return .node(try control(.ifKeyword, pos: t.pos))
        case .range: return .node(try control(.range, pos: t.pos))
        case .with: return .node(try control(.with, pos: t.pos))
        case .template: return .node(try templateControl())
        default:
            backup()
            let p = peek()
            let pipe = try pipeline("command", end: .rightDelim)
            return .node(.action(pipe, pos: p.pos))
        }
    }

    /// Bounds recursion (pipelines, controls, blocks) so hostile input cannot exhaust the stack.
    private mutating func enterNesting() throws(ParseFailure) {
        nesting += 1
        if nesting > maxNesting {
            fail("template nesting too deep (limit \(maxNesting))")
            try check()
        }
    }

    private mutating func control(_ kind: TokenKind, pos: Int) throws(ParseFailure) -> Node {
        try enterNesting()
        defer { nesting -= 1 }
        let savedVars = vars.count
        defer { vars.removeSubrange(savedVars...) }
        let context = kind == .ifKeyword ? "if" : kind == .range ? "range" : "with"
        let pipe = try pipeline(context, end: .rightDelim)
        if kind == .range { rangeDepth += 1 }
        var (list, next) = try itemList()
        if kind == .range { rangeDepth -= 1 }
        var elseList: ListNode?
        switch next {
        case .end: break
        case .elseClause(let isIf, let isWith):
            if (isIf && kind == .ifKeyword) || (isWith && kind == .with) {
                // `{{else if ...}}` / `{{else with ...}}` nest a new control in the else branch.
                _ = nextNonSpace()
                var inner = ListNode()
                inner.nodes.append(try control(kind, pos: peek().pos))
                elseList = inner
            } else if isIf || isWith {
                _ = try expect(.rightDelim, "else")
                try check()
            } else {
                let el: ListNode
                (el, next) = try itemList()
                if case .end = next {} else { fail("expected end; found \(next.description)") }
                try check()
                elseList = el
            }
        case .node: break
        }
        switch kind {
        case .ifKeyword: return .ifNode(pipe, list, elseList, pos: pos)
        case .range: return .rangeNode(pipe, list, elseList, pos: pos)
        default: return .withNode(pipe, list, elseList, pos: pos)
        }
    }

    private mutating func blockControl() throws(ParseFailure) -> Node {
        try enterNesting()
        defer { nesting -= 1 }
        let t = nextNonSpace()
        try check()
        let name = try templateName(t, "block clause")
        let pipe = try pipeline("block clause", end: .rightDelim)
        let savedVars = vars
        let savedDepth = rangeDepth
        vars = ["$"]
        rangeDepth = 0
        let (list, end) = try itemList()
        vars = savedVars
        rangeDepth = savedDepth
        if case .end = end {} else { fail("unexpected \(end.description) in block clause") }
        try check()
        definitions.append((name, list))
        return .template(name, pipe, pos: t.pos)
    }

    private mutating func templateControl() throws(ParseFailure) -> Node {
        let t = nextNonSpace()
        try check()
        let name = try templateName(t, "template clause")
        var pipe: Pipeline?
        if nextNonSpace().kind != .rightDelim {
            try check()
            backup()
            pipe = try pipeline("template clause", end: .rightDelim)
        }
        try check()
        return .template(name, pipe, pos: t.pos)
    }

    private mutating func templateName(_ t: Token, _ context: String) throws(ParseFailure) -> String {
        guard t.kind == .string || t.kind == .rawString else {
            fail("unexpected \(describe(t)) in \(context)", t)
            try check()
            return ""
        }
        return try unquote(t)
    }

    private mutating func unquote(_ t: Token) throws(ParseFailure) -> String {
        guard let s = goUnquote(t.text) else {
            fail("invalid syntax in string \(t.text)", t)
            try check()
            return ""
        }
        return s
    }

    // MARK: Pipelines

    private mutating func pipeline(_ context: String, end: TokenKind) throws(ParseFailure) -> Pipeline {
        try enterNesting()
        defer { nesting -= 1 }
        let first = peekNonSpace()
        try check()
        var pipe = Pipeline(pos: first.pos)
        decls: while true {
            let v = peekNonSpace()
            try check()
            guard v.kind == .variable else { break }
            _ = nextNonSpace()
            let varIndex = index - 1
            let afterVar = peek()
            let nxt = peekNonSpace()
            try check()
            if nxt.kind == .assign || nxt.kind == .declare {
                pipe.isAssign = nxt.kind == .assign
                _ = nextNonSpace()
                pipe.decls.append(v.text)
                vars.append(v.text)
            } else if nxt.kind == .char && nxt.text == "," {
                _ = nextNonSpace()
                pipe.decls.append(v.text)
                vars.append(v.text)
                if context == "range" && pipe.decls.count < 2 {
                    let k = peekNonSpace().kind
                    try check()
                    if k == .variable || k == .rightDelim || k == .rightParen { continue decls }
                    fail("range can only initialize variables")
                    try check()
                }
                fail("too many declarations in \(context)")
                try check()
            } else {
                // Not a declaration: put the variable back (Go's backup2/backup3).
                _ = afterVar
                index = varIndex
            }
            break
        }
        while true {
            let t = nextNonSpace()
            try check()
            if t.kind == end {
                if pipe.cmds.isEmpty {
                    fail("missing value for \(context)", t)
                    try check()
                }
                for (i, c) in pipe.cmds.enumerated().dropFirst() {
                    switch c.args[0] {
                    case .bool, .dot, .nilLiteral, .number, .string:
                        fail("non executable command in pipeline stage \(i + 1)", t)
                        try check()
                    default: break
                    }
                }
                return pipe
            }
            switch t.kind {
            case .bool, .charConstant, .complex, .dot, .field, .identifier, .number, .nilKeyword, .rawString, .string,
                .variable, .leftParen:
                backup()
                pipe.cmds.append(try command())
            default:
                fail("unexpected \(describe(t)) in \(context)", t)
                try check()
            }
        }
    }

    private mutating func command() throws(ParseFailure) -> Command {
        let p = peekNonSpace()
        var cmd = Command(args: [], pos: p.pos)
        while true {
            _ = peekNonSpace()
            try check()
            if let operand = try operand() { cmd.args.append(operand) }
            let t = next()
            try check()
            switch t.kind {
            case .space: continue
            case .rightDelim, .rightParen: backup()
            case .pipe: break
            default:
                fail("unexpected \(describe(t)) in operand", t)
                try check()
            }
            break
        }
        if cmd.args.isEmpty {
            fail("empty command")
            try check()
        }
        return cmd
    }

    private mutating func operand() throws(ParseFailure) -> Operand? {
        guard var node = try term() else { return nil }
        if peek().kind == .field {
            let chainPos = peek().pos
            var fields: [String] = []
            while peek().kind == .field {
                fields.append(String(next().text.dropFirst()))
            }
            try check()
            switch node {
            case .field(let idents, let pos): node = .field(idents + fields, pos: pos)
            case .variable(let idents, let pos): node = .variable(idents + fields, pos: pos)
            case .bool, .string, .number, .nilLiteral, .dot:
                fail("unexpected . after term \(node.description)")
                try check()
            default: node = .chain(node, fields, pos: chainPos)
            }
        }
        return node
    }

    private mutating func term() throws(ParseFailure) -> Operand? {
        let t = nextNonSpace()
        try check()
        switch t.kind {
        case .identifier:
            if !hasFunction(t.text) {
                fail("function \(goQuote(t.text)) not defined", t)
                try check()
            }
            return .identifier(t.text, pos: t.pos)
        case .dot: return .dot(pos: t.pos)
        case .nilKeyword: return .nilLiteral(pos: t.pos)
        case .variable:
            let idents = t.text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            if !vars.contains(idents[0]) {
                fail("undefined variable \(goQuote(idents[0]))", t)
                try check()
            }
            return .variable(idents, pos: t.pos)
        case .field:
            return .field(t.text.split(separator: ".").map(String.init), pos: t.pos)
        case .bool: return .bool(t.text == "true", pos: t.pos)
        case .charConstant, .number:
            guard let n = parseNumber(t) else {
                fail("illegal number syntax: \(goQuote(t.text))", t)
                try check()
                return nil
            }
            return .number(n, pos: t.pos)
        case .complex:
            fail("complex numbers are not supported", t)
            try check()
            return nil
        case .leftParen:
            return .pipe(try pipeline("parenthesized pipeline", end: .rightParen))
        case .string, .rawString:
            return .string(try unquote(t), pos: t.pos)
        default:
            backup()
            return nil
        }
    }

    private func parseNumber(_ t: Token) -> NumberLiteral? {
        let text = t.text
        if t.kind == .charConstant {
            let inner = String(text.dropFirst().dropLast())
            let escaped = inner == "\"" ? "\\\"" : inner == "\\'" ? "'" : inner
            guard let s = goUnquote("\"" + escaped + "\""), s.unicodeScalars.count == 1,
                let scalar = s.unicodeScalars.first
            else { return nil }
            return NumberLiteral(text: text, int: Int64(scalar.value), float: Double(scalar.value))
        }
        if text.hasSuffix("i") { return nil }
        var n = NumberLiteral(text: text, int: nil, float: nil)
        if let i = parseGoInt(text) {
            n.int = i
            n.float = Double(i)
            return n
        }
        let isUint = parseGoUint(text) != nil
        if isUint {
            // Fits uint64 but not int64: Go keeps it as a uint, which templates reject at use.
            n.float = parseGoUint(text).map(Double.init)
            return n
        }
        guard let f = parseGoFloat(text) else { return nil }
        if !text.contains(where: { ".eEpP".contains($0) }) {
            return nil  // integer overflow
        }
        n.float = f
        if f.rounded(.towardZero) == f, abs(f) < 9.223372036854775807e18 {
            n.int = Int64(f)
        }
        return n
    }
}

// MARK: - Go literal helpers

/// Go's `strconv.ParseInt(s, 0, 64)`.
func parseGoInt(_ text: String) -> Int64? {
    var s = Substring(text)
    var negative = false
    if s.hasPrefix("+") || s.hasPrefix("-") {
        negative = s.first == "-"
        s = s.dropFirst()
    }
    guard let u = parseGoUint(String(s)) else { return nil }
    if negative {
        if u == UInt64(Int64.max) + 1 { return Int64.min }
        guard u <= UInt64(Int64.max) else { return nil }
        return -Int64(u)
    }
    guard u <= UInt64(Int64.max) else { return nil }
    return Int64(u)
}

/// Go's `strconv.ParseUint(s, 0, 64)` (base prefixes, underscores between digits).
func parseGoUint(_ text: String) -> UInt64? {
    var s = Substring(text)
    var radix = 10
    var prefixed = false
    let lower = s.lowercased()
    if lower.hasPrefix("0x") {
        radix = 16; s = s.dropFirst(2); prefixed = true
    } else if lower.hasPrefix("0o") {
        radix = 8; s = s.dropFirst(2); prefixed = true
    } else if lower.hasPrefix("0b") {
        radix = 2; s = s.dropFirst(2); prefixed = true
    } else if s.hasPrefix("0") && s.count > 1 {
        radix = 8; s = s.dropFirst(1); prefixed = true
    }
    if s.contains("_") {
        // Underscores must separate digits (or follow a base prefix).
        let str = String(s)
        if str.hasSuffix("_") || str.contains("__") || (!prefixed && str.hasPrefix("_")) { return nil }
        s = Substring(str.replacingOccurrences(of: "_", with: ""))
    }
    guard !s.isEmpty, s.allSatisfy({ $0.isASCII && $0.isHexDigit }) else { return nil }
    return UInt64(s, radix: radix)
}

/// Go's `strconv.ParseFloat(s, 64)` for the syntax the lexer admits.
func parseGoFloat(_ text: String) -> Double? {
    var s = text
    if s.contains("_") {
        if s.hasSuffix("_") || s.contains("__") { return nil }
        s = s.replacingOccurrences(of: "_", with: "")
    }
    let body = s.hasPrefix("+") || s.hasPrefix("-") ? String(s.dropFirst()) : s
    guard let first = body.first, first.isNumber || first == "." else { return nil }
    if body.lowercased().hasPrefix("0x") && !body.lowercased().contains("p") { return nil }
    guard let d = Double(s) else { return nil }
    return d
}

/// Go's `strconv.Unquote` for `"..."` and raw `` `...` `` strings.
func goUnquote(_ text: String) -> String? {
    let bytes = Array(text.utf8)
    guard bytes.count >= 2 else { return nil }
    if bytes[0] == 0x60 {
        guard bytes.last == 0x60 else { return nil }
        let inner = bytes[1..<(bytes.count - 1)]
        if inner.contains(0x60) { return nil }
        return String(decoding: inner.filter { $0 != 0x0D }, as: UTF8.self)
    }
    guard bytes[0] == 0x22, bytes.last == 0x22 else { return nil }
    var out: [UInt8] = []
    var i = 1
    let end = bytes.count - 1
    while i < end {
        let c = bytes[i]
        if c == 0x22 || c == 0x0A { return nil }
        if c != 0x5C {
            out.append(c)
            i += 1
            continue
        }
        i += 1
        guard i < end else { return nil }
        let e = bytes[i]
        i += 1
        switch e {
        case UInt8(ascii: "a"): out.append(7)
        case UInt8(ascii: "b"): out.append(8)
        case UInt8(ascii: "f"): out.append(12)
        case UInt8(ascii: "n"): out.append(10)
        case UInt8(ascii: "r"): out.append(13)
        case UInt8(ascii: "t"): out.append(9)
        case UInt8(ascii: "v"): out.append(11)
        case UInt8(ascii: "\\"): out.append(0x5C)
        case UInt8(ascii: "\""): out.append(0x22)
        case UInt8(ascii: "x"), UInt8(ascii: "u"), UInt8(ascii: "U"):
            let n = e == UInt8(ascii: "x") ? 2 : e == UInt8(ascii: "u") ? 4 : 8
            guard i + n <= end, let v = UInt32(String(decoding: bytes[i..<(i + n)], as: UTF8.self), radix: 16) else {
                return nil
            }
            i += n
            if e == UInt8(ascii: "x") {
                out.append(UInt8(v))
            } else {
                guard let scalar = Unicode.Scalar(v) else { return nil }
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            }
        case UInt8(ascii: "0")...UInt8(ascii: "7"):
            guard i + 2 <= end else { return nil }
            let digits = [e] + Array(bytes[i..<(i + 2)])
            guard digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x37 }),
                let v = Int(String(decoding: digits, as: UTF8.self), radix: 8),
                v <= 255
            else { return nil }
            i += 2
            out.append(UInt8(v))
        default:
            return nil
        }
    }
    return String(goBytes: out)
}
