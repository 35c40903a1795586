#!/usr/bin/env bash
# bench/tiles.sh: Mapbox Vector Tiles per second of the demo parcels (layer "thua-dat" of
# `dothi serve --demo`: 21,600 generated parcels of Hoàn Kiếm, lon 105.840-105.863,
# lat 21.014-21.042) at zoom 12 to 16, dothi over HTTP beside PostGIS ST_AsMVT on the same
# polygons, in the same run, with the same number of concurrent clients:
#   - dothi: GET /ogc/collections/thua-dat/tiles/WebMercatorQuad/{z}/{y}/{x} for tiles picked
#     at random among those covering the parcels at that zoom (wrk, keep-alive,
#     bench/wrk/tiles.lua), with the tile cache off (--tile-cache-bytes 0): every request
#     selects, clips, simplifies and encodes its tile. Once as identity (the bytes PostGIS
#     makes), once with Accept-Encoding: gzip (what browsers ask: + gzip level 1).
#   - dothi cached (default cache, gzip): the same requests once every tile is in the cache;
#     printed apart, not used for the bar.
#   - PostGIS: the same tiles through pgbench (prepared statements), one
#       SELECT length(ST_AsMVT(q, 'thua-dat', 4096, 'geom')) FROM (SELECT <every property>,
#         ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope(z, x, y), 4096, 64, true) ...
#         WHERE geom && <the tile grown by the 64-unit buffer, in EPSG:4326>) q
#     per transaction, on a table of the parcels copied out of dothi's /ogc/collections/
#     thua-dat/items by GDAL (ogr2ogr OAPIF -> PostgreSQL, every attribute), with a GiST index.
#     length() keeps the tile in the server (dothi's figure includes sending the bytes over
#     HTTP; PostGIS's does not send them), which favours PostGIS.
#   - GET /health on dothi at the same concurrency: the HTTP floor.
# dothi and PostGIS runs alternate, ROUNDS times per zoom, and the report takes the median of
# each (the machine is shared: another process's load then falls on both); the per-round
# ratios are printed too.
# Feature counts of one tile per zoom are compared (dothi's read back by GDAL's ogrinfo,
# PostGIS's counted in SQL) before anything is measured.
#
# PostgreSQL 15 + PostGIS 3 come from Debian (installed when missing; needs root or sudo);
# the script runs its own cluster (initdb as the user postgres when run as root) on a free
# loopback port in the scratch dir, fsync off, and stops it at exit.
#
#   bash bench/tiles.sh                   # 10 s per run, 3 rounds: about 8 minutes
#   BENCH_QUICK=1 bash bench/tiles.sh     # 3 s per run, 1 round, zooms 14 and 16: about 1 minute
#
# Knobs (env): CONNS (4: wrk connections and pgbench clients), DURATION (10s; quick 3s),
# ZOOMS ("12 13 14 15 16"; quick "14 16"), ROUNDS (3; quick 1).
# Bar (DESIGN §8): >= 5x PostGIS, same data, same run. Anchor: PostGIS made ~115 (z14) to
# ~1,350 (z16) tiles/s on generated Hanoi-area data on these machines.
source "$(dirname "$0")/lib.sh"

CONNS="${CONNS:-4}"
DURATION="${DURATION:-10s}"
ZOOMS="${ZOOMS:-12 13 14 15 16}"
if [[ "$BENCH_QUICK" == 1 ]]; then
  DURATION=3s
  ZOOMS="${ZOOMS_QUICK:-14 16}"
  ROUNDS="${ROUNDS_QUICK:-1}"
fi
SECS=${DURATION%s}
ROUNDS="${ROUNDS:-3}"
THREADS=$(( CONNS < 2 ? CONNS : 2 ))
PGBIN=/usr/lib/postgresql/15/bin
LAYER=thua-dat

# --- prerequisites ----------------------------------------------------------------------------
ensure_dothi
for cmd in wrk node ogr2ogr ogrinfo psql curl bc; do
  command -v "$cmd" >/dev/null || { log "$cmd missing (scripts/install-deps.sh)"; exit 1; }
