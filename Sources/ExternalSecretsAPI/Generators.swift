public import KubeModel

// `generators.external-secrets.io/v1alpha1`: the generator kinds this operator runs (Password,
// UUID, SSHKey, Fake, MFA, ECRAuthorizationToken, STSSessionToken), ClusterGenerator (one of them, usable from every namespace) and
// GeneratorState (what a generator that creates remote credentials needs to clean them up).

/// The API group and version of ESO's generators.
public enum GeneratorsAPIGroup {
    public static let group = "generators.external-secrets.io"
    public static let version = "v1alpha1"
    public static let apiVersion = "\(group)/\(version)"
    /// The categories every generator kind is listed under (`kubectl get external-secrets-generators`).
    public static let categories = [ExternalSecretsAPIGroup.category, "external-secrets-generators"]
}

/// The spec of one generator kind: names the kind, its resource and its spec's schema, so that
/// the namespaced kinds share one object type (`Generator<Spec>`).
public protocol GeneratorSpec: Codable, Sendable, Hashable, OpenAPISchemaDescribed {
    /// The generator's kind (`Password`, `UUID`, ...), as `generatorRef.kind` names it.
    static var kind: String { get }
    /// The resource's plural (`passwords`, `uuids`, ...).
    static var plural: String { get }
    /// The description of the kind, which `kubectl explain` prints.
    static var kindDescription: String { get }
    /// The member of ClusterGenerator's `spec.generator` that holds this spec (`passwordSpec`, ...).
    static var clusterGeneratorMember: String { get }
}

/// A namespaced generator object: `Password`, `UUID`, `SSHKey`, `Fake` or `MFA`, by its spec type.
/// ESO's schema leaves `spec` optional; an absent spec means every field's default.
public struct Generator<Spec: GeneratorSpec>: KubeResource, Hashable {
    public static var resource: ResourceDescriptor {
        ResourceDescriptor(
            group: GeneratorsAPIGroup.group, version: GeneratorsAPIGroup.version, kind: Spec.kind,
            plural: Spec.plural, namespaced: true)
    }

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: Spec?

    public init(metadata: ObjectMeta, spec: Spec?) {
        self.apiVersion = GeneratorsAPIGroup.apiVersion
        self.kind = Spec.kind
        self.metadata = metadata
        self.spec = spec
    }
}

public typealias PasswordGenerator = Generator<PasswordSpec>
public typealias UUIDGenerator = Generator<UUIDSpec>
public typealias SSHKeyGenerator = Generator<SSHKeySpec>
public typealias FakeGenerator = Generator<FakeSpec>
public typealias MFAGenerator = Generator<MFASpec>
public typealias ECRAuthorizationTokenGenerator = Generator<ECRAuthorizationTokenSpec>
public typealias STSSessionTokenGenerator = Generator<STSSessionTokenSpec>

// MARK: - Password

/// How a generated password is encoded before it is written (ESO's `encoding`).
public enum PasswordEncoding: String, Codable, Sendable, Hashable, CaseIterable {
    case base64, base64url, base32, hex, raw
}

/// A random password: `length` characters of which `digits` are digits and `symbols` are taken
/// from `symbolCharacters`, the rest letters.
public struct PasswordSpec: GeneratorSpec {
    public static let kind = "Password"
    public static let plural = "passwords"
    public static let clusterGeneratorMember = "passwordSpec"
    public static let kindDescription = """
        Password generates a random password from the length, character classes and encoding in \
        its spec, once per key of `secretKeys`.
        """

    public var length: Int?
    public var digits: Int?
    public var symbols: Int?
    public var symbolCharacters: String?
    public var noUpper: Bool?
    public var allowRepeat: Bool?
    public var encoding: PasswordEncoding?
    public var secretKeys: [String]?

    public init(
        length: Int? = nil, digits: Int? = nil, symbols: Int? = nil, symbolCharacters: String? = nil,
        noUpper: Bool? = nil, allowRepeat: Bool? = nil, encoding: PasswordEncoding? = nil, secretKeys: [String]? = nil
    ) {
        self.length = length
        self.digits = digits
        self.symbols = symbols
        self.symbolCharacters = symbolCharacters
        self.noUpper = noUpper
        self.allowRepeat = allowRepeat
        self.encoding = encoding
        self.secretKeys = secretKeys
    }
}

