#!/usr/bin/env bash
# bench/open311.sh: Open311 citizen reports (issue 5).
#  1. Durable report submissions per second: wrk POSTs form-encoded reports at random points
#     of the demo district to `dothi serve --demo` (every report fsynced, ward routing,
#     deadlines, duplicate search), beside the bare Beast server under the same wrk load.
#     Then kill -9 and a restart: every acknowledged report must be there.
#  2. GET requests with filters over 1,000,000 stored reports (the escalation sweep, which
#     would record the loaded reports' overdue levels, is put off for the run): p50/p99 (wrk --latency) of
#     several query shapes, beside the bare server's latency at the same load; start-up
#     time and RSS with the million reports.
#
#   bash bench/open311.sh               # ~6 minutes, most of it loading the million
#   REPORTS=200000 bash bench/open311.sh
#   BENCH_QUICK=1 bash bench/open311.sh
#
# Knobs (env): REPORTS (1000000), DURATION (10s), CONNS (64, submissions), GET_CONNS (8),
# DATA_1M (a directory to keep the loaded reports in; REUSE_DATA=1 reuses it).
source "$(dirname "$0")/lib.sh"

REPORTS="${REPORTS:-1000000}"
DURATION="${DURATION:-10s}"
CONNS="${CONNS:-64}"
GET_CONNS="${GET_CONNS:-8}"
if [[ "$BENCH_QUICK" == 1 ]]; then DURATION=3s; REPORTS="${REPORTS_QUICK:-20000}"; fi
DATA_1M="${DATA_1M:-$BENCH_TMP/open311-1m}"

ensure_dothi
command -v wrk >/dev/null || { log "wrk missing: apt-get install wrk"; exit 1; }
cmake --build "$BUILD_DIR" --target open311_load >/dev/null

# --- 1. submissions ------------------------------------------------------------------------
start_bare "$(free_port)"
log "bare server: wrk -t2 -c$CONNS -d$DURATION"
wrk -t2 -c"$CONNS" -d"$DURATION" "$BARE_URL/" >"$BENCH_TMP/wrk_bare.txt"
BARE_RPS=$(wrk_rps "$BENCH_TMP/wrk_bare.txt")
stop_pid "$BARE_PID"

DATA="$BENCH_TMP/open311-submit"
rm -rf "$DATA"
start_dothi submit "$DATA" --demo --demo-sensors 100
cpu0=$(cpu_seconds "$DOTHI_PID")
log "dothi: wrk -t2 -c$CONNS -d$DURATION POST /open311/v2/requests.json"
wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s "$BENCH_DIR/wrk/open311_post.lua" "$DOTHI_URL" >"$BENCH_TMP/wrk_post.txt"
cpu1=$(cpu_seconds "$DOTHI_PID")
POST_RPS=$(wrk_rps "$BENCH_TMP/wrk_post.txt")
POST_REQS=$(wrk_requests "$BENCH_TMP/wrk_post.txt")
POST_BAD=$(wrk_non2xx "$BENCH_TMP/wrk_post.txt")
POST_P50=$(wrk_pct "$BENCH_TMP/wrk_post.txt" 50)
POST_P99=$(wrk_pct "$BENCH_TMP/wrk_post.txt" 99)
ACKED=$((POST_REQS - ${POST_BAD:-0}))
stop_pid "$DOTHI_PID" KILL
start_dothi submit-restart "$DATA" --demo --demo-sensors 100
STORED=$(curl -s "$DOTHI_URL/open311/v2/statistics.json" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[0].total))')
stop_pid "$DOTHI_PID"
DURABLE="MISSED"
if (( STORED >= ACKED && STORED <= ACKED + CONNS )); then DURABLE="MET"; fi

# --- 2. a million reports --------------------------------------------------------------------
if [[ "${REUSE_DATA:-0}" == 1 && -f "$DATA_1M/dothi.db" ]]; then
  log "reusing $DATA_1M"
  LOAD="(reused)"
else
  rm -rf "$DATA_1M"
  log "loading $REPORTS reports into $DATA_1M (open311_load, 32 threads)"
  LOAD=$("$BUILD_DIR/bench/open311_load" "$DATA_1M" "$REPORTS" 32)
