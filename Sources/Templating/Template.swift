/// What a map lookup of an absent key yields; Go's `Option("missingkey=...")`.
public enum MissingKeyPolicy: Sendable, Hashable {
    /// Go's default (`missingkey=default`/`invalid`): an invalid value, printed as `<no value>`.
    case invalid
    /// `missingkey=zero`: the zero value of the map's element type.
    case zero
    /// `missingkey=error`: execution stops with an error. ESO uses this.
    case error
}

/// Bounds on one render. A render that would exceed any of them fails with
/// `TemplateError.Kind.limitExceeded` instead of running on.
public struct RenderLimits: Sendable {
    /// Maximum rendered output, in bytes.
    public var maxOutputBytes: Int
    /// Maximum evaluation steps (one per node walked, command evaluated or loop iteration).
    public var maxSteps: Int
    /// Maximum nesting of `{{template}}` calls.
    public var maxTemplateDepth: Int
    /// Largest string or collection a function may build (bytes or elements).
    public var maxValueSize: Int
    /// Polled every few hundred steps; returning `true` aborts the render. This is how a caller
    /// imposes a time budget without the engine reading a clock.
    public var shouldAbort: (@Sendable () -> Bool)?

    public init(
        maxOutputBytes: Int = 1 << 20, maxSteps: Int = 1_000_000, maxTemplateDepth: Int = 200,
        maxValueSize: Int = 1 << 20, shouldAbort: (@Sendable () -> Bool)? = nil
    ) {
        self.maxOutputBytes = maxOutputBytes
        self.maxSteps = maxSteps
        self.maxTemplateDepth = maxTemplateDepth
        self.maxValueSize = maxValueSize
        self.shouldAbort = shouldAbort
    }
}

/// A parse or execution failure, formatted like Go's `text/template` errors.
public struct TemplateError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Kind: Sendable, Hashable {
        case parse
        case execution
        case limitExceeded
    }

    public var kind: Kind
    /// The name given to the parsed template.
    public var templateName: String
    public var line: Int
    /// Byte offset within the line, counted from 0 as Go does.
    public var column: Int
    /// The Go-style detail, e.g. `executing "x" at <.a>: map has no entry for key "a"`.
    public var message: String

    public var description: String {
        switch kind {
        case .parse: "template: \(templateName):\(line): \(message)"
        case .execution, .limitExceeded: "template: \(templateName):\(line):\(column): \(message)"
        }
    }
}

/// A parsed Go `text/template`: the main template plus any `define`d or `block` templates.
///
/// Guarantees: rendering is pure (no I/O, no clock, no environment) and bounded by `RenderLimits`.
/// Caveats: complex numbers, methods on data and `call` are not supported; ESO data never has them.
public struct Template: Sendable {
    public let name: String
    let source: [UInt8]
    let templates: [String: ListNode]
    let functions: FunctionLibrary
    let missingKey: MissingKeyPolicy

    /// Parses `text` as a template named `name`.
    public init(
        name: String, text: String, functions: FunctionLibrary = .eso, leftDelimiter: String = "",
        rightDelimiter: String = "", missingKey: MissingKeyPolicy = .invalid, maxNesting: Int = 200
    ) throws(TemplateError) {
        self.name = name
        self.source = Array(text.utf8)
        self.functions = functions
        self.missingKey = missingKey
        let tokens = Lexer.tokenize(text, leftDelim: leftDelimiter, rightDelim: rightDelimiter)
        let builtins = Builtins.library
        var parser = Parser(
            tokens: tokens, hasFunction: { functions[$0] != nil || builtins[$0] != nil }, maxNesting: maxNesting)
        var set: [String: ListNode] = [:]
        do throws(ParseFailure) {
            let root = try parser.parse()
            // Go's Tree.add: a non-empty definition may not replace another non-empty one.
            for (defName, list) in parser.definitions + [(name: name, root: root)] {
                if let existing = set[defName], !existing.isEmpty {
                    if !list.isEmpty {
                        throw ParseFailure(
                            message: "template: multiple definition of template \(goQuote(defName))", pos: 0, line: 1)
                    }
                    continue
                }
                set[defName] = list
            }
        } catch {
            throw TemplateError(kind: .parse, templateName: name, line: error.line, column: 0, message: error.message)
        }
        self.templates = set
    }

    /// Names of all templates in this set.
    public var definedTemplates: [String] { templates.keys.sorted() }

    /// Executes the main template with `data` as dot.
    public func render(
        _ data: Value, limits: RenderLimits = RenderLimits(), environment: RenderEnvironment = .pure
    ) throws(TemplateError) -> String {
        String(decoding: try renderBytes(data, limits: limits, environment: environment), as: UTF8.self)
    }

    /// Executes the main template, returning Go's exact output bytes.
    public func renderBytes(
        _ data: Value, limits: RenderLimits = RenderLimits(), environment: RenderEnvironment = .pure
    ) throws(TemplateError) -> [UInt8] {
        guard let root = templates[name] else {
            throw TemplateError(
                kind: .execution, templateName: name, line: 0, column: 0,
                message: "\(goQuote(name)) is an incomplete or empty template")
        }
        // Go's Execute(nil) starts from an invalid value, not a nil interface.
        let dot: Value = data == .null ? .missing : data
        var executor = Executor(template: self, limits: limits, environment: environment, data: dot)
        do {
            _ = try executor.walk(dot: dot, list: root)
        } catch {
            let (line, col) = position(of: error.pos)
            throw TemplateError(
                kind: error.isLimit ? .limitExceeded : .execution, templateName: name, line: line, column: col,
                message: "executing \(goQuote(error.templateName)) at <\(error.node)>: \(error.message)")
        }
        return executor.output
    }

    func position(of pos: Int) -> (line: Int, column: Int) {
        let p = min(max(pos, 0), source.count)
        var line = 1
        var lastNewline = -1
        for i in 0..<p where source[i] == 0x0A {
            line += 1
            lastNewline = i
        }
        return (line, p - lastNewline - 1)
    }
}
