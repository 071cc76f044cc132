import Foundation
public import KubeModel
public import ProviderKit

/// A KES `spec.template`, parsed: what it merges into the Secret. KES ran lodash templates
/// (arbitrary JavaScript); this operator accepts only the interpolation KES manifests use,
/// `<%= data.<name> %>` (or `data['<name>']`), the fetched value of Secret key `<name>`. Any other
/// `<% %>` construct is refused when the object is mapped, so no expression is ever evaluated.
///
/// Merged: `metadata.labels`, `metadata.annotations`, `type`, and the strings of `data` and
/// `stringData` (both written as the rendered text's bytes, later keys winning over fetched ones).
public struct KESTemplate: Sendable, Hashable {
    /// A piece of a template string.
    public enum Segment: Sendable, Hashable {
        case text(String)
        /// The fetched value of this Secret key.
        case value(of: String)
    }

    public var labels: [String: String]
    public var annotations: [String: String]
    public var type: String?
    /// `data` and `stringData` entries (stringData last, so it wins as in Kubernetes).
    public var entries: [(key: String, segments: [Segment])]

    public static func == (lhs: KESTemplate, rhs: KESTemplate) -> Bool {
        lhs.labels == rhs.labels && lhs.annotations == rhs.annotations && lhs.type == rhs.type
            && lhs.entries.map(\.key) == rhs.entries.map(\.key) && lhs.entries.map(\.segments) == rhs.entries.map(\.segments)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(labels)
        hasher.combine(annotations)
        hasher.combine(type)
        for entry in entries {
            hasher.combine(entry.key)
            hasher.combine(entry.segments)
        }
    }

    /// Why a template cannot be used (the message names fields and keys, never values).
    public struct Problem: Error, Sendable, Hashable {
        public var message: String
        init(_ message: String) { self.message = message }
    }

    public init(parsing template: JSONValue) throws(Problem) {
        guard case .object(let members) = template else { throw Problem("must be an object") }
        let known: Set<String> = ["metadata", "type", "data", "stringData"]
        if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) {
            throw Problem("field \(unknown) is not supported (metadata, type, data and stringData are)")
        }
        labels = [:]
        annotations = [:]
        if let metadata = members["metadata"] {
            guard case .object(let fields) = metadata else { throw Problem("metadata must be an object") }
            labels = try Self.strings(fields["labels"], field: "metadata.labels")
            annotations = try Self.strings(fields["annotations"], field: "metadata.annotations")
        }
        switch members["type"] {
        case nil, .null?: type = nil
        case .string(let text)?: type = text
        default: throw Problem("type must be a string")
        }
        entries = []
        for section in ["data", "stringData"] {
            for (key, text) in try Self.strings(members[section], field: section).sorted(by: { $0.key < $1.key }) {
                do throws(Problem) {
                    entries.append((key, try Self.segments(of: text)))
                } catch {
                    throw Problem("\(section).\(key): \(error.message)")
                }
            }
        }
    }

    /// The Secret content the template gives over `data` (the fetched values).
    public func render(over data: SecretData, defaultType: String?) throws(Problem) -> RenderedTarget {
        var result = data
        for entry in entries {
            var bytes = Data()
            for segment in entry.segments {
                switch segment {
                case .text(let text): bytes.append(contentsOf: Array(text.utf8))
                case .value(let name):
                    guard let value = data[name] else {
                        throw Problem("\(entry.key) interpolates data.\(name), which is not a fetched key")
                    }
                    bytes.append(value)
                }
            }
            result[entry.key] = bytes
        }
        return RenderedTarget(data: result, labels: labels, annotations: annotations, type: type ?? defaultType)
    }

    /// Splits a template string into text and `<%= data.<name> %>` interpolations.
    static func segments(of text: String) throws(Problem) -> [Segment] {
        var segments: [Segment] = []
        var rest = Substring(text)
        while let open = rest.range(of: "<%") {
            if open.lowerBound > rest.startIndex { segments.append(.text(String(rest[..<open.lowerBound]))) }
            let afterOpen = rest[open.upperBound...]
            guard afterOpen.first == "=" else {
                throw Problem("only <%= data.<name> %> interpolations are supported; other <% %> code is not run")
            }
            guard let close = afterOpen.range(of: "%>") else { throw Problem("an interpolation is not closed with %>") }
            let expression = afterOpen[afterOpen.index(after: afterOpen.startIndex)..<close.lowerBound]
                .trimmingCharacters(in: .whitespaces)
            guard let name = dataReference(expression) else {
                throw Problem("only <%= data.<name> %> interpolations are supported; other expressions are not evaluated")
            }
            segments.append(.value(of: name))
            rest = afterOpen[close.upperBound...]
        }
        if !rest.isEmpty { segments.append(.text(String(rest))) }
        return segments
    }

    /// The key an expression `data.<name>`, `data['<name>']` or `data["<name>"]` reads; nil for
    /// anything else.
    static func dataReference(_ expression: String) -> String? {
        if expression.hasPrefix("data.") {
            let name = expression.dropFirst(5)
            let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "_$"))
            guard !name.isEmpty, name.unicodeScalars.allSatisfy({ allowed.contains($0) && $0.isASCII }) else { return nil }
            return String(name)
        }
        for quote in ["'", "\""] where expression.hasPrefix("data[\(quote)") && expression.hasSuffix("\(quote)]") {
            let name = expression.dropFirst(6).dropLast(2)
            guard !name.isEmpty, !name.contains(Character(quote)), !name.contains("\\") else { return nil }
            return String(name)
        }
        return nil
    }

    private static func strings(_ value: JSONValue?, field: String) throws(Problem) -> [String: String] {
        switch value {
        case nil, .null?: return [:]
        case .object(let members)?:
            var result: [String: String] = [:]
            for (key, member) in members {
                guard case .string(let text) = member else { throw Problem("\(field).\(key) must be a string") }
                result[key] = text
            }
            return result
        default: throw Problem("\(field) must be an object of strings")
        }
    }
}
