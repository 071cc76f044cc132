#!/usr/bin/env python3
"""A small, faithful fake of IBM Cloud Secrets Manager's REST API (v2) and of IBM Cloud IAM's
token endpoint, for tests. No Secrets Manager emulator exists; scripts/ibm-sdk-pin.py pins this
fake to IBM's official Python client (ibm-secrets-manager-sdk with ibm-cloud-sdk-core).

    ibm-secrets-manager-fake.py --config FILE [--port 0]

Prints "listening PORT" once it serves (plain HTTP on 127.0.0.1; one server is both the instance
and IAM).

Config (JSON):
  apiKeys: {APIKEY: {"iamId": ..., "permissions": [...]}}
  profiles: {NAME: {"id": "Profile-...", "crTokens": [TOKEN, ...], "permissions": [...]}}
  groups: [{"id": UUID, "name": NAME}]  (the group "default" always exists)
  permissions: IAM actions without the "secrets-manager." prefix: "secret.read" (get a secret, by
               ID or name, and its versions), "secrets.list" (list secrets), "secret-groups.list"
               (list secret groups), "secret.create" (create a secret), "secret.rotate" (a new
               version), "secret.delete" (delete a secret); "*" grants all.

What it checks, as the services do: IAM's grants (urn:ibm:params:oauth:grant-type:apikey with
`apikey`; urn:ibm:params:oauth:grant-type:cr-token with `cr_token` and `profile_name` or
`profile_id`), form encoding and IAM's error bodies ({"errorCode": "BXNIM...", "errorMessage"});
bearer tokens on every /api/v2 request (401 otherwise); IAM actions per operation (403); the
service's error body ({"errors": [{"code", "message", "more_info"}], "status_code", "trace"});
offset/limit pagination (limit 1..1000, default 200, with first/next/previous/last links) and the
`groups`, `secret_types`, `match_all_labels` and `search` filters of the secret list; creation
of `arbitrary` secrets (POST /api/v2/secrets: a name unique per group and type, 409 otherwise),
new versions (POST /api/v2/secrets/{id}/versions), deletion (DELETE /api/v2/secrets/{id}) and the
secret group list (GET /api/v2/secret_groups).

Test controls (no auth): POST /fake/throttle {"count", "status", "retryAfter"} answers the next
COUNT /api/v2 requests with STATUS (429 or 503); POST /fake/seed {"secrets": [{name, secret_type,
group (a group name, default "default"), labels, the type's data fields, "versions": [older data,
oldest first]}]} writes secrets and answers their IDs {"ids": {name: id}}; GET /fake/stats answers
{"tokens": N (tokens issued), "requests": N (/api/v2 requests)}; GET /fake/secrets/NAME answers
{"versions": N, "labels": [...]} of the first secret of that name, or 404.
"""

import argparse
import base64
import datetime
import json
import secrets as random_tokens
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
APIKEY_GRANT = "urn:ibm:params:oauth:grant-type:apikey"
CR_TOKEN_GRANT = "urn:ibm:params:oauth:grant-type:cr-token"
MORE_INFO = "https://cloud.ibm.com/apidocs/secrets-manager/secrets-manager-v2#error-handling"
TYPES = ["arbitrary", "username_password", "iam_credentials", "service_credentials", "imported_cert",
         "public_cert", "private_cert", "kv", "custom_credentials"]
# The fields that hold a secret's data, per type (left out of metadata and of the list).
DATA_FIELDS = {
    "arbitrary": ["payload"],
    "username_password": ["username", "password"],
    "iam_credentials": ["api_key"],
    "service_credentials": ["credentials"],
    "imported_cert": ["certificate", "intermediate", "private_key"],
    "public_cert": ["certificate", "intermediate", "private_key"],
    "private_cert": ["certificate", "private_key", "issuing_ca", "ca_chain"],
    "kv": ["data"],
    "custom_credentials": ["credentials_content"],
}
INSTANCE_CRN = "crn:v1:bluemix:public:secrets-manager:us-south:a/0123456789abcdef0123456789abcdef:fake-instance"


