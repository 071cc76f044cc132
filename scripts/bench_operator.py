"""The operator bench's driver (see bench-operator.sh for the scenario and what it prints).

bench_operator.py DIR COUNT BINARY FLAGS WRAPPER PHASES RESULTS   one run; appends its figures
                                                                  to RESULTS as a JSON line
bench_operator.py --growth RESULTS                                how figures grow between runs

Everything is observed from outside the operator: Ready and Secret writes through watches on the
API server, API requests per verb and resource from the API server's own metrics, CPU and memory
from /proc. The operator's /metrics is read only for its reconcile, sync and provider-call counts.
"""
import concurrent.futures
import json
import os
import re
import shlex
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.request

GROUP = "/apis/external-secrets.io/v1"
MANAGED = "reconcile.external-secrets.io/managed=true"


class API:
    def __init__(self, d):
        self.env = dict(line.strip().split("=", 1) for line in open(f"{d}/env") if "=" in line)
        self.ctx = ssl.create_default_context(cafile=self.env["SERVING_CA"])

    def request(self, method, path, body=None, ctype="application/json", timeout=60):
        data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.env["SERVER"] + path, data=data, method=method, headers={
            "Authorization": "Bearer " + self.env["ADMIN_TOKEN"], "Content-Type": ctype})
        return urllib.request.urlopen(req, context=self.ctx, timeout=timeout)

    def call(self, method, path, body=None, ctype="application/json"):
        with self.request(method, path, body, ctype) as r:
            return json.loads(r.read() or b"{}")

    def text(self, path):
        with self.request("GET", path) as r:
            return r.read().decode()


class Watch(threading.Thread):
    """Follows a collection with list + watch; calls on_event(type, object, initial) for each."""

    def __init__(self, api, path, on_event):
        super().__init__(daemon=True)
        self.api, self.path, self.on_event = api, path, on_event
        self.synced = threading.Event()

    def run(self):
        sep = "&" if "?" in self.path else "?"
        while True:
            listed = self.api.call("GET", self.path)
            for item in listed.get("items", []):
                self.on_event("ADDED", item, True)
            rv = listed["metadata"]["resourceVersion"]
            self.synced.set()
            try:
                while True:
                    with self.api.request("GET", f"{self.path}{sep}watch=1&allowWatchBookmarks=true&resourceVersion={rv}",
                                          timeout=3600) as stream:
                        for line in stream:
                            event = json.loads(line)
                            obj = event["object"]
                            if event["type"] == "ERROR":
                                raise RuntimeError("watch expired")
                            rv = obj["metadata"]["resourceVersion"]
                            if event["type"] != "BOOKMARK":
                                self.on_event(event["type"], obj, False)
            except Exception as e:
                print(f"bench: watch of {self.path} ended ({e!r}); relisting", file=sys.stderr, flush=True)
                time.sleep(0.2)


def is_ready(obj):
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (obj.get("status") or {}).get("conditions") or [])


