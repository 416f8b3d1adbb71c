#!/usr/bin/env bash
# End to end, as a user: the customer notebook (and quotas with the weekly
# review) on one bidtraild (all
# services, the log and the key store in one data folder), driven through
# the CLI. A contact added, met on a tender, noted, covered; the roles; a
# backup; then forgotten on request: every view says erased, `verify`
# passes, and after a restart no file of the data folder holds the name,
# the phone number or the note. A key store restored from the older backup
# loses the forgotten key again at start.
set -euo pipefail

BIN="${BIDTRAIL_BIN_DIR:?set BIDTRAIL_BIN_DIR to build/bin}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bidtrail-notebook-XXXXXX")
PID=""
cleanup() {
  [ -n "$PID" ] && { kill -9 "$PID" && wait "$PID"; } 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  echo "--- server log" >&2
  tail -n 30 "$WORK/server.log" >&2 || true
  exit 1
}

DATA="$WORK/data"
start() {
  rm -f "$WORK/port"
  "$BIN/bidtraild" --services=all --listen=127.0.0.1:0 --port_file="$WORK/port" \
    --data_dir="$DATA" --own_party_id=us >>"$WORK/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 600); do
    [ -s "$WORK/port" ] && break
    kill -0 "$PID" 2>/dev/null || fail "bidtraild exited at start"
    sleep 0.05
  done
  [ -s "$WORK/port" ] || fail "bidtraild did not start"
  export BIDTRAIL_SERVER="127.0.0.1:$(cat "$WORK/port")"
}
stop() {
  kill -TERM "$PID"
  wait "$PID" 2>/dev/null || true
  PID=""
}

NAME="Zhang Wenjing"
PHONE="+86 871 6315 2741"
NOTE="keeps a garden of orchids in Kunming"

export XDG_CONFIG_HOME="$WORK/config"
start
bt() { "$BIN/bidtrail" "$@"; }
token_of() { sed -n 's/^  \(btk_.*\)$/\1/p'; }
ROOT=$(bt auth init root | token_of)
[ -n "$ROOT" ] || fail "auth init"
export BIDTRAIL_TOKEN="$ROOT"
bt auth grant alice bidder --territory north >/dev/null
bt auth grant sam bidder --territory south >/dev/null
bt auth grant ann analyst >/dev/null
ALICE=$(bt auth token alice | token_of)
SAM=$(bt auth token sam | token_of)
ANN=$(bt auth token ann | token_of)
as() { local token=$1; shift; BIDTRAIL_TOKEN="$token" "$BIN/bidtrail" "$@"; }

as "$ALICE" tender discover NB-1 --title "Substation monitoring" --buyer "BUR-1:North bureau" \
  --territory north --submission-deadline "$(date -u -d '+20 days' +%Y-%m-%dT%H:%M:%SZ)" \
  >/dev/null || fail "tender discover"

# Mistakes people make: a clear error, nothing recorded.
HEAD_BEFORE=$(bt verify --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["records_checked"])')
if as "$ALICE" contact add BUR-1 --name "$NAME" --role cto 2>"$WORK/err"; then fail "role cto accepted"; fi
grep -q 'role' "$WORK/err" || fail "bad role: $(cat "$WORK/err")"
if as "$ALICE" contact add BUR-1 --name "$NAME" --role executive --phone "ask reception" 2>"$WORK/err"; then
  fail "a phone without digits accepted"
fi
grep -q 'phone: only digits' "$WORK/err" || fail "bad phone: $(cat "$WORK/err")"
grep -q 'reception' "$WORK/err" && fail "the error quotes personal data: $(cat "$WORK/err")"
if as "$ALICE" contact add BUR-1 --name "$NAME" --role executive --territory south 2>"$WORK/err"; then
  fail "alice recorded in south"
fi
grep -q 'PERMISSION_DENIED' "$WORK/err" || fail "territory: $(cat "$WORK/err")"
HEAD_AFTER=$(bt verify --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["records_checked"])')
[ "$HEAD_BEFORE" = "$HEAD_AFTER" ] || fail "a refused command appended ($HEAD_BEFORE -> $HEAD_AFTER)"

# alice keeps her notebook (her one territory is the default).
as "$ALICE" contact add BUR-1 --name "$NAME" --role technical-staff --phone "$PHONE" \
  --department "Information Centre" >"$WORK/added.txt" || fail "contact add"
ID=$(grep -o 'ct-[0-9a-f]\{16\}' "$WORK/added.txt" | head -n 1)
[ -n "$ID" ] || fail "no contact id in: $(cat "$WORK/added.txt")"
as "$ALICE" contact note "$ID" "$NOTE" >/dev/null || fail "contact note"
as "$ALICE" activity log NB-1 --contact-id "$ID" --kind technical-exchange --notes "demo" \
  >/dev/null || fail "activity log --contact-id"
