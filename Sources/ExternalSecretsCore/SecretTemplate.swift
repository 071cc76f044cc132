public import ExternalSecretsAPI
public import Foundation
import KubeModel
public import ProviderKit
public import Templating
import Yams

/// What `spec.target.template` produced: the Secret's data, and the labels and annotations the
/// template sets (which replace the ExternalSecret's own labels and annotations on the Secret).
public struct RenderedTarget: Sendable, Equatable {
    public var data: SecretData
    public var labels: [String: String]
    public var annotations: [String: String]
    /// `template.type`, when set.
    public var type: String?

    public init(data: SecretData, labels: [String: String] = [:], annotations: [String: String] = [:], type: String? = nil) {
        self.data = data
        self.labels = labels
        self.annotations = annotations
        self.type = type
    }
}

/// The contents of the ConfigMaps and Secrets `templateFrom` names, read by the reconciler (in the
/// ExternalSecret's own namespace only) before rendering.
public struct TemplateSources: Sendable {
    public var configMaps: [String: [String: String]]
    public var secrets: [String: SecretData]

    public init(configMaps: [String: [String: String]] = [:], secrets: [String: SecretData] = [:]) {
        self.configMaps = configMaps
        self.secrets = secrets
    }
}

/// A template that cannot be rendered; the message names the template key and never contains a
/// fetched value.
public struct TemplateRenderError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// Renders `spec.target.template` (engineVersion v2) as ESO does. Pure: sources are passed in,
/// and rendering has no clock (time functions see none) and is bounded by `limits`.
///
/// ESO's semantics: templates see the fetched data as a map of strings (`.key`, `index . "a-b"`),
/// a missing key is an error; `templateFrom` entries are applied in order, then `template.data`
/// (which wins); `templateAs: Values` renders an item into the key of the same name,
/// `KeysAndValues` (and `literal`) render to YAML whose keys and values are added; `target` picks
/// Data, Annotations or Labels; with no data templates the fetched data is kept; `mergePolicy:
/// Merge` keeps fetched keys under the rendered ones, `Replace` does not.
public struct SecretTemplateRenderer: Sendable {
    public var limits: RenderLimits
    public var leftDelimiter: String
    public var rightDelimiter: String
    /// What the templates may consult: the operator passes `.eso(now:)`, its random source and
    /// clock; without a clock `now`, `ago` and `genSelfSignedCert` fail.
    public var environment: RenderEnvironment

    public init(
        limits: RenderLimits = RenderLimits(), leftDelimiter: String = "", rightDelimiter: String = "",
        environment: RenderEnvironment = .systemRandom
    ) {
        self.limits = limits
        self.leftDelimiter = leftDelimiter
        self.rightDelimiter = rightDelimiter
        self.environment = environment
    }

    private enum Target: String {
        case data = "Data"
        case annotations = "Annotations"
        case labels = "Labels"
    }

    public func render(
        _ template: ExternalSecretTemplate, data: SecretData, sources: TemplateSources
    ) throws(TemplateRenderError) -> RenderedTarget {
        if let engine = template.engineVersion, !engine.isEmpty, engine != "v2" {
            throw TemplateRenderError("spec.target.template.engineVersion \"\(engine)\" is not supported (only v2)")
        }
        // ESO passes `string(value)`: Go strings are bytes, so binary values (keystores, DER)
        // reach the templates and the output unchanged, never as U+FFFD.
        let values = Value.stringMap(data.mapValues { String(goBytes: $0) })
        var rendered: [Target: [String: Data]] = [:]

        for (index, entry) in (template.templateFrom ?? []).enumerated() {
            let field = "spec.target.template.templateFrom[\(index)]"
            guard let target = Target(rawValue: entry.target ?? "Data") else {
                throw TemplateRenderError("\(field).target must be Data, Annotations or Labels")
            }
            var items: [(key: String, text: String, keysAndValues: Bool)] = []
            if let ref = entry.configMap {
                guard let contents = sources.configMaps[ref.name] else {
                    throw TemplateRenderError("\(field).configMap: ConfigMap \"\(ref.name)\" not found")
                }
                for item in ref.items {
                    guard let text = contents[item.key] else {
                        throw TemplateRenderError("\(field).configMap: ConfigMap \"\(ref.name)\" has no key \"\(item.key)\"")
                    }
                    items.append((item.key, text, item.templateAs == "KeysAndValues"))
                }
            }
            if let ref = entry.secret {
                guard let contents = sources.secrets[ref.name] else {
                    throw TemplateRenderError("\(field).secret: Secret \"\(ref.name)\" not found")
                }
                for item in ref.items {
                    guard let bytes = contents[item.key] else {
                        throw TemplateRenderError("\(field).secret: Secret \"\(ref.name)\" has no key \"\(item.key)\"")
                    }
                    items.append((item.key, String(decoding: bytes, as: UTF8.self), item.templateAs == "KeysAndValues"))
                }
            }
            if let literal = entry.literal {
                items.append(("literal", literal, true))
            }
            for item in items {
                let output = try execute(name: item.key, text: item.text, values: values, field: field)
                if item.keysAndValues {
                    for (key, value) in try keysAndValues(output, field: field, key: item.key) {
                        rendered[target, default: [:]][key] = value
                    }
                } else {
                    rendered[target, default: [:]][item.key] = output
                }
            }
        }
        for key in (template.data ?? [:]).keys.sorted() {
            let text = template.data?[key] ?? ""
            rendered[.data, default: [:]][key] = try execute(
                name: key, text: text, values: values, field: "spec.target.template.data")
        }
        var labels: [String: String] = [:]
        for (key, text) in template.metadata?.labels ?? [:] {
            labels[key] = String(
                decoding: try execute(name: key, text: text, values: values, field: "spec.target.template.metadata.labels"),
                as: UTF8.self)
        }
        var annotations: [String: String] = [:]
        for (key, text) in template.metadata?.annotations ?? [:] {
            annotations[key] = String(
                decoding: try execute(
                    name: key, text: text, values: values, field: "spec.target.template.metadata.annotations"),
                as: UTF8.self)
        }
        for (key, value) in rendered[.labels] ?? [:] { labels[key] = String(decoding: value, as: UTF8.self) }
        for (key, value) in rendered[.annotations] ?? [:] { annotations[key] = String(decoding: value, as: UTF8.self) }

        let hasDataTemplates = !(template.data ?? [:]).isEmpty || (template.templateFrom ?? []).contains { ($0.target ?? "Data") == "Data" }
        var secretData: SecretData
        if !hasDataTemplates {
            secretData = data
        } else if template.mergePolicy == .merge {
            secretData = data.merging(rendered[.data] ?? [:]) { _, rendered in rendered }
        } else {
            secretData = rendered[.data] ?? [:]
        }
        secretData = secretData.filter { !$0.key.isEmpty }
        return RenderedTarget(
            data: secretData, labels: labels, annotations: annotations,
            type: template.type.flatMap { $0.isEmpty ? nil : $0 })
    }

