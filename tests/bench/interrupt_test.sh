#!/bin/bash
# bidtrail-bench interrupted (Ctrl-C, SIGTERM) leaves nothing behind: no
# scratch folder, and no PostgreSQL server of its --peers run.
set -u
bin="${BIDTRAIL_BIN_DIR:?set BIDTRAIL_BIN_DIR to the folder of bidtrail-bench}"
work="$(mktemp -d)"
# PostgreSQL runs as the postgres user when the bench is root: it must reach
# its folder through this one.
chmod 711 "$work"
trap 'rm -rf "$work"' EXIT
pid=""
# Job control on: background jobs of a script would otherwise start with
# SIGINT ignored, which the bench respects.
set -m
# A SIGINT ignored by whoever started this script (nohup, a background job)
# stays ignored in the bench too: then the SIGINT cases use SIGTERM.
int=INT
int_status=130
# True when signal $1 is ignored by this shell (its bit in SigIgn).
ignored() { (( 0x$(awk '/^SigIgn:/ {print $2}' /proc/$$/status) & (1 << ($1 - 1)) )); }
if ignored 2; then
  int=TERM
  int_status=143
  echo "SIGINT is ignored here: SIGTERM instead"
fi
# A failed check ends the bench it left running (which then cleans up).
fail() {
  echo "FAIL: $*"
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
  exit 1
}

# Starts the bench with "$@" (its scratch folder under $work), waits until
# `ready` (a command) succeeds, sends `signal`, and checks the exit status
# and that nothing is left.
interrupt() {
  local signal="$1" expected="$2" ready="$3"
  shift 3
  "$bin/bidtrail-bench" "$@" --dir "$work" >"$work/out.txt" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do
    eval "$ready" && break
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid"
      pid=""
      # Installed but not startable here (a container): the bench said so.
      grep -q "PostgreSQL skipped" "$work/out.txt" && return 2
      fail "the bench ended before it was interrupted: $(tail -5 "$work/out.txt")"
    fi
    sleep 0.1
  done
  eval "$ready" || fail "the bench never got ready ($ready)"
  kill "-$signal" "$pid"
  wait "$pid"
  local status=$?
  pid=""
  [ "$status" -eq "$expected" ] || fail "exit status $status after SIG$signal, expected $expected: $(tail -5 "$work/out.txt")"
  grep -q "interrupted" "$work/out.txt" || fail "the bench did not say it was interrupted"
  if compgen -G "$work/bidtrail-bench-*" >/dev/null; then fail "scratch folder left: $(ls -d "$work"/bidtrail-bench-*)"; fi
}

scratch_made='compgen -G "$work/bidtrail-bench-*/*" >/dev/null'
interrupt "$int" "$int_status" "$scratch_made" projections --tenders 20000
interrupt TERM 143 "$scratch_made" eventstore --events 200000
echo "ok: interrupted benches left no scratch folder"

# Its output piped into a program that stops reading (`| head -n 1`): the
# bench's next log line raises SIGPIPE, and it cleans up all the same. If
# SIGPIPE is ignored here, the write fails quietly and the bench runs on to
# its end (which removes the folder too).
pipe_status=141
if ignored 13; then pipe_status=0; fi
"$bin/bidtrail-bench" projections --tenders 3000 --dir "$work" 2>&1 | head -n 1 >/dev/null
status=${PIPESTATUS[0]}
[ "$status" -eq "$pipe_status" ] || fail "exit status $status with its output closed, expected $pipe_status"
if compgen -G "$work/bidtrail-bench-*" >/dev/null; then fail "scratch folder left after SIGPIPE: $(ls -d "$work"/bidtrail-bench-*)"; fi
echo "ok: a bench whose output was closed left no scratch folder"

if [ -x /usr/lib/postgresql/15/bin/initdb ]; then
  # Once the server is up and pg_ctl has returned: while the bench starts or
  # stops PostgreSQL (through system(), which ignores SIGINT meanwhile) a
  # SIGINT to the bench alone is lost (Ctrl-C in a terminal reaches pg_ctl too).
  postgres_up="pgrep -f \"postgres -D $work/\" >/dev/null && ! pgrep -f \"(initdb|pg_ctl) -D $work/\" >/dev/null"
  interrupt "$int" "$int_status" "$postgres_up" eventstore --events 200000 --peers
  if [ $? -eq 2 ]; then
    echo "skipped the --peers case: $(grep "PostgreSQL skipped" "$work/out.txt")"
    exit 0
  fi
  for _ in $(seq 1 50); do pgrep -f "postgres -D $work/" >/dev/null || break; sleep 0.1; done
  if pgrep -f "postgres -D $work/" >/dev/null; then fail "PostgreSQL left running: $(pgrep -af "postgres -D $work/")"; fi
  echo "ok: an interrupted --peers run stopped its PostgreSQL"
else
  echo "skipped the --peers case: PostgreSQL 15 is not installed"
fi
