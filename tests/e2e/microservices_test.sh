#!/usr/bin/env bash
# End to end, as a user: the event store, tenders and projections as three
# bidtraild processes on loopback (microservices mode), driven through the
# bidtrail CLI. A full tender lifecycle with deadlines and win rate checked;
# kill -9 of the projections process and a restart give the same answers; a
# restart of the event store loses nothing that was acknowledged, and while it
# is down the projections report it (status, log) and keep answering.
set -euo pipefail

BIN="${BIDTRAIL_BIN_DIR:?set BIDTRAIL_BIN_DIR to build/bin}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bidtrail-e2e-XXXXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do
    { kill -9 "$pid" && wait "$pid"; } 2>/dev/null || true
  done
  umount "$WORK/small" 2>/dev/null || true
  if [ -d "$WORK/nats" ]; then
    for pid_file in "$WORK"/nats/*.pid; do
      [ -f "$pid_file" ] && kill -9 "$(cat "$pid_file")" 2>/dev/null || true
    done
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for log in "$WORK"/*.log; do echo "--- $log" >&2; tail -n 20 "$log" >&2; done
  exit 1
}

# start NAME FLAGS...: starts bidtraild on a free port; sets PORT_<NAME> and PID_<NAME>.
start() {
  local name=$1
  shift
  rm -f "$WORK/$name.port"
  "$BIN/bidtraild" --listen=127.0.0.1:0 --port_file="$WORK/$name.port" "$@" >>"$WORK/$name.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  # Up to 30 s: a bidtraild on a JetStream cluster whose node just came back
  # waits for the stream's leader before it listens (10 s was seen too short
  # in a CI run). A process that exits is noticed at once.
  for _ in $(seq 1 600); do
    [ -s "$WORK/$name.port" ] && break
    kill -0 "$pid" 2>/dev/null || fail "$name exited at start"
    sleep 0.05
  done
  [ -s "$WORK/$name.port" ] || fail "$name did not start"
  printf -v "PORT_$name" '%s' "$(cat "$WORK/$name.port")"
  printf -v "PID_$name" '%s' "$pid"
}

stop() { # graceful
  local pid_var="PID_$1"
  kill -TERM "${!pid_var}"
  wait "${!pid_var}" 2>/dev/null || true
}

# The event store serves /metrics alone (no queries service in it).
METRICS_PORT=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start eventstore --services=eventstore --data_dir="$WORK/store" --sync=true --http="127.0.0.1:$METRICS_PORT"

# Access before anything: every call proves who makes it. The first admin
# once, its token saved for the server (mode 0600); then a recording user and
# a service token for the tenders and projections processes, which refuse to
# start without one.
export XDG_CONFIG_HOME="$WORK/config"
# as root, or as $AS (the event store's port changes on restart: the token
# saved for its first port is not used after)
ROOT=""
access() { BIDTRAIL_TOKEN="${AS:-$ROOT}" BIDTRAIL_SERVER="127.0.0.1:$PORT_eventstore" "$BIN/bidtrail" auth "$@"; }
token_of() { sed -n 's/^  \(btk_.*\)$/\1/p'; }
access whoami 2>"$WORK/auth.err" && fail "whoami without a token"
grep -q 'UNAUTHENTICATED: no credential, and nobody has any right on this server yet: `bidtrail auth init NAME`' \
  "$WORK/auth.err" || fail "whoami before init: $(cat "$WORK/auth.err")"
access init root >"$WORK/init.txt" && grep -q "root is the first admin" "$WORK/init.txt" || fail "auth init"
ROOT=$(token_of <"$WORK/init.txt")
[ "$(stat -c %a "$WORK/config/bidtrail/credentials")" = 600 ] || fail "credentials not 0600"
access init mallory 2>"$WORK/auth.err" && fail "a second auth init"
grep -q 'access is set up already' "$WORK/auth.err" || fail "second init: $(cat "$WORK/auth.err")"
access whoami | grep -q '^root  *admin$' || fail "whoami: $(access whoami 2>&1)"
access grant e2e manager --territory '*' >/dev/null || fail "grant e2e"
access grant manager-zhao manager --territory north >/dev/null || fail "grant manager-zhao"
access grant services service >/dev/null || fail "grant services"
E2E_TOKEN=$(access token e2e | token_of)
SERVICE_TOKEN=$(access token services --label "e2e processes" | token_of)
[ -n "$E2E_TOKEN" ] && [ -n "$SERVICE_TOKEN" ] || fail "no tokens issued"
ACCESS=7  # init (2 events), 3 grants, 2 tokens
if "$BIN/bidtraild" --services=tenders --eventstore="127.0.0.1:$PORT_eventstore" \
  --listen=127.0.0.1:0 2>"$WORK/tokenless.err"; then
  fail "tenders started without a service token"
fi
grep -q 'BIDTRAIL_SERVICE_TOKEN: required to reach the event store' "$WORK/tokenless.err" ||
  fail "tokenless start: $(cat "$WORK/tokenless.err")"
export BIDTRAIL_SERVICE_TOKEN="$SERVICE_TOKEN"
start tenders --services=tenders --eventstore="127.0.0.1:$PORT_eventstore" --own_party_id=us
# The projections process also serves HTTP (docs/web.md).
HTTP_PORT=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start projections --services=projections --eventstore="127.0.0.1:$PORT_eventstore" \
  --data_dir="$WORK/proj" --own_party_id=us --http="127.0.0.1:$HTTP_PORT"

# The CLI records as e2e (its token); admin commands below as root.
export BIDTRAIL_ACTOR=e2e BIDTRAIL_TOKEN="$E2E_TOKEN"
admin() { BIDTRAIL_TOKEN="$ROOT" "$BIN/bidtrail" "$@"; }
cmd() { BIDTRAIL_SERVER="127.0.0.1:$PORT_tenders" "$BIN/bidtrail" "$@" >/dev/null || fail "bidtrail $*"; }
ask() { BIDTRAIL_SERVER="127.0.0.1:$PORT_projections" "$BIN/bidtrail" "$@"; }
at() { date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ; }

# Prometheus's view: the event store's /metrics parsed by prometheus_client
# (the log's appends, head and commits), before and after the tenders below.
scrape() {
  /usr/bin/python3 - "$METRICS_PORT" <<'PY'
import sys, urllib.request
from prometheus_client.parser import text_string_to_metric_families
text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics").read().decode()
values = {}
for family in text_string_to_metric_families(text):
    for sample in family.samples:
        if sample.name == "bidtrail_log_appends_total" and sample.labels.get("outcome") == "ok":
            values["appends"] = sample.value
        if sample.name == "bidtrail_log_head_position":
            values["head"] = sample.value
        if sample.name == "bidtrail_log_commit_seconds_count":
            values["commits"] = sample.value
print(int(values["appends"]), int(values["head"]), int(values["commits"]))
PY
}
METRICS_BEFORE=$(scrape) || fail "scraping the event store's /metrics"

# E2E-A: a past tender, entered from the paper file: documents, our bid, a
# competitor, an award to the competitor, cancelled, and the re-award to us.
# Our own facts recorded weeks late need a reason, and our bid, claiming a
# deadline long passed, a manager.
LATE=(--late-reason "entered from the paper file" --manager manager-zhao)
cmd tender discover E2E-A --title "Metering upgrade" --buyer "BUR-1:North bureau" --territory north \
  --team team-north --estimated "900000 CNY" --documents-until "$(at '-20 days')" \
  --submission-deadline "$(at '-10 days')" --opening "$(at '-10 days')" --at "$(at '-30 days')" \
  --request-id a1
if BIDTRAIL_SERVER="127.0.0.1:$PORT_tenders" "$BIN/bidtrail" doc obtained E2E-A \
  --at "$(at '-25 days')" 2>"$WORK/refused.txt"; then
  fail "documents recorded 25 days late without a reason were accepted"
fi
grep -q "needs a reason (--late-reason TEXT)" "$WORK/refused.txt" ||
  fail "unexpected refusal: $(cat "$WORK/refused.txt")"
cmd doc obtained E2E-A --at "$(at '-25 days')" "${LATE[@]}" --request-id a2
BIDTRAIL_SERVER="127.0.0.1:$PORT_tenders" "$BIN/bidtrail" bid submit E2E-A --bidder us \
  --amount "850000 CNY" --at "$(at '-11 days')" "${LATE[@]}" --request-id a3 --json >"$WORK/late-bid.json" ||
  fail "late bid: $(cat "$WORK/late-bid.json")"
# The fact and its explanation, each with its own revision and position.
grep -q "\"revision\":3,\"position\":$((ACCESS + 4)),\"event\":\"bid 850,000.00 CNY by us\"" "$WORK/late-bid.json" &&
  grep -q "\"revision\":4,\"position\":$((ACCESS + 5)),\"event\":\"recorded late: " "$WORK/late-bid.json" ||
  fail "late bid positions: $(cat "$WORK/late-bid.json")"
cmd bid submit E2E-A --bidder RIVAL-1:Rival --amount "820000 CNY" --at "$(at '-11 days')" --request-id a4
cmd award E2E-A --award-id AW-1 --supplier RIVAL-1 --amount "820000 CNY" --at "$(at '-8 days')" --request-id a5
cmd award cancel E2E-A --award-id AW-1 --reason "complaint upheld" --at "$(at '-5 days')" --request-id a6
cmd bid disqualify E2E-A --bidder RIVAL-1 --reason "missing guarantee" --at "$(at '-5 days')" --request-id a7
cmd award E2E-A --award-id AW-2 --supplier us --amount "850000 CNY" --at "$(at '-4 days')" --request-id a8
# E2E-B: open, documents cut-off within 48 hours and not obtained: at risk.
cmd tender discover E2E-B --title "Substation cameras" --buyer "BUR-2:South bureau" --territory south \
  --team team-south --documents-until "$(at '+1 day')" --submission-deadline "$(at '+5 days')" \
  --at "$(at '-1 day')" --request-id b1
# A rule: our bid before the documents is refused, and changes nothing.
if BIDTRAIL_SERVER="127.0.0.1:$PORT_tenders" "$BIN/bidtrail" bid submit E2E-B --bidder us \
  --amount "1 CNY" 2>"$WORK/refused.txt"; then
  fail "a bid before the documents was accepted"
fi
grep -q "FAILED_PRECONDITION: we have not obtained the tender documents" "$WORK/refused.txt" ||
  fail "unexpected refusal: $(cat "$WORK/refused.txt")"
# Amounts mean what was typed: separators only in groups of three, no decimal
# comma, ISO 4217 currencies; a refused amount names what was typed and
# changes nothing.
refused() { # EXPECTED_MESSAGE ARGS...: the CLI refuses with exit 2 and the message
  local want=$1
  shift
  if BIDTRAIL_SERVER="127.0.0.1:$PORT_tenders" "$BIN/bidtrail" "$@" 2>"$WORK/refused.txt"; then
    fail "accepted: bidtrail $*"
  fi
  grep -qF -- "$want" "$WORK/refused.txt" || fail "bidtrail $*: $(cat "$WORK/refused.txt")"
}
refused '"1,2" is not an amount' bid submit E2E-A --bidder RIVAL-2 --amount "1,2 CNY" \
  --at "$(at '-11 days')"
refused '"2.500.000,00" is not an amount' tender discover E2E-C --title T --buyer B-3 \
  --territory north --estimated "2.500.000,00 EUR"
refused '"RMB" is not an ISO 4217 currency code; did you mean CNY?' tender discover E2E-C --title T \
  --buyer B-3 --territory north --estimated "1000 RMB"
refused '"XYZ" is not an ISO 4217 currency code' tender discover E2E-C --title T --buyer B-3 \
  --territory north --estimated "1000 XYZ"
refused '"100.123 CNY": CNY has 2 decimal places' bid submit E2E-A --bidder RIVAL-2 --amount "100.123 CNY"
refused '"100.5 JPY": JPY has no decimal places' bid submit E2E-A --bidder RIVAL-2 --amount "100.5 JPY"
refused 'write the currency as its code after the amount, not as $' bid submit E2E-A --bidder RIVAL-2 \
  --amount '$1,000 USD'
cmd tender discover E2E-C --title "Grid sensors" --buyer "BUR-3:East bureau" --territory east \
  --estimated "1,250,000.50 cny" --at "$(at '-2 days')" --request-id c1
BIDTRAIL_SERVER="127.0.0.1:$PORT_tenders" "$BIN/bidtrail" tender show E2E-C --json |
  grep -q '"estimated_value":{"amount":"1250000.50","currency":"CNY"}' ||
  fail "E2E-C estimated value: $(BIDTRAIL_SERVER="127.0.0.1:$PORT_tenders" "$BIN/bidtrail" tender show E2E-C --json)"
# Corrections: a bid typed into the wrong tender is voided, not erased.
WRONG=$(BIDTRAIL_SERVER="127.0.0.1:$PORT_tenders" "$BIN/bidtrail" bid submit E2E-C --bidder RIVAL-3 \
  --amount "500 CNY" --at -1d --request-id c2 --json | sed -n 's/.*"position":\([0-9]*\).*/\1/p')
