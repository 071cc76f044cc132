import ExternalSecretsAPI
@testable import ExternalSecretsCore
import ControllerRuntime
import KubeModel
import Testing

/// A managed Secret wakes the object that owns it, by API group: an ESO ExternalSecret and a KES
/// one may share a name in one namespace, and each must be woken only by its own Secret.
struct SecretOwnerWakeTests {
    static func secret(ownerAPIVersion: String) -> Secret {
        Secret(
            metadata: ObjectMeta(
                name: "db", namespace: "team",
                ownerReferences: [
                    OwnerReference(
                        apiVersion: ownerAPIVersion, kind: "ExternalSecret", name: "db", uid: "u", controller: true)
                ]))
    }

    typealias Operator = ExternalSecretsOperator<ContinuousClock>

    @Test(arguments: ["external-secrets.io/v1", "external-secrets.io/v1beta1"])
    func esoOwnedSecretWakesTheESOObjectOnly(apiVersion: String) {
        let secret = Self.secret(ownerAPIVersion: apiVersion)
        #expect(Operator.owningExternalSecret(secret) == ObjectKey(namespace: "team", name: "db"))
        #expect(Operator.owningKESExternalSecret(secret) == nil)
    }

    @Test func kesOwnedSecretWakesTheKESObjectOnly() {
        let secret = Self.secret(ownerAPIVersion: "kubernetes-client.io/v1")
        #expect(Operator.owningExternalSecret(secret) == nil)
        #expect(Operator.owningKESExternalSecret(secret) == ObjectKey(namespace: "team", name: "db"))
    }
}
