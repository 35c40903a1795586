#!/usr/bin/env bash
# bench/query.sh: loads 1,000,000 generated sensor entities through batch upsert and measures
# the NGSI-LD geo + q query latency (p50/p99) at random points over Hanoi, beside GET /health
# on the same server at the same concurrency (the baseline, same run).
#
#   bash bench/query.sh              # ~3-4 minutes
#   BENCH_QUICK=1 bash bench/query.sh   # 100,000 entities, 5 s runs
#
# Knobs (env): ENTITIES (1000000), LOAD_CONNS (4), DURATION (10s), DATA_1M (data dir; kept
# when set, so bench/memory_startup.sh can reuse it), REUSE_DATA=1 (skip the load when
# DATA_1M already holds a store).
source "$(dirname "$0")/lib.sh"

ENTITIES="${ENTITIES:-1000000}"
LOAD_CONNS="${LOAD_CONNS:-4}"
DURATION="${DURATION:-10s}"
if [[ "$BENCH_QUICK" == 1 ]]; then ENTITIES="${ENTITIES_QUICK:-100000}"; DURATION=5s; fi
DATA="${DATA_1M:-$BENCH_TMP/data-1m}"

ensure_dothi
command -v wrk >/dev/null || { log "wrk missing: apt-get install wrk"; exit 1; }

LOADED=0
if [[ "${REUSE_DATA:-0}" == 1 && -s "$DATA/dothi.db" ]]; then
  start_dothi query "$DATA" --max-batch-entities 1000
  log "reusing $DATA (ready in $(fmt "$DOTHI_READY_SECONDS" 1) s)"
else
  rm -rf "$DATA"
  start_dothi query "$DATA" --max-batch-entities 1000
  log "loading $ENTITIES entities (batches of 1000, $LOAD_CONNS connections) into $DOTHI_URL"
  cpu0=$(cpu_seconds "$DOTHI_PID")
  node "$BENCH_DIR/ngsi_load.js" upsert --url "$DOTHI_URL" --count "$ENTITIES" --batch 1000 \
    --conns "$LOAD_CONNS" --types mixed >"$BENCH_TMP/load.json"
  LOAD_CPU=$(echo "$(cpu_seconds "$DOTHI_PID") - $cpu0" | bc -l)
  LOADED=1
  sleep 1
  RSS_LOAD=$(rss_kib "$DOTHI_PID")
  HWM_LOAD=$(hwm_kib "$DOTHI_PID")
  echo "$RSS_LOAD $HWM_LOAD" >"$DATA.rss_after_load"
fi
COUNT=$(curl -s "$DOTHI_URL/metrics" | awk '$1 ~ /^dothi_entities/ { s += $2 } END { print s + 0 }')

# --- latency: baseline GET /health, then the geo + q query, at -c1 and -c8 ----------------
run_wrk() {  # name threads conns script-or-path
  local name=$1 t=$2 c=$3 what=$4
  if [[ "$what" == *.lua ]]; then
    wrk -t"$t" -c"$c" -d"$DURATION" --latency -s "$what" "$DOTHI_URL" >"$BENCH_TMP/$name.txt"
  else
    wrk -t"$t" -c"$c" -d"$DURATION" --latency "$DOTHI_URL$what" >"$BENCH_TMP/$name.txt"
  fi
}
# Warm-up (first touches of every page of the indexes), not counted.
wrk -t1 -c1 -d2s -s "$BENCH_DIR/wrk/geo_query.lua" "$DOTHI_URL" >/dev/null
log "latency runs: -c1 and -c8, $DURATION each"
cpu0=$(cpu_seconds "$DOTHI_PID")
run_wrk health1 1 1 /health
run_wrk query1 1 1 "$BENCH_DIR/wrk/geo_query.lua"
run_wrk health8 2 8 /health
run_wrk query8 2 8 "$BENCH_DIR/wrk/geo_query.lua"
stop_pid "$DOTHI_PID"

# --- report --------------------------------------------------------------------------------
echo
echo "== bench/query.sh  $(date -u +%Y-%m-%dT%H:%MZ)  $(nproc) cores  load avg $(cut -d" " -f1-3 /proc/loadavg)"
echo "entities in store: $COUNT (half AirQualityObserved, half TrafficFlowObserved, points over Hanoi)"
if [[ "$LOADED" == 1 ]]; then
  LOAD_EPS=$(node -e "const r=JSON.parse(require('fs').readFileSync('$BENCH_TMP/load.json'));console.log(r.entities_per_s)")
  LOAD_S=$(node -e "const r=JSON.parse(require('fs').readFileSync('$BENCH_TMP/load.json'));console.log(r.seconds, r.errors, (r.body_bytes/r.entities).toFixed(0))")
  read -r LSEC LERR LBYTES <<<"$LOAD_S"
  printf "load (upsert, 1000/batch, %d conns): %8.0f entities/s  (%s s; %s B JSON/entity; errors %s; dothi CPU %.1f s = %.0f us/entity)\n" \
    "$LOAD_CONNS" "$LOAD_EPS" "$LSEC" "$LBYTES" "$LERR" "$LOAD_CPU" "$(echo "$LOAD_CPU * 1000000 / $ENTITIES" | bc -l)"
  printf "RSS after load: %.0f MiB (peak %.0f MiB)\n" "$(echo "$RSS_LOAD / 1024" | bc -l)" "$(echo "$HWM_LOAD / 1024" | bc -l)"
fi
Q='GET /ngsi-ld/v1/entities?type=AirQualityObserved&georel=near;maxDistance==500&geometry=Point&coordinates=[lon,lat]&q=pm25>50&limit=100'
echo "query: $Q"
printf "%-34s %10s %9s %9s %9s %12s\n" "" "req/s" "p50 ms" "p90 ms" "p99 ms" "results/q"
for c in 1 8; do
  for kind in health query; do
    f="$BENCH_TMP/$kind$c.txt"
    rq=""
    [[ $kind == query ]] && rq=$(awk '/^results_per_query/ { print $2 }' "$f")
    printf "%-34s %10.0f %9s %9s %9s %12s\n" "$( [[ $kind == health ]] && echo "GET /health (baseline) -c$c" || echo "geo+q query -c$c")" \
      "$(wrk_rps "$f")" "$(wrk_pct "$f" 50)" "$(wrk_pct "$f" 90)" "$(wrk_pct "$f" 99)" "$rq"
  done
  printf "  query/health at -c%d: p50 x%s, p99 x%s; non-2xx %s\n" "$c" \
    "$(ratio "$(wrk_pct "$BENCH_TMP/query$c.txt" 50)" "$(wrk_pct "$BENCH_TMP/health$c.txt" 50)" 1)" \
    "$(ratio "$(wrk_pct "$BENCH_TMP/query$c.txt" 99)" "$(wrk_pct "$BENCH_TMP/health$c.txt" 99)" 1)" \
    "$(awk '/^non200/ { print $2 }' "$BENCH_TMP/query$c.txt")"
done
P99_1=$(wrk_pct "$BENCH_TMP/query1.txt" 99)
P99_8=$(wrk_pct "$BENCH_TMP/query8.txt" 99)
echo "bar p99 < 10 ms at 1M entities: -c1 $P99_1 ms $(met "$P99_1 < 10"), -c8 $P99_8 ms $(met "$P99_8 < 10")" \
  "$( [[ "$COUNT" -lt 1000000 ]] && echo "(only $COUNT entities: not the bar's size)")"
