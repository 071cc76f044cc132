import ExternalSecretsAPI
import Foundation
import ProviderKit

/// `spec.provider.alibaba` checked and resolved, without I/O (ESO 1.x's `ValidateStore`, with its
/// messages).
struct AlibabaStoreSettings: Sendable, Hashable {
    static let field = "spec.provider.alibaba"

    enum Credentials: Sendable, Hashable {
        /// A RAM user's AccessKey, read from Secrets.
        case accessKey(id: SecretKeySelector, secret: SecretKeySelector)
        /// RRSA: an OIDC token file exchanged through STS `AssumeRoleWithOIDC`.
        case rrsa(AlibabaRRSAAuth)
        /// A ClusterSecretStore without `auth.secretRef` or `auth.rrsa` (KES's
        /// `alicloudSecretsManager` objects): the operator's own AccessKey (`ALICLOUD_ACCESS_KEY_ID`,
        /// `ALICLOUD_ACCESS_KEY_SECRET`), when it has one.
        case operatorAccessKey
    }

    var regionID: String
    var credentials: Credentials
    var storeKind: StoreKind

    /// A ClusterSecretStore whose AccessKey Secrets name no namespace: read in each caller's
    /// namespace (ESO's referent authentication).
    var isReferent: Bool {
        guard storeKind == .clusterSecretStore, case .accessKey(let id, let secret) = credentials else { return false }
        return (id.namespace ?? "").isEmpty || (secret.namespace ?? "").isEmpty
    }

    /// - Parameter operatorAccessKey: whether the operator has an AccessKey of its own, which a
    ///   ClusterSecretStore without credentials then uses (a SecretStore never does).
    static func resolve(_ store: StoreContext, operatorAccessKey: Bool = false) throws(ProviderError)
        -> AlibabaStoreSettings
    {
        guard let spec = store.spec.provider.alibaba else { throw .invalidConfiguration("\(field) is missing") }
        guard !spec.regionID.isEmpty else { throw .invalidConfiguration("missing alibaba region") }
        // The region becomes part of a host name: a DNS label, nothing that could redirect the call.
        guard spec.regionID.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) else {
            throw .invalidConfiguration(
                "\(field).regionID \"\(spec.regionID)\" is not a region ID such as cn-hangzhou")
        }
        let credentials: Credentials
        if let rrsa = spec.auth.rrsa {
            guard !rrsa.oidcProviderArn.isEmpty else {
                throw .invalidConfiguration("missing alibaba OIDC provider ARN")
            }
            guard !rrsa.oidcTokenFilePath.isEmpty else {
                throw .invalidConfiguration("missing alibaba OIDC token file path")
            }
            guard !rrsa.roleArn.isEmpty else { throw .invalidConfiguration("missing alibaba Assume Role ARN") }
            guard !rrsa.sessionName.isEmpty else { throw .invalidConfiguration("missing alibaba session name") }
            credentials = .rrsa(rrsa)
        } else if let secretRef = spec.auth.secretRef {
            let id = secretRef.accessKeyIDSecretRef
            try checkNamespace(id, field: "\(field).auth.secretRef.accessKeyIDSecretRef", store: store)
            guard let name = id.name, !name.isEmpty else {
                throw .invalidConfiguration("missing alibaba access ID name")
            }
            guard let key = id.key, !key.isEmpty else { throw .invalidConfiguration("missing alibaba access ID key") }
            let secret = secretRef.accessKeySecretSecretRef
            try checkNamespace(secret, field: "\(field).auth.secretRef.accessKeySecretSecretRef", store: store)
            guard let name = secret.name, !name.isEmpty else {
                throw .invalidConfiguration("missing alibaba access key secret name")
            }
            guard let key = secret.key, !key.isEmpty else {
                throw .invalidConfiguration("missing alibaba access key secret key")
            }
            credentials = .accessKey(id: id, secret: secret)
        } else if operatorAccessKey, store.kind == .clusterSecretStore {
            credentials = .operatorAccessKey
        } else {
            throw .invalidConfiguration("missing alibaba auth provider")
        }
        return AlibabaStoreSettings(regionID: spec.regionID, credentials: credentials, storeKind: store.kind)
    }

    /// ESO's `ValidateSecretSelector`: a SecretStore's references stay in its namespace.
    private static func checkNamespace(_ selector: SecretKeySelector, field: String, store: StoreContext)
        throws(ProviderError)
    {
        if store.kind == .secretStore, let namespace = selector.namespace, namespace != store.storeNamespace {
            throw .invalidConfiguration(
                "\(field): namespace should either be empty or match the namespace of the SecretStore")
        }
    }
}

/// The operator's own AccessKey, from KES's variables `ALICLOUD_ACCESS_KEY_ID` and
/// `ALICLOUD_ACCESS_KEY_SECRET`: what a ClusterSecretStore without credentials signs with (KES's
/// `alicloudSecretsManager` objects map onto such a store).
public struct AlibabaOperatorAccessKey: Sendable, Hashable, CustomStringConvertible {
    public var id: String
    public var secret: String

    public init(id: String, secret: String) {
        self.id = id
        self.secret = secret
    }

    /// The key of a process environment, when both variables are set.
    public init?(variables: [String: String]) {
        guard let id = variables["ALICLOUD_ACCESS_KEY_ID"], !id.isEmpty,
            let secret = variables["ALICLOUD_ACCESS_KEY_SECRET"], !secret.isEmpty
        else { return nil }
        self.init(id: id, secret: secret)
    }

    /// The AccessKey ID only.
    public var description: String { "AlibabaOperatorAccessKey(\(id))" }
}

/// Where the store's calls go: KMS and STS of the region, or overrides (tests, private endpoints).
public struct AlibabaEndpoints: Sendable, Hashable {
    /// `ALIBABA_KMS_ENDPOINT`: a base URL such as `http://127.0.0.1:8080` instead of
    /// `https://kms.REGION.aliyuncs.com`.
    public var kms: String?
    /// `ALIBABA_STS_ENDPOINT`: instead of `https://sts.REGION.aliyuncs.com`.
    public var sts: String?

    public static let kmsVariable = "ALIBABA_KMS_ENDPOINT"
    public static let stsVariable = "ALIBABA_STS_ENDPOINT"

    public init(kms: String? = nil, sts: String? = nil) {
        func trimmed(_ text: String?) -> String? {
            guard var text, !text.isEmpty else { return nil }
            while text.hasSuffix("/") { text.removeLast() }
            return text
        }
        self.kms = trimmed(kms)
        self.sts = trimmed(sts)
    }

    /// The variables of a process environment.
    public init(variables: [String: String]) {
        self.init(kms: variables[Self.kmsVariable], sts: variables[Self.stsVariable])
    }

    func kmsURL(region: String) -> String { kms ?? "https://kms.\(region).aliyuncs.com" }
    func stsURL(region: String) -> String { sts ?? "https://sts.\(region).aliyuncs.com" }
}
