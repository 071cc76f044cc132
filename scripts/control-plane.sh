#!/usr/bin/env bash
# A real local Kubernetes control plane for tests and the demo: etcd, kube-apiserver and
# kube-controller-manager (v1.20.2, built by build-kube.sh), all on 127.0.0.1 free ports.
#
#   control-plane.sh up DIR [--owner-pid PID]   start; writes DIR/kubeconfig, DIR/env, DIR/pids
#   control-plane.sh down DIR                    stop every process listed in DIR/pids, by PID
#   control-plane.sh restart-apiserver DIR       kill kube-apiserver and start it again, same port
#
# Servers run in their own sessions and are stopped only by PID. With --owner-pid, a watchdog
# stops them when that process exits, so a crashed test run leaves nothing behind. DIR/env holds SERVER, ETCD_URL, ADMIN_TOKEN and certificate paths.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
log() { echo "control-plane: $*" >&2; }

free_port() {
  "$(command -v python3)" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

stop_pids() {
  local dir="$1" pid
  [[ -f "$dir/pids" ]] || return 0
  # Reverse order: controller-manager, apiserver, then etcd.
  for pid in $(tac "$dir/pids"); do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    local alive=0
    for pid in $(cat "$dir/pids"); do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for pid in $(cat "$dir/pids"); do kill -KILL "$pid" 2>/dev/null || true; done
  rm -f "$dir/pids"
}

# Starts kube-apiserver on port $1 with this directory's keys; prints its PID.
start_apiserver() {
  setsid "$KUBE_BIN/kube-apiserver" \
    --etcd-servers="$ETCD_URL" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$1" --insecure-port=0 \
    --cert-dir="$DIR/serving" \
    --token-auth-file="$DIR/tokens.csv" --client-ca-file="$DIR/client-ca.crt" \
    --authorization-mode=RBAC \
    --enable-admission-plugins=OwnerReferencesPermissionEnforcement \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$DIR/sa.pub" --service-account-signing-key-file="$DIR/sa.key" \
    --api-audiences=https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range=10.0.0.0/24 \
    --enable-priority-and-fairness=false \
    >> "$DIR/kube-apiserver.log" 2>&1 &
  echo $!
}

wait_ready() {
  local url="$1" token="$2" what="$3" pid="$4"
  for _ in $(seq 1 300); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "$what exited during start-up; its log:"; tail -n 30 "$DIR/$what.log" >&2; return 1
    fi
    if curl -fsk -H "Authorization: Bearer $token" "$url" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  log "$what not ready after 30 s; its log:"; tail -n 30 "$DIR/$what.log" >&2
  return 1
}

cmd="${1:-}"; DIR="${2:-}"
[[ -n "$cmd" && -n "$DIR" ]] || { echo "usage: $0 up|down DIR [--owner-pid PID]" >&2; exit 2; }
shift 2
owner_pid=""
while (($#)); do
  case "$1" in
    --owner-pid) owner_pid="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

case "$cmd" in
  down) stop_pids "$DIR"; exit 0 ;;
  restart-apiserver)
    # Kills kube-apiserver (SIGKILL: connections drop as in a crash) and starts it again on the
    # same port with the same certificates; etcd and the controller-manager keep running.
    # shellcheck disable=SC1091
    source "$DIR/env"
    kill -KILL "$APISERVER_PID" 2>/dev/null || true
    while kill -0 "$APISERVER_PID" 2>/dev/null; do sleep 0.1; done
    api_port="${SERVER##*:}"
    new_pid="$(start_apiserver "$api_port")"
    sed -i "s/^${APISERVER_PID}\$/${new_pid}/" "$DIR/pids"
    sed -i "s/^APISERVER_PID=.*/APISERVER_PID=${new_pid}/" "$DIR/env"
    wait_ready "$SERVER/readyz" "$ADMIN_TOKEN" kube-apiserver "$new_pid"
    log "kube-apiserver restarted (pid ${new_pid})"
    exit 0 ;;
  up) ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac

"$here/install-deps.sh" control-plane
KUBE_BIN="$("$here/build-kube.sh")"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
stop_pids "$DIR"
rm -rf "$DIR/etcd-data" "$DIR/serving"
: > "$DIR/pids"

