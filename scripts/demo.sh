#!/usr/bin/env bash
# The demo: a real local control plane, the operator run against it as a process, a fake store and
# an ExternalSecret applied, the resulting Secret shown, the source value changed and the Secret
# shown following it; then everything stopped. Usage: demo.sh PATH-TO-external-secrets
#
# The demo's values are made-up demo data from the fake provider, printed on purpose to show the
# sync. Real secret values are never printed by the operator.
set -euo pipefail
binary="$1"
here="$(cd "$(dirname "$0")" && pwd)"
dir="$(mktemp -d /tmp/eso-swift-demo.XXXXXX)"
operator_pid=""
cleanup() {
  if [[ -n "$operator_pid" ]]; then kill "$operator_pid" 2>/dev/null || true; wait "$operator_pid" 2>/dev/null || true; fi
  "$here/control-plane.sh" down "$dir"
  rm -rf "$dir"
}
trap cleanup EXIT

echo "== starting etcd, kube-apiserver and kube-controller-manager on 127.0.0.1"
"$here/control-plane.sh" up "$dir" --owner-pid $$
# shellcheck disable=SC1091
source "$dir/env"
export KUBECONFIG="$dir/kubeconfig"

# kube: METHOD PATH [CONTENT-TYPE] < body — the API server through curl with the admin token.
kube() {
  curl -sS --fail-with-body --cacert "$SERVING_CA" -H "Authorization: Bearer $ADMIN_TOKEN" \
    -X "$1" -H "Content-Type: ${3:-application/json}" "$SERVER$2" --data-binary @- 
}
kube_get() {
  curl -sS --fail-with-body --cacert "$SERVING_CA" -H "Authorization: Bearer $ADMIN_TOKEN" "$SERVER$1"
}

"$binary" version

echo "== installing the CRDs (external-secrets manifests crds)"
"$binary" manifests crds > "$dir/crds.yaml"
python3 - "$dir/crds.yaml" "$dir" <<'PY'
import sys
text = open(sys.argv[1]).read()
def has_content(doc):
    return any(line.strip() and not line.lstrip().startswith("#") and line.strip() != "---" for line in doc.splitlines())
docs = [d for d in text.split("\n---\n") if has_content(d)]
for i, doc in enumerate(docs):
    open(f"{sys.argv[2]}/crd-{i}.yaml", "w").write(doc)
print(f"{len(docs)} CRDs")
PY
for crd in "$dir"/crd-*.yaml; do
  kube POST /apis/apiextensions.k8s.io/v1/customresourcedefinitions application/yaml < "$crd" > /dev/null
done
for _ in $(seq 1 50); do
  if kube_get /apis/external-secrets.io/v1 > /dev/null 2>&1; then break; fi
  sleep 0.2
done

echo "== starting the operator: external-secrets controller"
"$binary" controller --metrics-addr 127.0.0.1:0 --live-addr 127.0.0.1:0 > "$dir/operator.log" 2>&1 &
operator_pid=$!

echo "== applying a SecretStore (fake provider) and an ExternalSecret in namespace default"
kube POST /apis/external-secrets.io/v1/namespaces/default/secretstores application/yaml > /dev/null <<'YAML'
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata:
  name: demo-store
spec:
  provider:
    fake:
      data:
        - key: /demo/app
          value: '{"greeting":"hello from the fake provider","user":"demo"}'
YAML
kube POST /apis/external-secrets.io/v1/namespaces/default/externalsecrets application/yaml > /dev/null <<'YAML'
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: demo
spec:
  refreshInterval: 1h
  secretStoreRef:
    name: demo-store
    kind: SecretStore
  target:
    name: demo-secret
  data:
    - secretKey: greeting
      remoteRef:
        key: /demo/app
        property: greeting
  dataFrom:
    - extract:
        key: /demo/app
YAML

# show_secret EXPECTED: waits until the Secret's greeting equals EXPECTED, then prints it.
show_secret() {
  for _ in $(seq 1 100); do
    if kube_get /api/v1/namespaces/default/secrets/demo-secret > "$dir/secret.json" 2>/dev/null &&
      python3 - "$dir/secret.json" "$1" <<'PY'
import base64, json, sys
secret = json.load(open(sys.argv[1]))
data = {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
if data.get("greeting") != sys.argv[2]:
    sys.exit(1)
meta = secret["metadata"]
print(f"Secret default/{meta['name']}  (resourceVersion {meta['resourceVersion']})")
for key in sorted(data):
    print(f"  data.{key} = {data[key]!r}   (demo data)")
for key in sorted(meta.get("labels", {})):
    print(f"  label {key}={meta['labels'][key]}")
for key in sorted(meta.get("annotations", {})):
    print(f"  annotation {key}={meta['annotations'][key]}")
print(f"  owner: {[o['kind'] + '/' + o['name'] for o in meta.get('ownerReferences', [])]}")
PY
    then return 0; fi
    sleep 0.2
  done
  echo "the Secret did not reach the expected value; operator log:" >&2
  tail -n 40 "$dir/operator.log" >&2
  return 1
}
show_status() {
  kube_get /apis/external-secrets.io/v1/namespaces/default/externalsecrets/demo > "$dir/es.json"
  python3 - "$dir/es.json" <<'PY'
import json, sys
status = json.load(open(sys.argv[1])).get("status", {})
for c in status.get("conditions", []):
    print(f"ExternalSecret default/demo: {c['type']}={c['status']} reason={c.get('reason')} message={c.get('message')!r}")
print(f"  refreshTime={status.get('refreshTime')} syncedResourceVersion={status.get('syncedResourceVersion')}")
PY
}

echo "== the resulting Secret"
show_secret "hello from the fake provider"
show_status

echo "== changing the source value (editing the store's fake data)"
kube PATCH /apis/external-secrets.io/v1/namespaces/default/secretstores/demo-store application/merge-patch+json > /dev/null <<'JSON'
{"spec":{"provider":{"fake":{"data":[{"key":"/demo/app","value":"{\"greeting\":\"hello again, value rotated\",\"user\":\"demo\"}"}]}}}}
JSON
echo "== the Secret follows"
show_secret "hello again, value rotated"
show_status

echo "== stopping the operator and the control plane"
kill -TERM "$operator_pid"
wait "$operator_pid" || true
operator_pid=""
grep -c . "$dir/operator.log" | xargs -I{} echo "operator wrote {} log lines; it stopped on SIGTERM"
