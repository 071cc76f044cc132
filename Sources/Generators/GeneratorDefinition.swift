public import ExternalSecretsAPI
public import Foundation
public import KubeModel
public import ProviderKit

/// A generator this operator runs, with its spec, whichever object (a namespaced kind or a
/// ClusterGenerator) it came from.
public enum GeneratorDefinition: Sendable, Hashable {
    case password(PasswordSpec)
    case uuid
    case sshKey(SSHKeySpec)
    case fake(FakeSpec)
    case mfa(MFASpec)

    /// The kinds this operator runs (as `generatorRef.kind` or ClusterGenerator `spec.kind`).
    public static let supportedKinds = [PasswordSpec.kind, UUIDSpec.kind, SSHKeySpec.kind, FakeSpec.kind, MFASpec.kind]

    /// The resource of a namespaced generator kind this operator runs; nil for other kinds.
    public static func resource(ofKind kind: String) -> ResourceDescriptor? {
        switch kind {
        case PasswordSpec.kind: PasswordGenerator.resource
        case UUIDSpec.kind: UUIDGenerator.resource
        case SSHKeySpec.kind: SSHKeyGenerator.resource
        case FakeSpec.kind: FakeGenerator.resource
        case MFASpec.kind: MFAGenerator.resource
        default: nil
        }
    }

    /// The controller class the generator's spec names (`spec.controller`, Fake only), if any: an
    /// ExternalSecret using a generator of another class belongs to another operator (as in ESO).
    public var controllerClass: String? {
        if case .fake(let spec) = self, let controller = spec.controller, !controller.isEmpty { return controller }
        return nil
    }

    /// The definition of a namespaced generator object of `kind` (its `spec`, absent or not).
    public init(kind: String, spec: JSONValue?) throws(ProviderError) {
        do {
            switch kind {
            case PasswordSpec.kind: self = .password(try spec?.decode(as: PasswordSpec.self) ?? PasswordSpec())
            case UUIDSpec.kind: self = .uuid
            case SSHKeySpec.kind: self = .sshKey(try spec?.decode(as: SSHKeySpec.self) ?? SSHKeySpec())
            case FakeSpec.kind: self = .fake(try spec?.decode(as: FakeSpec.self) ?? FakeSpec())
            case MFASpec.kind:
                guard let spec else { throw ProviderError.invalidConfiguration("MFA spec.secret is required") }
                self = .mfa(try spec.decode(as: MFASpec.self))
            default:
                throw ProviderError.unsupported(
                    "generator kind \(kind) is not supported; supported: \(Self.supportedKinds.joined(separator: ", "))"
                )
            }
        } catch let error as ProviderError {
            throw error
        } catch {
            throw .invalidConfiguration("the \(kind) generator's spec does not match its schema")
        }
    }

    /// The definition held by a ClusterGenerator.
    public init(clusterGenerator: ClusterGenerator) throws(ProviderError) {
        let kind = clusterGenerator.spec.kind
        guard Self.supportedKinds.contains(kind) else {
            throw .unsupported(
                "ClusterGenerator kind \(kind) is not supported; supported: \(Self.supportedKinds.joined(separator: ", "))"
            )
        }
        let member = ClusterGenerator.memberByKind.first { $0.kind == kind }?.member ?? ""
        guard let spec = clusterGenerator.spec.generator[member] else {
            throw .invalidConfiguration("ClusterGenerator spec.generator.\(member) is required for kind \(kind)")
        }
        try self.init(kind: kind, spec: spec)
    }

    /// Runs the generator. `references` reads what the spec names (the MFA seed) in the
    /// consumer's namespace; `now` is the time for MFA.
    ///
    /// Guarantees: errors never contain a generated value or a referenced Secret's value.
    public func generate(
        references: any ReferenceReader, now: Date, using random: inout some RandomNumberGenerator
    ) async throws -> SecretData {
        switch self {
        case .password(let spec): return try PasswordGeneration.generate(spec, using: &random)
        case .uuid: return UUIDGeneration.generate(using: &random)
        case .sshKey(let spec): return try SSHKeyGeneration.generate(spec, using: &random)
        case .fake(let spec): return FakeGeneration.generate(spec)
        case .mfa(let spec):
            // The seed is always read in the consumer's namespace (ESO ignores `namespace`).
            var selector = spec.secret
            selector.namespace = nil
            let seed = try await references.secretValue(selector, field: "spec.secret")
            return try MFAGeneration.generate(spec, seed: seed, now: now)
        }
    }
}