# Keys and certificates: service-account signing key, a client CA (for client-certificate auth)
# and one client certificate in system:masters.
openssl genrsa -out "$DIR/sa.key" 2048 2>/dev/null
openssl rsa -in "$DIR/sa.key" -pubout -out "$DIR/sa.pub" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=local-client-ca" \
  -keyout "$DIR/client-ca.key" -out "$DIR/client-ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=cert-admin" \
  -keyout "$DIR/client-admin.key" -out "$DIR/client-admin.csr" 2>/dev/null
openssl x509 -req -in "$DIR/client-admin.csr" -CA "$DIR/client-ca.crt" -CAkey "$DIR/client-ca.key" \
  -CAcreateserial -days 3650 -out "$DIR/client-admin.crt" 2>/dev/null
ADMIN_TOKEN="$(openssl rand -hex 24)"
echo "${ADMIN_TOKEN},admin,admin-uid,\"system:masters\"" > "$DIR/tokens.csv"

etcd_port="$(free_port)"; peer_port="$(free_port)"; api_port="$(free_port)"
ETCD_URL="http://127.0.0.1:${etcd_port}"

setsid etcd --name local --data-dir "$DIR/etcd-data" \
  --listen-client-urls "$ETCD_URL" --advertise-client-urls "$ETCD_URL" \
  --listen-peer-urls "http://127.0.0.1:${peer_port}" --initial-advertise-peer-urls "http://127.0.0.1:${peer_port}" \
  --initial-cluster "local=http://127.0.0.1:${peer_port}" \
  > "$DIR/etcd.log" 2>&1 &
etcd_pid=$!
echo "$etcd_pid" >> "$DIR/pids"
for _ in $(seq 1 100); do curl -fs "$ETCD_URL/health" >/dev/null 2>&1 && break; sleep 0.1; done

api_pid="$(start_apiserver "$api_port")"
echo "$api_pid" >> "$DIR/pids"
SERVER="https://127.0.0.1:${api_port}"
wait_ready "$SERVER/readyz" "$ADMIN_TOKEN" kube-apiserver "$api_pid"

cat > "$DIR/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: ${SERVER}
    certificate-authority: ${DIR}/serving/apiserver.crt
users:
- name: admin
  user:
    token: ${ADMIN_TOKEN}
- name: cert-admin
  user:
    client-certificate: ${DIR}/client-admin.crt
    client-key: ${DIR}/client-admin.key
contexts:
- name: local
  context: {cluster: local, user: admin, namespace: default}
- name: local-cert
  context: {cluster: local, user: cert-admin, namespace: default}
current-context: local
KUBECONFIG

setsid "$KUBE_BIN/kube-controller-manager" \
  --kubeconfig="$DIR/kubeconfig" \
  --service-account-private-key-file="$DIR/sa.key" --root-ca-file="$DIR/serving/apiserver.crt" \
  --leader-elect=false --port=0 --secure-port=0 --use-service-account-credentials=false \
  --controllers='*,-nodeipam,-nodelifecycle,-attachdetach,-persistentvolume-binder,-persistentvolume-expander,-pv-protection,-pvc-protection,-ttl,-service,-route,-cloud-node-lifecycle,-csrsigning,-csrapproving,-csrcleaner,-bootstrapsigner,-tokencleaner' \
  > "$DIR/kube-controller-manager.log" 2>&1 &
cm_pid=$!
echo "$cm_pid" >> "$DIR/pids"

cat > "$DIR/env" <<ENV
SERVER=${SERVER}
ETCD_URL=${ETCD_URL}
ADMIN_TOKEN=${ADMIN_TOKEN}
KUBECONFIG=${DIR}/kubeconfig
SERVING_CA=${DIR}/serving/apiserver.crt
CLIENT_CERT=${DIR}/client-admin.crt
CLIENT_KEY=${DIR}/client-admin.key
ETCD_PID=${etcd_pid}
APISERVER_PID=${api_pid}
CONTROLLER_MANAGER_PID=${cm_pid}
KUBE_BIN=${KUBE_BIN}
ENV

if [[ -n "$owner_pid" ]]; then
  # The watchdog: stops the servers once the owner is gone. It exits with them.
  export -f stop_pids
  setsid bash -c 'while kill -0 "$1" 2>/dev/null && [[ -f "$2/pids" ]]; do sleep 1; done; stop_pids "$2"' \
    watchdog "$owner_pid" "$DIR" </dev/null >/dev/null 2>&1 &
fi
log "ready at ${SERVER} (kubeconfig ${DIR}/kubeconfig)"