done
if ! dpkg-query -W -f='${Status}' postgresql-15-postgis-3 2>/dev/null | grep -q "install ok installed"; then
  log "installing postgresql-15 and postgresql-15-postgis-3"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    postgresql-15 postgresql-15-postgis-3 >/dev/null
fi

# --- PostgreSQL: a cluster of our own ---------------------------------------------------------
PGDIR="$BENCH_TMP/pg"
mkdir -p "$PGDIR"
RUNAS=()
if [[ $(id -u) -eq 0 ]]; then  # root cannot run postgres
  RUNAS=(runuser -u postgres --)
  chmod 755 "$BENCH_TMP"
  chown postgres "$PGDIR"
fi
PGPORT=$(free_port)
"${RUNAS[@]}" "$PGBIN/initdb" -D "$PGDIR/data" -A trust -U postgres --no-sync -E UTF8 >/dev/null
"${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w -s \
  -o "-p $PGPORT -k $PGDIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c shared_buffers=256MB -c jit=off -c max_parallel_workers_per_gather=0" start
PG_PID=$(head -1 "$PGDIR/data/postmaster.pid")
_BENCH_PIDS+=("$PG_PID")
export PGHOST=127.0.0.1 PGPORT PGUSER=postgres PGDATABASE=postgres
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -At)
"${PSQL[@]}" -c "CREATE EXTENSION postgis" >/dev/null
PG_VERSION="PostgreSQL $("${PSQL[@]}" -c 'SHOW server_version' | awk '{ print $1 }') + PostGIS $("${PSQL[@]}" -c 'SELECT postgis_lib_version()')"
log "$PG_VERSION on port $PGPORT"

# --- dothi, and the parcels copied into PostGIS ------------------------------------------------
DATA="$BENCH_TMP/tiles-data"
start_dothi tiles "$DATA" --demo --tile-cache-bytes 0
log "dothi --demo ready in $(fmt "$DOTHI_READY_SECONDS" 1) s at $DOTHI_URL"
WANT=$(curl -s "$DOTHI_URL/ogc/collections/$LAYER/items?limit=1" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).numberMatched))')
log "copying $WANT parcels into PostGIS (ogr2ogr OAPIF -> PostgreSQL)"
ogr2ogr -f PostgreSQL "PG:host=127.0.0.1 port=$PGPORT user=postgres dbname=postgres" \
  "OAPIF:$DOTHI_URL/ogc" "$LAYER" -oo PAGE_SIZE=1000 -nln parcels -lco GEOMETRY_NAME=geom \
  -lco FID=fid -lco SPATIAL_INDEX=GIST >/dev/null
"${PSQL[@]}" -c "ANALYZE parcels" >/dev/null
GOT=$("${PSQL[@]}" -c "SELECT count(*) FROM parcels")
[[ "$GOT" == "$WANT" ]] || { log "FAILED: PostGIS holds $GOT parcels, dothi $WANT"; exit 1; }
COLUMNS_SQL=$("${PSQL[@]}" -c "SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'parcels' AND column_name NOT IN ('fid', 'geom')")
"${PSQL[@]}" >/dev/null <<SQL
CREATE FUNCTION parcels_mvt(z int, x int, y int) RETURNS bytea LANGUAGE sql STABLE AS \$\$
  SELECT ST_AsMVT(q, '$LAYER', 4096, 'geom') FROM (
    SELECT $COLUMNS_SQL,
           ST_AsMVTGeom(ST_Transform(p.geom, 3857), ST_TileEnvelope(z, x, y), 4096, 64, true) AS geom
    FROM parcels p
    WHERE p.geom && ST_Transform(ST_TileEnvelope(z, x, y, margin => 64.0 / 4096), 4326)) q
\$\$;
CREATE FUNCTION parcels_mvt_count(z int, x int, y int) RETURNS bigint LANGUAGE sql STABLE AS \$\$
  SELECT count(*) FROM (
    SELECT ST_AsMVTGeom(ST_Transform(p.geom, 3857), ST_TileEnvelope(z, x, y), 4096, 64, true) AS g
    FROM parcels p
    WHERE p.geom && ST_Transform(ST_TileEnvelope(z, x, y, margin => 64.0 / 4096), 4326)) q
  WHERE g IS NOT NULL
