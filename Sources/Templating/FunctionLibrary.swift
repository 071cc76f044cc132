/// The Go parameter type a template function declares. The engine converts and checks arguments
/// exactly as Go's `text/template` does for a function with that Go signature, so templates that
/// pass the wrong kind of value fail here where they fail in Go.
public enum ParameterType: Sendable, Hashable {
    /// `interface{}`: anything; a missing value arrives as `.null`.
    case any
    case string
    /// Go `int`.
    case int
    /// Go `int64`.
    case int64
    /// Go `uint32` (only unsigned literals convert to it).
    case uint32
    case float64
    case bool
    /// `[]interface{}`
    case anyList
    /// `[]string`
    case stringList
    /// `map[string]interface{}`
    case anyMap
    /// `reflect.Value` (Go's builtins): anything, a missing value arrives as `.missing`.
    case reflectValue
    /// `time.Time`
    case time
    /// A named Go struct or pointer type (`sprig.certificate`, `*semver.Version`): only a value of
    /// exactly that type converts; a pointer type also takes `nil`.
    case named(String)
    /// A named Go type whose kind is string (`sprig.HashAlgorithm`): Go converts only string
    /// literals to it, never a string value.
    case namedString(String)

    var goName: String {
        switch self {
        case .any: "interface {}"
        case .string: "string"
        case .int: "int"
        case .int64: "int64"
        case .uint32: "uint32"
        case .float64: "float64"
        case .bool: "bool"
        case .anyList: "[]interface {}"
        case .stringList: "[]string"
        case .anyMap: "map[string]interface {}"
        case .reflectValue: "reflect.Value"
        case .time: "time.Time"
        case .named(let name), .namedString(let name): name
        }
    }

    /// Go's `canBeNil`.
    var canBeNil: Bool {
        switch self {
        case .any, .anyList, .stringList, .anyMap, .reflectValue: true
        case .named(let name): name.hasPrefix("*")
        default: false
        }
    }
}

/// What a function may consult while running: the render's limits and whatever the caller injected
/// through `RenderEnvironment`, never the outside world directly.
public struct FunctionContext: Sendable {
    /// The largest string or collection a function may build, in bytes or elements.
    public var maxValueSize: Int
    /// Random bytes, when the caller provided a source.
    public var randomBytes: (@Sendable (Int) -> [UInt8])?
    /// The current time, when the caller provided a clock.
    public var now: (@Sendable () -> GoTime)?

    /// The current time, or an error when the render has no clock.
    public func currentTime() throws -> GoTime {
        guard let now else { throw TemplateFunctionError("no clock: pass RenderEnvironment(now:) to render") }
        return now()
    }

    /// `count` random bytes, or an error when the render has no random source.
    public func random(_ count: Int) throws -> [UInt8] {
        guard let randomBytes else {
            throw TemplateFunctionError("no random source: pass RenderEnvironment(randomBytes:) to render")
        }
        return randomBytes(count)
    }
}

/// Capabilities a caller may grant a render. The default grants none, so renders stay pure and
/// deterministic; functions that need a missing capability fail with an error.
public struct RenderEnvironment: Sendable {
    /// Returns `count` random bytes (for randAlphaNum, uuidv4, encryptAES, ...).
    public var randomBytes: (@Sendable (Int) -> [UInt8])?
    /// Returns the current time (for now, ago, and date of a non-time value).
    public var now: (@Sendable () -> GoTime)?

    public init(randomBytes: (@Sendable (Int) -> [UInt8])? = nil, now: (@Sendable () -> GoTime)? = nil) {
        self.randomBytes = randomBytes
        self.now = now
    }

    /// No capabilities.
    public static let pure = RenderEnvironment()

    /// Random bytes from the system's cryptographically secure generator.
    public static let systemRandom = RenderEnvironment(randomBytes: systemRandomBytes)

    /// The system's random generator and wall clock, for production renders.
    public static let system = RenderEnvironment(randomBytes: systemRandomBytes, now: { GoTime.systemNow() })

    private static let systemRandomBytes: @Sendable (Int) -> [UInt8] = { count in
        var rng = SystemRandomNumberGenerator()
        return (0..<max(0, count)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }
}

/// An error a template function reports; the engine wraps it as Go does
/// (`error calling NAME: MESSAGE`).
public struct TemplateFunctionError: Error, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

/// One template function: its Go-like signature and its body.
public struct TemplateFunction: Sendable {
    public var parameters: [ParameterType]
    /// Element type of a trailing `...T` parameter, if the function is variadic.
    public var variadic: ParameterType?
    public var body: @Sendable ([Value], FunctionContext) throws -> Value

    public init(
        _ parameters: [ParameterType], variadic: ParameterType? = nil,
        body: @escaping @Sendable ([Value], FunctionContext) throws -> Value
    ) {
        self.parameters = parameters
        self.variadic = variadic
        self.body = body
    }
}

/// A name → function map, like Go's `template.FuncMap`. Functions here shadow Go's builtins of the
/// same name, as in Go.
public struct FunctionLibrary: Sendable {
    public private(set) var functions: [String: TemplateFunction] = [:]

    public init() {}

    public subscript(name: String) -> TemplateFunction? {
        get { functions[name] }
        set { functions[name] = newValue }
    }

    /// Adds every function of `other`, replacing same-named ones.
    public mutating func merge(_ other: FunctionLibrary) {
        functions.merge(other.functions) { _, new in new }
    }

    /// Removes a function.
    public mutating func remove(_ name: String) {
        functions[name] = nil
    }

    mutating func add(
        _ name: String, _ parameters: [ParameterType], variadic: ParameterType? = nil,
        _ body: @escaping @Sendable ([Value], FunctionContext) throws -> Value
    ) {
        functions[name] = TemplateFunction(parameters, variadic: variadic, body: body)
    }
}
