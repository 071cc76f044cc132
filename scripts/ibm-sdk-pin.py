#!/usr/bin/env python3
"""Pins scripts/ibm-secrets-manager-fake.py to IBM's official Python client: ibm-secrets-manager-sdk
(SecretsManagerV2, SecretsPager) with ibm-cloud-sdk-core's IAMAuthenticator and
ContainerAuthenticator pointed at the fake's IAM endpoint. Every answer must decode as the client
decodes the service's (the SDK's models check required fields in from_dict), errors must arrive as
the SDK's ApiException with the service's status and message, and IAM refusals as the core reads
them. Prints "N checks" and exits 0 when everything agrees.
"""

import json
import os
import subprocess
import sys
import tempfile
import urllib.request

from ibm_cloud_sdk_core import ApiException
from ibm_cloud_sdk_core.authenticators import ContainerAuthenticator, IAMAuthenticator
from ibm_secrets_manager_sdk.secrets_manager_v2 import (
    ArbitrarySecretPrototype,
    ArbitrarySecretVersionPrototype,
    Secret,
    SecretGroupCollection,
    SecretMetadataPaginatedCollection,
    SecretsManagerV2,
    SecretsPager,
    SecretVersion,
)

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKS = 0


def check(condition, what):
    global CHECKS
    if not condition:
        raise SystemExit(f"pin failed: {what}")
    CHECKS += 1


