#!/usr/bin/env python3
"""Pins scripts/azure-keyvault-fake.py to the real wire format: drives Microsoft's official clients
(PyPI `azure-keyvault-secrets`, `azure-keyvault-certificates`, `azure-keyvault-keys` and
`azure-identity`, through MSAL) against the fake over HTTPS and checks every answer they decode.
A fake that drifts from what the real clients send or expect fails here. Exit status 0 when every
check passed; prints "ok N checks".

    azure-sdk-pin.py          (starts its own fake on a free port, stops it by PID)
"""

import base64
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

HERE = os.path.dirname(os.path.abspath(__file__))
TENANT = "72f988bf-0000-4000-8000-pin000000001"
checks = 0


def check(condition, what):
    global checks
    checks += 1
    if not condition:
        raise AssertionError(what)


def raises(kind, call, what, containing=None):
    try:
        call()
    except kind as error:
        check(True, what)
        if containing is not None:
            check(containing in str(error), f"{what}: {containing!r} not in {str(error)[:400]!r}")
        return error
    raise AssertionError(f"{what}: no {kind.__name__}")


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem_private(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def certificate_of(key, name):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))


def jwt(key, claims):
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    signing_input = b64(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "k8s"}).encode()) + "." + b64(json.dumps(claims).encode())
    from cryptography.hazmat.primitives.asymmetric import padding
    return signing_input + "." + b64(key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256()))


