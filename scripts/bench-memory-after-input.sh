#!/usr/bin/env bash
# Memory given back after bad input: the operator's resident set size at start, while one
# ExternalSecret with 10,000 entries and a 1 MiB value (fake provider; its Secret is too large for
# the API server, so every sync fails) is reconciled, and after that ExternalSecret is deleted.
# Usage: bench-memory-after-input.sh PATH-TO-external-secrets
set -euo pipefail
binary="$1"
here="$(cd "$(dirname "$0")" && pwd)"
dir="$(mktemp -d /tmp/eso-swift-bench-input.XXXXXX)"
operator_pid=""
cleanup() {
  if [[ -n "$operator_pid" ]]; then kill "$operator_pid" 2>/dev/null || true; wait "$operator_pid" 2>/dev/null || true; fi
  "$here/control-plane.sh" down "$dir" > /dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
"$here/control-plane.sh" up "$dir" --owner-pid $$ > /dev/null 2>&1
export KUBECONFIG="$dir/kubeconfig"
"$binary" manifests crds > "$dir/crds.yaml"
kubectl apply -f "$dir/crds.yaml" > /dev/null
for _ in $(seq 1 50); do kubectl get --raw /apis/external-secrets.io/v1 > /dev/null 2>&1 && break; sleep 0.2; done
kubectl create namespace bench > /dev/null
python3 - "$dir" <<'PY'
import json, sys
d = sys.argv[1]
store = {"apiVersion": "external-secrets.io/v1", "kind": "SecretStore", "metadata": {"name": "fake", "namespace": "bench"},
         "spec": {"provider": {"fake": {"data": [{"key": "k", "value": "v"}, {"key": "big", "value": "x" * (1024 * 1024)}]}}}}
es = {"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret", "metadata": {"name": "huge", "namespace": "bench"},
      "spec": {"refreshInterval": "1h", "secretStoreRef": {"name": "fake", "kind": "SecretStore"},
               "data": [{"secretKey": f"e{i}", "remoteRef": {"key": "k"}} for i in range(10000)]
                       + [{"secretKey": "big", "remoteRef": {"key": "big"}}]}}
json.dump(store, open(f"{d}/store.json", "w"))
json.dump(es, open(f"{d}/es.json", "w"))
PY
kubectl create -f "$dir/store.json" > /dev/null
"$binary" controller --metrics-addr 127.0.0.1:0 --live-addr 127.0.0.1:0 > "$dir/operator.log" 2>&1 &
operator_pid=$!
rss() { awk '/VmRSS/ {printf "%d MiB", $2 / 1024}' "/proc/$operator_pid/status"; }
sleep 10
echo "operator RSS at start:                  $(rss)"
kubectl create -f "$dir/es.json" > /dev/null
sleep 40
echo "with the 10,000-entry ExternalSecret:   $(rss)"
kubectl -n bench delete externalsecret huge > /dev/null
sleep 30
echo "30 s after deleting it:                 $(rss)"
