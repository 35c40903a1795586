#!/usr/bin/env bash
# bench/planning_lookup.sh: planning point lookups per second ("what does the plan say here"),
# dothi against PostGIS on the same polygons, measured in the same run on the same machine.
#
# Data: the demo planning of `dothi serve --demo` (app/demo_planning.cc, seed 2025): layer
# quy-hoach (306 zoning cells, role planning), thua-dat (21,600 parcels, role parcel), phuong
# (9 wards, administrative), inside lon 105.8400-105.8630, lat 21.0140-21.0420. Points are
# uniform over that box on the 1e-7 degree grid (seeded), so some fall on streets (no parcel).
#
# Measured, at concurrency 1 and 2:
#   - in-process (bench/planning_lookup_bench.cc): PlanningService::AtPoint (zones + parcel +
#     wards) on 1 and 2 threads, no HTTP, no JSON; it first checks AtPoint against a
#     brute-force GEOS evaluation (GEOSIntersects_r with every polygon) on INPROC_CHECK points.
#   - dothi over HTTP: GET /planning/v1/lookup?lon=&lat= (wrk, keep-alive, bench/wrk/
#     planning_lookup.lua), the JSON answer with every zone's and the parcel's fields and the
#     parcel's geometry; and GET /health on the same server: the HTTP floor.
#   - PostGIS (pgbench -M prepared, loopback TCP, one connection per client): the layers
#     exported from dothi's OGC API (/ogc/collections/{quy-hoach,thua-dat,phuong}/items) and
#     loaded into tables with a GiST index each, in a PostgreSQL 15 cluster of this script's
#     own (temp dir, free loopback port; fsync off: nothing is written while measuring):
#       "PostGIS zones":  SELECT id FROM zones WHERE ST_Contains(geom, point)  (DESIGN.md §8's
#                         baseline: zone ids only)
#       "PostGIS lookup": the same work as dothi's answer in one statement: the zones'
#                         properties, the parcel's properties and geometry (ST_AsGeoJSON) and
#                         the wards, as JSON, with ST_Intersects (boundary included, as dothi)
# Correctness, before any figure: for CHECK_POINTS seeded points dothi's HTTP answer (zone
# ids, parcel id, ward ids) must equal PostGIS's (ST_Intersects); the script fails otherwise.
# Bar (DESIGN.md §8): point lookup >= 20x PostGIS ST_Contains with a GiST index over loopback.
# The ratios are printed for in-process and HTTP, against both PostGIS statements.
#
# Machines are shared and noisy, so every figure is measured ROUNDS times, each round in an
# order that puts the two sides of each ratio next to each other, and each round's ratios
# are printed.
#
#   bash bench/planning_lookup.sh                 # ~4 minutes (2 rounds of 10 s runs); installs PostGIS if missing
#   BENCH_QUICK=1 bash bench/planning_lookup.sh   # 1 round of 3 s runs, smaller checks: ~1 minute
#
# Knobs (env): DURATION (10s; quick 3s), ROUNDS (2; quick 1), CHECK_POINTS (1000; quick 200), INPROC_CHECK (2000;
# quick 300), BENCH_SEED (1: the wrk points). Needs root to install PostgreSQL/PostGIS and to
# run the cluster as user postgres (runuser). On a 2-core machine the clients (wrk, pgbench)
# share the cores with the servers at -c2; the in-process run has no client.
source "$(dirname "$0")/lib.sh"

DURATION="${DURATION:-10s}"
ROUNDS="${ROUNDS:-2}"
CHECK_POINTS="${CHECK_POINTS:-1000}"
INPROC_CHECK="${INPROC_CHECK:-2000}"
if [[ "$BENCH_QUICK" == 1 ]]; then
  DURATION=3s
  ROUNDS=1
  CHECK_POINTS=200
  INPROC_CHECK=300
fi
SECS=${DURATION%s}
PG_BIN=/usr/lib/postgresql/15/bin

# --- PostgreSQL + PostGIS: installed if missing, our own cluster on loopback -----------------
ensure_postgis() {
  if [[ -x "$PG_BIN/postgres" && -f /usr/share/postgresql/15/extension/postgis.control ]]; then return 0; fi
  if [[ $(id -u) != 0 ]]; then
    log "PostGIS is missing: apt-get install -y postgresql-15 postgresql-15-postgis-3 (as root)"
    exit 1
  fi
  log "installing postgresql-15 and postgresql-15-postgis-3 (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y postgresql-15 postgresql-15-postgis-3 >"$BENCH_TMP/apt.log" 2>&1; then
    apt-get update >>"$BENCH_TMP/apt.log" 2>&1 || true
    apt-get install -y postgresql-15 postgresql-15-postgis-3 >>"$BENCH_TMP/apt.log" 2>&1 ||
      { log "apt-get failed:"; tail -20 "$BENCH_TMP/apt.log" >&2; exit 1; }
  fi
}

