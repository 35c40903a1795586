#!/usr/bin/env bash
# bench/memory_startup.sh: RSS of dothi holding 1,000,000 entities (after the load and after
# a restart) and start-up time with them (exec to the "serving on" line), beside the time
# sqlite3 takes to read every body of the same file (the baseline, same run).
#
#   bash bench/memory_startup.sh        # loads 1M entities unless DATA_1M holds them
#   DATA_1M=/path REUSE_DATA=1 bash bench/memory_startup.sh   # reuse bench/query.sh's store
#
# Knobs (env): ENTITIES (1000000), RESTARTS (3), DATA_1M, REUSE_DATA.
source "$(dirname "$0")/lib.sh"

ENTITIES="${ENTITIES:-1000000}"
RESTARTS="${RESTARTS:-3}"
if [[ "$BENCH_QUICK" == 1 ]]; then ENTITIES="${ENTITIES_QUICK:-100000}"; fi
DATA="${DATA_1M:-$BENCH_TMP/data-1m}"
ensure_dothi
command -v sqlite3 >/dev/null || { log "sqlite3 missing: apt-get install sqlite3"; exit 1; }

if [[ "${REUSE_DATA:-0}" != 1 || ! -s "$DATA/dothi.db" ]]; then
  rm -rf "$DATA"
  start_dothi mem-load "$DATA" --max-batch-entities 1000
  log "loading $ENTITIES entities into $DOTHI_URL"
  node "$BENCH_DIR/ngsi_load.js" upsert --url "$DOTHI_URL" --count "$ENTITIES" --batch 1000 \
    --conns 4 --types mixed >"$BENCH_TMP/mem-load.json"
  sleep 1
  echo "$(rss_kib "$DOTHI_PID") $(hwm_kib "$DOTHI_PID")" >"$DATA.rss_after_load"
  stop_pid "$DOTHI_PID"
fi
read -r RSS_LOAD HWM_LOAD <"$DATA.rss_after_load" || true

DB="$DATA/dothi.db"
DB_BYTES=$(stat -c %s "$DB")
WAL_BYTES=$(stat -c %s "$DB-wal" 2>/dev/null || echo 0)

# Baseline first (it also warms the page cache for the restarts, as a running server's
# host would have it): sqlite3 reading every body.
t0=$(date +%s.%N)
SQL_OUT=$(sqlite3 "$DB" 'select count(*), sum(length(body)) from entities')
SQL_S=$(echo "$(date +%s.%N) - $t0" | bc -l)
IFS='|' read -r ROWS BODY_BYTES <<<"$SQL_OUT"

READY=()
RSS=()
for i in $(seq 1 "$RESTARTS"); do
  start_dothi "mem-restart$i" "$DATA"
  READY+=("$DOTHI_READY_SECONDS")
  sleep 1
  RSS+=("$(rss_kib "$DOTHI_PID")")
  HWM_START=$(hwm_kib "$DOTHI_PID")
  stop_pid "$DOTHI_PID"
done
t0=$(date +%s.%N)
sqlite3 "$DB" 'select count(*), sum(length(body)) from entities' >/dev/null
SQL_S2=$(echo "$(date +%s.%N) - $t0" | bc -l)
# sum(length(body)) reads a blob's length from its record header and so skips overflow
# pages; this second baseline touches every byte of every body (as dothi's load must).
t0=$(date +%s.%N)
sqlite3 "$DB" 'select count(*), sum(length(body)), max(substr(body, -1)) from entities' >/dev/null
SQL_FULL=$(echo "$(date +%s.%N) - $t0" | bc -l)

median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
READY_MED=$(median "${READY[@]}")
RSS_MED=$(median "${RSS[@]}")
SQL_MED=$(median "$SQL_S" "$SQL_S2")

echo
echo "== bench/memory_startup.sh  $(date -u +%Y-%m-%dT%H:%MZ)  $(nproc) cores  load avg $(cut -d' ' -f1-3 /proc/loadavg)"
echo "entities: $ROWS rows, encoded bodies $(fmt "$(echo "$BODY_BYTES / 1048576" | bc -l)") MiB ($(fmt "$(echo "$BODY_BYTES / $ROWS" | bc -l)") B/entity)"
printf "SQLite file: %.0f MiB (+ WAL %.0f MiB) = %.0f B/entity\n" "$(echo "$DB_BYTES / 1048576" | bc -l)" \
  "$(echo "$WAL_BYTES / 1048576" | bc -l)" "$(echo "$DB_BYTES / $ROWS" | bc -l)"
if [[ -n "${RSS_LOAD:-}" ]]; then
  printf "RSS after load (same process that loaded): %6.0f MiB (peak %.0f MiB) = %.0f B/entity  bar <= 1024 MiB: %s\n" \
    "$(echo "$RSS_LOAD / 1024" | bc -l)" "$(echo "$HWM_LOAD / 1024" | bc -l)" "$(echo "$RSS_LOAD * 1024 / $ROWS" | bc -l)" \
    "$(met "$RSS_LOAD <= 1048576")"
fi
printf "RSS after restart (median of %d):            %6.0f MiB (peak during start %.0f MiB) = %.0f B/entity  bar <= 1024 MiB: %s\n" \
  "$RESTARTS" "$(echo "$RSS_MED / 1024" | bc -l)" "$(echo "$HWM_START / 1024" | bc -l)" \
  "$(echo "$RSS_MED * 1024 / $ROWS" | bc -l)" "$(met "$RSS_MED <= 1048576")"
printf "start-up, exec to 'serving on' (median of %d): %6.2f s  (runs: %s)  bar <= 10 s: %s\n" \
  "$RESTARTS" "$READY_MED" "$(printf '%.2f ' "${READY[@]}")" "$(met "$READY_MED <= 10")"
printf "baseline sqlite3 count(*), sum(length(body)):  %6.2f s  (runs: %.2f %.2f, warm page cache)\n" "$SQL_MED" "$SQL_S" "$SQL_S2"
printf "baseline sqlite3 reading every body byte:       %6.2f s  (max(substr(body, -1)))\n" "$SQL_FULL"
printf "start-up / baseline: x%s (count/sum), x%s (every byte)\n" "$(ratio "$READY_MED" "$SQL_MED" 1)" "$(ratio "$READY_MED" "$SQL_FULL" 1)"
if [[ "$ROWS" -lt 1000000 ]]; then echo "(only $ROWS entities: not the bars' size)"; fi
