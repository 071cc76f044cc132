#!/usr/bin/env python3
"""Pins scripts/gcp-secret-manager-fake.py to the real wire format: drives Google's official
clients (PyPI `google-cloud-secret-manager` with its REST transport, and `google-auth`) against the
fake and checks every answer they decode. A fake that drifts from what the real client sends or
expects fails here. Exit status 0 when every check passed; prints "ok N checks".

    gcp-sdk-pin.py            (starts its own fake on a free port, stops it by PID)
"""

import json
import os
import subprocess
import sys
import tempfile

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.api_core import exceptions
from google.auth import exceptions as auth_exceptions
from google.auth.transport.requests import Request
from google.cloud import secretmanager
from google.cloud.secretmanager_v1.services.secret_manager_service.transports.rest import (
    SecretManagerServiceRestTransport,
)
from google.oauth2 import service_account
from google.protobuf import field_mask_pb2

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT, NUMBER = "pin-project", "424242424242"
checks = 0


def check(condition, what):
    global checks
    checks += 1
    if not condition:
        raise AssertionError(what)


def raises(kind, call, what, status=None):
    """Runs `call`, expecting the api_core exception `kind` (chosen by HTTP status, as the REST
    transport maps errors) and, when given, the Google status in the JSON error body."""
    try:
        call()
    except kind as error:
        check(True, what)
        if status is not None:
            body = error.response.json() if getattr(error, "response", None) is not None else {}
            check(body.get("error", {}).get("status") == status,
                  f"{what}: status {body.get('error', {}).get('status')} instead of {status}")
        return error
    raise AssertionError(f"{what}: no {kind.__name__}")


