import ControllerRuntime
import ExternalSecretsAPI
import KubeClient
import KubeModel
import ProviderKit

extension ExternalSecretReconciler {
    /// Plans the target Secret's write and makes it, with as few requests as correctness allows.
    ///
    /// A target the managed-Secret cache does not hold (every Secret this operator wrote carries
    /// the managed label, so this is the first sync) is planned as absent; only when that plan is
    /// a create is it trusted, and the create itself is the check (AlreadyExists: an unlabelled
    /// Secret, or one the cache has not seen yet). Every other plan is made from the server's copy:
    /// the cache drops `managedFields`, which say which keys this ExternalSecret wrote and must
    /// remove. So a first sync costs one request here instead of two.
    func writeTarget(
        of es: ExternalSecret, named targetName: String, data: SecretData, rendered: RenderedTarget?
    ) async throws -> SecretWritePlan {
        let namespace = es.metadata.namespace ?? ""
        if dependencies.managedSecrets.get(ObjectKey(namespace: namespace, name: targetName)) == nil {
            let plan = try SecretWritePlanner.plan(for: es, data: data, rendered: rendered, existing: nil)
            if plan.write.isCreate {
                do {
                    try await apply(plan, to: es, existing: nil)
                    return plan
                } catch let error as KubeAPIError where error.isAlreadyExists {
                    // The Secret exists after all: plan from the server's copy.
                }
            }
        }
        let existing = try await dependencies.client.api(Secret.self, namespace: namespace).getIfExists(targetName)
        let fresh = try SecretWritePlanner.plan(for: es, data: data, rendered: rendered, existing: existing)
        try await apply(fresh, to: es, existing: existing)
        return fresh
    }

    /// Makes `plan`'s write; records the version a create or update produced, so that its watch
    /// event does not wake this ExternalSecret again.
    private func apply(_ plan: SecretWritePlan, to es: ExternalSecret, existing: Secret?) async throws {
        let secrets = dependencies.client.api(Secret.self, namespace: es.metadata.namespace)
        let manager = ESONames.fieldManager(externalSecretName: es.metadata.name ?? "")
        switch plan.write {
        case .none:
            break
        case .create(let secret):
            _ = try await recordingOwnWrite(of: ObjectKey(namespace: es.metadata.namespace, name: secret.metadata.name ?? "")) { try await secrets.create(secret, fieldManager: manager) }
        case .update(let secret):
            _ = try await recordingOwnWrite(of: ObjectKey(namespace: es.metadata.namespace, name: secret.metadata.name ?? "")) { try await secrets.replace(secret, fieldManager: manager) }
        case .delete(let name):
            try await secrets.delete(name, options: DeleteOptions(preconditions: .init(uid: existing?.metadata.uid)))
        }
    }
}

extension ExternalSecretReconciler {
    /// Makes a write of the target Secret through ``OwnWrites`` when the operator tracks them.
    fileprivate func recordingOwnWrite(of key: ObjectKey, _ write: () async throws -> Secret) async throws -> Secret {
        guard let ownWrites = dependencies.ownSecretWrites else { return try await write() }
        return try await ownWrites.writing(key, write)
    }
}

extension SecretWritePlan.Write {
    var isCreate: Bool {
        if case .create = self { return true }
        return false
    }
}
