#!/usr/bin/env bash
# bench/instructions.sh: user-space instructions per durable update, counted by valgrind's
# callgrind, beside the bare Beast server's instructions per request in the same run.
# Instruction counts do not move with the load of other work on the machine, so this is the
# figure to compare two versions by; it misses the kernel's share (TCP, fsync, wake-ups),
# which bench/updates.sh's CPU-seconds include.
#
#   bash bench/instructions.sh        # ~1.5 minutes; needs valgrind (Debian: valgrind)
#
# Knobs (env): ENTITIES (2000), DURATION (15s: callgrind runs ~50x slower than native),
# DOTHI_SERVE_ARGS (extra `dothi serve` flags for every script, e.g. "--history=false" to
# price the temporal history).
source "$(dirname "$0")/lib.sh"

ENTITIES="${ENTITIES:-2000}"
DURATION="${DURATION:-15s}"
if [[ "$BENCH_QUICK" == 1 ]]; then DURATION=4s; fi
for tool in valgrind callgrind_annotate callgrind_control wrk; do
  command -v "$tool" >/dev/null || { log "$tool missing (apt-get install valgrind wrk)"; exit 1; }
done
ensure_dothi

# --- baseline: the bare server answering 204 --------------------------------------------
BARE_BIN=$(ensure_bare_server)
PORT=$(free_port)
under_callgrind bare "$BENCH_TMP/cg.bare" "http://127.0.0.1:$PORT/" "$BARE_BIN" "$PORT"
log "bare server under callgrind: wrk -t1 -c8 -d$DURATION"
wrk -t1 -c8 -d"$DURATION" "http://127.0.0.1:$PORT/" >"$BENCH_TMP/wrk_bare.txt"
BARE_REQS=$(wrk_requests "$BENCH_TMP/wrk_bare.txt")
stop_pid "$CG_PID"
BARE_IR=$(total_ir "$BENCH_TMP/cg.bare")

# --- dothi: create the entities natively, then PATCH under callgrind ----------------------
DATA="$BENCH_TMP/instructions-data"
rm -rf "$DATA"
start_dothi instructions "$DATA"
node "$BENCH_DIR/ngsi_load.js" upsert --url "$DOTHI_URL" --count "$ENTITIES" --batch 1000 \
  --conns 2 --types aq >/dev/null
stop_pid "$DOTHI_PID"
PORT=$(free_port)
under_callgrind dothi "$BENCH_TMP/cg.dothi" "http://127.0.0.1:$PORT/health" \
  "$DOTHI_BIN" serve --address 127.0.0.1 --port "$PORT" --data-dir "$DATA" \
  --access-log=false --log-level warn ${DOTHI_SERVE_ARGS:-}
log "dothi under callgrind: wrk -t1 -c8 -d$DURATION PATCH /entities/{id}/attrs"
BENCH_N="$ENTITIES" BENCH_MIN_VALUE=1000 wrk -t1 -c8 -d"$DURATION" \
  -s "$BENCH_DIR/wrk/patch_attrs.lua" "http://127.0.0.1:$PORT" >"$BENCH_TMP/wrk_patch.txt"
UPD_REQS=$(wrk_requests "$BENCH_TMP/wrk_patch.txt")
UPD_BAD=$(wrk_non2xx "$BENCH_TMP/wrk_patch.txt")
stop_pid "$CG_PID"
UPD_IR=$(total_ir "$BENCH_TMP/cg.dothi")

PER_REQ=$(echo "$BARE_IR / $BARE_REQS" | bc -l)
PER_UPD=$(echo "$UPD_IR / $UPD_REQS" | bc -l)
echo
echo "== bench/instructions.sh  $(date -u +%Y-%m-%dT%H:%MZ)  valgrind $(valgrind --version | sed 's/valgrind-//')"
printf "bare Beast server (204):        %8.0f instructions per request  (%d requests)\n" "$PER_REQ" "$BARE_REQS"
printf "durable PATCH attrs (dothi):    %8.0f instructions per update   (%d updates, non-2xx %s; every thread of the process)\n" \
  "$PER_UPD" "$UPD_REQS" "${UPD_BAD:-0}"
printf "ratio dothi / bare:             %8s\n" "$(ratio "$PER_UPD" "$PER_REQ" 1)"
