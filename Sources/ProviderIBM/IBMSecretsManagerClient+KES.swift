import ExternalSecretsAPI
import Foundation
import GoCompat
import HTTPSupport
import ProviderKit

/// Reads as GoDaddy KES's `ibmcloudSecretsManager` backend did (the implicit stores of KES
/// objects, ``IBMReadMode``): the remote key is `SECRET_TYPE/KEY`, `KEY` a secret ID, or with
/// `keyByName` the name of the one secret of that type in any group (KES: `listAllSecrets({search})`
/// filtered on the exact name and type; none or several are an error); the value is KES's JSON
/// (``IBMKESValues``), `property` a lodash path into it. Versions are not read (KES had none).
extension IBMSecretsManagerClient {
    func kesValue(_ ref: ExternalSecretDataRemoteRef) async throws -> Data {
        guard let slash = ref.key.firstIndex(of: "/") else {
            throw ProviderError.invalidConfiguration(
                "remote key \(GoQuote.quote(ref.key)) is not SECRET_TYPE/KEY (KES ibmcloudSecretsManager)")
        }
        let type = String(ref.key[..<slash])
        let key = String(ref.key[ref.key.index(after: slash)...])
        guard IBMKESValues.secretTypes.contains(type) else {
            throw ProviderError.invalidConfiguration(
                "unknown secret type \(type) (KES read \(IBMKESValues.secretTypes.joined(separator: ", ")))")
        }
        let id = settings.readMode == .kesByName ? try await secretID(named: key, type: type) : key
        let secret = try await object(requests.getSecret(id: id), call: .getSecret, remoteKey: key)
        // API v1 read a secret by type and ID: a secret of another type was not found.
        guard Self.string(secret["secret_type"]) == type else {
            throw ProviderError.notFound("No \(type) secret with ID \(key)")
        }
        let document = try IBMKESValues.document(of: secret, type: type, key: key)
        return try IBMKESValues.value(of: document, property: ref.property, key: key)
    }

    /// The ID of the one secret of `type` named `name`, in any group.
    func secretID(named name: String, type: String) async throws -> String {
        var found: [String] = []
        var offset = 0
        while true {
            let response = try await connection.send(
                requests.searchSecrets(name, type: type, offset: offset), call: .listSecrets)
            guard (200..<300).contains(response.status.code) else {
                throw IBMErrors.error(
                    response, doing: "unable to list secrets of \(settings.serviceURL) to find \(type) secret \(name)",
                    permission: IBMErrors.listPermission)
            }
            guard case .object(let page)? = try? GoJSONValue.parse(response.body),
                case .array(let items)? = page["secrets"]
            else {
                throw ProviderError(.invalidData, "Secrets Manager answered a secret list that is not JSON")
            }
            for case .object(let item) in items
            where Self.string(item["name"]) == name && Self.string(item["secret_type"]) == type {
                if let id = Self.string(item["id"]) { found.append(id) }
            }
            let total = Self.int(page["total_count"]) ?? 0
            offset += items.count
            if items.isEmpty || offset >= total || page["next"] == nil { break }
        }
        switch found.count {
        case 1: return found[0]
        case 0: throw ProviderError.notFound("No \(type) secret named \(name)")
        default: throw ProviderError(.invalidData, "Multiple \(type) secrets named \(name)")
        }
    }

    /// KES objects read single keys only; an implicit store never gets `extract` or `find`.
    func refuseInKESMode(_ what: String) throws(ProviderError) {
        guard settings.readMode == .eso else {
            throw .invalidConfiguration("\(what) is not available to KES ibmcloudSecretsManager objects")
        }
    }
}
