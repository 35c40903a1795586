# bench/lib.sh: shared helpers for the bench/*.sh scripts (sourced, not run).
#
# Every script: builds what it needs (dothi Release in build-bench/, helpers with g++ into
# the scratch dir), loads 127.0.0.1 only, bounds every load by a count or a duration, and
# stops everything it started (trap on EXIT), by pid.
#
# Environment:
#   DOTHI_BIN      dothi binary (default: build-bench/src/app/dothi, built if missing)
#   BENCH_TMP      scratch dir (default: a fresh mktemp -d under /tmp, removed at exit
#                  unless BENCH_KEEP=1). It must be on a real disk (fsync must cost).
#   BENCH_QUICK=1  smaller counts and shorter runs, to check the scripts themselves.

set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$REPO_DIR/build-bench}"
DOTHI_BIN="${DOTHI_BIN:-$BUILD_DIR/src/app/dothi}"
BENCH_QUICK="${BENCH_QUICK:-0}"
CORES="$(nproc)"

if [[ -z "${BENCH_TMP:-}" ]]; then
  BENCH_TMP="$(mktemp -d /tmp/dothi-bench.XXXXXX)"
  BENCH_TMP_OWNED=1
else
  mkdir -p "$BENCH_TMP"
  BENCH_TMP_OWNED=0
fi

_BENCH_PIDS=()

