#!/usr/bin/env bash
# bench/updates.sh: durable NGSI-LD attribute updates per second over HTTP keep-alive, beside
# the bare Beast server (bench/bare_server.cc, answering 204) under the same wrk load in the
# same run; then batch upserts (100 entities per request) in entities per second; then the
# same PATCH load on a server without the temporal history (--history=false), which is the
# work Orion-LD's per-CPU figure covers; then the PATCH load with dothi confined to one core
# and wrk to the other (updates per core, read literally).
#
#   bash bench/updates.sh            # ~2.5 minutes
#   BENCH_QUICK=1 bash bench/updates.sh
#
# Knobs (env): ENTITIES (10000), DURATION (10s), THREADS (2), CONNS (64), UPSERT_CONNS (8).
# dothi runs with its defaults (sync-full=true: every acknowledged update is fsynced) except
# --access-log=false and --log-level warn.
source "$(dirname "$0")/lib.sh"

ENTITIES="${ENTITIES:-10000}"
DURATION="${DURATION:-10s}"
THREADS="${THREADS:-2}"
CONNS="${CONNS:-64}"
UPSERT_CONNS="${UPSERT_CONNS:-8}"
MIN_VALUE=1000  # every pm25 value the PATCH load writes is >= this
ORION_PER_CPU=1800
if [[ "$BENCH_QUICK" == 1 ]]; then DURATION=3s; fi

ensure_dothi
command -v wrk >/dev/null || { log "wrk missing: apt-get install wrk"; exit 1; }

# The entities the PATCH load writes to, on the dothi at $DOTHI_URL; the loader's summary to $1.
create_entities() {
  node "$BENCH_DIR/ngsi_load.js" upsert --url "$DOTHI_URL" --count "$ENTITIES" --batch 1000 \
    --conns 2 --types aq >"$1"
}
# The PATCH load on $DOTHI_URL; wrk's report to $1, further wrk flags after it.
patch_load() {
  local out="$1"
  shift
  BENCH_N="$ENTITIES" BENCH_MIN_VALUE="$MIN_VALUE" wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" "$@" \
    -s "$BENCH_DIR/wrk/patch_attrs.lua" "$DOTHI_URL" >"$out"
}

# --- baseline: the bare server, same wrk load --------------------------------------------
start_bare "$(free_port)"
log "bare server: wrk -t$THREADS -c$CONNS -d$DURATION"
wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" "$BARE_URL/" >"$BENCH_TMP/wrk_bare.txt"
BARE_RPS=$(wrk_rps "$BENCH_TMP/wrk_bare.txt")
stop_pid "$BARE_PID"

# --- dothi: create the entities, then PATCH attrs to random ids -------------------------
DATA="$BENCH_TMP/updates-data"
rm -rf "$DATA"
start_dothi updates "$DATA"
log "dothi on $DOTHI_URL: creating $ENTITIES entities"
create_entities "$BENCH_TMP/create.json"

commits0=$(metric dothi_store_commits_total)
tx0=$(metric dothi_store_transactions_total)
txs0=$(metric dothi_store_commit_seconds_total)
cpu0=$(cpu_seconds "$DOTHI_PID")
log "dothi: wrk -t$THREADS -c$CONNS -d$DURATION PATCH /entities/{id}/attrs"
patch_load "$BENCH_TMP/wrk_patch.txt" --latency
cpu1=$(cpu_seconds "$DOTHI_PID")
commits1=$(metric dothi_store_commits_total)
tx1=$(metric dothi_store_transactions_total)
txs1=$(metric dothi_store_commit_seconds_total)

UPD_RPS=$(wrk_rps "$BENCH_TMP/wrk_patch.txt")
UPD_REQS=$(wrk_requests "$BENCH_TMP/wrk_patch.txt")
UPD_BAD=$(wrk_non2xx "$BENCH_TMP/wrk_patch.txt")
UPD_ERR=$(wrk_errors "$BENCH_TMP/wrk_patch.txt")
UPD_P50=$(wrk_pct "$BENCH_TMP/wrk_patch.txt" 50 || true)
SECS=${DURATION%s}
SERVER_CPU=$(echo "$cpu1 - $cpu0" | bc -l)
COMMITS=$((commits1 - commits0))
TXS=$((tx1 - tx0))