    private func execute(name: String, text: String, values: Value, field: String) throws(TemplateRenderError) -> Data {
        do {
            let template = try Template(
                name: name, text: text, leftDelimiter: leftDelimiter, rightDelimiter: rightDelimiter, missingKey: .error)
            return Data(try template.renderBytes(values, limits: limits, environment: environment))
        } catch {
            // Go's messages quote template text and positions, not the data.
            let reason = error.kind == .limitExceeded ? "exceeds the render limits" : "failed"
            throw TemplateRenderError("\(field): template \"\(name)\" \(reason): \(error.message)")
        }
    }

    /// A `KeysAndValues` output: a YAML map whose keys and values are added to the target.
    private func keysAndValues(_ output: Data, field: String, key: String) throws(TemplateRenderError) -> [String: Data] {
        let text = String(decoding: output, as: UTF8.self)
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return [:] }
        let parsed: Any?
        do {
            parsed = try Yams.load(yaml: text)
        } catch {
            throw TemplateRenderError("\(field): the output of template \"\(key)\" is not a YAML map")
        }
        guard let map = parsed as? [String: Any] else {
            throw TemplateRenderError("\(field): the output of template \"\(key)\" is not a YAML map")
        }
        var result: [String: Data] = [:]
        for (name, value) in map {
            switch value {
            case is [Any], is [String: Any]:
                throw TemplateRenderError("\(field): template \"\(key)\" produced a nested value for key \"\(name)\"; only scalars are allowed")
            case is NSNull:
                result[name] = Data()
            default:
                result[name] = Data("\(value)".utf8)
            }
        }
        return result
    }
}

extension RenderLimits {
    /// Limits of one render that stops once `timeBudget` has passed on `clock`, counted from this
    /// call, or when its task is cancelled (reconcile deadline, shutdown).
    public static func budgeted<C: Clock>(maxOutputBytes: Int, timeBudget: Duration, clock: C) -> RenderLimits
    where C.Duration == Duration {
        let deadline = clock.now.advanced(by: timeBudget)
        return RenderLimits(maxOutputBytes: maxOutputBytes, shouldAbort: { Task.isCancelled || clock.now > deadline })
    }
}

extension RenderEnvironment {
    /// What ESO's templates may use (sprig's `now`, `randAlphaNum`, ...): the system's random
    /// generator and the operator's injected clock, read at each call of a time function.
    public static func eso(now: @escaping @Sendable () -> Date) -> RenderEnvironment {
        RenderEnvironment(randomBytes: RenderEnvironment.systemRandom.randomBytes, now: { GoTime(instant: now()) })
    }
}

extension GoTime {
    /// The instant `date`, in UTC (Go's `time.Time` in a container whose local zone is UTC).
    init(instant date: Date) {
        let interval = date.timeIntervalSince1970
        let whole = interval.rounded(.down)
        let nanoseconds = min(999_999_999, max(0, ((interval - whole) * 1e9).rounded()))
        self.init(seconds: Int64(whole), nanoseconds: Int32(nanoseconds))
    }
}
