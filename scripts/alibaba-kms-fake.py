#!/usr/bin/env python3
"""A small, faithful fake of Alibaba Cloud KMS Secrets Manager's RPC API (version 2016-01-20) and of
STS AssumeRoleWithOIDC (2015-04-01), for tests. No emulator exists; scripts/alibaba-sdk-pin.py pins
this fake to Alibaba's official Python SDK (alibabacloud-kms20160120, alibabacloud-sts20150401 on
alibabacloud-tea-openapi).

    alibaba-kms-fake.py --config FILE [--port 0]

Prints "listening PORT" once it serves (plain HTTP on 127.0.0.1; KMS and STS on the same port).

Config (JSON):
  region: the region ID (HostId kms.REGION.aliyuncs.com), default cn-hangzhou
  accessKeys: {AccessKeyId: {"secret": S, "permissions": ["kms:GetSecretValue", ...]}}  ("*" or
              "kms:*" grants every action)
  roles: {RoleArn: {"oidcProviderArn": A, "tokens": [accepted OIDC tokens], "permissions": [...],
          "durationSeconds": N (caps what STS grants, to test renewal)}}

What it checks, as the service does: signature V3 (Authorization: ACS3-HMAC-SHA256 Credential=,
SignedHeaders=, Signature=; host and every x-acs-* header signed; x-acs-content-sha256 equal to the
body's hash) and signature V1 (Signature, SignatureMethod HMAC-SHA1, SignatureVersion 1.0 over the
query and form parameters); the AccessKey; x-acs-date / Timestamp within 15 minutes; nonces used once;
security tokens of STS credentials (x-acs-security-token / SecurityToken) and their expiry; RAM
permissions per action (403 Forbidden.NoPermission with AccessDeniedDetail.AuthAction);
ListSecrets paging (PageSize 1..100, PageNumber from 1) and Filters (SecretName substring, TagKey,
TagValue); versions (VersionId unique per secret, stages ACSCurrent / ACSPrevious).

Every answer is JSON with RequestId; errors carry Code, Message, RequestId, HostId, Recommend.

Test controls (no auth): POST /fake/throttle {"count", "status", "code"} answers the next COUNT KMS
requests with that error (default 400 Throttling.User); POST /fake/seed {"secrets": [{name, value,
tags, type ("text"|"binary"), versions: [{id, value}]}]}; GET /fake/secrets/NAME answers
{"exists", "versions", "tags", "current"}; GET /fake/stats answers calls per action.
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import json
import threading
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
KMS_VERSION = "2016-01-20"
STS_VERSION = "2015-04-01"
KMS_ACTIONS = {"GetSecretValue", "ListSecrets", "DescribeSecret", "CreateSecret", "PutSecretValue", "DeleteSecret"}


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def encode(text):
    return urllib.parse.quote(text, safe="~")


class Failure(Exception):
    def __init__(self, status, code, message, extra=None):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra or {}


class State:
    def __init__(self, config):
        self.region = config.get("region", "cn-hangzhou")
        self.access_keys = config.get("accessKeys", {})
        self.roles = config.get("roles", {})
        self.secrets = {}
        self.sts = {}  # STS AccessKeyId -> {secret, token, expires, permissions}
        self.nonces = set()
        self.throttle = {"count": 0, "status": 400, "code": "Throttling.User"}
        self.stats = {}

    def host_id(self, action):
        return f"{'sts' if action == 'AssumeRoleWithOIDC' else 'kms'}.{self.region}.aliyuncs.com"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    @property
    def state(self):
        return self.server.state

    def reply(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def fail(self, failure, action):
        request_id = str(uuid.uuid4()).upper()
        body = {
            "RequestId": request_id,
            "HostId": self.state.host_id(action),
            "Code": failure.code,
            "Message": failure.message,
            "Recommend": f"https://api.aliyun.com/troubleshoot?q={failure.code}&product=Kms",
        }
        body.update(failure.extra)
        self.reply(failure.status, body)

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def route(self, method):
        parsed = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if parsed.path.startswith("/fake/"):
            return self.control(method, parsed.path[len("/fake/"):], body)
        query = urllib.parse.parse_qsl(parsed.query, keep_blank_values=True)
        form = []
        if body and (self.headers.get("Content-Type") or "").startswith("application/x-www-form-urlencoded"):
            form = urllib.parse.parse_qsl(body.decode(), keep_blank_values=True)
        params = dict(query)
        params.update(dict(form))
        action = self.headers.get("x-acs-action") or params.get("Action") or ""
        try:
            if parsed.path != "/":
                raise Failure(404, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
            if action == "AssumeRoleWithOIDC":
                return self.reply(200, self.assume_role(params))
            if action not in KMS_ACTIONS:
                raise Failure(404, "InvalidAction.NotFound", f"Specified api is not found, please check your url and method.")
            version = self.headers.get("x-acs-version") or params.get("Version")
            if version != KMS_VERSION:
                raise Failure(400, "InvalidVersion", f"Specified parameter Version is not valid.")
            with LOCK:
                self.state.stats[action] = self.state.stats.get(action, 0) + 1
                throttle = self.state.throttle
                if throttle["count"] > 0:
                    throttle["count"] -= 1
                    raise Failure(throttle["status"], throttle["code"], "Request was denied due to user flow control.")
            permissions = self.authenticate(method, parsed, query, form, body, params)
            if not ({"*", "kms:*", f"kms:{action}"} & set(permissions)):
                raise Failure(403, "Forbidden.NoPermission", "This operation is forbidden by permission system.", {
                    "AccessDeniedDetail": {
                        "AuthAction": f"kms:{action}", "NoPermissionType": "ImplicitDeny",
                        "PolicyType": "AccountLevelIdentityBasedPolicy", "AuthPrincipalType": "SubUser",
                        "AuthPrincipalDisplayName": "eso", "EncodedDiagnosticMessage": "",
                    }})
            with LOCK:
                answer = getattr(self, action)(params)
            answer["RequestId"] = str(uuid.uuid4()).upper()
            self.reply(200, answer)
        except Failure as failure:
            self.fail(failure, action)

    # MARK: - Authentication

    def authenticate(self, method, parsed, query, form, body, params):
        authorization = self.headers.get("Authorization") or ""
        if authorization.startswith("ACS3-HMAC-SHA256 "):
            access_key, token = self.check_v3(method, parsed, query, body, authorization)
        elif "Signature" in params:
            access_key, token = self.check_v1(method, query, form, params)
        else:
            raise Failure(400, "MissingParameter", "The input parameter \"Signature\" that is mandatory for processing this request is not supplied.")
        return self.permissions(access_key, token)

    def secret_of(self, access_key):
        if access_key in self.state.access_keys:
            return self.state.access_keys[access_key]["secret"]
        if access_key in self.state.sts:
            return self.state.sts[access_key]["secret"]
        raise Failure(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")

    def permissions(self, access_key, token):
        if access_key in self.state.access_keys:
            return self.state.access_keys[access_key].get("permissions", [])
        issued = self.state.sts[access_key]
        if token != issued["token"]:
            raise Failure(400, "InvalidSecurityToken.Mismatch", "Specified SecurityToken mismatch with the AccessKey.")
        if now() >= issued["expires"]:
            raise Failure(400, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired.")
        return issued["permissions"]

    def check_time_and_nonce(self, stamp, nonce):
        try:
            moment = datetime.datetime.strptime(stamp or "", "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            raise Failure(400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
        if abs((now() - moment).total_seconds()) > 900:
            raise Failure(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
        if not nonce:
            raise Failure(400, "MissingSignatureNonce", "SignatureNonce is mandatory for this action.")
        with LOCK:
            if nonce in self.state.nonces:
                raise Failure(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
            self.state.nonces.add(nonce)

    def check_v3(self, method, parsed, query, body, authorization):
        fields = {}
        for part in authorization[len("ACS3-HMAC-SHA256 "):].split(","):
            name, _, value = part.strip().partition("=")
            fields[name] = value
        access_key, signed, signature = fields.get("Credential"), fields.get("SignedHeaders"), fields.get("Signature")
        if not access_key or not signed or not signature:
            raise Failure(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
        signed_names = signed.split(";")
        present = {name.lower() for name in self.headers.keys()}
        if "host" not in signed_names or signed_names != sorted(signed_names):
            raise Failure(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
        for name in present:
            if name.startswith("x-acs-") and name not in signed_names:
                raise Failure(400, "IncompleteSignature", f"The header {name} is not signed.")
        payload_hash = hashlib.sha256(body).hexdigest()
        if self.headers.get("x-acs-content-sha256") != payload_hash:
            raise Failure(400, "IncompleteSignature", "The x-acs-content-sha256 header does not match the request body.")
        self.check_time_and_nonce(self.headers.get("x-acs-date"), self.headers.get("x-acs-signature-nonce"))
        canonical_query = "&".join(f"{encode(k)}={encode(v)}" for k, v in sorted(query))
        canonical_headers = "".join(
            f"{name}:{','.join(sorted(value.strip() for value in self.headers.get_all(name) or []))}\n" for name in signed_names)
        canonical = "\n".join([method, urllib.parse.unquote(parsed.path) or "/", canonical_query, canonical_headers, signed, payload_hash])
        string_to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
        secret = self.secret_of(access_key)
        expected = hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise Failure(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards. server string to sign is:" + string_to_sign)
        header_key = self.headers.get("x-acs-accesskey-id")
        if header_key is not None and header_key != access_key:
            raise Failure(400, "IncompleteSignature", "x-acs-accesskey-id does not match the credential.")
        return access_key, self.headers.get("x-acs-security-token")

    def check_v1(self, method, query, form, params):
        if params.get("SignatureMethod") != "HMAC-SHA1" or params.get("SignatureVersion") != "1.0":
            raise Failure(400, "InvalidSignatureMethod", "Specified signature method is not supported.")
        if params.get("Format", "").upper() not in ("JSON", ""):
            raise Failure(400, "InvalidParameter.Format", "Only JSON answers are served here.")
        self.check_time_and_nonce(params.get("Timestamp"), params.get("SignatureNonce"))
        signed = [(k, v) for k, v in query + form if k != "Signature"]
        canonical = "&".join(f"{encode(k)}={encode(v)}" for k, v in sorted(signed))
        string_to_sign = f"{method}&%2F&{encode(canonical)}"
        access_key = params.get("AccessKeyId", "")
        secret = self.secret_of(access_key)
        expected = base64.b64encode(hmac.new((secret + "&").encode(), string_to_sign.encode(), hashlib.sha1).digest()).decode()
        if not hmac.compare_digest(expected, params["Signature"]):
            raise Failure(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation. server string to sign is:" + string_to_sign)
        return access_key, params.get("SecurityToken")

    # MARK: - STS

    def assume_role(self, params):
        for name in ("OIDCProviderArn", "RoleArn", "OIDCToken", "RoleSessionName"):
            if not params.get(name):
                raise Failure(400, f"MissingParameter", f"The input parameter \"{name}\" that is mandatory for processing this request is not supplied.")
        role = self.state.roles.get(params["RoleArn"])
        if role is None:
            raise Failure(404, "EntityNotExist.Role", "The role not exists: " + params["RoleArn"])
        if role.get("oidcProviderArn") != params["OIDCProviderArn"]:
            raise Failure(404, "EntityNotExist.OIDCProvider", "The OIDC provider does not exist.")
        if params["OIDCToken"] not in role.get("tokens", []):
            raise Failure(400, "AuthenticationFail.OIDCToken.Invalid", "The OIDC token is invalid.")
        duration = int(params.get("DurationSeconds") or 3600)
        if duration < 900 or duration > 43200:
            raise Failure(400, "InvalidParameter.DurationSeconds", "The parameter DurationSeconds is out of range.")
        duration = min(duration, int(role.get("durationSeconds", duration)))
        access_key = "STS." + uuid.uuid4().hex[:20]
        secret, token = uuid.uuid4().hex, "CAIS" + uuid.uuid4().hex + uuid.uuid4().hex
        expires = now() + datetime.timedelta(seconds=duration)
        with LOCK:
            self.state.stats["AssumeRoleWithOIDC"] = self.state.stats.get("AssumeRoleWithOIDC", 0) + 1
            self.state.sts[access_key] = {"secret": secret, "token": token, "expires": expires,
                                          "permissions": role.get("permissions", [])}
        session = params["RoleSessionName"]
        return {
            "RequestId": str(uuid.uuid4()).upper(),
            "OIDCTokenInfo": {"Subject": "system:serviceaccount:external-secrets:external-secrets",
                              "Issuer": "https://oidc.example", "ClientIds": "sts.aliyuncs.com",
                              "IssuanceTime": iso(now()), "ExpirationTime": iso(expires)},
            "AssumedRoleUser": {"Arn": params["RoleArn"].replace(":role/", ":assumed-role/") + "/" + session,
                                "AssumedRoleId": "3" + uuid.uuid4().hex[:17] + ":" + session},
            "Credentials": {"SecurityToken": token, "AccessKeyId": access_key, "AccessKeySecret": secret,
                            "Expiration": iso(expires)},
        }

    # MARK: - KMS actions (called under LOCK)

    def secret(self, params, missing_ok=False):
        name = params.get("SecretName")
        if not name:
            raise Failure(400, "MissingParameter", "The input parameter \"SecretName\" that is mandatory for processing this request is not supplied.")
        secret = self.state.secrets.get(name)
        if secret is None and not missing_ok:
            raise Failure(404, "Forbidden.ResourceNotFound", "The resource not exists.")
        return name, secret

    def arn(self, name):
        return f"acs:kms:{self.state.region}:1234567890123456:secret/{name}"

    @staticmethod
    def tag_list(tags):
        return {"Tag": [{"TagKey": k, "TagValue": v} for k, v in sorted(tags.items())]}

    def GetSecretValue(self, params):
        name, secret = self.secret(params)
        if secret.get("plannedDelete"):
            raise Failure(400, "Rejected.ResourceDeleted", "The resource has been deleted.")
        version_id, stage = params.get("VersionId"), params.get("VersionStage")
        if version_id:
            matches = [v for v in secret["versions"] if v["id"] == version_id]
            if stage:
                matches = [v for v in matches if stage in v["stages"]]
        else:
            matches = [v for v in secret["versions"] if (stage or "ACSCurrent") in v["stages"]]
        if not matches:
            raise Failure(404, "Forbidden.ResourceNotFound", "The resource not exists.")
        version = matches[0]
        return {
            "SecretName": name, "VersionId": version["id"], "CreateTime": version["created"],
            "SecretData": version["data"], "SecretDataType": secret["type"],
            "VersionStages": {"VersionStage": list(version["stages"])}, "SecretType": "Generic",
            "AutomaticRotation": "Disabled",
        }

    def ListSecrets(self, params):
        try:
            page = int(params.get("PageNumber") or 1)
            size = int(params.get("PageSize") or 10)
        except ValueError:
            raise Failure(400, "InvalidParameter", "The specified parameter PageNumber or PageSize is not valid.")
        if page < 1 or size < 1 or size > 100:
            raise Failure(400, "InvalidParameter", "The specified parameter PageNumber or PageSize is not valid.")
        filters = []
        if params.get("Filters"):
            try:
                filters = json.loads(params["Filters"])
                assert isinstance(filters, list)
            except (ValueError, AssertionError):
                raise Failure(400, "InvalidParameter.Filters", "The specified parameter Filters is not valid.")
        fetch_tags = (params.get("FetchTags") or "false").lower() == "true"
        names = []
        for name in sorted(self.state.secrets):
            secret = self.state.secrets[name]
            keep = True
            for entry in filters:
                key, values = entry.get("Key"), entry.get("Values") or []
                if key == "SecretName":
                    keep &= any(v in name for v in values)
                elif key == "Description":
                    keep &= any(v in secret.get("description", "") for v in values)
                elif key == "TagKey":
                    keep &= any(v in secret["tags"] for v in values)
                elif key == "TagValue":
                    keep &= any(v in secret["tags"].values() for v in values)
                else:
                    raise Failure(400, "InvalidParameter.Filters", "The specified filter key is not valid.")
            if keep:
                names.append(name)
        listed = []
        for name in names[(page - 1) * size: page * size]:
            secret = self.state.secrets[name]
            entry = {"SecretName": name, "CreateTime": secret["created"], "UpdateTime": secret["updated"],
                     "SecretType": "Generic", "OwingService": ""}
            if secret.get("plannedDelete"):
                entry["PlannedDeleteTime"] = secret["plannedDelete"]
            if fetch_tags:
                entry["Tags"] = self.tag_list(secret["tags"])
            listed.append(entry)
        return {"PageNumber": page, "PageSize": size, "TotalCount": len(names), "SecretList": {"Secret": listed}}

    def DescribeSecret(self, params):
        name, secret = self.secret(params)
        answer = {"SecretName": name, "Arn": self.arn(name), "CreateTime": secret["created"],
                  "UpdateTime": secret["updated"], "Description": secret.get("description", ""),
                  "EncryptionKeyId": "", "SecretType": "Generic", "AutomaticRotation": "Disabled"}
        if secret.get("plannedDelete"):
            answer["PlannedDeleteTime"] = secret["plannedDelete"]
        if (params.get("FetchTags") or "false").lower() == "true":
            answer["Tags"] = self.tag_list(secret["tags"])
        return answer

    @staticmethod
    def data_and_type(params):
        if "SecretData" not in params:
            raise Failure(400, "MissingParameter", "The input parameter \"SecretData\" that is mandatory for processing this request is not supplied.")
        kind = params.get("SecretDataType") or "text"
        if kind not in ("text", "binary"):
            raise Failure(400, "InvalidParameter", "The specified parameter SecretDataType is not valid.")
        if not params.get("VersionId"):
            raise Failure(400, "MissingParameter", "The input parameter \"VersionId\" that is mandatory for processing this request is not supplied.")
        return params["SecretData"], kind

    def CreateSecret(self, params):
        name, existing = self.secret(params, missing_ok=True)
        data, kind = self.data_and_type(params)
        if existing is not None:
            raise Failure(400, "Rejected.ResourceExist", "The resource already exists.")
        tags = {}
        if params.get("Tags"):
            try:
                for tag in json.loads(params["Tags"]):
                    tags[tag["TagKey"]] = tag["TagValue"]
            except (ValueError, KeyError, TypeError):
                raise Failure(400, "InvalidParameter.Tags", "The specified parameter Tags is not valid.")
        stamp = iso(now())
        self.state.secrets[name] = {
            "type": kind, "tags": tags, "created": stamp, "updated": stamp,
            "description": params.get("Description", ""),
            "versions": [{"id": params["VersionId"], "data": data, "stages": ["ACSCurrent"], "created": stamp}],
        }
        return {"SecretName": name, "Arn": self.arn(name), "VersionId": params["VersionId"],
                "SecretType": "Generic", "AutomaticRotation": "Disabled"}

    def PutSecretValue(self, params):
        name, secret = self.secret(params)
        data, kind = self.data_and_type(params)
        if any(v["id"] == params["VersionId"] for v in secret["versions"]):
            raise Failure(400, "Rejected.ResourceExist", "The version already exists.")
        stages = ["ACSCurrent"]
        if params.get("VersionStages"):
            try:
                stages = json.loads(params["VersionStages"])
            except ValueError:
                raise Failure(400, "InvalidParameter", "The specified parameter VersionStages is not valid.")
        stamp = iso(now())
        for version in secret["versions"]:
            held = version["stages"]
            # The version that was ACSCurrent becomes ACSPrevious when the new one takes ACSCurrent;
            # any other stage moves to the new version.
            if "ACSCurrent" in stages and "ACSCurrent" in held:
                held = [s for s in held if s != "ACSCurrent"] + ["ACSPrevious"]
            elif "ACSCurrent" in stages:
                held = [s for s in held if s != "ACSPrevious"]
            version["stages"] = [s for s in held if s not in stages or s == "ACSPrevious"]
        secret["versions"].append({"id": params["VersionId"], "data": data, "stages": stages, "created": stamp})
        secret["type"] = kind
        secret["updated"] = stamp
        return {"SecretName": name, "VersionId": params["VersionId"], "VersionStages": {"VersionStage": stages}}

    def DeleteSecret(self, params):
        name, secret = self.secret(params)
        force = (params.get("ForceDeleteWithoutRecovery") or "false").lower() == "true"
        if force:
            del self.state.secrets[name]
            planned = iso(now())
        else:
            days = int(params.get("RecoveryWindowInDays") or 30)
            planned = iso(now() + datetime.timedelta(days=days))
            secret["plannedDelete"] = planned
        return {"SecretName": name, "PlannedDeleteTime": planned}

    # MARK: - Test controls

    def control(self, method, path, body):
        payload = json.loads(body or b"{}")
        with LOCK:
            if path == "throttle" and method == "POST":
                self.state.throttle = {"count": int(payload.get("count", 1)), "status": int(payload.get("status", 400)),
                                       "code": payload.get("code", "Throttling.User")}
                return self.reply(200, self.state.throttle)
            if path == "throttle":
                return self.reply(200, self.state.throttle)
            if path == "stats":
                return self.reply(200, dict(self.state.stats))
            if path == "seed" and method == "POST":
                for entry in payload.get("secrets", []):
                    stamp = iso(now())
                    values = entry.get("versions") or [{"id": "v1", "value": entry.get("value", "")}]
                    versions = []
                    for index, version in enumerate(values):
                        last = index == len(values) - 1
                        stages = ["ACSCurrent"] if last else (["ACSPrevious"] if index == len(values) - 2 else [])
                        versions.append({"id": version["id"], "data": version["value"], "stages": stages,
                                         "created": stamp})
                    self.state.secrets[entry["name"]] = {
                        "type": entry.get("type", "text"), "tags": entry.get("tags", {}), "created": stamp,
                        "updated": stamp, "versions": versions}
                return self.reply(200, {"secrets": len(self.state.secrets)})
            if path.startswith("secrets/"):
                name = urllib.parse.unquote(path[len("secrets/"):])
                secret = self.state.secrets.get(name)
                if secret is None:
                    return self.reply(200, {"exists": False})
                current = next((v["data"] for v in secret["versions"] if "ACSCurrent" in v["stages"]), None)
                return self.reply(200, {"exists": True, "versions": len(secret["versions"]), "tags": secret["tags"],
                                        "current": current})
        self.reply(404, {"Code": "NotFound", "Message": "no such control"})


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
    print(f"listening {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
