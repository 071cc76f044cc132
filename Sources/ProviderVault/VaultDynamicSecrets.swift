import ExternalSecretsAPI
import Foundation
import GoCompat
import HTTPSupport
import KubeModel
import NIOHTTP1
import ProviderKit

/// The pure part of the VaultDynamicSecret generator: the request a spec makes, how Vault's
/// answer becomes keys (ESO's `prepareResponse`) and the lease state kept to revoke and renew
/// what was made.
enum VaultDynamicSecrets {
    /// One request of a spec, with what it is called in errors and metrics.
    struct Call: Equatable {
        var request: VaultRequest
        var operation: VaultOperation
        var metric: VaultMetrics.Call
        /// Whether Vault's client reads a 404 without data as "nothing there" (reads and lists)
        /// rather than an error (writes and deletes).
        var notFoundIsEmpty: Bool
    }

    /// The request of `spec`, as ESO's `fetchVaultSecret` sends it through Vault's client:
    /// `method` unset or `GET` reads (with `getParameters` as the query, keys sorted), `LIST`
    /// lists, `DELETE` deletes, anything else writes `parameters` with PUT (Vault's client writes
    /// with PUT; Vault treats POST and PUT alike). Methods are compared as written, as ESO does.
    static func call(of spec: VaultDynamicSecretSpec) throws(ProviderError) -> Call {
        let path = spec.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        guard !path.isEmpty else { throw .invalidConfiguration("spec.path must name a Vault API path") }
        let method = spec.method ?? ""
        switch method {
        case "", "GET":
            var query: [(name: String, value: String)] = []
            for name in (spec.getParameters ?? [:]).keys.sorted() {
                for value in spec.getParameters?[name] ?? [] { query.append((name, value)) }
            }
            return Call(
                request: .get(path, query: query), operation: .generate(method: "GET", path: path),
                metric: .readSecretData, notFoundIsEmpty: true)
        case "LIST":
            return Call(
                request: .list(path), operation: .generate(method: "LIST", path: path), metric: .listSecrets,
                notFoundIsEmpty: true)
        case "DELETE":
            return Call(
                request: .delete(path), operation: .generate(method: "DELETE", path: path), metric: .deleteSecret,
                notFoundIsEmpty: false)
        default:
            return Call(
                request: VaultRequest(method: .PUT, path: path, body: try body(of: spec.parameters)),
                operation: .generate(method: method, path: path), metric: .writeSecretData, notFoundIsEmpty: false)
        }
    }

    /// `parameters` as ESO sends them: decoded into a Go map (numbers become float64s) and
    /// marshalled again; absent parameters are `{}`.
    static func body(of parameters: JSONValue?) throws(ProviderError) -> [UInt8] {
        guard let parameters, parameters != .null else { return Array("{}".utf8) }
        guard case .object = parameters else {
            throw .invalidConfiguration("spec.parameters must be a JSON object (the body of the write)")
        }
        let encoded: Data
        let parsed: VaultJSON.Value
        do {
            encoded = try JSONEncoder().encode(parameters)
            parsed = try VaultJSON.parse(encoded)
        } catch {
            throw .invalidConfiguration("spec.parameters cannot be encoded as JSON")
        }
        return VaultJSON.marshal(parsed, numbers: .float64)
    }