as "$ALICE" contact show "$ID" >"$WORK/show.txt" || fail "contact show"
grep -q "$NAME" "$WORK/show.txt" && grep -q "$PHONE" "$WORK/show.txt" && grep -q "$NOTE" "$WORK/show.txt" ||
  fail "contact show: $(cat "$WORK/show.txt")"
grep -q "NB-1" "$WORK/show.txt" || fail "the meeting is not shown: $(cat "$WORK/show.txt")"
as "$ALICE" contact coverage BUR-1 >"$WORK/coverage.txt" || fail "contact coverage"
grep -q "no one in executive known" "$WORK/coverage.txt" || fail "coverage: $(cat "$WORK/coverage.txt")"
as "$ALICE" timeline NB-1 >"$WORK/timeline.txt" || fail "timeline"
grep -q "$NAME" "$WORK/timeline.txt" && fail "the timeline shows the name in clear"

# The roles: sam (south) and ann (analyst) do not read north's notebook.
if as "$SAM" contact show "$ID" 2>"$WORK/err"; then fail "sam read north's contact"; fi
grep -q 'PERMISSION_DENIED' "$WORK/err" || fail "sam: $(cat "$WORK/err")"
if as "$ANN" contact list 2>"$WORK/err"; then fail "an analyst read the notebook"; fi
grep -q 'not for analysts' "$WORK/err" || fail "ann: $(cat "$WORK/err")"

# Quotas are set by managers and admins; the weekly review shows them.
if as "$ALICE" quota set --team north-team --quarter "$(date -u +%Y)-Q1" --amount "1000 CNY" \
  2>"$WORK/err"; then
  fail "a bidder set a quota"
fi
grep -q 'needs manager or admin' "$WORK/err" || fail "quota: $(cat "$WORK/err")"
QUARTER="$(date -u +%Y)-Q$(( ($(date -u +%-m) - 1) / 3 + 1 ))"
bt quota set --team north-team --quarter "$QUARTER" --amount "5,000,000 CNY" >/dev/null ||
  fail "quota set"
as "$ALICE" tender discover NB-3 --title "Relays" --buyer "BUR-1:North bureau" --territory north \
  --team north-team --estimated "2,000,000 CNY" \
  --submission-deadline "$(date -u -d '+10 days' +%Y-%m-%dT%H:%M:%SZ)" >/dev/null ||
  fail "tender discover NB-3"
bt review --json >"$WORK/review.json" || fail "review"
/usr/bin/python3 - "$WORK/review.json" <<'PY' || fail "review: $(cat "$WORK/review.json")"
import json, sys
review = json.load(open(sys.argv[1]))
team = [g for g in review["groups"] if g["kind"] == "team" and g["name"] == "north-team"][0]
assert team["quota"] == "5000000.00", team
assert team["new_tenders"] == 1, team
assert sum(s["tenders"] for s in team["pipeline"]) == 1, team
alice = [g for g in review["groups"] if g["kind"] == "representative" and g["name"] == "alice"]
assert alice and alice[0]["new_tenders"] >= 1, review["groups"]
PY
if as "$ALICE" review --rep sam 2>"$WORK/err"; then fail "alice reviewed sam's week"; fi
grep -q "reviews only its own week" "$WORK/err" || fail "review --rep: $(cat "$WORK/err")"
as "$ALICE" review >/dev/null || fail "alice's own review"

# A backup holds the log and, beside it, the keys.
bt backup before-forget >/dev/null || fail "backup"
[ -f "$DATA/backups/before-forget.keys/$ID.key" ] || fail "the backup has no keys"

# Never in clear, even before forgetting.
if grep -r -a -l -F "$NAME" "$DATA" >"$WORK/found.txt"; then
  fail "the name in clear before forgetting: $(cat "$WORK/found.txt")"
fi

# Forgotten on request.
if as "$ALICE" contact forget "$ID" 2>"$WORK/err"; then fail "forget without a reason"; fi
as "$ALICE" contact forget "$ID" --reason "erasure request 2026-114" >"$WORK/forget.txt" ||
  fail "contact forget"
[ -f "$DATA/keys/$ID.key" ] && fail "the key is still there"
as "$ALICE" contact show "$ID" >"$WORK/show.txt" || fail "contact show after forget"
grep -q "(erased)" "$WORK/show.txt" && grep -q "erasure request 2026-114" "$WORK/show.txt" ||
  fail "show after forget: $(cat "$WORK/show.txt")"
