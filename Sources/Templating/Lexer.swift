/// Token kinds of Go's `text/template/parse` lexer.
enum TokenKind: Equatable {
    case error, bool, char, charConstant, comment, complex, assign, declare, eof, field, identifier
    case leftDelim, leftParen, number, pipe, rawString, rightDelim, rightParen, space, string, text
    case variable
    // keywords
    case block, breakKeyword, continueKeyword, dot, define, elseKeyword, end, ifKeyword, nilKeyword
    case range, template, with
}

struct Token {
    var kind: TokenKind
    /// Byte offset in the input.
    var pos: Int
    /// The token text (for `.error`, the message).
    var text: String
    var line: Int
}

/// A direct port of Go's state-function lexer, run to completion into an array.
struct Lexer {
    private let input: [UInt8]
    private let leftDelim: [UInt8]
    private let rightDelim: [UInt8]
    private var pos = 0
    private var start = 0
    private var line = 1
    private var startLine = 1
    private var parenDepth = 0
    private var tokens: [Token] = []

    private static let keywords: [String: TokenKind] = [
        ".": .dot, "block": .block, "break": .breakKeyword, "continue": .continueKeyword,
        "define": .define, "else": .elseKeyword, "end": .end, "if": .ifKeyword, "range": .range,
        "nil": .nilKeyword, "template": .template, "with": .with,
    ]

    init(input: [UInt8], leftDelim: String, rightDelim: String) {
        self.input = input
        self.leftDelim = Array((leftDelim.isEmpty ? "{{" : leftDelim).utf8)
        self.rightDelim = Array((rightDelim.isEmpty ? "}}" : rightDelim).utf8)
    }

    static func tokenize(_ text: String, leftDelim: String, rightDelim: String) -> [Token] {
        var lexer = Lexer(input: Array(text.utf8), leftDelim: leftDelim, rightDelim: rightDelim)
        lexer.run()
        return lexer.tokens
    }

    private enum State {
        case text, leftDelim, comment, insideAction, rightDelim, space, identifier, field, variable, char, number,
            quote, rawQuote
    }

    private mutating func run() {
        var state: State? = .text
        while let s = state {
            switch s {
            case .text: state = lexText()
            case .leftDelim: state = lexLeftDelim()
            case .comment: state = lexComment()
            case .insideAction: state = lexInsideAction()
            case .rightDelim: state = lexRightDelim()
            case .space: state = lexSpace()
            case .identifier: state = lexIdentifier()
            case .field: state = lexFieldOrVariable(.field)
            case .variable: state = lexVariable()
            case .char:
                state = lexQuoted(
                    close: UInt8(ascii: "'"), message: "unterminated character constant", kind: .charConstant)
            case .number: state = lexNumber()
            case .quote:
                state = lexQuoted(close: UInt8(ascii: "\""), message: "unterminated quoted string", kind: .string)
            case .rawQuote: state = lexRawQuote()
            }
        }
    }

    // MARK: - Helpers

    private static let eof: Int32 = -1

    /// Returns the next byte-level "rune" (only ASCII matters for the grammar; non-ASCII runes are
    /// consumed whole so identifiers with letters beyond ASCII work).
    private mutating func next() -> Int32 {
        guard pos < input.count else {
            pos = input.count + 1  // past end marker so backup is symmetric
            return Self.eof
        }
        let (r, w) = decodeRune(at: pos)
        pos += w
        if r == 0x0A { line += 1 }
        return r
    }

    private mutating func backup() {
        if pos > input.count {
            pos = input.count
            return
        }
        guard pos > 0 else { return }
        var p = pos - 1
        while p > 0 && (input[p] & 0xC0) == 0x80 && pos - p < 4 { p -= 1 }
        if input[p] == 0x0A { line -= 1 }
        pos = p
    }

    private mutating func peek() -> Int32 {
        let r = next()
        backup()
        return r
    }

    private func decodeRune(at i: Int) -> (Int32, Int) {
        let b0 = input[i]
        if b0 < 0x80 { return (Int32(b0), 1) }
        let need: Int
        var v: UInt32
        if b0 & 0xE0 == 0xC0 {
            need = 1; v = UInt32(b0 & 0x1F)
        } else if b0 & 0xF0 == 0xE0 {
            need = 2; v = UInt32(b0 & 0x0F)
        } else if b0 & 0xF8 == 0xF0 {
            need = 3; v = UInt32(b0 & 0x07)
        } else {
            return (0xFFFD, 1)
        }
        for k in 1...need {
            guard i + k < input.count, input[i + k] & 0xC0 == 0x80 else { return (0xFFFD, 1) }
            v = (v << 6) | UInt32(input[i + k] & 0x3F)
        }
        return (Int32(bitPattern: v), need + 1)
    }

    private func text(_ from: Int, _ to: Int) -> String {
        String(decoding: input[from..<min(to, input.count)], as: UTF8.self)
    }

