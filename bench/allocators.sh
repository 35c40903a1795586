#!/usr/bin/env bash
# bench/allocators.sh: user-space instructions per durable PATCH (callgrind, as in
# bench/instructions.sh) with glibc's malloc and with each other allocator installed,
# preloaded (LD_PRELOAD) into the same binary on the same data in the same run. Evidence
# for choosing an allocator; dothi itself links none but glibc's.
#
#   bash bench/allocators.sh     # ~2 minutes; needs valgrind; allocators that are not
#                                # installed are skipped (Debian: libjemalloc2,
#                                # libtcmalloc-minimal4, libmimalloc2.0)
#
# Knobs (env): ENTITIES (2000), DURATION (10s).
source "$(dirname "$0")/lib.sh"

ENTITIES="${ENTITIES:-2000}"
DURATION="${DURATION:-10s}"
if [[ "$BENCH_QUICK" == 1 ]]; then DURATION=3s; fi
for tool in valgrind callgrind_annotate callgrind_control wrk; do
  command -v "$tool" >/dev/null || { log "$tool missing (apt-get install valgrind wrk)"; exit 1; }
done
ensure_dothi

DATA="$BENCH_TMP/allocators-data"
rm -rf "$DATA"
start_dothi allocators "$DATA"
node "$BENCH_DIR/ngsi_load.js" upsert --url "$DOTHI_URL" --count "$ENTITIES" --batch 1000 \
  --conns 2 --types aq >/dev/null
stop_pid "$DOTHI_PID"

LIB=/usr/lib/x86_64-linux-gnu
echo
echo "== bench/allocators.sh  $(date -u +%Y-%m-%dT%H:%MZ)  valgrind $(valgrind --version | sed 's/valgrind-//')"
BASE=""
for entry in "glibc:" "jemalloc:$LIB/libjemalloc.so.2" "tcmalloc:$LIB/libtcmalloc_minimal.so.4" \
             "mimalloc:$LIB/libmimalloc.so.2"; do
  name="${entry%%:*}" lib="${entry#*:}"
  if [[ -n "$lib" && ! -e "$lib" ]]; then echo "$name: not installed, skipped"; continue; fi
  PORT=$(free_port)
  CG_PRELOAD="$lib" under_callgrind "cg.$name" "$BENCH_TMP/cg.$name" "http://127.0.0.1:$PORT/health" \
    "$DOTHI_BIN" serve --address 127.0.0.1 --port "$PORT" --data-dir "$DATA" \
    --access-log=false --log-level warn ${DOTHI_SERVE_ARGS:-}
  BENCH_N="$ENTITIES" BENCH_MIN_VALUE=1000 wrk -t1 -c8 -d"$DURATION" \
    -s "$BENCH_DIR/wrk/patch_attrs.lua" "http://127.0.0.1:$PORT" >"$BENCH_TMP/wrk.$name.txt"
  n=$(wrk_requests "$BENCH_TMP/wrk.$name.txt")
  stop_pid "$CG_PID"
  per=$(echo "$(total_ir "$BENCH_TMP/cg.$name") / $n" | bc -l)
  [[ -z "$BASE" ]] && BASE="$per"
  printf "%-9s %8.0f instructions per update  (%d updates; %s of glibc)\n" "$name:" "$per" "$n" \
    "$(ratio "$per" "$BASE")"
done
