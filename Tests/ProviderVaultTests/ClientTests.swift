import ExternalSecretsAPI
import Foundation
import HTTPSupport
import HTTPTestSupport
import NIOHTTP1
import ProviderKit
import ProviderTestSupport
import Testing

@testable import ProviderVault

/// The client against a scripted Vault: requests, token lifecycle, errors.
@Suite struct ClientTests {
    func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }

    /// A scripted Vault with AppRole login issuing `token-N` (lease `lease`) and secret `db`.
    func scriptedVault(lease: Int = 3600, renewable: Bool = true) -> (ScriptedVault, Locked<Int>) {
        let vault = ScriptedVault()
        let logins = Locked(0)
        vault.on("POST auth/approle/login") { _ in
            let number = logins.update {
                $0 += 1; return $0
            }
            return .respond(
                .ok, body: Array(ScriptedVault.login("token-\(number)", lease: lease, renewable: renewable).utf8))
        }
        vault.on("GET secret/data/db", json: ScriptedVault.kv2(#"{"user":"app","password":"\#(canary)"}"#))
        vault.on("POST auth/token/revoke-self") { _ in .respond(.noContent) }
        return (vault, logins)
    }

    @Test func readsWithOneLoginForManyReadsAndSendsTheToken() async throws {
        let (vault, logins) = scriptedVault()
        let client = try await vault.provider().makeClient(for: store(appRoleVault()), references: appRoleReferences())
        for _ in 0..<100 {
            #expect(
                try await client.getSecret(ExternalSecretDataRemoteRef(key: "db", property: "user")) == Data("app".utf8)
            )
        }
        #expect(logins.value == 1)
        let read = try #require(vault.transport.requests.last)
        #expect(read.headers.first(name: "X-Vault-Token") == "token-1")
        let login = try #require(vault.transport.requests.first)
        #expect(String(decoding: login.body ?? [], as: UTF8.self) == #"{"role_id":"role-1","secret_id":"secret-id-1"}"#)
        #expect(login.headers.first(name: "X-Vault-Token") == nil)
        await client.close()
        #expect(vault.count("POST auth/token/revoke-self") == 1)
    }

    @Test func renewsAfterTwoThirdsOfTheLeaseAndLogsInAgainWhenRenewalFails() async throws {
        let (vault, logins) = scriptedVault(lease: 600)
        let renewals = Locked(0)
        vault.on("POST auth/token/renew-self") { request in
            let count = renewals.update {
                $0 += 1; return $0
            }
            if count == 1 {
                #expect(request.headers.first(name: "X-Vault-Token") == "token-1")
                #expect(String(decoding: request.body ?? [], as: UTF8.self) == #"{"increment":"600s"}"#)
                return .respond(.ok, body: Array(ScriptedVault.login("token-1", lease: 600).utf8))
            }
            return .respond(.forbidden, body: Array(#"{"errors":["permission denied"]}"#.utf8))
        }
        let client = try await vault.provider().makeClient(for: store(appRoleVault()), references: appRoleReferences())
        let ref = ExternalSecretDataRemoteRef(key: "db", property: "user")
        _ = try await client.getSecret(ref)
        vault.clock.advance(by: 399)
        _ = try await client.getSecret(ref)
        #expect(renewals.value == 0)
        vault.clock.advance(by: 2)  // 401 s: past two thirds of 600
        _ = try await client.getSecret(ref)
        #expect(renewals.value == 1 && logins.value == 1)
        vault.clock.advance(by: 401)  // due again; renewal refused: a new login, the old token revoked
        _ = try await client.getSecret(ref)
        #expect(renewals.value == 2 && logins.value == 2)
        let lastRead = vault.transport.requests.last { ScriptedVault.key($0) == "GET secret/data/db" }
        #expect(lastRead?.headers.first(name: "X-Vault-Token") == "token-2")
        // The old token is revoked in the background: yield until it is (counts yields, not time).
        for _ in 0..<200_000 where vault.count("POST auth/token/revoke-self") == 0 { await Task.yield() }
        #expect(vault.count("POST auth/token/revoke-self") == 1)
    }

    @Test func nonRenewableTokensAreReplacedBeforeTheyExpire() async throws {
        let (vault, logins) = scriptedVault(lease: 60, renewable: false)
        let client = try await vault.provider().makeClient(for: store(appRoleVault()), references: appRoleReferences())
        let ref = ExternalSecretDataRemoteRef(key: "db")
        _ = try await client.getSecret(ref)
        vault.clock.advance(by: 41)
        _ = try await client.getSecret(ref)
        #expect(logins.value == 2)
        #expect(vault.count("POST auth/token/renew-self") == 0)
    }

    @Test func concurrentReadsShareOneLogin() async throws {
        let (vault, logins) = scriptedVault()
        let provider = vault.provider()
        let client = try await provider.makeClient(for: store(appRoleVault()), references: appRoleReferences())
        vault.clock.advance(by: 3590)  // the token is due: every reader waits for one login
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<20 { group.addTask { _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db")) } }
            try await group.waitForAll()
        }
        #expect(logins.value == 2)
    }

    @Test func aRevokedTokenLogsInAgainOnceAndAPolicyDenialDoesNot() async throws {
        let (vault, logins) = scriptedVault()
        let accepted = Locked<Set<String>>(["token-1"])
        vault.on("GET auth/token/lookup-self") { request in
            accepted.value.contains(request.headers.first(name: "X-Vault-Token") ?? "")
                ? .respond(.ok, body: Array(#"{"data":{"ttl":100}}"#.utf8))
                : .respond(.forbidden, body: Array(#"{"errors":["permission denied"]}"#.utf8))
        }
        vault.on("GET secret/data/db") { request in
            let token = request.headers.first(name: "X-Vault-Token") ?? ""
            guard accepted.value.contains(token) else {
                return .respond(.forbidden, body: Array(#"{"errors":["permission denied"]}"#.utf8))
            }
            return .respond(.ok, body: Array(ScriptedVault.kv2(#"{"user":"app"}"#).utf8))
        }
        vault.on(
            "GET secret/data/denied", status: .forbidden,
            json: #"{"errors":["1 error occurred:\n\t* permission denied\n\n"]}"#)
        let client = try await vault.provider().makeClient(for: store(appRoleVault()), references: appRoleReferences())

        // The policy refuses a path: access denied, no new login.
        do {
            _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "denied"))
            Issue.record("expected access denied")
        } catch let error as ProviderError {
            #expect(error.code == .accessDenied)
            #expect(error.message.contains("read secret \"denied\"") && error.message.contains("permission denied"))
        }
        #expect(logins.value == 1)

        // The token is revoked behind the client's back: one new login, and the read succeeds.
        accepted.update { $0 = ["token-2"] }
        #expect(
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "db", property: "user")) == Data("app".utf8))
        #expect(logins.value == 2)
    }

    @Test func aStaticTokenIsReadFromItsSecretNeverRevokedAndReReadForRotation() async throws {
        let vault = ScriptedVault()
        vault.on("GET secret/data/db") { request in
            .respond(
                .ok,
                body: Array(
                    ScriptedVault.kv2(#"{"token":"\#(request.headers.first(name: "X-Vault-Token") ?? "")"}"#).utf8))
        }
        let references = FakeReferences(secrets: ["vault-token/token": "static-1\n"])
        let vaultSpec = VaultProvider(
            server: "https://vault.test", path: "secret",
            auth: VaultAuth(tokenSecretRef: SecretKeySelector(name: "vault-token", key: "token")))
        let client = try await vault.provider().makeClient(for: store(vaultSpec), references: references)
        let ref = ExternalSecretDataRemoteRef(key: "db", property: "token")
        #expect(text(try await client.getSecret(ref)) == "static-1")
        references.setSecret("vault-token/token", "static-2")
        vault.clock.advance(by: 301)
        #expect(text(try await client.getSecret(ref)) == "static-2")
        await client.close()
        #expect(vault.count("POST auth/token/revoke-self") == 0)
        #expect(vault.count("POST auth/token/renew-self") == 0)
    }

    @Test func versionsMetadataAndV1() async throws {
        let (vault, _) = scriptedVault()
        vault.on("GET secret/data/db") { request in
            request.url.hasSuffix("?version=2")
                ? .respond(.ok, body: Array(ScriptedVault.kv2(#"{"user":"old"}"#, version: 2).utf8))
                : .respond(.ok, body: Array(ScriptedVault.kv2(#"{"user":"app"}"#).utf8))
        }
        vault.on(
            "GET secret/metadata/db",
            json:
                #"{"data":{"created_time":"2024-01-02T03:04:05Z","current_version":3,"delete_version_after":"0s","custom_metadata":{"owner":"team-a"}}}"#
        )
        let client = try await vault.provider().makeClient(for: store(appRoleVault()), references: appRoleReferences())
        #expect(
            text(try await client.getSecret(ExternalSecretDataRemoteRef(key: "db", property: "user", version: "2")))
                == "old")
        #expect(
            text(
                try await client.getSecret(
                    ExternalSecretDataRemoteRef(key: "db", property: "owner", metadataPolicy: .fetch)))
                == "team-a")
        let metadata = try await client.getSecretMap(ExternalSecretDataRemoteRef(key: "db", metadataPolicy: .fetch))
        #expect(
            metadata.mapValues(text) == [
                "created_time": "2024-01-02T03:04:05Z", "current_version": "3", "delete_version_after": "0s",
                "owner": "team-a",
            ])

        let v1 = ScriptedVault()
        v1.on("POST auth/approle/login", json: ScriptedVault.login("t"))
        v1.on("GET kv/db", json: #"{"data":{"user":"v1-app"}}"#)
        let v1Client = try await v1.provider().makeClient(
            for: store(appRoleVault(path: "kv", version: .v1)), references: appRoleReferences())
        #expect(
            text(try await v1Client.getSecret(ExternalSecretDataRemoteRef(key: "db", property: "user"))) == "v1-app")
        await #expect(throws: ProviderError.self) {
            try await v1Client.getSecret(ExternalSecretDataRemoteRef(key: "db", metadataPolicy: .fetch))
        }
        await #expect(throws: ProviderError.self) {
            try await v1Client.getAllSecrets(ExternalSecretFind(tags: ["a": "b"]))
        }
    }

    @Test func findListsRecursivelyAndMatchesNamesOrTags() async throws {
        let (vault, _) = scriptedVault()
        vault.on("LIST secret/metadata/app/", json: #"{"data":{"keys":["db","deleted","nested/"]}}"#)
        vault.on("LIST secret/metadata/app/nested/", json: #"{"data":{"keys":["cache"]}}"#)
        vault.on("GET secret/data/app/db", json: ScriptedVault.kv2(#"{"p":"1"}"#))
        vault.on("GET secret/data/app/nested/cache", json: ScriptedVault.kv2(#"{"p":"2"}"#))
        vault.on("GET secret/data/app/deleted", status: .notFound, json: #"{"data":{"data":null}}"#)
        vault.on(
            "GET secret/metadata/app/db", json: #"{"data":{"current_version":1,"custom_metadata":{"env":"prod"}}}"#)
        vault.on(
            "GET secret/metadata/app/nested/cache",
            json: #"{"data":{"current_version":1,"custom_metadata":{"env":"dev"}}}"#)
        vault.on(
            "GET secret/metadata/app/deleted", json: #"{"data":{"current_version":1,"custom_metadata":{"env":"prod"}}}"#
        )
        let client = try await vault.provider().makeClient(for: store(appRoleVault()), references: appRoleReferences())

        let all = try await client.getAllSecrets(ExternalSecretFind(path: "app"))
        #expect(all.mapValues(text) == ["app/db": #"{"p":"1"}"#, "app/nested/cache": #"{"p":"2"}"#])
        let named = try await client.getAllSecrets(ExternalSecretFind(path: "app", name: FindName(regexp: "ca.he$")))
        #expect(Array(named.keys) == ["app/nested/cache"])
        let tagged = try await client.getAllSecrets(ExternalSecretFind(path: "app", tags: ["env": "prod"]))
        #expect(Array(tagged.keys) == ["app/db"])
        await #expect(throws: ProviderError.self) {
            try await client.getAllSecrets(ExternalSecretFind(name: FindName(regexp: "(")))
        }
    }

    @Test(arguments: [
        (HTTPResponseStatus.notFound, #"{"errors":[]}"#, ProviderError.Code.notFound),
        (.forbidden, #"{"errors":["permission denied"]}"#, .accessDenied),
        (.serviceUnavailable, #"{"errors":["Vault is sealed"]}"#, .unavailable),
        (.internalServerError, #"{"errors":["internal error"]}"#, .unavailable),
        (.tooManyRequests, #"{"errors":["rate limit quota exceeded"]}"#, .throttled),
        (.badRequest, #"{"errors":["bad"]}"#, .other),
    ])
    func statusCodesBecomeClearErrors(status: HTTPResponseStatus, body: String, code: ProviderError.Code) async throws {
        let (vault, _) = scriptedVault()
        vault.on("GET auth/token/lookup-self", json: #"{"data":{}}"#)
        vault.on("GET secret/data/x", status: status, json: body)
        let client = try await vault.provider().makeClient(for: store(appRoleVault()), references: appRoleReferences())
        do {
            _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "x"))
            Issue.record("expected an error")
        } catch let error as ProviderError {
            #expect(error.code == code, "\(error.message)")
            if status == .serviceUnavailable { #expect(error.message.contains("sealed")) }
        }
    }

    @Test func retriesWithBackoffThenGivesUpAndHonoursRetryAfter() async throws {
        let (vault, _) = scriptedVault()
        let calls = Locked(0)
        vault.on("GET secret/data/flaky") { _ in
            let count = calls.update {
                $0 += 1; return $0
            }
            return count < 3
                ? .respond(
                    .tooManyRequests, headers: ["Retry-After": "7"], body: Array(#"{"errors":["slow down"]}"#.utf8))
                : .respond(.ok, body: Array(ScriptedVault.kv2(#"{"a":"b"}"#).utf8))
        }
        vault.on("GET secret/data/down", status: .badGateway, json: #"{"errors":[]}"#)
        let client = try await vault.provider().makeClient(for: store(appRoleVault()), references: appRoleReferences())
        #expect(text(try await client.getSecret(ExternalSecretDataRemoteRef(key: "flaky", property: "a"))) == "b")
        #expect(vault.sleeps.value == [.seconds(7), .seconds(7)])
        await #expect(
            throws: ProviderError(
                .unavailable, "read secret \"down\": Vault at https://vault.test:8200 failed (HTTP 502)")
        ) {
            try await client.getSecret(ExternalSecretDataRemoteRef(key: "down"))
        }
        #expect(vault.count("GET secret/data/down") == 3)
        #expect(vault.sleeps.value.suffix(2) == [.seconds(1), .milliseconds(1500)])

        // retrySettings without maxRetries: no retries, as ESO.
        let (noRetry, _) = scriptedVault()
        noRetry.on("GET secret/data/down", status: .badGateway, json: #"{"errors":[]}"#)
        let once = try await noRetry.provider().makeClient(
            for: store(appRoleVault(), retrySettings: SecretStoreRetrySettings()), references: appRoleReferences())
        await #expect(throws: ProviderError.self) { try await once.getSecret(ExternalSecretDataRemoteRef(key: "down")) }
        #expect(noRetry.count("GET secret/data/down") == 1)
    }

    @Test func loginFailuresAreClearAndNeverShowCredentials() async throws {
        let vault = ScriptedVault()
        vault.on("POST auth/approle/login") { request in
            // A server that echoes what it was sent.
            let sent = String(decoding: request.body ?? [], as: UTF8.self).replacingOccurrences(of: "\"", with: "'")
            return .respond(.badRequest, body: Array(#"{"errors":["invalid role or secret ID: \#(sent)"]}"#.utf8))
        }
        let references = FakeReferences(secrets: ["approle/secret-id": canary])
        do {
            _ = try await vault.provider().makeClient(for: store(appRoleVault()), references: references)
            Issue.record("expected a login failure")
        } catch let error as ProviderError {
            #expect(error.code == .accessDenied)
            #expect(error.message.contains("log in with the approle method at auth/approle"))
            #expect(error.message.contains("invalid role or secret ID"))
            #expect(!error.message.contains(canary))
        }
    }

    @Test func namespacesHeadersAndReadYourWrites() async throws {
        let (vault, _) = scriptedVault()
        vault.on("GET secret/data/db") { _ in
            .respond(.ok, headers: ["X-Vault-Index": "state-1"], body: Array(ScriptedVault.kv2(#"{"a":"b"}"#).utf8))
        }
        let spec = appRoleVault(namespace: "team-a") {
            $0.auth?.namespace = "admin"
            $0.headers = ["X-Custom": "yes"]
            $0.readYourWrites = true
            $0.forwardInconsistent = true
        }
        let client = try await vault.provider().makeClient(for: store(spec), references: appRoleReferences())
        _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db"))
        _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db"))
        let requests = vault.transport.requests
        #expect(requests[0].headers.first(name: "X-Vault-Namespace") == "admin")  // the login
        #expect(requests[1].headers.first(name: "X-Vault-Namespace") == "team-a")
        #expect(requests[1].headers.first(name: "X-Custom") == "yes")
        #expect(requests[1].headers.first(name: "X-Vault-Inconsistent") == "forward-active-node")
        #expect(requests[1].headers.first(name: "X-Vault-Index") == nil)
        #expect(requests[2].headers.first(name: "X-Vault-Index") == "state-1")
    }

    @Test func kubernetesJWTAndUserpassLoginsSendWhatVaultExpects() async throws {
        let vault = ScriptedVault()
        for path in ["auth/kubernetes/login", "auth/jwt/login", "auth/userpass/login/app", "auth/cert/login"] {
            vault.on("POST \(path)", json: ScriptedVault.login("t"))
        }
        let references = FakeReferences(secrets: ["pw/password": " spaced \n", "jwt/token": "jwt-from-secret"])
        let provider = vault.provider()
        let auths = [
            VaultAuth(
                kubernetes: VaultKubernetesAuth(role: "reader", serviceAccountRef: ServiceAccountSelector(name: "sa"))),
            VaultAuth(
                jwt: VaultJwtAuth(
                    role: "r",
                    kubernetesServiceAccountToken: .init(serviceAccountRef: ServiceAccountSelector(name: "sa")))),
            VaultAuth(jwt: VaultJwtAuth(role: "r", secretRef: SecretKeySelector(name: "jwt", key: "token"))),
            VaultAuth(
                userPass: VaultUserPassAuth(username: "app", secretRef: SecretKeySelector(name: "pw", key: "password"))),
            VaultAuth(
                cert: VaultCertAuth(
                    vaultRole: "web", clientCert: SecretKeySelector(name: "c", key: "tls.crt"),
                    secretRef: SecretKeySelector(name: "c", key: "tls.key"))),
        ]
        references.setSecret("c/tls.crt", "cert")
        references.setSecret("c/tls.key", "key")
        for auth in auths {
            _ = try await provider.makeClient(
                for: store(VaultProvider(server: "https://v", path: "secret", auth: auth)), references: references)
        }
        let bodies = vault.transport.requests.map {
            "\(ScriptedVault.key($0)) \(String(decoding: $0.body ?? [], as: UTF8.self))"
        }
        #expect(
            bodies == [
                #"POST auth/kubernetes/login {"jwt":"jwt-sa-1","role":"reader"}"#,
                #"POST auth/jwt/login {"jwt":"jwt-sa-2","role":"r"}"#,
                #"POST auth/jwt/login {"jwt":"jwt-from-secret","role":"r"}"#,
                #"POST auth/userpass/login/app {"password":" spaced \n"}"#,
                #"POST auth/cert/login {"name":"web"}"#,
            ])
        #expect(references.asked.contains("token sa []") && references.asked.contains("token sa [\"vault\"]"))
    }

    @Test func validationLooksUpTheTokenAndChecksTheMount() async throws {
        let (vault, _) = scriptedVault()
        vault.on("GET auth/token/lookup-self", json: #"{"data":{"ttl":3000}}"#)
        vault.on("GET sys/internal/ui/mounts/secret", json: #"{"data":{"type":"kv","options":{"version":"2"}}}"#)
        let provider = vault.provider()
        let client = try await provider.makeClient(for: store(appRoleVault()), references: appRoleReferences())
        #expect(try await client.validate() == .ready)
        let v1 = try await provider.makeClient(for: store(appRoleVault(version: .v1)), references: appRoleReferences())
        await #expect(throws: ProviderError.self) { try await v1.validate() }
        let missing = try await provider.makeClient(
            for: store(appRoleVault(path: "nope")), references: appRoleReferences())
        await #expect(throws: ProviderError.self) { try await missing.validate() }

        let referent = VaultProvider(
            server: "https://v", auth: VaultAuth(tokenSecretRef: SecretKeySelector(name: "a", key: "b")))
        let unknown = try await provider.makeClient(
            for: store(referent, kind: .clusterSecretStore), references: FakeReferences())
        #expect(try await unknown.validate() == .unknown)
    }

    @Test func transportFailuresAreUnavailableAfterRetries() async throws {
        struct Refused: Error, CustomStringConvertible { var description: String { "connection refused" } }
        let vault = ScriptedVault()
        vault.on("POST auth/approle/login") { _ in .fail(Refused()) }
        do {
            _ = try await vault.provider().makeClient(for: store(appRoleVault()), references: appRoleReferences())
            Issue.record("expected a failure")
        } catch let error as ProviderError {
            #expect(error.code == .unavailable)
            #expect(error.message.contains("cannot reach Vault at https://vault.test:8200: connection refused"))
        }
        #expect(vault.count("POST auth/approle/login") == 3)
    }

    /// Redact values, not diagnostics: the transport error's type and case name (longer than the
    /// 20 characters that mark a token in Vault's text) stay in the message.
    @Test func transportErrorNamesSurvive() async throws {
        // What AsyncHTTPClient's error prints for a connection the server closed.
        struct Closed: Error, CustomStringConvertible {
            var description: String { "HTTPClientError.remoteConnectionClosed" }
        }
        let vault = ScriptedVault()
        vault.on("POST auth/approle/login") { _ in .fail(Closed()) }
        do {
            _ = try await vault.provider().makeClient(for: store(appRoleVault()), references: appRoleReferences())
            Issue.record("expected a failure")
        } catch let error as ProviderError {
            #expect(error.code == .unavailable)
            #expect(
                error.message.hasSuffix(
                    "cannot reach Vault at https://vault.test:8200: HTTPClientError.remoteConnectionClosed"),
                "\(error.message)")
            #expect(!error.message.contains("[redacted]"))
        }
    }

    /// What a server says is kept only without its token-like values: a body echoing a secret
    /// value or a token never reaches the message, the words around it do.
    @Test func serverBodyValuesAreRedacted() async throws {
        let echoed = "s3cr3tV4lue0fTheUserXYZ"
        let vault = ScriptedVault()
        vault.on("POST auth/approle/login", json: ScriptedVault.login("t"))
        vault.on("GET secret/data/db", status: .internalServerError,
            json: #"{"errors":["decoding failed near \"\#(echoed)\" for token hvs.CAESIJr3XyzAbCdEfGhIjKlMnOp"]}"#)
        let client = try await vault.provider().makeClient(for: store(appRoleVault()), references: appRoleReferences())
        do {
            _ = try await client.getSecret(ExternalSecretDataRemoteRef(key: "db"))
            Issue.record("expected a failure")
        } catch let error as ProviderError {
            #expect(!error.message.contains(echoed))
            #expect(!error.message.contains("CAESI"))
            #expect(error.message.contains("decoding failed near"), "\(error.message)")
            #expect(error.message.contains("[redacted]"))
        }
        await client.close()
    }
}

/// What the transport of a store client is made with, and the logins not covered above.
@Suite struct ConnectionSetupTests {
    @Test func trustAndClientCertificatesComeFromTheReferences() async throws {
        let vault = ScriptedVault()
        vault.on("POST auth/approle/login", json: ScriptedVault.login("t"))
        let captured = Locked<[TLSSettings]>([])
        let transport = vault.transport
        let provider = VaultSecretsProvider(
            transport: { tls in
                captured.update { $0.append(tls) }
                return (transport, {})
            }, now: { vault.clock.now }, sleep: { _ in })
        let references = FakeReferences(
            secrets: ["approle/secret-id": "s", "mtls/tls.crt": "CERT", "mtls/tls.key": "KEY"],
            caBundles: ["ca/ca.crt": Data("CA".utf8)])
        let spec = appRoleVault {
            $0.caProvider = CAProvider(type: "ConfigMap", name: "ca", key: "ca.crt")
            $0.tls = VaultClientTLS(
                certSecretRef: SecretKeySelector(name: "mtls"), keySecretRef: SecretKeySelector(name: "mtls"))
        }
        _ = try await provider.makeClient(for: store(spec), references: references)
        let tls = try #require(captured.value.first)
        #expect(tls.trustedCAsPEM == Array("CA".utf8))
        #expect(tls.clientCertificatePEM == Array("CERT".utf8) && tls.clientKeyPEM == Array("KEY".utf8))
        #expect(
            references.asked == [
                "ca ca/ca.crt", "secret mtls/tls.crt", "secret mtls/tls.key", "secret approle/secret-id",
            ])
    }

    @Test func ldapAndTheMountedServiceAccountToken() async throws {
        let vault = ScriptedVault()
        vault.on("POST auth/ldap/login/jane", json: ScriptedVault.login("t"))
        vault.on("POST auth/kubernetes/login", json: ScriptedVault.login("t"))
        let tokenFile = FileManager.default.temporaryDirectory.appendingPathComponent("sa-token-\(UUID().uuidString)")
            .path
        try "mounted-jwt\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: tokenFile) }
        let provider = vault.provider(mountedTokenPath: tokenFile)
        let references = FakeReferences(secrets: ["ldap/password": "pw"])
        _ = try await provider.makeClient(
            for: store(
                VaultProvider(
                    server: "https://v",
                    auth: VaultAuth(
                        ldap: VaultLdapAuth(
                            username: "jane", secretRef: SecretKeySelector(name: "ldap", key: "password"))))),
            references: references)
        _ = try await provider.makeClient(
            for: store(VaultProvider(server: "https://v", auth: VaultAuth(kubernetes: VaultKubernetesAuth(role: "r")))),
            references: references)
        let bodies = vault.transport.requests.map {
            "\(ScriptedVault.key($0)) \(String(decoding: $0.body ?? [], as: UTF8.self))"
        }
        #expect(
            bodies == [
                #"POST auth/ldap/login/jane {"password":"pw"}"#,
                #"POST auth/kubernetes/login {"jwt":"mounted-jwt","role":"r"}"#,
            ])

        let missing = VaultSecretsProvider(
            transport: { _ in (vault.transport, {}) }, mountedTokenPath: "/nonexistent/token")
        await #expect(throws: ProviderError.self) {
            try await missing.makeClient(
                for: store(
                    VaultProvider(server: "https://v", auth: VaultAuth(kubernetes: VaultKubernetesAuth(role: "r")))),
                references: references)
        }
    }
}
