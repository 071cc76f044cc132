import ExternalSecretsAPI
import Foundation
import ProviderKit
import Testing

@testable import ProviderVault

/// `spec.provider.vault` checked without I/O.
@Suite struct SettingsTests {
    func resolve(_ vault: VaultProvider, kind: StoreKind = .secretStore, retry: SecretStoreRetrySettings? = nil) throws
        -> VaultStoreSettings
    {
        try VaultStoreSettings.resolve(store(vault, kind: kind, retrySettings: retry))
    }

    func failure(_ vault: VaultProvider, kind: StoreKind = .secretStore) -> ProviderError? {
        do {
            _ = try resolve(vault, kind: kind)
            return nil
        } catch {
            return error as? ProviderError
        }
    }

    @Test func defaults() throws {
        let settings = try resolve(appRoleVault(path: "/secret/"))
        #expect(settings.server == "https://vault.test:8200")
        #expect(settings.mountPath == "secret")
        #expect(settings.version == .v2)
        #expect(settings.namespace == nil && settings.authNamespace == nil)
        #expect(
            settings.auth
                == .appRole(
                    mount: "approle", roleID: .inline("role-1"),
                    secretID: SecretKeySelector(name: "approle", key: "secret-id")))
        #expect(settings.retry == .vaultDefault)
        #expect(!settings.isReferent)
    }

    @Test func namespacesAndHeaders() throws {
        let settings = try resolve(
            appRoleVault(namespace: "team-a") {
                $0.auth?.namespace = "admin"
                $0.headers = ["X-Custom": "1"]
                $0.readYourWrites = true
                $0.forwardInconsistent = true
            })
        #expect(settings.namespace == "team-a" && settings.authNamespace == "admin")
        #expect(settings.headers == ["X-Custom": "1"])
        #expect(try resolve(appRoleVault(namespace: "team-a")).authNamespace == "team-a")
        #expect(failure(appRoleVault { $0.headers = ["X-Vault-Token": "x"] })?.code == .invalidConfiguration)
        #expect(failure(appRoleVault { $0.headers = ["Bad Header": "x"] })?.code == .invalidConfiguration)
    }

    @Test func everyLoginMethodResolves() throws {
        let secret = SecretKeySelector(name: "s", key: "k")
        func auth(_ auth: VaultAuth) throws -> VaultStoreSettings.Auth {
            try resolve(VaultProvider(server: "https://v", auth: auth)).auth
        }
        #expect(try auth(VaultAuth(tokenSecretRef: secret)) == .token(secret))
        #expect(
            try auth(VaultAuth(appRole: VaultAppRole(path: "ar", roleRef: secret, secretRef: secret)))
                == .appRole(mount: "ar", roleID: .secret(secret), secretID: secret))
        #expect(
            try auth(
                VaultAuth(
                    kubernetes: VaultKubernetesAuth(role: "r", serviceAccountRef: ServiceAccountSelector(name: "sa"))))
                == .kubernetes(
                    mount: "kubernetes", role: "r",
                    jwt: .serviceAccount(ServiceAccountSelector(name: "sa"), audiences: [], expirationSeconds: 600)))
        #expect(
            try auth(
                VaultAuth(
                    kubernetes: VaultKubernetesAuth(
                        mountPath: "k8s", role: "r", secretRef: SecretKeySelector(name: "tok"))))
                == .kubernetes(mount: "k8s", role: "r", jwt: .secret(SecretKeySelector(name: "tok", key: "token"))))
        #expect(
            try auth(VaultAuth(kubernetes: VaultKubernetesAuth(role: "r")))
                == .kubernetes(mount: "kubernetes", role: "r", jwt: .mountedToken))
        #expect(
            try auth(
                VaultAuth(
                    jwt: VaultJwtAuth(
                        role: "r",
                        kubernetesServiceAccountToken: VaultKubernetesServiceAccountTokenAuth(
                            serviceAccountRef: ServiceAccountSelector(name: "sa", audiences: ["a"])))))
                == .jwt(
                    mount: "jwt", role: "r",
                    jwt: .serviceAccount(
                        ServiceAccountSelector(name: "sa", audiences: ["a"]), audiences: ["a", "vault"],
                        expirationSeconds: 600)))
        #expect(
            try auth(VaultAuth(jwt: VaultJwtAuth(secretRef: secret)))
                == .jwt(mount: "jwt", role: "", jwt: .secret(secret)))
        #expect(
            try auth(VaultAuth(userPass: VaultUserPassAuth(username: "u", secretRef: secret)))
                == .userPass(mount: "userpass", username: "u", password: secret))
        #expect(
            try auth(VaultAuth(ldap: VaultLdapAuth(username: "u", secretRef: secret)))
                == .ldap(mount: "ldap", username: "u", password: secret))
        let cert = try resolve(
            VaultProvider(
                server: "https://v", auth: VaultAuth(cert: VaultCertAuth(clientCert: secret, secretRef: secret))))
        #expect(cert.auth == .cert(mount: "cert", role: nil, certificate: .init(certificate: secret, key: secret)))
        #expect(cert.clientCertificate == .init(certificate: secret, key: secret))
    }

    @Test(arguments: [
        ("no auth", VaultProvider(server: "https://v"), ProviderError.Code.invalidConfiguration),
        (
            "two methods",
            VaultProvider(
                server: "https://v",
                auth: VaultAuth(
                    tokenSecretRef: SecretKeySelector(name: "a", key: "b"),
                    userPass: VaultUserPassAuth(username: "u", secretRef: SecretKeySelector(name: "a", key: "b")))),
            .invalidConfiguration
        ),
        ("iam", VaultProvider(server: "https://v", auth: VaultAuth(iam: VaultIamAuth(vaultRole: "r"))), .unsupported),
        ("gcp", VaultProvider(server: "https://v", auth: VaultAuth(gcp: VaultGCPAuth(role: "r"))), .unsupported),
        (
            "bad server",
            VaultProvider(
                server: "vault:8200", auth: VaultAuth(tokenSecretRef: SecretKeySelector(name: "a", key: "b"))),
            .invalidConfiguration
        ),
        (
            "server with credentials",
            VaultProvider(
                server: "https://u:p@v", auth: VaultAuth(tokenSecretRef: SecretKeySelector(name: "a", key: "b"))),
            .invalidConfiguration
        ),
        (
            "no key", VaultProvider(server: "https://v", auth: VaultAuth(tokenSecretRef: SecretKeySelector(name: "a"))),
            .invalidConfiguration
        ),
        (
            "no role id",
            VaultProvider(
                server: "https://v",
                auth: VaultAuth(appRole: VaultAppRole(secretRef: SecretKeySelector(name: "a", key: "b")))),
            .invalidConfiguration
        ),
        (
            "jwt without source", VaultProvider(server: "https://v", auth: VaultAuth(jwt: VaultJwtAuth(role: "r"))),
            .invalidConfiguration
        ),
        (
            "cert over http",
            VaultProvider(
                server: "http://v",
                auth: VaultAuth(
                    cert: VaultCertAuth(
                        clientCert: SecretKeySelector(name: "a", key: "b"),
                        secretRef: SecretKeySelector(name: "a", key: "c")))), .invalidConfiguration
        ),
        (
            "half tls",
            VaultProvider(
                server: "https://v", tls: VaultClientTLS(certSecretRef: SecretKeySelector(name: "a")),
                auth: VaultAuth(tokenSecretRef: SecretKeySelector(name: "a", key: "b"))), .invalidConfiguration
        ),
        (
            "bad CA",
            VaultProvider(
                server: "https://v", caBundle: "bm90IGEgY2VydA==",
                auth: VaultAuth(tokenSecretRef: SecretKeySelector(name: "a", key: "b"))), .invalidConfiguration
        ),
        (
            "foreign namespace",
            VaultProvider(
                server: "https://v",
                auth: VaultAuth(tokenSecretRef: SecretKeySelector(name: "a", key: "b", namespace: "other"))),
            .invalidConfiguration
        ),
        (
            "CA provider namespace",
            VaultProvider(
                server: "https://v",
                caProvider: CAProvider(type: "Secret", name: "ca", key: "ca.crt", namespace: "team"),
                auth: VaultAuth(tokenSecretRef: SecretKeySelector(name: "a", key: "b"))), .invalidConfiguration
        ),
    ])
    func refusedConfigurations(_ name: String, vault: VaultProvider, code: ProviderError.Code) {
        let error = failure(vault)
        #expect(error?.code == code, "\(name): \(error?.message ?? "accepted")")
        #expect(
            error?.message.hasPrefix("spec.provider.vault") == true || error?.message.hasPrefix("spec.") == true,
            "\(name)")
    }

    @Test func clusterStoreReferencesAndReferentCredentials() throws {
        let named = VaultProvider(
            server: "https://v",
            auth: VaultAuth(tokenSecretRef: SecretKeySelector(name: "a", key: "b", namespace: "vault")))
        #expect(try !resolve(named, kind: .clusterSecretStore).isReferent)
        let referent = VaultProvider(
            server: "https://v", auth: VaultAuth(tokenSecretRef: SecretKeySelector(name: "a", key: "b")))
        #expect(try resolve(referent, kind: .clusterSecretStore).isReferent)
        #expect(try !resolve(referent).isReferent)
        let caWithoutNamespace = VaultProvider(
            server: "https://v", caProvider: CAProvider(type: "ConfigMap", name: "ca", key: "ca.crt"), auth: named.auth)
        #expect(failure(caWithoutNamespace, kind: .clusterSecretStore)?.code == .invalidConfiguration)
    }

    @Test func retrySettings() throws {
        #expect(try resolve(appRoleVault(), retry: SecretStoreRetrySettings()).retry.maxRetries == 0)
        let custom = try resolve(appRoleVault(), retry: SecretStoreRetrySettings(maxRetries: 4, retryInterval: "250ms"))
            .retry
        #expect(custom == .init(maxRetries: 4, minimumWait: .milliseconds(250), maximumWait: .milliseconds(250)))
        #expect(throws: ProviderError.self) {
            try resolve(appRoleVault(), retry: SecretStoreRetrySettings(retryInterval: "soon"))
        }
        #expect(VaultStoreSettings.RetryPolicy.vaultDefault.wait(before: 1) == .seconds(1))
        #expect(VaultStoreSettings.RetryPolicy.vaultDefault.wait(before: 2) == .milliseconds(1500))
    }
}
