#!/usr/bin/env bash
# Microservices mode on one machine: the event store, tenders and projections
# as three bidtraild processes on loopback, data under var/local/.
#
#   deploy/local/services.sh start    # build if needed, start the three
#   deploy/local/services.sh status   # which are running, where
#   deploy/local/services.sh stop     # stop them gracefully
#
# Then: BIDTRAIL_SERVER=127.0.0.1:50062 bidtrail ...   (commands: tenders)
#       BIDTRAIL_SERVER=127.0.0.1:50063 bidtrail ...   (queries: projections)
#
# Access (docs/security.md): the first start makes you ($BIDTRAIL_ACTOR, else
# $USER) the first admin and a manager of every territory, and saves your
# token for the three addresses; tenders and projections reach the event
# store with a service token. Both tokens are kept in var/local/*.token
# (mode 0600).
set -euo pipefail
cd "$(dirname "$0")/../.."

DIR=var/local
EVENTSTORE_PORT=${EVENTSTORE_PORT:-50061}
TENDERS_PORT=${TENDERS_PORT:-50062}
PROJECTIONS_PORT=${PROJECTIONS_PORT:-50063}
OWN_PARTY_ID=${OWN_PARTY_ID:-us}
SERVICES=(eventstore tenders projections)

running() { [ -f "$DIR/$1.pid" ] && kill -0 "$(cat "$DIR/$1.pid")" 2>/dev/null; }

start_one() {
  local name=$1 port=$2
  shift 2
  if running "$name"; then
    echo "$name already running (pid $(cat "$DIR/$name.pid"))"
    return
  fi
  nohup build/bin/bidtraild --services="$name" --listen="127.0.0.1:$port" "$@" \
    >>"$DIR/$name.log" 2>&1 &
  echo $! >"$DIR/$name.pid"
  for _ in $(seq 1 100); do
    grep -q "bidtraild: serving services=$name address=127.0.0.1:$port" "$DIR/$name.log" 2>/dev/null && break
    running "$name" || break
    sleep 0.1
  done
  running "$name" || { echo "$name did not start:" >&2; tail -n 5 "$DIR/$name.log" >&2; exit 1; }
  echo "$name on 127.0.0.1:$port (pid $(cat "$DIR/$name.pid"), log $DIR/$name.log)"
}

stop_one() {
  local name=$1
  if ! running "$name"; then
    rm -f "$DIR/$name.pid"
    return
  fi
  local pid
  pid=$(cat "$DIR/$name.pid")
  kill -TERM "$pid"
  for _ in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  rm -f "$DIR/$name.pid"
  echo "$name stopped"
}

BIDTRAIL=build/bin/bidtrail
ME="${BIDTRAIL_ACTOR:-${USER:-$(id -un 2>/dev/null || echo admin)}}"

# The first admin and the service token, once per data folder.
set_up_access() {
  local store="127.0.0.1:$EVENTSTORE_PORT"
  if [ ! -s "$DIR/admin.token" ]; then
    local init
    init=$("$BIDTRAIL" --server "$store" auth init "$ME" --json) ||
      { echo "the event store's access is set up, but $DIR/admin.token is missing" >&2; exit 1; }
    (umask 077 && printf '%s\n' "$init" | sed -n 's/.*"token":"\(btk_[^"]*\)".*/\1/p' >"$DIR/admin.token")
    "$BIDTRAIL" --server "$store" --token "$(cat "$DIR/admin.token")" \
      auth grant "$ME" manager --territory '*' >/dev/null
    echo "you are $ME: the first admin, and a manager of every territory (token in $DIR/admin.token)"
  fi
  if [ ! -s "$DIR/service.token" ]; then
    local admin
    admin=$(cat "$DIR/admin.token")
    "$BIDTRAIL" --server "$store" --token "$admin" auth grant local-services service >/dev/null
    (umask 077 && "$BIDTRAIL" --server "$store" --token "$admin" auth token local-services \
      --label "deploy/local/services.sh" | grep -o 'btk_[A-Za-z0-9_-]*' | head -n 1 >"$DIR/service.token")
  fi
}

case "${1:-}" in
  start)
    [ -x build/bin/bidtraild ] || { tools/install-deps && tools/build; }
    mkdir -p "$DIR"
    start_one eventstore "$EVENTSTORE_PORT" --data_dir="$DIR/eventstore"
    set_up_access
    BIDTRAIL_SERVICE_TOKEN=$(cat "$DIR/service.token")
    export BIDTRAIL_SERVICE_TOKEN
    start_one tenders "$TENDERS_PORT" --eventstore="127.0.0.1:$EVENTSTORE_PORT" \
      --own_party_id="$OWN_PARTY_ID"
    start_one projections "$PROJECTIONS_PORT" --eventstore="127.0.0.1:$EVENTSTORE_PORT" \
      --data_dir="$DIR/projections" --own_party_id="$OWN_PARTY_ID" --rates=deploy/local/rates.txt
    # Your token, saved for each address you talk to.
    for port in "$EVENTSTORE_PORT" "$TENDERS_PORT" "$PROJECTIONS_PORT"; do
      "$BIDTRAIL" --server "127.0.0.1:$port" auth login <"$DIR/admin.token" >/dev/null
    done
    ;;
  stop)
    # Clients first, the store last.
    stop_one projections
    stop_one tenders
    stop_one eventstore
    ;;
  status)
    for name in "${SERVICES[@]}"; do
      if running "$name"; then echo "$name running (pid $(cat "$DIR/$name.pid"))"; else echo "$name stopped"; fi
    done
    ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
