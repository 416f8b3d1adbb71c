#!/usr/bin/env bash
# A three-node NATS JetStream cluster on loopback, for bidtraild --log=nats://
# (docs/nats.md). Data under var/nats/<node>/, logs in var/nats/<node>.log.
#
#   deploy/local/nats-cluster.sh start    # start the three nodes (idempotent)
#   deploy/local/nats-cluster.sh status   # which are running, and the client URLs
#   deploy/local/nats-cluster.sh stop     # stop them (their data stays)
#
# Client ports 4222, 4223, 4224 (NATS_PORT_BASE), cluster ports 6222, 6223,
# 6224 (NATS_CLUSTER_PORT_BASE). Then:
#   bidtraild --log=nats://127.0.0.1:4222,nats://127.0.0.1:4223,nats://127.0.0.1:4224
set -euo pipefail
cd "$(dirname "$0")/../.."
# Debian installs nats-server in /usr/sbin, which a user's PATH may lack.
PATH="$PATH:/usr/sbin"

DIR=${NATS_DIR:-var/nats}
CLIENT_BASE=${NATS_PORT_BASE:-4222}
CLUSTER_BASE=${NATS_CLUSTER_PORT_BASE:-6222}
NODES=(n1 n2 n3)

command -v nats-server >/dev/null || {
  echo "nats-server is not installed: tools/install-deps installs it" >&2
  exit 1
}

running() { [ -f "$DIR/$1.pid" ] && kill -0 "$(cat "$DIR/$1.pid")" 2>/dev/null; }

routes() {
  local out="" i
  for i in 0 1 2; do out+="${out:+,}nats-route://127.0.0.1:$((CLUSTER_BASE + i))"; done
  echo "$out"
}

urls() {
  local out="" i
  for i in 0 1 2; do out+="${out:+,}nats://127.0.0.1:$((CLIENT_BASE + i))"; done
  echo "$out"
}

start() {
  mkdir -p "$DIR"
  local i name
  for i in 0 1 2; do
    name=${NODES[$i]}
    if running "$name"; then
      echo "$name already running (pid $(cat "$DIR/$name.pid"))"
      continue
    fi
    mkdir -p "$DIR/$name"
    nohup nats-server --jetstream --store_dir "$DIR/$name" --server_name "$name" \
      --cluster_name bidtrail --addr 127.0.0.1 --port "$((CLIENT_BASE + i))" \
      --cluster "nats://127.0.0.1:$((CLUSTER_BASE + i))" --routes "$(routes)" \
      >>"$DIR/$name.log" 2>&1 &
    echo $! >"$DIR/$name.pid"
  done
  # JetStream is ready once the nodes have elected a meta leader.
  for _ in $(seq 1 100); do
    grep -qh "JetStream cluster new metadata leader\|Self is new JetStream cluster metadata leader" \
      "$DIR"/n*.log 2>/dev/null && break
    sleep 0.1
  done
  status
}

stop() {
  local name
  for name in "${NODES[@]}"; do
    if running "$name"; then
      kill -TERM "$(cat "$DIR/$name.pid")"
      for _ in $(seq 1 100); do running "$name" || break; sleep 0.1; done
      echo "$name stopped"
    fi
    rm -f "$DIR/$name.pid"
  done
}

status() {
  local name
  for name in "${NODES[@]}"; do
    if running "$name"; then
      echo "$name running (pid $(cat "$DIR/$name.pid"))"
    else
      echo "$name stopped"
    fi
  done
  echo "urls: $(urls)"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *)
    sed -n '2,11p' "$0" >&2
    exit 2
    ;;
esac