\$\$;
CREATE TABLE bench_tiles(zoom int, i int, x int, y int, PRIMARY KEY (zoom, i));
SQL

# The tiles covering the parcels at each zoom: paths for wrk, rows for pgbench.
node -e '
const [w, s, e, n] = [105.840, 21.014, 105.863, 21.042];
const tile = (lon, lat, z) => { const k = 2 ** z, phi = lat * Math.PI / 180;
  return [Math.floor((lon + 180) / 360 * k), Math.floor((1 - Math.asinh(Math.tan(phi)) / Math.PI) / 2 * k)]; };
for (const z of process.argv[1].split(" ").map(Number)) {
  const [x0, y0] = tile(w, n, z), [x1, y1] = tile(e, s, z);
  let i = 0;
  for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) console.log(z, ++i, x, y);
}' "$ZOOMS" >"$BENCH_TMP/tiles.txt"
"${PSQL[@]}" -c "\\copy bench_tiles FROM '$BENCH_TMP/tiles.txt' WITH (DELIMITER ' ')"
for z in $ZOOMS; do
  awk -v z="$z" -v l="$LAYER" '$1 == z { printf "/ogc/collections/%s/tiles/WebMercatorQuad/%d/%d/%d\n", l, $1, $4, $3 }' \
    "$BENCH_TMP/tiles.txt" >"$BENCH_TMP/paths$z.txt"
  n=$(wc -l <"$BENCH_TMP/paths$z.txt")
  cat >"$BENCH_TMP/pg$z.sql" <<SQL
\\set i random(1, $n)
SELECT length(parcels_mvt(zoom, x, y)) FROM bench_tiles WHERE zoom = $z AND i = :i;
SQL
done

# --- correctness first: the same features in one tile per zoom -----------------------------------
# Each encoder drops its own slivers in the 64-unit buffer (dothi simplifies at one tile
# unit, PostGIS snaps), so the counts may differ by a few; every parcel that reaches 8 units
# into the tile proper must be in both.
log "checking one tile per zoom: dothi's features (read by ogrinfo) against PostGIS's"
declare -A DOTHI_COUNT PG_COUNT CHECK_TILE
for z in $ZOOMS; do
  read -r _ i x y < <(awk -v z="$z" '$1 == z' "$BENCH_TMP/tiles.txt" | sort -k2n | awk 'NR == 1 || $2 == 2' | tail -1)
  curl -s -o "$BENCH_TMP/check$z.mvt" "$DOTHI_URL/ogc/collections/$LAYER/tiles/WebMercatorQuad/$z/$y/$x"
  ogrinfo -ro -al -q -oo CLIP=NO -oo X="$x" -oo Y="$y" -oo Z="$z" "$BENCH_TMP/check$z.mvt" |
    awk '/^  id \(String\) = / { print $4 }' | sort >"$BENCH_TMP/check$z.dothi"
  "${PSQL[@]}" -c "SELECT id FROM parcels WHERE ST_Intersects(geom, ST_Transform(ST_Expand(ST_TileEnvelope($z, $x, $y), -40075016.6856 / 2 ^ $z * 8 / 4096), 4326))" |
    sort >"$BENCH_TMP/check$z.inner"
  DOTHI_COUNT[$z]=$(wc -l <"$BENCH_TMP/check$z.dothi")
  PG_COUNT[$z]=$("${PSQL[@]}" -c "SELECT parcels_mvt_count($z, $x, $y)")
  CHECK_TILE[$z]="$z/$y/$x"
  missing=$(comm -23 "$BENCH_TMP/check$z.inner" "$BENCH_TMP/check$z.dothi" | wc -l)
  inner=$(wc -l <"$BENCH_TMP/check$z.inner")
  if [[ "$missing" != 0 || "$inner" -lt 1 ]] ||
     [[ $(echo "d = ${DOTHI_COUNT[$z]} - ${PG_COUNT[$z]}; if (d < 0) d = -d; d * 50 > ${PG_COUNT[$z]}" | bc) == 1 ]]; then
    log "FAILED: tile $z/$y/$x: dothi ${DOTHI_COUNT[$z]} features, PostGIS ${PG_COUNT[$z]}; $missing of the $inner parcels inside the tile missing from dothi's"
    exit 1
  fi