PG_DIR=""
pg_as() { (cd / && runuser -u postgres -- "$@"); }
stop_postgres() {
  [[ -n "$PG_DIR" && -f "$PG_DIR/data/postmaster.pid" ]] || return 0
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
}
planning_cleanup() {
  stop_postgres
  if [[ -n "$PG_DIR" && "${BENCH_KEEP:-0}" != 1 ]]; then rm -rf "$PG_DIR"; fi
  bench_cleanup
}
trap planning_cleanup EXIT

# Sets PG_DIR, PG_PORT, PG_PID. The cluster lives outside BENCH_TMP (user postgres must reach it).
start_postgres() {
  PG_DIR=$(mktemp -d /tmp/dothi-bench-pg.XXXXXX)
  chown postgres:postgres "$PG_DIR"
  PG_PORT=$(free_port)
  pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres -E UTF8 --no-sync >"$BENCH_TMP/initdb.log" 2>&1 ||
    { log "initdb failed:"; cat "$BENCH_TMP/initdb.log" >&2; exit 1; }
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w -o \
    "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || { log "postgres did not start:"; cat "$PG_DIR/postgres.log" >&2; exit 1; }
  PG_PID=$(head -1 "$PG_DIR/data/postmaster.pid")
  _BENCH_PIDS+=("$PG_PID")
}

psql_bench() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d bench "$@"; }

# --- build, start ------------------------------------------------------------------------------
ensure_dothi
log "building planning_lookup_bench (Release) in $BUILD_DIR"
cmake --build "$BUILD_DIR" --target planning_lookup_bench >/dev/null
INPROC_BIN="$BUILD_DIR/bench/planning_lookup_bench"
command -v wrk >/dev/null || { log "wrk missing: apt-get install wrk"; exit 1; }
ensure_postgis

start_dothi planning "$BENCH_TMP/planning-data" --demo
log "dothi --demo ready in $(fmt "$DOTHI_READY_SECONDS" 1) s at $DOTHI_URL"
start_postgres
log "PostgreSQL on 127.0.0.1:$PG_PORT ($PG_DIR)"
psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c "CREATE DATABASE bench"

# --- the same polygons in PostGIS, read from dothi's OGC API -----------------------------------
# Pages as large as the server allows (its --max-page-size default, from --help).
PAGE=$("$DOTHI_BIN" serve --help | grep -o -- '--max-page-size [A-Z]*=[0-9]*' | grep -o '[0-9]*$' || true)
[[ "${PAGE:-0}" -gt 0 ]] || PAGE=1000
declare -A TABLE=([quy-hoach]=zones [thua-dat]=parcels [phuong]=wards)
declare -A COUNT=()
psql_bench -c "CREATE EXTENSION postgis"
for layer in quy-hoach thua-dat phuong; do
  node "$BENCH_DIR/planning_lookup.js" export --url "$DOTHI_URL" --collection "$layer" --page "$PAGE" \
    --out "$BENCH_TMP/$layer.csv" >"$BENCH_TMP/export-$layer.json"
  COUNT[$layer]=$(node -e "console.log(JSON.parse(require('fs').readFileSync('$BENCH_TMP/export-$layer.json')).features)")
  t=${TABLE[$layer]}
  psql_bench <<SQL
CREATE TABLE $t (ord int NOT NULL, id text PRIMARY KEY, props jsonb NOT NULL, geom geometry(Geometry, 4326) NOT NULL);
CREATE TEMP TABLE stage (ord int, id text, props text, geom text);
\copy stage FROM '$BENCH_TMP/$layer.csv' WITH (FORMAT csv)
INSERT INTO $t SELECT ord, id, props::jsonb, ST_SetSRID(ST_GeomFromGeoJSON(geom), 4326) FROM stage;
CREATE INDEX ${t}_geom ON $t USING gist (geom);
SQL
done
psql_bench -c "VACUUM ANALYZE"
PG_ROWS=$(psql_bench -At -c "SELECT (SELECT count(*) FROM zones) || ' ' || (SELECT count(*) FROM parcels) || ' ' || (SELECT count(*) FROM wards)")
PG_INVALID=$(psql_bench -At -c "SELECT (SELECT count(*) FROM zones WHERE NOT ST_IsValid(geom)) + (SELECT count(*) FROM parcels WHERE NOT ST_IsValid(geom)) + (SELECT count(*) FROM wards WHERE NOT ST_IsValid(geom))")
POSTGIS_VERSION=$(psql_bench -At -c "SELECT postgis_lib_version() || ' (GEOS ' || postgis_geos_version() || ')'")
if [[ "$PG_ROWS" != "${COUNT[quy-hoach]} ${COUNT[thua-dat]} ${COUNT[phuong]}" ]]; then
  log "FAILED: PostGIS holds $PG_ROWS rows, dothi's OGC API gave ${COUNT[quy-hoach]} ${COUNT[thua-dat]} ${COUNT[phuong]}"
  exit 1