def control(port, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/fake/{path}", data=data, method="POST" if data else "GET")
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def expect_api_error(call, status, message_part, what):
    try:
        call()
    except ApiException as error:
        check(error.code == status, f"{what}: status {error.code}, wanted {status}")
        check(message_part in (error.message or ""), f"{what}: message {error.message!r} lacks {message_part!r}")
        return error
    raise SystemExit(f"pin failed: {what}: no error")


def main():
    directory = tempfile.mkdtemp(prefix="ibm-pin-")
    config = {
        "apiKeys": {"reader-key": {"permissions": ["*"]}, "list-only-key": {"permissions": ["secrets.list"]}},
        "profiles": {"eso-profile": {"id": "Profile-0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "crTokens": ["cr-token-1"], "permissions": ["*"]}},
        "groups": [{"id": "5b4f2d3c-1a0b-4c9d-8e7f-6a5b4c3d2e1f", "name": "team-a"}],
    }
    with open(os.path.join(directory, "config.json"), "w") as file:
        json.dump(config, file)
    fake = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "ibm-secrets-manager-fake.py"), "--port", "0", "--config", os.path.join(directory, "config.json")],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = fake.stdout.readline()
        port = int(line.split()[1])
        run(port, directory)
    finally:
        # SIGKILL: a test runner may start this script with SIGTERM blocked, and the child inherits the mask.
        fake.kill()
        fake.wait()
    print(f"{CHECKS} checks", flush=True)


def run(port, directory):
    base = f"http://127.0.0.1:{port}"
    seeded = control(port, "seed", {"secrets": [
        {"name": "plain", "secret_type": "arbitrary", "payload": "v2", "labels": ["env:prod", "team:a"], "versions": [{"payload": "v1"}]},
        {"name": "login", "secret_type": "username_password", "group": "team-a", "username": "u", "password": "p", "labels": ["env:prod"]},
        {"name": "key", "secret_type": "iam_credentials", "api_key": "k"},
        {"name": "creds", "secret_type": "service_credentials", "credentials": {"apikey": "a", "iam_role_crn": "r"}},
        {"name": "imported", "secret_type": "imported_cert", "certificate": "C", "private_key": "K"},
        {"name": "public", "secret_type": "public_cert", "certificate": "C", "intermediate": "I", "private_key": "K"},
        {"name": "private", "secret_type": "private_cert", "certificate": "C", "private_key": "K"},
        {"name": "config", "secret_type": "kv", "data": {"a": "1", "nested": {"b": 2}}},
        {"name": "custom", "secret_type": "custom_credentials", "credentials_content": {"token": "t"}},
    ]})["ids"]

    service = SecretsManagerV2(authenticator=IAMAuthenticator("reader-key", url=base))
    service.set_service_url(base)

    # Every type by ID decodes as the SDK's model of that type.
    for name, secret_id in seeded.items():
        result = service.get_secret(id=secret_id).get_result()
        model = Secret.from_dict(result)
        check(model.id == secret_id and model.name == name, f"get_secret {name}")
    check(service.get_secret(id=seeded["plain"]).get_result()["payload"] == "v2", "arbitrary payload")
    check(service.get_secret(id=seeded["config"]).get_result()["data"]["nested"]["b"] == 2, "kv data")

    # By name in a group (the default group's name is "default").
    by_name = service.get_secret_by_name_type(secret_type="username_password", name="login", secret_group_name="team-a").get_result()
    check(Secret.from_dict(by_name).username == "u", "get_secret_by_name_type")
    check(service.get_secret_by_name_type(secret_type="arbitrary", name="plain", secret_group_name="default").get_result()["id"] == seeded["plain"], "by name in default")
    expect_api_error(lambda: service.get_secret_by_name_type(secret_type="arbitrary", name="login", secret_group_name="team-a"),
                     404, "Secret not found", "by name of another type")

    # Versions: current, previous, by ID.
    current = service.get_secret_version(secret_id=seeded["plain"], id="current").get_result()
    check(SecretVersion.from_dict(current).payload == "v2", "current version")
    previous = service.get_secret_version(secret_id=seeded["plain"], id="previous").get_result()
    check(SecretVersion.from_dict(previous).payload == "v1", "previous version")
    check(service.get_secret_version(secret_id=seeded["plain"], id=previous["id"]).get_result()["payload"] == "v1", "version by id")
    expect_api_error(lambda: service.get_secret_version(secret_id=seeded["key"], id="previous"), 404, "not found", "no previous version")

    # Pagination with the SDK's pager (offset from the next link), and the filters.
    first = service.list_secrets(limit=2).get_result()
    SecretMetadataPaginatedCollection.from_dict(first)
    check(first["total_count"] == 9 and len(first["secrets"]) == 2 and "next" in first, "first page")
    check(all("payload" not in s and "password" not in s for s in first["secrets"]), "list holds metadata only")
    everything = SecretsPager(client=service, limit=2).get_all()
    check(sorted(s["name"] for s in everything) == sorted(seeded), "pager reads every page")
    labelled = SecretsPager(client=service, limit=1, match_all_labels=["env:prod"]).get_all()
    check(sorted(s["name"] for s in labelled) == ["login", "plain"], "match_all_labels")
    both = SecretsPager(client=service, match_all_labels=["env:prod", "team:a"]).get_all()
    check([s["name"] for s in both] == ["plain"], "all labels must match")
    grouped = SecretsPager(client=service, groups=["5b4f2d3c-1a0b-4c9d-8e7f-6a5b4c3d2e1f"]).get_all()
    check([s["name"] for s in grouped] == ["login"], "groups filter")
    typed = SecretsPager(client=service, secret_types=["kv", "custom_credentials"]).get_all()
    check(sorted(s["name"] for s in typed) == ["config", "custom"], "secret_types filter")
    expect_api_error(lambda: service.list_secrets(limit=1001), 400, "limit", "limit above 1000")

    # Errors as the SDK reads them.
    expect_api_error(lambda: service.get_secret(id="00000000-0000-4000-8000-000000000000"), 404, "Secret not found", "unknown id")
    reader = SecretsManagerV2(authenticator=IAMAuthenticator("list-only-key", url=base))
    reader.set_service_url(base)
    expect_api_error(lambda: reader.get_secret(id=seeded["plain"]), 403, "secrets-manager.secret.read", "missing permission")
    check(len(reader.list_secrets().get_result()["secrets"]) == 9, "list allowed")
    stranger = SecretsManagerV2(authenticator=IAMAuthenticator("wrong-key", url=base))
    stranger.set_service_url(base)
    expect_api_error(lambda: stranger.get_secret(id=seeded["plain"]), 400, "API key could not be found", "unknown API key")

    # Throttling answers the SDK's way (status and message), then the service answers again.
    control(port, "throttle", {"count": 1, "status": 429, "retryAfter": 0})
    expect_api_error(lambda: service.get_secret(id=seeded["plain"]), 429, "Too many requests", "throttled")
    check(service.get_secret(id=seeded["plain"]).get_result()["payload"] == "v2", "after throttling")

    # Writes: create an arbitrary secret in a group, a new version, a name taken, delete; groups listed.
    groups = service.list_secret_groups().get_result()
    SecretGroupCollection.from_dict(groups)
    check([g["name"] for g in groups["secret_groups"]] == ["team-a"], "secret groups")
    created = service.create_secret(secret_prototype=ArbitrarySecretPrototype(
        name="pushed", secret_type="arbitrary", payload="p1", secret_group_id=groups["secret_groups"][0]["id"],
        labels=["managed-by:external-secrets"]).to_dict()).get_result()
    check(created["name"] == "pushed" and Secret.from_dict(created).labels == ["managed-by:external-secrets"], "create_secret")
    expect_api_error(lambda: service.create_secret(secret_prototype=ArbitrarySecretPrototype(
        name="pushed", secret_type="arbitrary", payload="p1", secret_group_id=groups["secret_groups"][0]["id"]).to_dict()),
        409, "already exists", "a name taken")
    version = service.create_secret_version(
        secret_id=created["id"], secret_version_prototype=ArbitrarySecretVersionPrototype(payload="p2").to_dict()).get_result()
    check(SecretVersion.from_dict(version).secret_id == created["id"], "create_secret_version")
    check(service.get_secret_by_name_type(secret_type="arbitrary", name="pushed", secret_group_name="team-a").get_result()["payload"] == "p2", "new version read")
    check(control(port, "secrets/pushed")["versions"] == 2, "versions counted")
    expect_api_error(lambda: reader.create_secret(secret_prototype=ArbitrarySecretPrototype(
        name="other", secret_type="arbitrary", payload="x").to_dict()), 403, "secrets-manager.secret.create", "create denied")
    check(service.delete_secret(id=created["id"]).get_status_code() == 204, "delete_secret")
    expect_api_error(lambda: service.get_secret(id=created["id"]), 404, "Secret not found", "deleted")

    # A trusted profile: the compute-resource token file, by profile name and by profile ID.
    token_file = os.path.join(directory, "cr-token")
    with open(token_file, "w") as file:
        file.write("cr-token-1")
    for authenticator in (
        ContainerAuthenticator(cr_token_filename=token_file, iam_profile_name="eso-profile", url=base),
        ContainerAuthenticator(cr_token_filename=token_file, iam_profile_id="Profile-0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", url=base),
    ):
        profiled = SecretsManagerV2(authenticator=authenticator)
        profiled.set_service_url(base)
        check(profiled.get_secret(id=seeded["key"]).get_result()["api_key"] == "k", "trusted profile")
    with open(token_file, "w") as file:
        file.write("cr-token-other")
    refused = SecretsManagerV2(authenticator=ContainerAuthenticator(cr_token_filename=token_file, iam_profile_name="eso-profile", url=base))
    refused.set_service_url(base)
    expect_api_error(lambda: refused.get_secret(id=seeded["key"]), 400, "compute resource token", "foreign cr token")
    check(control(port, "stats")["tokens"] >= 4, "tokens issued")


if __name__ == "__main__":
    main()
