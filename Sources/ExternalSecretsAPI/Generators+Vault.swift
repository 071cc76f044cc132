public import KubeModel

// `VaultDynamicSecret` (`generators.external-secrets.io/v1alpha1`): a call to a secrets engine of
// HashiCorp Vault or OpenBao that makes a new credential (database, PKI, token ...). Field names,
// types, defaults and required fields are ESO's (ESOBundleComparisonTests); the descriptions are
// this project's.

public typealias VaultDynamicSecretGenerator = Generator<VaultDynamicSecretSpec>

/// Which part of Vault's answer becomes the generated keys (ESO's `resultType`).
public enum VaultDynamicSecretResultType: String, Codable, Sendable, Hashable, CaseIterable {
    /// The `data` section (the default).
    case data = "Data"
    /// The `auth` section (`auth/token/create`, logins).
    case auth = "Auth"
    /// The whole answer (`request_id`, `lease_id`, `lease_duration`, `renewable`, `data`, ...).
    case raw = "Raw"
}

/// A request to Vault (`method` on `path`, with `parameters` as the body of a write or
/// `getParameters` as the query of a read) whose answer is the generated values.
public struct VaultDynamicSecretSpec: GeneratorSpec {
    public static let kind = "VaultDynamicSecret"
    public static let plural = "vaultdynamicsecrets"
    public static let clusterGeneratorMember = "vaultDynamicSecretSpec"
    public static let kindDescription = """
        VaultDynamicSecret generates a credential from a secrets engine of HashiCorp Vault or \
        OpenBao (database, PKI, token ...): the keys are the `data` (or `auth`, or the whole \
        answer) of the request `method` `path`. A lease Vault returns is revoked when the values \
        are no longer used and renewed while they are.
        """

    public var controller: String?
    public var method: String?
    /// The body of a write (any JSON; ESO requires an object).
    public var parameters: JSONValue?
    public var getParameters: [String: [String]]?
    public var resultType: VaultDynamicSecretResultType?
    public var retrySettings: SecretStoreRetrySettings?
    public var provider: VaultProvider
    public var path: String
    public var allowEmptyResponse: Bool?

    public init(
        provider: VaultProvider, path: String, method: String? = nil, parameters: JSONValue? = nil,
        getParameters: [String: [String]]? = nil, resultType: VaultDynamicSecretResultType? = nil,
        retrySettings: SecretStoreRetrySettings? = nil, allowEmptyResponse: Bool? = nil, controller: String? = nil
    ) {
        self.controller = controller
        self.method = method
        self.parameters = parameters
        self.getParameters = getParameters
        self.resultType = resultType
        self.retrySettings = retrySettings
        self.provider = provider
        self.path = path
        self.allowEmptyResponse = allowEmptyResponse
    }
}

extension VaultDynamicSecretSpec {
    public static var openAPISchema: OpenAPISchema {
        .object(
            "Where to ask Vault for the credential and how.",
            properties: [
                "controller": .string(
                    """
                    The controller class this generator is meant for: an ExternalSecret using it is \
                    handled only by the operator started with that `--controller-class`.
                    """),
                "method": .string(
                    """
                    The HTTP method: `GET` (the default) reads, `LIST` lists, `DELETE` deletes, anything \
                    else (`POST`, `PUT`) writes `parameters`.
                    """),
                "parameters": .anyValue(
                    "The body of a write (any method but GET, LIST and DELETE): a JSON object."),
                "getParameters": .map(
                    "Query parameters of a `GET`, each with one or more values; ignored by other methods.",
                    values: .array(nil, of: .string(nil))),
                "resultType": .string(
                    """
                    Which part of Vault's answer becomes the keys: `Data` (its `data`), `Auth` (its \
                    `auth`, as `auth/token/create` answers) or `Raw` (the whole answer, each top-level \
                    field a key).
                    """, allowing: VaultDynamicSecretResultType.allCases.map(\.rawValue)
                ).defaulted("Data"),
                "retrySettings": SecretStoreRetrySettings.openAPISchema.described(
                    "Retries of failed requests to Vault, as a store's `retrySettings`."),
                "provider": VaultProvider.openAPISchema.described(
                    """
                    The Vault server and how to log in, as a SecretStore's `spec.provider.vault`; the \
                    Secrets and ServiceAccounts it names are read in the namespace of the ExternalSecret. \
                    `path`, `version` and `checkAndSet` are not used.
                    """),
                "path": .string(
                    "The API path below `/v1/`, such as `database/creds/app` or `pki/issue/web`."),
                "allowEmptyResponse": .boolean(
                    "`true`: an answer without content (HTTP 204, or 404 without data) gives no keys instead of an error."
                ).defaulted(false),
            ],
            required: ["path", "provider"])
    }
}