fi
log "PostGIS $POSTGIS_VERSION loaded: zones parcels wards = $PG_ROWS ($PG_INVALID invalid)"

# --- correctness: dothi over HTTP == PostGIS at sample points ----------------------------------
log "checking $CHECK_POINTS points: dothi's HTTP answers against PostGIS's"
node "$BENCH_DIR/planning_lookup.js" points --n "$CHECK_POINTS" --seed 7 >"$BENCH_TMP/points.csv"
psql_bench <<SQL
CREATE TABLE points (no int, lon float8, lat float8);
\copy points FROM '$BENCH_TMP/points.csv' WITH (FORMAT csv, HEADER)
\copy (SELECT p.no, (SELECT string_agg(z.id, ' ' ORDER BY z.ord) FROM zones z WHERE ST_Intersects(z.geom, p.pt)) AS zones, (SELECT string_agg(c.id, ' ' ORDER BY c.ord) FROM parcels c WHERE ST_Intersects(c.geom, p.pt)) AS parcels, (SELECT string_agg(w.id, ' ' ORDER BY w.ord) FROM wards w WHERE ST_Intersects(w.geom, p.pt)) AS wards FROM (SELECT no, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS pt FROM points) p ORDER BY p.no) TO '$BENCH_TMP/postgis_answers.csv' WITH (FORMAT csv, HEADER)
SQL
if ! node "$BENCH_DIR/planning_lookup.js" check --url "$DOTHI_URL" --points "$BENCH_TMP/points.csv" \
  --postgis "$BENCH_TMP/postgis_answers.csv" >"$BENCH_TMP/check.json"; then
  log "FAILED: dothi's lookup answers differ from PostGIS's (above); no figures"
  exit 1
fi

# --- pgbench scripts: random points as in bench/wrk/planning_lookup.lua ------------------------
POINT_SET='\set lon 105.84 + random(0, 230000) / 10000000.0
\set lat 21.014 + random(0, 280000) / 10000000.0'
cat >"$BENCH_TMP/pg_zones.sql" <<SQL
$POINT_SET
SELECT id FROM zones WHERE ST_Contains(geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326));
SQL
cat >"$BENCH_TMP/pg_lookup.sql" <<SQL
$POINT_SET
SELECT
  (SELECT coalesce(json_agg(json_build_object('featureId', z.id, 'properties', z.props) ORDER BY z.ord), '[]')
     FROM zones z WHERE ST_Intersects(z.geom, p.pt)) AS zones,
  (SELECT json_build_object('featureId', c.id, 'properties', c.props, 'geometry', ST_AsGeoJSON(c.geom)::json)
     FROM parcels c WHERE ST_Intersects(c.geom, p.pt) ORDER BY c.ord LIMIT 1) AS parcel,
  (SELECT coalesce(json_agg(json_build_object('featureId', w.id, 'properties', w.props) ORDER BY w.ord), '[]')
     FROM wards w WHERE ST_Intersects(w.geom, p.pt)) AS administrative
FROM (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS pt) p;
SQL

# pgbench_run NAME SCRIPT CLIENTS SECONDS: writes NAME.txt and NAME.lat (latencies, us, sorted)
pgbench_run() {
  local name="$1" script="$2" c="$3" secs="$4"
  rm -f "$BENCH_TMP/$name.log".*
  pgbench -n -h 127.0.0.1 -p "$PG_PORT" -U postgres -M prepared -c "$c" -j "$c" -T "$secs" \
    -f "$script" -l --log-prefix="$BENCH_TMP/$name.log" bench >"$BENCH_TMP/$name.txt" 2>&1 ||
    { log "pgbench $name failed:"; tail -5 "$BENCH_TMP/$name.txt" >&2; exit 1; }
  cat "$BENCH_TMP/$name.log".* | awk '{ print $3 }' | sort -n >"$BENCH_TMP/$name.lat"
  rm -f "$BENCH_TMP/$name.log".*
}
pg_tps() { awk '/^tps = / { print $3; exit }' "$1"; }
pg_failed() { awk '/number of failed transactions:/ { print $5 }' "$1" | sed 's/^$/0/'; }
# lat_pct FILE P: the P-th percentile (us) of a sorted one-column file
lat_pct() { awk -v p="$2" '{ a[NR] = $1 } END { i = int(p / 100 * NR); if (i < 1) i = 1; if (i > NR) i = NR; printf "%.1f\n", a[i] }' "$1"; }
# kv FILE PREFIX KEY: a key=value field of the line of planning_lookup_bench starting with PREFIX
kv() { grep -m1 "^$2" "$1" | tr ' ' '\n' | awk -F= -v k="$3" '$1 == k { print $2 }'; }