[ -n "$WRONG" ] || fail "no position for the bid to void"
refused '--reason is required' correct E2E-C "$WRONG"
cmd correct E2E-C "$WRONG" --reason "typed into the wrong tender" --request-id c3
refused 'is already voided' correct E2E-C "$WRONG" --reason "again"
refused 'is the discovery of tender E2E-C' correct E2E-C "$((WRONG - 1))" --reason "no"
# Imported tenders are market intelligence until taken up: E2E-E (channel
# import) is off the board until `tender track`; E2E-F stays off.
cmd tender discover E2E-E --title "Public lighting" --buyer "BUR-5:City" --territory west \
  --channel import --submission-deadline +3d --at -1d --request-id e1
cmd tender discover E2E-F --title "Street cleaning" --buyer "BUR-5:City" --territory west \
  --channel import --submission-deadline +3d --at -1d --request-id f1
cmd tender track E2E-E --reason "in our territory" --request-id e2
refused 'tender E2E-E is tracked already' tender track E2E-E
# Times carry their zone. E2E-D's deadline is typed in the buyer's +08:00,
# which the tender keeps as its zone; a time without its offset is refused.
export BIDTRAIL_TZ=UTC
D_DAY=$(date -u -d '+20 days' +%Y-%m-%d)
cmd tender discover E2E-D --title "Control room" --buyer "BUR-4:West bureau" --territory west \
  --submission-deadline "${D_DAY}T10:00:00+08:00" --at -1d --request-id d1
