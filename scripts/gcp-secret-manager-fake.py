#!/usr/bin/env python3
"""A small fake of Google Cloud Secret Manager's REST API (v1) and Google's OAuth2 token endpoint,
for the tests of the `gcpsm` provider. Python standard library plus `cryptography` (to verify
RS256 signatures). Pinned to the real wire format by a test that drives the official
`google-cloud-secret-manager` client (REST transport) and `google-auth` against it.

    gcp-secret-manager-fake.py --port PORT --accounts FILE

FILE is JSON: {"accounts": {EMAIL: {"publicKeyPem": PEM, "permissions": [PERMISSION | "*"]}},
"projects": {PROJECT_ID: PROJECT_NUMBER}}. Unknown project IDs get a number derived from the ID.
Prints "listening PORT" on stdout once it serves.

Authentication, as Google checks it:
- POST /token with grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer and an RS256 assertion
  signed by a known account's key (iss = the account, aud = this endpoint's URL, iat/exp at most
  one hour apart and current, a scope) answers an access token for an hour;
- API calls carry `Authorization: Bearer` with such a token, or a self-signed JWT of a known
  account (what google-auth sends with `always_use_jwt_access`).
- POST /v1/token (Security Token Service, form or JSON) exchanges an external OIDC token (RS256,
  signed by one of `issuers`, e.g. a Kubernetes ServiceAccount token) for a federated access token
  of the principal `sub`, when `workloadIdentities` lists that subject and the requested audience
  (`identitynamespace:POOL:PROVIDER`, GKE Workload Identity, or
  `//iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/P/providers/V`) is one of
  the token's `aud`iences' pool (GKE) or any (federation);
- POST /v1/projects/-/serviceAccounts/EMAIL:generateAccessToken (IAM Credentials) answers a token
  of EMAIL when the caller may impersonate it (`impersonate` of its workload identity).
Config additions: "issuers": [PEM, ...]; "workloadIdentities": {SUBJECT: {"permissions": [...],
"impersonate": [EMAIL, ...]}}; accounts without "publicKeyPem" exist only to be impersonated.
Every API call checks the account's IAM permission (`secretmanager.versions.access`, ...) and
answers 403 PERMISSION_DENIED with Google's message when it is missing.

Resources: global secrets `projects/P/secrets/S` and regional ones
`projects/P/locations/L/secrets/S`; versions numbered from 1 with states ENABLED / DISABLED /
DESTROYED, the `latest` alias and `versionAliases`; labels, annotations, topics, replication, etags
(checked on update and delete when given). Lists are paged (`pageSize`, `pageToken`; the server
picks 3 per page when no size is asked, so clients must follow `nextPageToken`) and filtered
(`name:TEXT`, `labels.KEY=VALUE`, `labels.KEY:VALUE`, `state:STATE`, terms ANDed). Errors are
Google's JSON error bodies ({"error": {"code", "message", "status"}}).

Test controls under /fake/ (no authentication): POST /fake/throttle {"count": N} makes the next N
API calls answer 429 RESOURCE_EXHAUSTED (GET tells how many are left); GET /fake/calls lists every API call as
"METHOD PATH ACCOUNT"; GET /fake/tokens counts the tokens issued.
"""

import argparse
import base64
import hashlib
import json
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
PAGE_SIZE_DEFAULT = 3
PAGE_SIZE_MAX = 25000


class APIError(Exception):
    def __init__(self, code, status, message):
        super().__init__(message)
        self.code, self.status, self.message = code, status, message