// MARK: - UUID

/// A random (version 4) UUID under the key `uuid`; the spec has no fields.
public struct UUIDSpec: GeneratorSpec {
    public static let kind = "UUID"
    public static let plural = "uuids"
    public static let clusterGeneratorMember = "uuidSpec"
    public static let kindDescription = "UUID generates a random UUID, in lower-case hex, under the key `uuid`."

    public init() {}
}

// MARK: - SSHKey

/// The SSH key types the SSHKey generator makes.
public enum SSHKeyType: String, Codable, Sendable, Hashable, CaseIterable {
    case rsa, ecdsa, ed25519
}

/// An SSH key pair: `privateKey` (OpenSSH format) and `publicKey` (authorized_keys line).
public struct SSHKeySpec: GeneratorSpec {
    public static let kind = "SSHKey"
    public static let plural = "sshkeys"
    public static let clusterGeneratorMember = "sshKeySpec"
    public static let kindDescription = """
        SSHKey generates an SSH key pair: `privateKey` in OpenSSH format and `publicKey` as an \
        authorized_keys line.
        """

    public var keyType: SSHKeyType?
    public var keySize: Int?
    public var comment: String?

    public init(keyType: SSHKeyType? = nil, keySize: Int? = nil, comment: String? = nil) {
        self.keyType = keyType
        self.keySize = keySize
        self.comment = comment
    }
}

// MARK: - Fake

/// Fixed values, for tests and demos.
public struct FakeSpec: GeneratorSpec {
    public static let kind = "Fake"
    public static let plural = "fakes"
    public static let clusterGeneratorMember = "fakeSpec"
    public static let kindDescription =
        "Fake returns the fixed `data` of its spec every time; meant for tests and demos."

    public var controller: String?
    public var data: [String: String]?

    public init(controller: String? = nil, data: [String: String]? = nil) {
        self.controller = controller
        self.data = data
    }
}

// MARK: - MFA

/// A time-based one-time password (RFC 6238) from a seed held in a Secret.
public struct MFASpec: GeneratorSpec {
    public static let kind = "MFA"
    public static let plural = "mfas"
    public static let clusterGeneratorMember = "mfaSpec"
    public static let kindDescription = """
        MFA generates the current time-based one-time password (RFC 6238, TOTP) of a seed held in a \
        Secret: keys `token` and `timeLeft` (seconds).
        """

    public var secret: SecretKeySelector
    public var length: Int?
    public var timePeriod: Int?
    public var algorithm: String?
    public var when: KubeTime?

    public init(
        secret: SecretKeySelector, length: Int? = nil, timePeriod: Int? = nil, algorithm: String? = nil,
        when: KubeTime? = nil
    ) {
        self.secret = secret
        self.length = length
        self.timePeriod = timePeriod
        self.algorithm = algorithm
        self.when = when
    }
}

// MARK: - ECRAuthorizationToken

/// An ECR (or ECR Public, `scope: public`) registry login: `username`, `password`,
/// `proxy_endpoint` (private only) and `expires_at` (Unix seconds), as ESO writes them.
public struct ECRAuthorizationTokenSpec: GeneratorSpec {
    public static let kind = "ECRAuthorizationToken"
    public static let plural = "ecrauthorizationtokens"
    public static let clusterGeneratorMember = "ecrAuthorizationTokenSpec"
    public static let kindDescription = """
        ECRAuthorizationToken generates a login for an Amazon ECR registry (ECR's \
        GetAuthorizationToken): keys `username`, `password`, `proxy_endpoint` and `expires_at` \
        (Unix seconds); with `scope: public`, for ECR Public (no `proxy_endpoint`).
        """

    public var region: String
    public var role: String?
    public var auth: AWSAuth?
    public var scope: String?

    public init(region: String, role: String? = nil, auth: AWSAuth? = nil, scope: String? = nil) {
        self.region = region
        self.role = role
        self.auth = auth
        self.scope = scope
    }
}

// MARK: - STSSessionToken