    /// Vault's answer as its Go client returns it: nil for no content (HTTP 204, an empty body,
    /// or a 404 without data or warnings to a read), the decoded object otherwise.
    static func secret(status: HTTPResponseStatus, body: [UInt8], call: Call) throws(ProviderError)
        -> [String: VaultJSON.Value]?
    {
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return nil }
        guard case .object(let members)? = try? VaultJSON.parse(body) else {
            throw ProviderError(
                .invalidData, "\(call.operation.description): Vault's answer is not a JSON object")
        }
        if status.code == 404 {
            let hasData = members["data"]?.isNonEmptyObject ?? false
            let hasWarnings = members["warnings"]?.isNonEmptyArray ?? false
            guard hasData || hasWarnings else { return nil }
        }
        return members
    }

    // MARK: - Keys

    /// The keys of `secret` for `resultType`, as ESO's `prepareResponse` and `GetByteValue`
    /// make them:
    /// - Data: the members of `data`, numbers as Vault sent them;
    /// - Auth: the fields of Vault's Go `SecretAuth` (absent ones as their zero values), after a
    ///   round trip through JSON (numbers as float64s);
    /// - Raw: the fields of Go's `Secret` (`request_id`, `lease_id`, `lease_duration`,
    ///   `renewable`, `data`, `warnings`, and `auth`, `wrap_info`, `mount_type` when set), likewise.
    ///
    /// Strings are written as they are, numbers as text, booleans as `true`/`false`, null as an
    /// empty value, objects and arrays as JSON.
    static func values(of secret: [String: VaultJSON.Value], resultType: VaultDynamicSecretResultType) -> SecretData {
        switch resultType {
        case .data:
            guard case .object(let data)? = secret["data"] else { return [:] }
            return data.mapValues { VaultSecretValues.byteValue($0, numbers: .literal) }
        case .auth:
            guard case .object(let auth)? = secret["auth"] else { return [:] }
            return goSecretAuth(auth).mapValues { VaultSecretValues.byteValue($0, numbers: .float64) }
        case .raw:
            return goSecret(secret).mapValues { VaultSecretValues.byteValue($0, numbers: .float64) }
        }
    }

    /// Vault's Go `Secret` marshalled: its fixed fields, zero values for absent ones.
    static func goSecret(_ secret: [String: VaultJSON.Value]) -> [String: VaultJSON.Value] {
        var fields: [String: VaultJSON.Value] = [
            "request_id": stringField(secret["request_id"]),
            "lease_id": stringField(secret["lease_id"]),
            "lease_duration": numberField(secret["lease_duration"]),
            "renewable": boolField(secret["renewable"]),
            "data": objectOrNull(secret["data"]),
            "warnings": arrayOrNull(secret["warnings"]),
        ]
        if case .object(let auth)? = secret["auth"] { fields["auth"] = .object(goSecretAuth(auth)) }
        if case .object(let wrapInfo)? = secret["wrap_info"] {
            fields["wrap_info"] = .object([
                "token": stringField(wrapInfo["token"]), "accessor": stringField(wrapInfo["accessor"]),
                "ttl": numberField(wrapInfo["ttl"]), "creation_time": stringField(wrapInfo["creation_time"]),
                "creation_path": stringField(wrapInfo["creation_path"]),
                "wrapped_accessor": stringField(wrapInfo["wrapped_accessor"]),
            ])
        }
        if case .string(let mountType)? = secret["mount_type"], !mountType.isEmpty {
            fields["mount_type"] = .string(mountType)
        }
        return fields
    }

    /// Vault's Go `SecretAuth` marshalled: its fixed fields, zero values for absent ones.
    static func goSecretAuth(_ auth: [String: VaultJSON.Value]) -> [String: VaultJSON.Value] {
        [
            "client_token": stringField(auth["client_token"]),
            "accessor": stringField(auth["accessor"]),
            "policies": arrayOrNull(auth["policies"]),
            "token_policies": arrayOrNull(auth["token_policies"]),
            "identity_policies": arrayOrNull(auth["identity_policies"]),
            "metadata": objectOrNull(auth["metadata"]),
            "orphan": boolField(auth["orphan"]),
            "entity_id": stringField(auth["entity_id"]),
            "lease_duration": numberField(auth["lease_duration"]),
            "renewable": boolField(auth["renewable"]),
            "mfa_requirement": objectOrNull(auth["mfa_requirement"]),
        ]
    }

    private static func stringField(_ value: VaultJSON.Value?) -> VaultJSON.Value {
        if case .string? = value { return value! }
        return .string("")
    }

    private static func numberField(_ value: VaultJSON.Value?) -> VaultJSON.Value {
        if case .number? = value { return value! }
        return .number("0")
    }

    private static func boolField(_ value: VaultJSON.Value?) -> VaultJSON.Value {
        if case .bool? = value { return value! }
        return .bool(false)
    }

    private static func objectOrNull(_ value: VaultJSON.Value?) -> VaultJSON.Value {
        if case .object? = value { return value! }
        return .null
    }

    private static func arrayOrNull(_ value: VaultJSON.Value?) -> VaultJSON.Value {
        if case .array? = value { return value! }
        return .null
    }

    // MARK: - Lease state

    /// What a generation made that Vault would keep until it expires: a lease (`lease_id`, such
    /// as database credentials) or a token (`auth`, such as `auth/token/create`), found in the
    /// answer whatever `resultType` is. nil when the answer has neither (a PKI certificate
    /// without `generate_lease`, a KV read).
    static func state(of secret: [String: VaultJSON.Value], issuedAt: Date) -> LeaseState? {
        if case .string(let leaseID)? = secret["lease_id"], !leaseID.isEmpty {
            return LeaseState(
                leaseID: leaseID, tokenAccessor: nil, leaseDuration: seconds(secret["lease_duration"]),
                renewable: secret["renewable"] == .bool(true), issuedAt: wholeSeconds(issuedAt))
        }
        if case .object(let auth)? = secret["auth"], case .string(let accessor)? = auth["accessor"], !accessor.isEmpty {
            return LeaseState(
                leaseID: nil, tokenAccessor: accessor, leaseDuration: seconds(auth["lease_duration"]),
                renewable: auth["renewable"] == .bool(true), issuedAt: wholeSeconds(issuedAt))
        }
        return nil
    }

    /// `date` rounded down to whole seconds, as a GeneratorState records it: the state read
    /// back is the state returned.
    private static func wholeSeconds(_ date: Date) -> KubeTime {
        KubeTime(Date(timeIntervalSince1970: floor(date.timeIntervalSince1970)))
    }

    private static func seconds(_ value: VaultJSON.Value?) -> Int64 {
        guard case .number(let text)? = value, let seconds = Double(text), seconds.isFinite, seconds > 0 else {
            return 0
        }
        return Int64(min(seconds, Double(Int64.max / 2)))
    }

    /// The state of one generation as recorded in a GeneratorState: identifiers, never a value
    /// or a credential (a lease id or a token accessor cannot be used to log in or read the
    /// credential; with the right policy they only look up, renew or revoke it).
    struct LeaseState: Codable, Hashable {
        /// The lease to revoke and renew through `sys/leases/...`.
        var leaseID: String?
        /// The accessor of a token the generation created, revoked and renewed through
        /// `auth/token/...-accessor`.
        var tokenAccessor: String?
        /// The lease's duration in seconds, counted from `issuedAt`; 0 when it does not expire.
        var leaseDuration: Int64
        var renewable: Bool
        /// When the lease was issued or last renewed (whole seconds, rounded down).
        var issuedAt: KubeTime

        /// This state as JSON.
        var json: JSONValue {
            // Encoding plain strings, numbers and a time cannot fail.
            (try? JSONValue(encoding: self)) ?? .null
        }

        /// The state `json` holds.
        static func decode(_ json: JSONValue) throws(ProviderError) -> LeaseState {
            let state: LeaseState
            do {
                state = try json.decode(as: LeaseState.self)
            } catch {
                throw .invalidConfiguration(
                    "the VaultDynamicSecret state is not one this generator recorded (leaseID or tokenAccessor, leaseDuration, renewable, issuedAt)"
                )
            }
            guard (state.leaseID ?? "").isEmpty != (state.tokenAccessor ?? "").isEmpty else {
                throw .invalidConfiguration(
                    "the VaultDynamicSecret state must name exactly one of leaseID and tokenAccessor")
            }
            return state
        }

        /// When to renew: two thirds of the lease after it was issued (or last renewed), as the
        /// store's own token is renewed; nil when Vault says the lease cannot be renewed or it
        /// does not expire.
        var renewal: Date? {
            guard renewable, leaseDuration > 0 else { return nil }
            return issuedAt.date.addingTimeInterval(Double(leaseDuration) * 2 / 3)
        }
    }

    /// The state after a renewal answered with `secret` at `renewedAt`: the new duration and
    /// renewability (a lease at its maximum TTL stops being renewable).
    static func renewed(_ state: LeaseState, answer secret: [String: VaultJSON.Value]?, renewedAt: Date) -> LeaseState {
        var renewed = state
        renewed.issuedAt = wholeSeconds(renewedAt)
        if state.leaseID != nil {
            renewed.leaseDuration = seconds(secret?["lease_duration"])
            renewed.renewable = secret?["renewable"] == .bool(true)
        } else if case .object(let auth)? = secret?["auth"] {
            renewed.leaseDuration = seconds(auth["lease_duration"])
            renewed.renewable = auth["renewable"] == .bool(true)
        } else {
            renewed.leaseDuration = 0
            renewed.renewable = false
        }
        return renewed
    }

    /// Whether a revocation's failure means the lease or token is already gone (revoked or
    /// expired): Vault answers 400 "invalid lease ID" / "lease not found", and for an unknown
    /// token accessor 400 "invalid accessor".
    static func isAlreadyGone(status: HTTPResponseStatus, body: [UInt8]) -> Bool {
        guard status.code == 400 || status.code == 404 else { return false }
        guard let detail = VaultErrorText.detail(body: body, secrets: [])?.lowercased() else {
            return status.code == 404
        }
        return ["invalid lease", "lease not found", "invalid accessor", "not found"].contains { detail.contains($0) }
    }
}

extension GoJSONValue {
    fileprivate var isNonEmptyObject: Bool {
        if case .object(let members) = self { return !members.isEmpty }
        return false
    }

    fileprivate var isNonEmptyArray: Bool {
        if case .array(let items) = self { return !items.isEmpty }
        return false
    }
}
