#!/usr/bin/env bash
# Memory of a controller's cache: the sample controller lists and watches COUNT labelled
# ConfigMaps (2 KiB of data each) and exits once its cache has synced; /usr/bin/time -v reports
# its maximum resident set size. Run once caching full objects and once metadata only.
# Usage: bench-memory.sh BIN-DIR [COUNT]
set -euo pipefail
bin="$1/SampleController"
count="${2:-10000}"
here="$(cd "$(dirname "$0")" && pwd)"
"$here/install-deps.sh" bench
dir="$(mktemp -d /tmp/eso-swift-bench.XXXXXX)"
trap '"$here/control-plane.sh" down "$dir"; rm -rf "$dir"' EXIT
"$here/control-plane.sh" up "$dir" --owner-pid $$ 2>/dev/null
kubeconfig="$dir/kubeconfig"

echo "== creating ${count} labelled ConfigMaps"
"$bin" seed --kubeconfig "$kubeconfig" --namespace bench --count "$count" --bytes 2048

measure() {
  local label="$1"; shift
  /usr/bin/time -v "$bin" run --kubeconfig "$kubeconfig" --namespace bench --exit-when-synced "$@" \
    > "$dir/out.txt" 2> "$dir/time.txt"
  local rss
  rss="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$dir/time.txt")"
  printf '%-28s %s, max RSS %d MiB (%s KiB)\n' "$label" "$(cat "$dir/out.txt")" "$((rss / 1024))" "$rss"
}

echo "== cache of ${count} objects"
measure "full objects:"
measure "metadata only:" --metadata-only
