#!/usr/bin/env bash
# bench/run_all.sh: every benchmark, one after another (~16-21 minutes on a 2-core machine):
# updates.sh, query.sh (loads 1M entities), memory_startup.sh (reuses query.sh's store),
# notifications.sh, temporal.sh (10M history instances), open311.sh (1M reports), planning_lookup.sh and tiles.sh (with PostGIS,
# installed when root), mqtt_ingest.sh (with mosquitto), instructions.sh (with valgrind).
# Prints each script's report; BENCH_QUICK=1 runs the small versions (~2 minutes).
#
#   bash bench/run_all.sh 2>/dev/null     # reports only (progress goes to stderr)
source "$(dirname "$0")/lib.sh"
ensure_dothi
echo "== bench/run_all.sh  $(date -u +%Y-%m-%dT%H:%MZ)  $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
  "load avg before: $(cut -d' ' -f1-3 /proc/loadavg)  dothi binary $DOTHI_BIN built $(date -u -r "$DOTHI_BIN" +%Y-%m-%dT%H:%MZ) (HEAD $(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo '?'))"
export BENCH_TMP DOTHI_BIN BENCH_QUICK
export DATA_1M="$BENCH_TMP/data-1m"
bash "$BENCH_DIR/updates.sh"
bash "$BENCH_DIR/query.sh"
REUSE_DATA=1 bash "$BENCH_DIR/memory_startup.sh"
bash "$BENCH_DIR/notifications.sh"
bash "$BENCH_DIR/temporal.sh"
bash "$BENCH_DIR/open311.sh"
if [[ -f /usr/share/postgresql/15/extension/postgis.control || $(id -u) == 0 ]]; then
  bash "$BENCH_DIR/planning_lookup.sh"
  bash "$BENCH_DIR/tiles.sh"
else
  echo; echo "bench/planning_lookup.sh and bench/tiles.sh skipped: PostGIS is not installed (root installs it)"
fi
if [[ -x /usr/sbin/mosquitto ]]; then
  bash "$BENCH_DIR/mqtt_ingest.sh"
else
  echo; echo "bench/mqtt_ingest.sh skipped: mosquitto is not installed"
fi
if command -v valgrind >/dev/null; then
  bash "$BENCH_DIR/instructions.sh"
else
  echo; echo "bench/instructions.sh skipped: valgrind is not installed"
fi
echo
echo "load avg after: $(cut -d' ' -f1-3 /proc/loadavg)"
