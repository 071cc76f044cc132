public import ExternalSecretsAPI
import Foundation
import GoCompat
public import ProviderKit
public import Templating

// MARK: - Rewrite

extension SecretDataPipeline {
    /// ESO's `RewriteMap`: the steps applied in order, each to the previous step's output.
    ///
    /// - `regexp`: Go's `ReplaceAllString(key, target)` on every key (`$1`, `${1}`, `$name`,
    ///   `${name}`, `$$`; `$1x` names the group `1x`, which is empty), on RE2 (`GoRegexp`).
    /// - `transform`: every key rendered through a Go template with `.value` = the key and ESO's
    ///   function library; time and random functions use `environment` (ESO's transform has the
    ///   clock and randomness of its target templates).
    /// - `merge`: the values parsed as JSON objects and merged, as ESO's `RewriteMerge`.
    ///
    /// When two keys map to the same new key, ESO keeps whichever its random map order writes
    /// last; here the keys are processed in byte order, so the greatest original key wins.
    public static func rewrite(
        _ data: SecretData, _ steps: [ExternalSecretRewrite], environment: RenderEnvironment = .pure
    ) throws(ProviderError) -> SecretData {
        var out = data
        for (index, step) in steps.enumerated() {
            do throws(ProviderError) {
                if let merge = step.merge {
                    out = try rewriteMerge(out, merge)
                } else if let regexp = step.regexp {
                    out = try rewriteRegexp(out, regexp)
                } else if let transform = step.transform {
                    out = try rewriteTransform(out, transform, environment: environment)
                }
            } catch {
                throw ProviderError(
                    error.code, "error applying rewrite to keys: failed rewrite operation[\(index)]: \(error.message)")
            }
        }
        return out
    }

    static func rewriteRegexp(_ data: SecretData, _ op: RewriteRegexp) throws(ProviderError) -> SecretData {
        let regexp: GoRegexp
        do {
            regexp = try GoRegexp(op.source)
        } catch {
            throw .invalidConfiguration("regexp failed with failed to compile: \(error.message)")
        }
        var out: SecretData = [:]
        for key in PipelineText.sorted(data.keys) {
            out[regexp.replaceAllString(key, op.target)] = data[key]
        }
        return out
    }

    static func rewriteTransform(
        _ data: SecretData, _ op: RewriteTransform, environment: RenderEnvironment
    ) throws(ProviderError) -> SecretData {
        let template: Template
        do {
            template = try Template(name: "transform", text: op.template, functions: .eso)
        } catch {
            throw .invalidConfiguration("transform failed with failed to parse template: \(error.description)")
        }
        var out: SecretData = [:]
        for key in PipelineText.sorted(data.keys) {
            let rendered: [UInt8]
            do {
                rendered = try template.renderBytes(.stringMap(["value": key]), environment: environment)
            } catch {
                throw .invalidConfiguration(
                    "transform failed with failed to execute template for key \(GoQuote.quote(key)): \(error.description)")
            }
            out[String(decoding: rendered, as: UTF8.self)] = data[key]
        }
        return out
    }
}

// MARK: - Merge

extension SecretDataPipeline {
    /// ESO's `RewriteMerge`. Every value (non-priority keys in byte order, then `priority` keys in
    /// their order) is read as a JSON object and its top-level entries merged, later ones winning.
    /// A key merged twice is a conflict (an error unless `conflictPolicy: Ignore`). `Extract`
    /// (default) replaces the data with the merged entries (strings as is, numbers in Go's `%f`
    /// shortest form, objects and arrays as Go's `json.Marshal`); `JSON` keeps the data and adds the
    /// merged object, marshalled without HTML escaping, under `into`.
    static func rewriteMerge(_ data: SecretData, _ op: RewriteMerge) throws(ProviderError) -> SecretData {
        let priority = op.priority ?? []
        let keys = PipelineText.sorted(data.keys.filter { !priority.contains($0) }) + priority
        var merged: [String: Value] = [:]
        var conflicts: [String] = []
        for key in keys {
            guard let value = data[key] else {
                if op.priorityPolicy == "IgnoreNotFound" { continue }
                throw ProviderError(.invalidData, "merge failed with key \(GoQuote.quote(key)) not found in input map")
            }
            let object: [String: Value]
            switch try? Value.parseJSON(String(decoding: value, as: UTF8.self), numbers: .float64) {
            case .map(let map)?: object = map.entries
            case .null?: object = [:]
            default:
                throw ProviderError(.invalidData, "merge failed: the value of key \(GoQuote.quote(key)) is not a JSON object")
            }
            for name in PipelineText.sorted(object.keys) {
                if merged[name] != nil { conflicts.append(name) }
                merged[name] = object[name]
            }
        }
        if op.conflictPolicy != "Ignore" && !conflicts.isEmpty {
            throw ProviderError(.invalidData, "merge failed with conflicts: \(conflicts.joined(separator: ", "))")
        }
        switch op.strategy ?? "Extract" {
        case "Extract", "":
            var out: SecretData = [:]
            for (name, value) in merged {
                out[name] = Data(try byteValue(value))
            }
            return out
        case "JSON":
            guard let into = op.into, !into.isEmpty else {
                throw ProviderError(.invalidConfiguration, "merge failed with missing 'into' field")
            }
            var out = data
            out[into] = Data(try marshal(.dictionary(merged), function: "toRawJson"))
            return out
        default:
            return [:]
        }
    }

    /// ESO's `GetByteValue` for a value Go's `encoding/json` decoded into `interface{}`.
    static func byteValue(_ value: Value) throws(ProviderError) -> [UInt8] {
        switch value {
        case .string(let s): return s.goBytes
        case .float(let f): return Array(GoFloat.formatF(f).utf8)
        case .int(let i, _): return Array(String(i).utf8)
        case .bool(let b): return Array((b ? "true" : "false").utf8)
        case .null, .missing: return []
        default: return try marshal(value, function: "toJson")
        }
    }

    /// Go's `json.Marshal` (`toJson`) or ESO's `JSONMarshal` (`toRawJson`), through the template
    /// engine's Go-compatible encoder.
    static func marshal(_ value: Value, function: String) throws(ProviderError) -> [UInt8] {
        do {
            let template = try Template(name: "marshal", text: "{{ \(function) .v }}", functions: .eso)
            return try template.renderBytes(.dictionary(["v": value]))
        } catch {
            throw ProviderError(.invalidData, "merge failed with failed to marshal merged map")
        }
    }
}
