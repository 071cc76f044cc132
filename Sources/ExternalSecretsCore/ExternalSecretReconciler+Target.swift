import ControllerRuntime
import ExternalSecretsAPI
import KubeClient
import KubeModel
import ProviderKit

extension ExternalSecretReconciler {
    /// Plans the target Secret's write and makes it (``TargetSecretWriter``), `es` owning it.
    func writeTarget(
        of es: ExternalSecret, named targetName: String, data: SecretData, rendered: RenderedTarget?
    ) async throws -> SecretWritePlan {
        try await TargetSecretWriter(
            client: dependencies.client, managedSecrets: dependencies.managedSecrets,
            ownSecretWrites: dependencies.ownSecretWrites
        ).write(of: es, named: targetName, data: data, rendered: rendered)
    }
}

/// Plans a target Secret's write and makes it, with as few requests as correctness allows; shared
/// by the ESO and KES ExternalSecret reconcilers.
///
/// A target the managed-Secret cache does not hold (every Secret this operator wrote carries
/// the managed label, so this is the first sync) is planned as absent; only when that plan is
/// a create is it trusted, and the create itself is the check (AlreadyExists: an unlabelled
/// Secret, or one the cache has not seen yet). Every other plan is made from the server's copy:
/// the cache drops `managedFields`, which say which keys this ExternalSecret wrote and must
/// remove. So a first sync costs one request here instead of two.
struct TargetSecretWriter: Sendable {
    var client: KubeClient
    /// The cache of Secrets carrying the managed label.
    var managedSecrets: Store<Secret>
    /// Where the versions of the writes are recorded (``OwnWrites``); nil: not recorded.
    var ownSecretWrites: OwnWrites?

    /// - Parameter owner: the Secret's controller; nil: `es` itself (see ``SecretWritePlanner``).
    func write(
        of es: ExternalSecret, named targetName: String, data: SecretData, rendered: RenderedTarget?,
        owner: SecretOwner? = nil
    ) async throws -> SecretWritePlan {
        let namespace = es.metadata.namespace ?? ""
        if managedSecrets.get(ObjectKey(namespace: namespace, name: targetName)) == nil {
            let plan = try SecretWritePlanner.plan(for: es, data: data, rendered: rendered, existing: nil, owner: owner)
            if plan.write.isCreate {
                do {
                    try await apply(plan, to: es, existing: nil)
                    return plan
                } catch let error as KubeAPIError where error.isAlreadyExists {
                    // The Secret exists after all: plan from the server's copy.
                }
            }
        }
        let existing = try await client.api(Secret.self, namespace: namespace).getIfExists(targetName)
        let fresh = try SecretWritePlanner.plan(for: es, data: data, rendered: rendered, existing: existing, owner: owner)
        try await apply(fresh, to: es, existing: existing)
        return fresh
    }

    /// Makes `plan`'s write; records the version a create or update produced, so that its watch
    /// event does not wake the owner again.
    private func apply(_ plan: SecretWritePlan, to es: ExternalSecret, existing: Secret?) async throws {
        let secrets = client.api(Secret.self, namespace: es.metadata.namespace)
        let manager = ESONames.fieldManager(externalSecretName: es.metadata.name ?? "")
        switch plan.write {
        case .none:
            break
        case .create(let secret):
            _ = try await recordingOwnWrite(of: ObjectKey(namespace: es.metadata.namespace, name: secret.metadata.name ?? "")) { try await secrets.create(secret, fieldManager: manager, skippingManagedFields: true) }
        case .update(let secret):
            _ = try await recordingOwnWrite(of: ObjectKey(namespace: es.metadata.namespace, name: secret.metadata.name ?? "")) { try await secrets.replace(secret, fieldManager: manager, skippingManagedFields: true) }
        case .delete(let name):
            try await secrets.delete(name, options: DeleteOptions(preconditions: .init(uid: existing?.metadata.uid)))
        }
    }

    /// Makes a write of the target Secret through ``OwnWrites`` when the operator tracks them.
    private func recordingOwnWrite(of key: ObjectKey, _ write: () async throws -> Secret) async throws -> Secret {
        guard let ownSecretWrites else { return try await write() }
        return try await ownSecretWrites.writing(key, write)
    }
}

extension SecretWritePlan.Write {
    var isCreate: Bool {
        if case .create = self { return true }
        return false
    }
}