bench_cleanup() {
  local pid
  for pid in "${_BENCH_PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  for pid in "${_BENCH_PIDS[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [[ "$BENCH_TMP_OWNED" == 1 && "${BENCH_KEEP:-0}" != 1 ]]; then rm -rf "$BENCH_TMP"; fi
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Builds the Release dothi binary unless DOTHI_BIN already exists.
ensure_dothi() {
  # Always (re)build: an old binary would measure old code. A no-op when up to date.
  log "building dothi (Release) in $BUILD_DIR"
  cmake -S "$REPO_DIR" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDOTHI_BUILD_TESTS=OFF >/dev/null
  cmake --build "$BUILD_DIR" --target dothi >/dev/null
}

# Builds bench/bare_server.cc (the baseline) into BENCH_TMP; prints the binary path.
ensure_bare_server() {
  local out="$BENCH_TMP/bare_server"
  if [[ ! -x "$out" ]]; then
    g++ -O2 -std=c++20 -pthread "$BENCH_DIR/bare_server.cc" -o "$out"
  fi
  echo "$out"
}

# A free TCP port on 127.0.0.1 (for the bare server, which takes a fixed port).
free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# start_dothi NAME DATA_DIR [extra serve flags...]
# Starts dothi serve on 127.0.0.1 and a free port; waits for the "serving on" line.
# Sets DOTHI_PID, DOTHI_PORT, DOTHI_URL and DOTHI_READY_SECONDS (exec to ready line).
start_dothi() {
  local name="$1" data="$2"
  shift 2
  mkdir -p "$data"
  local out="$BENCH_TMP/$name.out"
  : >"$out"
  local t0 t1
  t0=$(date +%s.%N)
  "$DOTHI_BIN" serve --address 127.0.0.1 --port 0 --data-dir "$data" --access-log=false \
    --log-level warn ${DOTHI_SERVE_ARGS:-} "$@" >"$out" 2>"$BENCH_TMP/$name.err" &
  DOTHI_PID=$!
  _BENCH_PIDS+=("$DOTHI_PID")
  local line=""
  for _ in $(seq 1 6000); do  # 600 s at most
    line=$(grep -m1 -o 'serving on http://127.0.0.1:[0-9]*' "$out" || true)
    [[ -n "$line" ]] && break
    if ! kill -0 "$DOTHI_PID" 2>/dev/null; then
      log "dothi exited before serving:"; cat "$BENCH_TMP/$name.err" >&2; return 1
    fi
    sleep 0.01
  done
  t1=$(date +%s.%N)
  [[ -n "$line" ]] || { log "dothi did not start"; return 1; }
  DOTHI_PORT="${line##*:}"
  DOTHI_URL="http://127.0.0.1:$DOTHI_PORT"
  DOTHI_READY_SECONDS=$(echo "$t1 - $t0" | bc -l)
}

# stop_pid PID [SIGNAL]: stops a process this script started and waits for it.
stop_pid() {
  local pid="$1" sig="${2:-TERM}"
  kill -"$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# start_bare PORT: starts the bare Beast server; sets BARE_PID and BARE_URL.
start_bare() {
  local bin port="$1"
  bin=$(ensure_bare_server)
  "$bin" "$port" >"$BENCH_TMP/bare.out" 2>&1 &
  BARE_PID=$!
  _BENCH_PIDS+=("$BARE_PID")
  BARE_URL="http://127.0.0.1:$port"
  for _ in $(seq 1 200); do
    curl -s -o /dev/null "$BARE_URL/" && return 0
    sleep 0.02
  done
  log "bare server did not start"; return 1
}

# Process CPU time (user+system) in seconds, from /proc/PID/stat.
cpu_seconds() {
  awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"
}

# VmRSS of PID in KiB.
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# VmHWM (peak RSS) of PID in KiB.
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

# Parsing wrk output: requests/s, non-2xx count, socket errors, latency percentile (ms).
wrk_rps() { awk '/^Requests\/sec:/ { print $2 }' "$1"; }
wrk_requests() { awk '/requests in/ { print $1 }' "$1"; }
wrk_non2xx() { awk '/Non-2xx or 3xx responses:/ { print $5 } END {}' "$1" | head -1 | sed 's/^$/0/'; }
wrk_errors() {
  local l
  l=$(grep 'Socket errors' "$1" || true)
  [[ -z "$l" ]] && { echo 0; return; }
  echo "$l" | awk -F'[ ,]+' '{ s = 0; for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i; print s }'
}
# wrk_pct FILE 50|75|90|99 -> milliseconds (from the --latency distribution)
wrk_pct() {
  awk -v p="$2%" '$1 == p {
    v = $2; unit = v; gsub(/[0-9.]/, "", unit); gsub(/[a-z]/, "", v);
    if (unit == "us") v /= 1000; else if (unit == "s") v *= 1000; else if (unit == "m") v *= 60000;
    printf "%.3f\n", v }' "$1"
}

# metric NAME: one unlabelled value from dothi's /metrics
metric() { curl -s "$DOTHI_URL/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }

# ratio A B [digits]
# total_ir FILE: the PROGRAM TOTALS instruction count of a callgrind output file
total_ir() { callgrind_annotate --auto=no "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'; }

# under_callgrind NAME OUT URL_TO_POLL CMD...: starts CMD under callgrind (collecting from the
# start), waits until URL answers, then zeroes the counters so start-up is not counted. Sets
# CG_PID. CG_PRELOAD (env) is passed to CMD as LD_PRELOAD. `dothi serve` executes itself
# again at start (--malloc-tcache); callgrind follows it, and the file OUT holds the last image.
under_callgrind() {
  local name="$1" out="$2" url="$3"
  shift 3
  LD_PRELOAD="${CG_PRELOAD:-}" valgrind --tool=callgrind --trace-children=yes \
    --callgrind-out-file="$out" "$@" \
    >"$BENCH_TMP/$name.out" 2>&1 &
  CG_PID=$!
  _BENCH_PIDS+=("$CG_PID")
  for _ in $(seq 1 600); do
    curl -s -o /dev/null "$url" && break
    sleep 0.1
  done
  callgrind_control -z "$CG_PID" >/dev/null
}

ratio() { echo "scale=${3:-3}; $1 / $2" | bc -l | sed 's/^\./0./'; }
fmt() { printf "%.${2:-0}f" "$1"; }
# pass_fail COND_EXPR: prints MET or MISSED for a bc boolean expression
met() { if [[ $(echo "$1" | bc -l) == 1 ]]; then echo "MET"; else echo "MISSED"; fi; }