refused "has no UTC offset: if you meant UTC, write ${D_DAY}T10:00:00+00:00" tender discover E2E-X \
  --title T --buyer B-3 --territory north --submission-deadline "${D_DAY}T10:00"
refused "--opening: typed with UTC offset +01:00, but Europe/Paris is at +02:00 then (summer time?); write 2027-07-01T10:00:00+02:00" \
  tender discover E2E-X --title T --buyer B-3 --territory north --tender-tz Europe/Paris \
  --opening 2027-07-01T10:00:00+01:00
refused 'different UTC offsets (+08:00 in --documents-until, +09:00 in --submission-deadline)' \
  tender discover E2E-X --title T --buyer B-3 --territory north \
  --documents-until "${D_DAY}T09:00:00+08:00" --submission-deadline "${D_DAY}T10:00:00+09:00"
# The CLI's words: typos get a suggestion and a two-line usage, server
# refusals name flags, global flags may come first.
refused 'did you mean `bidtrail deadlines`?' deadlnes
refused 'unknown flag --documents-untill; did you mean --documents-until?' tender discover E2E-X \
  --documents-untill "$D_DAY"
[ "$(wc -l <"$WORK/refused.txt")" -eq 3 ] || fail "a usage error printed more than its hint: $(cat "$WORK/refused.txt")"
"$BIN/bidtrail" --version | grep -q '^bidtrail [0-9][0-9.]*$' || fail "--version: $("$BIN/bidtrail" --version 2>&1)"
refused 'TENDER_ID is missing' tender show
refused '--buyer: "North bureau" is not a party id (ids have no spaces); write ID:NAME' tender discover \
  E2E-X --title T --buyer "North bureau" --territory north
# The demo never goes into a log holding other data unasked.
refused 'which only a service may do, and e2e is not one' demo load --tenders 3
BIDTRAIL_TOKEN="$SERVICE_TOKEN" refused 'or pass --mix to load it here anyway' demo load --tenders 3
# A date typed alone is midnight in the buyer's zone when it is given.
cmd tender discover E2E-G --title "Meters" --buyer "BUR-6:North bureau" --territory north \
  --tender-tz Asia/Shanghai --submission-deadline "$D_DAY" --at -1d --request-id g1
BIDTRAIL_SERVER="127.0.0.1:$PORT_tenders" "$BIN/bidtrail" --tz tender tender show E2E-G --json |
  grep -q "\"submission_deadline\":\"${D_DAY}T00:00:00+08:00\"" ||
  fail "a date in the buyer's zone: $(BIDTRAIL_SERVER="127.0.0.1:$PORT_tenders" "$BIN/bidtrail" --tz tender tender show E2E-G --json)"
# Bids in two currencies are not ranked against each other.
cmd bid submit E2E-G --bidder R-1 --amount "100 CNY" --request-id g2
cmd bid submit E2E-G --bidder R-2 --amount "20 USD" --request-id g3
BIDTRAIL_SERVER="127.0.0.1:$PORT_tenders" "$BIN/bidtrail" tender show E2E-G >"$WORK/mixed.txt"
grep -q "not ranked, no common currency: the tender: bids in CNY, USD" "$WORK/mixed.txt" &&
  ! grep -q " 1  " "$WORK/mixed.txt" || fail "mixed currencies ranked: $(cat "$WORK/mixed.txt")"
# On an existing tender too: an amended date alone is midnight in its zone.
D2_DAY=$(date -u -d '+25 days' +%Y-%m-%d)
cmd tender amend E2E-G --reason "buyer extended" --submission-deadline "$D2_DAY" --request-id g4
BIDTRAIL_SERVER="127.0.0.1:$PORT_tenders" "$BIN/bidtrail" --tz tender tender show E2E-G --json |
  grep -q "\"submission_deadline\":\"${D2_DAY}T00:00:00+08:00\"" ||
  fail "an amended date in the buyer's zone: $(BIDTRAIL_SERVER="127.0.0.1:$PORT_tenders" "$BIN/bidtrail" --tz tender tender show E2E-G --json)"
# A bidder of north: records on north tenders as itself, whatever actor it
# claims, and not on south ones (nothing appended).
access grant alice bidder --territory north >/dev/null || fail "grant alice"
ALICE=$(access token alice | token_of)
[ -n "$ALICE" ] || fail "no token for alice"
AS="$ALICE" access whoami | grep -q '^alice  *bidder of north$' || fail "alice's whoami"
BIDTRAIL_TOKEN="$ALICE" refused 'PERMISSION_DENIED: alice may not do this: it needs bidder or manager of territory south; alice is bidder of north' \
  activity log E2E-B --kind call --role procurement --contact "Li Na" --at -1h
BIDTRAIL_TOKEN="$ALICE" cmd activity log E2E-G --kind call --role procurement --contact "Wang Fang" --at -1h \
  --actor someone-else --request-id g5
# A service records for the person it names, and the timeline says so.
BIDTRAIL_TOKEN="$SERVICE_TOKEN" cmd activity log E2E-G --kind visit --role user --at -30m \
  --actor li.wei --request-id g6
ACCESS=9  # and alice's grant and token
ACKED=$((ACCESS + 24))  # E2E-A's two facts of ours each carry a RecordedLate
METRICS_AFTER=$(scrape) || fail "scraping the event store's /metrics again"
read -r APPENDS_BEFORE HEAD_BEFORE COMMITS_BEFORE <<<"$METRICS_BEFORE"
read -r APPENDS_AFTER HEAD_AFTER COMMITS_AFTER <<<"$METRICS_AFTER"
[ "$APPENDS_AFTER" -gt "$APPENDS_BEFORE" ] && [ "$HEAD_AFTER" -gt "$HEAD_BEFORE" ] &&
  [ "$COMMITS_AFTER" -gt "$COMMITS_BEFORE" ] && [ "$HEAD_BEFORE" -gt 0 ] ||
  fail "metrics did not move with the appends: $METRICS_BEFORE -> $METRICS_AFTER"

wait_caught_up() {
  for _ in $(seq 1 200); do
    if ask status --json 2>/dev/null | grep -q "\"head\":$ACKED,\"lag\":0"; then return 0; fi
    sleep 0.05
  done
  fail "projections did not catch up: $(ask status --json 2>&1)"
}
wait_caught_up

ask deadlines --json >"$WORK/deadlines.json"
grep -q '"tender_id":"E2E-E","deadline":"submission"' "$WORK/deadlines.json" &&
  ! grep -q '"tender_id":"E2E-F"' "$WORK/deadlines.json" ||
  fail "imported tenders on the board: $(cat "$WORK/deadlines.json")"