# Durability check: 100 more PATCHes with known values (one at a time), then kill -9 right
# after the last acknowledgement, restart on the same data and GET: (a) the 100 must hold
# exactly their values; (b) of 200 random ids, the share holding a value written by the wrk
# load (>= MIN_VALUE) must match the share the load touched, 1 - exp(-updates/entities).
node "$BENCH_DIR/ngsi_load.js" mark --url "$DOTHI_URL" --count "$ENTITIES" --sample 100 \
  --value 5000 >"$BENCH_TMP/mark.json"
stop_pid "$DOTHI_PID" KILL
start_dothi updates-restart "$DATA"
node "$BENCH_DIR/ngsi_load.js" verify --url "$DOTHI_URL" --count "$ENTITIES" --sample 200 \
  --min-value "$MIN_VALUE" --marked 100 --value 5000 >"$BENCH_TMP/verify.json"
VERIFY="$(cat "$BENCH_TMP/mark.json") after kill -9 + restart: $(cat "$BENCH_TMP/verify.json");\
 expected landed ~$(echo "200 * (1 - e(-$UPD_REQS / $ENTITIES))" | bc -l | xargs printf '%.0f')"

# --- batch upserts, 100 entities per request ---------------------------------------------
log "dothi: wrk -t$THREADS -c$UPSERT_CONNS -d$DURATION POST /entityOperations/upsert x100"
BENCH_N="$ENTITIES" BENCH_BATCH=100 wrk -t"$THREADS" -c"$UPSERT_CONNS" -d"$DURATION" \
  -s "$BENCH_DIR/wrk/upsert_batch.lua" "$DOTHI_URL" >"$BENCH_TMP/wrk_upsert.txt"
UPS_RPS=$(wrk_rps "$BENCH_TMP/wrk_upsert.txt")
UPS_BAD=$(wrk_non2xx "$BENCH_TMP/wrk_upsert.txt")
stop_pid "$DOTHI_PID"

# --- the same PATCH load without the temporal history ------------------------------------
# Orion-LD's figure is for the current state alone (FIWARE keeps history in a separate
# component); dothi by default also records every change as a history instance in the same
# transaction. This pass prices that: same load, same durability, --history=false.
DATA_NH="$BENCH_TMP/updates-nohistory"
rm -rf "$DATA_NH"
start_dothi updates-nohistory "$DATA_NH" --history=false
create_entities /dev/null
cpu0=$(cpu_seconds "$DOTHI_PID")
log "dothi --history=false: wrk -t$THREADS -c$CONNS -d$DURATION PATCH /entities/{id}/attrs"
patch_load "$BENCH_TMP/wrk_patch_nh.txt"
cpu1=$(cpu_seconds "$DOTHI_PID")
stop_pid "$DOTHI_PID"
NH_RPS=$(wrk_rps "$BENCH_TMP/wrk_patch_nh.txt")
NH_REQS=$(wrk_requests "$BENCH_TMP/wrk_patch_nh.txt")
NH_BAD=$(wrk_non2xx "$BENCH_TMP/wrk_patch_nh.txt")
NH_PER_CPU_S=$(echo "$NH_REQS / ($cpu1 - $cpu0)" | bc -l)

# --- one core: dothi confined to core 0, wrk to core 1 ----------------------------------------
# The literal "updates per core": every thread of dothi (I/O, writer, fsync) shares one core,
# and the load generator runs on the other, so neither takes the other's CPU.
ONE_RPS=""
if [[ "$(nproc)" -ge 2 ]] && command -v taskset >/dev/null; then
  DATA_ONE="$BENCH_TMP/updates-onecore"
  rm -rf "$DATA_ONE"
  start_dothi updates-onecore "$DATA_ONE"
  taskset -a -p -c 0 "$DOTHI_PID" >/dev/null
  create_entities /dev/null
  cpu0=$(cpu_seconds "$DOTHI_PID")
  log "dothi on core 0: taskset -c 1 wrk -t1 -c$CONNS -d$DURATION PATCH /entities/{id}/attrs"
  BENCH_N="$ENTITIES" BENCH_MIN_VALUE="$MIN_VALUE" taskset -c 1 wrk -t1 -c"$CONNS" -d"$DURATION" \
    -s "$BENCH_DIR/wrk/patch_attrs.lua" "$DOTHI_URL" >"$BENCH_TMP/wrk_patch_one.txt"
  cpu1=$(cpu_seconds "$DOTHI_PID")
  stop_pid "$DOTHI_PID"
  ONE_RPS=$(wrk_rps "$BENCH_TMP/wrk_patch_one.txt")
  ONE_BAD=$(wrk_non2xx "$BENCH_TMP/wrk_patch_one.txt")
  ONE_USED=$(echo "($cpu1 - $cpu0) / $SECS" | bc -l)
