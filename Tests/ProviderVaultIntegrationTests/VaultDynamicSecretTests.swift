import ExternalSecretsAPI
import Foundation
import KubeClient
import KubeModel
import KubeTestSupport
import OperatorTestSupport
import ProcessTestSupport
import ProviderKit
import ProviderTestSupport
import ProviderVault
import Testing
import VaultTestSupport

/// The VaultDynamicSecret generator against a real OpenBao dev server and a real PostgreSQL:
/// database credentials made, renewed and revoked, a PKI certificate, ESO's result types,
/// empty answers, retries and denials.
@Suite(
    .enabled(if: PostgresServer.isAvailable, "PostgreSQL is not installed (scripts/install-deps.sh vault)"), .openBao,
    .serialized)
struct VaultDynamicSecretTests {
    static let kind = VaultDynamicSecretSpec.kind
    let generators = VaultGenerators(provider: VaultSecretsProvider())

    /// The suite's OpenBao, logged into with the token in Secret `vault/token`.
    func provider() throws -> VaultProvider {
        let bao = try currentBao()
        return VaultProvider(
            server: bao.address, caBundle: bao.caCertificatePEM.base64EncodedString(),
            auth: VaultAuth(tokenSecretRef: secretKey("vault", "token")))
    }

    func references(token: String? = nil) throws -> FakeReferences {
        let root = try currentBao().rootToken
        return FakeReferences(secrets: ["vault/token": token ?? root])
    }

    func json(_ spec: VaultDynamicSecretSpec) throws -> JSONValue { try JSONValue(encoding: spec) }

    func text(_ data: Data?) -> String? { data.map { String(decoding: $0, as: UTF8.self) } }

    /// `sys/leases/lookup` of `leaseID`: its expire time, nil when Vault no longer knows it.
    func leaseExpiry(_ leaseID: String) async throws -> Date? {
        let answer = try await currentBao().call(.PUT, "sys/leases/lookup", ["lease_id": leaseID])
        guard answer.status == 200, let text = answer.data("expire_time") else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    /// A database secrets engine on a new mount, connected to `postgres`, with role `app`
    /// creating a login role per lease.
    func databaseMount(_ postgres: PostgresServer) async throws -> String {
        let bao = try currentBao()
        let mount = "db-\(UUID().uuidString.prefix(6).lowercased())"
        try await bao.mount(mount, type: "database", version: nil)
        try await bao.must(
            .POST, "\(mount)/config/pg",
            [
                "plugin_name": "postgresql-database-plugin", "connection_url": postgres.vaultConnectionURL,
                "username": "postgres", "password": postgres.superuserPassword, "allowed_roles": ["app"],
            ])
        try await bao.must(
            .POST, "\(mount)/roles/app",
            [
                "db_name": "pg",
                "creation_statements": [
                    "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"
                ],
                "default_ttl": "1h", "max_ttl": "24h",
            ])
        return mount
    }

    @Test func databaseCredentialsLoginAreRenewedAndDisappearWhenRevoked() async throws {
        let postgres = try await PostgresServer.start()
        do {
            try await databaseLifecycle(postgres)
            await postgres.stop()
        } catch {
            await postgres.stop()
            throw error
        }
    }

    func databaseLifecycle(_ postgres: PostgresServer) async throws {
        let mount = try await databaseMount(postgres)
        let spec = try json(VaultDynamicSecretSpec(provider: try provider(), path: "\(mount)/creds/app"))
        let references = try references()
        let issued = Date()
        let generated = try await generators.generate(kind: Self.kind, spec: spec, references: references, now: issued)
        #expect(generated.data.keys.sorted() == ["password", "username"])
        let username = try #require(text(generated.data["username"]))
        let password = try #require(text(generated.data["password"]))
        #expect(try await postgres.roleExists(username))
        #expect(try await postgres.psql("SELECT current_user", user: username, password: password) == username)

        // The state names the lease, never the credential.
        let state = try #require(generated.state)
        let stateText = String(decoding: try JSONEncoder().encode(state), as: UTF8.self)
        #expect(!stateText.contains(password) && !stateText.contains(username))
        let leaseID = try #require(state["leaseID"]?.stringValue)
        #expect(leaseID.hasPrefix("\(mount)/creds/app/"))
        #expect(state["leaseDuration"]?.integerValue == 3600)
        #expect(state["renewable"] == .bool(true))
        let renewal = try #require(generators.renewal(kind: Self.kind, state: state))
        let issuedAt = floor(issued.timeIntervalSince1970)
        #expect(abs(renewal.timeIntervalSince1970 - (issuedAt + 2400)) < 1)

        // Renewal extends the lease.
        let before = try #require(try await leaseExpiry(leaseID))
        try await Task.sleep(for: .milliseconds(2100))
        let renewedAt = Date()
        let renewed = try await generators.renew(
            kind: Self.kind, spec: spec, state: state, references: references, now: renewedAt)
        let after = try #require(try await leaseExpiry(leaseID))
        #expect(after > before.addingTimeInterval(1), "expire_time \(before) -> \(after)")
        #expect(renewed["leaseID"] == state["leaseID"])
        #expect(renewed["renewable"] == .bool(true))
        let nextRenewal = try #require(generators.renewal(kind: Self.kind, state: renewed))
        #expect(nextRenewal > renewal)

        // Cleanup revokes the lease: the role is dropped; a second cleanup is still success.
        try await generators.cleanup(kind: Self.kind, spec: spec, state: renewed, references: references, now: Date())
        #expect(try await !postgres.roleExists(username))
        #expect(try await leaseExpiry(leaseID) == nil)
        try await generators.cleanup(kind: Self.kind, spec: spec, state: renewed, references: references, now: Date())
        // Renewing what is gone says so.
        await #expect {
            _ = try await generators.renew(
                kind: Self.kind, spec: spec, state: renewed, references: references, now: Date())
        } throws: { error in
            (error as? ProviderError)?.code == .notFound
        }
    }