grep -q '"tender_id":"E2E-B","deadline":"documents","flag":"AT RISK"' "$WORK/deadlines.json" ||
  fail "E2E-B documents not at risk: $(cat "$WORK/deadlines.json")"
ask winrate --json >"$WORK/winrate-before.json"
grep -q '"group":"all","name":"","bid":1,"won":1,"lost":0' "$WORK/winrate-before.json" ||
  fail "win rate: $(cat "$WORK/winrate-before.json")"
ask winrate --by bidder --json >"$WORK/bidders-before.json"
grep -q '"group":"RIVAL-1","name":"Rival","bid":1,"won":0,"lost":1,"pending":0,"void":0,"disqualified":1' \
  "$WORK/bidders-before.json" || fail "rival: $(cat "$WORK/bidders-before.json")"
# JSON as the tables write it: positions and revisions numbers, times RFC 3339
# with the offset, durations with _seconds, enums as words.
ask --tz Asia/Tokyo timeline E2E-A --json >"$WORK/timeline.json"
grep -q '"revision":0,"position":[0-9]*,"type":"bidtrail.v1.TenderDiscovered","occurred_at":"[-0-9T:.]*+09:00"' \
  "$WORK/timeline.json" && grep -q '"duration_seconds":[0-9]' "$WORK/timeline.json" &&
  grep -q '"procurement_method":"open"' "$WORK/timeline.json" || fail "timeline JSON: $(cat "$WORK/timeline.json")"
# history says what was recorded, a line each, and pages.
ask history e2e --limit 2 >"$WORK/history.txt"
[ "$(wc -l <"$WORK/history.txt")" -eq 4 ] && grep -q "discovered: Metering upgrade" "$WORK/history.txt" &&
  grep -q "^(the first 2" "$WORK/history.txt" || fail "history --limit 2: $(cat "$WORK/history.txt")"
ask history alice >"$WORK/alice.txt"
grep -q "E2E-G .*activity" "$WORK/alice.txt" && [ "$(grep -c E2E "$WORK/alice.txt")" -eq 1 ] ||
  fail "history alice: $(cat "$WORK/alice.txt")"
ask history someone-else | grep -q E2E && fail "recorded as the actor alice claimed"
ask timeline E2E-G | grep -q " li.wei via services  *activity" ||
  fail "timeline E2E-G does not show who wrote for li.wei: $(ask timeline E2E-G)"
ask audit E2E-G --as-of +1m | grep -q "alice" || fail "audit E2E-G does not name alice: $(ask audit E2E-G --as-of +1m)"
ask history e2e --all --csv >"$WORK/history.csv" 2>&1
[ "$(grep -c '^[0-9]' "$WORK/history.csv")" -eq "$((ACKED - ACCESS - 2))" ] && grep -q ',"bid 850,000.00 CNY by us"$' "$WORK/history.csv" ||
  fail "history --all: $(cat "$WORK/history.csv")"
# CSV: one table per output.
ask deadlines --stale --csv | head -n 1 | grep -q '^tender_id,idle,idle_seconds,last_event,' ||
  fail "deadlines --stale --csv: $(ask deadlines --stale --csv)"
ask timeline E2E-C >"$WORK/corrected.txt"
grep -q "VOIDED: bid 500.00 CNY by RIVAL-3 \[voided by e2e at .*: typed into the wrong tender\]" \
  "$WORK/corrected.txt" && grep -q "voided position $WRONG (BidSubmitted): typed into the wrong tender" \
  "$WORK/corrected.txt" || fail "timeline of a corrected tender: $(cat "$WORK/corrected.txt")"
ask competitors --json | grep -q RIVAL-3 && fail "a voided bid still counts: $(ask competitors --json)"
# The audit by business time: E2E-A as it stood 9 days ago, bids in, no award.
ask audit E2E-A --happened-by -9d >"$WORK/audit.txt" || fail "audit --happened-by: $(cat "$WORK/audit.txt")"
grep -q "^E2E-A as it stood at .*: open" "$WORK/audit.txt" && grep -q "discovered: Metering upgrade .*\[not yet recorded then\]" "$WORK/audit.txt" && grep -q "bid 850,000.00 CNY by us" "$WORK/audit.txt" &&
  ! grep -q "award AW-1" "$WORK/audit.txt" || fail "audit --happened-by: $(cat "$WORK/audit.txt")"
# Times in a zone, in the tender's own zone, and in RFC 3339 for programs.
ask --tz Asia/Tokyo deadlines --within 30d >"$WORK/tokyo.txt"
grep -q "^due (Asia/Tokyo)" "$WORK/tokyo.txt" && grep -q "^${D_DAY} 11:00 +09:00 .*E2E-D" "$WORK/tokyo.txt" ||
  fail "deadlines in Tokyo time: $(cat "$WORK/tokyo.txt")"
ask --server "127.0.0.1:$PORT_projections" --tz tender deadlines --within 30d --json |
  grep -q "\"due\":\"${D_DAY}T10:00:00+08:00\",.*\"tender_id\":\"E2E-D\"" ||
  fail "deadlines in the tender's zone: $(ask --tz tender deadlines --within 30d --json)"
ask deadlines --within 30d --csv | grep -q "^${D_DAY}T02:00:00+00:00,in [0-9a-z]*,[0-9]*,E2E-D," ||
  fail "deadlines CSV: $(ask deadlines --within 30d --csv)"
# The calendar feed a calendar app subscribes to, read by a real iCalendar
# parser: E2E-D's submission deadline at its time with a 72-hour reminder;
# and the JSON API's board holds what the CLI's does.
/usr/bin/python3 - "$HTTP_PORT" "$ROOT" "$D_DAY" >"$WORK/calendar.txt" 2>&1 <<'PY' || fail "calendar feed: $(cat "$WORK/calendar.txt")"
import datetime, json, sys, urllib.request
import icalendar
port, token, d_day = sys.argv[1], sys.argv[2], sys.argv[3]
base = f"http://127.0.0.1:{port}"
feed = urllib.request.urlopen(f"{base}/calendar/all.ics?within=30d&token={token}").read()
events = {str(e["UID"]): e for e in icalendar.Calendar.from_ical(feed).walk("VEVENT")}
submission = events.get("E2E-D/submission@bidtrail")
assert submission is not None, sorted(events)
start = submission.decoded("DTSTART")
assert start.tzinfo is not None and start.utcoffset() == datetime.timedelta(0), start
assert start.strftime("%Y-%m-%d") == d_day, (start, d_day)
alarms = submission.walk("VALARM")
assert alarms and alarms[0].decoded("TRIGGER") == -datetime.timedelta(hours=72), alarms
request = urllib.request.Request(f"{base}/api/v1/deadlines?within=30d",
                                 headers={"Authorization": f"Bearer {token}"})
