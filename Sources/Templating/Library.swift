extension FunctionLibrary {
    /// Go's builtins only (what `template.New` offers without `Funcs`).
    public static let goBuiltins = FunctionLibrary()

    /// The functions ESO 2.9 offers: its sprig subset plus its own, minus anything that reaches the
    /// network, environment, files or clock.
    public static let eso: FunctionLibrary = {
        var lib = FunctionLibrary()
        Sprig.registerStrings(into: &lib)
        return lib
    }()
}

enum Sprig {
    static func registerStrings(into lib: inout FunctionLibrary) {
        lib.add("upper", [.string]) { a, _ in .string(a[0].stringValue.uppercased()) }
    }
}

extension Value {
    /// The payload of a `.string`; empty for anything else (callers have type-checked).
    var stringValue: String {
        if case .string(let s) = self { return s }
        return ""
    }
}
