// `spec.provider.vault`: HashiCorp Vault or OpenBao, with ESO's v1 field names. Every field of
// ESO's block is here, so a manifest written for ESO decodes and round-trips unchanged; the
// provider reports which parts it does not implement (AWS IAM and GCP login).

/// `spec.provider.vault`: a KV secrets engine of a Vault (or OpenBao) server.
public struct VaultProvider: Codable, Sendable, Hashable {
    /// The server's address, e.g. `https://vault.example.com:8200`.
    public var server: String
    /// The mount path of the KV engine (`secret`); with KV v2 the `/data` segment is added.
    public var path: String?
    /// The KV engine version; unset means v2.
    public var version: VaultKVStoreVersion?
    /// The Vault namespace secrets are read from (`X-Vault-Namespace`).
    public var namespace: String?
    /// PEM CA certificates to trust for the server, base64 in JSON (`format: byte`).
    public var caBundle: String?
    public var caProvider: CAProvider?
    /// A client certificate presented on every connection (mutual TLS).
    public var tls: VaultClientTLS?
    public var auth: VaultAuth?
    /// Send the replication state Vault returned with each later request.
    public var readYourWrites: Bool?
    /// Ask a performance standby to forward inconsistent reads to the active node.
    public var forwardInconsistent: Bool?
    /// Extra headers sent with every request.
    public var headers: [String: String]?
    /// Check-and-set settings for writes (PushSecret).
    public var checkAndSet: VaultCheckAndSet?

    public init(
        server: String, path: String? = nil, version: VaultKVStoreVersion? = nil, namespace: String? = nil,
        caBundle: String? = nil, caProvider: CAProvider? = nil, tls: VaultClientTLS? = nil, auth: VaultAuth? = nil,
        readYourWrites: Bool? = nil, forwardInconsistent: Bool? = nil, headers: [String: String]? = nil,
        checkAndSet: VaultCheckAndSet? = nil
    ) {
        self.server = server
        self.path = path
        self.version = version
        self.namespace = namespace
        self.caBundle = caBundle
        self.caProvider = caProvider
        self.tls = tls
        self.auth = auth
        self.readYourWrites = readYourWrites
        self.forwardInconsistent = forwardInconsistent
        self.headers = headers
        self.checkAndSet = checkAndSet
    }
}

/// The version of a KV secrets engine.
public enum VaultKVStoreVersion: String, Codable, Sendable, Hashable, CaseIterable {
    case v1
    case v2
}

/// A client certificate and key for mutual TLS with the server (not the `cert` login method).
public struct VaultClientTLS: Codable, Sendable, Hashable {
    /// Defaults to key `tls.crt`.
    public var certSecretRef: SecretKeySelector?
    /// Defaults to key `tls.key`.
    public var keySecretRef: SecretKeySelector?

    public init(certSecretRef: SecretKeySelector? = nil, keySecretRef: SecretKeySelector? = nil) {
        self.certSecretRef = certSecretRef
        self.keySecretRef = keySecretRef
    }
}

public struct VaultCheckAndSet: Codable, Sendable, Hashable {
    public var required: Bool?

    public init(required: Bool? = nil) { self.required = required }
}

/// How to obtain a Vault token: exactly one method.
public struct VaultAuth: Codable, Sendable, Hashable {
    /// The Vault namespace to log in to, when it differs from `vault.namespace`.
    public var namespace: String?
    public var tokenSecretRef: SecretKeySelector?
    public var appRole: VaultAppRole?
    public var kubernetes: VaultKubernetesAuth?
    public var ldap: VaultLdapAuth?
    public var userPass: VaultUserPassAuth?
    public var jwt: VaultJwtAuth?
    public var cert: VaultCertAuth?
    public var iam: VaultIamAuth?
    public var gcp: VaultGCPAuth?