    /// With a login method the login token stays (Vault would revoke the lease with it); the
    /// credentials outlive the generation, and cleanup (a new login) revokes them.
    @Test func appRoleLoginKeepsTheCredentialsUntilCleanup() async throws {
        let postgres = try await PostgresServer.start()
        do {
            let bao = try currentBao()
            let mount = try await databaseMount(postgres)
            let policy = "vds-\(mount)"
            try await bao.policy(
                policy,
                """
                path "\(mount)/creds/app" { capabilities = ["read"] }
                path "sys/leases/revoke" { capabilities = ["update"] }
                path "sys/leases/renew" { capabilities = ["update"] }
                """)
            let login = "approle-\(mount)"
            try await bao.enableAuth(login, type: "approle")
            try await bao.must(.POST, "auth/\(login)/role/eso", ["token_policies": [policy], "token_ttl": "1h"])
            let roleID = try #require(try await bao.must(.GET, "auth/\(login)/role/eso/role-id").data("role_id"))
            let secretID = try #require(
                try await bao.must(.POST, "auth/\(login)/role/eso/secret-id").data("secret_id"))
            var provider = try provider()
            provider.auth = VaultAuth(
                appRole: VaultAppRole(path: login, roleId: roleID, secretRef: secretKey("approle", "secret-id")))
            let spec = try json(VaultDynamicSecretSpec(provider: provider, path: "\(mount)/creds/app"))
            let references = FakeReferences(secrets: ["approle/secret-id": secretID])
            let generated = try await generators.generate(
                kind: Self.kind, spec: spec, references: references, now: Date())
            let username = try #require(text(generated.data["username"]))
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await postgres.roleExists(username), "the login token's revocation took the lease with it")
            let state = try #require(generated.state)
            _ = try await generators.renew(
                kind: Self.kind, spec: spec, state: state, references: references, now: Date())
            #expect(try await postgres.roleExists(username))
            try await generators.cleanup(kind: Self.kind, spec: spec, state: state, references: references, now: Date())
            #expect(try await !postgres.roleExists(username))
            await postgres.stop()
        } catch {
            await postgres.stop()
            throw error
        }
    }

    @Test func pkiIssuesACertificateWithParameters() async throws {
        let bao = try currentBao()
        let mount = "pki-\(UUID().uuidString.prefix(6).lowercased())"
        try await bao.mount(mount, type: "pki", version: nil)
        let root = try await bao.must(
            .POST, "\(mount)/root/generate/internal", ["common_name": "example.test", "ttl": "24h"])
        let caPEM = try #require(root.data("certificate"))
        try await bao.must(
            .POST, "\(mount)/roles/web",
            ["allowed_domains": ["example.test"], "allow_subdomains": true, "max_ttl": "1h"])
        let spec = VaultDynamicSecretSpec(
            provider: try provider(), path: "\(mount)/issue/web", method: "POST",
            parameters: ["common_name": "app.example.test", "ttl": "10m"])
        let generated = try await generators.generate(
            kind: Self.kind, spec: try json(spec), references: try references(), now: Date())
        for key in ["certificate", "private_key", "issuing_ca", "serial_number", "expiration"] {
            #expect(generated.data[key] != nil, "\(key) missing from \(generated.data.keys.sorted())")
        }
        #expect(generated.state == nil, "a PKI certificate without generate_lease has no lease")
        #expect(Int64(text(generated.data["expiration"]) ?? "") != nil)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pki-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try #require(generated.data["certificate"]).write(to: URL(fileURLWithPath: "\(directory)/cert.pem"))
        try Data(caPEM.utf8).write(to: URL(fileURLWithPath: "\(directory)/ca.pem"))
        let subject = try await ChildProcess.run(
            "openssl", ["x509", "-noout", "-subject", "-in", "\(directory)/cert.pem"])
        #expect(subject.succeeded && subject.stdoutText.contains("app.example.test"), "\(subject.stdoutText)")
        let verify = try await ChildProcess.run(
            "openssl", ["verify", "-CAfile", "\(directory)/ca.pem", "\(directory)/cert.pem"])
        #expect(verify.succeeded, "\(verify.stdoutText) \(verify.stderrText)")
    }

    @Test func resultTypesDataAuthAndRawAreESOs() async throws {
        let bao = try currentBao()
        let mount = "kv1-\(UUID().uuidString.prefix(6).lowercased())"
        try await bao.mount(mount, version: "1")
        try await bao.writeKV1(mount: mount, "app", ["user": "alice", "count": 42, "nested": ["b": 1, "a": "<x>"]])
        let references = try references()

        // Data: the members of `data`, numbers as sent, objects as Go's JSON.
        let data = try await generators.generate(
            kind: Self.kind, spec: try json(VaultDynamicSecretSpec(provider: try provider(), path: "\(mount)/app")),
            references: references, now: Date())
        #expect(data.data.keys.sorted() == ["count", "nested", "user"])
        #expect(text(data.data["user"]) == "alice")
        #expect(text(data.data["count"]) == "42")
        #expect(text(data.data["nested"]) == #"{"a":"\u003cx\u003e","b":1}"#)
        #expect(data.state == nil, "a KV read has no lease to revoke")

        // Raw: every field of Go's Secret.
        let raw = try await generators.generate(
            kind: Self.kind,
            spec: try json(VaultDynamicSecretSpec(provider: try provider(), path: "\(mount)/app", resultType: .raw)),
            references: references, now: Date())
        #expect(
            raw.data.keys.sorted() == ["data", "lease_duration", "lease_id", "renewable", "request_id", "warnings"],
            "\(raw.data.keys.sorted())")
        #expect(text(raw.data["data"]) == #"{"count":42,"nested":{"a":"\u003cx\u003e","b":1},"user":"alice"}"#)
        #expect(text(raw.data["renewable"]) == "false")
        #expect(text(raw.data["lease_id"]) == "")
        #expect(Int(text(raw.data["lease_duration"]) ?? "") != nil)
        #expect(text(raw.data["request_id"])?.isEmpty == false)

        // Auth: a token made by auth/token/create; its accessor is the state, and cleanup revokes it.
        let tokenSpec = try json(
            VaultDynamicSecretSpec(
                provider: try provider(), path: "auth/token/create", method: "POST",
                parameters: ["policies": ["default"], "ttl": "1h"], resultType: .auth))
        let auth = try await generators.generate(kind: Self.kind, spec: tokenSpec, references: references, now: Date())
        #expect(
            auth.data.keys.sorted() == [
                "accessor", "client_token", "entity_id", "identity_policies", "lease_duration", "metadata",
                "mfa_requirement", "orphan", "policies", "renewable", "token_policies",
            ], "\(auth.data.keys.sorted())")
        #expect(text(auth.data["policies"]) == #"["default"]"#)
        #expect(text(auth.data["lease_duration"]) == "3600")
        #expect(text(auth.data["renewable"]) == "true")
        let token = try #require(text(auth.data["client_token"]))
        let state = try #require(auth.state)
        #expect(state["tokenAccessor"]?.stringValue == text(auth.data["accessor"]))
        #expect(!String(decoding: try JSONEncoder().encode(state), as: UTF8.self).contains(token))
        #expect(generators.renewal(kind: Self.kind, state: state) != nil)
        _ = try await generators.renew(
            kind: Self.kind, spec: tokenSpec, state: state, references: references, now: Date())
        #expect(try await bao.call(.GET, "auth/token/lookup-self", token: token).status == 200)
        try await generators.cleanup(
            kind: Self.kind, spec: tokenSpec, state: state, references: references, now: Date())
        #expect(try await bao.call(.GET, "auth/token/lookup-self", token: token).status == 403)
        try await generators.cleanup(
            kind: Self.kind, spec: tokenSpec, state: state, references: references, now: Date())

        // GET with getParameters: the query of the read (here: KV v1 list as `list=true`).
        let listed = try await generators.generate(
            kind: Self.kind,
            spec: try json(
                VaultDynamicSecretSpec(provider: try provider(), path: mount, getParameters: ["list": ["true"]])),
            references: references, now: Date())
        #expect(text(listed.data["keys"]) == #"["app"]"#)
    }

    @Test func emptyAnswersNeedAllowEmptyResponse() async throws {
        let bao = try currentBao()
        let mount = "kv1-\(UUID().uuidString.prefix(6).lowercased())"
        try await bao.mount(mount, version: "1")
        try await bao.writeKV1(mount: mount, "gone", ["a": "b"])
        let references = try references()
        // DELETE answers 204: no content.
        let refused = VaultDynamicSecretSpec(provider: try provider(), path: "\(mount)/gone", method: "DELETE")
        await #expect {
            _ = try await generators.generate(
                kind: Self.kind, spec: try json(refused), references: references, now: Date())
        } throws: { error in
            let message = (error as? ProviderError)?.message ?? ""
            return message.contains("DELETE \"\(mount)/gone\"") && message.contains("allowEmptyResponse")
        }
        var allowed = refused
        allowed.allowEmptyResponse = true
        let empty = try await generators.generate(
            kind: Self.kind, spec: try json(allowed), references: references, now: Date())
        #expect(empty.data.isEmpty && empty.state == nil)
        // A read of nothing (404) is empty too.
        let missing = VaultDynamicSecretSpec(provider: try provider(), path: "\(mount)/never", allowEmptyResponse: true)
        #expect(
            try await generators.generate(kind: Self.kind, spec: try json(missing), references: references, now: Date())
                .data.isEmpty)
    }

    @Test func deniedPathsAndBadSettingsAreClearErrors() async throws {
        let bao = try currentBao()
        let mount = "kv1-\(UUID().uuidString.prefix(6).lowercased())"
        try await bao.mount(mount, version: "1")
        try await bao.writeKV1(mount: mount, "secret", ["value": canary])
        try await bao.policy("only-other", #"path "other/*" { capabilities = ["read"] }"#)
        let limited = try #require(
            try await bao.must(.POST, "auth/token/create", ["policies": ["only-other"], "ttl": "10m"]).auth(
                "client_token"))
        let spec = try json(VaultDynamicSecretSpec(provider: try provider(), path: "\(mount)/secret"))
        await #expect {
            _ = try await generators.generate(
                kind: Self.kind, spec: spec, references: try references(token: limited), now: Date())
        } throws: { error in
            guard let error = error as? ProviderError else { return false }
            return error.code == .accessDenied && error.message.contains("GET \"\(mount)/secret\"")
                && error.message.contains("permission denied") && !error.message.contains(limited)
                && !error.message.contains(canary)
        }
        // Fields are named as the generator has them.
        var badRetry = VaultDynamicSecretSpec(provider: try provider(), path: "\(mount)/secret")
        badRetry.retrySettings = SecretStoreRetrySettings(maxRetries: 1, retryInterval: "soon")
        await #expect {
            _ = try await generators.generate(
                kind: Self.kind, spec: try json(badRetry), references: try references(), now: Date())
        } throws: { error in
            (error as? ProviderError)?.message.contains("spec.retrySettings.retryInterval") == true
        }
        var noAuth = try provider()
        noAuth.auth = nil
        await #expect {
            _ = try await generators.generate(
                kind: Self.kind, spec: try json(VaultDynamicSecretSpec(provider: noAuth, path: "\(mount)/secret")),
                references: try references(), now: Date())
        } throws: { error in
            let message = (error as? ProviderError)?.message ?? ""
            return message.hasPrefix("spec.provider.auth is required")
        }
    }

    @Test func retrySettingsRetryASealedServerUntilItIsBack() async throws {
        let bao = try currentBao()
        let mount = "kv1-\(UUID().uuidString.prefix(6).lowercased())"
        try await bao.mount(mount, version: "1")
        try await bao.writeKV1(mount: mount, "app", ["user": "alice"])
        var spec = VaultDynamicSecretSpec(provider: try provider(), path: "\(mount)/app")
        spec.retrySettings = SecretStoreRetrySettings(maxRetries: 0, retryInterval: "100ms")
        let references = try references()
        try await bao.seal()
        do {
            // No retries: the sealed server is the error.
            await #expect {
                _ = try await generators.generate(
                    kind: Self.kind, spec: try json(spec), references: references, now: Date())
            } throws: { error in
                (error as? ProviderError)?.message.contains("sealed") == true
            }
            // Retries every second for up to 20 s: the server unsealed meanwhile answers.
            spec.retrySettings = SecretStoreRetrySettings(maxRetries: 20, retryInterval: "1s")
            let attempt = Task { [generators, spec] in
                try await generators.generate(
                    kind: Self.kind, spec: try JSONValue(encoding: spec), references: references, now: Date())
            }
            try await Task.sleep(for: .milliseconds(1500))
            try await bao.unseal()
            let generated = try await attempt.value
            #expect(String(decoding: generated.data["user"] ?? Data(), as: UTF8.self) == "alice")
        } catch {
            try? await bao.unseal()
            throw error
        }
    }
}

