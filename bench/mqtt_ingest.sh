#!/usr/bin/env bash
# bench/mqtt_ingest.sh: MQTT device messages per second that dothi turns into durable entity
# updates, beside the rate the same Mosquitto broker carries QoS 1 messages from a publisher
# to a subscriber in the same run (the baseline: the broker and client alone).
#
#   bash bench/mqtt_ingest.sh          # ~1 minute; needs mosquitto (Debian) and tests/e2e's npm mqtt
#
# Knobs (env): COUNT (20000 messages), DEVICES (1000).
source "$(dirname "$0")/lib.sh"

COUNT="${COUNT:-20000}"
DEVICES="${DEVICES:-1000}"
if [[ "$BENCH_QUICK" == 1 ]]; then COUNT=2000; DEVICES=100; fi
ensure_dothi
command -v mosquitto >/dev/null || [[ -x /usr/sbin/mosquitto ]] || { log "mosquitto missing: apt-get install mosquitto"; exit 1; }
[[ -d "$REPO_DIR/tests/e2e/node_modules/mqtt" ]] || (cd "$REPO_DIR/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error)

MPORT=$(free_port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\n' "$MPORT" >"$BENCH_TMP/mosquitto.conf"
/usr/sbin/mosquitto -c "$BENCH_TMP/mosquitto.conf" >"$BENCH_TMP/mosquitto.log" 2>&1 &
MQ_PID=$!
_BENCH_PIDS+=("$MQ_PID")
for _ in $(seq 1 100); do (echo >/dev/tcp/127.0.0.1/"$MPORT") 2>/dev/null && break; sleep 0.05; done
BROKER="mqtt://127.0.0.1:$MPORT"

log "baseline: $COUNT QoS 1 messages publisher -> broker -> subscriber"
BASE=$(node "$BENCH_DIR/mqtt_load.js" baseline --broker "$BROKER" --count "$COUNT")

DATA="$BENCH_TMP/mqtt-data"
rm -rf "$DATA"
start_dothi mqtt "$DATA" --mqtt-broker "$BROKER"
log "registering $DEVICES devices and their entities"
node -e '
const n = Number(process.argv[1]), url = process.argv[2];
(async () => {
  for (let from = 0; from < n; from += 500) {
    const batch = [];
    for (let i = from; i < Math.min(n, from + 500); i++) {
      batch.push({ id: `urn:ngsi-ld:Device:dev-${i}`, type: "Device",
        controlledAsset: { type: "Relationship", object: `urn:ngsi-ld:WaterObserved:bench-${i}` },
        assetType: { type: "Property", value: "WaterObserved" },
        deviceKey: { type: "Property", value: "bench-key" } });
      batch.push({ id: `urn:ngsi-ld:WaterObserved:bench-${i}`, type: "WaterObserved", level: { type: "Property", value: 0 } });
    }
    const r = await fetch(url + "/ngsi-ld/v1/entityOperations/upsert", { method: "POST",
      headers: { "Content-Type": "application/json", "NGSILD-Tenant": "bench" }, body: JSON.stringify(batch) });
    if (r.status >= 300) throw new Error("upsert " + r.status + " " + await r.text());
  }
})().catch((e) => { console.error(e); process.exit(1); });' "$DEVICES" "$DOTHI_URL"
# Wait until dothi's session is up (it subscribes on connect).
for _ in $(seq 1 200); do
  [[ "$(curl -s "$DOTHI_URL/metrics" | awk '/^dothi_mqtt_connects_total/ { print $2 }')" -ge 1 ]] 2>/dev/null && break
  sleep 0.05
done
cpu0=$(cpu_seconds "$DOTHI_PID")
log "dothi: $COUNT device messages over $DEVICES devices"
ING=$(node "$BENCH_DIR/mqtt_load.js" ingest --broker "$BROKER" --url "$DOTHI_URL" --count "$COUNT" --devices "$DEVICES")
cpu1=$(cpu_seconds "$DOTHI_PID")
stop_pid "$DOTHI_PID"
stop_pid "$MQ_PID"

base_rate=$(echo "$BASE" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).per_second))')
ing_rate=$(echo "$ING" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).per_second))')
echo
echo "== bench/mqtt_ingest.sh  $(date -u +%Y-%m-%dT%H:%MZ)  $(nproc) cores  load avg $(cut -d" " -f1-3 /proc/loadavg)"
printf "broker alone, QoS 1 pub -> sub:         %10.0f messages/s  (%s)\n" "$base_rate" "$BASE"
printf "dothi ingest, QoS 1 -> durable update:  %10.0f messages/s  (%s)\n" "$ing_rate" "$ING"
printf "ratio to the broker alone:              %10s\n" "$(ratio "$ing_rate" "$base_rate")"
printf "dothi CPU per message:                  %10.0f us\n" "$(echo "($cpu1 - $cpu0) * 1000000 / $COUNT" | bc -l)"
