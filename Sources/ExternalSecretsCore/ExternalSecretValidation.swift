public import ExternalSecretsAPI

/// The checks ESO makes in its admission webhook, made again here before any provider call (the
/// CRD schema makes most of them at admission already).
public enum ExternalSecretValidation {
    /// Secret types that would make the API server mint credentials (CVE-2026-42876).
    public static let refusedSecretTypes: Set<String> = [
        "kubernetes.io/service-account-token", "bootstrap.kubernetes.io/token",
    ]

    /// Throws the first problem found, naming the field.
    public static func validate(_ spec: ExternalSecretSpec) throws(InvalidSpec) {
        let creation = spec.target?.creationPolicy ?? .owner
        let deletion = spec.target?.deletionPolicy ?? .retain
        if deletion == .delete && (creation == .merge || creation == .none) {
            throw InvalidSpec("spec.target.deletionPolicy Delete cannot be used with spec.target.creationPolicy \(creation.rawValue)")
        }
        if deletion == .merge && creation == .none {
            throw InvalidSpec("spec.target.deletionPolicy Merge cannot be used with spec.target.creationPolicy None")
        }
        if (spec.data ?? []).isEmpty && (spec.dataFrom ?? []).isEmpty {
            throw InvalidSpec("either spec.data or spec.dataFrom must be set")
        }
        for (index, entry) in (spec.dataFrom ?? []).enumerated() {
            let sources = [entry.extract != nil, entry.find != nil, entry.sourceRef?.generatorRef != nil].filter { $0 }.count
            if sources != 1 {
                throw InvalidSpec("spec.dataFrom[\(index)] must set exactly one of extract, find or sourceRef.generatorRef")
            }
            for (step, rewrite) in (entry.rewrite ?? []).enumerated() {
                let kinds = [rewrite.regexp != nil, rewrite.transform != nil, rewrite.merge != nil].filter { $0 }.count
                if kinds != 1 {
                    throw InvalidSpec("spec.dataFrom[\(index)].rewrite[\(step)] must set exactly one of regexp, transform or merge")
                }
            }
        }
        for (index, entry) in (spec.data ?? []).enumerated() where entry.sourceRef?.generatorRef != nil {
            // ESO never implemented generators in `data` either.
            throw InvalidSpec(
                "spec.data[\(index)].sourceRef.generatorRef: generators are only supported in spec.dataFrom")
        }
        if let type = spec.target?.template?.type, refusedSecretTypes.contains(type) {
            throw InvalidSpec("spec.target.template.type \"\(type)\" is not allowed: it would mint credentials")
        }
        if spec.target?.manifest != nil {
            throw InvalidSpec("spec.target.manifest: writing kinds other than Secret is not supported")
        }
        if spec.secretStoreRef?.name == nil || spec.secretStoreRef?.name?.isEmpty == true {
            let everyEntryHasStore =
                (spec.data ?? []).allSatisfy { $0.sourceRef?.storeRef?.name != nil }
                && (spec.dataFrom ?? []).allSatisfy {
                    $0.sourceRef?.storeRef?.name != nil || $0.sourceRef?.generatorRef != nil
                }
            if !everyEntryHasStore { throw InvalidSpec("spec.secretStoreRef.name is required") }
        }
        _ = try RefreshSchedule.interval(of: spec)
    }
}