def crc32c(data):
    """CRC-32C (Castagnoli), bit by bit; checked against the standard check value below."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283


def make_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


def key_info(email, private, endpoint):
    return {"type": "service_account", "project_id": PROJECT, "private_key_id": "k-" + email.split("@")[0],
            "private_key": private, "client_email": email, "client_id": "1", "token_uri": f"{endpoint}/token"}


def main():
    global admin_pin_key
    admin_private, admin_public = make_key()
    admin_pin_key = admin_private
    reader_private, reader_public = make_key()
    stranger_private, _ = make_key()
    issuer_private, issuer_public = make_key()
    directory = tempfile.mkdtemp(prefix="gcp-pin-")
    accounts = os.path.join(directory, "accounts.json")
    with open(accounts, "w") as file:
        json.dump({"accounts": {
            "admin@pin-project.iam.gserviceaccount.com": {"publicKeyPem": admin_public, "permissions": ["*"]},
            "reader@pin-project.iam.gserviceaccount.com": {
                "publicKeyPem": reader_public,
                "permissions": ["secretmanager.versions.access", "secretmanager.secrets.get",
                                "secretmanager.secrets.list"]},
            "impersonated@pin-project.iam.gserviceaccount.com": {"permissions": ["*"]},
        }, "projects": {PROJECT: NUMBER}, "issuers": [issuer_public],
            "workloadIdentities": {
                "system:serviceaccount:apps:reader": {"permissions": ["secretmanager.versions.access"],
                                                      "impersonate": ["impersonated@pin-project.iam.gserviceaccount.com"]},
            }}, file)
    fake = subprocess.Popen([sys.executable, os.path.join(HERE, "gcp-secret-manager-fake.py"), "--accounts", accounts],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        port = int(fake.stdout.readline().split()[1])
        endpoint = f"http://127.0.0.1:{port}"
        run(endpoint, admin_private, reader_private, stranger_private)
        federation(endpoint, issuer_private, directory)
    finally:
        fake.kill()
        fake.wait()
    print(f"ok {checks} checks")


def run(endpoint, admin_private, reader_private, stranger_private):
    scopes = ["https://www.googleapis.com/auth/cloud-platform"]
    admin_info = key_info("admin@pin-project.iam.gserviceaccount.com", admin_private, endpoint)

    # The OAuth2 token endpoint, as google-auth's service-account flow calls it (JWT assertion).
    token_credentials = service_account.Credentials.from_service_account_info(admin_info, scopes=scopes)
    token_credentials.refresh(Request())
    check(token_credentials.token.startswith("ya29.") and token_credentials.expiry is not None,
          "the token endpoint answers an access token with an expiry")
    stranger = service_account.Credentials.from_service_account_info(
        dict(admin_info, private_key=stranger_private), scopes=scopes)
    error = raises(auth_exceptions.RefreshError, lambda: stranger.refresh(Request()),
                   "a JWT signed with another key is refused")
    check("invalid_grant" in str(error), "the refusal is invalid_grant")

    # API calls with the access token (the flow the operator uses) ...
    client = secretmanager.SecretManagerServiceClient(
        transport=SecretManagerServiceRestTransport(host=endpoint, credentials=token_credentials))
    # ... and with self-signed JWTs (the client library's default for service accounts).
    jwt_client = secretmanager.SecretManagerServiceClient(
        credentials=service_account.Credentials.from_service_account_info(admin_info, scopes=scopes),
        transport="rest", client_options={"api_endpoint": endpoint})

    parent = f"projects/{PROJECT}"
    created = client.create_secret(request={
        "parent": parent, "secret_id": "db",
        "secret": {"replication": {"automatic": {}}, "labels": {"managed-by": "external-secrets", "team": "a"},
                   "annotations": {"owner": "ops"}}})
    check(created.name == f"projects/{NUMBER}/secrets/db", "names use the project number")
    check(dict(created.labels) == {"managed-by": "external-secrets", "team": "a"}, "labels round-trip")
    check(created.etag.startswith('"'), "etags are quoted")
    raises(exceptions.Conflict, lambda: client.create_secret(request={
        "parent": parent, "secret_id": "db", "secret": {"replication": {"automatic": {}}}}),
           "creating twice is ALREADY_EXISTS", "ALREADY_EXISTS")
    raises(exceptions.BadRequest, lambda: client.create_secret(request={
        "parent": parent, "secret_id": "norep", "secret": {}}), "a global secret needs a replication",
           "INVALID_ARGUMENT")

    v1 = client.add_secret_version(request={"parent": f"{parent}/secrets/db", "payload": {"data": b'{"password":"one"}'}})
    check(v1.name.endswith("/versions/1") and v1.state == secretmanager.SecretVersion.State.ENABLED, "version 1")
    client.add_secret_version(request={"parent": f"{parent}/secrets/db", "payload": {"data": b'{"password":"two"}'}})
    latest = jwt_client.access_secret_version(request={"name": f"{parent}/secrets/db/versions/latest"})
    check(latest.payload.data == b'{"password":"two"}', "latest is the newest version")
    check(latest.name == f"projects/{NUMBER}/secrets/db/versions/2", "access names the resolved version")
    check(latest.payload.data_crc32c == crc32c(b'{"password":"two"}'), "the payload carries its CRC32C")
    one = client.access_secret_version(request={"name": f"{parent}/secrets/db/versions/1"})
    check(one.payload.data == b'{"password":"one"}', "a version by number")

    client.update_secret(request={"secret": {"name": f"{parent}/secrets/db", "version_aliases": {"stable": 1}},
                                  "update_mask": field_mask_pb2.FieldMask(paths=["version_aliases"])})
    aliased = client.access_secret_version(request={"name": f"{parent}/secrets/db/versions/stable"})
    check(aliased.payload.data == b'{"password":"one"}', "a version by alias")
    raises(exceptions.NotFound, lambda: client.access_secret_version(
        request={"name": f"{parent}/secrets/db/versions/9"}), "a missing version is NOT_FOUND", "NOT_FOUND")
    raises(exceptions.NotFound, lambda: client.access_secret_version(
        request={"name": f"{parent}/secrets/nothing/versions/latest"}), "a missing secret is NOT_FOUND")

    client.disable_secret_version(request={"name": f"{parent}/secrets/db/versions/2"})
    error = raises(exceptions.BadRequest, lambda: client.access_secret_version(
        request={"name": f"{parent}/secrets/db/versions/latest"}), "a disabled latest is FAILED_PRECONDITION",
                   "FAILED_PRECONDITION")
    check("DISABLED state" in error.message, "the message names the state")
    enabled = list(client.list_secret_versions(request={"parent": f"{parent}/secrets/db", "filter": "state:ENABLED"}))
    check([v.name.rsplit("/", 1)[1] for v in enabled] == ["1"], "versions filtered by state")
    check(all(v.create_time.timestamp() > 0 for v in enabled), "versions carry a create time")
    client.enable_secret_version(request={"name": f"{parent}/secrets/db/versions/2"})

    for index in range(7):
        client.create_secret(request={"parent": parent, "secret_id": f"app-{index}",
                                      "secret": {"replication": {"automatic": {}},
                                                 "labels": {"team": "b" if index % 2 else "a"}}})
    names = [s.name.rsplit("/", 1)[1] for s in client.list_secrets(request={"parent": parent})]
    check(names == ["app-0", "app-1", "app-2", "app-3", "app-4", "app-5", "app-6", "db"],
          "the pager follows nextPageToken over every page")
    first_page = client.list_secrets(request={"parent": parent, "page_size": 2})
    check(len(first_page._response.secrets) == 2 and first_page._response.next_page_token,
          "page_size bounds a page and a token follows")
    team_a = [s.name.rsplit("/", 1)[1] for s in client.list_secrets(request={"parent": parent,
                                                                             "filter": "labels.team=a"})]
    check(team_a == ["app-0", "app-2", "app-4", "app-6", "db"], "filter by label")
    by_name = [s.name.rsplit("/", 1)[1] for s in client.list_secrets(request={"parent": parent,
                                                                              "filter": "name:app-1"})]
    check(by_name == ["app-1"], "filter by name")

    fetched = client.get_secret(request={"name": f"{parent}/secrets/db"})
    check(dict(fetched.annotations) == {"owner": "ops"}, "annotations round-trip")
    check(fetched.replication.automatic is not None, "replication round-trips")
    updated = client.update_secret(request={
        "secret": {"name": f"{parent}/secrets/db", "etag": fetched.etag, "labels": {"team": "c"}},
        "update_mask": field_mask_pb2.FieldMask(paths=["labels"])})
    check(dict(updated.labels) == {"team": "c"} and updated.etag != fetched.etag, "update by mask changes the etag")
    raises(exceptions.Conflict, lambda: client.delete_secret(request={"name": f"{parent}/secrets/db",
                                                                      "etag": fetched.etag}),
           "a stale etag is refused", "ABORTED")
    client.delete_secret(request={"name": f"{parent}/secrets/db", "etag": updated.etag})
    raises(exceptions.NotFound, lambda: client.get_secret(request={"name": f"{parent}/secrets/db"}),
           "a deleted secret is gone")

    regional = f"projects/{PROJECT}/locations/europe-west1"
    made = client.create_secret(request={"parent": regional, "secret_id": "zonal", "secret": {}})
    check(made.name == f"projects/{NUMBER}/locations/europe-west1/secrets/zonal", "regional secrets")
    client.add_secret_version(request={"parent": made.name, "payload": {"data": b"r"}})
    check(client.access_secret_version(request={"name": f"{made.name}/versions/latest"}).payload.data == b"r",
          "regional access")

    reader = secretmanager.SecretManagerServiceClient(
        transport=SecretManagerServiceRestTransport(
            host=endpoint, credentials=service_account.Credentials.from_service_account_info(
                key_info("reader@pin-project.iam.gserviceaccount.com", reader_private, endpoint), scopes=scopes)))
    error = raises(exceptions.Forbidden, lambda: reader.add_secret_version(
        request={"parent": f"{parent}/secrets/app-1", "payload": {"data": b"x"}}), "a missing permission",
                   "PERMISSION_DENIED")
    check("secretmanager.versions.add" in error.message, "the message names the permission")

    import urllib.request
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/fake/throttle", data=b'{"count": 1}', method="POST"))
    raises(exceptions.TooManyRequests, lambda: reader.get_secret(request={"name": f"{parent}/secrets/app-1"}),
           "throttling is 429 RESOURCE_EXHAUSTED", "RESOURCE_EXHAUSTED")
    check(reader.get_secret(request={"name": f"{parent}/secrets/app-1"}).name.endswith("app-1"),
          "the next call passes")


def federation(endpoint, issuer_private, directory):
    """Workload identity: google-auth's external-account credentials exchange an OIDC token at the
    Security Token Service (form body), then impersonate a service account (IAM Credentials)."""
    import time
    from google.auth import identity_pool
    from google.auth import jwt as google_jwt
    from google.auth import crypt

    signer = crypt.RSASigner.from_string(issuer_private, key_id="k8s")
    now = int(time.time())
    subject_token = google_jwt.encode(signer, {
        "iss": "https://kubernetes.default.svc.cluster.local", "sub": "system:serviceaccount:apps:reader",
        "aud": ["pin-project.svc.id.goog"], "iat": now, "exp": now + 600}).decode()
    token_file = os.path.join(directory, "token")
    with open(token_file, "w") as file:
        file.write(subject_token)
    scopes = ["https://www.googleapis.com/auth/cloud-platform"]
    base = {
        "type": "external_account",
        "audience": f"//iam.googleapis.com/projects/{NUMBER}/locations/global/workloadIdentityPools/pool/providers/k8s",
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "token_url": f"{endpoint}/v1/token", "credential_source": {"file": token_file},
    }
    admin = secretmanager.SecretManagerServiceClient(
        transport=SecretManagerServiceRestTransport(host=endpoint, credentials=service_account.Credentials.from_service_account_info(
            key_info("admin@pin-project.iam.gserviceaccount.com", admin_pin_key, endpoint), scopes=scopes)))
    made = admin.create_secret(request={"parent": f"projects/{PROJECT}", "secret_id": "federated",
                                        "secret": {"replication": {"automatic": {}}}})
    admin.add_secret_version(request={"parent": made.name, "payload": {"data": b"fed"}})

    direct = identity_pool.Credentials.from_info(base, scopes=scopes)
    direct.refresh(Request())
    check(direct.token.startswith("ya29.federated-"), "the STS exchanges the OIDC token")
    client = secretmanager.SecretManagerServiceClient(
        transport=SecretManagerServiceRestTransport(host=endpoint, credentials=direct))
    check(client.access_secret_version(request={"name": f"{made.name}/versions/latest"}).payload.data == b"fed",
          "the federated principal reads with its own permissions")
    raises(exceptions.Forbidden, lambda: client.get_secret(request={"name": made.name}),
           "the federated principal lacks secrets.get", "PERMISSION_DENIED")

    impersonating = identity_pool.Credentials.from_info(dict(
        base, service_account_impersonation_url=(
            f"{endpoint}/v1/projects/-/serviceAccounts/impersonated@pin-project.iam.gserviceaccount.com"
            ":generateAccessToken")), scopes=scopes)
    impersonating.refresh(Request())
    check(impersonating.token.startswith("ya29.impersonated-"), "IAM Credentials answers the impersonated token")
    client = secretmanager.SecretManagerServiceClient(
        transport=SecretManagerServiceRestTransport(host=endpoint, credentials=impersonating))
    check(client.get_secret(request={"name": made.name}).name == made.name, "the impersonated account reads")

    refused = identity_pool.Credentials.from_info(dict(
        base, service_account_impersonation_url=(
            f"{endpoint}/v1/projects/-/serviceAccounts/admin@pin-project.iam.gserviceaccount.com:generateAccessToken")),
        scopes=scopes)
    raises(auth_exceptions.RefreshError, lambda: refused.refresh(Request()), "impersonation without the grant")
    stranger = google_jwt.encode(crypt.RSASigner.from_string(admin_pin_key), {
        "sub": "system:serviceaccount:apps:reader", "aud": ["x"], "iat": now, "exp": now + 600}).decode()
    with open(token_file, "w") as file:
        file.write(stranger)
    error = raises(auth_exceptions.OAuthError, lambda: identity_pool.Credentials.from_info(base, scopes=scopes).refresh(
        Request()), "a token of another issuer is refused")
    check("invalid_grant" in str(error), "the STS answers invalid_grant")


if __name__ == "__main__":
    main()
