public import ExternalSecretsAPI
public import Foundation
public import ProviderKit
import Synchronization

/// A `ReferenceReader` over fixed values that records what was asked, for provider tests.
///
/// Secrets and CA bundles are keyed `name/key`. ServiceAccount tokens come from `tokens` in order
/// (an error `no token left` once they are used up), or, without `tokens`, are made up as
/// `jwt-<account>-<n>` (`n` counting from 1). A missing Secret or CA bundle is
/// `ProviderError.invalidConfiguration`, as the real reader reports it.
public final class FakeReferences: ReferenceReader {
    private struct State {
        var secrets: [String: Data]
        var caBundles: [String: Data]
        var tokens: [String]?
        var annotations: [String: [String: String]]
        var labels: [String: [String: String]] = [:]
        var issued = 0
        var asked: [String] = []
    }

    private let state: Mutex<State>

    /// A reader with Secret values given as text.
    public convenience init(
        secrets: [String: String] = [:], caBundles: [String: Data] = [:], tokens: [String]? = nil,
        annotations: [String: [String: String]] = [:]
    ) {
        self.init(
            secrets: secrets.mapValues { Data($0.utf8) }, caBundles: caBundles, tokens: tokens, annotations: annotations)
    }

    /// A reader with Secret values given as bytes.
    public init(
        secrets: [String: Data], caBundles: [String: Data] = [:], tokens: [String]? = nil,
        annotations: [String: [String: String]] = [:]
    ) {
        state = Mutex(State(secrets: secrets, caBundles: caBundles, tokens: tokens, annotations: annotations))
    }

    /// What was read, as `secret name/key`, `ca name/key` or `token name [audiences]`, in order.
    public var asked: [String] { state.withLock { $0.asked } }

    /// How many ServiceAccount tokens were issued.
    public var issuedTokens: Int { state.withLock { $0.issued } }

    /// Replaces the Secret value at `name/key` (a rotated credential).
    public func setSecret(_ path: String, _ value: Data) { state.withLock { $0.secrets[path] = value } }

    /// Replaces the Secret value at `name/key` with text.
    public func setSecret(_ path: String, _ value: String) { setSecret(path, Data(value.utf8)) }

    public func secretValue(_ selector: SecretKeySelector, field: String) async throws -> Data {
        let path = "\(selector.name ?? "")/\(selector.key ?? "")"
        return try state.withLock { state in
            state.asked.append("secret \(path)")
            guard let value = state.secrets[path] else {
                throw ProviderError.invalidConfiguration("\(field): Secret \(path) not found")
            }
            return value
        }
    }

    /// Sets the labels of Secret `name` (read by `secret(_:field:)`).
    public func setLabels(_ name: String, _ labels: [String: String]) { state.withLock { $0.labels[name] = labels } }

    /// The Secret `name`: every `name/key` value, and the labels given by `setLabels`.
    public func secret(_ selector: SecretKeySelector, field: String) async throws -> ReferencedSecret {
        let name = selector.name ?? ""
        return try state.withLock { state in
            state.asked.append("secret \(name)")
            var data: [String: Data] = [:]
            for (path, value) in state.secrets where path.hasPrefix("\(name)/") {
                data[String(path.dropFirst(name.count + 1))] = value
            }
            guard !data.isEmpty || state.labels[name] != nil else {
                throw ProviderError.invalidConfiguration("\(field): Secret \(name) not found")
            }
            return ReferencedSecret(labels: state.labels[name] ?? [:], data: data)
        }
    }

    public func caBundle(_ provider: CAProvider, field: String) async throws -> Data {
        let path = "\(provider.name)/\(provider.key ?? "")"
        return try state.withLock { state in
            state.asked.append("ca \(path)")
            guard let value = state.caBundles[path] else { throw ProviderError.invalidConfiguration("\(field): no CA") }
            return value
        }
    }

    public func serviceAccountToken(_ selector: ServiceAccountSelector, audiences: [String], field: String) async throws
        -> String
    {
        try state.withLock { state in
            state.asked.append("token \(selector.name) \(audiences)")
            guard let tokens = state.tokens else {
                state.issued += 1
                return "jwt-\(selector.name)-\(state.issued)"
            }
            guard state.issued < tokens.count else { throw ProviderError.invalidConfiguration("no token left") }
            state.issued += 1
            return tokens[state.issued - 1]
        }
    }

    public func serviceAccountAnnotations(_ selector: ServiceAccountSelector, field: String) async throws -> [String: String] {
        state.withLock { $0.annotations[selector.name] ?? [:] }
    }
}
