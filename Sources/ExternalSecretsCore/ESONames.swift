/// ESO's user-visible names (ESO-BEHAVIOUR.md): labels, annotations, finalizer, field manager,
/// condition reasons, Event reasons and messages. Byte-identical to ESO 2.9.
public enum ESONames {
    public static let managedLabel = "reconcile.external-secrets.io/managed"
    public static let managedLabelValue = "true"
    public static let createdByLabel = "reconcile.external-secrets.io/created-by"
    public static let dataHashAnnotation = "reconcile.external-secrets.io/data-hash"
    public static let forceSyncAnnotation = "external-secrets.io/force-sync"
    public static let externalSecretFinalizer = "externalsecrets.external-secrets.io/externalsecret-cleanup"
    public static let fieldManagerPrefix = "externalsecrets.external-secrets.io/"

    /// This project's own annotation (not ESO's): on an ExternalSecret with creationPolicy Owner, `"true"`
    /// allows taking over an existing Secret that no ExternalSecret manages. ESO takes such
    /// Secrets over silently (ESO#2416).
    public static let allowTakeoverAnnotation = "external-secrets-swift.io/allow-takeover"

    /// The field manager ESO writes a target Secret with: `externalsecrets.external-secrets.io/<name>`,
    /// or `externalsecrets.external-secrets.io/sha3/<sha3-224 hex of name>` when the former is longer
    /// than 63 bytes.
    public static func fieldManager(externalSecretName name: String) -> String {
        let candidate = fieldManagerPrefix + name
        if candidate.utf8.count <= 63 { return candidate }
        return fieldManagerPrefix + "sha3/" + SHA3_224.hex(Array(name.utf8))
    }

    /// The ExternalSecret `Ready` condition type.
    public static let conditionReady = "Ready"
    public static let conditionDeleted = "Deleted"
}

/// Condition reasons of ExternalSecret and stores, as ESO spells them.
public enum ESOReason {
    public static let secretSynced = "SecretSynced"
    public static let secretSyncedError = "SecretSyncedError"
    public static let secretDeleted = "SecretDeleted"
    public static let secretMissing = "SecretMissing"
    public static let storeValid = "Valid"
    public static let storeInvalidProviderConfig = "InvalidProviderConfig"
    public static let storeValidationUnknown = "ValidationUnknown"
    public static let storeValidationFailed = "ValidationFailed"
}

/// Event reasons, as ESO spells them.
public enum ESOEventReason {
    public static let created = "Created"
    public static let updated = "Updated"
    public static let deleted = "Deleted"
    public static let updateFailed = "UpdateFailed"
    public static let missingProviderSecret = "MissingProviderSecret"
    public static let valid = "Valid"
    public static let invalid = "InvalidProviderConfig"
    public static let validationFailed = "ValidationFailed"
}

/// Messages shown in conditions and Events. Never include a secret value.
public enum ESOMessage {
    public static let secretSynced = "secret synced"
    public static let secretCreated = "secret created"
    public static let secretUpdated = "secret updated"
    public static let secretDeleted = "secret deleted due to DeletionPolicy"
    public static let secretRetained = "secret retained due to DeletionPolicy=Retain"
    public static let secretMissingMerge = "secret will not be created, creation policy is set to Merge"
    public static let creationPolicyNone = "secret will not be created or updated, creation policy is set to None"
    public static let storeValidated = "store validated"
    public static let storeValidationUnknown = "store validation unknown"

    /// The `MissingProviderSecret` Event of an entry skipped because its remote secret does not
    /// exist; `entry` names the field and remote key (`FetchResult.missing`).
    public static func remoteSecretMissing(_ entry: String) -> String { "remote secret of \(entry) does not exist; skipped" }
}

/// Names of ESO's PushSecret API that users and tools see: condition reasons, Event reasons,
/// messages and the finalizer. Byte-identical to ESO where ESO has them; never a secret value.
public enum PushSecretNames {
    public static let finalizer = "pushsecret.externalsecrets.io/finalizer"
    public static let reasonSynced = "Synced"
    public static let reasonErrored = "Errored"
    public static let messageSynced = "PushSecret synced successfully"
    public static let messageSyncedIfNotExists = "PushSecret synced successfully. Existing secrets in providers unchanged."
    public static let messageSourceMissing = "could not get source secret"

    /// A write to a store failed; `remoteRef` is the source key or the remote key, `error` sanitized text.
    public static func writeFailed(remoteRef: String, store: String, error: String) -> String {
        "set secret failed: could not write remote ref \(remoteRef) to target secretstore \(store): \(error)"
    }

    /// A deletion of a remote secret failed; `error` is sanitized text.
    public static func deleteFailed(_ error: String) -> String { "Failed to Delete Secrets from Provider: \(error)" }

    /// A store was removed from `spec.secretStoreRefs`: its remote secrets are kept.
    public static func storeAbandoned(_ store: String) -> String {
        "\(store) is no longer listed in spec.secretStoreRefs; the remote secrets written there are left in place"
    }

    /// On deletion, a store that cannot be used any more keeps its remote secrets.
    public static func remoteSecretsLeft(store: String, problem: String) -> String {
        "remote secrets in \(store) left in place: \(problem)"
    }
}