board = json.load(urllib.request.urlopen(request))
ids = {(d["tender_id"], d["kind"]) for d in board["deadlines"]}
assert ("E2E-D", "submission_deadline") in ids, ids
print("calendar and API ok:", len(events), "events")
PY
ask deadlines --within 30d --json | grep -q '"tender_id":"E2E-D"' || fail "the CLI's board lacks E2E-D"
# Find: words in any case, filters, and CSV whose amounts are numbers.
ask tender search metering --status awarded --outcome won --csv >"$WORK/search.csv"
grep -q '^tender_id,discovered,title,buyer,territory,team,status,our_outcome,submission_deadline,estimated,estimated_currency,source$' \
  "$WORK/search.csv" && grep -q '^E2E-A,.*,Metering upgrade,North bureau,north,team-north,awarded,won,.*,900000,CNY,own$' \
  "$WORK/search.csv" && [ "$(wc -l <"$WORK/search.csv")" -eq 2 ] || fail "tender search: $(cat "$WORK/search.csv")"
[ "$(ask tender list --source import --json | grep -c '"source":"import"')" -eq 2 ] ||
  fail "imported tenders: $(ask tender list --source import --json)"
refused '--outcome: "nobid" is not one of won, pending, lost, void, no-bid, not-yet, not-bid; did you mean no-bid?' \
  tender list --outcome nobid
# Every query filters by source: the tracked import alone, or our own.
ask deadlines --source import --json >"$WORK/imported.json"
grep -q '"tender_id":"E2E-E"' "$WORK/imported.json" && ! grep -q '"tender_id":"E2E-B"' "$WORK/imported.json" ||
  fail "deadlines --source import: $(cat "$WORK/imported.json")"
ask deadlines --source own --json | grep -q '"tender_id":"E2E-E"' && fail "deadlines --source own shows an import"
[ "$(ask winrate --source import)" = "$(printf 'Win/loss of us\n(no competitions)')" ] ||
  fail "winrate --source import: $(ask winrate --source import)"
ask competitors --source own --json | grep -q '"competitor":"RIVAL-1"' &&
  ! ask competitors --source import --json | grep -q RIVAL-1 ||
  fail "competitors --source: $(ask competitors --source import --json)"
ask winrate --source own --json | grep -q '"group":"all","name":"","bid":1,"won":1' ||
  fail "winrate --source own: $(ask winrate --source own --json)"
# Without rates, amounts in CNY cannot be banded in USD: said, with the fix.
ask winrate --by deal-size >"$WORK/sizes.txt"
grep -q '^unrated ' "$WORK/sizes.txt" &&
  grep -q 'No exchange rate for CNY: those amounts are "unrated" and their values not converted. Give --rate CNY=VALUE (one CNY in USD), or start bidtraild with --rates FILE' \
    "$WORK/sizes.txt" || fail "deal sizes without rates: $(cat "$WORK/sizes.txt")"

# kill -9 the projections mid-way and restart: same answers.
{ kill -9 "$PID_projections" && wait "$PID_projections"; } 2>/dev/null || true
start projections --services=projections --eventstore="127.0.0.1:$PORT_eventstore" \
  --data_dir="$WORK/proj" --own_party_id=us
wait_caught_up
ask winrate --json >"$WORK/winrate-after.json"
ask winrate --by bidder --json >"$WORK/bidders-after.json"
cmp -s "$WORK/winrate-before.json" "$WORK/winrate-after.json" || fail "win rate changed after kill -9"
cmp -s "$WORK/bidders-before.json" "$WORK/bidders-after.json" || fail "bidders changed after kill -9"

# The server's exchange rates: a bad file stops bidtraild at start, naming
# the line; a good one converts values and bands amounts.
printf 'base USD\nCNY 0,14\n' >"$WORK/bad-rates.txt"
if "$BIN/bidtraild" --services=projections --eventstore="127.0.0.1:$PORT_eventstore" \
  --data_dir="$WORK/proj-bad" --listen=127.0.0.1:0 --rates="$WORK/bad-rates.txt" 2>"$WORK/bad-rates.err"; then
  fail "bidtraild started with a bad rate file"
fi
grep -q 'rates line 2: .*CNY 0,14.*: the value must be a positive decimal' "$WORK/bad-rates.err" ||
  fail "bad rate file: $(cat "$WORK/bad-rates.err")"
printf '# test rates\nbase USD\nCNY 0.14\n' >"$WORK/rates.txt"
stop projections
start projections --services=projections --eventstore="127.0.0.1:$PORT_eventstore" \
  --data_dir="$WORK/proj" --own_party_id=us --rates="$WORK/rates.txt"
wait_caught_up
ask winrate --json | grep -q '"value_won_converted":{"amount":"119000.00","currency":"USD"}' ||
  fail "values converted with the server's rates: $(ask winrate --json)"
ask winrate --by deal-size --currency CNY | grep -q '^medium .*850,000.00 CNY' ||
  fail "deal sizes with the server's rates: $(ask winrate --by deal-size --currency CNY)"

# Restart the event store: every acknowledged event is still there, chained.
stop eventstore
# Meanwhile the projections cannot follow the log: they say so, in their
# status (exit 1 while failing) and once in their log, and keep answering.
failing=""
for _ in $(seq 1 100); do
  if ! ask status >"$WORK/status.txt" 2>&1 && grep -q "projection runner FAILING: UNAVAILABLE" "$WORK/status.txt"; then
    failing=yes
    break
  fi
  sleep 0.1
done
[ -n "$failing" ] || fail "the projections' status does not show the store gone: $(cat "$WORK/status.txt")"
grep -q "WARN projection: runner failed" "$WORK/projections.log" ||
  fail "the projections did not log the failure"
ask status --json >"$WORK/status.json" || true
grep -q "\"checkpoint\":$ACKED,\"head\":$ACKED,\"lag\":0,\"access_events\":$ACCESS," "$WORK/status.json" &&
  grep -q '"code":"UNAVAILABLE"' "$WORK/status.json" || fail "status --json: $(cat "$WORK/status.json")"
ask winrate --json | grep -q '"bid":1,"won":1' || fail "queries stopped answering while the store was gone"
start eventstore --services=eventstore --data_dir="$WORK/store" --sync=true
# The other processes reconnect on their own; give them the new port.
stop tenders
start tenders --services=tenders --eventstore="127.0.0.1:$PORT_eventstore" --own_party_id=us
stop projections
start projections --services=projections --eventstore="127.0.0.1:$PORT_eventstore" \
  --data_dir="$WORK/proj" --own_party_id=us
ask verify --json 2>"$WORK/verify.err" && fail "e2e verified the log"
grep -q "PERMISSION_DENIED: e2e may not verify" "$WORK/verify.err" || fail "verify by e2e: $(cat "$WORK/verify.err")"
# Against a head noted elsewhere: the same log passes, a longer expectation
# (a lost suffix) or another hash fails, naming what differs.
HEAD_HASH=$(BIDTRAIL_SERVER="127.0.0.1:$PORT_projections" admin verify | sed -n 's/^head: position [0-9]*, hash //p')
BIDTRAIL_SERVER="127.0.0.1:$PORT_projections" admin verify --expect-head "$ACKED" --expect-hash "$HEAD_HASH" |
  grep -q "position $ACKED as expected" || fail "verify against its own head"
BIDTRAIL_SERVER="127.0.0.1:$PORT_projections" admin verify --expect-head "$((ACKED + 5))" >"$WORK/short.txt" &&
  fail "a log shorter than expected verified"