def now_text():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def type_defaults(secret_type):
    """The required non-data fields each type carries (as the service fills them)."""
    rotation = {"auto_rotate": False, "rotate_keys": False}
    return {
        "username_password": {"rotation": rotation},
        "iam_credentials": {"ttl": "1800", "reuse_api_key": True, "service_id_is_static": False},
        "service_credentials": {"source_service": {"instance": {"crn": INSTANCE_CRN}, "role": {"crn": "crn:v1:bluemix:public:iam::::serviceRole:Reader"}}},
        "imported_cert": {"intermediate_included": False, "private_key_included": False},
        "public_cert": {"key_algorithm": "RSA2048", "rotation": rotation},
        "private_cert": {"signing_algorithm": "SHA256WithRSA", "certificate_template": "default", "common_name": "example.com",
                         "issuer": "fake-ca", "serial_number": "01:02", "validity": {"not_before": "2026-01-01T00:00:00.000Z", "not_after": "2027-01-01T00:00:00.000Z"}},
        "custom_credentials": {"configuration": "fake-configuration"},
    }.get(secret_type, {})


class State:
    def __init__(self, config):
        self.api_keys = config.get("apiKeys", {})
        self.profiles = config.get("profiles", {})
        self.groups = [{"id": "default", "name": "default"}] + config.get("groups", [])
        for group in self.groups:
            group.setdefault("description", "")
            group.setdefault("created_at", now_text())
            group.setdefault("created_by", "iam-ServiceId-fake")
            group.setdefault("updated_at", group["created_at"])
        self.tokens = {}  # access token -> permissions
        self.secrets = []  # in creation order
        self.throttle = {"count": 0, "status": 429, "retryAfter": None}
        self.token_count = 0
        self.request_count = 0

    def group_id(self, name):
        for group in self.groups:
            if group["name"] == name:
                return group["id"]
        return None

    def seed(self, spec):
        secret_type = spec.get("secret_type", "arbitrary")
        group = self.group_id(spec.get("group", "default"))
        if group is None:
            raise ValueError(f"no secret group {spec.get('group')}")
        secret_id = spec.get("id") or str(uuid.uuid4())
        created = now_text()
        secret = {
            "created_by": "iam-ServiceId-fake",
            "created_at": created,
            "crn": f"{INSTANCE_CRN}:secret:{secret_id}",
            "custom_metadata": spec.get("custom_metadata", {}),
            "description": spec.get("description", ""),
            "downloaded": False,
            "id": secret_id,
            "labels": spec.get("labels", []),
            "locks_total": 0,
            "name": spec["name"],
            "secret_group_id": group,
            "secret_type": secret_type,
            "state": 1,
            "state_description": "active",
            "updated_at": created,
            "versions_total": 1,
        }
        secret.update(type_defaults(secret_type))
        data = {field: spec[field] for field in DATA_FIELDS[secret_type] if field in spec}
        if secret_type == "imported_cert":
            secret["intermediate_included"] = "intermediate" in data
            secret["private_key_included"] = "private_key" in data
        versions = []
        for older in spec.get("versions", []):
            versions.append({"id": str(uuid.uuid4()), "created_at": created, "data": {f: older[f] for f in DATA_FIELDS[secret_type] if f in older}})
        versions.append({"id": str(uuid.uuid4()), "created_at": created, "data": data})
        secret["versions_total"] = len(versions)
        self.secrets = [s for s in self.secrets if s["meta"]["id"] != secret_id]
        self.secrets.append({"meta": secret, "versions": versions})
        return secret_id

    def find(self, secret_id):
        for entry in self.secrets:
            if entry["meta"]["id"] == secret_id:
                return entry
        return None

    def find_by_name(self, group_name, secret_type, name):
        group = self.group_id(group_name)
        for entry in self.secrets:
            meta = entry["meta"]
            if meta["secret_group_id"] == group and meta["secret_type"] == secret_type and meta["name"] == name:
                return entry
        return None


def full_secret(entry):
    secret = dict(entry["meta"])
    secret.update(entry["versions"][-1]["data"])
    return secret


