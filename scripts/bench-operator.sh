#!/usr/bin/env bash
# The operator at scale: COUNT ExternalSecrets (fake provider; every 10 read the same remote key)
# plus 2,000 unrelated 2 KiB Secrets in the cluster. Prints the time until every ExternalSecret is
# Ready, the provider calls made (externalsecret_provider_api_calls_count), the operator's resident
# memory once synced, and the time a new ExternalSecret then waits to be Ready.
# Usage: bench-operator.sh PATH-TO-external-secrets [COUNT]
set -euo pipefail
binary="$1"
count="${2:-1000}"
here="$(cd "$(dirname "$0")" && pwd)"
dir="$(mktemp -d /tmp/eso-swift-bench-op.XXXXXX)"
operator_pid=""
cleanup() {
  if [[ -n "$operator_pid" ]]; then kill "$operator_pid" 2>/dev/null || true; wait "$operator_pid" 2>/dev/null || true; fi
  "$here/control-plane.sh" down "$dir"
  rm -rf "$dir"
}
trap cleanup EXIT
"$here/control-plane.sh" up "$dir" --owner-pid $$ 2>/dev/null
# shellcheck disable=SC1091
source "$dir/env"
"$binary" manifests crds > "$dir/crds.yaml"

python3 - "$dir" "$count" "$binary" <<'PY'
import json, os, re, ssl, subprocess, sys, time, urllib.request
d, count, binary = sys.argv[1], int(sys.argv[2]), sys.argv[3]
env = dict(line.strip().split("=", 1) for line in open(f"{d}/env") if "=" in line)
ctx = ssl.create_default_context(cafile=env["SERVING_CA"])
def call(method, path, body=None, ctype="application/json"):
    data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(env["SERVER"] + path, data=data, method=method,
        headers={"Authorization": "Bearer " + env["ADMIN_TOKEN"], "Content-Type": ctype})
    with urllib.request.urlopen(req, context=ctx) as r:
        return json.loads(r.read() or b"{}")

text = open(f"{d}/crds.yaml").read()
for doc in text.split("\n---\n"):
    if any(l.strip() and not l.lstrip().startswith("#") and l.strip() != "---" for l in doc.splitlines()):
        call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", doc.encode(), "application/yaml")
for _ in range(100):
    try:
        call("GET", "/apis/external-secrets.io/v1"); break
    except Exception:
        time.sleep(0.2)
call("POST", "/api/v1/namespaces", {"metadata": {"name": "bench"}})
payload = "x" * 2048
for i in range(2000):
    call("POST", "/api/v1/namespaces/bench/secrets", {"metadata": {"name": f"unrelated-{i}"}, "stringData": {"p": payload}})
call("POST", "/apis/external-secrets.io/v1/namespaces/bench/secretstores", {
    "apiVersion": "external-secrets.io/v1", "kind": "SecretStore", "metadata": {"name": "fake"},
    "spec": {"provider": {"fake": {"data": [{"key": f"k{i}", "value": json.dumps({"v": f"value-{i}"})} for i in range(count // 10 + 1)]}}}})
def es(name, key):
    return {"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret", "metadata": {"name": name},
            "spec": {"secretStoreRef": {"name": "fake"}, "data": [{"secretKey": "v", "remoteRef": {"key": key, "property": "v"}}]}}
for i in range(count):
    call("POST", "/apis/external-secrets.io/v1/namespaces/bench/externalsecrets", es(f"es-{i}", f"k{i // 10}"))
print(f"== {count} ExternalSecrets (every 10 share a remote key) and 2000 unrelated Secrets created")

log = open(f"{d}/operator.log", "w")
start = time.monotonic()
proc = subprocess.Popen([binary, "controller", "--kubeconfig", env["KUBECONFIG"], "--metrics-addr", "127.0.0.1:0",
                         "--live-addr", "127.0.0.1:0", "--concurrent", "4", "--client-qps", "0"], stdout=log, stderr=log)
open(f"{d}/operator.pid", "w").write(str(proc.pid))
def ready():
    items = call("GET", "/apis/external-secrets.io/v1/namespaces/bench/externalsecrets")["items"]
    return sum(1 for it in items for c in (it.get("status") or {}).get("conditions", []) if c["type"] == "Ready" and c["status"] == "True")
while ready() < count:
    if time.monotonic() - start > 900: sys.exit("timed out waiting for ExternalSecrets to be Ready")
    time.sleep(0.5)
synced = time.monotonic() - start
rss = int(re.search(r"VmRSS:\s+(\d+)", open(f"/proc/{proc.pid}/status").read()).group(1))
line = next(l for l in open(f"{d}/operator.log") if "metrics listening" in l)
port = re.search(r"port=(\d+)", line).group(1)
metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
calls = sum(float(l.split()[-1]) for l in metrics.splitlines() if l.startswith("externalsecret_provider_api_calls_count{"))
t0 = time.monotonic()
call("POST", "/apis/external-secrets.io/v1/namespaces/bench/externalsecrets", es("late", "k0"))
while True:
    st = call("GET", "/apis/external-secrets.io/v1/namespaces/bench/externalsecrets/late").get("status") or {}
    if any(c["type"] == "Ready" and c["status"] == "True" for c in st.get("conditions", [])): break
    time.sleep(0.05)
late = time.monotonic() - t0
print(f"all {count} Ready after         {synced:.1f} s (operator start to last Ready)")
print(f"provider calls                 {int(calls)} for {count} ExternalSecrets reading {count // 10} distinct keys")
print(f"operator resident memory       {rss // 1024} MiB (with 2000 unrelated Secrets in the cluster)")
print(f"a new ExternalSecret Ready in  {late * 1000:.0f} ms")
proc.terminate(); proc.wait(timeout=30)
PY
