#!/usr/bin/env bash
# Builds kube-apiserver and kube-controller-manager v1.20.2 from Debian bookworm's
# `kubernetes` source package and caches them under ~/.cache/eso-swift/kube-<version>/.
# A warm machine skips the build. Prints the cache directory on stdout.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-1.20.2}"
# Bump RECIPE when the build steps change, so cached binaries of an older recipe are rebuilt.
RECIPE=2
CACHE_DIR="${HOME}/.cache/eso-swift/kube-${KUBE_VERSION}-r${RECIPE}"

log() { echo "build-kube: $*" >&2; }

if [[ -x "${CACHE_DIR}/kube-apiserver" && -x "${CACHE_DIR}/kube-controller-manager" ]]; then
  echo "${CACHE_DIR}"
  exit 0
fi

"$(dirname "$0")/install-deps.sh" kube-build >&2

SRC_LIST=/etc/apt/sources.list.d/eso-swift-bookworm-src.sources
if ! grep -rqs "deb-src" /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null; then
  log "adding a deb-src entry for bookworm"
  cat > "${SRC_LIST}" <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  apt-get update -qq >&2
fi

mkdir -p "$(dirname "${CACHE_DIR}")"
WORK="$(mktemp -d "$(dirname "${CACHE_DIR}")/kube-src.XXXXXX")"
trap 'rm -rf "${WORK}"' EXIT
cd "${WORK}"
log "fetching the kubernetes source package into ${WORK}"
apt-get source -qq --download-only kubernetes >&2
dpkg-source -x --skip-patches kubernetes_*.dsc src >&2 2>&1 || dpkg-source -x kubernetes_*.dsc src >&2
cd src
# Kubernetes 1.20 vendors modern-go/reflect2 1.0.1, whose map iteration crashes the API server
# (SIGSEGV in mapiterinit) when built with Go >= 1.18. Debian ships the fixed 1.0.2.
rsync -a --delete /usr/share/gocode/src/github.com/modern-go/reflect2/ vendor/github.com/modern-go/reflect2/
log "building kube-apiserver and kube-controller-manager (several minutes on 2 cores)"
mkdir -p .go/src/k8s.io
ln -s ../../.. .go/src/k8s.io/kubernetes
GOPATH="${PWD}/.go" CGO_ENABLED=0 GOFLAGS=-mod=vendor GO111MODULE=off \
  make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" >&2
mkdir -p "${CACHE_DIR}.tmp"
cp _output/local/bin/linux/*/kube-apiserver _output/local/bin/linux/*/kube-controller-manager "${CACHE_DIR}.tmp/" 2>/dev/null \
  || cp _output/bin/kube-apiserver _output/bin/kube-controller-manager "${CACHE_DIR}.tmp/"
rm -rf "${CACHE_DIR}"
mv "${CACHE_DIR}.tmp" "${CACHE_DIR}"
log "cached in ${CACHE_DIR}"
echo "${CACHE_DIR}"
