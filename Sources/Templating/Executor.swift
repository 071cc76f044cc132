/// An execution failure at a node, before it is dressed as a `TemplateError`.
struct ExecFailure: Error {
    var message: String
    var pos: Int
    var node: String
    var templateName: String
    var isLimit = false
}

/// A reference to the node being evaluated, for error messages.
enum NodeRef {
    case pipeline(Pipeline)
    case operand(Operand)
    case text(String)

    var description: String {
        switch self {
        case .pipeline(let p): p.description
        case .operand(let o): o.description
        case .text(let t): t
        }
    }
}

/// How a walk finished: normally, or unwinding to the nearest `range` for break/continue.
enum WalkSignal {
    case normal
    case breakLoop
    case continueLoop
}

/// The state of one render: Go's `text/template` `state`, evaluating the tree against data.
struct Executor {
    let template: Template
    let limits: RenderLimits
    let context: FunctionContext
    var output: [UInt8] = []
    private var vars: [(name: String, value: Value)]
    private var steps = 0
    private var depth = 0
    private var currentName: String
    private var currentPos = 0
    /// The node being evaluated; described only when an error needs it.
    private var currentNode: NodeRef = .text("")

    init(template: Template, limits: RenderLimits, environment: RenderEnvironment, data: Value) {
        self.template = template
        self.limits = limits
        self.context = FunctionContext(
            maxValueSize: limits.maxValueSize, randomBytes: environment.randomBytes, now: environment.now)
        self.vars = [("$", data)]
        self.currentName = template.name
    }

    // MARK: - Errors and budget

    private func fail(_ message: String) -> ExecFailure {
        ExecFailure(message: message, pos: currentPos, node: currentNode.description, templateName: currentName)
    }

    private mutating func at(_ pos: Int, _ node: NodeRef) {
        currentPos = pos
        currentNode = node
    }

    private mutating func step() throws(ExecFailure) {
        steps += 1
        if steps > limits.maxSteps {
            var f = fail("step budget of \(limits.maxSteps) exceeded")
            f.isLimit = true
            throw f
        }
        if steps & 255 == 0, let abort = limits.shouldAbort, abort() {
            var f = fail("render aborted: time budget exceeded")
            f.isLimit = true
            throw f
        }
    }

    private mutating func write(_ bytes: some Collection<UInt8>) throws(ExecFailure) {
        if output.count + bytes.count > limits.maxOutputBytes {
            var f = fail("output exceeds \(limits.maxOutputBytes) bytes")
            f.isLimit = true
            throw f
        }
        output.append(contentsOf: bytes)
    }

    // MARK: - Variables

    private func varValue(_ name: String) throws(ExecFailure) -> Value {
        for v in vars.reversed() where v.name == name { return v.value }
        throw fail("undefined variable: \(name)")
    }

    private mutating func setVar(_ name: String, _ value: Value) throws(ExecFailure) {
        for i in vars.indices.reversed() where vars[i].name == name {
            vars[i].value = value
            return
        }
        throw fail("undefined variable: \(name)")
    }

    // MARK: - Walking

    mutating func walk(dot: Value, list: ListNode) throws(ExecFailure) -> WalkSignal {
        for node in list.nodes {
            let signal = try walk(dot: dot, node: node)
            if signal != .normal { return signal }
        }
        return .normal
    }