fi
start_dothi million "$DATA_1M" --demo --demo-sensors 100 --history=false --open311-escalation-interval-s 86400
READY=$DOTHI_READY_SECONDS
RSS_MIB=$(( $(rss_kib "$DOTHI_PID") / 1024 ))
DAY_START=$(date -u -d '30 days ago' +%Y-%m-%dT00:00:00Z)
DAY_END=$(date -u -d '29 days ago' +%Y-%m-%dT00:00:00Z)
IDS=$(seq 1000 97123 1000000 | head -10 | paste -sd, -)
declare -a NAMES=(
  "newest 50"
  "one service, open, 50"
  "one service, one day (<=1000)"
  "last 90 days, default (1000)"
  "10 ids"
  "statistics by department"
)
declare -a PATHS=(
  "/open311/v2/requests.json?page_size=50"
  "/open311/v2/requests.json?service_code=den-duong&status=open&page_size=50"
  "/open311/v2/requests.json?service_code=ngap-ung&start_date=$DAY_START&end_date=$DAY_END"
  "/open311/v2/requests.json"
  "/open311/v2/requests.json?service_request_id=$IDS"
  "/open311/v2/statistics.json?group_by=department"
)
declare -a RESULTS=()
for i in "${!PATHS[@]}"; do
  n=$(curl -s "$DOTHI_URL${PATHS[$i]}" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);console.log(Array.isArray(j)?j.length:"?")})')
  log "GET ${PATHS[$i]} ($n records): wrk -t2 -c$GET_CONNS -d$DURATION --latency"
  wrk -t2 -c"$GET_CONNS" -d"$DURATION" --latency "$DOTHI_URL${PATHS[$i]}" >"$BENCH_TMP/wrk_get_$i.txt"
  RESULTS+=("$(printf "%-32s %6s records  %8.0f req/s  p50 %8.2f ms  p99 %8.2f ms  non-2xx %s" "${NAMES[$i]}" "$n" \
    "$(wrk_rps "$BENCH_TMP/wrk_get_$i.txt")" "$(wrk_pct "$BENCH_TMP/wrk_get_$i.txt" 50)" \
    "$(wrk_pct "$BENCH_TMP/wrk_get_$i.txt" 99)" "$(wrk_non2xx "$BENCH_TMP/wrk_get_$i.txt")")")
done
stop_pid "$DOTHI_PID"
start_bare "$(free_port)"
wrk -t2 -c"$GET_CONNS" -d"$DURATION" --latency "$BARE_URL/" >"$BENCH_TMP/wrk_bare_get.txt"
stop_pid "$BARE_PID"

# --- report --------------------------------------------------------------------------------
echo
echo "== bench/open311.sh  $(date -u +%Y-%m-%dT%H:%MZ)  $(nproc) cores  load avg $(cut -d" " -f1-3 /proc/loadavg)"
printf "bare Beast server (204), -c%d:          %10.0f req/s\n" "$CONNS" "$BARE_RPS"
printf "POST requests.json (durable), -c%d:     %10.0f reports/s  (p50 %s ms, p99 %s ms; non-2xx %s) = %s of bare\n" \
  "$CONNS" "$POST_RPS" "$POST_P50" "$POST_P99" "${POST_BAD:-0}" "$(ratio "$POST_RPS" "$BARE_RPS")"
printf "reports per dothi CPU-second:           %10.0f\n" "$(echo "$POST_REQS / ($cpu1 - $cpu0)" | bc -l)"
echo "durable after kill -9: $ACKED acknowledged, $STORED stored after restart: $DURABLE"
echo "load: $LOAD"
printf "start-up with the reports: %.1f s; RSS %d MiB\n" "$READY" "$RSS_MIB"
printf "bare Beast server (204), -c%d:          p50 %8.2f ms  p99 %8.2f ms\n" "$GET_CONNS" \
  "$(wrk_pct "$BENCH_TMP/wrk_bare_get.txt" 50)" "$(wrk_pct "$BENCH_TMP/wrk_bare_get.txt" 99)"
for r in "${RESULTS[@]}"; do echo "GET $r"; done