grep -q "LOG ALTERED at position $((ACKED + 1)): the log ends at position $ACKED, but position $((ACKED + 5)) was expected" \
  "$WORK/short.txt" || fail "verify of a short log: $(cat "$WORK/short.txt")"
BIDTRAIL_SERVER="127.0.0.1:$PORT_projections" admin verify --expect-head 3 --expect-hash "$HEAD_HASH" >"$WORK/other.txt" &&
  fail "another history verified"
grep -q "the record at position 3 has chain hash .*, not the expected $HEAD_HASH" "$WORK/other.txt" ||
  fail "verify of another history: $(cat "$WORK/other.txt")"
BIDTRAIL_SERVER="127.0.0.1:$PORT_projections" admin verify --json |
  grep -q "\"ok\":true,\"records_checked\":$ACKED," || fail "verify: $(BIDTRAIL_SERVER="127.0.0.1:$PORT_projections" admin verify --json 2>&1)"
BIDTRAIL_SERVER="127.0.0.1:$PORT_tenders" "$BIN/bidtrail" tender show E2E-A --json |
  grep -q '"revision":9' || fail "E2E-A lost events"
# And it goes on: a new command after the restarts.
cmd doc obtained E2E-B --request-id b2
ACKED=$((ACKED + 1))
wait_caught_up
ask deadlines --json | grep -q '"tender_id":"E2E-B","deadline":"documents","flag":"done"' ||
  fail "E2E-B documents not done after the restart"

# A backup goes into the store's backup folder under a name, never to a path.
backup() { BIDTRAIL_SERVER="127.0.0.1:$PORT_eventstore" admin backup "$@"; }
backup "$WORK/elsewhere" 2>"$WORK/backup.err" && fail "a backup to a path was taken"
grep -q 'is not a backup name' "$WORK/backup.err" && [ ! -e "$WORK/elsewhere" ] ||
  fail "backup to a path: $(cat "$WORK/backup.err")"
backup e2e-1 | grep -q "up to position $ACKED written to $WORK/store/backups/e2e-1" &&
  [ -d "$WORK/store/backups/e2e-1" ] || fail "backup e2e-1: $(backup e2e-2 2>&1)"

# Grants by an admin only; a revoked token refused from the next call; a
# token given to someone is checked and saved by `auth login`.
export BIDTRAIL_TOKEN=
AS="$ALICE" access grant alice admin 2>"$WORK/auth.err" && fail "a bidder granted itself admin"
grep -q 'PERMISSION_DENIED: alice may not do this: it needs admin; alice is bidder of north' \
  "$WORK/auth.err" || fail "bidder's grant: $(cat "$WORK/auth.err")"
saved_alice() { BIDTRAIL_TOKEN= XDG_CONFIG_HOME="$WORK/alice" BIDTRAIL_SERVER="127.0.0.1:$PORT_eventstore" "$BIN/bidtrail" auth "$@"; }
saved_alice login <<<"$ALICE" | grep -q "signed in to 127.0.0.1:$PORT_eventstore as alice (bidder of north)" ||
  fail "auth login"
saved_alice whoami | grep -q '^alice  *bidder of north$' || fail "alice's saved token"
# The same loopback server under another name finds the token saved.
BIDTRAIL_TOKEN= XDG_CONFIG_HOME="$WORK/alice" "$BIN/bidtrail" --server "localhost:$PORT_eventstore" \
  auth whoami | grep -q '^alice  *bidder of north$' || fail "alice's saved token, as localhost"
# A server address without a port, or as a URL: said so, not "is it running?".
"$BIN/bidtrail" --server 127.0.0.1 deadlines 2>"$WORK/addr.err" && fail "an address without a port"
grep -q 'no port; write HOST:PORT' "$WORK/addr.err" || fail "no port: $(cat "$WORK/addr.err")"
"$BIN/bidtrail" --server "http://127.0.0.1:$PORT_eventstore" deadlines 2>"$WORK/addr.err" &&
  fail "an http:// address"
grep -q 'write HOST:PORT, without http://' "$WORK/addr.err" || fail "http://: $(cat "$WORK/addr.err")"
saved_alice login btk_not-a-token 2>"$WORK/auth.err" && fail "login with a bad token"
grep -q 'UNAUTHENTICATED: the token is not known; nothing saved' "$WORK/auth.err" || fail "bad login: $(cat "$WORK/auth.err")"
access revoke "$ALICE" | grep -q '^revoked token' || fail "revoke"
AS="$ALICE" access whoami 2>"$WORK/auth.err" && fail "a revoked token still works"
grep -q 'the token was revoked' "$WORK/auth.err" || fail "revoked: $(cat "$WORK/auth.err")"

# TLS: plaintext off loopback is refused at start; a TLS server answers a
# client that trusts its certificate, and only such a client.
"$BIN/bidtraild" --services=all --listen=0.0.0.0:0 --data_dir="$WORK/open" 2>"$WORK/open.err" &&
  fail "plaintext on 0.0.0.0 was served"
grep -q 'is not a loopback address: serve it with TLS' "$WORK/open.err" && [ ! -e "$WORK/open" ] ||
  fail "plaintext off loopback: $(cat "$WORK/open.err")"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/tls.key" -out "$WORK/tls.pem" -days 2 \
  -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null ||
  fail "openssl could not make a test certificate"
start tls --services=all --data_dir="$WORK/tls" --tls_cert="$WORK/tls.pem" --tls_key="$WORK/tls.key"
XDG_CONFIG_HOME="$WORK/tls-config" "$BIN/bidtrail" --server "127.0.0.1:$PORT_tls" --tls_ca "$WORK/tls.pem" \
  auth init tls-root >/dev/null || fail "auth init over TLS"
XDG_CONFIG_HOME="$WORK/tls-config" "$BIN/bidtrail" --server "127.0.0.1:$PORT_tls" --tls_ca "$WORK/tls.pem" \
  status --json | grep -q '"head":2,"lag":0,"access_events":2' || fail "status over TLS"
"$BIN/bidtrail" --server "127.0.0.1:$PORT_tls" status 2>"$WORK/plain.err" && fail "plaintext to a TLS server"
grep -q 'a server with TLS needs --tls_ca' "$WORK/plain.err" || fail "plaintext to TLS: $(cat "$WORK/plain.err")"
stop tls
# mTLS: a client certificate signed by the server's client CA is a principal.
(cd "$WORK" &&
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=e2e-ca" &&
  openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj "/CN=localhost" &&
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >san.ext &&
  openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 -extfile san.ext &&
  openssl req -newkey rsa:2048 -nodes -keyout carol.key -out carol.csr -subj "/CN=carol" &&
  openssl x509 -req -in carol.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out carol.pem -days 2) \
  >/dev/null 2>&1 || fail "openssl could not make the mTLS certificates"
start mtls --services=all --data_dir="$WORK/mtls" --tls_cert="$WORK/srv.pem" \
  --tls_key="$WORK/srv.key" --tls_client_ca="$WORK/ca.pem"