    mutating func walk(dot: Value, node: Node) throws(ExecFailure) -> WalkSignal {
        try step()
        switch node {
        case .text(let bytes):
            try write(bytes)
        case .action(let pipe, let pos):
            at(pos, .pipeline(pipe))
            let val = try evalPipeline(dot: dot, pipe)
            if pipe.decls.isEmpty {
                try write(try printValue(val))
            }
        case .comment:
            break
        case .breakNode:
            return .breakLoop
        case .continueNode:
            return .continueLoop
        case .list(let l):
            return try walk(dot: dot, list: l)
        case .ifNode(let pipe, let list, let elseList, let pos), .withNode(let pipe, let list, let elseList, let pos):
            var isWith = false
            if case .withNode = node { isWith = true }
            at(pos, .pipeline(pipe))
            let mark = vars.count
            defer { vars.removeSubrange(mark...) }
            let val = try evalPipeline(dot: dot, pipe)
            if val.truth {
                return try walk(dot: isWith ? val : dot, list: list)
            } else if let elseList {
                return try walk(dot: dot, list: elseList)
            }
        case .rangeNode(let pipe, let list, let elseList, let pos):
            at(pos, .pipeline(pipe))
            return try walkRange(dot: dot, pipe: pipe, list: list, elseList: elseList)
        case .template(let name, let pipe, let pos):
            at(pos, .text("template \(goQuote(name))"))
            guard let root = template.templates[name] else {
                throw fail("template \(goQuote(name)) not defined")
            }
            if depth >= limits.maxTemplateDepth {
                var f = fail("exceeded maximum template depth (\(limits.maxTemplateDepth))")
                f.isLimit = true
                throw f
            }
            let newDot = try pipe.map { p throws(ExecFailure) in try evalPipeline(dot: dot, p) } ?? .missing
            let savedVars = vars
            let savedName = currentName
            vars = [("$", newDot)]
            depth += 1
            currentName = name
            defer {
                vars = savedVars
                depth -= 1
                currentName = savedName
            }
            let signal = try walk(dot: newDot, list: root)
            _ = signal  // break/continue cannot cross a template call (the parser forbids it)
        }
        return .normal
    }

    private mutating func walkRange(dot: Value, pipe: Pipeline, list: ListNode, elseList: ListNode?) throws(ExecFailure)
        -> WalkSignal
    {
        let outerMark = vars.count
        defer { vars.removeSubrange(outerMark...) }
        let val = try evalPipeline(dot: dot, pipe)
        let mark = vars.count
        var iterations: [(index: Value, elem: Value)] = []
        switch val {
        case .list(let items, _, _):
            iterations = items.enumerated().map { (.int(Int64($0.offset), .int), $0.element) }
        case .bytes(let b):
            iterations = b.enumerated().map { (.int(Int64($0.offset), .int), .int(Int64($0.element), .uint8)) }
        case .map(let box):
            let m = box.entries
            iterations = Value.sortedKeys(m).map { (.string($0), m[$0]!) }
        case .missing, .null:
            break
        case .int(let n, let type):
            // Go 1.22+: ranging over an integer yields 0..<n (ESO is built with a current Go).
            if pipe.decls.count > 1 {
                throw fail("can't use \(n) to iterate over more than one variable")
            }
            if n <= 0 { break }
            var i: Int64 = 0
            while i < n {
                try step()
                if pipe.decls.count > 0 { vars[vars.count - 1].value = .int(i, type) }
                let signal = try walk(dot: .int(i, type), list: list)
                vars.removeSubrange(mark...)
                if signal == .breakLoop { break }
                i += 1
            }
            return .normal
        default:
            throw fail("range can't iterate over \((try? formatValue(val, verb: "v")) ?? val.goTypeName)")
        }
        if iterations.isEmpty {
            if let elseList { return try walk(dot: dot, list: elseList) }
            return .normal
        }
        for (index, elem) in iterations {
            try step()
            if pipe.decls.count > 0 { vars[vars.count - 1].value = elem }
            if pipe.decls.count > 1 { vars[vars.count - 2].value = index }
            let signal = try walk(dot: elem, list: list)
            vars.removeSubrange(mark...)
            if signal == .breakLoop { break }
        }
        return .normal
    }

    // MARK: - Pipelines and commands

    private mutating func evalPipeline(dot: Value, _ pipe: Pipeline) throws(ExecFailure) -> Value {
        var value: Value? = nil
        for cmd in pipe.cmds {
            var v = try evalCommand(dot: dot, cmd, final: value)
            if case .null = v { v = .missing }  // Go unwraps a nil interface{} result to "no value"
            value = v
        }
        let result = value ?? .missing
        for name in pipe.decls {
            if pipe.isAssign {
                try setVar(name, result)
            } else {
                vars.append((name, result))
            }
        }
        return result
    }