def not_found(message):
    return APIError(404, "NOT_FOUND", message)


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def timestamp(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + ".%06dZ" % int((seconds % 1) * 1e6)


class State:
    def __init__(self, config):
        self.lock = threading.Lock()
        self.accounts = {}
        for email, account in config.get("accounts", {}).items():
            key = serialization.load_pem_public_key(account["publicKeyPem"].encode()) if "publicKeyPem" in account else None
            self.accounts[email] = {"key": key, "permissions": set(account.get("permissions", ["*"]))}
        self.issuers = [serialization.load_pem_public_key(pem.encode()) for pem in config.get("issuers", [])]
        self.identities = {subject: {"permissions": set(entry.get("permissions", [])),
                                     "impersonate": set(entry.get("impersonate", []))}
                           for subject, entry in config.get("workloadIdentities", {}).items()}
        self.project_numbers = dict(config.get("projects", {}))
        self.secrets = {}  # (project number, location or "") -> {secret id: secret}
        self.tokens = {}  # access token -> (email, expiry)
        self.issued = 0
        self.throttle = 0
        self.calls = []
        self.clock = 0

    def number(self, project):
        if project.isdigit():
            return project
        if project not in self.project_numbers:
            self.project_numbers[project] = str(int(hashlib.sha256(project.encode()).hexdigest()[:10], 16) % 10**12)
        return self.project_numbers[project]

    def tick(self):
        """A creation time that grows with every write, so `createTime` orders versions."""
        self.clock += 1
        return time.time() + self.clock * 1e-3


# MARK: - Authentication


def verify_jwt(state, token, expected_audience=None):
    """Checks an RS256 JWT of a known account; returns (email, claims) or raises APIError(401)."""
    try:
        header_b64, claims_b64, signature_b64 = token.split(".")
        header = json.loads(b64url_decode(header_b64))
        claims = json.loads(b64url_decode(claims_b64))
        signature = b64url_decode(signature_b64)
    except (ValueError, json.JSONDecodeError):
        raise APIError(400, "invalid_grant", "Invalid JWT: malformed")
    if header.get("alg") != "RS256":
        raise APIError(400, "invalid_grant", "Invalid JWT: algorithm must be RS256")
    email = claims.get("iss", "")
    account = state.accounts.get(email)
    if account is None or account["key"] is None:
        raise APIError(400, "invalid_grant", "Invalid JWT Signature.")
    try:
        account["key"].verify(
            signature, f"{header_b64}.{claims_b64}".encode(), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise APIError(400, "invalid_grant", "Invalid JWT Signature.")
    now = time.time()
    iat, exp = claims.get("iat", 0), claims.get("exp", 0)
    if not isinstance(iat, int) or not isinstance(exp, int) or exp - iat > 3600 or exp <= iat:
        raise APIError(400, "invalid_grant", "Invalid JWT: Failed audience check or expiry too long.")
    if iat > now + 300 or exp < now - 300:
        raise APIError(400, "invalid_grant",
                       "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.")
    if expected_audience is not None and claims.get("aud") not in expected_audience:
        raise APIError(400, "invalid_grant", "Invalid JWT: Failed audience check.")
    return email, claims


def account_of(state, authorization):
    if not authorization.startswith("Bearer "):
        raise APIError(401, "UNAUTHENTICATED",
                       "Request is missing required authentication credential. Expected OAuth 2 access token, "
                       "login cookie or other valid authentication credential.")
    token = authorization[len("Bearer "):]
    with state.lock:
        known = state.tokens.get(token)
    if known is not None:
        email, expiry = known
        if expiry > time.time():
            return email
    elif token.count(".") == 2:
        try:
            email, claims = verify_jwt(state, token)
            return email
        except APIError:
            pass
    raise APIError(401, "UNAUTHENTICATED",
                   "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
                   "other valid authentication credential.")


def verify_external(state, token):
    """An external OIDC token (RS256) signed by a configured issuer; returns its claims."""
    try:
        header_b64, claims_b64, signature_b64 = token.split(".")
        claims = json.loads(b64url_decode(claims_b64))
        signature = b64url_decode(signature_b64)
    except (ValueError, json.JSONDecodeError):
        raise APIError(400, "invalid_grant", "The subject token is not a valid JWT.")
    for key in state.issuers:
        try:
            key.verify(signature, f"{header_b64}.{claims_b64}".encode(), padding.PKCS1v15(), hashes.SHA256())
            break
        except InvalidSignature:
            continue
    else:
        raise APIError(400, "invalid_grant", "The subject token's signature could not be verified.")
    if claims.get("exp", 0) < time.time() - 300:
        raise APIError(400, "invalid_grant", "The subject token has expired.")
    return claims


def require(state, email, permission, resource):
    identity = state.identities.get(email)
    permissions = identity["permissions"] if identity is not None else state.accounts[email]["permissions"]
    if "*" not in permissions and permission not in permissions:
        raise APIError(403, "PERMISSION_DENIED",
                       f"Permission '{permission}' denied for resource '{resource}' (or it may not exist).")


# MARK: - Resources


def secret_json(project_number, location, secret_id, secret):
    parent = f"projects/{project_number}" + (f"/locations/{location}" if location else "")
    body = {
        "name": f"{parent}/secrets/{secret_id}",
        "createTime": timestamp(secret["createTime"]),
        "etag": secret["etag"],
    }
    if not location:
        body["replication"] = secret["replication"]
    for field in ("labels", "annotations"):
        if secret[field]:
            body[field] = secret[field]
    if secret["topics"]:
        body["topics"] = [{"name": name} for name in secret["topics"]]
    if secret["versionAliases"]:
        body["versionAliases"] = {alias: str(number) for alias, number in secret["versionAliases"].items()}
    return body


def version_json(project_number, location, secret_id, number, version):
    parent = f"projects/{project_number}" + (f"/locations/{location}" if location else "")
    body = {
        "name": f"{parent}/secrets/{secret_id}/versions/{number}",
        "createTime": timestamp(version["createTime"]),
        "state": version["state"],
        "etag": version["etag"],
    }
    if not location:
        body["replicationStatus"] = {"automatic": {}}
    if version["state"] == "DESTROYED":
        body["destroyTime"] = timestamp(version["createTime"])
    return body


def new_etag(state):
    return '"%014x"' % int(state.tick() * 1e6)


def matches_filter(filter_text, secret_id, secret, version=None):
    for term in filter_text.split():
        if term.startswith("name:"):
            if term[len("name:"):] not in secret_id:
                return False
        elif term.startswith("labels."):
            rest = term[len("labels."):]
            separator = "=" if "=" in rest else ":"
            key, _, value = rest.partition(separator)
            actual = secret["labels"].get(key)
            if actual is None or (value not in ("", "*") and actual != value):
                return False
        elif term.startswith("state:"):
            if version is None or version["state"] != term[len("state:"):]:
                return False
        else:
            raise APIError(400, "INVALID_ARGUMENT", f"Invalid filter: {term}")
    return True


def page(items, query):
    size = int(query.get("pageSize", ["0"])[0] or 0)
    if size < 0:
        raise APIError(400, "INVALID_ARGUMENT", "page_size must be non-negative")
    size = min(size or PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX)
    token = query.get("pageToken", [""])[0]
    start = 0
    if token:
        try:
            start = int(b64url_decode(token).decode())
        except ValueError:
            raise APIError(400, "INVALID_ARGUMENT", "Invalid page token")
    chunk = items[start:start + size]
    following = start + size
    next_token = base64.urlsafe_b64encode(str(following).encode()).decode().rstrip("=") if following < len(items) else None
    return chunk, next_token


class Handler(BaseHTTPRequestHandler):
    server_version = "ESF/fake"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.command, self.path))

    @property
    def state(self):
        return self.server.state

    def send_json(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def dispatch(self, method):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        body = self.read_body()
        try:
            if url.path.startswith("/fake/"):
                return self.control(method, url.path, body)
            if url.path == "/token" and method == "POST":
                return self.token(body)
            if url.path == "/v1/token" and method == "POST":
                return self.sts(body)
            if url.path.startswith("/v1/projects/-/serviceAccounts/") and url.path.endswith(":generateAccessToken"):
                email = account_of(self.state, self.headers.get("Authorization", ""))
                return self.generate_access_token(urllib.parse.unquote(url.path), body, email)
            if url.path.startswith("/v1/"):
                email = account_of(self.state, self.headers.get("Authorization", ""))
                with self.state.lock:
                    self.state.calls.append(f"{method} {url.path} {email}")
                    if self.state.throttle > 0:
                        self.state.throttle -= 1
                        raise APIError(429, "RESOURCE_EXHAUSTED",
                                       "Quota exceeded for quota metric 'Access requests' and limit 'Access requests "
                                       "per minute per project' of service 'secretmanager.googleapis.com'.")
                    return self.api(method, urllib.parse.unquote(url.path[len("/v1/"):]), query, body, email)
            raise APIError(404, "NOT_FOUND", f"The requested URL {url.path} was not found on this server.")
        except APIError as error:
            if self.path.startswith("/token") or self.path.startswith("/v1/token"):
                return self.send_json(error.code, {"error": error.status, "error_description": error.message})
            return self.send_json(error.code, {"error": {"code": error.code, "message": error.message,
                                                         "status": error.status}})

    # MARK: token endpoint

    def token(self, body):
        form = urllib.parse.parse_qs(body.decode(), keep_blank_values=True)
        if form.get("grant_type", [""])[0] != JWT_BEARER:
            raise APIError(400, "unsupported_grant_type", "Invalid grant_type")
        assertion = form.get("assertion", [""])[0]
        # Google accepts its own token URLs as audience (google-auth sends that one whatever the
        # key's token_uri); Go's oauth2 library sends the key's token_uri: this endpoint.
        audiences = [f"http://{self.headers.get('Host')}/token", "https://oauth2.googleapis.com/token",
                     "https://www.googleapis.com/oauth2/v4/token"]
        email, claims = verify_jwt(self.state, assertion, expected_audience=audiences)
        if CLOUD_PLATFORM not in claims.get("scope", "").split():
            raise APIError(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        with self.state.lock:
            self.state.issued += 1
            token = "ya29.fake-%d-%s" % (self.state.issued, hashlib.sha256(assertion.encode()).hexdigest()[:16])
            self.state.tokens[token] = (email, time.time() + 3600)
        self.send_json(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    # MARK: Security Token Service and IAM Credentials

    def sts(self, body):
        if "json" in (self.headers.get("Content-Type") or ""):
            form = json.loads(body or b"{}")
        else:
            form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode(), keep_blank_values=True).items()}
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:token-exchange":
            raise APIError(400, "invalid_request", "Invalid value for \"grant_type\".")
        if form.get("subject_token_type") not in ("urn:ietf:params:oauth:token-type:jwt",
                                                  "urn:ietf:params:oauth:token-type:id_token"):
            raise APIError(400, "invalid_request", "Invalid value for \"subject_token_type\".")
        claims = verify_external(self.state, form.get("subject_token", ""))
        audience = form.get("audience", "")
        token_audiences = claims.get("aud", [])
        token_audiences = [token_audiences] if isinstance(token_audiences, str) else token_audiences
        if audience.startswith("identitynamespace:"):
            pool = audience.split(":")[1]
            if pool not in token_audiences:
                raise APIError(400, "invalid_grant",
                               f"The audience in ID Token {token_audiences} does not match the expected audience {pool}.")
        elif not audience.startswith("//iam.googleapis.com/"):
            raise APIError(400, "invalid_request", "Invalid value for \"audience\".")
        subject = claims.get("sub", "")
        if subject not in self.state.identities:
            raise APIError(400, "invalid_grant", f"The principal {subject} is not allowed to use this pool.")
        with self.state.lock:
            self.state.issued += 1
            token = "ya29.federated-%d" % self.state.issued
            self.state.tokens[token] = (subject, time.time() + 3600)
        self.send_json(200, {"access_token": token, "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
                             "token_type": "Bearer", "expires_in": 3600})

    def generate_access_token(self, path, body, caller):
        email = path[len("/v1/projects/-/serviceAccounts/"):-len(":generateAccessToken")]
        identity = self.state.identities.get(caller)
        allowed = identity is not None and email in identity["impersonate"]
        if not allowed or email not in self.state.accounts:
            raise APIError(403, "PERMISSION_DENIED",
                           "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).")
        scopes = json.loads(body or b"{}").get("scope", [])
        if CLOUD_PLATFORM not in scopes:
            raise APIError(400, "INVALID_ARGUMENT", "Scope required.")
        with self.state.lock:
            self.state.issued += 1
            token = "ya29.impersonated-%d" % self.state.issued
            expiry = time.time() + 3600
            self.state.tokens[token] = (email, expiry)
        self.send_json(200, {"accessToken": token, "expireTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expiry))})

    # MARK: controls

    def control(self, method, path, body):
        with self.state.lock:
            if path == "/fake/throttle" and method == "GET":
                return self.send_json(200, {"remaining": self.state.throttle})
            if path == "/fake/throttle" and method == "POST":
                self.state.throttle = json.loads(body or b"{}").get("count", 1)
                return self.send_json(200, {})
            if path == "/fake/calls":
                return self.send_json(200, {"calls": self.state.calls})
            if path == "/fake/tokens":
                return self.send_json(200, {"issued": self.state.issued})
        raise APIError(404, "NOT_FOUND", path)

    # MARK: API

    def api(self, method, path, query, body, email):
        state = self.state
        action = None
        if ":" in path.rsplit("/", 1)[-1]:
            path, action = path.rsplit(":", 1)
        parts = path.split("/")
        if len(parts) < 2 or parts[0] != "projects":
            raise APIError(404, "NOT_FOUND", f"Resource {path} not found")
        project_number = state.number(parts[1])
        rest = parts[2:]
        location = ""
        if len(rest) >= 2 and rest[0] == "locations":
            location, rest = rest[1], rest[2:]
        parent_resource = "/".join(parts[:2] + (["locations", location] if location else []))
        store = state.secrets.setdefault((project_number, location), {})
        display = f"projects/{project_number}" + (f"/locations/{location}" if location else "")

        if rest == ["secrets"]:
            if method == "GET":
                require(state, email, "secretmanager.secrets.list", parent_resource)
                filter_text = query.get("filter", [""])[0]
                listed = [secret_json(project_number, location, sid, s) for sid, s in sorted(store.items())
                          if matches_filter(filter_text, sid, s)]
                chunk, token = page(listed, query)
                result = {}
                if chunk:
                    result["secrets"] = chunk
                if token:
                    result["nextPageToken"] = token
                if listed:
                    result["totalSize"] = len(listed)
                return self.send_json(200, result)
            if method == "POST":
                secret_id = query.get("secretId", [""])[0]
                require(state, email, "secretmanager.secrets.create", parent_resource)
                if not secret_id:
                    raise APIError(400, "INVALID_ARGUMENT", "secret_id must be set")
                if secret_id in store:
                    raise APIError(409, "ALREADY_EXISTS", f"Secret [{display}/secrets/{secret_id}] already exists.")
                request = json.loads(body or b"{}")
                if not location and "replication" not in request:
                    raise APIError(400, "INVALID_ARGUMENT", "Secret.replication must be set.")
                store[secret_id] = {
                    "createTime": state.tick(), "etag": new_etag(state),
                    "replication": request.get("replication", {"automatic": {}}),
                    "labels": request.get("labels", {}), "annotations": request.get("annotations", {}),
                    "topics": [t["name"] for t in request.get("topics", [])],
                    "versionAliases": {k: int(v) for k, v in request.get("versionAliases", {}).items()},
                    "versions": {},
                }
                return self.send_json(200, secret_json(project_number, location, secret_id, store[secret_id]))
        if len(rest) < 2 or rest[0] != "secrets":
            raise APIError(404, "NOT_FOUND", f"Resource {path} not found")
        secret_id = rest[1]
        secret_name = f"{display}/secrets/{secret_id}"
        resource = f"{parent_resource}/secrets/{secret_id}"
        secret = store.get(secret_id)

        if len(rest) == 2:
            if method == "GET" and action is None:
                require(state, email, "secretmanager.secrets.get", resource)
                if secret is None:
                    raise not_found(f"Secret [{secret_name}] not found.")
                return self.send_json(200, secret_json(project_number, location, secret_id, secret))
            if method == "POST" and action == "addVersion":
                require(state, email, "secretmanager.versions.add", resource)
                if secret is None:
                    raise not_found(f"Secret [{secret_name}] not found.")
                payload = json.loads(body or b"{}").get("payload", {})
                data = base64.b64decode(payload.get("data", ""))
                if "dataCrc32c" in payload and int(payload["dataCrc32c"]) != crc32c(data):
                    raise APIError(400, "INVALID_ARGUMENT", "Checksum mismatch: data_crc32c does not match the data.")
                number = len(secret["versions"]) + 1
                secret["versions"][number] = {"data": data, "state": "ENABLED", "createTime": state.tick(),
                                              "etag": new_etag(state)}
                return self.send_json(200, version_json(project_number, location, secret_id, number,
                                                        secret["versions"][number]))
            if method == "PATCH":
                require(state, email, "secretmanager.secrets.update", resource)
                if secret is None:
                    raise not_found(f"Secret [{secret_name}] not found.")
                request = json.loads(body or b"{}")
                if request.get("etag") and request["etag"] != secret["etag"]:
                    raise APIError(409, "ABORTED", "The etag provided in the request does not match the current "
                                                   "etag of the resource.")
                mask = query.get("updateMask", [""])[0]
                if not mask:
                    raise APIError(400, "INVALID_ARGUMENT", "update_mask must be set")
                for field in mask.split(","):
                    field = {"version_aliases": "versionAliases"}.get(field, field)
                    if field in ("labels", "annotations"):
                        secret[field] = request.get(field, {})
                    elif field == "topics":
                        secret["topics"] = [t["name"] for t in request.get("topics", [])]
                    elif field == "versionAliases":
                        secret["versionAliases"] = {k: int(v) for k, v in request.get("versionAliases", {}).items()}
                    else:
                        raise APIError(400, "INVALID_ARGUMENT", f"Invalid update_mask path: {field}")
                secret["etag"] = new_etag(state)
                return self.send_json(200, secret_json(project_number, location, secret_id, secret))
            if method == "DELETE":
                require(state, email, "secretmanager.secrets.delete", resource)
                if secret is None:
                    raise not_found(f"Secret [{secret_name}] not found.")
                etag = query.get("etag", [""])[0]
                if etag and etag != secret["etag"]:
                    raise APIError(409, "ABORTED", "The etag provided in the request does not match the current "
                                                   "etag of the resource.")
                del store[secret_id]
                return self.send_json(200, {})
        if len(rest) == 3 and rest[2] == "versions" and method == "GET":
            require(state, email, "secretmanager.versions.list", resource)
            if secret is None:
                raise not_found(f"Secret [{secret_name}] not found.")
            filter_text = query.get("filter", [""])[0]
            listed = [version_json(project_number, location, secret_id, n, v)
                      for n, v in sorted(secret["versions"].items(), reverse=True)
                      if matches_filter(filter_text, secret_id, secret, v)]
            chunk, token = page(listed, query)
            result = {}
            if chunk:
                result["versions"] = chunk
            if token:
                result["nextPageToken"] = token
            if listed:
                result["totalSize"] = len(listed)
            return self.send_json(200, result)
        if len(rest) == 4 and rest[2] == "versions":
            wanted = rest[3]
            permission = "secretmanager.versions.access" if action == "access" else "secretmanager.versions.get"
            if action in ("enable", "disable", "destroy"):
                permission = f"secretmanager.versions.{action}"
            require(state, email, permission, f"{resource}/versions/{wanted}")
            if secret is None or not secret["versions"]:
                raise not_found(f"Secret [{secret_name}] not found or has no versions.")
            if wanted == "latest":
                number = max(secret["versions"])
            elif wanted.isdigit():
                number = int(wanted)
            elif wanted in secret["versionAliases"]:
                number = secret["versionAliases"][wanted]
            else:
                raise not_found(f"Secret Version [{secret_name}/versions/{wanted}] not found.")
            version = secret["versions"].get(number)
            if version is None:
                raise not_found(f"Secret Version [{secret_name}/versions/{number}] not found.")
            version_name = f"{display}/secrets/{secret_id}/versions/{number}"
            if method == "GET" and action == "access":
                if version["state"] != "ENABLED":
                    raise APIError(400, "FAILED_PRECONDITION",
                                   f"Secret Version [{version_name}] is in {version['state']} state.")
                return self.send_json(200, {"name": version_name, "payload": {
                    "data": base64.b64encode(version["data"]).decode(), "dataCrc32c": str(crc32c(version["data"]))}})
            if method == "GET" and action is None:
                return self.send_json(200, version_json(project_number, location, secret_id, number, version))
            if method == "POST" and action in ("enable", "disable", "destroy"):
                if version["state"] == "DESTROYED":
                    raise APIError(400, "FAILED_PRECONDITION", f"Secret Version [{version_name}] is in DESTROYED state.")
                version["state"] = {"enable": "ENABLED", "disable": "DISABLED", "destroy": "DESTROYED"}[action]
                if action == "destroy":
                    version["data"] = b""
                version["etag"] = new_etag(state)
                return self.send_json(200, version_json(project_number, location, secret_id, number, version))
        raise APIError(404, "NOT_FOUND", f"Method not found for {method} {path}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--accounts", required=True)
    arguments = parser.parse_args()
    with open(arguments.accounts) as file:
        config = json.load(file)
    server = ThreadingHTTPServer(("127.0.0.1", arguments.port), Handler)
    server.daemon_threads = True
    server.state = State(config)
    print("listening %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