XDG_CONFIG_HOME="$WORK/nobody" "$BIN/bidtrail" --server "127.0.0.1:$PORT_mtls" --tls_ca "$WORK/ca.pem" \
  --tls_cert "$WORK/carol.pem" --tls_key "$WORK/carol.key" auth whoami | grep -q '^carol  *no role$' ||
  fail "mTLS principal"
XDG_CONFIG_HOME="$WORK/nobody" "$BIN/bidtrail" --server "127.0.0.1:$PORT_mtls" --tls_ca "$WORK/ca.pem" \
  auth whoami 2>/dev/null && fail "mTLS without a client certificate"
stop mtls
# Between processes: a tenders process reaches an event store serving TLS,
# and refuses to send its token in the clear off loopback.
if BIDTRAIL_SERVICE_TOKEN=btk_x "$BIN/bidtraild" --services=tenders --eventstore=10.0.0.7:50051 \
  --listen=127.0.0.1:0 2>"$WORK/clear.err"; then
  fail "tenders reached a remote event store in the clear"
fi
grep -q 'is not a loopback address: reach it over TLS (--eventstore_tls_ca)' "$WORK/clear.err" ||
  fail "plaintext to a remote store: $(cat "$WORK/clear.err")"
start tlsstore --services=eventstore --data_dir="$WORK/tlsstore" --tls_cert="$WORK/srv.pem" \
  --tls_key="$WORK/srv.key"
tls_store() { XDG_CONFIG_HOME="$WORK/tlsstore-config" "$BIN/bidtrail" --server "localhost:$PORT_tlsstore" \
  --tls_ca "$WORK/ca.pem" "$@"; }
TLS_ROOT=$(tls_store auth init tls-root | token_of)
tls_store auth grant tls-root manager --territory '*' >/dev/null || fail "grant over TLS"
tls_store auth grant tls-services service >/dev/null || fail "grant over TLS"
TLS_SERVICE=$(tls_store auth token tls-services | token_of)
BIDTRAIL_SERVICE_TOKEN="$TLS_SERVICE" start tlstenders --services=tenders \
  --eventstore="localhost:$PORT_tlsstore" --eventstore_tls_ca="$WORK/ca.pem"
BIDTRAIL_TOKEN="$TLS_ROOT" "$BIN/bidtrail" --server "127.0.0.1:$PORT_tlstenders" tender discover TLS-1 \
  --title "Over TLS" --buyer B-1:Buyer --territory north >/dev/null || fail "a command through TLS"
BIDTRAIL_TOKEN="$TLS_ROOT" "$BIN/bidtrail" --server "127.0.0.1:$PORT_tlstenders" tender show TLS-1 |
  grep -q "Over TLS" || fail "a tender read back through TLS"
stop tlstenders
stop tlsstore

# A nearly full disk (a real one: a small tmpfs, where the machine lets us
# mount one): appends refused with RESOURCE_EXHAUSTED, the server alive and
# reading, appends resuming once space is freed.
if mkdir -p "$WORK/small" && mount -t tmpfs -o size=256m tmpfs "$WORK/small" 2>/dev/null; then
  # The event store alone: grants are appends too.
  start small --services=eventstore --data_dir="$WORK/small/data" --min_free_disk=64MiB
  small() { XDG_CONFIG_HOME="$WORK/small-config" BIDTRAIL_TOKEN= "$BIN/bidtrail" --server "127.0.0.1:$PORT_small" "$@"; }
  small auth init small-root >"$WORK/small-init.txt" 2>&1 ||
    fail "auth init on the small disk: $(cat "$WORK/small-init.txt"; df -h "$WORK/small")"
  FREE_MIB=$(df -m --output=avail "$WORK/small" | tail -n 1 | tr -d ' ')
  dd if=/dev/zero of="$WORK/small/filler" bs=1M count="$((FREE_MIB - 32))" 2>/dev/null || true
  small auth grant ana analyst 2>"$WORK/full.err" && fail "an append on a nearly full disk was accepted"
  grep -q "RESOURCE_EXHAUSTED: the disk of $WORK/small/data/eventlog has [0-9]* MiB free, below the floor of 64 MiB" \
    "$WORK/full.err" || fail "disk full: $(cat "$WORK/full.err")"
  small auth whoami >/dev/null || fail "reads stopped on a nearly full disk"
  rm -f "$WORK/small/filler"
  small auth grant ana analyst >/dev/null || fail "appends did not resume once space was freed"
  stop small
  umount "$WORK/small"

  # A disk that fills up for real (the floor off): RocksDB's write fails with
  # "No space left on device". The server stays up (Debian's RocksDB used to
  # abort it on an assertion), the append is refused, reads go on, and once
  # there is room again (freed here; the reopen's own flush may already find
  # some) the log reopens itself and appends go on.
  mount -t tmpfs -o size=24m tmpfs "$WORK/small"
  start full --services=eventstore --data_dir="$WORK/small/data" --min_free_disk=0
  full() { XDG_CONFIG_HOME="$WORK/full-config" BIDTRAIL_TOKEN="$FULL_ROOT" "$BIN/bidtrail" --server "127.0.0.1:$PORT_full" "$@"; }
  FULL_ROOT=$(FULL_ROOT= full auth init full-root | token_of)
  [ -n "$FULL_ROOT" ] || fail "auth init on the small disk"
  dd if=/dev/zero of="$WORK/small/filler" bs=64k 2>/dev/null || true
  refused_at=""
  for i in $(seq 1 2000); do
    if ! full auth grant "user-$i" analyst >/dev/null 2>"$WORK/enospc.err"; then
      refused_at=$i
      break
    fi
  done
  [ -n "$refused_at" ] || fail "2000 appends on a full disk were all accepted"
  grep -q "UNAVAILABLE: .*No space left on device" "$WORK/enospc.err" ||
    fail "a full disk: $(cat "$WORK/enospc.err")"
  kill -0 "$PID_full" 2>/dev/null || fail "bidtraild died on a full disk: $(tail -n 5 "$WORK/full.log")"
  full auth whoami >/dev/null || fail "reads stopped on a full disk"
  rm -f "$WORK/small/filler"
  resumed=""
  for _ in $(seq 1 20); do
    if full auth grant "user-$refused_at" analyst >/dev/null 2>&1; then resumed=1; break; fi
    sleep 0.5
  done
  [ -n "$resumed" ] || fail "appends did not resume after a full disk: $(tail -n 5 "$WORK/full.log")"
  grep -q "Assertion" "$WORK/full.log" && fail "an assertion on a full disk"
  stop full
  # Restarted (every service, to verify): everything acknowledged is there.
  start full --services=all --data_dir="$WORK/small/data" --min_free_disk=0
  full auth list | grep -q "^user-$refused_at  *analyst" || fail "the append after the full disk was lost: $(full auth list 2>&1 | tail -3)"
  full verify | grep -q "^log intact" || fail "verify after a full disk: $(full verify 2>&1)"
  stop full
  umount "$WORK/small"
fi

# Break glass: every admin token lost, whoever holds the data folder makes a
# new admin, recorded in the log; never while the store runs.
if "$BIN/bidtraild" --services=eventstore --data_dir="$WORK/store" --recover_admin=rescue \
  >/dev/null 2>"$WORK/recover.err"; then
  fail "an admin recovered while the event store runs"