def main():
    directory = tempfile.mkdtemp(prefix="azure-pin-")
    sp_key, stranger_key, issuer_key = rsa_key(), rsa_key(), rsa_key()
    sp_certificate = certificate_of(sp_key, "sp-cert")
    sp_pem = sp_certificate.public_bytes(serialization.Encoding.PEM).decode() + pem_private(sp_key)
    stranger_pem = certificate_of(stranger_key, "stranger").public_bytes(serialization.Encoding.PEM).decode() + pem_private(stranger_key)
    issuer_public = issuer_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    config = os.path.join(directory, "config.json")
    with open(config, "w") as file:
        json.dump({
            "tenant": TENANT,
            "principals": {
                "sp-secret": {"secret": "pin-client-secret", "permissions": "*"},
                "sp-cert": {"certificatePem": sp_certificate.public_bytes(serialization.Encoding.PEM).decode(),
                            "permissions": {"secrets": ["get"]}},
                "reader": {"secret": "reader-secret", "permissions": {"secrets": ["get", "list"]}},
                "federated": {"federated": ["system:serviceaccount:apps:reader"], "permissions": {"secrets": ["get"]}},
            },
            "managedIdentities": {"system": {"permissions": {"secrets": ["get"]}},
                                  "uami-1": {"permissions": {"secrets": ["get", "list"]}}},
            "issuers": [issuer_public],
        }, file)
    tls = os.path.join(directory, "tls")
    fake = subprocess.Popen([sys.executable, os.path.join(HERE, "azure-keyvault-fake.py"), "--config", config, "--tls", tls],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        port = int(fake.stdout.readline().split()[1])
        endpoint = f"https://127.0.0.1:{port}"
        ca = os.path.join(tls, "cert.pem")
        os.environ["REQUESTS_CA_BUNDLE"] = ca
        os.environ["AZURE_POD_IDENTITY_AUTHORITY_HOST"] = endpoint
        run(endpoint, ca, sp_pem, stranger_pem, issuer_key, stranger_key, directory)
    finally:
        fake.kill()
        fake.wait()
    # The same vault under Azure RBAC: the refusal names the data action.
    with open(config) as file:
        rbac = dict(json.load(file), authorization="rbac")
    rbac_config = os.path.join(directory, "rbac.json")
    with open(rbac_config, "w") as file:
        json.dump(rbac, file)
    rbac_tls = os.path.join(directory, "rbac-tls")
    fake = subprocess.Popen([sys.executable, os.path.join(HERE, "azure-keyvault-fake.py"), "--config", rbac_config,
                             "--tls", rbac_tls], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        port = int(fake.stdout.readline().split()[1])
        os.environ["REQUESTS_CA_BUNDLE"] = os.path.join(rbac_tls, "cert.pem")
        rbac_refusal(f"https://127.0.0.1:{port}", os.path.join(rbac_tls, "cert.pem"))
    finally:
        fake.kill()
        fake.wait()
    print(f"ok {checks} checks")


def control(endpoint, ca, path, body):
    import ssl
    context = ssl.create_default_context(cafile=ca)
    request = urllib.request.Request(f"{endpoint}{path}", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, context=context).read()


def run(endpoint, ca, sp_pem, stranger_pem, issuer_key, stranger_key, directory):
    from azure.core.exceptions import (ClientAuthenticationError, HttpResponseError, ResourceExistsError,
                                       ResourceNotFoundError)
    from azure.identity import (CertificateCredential, ClientSecretCredential, ManagedIdentityCredential,
                                WorkloadIdentityCredential)
    from azure.keyvault.certificates import CertificateClient, CertificateContentType, CertificatePolicy
    from azure.keyvault.keys import KeyClient
    from azure.keyvault.secrets import SecretClient

    common = {"authority": endpoint, "disable_instance_discovery": True, "connection_verify": ca}

    def secrets(credential, **kwargs):
        return SecretClient(vault_url=endpoint, credential=credential, verify_challenge_resource=False,
                            connection_verify=ca, api_version="7.4", **kwargs)

    # Service principal with a client secret: MSAL's client-credentials grant at the v2.0 endpoint,
    # after Key Vault's 401 challenge named the tenant and the resource.
    admin_credential = ClientSecretCredential(TENANT, "sp-secret", "pin-client-secret", **common)
    admin = secrets(admin_credential)
    expires = datetime.datetime(2031, 1, 1, tzinfo=datetime.timezone.utc)
    made = admin.set_secret("db", '{"password":"one"}', content_type="application/json",
                            tags={"managed-by": "external-secrets", "team": "a"}, expires_on=expires)
    check(made.name == "db" and made.value == '{"password":"one"}', "set_secret answers the secret")
    check(made.properties.content_type == "application/json", "the content type round-trips")
    check(made.properties.tags == {"managed-by": "external-secrets", "team": "a"}, "tags round-trip")
    check(made.properties.expires_on == expires, "the expiry round-trips (Unix seconds)")
    check(made.properties.enabled is True and made.properties.created_on is not None, "attributes are set")
    check(made.id == f"{endpoint}/secrets/db/{made.properties.version}" and len(made.properties.version) == 32,
          "ids name the vault, the secret and a 32-hex version")
    second = admin.set_secret("db", '{"password":"two"}')
    check(admin.get_secret("db").value == '{"password":"two"}', "get_secret reads the latest version")
    check(admin.get_secret("db", made.properties.version).value == '{"password":"one"}', "a version by id")
    versions = list(admin.list_properties_of_secret_versions("db"))
    check(sorted(v.version for v in versions) == sorted([made.properties.version, second.properties.version]),
          "versions are listed")
    error = raises(ResourceNotFoundError, lambda: admin.get_secret("nothing"), "a missing secret is 404")
    check(error.error.code == "SecretNotFound", "the error code is SecretNotFound")
    check("nothing" in error.message, "the message names the secret")
    raises(ResourceNotFoundError, lambda: admin.get_secret("db", "0" * 32), "a missing version is 404")
    updated = admin.update_secret_properties("db", tags={"managed-by": "external-secrets", "team": "b"})
    check(updated.tags["team"] == "b", "update_secret_properties changes tags")

    for index in range(30):
        admin.set_secret(f"app-{index:02d}", f"value-{index}", tags={"team": "b" if index % 2 else "a"})
    names = [p.name for p in admin.list_properties_of_secrets()]
    check(names == [f"app-{i:02d}" for i in range(30)] + ["db"], "the pager follows nextLink over every page")
    check(all(p.enabled for p in admin.list_properties_of_secrets()), "list items carry their attributes")
    tagged = [p.name for p in admin.list_properties_of_secrets() if (p.tags or {}).get("team") == "a"]
    check(len(tagged) == 15, "list items carry their tags")

    admin.set_secret("off", "x", enabled=False)
    error = raises(HttpResponseError, lambda: admin.get_secret("off"), "a disabled secret cannot be read")
    check(error.status_code == 403 and "disabled" in error.message, "Key Vault says it is disabled")

    admin.begin_delete_secret("app-00").wait()
    deleted = admin.get_deleted_secret("app-00")
    check(deleted.recovery_id.endswith("/deletedsecrets/app-00") and deleted.scheduled_purge_date is not None,
          "a deleted secret is recoverable")
    raises(ResourceNotFoundError, lambda: admin.get_secret("app-00"), "a deleted secret is not found")
    raises(ResourceExistsError, lambda: admin.set_secret("app-00", "again"), "a deleted name cannot be reused",
           "deleted but recoverable")
    admin.purge_deleted_secret("app-00")
    check(admin.set_secret("app-00", "again").value == "again", "a purged name can be reused")

    raises(ClientAuthenticationError, lambda: ClientSecretCredential(
        TENANT, "sp-secret", "wrong", **common).get_token("https://vault.azure.net/.default"),
           "a wrong client secret is refused", "AADSTS7000215")
    raises(ClientAuthenticationError, lambda: ClientSecretCredential(
        TENANT, "nobody", "x", **common).get_token("https://vault.azure.net/.default"),
           "an unknown client is refused", "AADSTS700016")

    # Service principal with a certificate: MSAL's signed client assertion (PS256, x5t#S256).
    cert_client = secrets(CertificateCredential(TENANT, "sp-cert", certificate_data=sp_pem.encode(), **common))
    check(cert_client.get_secret("db").value == '{"password":"two"}', "a certificate assertion gets a token")
    error = raises(HttpResponseError, lambda: cert_client.set_secret("db", "x"), "a missing permission is 403")
    check(error.status_code == 403 and "does not have secrets set permission" in error.message,
          "the message names the missing permission")
    check(error.error.code == "Forbidden", "the error code is Forbidden")
    raises(ClientAuthenticationError, lambda: CertificateCredential(
        TENANT, "sp-cert", certificate_data=stranger_pem.encode(), **common).get_token("https://vault.azure.net/.default"),
           "another certificate is refused", "AADSTS700027")

    # Throttling: the client retries 429 by itself; with retries off it reports Throttled.
    control(endpoint, ca, "/fake/throttle", {"count": 1, "status": 429, "retryAfter": 0})
    check(admin.get_secret("db").value == '{"password":"two"}', "the client retries a 429 (Retry-After)")
    control(endpoint, ca, "/fake/throttle", {"count": 1, "status": 429})
    impatient = secrets(admin_credential, retry_total=0)
    error = raises(HttpResponseError, lambda: impatient.get_secret("db"), "a 429 without retries")
    check(error.status_code == 429 and error.error.code == "Throttled", "the error is Throttled")

    # Managed identity through the instance metadata service (AZURE_POD_IDENTITY_AUTHORITY_HOST).
    system = secrets(ManagedIdentityCredential(connection_verify=ca))
    check(system.get_secret("app-01").value == "value-1", "the system-assigned identity reads")
    user_assigned = secrets(ManagedIdentityCredential(client_id="uami-1", connection_verify=ca))
    check([p.name for p in user_assigned.list_properties_of_secrets()][:1] == ["app-00"],
          "a user-assigned identity has its own permissions")
    raises(ClientAuthenticationError, lambda: ManagedIdentityCredential(
        client_id="nobody", connection_verify=ca).get_token("https://vault.azure.net/.default"),
           "an unknown identity is refused")

    # Workload identity: a federated (Kubernetes ServiceAccount) token as the client assertion.
    now = int(time.time())
    token_file = os.path.join(directory, "token")
    claims = {"iss": "https://kubernetes.default.svc", "sub": "system:serviceaccount:apps:reader",
              "aud": ["api://AzureADTokenExchange"], "iat": now, "nbf": now, "exp": now + 600}
    with open(token_file, "w") as file:
        file.write(jwt(issuer_key, claims))
    federated = secrets(WorkloadIdentityCredential(tenant_id=TENANT, client_id="federated", token_file_path=token_file,
                                                   **common))
    check(federated.get_secret("app-01").value == "value-1", "a federated token gets a token")
    for name, bad in [("another subject", dict(claims, sub="system:serviceaccount:apps:other")),
                      ("another audience", dict(claims, aud=["api://other"]))]:
        with open(token_file, "w") as file:
            file.write(jwt(issuer_key, bad))
        raises(ClientAuthenticationError, lambda: WorkloadIdentityCredential(
            tenant_id=TENANT, client_id="federated", token_file_path=token_file, **common).get_token(
            "https://vault.azure.net/.default"), f"a federated token with {name} is refused", "AADSTS")
    with open(token_file, "w") as file:
        file.write(jwt(stranger_key, claims))
    raises(ClientAuthenticationError, lambda: WorkloadIdentityCredential(
        tenant_id=TENANT, client_id="federated", token_file_path=token_file, **common).get_token(
        "https://vault.azure.net/.default"), "a token of another issuer is refused", "AADSTS700211")

    # Certificates: import (PEM with its key), read back as DER; the backing secret is the PEM.
    certificates = CertificateClient(vault_url=endpoint, credential=admin_credential, verify_challenge_resource=False,
                                     connection_verify=ca, api_version="7.4")
    tls_key = rsa_key()
    tls_certificate = certificate_of(tls_key, "tls.example")
    tls_pem = tls_certificate.public_bytes(serialization.Encoding.PEM).decode() + pem_private(tls_key)
    imported = certificates.import_certificate(
        "tls", tls_pem.encode(), policy=CertificatePolicy(issuer_name="Unknown", subject="CN=tls.example",
                                                          content_type=CertificateContentType.pem),
        tags={"managed-by": "external-secrets"})
    der = tls_certificate.public_bytes(serialization.Encoding.DER)
    check(bytes(imported.cer) == der, "import answers the certificate's DER")
    fetched = certificates.get_certificate("tls")
    check(bytes(fetched.cer) == der and fetched.properties.tags == {"managed-by": "external-secrets"},
          "get_certificate answers the DER and the tags")
    check(fetched.secret_id.endswith(f"/secrets/tls/{fetched.properties.version}"), "the certificate names its secret")
    backing = admin.get_secret("tls")
    check(backing.value == tls_pem and backing.properties.content_type == "application/x-pem-file",
          "the backing secret holds the PEM")
    check(backing.properties.managed is True, "the backing secret is managed")
    raises(ResourceNotFoundError, lambda: certificates.get_certificate("none"), "a missing certificate is 404")
    certificates.begin_delete_certificate("tls").wait()
    raises(ResourceNotFoundError, lambda: admin.get_secret("tls"), "deleting a certificate deletes its secret")

    # Keys: create, import a JSON Web Key, read back the public JWK (never the private parts).
    keys = KeyClient(vault_url=endpoint, credential=admin_credential, verify_challenge_resource=False,
                     connection_verify=ca, api_version="7.4")
    created = keys.create_rsa_key("signing", size=2048, tags={"managed-by": "external-secrets"})
    check(created.key_type == "RSA" and len(created.key.n) == 256 and created.key.e == b"\x01\x00\x01",
          "create_rsa_key answers the public key")
    from azure.keyvault.keys import JsonWebKey
    imported_key = rsa_key()
    numbers = imported_key.private_numbers()

    def raw(number):
        return number.to_bytes((number.bit_length() + 7) // 8, "big")
    jwk = JsonWebKey(kty="RSA", n=raw(numbers.public_numbers.n), e=raw(numbers.public_numbers.e), d=raw(numbers.d),
                     p=raw(numbers.p), q=raw(numbers.q), dp=raw(numbers.dmp1), dq=raw(numbers.dmq1), qi=raw(numbers.iqmp))
    keys.import_key("imported", jwk, tags={"managed-by": "external-secrets"})
    read = keys.get_key("imported")
    check(read.key.n == raw(numbers.public_numbers.n) and read.key.d is None, "the public part only is read back")
    check(read.id == read.key.kid and read.properties.tags == {"managed-by": "external-secrets"}, "kid and tags")
    raises(ResourceNotFoundError, lambda: keys.get_key("none"), "a missing key is 404")
    keys.begin_delete_key("imported").wait()
    raises(ResourceNotFoundError, lambda: keys.get_key("imported"), "a deleted key is gone")


def rbac_refusal(endpoint, ca):
    from azure.core.exceptions import HttpResponseError
    from azure.identity import ClientSecretCredential
    from azure.keyvault.secrets import SecretClient
    reader = SecretClient(vault_url=endpoint, credential=ClientSecretCredential(
        TENANT, "reader", "reader-secret", authority=endpoint, disable_instance_discovery=True, connection_verify=ca),
        verify_challenge_resource=False, connection_verify=ca, api_version="7.4")
    error = raises(HttpResponseError, lambda: reader.set_secret("db", "x"), "under RBAC a missing role is 403")
    check(error.status_code == 403 and error.error.code == "Forbidden", "the code is Forbidden")
    check("Action: 'Microsoft.KeyVault/vaults/secrets/setSecret/action'" in error.message,
          "the message names the data action")


if __name__ == "__main__":
    main()