    private func notAFunction(_ args: [Operand], _ final: Value?) throws(ExecFailure) {
        if args.count > 1 || final != nil {
            throw fail("can't give argument to non-function \(args[0].description)")
        }
    }

    private mutating func evalCommand(dot: Value, _ cmd: Command, final: Value?) throws(ExecFailure) -> Value {
        try step()
        let first = cmd.args[0]
        switch first {
        case .field(let idents, let pos):
            at(pos, .operand(first))
            return try evalFieldChain(dot: dot, receiver: dot, idents[...], args: cmd.args, final: final)
        case .chain(let node, let fields, let pos):
            at(pos, .operand(first))
            if case .nilLiteral = node { throw fail("indirection through explicit nil in \(first.description)") }
            let receiver = try evalArg(dot: dot, type: nil, node)
            return try evalFieldChain(dot: dot, receiver: receiver, fields[...], args: cmd.args, final: final)
        case .identifier(let name, let pos):
            at(pos, .text(name))
            return try evalFunction(dot: dot, name: name, args: Array(cmd.args.dropFirst()), final: final)
        case .pipe(let p):
            try notAFunction(cmd.args, final)
            return try evalPipeline(dot: dot, p)
        case .variable(let idents, let pos):
            at(pos, .operand(first))
            return try evalVariable(dot: dot, idents, args: cmd.args, final: final)
        default:
            break
        }
        at(first.pos, .operand(first))
        try notAFunction(cmd.args, final)
        switch first {
        case .bool(let b, _): return .bool(b)
        case .dot: return dot
        case .nilLiteral: throw fail("nil is not a command")
        case .number(let n, _): return try idealConstant(n)
        case .string(let s, _): return .string(s)
        default: throw fail("can't evaluate command \(first.description)")
        }
    }

    private func idealConstant(_ n: NumberLiteral) throws(ExecFailure) -> Value {
        let text = n.text
        let isHexInt =
            text.count > 2 && (text.hasPrefix("0x") || text.hasPrefix("0X"))
            && !text.contains(where: { "pP".contains($0) })
        let isRune = text.hasPrefix("'")
        if let f = n.float, !isHexInt, !isRune, text.contains(where: { ".eEpP".contains($0) }) {
            return .float(f)
        }
        if let i = n.int { return .int(i, .int) }
        throw fail("\(text) overflows int")
    }

    private mutating func evalVariable(dot: Value, _ idents: [String], args: [Operand]?, final: Value?)
        throws(ExecFailure)
        -> Value
    {
        let value = try varValue(idents[0])
        if idents.count == 1 {
            if let args {
                try notAFunction(args, final)
            } else if final != nil {
                try notAFunction([.dot(pos: 0)], final)
            }
            return value
        }
        return try evalFieldChain(dot: dot, receiver: value, idents[1...], args: args ?? [], final: final)
    }

    private mutating func evalFieldChain(
        dot: Value, receiver: Value, _ idents: ArraySlice<String>, args: [Operand], final: Value?
    ) throws(ExecFailure) -> Value {
        var receiver = receiver
        for ident in idents.dropLast() {
            receiver = try evalField(dot: dot, name: ident, args: [], final: nil, receiver: receiver)
        }
        return try evalField(dot: dot, name: idents.last!, args: args, final: final, receiver: receiver)
    }