    public init(
        namespace: String? = nil, tokenSecretRef: SecretKeySelector? = nil, appRole: VaultAppRole? = nil,
        kubernetes: VaultKubernetesAuth? = nil, ldap: VaultLdapAuth? = nil, userPass: VaultUserPassAuth? = nil,
        jwt: VaultJwtAuth? = nil, cert: VaultCertAuth? = nil, iam: VaultIamAuth? = nil, gcp: VaultGCPAuth? = nil
    ) {
        self.namespace = namespace
        self.tokenSecretRef = tokenSecretRef
        self.appRole = appRole
        self.kubernetes = kubernetes
        self.ldap = ldap
        self.userPass = userPass
        self.jwt = jwt
        self.cert = cert
        self.iam = iam
        self.gcp = gcp
    }
}

/// AppRole login: a role id (inline or from a Secret) and a secret id from a Secret.
public struct VaultAppRole: Codable, Sendable, Hashable {
    /// Mount path of the AppRole method; defaults to `approle`.
    public var path: String?
    public var roleId: String?
    public var roleRef: SecretKeySelector?
    public var secretRef: SecretKeySelector

    public init(
        path: String? = nil, roleId: String? = nil, roleRef: SecretKeySelector? = nil, secretRef: SecretKeySelector
    ) {
        self.path = path
        self.roleId = roleId
        self.roleRef = roleRef
        self.secretRef = secretRef
    }
}

/// Kubernetes login: a ServiceAccount token (from the TokenRequest API or a Secret) for a role.
public struct VaultKubernetesAuth: Codable, Sendable, Hashable {
    /// Mount path of the Kubernetes method; defaults to `kubernetes`.
    public var mountPath: String?
    public var role: String
    public var serviceAccountRef: ServiceAccountSelector?
    /// A Secret key holding a ServiceAccount token; the key defaults to `token`.
    public var secretRef: SecretKeySelector?

    public init(
        mountPath: String? = nil, role: String, serviceAccountRef: ServiceAccountSelector? = nil,
        secretRef: SecretKeySelector? = nil
    ) {
        self.mountPath = mountPath
        self.role = role
        self.serviceAccountRef = serviceAccountRef
        self.secretRef = secretRef
    }
}

/// LDAP login: a username and a password from a Secret.
public struct VaultLdapAuth: Codable, Sendable, Hashable {
    /// Mount path of the LDAP method; defaults to `ldap`.
    public var path: String?
    public var username: String
    public var secretRef: SecretKeySelector?

    public init(path: String? = nil, username: String, secretRef: SecretKeySelector? = nil) {
        self.path = path
        self.username = username
        self.secretRef = secretRef
    }
}

/// Userpass login: a username and a password from a Secret.
public struct VaultUserPassAuth: Codable, Sendable, Hashable {
    /// Mount path of the userpass method; defaults to `userpass`.
    public var path: String?
    public var username: String
    public var secretRef: SecretKeySelector?

    public init(path: String? = nil, username: String, secretRef: SecretKeySelector? = nil) {
        self.path = path
        self.username = username
        self.secretRef = secretRef
    }
}

/// JWT/OIDC login: a JWT from a Secret or from the TokenRequest API, for a role.
public struct VaultJwtAuth: Codable, Sendable, Hashable {
    /// Mount path of the JWT method; defaults to `jwt`.
    public var path: String?
    public var role: String?
    public var secretRef: SecretKeySelector?
    public var kubernetesServiceAccountToken: VaultKubernetesServiceAccountTokenAuth?

    public init(
        path: String? = nil, role: String? = nil, secretRef: SecretKeySelector? = nil,
        kubernetesServiceAccountToken: VaultKubernetesServiceAccountTokenAuth? = nil
    ) {
        self.path = path
        self.role = role
        self.secretRef = secretRef
        self.kubernetesServiceAccountToken = kubernetesServiceAccountToken
    }
}

/// A ServiceAccount token requested for JWT login.
public struct VaultKubernetesServiceAccountTokenAuth: Codable, Sendable, Hashable {
    public var serviceAccountRef: ServiceAccountSelector
    /// Deprecated in ESO in favour of `serviceAccountRef.audiences`; defaults to `vault`.
    public var audiences: [String]?
    /// Deprecated in ESO; defaults to 600.
    public var expirationSeconds: Int64?