fi
grep -q "lock" "$WORK/recover.err" || fail "recover while running: $(cat "$WORK/recover.err")"
stop tenders
stop projections
stop eventstore
RESCUE=$("$BIN/bidtraild" --services=eventstore --data_dir="$WORK/store" --recover_admin=rescue \
  2>"$WORK/recover.err" | token_of)
[ -n "$RESCUE" ] || fail "recover_admin: $(cat "$WORK/recover.err")"
start eventstore --services=eventstore --data_dir="$WORK/store" --sync=true
AS="$RESCUE" access whoami | grep -q '^rescue  *admin$' || fail "the recovered admin"
stop eventstore

# The log on a NATS JetStream cluster (docs/nats.md): three nats-server nodes
# on loopback, two bidtraild writing to the same stream, each with its
# replica. The tender lifecycle through one, read through the other; a node
# killed; a bidtraild that loses its data folder rebuilt from the stream; a
# RocksDB log copied onto a new stream, verified by its head hash.
PATH="$PATH:/usr/sbin" command -v nats-server >/dev/null 2>&1 ||
  fail "nats-server is not installed (tools/install-deps installs it)"
# Below the kernel's ephemeral ports (32768 and up), so no outgoing connection holds one.
export NATS_DIR="$WORK/nats" NATS_PORT_BASE=$((20000 + RANDOM % 10000))
export NATS_CLUSTER_PORT_BASE=$((NATS_PORT_BASE + 100))
NATS_SCRIPT="$(cd "$(dirname "$0")/../.." && pwd)/deploy/local/nats-cluster.sh"
"$NATS_SCRIPT" start >/dev/null || fail "the NATS cluster did not start"
NATS="nats://127.0.0.1:$NATS_PORT_BASE,nats://127.0.0.1:$((NATS_PORT_BASE + 1)),nats://127.0.0.1:$((NATS_PORT_BASE + 2))"
start na --services=all --log="$NATS" --nats_stream=E2E --data_dir="$WORK/na"
start nb --services=all --log="$NATS" --nats_stream=E2E --data_dir="$WORK/nb"
na() { XDG_CONFIG_HOME="$WORK/nats-config" BIDTRAIL_TOKEN="$NATS_ROOT" "$BIN/bidtrail" --server "127.0.0.1:$PORT_na" "$@"; }
nb() { XDG_CONFIG_HOME="$WORK/nats-config" BIDTRAIL_TOKEN="$NATS_ROOT" "$BIN/bidtrail" --server "127.0.0.1:$PORT_nb" "$@"; }
NATS_ROOT=$(NATS_ROOT= na auth init nats-root | token_of)
[ -n "$NATS_ROOT" ] || fail "auth init on the JetStream log"
na auth grant nats-root manager --territory '*' >/dev/null || fail "grant on the JetStream log"
na auth grant manager-zhao manager --territory '*' >/dev/null || fail "grant on the JetStream log"
na tender discover N-1 --title "Replicated" --buyer "BUR-9:Harbour" --territory north \
  --submission-deadline "$(at '-2 days')" --opening "$(at '-2 days')" --at "$(at '-9 days')" \
  >/dev/null || fail "discover on the JetStream log"
na doc obtained N-1 --at "$(at '-8 days')" "${LATE[@]}" >/dev/null || fail "documents on the JetStream log"
na bid submit N-1 --bidder us --amount "120000 CNY" --at "$(at '-3 days')" "${LATE[@]}" >/dev/null ||
  fail "our bid: $(na bid submit N-1 --bidder us --amount "120000 CNY" --at "$(at '-3 days')" "${LATE[@]}" 2>&1)"
nb bid submit N-1 --bidder RIVAL-9:Rival --amount "110000 CNY" --at "$(at '-3 days')" >/dev/null ||
  fail "a bid through the second bidtraild"
na award N-1 --award-id AW-9 --supplier us --amount "120000 CNY" --at "$(at '-1 days')" >/dev/null ||
  fail "the award"
for _ in $(seq 1 50); do nb tender show N-1 2>/dev/null | grep -q "awarded" && break; sleep 0.1; done
nb tender show N-1 | grep -q "awarded" || fail "the second bidtraild did not follow: $(nb tender show N-1)"
for _ in $(seq 1 50); do nb winrate --json 2>/dev/null | grep -q '"won":1' && break; sleep 0.1; done
nb winrate --json | grep -q '"group":"all","name":"","bid":1,"won":1' ||
  fail "win rate on the JetStream log: $(nb winrate --json)"
HASH_A=$(na verify | sed -n 's/^head: position [0-9]*, hash //p')
# A node dies: the cluster keeps the log; appends and reads go on.
kill -9 "$(cat "$NATS_DIR/n2.pid")"
noted=""
for _ in $(seq 1 40); do
  if na activity log N-1 --role procurement --notes "after a node died" >"$WORK/noted.txt" 2>&1; then
    noted=1
    break
  fi
  sleep 0.5
done
[ -n "$noted" ] || fail "appends after a node died: $(cat "$WORK/noted.txt")"
"$NATS_SCRIPT" start >/dev/null
# A bidtraild whose data folder is lost comes back from the stream alone.
kill -9 "$PID_nb"
rm -rf "$WORK/nb"
start nb --services=all --log="$NATS" --nats_stream=E2E --data_dir="$WORK/nb"
HASH_NOW=$(na verify | sed -n 's/^head: position [0-9]*, hash //p')
for _ in $(seq 1 50); do
  [ "$(nb verify 2>/dev/null | sed -n 's/^head: position [0-9]*, hash //p')" = "$HASH_NOW" ] && break
  sleep 0.1
done
[ "$(nb verify | sed -n 's/^head: position [0-9]*, hash //p')" = "$HASH_NOW" ] ||
  fail "a rebuilt replica differs: $(nb verify) against $HASH_NOW"
[ "$HASH_A" != "$HASH_NOW" ] || fail "the note after the node died did not move the head"
nb tender show N-1 | grep -q "awarded" || fail "the rebuilt replica: $(nb tender show N-1)"
# The RocksDB log of the first part, copied onto a new stream.
STORE_HASH=$(BIDTRAIL_TOKEN="$RESCUE" "$BIN/bidtraild" --log="$NATS" --nats_stream=COPY \
  --import_log="$WORK/store/eventlog" --data_dir="$WORK/copy" 2>"$WORK/import.err" |
  sed -n 's/.*head hash //p')
[ -n "$STORE_HASH" ] || fail "import_log: $(cat "$WORK/import.err")"
start copy --services=all --log="$NATS" --nats_stream=COPY --data_dir="$WORK/copy"
BIDTRAIL_TOKEN="$RESCUE" "$BIN/bidtrail" --server "127.0.0.1:$PORT_copy" verify |
  grep -q "hash $STORE_HASH" || fail "the copied log's head hash differs"
stop copy
stop na
stop nb
"$NATS_SCRIPT" stop >/dev/null
echo "1 passed, 0 failed"
