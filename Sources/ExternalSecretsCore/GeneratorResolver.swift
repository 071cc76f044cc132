import ExternalSecretsAPI
import Foundation
import Generators
import KubeClient
import KubeModel
import ProviderKit

/// Resolves and runs the generators named by an ExternalSecret's
/// `spec.dataFrom[].sourceRef.generatorRef` or a PushSecret's `spec.selector.generatorRef`.
///
/// A namespaced generator is read in the consumer's namespace only (a `generatorRef` has no
/// namespace); a ClusterGenerator is cluster-scoped. Either way, what the generator's spec
/// references (an MFA seed Secret) is read in the consumer's namespace through the access
/// policy, as ESO does. Generators are read with direct GETs (no cache of generator objects).
///
/// Guarantees: errors name the generator and the field, never a generated value.
struct GeneratorResolver: Sendable {
    var client: KubeClient
    var now: @Sendable () -> Date
    /// This operator's controller class, when a generator of another class means the object
    /// belongs to another operator (ExternalSecrets, as ESO's `shouldSkipGenerator`); nil: no check.
    var controllerClass: String? = nil

    func generate(_ ref: GeneratorRef, namespace: String) async throws -> SecretData {
        let definition = try await definition(of: ref, namespace: namespace)
        if let controllerClass, let generatorClass = definition.controllerClass, generatorClass != controllerClass {
            throw StoreProblem.otherControllerClass(store: "\(ref.kind) \(ref.name)")
        }
        var random = SystemRandomNumberGenerator()
        let references = KubeReferenceReader(client: client, policy: ReferenceAccessPolicy(ownNamespace: namespace))
        return try await definition.generate(references: references, now: now(), using: &random)
    }

    func definition(of ref: GeneratorRef, namespace: String) async throws -> GeneratorDefinition {
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
            return try GeneratorDefinition(clusterGenerator: generator)
        }
        guard let resource = GeneratorDefinition.resource(ofKind: ref.kind) else {
            throw ProviderError.unsupported(
                "generator kind \(ref.kind) is not supported; supported: "
                    + (GeneratorDefinition.supportedKinds + [ClusterGenerator.resource.kind]).joined(separator: ", "))
        }
        let object: DynamicObject
        do {
            object = try await client.dynamicAPI(resource, namespace: namespace).get(ref.name)
        } catch let error as KubeAPIError where error.isNotFound {
            throw ProviderError.invalidConfiguration("\(ref.kind) \(namespace)/\(ref.name) not found")
        }
        return try GeneratorDefinition(kind: ref.kind, spec: object.content["spec"])
    }
}
