#!/usr/bin/env bash
# The operator at scale, on a real control plane. For each COUNT: COUNT ExternalSecrets in
# COUNT/100 namespaces reading COUNT/10 distinct keys of one fake ClusterSecretStore, next to
# COUNT/2 unrelated 2 KiB Secrets. Prints, per COUNT:
#   - a plain client's time for the same writes (one Secret create and one patch per object,
#     16 requests in flight), measured in the same run: the reference;
#   - operator start → every ExternalSecret Ready, and its ratio to the reference;
#   - reconciles and Kubernetes API requests per ExternalSecret, provider calls against distinct
#     keys, operator CPU per ExternalSecret and resident memory after the initial sync;
#   - how long one new ExternalSecret then takes to be Ready;
#   - steady state: 100 ExternalSecrets refreshing every 5 s, two intervals: Secret writes;
#   - restart with everything synced: provider calls and Secret writes until all were looked at;
#   - a store edit that refreshes everything while 50 new ExternalSecrets arrive, one per 200 ms:
#     how long the storm takes and how long the new ones wait;
#   - one ClusterExternalSecret (10 keys) across BENCH_CES_NAMESPACES (default 1000) new namespaces:
#     time to all Ready, provider calls (goal: 10), API writes and memory growth per namespace.
# With several COUNTs it ends with how each figure grows between the first and the last.
# Figures are printed, never asserted.
#
# Usage: bench-operator.sh PATH-TO-external-secrets COUNT [COUNT ...]
# Environment:
#   BENCH_FLAGS    the operator's flags (default: none, the operator's defaults)
#   BENCH_WRAPPER  a command the operator runs under, e.g.
#                  "valgrind --tool=callgrind --callgrind-out-file=/tmp/op.callgrind"
#   BENCH_PHASES   "all" (default), "sync" (stop after the initial sync; for profiling) or "ces"
#                  (the initial sync, then only the ClusterExternalSecret case)
set -euo pipefail
binary="$1"; shift
# Each count once, smallest first (growth is printed from the first to the last).
mapfile -t counts < <(printf '%s\n' "${@:-1000}" | sort -n -u)
here="$(cd "$(dirname "$0")" && pwd)"
results="$(mktemp /tmp/eso-swift-bench-results.XXXXXX)"
trap 'rm -f "$results"' EXIT

run_one() {
  local count="$1"
  local dir; dir="$(mktemp -d /tmp/eso-swift-bench-op.XXXXXX)"
  # The control plane stops with this subshell (--owner-pid), even if python is killed.
  (
    trap 'cp "$dir/operator.log" "/tmp/eso-swift-bench-operator-$count.log" 2>/dev/null; "$here/control-plane.sh" down "$dir"; rm -rf "$dir"' EXIT
    "$here/control-plane.sh" up "$dir" --owner-pid $BASHPID 2>/dev/null
    "$binary" manifests crds > "$dir/crds.yaml"
    python3 "$here/bench_operator.py" "$dir" "$count" "$binary" "${BENCH_FLAGS:-}" \
      "${BENCH_WRAPPER:-}" "${BENCH_PHASES:-all}" "$results"
  )
}

for count in "${counts[@]}"; do run_one "$count"; done
if (( ${#counts[@]} > 1 )); then python3 "$here/bench_operator.py" --growth "$results"; fi
