#!/usr/bin/env python3
"""A small, faithful fake of Azure Key Vault's REST API (api-version 7.x) and of the Entra ID
(Azure AD) token endpoint and the instance metadata service, for tests. No Azure emulator exists;
scripts/azure-sdk-pin.py pins this fake to Microsoft's official Python clients.

    azure-keyvault-fake.py --config FILE [--port 0] [--tls DIR]

Prints "listening PORT" once it serves. With --tls it serves HTTPS with a self-signed certificate
for 127.0.0.1 written to DIR/cert.pem (the official clients refuse bearer tokens over plain HTTP).

Config (JSON):
  tenant: the vault's tenant ID
  principals: {clientId: {secret?, certificatePem?, federated?: [subject, ...], permissions}}
  managedIdentities: {"system" | clientId: {permissions}}
  issuers: [PEM public keys that sign federated (ServiceAccount) tokens]
  authorization: "accessPolicy" (default) or "rbac": which of Key Vault's two 403 answers a missing
                 permission gets (access policy: "does not have secrets get permission"; Azure RBAC:
                 "Caller is not authorized ... Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'")
  permissions: {"secrets": [get, list, set, delete, purge, recover], "certificates": [get, list,
                import, create, delete, purge], "keys": [get, list, import, create, delete, purge]}
                ("*" grants everything)

What it checks, as Entra ID and Key Vault do: client secrets; certificate assertions (RS256 with
x5t or PS256 with x5t#S256, signature against the registered certificate, aud = the token
endpoint, iss = sub = client ID, expiry); federated tokens (RS256 signature by a configured
issuer, aud api://AzureADTokenExchange, sub a registered subject, expiry); the scope
RESOURCE/.default and the token's audience; access-policy permissions per operation (403 with
Key Vault's message naming the missing permission); soft delete (names of deleted objects cannot be
reused until purged or recovered); nextLink pagination (maxresults <= 25, $skiptoken).

Test controls (no auth): POST /fake/throttle {"count", "status", "retryAfter"} answers the next
COUNT vault requests with STATUS (429 or 503), GET /fake/throttle says how many are left; POST /fake/seed {"secrets": [{name, value, tags,
contentType, enabled}]} writes secrets; GET /fake/{secrets|certificates|keys}/NAME answers
{"versions": N, "deleted": BOOL}.
"""

import argparse
import base64
import datetime
import hashlib
import json
import os
import secrets as random_tokens
import ssl
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