done

# --- runs ----------------------------------------------------------------------------------------
WRK() {  # WRK OUT FILE [GZIP]
  TILES_FILE="$2" GZIP="${3:-0}" wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency \
    -s "$BENCH_DIR/wrk/tiles.lua" "$DOTHI_URL" >"$1"
}
log "warm-up (not counted)"
for z in $ZOOMS; do TILES_FILE="$BENCH_TMP/paths$z.txt" wrk -t1 -c1 -d1s -s "$BENCH_DIR/wrk/tiles.lua" "$DOTHI_URL" >/dev/null; done
pgbench -n -M prepared -c 1 -T 1 -f "$BENCH_TMP/pg$(echo "$ZOOMS" | awk '{ print $NF }').sql" >/dev/null 2>&1

# dothi and PostGIS alternate, ROUNDS times, so that the machine's other load (it is shared)
# falls on both; the report takes each one's median.
log "runs: $DURATION each, $CONNS concurrent clients: /health; $ROUNDS rounds of dothi and PostGIS per zoom; dothi gzip"
wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$DOTHI_URL/health" >"$BENCH_TMP/health.txt"
for r in $(seq 1 "$ROUNDS"); do
  for z in $ZOOMS; do
    WRK "$BENCH_TMP/dothi$z.$r.txt" "$BENCH_TMP/paths$z.txt" 0
    pgbench -n -M prepared -c "$CONNS" -j "$THREADS" -T "$SECS" -f "$BENCH_TMP/pg$z.sql" >"$BENCH_TMP/pg$z.$r.txt" 2>&1
  done
done
for z in $ZOOMS; do WRK "$BENCH_TMP/dothigz$z.txt" "$BENCH_TMP/paths$z.txt" 1; done
RSS_MIB=$(( $(rss_kib "$DOTHI_PID") / 1024 ))
stop_pid "$DOTHI_PID"

log "runs with the tile cache on (default size)"
start_dothi tiles-cached "$DATA" --demo
for z in $ZOOMS; do  # fill the cache, then measure
  while read -r p; do curl -s -o /dev/null -H 'Accept-Encoding: gzip' "$DOTHI_URL$p"; done <"$BENCH_TMP/paths$z.txt"
  WRK "$BENCH_TMP/cached$z.txt" "$BENCH_TMP/paths$z.txt" 1
done
CACHE_HITS=$(curl -s "$DOTHI_URL/metrics" | awk '/^dothi_tile_cache_total\{outcome="hit"\}/ { print $2 }')
CACHE_MISSES=$(curl -s "$DOTHI_URL/metrics" | awk '/^dothi_tile_cache_total\{outcome="miss"\}/ { print $2 }')
stop_pid "$DOTHI_PID"
"${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w -s stop || true

# Every answer must have been a tile.
for f in "$BENCH_TMP"/dothi*.txt "$BENCH_TMP"/cached*.txt; do
  bad=$(wrk_non2xx "$f"); errs=$(wrk_errors "$f")
  if [[ "${bad:-0}" != 0 || "$errs" != 0 ]]; then log "FAILED: $f: ${bad:-0} non-2xx answers, $errs socket errors"; exit 1; fi
done
for f in "$BENCH_TMP"/pg[0-9]*.txt; do
  grep -q "number of failed transactions: 0" "$f" || { log "FAILED: pgbench $f:"; cat "$f" >&2; exit 1; }
done