    /// Go's `evalField`. `args` starts with the field's own operand, as in Go.
    private mutating func evalField(dot: Value, name: String, args: [Operand], final: Value?, receiver: Value)
        throws(ExecFailure) -> Value
    {
        let hasArgs = args.count > 1 || final != nil
        switch receiver {
        case .missing:
            if template.missingKey == .error { throw fail("nil data; no entry for key \(goQuote(name))") }
            return .missing
        case .null:
            throw fail("nil pointer evaluating interface {}.\(name)")
        case .map(let box):
            let elem = box.elementType
            if hasArgs { throw fail("\(name) is not a method but has arguments") }
            if let v = box[name] { return v }
            switch template.missingKey {
            case .invalid: return .missing
            case .zero: return Value.zero(of: elem)
            case .error: throw fail("map has no entry for key \(goQuote(name))")
            }
        case .object(let object):
            switch object.member(name) {
            case .method(let fn):
                return try evalCall(
                    dot: dot, fn, isBuiltin: false, name: name, args: Array(args.dropFirst()), final: final)
            case .field(let value):
                if hasArgs { throw fail("\(name) has arguments but cannot be invoked as function") }
                return value
            case .unexportedField:
                throw fail("\(name) is an unexported field of struct type \(object.typeName)")
            case .none:
                throw fail("can't evaluate field \(name) in type \(object.typeName)")
            }
        default:
            throw fail("can't evaluate field \(name) in type \(receiver.goTypeName)")
        }
    }

    // MARK: - Function calls

    private mutating func evalFunction(dot: Value, name: String, args: [Operand], final: Value?) throws(ExecFailure)
        -> Value
    {
        if let fn = template.functions[name] {
            return try evalCall(dot: dot, fn, isBuiltin: false, name: name, args: args, final: final)
        }
        if let fn = Builtins.library[name] {
            return try evalCall(dot: dot, fn, isBuiltin: true, name: name, args: args, final: final)
        }
        throw fail("\(goQuote(name)) is not a defined function")
    }

    private mutating func evalCall(
        dot: Value, _ fn: TemplateFunction, isBuiltin: Bool, name: String, args: [Operand], final: Value?
    ) throws(ExecFailure) -> Value {
        let numIn = args.count + (final != nil ? 1 : 0)
        var numFixed = args.count
        if fn.variadic != nil {
            numFixed = fn.parameters.count
            if numIn < numFixed {
                throw fail("wrong number of args for \(name): want at least \(numFixed) got \(args.count)")
            }
        } else if numIn != fn.parameters.count {
            throw fail("wrong number of args for \(name): want \(fn.parameters.count) got \(numIn)")
        }
        if isBuiltin && (name == "and" || name == "or") {
            var v: Value = .missing
            for arg in args {
                v = try evalArg(dot: dot, type: .reflectValue, arg)
                if v.truth == (name == "or") { return v }
            }
            if let final { v = try validateType(final, .reflectValue) }
            return v
        }
        var argv: [Value] = []
        argv.reserveCapacity(numIn)
        var i = 0
        while i < numFixed && i < args.count {
            argv.append(try evalArg(dot: dot, type: fn.parameters[i], args[i]))
            i += 1
        }
        if let variadic = fn.variadic {
            while i < args.count {
                argv.append(try evalArg(dot: dot, type: variadic, args[i]))
                i += 1
            }
        }
        if let final {
            var t = fn.parameters.last ?? .any
            if let variadic = fn.variadic {
                t = numIn - 1 < numFixed ? fn.parameters[numIn - 1] : variadic
            }
            argv.append(try validateType(final, t))
        }
        do {
            let result = try fn.body(argv, context)
            // Bound every value a template can build (e.g. `$x = print $x $x` in a loop).
            let size: Int
            switch result {
            case .string(let s): size = s.utf8.count
            case .bytes(let b): size = b.count
            case .list(let l, _, _): size = l.count
            default: size = 0
            }
            if size > limits.maxValueSize {
                var f = fail(
                    "\(name) built a value of \(size) bytes or elements, over the limit of \(limits.maxValueSize)")
                f.isLimit = true
                throw f
            }
            return result
        } catch let e as TemplateFunctionError {
            throw fail("error calling \(name): \(e.message)")
        } catch let e as ExecFailure {
            throw e
        } catch {
            throw fail("error calling \(name): \(error)")
        }
    }