fi

# --- report --------------------------------------------------------------------------------
PER_CORE=$(echo "$UPD_RPS / $CORES" | bc -l)
PER_CPU_S=$(echo "$UPD_REQS / $SERVER_CPU" | bc -l)
RATIO_BARE=$(ratio "$UPD_RPS" "$BARE_RPS")
echo
echo "== bench/updates.sh  $(date -u +%Y-%m-%dT%H:%MZ)  $(nproc) cores  load avg $(cut -d" " -f1-3 /proc/loadavg)"
echo "entities: $ENTITIES AirQualityObserved; wrk -t$THREADS -c$CONNS -d$DURATION; sync-full=true"
printf "bare Beast server (204):           %10.0f req/s\n" "$BARE_RPS"
printf "PATCH /entities/{id}/attrs:        %10.0f updates/s  (p50 %s ms; non-2xx %s, socket errors %s)\n" \
  "$UPD_RPS" "${UPD_P50:-?}" "${UPD_BAD:-0}" "$UPD_ERR"
printf "ratio to bare:                     %10s  (bar >= 0.25: %s)\n" "$RATIO_BARE" "$(met "$RATIO_BARE >= 0.25")"
printf "updates/s per core (/%d cores):     %10.0f  (server, wrk and fsync share the %d cores)\n" "$CORES" "$PER_CORE" "$CORES"
printf "updates per server CPU-second:     %10.0f  (dothi used %.1f CPU-s in %ss = %.2f cores)\n" \
  "$PER_CPU_S" "$SERVER_CPU" "$SECS" "$(echo "$SERVER_CPU / $SECS" | bc -l)"
printf "ratio to Orion-LD 1,800/s per CPU: %10sx per core, %sx per server CPU-s  (bar 20x = 36,000: per machine core %s; per CPU-s dothi used %s)\n" \
  "$(ratio "$PER_CORE" "$ORION_PER_CPU" 1)" "$(ratio "$PER_CPU_S" "$ORION_PER_CPU" 1)" \
  "$(met "$PER_CORE >= 36000")" "$(met "$PER_CPU_S >= 36000")"
if [[ -n "$ONE_RPS" ]]; then
  printf "on one core (dothi on core 0, wrk on core 1): %.0f updates/s = %sx Orion-LD per CPU  (bar 20x = 36,000: %s; dothi kept the core %.0f%% busy; non-2xx %s)\n" \
    "$ONE_RPS" "$(ratio "$ONE_RPS" "$ORION_PER_CPU" 1)" "$(met "$ONE_RPS >= 36000")" \
    "$(echo "$ONE_USED * 100" | bc -l)" "${ONE_BAD:-0}"
fi
printf "group commit:                      %10s updates per transaction (%d commits, %d transactions, mean tx %.2f ms)\n" \
  "$(ratio "$COMMITS" "$TXS" 1)" "$COMMITS" "$TXS" "$(echo "($txs1 - $txs0) * 1000 / $TXS" | bc -l)"
echo "durable after kill -9 (sample GETs): $VERIFY"
printf "without history (--history=false): %10.0f updates/s = %s of bare; %.0f per server CPU-s = %sx Orion-LD per CPU (non-2xx %s)\n" \
  "$NH_RPS" "$(ratio "$NH_RPS" "$BARE_RPS")" "$NH_PER_CPU_S" "$(ratio "$NH_PER_CPU_S" "$ORION_PER_CPU" 1)" "${NH_BAD:-0}"
printf "batch upsert x100 (wrk -c%d):       %10.0f entities/s  (%.0f req/s; non-2xx %s)\n" \
  "$UPSERT_CONNS" "$(echo "$UPS_RPS * 100" | bc -l)" "$UPS_RPS" "${UPS_BAD:-0}"
echo "initial create (node, batches of 1000): $(cat "$BENCH_TMP/create.json")"
