#!/usr/bin/env bash
# The demo: a real local control plane, the external-secrets binary run against it, then
# everything stopped. Usage: demo.sh PATH-TO-external-secrets
set -euo pipefail
binary="$1"
here="$(cd "$(dirname "$0")" && pwd)"
dir="$(mktemp -d /tmp/eso-swift-demo.XXXXXX)"
trap '"$here/control-plane.sh" down "$dir"; rm -rf "$dir"' EXIT

echo "== starting etcd, kube-apiserver and kube-controller-manager on 127.0.0.1"
"$here/control-plane.sh" up "$dir" --owner-pid $$
export KUBECONFIG="$dir/kubeconfig"

echo "== external-secrets version"
"$binary" version

echo "== external-secrets check-connection (admin token)"
"$binary" check-connection

echo "== external-secrets check-connection (client certificate)"
"$binary" check-connection --context local-cert

echo "== stopping the control plane"
