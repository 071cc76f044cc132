import ExternalSecretsAPI
import Foundation
import KubeClient
import KubeModel
import Logging
import ProviderKit

/// Reads Secrets of one namespace (`remoteNamespace`) of the store's API server, with ESO's
/// semantics for `property`, `metadataPolicy` and `find`.
final class KubernetesSecretsClient: SecretsClient {
    private let kube: KubeClient
    private let namespace: String
    private let isReferentClusterStore: Bool
    private let tokens: RefreshingToken?
    private let errors: RemoteErrorMapper
    private let logger: Logger

    init(
        kube: KubeClient, namespace: String, isReferentClusterStore: Bool, tokens: RefreshingToken?, logger: Logger
    ) {
        self.kube = kube
        self.namespace = namespace
        self.isReferentClusterStore = isReferentClusterStore
        self.tokens = tokens
        self.errors = RemoteErrorMapper(server: kube.configuration.server, namespace: namespace)
        self.logger = logger
    }

    // MARK: - SecretsClient

    func getSecret(_ ref: ExternalSecretDataRemoteRef) async throws -> Data {
        try Self.rejectVersion(ref)
        let secret = try await fetch(ref.key)
        return try Data(KubernetesSecretValues.value(of: secret, ref: ref))
    }

    func getSecretMap(_ ref: ExternalSecretDataRemoteRef) async throws -> SecretData {
        try Self.rejectVersion(ref)
        let secret = try await fetch(ref.key)
        return try KubernetesSecretValues.map(of: secret, ref: ref)
    }

    func getAllSecrets(_ find: ExternalSecretFind) async throws -> SecretData {
        let query = try SecretQuery(find)
        let secrets: [Secret]
        do {
            logger.debug(
                "listing secrets",
                metadata: ["namespace": "\(namespace)", "labelSelector": "\(query.labelSelector ?? "")"])
            secrets = try await kube.api(Secret.self, namespace: namespace)
                .listAll(ListOptions(labelSelector: query.labelSelector)).items
        } catch {
            throw errors.map(error, .list)
        }
        var found: SecretData = [:]
        for secret in secrets {
            guard let name = secret.metadata.name, query.matches(name: name) else { continue }
            found[name] = Data(GoJSON.encodeStringMap(secret.data ?? [:]))
        }
        return found
    }

    func validate() async throws -> StoreValidationResult {
        // ESO: with referent credentials the namespace they come from is not known here.
        if isReferentClusterStore { return .unknown }
        var mayGet = try await rulesGrantGet()
        if !mayGet { mayGet = try await allowed("get") }
        guard mayGet else {
            throw ProviderError.accessDenied(
                "the store's credentials may not get secrets in namespace \"\(namespace)\"")
        }
        // ESO requires only get; a store used only by data and extract works without list.
        if try await !allowed("list") {
            logger.warning(
                "the store's credentials may not list secrets; dataFrom.find will fail",
                metadata: ["namespace": "\(namespace)", "server": "\(kube.configuration.server)"])
        }
        return .ready
    }

    func close() async {
        await tokens?.clear()
        try? await kube.shutdown()
    }

    // MARK: - PushSecret

    /// The label marking a remote Secret this operator created by a PushSecret. ESO marks none and
    /// overwrites any Secret of the remote namespace; here a Secret without the label is never
    /// changed or deleted (label one by hand to hand it over).
    static let managedLabel = "app.kubernetes.io/managed-by"

    /// ESO's semantics: without `property`, the keys of the source Secret are merged into the remote
    /// Secret (a single key needs a property); with `property`, that key of the remote Secret is set
    /// to the value, or to the JSON object of all source keys.
    func pushSecret(_ value: PushValue, to target: PushTarget) async throws {
        try Self.rejectMetadata(target)
        let name = target.remoteKey
        let existing = try await fetchIfExists(name)
        if let existing, existing.metadata.labels?[Self.managedLabel] != PushManagedMarker.value {
            throw ProviderError(
                .notManaged,
                "Secret \"\(name)\" in namespace \"\(namespace)\" exists and is not managed by external-secrets (label \(Self.managedLabel)=\(PushManagedMarker.value))"
            )
        }
        var data = existing?.data ?? [:]
        switch (value, target.field) {
        case (.value, nil):
            throw ProviderError.invalidConfiguration(
                "remoteRef.property is required to push one key to the kubernetes provider (it names the key of the remote Secret)")
        case (.value(let bytes), let field?):
            data[field] = bytes
        case (.allKeys(let keys), nil):
            data.merge(keys) { _, new in new }
        case (.allKeys(let keys), let field?):
            data[field] = Data(GoJSON.encodeStringMap(keys))
        }
        let secrets = kube.api(Secret.self, namespace: namespace)
        guard var secret = existing else {
            var created = Secret(metadata: ObjectMeta(name: name, labels: [Self.managedLabel: PushManagedMarker.value]), data: data)
            created.type = "Opaque"
            do {
                _ = try await secrets.create(created)
            } catch {
                throw errors.map(error, .write(verb: "create", secret: name))
            }
            return
        }
        guard secret.data ?? [:] != data else { return }
        secret.data = data
        do {
            _ = try await secrets.replace(secret)
        } catch {
            throw errors.map(error, .write(verb: "update", secret: name))
        }
    }