def version_body(entry, version, alias):
    meta = entry["meta"]
    body = {
        "auto_rotated": False,
        "created_by": meta["created_by"],
        "created_at": version["created_at"],
        "downloaded": False,
        "id": version["id"],
        "secret_name": meta["name"],
        "secret_type": meta["secret_type"],
        "secret_group_id": meta["secret_group_id"],
        "payload_available": True,
        "secret_id": meta["id"],
    }
    if alias:
        body["alias"] = alias
    body.update(version["data"])
    return body


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        sys.stderr.write("%s - %s\n" % (self.address_string(), format % args))

    @property
    def state(self):
        return self.server.state

    def answer(self, status, body=None, headers=None):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, code, message):
        self.answer(status, {"errors": [{"code": code, "message": message, "more_info": MORE_INFO}],
                             "status_code": status, "trace": str(uuid.uuid4())})

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_DELETE(self):
        self.route("DELETE")

    def do_PUT(self):
        self.route("PUT")

    def route(self, method):
        parsed = urllib.parse.urlsplit(self.path)
        path = parsed.path
        query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
        if path.startswith("/fake/"):
            return self.control(method, path)
        if path == "/identity/token":
            if method != "POST":
                return self.answer(405, {"errorCode": "BXNIM0001E", "errorMessage": "Method not allowed"})
            return self.token()
        if not path.startswith("/api/v2/"):
            return self.error(404, "not_found", "Not found")
        with LOCK:
            self.state.request_count += 1
            throttle = self.state.throttle
            if throttle["count"] > 0:
                throttle["count"] -= 1
                headers = {"Retry-After": str(throttle["retryAfter"])} if throttle["retryAfter"] is not None else {}
                status = throttle["status"]
                message = "Too many requests" if status == 429 else "Service unavailable"
                data = json.dumps({"errors": [{"code": "too_many_requests" if status == 429 else "service_unavailable", "message": message, "more_info": MORE_INFO}], "status_code": status, "trace": str(uuid.uuid4())}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
        authorization = self.headers.get("Authorization", "")
        if not authorization.startswith("Bearer "):
            return self.error(401, "unauthorized", "Unauthorized: the request has no bearer token")
        with LOCK:
            permissions = self.state.tokens.get(authorization[len("Bearer "):])
        if permissions is None:
            return self.error(401, "unauthorized", "Unauthorized: the token is not valid or has expired")
        parts = [urllib.parse.unquote(p) for p in path[len("/api/v2/"):].split("/")]
        if method == "POST" and parts == ["secrets"]:
            if not self.allowed(permissions, "secret.create"):
                return
            return self.create_secret()
        if method == "POST" and len(parts) == 3 and parts[0] == "secrets" and parts[2] == "versions":
            if not self.allowed(permissions, "secret.rotate"):
                return
            return self.create_version(parts[1])
        if method == "DELETE" and len(parts) == 2 and parts[0] == "secrets":
            if not self.allowed(permissions, "secret.delete"):
                return
            with LOCK:
                entry = self.state.find(parts[1])
                if entry is None:
                    return self.error(404, "secret_not_found", "Secret not found")
                self.state.secrets.remove(entry)
            return self.answer(204)
        if method != "GET":
            return self.error(405, "method_not_allowed", "Method not allowed")
        if parts == ["secret_groups"]:
            if not self.allowed(permissions, "secret-groups.list"):
                return
            with LOCK:
                groups = [dict(g) for g in self.state.groups if g["id"] != "default"]
            return self.answer(200, {"secret_groups": groups, "total_count": len(groups)})
        if parts == ["secrets"]:
            if not self.allowed(permissions, "secrets.list"):
                return
            return self.list_secrets(query)
        if not self.allowed(permissions, "secret.read"):
            return
        with LOCK:
            if len(parts) == 2 and parts[0] == "secrets":
                entry = self.state.find(parts[1])
                if entry is None:
                    return self.error(404, "secret_not_found", "Secret not found")
                return self.answer(200, full_secret(entry))
            if len(parts) == 4 and parts[0] == "secrets" and parts[2] == "versions":
                entry = self.state.find(parts[1])
                if entry is None:
                    return self.error(404, "secret_not_found", "Secret not found")
                versions = entry["versions"]
                if parts[3] == "current":
                    return self.answer(200, version_body(entry, versions[-1], "current"))
                if parts[3] == "previous":
                    if len(versions) < 2:
                        return self.error(404, "version_not_found", "Secret version not found")
                    return self.answer(200, version_body(entry, versions[-2], "previous"))
                for index, version in enumerate(versions):
                    if version["id"] == parts[3]:
                        alias = "current" if index == len(versions) - 1 else ("previous" if index == len(versions) - 2 else None)
                        return self.answer(200, version_body(entry, version, alias))
                return self.error(404, "version_not_found", "Secret version not found")
            if len(parts) == 6 and parts[0] == "secret_groups" and parts[2] == "secret_types" and parts[4] == "secrets":
                group, secret_type, name = parts[1], parts[3], parts[5]
                if secret_type not in TYPES:
                    return self.error(400, "bad_request", f"Invalid secret type: {secret_type}")
                if self.state.group_id(group) is None:
                    return self.error(404, "secret_group_not_found", "Secret group not found")
                entry = self.state.find_by_name(group, secret_type, name)
                if entry is None:
                    return self.error(404, "secret_not_found", "Secret not found")
                return self.answer(200, full_secret(entry))
        return self.error(404, "not_found", "Not found")

    def allowed(self, permissions, action):
        if "*" in permissions or action in permissions:
            return True
        self.error(403, "forbidden", f"Forbidden: the caller is not authorized to perform secrets-manager.{action}")
        return False

    def json_body(self):
        try:
            body = json.loads(self.body() or b"null")
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    def create_secret(self):
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            return self.error(415, "unsupported_media_type", "Content-Type must be application/json")
        body = self.json_body()
        if body is None:
            return self.error(400, "bad_request", "The request body is not a JSON object")
        if body.get("secret_type") != "arbitrary":
            return self.error(400, "bad_request", "This fake creates secrets of type arbitrary only")
        name = body.get("name")
        if not isinstance(name, str) or not name or not isinstance(body.get("payload"), str):
            return self.error(400, "bad_request", "name and payload are required")
        group_id = body.get("secret_group_id", "default")
        labels = body.get("labels", [])
        if not isinstance(labels, list) or not all(isinstance(l, str) for l in labels):
            return self.error(400, "bad_request", "labels must be a list of strings")
        with LOCK:
            group = next((g for g in self.state.groups if g["id"] == group_id), None)
            if group is None:
                return self.error(404, "secret_group_not_found", "Secret group not found")
            if self.state.find_by_name(group["name"], "arbitrary", name) is not None:
                return self.error(409, "secret_already_exists", f"A secret with the same name already exists in the secret group {group_id}")
            secret_id = self.state.seed({"name": name, "secret_type": "arbitrary", "group": group["name"], "payload": body["payload"],
                                         "labels": labels, "description": body.get("description", ""),
                                         "custom_metadata": body.get("custom_metadata", {})})
            entry = self.state.find(secret_id)
            return self.answer(201, full_secret(entry))

    def create_version(self, secret_id):
        body = self.json_body()
        if body is None:
            return self.error(400, "bad_request", "The request body is not a JSON object")
        with LOCK:
            entry = self.state.find(secret_id)
            if entry is None:
                return self.error(404, "secret_not_found", "Secret not found")
            if entry["meta"]["secret_type"] != "arbitrary" or not isinstance(body.get("payload"), str):
                return self.error(400, "bad_request", "payload is required")
            version = {"id": str(uuid.uuid4()), "created_at": now_text(), "data": {"payload": body["payload"]}}
            entry["versions"].append(version)
            entry["meta"]["versions_total"] = len(entry["versions"])
            entry["meta"]["updated_at"] = version["created_at"]
            return self.answer(201, version_body(entry, version, "current"))

    def list_secrets(self, query):
        def single(name):
            values = query.get(name)
            return values[-1] if values else None

        try:
            offset = int(single("offset") or 0)
            limit = int(single("limit") or 200)
        except ValueError:
            return self.error(400, "bad_request", "offset and limit must be integers")
        if offset < 0 or limit < 1 or limit > 1000:
            return self.error(400, "bad_request", "limit must be between 1 and 1000 and offset at least 0")
        groups = [g for g in (single("groups") or "").split(",") if g]
        secret_types = [t for t in (single("secret_types") or "").split(",") if t]
        labels = [l for l in (single("match_all_labels") or "").split(",") if l]
        search = single("search")
        with LOCK:
            matched = []
            for entry in self.state.secrets:
                meta = entry["meta"]
                if groups and meta["secret_group_id"] not in groups:
                    continue
                if secret_types and meta["secret_type"] not in secret_types:
                    continue
                if any(label not in meta["labels"] for label in labels):
                    continue
                if search and not any(search in str(meta.get(f, "")) for f in ("id", "name", "description", "secret_type")) \
                        and not any(search in label for label in meta["labels"]):
                    continue
                matched.append(dict(meta))
        sort = single("sort")
        if sort:
            key = sort.lstrip("-")
            matched.sort(key=lambda m: str(m.get(key, "")), reverse=sort.startswith("-"))
        total = len(matched)
        base = f"http://{self.headers.get('Host')}/api/v2/secrets"

        def link(at):
            params = {"limit": limit}
            if at:
                params["offset"] = at
            for name in ("groups", "secret_types", "match_all_labels", "search", "sort"):
                if single(name):
                    params[name] = single(name)
            return {"href": base + "?" + urllib.parse.urlencode(params)}

        body = {"total_count": total, "limit": limit, "offset": offset, "first": link(0),
                "last": link(max(0, ((total - 1) // limit) * limit)), "secrets": matched[offset:offset + limit]}
        if offset + limit < total:
            body["next"] = link(offset + limit)
        if offset > 0:
            body["previous"] = link(max(0, offset - limit))
        self.answer(200, body)

    def token(self):
        form = urllib.parse.parse_qs(self.body().decode(), keep_blank_values=True)
        content_type = self.headers.get("Content-Type", "")
        if not content_type.startswith("application/x-www-form-urlencoded"):
            return self.answer(400, {"errorCode": "BXNIM0109E", "errorMessage": "Property missing or empty. Operation not supported: Content-Type"})
        grant = (form.get("grant_type") or [""])[0]
        permissions = None
        if grant == APIKEY_GRANT:
            apikey = (form.get("apikey") or [""])[0]
            if not apikey:
                return self.answer(400, {"errorCode": "BXNIM0103E", "errorMessage": "Property missing or empty. Property name: apikey"})
            entry = self.state.api_keys.get(apikey)
            if entry is None:
                return self.answer(400, {"errorCode": "BXNIM0415E", "errorMessage": "Provided API key could not be found."})
            permissions = entry.get("permissions", [])
            subject = entry.get("iamId", "iam-ServiceId-fake")
        elif grant == CR_TOKEN_GRANT:
            cr_token = (form.get("cr_token") or [""])[0]
            name = (form.get("profile_name") or [""])[0]
            profile_id = (form.get("profile_id") or [""])[0]
            profile = None
            for profile_name, candidate in self.state.profiles.items():
                if (name and profile_name == name) or (profile_id and candidate.get("id") == profile_id):
                    profile = candidate
            if not cr_token:
                return self.answer(400, {"errorCode": "BXNIM0103E", "errorMessage": "Property missing or empty. Property name: cr_token"})
            if profile is None:
                return self.answer(400, {"errorCode": "BXNIM0481E", "errorMessage": "The trusted profile could not be found."})
            if cr_token not in profile.get("crTokens", []):
                return self.answer(400, {"errorCode": "BXNIM0487E", "errorMessage": "The compute resource token does not match any link of the trusted profile."})
            permissions = profile.get("permissions", [])
            subject = "iam-" + profile.get("id", "Profile-fake")
        else:
            return self.answer(400, {"errorCode": "BXNIM0101E", "errorMessage": f"Unsupported grant type: {grant}"})
        issued = int(time.time())
        # IAM's access tokens are JWTs; IBM's SDK cores read `iat` and `exp` from them.
        claims = {"iam_id": subject, "sub": subject, "iss": "https://iam.cloud.ibm.com/identity", "grant_type": grant,
                  "iat": issued, "exp": issued + 3600, "jti": random_tokens.token_hex(8)}
        token = ".".join(base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")
                         for part in ({"alg": "RS256", "kid": "fake", "typ": "JWT"}, claims)) \
            + "." + random_tokens.token_urlsafe(32)
        with LOCK:
            self.state.tokens[token] = permissions
            self.state.token_count += 1
        self.answer(200, {"access_token": token, "refresh_token": "not_supported", "token_type": "Bearer",
                          "expires_in": 3600, "expiration": issued + 3600, "scope": "ibm openid"})

    def control(self, method, path):
        raw = self.body()
        body = json.loads(raw) if raw else {}
        with LOCK:
            if path == "/fake/throttle" and method == "POST":
                self.state.throttle = {"count": int(body.get("count", 1)), "status": int(body.get("status", 429)),
                                       "retryAfter": body.get("retryAfter")}
                return self.answer(200, {"left": self.state.throttle["count"]})
            if path == "/fake/throttle":
                return self.answer(200, {"left": self.state.throttle["count"]})
            if path == "/fake/seed" and method == "POST":
                try:
                    ids = {spec["name"]: self.state.seed(spec) for spec in body.get("secrets", [])}
                except (KeyError, ValueError) as error:
                    return self.answer(400, {"error": str(error)})
                return self.answer(200, {"ids": ids})
            if path.startswith("/fake/secrets/"):
                name = urllib.parse.unquote(path[len("/fake/secrets/"):])
                entry = next((e for e in self.state.secrets if e["meta"]["name"] == name), None)
                if entry is None:
                    return self.answer(404, {"error": "no such secret"})
                return self.answer(200, {"versions": len(entry["versions"]), "labels": entry["meta"]["labels"]})
            if path == "/fake/stats":
                return self.answer(200, {"tokens": self.state.token_count, "requests": self.state.request_count})
        self.answer(404, {"error": "no such control"})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--config", required=True)
    args = parser.parse_args()
    with open(args.config) as file:
        config = json.load(file)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.state = State(config)
    for spec in config.get("secrets", []):
        server.state.seed(spec)
    print(f"listening {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