LOCK = threading.Lock()
KEYVAULT_RESOURCE = "https://vault.azure.net"
FEDERATION_AUDIENCE = "api://AzureADTokenExchange"
ALL_PERMISSIONS = {
    "secrets": ["get", "list", "set", "delete", "purge", "recover"],
    "certificates": ["get", "list", "import", "create", "delete", "purge"],
    "keys": ["get", "list", "import", "create", "delete", "purge"],
}
NOT_FOUND = {
    "secrets": ("SecretNotFound", "A secret with (name/id) {} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"),
    "certificates": ("CertificateNotFound", "A certificate with (name/id) {} was not found in this key vault. If you recently deleted this certificate you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"),
    "keys": ("KeyNotFound", "A key with (name/id) {} was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"),
}
SUPPORTED_VERSIONS = {"7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "2025-07-01"}
# The Azure RBAC data actions Key Vault names when it refuses an operation.
RBAC_ACTIONS = {
    ("secrets", "get"): "Microsoft.KeyVault/vaults/secrets/getSecret/action",
    ("secrets", "list"): "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
    ("secrets", "set"): "Microsoft.KeyVault/vaults/secrets/setSecret/action",
    ("secrets", "delete"): "Microsoft.KeyVault/vaults/secrets/delete",
    ("secrets", "purge"): "Microsoft.KeyVault/vaults/deletedSecrets/delete",
    ("secrets", "recover"): "Microsoft.KeyVault/vaults/deletedSecrets/recover/action",
    ("certificates", "get"): "Microsoft.KeyVault/vaults/certificates/read",
    ("certificates", "list"): "Microsoft.KeyVault/vaults/certificates/read",
    ("certificates", "import"): "Microsoft.KeyVault/vaults/certificates/import/action",
    ("certificates", "create"): "Microsoft.KeyVault/vaults/certificates/create/action",
    ("certificates", "delete"): "Microsoft.KeyVault/vaults/certificates/delete",
    ("certificates", "purge"): "Microsoft.KeyVault/vaults/deletedCertificates/delete",
    ("keys", "get"): "Microsoft.KeyVault/vaults/keys/read",
    ("keys", "list"): "Microsoft.KeyVault/vaults/keys/read",
    ("keys", "import"): "Microsoft.KeyVault/vaults/keys/import/action",
    ("keys", "create"): "Microsoft.KeyVault/vaults/keys/create/action",
    ("keys", "delete"): "Microsoft.KeyVault/vaults/keys/delete",
    ("keys", "purge"): "Microsoft.KeyVault/vaults/deletedKeys/delete",
}
NOUN = {"secrets": "Secret", "certificates": "Certificate", "keys": "Key"}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def int_b64(number):
    return b64url(number.to_bytes((number.bit_length() + 7) // 8 or 1, "big"))


def now():
    return int(time.time())


class State:
    def __init__(self, config):
        self.tenant = config.get("tenant", "tenant-1")
        self.principals = config.get("principals", {})
        self.identities = config.get("managedIdentities", {})
        self.issuers = [serialization.load_pem_public_key(p.encode()) for p in config.get("issuers", [])]
        self.tokens = {}  # access token -> (principal label, permissions, audience, expiry)
        # collection -> name -> {"versions": [bundle...], "deleted": bundle or None}
        self.objects = {"secrets": {}, "certificates": {}, "keys": {}}
        self.throttle = {"count": 0, "status": 429, "retryAfter": None}
        self.rbac = config.get("authorization") == "rbac"

    def permissions_of(self, entry):
        granted = entry.get("permissions", {})
        if granted == "*":
            return ALL_PERMISSIONS
        return {kind: (ALL_PERMISSIONS[kind] if ops == "*" or ops == ["*"] else ops) for kind, ops in granted.items()}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-keyvault"

    def log_message(self, format, *args):
        sys.stderr.write("%s %s\n" % (self.command, self.path))

    # ---- plumbing

    def base(self):
        scheme = "https" if self.server.tls else "http"
        return f"{scheme}://{self.headers.get('Host')}"

    def reply(self, status, body=None, headers=None):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def vault_error(self, status, code, message, inner=None, headers=None):
        error = {"code": code, "message": message}
        if inner:
            error["innererror"] = {"code": inner}
        self.reply(status, {"error": error}, headers)

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def json_body(self):
        raw = self.body()
        return json.loads(raw) if raw else {}

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_PUT(self):
        self.route("PUT")

    def do_PATCH(self):
        self.route("PATCH")

    def do_DELETE(self):
        self.route("DELETE")

    def route(self, method):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        parts = [urllib.parse.unquote(p) for p in url.path.split("/") if p]
        state = self.server.state
        try:
            if parts[:1] == ["fake"]:
                return self.control(method, parts[1:])
            if parts[:3] == ["metadata", "identity", "oauth2"]:
                return self.imds(query)
            if len(parts) >= 2 and parts[1] == "v2.0" and parts[-1] == "openid-configuration":
                return self.openid(parts[0])
            if parts[:2] == ["common", "discovery"]:
                return self.reply(200, {"tenant_discovery_endpoint": f"{self.base()}/{state.tenant}/v2.0/.well-known/openid-configuration",
                                        "api-version": "1.1", "metadata": []})
            if len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "token"] and method == "POST":
                return self.token(parts[0])
            return self.vault(method, parts, query)
        except BrokenPipeError:
            pass

    # ---- test controls

    def control(self, method, parts):
        state = self.server.state
        with LOCK:
            if parts == ["throttle"] and method == "POST":
                body = self.json_body()
                state.throttle = {"count": int(body.get("count", 1)), "status": int(body.get("status", 429)),
                                  "retryAfter": body.get("retryAfter")}
                return self.reply(200, {})
            if parts == ["throttle"] and method == "GET":
                return self.reply(200, {"remaining": state.throttle["count"]})
            if parts == ["seed"] and method == "POST":
                for secret in self.json_body().get("secrets", []):
                    self.put_secret_version(secret["name"], secret)
                return self.reply(200, {})
            if len(parts) == 2 and parts[0] in state.objects and method == "GET":
                entry = state.objects[parts[0]].get(parts[1])
                return self.reply(200, {"versions": len(entry["versions"]) if entry else 0,
                                        "deleted": bool(entry and entry["deleted"])})
        self.reply(404, {})

    # ---- Entra ID

    def openid(self, tenant):
        base = f"{self.base()}/{tenant}"
        self.reply(200, {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "issuer": f"{self.base()}/{tenant}/v2.0",
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "tenant_region_scope": "EU",
        })

    def aad_error(self, status, error, code, description):
        self.reply(status, {"error": error, "error_description": f"AADSTS{code}: {description}\r\nTrace ID: {uuid.uuid4()}\r\nCorrelation ID: {uuid.uuid4()}\r\nTimestamp: {datetime.datetime.utcnow().isoformat()}Z",
                            "error_codes": [code], "timestamp": datetime.datetime.utcnow().isoformat() + "Z",
                            "trace_id": str(uuid.uuid4()), "correlation_id": str(uuid.uuid4())})

    def token(self, tenant):
        state = self.server.state
        form = dict(urllib.parse.parse_qsl(self.body().decode()))
        if tenant != state.tenant:
            return self.aad_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.")
        if form.get("grant_type") != "client_credentials":
            return self.aad_error(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
        client_id = form.get("client_id", "")
        principal = state.principals.get(client_id)
        if principal is None:
            return self.aad_error(400, "unauthorized_client", 700016, f"Application with identifier '{client_id}' was not found in the directory '{tenant}'.")
        scope = form.get("scope", "")
        if not scope.endswith("/.default"):
            return self.aad_error(400, "invalid_scope", 1002012, f"The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).")
        if "client_secret" in form:
            if principal.get("secret") is None or form["client_secret"] != principal["secret"]:
                return self.aad_error(401, "invalid_client", 7000215, f"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'.")
        elif form.get("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
            problem = self.check_assertion(form.get("client_assertion", ""), client_id, principal, tenant)
            if problem:
                return self.aad_error(401 if problem[0] == "invalid_client" else 400, *problem)
        else:
            return self.aad_error(401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
        self.issue(f"appid={client_id};oid={uuid.uuid5(uuid.NAMESPACE_URL, client_id)}", principal,
                   scope[: -len("/.default")], numeric=True)

    def issue(self, label, entry, audience, numeric):
        state = self.server.state
        token = "fake-at." + random_tokens.token_urlsafe(24)
        with LOCK:
            state.tokens[token] = (label, state.permissions_of(entry), audience, now() + 3599)
        if numeric:
            return self.reply(200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token})
        return self.reply(200, {"access_token": token, "client_id": label, "expires_in": "86399",
                                "expires_on": str(now() + 86399), "ext_expires_in": "86399",
                                "not_before": str(now()), "resource": audience, "token_type": "Bearer"})

    def check_assertion(self, assertion, client_id, principal, tenant):
        """None when the assertion is valid, else (error, AADSTS code, description)."""
        try:
            header_b64, claims_b64, signature_b64 = assertion.split(".")
            header = json.loads(b64url_decode(header_b64))
            claims = json.loads(b64url_decode(claims_b64))
            signature = b64url_decode(signature_b64)
        except Exception:
            return ("invalid_client", 50027, "JWT token is invalid or malformed.")
        signed = f"{header_b64}.{claims_b64}".encode()
        if "x5t" in header or "x5t#S256" in header:
            pem = principal.get("certificatePem")
            if not pem:
                return ("invalid_client", 700027, "Client assertion failed signature validation. (Reason - The key was not found.)")
            certificate = x509.load_pem_x509_certificate(pem.encode())
            der = certificate.public_bytes(serialization.Encoding.DER)
            # MSAL keeps base64url padding on thumbprints; Entra ID accepts either spelling.
            def thumbprint(name):
                value = header.get(name)
                return None if value is None else str(value).rstrip("=")
            if thumbprint("x5t#S256") not in (None, b64url(hashlib.sha256(der).digest())) or \
                    thumbprint("x5t") not in (None, b64url(hashlib.sha1(der).digest())):
                return ("invalid_client", 700027, "Client assertion failed signature validation. (Reason - The key was not found.)")
            algorithm = header.get("alg")
            try:
                if algorithm == "RS256":
                    certificate.public_key().verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
                elif algorithm == "PS256":
                    certificate.public_key().verify(signature, signed, padding.PSS(
                        mgf=padding.MGF1(hashes.SHA256()), salt_length=hashes.SHA256.digest_size), hashes.SHA256())
                else:
                    return ("invalid_client", 5002738, f"Invalid JWT token. '{algorithm}' is not a supported signature algorithm.")
            except Exception:
                return ("invalid_client", 700027, "Client assertion failed signature validation.")
            endpoint = f"{self.base()}/{tenant}/oauth2/v2.0/token"
            if claims.get("aud") != endpoint:
                return ("invalid_client", 700212, f"No matching federated identity record found for presented assertion audience '{claims.get('aud')}'.")
            if claims.get("iss") != client_id or claims.get("sub") != client_id:
                return ("invalid_client", 700021, "Client assertion application identifier doesn't match 'client_id' parameter.")
            if int(claims.get("exp", 0)) < now():
                return ("invalid_client", 700024, "Client assertion is not within its valid time range.")
            return None
        # A federated credential: a token signed by a trusted issuer (a Kubernetes cluster).
        verified = False
        for key in self.server.state.issuers:
            try:
                key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
                verified = True
                break
            except Exception:
                continue
        if not verified:
            return ("invalid_client", 700211, "No matching federated identity record found for presented assertion issuer.")
        audiences = claims.get("aud")
        audiences = audiences if isinstance(audiences, list) else [audiences]
        if FEDERATION_AUDIENCE not in audiences:
            return ("invalid_client", 700212, f"No matching federated identity record found for presented assertion audience '{claims.get('aud')}'.")
        if claims.get("sub") not in principal.get("federated", []):
            return ("invalid_client", 70021, f"No matching federated identity record found for presented assertion. Assertion Issuer: '{claims.get('iss')}'. Assertion Subject: '{claims.get('sub')}'.")
        if int(claims.get("exp", 0)) < now():
            return ("invalid_client", 700024, "Client assertion is not within its valid time range.")
        return None

    def imds(self, query):
        state = self.server.state
        if self.headers.get("Metadata") != "true":
            return self.reply(400, {"error": "invalid_request", "error_description": "Required metadata header not specified"})
        resource = query.get("resource", "")
        if not resource:
            return self.reply(400, {"error": "invalid_request", "error_description": "Required audience parameter not specified"})
        client_id = query.get("client_id") or "system"
        identity = state.identities.get(client_id)
        if identity is None:
            return self.reply(400, {"error": "invalid_request", "error_description": "Identity not found"})
        self.issue(client_id, identity, resource.rstrip("/"), numeric=False)

    # ---- Key Vault

    def vault(self, method, parts, query):
        state = self.server.state
        if not parts or parts[0] not in ("secrets", "certificates", "keys", "deletedsecrets", "deletedcertificates", "deletedkeys"):
            return self.vault_error(404, "NotFound", "The requested resource was not found.")
        if query.get("api-version") not in SUPPORTED_VERSIONS:
            return self.vault_error(400, "BadParameter", f"The specified version ({query.get('api-version')}) is not recognized. Consider using the latest supported version (7.6).")
        authorization = self.headers.get("Authorization", "")
        grant = state.tokens.get(authorization[len("Bearer "):]) if authorization.startswith("Bearer ") else None
        if grant is None or grant[3] < now() or grant[2] != KEYVAULT_RESOURCE:
            self.body()
            return self.vault_error(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.", headers={
                "WWW-Authenticate": f'Bearer authorization="{self.base()}/{state.tenant}", resource="{KEYVAULT_RESOURCE}"'})
        with LOCK:
            if state.throttle["count"] > 0:
                state.throttle["count"] -= 1
                status = state.throttle["status"]
                headers = {"Retry-After": str(state.throttle["retryAfter"])} if state.throttle["retryAfter"] is not None else {}
                self.body()
                if status == 429:
                    return self.vault_error(429, "Throttled", "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached", headers=headers)
                return self.vault_error(status, "ServiceUnavailable", "The service is temporarily unavailable. Please retry.", headers=headers)
        self.grant = grant
        collection = parts[0]
        deleted = collection.startswith("deleted")
        kind = collection[len("deleted"):] if deleted else collection
        name = parts[1] if len(parts) > 1 else None
        rest = parts[2:]
        with LOCK:
            if deleted:
                return self.deleted(method, kind, name, rest)
            if name is None and method == "GET":
                return self.listing(kind, None, query) if self.allowed(kind, "list") else None
            if kind == "secrets":
                return self.secrets(method, name, rest, query)
            if kind == "certificates":
                return self.certificates(method, name, rest, query)
            return self.keys(method, name, rest, query)

    def allowed(self, kind, operation):
        label, permissions, _, _ = self.grant
        if operation in permissions.get(kind, []):
            return True
        host = self.headers.get("Host", "vault").split(":")[0]
        self.body()
        tenant = self.server.state.tenant
        if self.server.state.rbac:
            action = RBAC_ACTIONS.get((kind, operation), f"Microsoft.KeyVault/vaults/{kind}/{operation}")
            return self.vault_error(403, "Forbidden", "Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\n"
                                    f"Caller: {label};iss=https://sts.windows.net/{tenant}/\r\nAction: '{action}'\r\n"
                                    f"Resource: '/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/fake/providers/microsoft.keyvault/vaults/{host}/{kind}'\r\n"
                                    "Assignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: null \r\nVault: " + f"{host};location=westeurope\r\n", inner="ForbiddenByRbac")
        self.vault_error(403, "Forbidden", f"The user, group or application '{label};iss=https://sts.windows.net/{self.server.state.tenant}/' does not have {kind} {operation} permission on key vault '{host};location=westeurope'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287", inner="AccessDenied")
        return False

    def entry(self, kind, name, create=False):
        objects = self.server.state.objects[kind]
        if name not in objects and create:
            objects[name] = {"versions": [], "deleted": None}
        return objects.get(name)

    def not_found(self, kind, name):
        code, message = NOT_FOUND[kind]
        self.vault_error(404, code, message.format(name))

    def find_version(self, kind, name, version):
        entry = self.entry(kind, name)
        if not entry or entry["deleted"] or not entry["versions"]:
            return None
        if not version:
            return entry["versions"][-1]
        return next((v for v in entry["versions"] if v["_version"] == version), None)

    def valid_name(self, kind, name):
        if name and len(name) <= 127 and all(c.isascii() and (c.isalnum() or c == "-") for c in name):
            return True
        self.body()
        self.vault_error(400, "BadParameter", f"The request URI contains an invalid name: {name}")
        return False

    def reusable(self, kind, name):
        entry = self.entry(kind, name)
        if entry and entry["deleted"]:
            self.body()
            self.vault_error(409, "Conflict", f"{NOUN[kind]} {name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the {NOUN[kind].lower()} can only be recovered or purged.", inner="ObjectIsDeletedButRecoverable")
            return False
        return True

    @staticmethod
    def public(bundle):
        return {k: v for k, v in bundle.items() if not k.startswith("_")}

    def attributes(self, given, existing=None):
        out = dict(existing or {"enabled": True, "created": now(), "recoveryLevel": "Recoverable+Purgeable", "recoverableDays": 90})
        for field in ("enabled", "nbf", "exp"):
            if given and field in given and given[field] is not None:
                out[field] = given[field]
        out["updated"] = now()
        return out

    def put_secret_version(self, name, body, managed=False, kid=None, version=None):
        entry = self.entry("secrets", name, create=True)
        version = version or uuid.uuid4().hex
        bundle = {"value": body.get("value", ""), "id": f"{self.base()}/secrets/{name}/{version}",
                  "attributes": self.attributes(body.get("attributes") or ({"enabled": body["enabled"]} if "enabled" in body else None)),
                  "tags": body.get("tags") or {}, "_version": version}
        if body.get("contentType"):
            bundle["contentType"] = body["contentType"]
        if managed:
            bundle["managed"] = True
            bundle["kid"] = kid
        entry["versions"].append(bundle)
        return bundle

    def secrets(self, method, name, rest, query):
        if method == "PUT" and not rest:
            if not self.allowed("secrets", "set") or not self.valid_name("secrets", name) or not self.reusable("secrets", name):
                return
            body = self.json_body()
            if "value" not in body:
                return self.vault_error(400, "BadParameter", "Property value is required.")
            return self.reply(200, self.public(self.put_secret_version(name, body)))
        if method == "GET" and rest == ["versions"]:
            return self.listing("secrets", name, query) if self.allowed("secrets", "list") else None
        if method == "GET":
            if not self.allowed("secrets", "get"):
                return
            bundle = self.find_version("secrets", name, rest[0] if rest else "")
            if bundle is None:
                return self.not_found("secrets", name)
            if not bundle["attributes"].get("enabled", True):
                return self.vault_error(403, "Forbidden", "Operation get is not allowed on a disabled secret.", inner="SecretDisabled")
            return self.reply(200, self.public(bundle))
        if method == "PATCH":
            if not self.allowed("secrets", "set"):
                return
            bundle = self.find_version("secrets", name, rest[0] if rest else "")
            if bundle is None:
                return self.not_found("secrets", name)
            body = self.json_body()
            if body.get("contentType") is not None:
                bundle["contentType"] = body["contentType"]
            if body.get("tags") is not None:
                bundle["tags"] = body["tags"]
            bundle["attributes"] = self.attributes(body.get("attributes"), bundle["attributes"])
            out = self.public(bundle)
            out.pop("value", None)
            return self.reply(200, out)
        if method == "DELETE" and not rest:
            return self.delete("secrets", name)
        self.vault_error(405, "MethodNotAllowed", "The requested method is not allowed.")

    def delete(self, kind, name):
        if not self.allowed(kind, "delete"):
            return
        entry = self.entry(kind, name)
        if not entry or entry["deleted"] or not entry["versions"]:
            return self.not_found(kind, name)
        latest = self.public(entry["versions"][-1])
        latest.pop("value", None)
        deleted = dict(latest, recoveryId=f"{self.base()}/deleted{kind}/{name}", deletedDate=now(),
                       scheduledPurgeDate=now() + 90 * 86400)
        entry["deleted"] = deleted
        if kind == "certificates":  # the certificate's backing secret and key go with it
            for backing in ("secrets", "keys"):
                other = self.entry(backing, name)
                if other and other["versions"]:
                    other["deleted"] = dict(self.public(other["versions"][-1]), recoveryId=f"{self.base()}/deleted{backing}/{name}")
        self.reply(200, deleted)

    def deleted(self, method, kind, name, rest):
        if name is None:
            return self.vault_error(405, "MethodNotAllowed", "Listing deleted objects is not supported by this fake.")
        entry = self.entry(kind, name)
        if method == "GET" and not rest:
            if not self.allowed(kind, "get" if kind != "secrets" else "list"):
                return
            if not entry or not entry["deleted"]:
                return self.vault_error(404, f"Deleted{NOUN[kind]}NotFound", f"Deleted {NOUN[kind]} not found")
            return self.reply(200, entry["deleted"])
        if method == "DELETE" and not rest:
            if not self.allowed(kind, "purge"):
                return
            if not entry or not entry["deleted"]:
                return self.vault_error(404, f"Deleted{NOUN[kind]}NotFound", f"Deleted {NOUN[kind]} not found")
            del self.server.state.objects[kind][name]
            return self.reply(204)
        if method == "POST" and rest == ["recover"]:
            if not self.allowed(kind, "recover" if kind == "secrets" else "create"):
                return
            if not entry or not entry["deleted"]:
                return self.vault_error(404, f"Deleted{NOUN[kind]}NotFound", f"Deleted {NOUN[kind]} not found")
            entry["deleted"] = None
            out = self.public(entry["versions"][-1])
            out.pop("value", None)
            return self.reply(200, out)
        self.vault_error(405, "MethodNotAllowed", "The requested method is not allowed.")

    def listing(self, kind, name, query):
        try:
            size = int(query.get("maxresults", "25"))
        except ValueError:
            size = 0
        if not 1 <= size <= 25:
            return self.vault_error(400, "BadParameter", "invalid maxresults: must be between 1 and 25")
        if name is None:
            items = [(n, e["versions"][-1]) for n, e in sorted(self.server.state.objects[kind].items())
                     if e["versions"] and not e["deleted"]]
        else:
            entry = self.entry(kind, name)
            if not entry or entry["deleted"]:
                return self.not_found(kind, name)
            items = [(name, v) for v in entry["versions"]]
        start = int(base64.b64decode(query["$skiptoken"]).decode()) if query.get("$skiptoken") else 0
        page = items[start:start + size]
        values = []
        for item_name, bundle in page:
            item = {"id": bundle["id"] if name is not None else f"{self.base()}/{kind}/{item_name}",
                    "attributes": bundle["attributes"], "tags": bundle.get("tags") or {}}
            if kind == "secrets" and bundle.get("contentType"):
                item["contentType"] = bundle["contentType"]
            if bundle.get("managed"):
                item["managed"] = True
            if kind == "keys":
                item["kid"] = item.pop("id")
            if kind == "certificates":
                item["x5t"] = bundle["x5t"]
            values.append(item)
        next_link = None
        if start + size < len(items):
            token = base64.b64encode(str(start + size).encode()).decode()
            path = f"/{kind}" if name is None else f"/{kind}/{name}/versions"
            next_link = f"{self.base()}{path}?api-version={query['api-version']}&$skiptoken={urllib.parse.quote(token)}&maxresults={size}"
        self.reply(200, {"value": values, "nextLink": next_link})

    # ---- certificates

    def certificates(self, method, name, rest, query):
        if method == "POST" and rest == ["import"]:
            if not self.allowed("certificates", "import") or not self.valid_name("certificates", name) \
                    or not self.reusable("certificates", name):
                return
            body = self.json_body()
            content_type = ((body.get("policy") or {}).get("secret_props") or {}).get("contentType")
            # `value` is base64 of the PEM text or of the PKCS#12 file (PEM text is taken as is too).
            value = body.get("value", "")
            try:
                raw = value.encode() if value.lstrip().startswith("-----BEGIN") else base64.b64decode(value)
                if content_type == "application/x-pem-file" or raw.lstrip().startswith(b"-----BEGIN"):
                    certificate = x509.load_pem_x509_certificate(raw)
                    key = serialization.load_pem_private_key(raw, password=None)
                    content_type, value = "application/x-pem-file", raw.decode()
                else:
                    password = body.get("pwd")
                    key, certificate, _ = pkcs12.load_key_and_certificates(raw, password.encode() if password else None)
                    content_type, value = "application/x-pkcs12", base64.b64encode(raw).decode()
            except Exception:
                return self.vault_error(400, "BadParameter", "The specified PEM X.509 certificate content is in an unexpected format. Please check if certificate is in valid PEM format.")
            if certificate is None or key is None:
                return self.vault_error(400, "BadParameter", "Private key is not specified in the specified X.509 PEM certificate content. Please specify private key in the X.509 PEM certificate content.")
            version = uuid.uuid4().hex
            der = certificate.public_bytes(serialization.Encoding.DER)
            kid = f"{self.base()}/keys/{name}/{version}"
            self.key_version(name, jwk_of(key), body.get("tags"), managed=True, version=version)
            self.put_secret_version(name, {"value": value, "contentType": content_type, "tags": body.get("tags")},
                                    managed=True, kid=kid, version=version)
            entry = self.entry("certificates", name, create=True)
            bundle = {"id": f"{self.base()}/certificates/{name}/{version}", "kid": kid,
                      "sid": f"{self.base()}/secrets/{name}/{version}", "x5t": b64url(hashlib.sha1(der).digest()),
                      "cer": base64.b64encode(der).decode(),
                      "attributes": self.attributes(body.get("attributes"), None),
                      "tags": body.get("tags") or {}, "_version": version,
                      "policy": {"id": f"{self.base()}/certificates/{name}/policy",
                                 "key_props": {"exportable": True, "kty": "RSA" if isinstance(key, rsa.RSAPrivateKey) else "EC", "reuse_key": False},
                                 "secret_props": {"contentType": content_type},
                                 "x509_props": {"subject": certificate.subject.rfc4514_string(), "validity_months": 12},
                                 "issuer": {"name": "Unknown"},
                                 "attributes": {"enabled": True, "created": now(), "updated": now()}}}
            bundle["attributes"].update({"nbf": int(certificate.not_valid_before_utc.timestamp()),
                                         "exp": int(certificate.not_valid_after_utc.timestamp())})
            entry["versions"].append(bundle)
            return self.reply(200, self.public(bundle))
        if method == "GET" and rest == ["versions"]:
            return self.listing("certificates", name, query) if self.allowed("certificates", "list") else None
        if method == "GET" and rest != ["policy"]:
            if not self.allowed("certificates", "get"):
                return
            bundle = self.find_version("certificates", name, rest[0] if rest else "")
            if bundle is None:
                return self.not_found("certificates", name)
            return self.reply(200, self.public(bundle))
        if method == "DELETE" and not rest:
            return self.delete("certificates", name)
        self.vault_error(405, "MethodNotAllowed", "The requested method is not allowed.")

    # ---- keys

    def key_version(self, name, jwk, tags, managed=False, version=None, attributes=None):
        entry = self.entry("keys", name, create=True)
        version = version or uuid.uuid4().hex
        kid = f"{self.base()}/keys/{name}/{version}"
        public_fields = ("kty", "n", "e", "crv", "x", "y")
        key = {"kid": kid, **{f: jwk[f] for f in public_fields if f in jwk}}
        key["key_ops"] = ["sign", "verify", "wrapKey", "unwrapKey", "encrypt", "decrypt"] if key["kty"].startswith("RSA") else ["sign", "verify"]
        bundle = {"key": key, "attributes": self.attributes(attributes), "tags": tags or {}, "_version": version}
        if managed:
            bundle["managed"] = True
        entry["versions"].append(bundle)
        return bundle

    def keys(self, method, name, rest, query):
        if method == "POST" and rest == ["create"]:
            if not self.allowed("keys", "create") or not self.valid_name("keys", name) or not self.reusable("keys", name):
                return
            body = self.json_body()
            kty = body.get("kty", "")
            if kty in ("RSA", "RSA-HSM"):
                private = rsa.generate_private_key(public_exponent=65537, key_size=int(body.get("key_size") or 2048))
            elif kty in ("EC", "EC-HSM"):
                curves = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1(), "P-521": ec.SECP521R1()}
                private = ec.generate_private_key(curves.get(body.get("crv") or "P-256", ec.SECP256R1()))
            else:
                return self.vault_error(400, "BadParameter", f"Invalid key type: {kty}")
            bundle = self.key_version(name, jwk_of(private), body.get("tags"), attributes=body.get("attributes"))
            return self.reply(200, self.public(bundle))
        if method == "PUT" and not rest:
            if not self.allowed("keys", "import") or not self.valid_name("keys", name) or not self.reusable("keys", name):
                return
            body = self.json_body()
            jwk = body.get("key") or {}
            if jwk.get("kty") not in ("RSA", "RSA-HSM", "EC", "EC-HSM", "oct", "oct-HSM"):
                return self.vault_error(400, "BadParameter", "The specified JSON Web Key is not valid: kty is missing or unsupported.")
            bundle = self.key_version(name, jwk, body.get("tags"), attributes=body.get("attributes"))
            return self.reply(200, self.public(bundle))
        if method == "GET" and rest == ["versions"]:
            return self.listing("keys", name, query) if self.allowed("keys", "list") else None
        if method == "GET":
            if not self.allowed("keys", "get"):
                return
            bundle = self.find_version("keys", name, rest[0] if rest else "")
            if bundle is None:
                return self.not_found("keys", name)
            return self.reply(200, self.public(bundle))
        if method == "DELETE" and not rest:
            return self.delete("keys", name)
        self.vault_error(405, "MethodNotAllowed", "The requested method is not allowed.")


def jwk_of(private):
    if isinstance(private, rsa.RSAPrivateKey):
        numbers = private.public_key().public_numbers()
        return {"kty": "RSA", "n": int_b64(numbers.n), "e": int_b64(numbers.e)}
    numbers = private.public_key().public_numbers()
    size = (private.curve.key_size + 7) // 8
    curve = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}[private.curve.name]
    return {"kty": "EC", "crv": curve, "x": b64url(numbers.x.to_bytes(size, "big")), "y": b64url(numbers.y.to_bytes(size, "big"))}


def self_signed(directory):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    import ipaddress
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5))
                   .not_valid_after(datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                               x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    with open(cert_path, "wb") as file:
        file.write(certificate.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as file:
        file.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()))
    return cert_path, key_path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--config", required=True)
    parser.add_argument("--tls")
    args = parser.parse_args()
    with open(args.config) as file:
        config = json.load(file)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.state = State(config)
    server.tls = bool(args.tls)
    if args.tls:
        os.makedirs(args.tls, exist_ok=True)
        cert_path, key_path = self_signed(args.tls)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"listening {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