# --- measurements, back to back ----------------------------------------------------------------
# Warm-up, not counted: both servers' caches and code paths.
wrk -t1 -c1 -d1s -s "$BENCH_DIR/wrk/planning_lookup.lua" "$DOTHI_URL" >/dev/null
pgbench_run warm "$BENCH_TMP/pg_lookup.sql" 1 1
log "in-process: checking AtPoint against brute-force GEOS at $INPROC_CHECK points; the parts of a lookup"
if ! "$INPROC_BIN" 0 "$INPROC_CHECK" parts >"$BENCH_TMP/inproc.txt" 2>"$BENCH_TMP/inproc.err"; then
  cat "$BENCH_TMP/inproc.err" >&2
  log "FAILED: planning_lookup_bench (above); no figures"
  exit 1
fi
# Each round runs every figure once per concurrency, in an order that puts the pairs of each
# ratio next to each other: health | HTTP lookup | PostGIS zones | in-process | PostGIS lookup.
for r in $(seq 1 "$ROUNDS"); do
  for c in 1 2; do
    log "round $r -c$c: /health, dothi lookup, PostGIS zones, in-process, PostGIS lookup, $DURATION each"
    wrk -t"$c" -c"$c" -d"$DURATION" --latency "$DOTHI_URL/health" >"$BENCH_TMP/health${r}_$c.txt"
    BENCH_SEED="${BENCH_SEED:-1}" wrk -t"$c" -c"$c" -d"$DURATION" --latency \
      -s "$BENCH_DIR/wrk/planning_lookup.lua" "$DOTHI_URL" >"$BENCH_TMP/lookup${r}_$c.txt"
    pgbench_run "pgzones${r}_$c" "$BENCH_TMP/pg_zones.sql" "$c" "$SECS"
    "$INPROC_BIN" "$SECS" 0 "$c" >"$BENCH_TMP/inproc${r}_$c.txt" 2>>"$BENCH_TMP/inproc.err" ||
      { cat "$BENCH_TMP/inproc.err" >&2; log "FAILED: planning_lookup_bench $c"; exit 1; }
    pgbench_run "pglookup${r}_$c" "$BENCH_TMP/pg_lookup.sql" "$c" "$SECS"
    bad=$(awk '/^non200/ { print $2 }' "$BENCH_TMP/lookup${r}_$c.txt")
    errs=$(wrk_errors "$BENCH_TMP/lookup${r}_$c.txt")
    if [[ "$bad" != 0 || "$errs" != 0 ]]; then
      log "FAILED: dothi lookup -c$c: $bad non-200 answers, $errs socket errors"; exit 1
    fi
    for n in pgzones pglookup; do
      f=$(pg_failed "$BENCH_TMP/$n${r}_$c.txt")
      [[ "${f:-0}" == 0 ]] || { log "FAILED: pgbench $n -c$c: $f failed transactions"; exit 1; }
    done
  done
done
RSS_MIB=$(echo "$(rss_kib "$DOTHI_PID") / 1024" | bc)

# --- report ------------------------------------------------------------------------------------
I="$BENCH_TMP/inproc.txt"
us_of_ms() { echo "$1 * 1000" | bc -l | xargs printf "%.1f"; }
echo
echo "== bench/planning_lookup.sh  $(date -u +%Y-%m-%dT%H:%MZ)  $(nproc) cores  load avg $(cut -d" " -f1-3 /proc/loadavg)"
echo "data: dothi --demo planning: ${COUNT[quy-hoach]} zones (quy-hoach), ${COUNT[thua-dat]} parcels (thua-dat), ${COUNT[phuong]} wards (phuong);" \
  "the same rows in PostGIS $POSTGIS_VERSION on PostgreSQL $(psql_bench -At -c 'SHOW server_version' | cut -d' ' -f1)" \
  "(GiST per table, $PG_INVALID invalid geometries); dothi RSS $RSS_MIB MiB"