    private func hasPrefix(_ p: [UInt8], at i: Int) -> Bool {
        guard i >= 0, i + p.count <= input.count else { return false }
        for k in 0..<p.count where input[i + k] != p[k] { return false }
        return true
    }

    private mutating func emit(_ kind: TokenKind) {
        let end = min(pos, input.count)
        tokens.append(Token(kind: kind, pos: start, text: text(start, end), line: startLine))
        start = end
        startLine = line
    }

    private mutating func ignore() {
        let end = min(pos, input.count)
        line = startLine + input[start..<end].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        start = end
        startLine = line
    }

    private mutating func errorf(_ message: String) -> State? {
        tokens.append(Token(kind: .error, pos: start, text: message, line: startLine))
        return nil
    }

    private mutating func accept(_ valid: String) -> Bool {
        let r = next()
        if r >= 0, r < 128, valid.utf8.contains(UInt8(r)) { return true }
        backup()
        return false
    }

    private mutating func acceptRun(_ valid: String) {
        while true {
            let r = next()
            if r >= 0, r < 128, valid.utf8.contains(UInt8(r)) { continue }
            backup()
            return
        }
    }

    static func isSpace(_ r: Int32) -> Bool { r == 0x20 || r == 0x09 || r == 0x0D || r == 0x0A }
    static func isSpaceByte(_ b: UInt8) -> Bool { isSpace(Int32(b)) }

    static func isAlphaNumeric(_ r: Int32) -> Bool {
        if r == 0x5F { return true }
        guard r >= 0, let scalar = Unicode.Scalar(UInt32(r)) else { return false }
        if r < 128 {
            return (r >= 0x30 && r <= 0x39) || (r >= 0x41 && r <= 0x5A) || (r >= 0x61 && r <= 0x7A)
        }
        return scalar.properties.isAlphabetic || scalar.properties.numericType == .decimal
    }

    private func hasLeftTrimMarker(at i: Int) -> Bool {
        i + 1 < input.count && input[i] == UInt8(ascii: "-") && Self.isSpaceByte(input[i + 1])
    }

    private func hasRightTrimMarker(at i: Int) -> Bool {
        i >= 0 && i + 1 < input.count && Self.isSpaceByte(input[i]) && input[i + 1] == UInt8(ascii: "-")
    }

    private func atRightDelim() -> (delim: Bool, trim: Bool) {
        if hasRightTrimMarker(at: pos) && hasPrefix(rightDelim, at: pos + 2) { return (true, true) }
        if hasPrefix(rightDelim, at: pos) { return (true, false) }
        return (false, false)
    }

    private func indexOf(_ needle: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, from <= input.count - needle.count else { return nil }
        var i = from
        while i <= input.count - needle.count {
            if input[i] == needle[0] && hasPrefix(needle, at: i) { return i }
            i += 1
        }
        return nil
    }

    // MARK: - States

    private mutating func lexText() -> State? {
        if let x = indexOf(leftDelim, from: pos) {
            let ldn = leftDelim.count
            pos = x
            var trimLength = 0
            if hasLeftTrimMarker(at: pos + ldn) {
                var j = pos
                while j > start && Self.isSpaceByte(input[j - 1]) { j -= 1 }
                trimLength = pos - j
            }
            pos -= trimLength
            if pos > start {
                line += input[start..<pos].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
                emit(.text)
            }
            pos += trimLength
            ignore()
            return .leftDelim
        }
        pos = input.count
        if pos > start {
            line += input[start..<pos].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            emit(.text)
        }
        emit(.eof)
        return nil
    }

    private mutating func lexLeftDelim() -> State? {
        pos += leftDelim.count
        let trimSpace = hasLeftTrimMarker(at: pos)
        let afterMarker = trimSpace ? 2 : 0
        if hasPrefix(Array("/*".utf8), at: pos + afterMarker) {
            pos += afterMarker
            ignore()
            return .comment
        }
        emit(.leftDelim)
        pos += afterMarker
        ignore()
        parenDepth = 0
        return .insideAction
    }

    private mutating func lexComment() -> State? {
        pos += 2
        guard let i = indexOf(Array("*/".utf8), from: pos) else { return errorf("unclosed comment") }
        pos = i + 2
        let (delim, trimSpace) = atRightDelim()
        if !delim { return errorf("comment ends before closing delimiter") }
        if trimSpace { pos += 2 }
        pos += rightDelim.count
        if trimSpace {
            while pos < input.count && Self.isSpaceByte(input[pos]) { pos += 1 }
        }
        ignore()
        return .text
    }

    private mutating func lexRightDelim() -> State? {
        let trimSpace = hasRightTrimMarker(at: pos)
        if trimSpace {
            pos += 2
            ignore()
        }
        pos += rightDelim.count
        emit(.rightDelim)
        if trimSpace {
            while pos < input.count && Self.isSpaceByte(input[pos]) { pos += 1 }
            ignore()
        }
        return .text
    }