    /// Go's `validateType`: converts an evaluated value for a parameter of type `type`.
    private func validateType(_ value: Value, _ type: ParameterType?) throws(ExecFailure) -> Value {
        guard let type else {
            return value == .null ? .missing : value
        }
        switch value {
        case .missing:
            switch type {
            case .reflectValue: return .missing
            case .any: return .null
            case .anyList: return .list([], elem: .any, isNil: true)
            case .stringList: return .list([], elem: .string, isNil: true)
            case .anyMap: return .makeMap([:], elem: .any, isNil: true)
            case .named where type.canBeNil: return .null  // a nil pointer
            default: throw fail("invalid value; expected \(type.goName)")
            }
        case .null:
            if type == .any || type == .reflectValue { return .null }
            throw fail("wrong type for value; expected \(type.goName); got interface {}")
        default:
            break
        }
        let ok: Bool
        switch (type, value) {
        case (.any, _), (.reflectValue, _): ok = true
        case (.string, .string): ok = true
        case (.int, .int(_, .int)): ok = true
        case (.int64, .int(_, .int64)): ok = true
        case (.float64, .float): ok = true
        case (.bool, .bool): ok = true
        case (.anyList, .list(_, .any, _)): ok = true
        case (.stringList, .list(_, .string, _)): ok = true
        case (.anyMap, .map(let m)): ok = m.elementType == .any
        case (.time, .time): ok = true
        case (.named(let name), .object(let o)): ok = o.typeName == name
        default: ok = false
        }
        if !ok { throw fail("wrong type for value; expected \(type.goName); got \(value.goTypeName)") }
        return value
    }

    /// Go's `evalArg`: evaluates an operand for a parameter of type `type` (`nil`: no conversion).
    private mutating func evalArg(dot: Value, type: ParameterType?, _ n: Operand) throws(ExecFailure) -> Value {
        at(n.pos, .operand(n))
        switch n {
        case .dot:
            return try validateType(dot, type)
        case .nilLiteral:
            guard let type else { return .missing }
            if type.canBeNil { return try validateType(.missing, type) }
            throw fail("cannot assign nil to \(type.goName)")
        case .field(let idents, _):
            return try validateType(
                try evalFieldChain(dot: dot, receiver: dot, idents[...], args: [n], final: nil), type)
        case .variable(let idents, _):
            return try validateType(try evalVariable(dot: dot, idents, args: nil, final: nil), type)
        case .pipe(let p):
            return try validateType(try evalPipeline(dot: dot, p), type)
        case .identifier(let name, _):
            return try validateType(try evalFunction(dot: dot, name: name, args: [], final: nil), type)
        case .chain(let node, let fields, _):
            if case .nilLiteral = node { throw fail("indirection through explicit nil in \(n.description)") }
            let receiver = try evalArg(dot: dot, type: nil, node)
            return try validateType(
                try evalFieldChain(dot: dot, receiver: receiver, fields[...], args: [], final: nil), type)
        case .bool, .number, .string:
            break
        }
        switch type {
        case .bool:
            if case .bool(let b, _) = n { return .bool(b) }
            throw fail("expected bool; found \(n.description)")
        case .float64:
            if case .number(let num, _) = n, let f = num.float { return .float(f) }
            throw fail("expected float; found \(n.description)")
        case .int, .int64:
            if case .number(let num, _) = n, let i = num.int { return .int(i, type == .int ? .int : .int64) }
            throw fail("expected integer; found \(n.description)")
        case .uint32:
            if case .number(let num, _) = n, let i = num.int, i >= 0 {
                return .int(Int64(UInt32(truncatingIfNeeded: i)), .int64)
            }
            throw fail("expected unsigned integer; found \(n.description)")
        case .string, .namedString:
            if case .string(let s, _) = n { return .string(s) }
            throw fail("expected string; found \(n.description)")
        case .any, .reflectValue, nil:
            switch n {
            case .bool(let b, _): return .bool(b)
            case .number(let num, _): return try idealConstant(num)
            case .string(let s, _): return .string(s)
            default: break
            }
        default:
            break
        }
        throw fail("can't handle \(n.description) for arg of type \(type?.goName ?? "<nil>")")
    }

    // MARK: - Printing

    private func printValue(_ v: Value) throws(ExecFailure) -> [UInt8] {
        if case .missing = v { return Array("<no value>".utf8) }
        do {
            return try formatValue(v, verb: "v").goBytes
        } catch {
            throw fail(error.description)
        }
    }
}
