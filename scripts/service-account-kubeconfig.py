#!/usr/bin/env python3
"""Gives a test process the identity of a ServiceAccount on the local control plane.

Usage: service-account-kubeconfig.py CONTROL_PLANE_DIR OBJECTS_JSON NAMESPACE NAME OUT

Creates the objects of OBJECTS_JSON (a JSON list: Namespace, ServiceAccount, ClusterRole,
ClusterRoleBinding, Role, RoleBinding; an existing object is replaced, a Namespace or
ServiceAccount kept) as the control plane's admin, asks the API server for a token of
ServiceAccount NAMESPACE/NAME (TokenRequest, one hour), and writes a kubeconfig with that token
to OUT. The operator suites run the operator with it, so it has exactly the chart's permissions.
Synchronous on purpose: `startOperator` in OperatorTestSupport is not async.
"""
import json
import ssl
import sys
import urllib.error
import urllib.request

PATHS = {
    "Namespace": ("/api/v1", "namespaces", False),
    "ServiceAccount": ("/api/v1", "serviceaccounts", True),
    "ClusterRole": ("/apis/rbac.authorization.k8s.io/v1", "clusterroles", False),
    "ClusterRoleBinding": ("/apis/rbac.authorization.k8s.io/v1", "clusterrolebindings", False),
    "Role": ("/apis/rbac.authorization.k8s.io/v1", "roles", True),
    "RoleBinding": ("/apis/rbac.authorization.k8s.io/v1", "rolebindings", True),
}
KEEP_EXISTING = {"Namespace", "ServiceAccount"}


def main():
    directory, objects_path, namespace, name, out = sys.argv[1:6]
    env = dict(line.split("=", 1) for line in open(f"{directory}/env").read().splitlines() if "=" in line)
    server, token, ca = env["SERVER"], env["ADMIN_TOKEN"], env["SERVING_CA"]
    context = ssl.create_default_context(cafile=ca)

    def call(method, path, body=None):
        request = urllib.request.Request(
            server + path, method=method, data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, context=context, timeout=30) as response:
            return json.load(response)

    for obj in json.load(open(objects_path)):
        prefix, plural, namespaced = PATHS[obj["kind"]]
        meta = obj["metadata"]
        collection = f"{prefix}/namespaces/{meta['namespace']}/{plural}" if namespaced else f"{prefix}/{plural}"
        try:
            call("POST", collection, obj)
        except urllib.error.HTTPError as error:
            if error.code != 409:
                raise SystemExit(f"creating {obj['kind']} {meta['name']}: {error.code} {error.read().decode()}")
            if obj["kind"] not in KEEP_EXISTING:
                call("PUT", f"{collection}/{meta['name']}", obj)

    request = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"expirationSeconds": 3600}}
    answer = call("POST", f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token", request)
    kubeconfig = {
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "local", "cluster": {"server": server, "certificate-authority": ca}}],
        "users": [{"name": name, "user": {"token": answer["status"]["token"]}}],
        "contexts": [{"name": "sa", "context": {"cluster": "local", "user": name, "namespace": namespace}}],
        "current-context": "sa",
    }
    with open(out, "w") as file:
        json.dump(kubeconfig, file)


if __name__ == "__main__":
    main()