    private mutating func lexInsideAction() -> State? {
        let (delim, _) = atRightDelim()
        if delim {
            if parenDepth == 0 { return .rightDelim }
            return errorf("unclosed left paren")
        }
        let r = next()
        switch r {
        case Self.eof:
            return errorf("unclosed action")
        case _ where Self.isSpace(r):
            backup()
            return .space
        case 0x3D:  // =
            emit(.assign)
        case 0x3A:  // :
            if next() != 0x3D { return errorf("expected :=") }
            emit(.declare)
        case 0x7C:  // |
            emit(.pipe)
        case 0x22:
            return .quote
        case 0x60:
            return .rawQuote
        case 0x24:
            return .variable
        case 0x27:
            return .char
        case 0x2E:  // .
            if pos < input.count {
                let c = input[pos]
                if c < UInt8(ascii: "0") || c > UInt8(ascii: "9") { return .field }
            }
            backup()
            return .number
        case 0x2B, 0x2D, 0x30...0x39:
            backup()
            return .number
        case _ where Self.isAlphaNumeric(r):
            backup()
            return .identifier
        case 0x28:
            emit(.leftParen)
            parenDepth += 1
        case 0x29:
            emit(.rightParen)
            parenDepth -= 1
            if parenDepth < 0 { return errorf("unexpected right paren") }
        case 0x21...0x7E:
            emit(.char)
        default:
            return errorf("unrecognized character in action")
        }
        return .insideAction
    }

    private mutating func lexSpace() -> State? {
        var numSpaces = 0
        while Self.isSpace(peek()) {
            _ = next()
            numSpaces += 1
        }
        if hasRightTrimMarker(at: pos - 1) && hasPrefix(rightDelim, at: pos - 1 + 2) {
            backup()
            if numSpaces == 1 { return .rightDelim }
        }
        emit(.space)
        return .insideAction
    }

    private mutating func atTerminator() -> Bool {
        let r = peek()
        if Self.isSpace(r) { return true }
        switch r {
        case Self.eof, 0x2E, 0x2C, 0x7C, 0x3A, 0x29, 0x28: return true
        default: return hasPrefix(rightDelim, at: pos)
        }
    }

    private mutating func lexIdentifier() -> State? {
        while true {
            let r = next()
            if Self.isAlphaNumeric(r) { continue }
            backup()
            let word = text(start, pos)
            if !atTerminator() { return errorf("bad character in identifier") }
            if let kw = Self.keywords[word], word != "." {
                emit(kw)
            } else if word.hasPrefix(".") {
                emit(.field)
            } else if word == "true" || word == "false" {
                emit(.bool)
            } else {
                emit(.identifier)
            }
            return .insideAction
        }
    }

    private mutating func lexVariable() -> State? {
        if atTerminator() {
            emit(.variable)
            return .insideAction
        }
        return lexFieldOrVariable(.variable)
    }

    private mutating func lexFieldOrVariable(_ kind: TokenKind) -> State? {
        if atTerminator() {
            emit(kind == .variable ? .variable : .dot)
            return .insideAction
        }
        while true {
            let r = next()
            if !Self.isAlphaNumeric(r) {
                backup()
                break
            }
        }
        if !atTerminator() { return errorf("bad character") }
        emit(kind)
        return .insideAction
    }

    private mutating func lexQuoted(close: UInt8, message: String, kind: TokenKind) -> State? {
        while true {
            let r = next()
            if r == 0x5C {
                let r2 = next()
                if r2 != Self.eof && r2 != 0x0A { continue }
                return errorf(message)
            }
            if r == Self.eof || r == 0x0A { return errorf(message) }
            if r == Int32(close) { break }
        }
        emit(kind)
        return .insideAction
    }

    private mutating func lexRawQuote() -> State? {
        while true {
            let r = next()
            if r == Self.eof { return errorf("unterminated raw quoted string") }
            if r == 0x60 { break }
        }
        emit(.rawString)
        return .insideAction
    }

    private mutating func lexNumber() -> State? {
        if !scanNumber() { return errorf("bad number syntax: \(text(start, pos))") }
        let sign = peek()
        if sign == 0x2B || sign == 0x2D {
            _ = scanNumber()
            return errorf("complex numbers are not supported")
        }
        emit(.number)
        return .insideAction
    }

    private mutating func scanNumber() -> Bool {
        _ = accept("+-")
        var digits = "0123456789_"
        if accept("0") {
            if accept("xX") {
                digits = "0123456789abcdefABCDEF_"
            } else if accept("oO") {
                digits = "01234567_"
            } else if accept("bB") {
                digits = "01_"
            }
        }
        acceptRun(digits)
        if accept(".") { acceptRun(digits) }
        if digits.count == 11 && accept("eE") {
            _ = accept("+-")
            acceptRun("0123456789_")
        }
        if digits.count == 23 && accept("pP") {
            _ = accept("+-")
            acceptRun("0123456789_")
        }
        _ = accept("i")
        if Self.isAlphaNumeric(peek()) {
            _ = next()
            return false
        }
        return true
    }
}