    public init(serviceAccountRef: ServiceAccountSelector, audiences: [String]? = nil, expirationSeconds: Int64? = nil)
    {
        self.serviceAccountRef = serviceAccountRef
        self.audiences = audiences
        self.expirationSeconds = expirationSeconds
    }
}

/// TLS certificate login: the client certificate and key are presented on the connection.
public struct VaultCertAuth: Codable, Sendable, Hashable {
    /// Mount path of the cert method; defaults to `cert`.
    public var path: String?
    /// The certificate role to log in as; unset lets Vault pick the matching one.
    public var vaultRole: String?
    public var clientCert: SecretKeySelector?
    /// The Secret key holding the client's private key.
    public var secretRef: SecretKeySelector?

    public init(
        path: String? = nil, vaultRole: String? = nil, clientCert: SecretKeySelector? = nil,
        secretRef: SecretKeySelector? = nil
    ) {
        self.path = path
        self.vaultRole = vaultRole
        self.clientCert = clientCert
        self.secretRef = secretRef
    }
}

/// AWS IAM login (not implemented by this operator; the block is accepted and kept).
public struct VaultIamAuth: Codable, Sendable, Hashable {
    public var path: String?
    public var region: String?
    public var role: String?
    public var vaultRole: String
    public var externalID: String?
    public var vaultAwsIamServerID: String?
    public var secretRef: AWSAuthSecretRef?
    public var jwt: AWSJWTAuth?

    public init(
        path: String? = nil, region: String? = nil, role: String? = nil, vaultRole: String, externalID: String? = nil,
        vaultAwsIamServerID: String? = nil, secretRef: AWSAuthSecretRef? = nil, jwt: AWSJWTAuth? = nil
    ) {
        self.path = path
        self.region = region
        self.role = role
        self.vaultRole = vaultRole
        self.externalID = externalID
        self.vaultAwsIamServerID = vaultAwsIamServerID
        self.secretRef = secretRef
        self.jwt = jwt
    }
}

/// GCP login (not implemented by this operator; the block is accepted and kept).
public struct VaultGCPAuth: Codable, Sendable, Hashable {
    public var path: String?
    public var role: String
    public var projectID: String?
    public var location: String?
    public var secretRef: VaultGCPSecretRef?
    public var workloadIdentity: VaultGCPWorkloadIdentity?
    public var serviceAccountRef: ServiceAccountSelector?

    public init(
        path: String? = nil, role: String, projectID: String? = nil, location: String? = nil,
        secretRef: VaultGCPSecretRef? = nil, workloadIdentity: VaultGCPWorkloadIdentity? = nil,
        serviceAccountRef: ServiceAccountSelector? = nil
    ) {
        self.path = path
        self.role = role
        self.projectID = projectID
        self.location = location
        self.secretRef = secretRef
        self.workloadIdentity = workloadIdentity
        self.serviceAccountRef = serviceAccountRef
    }
}

public struct VaultGCPSecretRef: Codable, Sendable, Hashable {
    public var secretAccessKeySecretRef: SecretKeySelector?

    public init(secretAccessKeySecretRef: SecretKeySelector? = nil) {
        self.secretAccessKeySecretRef = secretAccessKeySecretRef
    }
}

public struct VaultGCPWorkloadIdentity: Codable, Sendable, Hashable {
    public var serviceAccountRef: ServiceAccountSelector
    public var clusterLocation: String?
    public var clusterName: String?
    public var clusterProjectID: String?

    public init(
        serviceAccountRef: ServiceAccountSelector, clusterLocation: String? = nil, clusterName: String? = nil,
        clusterProjectID: String? = nil
    ) {
        self.serviceAccountRef = serviceAccountRef
        self.clusterLocation = clusterLocation
        self.clusterName = clusterName
        self.clusterProjectID = clusterProjectID
    }
}