read -r CP CZ CPA CW CMZ CNP CE <<<"$(node -e "const r=JSON.parse(require('fs').readFileSync('$BENCH_TMP/check.json'));console.log(r.points, r.zones, r.parcels, r.wards, r.multi_zone, r.no_parcel, r.parcel_on_edge)")"
echo "check: in-process AtPoint == brute-force GEOS at $(kv "$I" check points) points" \
  "($(kv "$I" check zones) zones, $(kv "$I" check parcels) parcels, $(kv "$I" check wards) wards found);" \
  "dothi HTTP == PostGIS ST_Intersects at $CP points ($CZ zones, $CPA with a parcel, $CNP on streets, $CW wards; $CMZ in 2+ zones, $CE on a parcel edge)"
echo "points: uniform over the demo box, seeded; zones per lookup $(kv "$BENCH_TMP/inproc1_1.txt" run zones_per_lookup) in-process," \
  "$(awk '/^zones_per_lookup/ { print $2 }' "$BENCH_TMP/lookup1_1.txt") over HTTP; parcel found in" \
  "$(kv "$BENCH_TMP/inproc1_1.txt" run parcel_share) / $(awk '/^parcel_share/ { print $2 }' "$BENCH_TMP/lookup1_1.txt") of lookups"
for r in $(seq 1 "$ROUNDS"); do
  printf "%-58s %11s %9s %9s %9s\n" "round $r of $ROUNDS" "lookups/s" "p50 us" "p90 us" "p99 us"
  for c in 1 2; do
    f="$BENCH_TMP/inproc${r}_$c.txt"
    printf "%-58s %11.0f %9s %9s %9s\n" "dothi in-process PlanningService::AtPoint, $c thr" "$(kv "$f" run lps)" \
      "$(kv "$f" run p50_us)" "$(kv "$f" run p90_us)" "$(kv "$f" run p99_us)"
    for w in "health:GET /health (HTTP floor) -c$c" "lookup:dothi GET /planning/v1/lookup -c$c"; do
      f="$BENCH_TMP/${w%%:*}${r}_$c.txt"
      printf "%-58s %11.0f %9s %9s %9s\n" "${w#*:}" "$(wrk_rps "$f")" "$(us_of_ms "$(wrk_pct "$f" 50)")" \
        "$(us_of_ms "$(wrk_pct "$f" 90)")" "$(us_of_ms "$(wrk_pct "$f" 99)")"
    done
    for p in "pgzones:PostGIS zones: ST_Contains, ids -c$c" "pglookup:PostGIS lookup: zones+parcel+wards JSON -c$c"; do
      n="$BENCH_TMP/${p%%:*}${r}_$c"
      printf "%-58s %11.0f %9s %9s %9s\n" "${p#*:}" "$(pg_tps "$n.txt")" "$(lat_pct "$n.lat" 50)" \
        "$(lat_pct "$n.lat" 90)" "$(lat_pct "$n.lat" 99)"
    done
  done
  echo "  ratios, dothi / PostGIS at the same concurrency (bar: >= 20x PostGIS ST_Contains):"
  for c in 1 2; do
    IN=$(kv "$BENCH_TMP/inproc${r}_$c.txt" run lps); HT=$(wrk_rps "$BENCH_TMP/lookup${r}_$c.txt")
    HE=$(wrk_rps "$BENCH_TMP/health${r}_$c.txt")
    PZ=$(pg_tps "$BENCH_TMP/pgzones${r}_$c.txt"); PL=$(pg_tps "$BENCH_TMP/pglookup${r}_$c.txt")
    printf "  -c%d in-process: x%-6s vs zones (%s), x%-6s vs lookup (%s)\n" "$c" \
      "$(ratio "$IN" "$PZ" 1)" "$(met "$IN / $PZ >= 20")" "$(ratio "$IN" "$PL" 1)" "$(met "$IN / $PL >= 20")"
    printf "  -c%d HTTP:       x%-6s vs zones (%s), x%-6s vs lookup (%s); HTTP lookup / health x%s, health / PostGIS zones x%s\n" "$c" \
      "$(ratio "$HT" "$PZ" 2)" "$(met "$HT / $PZ >= 20")" "$(ratio "$HT" "$PL" 2)" "$(met "$HT / $PL >= 20")" \
      "$(ratio "$HT" "$HE" 2)" "$(ratio "$HE" "$PZ" 2)"
  done
done
echo "in-process parts, 1 thread (ns per call, best of 3 passes over 200k points):" \
  "$(grep '^part ' "$I" | sed 's/^part name=//; s/ ns_per_call=/ /' | awk '{ printf "%s%s %s", (NR > 1 ? "; " : ""), $1, $2 }')"