# --- report ----------------------------------------------------------------------------------
pg_tps() { awk '/^tps = / { print $3 }' "$1"; }
pg_ms() { awk '/^latency average = / { print $4 }' "$1"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# The round whose figure is the median: its file (for latencies and bytes).
median_file() {  # median_file FIGURE_FN FILES...
  local fn="$1"; shift
  local m; m=$(for f in "$@"; do "$fn" "$f"; done | median)
  for f in "$@"; do [[ "$("$fn" "$f")" == "$m" ]] && { echo "$f"; return; }; done
  echo "$1"
}
# wrk_bytes_per_request FILE: bytes read / requests, from wrk's "N requests in T, X MB read"
wrk_bytes_per_request() {
  awk '/requests in/ { n = $1; v = $(NF - 1); u = v; gsub(/[0-9.]/, "", u); gsub(/[A-Za-z]/, "", v);
    m = (u == "KB") ? 1024 : (u == "MB") ? 1048576 : (u == "GB") ? 1073741824 : 1;
    printf "%.0f\n", v * m / n }' "$1"
}
echo
echo "== bench/tiles.sh  $(date -u +%Y-%m-%dT%H:%MZ)  $(nproc) cores  load avg $(cut -d" " -f1-3 /proc/loadavg)  HEAD $(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "data: $WANT demo parcels (layer $LAYER), the same rows in $PG_VERSION with a GiST index; $CONNS concurrent clients, $DURATION per run"
echo "features in one tile per zoom, dothi (read by ogrinfo) / PostGIS (dothi's holds every parcel reaching 8 units into the tile):$(for z in $ZOOMS; do printf ' z%s %s %s/%s' "$z" "${CHECK_TILE[$z]}" "${DOTHI_COUNT[$z]}" "${PG_COUNT[$z]}"; done)"
printf "GET /health (HTTP floor): %.0f req/s\n" "$(wrk_rps "$BENCH_TMP/health.txt")"
printf "%-5s %6s %10s | %12s %9s %9s | %12s %9s | %12s %9s | %9s | %12s\n" zoom tiles "KB/tile" \
  "dothi tiles/s" "p50 ms" "p99 ms" "dothi gz t/s" "KB gz" "PostGIS t/s" "mean ms" "dothi/PG" "cached gz t/s"
MIN_RATIO=""
ROUND_RATIOS=""
for z in $ZOOMS; do
  g="$BENCH_TMP/dothigz$z.txt"; c="$BENCH_TMP/cached$z.txt"
  d=$(median_file wrk_rps "$BENCH_TMP"/dothi$z.[0-9]*.txt)
  p=$(median_file pg_tps "$BENCH_TMP"/pg$z.[0-9]*.txt)
  r=$(ratio "$(wrk_rps "$d")" "$(pg_tps "$p")" 1)
  ROUND_RATIOS="$ROUND_RATIOS z$z:$(for i in $(seq 1 "$ROUNDS"); do printf ' %s' "$(ratio "$(wrk_rps "$BENCH_TMP/dothi$z.$i.txt")" "$(pg_tps "$BENCH_TMP/pg$z.$i.txt")" 1)"; done)"
  [[ -z "$MIN_RATIO" || $(echo "$r < $MIN_RATIO" | bc) == 1 ]] && MIN_RATIO=$r
  printf "z%-4s %6d %10.0f | %12.0f %9s %9s | %12.0f %9.0f | %12.0f %9s | %8sx | %12.0f\n" "$z" \
    "$(wc -l <"$BENCH_TMP/paths$z.txt")" "$(echo "$(wrk_bytes_per_request "$d") / 1024" | bc -l)" \
    "$(wrk_rps "$d")" "$(wrk_pct "$d" 50)" "$(wrk_pct "$d" 99)" \
    "$(wrk_rps "$g")" "$(echo "$(wrk_bytes_per_request "$g") / 1024" | bc -l)" \
    "$(pg_tps "$p")" "$(pg_ms "$p")" "$r" "$(wrk_rps "$c")"
done
echo "dothi/PostGIS per round (dothi then PostGIS, in turn):$ROUND_RATIOS"
echo "dothi RSS after the uncached runs: $RSS_MIB MiB; cache run: $CACHE_HITS hits, $CACHE_MISSES misses"
echo "bar >= 5x PostGIS at every zoom (dothi uncached, identity): lowest x$MIN_RATIO $(met "$MIN_RATIO >= 5")"
echo "anchor (DESIGN §8, an earlier PostGIS on these machines): ~115 (z14) to ~1,350 (z16) tiles/s"
