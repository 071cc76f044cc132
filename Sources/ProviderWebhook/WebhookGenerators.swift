import ExternalSecretsAPI
public import Foundation
public import KubeModel
public import ProviderKit

/// ESO's `Webhook` generator, made with the webhook provider's request building, templates
/// (over the `secrets` only: there is no `.remoteRef`), `result.jsonPath`, CA, timeout, retries
/// and response size limit. The answer must be a JSON object (or `result.jsonPath` must select
/// one, or a string holding one): each member is a key, as ESO's `GetSecretMap` makes it.
///
/// The `secrets` Secrets (with the label `external-secrets.io/type: webhook`, as ESO demands) and
/// a `caProvider` are read through the `ReferenceReader`, in the namespace of the object using the
/// generator. Nothing is created remotely that this operator could undo: no state, no clean-up
/// (as ESO).
public struct WebhookSecretGenerators: SecretGenerator {
    private let provider: WebhookSecretsProvider

    /// - Parameter provider: the webhook provider whose transport, clock, retries and logger are used.
    public init(provider: WebhookSecretsProvider = WebhookSecretsProvider()) {
        self.provider = provider
    }

    public var resources: [ResourceDescriptor] { [WebhookGenerator.resource] }

    public func generate(kind: String, spec: JSONValue?, references: any ReferenceReader, now: Date) async throws
        -> GeneratedSecret
    {
        guard kind == WebhookSpec.kind else {
            throw ProviderError.unsupported("generator kind \(kind) is not run by the webhook generator")
        }
        guard let spec else {
            throw ProviderError.invalidConfiguration("the Webhook generator has no spec; spec.url is required")
        }
        let decoded: WebhookSpec
        do {
            decoded = try spec.decode(as: WebhookSpec.self)
        } catch {
            throw ProviderError.invalidConfiguration("the Webhook generator's spec does not match its schema")
        }
        let settings = try WebhookStoreSettings.resolve(generator: decoded)
        let client = try await provider.client(settings, namespace: "", references: references)
        do {
            let data = try await client.generate()
            await client.close()
            return GeneratedSecret(data: data)
        } catch {
            await client.close()
            throw error
        }
    }
}
