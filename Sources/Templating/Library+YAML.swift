import Foundation
import GoCompat
import Yams

extension Sprig {
    /// ESO's `toYaml` / `fromYaml` (Helm's: sigs.k8s.io/yaml, i.e. YAML via JSON). Values go through
    /// JSON semantics first, so integral floats print as integers and decoded numbers are float64.
    /// Caveat: emitted by libyaml (Yams), not go-yaml; quoting of unusual scalars may differ.
    static func registerYAML(into lib: inout FunctionLibrary) {
        lib.add("toYaml", [.any]) { a, _ in
            guard let node = try? yamlNode(a[0], depth: 0),
                let yaml = try? Yams.serialize(node: node, allowUnicode: true)
            else { return .string("") }
            var s = yaml
            if s.hasSuffix("\n") { s.removeLast() }
            return .string(s)
        }
        lib.add("fromYaml", [.string]) { a, _ in
            do {
                let loaded = try Yams.load(yaml: a[0].stringValue)
                if loaded == nil { return .dictionary([:]) }
                let v = fromYamlObject(loaded)
                guard case .map = v else {
                    return .dictionary([
                        "Error": .string(
                            "error unmarshaling JSON: json: cannot unmarshal \(v.goKindName) into Go value of type map[string]interface {}"
                        )
                    ])
                }
                return v
            } catch {
                return .dictionary(["Error": .string("error converting YAML to JSON: \(error)")])
            }
        }
    }

    struct YAMLUnsupported: Error {}

    /// The YAML node sigs.k8s.io/yaml would emit for a value: JSON first (so integral floats are
    /// integers), then go-yaml v2's choices: keys in its natural order, strings that would read
    /// back as another type double-quoted, multi-line strings in literal style.
    static func yamlNode(_ v: Value, depth: Int) throws -> Yams.Node {
        guard depth < 200 else { throw YAMLUnsupported() }
        switch v {
        case .missing, .null: return Yams.Node.scalar(.init("null"))
        case .time(let t): return yamlString(t.format("2006-01-02T15:04:05.999999999Z07:00"))
        case .bool(let b): return Yams.Node.scalar(.init(b ? "true" : "false"))
        case .int(let i, let t):
            return Yams.Node.scalar(.init(t.isUnsigned ? String(UInt64(bitPattern: i)) : String(i)))
        case .object(let o):
            switch o.jsonForm {
            case .string(let s): return yamlString(s)
            case .object(let fields):
                let sorted = fields.sorted { goYAMLKeyLess($0.0, $1.0) }
                return Yams.Node.mapping(
                    .init(try sorted.map { (yamlString($0.0), try yamlNode($0.1, depth: depth + 1)) }))
            }
        case .float(let f):
            guard let json = try? GoJSONEncoder.formatFloat(f) else { throw YAMLUnsupported() }
            if Int64(json) != nil || UInt64(json) != nil { return Yams.Node.scalar(.init(json)) }
            return Yams.Node.scalar(.init(goFormatFloat(Double(json) ?? f, "g", -1)))
        case .string(let s): return yamlString(s)
        case .bytes(let b): return yamlString(GoBase64.encode(b))
        case .list(let l, _, let isNil):
            if isNil { return Yams.Node.scalar(.init("null")) }
            return Yams.Node.sequence(.init(try l.map { try yamlNode($0, depth: depth + 1) }))
        case .map(let m):
            if m.isNil { return Yams.Node.scalar(.init("null")) }
            let entries = m.entries
            let keys = entries.keys.sorted(by: goYAMLKeyLess)
            return Yams.Node.mapping(
                .init(try keys.map { (yamlString($0), try yamlNode(entries[$0]!, depth: depth + 1)) }))
        }
    }

    static func yamlString(_ s: String) -> Yams.Node {
        if s.contains("\n") { return Yams.Node.scalar(.init(s, .implicit, .literal)) }
        let resolved = Resolver.default.resolveTag(of: Yams.Node.scalar(.init(s)))
        // go-yaml v2 also reads y/Y/n/N as booleans.
        if resolved != .str || ["y", "Y", "n", "N"].contains(s) {
            return Yams.Node.scalar(.init(s, .implicit, .doubleQuoted))
        }
        return Yams.Node.scalar(.init(s, .implicit, .plain))
    }

    /// go-yaml v2's map key order: runs of digits compare numerically, letters after other runes.
    static func goYAMLKeyLess(_ a: String, _ b: String) -> Bool {
        let ar = Array(a.unicodeScalars)
        let br = Array(b.unicodeScalars)
        func isLetter(_ r: Unicode.Scalar) -> Bool { r.properties.isAlphabetic && r.properties.numericType == nil }
        func isDigit(_ r: Unicode.Scalar) -> Bool { r.properties.numericType == .decimal }
        func digit(_ r: Unicode.Scalar) -> Int64 { Int64(r.properties.numericValue ?? 0) }
        var i = 0
        while i < ar.count && i < br.count {
            if ar[i] == br[i] {
                i += 1
                continue
            }
            let al = isLetter(ar[i])
            let bl = isLetter(br[i])
            if al && bl { return ar[i].value < br[i].value }
            if al || bl { return bl }
            var an: Int64 = 0
            var bn: Int64 = 0
            if ar[i] == "0" || br[i] == "0" {
                var j = i - 1
                while j >= 0 && isDigit(ar[j]) {
                    if ar[j] != "0" {
                        an = 1
                        bn = 1
                        break
                    }
                    j -= 1
                }
            }
            var ai = i
            while ai < ar.count && isDigit(ar[ai]) {
                an = an &* 10 &+ digit(ar[ai])
                ai += 1
            }
            var bi = i
            while bi < br.count && isDigit(br[bi]) {
                bn = bn &* 10 &+ digit(br[bi])
                bi += 1
            }
            if an != bn { return an < bn }
            if ai != bi { return ai < bi }
            return ar[i].value < br[i].value
        }
        return ar.count < br.count
    }

    static func fromYamlObject(_ o: Any?) -> Value {
        switch o {
        case nil: return .null
        case let b as Bool: return .bool(b)
        case let i as Int: return .float(Double(i))
        case let d as Double: return .float(d)
        case let s as String: return .string(s)
        case let l as [Any]: return .list(l.map { fromYamlObject($0) })
        case let m as [String: Any]: return .dictionary(m.mapValues { fromYamlObject($0) })
        case let m as [AnyHashable: Any]:
            var out: [String: Value] = [:]
            for (k, v) in m { out["\(k.base)"] = fromYamlObject(v) }
            return .dictionary(out)
        case is NSNull: return .null
        default: return .string("\(o!)")
        }
    }
}
