#!/usr/bin/env bash
# The operator at scale: COUNT ExternalSecrets (fake provider; every 10 read the same remote key)
# plus 2,000 unrelated 2 KiB Secrets in the cluster. Prints the time until every ExternalSecret is
# Ready next to a plain client's time for the same writes (one Secret create and one status write
# each, 16 requests in flight, measured in the same run), reconciles per ExternalSecret, the
# provider calls made (externalsecret_provider_api_calls_count), the operator's CPU time and
# resident memory for the initial sync, the time a new ExternalSecret then waits to be Ready, and
# how long new ExternalSecrets wait while a store edit refreshes all of them.
# Usage: bench-operator.sh PATH-TO-external-secrets [COUNT]
# The operator's flags come from BENCH_FLAGS (default: --concurrent 8 --client-qps 0).
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

python3 - "$dir" "$count" "$binary" "${BENCH_FLAGS:---concurrent 8 --client-qps 0}" <<'PY'
import concurrent.futures, json, os, re, ssl, subprocess, sys, time, urllib.request
d, count, binary, flags = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4].split()
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
# The reference: what the API server takes for the same writes from a plain client (a Secret
# create and a status-sized write per object, 16 requests in flight).
call("POST", "/api/v1/namespaces", {"metadata": {"name": "reference"}})
def reference_writes(i):
    call("POST", "/api/v1/namespaces/reference/secrets", {"metadata": {"name": f"s-{i}"}, "stringData": {"v": "value"}})
    call("PATCH", f"/api/v1/namespaces/reference/secrets/s-{i}",
         {"metadata": {"annotations": {"status": "synced"}}}, "application/merge-patch+json")
t0 = time.monotonic()
with concurrent.futures.ThreadPoolExecutor(16) as pool:
    list(pool.map(reference_writes, range(count)))
reference = time.monotonic() - t0
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
                         "--live-addr", "127.0.0.1:0"] + flags, stdout=log, stderr=log)
def cpu_seconds():
    fields = open(f"/proc/{proc.pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
open(f"{d}/operator.pid", "w").write(str(proc.pid))
def ready():
    items = call("GET", "/apis/external-secrets.io/v1/namespaces/bench/externalsecrets")["items"]
    return sum(1 for it in items for c in (it.get("status") or {}).get("conditions", []) if c["type"] == "Ready" and c["status"] == "True")
while ready() < count:
    if time.monotonic() - start > 900: sys.exit("timed out waiting for ExternalSecrets to be Ready")
    time.sleep(0.5)
synced = time.monotonic() - start
cpu = cpu_seconds()
rss = int(re.search(r"VmRSS:\s+(\d+)", open(f"/proc/{proc.pid}/status").read()).group(1))
line = next(l for l in open(f"{d}/operator.log") if "metrics listening" in l)
port = re.search(r"port=(\d+)", line).group(1)
def metric(prefix):
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
    return sum(float(l.split()[-1]) for l in text.splitlines() if l.startswith(prefix))
time.sleep(2)  # let the last status writes' events arrive: reconciles they cause are counted
calls = metric("externalsecret_provider_api_calls_count{")
reconciles = metric('controller_runtime_reconcile_total{controller="externalsecret"')
t0 = time.monotonic()
call("POST", "/apis/external-secrets.io/v1/namespaces/bench/externalsecrets", es("late", "k0"))
while True:
    st = call("GET", "/apis/external-secrets.io/v1/namespaces/bench/externalsecrets/late").get("status") or {}
    if any(c["type"] == "Ready" and c["status"] == "True" for c in st.get("conditions", [])): break
    time.sleep(0.05)
late = time.monotonic() - t0

# A store edit refreshes every ExternalSecret; meanwhile new ones arrive, one per 200 ms.
def is_ready(name):
    st = call("GET", f"/apis/external-secrets.io/v1/namespaces/bench/externalsecrets/{name}").get("status") or {}
    return any(c["type"] == "Ready" and c["status"] == "True" for c in st.get("conditions", []))
syncs_before = metric("externalsecret_sync_calls_total{")
call("PATCH", "/apis/external-secrets.io/v1/namespaces/bench/secretstores/fake",
     {"metadata": {"labels": {"edited": "1"}}, "spec": {"provider": {"fake": {"data": [
         {"key": f"k{i}", "value": json.dumps({"v": f"edited-{i}"})} for i in range(count // 10 + 1)]}}}},
     "application/merge-patch+json")
storm_start = time.monotonic()
waits, pending = [], {}
for i in range(20):
    name = f"storm-new-{i}"
    call("POST", "/apis/external-secrets.io/v1/namespaces/bench/externalsecrets", es(name, "k1"))
    pending[name] = time.monotonic()
    deadline = time.monotonic() + 0.2
    while time.monotonic() < deadline:
        for n in [n for n in pending if is_ready(n)]:
            waits.append(time.monotonic() - pending.pop(n))
        time.sleep(0.02)
while pending and time.monotonic() - storm_start < 900:
    for n in [n for n in pending if is_ready(n)]:
        waits.append(time.monotonic() - pending.pop(n))
    time.sleep(0.05)
while metric("externalsecret_sync_calls_total{") - syncs_before < count + 20 and time.monotonic() - storm_start < 900:
    time.sleep(0.5)
storm = time.monotonic() - storm_start
waits.sort()
pct = lambda q: waits[min(len(waits) - 1, int(q * len(waits)))] if waits else float("nan")

print(f"operator flags                 {' '.join(flags)}")
print(f"plain client, same writes      {reference:.1f} s ({count} Secret creates + {count} patches, 16 in flight)")
print(f"all {count} Ready after         {synced:.1f} s (operator start to last Ready; {synced / reference:.2f} x the plain client)")
print(f"reconciles per ExternalSecret  {reconciles / count:.2f} (initial sync)")
print(f"provider calls                 {int(calls)} for {count} ExternalSecrets reading {count // 10} distinct keys")
print(f"operator CPU                   {cpu:.1f} s ({cpu * 1000 / count:.2f} ms per ExternalSecret)")
print(f"operator resident memory       {rss // 1024} MiB (with 2000 unrelated Secrets in the cluster)")
print(f"a new ExternalSecret Ready in  {late * 1000:.0f} ms")
print(f"store edit storm               {storm:.1f} s to refresh all; 20 new ExternalSecrets meanwhile waited p50 {pct(0.5):.2f} s, p99 {pct(0.99):.2f} s")
proc.terminate(); proc.wait(timeout=30)
PY
