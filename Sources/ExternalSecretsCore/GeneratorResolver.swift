import ExternalSecretsAPI
import Foundation
import KubeClient
import KubeModel
import ProviderKit

/// Resolves and runs the generators named by an ExternalSecret's
/// `spec.dataFrom[].sourceRef.generatorRef` or a PushSecret's `spec.selector.generatorRef`,
/// through the kinds registered in a `GeneratorRegistry` (no kind is known here).
///
/// A namespaced generator is read in the consumer's namespace only (a `generatorRef` has no
/// namespace); a ClusterGenerator is cluster-scoped. Either way, what the generator's spec
/// references (an MFA seed Secret, AWS credentials) is read in the consumer's namespace through
/// the access policy, as ESO does. Generators are read with direct GETs (no cache of generator
/// objects).
///
/// Guarantees: errors name the generator and the field, never a generated value.
struct GeneratorResolver: Sendable {
    var client: KubeClient
    var generators: GeneratorRegistry
    var now: @Sendable () -> Date
    /// This operator's controller class, when a generator of another class means the object
    /// belongs to another operator (ExternalSecrets, as ESO's `shouldSkipGenerator`); nil: no check.
    var controllerClass: String? = nil

    /// A generator object, resolved: its kind, the generator running it and its spec.
    struct Resolved {
        var kind: String
        var generator: any SecretGenerator
        var spec: JSONValue?
    }

    /// One generation: what the generator made, and the manifest it was made from (what a
    /// GeneratorState keeps so that its clean-up runs with the same spec).
    struct Run {
        var generated: GeneratedSecret
        /// `apiVersion`, `kind` (for a ClusterGenerator the kind it runs), `metadata.name` /
        /// `namespace` of the generator object and its `spec`.
        var resource: JSONValue
    }

    func generate(_ ref: GeneratorRef, namespace: String) async throws -> Run {
        let resolved = try await resolve(ref, namespace: namespace)
        if let controllerClass,
            let generatorClass = resolved.generator.controllerClass(kind: resolved.kind, spec: resolved.spec),
            generatorClass != controllerClass
        {
            throw StoreProblem.otherControllerClass(store: "\(ref.kind) \(ref.name)")
        }
        let references = KubeReferenceReader(client: client, policy: ReferenceAccessPolicy(ownNamespace: namespace))
        let generated = try await resolved.generator.generate(
            kind: resolved.kind, spec: resolved.spec, references: references, now: now())
        var metadata: [String: JSONValue] = ["name": .string(ref.name)]
        if ref.kind != ClusterGenerator.resource.kind { metadata["namespace"] = .string(namespace) }
        var resource: [String: JSONValue] = [
            "apiVersion": .string(GeneratorsAPIGroup.apiVersion), "kind": .string(resolved.kind),
            "metadata": .object(metadata),
        ]
        resource["spec"] = resolved.spec
        return Run(generated: generated, resource: .object(resource))
    }

    /// Generates as `generate` does and records the state in `ledger` (when there is one and the
    /// generator returned state). A state that cannot be recorded is undone at once (best
    /// effort) rather than left unaccounted, and the recording's error is thrown.
    func generate(
        _ ref: GeneratorRef, namespace: String, recordingIn ledger: GeneratorStateLedger?, key: String
    ) async throws -> GeneratedSecret {
        let run = try await generate(ref, namespace: namespace)
        guard let ledger, let state = run.generated.state else { return run.generated }
        do {
            try await ledger.record(state, resource: run.resource, key: key)
        } catch {
            if let kind = run.resource["kind"]?.stringValue, let generator = generators.generator(ofKind: kind) {
                let references = KubeReferenceReader(client: client, policy: ReferenceAccessPolicy(ownNamespace: namespace))
                try? await generator.cleanup(
                    kind: kind, spec: run.resource["spec"], state: state, references: references, now: now())
            }
            throw error
        }
        return run.generated
    }

    func resolve(_ ref: GeneratorRef, namespace: String) async throws -> Resolved {
        if let apiVersion = ref.apiVersion, !apiVersion.isEmpty, apiVersion != GeneratorsAPIGroup.apiVersion {
            throw ProviderError.invalidConfiguration(
                "apiVersion \(apiVersion) is not served; generators are \(GeneratorsAPIGroup.apiVersion)")
        }
        if ref.kind == ClusterGenerator.resource.kind {
            let generator: ClusterGenerator
            do {
                generator = try await client.api(ClusterGenerator.self).get(ref.name)
            } catch let error as KubeAPIError where error.isNotFound {
                throw ProviderError.invalidConfiguration("ClusterGenerator \(ref.name) not found")
            }
            let kind = generator.spec.kind
            guard let runner = generators.generator(ofKind: kind) else {
                throw ProviderError.unsupported(
                    "ClusterGenerator kind \(kind) is not supported; supported: \(generators.kinds.joined(separator: ", "))"
                )
            }
            let member = ClusterGenerator.memberByKind.first { $0.kind == kind }?.member ?? ""
            guard let spec = generator.spec.generator[member] else {
                throw ProviderError.invalidConfiguration(
                    "ClusterGenerator spec.generator.\(member) is required for kind \(kind)")
            }
            return Resolved(kind: kind, generator: runner, spec: spec)
        }
        guard let runner = generators.generator(ofKind: ref.kind), let resource = generators.resource(ofKind: ref.kind)
        else {
            throw ProviderError.unsupported(
                "generator kind \(ref.kind) is not supported; supported: "
                    + (generators.kinds + [ClusterGenerator.resource.kind]).joined(separator: ", "))
        }
        let object: DynamicObject
        do {
            object = try await client.dynamicAPI(resource, namespace: namespace).get(ref.name)
        } catch let error as KubeAPIError where error.isNotFound {
            throw ProviderError.invalidConfiguration("\(ref.kind) \(namespace)/\(ref.name) not found")
        }
        return Resolved(kind: ref.kind, generator: runner, spec: object.content["spec"])
    }
}
