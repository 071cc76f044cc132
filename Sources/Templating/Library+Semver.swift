extension Sprig {
    /// sprig's `semver` and `semverCompare` as ESO's copy has them: semver's parse errors become
    /// ESO's fixed messages.
    static func registerSemver(into lib: inout FunctionLibrary) {
        lib.add("semver", [.string]) { a, _ in
            guard let v = try? SemanticVersion.parse(a[0].stringValue) else {
                throw TemplateFunctionError("invalid version")
            }
            return .object(.semver(v))
        }
        lib.add("semverCompare", [.string, .string]) { a, _ in
            guard let constraints = try? SemverConstraints.parse(a[0].stringValue) else {
                throw TemplateFunctionError("invalid version constraint")
            }
            guard let v = try? SemanticVersion.parse(a[1].stringValue) else {
                throw TemplateFunctionError("invalid version")
            }
            return .bool(constraints.check(v))
        }
    }
}
