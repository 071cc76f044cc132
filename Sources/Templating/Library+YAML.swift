import Foundation
import Yams

extension Sprig {
    /// ESO's `toYaml` / `fromYaml` (Helm's: sigs.k8s.io/yaml, i.e. YAML via JSON). Values go through
    /// JSON semantics first, so integral floats print as integers and decoded numbers are float64.
    /// Caveat: emitted by libyaml (Yams), not go-yaml; quoting of unusual scalars may differ.
    static func registerYAML(into lib: inout FunctionLibrary) {
        lib.add("toYaml", [.any]) { a, _ in
            guard let yaml = try? Yams.dump(object: yamlObject(a[0]), sortKeys: true) else { return .string("") }
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

    static func yamlObject(_ v: Value) -> Any? {
        switch v {
        case .missing, .null: return nil
        case .bool(let b): return b
        case .int(let i, _): return Int(i)
        case .float(let f):
            if f.rounded(.towardZero) == f, abs(f) < 1e15 { return Int(f) }
            return f
        case .string(let s): return s
        case .bytes(let b): return base64Encode(b)
        case .list(let l, _, let isNil): return isNil ? nil : l.map { yamlObject($0) as Any }
        case .map(let m): return m.isNil ? nil : m.entries.mapValues { yamlObject($0) as Any }
        }
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
