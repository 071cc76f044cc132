#!/usr/bin/env bash
# Builds the operator's container image FROM scratch, without a container daemon: Debian's umoci
# writes an OCI image layout, skopeo copies it into a docker-archive tarball (`docker load`,
# `kind load image-archive`, `ctr images import` take it). Nothing is pulled or downloaded.
#
#   build-image.sh BINARY OUT_DIR [VERSION] [REVISION]
#
# The image holds the (statically linked) BINARY as /bin/external-secrets, /etc/passwd and
# /etc/group with the user nonroot (65532:65532) it runs as, /etc/nsswitch.conf, and Debian's CA
# certificates bundle.
# Writes OUT_DIR/oci (OCI layout, tag VERSION) and OUT_DIR/external-secrets.tar (docker-archive,
# named $IMAGE_NAME:VERSION); prints their sizes.
#
# Host names (kubernetes.default.svc, vault.vault.svc, AWS endpoints): AsyncHTTPClient resolves
# them with swift-nio's GetaddrinfoResolver, that is glibc's getaddrinfo, linked into BINARY.
# Since glibc 2.34 the NSS services `files` and `dns` are part of libc itself, libc.a included,
# so the static binary needs no libnss_*.so: it reads /etc/hosts and /etc/resolv.conf, which the
# kubelet mounts into every container, and asks the cluster's DNS server itself. (An older glibc
# would dlopen libnss_files.so.2 and libnss_dns.so.2 at run time, which a FROM scratch image does
# not have, and every name would fail to resolve: such a build is refused below.) The image's
# /etc/nsswitch.conf fixes the order to `files dns`, as distroless images do: without the file the
# order is the libc's compiled-in default, and upstream glibc's is `dns [!UNAVAIL=return] files`,
# under which a cluster DNS answering NXDOMAIN hides /etc/hosts (localhost, the pod's hostAliases).
# The image tests resolve the API server through /etc/hosts and through a DNS server (dnsmasq)
# with the kubelet's search list, and OpenBao as localhost.
set -euo pipefail

binary="${1:?usage: build-image.sh BINARY OUT_DIR [VERSION] [REVISION]}"
out="${2:?usage: build-image.sh BINARY OUT_DIR [VERSION] [REVISION]}"
root="$(cd "$(dirname "$0")/.." && pwd)"
version="${3:-$(sed -n 's/.*static let current = "\(.*\)".*/\1/p' "$root/Sources/ExternalSecretsCLI/ExternalSecretsCommand.swift")}"
revision="${4:-$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)}"
name="${IMAGE_NAME:-ghcr.io/external-secrets-swift/external-secrets}"
source_url="${IMAGE_SOURCE:-https://github.com/external-secrets-swift/external-secrets}"
# The repository declares no licence yet: SPDX's NOASSERTION says so until IMAGE_LICENSES is set.
licenses="${IMAGE_LICENSES:-NOASSERTION}"
ca_bundle=/etc/ssl/certs/ca-certificates.crt

for tool in umoci skopeo; do
  command -v "$tool" >/dev/null || { echo "build-image: $tool missing (scripts/install-deps.sh image)" >&2; exit 1; }
done
[[ -x "$binary" ]] || { echo "build-image: no executable at $binary" >&2; exit 1; }
[[ -f "$ca_bundle" ]] || { echo "build-image: no CA bundle at $ca_bundle (ca-certificates)" >&2; exit 1; }
glibc="$(getconf GNU_LIBC_VERSION | awk '{print $2}')"
if [[ "$(printf '%s\n' 2.34 "$glibc" | sort -V | head -n 1)" != 2.34 ]]; then
  echo "build-image: glibc $glibc links NSS modules dynamically; a static image needs glibc >= 2.34 (see above)" >&2
  exit 1
fi
if ldd "$binary" >/dev/null 2>&1; then
  echo "build-image: $binary is dynamically linked; a FROM scratch image needs a static executable" >&2
  exit 1
fi

rm -rf "$out/oci" "$out/bundle" "$out/external-secrets.tar"
mkdir -p "$out"
umoci init --layout "$out/oci"
umoci new --image "$out/oci:$version"
umoci unpack --image "$out/oci:$version" "$out/bundle" >/dev/null

rootfs="$out/bundle/rootfs"
install -d -m 0755 "$rootfs/bin" "$rootfs/etc/ssl/certs"
install -d -m 1777 "$rootfs/tmp"
# Debug information stays out of the image (the build keeps it in BINARY).
strip --strip-all -o "$rootfs/bin/external-secrets" "$binary"
chmod 0755 "$rootfs/bin/external-secrets"
stripped_size=$(stat -c %s "$rootfs/bin/external-secrets")
install -m 0644 "$ca_bundle" "$rootfs/etc/ssl/certs/ca-certificates.crt"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' \
  > "$rootfs/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' > "$rootfs/etc/group"
# Only the services built into the static libc (see the top of this script).
printf 'passwd: files\ngroup: files\nhosts: files dns\n' > "$rootfs/etc/nsswitch.conf"
chmod 0644 "$rootfs/etc/passwd" "$rootfs/etc/group" "$rootfs/etc/nsswitch.conf"

umoci repack --image "$out/oci:$version" "$out/bundle" >/dev/null
rm -rf "$out/bundle"
created="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
umoci config --image "$out/oci:$version" \
  --os linux --architecture amd64 --author "external-secrets-swift" \
  --config.user 65532:65532 \
  --config.entrypoint /bin/external-secrets \
  --config.workingdir / \
  --config.env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
  --config.label "org.opencontainers.image.title=external-secrets" \
  --config.label "org.opencontainers.image.description=External Secrets Operator in Swift" \
  --config.label "org.opencontainers.image.version=$version" \
  --config.label "org.opencontainers.image.revision=$revision" \
  --config.label "org.opencontainers.image.source=$source_url" \
  --config.label "org.opencontainers.image.licenses=$licenses" \
  --config.label "org.opencontainers.image.created=$created" \
  --manifest.annotation "org.opencontainers.image.version=$version" \
  --manifest.annotation "org.opencontainers.image.revision=$revision" \
  --manifest.annotation "org.opencontainers.image.source=$source_url"
umoci gc --layout "$out/oci"

skopeo copy --quiet "oci:$out/oci:$version" "docker-archive:$out/external-secrets.tar:$name:$version"

compressed=$(skopeo inspect --raw "oci:$out/oci:$version" | python3 -c 'import json,sys; m=json.load(sys.stdin); print(sum(l["size"] for l in m["layers"]) + m["config"]["size"])')
echo "image $name:$version"
echo "  oci layout:      $out/oci (tag $version)"
echo "  docker-archive:  $out/external-secrets.tar ($(stat -c %s "$out/external-secrets.tar") bytes)"
echo "  compressed:      $compressed bytes (layers + config)"
echo "  binary:          $(stat -c %s "$binary") bytes as built, ${stripped_size} in the image (stripped)"
