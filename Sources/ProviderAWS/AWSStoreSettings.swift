import ExternalSecretsAPI
import Foundation
import ProviderKit

/// A store's `spec.provider.aws`, checked: the service, region, credentials source and role chain.
struct AWSStoreSettings: Sendable {
    static let field = "spec.provider.aws"

    enum Service: Sendable {
        case secretsManager
        case parameterStore
    }

    enum Credentials: Sendable {
        /// The operator's own (default chain).
        case operatorDefault
        case secretRef(
            accessKeyID: SecretKeySelector, secretAccessKey: SecretKeySelector, sessionToken: SecretKeySelector?)
        case serviceAccount(ServiceAccountSelector)
    }

    var service: Service
    var region: String
    var credentials: Credentials
    var additionalRoles: [String]
    var role: String?
    var externalID: String?
    var sessionTags: [(key: String, value: String)]
    var transitiveTagKeys: [String]
    var sessionTagsPolicy: AWSSessionTagsPolicy
    var customSessionTags: [String: String]
    var prefix: String
    /// How Secrets Manager deletes what a PushSecret pushed (`secretsManager`).
    var deletion: SecretsManagerDeletion
    /// A ClusterSecretStore whose credentials are read from the namespace of each ExternalSecret.
    var isReferent: Bool

    static func resolve(_ store: StoreContext) throws(ProviderError) -> AWSStoreSettings {
        guard let aws = store.spec.provider.aws else {
            throw .invalidConfiguration("\(field) is not set")
        }
        let service: Service
        switch aws.service {
        case .secretsManager: service = .secretsManager
        case .parameterStore: service = .parameterStore
        case .certificateManager:
            throw .unsupported("\(field).service CertificateManager is not supported by this operator")
        }
        guard AWSEndpoints.isValidRegion(aws.region) else {
            throw .invalidConfiguration("\(field).region \"\(aws.region)\" is not an AWS region")
        }
        var credentials = Credentials.operatorDefault
        var isReferent = false
        if let secretRef = aws.auth?.secretRef {
            guard let id = secretRef.accessKeyIDSecretRef, let secret = secretRef.secretAccessKeySecretRef else {
                throw .invalidConfiguration(
                    "\(field).auth.secretRef needs accessKeyIDSecretRef and secretAccessKeySecretRef")
            }
            let selectors =
                [
                    ("accessKeyIDSecretRef", id), ("secretAccessKeySecretRef", secret),
                ] + (secretRef.sessionTokenSecretRef.map { [("sessionTokenSecretRef", $0)] } ?? [])
            for (name, selector) in selectors {
                try checkSelector(selector, field: "\(field).auth.secretRef.\(name)", store: store)
                if store.kind == .clusterSecretStore, (selector.namespace ?? "").isEmpty { isReferent = true }
            }
            credentials = .secretRef(
                accessKeyID: id, secretAccessKey: secret, sessionToken: secretRef.sessionTokenSecretRef)
        } else if let jwt = aws.auth?.jwt {
            guard let serviceAccount = jwt.serviceAccountRef else {
                throw .invalidConfiguration("\(field).auth.jwt needs serviceAccountRef")
            }
            try checkNamespace(serviceAccount.namespace, field: "\(field).auth.jwt.serviceAccountRef", store: store)
            if store.kind == .clusterSecretStore, (serviceAccount.namespace ?? "").isEmpty { isReferent = true }
            credentials = .serviceAccount(serviceAccount)
        }
        if let window = aws.secretsManager?.recoveryWindowInDays, window != 0 {
            if aws.secretsManager?.forceDeleteWithoutRecovery == true {
                throw .invalidConfiguration(
                    "\(field).secretsManager: forceDeleteWithoutRecovery and recoveryWindowInDays cannot both be set")
            }
            guard (7...30).contains(window) else {
                throw .invalidConfiguration("\(field).secretsManager.recoveryWindowInDays must be between 7 and 30")
            }
        }
        let custom = aws.customSessionTags ?? [:]
        for key in AWSProvider.reservedSessionTagKeys where custom[key] != nil {
            throw .invalidConfiguration(
                "\(field).customSessionTags cannot contain automatically injected reserved keys: esoNamespace, esoStoreName, esoStoreKind"
            )
        }
        for (index, roleARN) in (aws.additionalRoles ?? []).enumerated() where roleARN.isEmpty {
            throw .invalidConfiguration("\(field).additionalRoles[\(index)] is empty")
        }
        return AWSStoreSettings(
            service: service, region: aws.region, credentials: credentials, additionalRoles: aws.additionalRoles ?? [],
            role: aws.role.flatMap { $0.isEmpty ? nil : $0 },
            externalID: aws.externalID.flatMap { $0.isEmpty ? nil : $0 },
            sessionTags: (aws.sessionTags ?? []).map { ($0.key, $0.value) },
            transitiveTagKeys: aws.transitiveTagKeys ?? [],
            sessionTagsPolicy: aws.sessionTagsPolicy ?? .none, customSessionTags: custom, prefix: aws.prefix ?? "",
            deletion: SecretsManagerDeletion(
                forceWithoutRecovery: aws.secretsManager?.forceDeleteWithoutRecovery ?? false,
                recoveryWindowInDays: aws.secretsManager?.recoveryWindowInDays.flatMap { $0 == 0 ? nil : $0 }),
            isReferent: isReferent)
    }