/// `GetSessionToken`'s optional parameters.
public struct STSSessionTokenRequestParameters: Codable, Sendable, Hashable {
    public var sessionDuration: Int64?
    public var serialNumber: String?
    public var tokenCode: String?

    public init(sessionDuration: Int64? = nil, serialNumber: String? = nil, tokenCode: String? = nil) {
        self.sessionDuration = sessionDuration
        self.serialNumber = serialNumber
        self.tokenCode = tokenCode
    }
}

/// Temporary AWS credentials from STS `GetSessionToken`: `access_key_id`, `secret_access_key`,
/// `session_token` and `expiration` (Unix seconds), as ESO writes them.
public struct STSSessionTokenSpec: GeneratorSpec {
    public static let kind = "STSSessionToken"
    public static let plural = "stssessiontokens"
    public static let clusterGeneratorMember = "stsSessionTokenSpec"
    public static let kindDescription = """
        STSSessionToken generates temporary AWS credentials (STS GetSessionToken): keys \
        `access_key_id`, `secret_access_key`, `session_token` and `expiration` (Unix seconds).
        """

    public var region: String
    public var role: String?
    public var auth: AWSAuth?
    public var requestParameters: STSSessionTokenRequestParameters?

    public init(
        region: String, role: String? = nil, auth: AWSAuth? = nil,
        requestParameters: STSSessionTokenRequestParameters? = nil
    ) {
        self.region = region
        self.role = role
        self.auth = auth
        self.requestParameters = requestParameters
    }
}

// MARK: - ClusterGenerator

/// `ClusterGenerator`: one generator of any kind, cluster-scoped, usable from every namespace.
/// Its references (an MFA seed Secret, ...) are read in the namespace of the ExternalSecret using it.
public struct ClusterGenerator: KubeResource, Hashable {
    public static let resource = ResourceDescriptor(
        group: GeneratorsAPIGroup.group, version: GeneratorsAPIGroup.version, kind: "ClusterGenerator",
        plural: "clustergenerators", namespaced: false)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: ClusterGeneratorSpec

    public init(metadata: ObjectMeta, spec: ClusterGeneratorSpec) {
        self.apiVersion = GeneratorsAPIGroup.apiVersion
        self.kind = "ClusterGenerator"
        self.metadata = metadata
        self.spec = spec
    }
}

/// `kind` and the one member of `generator` that holds that kind's spec.
public struct ClusterGeneratorSpec: Codable, Sendable, Hashable {
    public var kind: String
    /// By member name (`passwordSpec`, ...); kept as JSON so kinds this operator does not run yet
    /// are preserved as written.
    public var generator: [String: JSONValue]

    public init(kind: String, generator: [String: JSONValue]) {
        self.kind = kind
        self.generator = generator
    }
}

// MARK: - GeneratorState

/// `GeneratorState` (short name `gs`): the state a generator returned with a value (for example
/// a lease to revoke), with the generator's manifest, kept until its garbage-collection deadline.
public struct GeneratorState: KubeResource, Hashable {
    public static let resource = ResourceDescriptor(
        group: GeneratorsAPIGroup.group, version: GeneratorsAPIGroup.version, kind: "GeneratorState",
        plural: "generatorstates", namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: GeneratorStateSpec
    public var status: GeneratorStateStatus?

    public init(metadata: ObjectMeta, spec: GeneratorStateSpec, status: GeneratorStateStatus? = nil) {
        self.apiVersion = GeneratorsAPIGroup.apiVersion
        self.kind = "GeneratorState"
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

public struct GeneratorStateSpec: Codable, Sendable, Hashable {
    /// After this time the state is cleaned up and deleted; never when absent.
    public var garbageCollectionDeadline: KubeTime?
    /// A snapshot of the generator manifest that produced the state.
    public var resource: JSONValue
    /// What the generator returned as its state.
    public var state: JSONValue

    public init(garbageCollectionDeadline: KubeTime? = nil, resource: JSONValue, state: JSONValue) {
        self.garbageCollectionDeadline = garbageCollectionDeadline
        self.resource = resource
        self.state = state
    }
}

public struct GeneratorStateStatus: Codable, Sendable, Hashable {
    public var conditions: [StatusCondition]?

    public init(conditions: [StatusCondition]? = nil) {
        self.conditions = conditions
    }
}