/// An ExternalSecret using a VaultDynamicSecret through the operator on the real control plane:
/// its lease is recorded in a GeneratorState, revoked (the database user dropped) a grace period
/// after a rotation, and when the ExternalSecret is deleted.
@Suite(
    .enabled(if: PostgresServer.isAvailable, "PostgreSQL is not installed (scripts/install-deps.sh vault)"),
    .controlPlane, .openBao, .serialized)
struct VaultDynamicSecretOperatorTests {
    @Test func externalSecretGetsDatabaseCredentialsRevokedAfterRotationAndDeletion() async throws {
        let postgres = try await PostgresServer.start()
        do {
            try await run(postgres)
            await postgres.stop()
        } catch {
            await postgres.stop()
            throw error
        }
    }

    func run(_ postgres: PostgresServer) async throws {
        let bao = try currentBao()
        let mount = try await VaultDynamicSecretTests().databaseMount(postgres)
        try await withOperator("vds", renderSkipping: ["db"], arguments: ["--generator-gc-grace-period", "1s"]) {
            client, namespace, process in
            try await createSecret(client, namespace, "vault", ["token": bao.rootToken])
            _ = try await client.api(VaultDynamicSecretGenerator.self, namespace: namespace).create(
                VaultDynamicSecretGenerator(
                    metadata: ObjectMeta(name: "db"),
                    spec: VaultDynamicSecretSpec(
                        provider: VaultProvider(
                            server: bao.address, caBundle: bao.caCertificatePEM.base64EncodedString(),
                            auth: VaultAuth(tokenSecretRef: secretKey("vault", "token"))),
                        path: "\(mount)/creds/app")))
            _ = try await client.api(ExternalSecret.self, namespace: namespace).create(
                ExternalSecret(
                    metadata: ObjectMeta(name: "db"),
                    spec: ExternalSecretSpec(
                        refreshInterval: "1h",
                        dataFrom: [
                            ExternalSecretDataFromRemoteRef(
                                sourceRef: StoreSourceRef(
                                    generatorRef: GeneratorRef(kind: VaultDynamicSecretSpec.kind, name: "db")))
                        ])))
            #expect(try await waitForReady(client, namespace, "db"), "\(process.log.suffix(3000))")
            let data = try await client.api(Secret.self, namespace: namespace).get("db").data ?? [:]
            #expect(data.keys.sorted() == ["password", "username"])
            let username = String(decoding: data["username"] ?? Data(), as: UTF8.self)
            let password = String(decoding: data["password"] ?? Data(), as: UTF8.self)
            #expect(try await postgres.roleExists(username))
            #expect(try await postgres.psql("SELECT current_user", user: username, password: password) == username)
            #expect(!process.log.contains(password), "the generated password must not be logged")

            // The lease is recorded (never the password).
            let states = client.api(GeneratorState.self, namespace: namespace)
            let state = try #require(try await states.list().items.first)
            #expect(state.spec.state["leaseID"]?.stringValue?.hasPrefix("\(mount)/creds/app/") == true)
            #expect(!"\(state.spec.state)".contains(password))

            // A rotation: new credentials; the earlier user is dropped after the grace period.
            try await update(client.api(ExternalSecret.self, namespace: namespace), "db") {
                $0.metadata.annotations = ["force-sync": "1"]
            }
            var rotated = username
            #expect(
                try await eventually {
                    let data = try await client.api(Secret.self, namespace: namespace).get("db").data ?? [:]
                    rotated = String(decoding: data["username"] ?? Data(), as: UTF8.self)
                    return rotated != username
                })
            #expect(try await eventually(timeout: .seconds(60)) { try await !postgres.roleExists(username) })
            #expect(try await postgres.roleExists(rotated))

            // Deleting the ExternalSecret revokes the lease in use (Kubernetes' garbage collector
            // deletes the state; its finalizer revokes first).
            try await client.api(ExternalSecret.self, namespace: namespace).delete("db")
            #expect(try await eventually(timeout: .seconds(120)) { try await !postgres.roleExists(rotated) })
            #expect(try await eventually(timeout: .seconds(60)) { try await states.list().items.isEmpty })
            #expect(!process.log.contains(password), "the generated password must not be logged")
        }
    }
}