    private static func checkSelector(_ selector: SecretKeySelector, field: String, store: StoreContext)
        throws(ProviderError)
    {
        guard let name = selector.name, !name.isEmpty else { throw .invalidConfiguration("\(field).name is required") }
        guard let key = selector.key, !key.isEmpty else { throw .invalidConfiguration("\(field).key is required") }
        try checkNamespace(selector.namespace, field: field, store: store)
    }

    /// ESO's rule: a SecretStore may only reference its own namespace.
    private static func checkNamespace(_ namespace: String?, field: String, store: StoreContext) throws(ProviderError) {
        if store.kind == .secretStore, let namespace, !namespace.isEmpty, namespace != store.storeNamespace {
            throw .invalidConfiguration("\(field).namespace: a SecretStore may only reference its own namespace")
        }
    }

    /// The roles assumed after authenticating, in order: `additionalRoles`, then `role` with the
    /// external ID and session tags.
    func roleRequests(store: StoreContext) -> [STSClient.AssumeRoleRequest] {
        var roles = additionalRoles.map {
            STSClient.AssumeRoleRequest(roleARN: $0, sessionName: AWSSecretsProvider.sessionName)
        }
        if let role {
            roles.append(
                STSClient.AssumeRoleRequest(
                    roleARN: role, sessionName: AWSSecretsProvider.sessionName, externalID: externalID,
                    tags: roleSessionTags(store: store), transitiveTagKeys: transitiveTagKeys))
        }
        return roles
    }

    /// The session tags to set on `role`: `sessionTags`, then the policy's tags (which win).
    func roleSessionTags(store: StoreContext) -> [(key: String, value: String)] {
        var tags = sessionTags
        guard sessionTagsPolicy != .none else { return tags }
        var added: [(String, String)] = []
        if sessionTagsPolicy == .custom {
            for key in customSessionTags.keys.sorted() where !key.isEmpty && !(customSessionTags[key] ?? "").isEmpty {
                added.append((key, customSessionTags[key]!))
            }
        }
        added.append(("esoNamespace", store.callerNamespace))
        added.append(("esoStoreName", store.name))
        added.append(("esoStoreKind", store.kind.rawValue))
        let addedKeys = Set(added.map(\.0))
        tags.removeAll { addedKeys.contains($0.key) }
        tags += added.filter { !$0.1.isEmpty }.map { (key: $0.0, value: $0.1) }
        return tags
    }
}

/// `spec.provider.aws.secretsManager`: how DeleteSecret is called (checked: not both set, the window
/// between 7 and 30 days). Neither set: AWS's default 30-day recovery window.
struct SecretsManagerDeletion: Sendable, Hashable {
    var forceWithoutRecovery = false
    var recoveryWindowInDays: Int64?
}

/// Endpoints of the AWS services, and ESO's environment variables that override them.
enum AWSEndpoints {
    static let secretsManagerVariable = "AWS_SECRETSMANAGER_ENDPOINT"
    static let ssmVariable = "AWS_SSM_ENDPOINT"
    static let stsVariable = "AWS_STS_ENDPOINT"

    /// The shape of an AWS region name (`us-east-1`, `us-gov-west-1`): two lowercase letters, one
    /// or more `-` and lowercase words, then `-` and a number.
    static func isValidRegion(_ region: String) -> Bool {
        let parts = region.utf8.split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
        func all(_ part: Substring.UTF8View.SubSequence, in range: ClosedRange<UInt8>) -> Bool {
            !part.isEmpty && part.allSatisfy(range.contains)
        }
        let letters = UInt8(ascii: "a")...UInt8(ascii: "z")
        guard parts.count >= 3, parts[0].count == 2, let number = parts.last else { return false }
        return all(number, in: UInt8(ascii: "0")...UInt8(ascii: "9"))
            && parts.dropLast().allSatisfy { all($0, in: letters) }
    }

    static func domain(_ region: String) -> String {
        region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
    }

    static func secretsManager(region: String, environment: [String: String]) -> String {
        nonEmpty(environment[secretsManagerVariable]) ?? "https://secretsmanager.\(region).\(domain(region))"
    }

    static func ssm(region: String, environment: [String: String]) -> String {
        nonEmpty(environment[ssmVariable]) ?? "https://ssm.\(region).\(domain(region))"
    }

    static func sts(region: String, environment: [String: String]) -> String {
        nonEmpty(environment[stsVariable]) ?? "https://sts.\(region).\(domain(region))"
    }

    private static func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }
}
