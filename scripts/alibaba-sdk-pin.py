#!/usr/bin/env python3
"""Pins scripts/alibaba-kms-fake.py to reality: Alibaba's official Python SDK
(alibabacloud-kms20160120 and alibabacloud-sts20150401 on alibabacloud-tea-openapi, as
scripts/install-deps.sh alibaba pins them) runs against the fake over plain HTTP and must sign as the
fake verifies, and decode every answer and error as it decodes KMS's and STS's.

Both signatures the SDK makes are exercised: V3 (ACS3-HMAC-SHA256, its default) and V1 (HMAC-SHA1
over the canonicalized query, `signature_algorithm='v2'`). Prints "N checks" and exits 0 when all
hold.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

from alibabacloud_kms20160120 import models as kms_models
from alibabacloud_kms20160120.client import Client as KmsClient
from alibabacloud_sts20150401 import models as sts_models
from alibabacloud_sts20150401.client import Client as StsClient
from alibabacloud_tea_openapi import models as openapi_models
from Tea.exceptions import TeaException

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKS = 0


def check(condition, what):
    global CHECKS
    if not condition:
        print(f"FAILED: {what}", flush=True)
        sys.exit(1)
    CHECKS += 1


def start_fake(config):
    directory = tempfile.mkdtemp(prefix="alibaba-pin-")
    path = os.path.join(directory, "config.json")
    with open(path, "w") as file:
        json.dump(config, file)
    process = subprocess.Popen([sys.executable, os.path.join(HERE, "alibaba-kms-fake.py"), "--port", "0", "--config", path],
                               stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    if not line.startswith("listening "):
        process.kill()
        raise SystemExit("the fake did not start")
    return process, int(line.split()[1])


def kms(port, key, secret, token=None, v1=False):
    config = openapi_models.Config(access_key_id=key, access_key_secret=secret, security_token=token,
                                   region_id="cn-hangzhou", endpoint=f"127.0.0.1:{port}", protocol="http")
    if v1:
        config.signature_algorithm = "v2"
    return KmsClient(config)


def expect_error(call, code, status):
    try:
        call()
    except TeaException as error:
        check(error.code == code, f"error code {error.code!r} == {code!r}")
        check(error.status_code == status if hasattr(error, "status_code") and error.status_code is not None else True,
              f"status {getattr(error, 'status_code', None)} == {status}")
        check("request id:" in error.message, "the SDK read RequestId from the error body")
        return error
    check(False, f"expected error {code}")


def main():
    config = {
        "region": "cn-hangzhou",
        "accessKeys": {
            "LTAIadmin": {"secret": "admin-secret", "permissions": ["kms:*"]},
            "LTAIreader": {"secret": "reader-secret", "permissions": ["kms:GetSecretValue"]},
        },
        "roles": {
            "acs:ram::1234567890123456:role/eso": {
                "oidcProviderArn": "acs:ram::1234567890123456:oidc-provider/ack-rrsa",
                "tokens": ["oidc-token-1"], "permissions": ["kms:GetSecretValue", "kms:ListSecrets"],
            },
        },
    }
    process, port = start_fake(config)
    try:
        for v1 in (False, True):
            admin = kms(port, "LTAIadmin", "admin-secret", v1=v1)
            suffix = "-v1" if v1 else ""
            name = f"db{suffix}"
            created = admin.create_secret(kms_models.CreateSecretRequest(
                secret_name=name, secret_data='{"user":"u","pass":"p w&=+"}', version_id="v1", secret_data_type="text",
                tags=json.dumps([{"TagKey": "managed-by", "TagValue": "external-secrets"}])))
            check(created.status_code == 200 and created.body.secret_name == name and created.body.version_id == "v1",
                  "CreateSecret decodes")
            got = admin.get_secret_value(kms_models.GetSecretValueRequest(secret_name=name))
            check(got.body.secret_data == '{"user":"u","pass":"p w&=+"}', "GetSecretValue returns the form body's data")
            check(got.body.version_stages.version_stage == ["ACSCurrent"], "VersionStages.VersionStage decodes")
            check(got.body.secret_data_type == "text" and got.body.request_id, "SecretDataType and RequestId decode")
            put = admin.put_secret_value(kms_models.PutSecretValueRequest(secret_name=name, secret_data="two", version_id="v2"))
            check(put.body.version_id == "v2", "PutSecretValue decodes")
            previous = admin.get_secret_value(kms_models.GetSecretValueRequest(secret_name=name, version_stage="ACSPrevious"))
            check(previous.body.version_id == "v1", "the replaced version is ACSPrevious")
            by_id = admin.get_secret_value(kms_models.GetSecretValueRequest(secret_name=name, version_id="v2"))
            check(by_id.body.secret_data == "two", "VersionId selects a version")
            described = admin.describe_secret(kms_models.DescribeSecretRequest(secret_name=name, fetch_tags="true"))
            check([(t.tag_key, t.tag_value) for t in described.body.tags.tag] == [("managed-by", "external-secrets")],
                  "DescribeSecret's Tags.Tag decode")
            expect_error(lambda: admin.get_secret_value(kms_models.GetSecretValueRequest(secret_name="missing" + suffix)),
                         "Forbidden.ResourceNotFound", 404)
            expect_error(lambda: admin.create_secret(kms_models.CreateSecretRequest(
                secret_name=name, secret_data="x", version_id="v9")), "Rejected.ResourceExist", 400)
            reader = kms(port, "LTAIreader", "reader-secret", v1=v1)
            denied = expect_error(lambda: reader.list_secrets(kms_models.ListSecretsRequest()), "Forbidden.NoPermission", 403)
            check(denied.data.get("AccessDeniedDetail", {}).get("AuthAction") == "kms:ListSecrets",
                  "AccessDeniedDetail names the action")
            wrong = kms(port, "LTAIadmin", "not-the-secret", v1=v1)
            expect_error(lambda: wrong.get_secret_value(kms_models.GetSecretValueRequest(secret_name=name)),
                         "SignatureDoesNotMatch" if v1 else "IncompleteSignature", 400)
            unknown = kms(port, "LTAIunknown", "x", v1=v1)
            expect_error(lambda: unknown.get_secret_value(kms_models.GetSecretValueRequest(secret_name=name)),
                         "InvalidAccessKeyId.NotFound", 404)

        # Paging and filters.
        admin = kms(port, "LTAIadmin", "admin-secret")
        for index in range(5):
            admin.create_secret(kms_models.CreateSecretRequest(
                secret_name=f"app-{index}", secret_data=str(index), version_id="v1",
                tags=json.dumps([{"TagKey": "team", "TagValue": "a" if index % 2 == 0 else "b"}])))
        seen, page = [], 1
        while True:
            listed = admin.list_secrets(kms_models.ListSecretsRequest(fetch_tags="true", page_number=page, page_size=2))
            check(listed.body.page_size == 2 and listed.body.total_count == 7, "ListSecrets paging fields decode")
            seen += [s.secret_name for s in listed.body.secret_list.secret]
            if len(seen) >= listed.body.total_count:
                break
            page += 1
        check(sorted(seen) == sorted(["db", "db-v1"] + [f"app-{i}" for i in range(5)]), "pages list every secret once")
        filtered = admin.list_secrets(kms_models.ListSecretsRequest(
            fetch_tags="true", filters=json.dumps([{"Key": "TagValue", "Values": ["a"]}, {"Key": "SecretName", "Values": ["app"]}])))
        check(sorted(s.secret_name for s in filtered.body.secret_list.secret) == ["app-0", "app-2", "app-4"], "Filters apply")
        check(all(s.tags.tag[0].tag_key == "team" for s in filtered.body.secret_list.secret), "listed Tags.Tag decode")
        deleted = admin.delete_secret(kms_models.DeleteSecretRequest(secret_name="app-0", force_delete_without_recovery="true"))
        check(deleted.body.secret_name == "app-0", "DeleteSecret decodes")
        expect_error(lambda: admin.describe_secret(kms_models.DescribeSecretRequest(secret_name="app-0")),
                     "Forbidden.ResourceNotFound", 404)

        # Throttling: the SDK reads the error as KMS's.
        import urllib.request
        urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/fake/throttle",
                                                      data=b'{"count": 1}', method="POST")).read()
        expect_error(lambda: admin.get_secret_value(kms_models.GetSecretValueRequest(secret_name="db")), "Throttling.User", 400)

        # RRSA: STS AssumeRoleWithOIDC, then KMS with the security token.
        sts = StsClient(openapi_models.Config(region_id="cn-hangzhou", endpoint=f"127.0.0.1:{port}", protocol="http"))
        assumed = sts.assume_role_with_oidc(sts_models.AssumeRoleWithOIDCRequest(
            oidcprovider_arn="acs:ram::1234567890123456:oidc-provider/ack-rrsa",
            role_arn="acs:ram::1234567890123456:role/eso", oidctoken="oidc-token-1", role_session_name="eso",
            duration_seconds=3600))
        credentials = assumed.body.credentials
        check(credentials.access_key_id.startswith("STS.") and credentials.security_token and credentials.expiration.endswith("Z"),
              "AssumeRoleWithOIDC's Credentials decode")
        check(assumed.body.assumed_role_user.arn.endswith("/eso"), "AssumedRoleUser decodes")
        for v1 in (False, True):
            role = kms(port, credentials.access_key_id, credentials.access_key_secret, token=credentials.security_token, v1=v1)
            check(role.get_secret_value(kms_models.GetSecretValueRequest(secret_name="db")).body.secret_data == "two",
                  "temporary credentials with their security token read")
            no_token = kms(port, credentials.access_key_id, credentials.access_key_secret, v1=v1)
            expect_error(lambda: no_token.get_secret_value(kms_models.GetSecretValueRequest(secret_name="db")),
                         "InvalidSecurityToken.Mismatch", 400)
        expect_error(lambda: sts.assume_role_with_oidc(sts_models.AssumeRoleWithOIDCRequest(
            oidcprovider_arn="acs:ram::1234567890123456:oidc-provider/ack-rrsa",
            role_arn="acs:ram::1234567890123456:role/eso", oidctoken="forged", role_session_name="eso")),
            "AuthenticationFail.OIDCToken.Invalid", 400)
    finally:
        process.kill()
        process.wait()
    print(f"{CHECKS} checks", flush=True)


if __name__ == "__main__":
    main()
