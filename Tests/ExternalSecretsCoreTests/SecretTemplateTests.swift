import ClockTestSupport
import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import ProviderKit
import Templating
import Testing

@Suite struct SecretTemplateTests {
    static let fetched: SecretData = ["user": Data("app".utf8), "pass": Data("s3cr3t".utf8), "db-host": Data("h".utf8)]

    func render(_ template: ExternalSecretTemplate, sources: TemplateSources = TemplateSources()) throws -> RenderedTarget {
        try SecretTemplateRenderer().render(template, data: Self.fetched, sources: sources)
    }

    @Test func dataTemplatesReplaceTheFetchedDataByDefault() throws {
        let rendered = try render(
            ExternalSecretTemplate(data: ["dsn": #"postgres://{{ .user }}:{{ .pass }}@{{ index . "db-host" }}/db"#]))
        #expect(rendered.data == ["dsn": Data("postgres://app:s3cr3t@h/db".utf8)])
    }

    @Test func mergePolicyMergeKeepsFetchedKeysUnderRenderedOnes() throws {
        let rendered = try render(ExternalSecretTemplate(mergePolicy: .merge, data: ["user": "{{ .user | upper }}"]))
        #expect(Set(rendered.data.keys) == ["user", "pass", "db-host"])
        #expect(rendered.data["user"] == Data("APP".utf8))
    }

    @Test func metadataOnlyTemplateKeepsTheFetchedData() throws {
        let rendered = try render(
            ExternalSecretTemplate(
                type: "kubernetes.io/basic-auth",
                metadata: ExternalSecretTemplateMetadata(annotations: ["who": "{{ .user }}"], labels: ["team": "a"])))
        #expect(rendered.data == Self.fetched)
        #expect(rendered.labels == ["team": "a"])
        #expect(rendered.annotations == ["who": "app"])
        #expect(rendered.type == "kubernetes.io/basic-auth")
    }

    @Test func templateFromConfigMapSecretAndLiteralWithTargets() throws {
        let sources = TemplateSources(
            configMaps: ["tpl": ["config.yaml": "user: {{ .user }}", "kv": "a: {{ .user }}\nb: '2'"]],
            secrets: ["stpl": ["token": Data("t-{{ .pass }}".utf8)]])
        let template = ExternalSecretTemplate(
            data: ["token": "override"],
            templateFrom: [
                TemplateFrom(configMap: TemplateRef(name: "tpl", items: [TemplateRefItem(key: "config.yaml")])),
                TemplateFrom(
                    configMap: TemplateRef(name: "tpl", items: [TemplateRefItem(key: "kv", templateAs: "KeysAndValues")])),
                TemplateFrom(secret: TemplateRef(name: "stpl", items: [TemplateRefItem(key: "token")])),
                TemplateFrom(target: "Labels", literal: "tier: '{{ .user }}'"),
            ])
        let rendered = try render(template, sources: sources)
        #expect(rendered.data["config.yaml"] == Data("user: app".utf8))
        #expect(rendered.data["a"] == Data("app".utf8))
        #expect(rendered.data["b"] == Data("2".utf8))
        #expect(rendered.data["token"] == Data("override".utf8), "template.data wins over templateFrom")
        #expect(rendered.labels["tier"] == "app")
    }

    @Test func missingKeyIsAnErrorThatShowsNoValue() {
        #expect {
            try render(ExternalSecretTemplate(data: ["x": "{{ .pass }}{{ .absent }}"]))
        } throws: { error in
            let text = "\(error)"
            return text.contains("spec.target.template.data") && !text.contains("s3cr3t")
        }
    }

    @Test func missingTemplateSourceAndUnknownEngineAreErrors() {
        #expect(throws: TemplateRenderError.self) {
            try render(
                ExternalSecretTemplate(
                    templateFrom: [TemplateFrom(configMap: TemplateRef(name: "absent", items: [TemplateRefItem(key: "k")]))]))
        }
        #expect(throws: TemplateRenderError.self) { try render(ExternalSecretTemplate(engineVersion: "v1", data: ["a": "b"])) }
    }

    @Test func customDelimitersLeaveHelmStyleBracesAlone() throws {
        let renderer = SecretTemplateRenderer(leftDelimiter: "<<", rightDelimiter: ">>")
        let rendered = try renderer.render(
            ExternalSecretTemplate(data: ["x": "<< .user >> {{ not a template }}"]), data: Self.fetched, sources: TemplateSources())
        #expect(rendered.data["x"] == Data("app {{ not a template }}".utf8))
    }

    /// ESO's TemplateFrom example dates a value with `now`: target templates see the clock the
    /// operator injects, in `templateFrom` literals and in `template.data`.
    @Test func targetTemplatesSeeTheInjectedClock() throws {
        let renderer = SecretTemplateRenderer(environment: .eso(now: { Date(timeIntervalSince1970: 1_700_000_000.5) }))
        let template = ExternalSecretTemplate(
            data: ["issued": #"{{ now | date "2006-01-02T15:04:05Z07:00" }}"#, "epoch": "{{ now | unixEpoch }}"],
            templateFrom: [TemplateFrom(target: "Annotations", literal: #"issued-year: '{{ now | date "2006" }}'"#)])
        let rendered = try renderer.render(template, data: Self.fetched, sources: TemplateSources())
        #expect(rendered.data["issued"] == Data("2023-11-14T22:13:20Z".utf8))
        #expect(rendered.data["epoch"] == Data("1700000000".utf8))
        #expect(rendered.annotations["issued-year"] == "2023")
    }

    /// Go strings are bytes: ESO passes `string(value)` and text/template writes the bytes back,
    /// so a binary value (a keystore, DER) survives a template unchanged, never as U+FFFD.
    @Test func binaryValuesPassThroughTemplatesByteForByte() throws {
        let binary = Data([0x80, 0xFF, 0xFE, 0x00, 0x01])
        let mixed = Data("café ".utf8) + Data([0xFF, 0xE2, 0x82])
        let rendered = try SecretTemplateRenderer().render(
            ExternalSecretTemplate(data: [
                "raw": "{{ .bin }}", "mixed": "{{ .mixed }}", "b64": "{{ .bin | b64enc }}", "len": "{{ len .bin }}",
                "framed": #"[{{ printf "%s" .bin }}]"#,
            ]),
            data: ["bin": binary, "mixed": mixed], sources: TemplateSources())
        #expect(rendered.data["raw"] == binary)
        #expect(rendered.data["mixed"] == mixed)
        #expect(rendered.data["b64"] == Data("gP/+AAE=".utf8))
        #expect(rendered.data["len"] == Data("5".utf8))
        #expect(rendered.data["framed"] == Data("[".utf8) + binary + Data("]".utf8))
    }

    @Test func outputLimitIsAClearError() {
        let renderer = SecretTemplateRenderer(limits: RenderLimits(maxOutputBytes: 16))
        #expect {
            try renderer.render(
                ExternalSecretTemplate(data: ["big": #"{{ repeat 100 "x" }}"#]), data: Self.fetched, sources: TemplateSources())
        } throws: { error in
            "\(error)".contains("exceeds the render limits")
        }
    }

    /// The operator's time budget: counted on its clock from when the limits are made; a render
    /// may run until the budget is spent and stops as soon as it is exceeded.
    @Test func aRenderStopsOnceItsTimeBudgetIsSpent() {
        let clock = ManualClock()
        let limits = RenderLimits.budgeted(maxOutputBytes: 64, timeBudget: .seconds(2), clock: clock)
        #expect(limits.maxOutputBytes == 64)
        #expect(limits.shouldAbort?() == false)
        clock.advance(by: .seconds(2))
        #expect(limits.shouldAbort?() == false, "the budget is spent, not exceeded")
        clock.advance(by: .milliseconds(1))
        #expect(limits.shouldAbort?() == true)
        #expect {
            try SecretTemplateRenderer(limits: limits).render(
                ExternalSecretTemplate(data: ["slow": "{{ range until 100000 }}{{ end }}"]), data: Self.fetched,
                sources: TemplateSources())
        } throws: { error in
            "\(error)".contains("time budget exceeded")
        }
    }
}
