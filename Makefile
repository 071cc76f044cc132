# Targets a newcomer can guess. Every target installs what it needs first (Debian packages,
# the kube-apiserver build cached under ~/.cache/eso-swift/).

SWIFT ?= swift

.PHONY: all build swift-deps deps test unit-test demo bench chart chart-files image clean

all: build

## Install test and demo dependencies (apt) and build/cache kube-apiserver v1.20.2.
deps:
	scripts/install-deps.sh all
	scripts/build-kube.sh >/dev/null

## What compiling the package needs (libre2-dev for GoCompat's RE2); `deps` includes it.
swift-deps:
	scripts/install-deps.sh swift

build: swift-deps
	$(SWIFT) build

## Every test: unit tests, the Go template oracle, and integration tests against a real
## kube-apiserver + etcd + kube-controller-manager started per suite.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

## Only the tests that need no servers.
unit-test: swift-deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip IntegrationTests

## Start a local control plane, run the operator binary against it, stop everything.
## Built with the same flags as `make test` (tests included), so one after the other compiles
## nothing twice; on a fresh machine the demo's first build takes as long as the tests' build.
demo: deps
	$(SWIFT) build --build-tests
	scripts/demo.sh "$$($(SWIFT) build --show-bin-path)/external-secrets"

## Benchmarks: print their figures (never asserted in tests). SCALE: ExternalSecrets in the
## operator bench (make bench SCALE=10000 runs 2,000 and 10,000 and prints how figures grow).
SCALE ?= 2000
bench: deps
	$(SWIFT) build -c release --product SampleController
	scripts/bench-memory.sh "$$($(SWIFT) build -c release --show-bin-path)" 10000
	$(SWIFT) build -c release --product external-secrets
	scripts/bench-operator.sh "$$($(SWIFT) build -c release --show-bin-path)/external-secrets" 2000 $(SCALE)
	scripts/bench-memory-after-input.sh "$$($(SWIFT) build -c release --show-bin-path)/external-secrets"

## Regenerate the chart's CRDs and RBAC rules (deploy/charts/external-secrets/files) from the Swift types.
chart-files:
	$(SWIFT) run external-secrets manifests chart-files

## The chart's tests only: helm lint --strict and rendering (helm-python-sdk), install on a real API server.
chart: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --filter 'ChartRenderingTests|ChartInstallTests|ChartScopedModeTests|ManifestTests'

## Container image FROM scratch without a daemon (umoci + skopeo): a static release binary,
## .build/image/oci (OCI layout) and .build/image/external-secrets.tar (docker-archive); then its tests.
IMAGE_DIR ?= $(CURDIR)/.build/image
STATIC_FLAGS = -c release -Xswiftc -static-executable
# GOCOMPAT_STATIC_RE2=1: GoCompat links Debian's libre2.a instead of libre2.so (a static image).
image: deps
	scripts/install-deps.sh image
	GOCOMPAT_STATIC_RE2=1 $(SWIFT) build $(STATIC_FLAGS) --product external-secrets
	scripts/build-image.sh "$$(GOCOMPAT_STATIC_RE2=1 $(SWIFT) build $(STATIC_FLAGS) --show-bin-path)/external-secrets" "$(IMAGE_DIR)"
	$(SWIFT) build --build-tests
	IMAGE_DIR="$(IMAGE_DIR)" $(SWIFT) test --skip-build --filter ImageTests

clean:
	rm -rf .build