class State:
    """What the watches saw: when each ExternalSecret first became Ready, Secret writes."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ready_at = {}
        self.ready = set()
        self.secret_writes = 0

    def on_external_secret(self, kind, obj, initial):
        key = obj["metadata"]["namespace"] + "/" + obj["metadata"]["name"]
        with self.lock:
            if kind != "DELETED" and is_ready(obj):
                self.ready.add(key)
                self.ready_at.setdefault(key, time.monotonic())
            else:
                self.ready.discard(key)

    def on_secret(self, kind, obj, initial):
        if not initial and kind in ("ADDED", "MODIFIED"):
            with self.lock:
                self.secret_writes += 1

    def ready_count(self, prefix=""):
        with self.lock:
            return sum(1 for k in self.ready if k.split("/", 1)[1].startswith(prefix))

    def writes(self):
        with self.lock:
            return self.secret_writes


def apiserver_requests(api):
    """Non-watch requests the API server has answered, by (verb, resource[/subresource])."""
    counts = {}
    for line in api.text("/metrics").splitlines():
        if not line.startswith("apiserver_request_total{"):
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', line))
        if labels.get("verb") in ("WATCH", "CONNECT"):
            continue
        resource = labels.get("resource", "") + ("/" + labels["subresource"] if labels.get("subresource") else "")
        key = (labels.get("verb"), resource)
        counts[key] = counts.get(key, 0) + float(line.split()[-1])
    return counts


def diff(after, before):
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0) > 0}


class Operator:
    running = None  # the operator started last: waits stop when it has exited

    def __init__(self, d, binary, api, flags, wrapper):
        self.d, self.binary, self.api, self.flags, self.wrapper = d, binary, api, flags, wrapper
        self.proc = None
        self.port = None

    def start(self):
        log = open(f"{self.d}/operator.log", "a")
        argv = shlex.split(self.wrapper) + [self.binary, "controller", "--kubeconfig", self.api.env["KUBECONFIG"],
                                            "--metrics-addr", "127.0.0.1:0", "--live-addr", "127.0.0.1:0"] + self.flags
        self.listening_before = self._listening_lines()
        self.proc = subprocess.Popen(argv, stdout=log, stderr=log)
        self.port = None
        Operator.running = self

    def _listening_lines(self):
        try:
            return [l for l in open(f"{self.d}/operator.log") if "metrics listening" in l]
        except FileNotFoundError:
            return []

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=120)

    def cpu_seconds(self):
        fields = open(f"/proc/{self.proc.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_kib(self):
        return int(re.search(r"VmRSS:\s+(\d+)", open(f"/proc/{self.proc.pid}/status").read()).group(1))

    def metric(self, prefix):
        while self.port is None:
            lines = self._listening_lines()
            if len(lines) > len(self.listening_before):
                self.port = re.search(r"port=(\d+)", lines[-1]).group(1)
            elif self.proc.poll() is not None:
                sys.exit(f"the operator exited with status {self.proc.returncode}; see its log")
            else:
                time.sleep(0.1)
        text = urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics").read().decode()
        return sum(float(l.split()[-1]) for l in text.splitlines() if l.startswith(prefix))


def wait_until(what, condition, limit=1800):
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > limit:
            sys.exit(f"timed out after {limit} s waiting for {what}")
        op = Operator.running
        if op is not None and op.proc.poll() is not None and op.proc.returncode not in (0, -signal.SIGTERM):
            sys.exit(f"the operator exited with status {op.proc.returncode} while waiting for {what}; see its log")
        time.sleep(0.1)
    return time.monotonic() - start


def run(d, count, binary, flags, wrapper, phases, results):
    api = API(d)
    pool = concurrent.futures.ThreadPoolExecutor(16)
    text = open(f"{d}/crds.yaml").read()
    for doc in text.split("\n---\n"):
        if any(l.strip() and not l.lstrip().startswith("#") and l.strip() != "---" for l in doc.splitlines()):
            api.call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", doc.encode(), "application/yaml")
    wait_until("the CRDs", lambda: _ok(lambda: api.call("GET", GROUP + "/clustersecretstores")), 60)

    namespaces = [f"bench-{i}" for i in range(max(1, count // 100))]
    keys = max(1, count // 10)
    for ns in namespaces + ["unrelated", "reference"]:
        api.call("POST", "/api/v1/namespaces", {"metadata": {"name": ns}})
    payload = "x" * 2048
    list(pool.map(lambda i: api.call("POST", "/api/v1/namespaces/unrelated/secrets", {
        "metadata": {"name": f"unrelated-{i}"}, "stringData": {"p": payload}}), range(count // 2)))

    # The reference: the same writes from a plain client.
    def reference_writes(i):
        api.call("POST", "/api/v1/namespaces/reference/secrets", {"metadata": {"name": f"s-{i}"}, "stringData": {"v": "value"}})
        api.call("PATCH", f"/api/v1/namespaces/reference/secrets/s-{i}",
                 {"metadata": {"annotations": {"status": "synced"}}}, "application/merge-patch+json")
    t0 = time.monotonic()
    list(pool.map(reference_writes, range(count)))
    reference = time.monotonic() - t0

    def store_data(prefix):
        return [{"key": f"k{i}", "value": json.dumps({"v": f"{prefix}-{i}"})} for i in range(keys)]
    api.call("POST", GROUP + "/clustersecretstores", {
        "apiVersion": "external-secrets.io/v1", "kind": "ClusterSecretStore", "metadata": {"name": "fake"},
        "spec": {"provider": {"fake": {"data": store_data("value")}}}})

    def es(name, key, refresh=None):
        spec = {"secretStoreRef": {"name": "fake", "kind": "ClusterSecretStore"},
                "data": [{"secretKey": "v", "remoteRef": {"key": key, "property": "v"}}]}
        if refresh:
            spec["refreshInterval"] = refresh
        return {"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret", "metadata": {"name": name}, "spec": spec}

    def create(ns, name, key, refresh=None):
        api.call("POST", f"{GROUP}/namespaces/{ns}/externalsecrets", es(name, key, refresh))
    # Key k is read by ExternalSecrets k, k + keys, k + 2 keys ... in as many namespaces.
    list(pool.map(lambda i: create(namespaces[(i // keys) % len(namespaces)], f"es-{i}", f"k{i % keys}"), range(count)))
    print(f"== {count} ExternalSecrets in {len(namespaces)} namespaces reading {keys} keys of one ClusterSecretStore; "
          f"{count // 2} unrelated Secrets")

    state = State()
    watches = [Watch(api, GROUP + "/externalsecrets", state.on_external_secret),
               Watch(api, "/api/v1/secrets?labelSelector=" + MANAGED, state.on_secret)]
    for w in watches:
        w.start()
        w.synced.wait()

    op = Operator(d, binary, api, flags, wrapper)
    requests_before = apiserver_requests(api)
    start = time.monotonic()
    op.start()
    wait_until("every ExternalSecret Ready", lambda: state.ready_count("es-") >= count)
    synced = time.monotonic() - start
    cpu, rss = op.cpu_seconds(), op.rss_kib()
    time.sleep(2)  # the last status writes' watch events arrive; reconciles they cause are counted
    requests = diff(apiserver_requests(api), requests_before)
    figures = {
        "count": count, "reference_s": reference, "ready_s": synced, "ratio": synced / reference,
        "reconciles_per_es": op.metric('controller_runtime_reconcile_total{controller="externalsecret"') / count,
        "api_requests_per_es": sum(requests.values()) / count,
        "provider_calls": op.metric("externalsecret_provider_api_calls_count{"), "distinct_keys": keys,
        "cpu_ms_per_es": cpu * 1000 / count, "rss_mib": rss / 1024,
    }
    by_result = ", ".join(
        f"{result} {op.metric('controller_runtime_reconcile_total{controller=' + chr(34) + 'externalsecret' + chr(34) + ',result=' + chr(34) + result + chr(34)) / count:.2f}"
        for result in ("success", "requeue_after", "error", "terminal_error"))
    lines = [
        f"operator flags                 {' '.join(flags) or '(defaults)'}",
        f"plain client, same writes      {reference:.1f} s ({count} Secret creates + {count} patches, 16 in flight)",
        f"all {count} Ready after{' ' * max(1, 9 - len(str(count)))}{synced:.1f} s (operator start to last Ready; "
        f"{figures['ratio']:.2f} x the plain client)",
        f"reconciles per ExternalSecret  {figures['reconciles_per_es']:.2f} (initial sync; {by_result})",
        f"API requests per ExternalSecret {figures['api_requests_per_es']:.2f}: " + ", ".join(
            f"{verb} {res} {n / count:.2f}" for (verb, res), n in sorted(requests.items(), key=lambda kv: -kv[1])
            if n / count >= 0.01),
        f"provider calls                 {int(figures['provider_calls'])} for {keys} distinct keys",
        f"operator CPU                   {cpu:.1f} s ({figures['cpu_ms_per_es']:.2f} ms per ExternalSecret)",
        f"operator resident memory       {rss // 1024} MiB after the initial sync",
    ]
    for line in lines:
        print(line, flush=True)
    if phases == "sync":
        op.stop()
        return
    if phases == "ces":
        cluster_external_secret(api, pool, state, op, int(os.environ.get("BENCH_CES_NAMESPACES", "1000")))
        op.stop()
        return

    # One new ExternalSecret once everything is synced.
    t0 = time.monotonic()
    create(namespaces[0], "late", "k0")
    late = wait_until("the new ExternalSecret", lambda: state.ready_count("late") >= 1)
    print(f"a new ExternalSecret Ready in  {late * 1000:.0f} ms", flush=True)
    figures["new_ms"] = late * 1000

    # Steady state: 100 ExternalSecrets refreshing every 5 s; two intervals after all are Ready.
    list(pool.map(lambda i: create(namespaces[i % len(namespaces)], f"steady-{i}", f"k{i % keys}", "5s"), range(100)))
    wait_until("the steady ExternalSecrets", lambda: state.ready_count("steady-") >= 100)
    time.sleep(1)
    writes0, syncs0, calls0 = state.writes(), op.metric("externalsecret_sync_calls_total{"), op.metric(
        "externalsecret_provider_api_calls_count{")
    wait_until("two refreshes of the steady ExternalSecrets",
               lambda: op.metric("externalsecret_sync_calls_total{") - syncs0 >= 200, 120)
    steady_writes = state.writes() - writes0
    steady_calls = op.metric("externalsecret_provider_api_calls_count{") - calls0
    print(f"steady state                   {int(op.metric('externalsecret_sync_calls_total{') - syncs0)} refreshes of "
          f"unchanged values: {steady_writes} Secret writes, {int(steady_calls)} provider calls", flush=True)
    figures["steady_writes"] = steady_writes
    list(pool.map(lambda i: api.call("DELETE", f"{GROUP}/namespaces/{namespaces[i % len(namespaces)]}/externalsecrets/steady-{i}"),
                  range(100)))

    # Restart with everything synced: nothing is due, so no provider calls and no writes.
    op.stop()
    writes0 = state.writes()
    t0 = time.monotonic()
    op.start()
    wait_until("every ExternalSecret looked at after the restart",
               lambda: _ok(lambda: op.metric('controller_runtime_reconcile_total{controller="externalsecret"') >= count + 1))
    restart = time.monotonic() - t0
    time.sleep(2)
    restart_calls = op.metric("externalsecret_provider_api_calls_count{")
    restart_writes = state.writes() - writes0
    print(f"restart, everything synced     all looked at in {restart:.1f} s: {int(restart_calls)} provider calls, "
          f"{restart_writes} Secret writes", flush=True)
    figures.update(restart_s=restart, restart_calls=restart_calls, restart_writes=restart_writes)

    # A store edit refreshes every ExternalSecret; meanwhile 50 new ones arrive, one per 200 ms.
    syncs0 = op.metric("externalsecret_sync_calls_total{")
    api.call("PATCH", GROUP + "/clustersecretstores/fake",
             {"metadata": {"labels": {"edited": "1"}}, "spec": {"provider": {"fake": {"data": store_data("edited")}}}},
             "application/merge-patch+json")
    storm_start = time.monotonic()
    created = {}
    for i in range(50):
        created[f"{namespaces[i % len(namespaces)]}/storm-new-{i}"] = time.monotonic()
        create(namespaces[i % len(namespaces)], f"storm-new-{i}", "k1")
        time.sleep(0.2)
    wait_until("the new ExternalSecrets", lambda: state.ready_count("storm-new-") >= 50)
    wait_until("the storm's refreshes", lambda: op.metric("externalsecret_sync_calls_total{") - syncs0 >= count + 1 + 50)
    storm = time.monotonic() - storm_start
    with state.lock:
        waits = sorted(state.ready_at[k] - t for k, t in created.items())
    pct = lambda q: waits[min(len(waits) - 1, int(q * len(waits)))]
    print(f"store edit storm               {storm:.1f} s to refresh all; 50 new ExternalSecrets meanwhile waited "
          f"p50 {pct(0.5):.2f} s, p99 {pct(0.99):.2f} s", flush=True)
    figures.update(storm_s=storm, storm_new_p50_s=pct(0.5), storm_new_p99_s=pct(0.99))

    # One ClusterExternalSecret on the ClusterSecretStore across many namespaces, reading 10 keys.
    figures.update(cluster_external_secret(api, pool, state, op, int(os.environ.get("BENCH_CES_NAMESPACES", "1000"))))
    op.stop()
    with open(results, "a") as f:
        f.write(json.dumps(figures) + "\n")


def cluster_external_secret(api, pool, state, op, namespaces):
    """Labels `namespaces` new namespaces, creates one ClusterExternalSecret selecting them and waits
    until each has its ExternalSecret Ready. Prints and returns: time to all Ready, provider calls
    (the goal: the 10 distinct keys, whatever the number of namespaces), the operator's API writes,
    and resident memory growth per namespace."""
    names = [f"ces-{i}" for i in range(namespaces)]
    list(pool.map(lambda ns: api.call("POST", "/api/v1/namespaces", {"metadata": {"name": ns, "labels": {"bench-ces": "yes"}}}),
                  names))
    time.sleep(2)  # the operator's namespace watch has seen them (they are no part of the figures)
    rss0, calls0, secret_writes0 = op.rss_kib(), op.metric("externalsecret_provider_api_calls_count{"), state.writes()
    requests0 = apiserver_requests(api)
    start = time.monotonic()
    api.call("POST", "/apis/external-secrets.io/v1/clusterexternalsecrets", {
        "apiVersion": "external-secrets.io/v1", "kind": "ClusterExternalSecret", "metadata": {"name": "bench"},
        "spec": {"externalSecretName": "ces-target", "refreshTime": "1h",
                 "namespaceSelectors": [{"matchLabels": {"bench-ces": "yes"}}],
                 "externalSecretSpec": {
                     "refreshInterval": "1h", "secretStoreRef": {"name": "fake", "kind": "ClusterSecretStore"},
                     "data": [{"secretKey": f"v{k}", "remoteRef": {"key": f"k{k}", "property": "v"}} for k in range(10)]}}})
    took = wait_until("the ClusterExternalSecret's ExternalSecrets", lambda: state.ready_count("ces-target") >= namespaces)
    time.sleep(2)
    calls = op.metric("externalsecret_provider_api_calls_count{") - calls0
    # The operator's writes: its kinds, their status, Events, and the managed Secrets (seen by the
    # watch); the controller-manager's writes into the new namespaces (ServiceAccounts, their
    # token Secrets, kube-root-ca.crt) are not counted.
    own = {"externalsecrets", "externalsecrets/status", "clusterexternalsecrets", "clusterexternalsecrets/status", "events"}
    writes = sum(n for (verb, resource), n in diff(apiserver_requests(api), requests0).items()
                 if verb in ("POST", "PUT", "PATCH", "DELETE") and resource in own) - 1  # less the bench's own create
    writes += state.writes() - secret_writes0
    growth_kib = (op.rss_kib() - rss0) / namespaces
    print(f"ClusterExternalSecret          {namespaces} namespaces Ready in {took:.1f} s: {int(calls)} provider calls "
          f"for 10 distinct keys, {int(writes)} API writes ({writes / namespaces:.2f} per namespace), "
          f"memory +{growth_kib:.1f} KiB per namespace", flush=True)
    return {"ces_namespaces": namespaces, "ces_ready_s": took, "ces_provider_calls": calls,
            "ces_writes_per_namespace": writes / namespaces, "ces_kib_per_namespace": growth_kib}


def _ok(f):
    try:
        return bool(f())
    except Exception:
        return False


def growth(results):
    runs = [json.loads(l) for l in open(results) if l.strip()]
    if len(runs) < 2:
        return
    a, b = runs[0], runs[-1]
    k = b["count"] / a["count"]
    print(f"== growth from {a['count']} to {b['count']} ExternalSecrets (x{k:g} objects; linear = x{k:g} for totals, "
          f"x1 for per-object figures)")
    for name, label in [("reference_s", "plain client time"), ("ready_s", "time to all Ready"), ("ratio", "ratio to the plain client"),
                        ("reconciles_per_es", "reconciles per ExternalSecret"), ("api_requests_per_es", "API requests per ExternalSecret"),
                        ("provider_calls", "provider calls"), ("cpu_ms_per_es", "CPU per ExternalSecret"), ("rss_mib", "resident memory"),
                        ("new_ms", "a new ExternalSecret"), ("restart_s", "restart, all looked at"), ("storm_s", "store edit storm"),
                        ("storm_new_p99_s", "new objects' p99 in the storm"),
                        ("ces_ready_s", "ClusterExternalSecret, all Ready"), ("ces_provider_calls", "its provider calls"),
                        ("ces_kib_per_namespace", "its memory per namespace")]:
        if name in a and name in b and a[name]:
            print(f"{label:32} {a[name]:10.2f} -> {b[name]:10.2f}  (x{b[name] / a[name]:.2f})")


if __name__ == "__main__":
    if sys.argv[1] == "--growth":
        growth(sys.argv[2])
    else:
        d, count, binary, flags, wrapper, phases, results = sys.argv[1:8]
        run(d, int(count), binary, flags.split(), wrapper, phases, results)
