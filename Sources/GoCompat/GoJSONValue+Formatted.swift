extension GoJSONValue {
    /// `fmt.Sprintf("%v", x)` of the value as `json.Unmarshal` decodes it into `interface{}`
    /// (numbers as float64): strings as they are, numbers as `strconv.FormatFloat(f, 'g', -1, 64)`
    /// (`20`, `1e+06`), `[a b]` for arrays, `map[k:v]` with keys sorted for objects, `<nil>` for
    /// null. ESO's IBM provider writes every field of a secret so with `metadataPolicy: Fetch`.
    public func formatted() -> String {
        switch self {
        case .null: return "<nil>"
        case .bool(let flag): return flag ? "true" : "false"
        case .string(let text): return text
        case .number(let text): return Double(text).map(GoJSONNumber.shortest) ?? text
        case .array(let items): return "[" + items.map { $0.formatted() }.joined(separator: " ") + "]"
        case .object(let fields):
            let keys = fields.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            return "map[" + keys.map { "\($0):\(fields[$0]!.formatted())" }.joined(separator: " ") + "]"
        }
    }
}
