public import ExternalSecretsAPI
import Foundation

/// Checks of store fields several providers share (`caBundle`, `caProvider`), with ESO's
/// messages; `field` names the field in errors. Pure.
public enum StoreSettingChecks {
    /// The PEM bytes of a base64 `caBundle`.
    public static func caBundle(_ bundle: String, field: String) throws(ProviderError) -> [UInt8] {
        guard let decoded = Data(base64Encoded: bundle.filter { !$0.isWhitespace }) else {
            throw .invalidConfiguration("\(field) is not valid base64")
        }
        guard String(decoding: decoded, as: UTF8.self).contains("-----BEGIN CERTIFICATE-----") else {
            throw .invalidConfiguration("\(field) holds no PEM certificate")
        }
        return Array(decoded)
    }

    /// A `caProvider` checked as ESO's webhook does: type Secret or ConfigMap, name and key set, a
    /// namespace exactly when the store is a ClusterSecretStore.
    public static func caProvider(_ provider: CAProvider, storeKind: StoreKind, field: String) throws(ProviderError)
        -> CAProvider
    {
        guard provider.type == "Secret" || provider.type == "ConfigMap" else {
            throw .invalidConfiguration("\(field).type must be Secret or ConfigMap")
        }
        guard !provider.name.isEmpty else { throw .invalidConfiguration("\(field).name is required") }
        guard let key = provider.key, !key.isEmpty else { throw .invalidConfiguration("\(field).key is required") }
        switch storeKind {
        case .clusterSecretStore where (provider.namespace ?? "").isEmpty:
            throw .invalidConfiguration("\(field).namespace must not be empty with ClusterSecretStore")
        case .secretStore where provider.namespace != nil:
            throw .invalidConfiguration("\(field).namespace must be empty with SecretStore")
        default:
            return provider
        }
    }
}
