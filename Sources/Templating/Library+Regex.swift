import GoCompat

/// Sprig's regular-expression functions, on Go's `regexp` (`GoRegexp`, RE2). The `must` forms
/// return the compile error; the others fail the template as Go's `MustCompile` panics, except
/// `regexMatch`, which is false for an invalid pattern.
extension Sprig {
    private static func compile(_ pattern: String) throws(TemplateFunctionError) -> GoRegexp {
        do {
            return try GoRegexp(pattern)
        } catch {
            throw TemplateFunctionError(error.message)
        }
    }

    /// A Go `[]string` result: a nil slice when Go returns nil.
    private static func stringSlice(_ items: [String]?) -> Value {
        items.map(Value.strings) ?? .list([], elem: .string, isNil: true)
    }

    static func registerRegex(into lib: inout FunctionLibrary) {
        lib.add("regexMatch", [.string, .string]) { a, _ in
            .bool((try? GoRegexp(a[0].stringValue))?.matchString(a[1].stringValue) ?? false)
        }
        lib.add("mustRegexMatch", [.string, .string]) { a, _ in
            .bool(try compile(a[0].stringValue).matchString(a[1].stringValue))
        }
        for prefix in ["", "must"] {
            func name(_ n: String) -> String { prefix.isEmpty ? n : prefix + n.prefix(1).uppercased() + n.dropFirst() }
            lib.add(name("regexFindAll"), [.string, .string, .int]) { a, _ in
                stringSlice(try compile(a[0].stringValue).findAllString(a[1].stringValue, a[2].intValue))
            }
            lib.add(name("regexFind"), [.string, .string]) { a, _ in
                .string(try compile(a[0].stringValue).findString(a[1].stringValue))
            }
            lib.add(name("regexReplaceAll"), [.string, .string, .string]) { a, _ in
                .string(try compile(a[0].stringValue).replaceAllString(a[1].stringValue, a[2].stringValue))
            }
            lib.add(name("regexReplaceAllLiteral"), [.string, .string, .string]) { a, _ in
                .string(try compile(a[0].stringValue).replaceAllLiteralString(a[1].stringValue, a[2].stringValue))
            }
            lib.add(name("regexSplit"), [.string, .string, .int]) { a, _ in
                stringSlice(try compile(a[0].stringValue).split(a[1].stringValue, a[2].intValue))
            }
        }
        lib.add("regexQuoteMeta", [.string]) { a, _ in .string(GoRegexp.quoteMeta(a[0].stringValue)) }
    }
}