grep -q -e "$NAME" -e "$PHONE" -e "$NOTE" "$WORK/show.txt" && fail "personal data shown after forget"
as "$ALICE" contact list --all >"$WORK/list.txt" || fail "contact list --all"
grep -q "erased" "$WORK/list.txt" || fail "list after forget: $(cat "$WORK/list.txt")"
if as "$ALICE" contact note "$ID" "more" 2>"$WORK/err"; then fail "a note on a forgotten contact"; fi
bt verify >"$WORK/verify.txt" || fail "verify after forget: $(cat "$WORK/verify.txt")"

# After a restart, with the older backup's key store copied back: the key
# is destroyed again at start, and no file holds the personal data.
stop
cp "$DATA/backups/before-forget.keys/$ID.key" "$DATA/keys/$ID.key"
rm -rf "$DATA/backups/before-forget.keys"
start
for _ in $(seq 1 200); do
  grep -q "notebook read" "$WORK/server.log" && [ ! -f "$DATA/keys/$ID.key" ] && break
  sleep 0.05
done
[ -f "$DATA/keys/$ID.key" ] && fail "the restored key survived the start"
as "$ALICE" contact show "$ID" >"$WORK/show.txt" || fail "contact show after restart"
grep -q "(erased)" "$WORK/show.txt" || fail "show after restart: $(cat "$WORK/show.txt")"
bt verify >/dev/null || fail "verify after restart"
bt rebuild >/dev/null || fail "rebuild after forget"
stop
for personal in "$NAME" "$PHONE" "$NOTE"; do
  if grep -r -a -l -F "$personal" "$DATA" >"$WORK/found.txt"; then
    fail "\"$personal\" is still readable in: $(cat "$WORK/found.txt")"
  fi
done

# Split: the event store (with the notebook and its keys) and tenders in two
# processes; an activity recorded through tenders names a contact kept by the
# event store's process, checked against the log by a keyless fold.
SPLIT="$WORK/split"
"$BIN/bidtraild" --services=eventstore --listen=127.0.0.1:0 --port_file="$WORK/store.port" \
  --data_dir="$SPLIT" >>"$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 600); do [ -s "$WORK/store.port" ] && break; sleep 0.05; done
STORE="127.0.0.1:$(cat "$WORK/store.port")"
unset BIDTRAIL_TOKEN
ROOT2=$(BIDTRAIL_SERVER="$STORE" "$BIN/bidtrail" auth init root | token_of)
s2() { BIDTRAIL_SERVER="$STORE" BIDTRAIL_TOKEN="$ROOT2" "$BIN/bidtrail" "$@"; }
s2 auth grant root manager --territory '*' >/dev/null
s2 auth grant tenders-svc service >/dev/null
SERVICE=$(s2 auth token tenders-svc | token_of)
BIDTRAIL_SERVICE_TOKEN="$SERVICE" "$BIN/bidtraild" --services=tenders --listen=127.0.0.1:0 \
  --port_file="$WORK/tenders.port" --eventstore="$STORE" >>"$WORK/server.log" 2>&1 &
TENDERS_PID=$!
for _ in $(seq 1 600); do [ -s "$WORK/tenders.port" ] && break; sleep 0.05; done
t2() { BIDTRAIL_SERVER="127.0.0.1:$(cat "$WORK/tenders.port")" BIDTRAIL_TOKEN="$ROOT2" "$BIN/bidtrail" "$@"; }
t2 tender discover NB-2 --title "Metering" --buyer "BUR-9:South bureau" --territory south \
  >/dev/null || { kill -9 "$TENDERS_PID"; fail "split: tender discover"; }
SPLIT_ID=$(s2 contact add BUR-9 --name "Li Na" --role procurement --territory south |
  grep -o 'ct-[0-9a-f]\{16\}' | head -n 1)
[ -n "$SPLIT_ID" ] || { kill -9 "$TENDERS_PID"; fail "split: contact add"; }
t2 activity log NB-2 --contact-id "$SPLIT_ID" --json >"$WORK/split.json" ||
  { kill -9 "$TENDERS_PID"; fail "split: activity log: $(cat "$WORK/split.json")"; }
if t2 activity log NB-2 --contact-id ct-00000000000000ff 2>"$WORK/err"; then
  kill -9 "$TENDERS_PID"
  fail "split: an unknown contact was accepted"
fi
grep -q "not in the notebook" "$WORK/err" || { kill -9 "$TENDERS_PID"; fail "split: $(cat "$WORK/err")"; }
s2 contact show "$SPLIT_ID" | grep -q "NB-2" || { kill -9 "$TENDERS_PID"; fail "split: no meeting"; }
kill -TERM "$TENDERS_PID"
wait "$TENDERS_PID" 2>/dev/null || true
stop
echo "notebook e2e: ok"
