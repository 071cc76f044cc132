public import KubeModel

/// Which namespaces a ClusterExternalSecret or ClusterPushSecret chooses: any namespace matching
/// one of the label selectors, or named in `names` (ESO's deprecated `namespaces[]`; ESO matches
/// them through the `kubernetes.io/metadata.name` label, which Kubernetes 1.20 does not set yet,
/// so here they match by name). No selector and no name chooses nothing; an empty selector `{}`
/// chooses every namespace, as the API server reads it.
///
/// Pure: built and checked without I/O (`validated`), so a bad selector is reported before
/// anything is created, and never silently matches nothing (`LabelSelector.matches` alone would
/// read an unknown operator as "no match").
public struct NamespaceSelection: Sendable, Hashable {
    public var selectors: [LabelSelector]
    public var names: [String]

    public init(selectors: [LabelSelector], names: [String] = []) {
        self.selectors = selectors
        self.names = names
    }

    /// Whether namespace `name` with `labels` is chosen.
    public func matches(name: String, labels: [String: String]) -> Bool {
        names.contains(name) || selectors.contains { $0.matches(labels) }
    }

    /// Throws the first selector the API server would refuse (`metav1.LabelSelectorAsSelector`'s
    /// rules), naming its field: `fields[i]` is the spec path of `selectors[i]`.
    public func validate(fields: [String]) throws(InvalidSpec) {
        for (index, selector) in selectors.enumerated() {
            let field = index < fields.count ? fields[index] : "selector[\(index)]"
            try Self.validate(selector, field: field)
        }
    }

    static func validate(_ selector: LabelSelector, field: String) throws(InvalidSpec) {
        for (key, value) in (selector.matchLabels ?? [:]).sorted(by: { $0.key < $1.key }) {
            if let problem = LabelSyntax.keyProblem(key) {
                throw InvalidSpec("\(field).matchLabels: key \"\(key)\" \(problem)")
            }
            if let problem = LabelSyntax.valueProblem(value) {
                throw InvalidSpec("\(field).matchLabels[\(key)]: value \"\(value)\" \(problem)")
            }
        }
        for (index, requirement) in (selector.matchExpressions ?? []).enumerated() {
            let path = "\(field).matchExpressions[\(index)]"
            if let problem = LabelSyntax.keyProblem(requirement.key) {
                throw InvalidSpec("\(path): key \"\(requirement.key)\" \(problem)")
            }
            let values = requirement.values ?? []
            switch requirement.operator {
            case "In", "NotIn":
                if values.isEmpty {
                    throw InvalidSpec("\(path): operator \(requirement.operator) needs at least one value")
                }
            case "Exists", "DoesNotExist":
                if !values.isEmpty {
                    throw InvalidSpec("\(path): operator \(requirement.operator) takes no values")
                }
            default:
                throw InvalidSpec(
                    "\(path): unknown operator \"\(requirement.operator)\" (use In, NotIn, Exists or DoesNotExist)")
            }
            for value in values {
                if let problem = LabelSyntax.valueProblem(value) {
                    throw InvalidSpec("\(path): value \"\(value)\" \(problem)")
                }
            }
        }
    }
}

/// Kubernetes' syntax of label keys and values and of object names, as the API server checks them.
public enum LabelSyntax {
    /// Why `key` is not a label key (`[prefix/]name`), or nil when it is one.
    public static func keyProblem(_ key: String) -> String? {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return "has more than one \"/\"" }
        let name = String(parts.last ?? "")
        if parts.count == 2 {
            let prefix = String(parts[0])
            if !isDNSSubdomain(prefix) { return "has a prefix that is not a DNS subdomain" }
        }
        if name.isEmpty { return "has an empty name" }
        if name.utf8.count > 63 { return "has a name longer than 63 characters" }
        if !isLabelName(name) {
            return "must consist of letters, digits, '-', '_' or '.', and start and end with a letter or digit"
        }
        return nil
    }

    /// Why `value` is not a label value, or nil when it is one (the empty value is one).
    public static func valueProblem(_ value: String) -> String? {
        if value.isEmpty { return nil }
        if value.utf8.count > 63 { return "is longer than 63 characters" }
        if !isLabelName(value) {
            return "must consist of letters, digits, '-', '_' or '.', and start and end with a letter or digit"
        }
        return nil
    }

    /// `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`
    static func isLabelName(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, let last = bytes.last, isAlphanumeric(first), isAlphanumeric(last) else {
            return false
        }
        return bytes.allSatisfy {
            isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
        }
    }

    /// A DNS-1123 subdomain: at most 253 characters, dot-separated labels of lower-case letters,
    /// digits and '-', each starting and ending with a letter or digit. Most object names are one.
    public static func isDNSSubdomain(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 253 else { return false }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            let bytes = Array(label.utf8)
            guard let first = bytes.first, let last = bytes.last else { return false }
            let isLowerAlphanumeric: (UInt8) -> Bool = { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) }
            return isLowerAlphanumeric(first) && isLowerAlphanumeric(last)
                && bytes.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") }
        }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
    }
}