    func deleteSecret(_ target: PushTarget) async throws {
        try Self.rejectMetadata(target)
        let name = target.remoteKey
        guard var secret = try await fetchIfExists(name) else { return }
        guard secret.metadata.labels?[Self.managedLabel] == PushManagedMarker.value else {
            throw ProviderError(
                .notManaged, "Secret \"\(name)\" in namespace \"\(namespace)\" is not managed by external-secrets; not deleted")
        }
        let secrets = kube.api(Secret.self, namespace: namespace)
        if let field = target.field {
            guard secret.data?[field] != nil else { return }
            if (secret.data?.count ?? 0) > 1 {
                secret.data?[field] = nil
                do {
                    _ = try await secrets.replace(secret)
                } catch {
                    throw errors.map(error, .write(verb: "update", secret: name))
                }
                return
            }
        }
        do {
            try await secrets.delete(name, options: DeleteOptions(preconditions: .init(uid: secret.metadata.uid)))
        } catch let error as KubeAPIError where error.isNotFound {
        } catch {
            throw errors.map(error, .write(verb: "delete", secret: name))
        }
    }

    func secretExists(_ target: PushTarget) async throws -> Bool {
        guard let secret = try await fetchIfExists(target.remoteKey) else { return false }
        guard let field = target.field else { return true }
        return secret.data?[field] != nil
    }

    private static func rejectMetadata(_ target: PushTarget) throws {
        guard target.metadata == nil || target.metadata == .null else {
            throw ProviderError.unsupported("PushSecret metadata is not supported by the kubernetes provider yet")
        }
    }

    private func fetchIfExists(_ name: String) async throws -> Secret? {
        guard !name.isEmpty else { throw ProviderError.invalidConfiguration("remoteRef.remoteKey must name a Secret") }
        do {
            return try await kube.api(Secret.self, namespace: namespace).getIfExists(name)
        } catch {
            throw errors.map(error, .get(secret: name))
        }
    }

    // MARK: - Requests

    private static func rejectVersion(_ ref: ExternalSecretDataRemoteRef) throws {
        if let version = ref.version, !version.isEmpty {
            throw ProviderError.unsupported(
                "remoteRef.version is not supported by the kubernetes provider: a Secret has no versions")
        }
    }

    private func fetch(_ name: String) async throws -> Secret {
        guard !name.isEmpty else { throw ProviderError.invalidConfiguration("remoteRef.key must name a Secret") }
        do {
            return try await kube.api(Secret.self, namespace: namespace).get(name)
        } catch {
            throw errors.map(error, .get(secret: name))
        }
    }

    /// ESO's first question: does a rule the credentials hold in the namespace grant `get` on
    /// Secrets (named ones included)? A server that refuses or does not serve rules reviews
    /// answers false here, and the access review decides (ESO gives up with "unknown" instead).
    private func rulesGrantGet() async throws -> Bool {
        do {
            let review = try await kube.send(
                SecretReadAccess.rulesReview(in: namespace), decoding: SelfSubjectRulesReview.self)
            return review.status.map(SecretReadAccess.rulesGrantGet) ?? false
        } catch let error as KubeAPIError where error.isForbidden || error.isNotFound {
            return false
        } catch {
            throw errors.map(error, .review)
        }
    }

    /// May the credentials `verb` any Secret of the namespace (a SelfSubjectAccessReview)?
    private func allowed(_ verb: String) async throws -> Bool {
        do {
            let review = try await kube.send(
                SecretReadAccess.accessReview(verb: verb, in: namespace), decoding: SelfSubjectAccessReview.self)
            return review.status?.allowed == true
        } catch {
            throw errors.map(error, .review)
        }
    }
}
