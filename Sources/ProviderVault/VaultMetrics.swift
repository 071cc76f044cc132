import ProviderKit

/// ESO's `externalsecret_provider_api_calls_count{provider,call,status}` for Vault, with ESO's
/// provider and call names.
enum VaultMetrics {
    enum Call: String {
        case readSecretData = "ReadSecretData"
        case listSecrets = "ListSecrets"
        case login = "Login"
        case lookupSelf = "LookupSelf"
        case renewSelf = "RenewSelf"
        case revokeSelf = "RevokeSelf"
        case writeSecretData = "WriteSecretData"
        case deleteSecret = "DeleteSecret"
        /// The capability check before a PushSecret creates a secret (not an ESO call).
        case capabilitiesSelf = "CapabilitiesSelf"
        /// Revoking and renewing what a VaultDynamicSecret made (not ESO calls: ESO does neither).
        case revokeLease = "RevokeLease"
        case renewLease = "RenewLease"
    }

    static let provider = "HashiCorp/Vault"

    static func call(_ call: Call, failed: Bool) {
        ProviderCallMetric.count(provider: provider, call: call.rawValue, failed: failed)
    }
}
