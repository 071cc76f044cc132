import AWSSigV4
import AWSTestSupport
import ExternalSecretsAPI
import ExternalSecretsCore
import Foundation
import ProviderAWS
import ProviderKit
import Synchronization
import Testing

/// A value that must never appear in logs, Events, status or error text.
let canary = "canary-\(UUID().uuidString.prefix(12).lowercased())"

/// A ReferenceReader over fixed Secret values (keys as `name/key`) and ServiceAccounts.
final class FixedReferences: ReferenceReader {
    private let state: Mutex<(secrets: [String: Data], annotations: [String: [String: String]])>

    init(secrets: [String: String] = [:], annotations: [String: [String: String]] = [:]) {
        state = Mutex((secrets.mapValues { Data($0.utf8) }, annotations))
    }

    func secretValue(_ selector: SecretKeySelector, field: String) async throws -> Data {
        let path = "\(selector.name ?? "")/\(selector.key ?? "")"
        guard let value = state.withLock({ $0.secrets[path] }) else {
            throw ProviderError.invalidConfiguration("\(field): Secret \(path) not found")
        }
        return value
    }

    func caBundle(_ provider: CAProvider, field: String) async throws -> Data {
        throw ProviderError.invalidConfiguration("no CA")
    }

    func serviceAccountToken(_ selector: ServiceAccountSelector, audiences: [String], field: String) async throws
        -> String
    {
        // moto does not verify web identity tokens; any JWT-shaped string does.
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDplc28ifQ.c2ln"
    }

    func serviceAccountAnnotations(_ selector: ServiceAccountSelector, field: String) async throws -> [String: String] {
        state.withLock { $0.annotations[selector.name] ?? [:] }
    }
}

/// Endpoint variables pointing every AWS service at `moto`.
func motoEnvironment(_ moto: MotoServer, extra: [String: String] = [:]) -> [String: String] {
    [
        "AWS_SECRETSMANAGER_ENDPOINT": moto.endpoint, "AWS_SSM_ENDPOINT": moto.endpoint,
        "AWS_STS_ENDPOINT": moto.endpoint,
        "HOME": "/nonexistent",
    ].merging(extra) { _, new in new }
}

/// A provider pointed at `moto` that shares the suite's HTTP client (shut down with moto).
func awsProvider(_ moto: MotoServer, extra: [String: String] = [:]) -> AWSSecretsProvider {
    AWSSecretsProvider(environment: motoEnvironment(moto, extra: extra), transport: { _ in (moto.transport, {}) })
}

func keysAuth() -> AWSAuth {
    AWSAuth(
        secretRef: AWSAuthSecretRef(
            accessKeyIDSecretRef: SecretKeySelector(name: "aws", key: "id"),
            secretAccessKeySecretRef: SecretKeySelector(name: "aws", key: "secret")))
}

func references(_ credentials: AWSCredentials) -> FixedReferences {
    FixedReferences(secrets: ["aws/id": credentials.accessKeyID, "aws/secret": credentials.secretAccessKey])
}

func context(_ aws: AWSProvider, namespace: String = "team") -> StoreContext {
    StoreContext(
        kind: .secretStore, name: "aws", storeNamespace: namespace, callerNamespace: namespace, uid: UUID().uuidString,
        generation: 1, spec: SecretStoreSpec(provider: SecretStoreProvider(aws: aws)))
}

func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }
